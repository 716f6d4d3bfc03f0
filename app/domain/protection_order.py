"""Protection orders (himoya orderi), their extensions and breaches."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import Field

from app.domain.base import Replicated, UtcDateTime, code_field


class ProtectionOrder(Replicated, table=True):
    __tablename__ = "protection_order"

    number: str = Field(default="", max_length=40)
    issued_on: date = Field(index=True)
    issued_by_id: uuid.UUID | None = Field(default=None, foreign_key="staff_user.id")
    protected_person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    respondent_person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    dispute_id: uuid.UUID | None = Field(default=None, foreign_key="family_dispute.id")
    grounds: str = Field(default="")
    # Prohibition codes (enums.Prohibition), comma-separated.
    prohibitions: str = Field(default="")
    duties: str = Field(default="")
    duration_days: int
    start_date: date
    end_date: date = Field(index=True)
    status: str = code_field(default="active", index=True)


class OrderExtension(Replicated, table=True):
    __tablename__ = "order_extension"

    order_id: uuid.UUID = Field(foreign_key="protection_order.id", index=True)
    on: date
    days: int
    new_end_date: date
    reason: str = Field(default="")


class OrderBreach(Replicated, table=True):
    __tablename__ = "order_breach"

    order_id: uuid.UUID = Field(foreign_key="protection_order.id", index=True)
    at: datetime = Field(sa_type=UtcDateTime)
    description: str = Field(default="")
    action: str = Field(default="")
