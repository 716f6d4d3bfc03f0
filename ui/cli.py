"""The installed `tayanch` command: the core's commands plus `gui`, which opens the window.

`tayanch` with no command opens the window too (CLI.md). The window lives here, not in
app/cli, so the core stays free of Qt.
"""

from __future__ import annotations

import argparse
import sys

from app.cli import command_of
from app.cli import main as core_main
from app.cli.common import data_dir
from app.i18n import _


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help=_("open the window (the default)"))
    p.set_defaults(handler=cmd_gui)


def cmd_gui(args: argparse.Namespace) -> int:
    from ui.app import run

    return run(data_dir(args), lang=args.lang)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if command_of(argv) in (None, "gui") and not {"-h", "--help"} & set(argv):
        # Opening the window: the other commands' modules (the whole model, FastAPI) are
        # not loaded before the unlock dialog shows; --help still lists every command.
        return core_main(argv, extra_modules=[sys.modules[__name__]], command_modules=())
    return core_main(argv, extra_modules=[sys.modules[__name__]])


if __name__ == "__main__":
    sys.exit(main())
