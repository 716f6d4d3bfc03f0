"""A person known to the stronghold: resident, supervised person, party or witness."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Index, LargeBinary
from sqlmodel import Field

from app.domain.base import Replicated, code_field


class Person(Replicated, table=True):
    __tablename__ = "person"
    # The persons table's first page, in name order, without a sort (0006).
    __table_args__ = (Index("ix_person_list", "deleted", "surname", "given_name", "id"),)

    surname: str = Field(max_length=100)
    given_name: str = Field(max_length=100)
    # Either "Anvarovna" or "Dilmurod qizi" forms; kept exactly as typed.
    patronymic: str = Field(default="", max_length=100)
    birth_date: date | None = Field(default=None)
    sex: str = code_field(default="m")
    pinfl: str | None = Field(default=None, max_length=14, index=True)
    passport: str | None = Field(default=None, max_length=9, index=True)
    phone: str = Field(default="", max_length=13)
    phone2: str = Field(default="", max_length=13)
    region: str = Field(default="", max_length=120)
    district: str = Field(default="", max_length=120)
    makhalla: str = Field(default="", max_length=120)
    makhalla_id: uuid.UUID | None = Field(default=None, foreign_key="makhalla.id")
    street: str = Field(default="", max_length=200)
    house: str = Field(default="", max_length=20)
    flat: str = Field(default="", max_length=20)
    workplace: str = Field(default="", max_length=300)
    photo: bytes | None = Field(default=None, sa_type=LargeBinary)
    notes: str = Field(default="")
