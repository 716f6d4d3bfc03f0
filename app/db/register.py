"""An open register: the keyed engine, the logged-in user and this device's identity.

Files in the data folder: ``register.db`` (SQLCipher), ``keys.json`` (the wrapped key),
``login-attempts.json`` (wrong-password counts, see app/db/keys.py), ``register.lock``
(held shared while a register is open, exclusive while a backup is restored) and
``backups/`` (automatic copies, encrypted like the register itself; see app/db/backup.py).

Opening is also logging in: the login and any wrong passwords typed since the last one
go to the audit chain, and every storage failure (disk full, read-only folder, I/O
error) comes out as a typed error with a sentence saying what to do.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlcipher3
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, select

import app.domain  # noqa: F401  registers every table
from app.db import migrate
from app.db.engine import connect_raw, make_engine, writer
from app.db.keys import (
    RECOVERY_SLOT,
    KeyStore,
    LoginBackoffError,
    LoginGuard,
    ReadOnlyStorageError,
    StorageFullError,
    StorageIOError,
    UserDisabledError,
    login_wait_seconds,
    new_database_key,
    new_recovery_key,
    same_key,
    storage_error,
)
from app.domain.local import LocalState
from app.domain.stronghold import StaffUser, Stronghold
from app.errors import (
    AuthError,
    NoRegisterError,
    RegisterExistsError,
    TayanchError,
    WrongRecoveryKeyError,
)
from app.i18n import N_
from app.paths import DB_FILE, db_path, register_exists  # noqa: F401 - re-exported
from app.services import reference

if TYPE_CHECKING:
    from app.db.backup import BackupInfo

try:  # POSIX; on Windows the open file itself cannot be replaced, which protects it too
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

# At INFO, SQLAlchemy's engine logger writes every statement's parameters (names, PINFLs)
# into the log. Pin it (and the pool's) at WARNING, so that lowering the "sqlalchemy"
# level to chase an ORM problem, or a DEBUG root logger, never puts personal data there.
for _name in ("sqlalchemy.engine", "sqlalchemy.pool"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def _quiet_sqlcipher() -> None:
    """SQLCipher prints its own errors (e.g. a failed page HMAC) straight to stderr, past
    logging; the CLI promises one line there, and our typed errors already say what
    happened. The level is process-wide, so one throwaway connection sets it."""
    try:
        conn = sqlcipher3.connect(":memory:")
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.close()
    except sqlcipher3.Error:  # pragma: no cover - older SQLCipher without the pragma
        pass


_quiet_sqlcipher()

BACKUP_DIR = "backups"
LOCK_FILE = "register.lock"
LOCK_WAIT_SECONDS = 5.0

__all__ = [
    "BACKUP_DIR",
    "DB_FILE",
    "CurrentUser",
    "DamagedRegisterError",
    "LoginBackoffError",
    "ReadOnlyStorageError",
    "Register",
    "RegisterInUseError",
    "StorageFullError",
    "StorageIOError",
    "StrongholdInfo",
    "UNCLEAN_SHUTDOWN_MESSAGE",
    "UserDisabledError",
    "db_path",
    "login_wait_seconds",
    "register_exists",
]


QUICK_CHECK_MAX_BYTES = 128 * 1024 * 1024


def _size_with_wal(path: Path) -> int:
    wal = Path(str(path) + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


class DamagedRegisterError(TayanchError):
    code = "damaged"
    template = N_(
        "The register file cannot be read: it is damaged or not a Tayanch register. "
        "Restore the latest backup ('tayanch restore')."
    )
    with_backup = N_(
        "The register file is damaged. The latest good backup was made {when}: "
        "restore it with 'tayanch restore {path}' or from the window."
    )

    def __init__(self, *, backup: BackupInfo | None = None, **params: Any) -> None:
        #: the newest backup that passed its checks, for the window to offer
        self.backup = backup
        if backup is not None:
            when = backup.created_at.astimezone(_tashkent()).strftime("%d.%m.%Y %H:%M")
            super().__init__(self.with_backup, path=str(backup.path), when=when, **params)
        else:
            super().__init__(**params)


UNCLEAN_SHUTDOWN_MESSAGE = N_(
    "Tayanch was not closed properly last time (a crash or a power cut). The register "
    "was checked and is intact, but the change you were saving at that moment may be "
    "missing: check the last record you worked on."
)


class RegisterInUseError(TayanchError):
    code = "in_use"
    template = N_(
        "The register is being restored or is open in another Tayanch window. "
        "Close the other windows of Tayanch and try again."
    )


def _tashkent():
    from app.domain.base import TASHKENT

    return TASHKENT


@dataclass(frozen=True)
class CurrentUser:
    id: uuid.UUID
    login: str
    full_name: str
    position: str
    role: str


@dataclass(frozen=True)
class StrongholdInfo:
    code: str
    name: str
    region: str = ""
    district: str = ""
    makhalla: str = ""
    office: str = ""


# --- storage failures ----------------------------------------------------------------------

SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN = 8, 10, 11, 13, 14
SQLITE_NOTADB = 26


def folder_is_read_only(folder: Path) -> bool:
    folder = Path(folder)
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except (OSError, AttributeError):
        pass
    return not os.access(folder, os.W_OK)


def sqlite_storage_error(exc: BaseException, folder: Path) -> TayanchError | None:
    """The typed error for an SQLite failure that is about the disk, not the statement."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return None
    primary = code & 0xFF
    if primary == SQLITE_FULL:
        return StorageFullError(path=str(folder))
    if primary == SQLITE_READONLY:
        return ReadOnlyStorageError(path=str(folder))
    if primary == SQLITE_CANTOPEN:
        if folder_is_read_only(folder):
            return ReadOnlyStorageError(path=str(folder))
        return StorageIOError(path=str(folder))
    if primary == SQLITE_IOERR:
        return StorageIOError(path=str(folder))
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return DamagedRegisterError()
    return None


