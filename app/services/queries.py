"""Read models for lists and cards: joins done in SQL, returned as plain dataclasses.

The persons table can hold 100,000 rows, so rows are fetched a page at a time, filtered
and sorted in SQL (STYLE.md), never loaded whole.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import select

from app.db.register import Register
from app.domain import (
    AuditEntry,
    CheckIn,
    DisputeParty,
    FamilyDispute,
    Household,
    HouseholdMember,
    HouseholdVisit,
    IssuedDocument,
    OffenceCase,
    Person,
    PreventiveMeasure,
    ProtectionOrder,
    RegisterEntry,
    Violation,
    VisitPerson,
)
from app.errors import NotFoundError
from app.services.base import require_permission
from app.services.records import to_record

SORTABLE = {
    "surname": Person.surname,
    "given_name": Person.given_name,
    "birth_date": Person.birth_date,
    "pinfl": Person.pinfl,
    "created_at": Person.created_at,
}


@dataclass(frozen=True)
class PersonFilter:
    category: str | None = None  # an active register entry of this category
    on_register: bool | None = None  # any active register entry
    status: str | None = None  # status of a register entry (active, removed...)
    makhalla: str | None = None
    risk: str | None = None
    text: str | None = None  # plain prefix on surname/given name/PINFL/passport/phone
    ids: tuple[uuid.UUID, ...] | None = None  # e.g. search hits, in this order


@dataclass(frozen=True)
class PersonRow:
    id: uuid.UUID
    surname: str
    given_name: str
    patronymic: str
    birth_date: date | None
    sex: str
    pinfl: str | None
    passport: str | None
    phone: str
    makhalla: str
    address: str
    categories: tuple[str, ...]  # active register entries' categories
    risk: str | None  # highest risk among active entries

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.surname, self.given_name, self.patronymic) if p)


_RISK_ORDER = {"low": 1, "medium": 2, "high": 3}


def _person_where(f: PersonFilter):
    conds: list[Any] = [Person.deleted == False]
    entry_conds: list[Any] = [RegisterEntry.person_id == Person.id, RegisterEntry.deleted == False]
    want_entry = False
    if f.category:
        entry_conds.append(RegisterEntry.category == f.category)
        want_entry = True
    if f.status:
        entry_conds.append(RegisterEntry.status == f.status)
        want_entry = True
    elif f.category or f.on_register or f.risk:
        entry_conds.append(RegisterEntry.status == "active")
    if f.risk:
        entry_conds.append(RegisterEntry.risk_level == f.risk)
        want_entry = True
    if f.on_register:
        want_entry = True
    if want_entry:
        conds.append(select(RegisterEntry.id).where(and_(*entry_conds)).exists())
    if f.makhalla:
        conds.append(Person.makhalla == f.makhalla)
    if f.text:
        t = f.text.strip()
        conds.append(
            or_(
                Person.surname.startswith(t),
                Person.given_name.startswith(t),
                Person.pinfl.startswith(t),
                Person.passport.startswith(t.upper()),
                Person.phone.contains(t),
            )
        )
    if f.ids is not None:
        conds.append(Person.id.in_(f.ids))
    return and_(*conds)


def count_persons(reg: Register, f: PersonFilter | None = None) -> int:
    require_permission(reg, "read")
    f = f or PersonFilter()
    with reg.reading() as s:
        return s.exec(select(func.count()).select_from(Person).where(_person_where(f))).one()


def person_rows(
    reg: Register,
    f: PersonFilter | None = None,
    *,
    offset: int = 0,
    limit: int = 200,
    sort: str = "surname",
    descending: bool = False,
) -> list[PersonRow]:
    """One page of the persons table, with each person's active registers."""
    require_permission(reg, "read")
    f = f or PersonFilter()
    col = SORTABLE.get(sort, Person.surname)
    # By surname the order is that of ix_person_list (deleted, surname, given_name, id), so
    # a page deep in the table is found in the index alone; only its rows are read after.
    keys = [col, Person.given_name, Person.id] if col is Person.surname else [col, Person.id]
    order = [k.desc() if descending else k.asc() for k in keys]
    cols = (
        Person.id,
        Person.surname,
        Person.given_name,
        Person.patronymic,
        Person.birth_date,
        Person.sex,
        Person.pinfl,
        Person.passport,
        Person.phone,
        Person.makhalla,
        Person.street,
        Person.house,
        Person.flat,
    )
    with reg.reading() as s:
        if f.ids is None:
            page = list(
                s.exec(
                    select(Person.id)
                    .where(_person_where(f))
                    .order_by(*order)
                    .offset(offset)
                    .limit(limit)
                ).all()
            )
            rank = {pid: i for i, pid in enumerate(page)}
            rows = (
                sorted(
                    s.exec(select(*cols).where(Person.id.in_(page))).all(), key=lambda r: rank[r[0]]
                )
                if page
                else []
            )
        else:  # keep the caller's (search rank) order
            rank = {pid: i for i, pid in enumerate(f.ids)}
            rows = sorted(
                s.exec(select(*cols).where(_person_where(f))).all(), key=lambda r: rank.get(r[0], 0)
            )[offset : offset + limit]
        ids = [r[0] for r in rows]
        entries: dict[uuid.UUID, list[tuple[str, str]]] = {}
        if ids:
            for pid, cat, risk in s.exec(
                select(
                    RegisterEntry.person_id, RegisterEntry.category, RegisterEntry.risk_level
                ).where(
                    RegisterEntry.person_id.in_(ids),
                    RegisterEntry.deleted == False,
                    RegisterEntry.status == "active",
                )
            ).all():
                entries.setdefault(pid, []).append((cat, risk))
    out = []
    for r in rows:
        es = entries.get(r[0], [])
        risk = max((e[1] for e in es), key=lambda x: _RISK_ORDER.get(x, 0), default=None)
        address = ", ".join(p for p in (r[10], r[11] and f"{r[11]}", r[12] and f"{r[12]}") if p)
        out.append(
            PersonRow(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                r[9],
                address,
                tuple(sorted({e[0] for e in es})),
                risk,
            )
        )
    return out


