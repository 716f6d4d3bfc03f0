"""`tayanch verify`: the database's integrity, the audit chain and the issued documents."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlmodel import select

from app.db.register import Register
from app.domain.document import IssuedDocument
from app.i18n import _
from app.services import audit


@dataclass
class VerifyReport:
    checked: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def document_problems(reg: Register) -> tuple[int, list[str]]:
    """Each issued document's snapshot must still hash to the SHA-256 stored at issue."""
    problems = []
    with reg.reading() as s:
        docs = s.exec(select(IssuedDocument)).all()
        for doc in docs:
            digest = hashlib.sha256(doc.snapshot.encode("utf-8")).hexdigest()
            if digest != doc.sha256:
                problems.append(
                    _("Issued document {number} was altered after issue.").format(number=doc.number)
                )
    return len(docs), problems


def verify(reg: Register) -> VerifyReport:
    report = VerifyReport()
    for problem in reg.integrity_check():
        report.problems.append(_("Database: {problem}").format(problem=problem))
    report.checked["database"] = 1
    with reg.reading() as s:
        report.checked["audit_entries"] = audit.count(s)
        for p in audit.verify_chain(s):
            report.problems.append(
                _("Audit entry {seq} of device {device}: {problem}").format(
                    seq=p.seq, device=p.device_id[:8], problem=p.label()
                )
            )
    n, problems = document_problems(reg)
    report.checked["documents"] = n
    report.problems += problems
    return report
