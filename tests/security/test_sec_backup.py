"""Backups that restore: round trips, consistency under writes, refusals, rotation."""

from __future__ import annotations

import json
import shutil
import threading
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command

from app.db import backup as backups
from app.db import migrate
from app.db.register import (
    DamagedRegisterError,
    Register,
    RegisterInUseError,
    db_path,
    finish_pending_restore,
)
from app.errors import AuthError, PermissionDenied
from app.services import audit
from app.services.persons import persons
from tests.conftest import PASSWORD
from tests.security.conftest import ASSISTANT_PASSWORD


def _person(reg, surname, **over):
    values = dict(surname=surname, given_name="Zaxira", birth_date="03.03.1983", sex="m")
    values.update(over)
    return persons.create(reg, **values)


def _surnames(reg):
    return sorted(p.surname for p in persons.list(reg))


def _yes(info):
    return True


def test_backup_then_restore_gives_back_the_register_as_it_was(boss, staff_dir, tmp_path):
    kept = _person(boss, "Saqlanov")
    info = backups.backup(boss, tmp_path / "copy.tbak")
    assert info.reason == "manual" and info.schema == migrate.head_revision()
    assert info.stronghold_code == boss.stronghold_code
    persons.update(boss, kept.id, notes="after the backup")
    _person(boss, "Keyinroqov")
    boss.close()

    reg = backups.restore(staff_dir, tmp_path / "copy.tbak", "inspector", PASSWORD, confirm=_yes)
    try:
        assert _surnames(reg) == ["Saqlanov"]
        assert persons.get(reg, kept.id).notes == ""
        assert reg.integrity_check() == []
        with reg.reading() as s:
            assert audit.verify_chain(s) == []
        restored = audit.query_entries(reg, audit.AuditFilter(actions=("restore",)))
        assert restored[0].details["backup_reason"] == "manual"
        previous = restored[0].details["pre_restore_backup"]
    finally:
        reg.close()
    # The register it replaced was backed up first, and that backup restores too.
    pre = backups.backup_folder(staff_dir) / previous
    again = backups.restore(staff_dir, pre, "inspector", PASSWORD, confirm=_yes)
    assert _surnames(again) == ["Keyinroqov", "Saqlanov"]
    again.close()


def test_a_backup_taken_while_another_connection_writes_is_consistent(boss, tmp_path):
    stop = threading.Event()
    written = []

    def writer():
        while not stop.is_set():
            written.append(_person(boss, f"Yozuvchi{len(written)}").id)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 3:
            pass
        outs = [backups.write_backup(boss, tmp_path / f"live{i}.tbak") for i in range(2)]
    finally:
        stop.set()
        thread.join()
    for i, info in enumerate(outs):
        target = tmp_path / f"restored{i}"
        reg = backups.restore(target, info.path, "inspector", PASSWORD, confirm=_yes)
        n = persons.count(reg)
        with reg.reading() as s:
            assert audit.verify_chain(s) == []
            creates = audit.count(s)
        assert reg.integrity_check() == []
        assert 3 <= n <= len(written)
        assert creates > n
        reg.close()


def test_declining_the_question_changes_nothing(boss, staff_dir, tmp_path):
    info = backups.backup(boss, tmp_path / "copy.tbak")
    _person(boss, "Qolmoqov")
    boss.checkpoint()
    before = db_path(staff_dir).read_bytes()
    asked = []
    with pytest.raises(backups.RestoreCancelled):
        backups.restore(
            staff_dir,
            info.path,
            "inspector",
            PASSWORD,
            confirm=lambda i: asked.append(i) or False,
            current=boss,
        )
    assert asked[0].created_at == info.created_at
    assert db_path(staff_dir).read_bytes() == before
    assert backups.list_backups(backups.backup_folder(staff_dir)) == []
    assert _surnames(boss) == ["Qolmoqov"]  # the window's register still works


