"""Citizens and organisations proposed for a reward or a letter of thanks."""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import Field

from app.domain.base import Replicated, code_field


class CitizenContribution(Replicated, table=True):
    __tablename__ = "citizen_contribution"

    person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id")
    organisation: str = Field(default="", max_length=300)
    on: date = Field(index=True)
    kind: str = code_field()
    description: str = Field(default="")
    proposed: str = code_field(default="thanks")
    status: str = code_field(default="proposed")  # proposed | granted | declined
