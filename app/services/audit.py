"""The audit chain: every write, print, export, import, sync and login, hash-linked.

Each device keeps its own chain (seq 1, 2, 3... with each entry's hash covering the
previous one's), so chains from several computers can meet at HQ and still verify.
Entries carry ids, codes and field names only; never a name, PINFL or passport.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass

from sqlmodel import Session, func, select

from app.domain.audit import AuditEntry
from app.domain.base import utcnow


def entry_hash(e: AuditEntry) -> str:
    payload = {
        "device": e.device_id,
        "seq": e.seq,
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
    return entry


@dataclass(frozen=True)
class ChainProblem:
    device_id: str
    seq: int
    problem: str  # "edited", "missing", "reordered"

    def __str__(self) -> str:
        return f"audit entry {self.seq} of device {self.device_id[:8]}: {self.problem}"


def verify_chain(session: Session) -> list[ChainProblem]:
    """Find edited, deleted and reordered entries, device by device."""
    problems: list[ChainProblem] = []
    devices = session.exec(select(AuditEntry.device_id).distinct()).all()
    for device in devices:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.device_id == device).order_by(AuditEntry.seq)
        ).all()
        prev_hash = ""
        expected_seq = 1
        for e in entries:
            if e.seq != expected_seq:
                problems.append(ChainProblem(device, expected_seq, "missing"))
                expected_seq = e.seq
            if entry_hash(e) != e.hash:
                problems.append(ChainProblem(device, e.seq, "edited"))
            elif e.prev_hash != prev_hash:
                problems.append(ChainProblem(device, e.seq, "reordered or previous missing"))
            prev_hash = e.hash
            expected_seq += 1
    return problems


def count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(AuditEntry)).one()
