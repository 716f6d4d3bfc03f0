"""The installed bundle's figures: its size, and how fast it starts beside the venv.

    .venv/bin/python bench/dist_bench.py [--bundle dist/tayanch] [--runs 3]

Prints ``name: value unit`` lines. Start to usable window is timed from launching the
process to the main window's ``ready`` signal (its first screen has its data), through
``--self-test`` limited to the window check, offscreen: that check creates a throwaway
register first, and the Argon2 cost of creating it (which a real start replaces by the
login) is measured inside the process and subtracted. The same command runs from the
venv for comparison. Build the bundle first (`make dist`); without one, only the venv's
figures are printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WINDOW_LINE = re.compile(r"^window: (?P<status>\S+(?: present)?)(?: - (?P<detail>.*))? \(\d+ ms\)$")
REGISTER_MS = re.compile(r"\(register (\d+) ms\)")
BUNDLE_LIMIT_MB = 150


def _executable(bundle: Path) -> Path:
    name = "tayanch-cli.exe" if os.name == "nt" else "tayanch"
    return bundle / name


def folder_size(folder: Path) -> tuple[int, int]:
    """Bytes as `du -sb` counts them (every entry's own size: files, folders, symlinks,
    which is how the 150 MB target is measured), and the number of files."""
    total, count = folder.lstat().st_size, 0
    for path in folder.rglob("*"):
        total += path.lstat().st_size
        if path.is_file() and not path.is_symlink():
            count += 1
    return total, count


def time_to_window(command: list[str]) -> float:
    """Seconds from launch to a usable main window, without the register's creation."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TAYANCH_SELFTEST_ONLY="window")
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    assert proc.stdout is not None
    seen = None
    for line in proc.stdout:
        m = WINDOW_LINE.match(line.strip())
        if m:
            seen = time.perf_counter() - started, m
            break
    rest, err = proc.communicate(timeout=120)
    if seen is None:
        raise SystemExit(f"{command[0]}: no window line\n{rest}\n{err}")
    elapsed, m = seen
    if m["status"] != "ok":
        raise SystemExit(f"{command[0]}: window check {m['status']}: {m['detail']}")
    register = REGISTER_MS.search(m["detail"] or "")
    return elapsed - (int(register.group(1)) / 1000 if register else 0.0)


def time_to_exit(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, cwd=ROOT, timeout=120)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "tayanch")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    print(
        f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    venv = [sys.executable, "-m", "app.cli"]
    commands = {"venv": venv}
    exe = _executable(args.bundle)
    if exe.exists():
        size, count = folder_size(args.bundle)
        print(f"bundle_size: {size / 1e6:.1f} MB")
        print(f"bundle_files: {count} files")
        print(
            f"bundle_size_within_target: {'yes' if size / 1e6 <= BUNDLE_LIMIT_MB else 'no'} "
            f"(<= {BUNDLE_LIMIT_MB} MB)"
        )
        commands["frozen"] = [str(exe)]
    else:
        print(f"bundle: not built ({exe} missing; run `make dist`)")

    for name, command in commands.items():
        version = [time_to_exit([*command, "--version"]) for _ in range(args.runs)]
        print(f"{name}_start_to_version_exit: {statistics.median(version) * 1000:.0f} ms")
        window = [time_to_window([*command, "--self-test"]) for _ in range(args.runs)]
        print(
            f"{name}_start_to_usable_window: {statistics.median(window) * 1000:.0f} ms "
            f"(median of {args.runs}, offscreen, register creation excluded)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
