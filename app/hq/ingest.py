"""What HQ does with a device's bundle: check it, apply it in one transaction, reply.

The same function serves the USB path (``tayanch hq import``) and the network path
(``POST /v1/sync``). Checks that refuse the whole bundle come first and change nothing;
then, per change, HQ decides from its own copy of the record (never the bundle's word)
whether this device may write it, merges the fields, numbers what it accepted, and
commits. The reply is built after the commit from the log, so a reply lost on the way
is simply built again when the same bundle comes back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from itertools import repeat
from operator import itemgetter
from typing import Any

from sqlalchemy import BigInteger, Connection, TextClause, bindparam, case, select, text, update

from app import __version__
from app.hq.admin import Hq
from app.hq.db import (
    device_number_key,
    hq_alias,
    hq_bundle,
    hq_conflict,
    hq_device,
    hq_enrollment,
    hq_meta,
    hq_rejected,
)
from app.hq.store import NotNew, Store, chunks, now_text, write_as_hq
from app.i18n import N_
from app.sync import bundle, catalog, changes, codes, hlc, versions
from app.sync.crypto import b64, key_id, unb64
from app.sync.errors import (
    AppTooOld,
    BundleInvalid,
    BundleReplayed,
    Cancelled,
    DeviceRevoked,
    EnrolCodeInvalid,
    EnrolStrongholdMismatch,
    ForeignRows,
    SchemaTooNew,
    SyncError,
    UnknownSender,
)
from app.sync.merge import change_clocks, merge_fields

log = logging.getLogger(__name__)

MIN_PROTOCOL = 1
CHECK_FIRST_LINES = 1000
# Changes in one network reply to a device that takes its replies in parts (its bundles
# say "parts"): a computer's first sync brings its whole stronghold, which on a poor link
# is safer in pieces. A part's cursor is where the next sync goes on; "resume" in that
# bundle asks for the rest of a snapshot (the device's own changes included).
REPLY_PART_LINES = 20_000


def _reply_part(header: dict[str, Any], cursor: int, transport: str) -> tuple[bool, int | None]:
    """Whether the bundle asks for the rest of a snapshot, and the most lines its reply
    may carry (None: all; a stick's reply and an older app's are never cut)."""
    resume = header.get("resume") is True and cursor > 0
    limit = REPLY_PART_LINES if transport == "net" and header.get("parts") is True else None
    return resume, limit


@dataclass
class Ingested:
    reply: bytes
    device_id: str
    stronghold: str
    already_applied: bool = False
    accepted: int = 0
    # Of those, the users' records: not the audit entries that travel along. What the
    # computer counted when it wrote the bundle ("The bundle carries N changes").
    records: int = 0
    rejected: int = 0
    skipped: int = 0
    conflicts: int = 0
    sent: int = 0
    snapshot: bool = False
    enrolled: bool = False
    lang: str = ""

    def summary(self) -> dict[str, Any]:
        return {
            "device": self.device_id,
            "stronghold": self.stronghold,
            "already_applied": self.already_applied,
            "accepted": self.accepted,
            "records": self.records,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "conflicts": self.conflicts,
            "sent": self.sent,
            "snapshot": self.snapshot,
            "enrolled": self.enrolled,
        }


@dataclass
class _Outcome:
    accepted: int = 0
    skipped: int = 0
    conflicts: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    restores: list[dict[str, Any]] = field(default_factory=list)
    restored_device: bool = False
    log_rows: list[tuple] = field(default_factory=list)
    # Or, from ``_new_by_column``, the log's columns (``Store.log_columns``).
    log_columns: list[Any] | None = None
    aliases: dict[tuple[str, str], str] = field(default_factory=dict)


class RequestReplayed(SyncError):
    code = "request_replayed"
    template = N_("This request was already received (a replay). Sync again.")


@dataclass(frozen=True)
class Nonce:
    """A signed network request's nonce (app/hq/server.py). It is taken in the transaction
    that records what the request did: a replay finds it there and changes nothing, and a
    request that failed has used nothing up."""

    value: str
    device_id: str
    at: int


_TAKE_NONCE = text(
    "INSERT INTO hq_nonce (nonce, device_id, at) VALUES (:n, :d, :at) "
    "ON CONFLICT DO NOTHING RETURNING nonce"
)


def _take_nonce(conn: Connection, nonce: Nonce | None) -> None:
    """Raise RequestReplayed when the nonce was taken before (on PostgreSQL, by a request
    still in flight too: the insert waits for that one's transaction to end)."""
    if nonce is None:
        return
    taken = conn.execute(_TAKE_NONCE, {"n": nonce.value, "d": nonce.device_id, "at": nonce.at})
    if taken.first() is None:
        raise RequestReplayed()


# --- versions -----------------------------------------------------------------------


def check_versions(protocol: Any, schema: Any) -> None:
    if not isinstance(protocol, int) or protocol < MIN_PROTOCOL:
        raise AppTooOld(schema=str(schema)[:20])
    if protocol > bundle.PROTOCOL or not isinstance(schema, str):
        raise SchemaTooNew(schema=str(schema)[:20])
    if schema not in versions.known():
        raise SchemaTooNew(schema=schema[:20])
    if schema not in versions.accepted():
        raise AppTooOld(schema=schema)


# --- opening -------------------------------------------------------------------------


# The statements every sync runs, built once (SQLAlchemy then reuses their compiled form
# and cache key instead of building them again for each request).
_DEVICE_ROW = select(hq_device).where(hq_device.c.device_id == bindparam("device"))
_APPLIED = select(hq_bundle.c.bundle_id).where(hq_bundle.c.bundle_id == bindparam("bundle"))
_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
# The lock and the nonce in one round trip; whichever the statement takes first, a replay
# racing its original waits for that one's transaction and then finds the nonce taken.
_LOCK_AND_NONCE = text(
    "WITH n AS (INSERT INTO hq_nonce (nonce, device_id, at) VALUES (:n, :d, :at) "
    "ON CONFLICT DO NOTHING RETURNING 1) "
    "SELECT (SELECT count(*) FROM n) FROM (SELECT pg_advisory_xact_lock(:k)) AS l"
)
_BUNDLE_INSERT = hq_bundle.insert()


def _fetch(conn: Connection, statement: TextClause, params: dict[str, Any]) -> list[Any]:
    """The rows of one of the text statements every sync runs. On PostgreSQL they go
    through the DB-API cursor, in the same transaction: SQLAlchemy's work per statement
    was a fifth of the service's CPU per sync, for statements that need none of it."""
    if conn.dialect.name == "postgresql":
        raw = conn.connection.dbapi_connection
        return raw.execute(_pyformat(statement.text), params).fetchall()
    return conn.execute(statement, params).fetchall()


@cache
def _pyformat(sql: str) -> str:
    """A text statement with psycopg's placeholders: ``%(name)s`` for ``:name``."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql.replace("%", "%%"))


def device_row(conn: Connection, device_id: str) -> dict[str, Any] | None:
    first = conn.execute(_DEVICE_ROW, {"device": device_id}).mappings().first()
    return dict(first) if first else None


_SENDER_KEYS = ("device_id", "stronghold_code", "sign_pub", "revoked_at")


def sender(hq: Hq, device_id: str) -> dict[str, Any] | None:
    """What a network request is authenticated with: the device's key and stronghold
    (None for a device HQ does not know). Those never change for a device id, so a device
    not revoked is read once per process (``Hq.senders``); whether it was revoked since is
    checked again in its sync's transaction, which refuses it whole."""
    known = hq.senders.get(device_id)
    if known is not None:
        return known
    with hq.read_engine.connect() as conn:
        row = device_row(conn, device_id)
    if row is None or row["revoked_at"]:
        return row
    known = hq.senders[device_id] = {k: row[k] for k in _SENDER_KEYS}
    return known


def remember_sender(hq: Hq, device: dict[str, Any]) -> None:
    """Keep what ``sender`` reads of a device that synced (or enrolled) just now: its
    next sync to this process is authenticated without reading it again."""
    if not device["revoked_at"]:
        hq.senders.setdefault(device["device_id"], {k: device[k] for k in _SENDER_KEYS})


class _SenderKey:
    """The sender's key for ``open_bundle``, from HQ's devices (or the enrolment the bundle
    carries); keeps the device row it read, or reuses one the caller read already."""

    def __init__(self, hq: Hq, known: dict[str, Any] | None = None) -> None:
        self.hq = hq
        self.device = known

    def __call__(self, clear: dict[str, Any]) -> bytes:
        device = self.device
        if device is None or device["device_id"] != clear["from"]:
            with self.hq.read_engine.connect() as conn:
                device = self.device = device_row(conn, clear["from"])
        if device is not None:
            if device["revoked_at"]:
                raise DeviceRevoked()
            return unb64(device["sign_pub"])
        enrol_pub = clear.get("enrol_pub")
        if isinstance(enrol_pub, str):
            try:
                key = unb64(enrol_pub)
            except ValueError:
                raise UnknownSender(sender=clear["from"][:40]) from None
            if len(key) == 32:
                return key
        raise UnknownSender(sender=clear["from"][:40])


# The device's row, whether a bundle was applied already, and the device's number among
# its stronghold's computers (device_number), read by one statement.
_DEVICE_COLUMNS = tuple(c.name for c in hq_device.columns)
_DEVICE_STATE = text(
    "SELECT "
    + ", ".join(f'"{c}"' for c in _DEVICE_COLUMNS)
    + ", EXISTS (SELECT 1 FROM hq_bundle WHERE bundle_id = :bundle), "
    "(SELECT value FROM hq_meta WHERE key = :number_key) "
    "FROM hq_device WHERE device_id = :device"
)


def _device_state(
    conn: Connection, device_id: str, bundle_id: str
) -> tuple[dict[str, Any] | None, bool, int | None]:
    rows = _fetch(
        conn,
        _DEVICE_STATE,
        {"device": device_id, "bundle": bundle_id, "number_key": device_number_key(device_id)},
    )
    if not rows:
        with_bundle = _applied(conn, bundle_id)
        return None, with_bundle, None
    *values, applied, number = rows[0]
    device = dict(zip(_DEVICE_COLUMNS, values, strict=True))
    return device, bool(applied), int(number) if number is not None else None


def sender_key_for(hq: Hq, known: dict[str, Any] | None = None) -> _SenderKey:
    return _SenderKey(hq, known)


def _lock_stronghold(conn: Connection, stronghold: str, nonce: Nonce | None = None) -> None:
    """Serialise the syncs of one stronghold (PostgreSQL; SQLite writers are serial), and
    take the request's nonce (``_take_nonce``): on PostgreSQL by the same statement."""
    if conn.dialect.name != "postgresql":
        _take_nonce(conn, nonce)
        return
    key = int.from_bytes(hashlib.sha256(stronghold.encode()).digest()[:8], "big", signed=True)
    if nonce is None:
        conn.execute(_LOCK, {"k": key})
        return
    fresh = _fetch(
        conn, _LOCK_AND_NONCE, {"k": key, "n": nonce.value, "d": nonce.device_id, "at": nonce.at}
    )[0][0]
    if not fresh:
        raise RequestReplayed()


def _code_problem(conn: Connection, code: Any, stronghold: str) -> SyncError | None:
    """None when ``code`` is a live enrolment code of ``stronghold``; else why not: a live
    code of another stronghold (mistyped or mixed up) is said as such, anything else as
    not valid. One lookup by the code's hash."""
    if not isinstance(code, str):
        return EnrolCodeInvalid()
    now = datetime.now(UTC).isoformat()
    live = {
        r[0]
        for r in conn.execute(
            select(hq_enrollment.c.stronghold_code).where(
                hq_enrollment.c.code_hash == codes.code_hash(code),
                hq_enrollment.c.used_at.is_(None),
                hq_enrollment.c.expires_at > now,
            )
        )
    }
    if stronghold in live:
        return None
    if live:
        return EnrolStrongholdMismatch(stronghold=sorted(live)[0], own=str(stronghold))
    return EnrolCodeInvalid()


def device_number(conn: Connection, device_id: str, stronghold: str) -> int:
    """The device's number among its stronghold's computers: 1, 2, ... in the order they
    enrolled (or, for those enrolled before numbers were given at enrolment, first
    synced), never reused. Its documents carry it (app/services/documents.py), so two
    computers working apart never issue the same number. Kept in HQ's own key-value and
    counter tables."""
    known = _known_number(conn, device_id)
    if known is not None:
        return known
    return _number_device(conn, device_id, stronghold)


_NUMBER_OF = select(hq_meta.c.value).where(hq_meta.c.key == bindparam("key"))


def _known_number(conn: Connection, device_id: str) -> int | None:
    number = conn.execute(_NUMBER_OF, {"key": device_number_key(device_id)}).scalar()
    return int(number) if number is not None else None


# The stronghold's next number, by one statement that two enrolments at once cannot both
# read before either writes (the upsert locks the counter's row, or creates it).
_NEXT_NUMBER = text(
    "INSERT INTO hq_counter (name, value) VALUES (:name, 1) "
    "ON CONFLICT (name) DO UPDATE SET value = hq_counter.value + 1 RETURNING value"
)


def _number_device(conn: Connection, device_id: str, stronghold: str) -> int:
    number = conn.execute(_NEXT_NUMBER, {"name": device_number_key(stronghold)}).scalar_one()
    conn.execute(hq_meta.insert().values(key=device_number_key(device_id), value=str(number)))
    return int(number)


def enrol_device(
    conn: Connection, request: Any, *, device_id: str, sign_pub: bytes
) -> tuple[dict[str, Any], int]:
    """Register a device from its enrolment request and give it its number among its
    stronghold's computers (``device_number``); the code is used up. Returns the
    device's row and its number."""
    if not isinstance(request, dict):
        raise EnrolCodeInvalid()
    code = request.get("code")
    if (
        not isinstance(code, str)
        or request.get("device") != device_id
        or request.get("sign_pub") != b64(sign_pub)
        or not isinstance(request.get("box_pub"), str)
    ):
        raise EnrolCodeInvalid()
    try:
        box_pub = unb64(request["box_pub"])
    except ValueError:
        raise EnrolCodeInvalid() from None
    if len(box_pub) != 32:
        raise EnrolCodeInvalid()
    now = datetime.now(UTC)
    taken = conn.execute(
        update(hq_enrollment)
        .where(
            hq_enrollment.c.code_hash == codes.code_hash(code),
            hq_enrollment.c.used_at.is_(None),
            hq_enrollment.c.expires_at > now.isoformat(),
            hq_enrollment.c.stronghold_code == request.get("stronghold"),
        )
        .values(used_at=now.isoformat(), device_id=device_id)
    ).rowcount
    if taken != 1:
        raise _code_problem(conn, code, str(request.get("stronghold"))) or EnrolCodeInvalid()
    label = request.get("label") if isinstance(request.get("label"), str) else ""
    replaces = request.get("replaces")
    earlier = device_row(conn, replaces) if isinstance(replaces, str) else None
    if earlier is None or earlier["stronghold_code"] != request["stronghold"]:
        replaces = None
    device = (
        conn.execute(
            hq_device.insert()
            .values(
                device_id=device_id,
                stronghold_code=request["stronghold"],
                label=label[:200],
                replaces=replaces,
                sign_pub=b64(sign_pub),
                box_pub=request["box_pub"],
                enrolled_at=now_text(),
                last_bundle_seq=0,
                confirmed_cursor=0,
                sent_cursor=0,
                max_seq_seen=0,
                reply_seq=0,
                app_version="",
                schema_rev="",
                lang="",
            )
            .returning(*hq_device.c)
        )
        .mappings()
        .one()
    )
    number = _number_device(conn, device_id, request["stronghold"])
    log.info(
        "device %s enrolled for %s as its computer %d", device_id[:8], request["stronghold"], number
    )
    return dict(device), number


# --- applying ---------------------------------------------------------------------------


def _reject(out: _Outcome, c: dict[str, Any], code: str, **params: Any) -> None:
    out.rejected.append(
        {
            "i": c["i"],
            "t": c["t"],
            "r": c["r"],
            "code": code,
            "params": params,
            "fields": sorted(c["f"]),
        }
    )


def _apply(
    conn: Connection,
    store: Store,
    device: dict[str, Any],
    incoming: list[tuple[dict[str, Any], bytes]],
    *,
    bundle_id: str,
    cancel: threading.Event | None,
    node: str,
    history: _History | None = None,
    checked: changes.Checked | None = None,
) -> _Outcome:
    """Apply a bundle's changes (``incoming``: each change with its line as it came).
    ``checked``: the same changes as ``changes.check_all`` passed them, with what it read
    off them by column, for a first bundle's new rows (``_new_by_column``)."""
    out = _Outcome()
    stronghold = device["stronghold_code"]
    device_id = device["device_id"]
    # A change HQ has is filed under its device and sequence number: one range query
    # (``_device_history``) finds every one this bundle repeats (a lost reply, a restored
    # register).
    seqs = [c["q"] for c, _ in incoming if "q" in c]
    if history is None:
        history = _device_history(conn, device_id, incoming)
    held, prior, aliases = history.held, history.prior, history.aliases
    known = {change_id for _seq, change_id in held}
    if seqs and device.get("replaces"):
        known |= store.change_ids_from(device["replaces"], min(seqs))
    if len(seqs) != len(incoming):
        known |= store.known_change_ids([c["i"] for c, _ in incoming if "q" not in c])
    out.aliases = aliases
    todo: list[tuple[dict[str, Any], bytes]] = []
    ids = [c["i"] for c, _ in incoming]
    if not known and not prior and len(set(ids)) == len(ids):
        todo = incoming  # only new changes (the usual case): nothing to sort out
        if checked is not None:
            bulk = _new_by_column(
                store,
                checked,
                [line for _, line in incoming],
                aliases,
                stronghold,
                device_id,
                cancel,
            )
            if bulk is not None:
                return bulk
    else:
        for c, line in incoming:
            if c["i"] in known:
                out.skipped += 1
            elif c["i"] in prior:
                out.rejected.append(prior[c["i"]])  # the same answer as the first time
            else:
                known.add(c["i"])
                todo.append((c, line))

    # What the batch touches, loaded once, and what it refers to (one pass).
    fks = {t: list(info.foreign_keys.items()) for t, info in catalog.tables().items()}
    keys: list[tuple[str, str]] = []
    touched: dict[str, set[str]] = defaultdict(set)
    refs: dict[str, set[str]] = defaultdict(set)
    with_refs = []
    inserted_ids: dict[str, set[str]] = defaultdict(set)
    inserts: list[dict[str, Any]] = []
    cs = list(map(itemgetter(0), todo))
    ts = list(map(itemgetter("t"), cs))
    given = list(map(itemgetter("r"), cs))  # the ids as the device has them
    ops = list(map(itemgetter("o"), cs))
    keys = list(zip(ts, given, strict=True))
    if aliases:
        keys = [(k[0], aliases[k]) if k in aliases else k for k in keys]
    for c, key, o in zip(cs, keys, ops, strict=True):
        t, r = key
        touched[t].add(r)
        if o == "i":
            inserted_ids[t].add(r)
            inserts.append(c)
        fk = fks[t]
        if fk:
            f = c["f"]
            found = False
            for col, target in fk:
                v = f.get(col)
                if v is not None:
                    refs[target].add(v)
                    found = True
            if found:
                with_refs.append((key, c))
    # How often the batch touches each row; a row touched once (most) needs no merging.
    counts = Counter(keys) if len(set(keys)) != len(keys) else None
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    clocks: dict[tuple[str, str], dict[str, str]] = {}
    for t, ids_t in touched.items():
        loaded = store.load_rows(t, ids_t)
        for r, values in loaded.items():
            rows[(t, r)] = values
        if loaded:
            for r, cl in store.clocks(t, loaded).items():
                clocks[(t, r)] = cl
    # The rows this bundle adds, and those of them whose references lead nowhere: a
    # reference to a missing row is rejected (never an error), and so is, in turn, a row
    # that refers to a rejected one.
    inserting: dict[str, set[str]] = defaultdict(set)
    for t, ids_t in inserted_ids.items():
        if t not in catalog.REFERENCE_TABLES:
            inserting[t] = ids_t - {r for (tt, r) in rows if tt == t}
    present: dict[str, set[str]] = {t: store.existing_ids(t, ids_t) for t, ids_t in refs.items()}
    bad: dict[tuple[str, str], str] = {}
    changed = True
    while changed:
        changed = False
        for (t, r), c in with_refs:
            if (t, r) in bad or c["o"] != "i" or r not in inserting[t]:
                continue
            for col, target in fks[t]:
                v = c["f"].get(col)
                if (
                    v is not None
                    and v not in present.get(target, ())
                    and v not in inserting[target]
                ):
                    bad[(t, r)] = target
                    inserting[t].discard(r)
                    changed = True
                    break
    # A number that must be unique per stronghold (an issued document's) already taken
    # by another computer of the stronghold: that insert is rejected, the rest goes on.
    for t, key_cols in catalog.unique_keys().items():
        if not inserting.get(t):
            continue
        wanted: dict[tuple, str] = {}
        for (tt, r), (c, _) in zip(keys, todo, strict=True):
            if tt == t and c["o"] == "i" and r in inserting[t]:
                values = {**changes.neutral_values(t), **c["f"]}
                k = tuple(values.get(col) for col in key_cols)
                if k in wanted:
                    bad[(t, r)] = "duplicate"
                    inserting[t].discard(r)
                else:
                    wanted[k] = r
        for k in store.existing_keys(t, key_cols, list(wanted)):
            bad[(t, wanted[k])] = "duplicate"
            inserting[t].discard(wanted[k])
    for t, ids_t in inserting.items():
        present.setdefault(t, set()).update(ids_t)

    changes.check_inserts(inserts)
    neutral = {t: changes.neutral_values(t) for t in touched}
    new_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    fresh: dict[tuple[str, str], dict[str, Any]] = {}
    dirty: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    log_rows: list[tuple] = []
    conflict_rows: list[dict[str, Any]] = []
    now = now_text()
    if (
        counts is None
        and not catalog.NATURAL_KEYS.keys() & touched.keys()
        and all(o == "i" for o in ops)
        and all(r in inserting[t] for t, r in keys)
        and (not aliases or all(r == g for (_t, r), g in zip(keys, given, strict=True)))
    ):
        # The bulk of a first bundle: only new rows, each touched once. Built in a few
        # passes over the whole batch; the log keeps each change's line as it came.
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        for t, r, c in zip(ts, given, cs, strict=True):
            new_rows[t].append({**neutral[t], **c["f"], "id": r})
        log_rows = list(
            zip(
                map(itemgetter("i"), cs),
                repeat(stronghold),
                ts,
                given,
                map(itemgetter("h"), cs),
                map(bytes.decode, map(itemgetter(1), todo)),
                repeat(device_id),
                [c.get("q") for c in cs],
                repeat(now),
            )
        )
        out.accepted += len(todo)
        todo = []
    for n, (c, line) in enumerate(todo):
        if n % 5000 == 4999 and cancel is not None and cancel.is_set():
            raise Cancelled()
        t, r = key = keys[n]
        if (
            c["o"] == "i"
            and r in inserting[t]
            and (counts is None or counts[key] == 1)
            and t not in catalog.NATURAL_KEYS
            and r == c["r"]
        ):
            # The bulk of a first bundle: a new row nothing else in the bundle touches.
            new_rows[t].append({**neutral[t], **c["f"], "id": r})
            log_rows.append(
                (c["i"], stronghold, t, r, c["h"], line.decode(), device_id, c.get("q"), now)
            )
            out.accepted += 1
            continue
        rewritten = False
        target = aliases.get((t, c["r"])) if aliases else None
        if target is not None:
            c = {**c, "r": target}
            rewritten = True
        r = c["r"]
        if t in catalog.REFERENCE_TABLES:
            _reject(out, c, "reference_data")
            continue
        row = rows.get((t, r))
        twin = None  # HQ's row for a thing this register created too (catalog.NATURAL_KEYS)
        if c["o"] == "i" and t in catalog.NATURAL_KEYS:
            if target is not None:
                twin = target  # mapped by an earlier bundle: this one was sent again
            elif row is None:
                key_values = {k: c["f"].get(k) for k in catalog.NATURAL_KEYS[t]}
                if None not in key_values.values():
                    twin = store.find_by(t, key_values)
                if twin == r:
                    twin = None
                if twin is not None:
                    conn.execute(
                        hq_alias.insert().values(
                            tbl=t, row_id=r, target_id=twin, device_id=device_id
                        )
                    )
                    aliases[(t, r)] = twin
        if twin is not None:
            if (t, twin) in fresh:
                clocks[(t, twin)] = change_clocks(fresh.pop((t, twin)))
            if (t, twin) not in rows:
                rows[(t, twin)] = store.load_rows(t, [twin])[twin]
                clocks[(t, twin)] = store.clocks(t, [twin]).get(twin, {})
            # Another register's creation of the same thing is not an edit of it: it
            # never overwrites a value HQ's row has (a second computer set up without the
            # office's name must not blank it everywhere). It fills what the row lacks,
            # written as HQ so that every replica takes it (HQ added the stronghold with
            # its name only; the first computer brings its address). A row this bundle
            # itself created keeps its own values.
            row = rows[(t, twin)]
            fills = catalog.twin_fills(t, row, c["f"])
            if fills and row.get("stronghold_code") == stronghold and twin not in inserting[t]:
                write_as_hq(store, t, twin, fills, partition=stronghold, node=node, insert=False)
                row.update(fills)
                clocks[(t, twin)] = store.clocks(t, [twin]).get(twin, {})
            out.accepted += 1
            continue
        if row is None:
            if c["o"] != "i":
                _reject(out, c, "unknown_record")
                continue
            if bad.get((t, r)) == "duplicate":
                _reject(out, c, "duplicate_number")
                continue
            if (t, r) in bad:
                _reject(out, c, "missing_reference", table=bad[(t, r)])
                continue
            values = {**neutral[t], **c["f"], "id": r}  # changes.fill_missing, inlined
            rows[(t, r)] = values
            fresh[(t, r)] = c  # its field stamps, worked out only if the row changes again
            new_rows[t].append(values)
        else:
            owner = row["stronghold_code"]
            if owner is None:
                _reject(out, c, "reference_data")
                continue
            if owner != stronghold:
                _reject(out, c, "other_stronghold")
                continue
            forbidden = sorted(set(c["f"]) & catalog.hq_only_fields(t))
            if forbidden:
                _reject(out, c, "hq_only_field", field=forbidden[0])
                continue
            if t in catalog.IMMUTABLE_TABLES:
                _reject(out, c, "immutable")
                continue
            if t in catalog.INSERT_ONLY_TABLES and set(c["f"]) - catalog.TOMBSTONE_FIELDS:
                _reject(out, c, "insert_only")
                continue
            bad_ref = next(
                (
                    target
                    for col, target in fks[t]
                    if c["f"].get(col) is not None and c["f"][col] not in present.get(target, ())
                ),
                None,
            )
            if bad_ref:
                _reject(out, c, "missing_reference", table=bad_ref)
                continue
            if (t, r) in fresh:
                clocks[(t, r)] = change_clocks(fresh.pop((t, r)))
            merged = merge_fields(row, clocks.get((t, r), {}), c)
            if merged.updates:
                row.update(merged.updates)
                clocks.setdefault((t, r), {}).update(merged.clocks)
                dirty[(t, r)].update(merged.updates)
            for fc in merged.conflicts:
                winner, loser = (
                    (fc.remote_value, fc.local_value)
                    if fc.winner == "remote"
                    else (fc.local_value, fc.remote_value)
                )
                conflict_rows.append(
                    {
                        "id": _conflict_id(t, r, fc.field, fc.local_hlc, fc.remote_hlc),
                        "tbl": t,
                        "row_id": r,
                        "field": fc.field,
                        "winner_value": changes.dumps(winner),
                        "loser_value": changes.dumps(loser),
                        "winner_hlc": max(fc.local_hlc, fc.remote_hlc),
                        "loser_hlc": min(fc.local_hlc, fc.remote_hlc),
                        "stronghold_code": stronghold,
                        "created_at": now,
                    }
                )
        out.accepted += 1
        log_rows.append(
            (
                c["i"],
                stronghold,
                t,
                r,
                c["h"],
                changes.dumps(c) if rewritten else line.decode(),
                device_id,
                c.get("q"),
                now,
            )
        )

    for t in catalog.tables():  # referenced tables first
        if new_rows.get(t):
            store.insert_rows(t, new_rows[t])
    by_table: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    if dirty:
        new_keys = {(t, v["id"]) for t, vs in new_rows.items() for v in vs}
        for (t, r), values in dirty.items():
            if (t, r) not in new_keys:  # new rows went in with their merged values
                by_table[t].append((r, values))
    for t, items in by_table.items():
        store.update_rows(t, items)
    # Numbered last, just before the commit (see _ingest_changes): the counter's lock is
    # what concurrent syncs wait for.
    out.log_rows = log_rows
    if out.rejected:
        first_time = [x for x in out.rejected if x["i"] not in prior]
        if first_time:
            conn.execute(
                hq_rejected.insert(),
                [
                    {
                        "change_id": x["i"],
                        "bundle_id": bundle_id,
                        "device_id": device_id,
                        "tbl": x["t"],
                        "row_id": x["r"],
                        "reason": x["code"],
                        "params": changes.dumps(x["params"]),
                        "fields": changes.dumps(x["fields"]),
                        "at": now,
                    }
                    for x in first_time
                ],
            )
    if conflict_rows:
        have = {
            r[0]
            for chunk in chunks([x["id"] for x in conflict_rows])
            for r in conn.execute(select(hq_conflict.c.id).where(hq_conflict.c.id.in_(chunk)))
        }
        unique = {x["id"]: x for x in conflict_rows if x["id"] not in have}
        if unique:
            conn.execute(hq_conflict.insert(), list(unique.values()))
        out.conflicts = len(unique)
    return out


def _new_by_column(
    store: Store,
    checked: changes.Checked,
    lines: list[bytes],
    aliases: dict[tuple[str, str], str],
    stronghold: str,
    device_id: str,
    cancel: threading.Event | None,
) -> _Outcome | None:
    """The bulk of a first bundle, by column: every change inserts a new row, each row
    once, in tables whose changes all carry the same fields (``Checked.columns``), none
    merged by natural key or written only by HQ, with every reference found and no
    number taken twice. The rows go in from the checks' columns and the log from the
    changes' keys and lines, without a dict or a tuple per change (at 50,000 rows, that
    work was a third of the import's own). None when the bundle is not all that:
    ``_apply`` then goes change by change, rejecting what it must."""
    keys, columns, ids = checked.keys, checked.columns, checked.rows
    ts, given = keys["t"], keys["r"]
    tables = set(ts)
    new = _new_rows(checked)
    if new is None or "q" not in keys or not tables <= columns.keys():
        return None
    if any(r in new.get(t, ()) for t, r in aliases):
        return None  # a row HQ holds under another id (catalog.NATURAL_KEYS)
    for t in tables:
        if not store.assume_new(t, new[t]) and store.existing_ids(t, new[t]):
            return None  # edits of rows HQ holds
    info = catalog.tables()
    for t in tables:
        fields = columns[t]
        if any(name not in fields or None in fields[name] for name in changes.required(t)):
            return None  # refused, with the reason, by changes.check_inserts
        for col, target in info[t].foreign_keys.items():
            wanted = set(fields.get(col, ())) - {None} - new.get(target, set())
            if wanted and len(store.existing_ids(target, wanted)) != len(wanted):
                return None  # a reference that leads nowhere: that insert is rejected
        key_cols = catalog.unique_keys().get(t)
        if key_cols:
            neutral = changes.neutral_values(t)
            numbers = list(
                zip(*(fields.get(c, [neutral.get(c)] * len(ids[t])) for c in key_cols), strict=True)
            )
            if len(set(numbers)) != len(numbers) or store.existing_keys(t, key_cols, numbers):
                return None  # a number taken twice: that insert is rejected
    if cancel is not None and cancel.is_set():
        raise Cancelled()
    for t in catalog.tables():  # referenced tables first
        if t in tables:
            store.insert_columns(t, ids[t], columns[t])
    one_table = next(iter(tables)) if len(tables) == 1 else ts
    out = _Outcome(accepted=len(ts))
    # (change_id, stronghold_code, tbl, row_id, hlc, payload, origin, origin_seq,
    # received_at), as Store.log_changes takes them: a list per column, or one value.
    out.log_columns = [
        *(keys["i"], stronghold, one_table, given, keys["h"]),
        *(list(map(bytes.decode, lines)), device_id, keys["q"], now_text()),
    ]
    return out


def _conflict_id(t: str, r: str, f: str, a: str, b: str) -> str:
    raw = "|".join((t, r, f, min(a, b), max(a, b))).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:32]


