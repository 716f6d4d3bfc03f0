"""An open register: the keyed engine, the logged-in user and this device's identity.

Files in the data folder: ``register.db`` (SQLCipher), ``keys.json`` (the wrapped key),
``backups/`` (automatic copies, encrypted like the register itself).
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, select

import app.domain  # noqa: F401  registers every table
from app.db import migrate
from app.db.engine import connect_raw, make_engine, writer
from app.db.keys import KeyStore, new_database_key, new_recovery_key
from app.domain.local import LocalState
from app.domain.stronghold import StaffUser, Stronghold
from app.errors import AuthError, NoRegisterError, RegisterExistsError, TayanchError
from app.i18n import N_
from app.services import reference

log = logging.getLogger(__name__)

DB_FILE = "register.db"
BACKUP_DIR = "backups"


class DamagedRegisterError(TayanchError):
    code = "damaged"
    template = N_(
        "The register file cannot be read: it is damaged or not a Tayanch register. "
        "Restore the latest backup ('tayanch restore')."
    )


class UserDisabledError(TayanchError):
    code = "user_disabled"
    template = N_("This user is disabled. Ask the inspector of the stronghold.")


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


def db_path(data_dir: Path) -> Path:
    return Path(data_dir) / DB_FILE


def register_exists(data_dir: Path) -> bool:
    return db_path(data_dir).exists()


class Register:
    def __init__(
        self, data_dir: Path, engine: Engine, key: bytes, user: CurrentUser, stronghold_code: str
    ) -> None:
        self.data_dir = Path(data_dir)
        self.engine = engine
        self.write_engine = writer(engine)
        self._key = key
        self.user = user
        self.stronghold_code = stronghold_code
        self.device_id = self._local("device_id") or ""

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
        data_dir.mkdir(parents=True, exist_ok=True)
        key = new_database_key()
        recovery = new_recovery_key()
        tmp = data_dir / (DB_FILE + ".new")
        for leftover in data_dir.glob(DB_FILE + ".new*"):
            leftover.unlink()
        engine = make_engine(tmp, key)
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
        finally:
            engine.dispose()
        keys = KeyStore.create(data_dir)
        keys.add_user(login, password, key, kdf)
        keys.set_recovery(recovery, key, kdf)
        keys.save()
        os.replace(tmp, db_path(data_dir))
        for side in ("-wal", "-shm"):
            Path(str(tmp) + side).unlink(missing_ok=True)
        log.info("register created")
        reg = cls._open_with_key(data_dir, key, login)
        assert reg.user.id == user_id
        return reg, recovery

    @classmethod
    def open(cls, data_dir: Path, login: str, password: str) -> Register:
        data_dir = Path(data_dir)
        if not register_exists(data_dir):
            raise NoRegisterError(path=str(data_dir))
        key = KeyStore.load(data_dir).unlock(login, password)
        return cls._open_with_key(data_dir, key, login)

    @classmethod
    def open_with_recovery(
        cls, data_dir: Path, recovery_key: str, login: str | None = None
    ) -> Register:
        data_dir = Path(data_dir)
        if not register_exists(data_dir):
            raise NoRegisterError(path=str(data_dir))
        key = KeyStore.load(data_dir).unlock_with_recovery(recovery_key)
        return cls._open_with_key(data_dir, key, login)

    @classmethod
    def _open_with_key(cls, data_dir: Path, key: bytes, login: str | None) -> Register:
        path = db_path(data_dir)
        try:
            connect_raw(path, key).close()
        except Exception as exc:  # sqlcipher3.DatabaseError: not a database / bad key
            raise DamagedRegisterError() from exc
        engine = make_engine(path, key)
        try:
            if migrate.needs_upgrade(engine):
                backup_file(path, data_dir / BACKUP_DIR, "pre-migration")
                migrate.upgrade(engine)
            with Session(engine) as s:
                stmt = select(StaffUser).where(StaffUser.deleted == False)
                if login:
                    stmt = stmt.where(StaffUser.login == login)
                staff = s.exec(stmt.order_by(StaffUser.created_at)).first()
                code = s.get(LocalState, "stronghold_code")
            if staff is None:
                raise AuthError()
            if not staff.active:
                raise UserDisabledError()
            user = CurrentUser(staff.id, staff.login, staff.full_name, staff.position, staff.role)
            return cls(data_dir, engine, key, user, code.value if code else "")
        except DatabaseError as exc:
            engine.dispose()
            raise DamagedRegisterError() from exc
        except BaseException:
            engine.dispose()
            raise

    # --- working -------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A short read-only session; objects must not leave it (services copy them out)."""
        with Session(self.engine, expire_on_commit=False) as s:
            yield s

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

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def backup_file(path: Path, folder: Path, reason: str) -> Path:
    """Copy an (encrypted) register file consistently, through SQLite's backup API.

    The copy stays encrypted with the same key, which the key file wraps. Called only
    before an engine opens the file, so copying the file and its WAL is consistent.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"{reason}-{stamp}.db"
    shutil.copy2(path, target)
    for side in ("-wal",):
        wal = Path(str(path) + side)
        if wal.exists():
            shutil.copy2(wal, Path(str(target) + side))
    log.info("backup written: %s", target.name)
    return target
