"""The audit chain: every write, print, export, import, sync and login, hash-linked.

Each device keeps its own chain (seq 1, 2, 3... with each entry's hash covering the
previous one's), so chains from several computers can meet at HQ and still verify. The
device's newest seq and hash are also kept in LocalState (never synced), so cutting
entries off the end of the chain shows too.
Entries carry ids, codes and field names only; never a name, PINFL or passport.

Other areas call :func:`record_event` for what is not a row write (print, export,
import, sync, backup); writes inside a unit of work use ``uow.audit(...)``. The Audit
screen reads through :func:`query_entries` and :func:`count_entries`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, func, select

from app.domain.audit import AuditEntry
from app.domain.base import TASHKENT, utcnow
from app.domain.local import LocalState
from app.i18n import N_, translator

if TYPE_CHECKING:
    from app.db.register import Register

log = logging.getLogger(__name__)

HEAD_PREFIX = "audit_head:"

# Action codes are stable (they are stored and synced); labels are for the Audit screen.
ACTION_LABELS: dict[str, str] = {
    "create": N_("created"),
    "update": N_("changed"),
    "close": N_("closed or deleted"),
    "login": N_("logged in"),
    "login_failed": N_("wrong password"),
    "unlock": N_("unlocked"),
    "lock": N_("locked"),
    "recovery_unlock": N_("opened with the recovery key"),
    "register_created": N_("register created"),
    "print": N_("printed"),
    "reprint": N_("printed again"),
    "merge": N_("duplicates merged"),
    "sync_enrol": N_("enrolled at headquarters"),
    "sync_resolve": N_("sync conflict resolved"),
    "export": N_("exported"),
    "import": N_("imported"),
    "sync_export": N_("sync bundle written"),
    "sync_import": N_("sync bundle applied"),
    "sync": N_("synced with headquarters"),
    "backup": N_("backup made"),
    "restore": N_("backup restored"),
    "password_change": N_("own password changed"),
    "password_reset": N_("password reset"),
    "recovery_key_renewed": N_("recovery key renewed"),
    "user_disable": N_("user disabled"),
    "user_enable": N_("user enabled"),
    "role_change": N_("role changed"),
    "demo": N_("demo data generated"),
}

# Keys that would put personal data into an entry. Entries name records by id only.
PERSONAL_KEYS = frozenset(
    {
        "name",
        "surname",
        "given_name",
        "patronymic",
        "full_name",
        "pinfl",
        "passport",
        "address",
        "street",
        "house",
        "flat",
        "phone",
        "phone2",
        "birth_date",
        "notes",
    }
)

PROBLEM_LABELS: dict[str, str] = {
    "edited": N_("edited"),
    "missing": N_("missing"),
    "reordered": N_("moved out of order"),
    "duplicate": N_("duplicated"),
}


def action_label(action: str, lang: str | None = None) -> str:
    """The translated name of an action for the Audit screen (the code if unknown)."""
    from app.i18n import current_language

    label = ACTION_LABELS.get(action)
    return translator(lang or current_language()).gettext(label) if label else action


def entry_hash(e: AuditEntry, *, seq: int | None = None) -> str:
    """The entry's hash; with ``seq``, the hash it would have at that place in the chain."""
    payload = {
        "device": e.device_id,
        "seq": e.seq if seq is None else seq,
        "at": e.at.isoformat(timespec="microseconds") if e.at else "",
        "user": e.user_login,
        "action": e.action,
        "table": e.table_name,
        "record": str(e.record_id) if e.record_id else "",
        "person": str(e.person_id) if e.person_id else "",
        "details": e.details,
        "prev": e.prev_hash,
        "id": str(e.id),
    }
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()