def _restores(store: Store, rejected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """HQ's values for the fields of rejected updates, so the device can put them back."""
    out = []
    for x in rejected:
        if x["code"] == "unknown_record":
            continue
        row = store.load_rows(x["t"], [x["r"]]).get(x["r"])
        if row is None:
            continue
        out.append({"t": x["t"], "r": x["r"], "f": {k: row[k] for k in x["fields"] if k in row}})
    return out


def _rejections(conn: Connection, where: Any) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(
            hq_rejected.c.change_id,
            hq_rejected.c.tbl,
            hq_rejected.c.row_id,
            hq_rejected.c.reason,
            hq_rejected.c.params,
            hq_rejected.c.fields,
        ).where(where)
    ).fetchall()
    return [_rejection(r) for r in rows]


def _rejection(r: Any) -> dict[str, Any]:
    return {
        "i": r[0],
        "t": r[1],
        "r": r[2],
        "code": r[3],
        "params": json.loads(r[4]),
        "fields": json.loads(r[5]),
    }


@dataclass
class _History:
    """What HQ knows of a device before applying its bundle."""

    held: list[tuple[int, str]]  # (sequence number, change id) from the bundle's first on
    prior: dict[str, dict[str, Any]]  # its rejected changes, by change id
    aliases: dict[tuple[str, str], str]  # (table, its row id) -> HQ's row id


