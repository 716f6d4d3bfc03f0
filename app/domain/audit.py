"""The audit trail: who did what, chained by hash so edits and deletions show.

Entries name records by id and never carry a name, PINFL or passport in clear: the
details column holds only field names and codes.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from app.domain.base import Replicated, UtcDateTime


class AuditEntry(Replicated, table=True):
    __tablename__ = "audit_entry"
    # Added by migration 0004: the chain walk per device and the Audit screen's filters.
    __table_args__ = (Index("ix_audit_entry_device_seq", "device_id", "seq"),)

    seq: int = Field(index=True)  # per device, 1, 2, 3...
    device_id: str = Field(default="", max_length=40)
    at: datetime = Field(sa_type=UtcDateTime, index=True)
    user_login: str = Field(default="", max_length=64, index=True)
    action: str = Field(max_length=40, index=True)  # create, update, close, print, login...
    table_name: str = Field(default="", max_length=40)
    record_id: uuid.UUID | None = Field(default=None, index=True)
    person_id: uuid.UUID | None = Field(default=None, index=True)
    details: str = Field(default="")  # JSON: changed field names, codes; no personal data
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(max_length=64)
