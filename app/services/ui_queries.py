"""Read models the desktop window needs beyond ``queries.py``: households, disputes, orders.

Joins are done in SQL and returned as frozen dataclasses of plain values (STYLE.md), so a
screen can hold them across threads. Households can number tens of thousands, so their list
is paged and filtered in SQL like the persons table; disputes and orders stay small.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, and_, cast, func, or_
from sqlmodel import Session, select

from app.db.register import Register
from app.domain import (
    DisputeFollowUp,
    DisputeMeasure,
    DisputeParty,
    FamilyDispute,
    Household,
    HouseholdMember,
    HouseholdVisit,
    OrderBreach,
    OrderDuration,
    OrderExtension,
    Person,
    ProtectionOrder,
    RegisterEntry,
    Setting,
    StaffUser,
    Stronghold,
    VisitPerson,
)
from app.domain.base import TASHKENT, today_local
from app.errors import NotFoundError
from app.services import reference
from app.services.base import require_permission
from app.services.records import to_record


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFoundError(id=str(value)) from None


def _name(surname: str, given: str, patronymic: str) -> str:
    return " ".join(p for p in (surname, given, patronymic) if p)


def local_day_start(day: date) -> datetime:
    """Midnight in Tashkent of ``day``, as aware UTC (visits are stored in UTC)."""
    return datetime.combine(day, time(0, 0), TASHKENT).astimezone(UTC)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def person_names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = session.exec(
        select(Person.id, Person.surname, Person.given_name, Person.patronymic).where(
            Person.id.in_(list(ids))
        )
    ).all()
    return {r[0]: _name(r[1], r[2], r[3]) for r in rows}


# --- the stronghold, its staff and settings ----------------------------------------------


def stronghold(reg: Register) -> Any:
    require_permission(reg, "read")
    with reg.reading() as s:
        row = s.exec(select(Stronghold).where(Stronghold.code == reg.stronghold_code)).first()
        if row is None:
            row = s.exec(select(Stronghold)).first()
        return to_record(row) if row else None


def staff(reg: Register) -> list[Any]:
    require_permission(reg, "read")
    with reg.reading() as s:
        return [
            to_record(u)
            for u in s.exec(
                select(StaffUser).where(StaffUser.deleted == False).order_by(StaffUser.full_name)
            ).all()
        ]


def settings(reg: Register) -> dict[str, str]:
    """Every stronghold setting, with the defaults filled in for keys never saved."""
    require_permission(reg, "read")
    out = dict(reference.DEFAULT_SETTINGS)
    with reg.reading() as s:
        for row in s.exec(
            select(Setting).where(Setting.deleted == False).order_by(Setting.updated_at)
        ).all():
            out[row.key] = row.value
    return out


def int_setting(reg: Register, key: str) -> int:
    value = settings(reg).get(key, reference.DEFAULT_SETTINGS.get(key, "0"))
    try:
        return int(value)
    except ValueError:
        return int(reference.DEFAULT_SETTINGS[key])


def durations(reg: Register) -> list[Any]:
    require_permission(reg, "read")
    with reg.reading() as s:
        return [
            to_record(d)
            for d in s.exec(
                select(OrderDuration)
                .where(OrderDuration.deleted == False)
                .order_by(OrderDuration.kind, OrderDuration.days)
            ).all()
        ]


def allowed_days(reg: Register, kind: str) -> list[int]:
    with reg.reading() as s:
        return reference.allowed_durations(s, kind)


# --- households ----------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdFilter:
    text: str | None = None  # street or house prefix, or the head's surname
    street: str | None = None
    conflict_only: bool = False
    not_visited_since: date | None = None  # e.g. the quarter's first day


@dataclass(frozen=True)
class HouseholdRow:
    id: uuid.UUID
    makhalla: str
    street: str
    house: str
    flat: str
    head_name: str
    members: int
    last_visit: datetime | None
    conflict_family: bool

    @property
    def address(self) -> str:
        text = f"{self.street}, {self.house}" if self.house else self.street
        return f"{text}, {self.flat}" if self.flat else text


def visited_since(since: datetime):
    """Ids of households visited at or after ``since``, as a subquery.

    Written as ``IN (SELECT household_id ... WHERE visited_at >= ?)`` so SQLite walks the
    visited_at index once; a correlated EXISTS per household (or a DISTINCT over the join)
    makes it scan every visit of every household, which on a million visits takes seconds.
    """
    return select(HouseholdVisit.household_id).where(
        HouseholdVisit.deleted == False, HouseholdVisit.visited_at >= since
    )


def unvisited_households(s: Session, since: datetime) -> list[Any]:
    """(id, street, house, flat, head_person_id) of live households not visited since
    ``since``, sorted by street and house number.

    The anti-join stays in SQL: reading the quarter's visits into Python made a UUID
    object per visit (about a second on a million visits); SQLite compares the stored
    ids and only the households not visited come back.
    """
    rows = list(
        s.exec(
            select(
                Household.id,
                Household.street,
                Household.house,
                Household.flat,
                Household.head_person_id,
            ).where(Household.deleted == False, Household.id.not_in(visited_since(since)))
        ).all()
    )
    rows.sort(key=lambda r: (r[1], house_number(r[2]), r[2], r[0]))
    return rows


def house_number(house: str) -> int:
    """The leading digits of a house number ("12a" -> 12), as the street's order goes."""
    digits = ""
    for ch in house:
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits else 0