# One statement for the three: the changes HQ holds from the device numbered from the
# bundle's first one on (kind 0), its earlier rejections (1), its rows HQ maps onto its
# own (2).
_HISTORY = text(
    "SELECT 0, change_id, NULL, NULL, NULL, NULL, NULL, origin_seq FROM hq_change "
    "WHERE origin = :d AND origin_seq >= :from_seq "
    "UNION ALL SELECT 1, change_id, tbl, row_id, reason, params, fields, NULL "
    "FROM hq_rejected WHERE device_id = :d "
    "UNION ALL SELECT 2, tbl, row_id, target_id, NULL, NULL, NULL, NULL FROM hq_alias "
    "WHERE device_id = :d"
)
NO_SEQ = 2**62  # after every sequence number: a bundle without any holds nothing


def _device_history(
    conn: Connection, device_id: str, incoming: list[tuple[dict[str, Any], bytes]]
) -> _History:
    seqs = [c["q"] for c, _ in incoming if "q" in c]
    out = _History([], {}, {})
    for kind, a, b, c, reason, params, fields, seq in _fetch(
        conn, _HISTORY, {"d": device_id, "from_seq": min(seqs) if seqs else NO_SEQ}
    ):
        if kind == 0:
            out.held.append((seq, a))
        elif kind == 1:
            out.prior[a] = _rejection((a, b, c, reason, params, fields))
        else:
            out.aliases[(a, b)] = c
    return out


