"""The frozen program's entry point: PyInstaller runs this file as ``__main__``.

The same as the ``tayanch`` console script (ui.cli.main), plus what only a frozen
program needs:
- ``multiprocessing.freeze_support()``, without which any child process started by a
  library on Windows would run the whole program again instead of its task;
- in the windowed Windows/macOS executable there is no console, so ``sys.stdout`` and
  ``sys.stderr`` are None and the first ``print`` would crash the program. Their output
  goes to ``tayanch-output.txt`` in the user's log folder instead (never inside the
  bundle, which may be read-only under Program Files), where support staff can find it.
"""

from __future__ import annotations

import multiprocessing
import sys


def _give_windowed_program_streams() -> None:
    if sys.stdout is not None and sys.stderr is not None:
        return
    from app.paths import log_dir

    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stream = open(folder / "tayanch-output.txt", "a", encoding="utf-8", buffering=1)  # noqa: SIM115
    except OSError:
        import os

        stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if sys.stdout is None:
        sys.stdout = stream
    if sys.stderr is None:
        sys.stderr = stream


def main() -> int:
    multiprocessing.freeze_support()
    _give_windowed_program_streams()
    from ui.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