def install_storage_errors(engine: Engine, folder: Path) -> None:
    """Turn SQLite's disk failures into typed errors; the transaction is rolled back."""

    @event.listens_for(engine, "handle_error")
    def _typed(ctx) -> None:
        typed = sqlite_storage_error(ctx.original_exception, folder)
        if typed is not None:
            log.warning("storage failure: %s", typed.code)
            raise typed from ctx.original_exception


# --- owner-only files ------------------------------------------------------------------------


def create_private(path: Path) -> None:
    """Create an empty file readable by its owner only, for SQLite to fill: SQLite gives
    the -wal and -shm files it makes next to a database the database file's permissions."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def restrict_database(path: Path) -> None:
    """Owner-only permissions for the database and its -wal and -shm files (as keys.json
    and HQ's files): a register created or restored by an older version gets them too.
    A read-only folder keeps what it has."""
    for file in (path, Path(str(path) + "-wal"), Path(str(path) + "-shm")):
        try:
            if file.stat().st_mode & 0o077:
                os.chmod(file, 0o600)
        except OSError:
            pass


# --- the folder lock -------------------------------------------------------------------------


class FolderLock:
    """An advisory lock on ``register.lock``: shared while open, exclusive to restore.

    Replacing the database under a running window would leave that window writing into a
    deleted file, so restore takes the lock exclusively and refuses while anyone holds it.
    A folder where the lock file cannot be created is read-only: nothing can replace the
    database there either, so no lock is needed.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / LOCK_FILE
        self.fd: int | None = None
        self.session: Path | None = None
        #: a session marker of a process that is gone was found: it was killed or the
        #: power went off while the register was open
        self.unclean = False

    def acquire(self, *, exclusive: bool = False, wait: float = LOCK_WAIT_SECONDS) -> bool:
        if fcntl is None:
            return True
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return True
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, mode)
                self.fd = fd
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(0.05)

    def release(self) -> None:
        if self.session is not None:
            self.session.unlink(missing_ok=True)
            self.session = None
        if self.fd is not None:
            os.close(self.fd)  # closing drops the flock
            self.fd = None

    def mark_session(self) -> None:
        """Leave ``.session-<pid>-<n>`` while open; one whose process is gone means the
        last session did not end (killed, crashed, power cut)."""
        if os.name != "posix":
            return
        for marker in self.data_dir.glob(".session-*"):
            try:
                pid = int(marker.name.split("-")[1])
                os.kill(pid, 0)
                continue  # that window is still running
            except ProcessLookupError:
                self.unclean = True
            except (ValueError, IndexError, PermissionError):
                continue
            marker.unlink(missing_ok=True)
        try:
            fd, name = tempfile.mkstemp(prefix=f".session-{os.getpid()}-", dir=self.data_dir)
            os.close(fd)
            self.session = Path(name)
        except OSError:
            pass  # a read-only folder: nothing can be written there to lose anyway