# --- the whole exchange ----------------------------------------------------------------


def _header_int(header: dict[str, Any], key: str, default: int | None = 0) -> int | None:
    value = header.get(key, default)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BundleInvalid(detail=key)
    return value


def ingest(
    hq: Hq,
    data: bytes,
    *,
    transport: str = "usb",
    cancel: threading.Event | None = None,
    device: dict[str, Any] | None = None,
    nonce: Nonce | None = None,
) -> Ingested:
    """Apply a device's bundle and return HQ's reply bundle (see the module doc).

    ``device`` is the sender's key and stronghold (``sender``) when the caller has them
    already, and ``nonce`` its request's nonce (the service, which checked the request's
    signature with them)."""
    sender_key = sender_key_for(hq, device)
    opened = bundle.open_bundle(data, hq.keys, sender_key, kind="device")
    header = opened.header
    if header.get("kind") != "device":
        raise BundleInvalid(detail="not a device bundle")
    check_versions(header.get("protocol"), header.get("schema"))
    seq = _header_int(header, "seq")
    cursor = _header_int(header, "cursor")
    seq_high = _header_int(header, "seq_high")
    last = _header_int(header, "last", None)
    assert seq is not None and cursor is not None and seq_high is not None
    device_id = opened.clear["from"]
    lang = header.get("lang") if isinstance(header.get("lang"), str) else ""
    known_device = sender_key.device
    done = False
    # A bundle seen before is answered without reading its changes. Looked up first on
    # SQLite (a repeat then never waits for the write lock) and for a big bundle; a
    # network sync's few changes on PostgreSQL are read, and the transaction finds out.
    if known_device is not None and (
        hq.engine.dialect.name == "sqlite" or len(opened.lines) > CHECK_FIRST_LINES
    ):
        with hq.read_engine.connect() as conn:
            done = _applied(conn, header["bundle"])
    if known_device is not None:
        stronghold = known_device["stronghold_code"]
    else:
        enrol = header.get("enrol")
        stronghold = enrol.get("stronghold") if isinstance(enrol, dict) else None
        if not isinstance(stronghold, str):
            raise UnknownSender(sender=device_id[:40])
        # A stranger's bundle is read only if its code would let it in.
        with hq.read_engine.connect() as conn:
            problem = _code_problem(conn, enrol.get("code"), stronghold)
            if problem is not None:
                raise problem
    if header.get("stronghold") != stronghold:
        raise ForeignRows(stronghold=str(header.get("stronghold"))[:16])
    result = Ingested(b"", device_id, stronghold, lang=lang or "")
    if done:
        # Seen before (a second stick, or a retry after a lost answer): nothing to apply,
        # and no need to read the changes; the reply is built again.
        return _replay_reply(hq, result, header, cursor, last, nonce, transport)
    with changes.gc_paused():
        try:
            return _ingest_changes(hq, opened, result, transport, cancel, nonce, assume_new=True)
        except NotNew:
            # Some of its rows were not new after all: applied again, looked up as usual.
            return _ingest_changes(hq, opened, result, transport, cancel, nonce)


