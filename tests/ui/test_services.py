"""The Today and statistics services on a demo register, headless: the rules, item by item."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.base import today_local
from app.errors import ValidationError
from app.services import statistics, today, ui_actions, ui_queries
from app.services.disputes import disputes
from app.services.households import households, visits
from app.services.orders import orders
from app.services.persons import persons
from app.services.registers import check_ins, entries


@pytest.fixture
def person(reg):
    return persons.create(
        reg, surname="Sinovov", given_name="Test", birth_date="01.02.1980", sex="m"
    )


def test_entry_never_checked_is_overdue_from_its_start(reg, person):
    on = today_local()
    e = entries.create(
        reg,
        person_id=person.id,
        category="parole",
        start_date=on - timedelta(days=40),
        checkin_every_days=30,
    )
    items = {i.record_id: i for i in today.today(reg).section(today.OVERDUE_CHECKINS).items}
    assert items[e.id].days == 10 and items[e.id].person_id == person.id
    # An "absent" result is an attempt, not a contact: still overdue.
    check_ins.create(reg, entry_id=e.id, person_id=person.id, result="absent", at=datetime.now(UTC))
    assert e.id in {i.record_id for i in today.today(reg).section(today.OVERDUE_CHECKINS).items}
    check_ins.create(
        reg, entry_id=e.id, person_id=person.id, result="present", at=datetime.now(UTC)
    )
    assert e.id not in {i.record_id for i in today.today(reg).section(today.OVERDUE_CHECKINS).items}


def test_entry_ending_this_month_and_removed_entries(reg, person):
    on = today_local()
    end = ui_queries.end_of_month(on)
    e = entries.create(
        reg,
        person_id=person.id,
        category="conditional_sentence",
        start_date=on - timedelta(days=300),
        end_date=end,
    )
    sec = today.today(reg).section(today.ENTRIES_ENDING)
    assert e.id in {i.record_id for i in sec.items}
    entries.close(reg, e.id, removal_reason="Muddati tugadi")
    sec = today.today(reg).section(today.ENTRIES_ENDING)
    assert e.id not in {i.record_id for i in sec.items}


def test_orders_ending_within_seven_days_only(reg, person):
    other = persons.create(
        reg, surname="Sinovova", given_name="Test", birth_date="01.02.1982", sex="f"
    )
    on = today_local()
    soon = orders.create(
        reg,
        protected_person_id=other.id,
        respondent_person_id=person.id,
        issued_on=on,
        start_date=on - timedelta(days=22),
        duration_days=30,
    )
    later = orders.create(
        reg,
        protected_person_id=other.id,
        respondent_person_id=person.id,
        issued_on=on,
        start_date=on,
        duration_days=30,
    )
    ids = {i.record_id: i for i in today.today(reg).section(today.ORDERS_ENDING).items}
    assert ids[soon.id].days == 7 and later.id not in ids
    orders.close(reg, soon.id, status="revoked")
    assert soon.id not in {i.record_id for i in today.today(reg).section(today.ORDERS_ENDING).items}


def test_dispute_reports_late_and_pending(reg, person):
    now = datetime.now(UTC)
    late = disputes.register(
        reg,
        parties=[(person.id, "applicant")],
        reported_at=now - timedelta(hours=25),
        source="application",
        nature="violence",
    )
    fresh = disputes.register(
        reg,
        parties=[(person.id, "applicant")],
        reported_at=now - timedelta(hours=2),
        source="neighbours",
        nature="property",
    )
    t = today.today(reg)
    late_items = {i.record_id: i for i in t.section(today.DISPUTES_LATE).items}
    pending = {i.record_id: i for i in t.section(today.DISPUTES_PENDING).items}
    assert late.id in late_items and late_items[late.id].days == 1
    assert fresh.id in pending and fresh.id not in late_items
    assert pending[fresh.id].title == "Sinovov Test"
    disputes.update(reg, late.id, examined_at=now)
    assert late.id not in {i.record_id for i in today.today(reg).section(today.DISPUTES_LATE).items}


def test_conflict_family_interval_comes_from_the_setting(reg):
    h = households.create(reg, street="Sinov koʻchasi", house="7", conflict_family=True)
    visits.record(reg, household_id=h.id, visited_at=datetime.now(UTC) - timedelta(days=2))
    assert h.id not in {i.record_id for i in today.today(reg).section(today.CONFLICT_VISITS).items}
    ui_actions.set_settings(reg, {"conflict_visit_days": "2"})
    item = next(
        i for i in today.today(reg).section(today.CONFLICT_VISITS).items if i.record_id == h.id
    )
    assert item.days == 0 and item.household_id == h.id


def test_households_not_visited_this_quarter_listed_by_street(reg):
    h = households.create(reg, street="Aaa sinov koʻchasi", house="2")
    sec = today.today(reg).section(today.HOUSEHOLDS_UNVISITED)
    assert sec.items[0].record_id == h.id  # first street alphabetically
    assert sec.total == ui_queries.count_households(reg) - ui_queries.quarter_coverage(reg).visited
    assert ("Aaa sinov koʻchasi", 1) in today.streets_unvisited(reg)
    visits.record(reg, household_id=h.id, visited_at=datetime.now(UTC))
    after = today.today(reg).section(today.HOUSEHOLDS_UNVISITED)
    assert after.total == sec.total - 1


def test_month_stats_count_records_by_their_own_dates(reg, person):
    on = today_local()
    before = statistics.month_stats(reg, on.year, on.month)
    h = households.create(reg, street="Sinov", house="1")
    visits.record(reg, household_id=h.id, visited_at=datetime.now(UTC), direction="family")
    last_month = on.replace(day=1) - timedelta(days=1)
    visits.record(
        reg,
        household_id=h.id,
        direction="family",
        visited_at=datetime(last_month.year, last_month.month, 15, 6, tzinfo=UTC),
    )
    entries.create(reg, person_id=person.id, category="parole", start_date=on)
    after = statistics.month_stats(reg, on.year, on.month)
    assert after.visits_made == before.visits_made + 1
    assert dict(after.per_direction)["family"] == dict(before.per_direction)["family"] + 1
    assert dict(after.per_register)["parole"] == dict(before.per_register)["parole"] + 1
    assert after.households_total == before.households_total + 1
    assert after.households_covered == before.households_covered + 1
    # Every code is there, zeros included, in the declared order.
    assert [c for c, _n in after.per_direction][:2] == ["public_order", "social_help"]
    weeks = statistics.weekly_visits(reg, weeks=4)
    assert len(weeks) == 4 and weeks[-1][0] <= on < weeks[-1][0] + timedelta(days=7)
    assert sum(n for _d, n in weeks) >= 1


def test_a_visit_near_midnight_counts_in_tashkent_month(reg):
    """00:30 in Tashkent on the 1st is 19:30 UTC on the last day of the previous month."""
    h = households.create(reg, street="Yarim tun", house="1")
    first = date(2024, 3, 1)
    visits.record(reg, household_id=h.id, visited_at=datetime(2024, 2, 29, 19, 30, tzinfo=UTC))
    assert statistics.month_stats(reg, 2024, 3).visits_made == 1
    assert statistics.month_stats(reg, 2024, 2).visits_made == 0
    assert first.month == 3


def test_settings_are_checked_and_saved(reg):
    with pytest.raises(ValidationError) as err:
        ui_actions.set_settings(reg, {"idle_lock_minutes": "0"})
    assert "idle_lock_minutes" in err.value.fields
    ui_actions.set_settings(reg, {"idle_lock_minutes": "15"})
    assert ui_queries.int_setting(reg, "idle_lock_minutes") == 15


def test_check_in_with_violation_is_one_transaction(reg, person):
    e = entries.create(reg, person_id=person.id, category="parole", start_date=today_local())
    with pytest.raises(ValidationError):
        ui_actions.record_check_in(
            reg,
            entry_id=e.id,
            person_id=person.id,
            at=datetime.now(UTC),
            result="violation",
            violation={"what": "", "outcome": "warning"},
        )
    from app.services.queries import person_card

    assert person_card(reg, person.id).check_ins == []  # the check-in was not kept alone


def test_statistics_agree_with_the_monthly_report(reg):
    """Every figure the screen and the printed report both show is the same number."""
    from app.services import monthly

    on = today_local()
    for year, month in (
        (on.year, on.month),
        (
            (on.replace(day=1) - timedelta(days=1)).year,
            (on.replace(day=1) - timedelta(days=1)).month,
        ),
    ):
        st = statistics.month_stats(reg, year, month)
        f = monthly.monthly_figures(reg, year, month)
        assert {k: n for k, n in st.per_direction if n} == f.per_direction
        assert {k: n for k, n in st.per_register if n} == f.per_register
        assert dict(st.measures) == f.measures
        assert st.visits_made == f.visits_made
        assert st.households_total == f.households_total
        assert st.households_covered == f.households_covered
        assert {d.nature: d.opened for d in st.disputes_by_nature if d.opened} == f.disputes_opened
        assert {
            d.nature: d.resolved for d in st.disputes_by_nature if d.resolved
        } == f.disputes_resolved
        assert (st.orders_issued, st.orders_extended) == (f.orders_issued, f.orders_extended)
