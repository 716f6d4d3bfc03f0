"""Numbers for the Statistics charts, counted as the monthly report counts them.

The definitions are those of ``app.services.monthly.monthly_figures`` (the printed monthly
report): a record counts in the month its own date falls in, on the Tashkent calendar;
activity per direction is visits, preventive measures and offence cases by their direction,
plus dispute reports as "family"; a register entry counts when it was in force at some time
in the month. They are computed again here, without the report's visits-due figure, which
reads every visit ever made and takes tens of seconds on a million visits; a test checks
that every figure both compute is the same. Added for the screen: disputes of the month by
their current status, check-ins, and visits per week.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from app.db.register import Register
from app.domain import (
    CheckIn,
    FamilyDispute,
    Household,
    HouseholdVisit,
    OffenceCase,
    OrderExtension,
    PreventiveMeasure,
    ProtectionOrder,
    RegisterEntry,
)
from app.domain.base import today_local
from app.domain.enums import Direction, DisputeNature, DisputeStatus, RegisterCategory
from app.services import monthly
from app.services.base import require_permission
from app.services.ui_queries import end_of_month, local_day_start

Counts = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class DisputeCount:
    nature: str
    opened: int
    resolved: int


@dataclass(frozen=True)
class MonthStats:
    year: int
    month: int
    per_direction: Counts
    per_register: Counts
    measures: Counts
    visits_made: int
    check_ins: int
    households_total: int
    households_covered: int
    disputes_by_nature: tuple[DisputeCount, ...]
    disputes_by_status: Counts
    orders_issued: int
    orders_extended: int

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)


def month_bounds(year: int, month: int) -> tuple[date, date, datetime, datetime]:
    """First and last day, and the UTC instants of their Tashkent midnights (end exclusive)."""
    first = date(year, month, 1)
    last = end_of_month(first)
    return first, last, local_day_start(first), local_day_start(last + timedelta(days=1))


def _ordered(counter: Counter, codes: list[str]) -> Counts:
    """Every known code in its declared order (zeros included, so charts keep their axes),
    then codes this version does not know (written by a newer one)."""
    known = [(c, counter.get(c, 0)) for c in codes]
    extra = sorted((c, n) for c, n in counter.items() if c not in codes)
    return tuple(known + extra)


def _group(s: Session, column, *conds) -> Counter:
    return Counter(
        {k: n for k, n in s.exec(select(column, func.count()).where(*conds).group_by(column)).all()}
    )


def month_stats(reg: Register, year: int, month: int) -> MonthStats:
    require_permission(reg, "read")
    first, last, start, end = month_bounds(year, month)
    with reg.reading() as s:
        in_month = [
            HouseholdVisit.deleted == False,
            HouseholdVisit.visited_at >= start,
            HouseholdVisit.visited_at < end,
        ]
        visits = _group(s, HouseholdVisit.direction, *in_month)
        directions = Counter(visits)
        directions += _group(
            s,
            PreventiveMeasure.direction,
            PreventiveMeasure.deleted == False,
            PreventiveMeasure.on >= first,
            PreventiveMeasure.on <= last,
        )
        directions += _group(
            s,
            OffenceCase.direction,
            OffenceCase.deleted == False,
            OffenceCase.drawn_up_at >= start,
            OffenceCase.drawn_up_at < end,
        )
        reported = [
            FamilyDispute.deleted == False,
            FamilyDispute.reported_at >= start,
            FamilyDispute.reported_at < end,
        ]
        opened = _group(s, FamilyDispute.nature, *reported)
        if opened:
            directions["family"] += sum(opened.values())
        resolved = _group(
            s,
            FamilyDispute.nature,
            FamilyDispute.deleted == False,
            FamilyDispute.status.in_(monthly.RESOLVED),
            FamilyDispute.closed_on >= first,
            FamilyDispute.closed_on <= last,
        )
        by_status = _group(s, FamilyDispute.status, *reported)
        per_register = _group(
            s,
            RegisterEntry.category,
            RegisterEntry.deleted == False,
            RegisterEntry.start_date <= last,
            RegisterEntry.end_date.is_(None) | (RegisterEntry.end_date >= first),
            RegisterEntry.removal_date.is_(None) | (RegisterEntry.removal_date >= first),
        )
        measures = _group(
            s,
            PreventiveMeasure.kind,
            PreventiveMeasure.deleted == False,
            PreventiveMeasure.on >= first,
            PreventiveMeasure.on <= last,
        )
        check_ins = s.exec(
            select(func.count())
            .select_from(CheckIn)
            .where(CheckIn.deleted == False, CheckIn.at >= start, CheckIn.at < end)
        ).one()
        households_total = s.exec(
            select(func.count()).select_from(Household).where(Household.deleted == False)
        ).one()
        # Distinct households over the month's visits (the visited_at index), never by
        # walking every household's visits.
        month_homes = select(HouseholdVisit.household_id).where(*in_month).distinct().subquery()
        covered = s.exec(select(func.count()).select_from(month_homes)).one()
        orders_issued = s.exec(
            select(func.count())
            .select_from(ProtectionOrder)
            .where(
                ProtectionOrder.deleted == False,
                ProtectionOrder.issued_on >= first,
                ProtectionOrder.issued_on <= last,
            )
        ).one()
        orders_extended = s.exec(
            select(func.count())
            .select_from(OrderExtension)
            .where(
                OrderExtension.deleted == False,
                OrderExtension.on >= first,
                OrderExtension.on <= last,
            )
        ).one()
    natures = DisputeNature.codes() + sorted(
        (set(opened) | set(resolved)) - set(DisputeNature.codes())
    )
    return MonthStats(
        year,
        month,
        per_direction=_ordered(
            Counter({k: n for k, n in directions.items() if k}), Direction.codes()
        ),
        per_register=_ordered(Counter(per_register), RegisterCategory.codes()),
        measures=tuple(sorted((k, n) for k, n in measures.items() if k)),
        visits_made=sum(visits.values()),
        check_ins=check_ins,
        households_total=households_total,
        households_covered=covered,
        disputes_by_nature=tuple(
            DisputeCount(n, opened.get(n, 0), resolved.get(n, 0)) for n in natures
        ),
        disputes_by_status=_ordered(by_status, DisputeStatus.codes()),
        orders_issued=orders_issued,
        orders_extended=orders_extended,
    )


def weekly_visits(
    reg: Register, *, weeks: int = 12, until: date | None = None
) -> tuple[tuple[date, int], ...]:
    """Visits per week (Monday to Sunday, Tashkent), the last ``weeks`` weeks up to ``until``.

    One indexed count per week keeps this fast on a million visits and portable to HQ's
    PostgreSQL (no SQLite date functions).
    """
    require_permission(reg, "read")
    until = until or today_local()
    monday = until - timedelta(days=until.weekday())
    starts = [monday - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    out = []
    with reg.reading() as s:
        for week in starts:
            n = s.exec(
                select(func.count())
                .select_from(HouseholdVisit)
                .where(
                    HouseholdVisit.deleted == False,
                    HouseholdVisit.visited_at >= local_day_start(week),
                    HouseholdVisit.visited_at < local_day_start(week + timedelta(days=7)),
                )
            ).one()
            out.append((week, n))
    return tuple(out)
