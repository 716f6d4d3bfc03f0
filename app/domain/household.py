"""Households (xonadon), their members, and the visits made to them."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field

from app.domain.base import Replicated, UtcDateTime, code_field


class Household(Replicated, table=True):
    __tablename__ = "household"

    makhalla: str = Field(default="", max_length=120)
    makhalla_id: uuid.UUID | None = Field(default=None, foreign_key="makhalla.id")
    street: str = Field(max_length=200, index=True)
    house: str = Field(max_length=20)
    flat: str = Field(default="", max_length=20)
    head_person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id")
    # Conflict families are visited more often (an interval in the settings).
    conflict_family: bool = Field(default=False)
    notes: str = Field(default="")


class HouseholdMember(Replicated, table=True):
    __tablename__ = "household_member"

    household_id: uuid.UUID = Field(foreign_key="household.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    relation: str = Field(default="", max_length=60)


class HouseholdVisit(Replicated, table=True):
    __tablename__ = "household_visit"
    # Coverage and "not visited this quarter" scan visits by time (0006); "the last visit
    # of these households" reads only the index (0007).
    __table_args__ = (
        Index("ix_household_visit_at_household", "visited_at", "household_id", "deleted"),
        Index("ix_household_visit_household_at", "household_id", "deleted", "visited_at"),
    )

    household_id: uuid.UUID = Field(foreign_key="household.id", index=True)
    visited_at: datetime = Field(sa_type=UtcDateTime, index=True)
    visitor_id: uuid.UUID | None = Field(default=None, foreign_key="staff_user.id")
    visitor_name: str = Field(default="", max_length=200)
    other_visitors: str = Field(default="", max_length=300)
    purpose: str = code_field(default="routine")
    direction: str = code_field(default="public_order")
    findings: str = Field(default="")
    measures: str = Field(default="")
    next_visit_due: date | None = Field(default=None)


class VisitPerson(Replicated, table=True):
    """A person met during a visit."""

    __tablename__ = "visit_person"

    visit_id: uuid.UUID = Field(foreign_key="household_visit.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
