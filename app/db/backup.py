"""Backups that restore: consistent copies of the register, its keys, and their rotation.

A backup is one zip file (``.tbak``, stored without compression: the content is already
encrypted) holding ``register.db`` (SQLCipher, the same key as the register), ``keys.json``
(only wrapped keys, so a restored register opens with the same passwords and recovery
key) and ``manifest.json`` (format, time, reason, schema, SHA-256 of each member; no
personal data). Nothing in it is readable without a password or the recovery key.

The copy is taken with ``VACUUM INTO`` on a keyed connection: one read transaction, so it
is consistent while the window keeps writing, and compact. It is checked (quick_check)
before it is zipped, written to a temporary name and renamed, so a full disk or a crash
never leaves a half backup under a real name.

Automatic backups (daily, before a migration, before a restore) go to a folder the user
may choose (a second disk or a stick), recorded in ``backup.json`` beside the register:
outside the database, so a damaged register still finds its backups. Daily ones are
rotated: the newest of each of the last 7 days that have one, then the newest of each of
4 older weeks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlmodel import Session, select

from app import __version__
from app.db import migrate
from app.db.engine import connect_raw, make_engine
from app.db.keys import (
    KEY_FILE,
    KeyStore,
    LoginGuard,
    StorageIOError,
    storage_error,
    write_atomically,
)
from app.db.register import (
    BACKUP_DIR,
    DB_FILE,
    RESTORE_MARKER,
    STAGED_SUFFIX,
    DamagedRegisterError,
    FolderLock,
    Register,
    RegisterInUseError,
    db_path,
    finish_pending_restore,
    register_exists,
    remove_leftovers,
    sqlite_storage_error,
)
from app.domain.base import TASHKENT, utcnow
from app.domain.local import LocalState
from app.domain.stronghold import StaffUser
from app.errors import AuthError, PermissionDenied, SchemaTooNewError, TayanchError
from app.i18n import N_

log = logging.getLogger(__name__)

SUFFIX = ".tbak"
FORMAT = 1
MANIFEST = "manifest.json"
SETTINGS_FILE = "backup.json"
KEEP_DAILY = 7
KEEP_WEEKLY = 4
KEEP_OTHER = 5  # pre-migration and pre-restore copies, each
AUTO_REASONS = ("daily", "pre-migration", "pre-restore")
RESTORE_LOCK_WAIT = 1.0  # seconds for another window to let go before restore refuses

Progress = Callable[[int, int], None]


class BackupFileError(TayanchError):
    code = "bad_backup"
    template = N_(
        "The file {path} is not a Tayanch backup or it is damaged. Choose another backup "
        "(the automatic ones are in the backup folder)."
    )


class BackupWriteError(TayanchError):
    code = "backup_write"
    template = N_(
        "The backup could not be written to {path} ({reason}). Choose another folder or disk."
    )


class BackupRefusedError(TayanchError):
    code = "backup_refused"
    template = N_(
        "The backup {path} fails its checks ({problem}), so it was not restored. "
        "Choose an older backup."
    )


class RestoreCancelled(TayanchError):
    code = "cancelled"
    template = N_("Restore cancelled; nothing was changed.")


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created_at: datetime  # aware UTC
    reason: str  # manual | daily | pre-migration | pre-restore
    stronghold_code: str
    device_id: str
    schema: str | None
    app_version: str
    size: int
    method: str  # "online": checked copy; "files": raw copy of a register that was closed


# --- where backups go ------------------------------------------------------------------------


def default_folder(data_dir: Path) -> Path:
    return Path(data_dir) / BACKUP_DIR


def backup_folder(data_dir: Path) -> Path:
    """The folder chosen for automatic backups on this computer (default: beside the data)."""
    try:
        data = json.loads((Path(data_dir) / SETTINGS_FILE).read_text("utf-8"))
        if isinstance(data.get("folder"), str) and data["folder"]:
            return Path(data["folder"])
    except (OSError, ValueError):
        pass
    return default_folder(data_dir)


def set_backup_folder(reg: Register, folder: Path | None) -> Path:
    """Choose where automatic backups go (None: back to the default); it must be writable."""
    from app.services.base import require_permission

    require_permission(reg, "backup")
    target = Path(folder) if folder else default_folder(reg.data_dir)
    try:
        target.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=target, prefix=".probe-", delete=True)
        probe.close()
    except OSError as exc:
        raise (storage_error(exc, target) or StorageIOError(path=str(target))) from exc
    value = {"folder": str(target.resolve())} if folder else {}
    write_atomically(reg.data_dir / SETTINGS_FILE, json.dumps(value).encode("utf-8"))
    return target


def _usable_folder(data_dir: Path) -> Path:
    """The chosen folder, or the default one when the chosen disk or stick is absent."""
    chosen = backup_folder(data_dir)
    try:
        chosen.mkdir(parents=True, exist_ok=True)
        return chosen
    except OSError:
        log.warning("backup folder unavailable; using the default one")
        return default_folder(data_dir)


def auto_name(folder: Path, reason: str, now: datetime | None = None) -> Path:
    stamp = (now or utcnow()).astimezone(TASHKENT).strftime("%Y%m%d-%H%M%S")
    path = folder / f"tayanch-{stamp}-{reason}{SUFFIX}"
    n = 2
    while path.exists():
        path = folder / f"tayanch-{stamp}-{reason}-{n}{SUFFIX}"
        n += 1
    return path


# --- writing ---------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _keyed(path: Path, key: bytes) -> sqlcipher3.Connection:
    """A keyed connection that leaves the file's journal mode alone (for copies)."""
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    return conn


