"""A full disk and a read-only folder: refused with a sentence, the register stays whole.

The disk is a real small tmpfs when the tests run as root and mounting works (as in CI's
container); otherwise those tests skip and the file-size-limit test
(``RLIMIT_FSIZE`` in a subprocess, which needs no privilege) still covers a write the
disk refuses.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.cli import main
from app.db import backup as backups
from app.db.keys import ReadOnlyStorageError, StorageFullError, StorageIOError
from app.db.register import Register
from app.i18n import current_language, set_language
from app.services import audit
from app.services.persons import persons
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def _mount(point: Path, size: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    point.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], capture_output=True
    )
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    point = tmp_path / "disk"
    if not _mount(point, "3m"):
        pytest.skip("cannot mount a tmpfs here (needs root); see the RLIMIT_FSIZE test")
    yield point
    subprocess.run(["umount", "-l", str(point)], capture_output=True)


def _fill(disk: Path, leave: int) -> Path:
    """Fill the disk, then give back ``leave`` bytes."""
    filler = disk / "filler.bin"
    with open(filler, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    with open(filler, "r+b") as fh:
        fh.truncate(max(0, filler.stat().st_size - leave))
    return filler


def _create_until_refused(reg, limit=2000):
    saved = 0
    for i in range(limit):
        try:
            persons.create(
                reg,
                surname=f"Toʻlov{i}",
                given_name="Disk",
                birth_date="04.04.1984",
                sex="f",
                notes="x" * 2000,
            )
        except (StorageFullError, StorageIOError) as err:
            return saved, err
        saved += 1
    raise AssertionError("the disk never filled up")


def test_a_full_disk_refuses_the_write_and_the_register_stays_whole(staff_dir, small_disk):
    folder = small_disk / "register"
    shutil.copytree(staff_dir, folder)
    reg = Register.open(folder, "inspector", PASSWORD)
    filler = _fill(small_disk, leave=256 * 1024)
    saved, err = _create_until_refused(reg)
    assert isinstance(err, StorageFullError) and saved > 0
    assert "disk is full" in err.message("en") and "nothing was saved" in err.message("en")
    assert persons.count(reg) == saved  # the refused one left nothing behind
    with pytest.raises(StorageFullError):
        backups.backup(reg, small_disk / "copy.tbak")
    assert not (small_disk / "copy.tbak").exists()
    assert not list(small_disk.glob(".tayanch-backup-*"))
    reg.close()
    # Still opens on the full disk (reading works; the login is audited later).
    reg = Register.open(folder, "inspector", PASSWORD)
    assert persons.count(reg) == saved and reg.integrity_check() == []
    reg.close()
    filler.unlink()
    reg = Register.open(folder, "inspector", PASSWORD)
    persons.create(reg, surname="Boʻshov", given_name="Joy", birth_date="05.05.1985", sex="m")
    assert persons.count(reg) == saved + 1
    with reg.reading() as s:
        assert audit.verify_chain(s) == []
    reg.close()


def test_a_read_only_folder_is_refused_with_a_sentence(staff_dir, small_disk, monkeypatch, capsys):
    folder = small_disk / "register"
    shutil.copytree(staff_dir, folder)
    Register.open(folder, "inspector", PASSWORD).close()
    before = (folder / "register.db").read_bytes()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        with pytest.raises(ReadOnlyStorageError) as err:
            Register.open(folder, "inspector", PASSWORD)
        assert "read-only" in err.value.message("en") and str(folder) in err.value.message("en")
        monkeypatch.setenv("TAYANCH_PASSWORD", PASSWORD)
        monkeypatch.setenv("TAYANCH_USER", "inspector")
        language = current_language()
        code = main(["--lang", "en", "--data-dir", str(folder), "list", "persons"])
        set_language(language)
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == 1 and len(lines) == 1 and "read-only" in lines[0], err
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert (folder / "register.db").read_bytes() == before


WRITER = textwrap.dedent(
    """
    import json, os, resource, signal, sys
    from pathlib import Path
    from app.db.register import Register
    from app.services.persons import persons
    from app.db.keys import StorageFullError, StorageIOError

    folder = Path(sys.argv[1])
    reg = Register.open(folder, "inspector", sys.argv[2])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
    biggest = max(p.stat().st_size for p in folder.iterdir() if p.is_file())
    resource.setrlimit(resource.RLIMIT_FSIZE, (biggest + 100_000, resource.RLIM_INFINITY))
    saved, error = 0, None
    for i in range(5000):
        try:
            persons.create(reg, surname=f"Chegara{i}", given_name="Fayl",
                           birth_date="06.06.1986", sex="m", notes="y" * 2000)
            saved += 1
        except (StorageFullError, StorageIOError) as err:
            error = [type(err).__name__, err.message("en")]
            break
    print(json.dumps({"saved": saved, "error": error, "count": persons.count(reg)}))
    """
)


def test_a_write_past_the_file_size_limit_is_refused_cleanly(staff_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAYANCH_")}
    out = subprocess.run(
        [sys.executable, "-c", WRITER, str(staff_dir), PASSWORD],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["error"] is not None, "the limit was never reached"
    assert result["error"][0] in ("StorageFullError", "StorageIOError")
    assert "nothing was saved" in result["error"][1]
    assert result["count"] == result["saved"] > 0
    reg = Register.open(staff_dir, "inspector", PASSWORD)
    assert persons.count(reg) == result["saved"]
    assert reg.integrity_check() == []
    with reg.reading() as s:
        assert audit.verify_chain(s) == []
    reg.close()


def test_a_session_cut_off_by_a_crash_is_noticed_and_fully_checked(staff_dir):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process id that no longer runs, like a killed window's
    (staff_dir / f".session-{gone.pid}-abc").write_text("")
    reg = Register.open(staff_dir, "inspector", PASSWORD)
    assert reg.unclean_shutdown
    assert not (staff_dir / f".session-{gone.pid}-abc").exists()
    second = Register.open(staff_dir, "yordamchi", "assistant pw 1")
    assert not second.unclean_shutdown  # a window still open is not a crash
    second.close()
    reg.close()
    assert not list(staff_dir.glob(".session-*"))
    again = Register.open(staff_dir, "inspector", PASSWORD)
    assert not again.unclean_shutdown
    again.close()
