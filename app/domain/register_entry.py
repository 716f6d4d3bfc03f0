"""A person's place on a register (supervision), its check-ins and violations."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field

from app.domain.base import Replicated, UtcDateTime, code_field


class RegisterEntry(Replicated, table=True):
    __tablename__ = "register_entry"

    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    category: str = code_field(index=True)
    basis_body: str = Field(default="", max_length=300)  # court or body that decided
    basis_number: str = Field(default="", max_length=60)
    basis_date: date | None = Field(default=None)
    basis_article: str = Field(default="", max_length=60)
    start_date: date
    end_date: date | None = Field(default=None)
    # Court duties or restrictions, one per line, as written in the decision.
    conditions: str = Field(default="")
    checkin_every_days: int = Field(default=30)
    risk_level: str = code_field(default="low")
    responsible_id: uuid.UUID | None = Field(default=None, foreign_key="staff_user.id")
    status: str = code_field(default="active", index=True)
    removal_date: date | None = Field(default=None)
    removal_reason: str = Field(default="")
    notes: str = Field(default="")


class CheckIn(Replicated, table=True):
    __tablename__ = "check_in"
    # "The last contact of these entries" (Today's overdue check-ins) reads only the index.
    __table_args__ = (Index("ix_check_in_entry_at", "entry_id", "deleted", "result", "at"),)

    entry_id: uuid.UUID = Field(foreign_key="register_entry.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    at: datetime = Field(sa_type=UtcDateTime, index=True)
    kind: str = code_field(default="home_visit")
    result: str = code_field(default="present")
    notes: str = Field(default="")
    recorded_by_id: uuid.UUID | None = Field(default=None, foreign_key="staff_user.id")


class Violation(Replicated, table=True):
    __tablename__ = "violation"

    entry_id: uuid.UUID = Field(foreign_key="register_entry.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    check_in_id: uuid.UUID | None = Field(default=None, foreign_key="check_in.id")
    at: datetime = Field(sa_type=UtcDateTime)
    what: str = Field(default="")
    outcome: str = code_field(default="warning")
    notes: str = Field(default="")