def _facts(conn: sqlcipher3.Connection) -> dict[str, Any]:
    """Schema revision, stronghold and device of a keyed database (no personal data)."""

    def one(sql: str, *args: Any) -> Any:
        try:
            row = conn.execute(sql, args).fetchone()
        except sqlcipher3.Error:
            return None
        return row[0] if row else None

    return {
        "schema": one("SELECT version_num FROM alembic_version"),
        "stronghold_code": one("SELECT value FROM local_state WHERE key = ?", "stronghold_code")
        or "",
        "device_id": one("SELECT value FROM local_state WHERE key = ?", "device_id") or "",
    }


def _zip(
    out: Path,
    workdir: Path,
    members: dict[str, Path],
    manifest: dict[str, Any],
) -> BackupInfo:
    manifest = dict(manifest, files={name: _sha256_file(p) for name, p in members.items()})
    tmp_zip = workdir / "backup.zip"
    with zipfile.ZipFile(tmp_zip, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
        for name, p in members.items():
            zf.write(p, name)
    with open(tmp_zip, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp_zip, out)
    return _info(out, manifest)


def _write(
    out: Path,
    build: Callable[[Path], tuple[dict[str, Path], dict[str, Any]]],
) -> BackupInfo:
    """Run ``build`` in a scratch folder beside ``out``, zip its files, rename into place."""
    out = Path(out)
    workdir: Path | None = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix=".tayanch-backup-", dir=out.parent))
        members, manifest = build(workdir)
        return _zip(out, workdir, members, manifest)
    except OSError as exc:
        typed = storage_error(exc, out.parent) or BackupWriteError(
            path=str(out), reason=exc.strerror or type(exc).__name__
        )
        raise typed from exc
    except sqlcipher3.Error as exc:
        raise (sqlite_storage_error(exc, out.parent) or exc) from exc
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def _online(
    source: sqlcipher3.Connection,
    key: bytes,
    data_dir: Path,
    out: Path,
    reason: str,
    now: datetime | None = None,
) -> BackupInfo:
    def build(workdir: Path) -> tuple[dict[str, Path], dict[str, Any]]:
        copy = workdir / DB_FILE
        source.execute("VACUUM INTO ?", (str(copy),))
        check = _keyed(copy, key)
        try:
            result = [r[0] for r in check.execute("PRAGMA quick_check").fetchall()]
            facts = _facts(check)
        finally:
            check.close()
        if result != ["ok"]:
            raise BackupRefusedError(path=str(out), problem="quick_check")
        keys = workdir / KEY_FILE
        shutil.copyfile(Path(data_dir) / KEY_FILE, keys)
        manifest = _manifest(reason, "online", facts, now)
        return {DB_FILE: copy, KEY_FILE: keys}, manifest

    return _write(out, build)


def _files(data_dir: Path, out: Path, reason: str) -> BackupInfo:
    """Copy a closed register's files as they are (used when the key cannot open it)."""

    def build(workdir: Path) -> tuple[dict[str, Path], dict[str, Any]]:
        members: dict[str, Path] = {}
        for name in (DB_FILE, DB_FILE + "-wal", KEY_FILE):
            src = Path(data_dir) / name
            if src.exists():
                members[name] = workdir / name
                shutil.copyfile(src, members[name])
        facts = {"schema": None, "stronghold_code": "", "device_id": ""}
        return members, _manifest(reason, "files", facts)

    return _write(out, build)