def _household_where(f: HouseholdFilter):
    conds: list[Any] = [Household.deleted == False]
    if f.street:
        conds.append(Household.street == f.street)
    if f.conflict_only:
        conds.append(Household.conflict_family == True)
    if f.not_visited_since is not None:
        conds.append(Household.id.not_in(visited_since(local_day_start(f.not_visited_since))))
    if f.text and f.text.strip():
        t = f.text.strip()
        head = (
            select(Person.id)
            .where(Person.id == Household.head_person_id, Person.surname.startswith(t))
            .exists()
        )
        words = t.split()
        if len(words) >= 2 and words[-1][:1].isdigit():  # "Navoiy 12"
            street_part = " ".join(words[:-1])
            conds.append(
                or_(
                    and_(
                        Household.street.startswith(street_part),
                        Household.house.startswith(words[-1]),
                    ),
                    head,
                )
            )
        else:
            conds.append(or_(Household.street.startswith(t), Household.house == t, head))
    return and_(*conds)


# House numbers sort as numbers ("2" before "10", "100/48" after "99"); this module only
# runs on the client's SQLite, whose CAST reads the leading digits.
_HOUSE_NO = cast(Household.house, Integer)
HOUSEHOLD_SORT = {
    "street": (Household.street, _HOUSE_NO, Household.house),
    "house": (_HOUSE_NO, Household.house),
}


def count_households(reg: Register, f: HouseholdFilter | None = None) -> int:
    require_permission(reg, "read")
    f = f or HouseholdFilter()
    with reg.reading() as s:
        return s.exec(select(func.count()).select_from(Household).where(_household_where(f))).one()


def _house_number(house: str) -> int:
    digits = "".join(ch for ch in house if ch.isdigit())
    return int(digits) if digits else 0


def _household_rows(s: Session, ids: list[uuid.UUID]) -> list[HouseholdRow]:
    """Rows for these households, in this order, with head, size and last visit.

    The aggregates are asked for these ids only: as correlated subqueries in the page's
    query, SQLite would compute them for every household before sorting and limiting.
    """
    if not ids:
        return []
    homes = {h.id: h for h in s.exec(select(Household).where(Household.id.in_(ids))).all()}
    sizes = dict(
        s.exec(
            select(HouseholdMember.household_id, func.count())
            .where(HouseholdMember.household_id.in_(ids), HouseholdMember.deleted == False)
            .group_by(HouseholdMember.household_id)
        ).all()
    )
    last = dict(
        s.exec(
            select(HouseholdVisit.household_id, func.max(HouseholdVisit.visited_at))
            .where(HouseholdVisit.household_id.in_(ids), HouseholdVisit.deleted == False)
            .group_by(HouseholdVisit.household_id)
        ).all()
    )
    names = person_names(s, {h.head_person_id for h in homes.values() if h.head_person_id})
    out = []
    for hid in ids:
        h = homes.get(hid)
        if h is None:
            continue
        out.append(
            HouseholdRow(
                h.id,
                h.makhalla,
                h.street,
                h.house,
                h.flat,
                names.get(h.head_person_id, ""),
                sizes.get(h.id, 0),
                _as_utc(last.get(h.id)),
                bool(h.conflict_family),
            )
        )
    return out


