"""The ``tayanch`` command (CLI.md is its contract: add commands, never rename them).

Commands live in modules by area; each has ``add_commands(subparsers)`` that registers
its parsers with ``set_defaults(handler=...)``. A module that is not there yet is skipped,
so areas can land one by one.

The window's `gui` command is added by ui/cli.py, which is the installed `tayanch` entry
point: the core never imports the window, so HQ and scripts run without Qt.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from app import __version__
from app.cli.common import EXIT_USAGE, run_handler
from app.i18n import LANGUAGES, _, normalize_language, set_language

COMMAND_MODULES = (
    "app.cli.register_cmds",  # init, demo, list, person, verify
    "app.cli.people",  # find, import, export
    "app.cli.documents",  # print, report
    "app.cli.sync",  # sync ...
    "app.cli.hq",  # hq ...
    "app.cli.safety",  # backup, restore, users
)


#: Global options that take a value (``command_of`` skips the value).
VALUE_OPTIONS = ("--data-dir", "--lang")


def command_of(argv: Sequence[str]) -> str | None:
    """The command word in ``argv`` (``None`` if none), without building the parser."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def build_parser(
    extra_modules: Sequence[ModuleType] = (), command_modules: Sequence[str] = COMMAND_MODULES
) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tayanch", description=_("Register of a makhalla stronghold (tayanch punkti).")
    )
    parser.add_argument("--version", action="version", version=f"tayanch {__version__}")
    parser.add_argument("--data-dir", help=_("folder of the register (or TAYANCH_DATA_DIR)"))
    parser.add_argument("--lang", choices=LANGUAGES, help=_("language of messages"))
    parser.add_argument("--self-test", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in command_modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.add_commands(sub)
    for module in extra_modules:
        module.add_commands(sub)
    return parser


def main(
    argv: list[str] | None = None,
    extra_modules: Sequence[ModuleType] = (),
    command_modules: Sequence[str] = COMMAND_MODULES,
) -> int:
    """Run the command in ``argv``. ``command_modules`` narrows the parser to fewer
    commands (the window's start builds only its own: the others import the whole model)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # The language must be known before the parser's help texts are built.
    if "--lang" in argv:
        try:
            set_language(normalize_language(argv[argv.index("--lang") + 1]))
        except (IndexError, ValueError):
            pass
    parser = build_parser(extra_modules, command_modules)
    args = parser.parse_args(argv)
    if args.self_test:
        from app.selftest import run_self_test

        return run_self_test()
    if args.command is None and extra_modules:
        args = parser.parse_args([*argv, "gui"])
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_usage(sys.stderr)
        return EXIT_USAGE
    return run_handler(handler, args)


if __name__ == "__main__":
    sys.exit(main())
