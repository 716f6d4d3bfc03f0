"""What needs doing now: the alerts of the Today screen, counted and listed.

Each section has a stable code, the exact count and the first ``limit`` items; each item
names the record it opens (``table`` and ``record_id``) and, where there is one, the person
and the household, so the window can open the card or the "Record visit" form directly.
Items carry codes and dates, not sentences: the window words them in its language.

The rules (DOMAIN.md), all on Tashkent dates:

* **Overdue check-ins**: an active register entry (status active, started, not ended)
  whose last contact plus its check-in interval is before today. A contact is a check-in
  with the person present or a violation found; "absent" is an attempt, not a contact. An
  entry never checked counts from its start date.
* **Protection orders ending within 7 days**: in force, ending today to today + 7.
* **Dispute reports not examined within 24 hours**: open, no examination time, reported
  more than 24 hours ago. Reports still inside their 24 hours are a separate section, so
  they can be examined before they become late.
* **Register entries ending this month**: active entries whose end date is in this month.
* **Conflict families due a visit**: households marked as conflict families whose last
  visit is ``conflict_visit_days`` (a setting) or more days ago, or never visited.
* **Households not visited this quarter**: no visit since the quarter's first day; listed
  by street and house.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from app.db.register import Register
from app.domain import (
    CheckIn,
    DisputeParty,
    FamilyDispute,
    Household,
    HouseholdMember,
    HouseholdVisit,
    Person,
    ProtectionOrder,
    RegisterEntry,
)
from app.domain.base import TASHKENT, today_local
from app.services import reference
from app.services.base import require_permission
from app.services.ui_queries import (
    end_of_month,
    local_day_start,
    quarter_start,
    unvisited_households,
)

OVERDUE_CHECKINS = "overdue_checkins"
ORDERS_ENDING = "orders_ending"
DISPUTES_LATE = "disputes_unexamined"
DISPUTES_PENDING = "disputes_pending"
ENTRIES_ENDING = "entries_ending"
CONFLICT_VISITS = "conflict_visits"
HOUSEHOLDS_UNVISITED = "households_unvisited"

SECTIONS = (
    OVERDUE_CHECKINS,
    ORDERS_ENDING,
    DISPUTES_LATE,
    DISPUTES_PENDING,
    ENTRIES_ENDING,
    CONFLICT_VISITS,
    HOUSEHOLDS_UNVISITED,
)
ORDER_WARNING_DAYS = 7
EXAMINE_WITHIN = timedelta(hours=24)
CONTACT_RESULTS = ("present", "violation")


@dataclass(frozen=True)
class TodayItem:
    kind: str
    table: str  # the table of the record the item opens
    record_id: uuid.UUID
    title: str  # a person's full name or a household's address, as typed
    person_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None
    code: str = ""  # register category, dispute nature... for the label
    due: date | None = None  # when it was or is due
    days: int = 0  # days overdue (> 0) or days left (>= 0), by section
    street: str = ""
    other: str = ""  # a second name: an order's respondent, a dispute's other party


@dataclass(frozen=True)
class TodaySection:
    kind: str
    total: int
    items: tuple[TodayItem, ...] = ()


@dataclass(frozen=True)
class Today:
    on: date
    sections: dict[str, TodaySection] = field(default_factory=dict)
    # Households not visited this quarter, per street, by street name.
    streets_unvisited: tuple[tuple[str, int], ...] = ()

    def section(self, kind: str) -> TodaySection:
        return self.sections.get(kind, TodaySection(kind, 0))

    def total(self) -> int:
        return sum(s.total for s in self.sections.values())


def _name(surname: str, given: str, patronymic: str) -> str:
    return " ".join(p for p in (surname, given, patronymic) if p)


def _utc(value: Any) -> datetime | None:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _local_date(value: Any) -> date | None:
    value = _utc(value)
    return None if value is None else value.astimezone(TASHKENT).date()


def _first_household(s: Session, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    out: dict[uuid.UUID, uuid.UUID] = {}
    if not person_ids:
        return out
    for pid, hid in s.exec(
        select(HouseholdMember.person_id, HouseholdMember.household_id)
        .where(HouseholdMember.person_id.in_(person_ids), HouseholdMember.deleted == False)
        .order_by(HouseholdMember.created_at)
    ).all():
        out.setdefault(pid, hid)
    return out


def _active_entries(on: date) -> list[Any]:
    return [
        RegisterEntry.deleted == False,
        RegisterEntry.status == "active",
        RegisterEntry.start_date <= on,
        RegisterEntry.end_date.is_(None) | (RegisterEntry.end_date >= on),
    ]


def overdue_checkins(s: Session, on: date, limit: int) -> TodaySection:
    rows = s.exec(
        select(
            RegisterEntry.id,
            RegisterEntry.person_id,
            RegisterEntry.category,
            RegisterEntry.start_date,
            RegisterEntry.checkin_every_days,
            Person.surname,
            Person.given_name,
            Person.patronymic,
        )
        .join(Person, Person.id == RegisterEntry.person_id)
        .where(*_active_entries(on), Person.deleted == False)
    ).all()
    # The last contact of just these entries, in chunks (SQLite caps bound parameters);
    # a grouped subquery joined to the entries made SQLite recount all check-ins per row.
    last: dict[uuid.UUID, Any] = {}
    ids = [r[0] for r in rows]
    for i in range(0, len(ids), 500):
        last.update(
            s.exec(
                select(CheckIn.entry_id, func.max(CheckIn.at))
                .where(
                    CheckIn.entry_id.in_(ids[i : i + 500]),
                    CheckIn.deleted == False,
                    CheckIn.result.in_(CONTACT_RESULTS),
                )
                .group_by(CheckIn.entry_id)
            ).all()
        )
    late = []
    for r in rows:
        since = _local_date(last.get(r[0])) or r[3]
        due = since + timedelta(days=int(r[4] or 30))
        if due < on:
            late.append((r, due))
    late.sort(key=lambda x: (x[1], x[0][5]))
    homes = _first_household(s, [r[1] for r, _due in late[:limit]])
    items = tuple(
        TodayItem(
            OVERDUE_CHECKINS,
            "register_entry",
            r[0],
            _name(r[5], r[6], r[7]),
            person_id=r[1],
            household_id=homes.get(r[1]),
            code=r[2],
            due=due,
            days=(on - due).days,
        )
        for r, due in late[:limit]
    )
    return TodaySection(OVERDUE_CHECKINS, len(late), items)


def orders_ending(s: Session, on: date, limit: int) -> TodaySection:
    conds = [
        ProtectionOrder.deleted == False,
        ProtectionOrder.status == "active",
        ProtectionOrder.end_date >= on,
        ProtectionOrder.end_date <= on + timedelta(days=ORDER_WARNING_DAYS),
    ]
    total = s.exec(select(func.count()).select_from(ProtectionOrder).where(*conds)).one()
    orders = s.exec(
        select(ProtectionOrder).where(*conds).order_by(ProtectionOrder.end_date).limit(limit)
    ).all()
    ids = {o.protected_person_id for o in orders} | {o.respondent_person_id for o in orders}
    names = (
        {
            r[0]: _name(r[1], r[2], r[3])
            for r in s.exec(
                select(Person.id, Person.surname, Person.given_name, Person.patronymic).where(
                    Person.id.in_(list(ids))
                )
            ).all()
        }
        if ids
        else {}
    )
    items = tuple(
        TodayItem(
            ORDERS_ENDING,
            "protection_order",
            o.id,
            names.get(o.protected_person_id, ""),
            person_id=o.protected_person_id,
            code=o.number,
            due=o.end_date,
            days=(o.end_date - on).days,
            other=names.get(o.respondent_person_id, ""),
        )
        for o in orders
    )
    return TodaySection(ORDERS_ENDING, total, items)


def _dispute_section(
    s: Session, kind: str, conds: list[Any], now: datetime, limit: int
) -> TodaySection:
    total = s.exec(select(func.count()).select_from(FamilyDispute).where(*conds)).one()
    disputes = s.exec(
        select(FamilyDispute).where(*conds).order_by(FamilyDispute.reported_at).limit(limit)
    ).all()
    parties: dict[uuid.UUID, list[tuple[str, uuid.UUID, str]]] = {}
    if disputes:
        for did, pid, role, sn, gn, pn in s.exec(
            select(
                DisputeParty.dispute_id,
                DisputeParty.person_id,
                DisputeParty.role,
                Person.surname,
                Person.given_name,
                Person.patronymic,
            )
            .join(Person, Person.id == DisputeParty.person_id)
            .where(
                DisputeParty.dispute_id.in_([d.id for d in disputes]), DisputeParty.deleted == False
            )
        ).all():
            parties.setdefault(did, []).append((role, pid, _name(sn, gn, pn)))
    items = []
    for d in disputes:
        ps = sorted(parties.get(d.id, []), key=lambda p: p[0] != "applicant")
        reported = _utc(d.reported_at)
        deadline = reported + EXAMINE_WITHIN
        hours = int((now - deadline).total_seconds() // 3600)
        items.append(
            TodayItem(
                kind,
                "family_dispute",
                d.id,
                ps[0][2] if ps else "",
                person_id=ps[0][1] if ps else None,
                household_id=d.household_id,
                code=d.nature,
                due=deadline.astimezone(TASHKENT).date(),
                days=hours,
                other=ps[1][2] if len(ps) > 1 else "",
            )
        )
    return TodaySection(kind, total, tuple(items))


def entries_ending(s: Session, on: date, limit: int) -> TodaySection:
    first = on.replace(day=1)
    conds = [
        RegisterEntry.deleted == False,
        RegisterEntry.status == "active",
        RegisterEntry.end_date >= first,
        RegisterEntry.end_date <= end_of_month(on),
        Person.deleted == False,
    ]
    base = (
        select(
            RegisterEntry.id,
            RegisterEntry.person_id,
            RegisterEntry.category,
            RegisterEntry.end_date,
            Person.surname,
            Person.given_name,
            Person.patronymic,
        )
        .join(Person, Person.id == RegisterEntry.person_id)
        .where(*conds)
    )
    total = s.exec(
        select(func.count())
        .select_from(RegisterEntry)
        .join(Person, Person.id == RegisterEntry.person_id)
        .where(*conds)
    ).one()
    rows = s.exec(base.order_by(RegisterEntry.end_date).limit(limit)).all()
    homes = _first_household(s, [r[1] for r in rows])
    items = tuple(
        TodayItem(
            ENTRIES_ENDING,
            "register_entry",
            r[0],
            _name(r[4], r[5], r[6]),
            person_id=r[1],
            household_id=homes.get(r[1]),
            code=r[2],
            due=r[3],
            days=(r[3] - on).days,
        )
        for r in rows
    )
    return TodaySection(ENTRIES_ENDING, total, items)


def _last_visits(s: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, date | None]:
    if not ids:
        return {}
    rows = s.exec(
        select(HouseholdVisit.household_id, func.max(HouseholdVisit.visited_at))
        .where(HouseholdVisit.household_id.in_(ids), HouseholdVisit.deleted == False)
        .group_by(HouseholdVisit.household_id)
    ).all()
    return {r[0]: _local_date(r[1]) for r in rows}


def _head_names(s: Session, homes: list[Any]) -> dict[uuid.UUID, str]:
    ids = [h.head_person_id for h in homes if h.head_person_id]
    if not ids:
        return {}
    return {
        r[0]: _name(r[1], r[2], r[3])
        for r in s.exec(
            select(Person.id, Person.surname, Person.given_name, Person.patronymic).where(
                Person.id.in_(ids)
            )
        ).all()
    }


def _address(h: Any) -> str:
    return ", ".join(p for p in (h.street, h.house, h.flat) if p)


def conflict_visits(s: Session, on: date, every: int, limit: int) -> TodaySection:
    homes = s.exec(
        select(Household).where(Household.deleted == False, Household.conflict_family == True)
    ).all()
    last = _last_visits(s, [h.id for h in homes])
    due_list = []
    for h in homes:
        seen = last.get(h.id)
        due = (seen + timedelta(days=every)) if seen else None
        if due is None or due <= on:
            due_list.append((h, due))
    due_list.sort(key=lambda x: (x[1] or date.min, x[0].street, x[0].house))
    heads = _head_names(s, [h for h, _d in due_list[:limit]])
    items = tuple(
        TodayItem(
            CONFLICT_VISITS,
            "household",
            h.id,
            _address(h),
            person_id=h.head_person_id,
            household_id=h.id,
            due=due,
            days=(on - due).days if due else 0,
            street=h.street,
            other=heads.get(h.head_person_id, ""),
        )
        for h, due in due_list[:limit]
    )
    return TodaySection(CONFLICT_VISITS, len(due_list), items)


def households_unvisited(
    s: Session, on: date, limit: int
) -> tuple[TodaySection, tuple[tuple[str, int], ...]]:
    """The section, and the same households counted per street."""
    rows = unvisited_households(s, local_day_start(quarter_start(on)))
    streets = Counter(r[1] for r in rows)
    shown = rows[:limit]
    last = _last_visits(s, [r[0] for r in shown])
    heads = {}
    ids = [r[4] for r in shown if r[4]]
    if ids:
        heads = {
            p[0]: _name(p[1], p[2], p[3])
            for p in s.exec(
                select(Person.id, Person.surname, Person.given_name, Person.patronymic).where(
                    Person.id.in_(ids)
                )
            ).all()
        }
    items = tuple(
        TodayItem(
            HOUSEHOLDS_UNVISITED,
            "household",
            r[0],
            ", ".join(p for p in (r[1], r[2], r[3]) if p),
            person_id=r[4],
            household_id=r[0],
            due=last.get(r[0]),
            street=r[1],
            other=heads.get(r[4], ""),
        )
        for r in shown
    )
    return TodaySection(HOUSEHOLDS_UNVISITED, len(rows), items), tuple(sorted(streets.items()))


def streets_unvisited(reg: Register, on: date | None = None) -> list[tuple[str, int]]:
    """Households not visited this quarter, counted per street (for the list by street)."""
    require_permission(reg, "read")
    with reg.reading() as s:
        return list(households_unvisited(s, on or today_local(), 0)[1])


def today(
    reg: Register,
    *,
    on: date | None = None,
    now: datetime | None = None,
    limit: int = 200,
    households: bool = True,
) -> Today:
    """Every section of the Today screen, computed in one read session.

    ``households=False`` leaves out the households not visited this quarter: on a large
    register that section reads the whole quarter's visits, so the window shows the urgent
    sections first and asks for it separately (``unvisited``).
    """
    require_permission(reg, "read")
    on = on or today_local()
    now = now or datetime.now(UTC)
    with reg.reading() as s:
        every = reference.get_int_setting(s, "conflict_visit_days")
        late_cut = now - EXAMINE_WITHIN
        unexamined = [
            FamilyDispute.deleted == False,
            FamilyDispute.status == "open",
            FamilyDispute.examined_at.is_(None),
        ]
        sections = [
            overdue_checkins(s, on, limit),
            orders_ending(s, on, limit),
            _dispute_section(
                s, DISPUTES_LATE, [*unexamined, FamilyDispute.reported_at <= late_cut], now, limit
            ),
            _dispute_section(
                s, DISPUTES_PENDING, [*unexamined, FamilyDispute.reported_at > late_cut], now, limit
            ),
            entries_ending(s, on, limit),
            conflict_visits(s, on, every, limit),
        ]
        streets: tuple[tuple[str, int], ...] = ()
        if households:
            unvisited_section, streets = households_unvisited(s, on, limit)
            sections.append(unvisited_section)
    return Today(on, {sec.kind: sec for sec in sections}, streets)


def unvisited(
    reg: Register, *, on: date | None = None, limit: int = 200
) -> tuple[TodaySection, tuple[tuple[str, int], ...]]:
    """Only the households-not-visited section and its counts per street."""
    require_permission(reg, "read")
    with reg.reading() as s:
        return households_unvisited(s, on or today_local(), limit)


def counts(reg: Register, **kwargs: Any) -> dict[str, int]:
    """Only the counts, e.g. for a badge in the side navigation."""
    t = today(reg, limit=0, **kwargs)
    return {kind: sec.total for kind, sec in t.sections.items()}