def append(
    session: Session,
    *,
    device_id: str,
    stronghold_code: str | None,
    user_login: str,
    action: str,
    table_name: str = "",
    record_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    details: dict | None = None,
) -> AuditEntry:
    """Add the next entry of this device's chain to ``session`` (committed by the caller)."""
    personal = PERSONAL_KEYS.intersection(details or {})
    if personal:
        raise ValueError(f"audit details must not carry personal data: {sorted(personal)}")
    last = session.exec(
        select(AuditEntry)
        .where(AuditEntry.device_id == device_id)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).first()
    entry = AuditEntry(
        stronghold_code=stronghold_code,
        seq=(last.seq + 1) if last else 1,
        device_id=device_id,
        at=utcnow(),
        user_login=user_login,
        action=action,
        table_name=table_name,
        record_id=record_id,
        person_id=person_id,
        details=json.dumps(details or {}, sort_keys=True, ensure_ascii=False),
        prev_hash=last.hash if last else "",
        hash="",
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.merge(LocalState(key=HEAD_PREFIX + device_id, value=f"{entry.seq}:{entry.hash}"))
    return entry


def record_event(
    reg: Register,
    action: str,
    *,
    table: str = "",
    record_id: uuid.UUID | str | None = None,
    person_id: uuid.UUID | str | None = None,
    **details: Any,
) -> AuditRecord:
    """Audit something that is not a row write (print, export, import, sync, backup...).

    Its own short transaction. The caller checks permissions; details hold codes, counts
    and ids only. Raises the typed storage errors when the disk refuses the write.
    """
    with Session(reg.write_engine, expire_on_commit=False) as s:
        entry = append(
            s,
            device_id=reg.device_id,
            stronghold_code=reg.stronghold_code,
            user_login=reg.user.login,
            action=action,
            table_name=table,
            record_id=_uuid(record_id),
            person_id=_uuid(person_id),
            details=details or None,
        )
        s.commit()
        return _record(entry)


def _uuid(value: uuid.UUID | str | None) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


# --- verifying the chain ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    device_id: str
    seq: int
    problem: str  # "edited", "missing", "reordered", "duplicate"

    def label(self, lang: str | None = None) -> str:
        from app.i18n import current_language

        tpl = PROBLEM_LABELS.get(self.problem, self.problem)
        return translator(lang or current_language()).gettext(tpl)

    def __str__(self) -> str:
        return f"audit entry {self.seq} of device {self.device_id[:8]}: {self.problem}"


def _moved_from(e: AuditEntry, by_hash: dict[str, AuditEntry]) -> int | None:
    """The seq an intact entry was written with, if it now sits at another one."""
    candidates = set(range(max(1, e.seq - 16), e.seq + 17))
    parent = by_hash.get(e.prev_hash)
    if parent is not None:
        candidates.add(parent.seq + 1)
    candidates.discard(e.seq)
    for seq in sorted(candidates, key=lambda s: abs(s - e.seq)):
        if entry_hash(e, seq=seq) == e.hash:
            return seq
    return None


def _heads(session: Session) -> dict[str, tuple[int, str]]:
    rows = session.exec(select(LocalState).where(LocalState.key.startswith(HEAD_PREFIX))).all()
    heads = {}
    for row in rows:
        seq, _, digest = row.value.partition(":")
        try:
            heads[row.key[len(HEAD_PREFIX) :]] = (int(seq), digest)
        except ValueError:
            heads[row.key[len(HEAD_PREFIX) :]] = (0, "")
    return heads


def verify_chain(session: Session) -> list[ChainProblem]:
    """Find edited, deleted and reordered entries, device by device, and name each."""
    problems: list[ChainProblem] = []
    heads = _heads(session)
    devices = set(session.exec(select(AuditEntry.device_id).distinct()).all()) | set(heads)
    for device in sorted(devices):
        entries = session.exec(
            select(AuditEntry)
            .where(AuditEntry.device_id == device)
            .order_by(AuditEntry.seq, AuditEntry.id)
        ).all()
        by_hash = {e.hash: e for e in entries}
        prev: AuditEntry | None = None
        prev_flagged = False  # a broken link right after a named problem is not a new one
        expected = 1
        for e in entries:
            flagged = False
            if e.seq < expected:
                problems.append(ChainProblem(device, e.seq, "duplicate"))
                continue
            if e.seq > expected:
                problems.append(ChainProblem(device, expected, "missing"))
                prev_flagged = True
            if entry_hash(e) != e.hash:
                moved = _moved_from(e, by_hash)
                problems.append(ChainProblem(device, e.seq, "reordered" if moved else "edited"))
                flagged = True
            elif e.prev_hash != (prev.hash if prev else "") and not prev_flagged:
                if prev is not None and e.prev_hash not in by_hash:
                    # The previous entry was rewritten with a fresh hash: it is the edited one.
                    problems.append(ChainProblem(device, prev.seq, "edited"))
                else:
                    problems.append(ChainProblem(device, e.seq, "reordered"))
                    flagged = True
            prev = e
            prev_flagged = flagged
            expected = e.seq + 1
        head = heads.get(device)
        if head is not None and head[0] > (prev.seq if prev else 0):
            problems.append(ChainProblem(device, (prev.seq if prev else 0) + 1, "missing"))
    return problems


def count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(AuditEntry)).one()


