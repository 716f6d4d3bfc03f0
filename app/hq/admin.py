"""HQ administration: its database and keys, strongholds, enrolment codes, devices.

HQ's data folder holds ``hq.json`` (which database), ``hq-keys.json`` (HQ's secret keys)
and, by default, ``hq.db``. The keys never leave the folder; ``export-key`` writes only
the public half, which devices pin.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, update

from app.domain.validation import STRONGHOLD_CODE_PROBLEM, stronghold_code_problem
from app.errors import TayanchError
from app.hq import db
from app.hq.db import hq_device, hq_enrollment, hq_meta
from app.hq.store import Store, hq_stamp, now_text, write_as_hq
from app.i18n import N_
from app.services import reference
from app.sync import catalog, codes
from app.sync.changes import dumps
from app.sync.crypto import HqPublicKey, KeyPair, b64, unb64

log = logging.getLogger(__name__)

CONFIG_FILE = "hq.json"
KEYS_FILE = "hq-keys.json"
CODE_VALID_DAYS = 14


class HqExistsError(TayanchError):
    code = "hq_exists"
    template = N_("Headquarters is already set up in {path}. Use that folder or choose another.")


class NoHqError(TayanchError):
    code = "no_hq"
    template = N_("No headquarters in {path}. Create it with 'tayanch hq init'.")


class HqDatabaseError(TayanchError):
    code = "hq_database"
    template = N_(
        "Headquarters' database cannot be opened ({detail}). Check the address given "
        "with --db and that the database server is running."
    )


class StrongholdExistsError(TayanchError):
    code = "stronghold_exists"
    template = N_("Stronghold {stronghold} is already registered.")


class UnknownStrongholdError(TayanchError):
    code = "unknown_stronghold"
    template = N_(
        "No stronghold {stronghold} is registered. Add it with 'tayanch hq stronghold add'."
    )


class BadStrongholdCodeError(TayanchError):
    code = "bad_stronghold_code"
    template = STRONGHOLD_CODE_PROBLEM


class UnknownDeviceError(TayanchError):
    code = "unknown_device"
    template = N_(
        "No device matches {device}. List them with 'tayanch hq devices' and give more of the id."
    )


class UnknownRecordError(TayanchError):
    code = "unknown_record"
    template = N_("No record {id} in table {table}.")


@dataclass
class Hq:
    data_dir: Path
    engine: Engine
    keys: KeyPair
    name: str
    url: str
    checkpointer: db.Checkpointer | None = field(default=None, init=False, repr=False)
    # Enrolled devices' keys and strongholds as the service read them (app/hq/ingest.py
    # ``sender``): a device id keeps both for good, so they are read once per process.
    senders: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def hq_id(self) -> str:
        return self.keys.id

    @property
    def node(self) -> str:
        return "hq" + self.hq_id[:14]

    @cached_property
    def write_engine(self) -> Engine:
        return db.writer(self.engine)  # made once: each sync begins a transaction on it

    @cached_property
    def read_engine(self) -> Engine:
        return db.reader(self.engine)  # see db.reader

    def __post_init__(self) -> None:
        # SQLite: its write-ahead log is copied into the file beside the syncs.
        self.checkpointer = db.Checkpointer(self.engine) if db.is_sqlite(self.engine) else None

    def wrote(self) -> None:
        """A sync wrote: have its pages copied into SQLite's file soon (not in its commit)."""
        if self.checkpointer is not None:
            self.checkpointer.soon()

    def public_key(self) -> HqPublicKey:
        return HqPublicKey(self.hq_id, self.keys.sign_pub, self.keys.box_pub, self.name)

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.close()
            self.checkpointer = None
        self.engine.dispose()

    def __enter__(self) -> Hq:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _write_private(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".hq-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def hq_exists(data_dir: Path) -> bool:
    return (Path(data_dir) / KEYS_FILE).exists()


def _engine(url: str) -> Engine:
    try:
        engine = db.make_engine(url)
        with engine.connect():
            pass
    except Exception as exc:  # a wrong URL or a server that is down
        raise HqDatabaseError(detail=type(exc).__name__) from exc
    return engine


def init_hq(data_dir: Path, *, db_url: str | None = None, name: str = "") -> Hq:
    """Create HQ's key pair and database; seed HQ's reference data."""
    data_dir = Path(data_dir)
    if hq_exists(data_dir):
        raise HqExistsError(path=str(data_dir))
    data_dir.mkdir(parents=True, exist_ok=True)
    url = db_url or db.sqlite_url(data_dir)
    engine = _engine(url)
    try:
        db.upgrade(engine)
        keys = KeyPair.generate()
        with db.writer(engine).begin() as conn:
            if conn.execute(select(func.count()).select_from(hq_meta)).scalar():
                raise HqExistsError(path=url.split("@")[-1])
            conn.execute(
                hq_meta.insert(),
                [
                    {"key": "hq_id", "value": keys.id},
                    {"key": "created_at", "value": now_text()},
                    {"key": "name", "value": name},
                ],
            )
            store = Store(conn)
            for kind, days, label in reference.DEFAULT_DURATIONS:
                row_id = uuid.uuid4().hex
                fields = _new_row_fields(
                    "order_duration",
                    None,
                    {"kind": kind, "days": days, "label": label, "active": 1},
                )
                write_as_hq(
                    store,
                    "order_duration",
                    row_id,
                    fields,
                    partition=None,
                    node="hq" + keys.id[:14],
                    insert=True,
                )
    except BaseException:
        engine.dispose()
        raise
    _write_private(
        data_dir / KEYS_FILE,
        {"format": 1, "sign_seed": b64(keys.sign_seed), "box_secret": b64(keys.box_secret)},
    )
    _write_private(data_dir / CONFIG_FILE, {"format": 1, "db": db_url, "name": name})
    if url.startswith("sqlite"):
        db.restrict_file(data_dir / db.DB_FILE)
    log.info("HQ %s created", keys.id)
    return Hq(data_dir, engine, keys, name, url)


def open_hq(data_dir: Path, *, db_url: str | None = None) -> Hq:
    data_dir = Path(data_dir)
    if not hq_exists(data_dir):
        raise NoHqError(path=str(data_dir))
    try:
        keys_data = json.loads((data_dir / KEYS_FILE).read_text("utf-8"))
        keys = KeyPair(unb64(keys_data["sign_seed"]), unb64(keys_data["box_secret"]))
        config = json.loads((data_dir / CONFIG_FILE).read_text("utf-8"))
    except (OSError, ValueError, KeyError) as exc:
        raise NoHqError(path=str(data_dir)) from exc
    url = db_url or os.environ.get("TAYANCH_HQ_DB") or config.get("db") or db.sqlite_url(data_dir)
    engine = _engine(url)
    try:
        if db.needs_upgrade(engine):
            db.upgrade(engine)
        with engine.connect() as conn:
            stored = conn.execute(select(hq_meta.c.value).where(hq_meta.c.key == "hq_id")).scalar()
        if stored != keys.id:
            raise HqDatabaseError(detail="the database belongs to another headquarters")
    except BaseException:
        engine.dispose()
        raise
    return Hq(data_dir, engine, keys, str(config.get("name", "")), url)


# --- strongholds ----------------------------------------------------------------------


def _new_row_fields(table: str, stronghold: str | None, values: dict[str, Any]) -> dict[str, Any]:
    """A whole new row in wire form: the replicated columns plus ``values``."""
    now = now_text()
    info = catalog.tables()[table]
    fields: dict[str, Any] = {}
    for col in info.table.columns:
        if col.name == "id":
            continue
        if col.name in values:
            fields[col.name] = catalog.to_wire(info.kinds[col.name], values[col.name])
        elif col.name == "stronghold_code":
            fields[col.name] = stronghold
        elif col.name in ("created_at", "updated_at"):
            fields[col.name] = now
        elif col.name == "deleted":
            fields[col.name] = 0
        elif col.name == "version":
            fields[col.name] = 1
        elif not col.nullable:
            fields[col.name] = "" if info.kinds[col.name] == "str" else 0
        else:
            fields[col.name] = None
    return fields


def check_stronghold_code(code: str) -> str:
    code = code.strip()
    if stronghold_code_problem(code):
        raise BadStrongholdCodeError()
    return code


def add_stronghold(
    hq: Hq,
    code: str,
    *,
    name: str,
    region: str = "",
    district: str = "",
    makhalla: str = "",
) -> str:
    """Register a stronghold; its row syncs to the stronghold's computers. Return its id."""
    code = check_stronghold_code(code)
    with hq.write_engine.begin() as conn:
        store = Store(conn)
        if store.find_by("stronghold", {"code": code}):
            raise StrongholdExistsError(stronghold=code)
        row_id = uuid.uuid4().hex
        fields = _new_row_fields(
            "stronghold",
            code,
            {
                "code": code,
                "name": name,
                "region": region,
                "district": district,
                "makhalla": makhalla,
            },
        )
        write_as_hq(store, "stronghold", row_id, fields, partition=code, node=hq.node, insert=True)
    log.info("stronghold %s registered", code)
    return row_id


def stronghold_exists(conn: Any, code: str) -> bool:
    return Store(conn).find_by("stronghold", {"code": code}) is not None


def new_enrolment_code(hq: Hq, stronghold: str, *, valid_days: int = CODE_VALID_DAYS) -> str:
    """A one-time code for one computer of ``stronghold``; only its hash is stored."""
    with hq.write_engine.begin() as conn:
        if not stronghold_exists(conn, stronghold):
            raise UnknownStrongholdError(stronghold=stronghold)
        code = codes.new_code(hq.hq_id)
        now = datetime.now(UTC)
        conn.execute(
            hq_enrollment.insert().values(
                code_hash=codes.code_hash(code),
                stronghold_code=stronghold,
                created_at=now.isoformat(),
                expires_at=(now + timedelta(days=valid_days)).isoformat(),
            )
        )
    return code


def export_key(hq: Hq) -> bytes:
    return (json.dumps(hq.public_key().to_json(), indent=1) + "\n").encode("utf-8")


# --- devices -------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceInfo:
    device_id: str
    stronghold_code: str
    stronghold_name: str
    label: str
    enrolled_at: str
    last_sync_at: str | None
    last_transport: str | None
    revoked_at: str | None
    app_version: str
    # Its number among its stronghold's computers, in the numbers of the documents it
    # issues (TP-0101/2026-K2-00001 for 2); None until HQ has numbered it.
    number: int | None = None


def list_devices(hq: Hq) -> list[DeviceInfo]:
    stronghold = catalog.tables()["stronghold"].table
    with hq.engine.connect() as conn:
        names = dict(
            conn.execute(
                select(stronghold.c.code, stronghold.c.name).where(stronghold.c.deleted == False)  # noqa: E712
            ).fetchall()
        )
        rows = (
            conn.execute(
                select(hq_device).order_by(hq_device.c.stronghold_code, hq_device.c.enrolled_at)
            )
            .mappings()
            .fetchall()
        )
        numbers = _device_numbers(conn)
    return [
        DeviceInfo(
            r["device_id"],
            r["stronghold_code"],
            names.get(r["stronghold_code"], ""),
            r["label"],
            r["enrolled_at"],
            r["last_sync_at"],
            r["last_transport"],
            r["revoked_at"],
            r["app_version"],
            numbers.get(r["device_id"]),
        )
        for r in rows
    ]


def _device_numbers(conn: Any) -> dict[str, int]:
    """Each numbered device's number among its stronghold's computers (K1, K2 ...)."""
    prefix = db.DEVICE_NUMBER_PREFIX
    return {
        key[len(prefix) :]: int(value)
        for key, value in conn.execute(
            select(hq_meta.c.key, hq_meta.c.value).where(
                hq_meta.c.key.startswith(prefix, autoescape=True)
            )
        )
    }


def device_number(hq: Hq, device_id: str) -> int | None:
    """The device's number among its stronghold's computers (K1, K2 ...), once given."""
    with hq.read_engine.connect() as conn:
        value = conn.execute(
            select(hq_meta.c.value).where(hq_meta.c.key == db.device_number_key(device_id))
        ).scalar()
    return int(value) if value is not None else None


def list_strongholds(hq: Hq) -> list[dict[str, Any]]:
    t = catalog.tables()["stronghold"].table
    with hq.engine.connect() as conn:
        rows = (
            conn.execute(
                select(t.c.code, t.c.name, t.c.region, t.c.district, t.c.makhalla)
                .where(t.c.deleted == False)  # noqa: E712
                .order_by(t.c.code)
            )
            .mappings()
            .fetchall()
        )
    return [dict(r) for r in rows]


class AmbiguousDeviceError(TayanchError):
    code = "ambiguous_device"
    template = N_(
        "More than one stronghold has a computer {device}. Say which, as in "
        "'{example}' ('tayanch hq devices' lists them)."
    )


_BY_NUMBER = re.compile(r"(?:(?P<code>[A-Za-z0-9-]{1,16})/)?[Kk](?P<number>[0-9]{1,6})")


def find_device(conn: Any, device: str) -> str:
    """A device by the start of its id (six characters at least), or by its number as
    its documents and 'hq devices' show it: K2, or TP-0123/K2 when several strongholds
    have a K2."""
    given = device.strip()
    by_number = _BY_NUMBER.fullmatch(given)
    if by_number:
        return _device_by_number(
            conn, int(by_number["number"]), (by_number["code"] or "").upper() or None, given
        )
    device = given.lower().replace("-", "")
    if len(device) < 6:
        raise UnknownDeviceError(device=device)
    ids = [
        r[0]
        for r in conn.execute(
            select(hq_device.c.device_id).where(hq_device.c.device_id.like(device + "%"))
        ).fetchall()
    ]
    if len(ids) != 1:
        raise UnknownDeviceError(device=device)
    return ids[0]


def _device_by_number(conn: Any, number: int, stronghold: str | None, given: str) -> str:
    numbered = [d for d, n in _device_numbers(conn).items() if n == number]
    rows = conn.execute(
        select(hq_device.c.device_id, hq_device.c.stronghold_code).where(
            hq_device.c.device_id.in_(numbered)
        )
    ).fetchall()
    found = sorted(
        ((d, code) for d, code in rows if stronghold is None or code == stronghold),
        key=lambda x: x[1],
    )
    if not found:
        raise UnknownDeviceError(device=given)
    if len(found) > 1:
        raise AmbiguousDeviceError(device=given, example=f"{found[0][1]}/K{number}")
    return found[0][0]


def revoke_device(hq: Hq, device: str) -> str:
    """Refuse this device's bundles and requests from now on; return its full id."""
    with hq.write_engine.begin() as conn:
        device_id = find_device(conn, device)
        conn.execute(
            update(hq_device)
            .where(hq_device.c.device_id == device_id, hq_device.c.revoked_at.is_(None))
            .values(revoked_at=now_text())
        )
    hq.senders.pop(device_id, None)
    log.info("device %s revoked", device_id[:8])
    return device_id


# --- moving a record between strongholds ----------------------------------------------


def move_record(hq: Hq, table: str, row_id: str, to_stronghold: str) -> None:
    """Give a record to another stronghold (a person who moved house, say).

    The new stronghold's computers get the whole row, with the stamps its fields already
    had; the old stronghold's get the change of owner.
    """
    if catalog.table(table) is None or table in catalog.REFERENCE_TABLES:
        raise UnknownRecordError(id=row_id, table=table)
    row_id = catalog.row_key(row_id)
    with hq.write_engine.begin() as conn:
        store = Store(conn)
        if not stronghold_exists(conn, to_stronghold):
            raise UnknownStrongholdError(stronghold=to_stronghold)
        row = store.load_rows(table, [row_id]).get(row_id)
        if row is None:
            raise UnknownRecordError(id=row_id, table=table)
        old = row["stronghold_code"]
        if old == to_stronghold:
            return
        clocks = store.clocks(table, [row_id]).get(row_id, {})
        # To the old stronghold: the owner changed.
        write_as_hq(
            store,
            table,
            row_id,
            {"stronghold_code": to_stronghold},
            partition=old,
            node=hq.node,
            insert=False,
        )
        # To the new one: the whole row, fields keeping their stamps.
        fields = {k: v for k, v in row.items() if k != "id"}
        fields["stronghold_code"] = to_stronghold
        _log_full_row(store, hq, table, row_id, fields, clocks, to_stronghold)


def _log_full_row(
    store: Store,
    hq: Hq,
    table: str,
    row_id: str,
    fields: dict[str, Any],
    clocks: dict[str, str],
    partition: str,
) -> None:
    latest = store.clocks(table, [row_id]).get(row_id, {})
    stamp = hq_stamp(latest, hq.node)
    per_field = {f: clocks[f] for f in fields if f in clocks and f != "stronghold_code"}
    per_field["stronghold_code"] = latest.get("stronghold_code", stamp)
    change = {
        "i": uuid.uuid4().hex,
        "t": table,
        "r": row_id,
        "o": "i",
        "h": stamp,
        "f": fields,
        "c": per_field,
    }
    store.log_changes(
        [(change["i"], partition, table, row_id, stamp, dumps(change), "hq", None, now_text())]
    )
