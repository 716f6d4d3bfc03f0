"""Preventive measures: talks, official warnings, notices, referrals, plans, conclusions."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import Field

from app.domain.base import Replicated, UtcDateTime, code_field


class PreventiveMeasure(Replicated, table=True):
    __tablename__ = "preventive_measure"

    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    entry_id: uuid.UUID | None = Field(default=None, foreign_key="register_entry.id")
    kind: str = code_field(index=True)
    on: date = Field(index=True)
    # When the talk or warning took place; printed on the record (0005).
    held_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    place: str = Field(default="", max_length=300)
    direction: str = code_field(default="public_order")
    subject: str = Field(default="")  # what was discussed or warned about
    content: str = Field(default="")
    legal_basis: str = Field(default="", max_length=300)
    official_id: uuid.UUID | None = Field(default=None, foreign_key="staff_user.id")