def _ingest_changes(
    hq: Hq,
    opened: bundle.Opened,
    result: Ingested,
    transport: str,
    cancel: threading.Event | None,
    nonce: Nonce | None,
    *,
    assume_new: bool = False,
) -> Ingested:
    """Apply the changes of an opened bundle in one transaction and build the reply.

    ``assume_new``: when the bundle only inserts rows, each once, they are
    not looked up first (``Store.new_rows``); raises NotNew, with nothing changed, when
    the outcome shows that a lookup might have changed it.
    """
    header = opened.header
    seq = _header_int(header, "seq")
    cursor = _header_int(header, "cursor")
    seq_high = _header_int(header, "seq_high")
    last = _header_int(header, "last", None)
    assert seq is not None and cursor is not None and seq_high is not None
    device_id, stronghold, lang = result.device_id, result.stronghold, result.lang
    done = False
    parsed = changes.parse_all(opened.lines)
    if parsed.columns.keys() == parsed.rows.keys():  # the owners, by column
        owners = set().union(
            *(fs.get("stronghold_code", (stronghold,)) for fs in parsed.columns.values())
        )
    else:
        owners = {f.get("stronghold_code", stronghold) for f in map(itemgetter("f"), parsed)}
    if owners - {stronghold}:
        owner = next(
            o
            for o in (c["f"].get("stronghold_code", stronghold) for c in parsed)
            if o != stronghold
        )
        raise ForeignRows(stronghold=str(owner)[:16])
    incoming = list(zip(parsed, opened.lines, strict=True))
    new_rows = _new_rows(parsed) if assume_new else None

    with hq.write_engine.begin() as conn:
        _lock_stronghold(conn, stronghold, nonce)
        device, applied, number = _device_state(conn, device_id, header["bundle"])
        if device is None:
            device, number = enrol_device(
                conn,
                header.get("enrol"),
                device_id=device_id,
                sign_pub=unb64(opened.clear["enrol_pub"]),
            )
            result.enrolled = True
        elif device["revoked_at"]:
            raise DeviceRevoked()
        if number is None:
            number = device_number(conn, device_id, stronghold)
        before = dict(device)
        if applied:
            done = True
        else:
            if seq <= device["last_bundle_seq"]:
                raise BundleReplayed()
            history = _device_history(conn, device_id, incoming)
            restored = seq_high < device["max_seq_seen"] or _seq_collision(history.held, incoming)
            if (
                history.held
                or device["replaces"]
                or (history.prior and any(c["i"] in history.prior for c, _ in incoming))
            ):
                new_rows = None  # changes HQ knows already: some would be skipped
            store = Store(conn, new_rows=new_rows)
            outcome = _apply(
                conn,
                store,
                device,
                incoming,
                bundle_id=header["bundle"],
                cancel=cancel,
                node=hq.node,
                history=history,
                checked=parsed,
            )
            if new_rows is not None and outcome.accepted != len(incoming):
                # Something was rejected or skipped, which a row that exists could have
                # changed: looked up, it might be an edit. (A row accepted as new that
                # exists is refused by its primary key: Store.insert_rows.)
                raise NotNew()
            outcome.restored_device = restored
            outcome.restores = _restores(store, outcome.rejected)
            resume, limit = _reply_part(header, cursor, transport)
            result.snapshot = (
                cursor == 0
                or cursor < before["confirmed_cursor"]
                or cursor > before["sent_cursor"]
                or outcome.restored_device
                or resume
            )
            at = now_text()
            synced = {
                "bundle": header["bundle"],
                "seq": seq,
                "cursor": cursor,
                "max_seq_seen": max(device["max_seq_seen"], seq_high),
                "at": at,
                "transport": transport,
                "accepted": outcome.accepted,
                "rejected": len(outcome.rejected),
                "skipped": outcome.skipped,
                "app": str(header.get("app", ""))[:40],
                "schema": str(header.get("schema", ""))[:40],
                "lang": (lang or "")[:8],
                "now": hlc.now_ms(),
            }
            # The reply's content, read in this transaction before the numbers are taken:
            # everything committed up to max_seq (numbers commit in order, so all of them
            # are there), which this bundle's own changes, numbered after it, never need.
            # The bundle and the device's sync are recorded with it.
            max_seq, lines, reply_seq, more = _reply_lines(
                conn,
                device,
                cursor,
                result.snapshot,
                synced=synced,
                resume=resume,
                limit=limit,
            )
            rekeys = _rekeys(store, device_id, outcome.aliases)
            # Last: the server sequence numbers. Taking them locks the counter until the
            # commit, so nothing else of this transaction waits behind that lock.
            if outcome.log_columns is not None:
                store.log_columns(outcome.log_columns)
            else:
                store.log_changes(outcome.log_rows)
    if done:
        # Applied before: the nonce went with this transaction, the reply is built again.
        return _replay_reply(hq, result, header, cursor, last, None, transport)
    hq.wrote()
    remember_sender(hq, device)
    result.accepted = outcome.accepted
    result.records = outcome.accepted - _logged_audit(outcome)
    result.rejected = len(outcome.rejected)
    result.skipped = outcome.skipped
    result.conflicts = outcome.conflicts
    result.reply = _seal_reply(
        hq,
        device,
        lines,
        reply_seq=reply_seq,
        max_seq=max_seq,
        in_reply_to=header["bundle"],
        acked_upto=last,
        rejected=outcome.rejected,
        restores=outcome.restores,
        rekeys=rekeys,
        snapshot=result.snapshot,
        number=number,
        more=more,
    )
    result.sent = len(lines)
    log.info(
        "bundle from %s: %d accepted, %d rejected, %d skipped, %d sent",
        device_id[:8],
        result.accepted,
        result.rejected,
        result.skipped,
        result.sent,
    )
    return result


