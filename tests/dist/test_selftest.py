"""`tayanch --self-test` passes here, and fails when something the bundle needs is missing.

The frozen program finds its files through ``sys._MEIPASS``; a subprocess that sets it to
a copy of the shipped files reproduces that lookup without a build, so a missing font or
catalog can be shown to fail the self-test the way it would in a broken bundle.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from app.selftest import CHECKS, run_self_test

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^(?P<name>[a-z ]+): (?P<status>ok|FAILED|not present)( - .*)? \(\d+ ms\)$")


def _lines(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            found[m["name"]] = m["status"]
    return found


def test_self_test_passes_in_process(tmp_path, monkeypatch):
    monkeypatch.setenv("TAYANCH_DATA_DIR", str(tmp_path / "user-data"))
    out = io.StringIO()
    code = run_self_test(out=out)
    text = out.getvalue()
    statuses = _lines(text)
    assert code == 0, text
    assert set(statuses) == {c.name for c in CHECKS} | {"bundle untouched"}, text
    assert "FAILED" not in statuses.values()
    # what exists today must really be checked, not skipped
    for name in ("resources", "register", "records", "documents", "catalogs"):
        assert statuses[name] == "ok", text
    assert text.isascii()  # readable from any Windows console code page
    assert re.search(r"^self-test passed \(\d+ checks", text, re.M)
    # nothing was left in the user's data folder
    assert not (tmp_path / "user-data").exists()


def _fake_bundle(tmp_path: Path) -> Path:
    """What build.spec puts in _internal that resource_path() reads: resources/ and .mo."""
    internal = tmp_path / "_internal"
    shutil.copytree(ROOT / "resources", internal / "resources")
    shutil.copytree(ROOT / "translations", internal / "translations",
                    ignore=shutil.ignore_patterns("*.po", "*.pot", "*.py", "*.cfg"))
    return internal


def _run_as_frozen(internal: Path, checks: str) -> subprocess.CompletedProcess:
    code = (
        "import sys\n"
        f"sys._MEIPASS = {str(internal)!r}\n"
        "from app.selftest import run_self_test\n"
        f"sys.exit(run_self_test({checks.split(',')!r}))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def test_self_test_finds_everything_through_the_frozen_lookup(tmp_path):
    internal = _fake_bundle(tmp_path)
    run = _run_as_frozen(internal, "resources,catalogs")
    assert run.returncode == 0, run.stdout + run.stderr
    assert str(internal) in run.stdout  # fonts, icons and catalogs came from the "bundle"
    assert _lines(run.stdout) == {"resources": "ok", "catalogs": "ok", "bundle untouched": "ok"}


def test_self_test_fails_when_a_font_is_left_out_of_the_bundle(tmp_path):
    internal = _fake_bundle(tmp_path)
    (internal / "resources" / "fonts" / "DejaVuSerif-Bold.ttf").unlink()
    run = _run_as_frozen(internal, "resources,documents")
    assert run.returncode == 1, run.stdout + run.stderr
    statuses = _lines(run.stdout)
    assert statuses["resources"] == "FAILED"
    assert "DejaVuSerif-Bold.ttf" in run.stdout
    assert re.search(r"^self-test FAILED: resources", run.stdout, re.M)


def test_self_test_fails_when_a_catalog_is_left_out_of_the_bundle(tmp_path):
    internal = _fake_bundle(tmp_path)
    (internal / "translations" / "uz_Cyrl" / "LC_MESSAGES" / "tayanch.mo").unlink()
    run = _run_as_frozen(internal, "catalogs")
    assert run.returncode == 1, run.stdout + run.stderr
    assert _lines(run.stdout)["catalogs"] == "FAILED"
    assert "uz-Cyrl" in run.stdout


def test_the_command_line_runs_it(tmp_path):
    """`tayanch --self-test` is the door CI uses; TAYANCH_SELFTEST_ONLY narrows it."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TAYANCH_SELFTEST_ONLY="catalogs",
               TAYANCH_DATA_DIR=str(tmp_path))
    run = subprocess.run([sys.executable, "-m", "app.cli", "--self-test"], capture_output=True,
                         text=True, cwd=ROOT, env=env, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert set(_lines(run.stdout)) == {"catalogs", "bundle untouched"}
