"""Family disputes (oilaviy nizo): parties, measures, follow-ups."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import Field

from app.domain.base import Replicated, UtcDateTime, code_field


class FamilyDispute(Replicated, table=True):
    __tablename__ = "family_dispute"

    reported_at: datetime = Field(sa_type=UtcDateTime, index=True)
    source: str = code_field(default="application")
    nature: str = code_field(default="divorce")
    household_id: uuid.UUID | None = Field(default=None, foreign_key="household.id")
    description: str = Field(default="")
    status: str = code_field(default="open", index=True)
    # A report must be examined within 24 hours; until then it is an alert.
    examined_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    closed_on: date | None = Field(default=None)
    responsible_id: uuid.UUID | None = Field(default=None, foreign_key="staff_user.id")


class DisputeParty(Replicated, table=True):
    __tablename__ = "dispute_party"

    dispute_id: uuid.UUID = Field(foreign_key="family_dispute.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    role: str = code_field(default="other")


class DisputeMeasure(Replicated, table=True):
    __tablename__ = "dispute_measure"

    dispute_id: uuid.UUID = Field(foreign_key="family_dispute.id", index=True)
    on: date
    kind: str = code_field()
    notes: str = Field(default="")


class DisputeFollowUp(Replicated, table=True):
    __tablename__ = "dispute_follow_up"

    dispute_id: uuid.UUID = Field(foreign_key="family_dispute.id", index=True)
    on: date
    notes: str = Field(default="")