def _logged_audit(outcome: _Outcome) -> int:
    """The audit entries among the accepted changes (every one accepted is logged)."""
    if outcome.log_columns is None:
        return sum(row[2] == catalog.AUDIT_TABLE for row in outcome.log_rows)
    tables = outcome.log_columns[2]
    if isinstance(tables, str):
        return len(outcome.log_columns[0]) if tables == catalog.AUDIT_TABLE else 0
    return tables.count(catalog.AUDIT_TABLE)


def _new_rows(parsed: changes.Checked) -> dict[str, set[str]] | None:
    """The rows a bundle inserts, by table, when that is all it does (each row once, in
    tables where HQ may hold the same thing under another id or only HQ writes: never);
    else None."""
    if parsed.rows.keys() & (catalog.NATURAL_KEYS.keys() | catalog.REFERENCE_TABLES):
        return None
    return parsed.inserted


def _applied(conn: Connection, bundle_id: str) -> bool:
    return conn.execute(_APPLIED, {"bundle": bundle_id}).first() is not None


def _replay_reply(
    hq: Hq,
    result: Ingested,
    header: dict[str, Any],
    cursor: int,
    last: int | None,
    nonce: Nonce | None,
    transport: str,
) -> Ingested:
    resume, limit = _reply_part(header, cursor, transport)
    with hq.engine.connect() as conn:
        device = device_row(conn, result.device_id)
        assert device is not None
        if device["revoked_at"]:
            raise DeviceRevoked()
        rejected = _rejections(conn, hq_rejected.c.bundle_id == header["bundle"])
        restores = _restores(Store(conn), rejected)
    result.already_applied = True
    result.rejected = len(rejected)
    result.snapshot = cursor == 0 or cursor > device["sent_cursor"] or resume
    result.reply, result.sent = build_reply(
        hq,
        result.device_id,
        in_reply_to=header["bundle"],
        cursor=cursor,
        acked_upto=last,
        rejected=rejected,
        restores=restores,
        snapshot=result.snapshot,
        nonce=nonce,
        resume=resume,
        limit=limit,
    )
    return result


