"""Persons: the people the stronghold knows, with their identity checks."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlmodel import SQLModel, select

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
from app.search.keys import word_keys, words
from app.services.base import EntityService, UnitOfWork, require_permission, unit_of_work

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
    template = N_(
        "A person with this PINFL is already in the register: {name}. "
        "Open that person instead of adding a new one, or correct the PINFL."
    )


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
        normalize_person(values, existing, problems)
        pinfl = values.get("pinfl")
        if pinfl and "pinfl" not in problems:
            same = uow.session.exec(
                select(Person).where(Person.pinfl == pinfl, Person.deleted == False)
            ).first()
            if same is not None and (existing is None or same.id != existing.id):
                raise DuplicatePinflError(
                    fields={"pinfl": DuplicatePinflError.template},
                    name=full_name(same),
                    id=str(same.id),
                )


def normalize_person(
    values: dict[str, Any], existing: Any | None, problems: dict[str, str]
) -> None:
    """Normalise a person's values in place and note what is wrong, without the database.

    Shared by the form (through PersonService.check) and the import, which checks
    PINFLs against the register itself, in bulk.
    """
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


persons = PersonService()


def full_name(p: Any) -> str:
    return " ".join(x for x in (p.surname, p.given_name, p.patronymic) if x)


# --- likely duplicates -----------------------------------------------------------------


def _name_words(*parts: str | None) -> list[tuple[str, ...]]:
    return [k for part in parts for w in words(part) if (k := word_keys(w))]


def same_folded_name(a: list[tuple[str, ...]], b: list[tuple[str, ...]]) -> bool:
    """Same words after folding scripts and spellings, in any order (surname and given
    name are often typed in each other's place)."""
    if len(a) != len(b) or not a:
        return False
    rest = list(b)
    for keys in a:
        for i, other in enumerate(rest):
            if set(keys) & set(other):
                del rest[i]
                break
        else:
            return False
    return True


def likely_duplicates(
    reg: Any,
    *,
    surname: str,
    given_name: str,
    birth_date: date | str | None,
    exclude_id: uuid.UUID | str | None = None,
) -> list:
    """Persons already in the register with the same folded name and birth date.

    The window offers these before saving a new person (Қодиров Шавкат, 12.03.1985
    and Qodirov Shavkat, 12.03.1985 are likely one person); nothing is refused.
    Returns ``app.search.service.SearchHit`` records.
    """
    from app.search import index
    from app.search.service import SearchHit, _active_registers

    require_permission(reg, "read")
    if isinstance(birth_date, str):
        from app.services.base import parse_date

        birth_date = parse_date(birth_date) if birth_date.strip() else None
    wanted = _name_words(surname, given_name)
    if birth_date is None or not wanted:
        return []
    expr = " AND ".join("names : (" + " OR ".join(f'"{k}"' for k in keys) + ")" for keys in wanted)
    exclude = uuid.UUID(str(exclude_id)).hex if exclude_id else None
    index.ensure(reg.engine)
    with reg.engine.connect() as conn:
        rows = conn.execute(
            text(
                """SELECT p.id, p.surname, p.given_name, p.patronymic, p.pinfl
                FROM person_fts f
                JOIN person_search_doc d ON d.doc = f.rowid
                JOIN person p ON p.id = d.person_id
                WHERE person_fts MATCH :q AND p.deleted = 0 AND p.birth_date = :bd"""
            ),
            {"q": expr, "bd": birth_date.isoformat()},
        ).all()
        rows = [
            r for r in rows if r[0] != exclude and same_folded_name(wanted, _name_words(r[1], r[2]))
        ]
        registers = _active_registers(conn, [r[0] for r in rows])
    return [
        SearchHit(
            person_id=uuid.UUID(r[0]),
            full_name=" ".join(x for x in (r[1], r[2], r[3]) if x),
            birth_date=birth_date,
            pinfl=r[4],
            registers=tuple(registers.get(r[0], ())),
            score=1.0,
            match="folded",
        )
        for r in rows
    ]


# --- merge ------------------------------------------------------------------------------


class MergeSameRecord(ValidationError):
    code = "merge_same"
    template = N_("Choose two different records to merge.")


class MergeOrderParties(ValidationError):
    code = "merge_order_parties"
    template = N_(
        "These two records cannot be merged: one is the protected person and the other "
        "the respondent of the same protection order. Check that they are one person."
    )


# Link rows that must stay unique per (parent, person): after a merge the dropped
# person's copy is tombstoned when the kept person is already there.
_UNIQUE_WITH = {
    "household_member": "household_id",
    "visit_person": "visit_id",
    "dispute_party": "dispute_id",
}
# Person references without a declared foreign key.
_UNDECLARED = {("issued_document", "person_id")}


def person_references() -> list[tuple[type, str]]:
    """(model, column) of every replicated row that names a person; found from the
    foreign keys, so a table added later is moved by a merge without a change here."""
    from app.domain.base import Replicated

    out = []
    for mapper in SQLModel._sa_registry.mappers:
        cls = mapper.class_
        if not issubclass(cls, Replicated) or cls is Person:
            continue
        table = cls.__table__
        for col in table.columns:
            points_to_person = any(fk.column.table.name == "person" for fk in col.foreign_keys)
            if points_to_person or (table.name, col.name) in _UNDECLARED:
                out.append((cls, col.name))
    return sorted(out, key=lambda x: (x[0].__tablename__, x[1]))


def merge_persons(reg: Any, keep_id: uuid.UUID | str, drop_id: uuid.UUID | str):
    """Join two records of one person: every reference moves to the kept one.

    One unit of work: registers, check-ins, violations, visits (persons met),
    household memberships, dispute parties, orders, measures, offences, contributions
    and issued documents now name the kept person; fields the kept record lacks are
    filled from the dropped one; the dropped record is tombstoned. Audited as "merge"
    (ids and counts only). Returns the kept person's record.
    """
    from app.services.records import to_record

    with unit_of_work(reg, "delete") as uow:
        keep = persons._load(uow.session, keep_id)
        drop = persons._load(uow.session, drop_id)
        if keep.id == drop.id:
            raise MergeSameRecord()
        moved: dict[str, int] = {}
        for model, column in person_references():
            rows = uow.session.exec(
                select(model).where(getattr(model, column) == drop.id, model.deleted == False)
            ).all()
            for row in rows:
                if model.__tablename__ == "protection_order":
                    other = (
                        row.respondent_person_id
                        if column == "protected_person_id"
                        else row.protected_person_id
                    )
                    if other == keep.id:
                        raise MergeOrderParties()
                values: dict[str, Any] = {column: keep.id}
                parent = _UNIQUE_WITH.get(model.__tablename__)
                if parent is not None:
                    twin = uow.session.exec(
                        select(model).where(
                            getattr(model, parent) == getattr(row, parent),
                            getattr(model, column) == keep.id,
                            model.deleted == False,
                        )
                    ).first()
                    if twin is not None:
                        values = {"deleted": True}
                uow.change(row, values, action="merge", person_id=keep.id)
                moved[model.__tablename__] = moved.get(model.__tablename__, 0) + 1
        uow.change(drop, {"deleted": True}, action="merge", person_id=drop.id)
        gaps = {
            f: getattr(drop, f)
            for f in PERSON_FIELDS
            if getattr(keep, f) in (None, "") and getattr(drop, f) not in (None, "")
        }
        uow.change(keep, gaps, action="merge", person_id=keep.id)
        uow.audit(
            "merge",
            "person",
            keep.id,
            keep.id,
            dropped=str(drop.id),
            moved=moved,
            filled=sorted(gaps),
        )
        return to_record(keep)
