"""The Audit screen: an inspector filters the trail; an assistant never sees the screen."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from app.domain.base import today_local
from app.services import audit
from app.services.persons import persons


def _rows(page):
    return page.table.source.rows


def test_inspector_filters_by_action_user_person_and_date(qtbot, window, reg, seams_rec):
    p = persons.create(
        reg, surname="Auditov", given_name="Sardor", birth_date="05.06.1985", sex="m"
    )
    persons.update(reg, p.id, workplace="Zavod")
    window.hub.changed.emit("person")
    page = window.go("audit")
    assert not window.nav.isRowHidden(list(window.pages).index("audit"))
    total = audit.count_entries(reg)
    qtbot.waitUntil(lambda: page.total == total and bool(_rows(page)), timeout=10_000)
    qtbot.waitUntil(lambda: page.action.count() > 1, timeout=10_000)
    assert _rows(page)[0].action in ("update", "create")  # newest first

    # One person: the two entries just made, newest first.
    page.person.set_choice(p.id, "Auditov Sardor")
    page.apply_filter()
    qtbot.waitUntil(lambda: page.total == 2, timeout=10_000)
    assert [e.action for e in _rows(page)] == ["update", "create"]
    assert page.table.model().index(0, 4).data() == "Fields: Work or study place"

    # Action: only "update" rows for that person.
    page.action.set_code("update")
    qtbot.waitUntil(lambda: page.total == 1, timeout=10_000)

    # A day long past: nothing, and the empty state says what to do.
    page.clear_filters()
    old = today_local() - timedelta(days=3650)
    page.date_to.setText(old.strftime("%d.%m.%Y"))
    page.apply_filter()
    qtbot.waitUntil(lambda: page.total == 0, timeout=10_000)
    assert page.list.currentWidget() is page.list.empty

    # A badly typed date is refused with a sentence and the list stays as it was.
    page.date_to.setText("31.02.20")
    page.apply_filter()
    assert seams_rec.errors and "dd.mm.yyyy" in seams_rec.errors[-1]

    # User filter: the demo user did everything here.
    page.date_to.clear()
    page.user.set_code("demo")
    qtbot.waitUntil(
        lambda: (
            page.total == audit.count_entries(reg, audit.AuditFilter(user="demo"))
            and page.total > 0
        ),
        timeout=10_000,
    )
    assert {e.user_login for e in _rows(page)} == {"demo"}


def test_assistant_never_sees_the_audit_screen(qtbot, assistant_window):
    w = assistant_window
    assert w.nav.isRowHidden(list(w.pages).index("audit"))
    page = w.go("audit")
    assert page.key == "today"
    assert w.pages["audit"] is None  # never even built


def test_check_the_register_says_it_is_intact_then_finds_a_tampered_entry(
    qtbot, window, reg, seams_rec
):
    page = window.go("audit")
    page.check_button.click()
    qtbot.waitUntil(lambda: page.last_check is not None, timeout=20_000)
    assert "The register is intact" in seams_rec.infos[-1]
    # Someone holding the key edits an entry behind the app's back (tests/security).
    with reg.write_engine.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET user_login = 'kimdir' WHERE seq = 3"))
    page.check_button.click()
    qtbot.waitUntil(lambda: page.last_check is not None and not page.last_check.ok, timeout=20_000)
    assert "The check found problems" in seams_rec.errors[-1]
    assert "Audit entry 3" in seams_rec.errors[-1]