# --- reading the trail (the Audit screen) ------------------------------------------------------


@dataclass(frozen=True)
class AuditRecord:
    """One entry as the Audit screen shows it; ``details`` is the decoded JSON."""

    id: uuid.UUID
    device_id: str
    seq: int
    at: datetime
    user_login: str
    action: str
    table_name: str
    record_id: uuid.UUID | None
    person_id: uuid.UUID | None
    details: dict[str, Any]

    def label(self, lang: str | None = None) -> str:
        return action_label(self.action, lang)


def _record(e: AuditEntry) -> AuditRecord:
    try:
        details = json.loads(e.details) if e.details else {}
    except ValueError:
        details = {}
    return AuditRecord(
        id=e.id,
        device_id=e.device_id,
        seq=e.seq,
        at=e.at,
        user_login=e.user_login,
        action=e.action,
        table_name=e.table_name,
        record_id=e.record_id,
        person_id=e.person_id,
        details=details,
    )


@dataclass(frozen=True)
class AuditFilter:
    """What the Audit screen filters by; dates are Tashkent days, both ends included."""

    user: str | None = None
    person_id: uuid.UUID | str | None = None
    actions: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    table: str | None = None
    record_id: uuid.UUID | str | None = None

    def replace(self, **changes: Any) -> AuditFilter:
        return dataclasses.replace(self, **changes)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, TASHKENT).astimezone(UTC)


def _where(stmt, f: AuditFilter):
    if f.user:
        stmt = stmt.where(AuditEntry.user_login == f.user)
    if f.person_id:
        stmt = stmt.where(AuditEntry.person_id == _uuid(f.person_id))
    if f.record_id:
        stmt = stmt.where(AuditEntry.record_id == _uuid(f.record_id))
    if f.actions:
        stmt = stmt.where(AuditEntry.action.in_(list(f.actions)))
    if f.table:
        stmt = stmt.where(AuditEntry.table_name == f.table)
    if f.date_from:
        stmt = stmt.where(AuditEntry.at >= _day_start(f.date_from))
    if f.date_to:
        stmt = stmt.where(AuditEntry.at < _day_start(f.date_to + timedelta(days=1)))
    return stmt


def _can_view(reg: Register) -> None:
    from app.services.base import require_permission

    require_permission(reg, "view_audit")


def query_entries(
    reg: Register, f: AuditFilter | None = None, *, offset: int = 0, limit: int | None = 200
) -> list[AuditRecord]:
    """Entries matching ``f``, newest first; inspectors only."""
    _can_view(reg)
    stmt = _where(select(AuditEntry), f or AuditFilter())
    stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.seq.desc()).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    with reg.reading() as s:
        return [_record(e) for e in s.exec(stmt).all()]


def count_entries(reg: Register, f: AuditFilter | None = None) -> int:
    _can_view(reg)
    stmt = _where(select(func.count()).select_from(AuditEntry), f or AuditFilter())
    with reg.reading() as s:
        return s.exec(stmt).one()


def filter_choices(reg: Register) -> tuple[list[str], list[str]]:
    """The users and the action codes that occur, for the Audit screen's filter lists."""
    _can_view(reg)
    with reg.reading() as s:
        users = s.exec(select(AuditEntry.user_login).distinct()).all()
        actions = s.exec(select(AuditEntry.action).distinct()).all()
    return sorted(u for u in users if u), sorted(actions)


def actions_of(codes: Iterable[str]) -> tuple[str, ...]:
    """Normalise a user's list of action codes (CLI: comma separated)."""
    out: list[str] = []
    for code in codes:
        out += [c.strip() for c in code.split(",") if c.strip()]
    return tuple(out)