def _as_utc(value: Any) -> datetime | None:
    if isinstance(value, str):  # max() over the column comes back as raw text
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def household_rows(
    reg: Register,
    f: HouseholdFilter | None = None,
    *,
    offset: int = 0,
    limit: int = 200,
    sort: str = "street",
    descending: bool = False,
) -> list[HouseholdRow]:
    """A page of households by street, each with its head, size and last visit."""
    require_permission(reg, "read")
    f = f or HouseholdFilter()
    cols = HOUSEHOLD_SORT.get(sort, HOUSEHOLD_SORT["street"])
    order = [c.desc() if descending else c.asc() for c in cols] + [Household.id]
    stmt = (
        select(Household.id).where(_household_where(f)).order_by(*order).offset(offset).limit(limit)
    )
    with reg.reading() as s:
        return _household_rows(s, list(s.exec(stmt).all()))


def streets(reg: Register) -> list[tuple[str, int]]:
    """Streets of the makhalla with their number of households."""
    require_permission(reg, "read")
    with reg.reading() as s:
        return [
            (r[0], r[1])
            for r in s.exec(
                select(Household.street, func.count())
                .where(Household.deleted == False)
                .group_by(Household.street)
                .order_by(Household.street)
            ).all()
        ]


@dataclass(frozen=True)
class MemberRow:
    member_id: uuid.UUID
    person_id: uuid.UUID
    name: str
    birth_date: date | None
    relation: str
    registers: tuple[str, ...]


@dataclass(frozen=True)
class VisitRow:
    visit: Any
    persons_met: tuple[str, ...]


@dataclass(frozen=True)
class HouseholdDetail:
    household: Any
    members: list[MemberRow] = field(default_factory=list)
    visits: list[VisitRow] = field(default_factory=list)
    head_name: str = ""


def household_detail(
    reg: Register, household_id: uuid.UUID | str, *, visit_limit: int = 200
) -> HouseholdDetail:
    require_permission(reg, "read")
    hid = _uuid(household_id)
    with reg.reading() as s:
        h = s.get(Household, hid)
        if h is None or h.deleted:
            raise NotFoundError(id=str(household_id))
        mrows = s.exec(
            select(
                HouseholdMember.id,
                Person.id,
                Person.surname,
                Person.given_name,
                Person.patronymic,
                Person.birth_date,
                HouseholdMember.relation,
            )
            .join(Person, Person.id == HouseholdMember.person_id)
            .where(
                HouseholdMember.household_id == hid,
                HouseholdMember.deleted == False,
                Person.deleted == False,
            )
            .order_by(Person.birth_date)
        ).all()
        pids = [r[1] for r in mrows]
        cats: dict[uuid.UUID, set[str]] = {}
        if pids:
            for pid, cat in s.exec(
                select(RegisterEntry.person_id, RegisterEntry.category).where(
                    RegisterEntry.person_id.in_(pids),
                    RegisterEntry.deleted == False,
                    RegisterEntry.status == "active",
                )
            ).all():
                cats.setdefault(pid, set()).add(cat)
        members = [
            MemberRow(
                r[0], r[1], _name(r[2], r[3], r[4]), r[5], r[6], tuple(sorted(cats.get(r[1], ())))
            )
            for r in mrows
        ]
        visits = s.exec(
            select(HouseholdVisit)
            .where(HouseholdVisit.household_id == hid, HouseholdVisit.deleted == False)
            .order_by(HouseholdVisit.visited_at.desc())
            .limit(visit_limit)
        ).all()
        met: dict[uuid.UUID, list[uuid.UUID]] = {}
        vids = [v.id for v in visits]
        if vids:
            for vid, pid in s.exec(
                select(VisitPerson.visit_id, VisitPerson.person_id).where(
                    VisitPerson.visit_id.in_(vids), VisitPerson.deleted == False
                )
            ).all():
                met.setdefault(vid, []).append(pid)
        names = person_names(
            s,
            {p for ps in met.values() for p in ps}
            | ({h.head_person_id} if h.head_person_id else set()),
        )
        return HouseholdDetail(
            to_record(h),
            members,
            [
                VisitRow(to_record(v), tuple(names.get(p, "") for p in met.get(v.id, ())))
                for v in visits
            ],
            names.get(h.head_person_id, "") if h.head_person_id else "",
        )