def _manifest(
    reason: str, method: str, facts: dict[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "app": "tayanch",
        "app_version": __version__,
        "created_at": (now or utcnow()).isoformat(timespec="microseconds"),
        "reason": reason,
        "method": method,
        **facts,
    }


def write_backup(
    reg: Register,
    out: Path,
    *,
    reason: str = "manual",
    progress: Progress | None = None,
    now: datetime | None = None,
) -> BackupInfo:
    """Write a checked backup of the open register to ``out`` (no role check, no audit).

    ``now`` is the time the manifest records (default: the present).
    """
    if progress:
        progress(0, 1)
    conn = reg.connect_raw()
    try:
        info = _online(conn, reg._key, reg.data_dir, Path(out), reason, now)
    finally:
        conn.close()
    if progress:
        progress(1, 1)
    log.info("backup written (%s, %d bytes)", reason, info.size)
    return info


def backup(reg: Register, out: Path, *, progress: Progress | None = None) -> BackupInfo:
    """The user's backup (window or ``tayanch backup --out``): role-checked and audited."""
    from app.services import audit
    from app.services.base import require_permission

    require_permission(reg, "backup")
    info = write_backup(reg, out, reason="manual", progress=progress)
    audit.record_event(reg, "backup", reason="manual", size=info.size)
    return info


def daily_if_due(
    reg: Register, now: datetime | None = None, *, audited: bool = True
) -> BackupInfo | None:
    """Make today's automatic backup unless there is one, then rotate; None if not due.

    The window calls this after login and then every few hours; it costs one
    ``VACUUM INTO`` a day. Only reads the register, apart from the audit entry: the
    window passes ``audited=False`` and writes that entry with ``audit_daily`` on its
    writer, so saves never wait behind the copy of a big register.
    """
    now = now or utcnow()
    folder = _usable_folder(reg.data_dir)
    today = now.astimezone(TASHKENT).date()
    for info in list_backups(folder):
        if info.reason == "daily" and info.created_at.astimezone(TASHKENT).date() >= today:
            return None
    info = write_backup(reg, auto_name(folder, "daily", now), reason="daily", now=now)
    rotate(folder)
    if audited:
        audit_daily(reg, info)
    return info


def audit_daily(reg: Register, info: BackupInfo) -> None:
    """The audit entry for an automatic backup (a failure is logged, never raised)."""
    from app.services import audit

    try:
        audit.record_event(reg, "backup", reason="daily", size=info.size)
    except TayanchError as exc:
        log.warning("daily backup not audited: %s", exc.code)


def pre_migration_backup(data_dir: Path, key: bytes) -> BackupInfo:
    """Called by Register before it migrates the schema; refuses (typed) if it cannot."""
    folder = _usable_folder(data_dir)
    conn = connect_raw(db_path(data_dir), key)
    try:
        info = _online(conn, key, data_dir, auto_name(folder, "pre-migration"), "pre-migration")
    finally:
        conn.close()
    rotate(folder)
    return info


# --- reading -----------------------------------------------------------------------------------


def _info(path: Path, manifest: dict[str, Any]) -> BackupInfo:
    created = datetime.fromisoformat(manifest["created_at"])
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return BackupInfo(
        path=Path(path),
        created_at=created.astimezone(UTC),
        reason=str(manifest.get("reason", "")),
        stronghold_code=str(manifest.get("stronghold_code", "")),
        device_id=str(manifest.get("device_id", "")),
        schema=manifest.get("schema"),
        app_version=str(manifest.get("app_version", "")),
        size=Path(path).stat().st_size,
        method=str(manifest.get("method", "")),
    )


def _manifest_of(zf: zipfile.ZipFile) -> dict[str, Any]:
    manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
    if manifest.get("app") != "tayanch" or manifest.get("format") != FORMAT:
        raise ValueError("not a tayanch backup")
    files = manifest.get("files")
    if not isinstance(files, dict) or DB_FILE not in files:
        raise ValueError("no database")
    return manifest


def read_info(path: Path, *, verify: bool = True) -> BackupInfo:
    """The backup's manifest; with ``verify``, also every member's SHA-256."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            manifest = _manifest_of(zf)
            if verify:
                for name, digest in manifest["files"].items():
                    h = hashlib.sha256()
                    with zf.open(name) as fh:
                        for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                            h.update(chunk)
                    if h.hexdigest() != digest:
                        raise ValueError(f"{name} altered")
            return _info(path, manifest)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise BackupFileError(path=str(path)) from exc


def list_backups(folder: Path) -> list[BackupInfo]:
    """Backups in ``folder``, newest first (files that are not backups are skipped)."""
    out = []
    for path in Path(folder).glob("*" + SUFFIX) if Path(folder).is_dir() else []:
        try:
            out.append(read_info(path, verify=False))
        except BackupFileError:
            log.warning("not a usable backup: %s", path.name)
    return sorted(out, key=lambda i: i.created_at, reverse=True)


def latest_good_backup(data_dir: Path) -> BackupInfo | None:
    """The newest backup whose members still match their checksums (for a damaged register)."""
    folders = [backup_folder(data_dir), default_folder(data_dir)]
    seen: set[Path] = set()
    candidates: list[BackupInfo] = []
    for folder in folders:
        if folder in seen:
            continue
        seen.add(folder)
        candidates += list_backups(folder)
    for info in sorted(candidates, key=lambda i: i.created_at, reverse=True):
        try:
            return read_info(info.path, verify=True)
        except BackupFileError:
            continue
    return None


# --- rotation ------------------------------------------------------------------------------------


def keep_daily_weekly(
    times: list[datetime], daily: int = KEEP_DAILY, weekly: int = KEEP_WEEKLY
) -> set[int]:
    """Indexes to keep: newest per day for ``daily`` days, then per week for older weeks.

    Days and weeks are Tashkent ones. A week already holding a kept daily backup is not
    counted again, so the copies reach back about ``daily`` days plus ``weekly`` weeks.
    """
    order = sorted(range(len(times)), key=lambda i: times[i], reverse=True)
    keep: set[int] = set()
    days: set = set()
    for i in order:
        day = times[i].astimezone(TASHKENT).date()
        if day not in days and len(days) < daily:
            days.add(day)
            keep.add(i)
    weeks = {d.isocalendar()[:2] for d in days}
    older: set = set()
    for i in order:
        week = times[i].astimezone(TASHKENT).date().isocalendar()[:2]
        if i in keep or week in weeks or week in older:
            continue
        if len(older) < weekly:
            older.add(week)
            keep.add(i)
    return keep


def rotate(folder: Path) -> list[Path]:
    """Delete automatic backups beyond the policy; a manual backup is never deleted."""
    remove_leftovers(folder, (".tayanch-backup-*",), 3600)  # from a killed backup
    backups = list_backups(folder)
    doomed: list[Path] = []
    daily = [b for b in backups if b.reason == "daily"]
    kept = keep_daily_weekly([b.created_at for b in daily])
    doomed += [b.path for i, b in enumerate(daily) if i not in kept]
    for reason in ("pre-migration", "pre-restore"):
        doomed += [b.path for b in [x for x in backups if x.reason == reason][KEEP_OTHER:]]
    for path in doomed:
        try:
            path.unlink()
        except OSError as exc:
            log.warning("old backup not deleted: %s", type(exc).__name__)
    return doomed


# --- restoring -----------------------------------------------------------------------------------


def _stage(file: Path, stage: Path) -> None:
    with zipfile.ZipFile(file) as zf:
        names = set(zf.namelist())
        for name in (DB_FILE, DB_FILE + "-wal", KEY_FILE):
            if name in names:
                with zf.open(name) as src, open(stage / name, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                    dst.flush()
                    os.fsync(dst.fileno())
    if not (stage / KEY_FILE).exists():
        raise BackupFileError(path=str(file))


def _check_staged(stage: Path, key: bytes, login: str, file: Path) -> None:
    """Refuse a backup that is damaged, too new, has a broken audit chain or a wrong role."""
    from app.services import audit
    from app.services.base import ROLE_PERMISSIONS

    path = stage / DB_FILE
    try:
        conn = connect_raw(path, key)  # folds a copied WAL in
    except sqlcipher3.Error as exc:
        raise BackupRefusedError(path=str(file), problem="key") from exc
    try:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        if problems != ["ok"]:
            raise BackupRefusedError(path=str(file), problem="integrity_check")
        schema = _facts(conn)["schema"]
        if schema is not None and schema not in migrate.known_revisions():
            raise SchemaTooNewError(found=schema)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    engine = make_engine(path, key, pool_size=1)
    try:
        with Session(engine) as s:
            chain = audit.verify_chain(s)
            staff = s.exec(
                select(StaffUser).where(StaffUser.login == login, StaffUser.deleted == False)
            ).first()
    finally:
        engine.dispose()
    if chain:
        raise BackupRefusedError(path=str(file), problem="audit chain: " + str(chain[0]))
    if staff is None:
        raise AuthError()
    if not staff.active or "restore" not in ROLE_PERMISSIONS.get(staff.role, set()):
        raise PermissionDenied()
    for side in ("-wal", "-shm"):
        Path(str(path) + side).unlink(missing_ok=True)


def _pre_restore_backup(data_dir: Path, key: bytes, current: Register | None) -> BackupInfo | None:
    if not register_exists(data_dir):
        return None
    folder = _usable_folder(data_dir)
    out = auto_name(folder, "pre-restore")
    try:
        conn = current.connect_raw() if current is not None else connect_raw(db_path(data_dir), key)
    except sqlcipher3.Error:
        conn = None  # damaged, or another key: keep the files exactly as they are
    if conn is None:
        info = _files(data_dir, out, "pre-restore")
    else:
        try:
            info = _online(conn, current._key if current else key, data_dir, out, "pre-restore")
        except (BackupRefusedError, DamagedRegisterError, sqlcipher3.Error):
            info = _files(data_dir, out, "pre-restore")  # damaged: keep it byte for byte
        finally:
            conn.close()
    rotate(folder)
    return info


def restore(
    data_dir: Path,
    file: Path,
    login: str,
    password: str,
    *,
    confirm: Callable[[BackupInfo], bool],
    current: Register | None = None,
    progress: Progress | None = None,
) -> Register:
    """Replace the register in ``data_dir`` with a backup; return it open, as ``login``.

    Order: check the file; unlock its keys with ``login``/``password`` (counted by the
    back-off); check it (integrity, schema, audit chain, an inspector's role); ask
    ``confirm``; lock the folder; back up the current register; swap the files through a
    marker so a crash finishes the swap at the next start. ``current``, the caller's open
    register of the same folder, is closed on success. Nothing changes on any refusal.
    """
    data_dir = Path(data_dir)
    file = Path(file)
    steps = 5

    def step(n: int) -> None:
        if progress:
            progress(n, steps)

    step(0)
    info = read_info(file, verify=True)
    step(1)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        finish_pending_restore(data_dir)
        stage = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
    except OSError as exc:
        raise (storage_error(exc, data_dir) or exc) from exc
    lock: FolderLock | None = None
    try:
        try:
            _stage(file, stage)
        except OSError as exc:
            raise (storage_error(exc, data_dir) or exc) from exc
        except (zipfile.BadZipFile, KeyError) as exc:
            raise BackupFileError(path=str(file)) from exc
        keys = KeyStore.load(stage)
        guard = LoginGuard(data_dir, set(keys.logins()) | set(keys.data["disabled"]))
        guard.check(login)
        try:
            key = keys.unlock(login, password)
        except AuthError:
            failures = guard.failed(login)
            raise AuthError(failures=failures, wait=guard.wait_seconds(login)) from None
        _check_staged(stage, key, login, file)
        step(2)
        if not confirm(info):
            raise RestoreCancelled()
        if current is not None and current._lock is not None:
            current._lock.release()
        lock = FolderLock(data_dir)
        if not lock.acquire(exclusive=True, wait=RESTORE_LOCK_WAIT):
            lock = None
            if current is not None and current._lock is not None:
                current._lock.acquire()
                current._lock.mark_session()
            raise RegisterInUseError()
        previous = _pre_restore_backup(data_dir, key, current)
        step(3)
        if current is not None:
            current.engine.dispose()
            current._key = b""
            current._lock = None
        try:
            os.replace(stage / DB_FILE, data_dir / (DB_FILE + STAGED_SUFFIX))
            os.replace(stage / KEY_FILE, data_dir / (KEY_FILE + STAGED_SUFFIX))
            write_atomically(data_dir / RESTORE_MARKER, b"restore\n")
            finish_pending_restore(data_dir)
        except OSError as exc:
            raise (storage_error(exc, data_dir) or exc) from exc
        step(4)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if lock is not None:
            lock.release()
    reg = Register.open(data_dir, login, password)
    _after_restore(reg, info, previous)
    step(5)
    log.info("register restored from a %s backup", info.reason)
    return reg


def _after_restore(reg: Register, info: BackupInfo, previous: BackupInfo | None) -> None:
    """Audit the restore and mark it for sync (its change counters went back in time)."""
    from app.services import audit

    with Session(reg.write_engine) as s:
        s.merge(LocalState(key="restored_at", value=utcnow().isoformat()))
        s.commit()
    audit.record_event(
        reg,
        "restore",
        backup_created_at=info.created_at.isoformat(),
        backup_reason=info.reason,
        pre_restore_backup=previous.path.name if previous else "",
    )
