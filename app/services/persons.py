"""Persons: the people the stronghold knows, with their identity checks."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from app.domain.enums import Sex
from app.domain.person import Person
from app.domain.validation import (
    normalize_name,
    normalize_phone,
    passport_problem,
    pinfl_problem,
)
from app.errors import ValidationError
from app.i18n import N_
from app.services.base import EntityService, UnitOfWork

PERSON_FIELDS = (
    "surname",
    "given_name",
    "patronymic",
    "birth_date",
    "sex",
    "pinfl",
    "passport",
    "phone",
    "phone2",
    "region",
    "district",
    "makhalla",
    "makhalla_id",
    "street",
    "house",
    "flat",
    "workplace",
    "photo",
    "notes",
)


class DuplicatePinflError(ValidationError):
    code = "duplicate_pinfl"
    template = N_("A person with this PINFL is already in the register: {name}.")


class PersonService(EntityService):
    model = Person
    editable = PERSON_FIELDS
    required = ("surname", "given_name", "birth_date", "sex")
    person_field = "id"

    def check(
        self,
        uow: UnitOfWork,
        values: dict[str, Any],
        existing: Person | None,
        problems: dict[str, str],
    ) -> None:
        for k in ("surname", "given_name", "patronymic"):
            if k in values and values[k]:
                values[k] = normalize_name(values[k])
        if "sex" in values:
            sex = str(values["sex"]).lower()
            if sex not in Sex.codes():
                problems["sex"] = N_("Choose male or female.")
            values["sex"] = sex
        for k in ("phone", "phone2"):
            if values.get(k):
                normal = normalize_phone(values[k])
                if normal is None:
                    problems[k] = N_("A phone number is +998 and 9 digits, e.g. +998 90 123 45 67.")
                else:
                    values[k] = normal
        if values.get("passport"):
            values["passport"] = values["passport"].replace(" ", "").upper()
            problem = passport_problem(values["passport"])
            if problem:
                problems["passport"] = problem
        elif "passport" in values:
            values["passport"] = None
        birth = values.get("birth_date", existing.birth_date if existing else None)
        sex = values.get("sex", existing.sex if existing else None)
        pinfl = values.get("pinfl", existing.pinfl if existing else None)
        if "pinfl" in values and not values["pinfl"]:
            values["pinfl"] = pinfl = None
        if pinfl:
            pinfl = "".join(pinfl.split())
            if "pinfl" in values:
                values["pinfl"] = pinfl
            problem = pinfl_problem(pinfl, birth, sex)
            if problem:
                problems["pinfl"] = problem
            elif "pinfl" in values:
                same = uow.session.exec(
                    select(Person).where(Person.pinfl == pinfl, Person.deleted == False)
                ).first()
                if same is not None and (existing is None or same.id != existing.id):
                    name = " ".join(
                        p for p in (same.surname, same.given_name, same.patronymic) if p
                    )
                    raise DuplicatePinflError(
                        fields={"pinfl": DuplicatePinflError.template}, name=name, id=str(same.id)
                    )


persons = PersonService()


def full_name(p: Any) -> str:
    return " ".join(x for x in (p.surname, p.given_name, p.patronymic) if x)