def _seq_collision(
    held: list[tuple[int, str]], incoming: list[tuple[dict[str, Any], bytes]]
) -> bool:
    """Whether HQ holds other changes under this device's sequence numbers: the device
    was restored from a backup (or copied) and has lost changes HQ must send back."""
    if not held:
        return False
    by_seq = {c["q"]: c["i"] for c, _ in incoming if "q" in c}
    return any(seq in by_seq and by_seq[seq] != change_id for seq, change_id in held)


def _rekeys(
    store: Store, device_id: str, aliases: dict[tuple[str, str], str] | None = None
) -> list[dict[str, Any]]:
    """The device's rows HQ mapped onto its own, each with HQ's row and field stamps
    (``aliases``, when the caller has them: (table, device's id) -> HQ's id)."""
    out = []
    if aliases is None:
        aliases = {
            (r[0], r[1]): r[2]
            for r in store.conn.execute(
                select(hq_alias.c.tbl, hq_alias.c.row_id, hq_alias.c.target_id).where(
                    hq_alias.c.device_id == device_id
                )
            )
        }
    for (t, old), new in aliases.items():
        row = store.load_rows(t, [new]).get(new)
        if row is None:
            continue
        stamps = store.clocks(t, [new]).get(new, {})
        fields = {k: v for k, v in row.items() if k != "id"}
        out.append({"t": t, "from": old, "to": new, "f": fields, "c": stamps})
    return out


def _reply_lines(
    conn: Connection,
    device: dict[str, Any],
    cursor: int,
    snapshot: bool,
    *,
    synced: dict[str, Any] | None = None,
    resume: bool = False,
    limit: int | None = None,
) -> tuple[int, list[str], int | None, bool]:
    """The last server sequence number, the device's stronghold's changes after its
    cursor up to it (all of them for a snapshot, its own included) as reply lines, the
    reply's number when ``synced`` is given, and whether more changes follow.

    ``resume``: the rest of a snapshot, after the cursor (a snapshot otherwise starts at
    0). ``limit``: at most this many lines; when there are more, the number returned is
    the last line's, which the device's next bundle names as its cursor.

    One statement: the number and the rows come from the same snapshot, and numbers are
    committed in order, so every change up to it is there. ``synced`` (a bundle being
    applied) also records the bundle and the device's sync, which takes the reply's
    number (_reply_counters): on PostgreSQL in the same statement.
    """
    params = {
        "s": device["stronghold_code"],
        "start": 0 if snapshot and not resume else cursor,
        "d": device["device_id"],
    }
    if synced is not None and conn.dialect.name == "postgresql":
        rows = _fetch(conn, _SYNCED_REPLY_LINES[snapshot], params | synced)
        reply_seq = rows[0][1]
        rows = [r[:1] + r[2:] for r in rows]
    else:
        if synced is not None:
            conn.execute(_BUNDLE_INSERT, _bundle_row(device["device_id"], synced))
        rows = _fetch(conn, _REPLY_LINES[snapshot], params)
        reply_seq = None
    max_seq = rows[0][0]
    if synced is not None and reply_seq is None:
        reply_seq = conn.execute(
            _DEVICE_SYNCED, {"device": device["device_id"], "max_seq": max_seq} | synced
        ).scalar_one()
    more = limit is not None and len(rows) > limit and rows[limit][1] is not None
    if more:
        rows = rows[:limit]
        max_seq = rows[-1][1]  # the next bundle's cursor: the rest follows in its reply
    return (
        max_seq,
        [
            f'{{"n":{seq},"s":{changes.dumps(s)},"d":{changes.dumps(origin)},{payload[1:]}'
            for _m, seq, s, origin, payload in rows
            if seq is not None
        ],
        reply_seq,
        more,
    )


def _bundle_row(device_id: str, synced: dict[str, Any]) -> dict[str, Any]:
    return {
        "bundle_id": synced["bundle"],
        "device_id": device_id,
        "seq": synced["seq"],
        "applied_at": synced["at"],
        "transport": synced["transport"],
        "accepted": synced["accepted"],
        "rejected": synced["rejected"],
        "skipped": synced["skipped"],
    }


