"""Monthly figures: what the monthly report and the statistics screen both count."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.services.households import households, visits
from app.services.monthly import monthly_figures


def visit(reg, home, day: date, due: date | None, direction: str = "public_order"):
    return visits.create(
        reg,
        household_id=home.id,
        direction=direction,
        visited_at=datetime(day.year, day.month, day.day, 8, tzinfo=UTC),
        next_visit_due=due,
    )


def test_visits_due_and_overdue_follow_the_latest_visit_before_the_month(reg):
    a, b, c, d = (households.create(reg, street="Lola koʻchasi", house=str(n)) for n in range(4))
    # a: an older visit said November, the latest one said December: not due in November.
    visit(reg, a, date(2026, 8, 1), date(2026, 11, 5))
    visit(reg, a, date(2026, 10, 1), date(2026, 12, 5))
    # b: due in November and visited then; c: due in November, never came.
    visit(reg, b, date(2026, 10, 2), date(2026, 11, 10))
    visit(reg, b, date(2026, 11, 12), None, direction="family")
    visit(reg, c, date(2026, 10, 3), date(2026, 11, 20))
    # d: no visit at all.
    f = monthly_figures(reg, 2026, 11)
    assert (f.visits_due, f.visits_overdue) == (2, 1)
    assert f.visits_made == 1 and f.households_covered == 1 and f.households_total == 4
    assert f.per_direction == {"family": 1}
    october = monthly_figures(reg, 2026, 10)
    assert october.visits_made == 3 and october.per_direction == {"public_order": 3}


def test_month_boundaries_are_in_tashkent_time(reg):
    home = households.create(reg, street="Lola koʻchasi", house="1")
    # 30 Nov 20:00 UTC is 1 December 01:00 in Tashkent.
    visits.create(reg, household_id=home.id, visited_at=datetime(2026, 11, 30, 20, tzinfo=UTC))
    assert monthly_figures(reg, 2026, 11).visits_made == 0
    assert monthly_figures(reg, 2026, 12).visits_made == 1
