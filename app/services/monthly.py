"""The monthly figures of a stronghold, shared by the monthly report and the statistics.

Every figure counts records by their own date within the calendar month in Tashkent time,
so the report printed on the 1st and the charts on screen always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import func
from sqlmodel import Session, select

from app.db.register import Register
from app.domain import (
    CitizenContribution,
    FamilyDispute,
    Household,
    HouseholdVisit,
    OffenceCase,
    OrderExtension,
    PreventiveMeasure,
    ProtectionOrder,
    RegisterEntry,
)
from app.domain.base import TASHKENT
from app.services.base import require_permission

RESOLVED = ("reconciled", "referred", "closed")


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First day of the month and first day of the next one."""
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt


def utc_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    first, nxt = month_bounds(year, month)
    return (
        datetime.combine(first, time(), TASHKENT).astimezone(UTC),
        datetime.combine(nxt, time(), TASHKENT).astimezone(UTC),
    )


@dataclass
class MonthlyFigures:
    year: int
    month: int
    per_direction: dict[str, int] = field(default_factory=dict)
    per_register: dict[str, int] = field(default_factory=dict)  # active during the month
    measures: dict[str, int] = field(default_factory=dict)
    visits_made: int = 0
    visits_due: int = 0  # households whose next visit fell due within the month
    visits_overdue: int = 0  # of those, not visited by the end of the month
    households_total: int = 0
    households_covered: int = 0  # visited at least once in the month
    disputes_opened: dict[str, int] = field(default_factory=dict)  # by nature
    disputes_resolved: dict[str, int] = field(default_factory=dict)
    orders_issued: int = 0
    orders_extended: int = 0
    contributions: list = field(default_factory=list)  # (person_id, organisation, kind, proposed)


def _grouped(s: Session, column, *where) -> dict[str, int]:
    rows = s.exec(select(column, func.count()).where(*where).group_by(column)).all()
    return {k: n for k, n in rows if k}


def monthly_figures(reg: Register, year: int, month: int) -> MonthlyFigures:
    require_permission(reg, "read")
    first, nxt = month_bounds(year, month)
    t0, t1 = utc_bounds(year, month)
    f = MonthlyFigures(year, month)
    with reg.reading() as s:
        in_month_visit = (
            HouseholdVisit.deleted == False,
            HouseholdVisit.visited_at >= t0,
            HouseholdVisit.visited_at < t1,
        )
        visits = _grouped(s, HouseholdVisit.direction, *in_month_visit)
        measures = _grouped(
            s,
            PreventiveMeasure.direction,
            PreventiveMeasure.deleted == False,
            PreventiveMeasure.on >= first,
            PreventiveMeasure.on < nxt,
        )
        offences = _grouped(
            s,
            OffenceCase.direction,
            OffenceCase.deleted == False,
            OffenceCase.drawn_up_at >= t0,
            OffenceCase.drawn_up_at < t1,
        )
        disputes_opened = _grouped(
            s,
            FamilyDispute.nature,
            FamilyDispute.deleted == False,
            FamilyDispute.reported_at >= t0,
            FamilyDispute.reported_at < t1,
        )
        for source in (visits, measures, offences):
            for k, n in source.items():
                f.per_direction[k] = f.per_direction.get(k, 0) + n
        if disputes_opened:
            f.per_direction["family"] = f.per_direction.get("family", 0) + sum(
                disputes_opened.values()
            )
        f.disputes_opened = disputes_opened
        f.disputes_resolved = _grouped(
            s,
            FamilyDispute.nature,
            FamilyDispute.deleted == False,
            FamilyDispute.status.in_(RESOLVED),
            FamilyDispute.closed_on >= first,
            FamilyDispute.closed_on < nxt,
        )
        f.per_register = _grouped(
            s,
            RegisterEntry.category,
            RegisterEntry.deleted == False,
            RegisterEntry.start_date < nxt,
            RegisterEntry.end_date.is_(None) | (RegisterEntry.end_date >= first),
            RegisterEntry.removal_date.is_(None) | (RegisterEntry.removal_date >= first),
        )
        f.measures = _grouped(
            s,
            PreventiveMeasure.kind,
            PreventiveMeasure.deleted == False,
            PreventiveMeasure.on >= first,
            PreventiveMeasure.on < nxt,
        )
        f.visits_made = sum(visits.values())
        f.households_total = s.exec(
            select(func.count()).select_from(Household).where(Household.deleted == False)
        ).one()
        f.households_covered = s.exec(
            select(func.count(func.distinct(HouseholdVisit.household_id))).where(*in_month_visit)
        ).one()
        # Visits due: the newest visit before the month said when to come back. SQLite
        # returns the other columns of the row that holds max(), one row per household.
        latest_before = s.exec(
            select(
                HouseholdVisit.household_id,
                HouseholdVisit.next_visit_due,
                func.max(HouseholdVisit.visited_at),
            )
            .where(HouseholdVisit.deleted == False, HouseholdVisit.visited_at < t0)
            .group_by(HouseholdVisit.household_id)
        ).all()
        visited_in_month = set(
            s.exec(select(HouseholdVisit.household_id).where(*in_month_visit).distinct()).all()
        )
        for hid, due, _at in latest_before:
            if due is not None and first <= due < nxt:
                f.visits_due += 1
                if hid not in visited_in_month:
                    f.visits_overdue += 1
        f.orders_issued = s.exec(
            select(func.count())
            .select_from(ProtectionOrder)
            .where(
                ProtectionOrder.deleted == False,
                ProtectionOrder.issued_on >= first,
                ProtectionOrder.issued_on < nxt,
            )
        ).one()
        f.orders_extended = s.exec(
            select(func.count())
            .select_from(OrderExtension)
            .where(
                OrderExtension.deleted == False, OrderExtension.on >= first, OrderExtension.on < nxt
            )
        ).one()
        f.contributions = [
            tuple(r)
            for r in s.exec(
                select(
                    CitizenContribution.person_id,
                    CitizenContribution.organisation,
                    CitizenContribution.kind,
                    CitizenContribution.proposed,
                )
                .where(
                    CitizenContribution.deleted == False,
                    CitizenContribution.on >= first,
                    CitizenContribution.on < nxt,
                )
                .order_by(CitizenContribution.on)
            ).all()
        ]
    return f