def _reply_lines_statement(snapshot: bool, synced: bool = False) -> TextClause:
    # The stronghold's changes and HQ's shared ones (no stronghold) are two ranges of the
    # partition index, read as two: a single condition with OR made PostgreSQL walk every
    # stronghold's changes after the cursor.
    own = "" if snapshot else "AND c.origin != :d "
    part = (
        "SELECT server_seq, stronghold_code, origin, payload FROM hq_change "
        "WHERE stronghold_code {} AND server_seq > :start"
    )
    counter = "m AS (SELECT value FROM hq_counter WHERE name = 'server_seq')"
    if not synced:
        return text(
            f"WITH {counter} "
            "SELECT m.value, c.server_seq, c.stronghold_code, c.origin, c.payload "
            f"FROM m LEFT JOIN ({part.format('= :s')} UNION ALL {part.format('IS NULL')}) AS c "
            f"ON c.server_seq <= m.value {own}"
            "ORDER BY c.server_seq"
        )
    # PostgreSQL: the bundle and the device's sync (_DEVICE_SYNCED) recorded by the
    # statement that reads the reply; the sub-statements share its snapshot, so the
    # device is recorded as sent exactly up to the number the reply gives.
    return text(
        f"WITH {counter}, "
        "b AS (INSERT INTO hq_bundle (bundle_id, device_id, seq, applied_at, transport, "
        "accepted, rejected, skipped) VALUES (:bundle, :d, :seq, :at, :transport, "
        ":accepted, :rejected, :skipped)), "
        "u AS (UPDATE hq_device SET last_bundle_seq = :seq, confirmed_cursor = :cursor, "
        "max_seq_seen = :max_seq_seen, last_sync_at = :at, last_transport = :transport, "
        "app_version = :app, schema_rev = :schema, lang = :lang, "
        "reply_seq = GREATEST(reply_seq + 1, :now), "
        "sent_cursor = GREATEST(sent_cursor, (SELECT value FROM m)) "
        "WHERE device_id = :d RETURNING reply_seq) "
        "SELECT m.value, u.reply_seq, c.server_seq, c.stronghold_code, c.origin, c.payload "
        f"FROM m CROSS JOIN u "
        f"LEFT JOIN ({part.format('= :s')} UNION ALL {part.format('IS NULL')}) AS c "
        f"ON c.server_seq <= m.value {own}"
        "ORDER BY c.server_seq"
    )


# By whether the reply is a snapshot (which includes the device's own changes).
_REPLY_LINES = {snapshot: _reply_lines_statement(snapshot) for snapshot in (False, True)}
_SYNCED_REPLY_LINES = {
    snapshot: _reply_lines_statement(snapshot, synced=True) for snapshot in (False, True)
}

# A sync applied: the device's row records it and takes the reply's number (_reply_counters).
_DEVICE_SYNCED = (
    update(hq_device)
    .where(hq_device.c.device_id == bindparam("device"))
    .values(
        last_bundle_seq=bindparam("seq"),
        confirmed_cursor=bindparam("cursor"),
        max_seq_seen=bindparam("max_seq_seen"),
        last_sync_at=bindparam("at"),
        last_transport=bindparam("transport"),
        app_version=bindparam("app"),
        schema_rev=bindparam("schema"),
        lang=bindparam("lang"),
        reply_seq=case(
            (
                hq_device.c.reply_seq + 1 > bindparam("now", type_=BigInteger),
                hq_device.c.reply_seq + 1,
            ),
            else_=bindparam("now", type_=BigInteger),
        ),
        sent_cursor=case(
            (
                hq_device.c.sent_cursor > bindparam("max_seq", type_=BigInteger),
                hq_device.c.sent_cursor,
            ),
            else_=bindparam("max_seq", type_=BigInteger),
        ),
    )
    .returning(hq_device.c.reply_seq)
)


def _reply_counters(now: int, max_seq: int) -> dict[str, Any]:
    """The reply's number (after the last one, and time-based so that a restored HQ still
    counts up) and how far this device has been sent, as one UPDATE's values."""
    return {
        "reply_seq": case((hq_device.c.reply_seq + 1 > now, hq_device.c.reply_seq + 1), else_=now),
        "sent_cursor": case(
            (hq_device.c.sent_cursor > max_seq, hq_device.c.sent_cursor), else_=max_seq
        ),
    }


def _seal_reply(
    hq: Hq,
    device: dict[str, Any],
    lines: list[str],
    *,
    reply_seq: int,
    max_seq: int,
    in_reply_to: str,
    acked_upto: int | None,
    rejected: list[dict[str, Any]],
    restores: list[dict[str, Any]],
    rekeys: list[dict[str, Any]],
    snapshot: bool,
    number: Any,
    more: bool = False,
) -> bytes:
    header = {
        "kind": "reply",
        "from": hq.hq_id,
        "bundle": bundle.new_bundle_id(),
        "seq": reply_seq,
        "device": device["device_id"],
        "stronghold": device["stronghold_code"],
        "in_reply_to": in_reply_to,
        "protocol": bundle.PROTOCOL,
        "schema": versions.head(),
        "app": __version__,
        "cursor": max_seq,
        "acked_upto": acked_upto,
        "rejected": rejected,
        "restores": restores,
        "rekeys": rekeys,
        "snapshot": snapshot,
        "enrolled": True,
        "created_at": now_text(),
    }
    if number is not None:
        header["device_number"] = int(number)
    if more:
        header["more"] = True  # a part: the next bundle, with this cursor, gets the rest
    sign_pub = unb64(device["sign_pub"])
    return bundle.write(header, lines, hq.keys, unb64(device["box_pub"]), key_id(sign_pub))


def build_reply(
    hq: Hq,
    device_id: str,
    *,
    in_reply_to: str,
    cursor: int,
    acked_upto: int | None,
    rejected: list[dict[str, Any]],
    restores: list[dict[str, Any]],
    snapshot: bool,
    nonce: Nonce | None = None,
    resume: bool = False,
    limit: int | None = None,
) -> tuple[bytes, int]:
    """Seal everything for the device's stronghold after its cursor (all of it for a
    snapshot), with acknowledgements and rejections, to the device's key.

    A bundle's first reply is put together in the transaction that applies it
    (``_ingest_changes``); this builds it again, for a bundle seen before (taking the
    request's nonce with the reply's number)."""
    with hq.engine.connect() as conn:
        device = device_row(conn, device_id)
        assert device is not None
        max_seq, lines, _, more = _reply_lines(
            conn, device, cursor, snapshot, resume=resume, limit=limit
        )
        rekeys = _rekeys(Store(conn), device_id)
        number = _known_number(conn, device_id)
    now = hlc.now_ms()
    with hq.write_engine.begin() as conn:
        _take_nonce(conn, nonce)
        reply_seq = conn.execute(
            update(hq_device)
            .where(hq_device.c.device_id == device_id)
            .values(**_reply_counters(now, max_seq))
            .returning(hq_device.c.reply_seq)
        ).scalar_one()
    data = _seal_reply(
        hq,
        device,
        lines,
        reply_seq=reply_seq,
        max_seq=max_seq,
        in_reply_to=in_reply_to,
        acked_upto=acked_upto,
        rejected=rejected,
        restores=restores,
        rekeys=rekeys,
        snapshot=snapshot,
        number=number,
        more=more,
    )
    return data, len(lines)