def households_of_person(reg: Register, person_id: uuid.UUID | str) -> list[HouseholdRow]:
    require_permission(reg, "read")
    pid = _uuid(person_id)
    with reg.reading() as s:
        ids = s.exec(
            select(HouseholdMember.household_id).where(
                HouseholdMember.person_id == pid, HouseholdMember.deleted == False
            )
        ).all()
    return _household_rows_by_id(reg, list(ids)) if ids else []


def _household_rows_by_id(reg: Register, ids: list[uuid.UUID]) -> list[HouseholdRow]:
    with reg.reading() as s:
        live = list(
            s.exec(
                select(Household.id).where(Household.id.in_(ids), Household.deleted == False)
            ).all()
        )
        return _household_rows(s, live)


def household_row(reg: Register, household_id: uuid.UUID | str) -> HouseholdRow:
    rows = _household_rows_by_id(reg, [_uuid(household_id)])
    if not rows:
        raise NotFoundError(id=str(household_id))
    return rows[0]


@dataclass(frozen=True)
class Coverage:
    """How many households were visited since the quarter began."""

    since: date
    visited: int
    total: int


def quarter_coverage(reg: Register, on: date | None = None) -> Coverage:
    require_permission(reg, "read")
    since = quarter_start(on or today_local())
    start = local_day_start(since)
    live = [Household.deleted == False]
    with reg.reading() as s:
        total = s.exec(select(func.count()).select_from(Household).where(*live)).one()
        visited = s.exec(
            select(func.count())
            .select_from(Household)
            .where(*live, Household.id.in_(visited_since(start)))
        ).one()
    return Coverage(since, visited, total)


# --- disputes and orders -------------------------------------------------------------


@dataclass(frozen=True)
class PartyRow:
    party_id: uuid.UUID
    person_id: uuid.UUID
    name: str
    role: str


@dataclass(frozen=True)
class DisputeRow:
    dispute: Any
    parties: tuple[PartyRow, ...]
    address: str

    @property
    def id(self) -> uuid.UUID:
        return self.dispute.id

    def party_names(self) -> str:
        return "; ".join(p.name for p in self.parties)


def _parties(s: Session, dispute_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[PartyRow]]:
    out: dict[uuid.UUID, list[PartyRow]] = {}
    if not dispute_ids:
        return out
    rows = s.exec(
        select(
            DisputeParty.id,
            DisputeParty.dispute_id,
            DisputeParty.person_id,
            DisputeParty.role,
            Person.surname,
            Person.given_name,
            Person.patronymic,
        )
        .join(Person, Person.id == DisputeParty.person_id)
        .where(DisputeParty.dispute_id.in_(dispute_ids), DisputeParty.deleted == False)
        .order_by(DisputeParty.role)
    ).all()
    for r in rows:
        out.setdefault(r[1], []).append(PartyRow(r[0], r[2], _name(r[4], r[5], r[6]), r[3]))
    return out