def test_restore_refuses_a_wrong_password_an_assistant_and_an_altered_file(
    boss, staff_dir, tmp_path
):
    info = backups.backup(boss, tmp_path / "copy.tbak")
    boss.close()
    before = db_path(staff_dir).read_bytes()
    with pytest.raises(AuthError):
        backups.restore(staff_dir, info.path, "inspector", "wrong", confirm=_yes)
    with pytest.raises(PermissionDenied):
        backups.restore(staff_dir, info.path, "yordamchi", ASSISTANT_PASSWORD, confirm=_yes)
    raw = bytearray(info.path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    bad = tmp_path / "bad.tbak"
    bad.write_bytes(bytes(raw))
    with pytest.raises(backups.BackupFileError):
        backups.restore(staff_dir, bad, "inspector", PASSWORD, confirm=_yes)
    not_zip = tmp_path / "notes.tbak"
    not_zip.write_text("hello")
    with pytest.raises(backups.BackupFileError) as err:
        backups.restore(staff_dir, not_zip, "inspector", PASSWORD, confirm=_yes)
    assert "not a Tayanch backup" in err.value.message("en")
    assert db_path(staff_dir).read_bytes() == before
    assert not list(staff_dir.glob(".restore-*"))


def test_restore_waits_for_other_windows_to_close(boss, staff_dir, tmp_path):
    info = backups.backup(boss, tmp_path / "copy.tbak")
    other = Register.open(staff_dir, "yordamchi", ASSISTANT_PASSWORD)
    try:
        with pytest.raises(RegisterInUseError):
            backups.restore(staff_dir, info.path, "inspector", PASSWORD, confirm=_yes, current=boss)
        assert _surnames(boss) == []  # the caller's register was given back its lock
    finally:
        other.close()
    reg = backups.restore(staff_dir, info.path, "inspector", PASSWORD, confirm=_yes, current=boss)
    reg.close()


def test_a_restore_cut_short_after_staging_is_finished_at_the_next_start(boss, staff_dir, tmp_path):
    _person(boss, "Tiklanov")
    info = backups.backup(boss, tmp_path / "copy.tbak")
    _person(boss, "Yoqolov")
    boss.close()
    # The state a crash between the marker and the moves leaves behind.
    with zipfile.ZipFile(info.path) as zf:
        (staff_dir / "register.db.restored").write_bytes(zf.read("register.db"))
        (staff_dir / "keys.json.restored").write_bytes(zf.read("keys.json"))
    (staff_dir / "restore.pending").write_text("restore\n")
    reg = Register.open(staff_dir, "inspector", PASSWORD)
    assert _surnames(reg) == ["Tiklanov"]
    reg.close()
    assert not (staff_dir / "restore.pending").exists()
    # Staged files without the marker are an unfinished staging: thrown away.
    (staff_dir / "register.db.restored").write_bytes(b"half")
    assert finish_pending_restore(staff_dir) is False
    assert not (staff_dir / "register.db.restored").exists()


def test_a_backup_restores_into_an_empty_folder_on_another_computer(boss, tmp_path):
    _person(boss, "Kochmanov")
    info = backups.backup(boss, tmp_path / "stick" / "copy.tbak")
    reg = backups.restore(tmp_path / "new-pc", info.path, "inspector", PASSWORD, confirm=_yes)
    assert _surnames(reg) == ["Kochmanov"]
    reg.close()


def test_a_damaged_register_names_the_latest_good_backup(boss, staff_dir, tmp_path):
    _person(boss, "Buzilov")
    older = backups.daily_if_due(boss, now=datetime.now(UTC) - timedelta(days=1))
    newest = backups.daily_if_due(boss)
    assert older and newest and backups.daily_if_due(boss) is None
    boss.close()
    # A bit flipped in the newest backup makes it fail its checksum: the older is offered.
    raw = bytearray(newest.path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    newest.path.write_bytes(bytes(raw))
    path = db_path(staff_dir)
    data = bytearray(path.read_bytes())
    page = 4096
    data[3 * page : 4 * page] = bytes(page)  # a page in the middle, not the header
    path.write_bytes(bytes(data))
    with pytest.raises(DamagedRegisterError) as err:
        Register.open(staff_dir, "inspector", PASSWORD)
    assert err.value.backup is not None and err.value.backup.path == older.path
    assert str(older.path) in err.value.message("en")
    reg = backups.restore(staff_dir, err.value.backup.path, "inspector", PASSWORD, confirm=_yes)
    assert _surnames(reg) == ["Buzilov"]
    reg.close()


def test_automatic_backups_go_to_the_chosen_folder(boss, tmp_path):
    stick = tmp_path / "stick" / "Tayanch"
    backups.set_backup_folder(boss, stick)
    info = backups.daily_if_due(boss)
    assert info.path.parent == stick.resolve()
    assert backups.latest_good_backup(boss.data_dir).path == info.path
    shutil.rmtree(tmp_path / "stick")
    (tmp_path / "stick").write_text("the stick is gone; a file sits where it was")
    fallback = backups.daily_if_due(boss)
    assert fallback.path.parent == backups.default_folder(boss.data_dir)


def test_a_migration_is_preceded_by_a_backup(boss, staff_dir):
    with boss.engine.begin() as conn:
        cfg = migrate.alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    boss.close()
    reg = Register.open(staff_dir, "inspector", PASSWORD)
    reg.close()
    found = backups.list_backups(backups.backup_folder(staff_dir))
    assert [b.reason for b in found] == ["pre-migration"]
    assert found[0].schema == "0003"


# --- rotation ---------------------------------------------------------------------------------


def test_rotation_keeps_seven_days_then_four_weeks():
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    times = [start + timedelta(days=d, hours=h) for d in range(60) for h in (0, 3)]
    kept = sorted(times[i] for i in backups.keep_daily_weekly(times))
    assert len(kept) == 11
    days = [t.date() for t in kept]
    assert days[-7:] == [(start + timedelta(days=d)).date() for d in range(53, 60)]
    assert all(t.hour == 15 for t in kept[-7:])  # the newest of each day
    weeks = [d.isocalendar()[1] for d in days[:4]]
    assert len(set(weeks)) == 4 and weeks == sorted(weeks)


def _fake_copy(info, folder, reason, created):
    """A copy of a real backup with another date and reason in its manifest."""
    target = folder / f"{reason}-{created:%Y%m%d%H%M}.tbak"
    with zipfile.ZipFile(info.path) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "manifest.json":
                m = json.loads(data)
                m.update(reason=reason, created_at=created.isoformat())
                data = json.dumps(m).encode()
            dst.writestr(item, data)
    return target


def test_rotate_deletes_old_automatic_backups_and_never_a_manual_one(boss, tmp_path):
    folder = tmp_path / "b"
    folder.mkdir()
    seed = backups.write_backup(boss, tmp_path / "seed.tbak")
    now = datetime.now(UTC)
    for d in range(40):
        _fake_copy(seed, folder, "daily", now - timedelta(days=d))
    for d in range(8):
        _fake_copy(seed, folder, "pre-restore", now - timedelta(days=d, hours=1))
    manual = _fake_copy(seed, folder, "manual", now - timedelta(days=300))
    removed = backups.rotate(folder)
    left = backups.list_backups(folder)
    assert len(removed) == 40 - 11 + 8 - 5
    assert sum(b.reason == "daily" for b in left) == 11
    assert sum(b.reason == "pre-restore" for b in left) == 5
    assert manual.exists()
