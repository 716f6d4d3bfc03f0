"""Administrative offence cases, everything the offence protocol prints."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field

from app.domain.base import Replicated, UtcDateTime, code_field


class OffenceCase(Replicated, table=True):
    __tablename__ = "offence_case"

    drawn_up_at: datetime = Field(sa_type=UtcDateTime, index=True)
    drawn_up_place: str = Field(default="", max_length=300)
    official_id: uuid.UUID | None = Field(default=None, foreign_key="staff_user.id")
    official_position: str = Field(default="", max_length=200)
    official_name: str = Field(default="", max_length=200)
    offender_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    offence_place: str = Field(default="", max_length=300)
    offence_at: datetime = Field(sa_type=UtcDateTime)
    substance: str = Field(default="")
    article: str = Field(max_length=60)  # of the Code of Administrative Responsibility
    explanation: str = Field(default="")
    other_facts: str = Field(default="")
    damage: str = Field(default="")
    refused_to_sign: bool = Field(default=False)
    direction: str = code_field(default="admin_offences")


class OffenceParticipant(Replicated, table=True):
    """A witness or victim, with an address as the protocol requires."""

    __tablename__ = "offence_participant"

    case_id: uuid.UUID = Field(foreign_key="offence_case.id", index=True)
    role: str = code_field(default="witness")
    person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id")
    full_name: str = Field(max_length=300)
    address: str = Field(default="", max_length=300)
