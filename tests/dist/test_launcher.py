"""The frozen entry point: the windowed Windows program has no console, and must not crash.

With ``console=False`` Windows gives the program no standard streams (``sys.stdout`` is
None), so the first ``print`` anywhere would kill it. The launcher routes that output into
the user's log folder, where support staff can read it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"),
               LOCALAPPDATA=str(tmp_path / "local"))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=60)


def test_windowed_program_output_goes_to_the_log_folder(tmp_path):
    code = (
        "import sys\n"
        "sys.path.insert(0, 'packaging')\n"
        "sys.stdout = None\n"
        "sys.stderr = None\n"
        "import tayanch_main\n"
        "tayanch_main._give_windowed_program_streams()\n"
        "print('hello from a windowed program')\n"
        "from app.paths import log_dir\n"
        "sys.stdout.flush()\n"
        "sys.__stderr__.write(str(log_dir()))\n"
    )
    run = _run(code, tmp_path)
    assert run.returncode == 0, run.stderr
    log_file = Path(run.stderr.strip()) / "tayanch-output.txt"
    assert tmp_path in log_file.parents  # the user's folder, not the program's
    assert "hello from a windowed program" in log_file.read_text("utf-8")


def test_console_program_keeps_its_streams(tmp_path):
    code = (
        "import sys\n"
        "sys.path.insert(0, 'packaging')\n"
        "import tayanch_main\n"
        "tayanch_main._give_windowed_program_streams()\n"
        "print('to the terminal')\n"
    )
    run = _run(code, tmp_path)
    assert run.stdout == "to the terminal\n"
    assert not list(tmp_path.rglob("tayanch-output.txt"))


def test_launcher_runs_the_command_line(tmp_path):
    run = subprocess.run([sys.executable, "packaging/tayanch_main.py", "--version"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    from app import __version__

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"tayanch {__version__}"
