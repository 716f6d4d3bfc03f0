"""The stronghold itself, its staff, its settings and HQ's reference durations."""

from __future__ import annotations

import uuid

from sqlmodel import Field

from app.domain.base import Replicated, code_field


class Stronghold(Replicated, table=True):
    __tablename__ = "stronghold"

    code: str = Field(max_length=16, unique=True)
    name: str = Field(max_length=200)
    # The office line printed above the stronghold's name on every document.
    office: str = Field(default="", max_length=300)
    region: str = Field(default="", max_length=120)
    district: str = Field(default="", max_length=120)
    makhalla: str = Field(default="", max_length=120)
    makhalla_id: uuid.UUID | None = Field(default=None, foreign_key="makhalla.id")
    address: str = Field(default="", max_length=300)
    phone: str = Field(default="", max_length=20)


class StaffUser(Replicated, table=True):
    """A member of staff who logs in. The password never lives here: see app/db/keys.py."""

    __tablename__ = "staff_user"

    login: str = Field(max_length=64, index=True)
    full_name: str = Field(max_length=200)
    position: str = Field(default="", max_length=200)
    role: str = code_field(default="assistant")
    active: bool = Field(default=True)


class Setting(Replicated, table=True):
    """A stronghold setting that must be the same on all its computers (so it syncs)."""

    __tablename__ = "setting"

    key: str = Field(max_length=80, index=True)
    value: str = Field(default="")


class OrderDuration(Replicated, table=True):
    """Allowed protection-order durations: reference data, since the law changed them."""

    __tablename__ = "order_duration"

    kind: str = code_field()  # initial | extension | child | court
    days: int
    label: str = Field(default="", max_length=200)
    active: bool = Field(default=True)