@dataclass(frozen=True)
class PersonCard:
    """Everything the person's card and the supervision card show about one person."""

    person: Any
    registers: list = field(default_factory=list)
    check_ins: list = field(default_factory=list)
    violations: list = field(default_factory=list)
    visits: list = field(default_factory=list)
    households: list = field(default_factory=list)
    disputes: list = field(default_factory=list)  # (dispute record, role)
    orders: list = field(default_factory=list)
    measures: list = field(default_factory=list)
    offences: list = field(default_factory=list)
    documents: list = field(default_factory=list)
    history: list = field(default_factory=list)  # audit entries about this person


def person_card(
    reg: Register, person_id: uuid.UUID | str, *, history_limit: int = 200
) -> PersonCard:
    require_permission(reg, "read")
    try:
        pid = person_id if isinstance(person_id, uuid.UUID) else uuid.UUID(str(person_id))
    except ValueError:
        raise NotFoundError(id=str(person_id)) from None
    live = lambda m: m.deleted == False  # noqa: E731
    with reg.reading() as s:
        person = s.get(Person, pid)
        if person is None or person.deleted:
            raise NotFoundError(id=str(person_id))

        def rows(stmt):
            return [to_record(o) for o in s.exec(stmt).all()]

        registers = rows(
            select(RegisterEntry)
            .where(RegisterEntry.person_id == pid, live(RegisterEntry))
            .order_by(RegisterEntry.start_date.desc())
        )
        check_ins = rows(
            select(CheckIn)
            .where(CheckIn.person_id == pid, live(CheckIn))
            .order_by(CheckIn.at.desc())
        )
        violations = rows(
            select(Violation)
            .where(Violation.person_id == pid, live(Violation))
            .order_by(Violation.at.desc())
        )
        visits = rows(
            select(HouseholdVisit)
            .join(VisitPerson, VisitPerson.visit_id == HouseholdVisit.id)
            .where(VisitPerson.person_id == pid, live(VisitPerson), live(HouseholdVisit))
            .order_by(HouseholdVisit.visited_at.desc())
        )
        households = rows(
            select(Household)
            .join(HouseholdMember, HouseholdMember.household_id == Household.id)
            .where(HouseholdMember.person_id == pid, live(HouseholdMember), live(Household))
        )
        disputes = [
            (to_record(d), role)
            for d, role in s.exec(
                select(FamilyDispute, DisputeParty.role)
                .join(DisputeParty, DisputeParty.dispute_id == FamilyDispute.id)
                .where(DisputeParty.person_id == pid, live(DisputeParty), live(FamilyDispute))
                .order_by(FamilyDispute.reported_at.desc())
            ).all()
        ]
        orders = rows(
            select(ProtectionOrder)
            .where(
                or_(
                    ProtectionOrder.protected_person_id == pid,
                    ProtectionOrder.respondent_person_id == pid,
                ),
                live(ProtectionOrder),
            )
            .order_by(ProtectionOrder.issued_on.desc())
        )
        measures = rows(
            select(PreventiveMeasure)
            .where(PreventiveMeasure.person_id == pid, live(PreventiveMeasure))
            .order_by(PreventiveMeasure.on.desc())
        )
        offences = rows(
            select(OffenceCase)
            .where(OffenceCase.offender_id == pid, live(OffenceCase))
            .order_by(OffenceCase.drawn_up_at.desc())
        )
        documents = rows(
            select(IssuedDocument)
            .where(IssuedDocument.person_id == pid, live(IssuedDocument))
            .order_by(IssuedDocument.issued_at.desc())
        )
        history = rows(
            select(AuditEntry)
            .where(AuditEntry.person_id == pid)
            .order_by(AuditEntry.at.desc())
            .limit(history_limit)
        )
        return PersonCard(
            to_record(person),
            registers,
            check_ins,
            violations,
            visits,
            households,
            disputes,
            orders,
            measures,
            offences,
            documents,
            history,
        )
