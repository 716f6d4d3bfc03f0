"""Every file name we ship or write must be one Windows accepts, and stay unique there.

Windows refuses ``<>:"/\\|?*`` and control characters, names ending in a dot or a space,
and the device names (CON, NUL, COM1...) even with an extension; its file systems ignore
case, so two shipped files differing only in case would overwrite each other when the
bundle is unpacked. A colon from a time stamp is the classic slip.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("app", "ui", "resources", "translations", "packaging")
FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
           *(f"LPT{i}" for i in range(1, 10))}


def windows_name_problem(name: str) -> str | None:
    """Why Windows would refuse ``name`` (one path component), or None if it is fine."""
    if not name:
        return "empty name"
    bad = FORBIDDEN.search(name)
    if bad:
        return f"contains {bad.group()!r}"
    if name[-1] in ". ":
        return "ends in a dot or a space"
    if name.split(".")[0].upper().rstrip() in DEVICES:
        return "is a reserved device name"
    if len(name) > 255:
        return "is longer than 255 characters"
    return None


@pytest.mark.parametrize(
    ("name", "ok"),
    [("tayanch-20261127-1430.sync", True), ("visit 12:30.pdf", False), ("CON.pdf", False),
     ("aux", False), ("act.", False), ("a|b.pdf", False), ("TP-0123/2026-00001.pdf", False),
     ("Tashrif dalolatnomasi TP-0123-2026-00001.pdf", True), ("Қодиров.pdf", True)],
)
def test_the_rule_itself(name, ok):
    assert (windows_name_problem(name) is None) is ok


def _shipped_files() -> list[Path]:
    files = []
    for top in SHIPPED:
        for path in (ROOT / top).rglob("*"):
            if "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            files.append(path)
    return files


def test_every_shipped_file_name_is_valid_on_windows():
    problems = []
    for path in _shipped_files():
        problem = windows_name_problem(path.name)
        if problem:
            problems.append(f"{path.relative_to(ROOT)}: {problem}")
    assert problems == []


def test_no_two_shipped_files_differ_only_in_case():
    seen: dict[str, Path] = {}
    clashes = []
    for path in _shipped_files():
        key = str(path.relative_to(ROOT)).lower()
        if key in seen:
            clashes.append(f"{seen[key].relative_to(ROOT)} / {path.relative_to(ROOT)}")
        seen[key] = path
    assert clashes == []


def test_the_built_bundle_if_any_is_valid_on_windows():
    """When `make dist` has run, check what it really produced (not only the sources)."""
    bundle = ROOT / "dist" / "tayanch"
    if not bundle.is_dir():
        pytest.skip("no dist/tayanch here: run `make dist` to check the built bundle too")
    problems, seen = [], {}
    for path in bundle.rglob("*"):
        problem = windows_name_problem(path.name)
        if problem:
            problems.append(f"{path.relative_to(bundle)}: {problem}")
        key = str(path.relative_to(bundle)).lower()
        if key in seen:
            problems.append(f"{path.relative_to(bundle)}: clashes in case with {seen[key]}")
        seen[key] = path.relative_to(bundle)
    assert problems == []


def test_register_folder_names_are_valid_on_windows():
    from app.db import register

    names = [value for key, value in vars(register).items()
             if key.isupper() and key.endswith(("_FILE", "_DIR", "_MARKER", "_SUFFIX"))
             and isinstance(value, str)]
    assert "register.db" in names
    assert {n: windows_name_problem(n.lstrip(".")) for n in names} == dict.fromkeys(names)


@pytest.mark.parametrize("reason", ["daily", "pre-migration", "pre-restore", "manual"])
def test_backup_names_are_valid_on_windows(tmp_path, reason):
    from app.db.backup import auto_name

    # 23:59:59 local: every field of the stamp at its widest
    name = auto_name(tmp_path, reason, datetime(2026, 11, 27, 18, 59, 59, tzinfo=UTC)).name
    assert windows_name_problem(name) is None, name


def test_usb_bundle_name_is_valid_on_windows(reg):
    service = pytest.importorskip("app.sync.service")
    name = service.default_bundle_name(reg)
    assert reg.stronghold_code in name
    assert windows_name_problem(name) is None, name