def _addresses(s: Session, household_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not household_ids:
        return {}
    rows = s.exec(
        select(Household.id, Household.street, Household.house, Household.flat).where(
            Household.id.in_(list(household_ids))
        )
    ).all()
    return {r[0]: ", ".join(p for p in (r[1], r[2], r[3]) if p) for r in rows}


def dispute_rows(
    reg: Register, *, status: str | None = None, limit: int = 2000
) -> list[DisputeRow]:
    require_permission(reg, "read")
    stmt = select(FamilyDispute).where(FamilyDispute.deleted == False)
    if status:
        stmt = stmt.where(FamilyDispute.status == status)
    stmt = stmt.order_by(FamilyDispute.reported_at.desc()).limit(limit)
    with reg.reading() as s:
        disputes = s.exec(stmt).all()
        parties = _parties(s, [d.id for d in disputes])
        addresses = _addresses(s, {d.household_id for d in disputes if d.household_id})
        return [
            DisputeRow(
                to_record(d),
                tuple(parties.get(d.id, ())),
                addresses.get(d.household_id, "") if d.household_id else "",
            )
            for d in disputes
        ]


@dataclass(frozen=True)
class DisputeDetail:
    dispute: Any
    parties: tuple[PartyRow, ...]
    address: str
    measures: list[Any]
    follow_ups: list[Any]
    orders: list[Any]


def dispute_detail(reg: Register, dispute_id: uuid.UUID | str) -> DisputeDetail:
    require_permission(reg, "read")
    did = _uuid(dispute_id)
    with reg.reading() as s:
        d = s.get(FamilyDispute, did)
        if d is None or d.deleted:
            raise NotFoundError(id=str(dispute_id))
        parties = _parties(s, [did]).get(did, [])
        address = _addresses(s, {d.household_id}).get(d.household_id, "") if d.household_id else ""
        measures = [
            to_record(m)
            for m in s.exec(
                select(DisputeMeasure)
                .where(DisputeMeasure.dispute_id == did, DisputeMeasure.deleted == False)
                .order_by(DisputeMeasure.on.desc())
            ).all()
        ]
        follow = [
            to_record(m)
            for m in s.exec(
                select(DisputeFollowUp)
                .where(DisputeFollowUp.dispute_id == did, DisputeFollowUp.deleted == False)
                .order_by(DisputeFollowUp.on.desc())
            ).all()
        ]
        orders = [
            to_record(o)
            for o in s.exec(
                select(ProtectionOrder).where(
                    ProtectionOrder.dispute_id == did, ProtectionOrder.deleted == False
                )
            ).all()
        ]
        return DisputeDetail(to_record(d), tuple(parties), address, measures, follow, orders)


@dataclass(frozen=True)
class OrderRow:
    order: Any
    protected_name: str
    respondent_name: str

    @property
    def id(self) -> uuid.UUID:
        return self.order.id

    @property
    def days_left(self) -> int:
        return (self.order.end_date - today_local()).days


def order_rows(reg: Register, *, status: str | None = None, limit: int = 2000) -> list[OrderRow]:
    require_permission(reg, "read")
    stmt = select(ProtectionOrder).where(ProtectionOrder.deleted == False)
    if status:
        stmt = stmt.where(ProtectionOrder.status == status)
    stmt = stmt.order_by(ProtectionOrder.end_date.desc()).limit(limit)
    with reg.reading() as s:
        orders = s.exec(stmt).all()
        names = person_names(
            s, {o.protected_person_id for o in orders} | {o.respondent_person_id for o in orders}
        )
        return [
            OrderRow(
                to_record(o),
                names.get(o.protected_person_id, ""),
                names.get(o.respondent_person_id, ""),
            )
            for o in orders
        ]


@dataclass(frozen=True)
class OrderDetail:
    row: OrderRow
    extensions: list[Any]
    breaches: list[Any]


def order_detail(reg: Register, order_id: uuid.UUID | str) -> OrderDetail:
    require_permission(reg, "read")
    oid = _uuid(order_id)
    with reg.reading() as s:
        o = s.get(ProtectionOrder, oid)
        if o is None or o.deleted:
            raise NotFoundError(id=str(order_id))
        names = person_names(s, {o.protected_person_id, o.respondent_person_id})
        ext = [
            to_record(e)
            for e in s.exec(
                select(OrderExtension)
                .where(OrderExtension.order_id == oid, OrderExtension.deleted == False)
                .order_by(OrderExtension.on.desc())
            ).all()
        ]
        br = [
            to_record(b)
            for b in s.exec(
                select(OrderBreach)
                .where(OrderBreach.order_id == oid, OrderBreach.deleted == False)
                .order_by(OrderBreach.at.desc())
            ).all()
        ]
        return OrderDetail(
            OrderRow(
                to_record(o),
                names.get(o.protected_person_id, ""),
                names.get(o.respondent_person_id, ""),
            ),
            ext,
            br,
        )


def end_of_month(day: date) -> date:
    nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def makhallas(reg: Register) -> list[str]:
    """The makhallas persons live in, for the filter of the persons table."""
    require_permission(reg, "read")
    with reg.reading() as s:
        return [
            m
            for m in s.exec(
                select(Person.makhalla)
                .where(Person.deleted == False, Person.makhalla != "")
                .distinct()
                .order_by(Person.makhalla)
            ).all()
        ]