# --- the register ------------------------------------------------------------------------------


class Register:
    def __init__(
        self,
        data_dir: Path,
        engine: Engine,
        key: bytes,
        user: CurrentUser,
        stronghold_code: str,
        lock: FolderLock | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.engine = engine
        self.write_engine = writer(engine)
        self._key = key
        self._lock = lock
        self.user = user
        self.stronghold_code = stronghold_code
        self.device_id = self._local("device_id") or ""
        #: the last session was cut off (process killed, power lost); the register was
        #: fully checked and is intact: the window shows UNCLEAN_SHUTDOWN_MESSAGE once
        self.unclean_shutdown = bool(lock and lock.unclean)

    # --- opening -------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        data_dir: Path,
        stronghold: StrongholdInfo,
        *,
        login: str,
        full_name: str,
        password: str,
        position: str = "",
        kdf: dict | None = None,
    ) -> tuple[Register, str]:
        """Create a new register; return it open and the recovery key to print once."""
        data_dir = Path(data_dir)
        if register_exists(data_dir):
            raise RegisterExistsError(path=str(data_dir))
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            for leftover in data_dir.glob(DB_FILE + ".new*"):
                leftover.unlink()
        except OSError as exc:
            raise (storage_error(exc, data_dir) or exc) from exc
        key = new_database_key()
        recovery = new_recovery_key()
        tmp = data_dir / (DB_FILE + ".new")
        try:
            create_private(tmp)
        except OSError as exc:
            raise (storage_error(exc, data_dir) or exc) from exc
        engine = make_engine(tmp, key)
        install_storage_errors(engine, data_dir)
        try:
            migrate.upgrade(engine)
            user_id = uuid.uuid4()
            with Session(writer(engine)) as s:
                s.add(Stronghold(stronghold_code=stronghold.code, **stronghold.__dict__))
                staff = StaffUser(
                    stronghold_code=stronghold.code,
                    login=login,
                    full_name=full_name,
                    position=position,
                    role="inspector",
                )
                s.add(staff)
                s.add(LocalState(key="device_id", value=str(uuid.uuid4())))
                s.add(LocalState(key="stronghold_code", value=stronghold.code))
                reference.seed(s, stronghold.code)
                s.commit()
                user_id = staff.id
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except BaseException:
            engine.dispose()
            for leftover in data_dir.glob(DB_FILE + ".new*"):
                leftover.unlink(missing_ok=True)
            raise
        engine.dispose()
        keys = KeyStore.create(data_dir, kdf)
        keys.add_user(login, password, key)
        keys.set_recovery(recovery, key)
        keys.save()
        os.replace(tmp, db_path(data_dir))
        for side in ("-wal", "-shm"):
            Path(str(tmp) + side).unlink(missing_ok=True)
        log.info("register created")
        reg = cls._open_with_key(data_dir, key, login)
        assert reg.user.id == user_id
        reg._record_login(None, "register_created", login)
        return reg, recovery

    @classmethod
    def open(
        cls, data_dir: Path, login: str, password: str, *, now: float | None = None
    ) -> Register:
        """Log in: check the back-off, unwrap the key, open, and audit the login.

        Also what the lock screen calls to let a different user in; to unlock for the same
        user and keep the open register (and its engine), use :meth:`unlock`.
        """
        data_dir = Path(data_dir)
        finish_pending_restore(data_dir)
        if not register_exists(data_dir):
            raise NoRegisterError(path=str(data_dir))
        keys = KeyStore.load(data_dir)
        guard = LoginGuard(data_dir, set(keys.logins()) | set(keys.data["disabled"]))
        guard.check(login, now)
        try:
            key = keys.unlock(login, password)
        except AuthError:
            failures = guard.failed(login, now)
            raise AuthError(failures=failures, wait=guard.wait_seconds(login, now)) from None
        reg = cls._open_with_key(data_dir, key, login)
        reg._record_login(guard, "login", login)
        return reg

    @classmethod
    def open_with_recovery(
        cls,
        data_dir: Path,
        recovery_key: str,
        login: str | None = None,
        *,
        now: float | None = None,
    ) -> Register:
        """Open with the printed recovery key, as ``login`` (default: the first user).

        Meant for when every password is lost: follow it with a password reset
        (app.services.users.recover does both).
        """
        data_dir = Path(data_dir)
        finish_pending_restore(data_dir)
        if not register_exists(data_dir):
            raise NoRegisterError(path=str(data_dir))
        keys = KeyStore.load(data_dir)
        guard = LoginGuard(data_dir, set(keys.logins()))
        guard.check(RECOVERY_SLOT, now)
        try:
            key = keys.unlock_with_recovery(recovery_key)
        except AuthError:
            failures = guard.failed(RECOVERY_SLOT, now)
            raise WrongRecoveryKeyError(
                failures=failures, wait=guard.wait_seconds(RECOVERY_SLOT, now)
            ) from None
        reg = cls._open_with_key(data_dir, key, login, allow_disabled=True)
        reg._record_login(guard, "recovery_unlock", RECOVERY_SLOT)
        return reg

    @classmethod
    def _open_with_key(
        cls, data_dir: Path, key: bytes, login: str | None, *, allow_disabled: bool = False
    ) -> Register:
        path = db_path(data_dir)
        lock = FolderLock(data_dir)
        if not lock.acquire():
            raise RegisterInUseError()
        try:
            lock.mark_session()
            return cls._open_locked(data_dir, path, key, login, lock, allow_disabled)
        except BaseException:
            lock.release()
            raise

    @classmethod
    def _open_locked(
        cls,
        data_dir: Path,
        path: Path,
        key: bytes,
        login: str | None,
        lock: FolderLock,
        allow_disabled: bool,
    ) -> Register:
        restrict_database(path)
        try:
            conn = connect_raw(path, key)
        except sqlcipher3.Error as exc:  # not a database / wrong key / cannot open
            typed = sqlite_storage_error(exc, data_dir)
            if typed is None or isinstance(typed, DamagedRegisterError):
                raise _damaged(data_dir) from exc
            raise typed from exc
        # The start-up check: quick normally; the full one after a session that did not end.
        # Both read every page; above QUICK_CHECK_MAX_BYTES a clean start skips it (about
        # 1 s per 100 MB), since a big register after a clean exit is the common case and
        # `tayanch verify` and every backup check the whole file anyway.
        check = "PRAGMA integrity_check" if lock.unclean else "PRAGMA quick_check"
        if not lock.unclean and _size_with_wal(path) > QUICK_CHECK_MAX_BYTES:
            check = "SELECT 'ok' FROM sqlite_master LIMIT 1"
        try:
            problems = [r[0] for r in conn.execute(check).fetchall()]
        except sqlcipher3.Error as exc:
            problems = [str(exc)]
        finally:
            conn.close()
        if problems != ["ok"]:
            log.error("start-up check found %d problem(s)", len(problems))
            raise _damaged(data_dir)
        if lock.unclean:
            log.warning("the last session did not end; the register checked intact")
        engine = make_engine(path, key)
        install_storage_errors(engine, data_dir)
        try:
            if migrate.needs_upgrade(engine):
                from app.db import backup

                backup.pre_migration_backup(data_dir, key)
                migrate.upgrade(engine)
            with Session(engine) as s:
                stmt = select(StaffUser).where(StaffUser.deleted == False)
                if login and login != RECOVERY_SLOT:
                    stmt = stmt.where(StaffUser.login == login)
                staff = s.exec(stmt.order_by(StaffUser.created_at)).first()
                code = s.get(LocalState, "stronghold_code")
            if staff is None:
                raise AuthError()
            if not staff.active and not allow_disabled:
                _forget_disabled(data_dir, staff.login)
                raise UserDisabledError()
            user = CurrentUser(staff.id, staff.login, staff.full_name, staff.position, staff.role)
            return cls(data_dir, engine, key, user, code.value if code else "", lock)
        except DatabaseError as exc:
            engine.dispose()
            raise _damaged(data_dir) from exc
        except BaseException:
            engine.dispose()
            raise

    # --- logging in and locking ---------------------------------------------------------

    def _record_login(self, guard: LoginGuard | None, action: str, slot: str) -> None:
        """Audit this login and the wrong passwords queued since the last one.

        Best effort: a register on a read-only or full disk can still be read, so a failed
        audit write is logged (without names) and the failures stay queued.
        """
        from app.services import audit

        pending = guard.pending() if guard else []
        recorded = False
        try:
            with Session(self.write_engine) as s:
                for p in pending:
                    known = not p["login"].startswith("?")
                    audit.append(
                        s,
                        device_id=self.device_id,
                        stronghold_code=self.stronghold_code,
                        user_login=p["login"] if known else "",
                        action="login_failed",
                        details={
                            "failed_at": p["at"],
                            "failures": p["failures"],
                            "wait_seconds": p["wait"],
                            **({} if known else {"unknown_login": True}),
                        },
                    )
                audit.append(
                    s,
                    device_id=self.device_id,
                    stronghold_code=self.stronghold_code,
                    user_login=self.user.login,
                    action=action,
                )
                s.commit()
            recorded = True
        except TayanchError as exc:
            log.warning("login not audited: %s", exc.code)
        if guard is not None:
            guard.succeeded(slot, recorded=recorded)

    def unlock(self, password: str, *, now: float | None = None) -> None:
        """Unlock the window for the same user, keeping this register (and its engine).

        Raises LoginBackoffError while the back-off runs, AuthError on a wrong password.
        """
        keys = KeyStore.load(self.data_dir)
        login = self.user.login
        guard = LoginGuard(self.data_dir, set(keys.logins()) | set(keys.data["disabled"]))
        guard.check(login, now)
        try:
            key = keys.unlock(login, password)
            if not same_key(key, self._key):  # keys.json replaced under us (restore)
                raise AuthError()
        except AuthError:
            failures = guard.failed(login, now)
            raise AuthError(failures=failures, wait=guard.wait_seconds(login, now)) from None
        self._refresh_user()
        self._record_login(guard, "unlock", login)

    def _refresh_user(self) -> None:
        """Take up a role change or a disabling made meanwhile (here or by sync)."""
        with Session(self.engine) as s:
            staff = s.get(StaffUser, self.user.id)
        if staff is None or staff.deleted or not staff.active:
            _forget_disabled(self.data_dir, self.user.login)
            raise UserDisabledError()
        self.user = CurrentUser(staff.id, staff.login, staff.full_name, staff.position, staff.role)

    def lock(self) -> None:
        """Note in the audit that the window locked (idle time, system lock or sleep)."""
        from app.services import audit

        try:
            audit.record_event(self, "lock")
        except TayanchError as exc:
            log.warning("lock not audited: %s", exc.code)

    def login_wait_seconds(self, now: float | None = None) -> float:
        """Seconds the current user must wait before the next password attempt."""
        return login_wait_seconds(self.data_dir, self.user.login, now)

    # --- working -------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A short read-only session; objects must not leave it (services copy them out)."""
        with Session(self.engine, expire_on_commit=False) as s:
            yield s

    def connect_raw(self) -> sqlcipher3.Connection:
        """A new keyed DB-API connection (for backups); the caller closes it."""
        return connect_raw(db_path(self.data_dir), self._key)

    def key_matches(self, key: bytes) -> bool:
        return same_key(key, self._key)

    def _local(self, key: str) -> str | None:
        with Session(self.engine) as s:
            row = s.get(LocalState, key)
            return row.value if row else None

    def quick_check(self) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("PRAGMA quick_check")).fetchall()
        return [r[0] for r in rows if r[0] != "ok"]

    def integrity_check(self) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("PRAGMA integrity_check")).fetchall()
            fk = conn.execute(text("PRAGMA foreign_key_check")).fetchall()
        problems = [r[0] for r in rows if r[0] != "ok"]
        problems += [f"foreign key: {r[0]} row {r[1]} -> {r[2]}" for r in fk]
        return problems

    def checkpoint(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.engine.dispose()
        self._key = b""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _damaged(data_dir: Path) -> DamagedRegisterError:
    """The damage error, naming the newest backup that still passes its checks."""
    from app.db import backup

    try:
        latest = backup.latest_good_backup(data_dir)
    except Exception:  # looking for a backup must never hide the real problem
        log.exception("looking for a backup failed")
        latest = None
    return DamagedRegisterError(backup=latest)


def _forget_disabled(data_dir: Path, login: str) -> None:
    """A user disabled on another computer of the stronghold: drop the wrapping here too."""
    try:
        keys = KeyStore.load(data_dir)
        if keys.has_user(login):
            keys.disable_user(login)
            keys.save()
    except TayanchError as exc:
        log.warning("disabled user's key not removed: %s", exc.code)


# --- finishing a restore that a crash interrupted ----------------------------------------------

RESTORE_MARKER = "restore.pending"
STAGED_SUFFIX = ".restored"


STALE_SECONDS = 600


def remove_leftovers(folder: Path, patterns: tuple[str, ...], older_than: float) -> int:
    """Delete temporary files and folders a killed process left (not fresh ones: another
    process may be writing them right now)."""
    removed = 0
    limit = time.time() - older_than
    for pattern in patterns:
        for path in Path(folder).glob(pattern):
            try:
                if path.stat().st_mtime > limit:
                    continue
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink()
                removed += 1
            except OSError:
                pass
    return removed


def finish_pending_restore(data_dir: Path) -> bool:
    """Complete a restore whose files were staged but not all moved in place.

    The restore writes ``register.db.restored`` and ``keys.json.restored`` in full, then the
    marker, then moves them; each move is atomic and repeatable, so finishing after a crash
    gives exactly the state a finished restore gives. Without the marker, staged files are
    leftovers of an interrupted staging and are deleted.
    """
    data_dir = Path(data_dir)
    remove_leftovers(
        data_dir, (".keys.json-*", ".login-attempts.json-*", ".restore-*"), STALE_SECONDS
    )
    marker = data_dir / RESTORE_MARKER
    staged_db = data_dir / (DB_FILE + STAGED_SUFFIX)
    staged_keys = data_dir / ("keys.json" + STAGED_SUFFIX)
    if not marker.exists():
        for leftover in (staged_db, staged_keys):
            if leftover.exists():
                try:
                    leftover.unlink()
                except OSError:
                    pass
        return False
    if staged_keys.exists():
        os.replace(staged_keys, data_dir / "keys.json")
    if staged_db.exists():
        # A WAL left by the replaced database must not be replayed into the restored one.
        for side in ("-wal", "-shm"):
            Path(str(db_path(data_dir)) + side).unlink(missing_ok=True)
        os.replace(staged_db, db_path(data_dir))
    marker.unlink()
    log.info("restore completed")
    return True
