"""Issued documents: immutable snapshots that print the same way every time."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from app.domain.base import Replicated, UtcDateTime, code_field


class IssuedDocument(Replicated, table=True):
    __tablename__ = "issued_document"
    __table_args__ = (UniqueConstraint("stronghold_code", "year", "seq"),)

    kind: str = code_field(index=True)
    record_id: uuid.UUID | None = Field(default=None, index=True)
    person_id: uuid.UUID | None = Field(default=None, index=True)
    year: int
    seq: int
    number: str = Field(max_length=40)  # e.g. TP-0123/2026-00045
    lang: str = Field(max_length=8)
    issued_at: datetime = Field(sa_type=UtcDateTime)
    issued_by_id: uuid.UUID | None = Field(default=None, foreign_key="staff_user.id")
    snapshot: str  # JSON of the document's data, canonical form
    sha256: str = Field(max_length=64)
    corrects_id: uuid.UUID | None = Field(default=None, foreign_key="issued_document.id")
