"""Today and the flows that finish its items: record a visit, register a dispute, issue an
order, record a check-in, all driven through the window as a user would."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt

from app.domain.base import TASHKENT, today_local
from app.services import today as today_service
from app.services.queries import person_card
from tests.ui.conftest import activate, find_open, wait_idle
from ui.disputes.forms import DisputeForm
from ui.households.forms import VisitForm
from ui.orders.forms import OrderForm
from ui.registers.forms import CheckInForm


def _card(window, kind):
    card = window.today.card_for(kind)
    assert card.model.rows, f"the demo register has no {kind} item"
    return card


def _pick(qtbot, picker, text: str) -> None:
    """Type into a record picker and choose the first suggestion with Down and Enter."""
    picker.setFocus()
    qtbot.keyClicks(picker, text)
    qtbot.waitUntil(picker.has_results, timeout=10_000)
    qtbot.waitUntil(lambda: picker.completer_.popup().isVisible(), timeout=5_000)
    popup = picker.completer_.popup()
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: picker._value is not None, timeout=5_000)


def test_record_a_visit_from_today_leaves_today_and_shows_in_history(qtbot, window, reg):
    window.go("today")
    card = _card(window, today_service.HOUSEHOLDS_UNVISITED)
    item = card.model.rows[0]
    before = window.today.today.section(today_service.HOUSEHOLDS_UNVISITED).total
    card.table.selectRow(0)
    card.buttons["visit"].click()
    form = find_open(window, VisitForm)
    assert form is not None and form.isVisible()
    qtbot.waitUntil(lambda: form.met.count() > 0, timeout=10_000)
    assert form.household._value == item.household_id
    activate(qtbot, form)
    # Keyboard only: tick the first person met, type findings, Ctrl+S.
    form.met.setFocus()
    qtbot.keyClick(form.met, Qt.Key.Key_Space)
    met = form.met.checked_ids()
    assert len(met) == 1
    findings = form.fields["findings"].widget
    findings.setFocus()
    qtbot.keyClicks(findings, "Hammasi joyida.")
    assert form.fields["next_visit_due"].widget.text()  # filled from the interval
    with qtbot.waitSignal(form.saved, timeout=10_000):
        qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: window.today.today.section(today_service.HOUSEHOLDS_UNVISITED).total == before - 1,
        timeout=10_000,
    )
    wait_idle(qtbot)
    ids = [
        i.record_id for i in window.today.today.section(today_service.HOUSEHOLDS_UNVISITED).items
    ]
    assert item.record_id not in ids
    # The visit is in the person's card: visits and history.
    c = person_card(reg, met[0])
    assert any(v.findings == "Hammasi joyida." for v in c.visits)
    assert any(a.table_name == "visit_person" for a in c.history)
    window.open_person(met[0])
    page = window.persons
    qtbot.waitUntil(
        lambda: page.card.card is not None and page.card.card.person.id == met[0], timeout=10_000
    )
    assert any(v.findings == "Hammasi joyida." for v in page.card.tables["visits"].source.rows)


def test_record_visit_keyboard_only_from_an_empty_form(qtbot, window, reg):
    """Ctrl+R, type the street and house, Enter, Space, findings, Ctrl+S."""
    activate(qtbot, window)
    window.go("today")
    started = time.perf_counter()
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    form = find_open(window, VisitForm)
    assert form is not None and form.isVisible()
    activate(qtbot, form)
    row = window.households  # any household will do: take the first one's address
    qtbot.waitUntil(lambda: row.model.total > 0, timeout=10_000)
    first = row.model.row_at(0)
    window.go("today")
    # QTest types ASCII only: the street up to its first ʻ is enough to find it.
    street = first.street.split("\u02bb")[0].split()[0]
    _pick(qtbot, form.household, f"{street} {first.house}")
    qtbot.waitUntil(lambda: form.met.count() > 0, timeout=10_000)
    qtbot.keyClick(form.household, Qt.Key.Key_Tab)  # to "When", already now
    qtbot.keyClick(form.focusWidget(), Qt.Key.Key_Tab)  # to persons met
    assert form.focusWidget() is form.met
    qtbot.keyClick(form.met, Qt.Key.Key_Space)
    qtbot.keyClick(form.met, Qt.Key.Key_Tab)  # purpose: "s" picks supervision check
    qtbot.keyClicks(form.focusWidget(), "s")
    assert form.fields["purpose"].widget.code() in ("supervision", "social_help")
    for _ in range(2):
        qtbot.keyClick(form.focusWidget(), Qt.Key.Key_Tab)
    assert form.focusWidget() is form.fields["findings"].widget
    qtbot.keyClicks(form.focusWidget(), "Suhbat o'tkazildi.")
    with qtbot.waitSignal(form.saved, timeout=10_000) as saved:
        qtbot.keyClick(form.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert saved.args[0].household_id == first.id
    assert time.perf_counter() - started < 30


def test_registering_an_old_dispute_report_raises_the_24_hour_alert(qtbot, window, reg):
    window.go("disputes")
    activate(qtbot, window)
    before = today_service.today(reg).section(today_service.DISPUTES_LATE).total
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = find_open(window, DisputeForm)
    assert form is not None and form.isVisible()
    activate(qtbot, form)
    reported = (datetime.now(UTC) - timedelta(hours=30)).astimezone(TASHKENT)
    at = form.fields["reported_at"].widget
    at.clear()
    qtbot.keyClicks(at, reported.strftime("%d.%m.%Y %H:%M"))
    persons = window.persons  # two adults of the demo stronghold
    qtbot.waitUntil(lambda: persons.model.total > 0, timeout=10_000)
    names = [persons.model.row_at(i) for i in range(0, 6)]
    _pick(qtbot, form.applicant, names[0].pinfl)
    _pick(qtbot, form.respondent, names[1].pinfl)
    qtbot.waitUntil(form.save_button.isEnabled, timeout=5_000)
    with qtbot.waitSignal(form.saved, timeout=10_000):
        form.save()
    window.go("today")
    qtbot.waitUntil(
        lambda: (
            window.today.today is not None
            and window.today.today.section(today_service.DISPUTES_LATE).total == before + 1
        ),
        timeout=10_000,
    )
    late = window.today.card_for(today_service.DISPUTES_LATE)
    assert any(i.title == names[0].full_name for i in late.model.rows)
    assert window.today.cards[today_service.DISPUTES_LATE].badge.text() == str(before + 1)

    # Marking it examined takes it off Today.
    row = next(i for i, it in enumerate(late.model.rows) if it.title == names[0].full_name)
    late.table.selectRow(row)
    late.buttons["examined"].click()
    qtbot.waitUntil(
        lambda: window.today.today.section(today_service.DISPUTES_LATE).total == before,
        timeout=10_000,
    )


def test_issued_order_appears_among_orders_ending_soon(qtbot, window, reg):
    window.go("orders")
    activate(qtbot, window)
    before = today_service.today(reg).section(today_service.ORDERS_ENDING).total
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = find_open(window, OrderForm)
    assert form is not None and form.isVisible()
    activate(qtbot, form)
    qtbot.waitUntil(lambda: form.duration.count() > 0, timeout=10_000)
    # Started 25 days ago for 30 days: it ends in 4 days.
    start = form.fields["start_date"].widget
    start.clear()
    qtbot.keyClicks(start, (today_local() - timedelta(days=25)).strftime("%d.%m.%Y"))
    form.fields["number"].widget.setText("HO-TEST-1")
    persons = window.persons
    qtbot.waitUntil(lambda: persons.model.total > 0, timeout=10_000)
    a, b = persons.model.row_at(10), persons.model.row_at(11)
    _pick(qtbot, form.protected, a.pinfl)
    _pick(qtbot, form.respondent, b.pinfl)
    form.fields["grounds"].widget.setPlainText("Ariza asosida.")
    assert "in force until" in form.end_label.text().lower()
    qtbot.waitUntil(form.save_button.isEnabled, timeout=5_000)
    with qtbot.waitSignal(form.saved, timeout=10_000):
        form.save()
    qtbot.waitUntil(
        lambda: (
            window.orders.table.source.row_of(
                next(
                    (
                        r.id
                        for r in window.orders.table.source.rows
                        if r.order.number == "HO-TEST-1"
                    ),
                    None,
                )
            )
            is not None
        ),
        timeout=10_000,
    )
    window.go("today")
    qtbot.waitUntil(
        lambda: window.today.today.section(today_service.ORDERS_ENDING).total == before + 1,
        timeout=10_000,
    )
    item = next(
        i
        for i in window.today.card_for(today_service.ORDERS_ENDING).model.rows
        if i.code == "HO-TEST-1"
    )
    assert item.days == 4


def test_overdue_check_in_from_today_with_a_violation(qtbot, window, reg):
    window.go("today")
    card = _card(window, today_service.OVERDUE_CHECKINS)
    item = card.model.rows[0]
    before = window.today.today.section(today_service.OVERDUE_CHECKINS).total
    card.table.selectRow(0)
    card.buttons["check_in"].click()
    qtbot.waitUntil(lambda: find_open(window, CheckInForm) is not None, timeout=10_000)
    form = find_open(window, CheckInForm)
    assert form.fields["entry_id"].widget.code() == str(item.record_id)
    assert form.isVisible() and not form.fields["what"].widget.isVisible()
    form.result.set_code("violation")
    assert form.fields["what"].widget.isVisible()
    assert not form.save_button.isEnabled()  # "what was broken" is now required
    form.fields["what"].widget.setText("Soat 22:00 dan keyin uyda emas edi")
    assert form.save_button.isEnabled()
    with qtbot.waitSignal(form.saved, timeout=10_000):
        form.save()
    c = person_card(reg, item.person_id)
    assert c.violations[0].what == "Soat 22:00 dan keyin uyda emas edi"
    assert c.violations[0].check_in_id == c.check_ins[0].id
    # A violation found is a contact: the check-in is no longer overdue.
    window.go("today")
    qtbot.waitUntil(
        lambda: window.today.today.section(today_service.OVERDUE_CHECKINS).total == before - 1,
        timeout=10_000,
    )
