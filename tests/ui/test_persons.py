"""Persons: the form's live validation, saving, finding, the card, remembered columns."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt

from app.services.queries import PersonFilter, count_persons
from tests.ui.conftest import activate, closed, find_open, wait_idle
from ui.main_window import MainWindow
from ui.persons.form import PersonForm


def _new_person_form(qtbot, window) -> PersonForm:
    window.go("persons")
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = find_open(window, PersonForm)
    assert form is not None and form.isVisible()
    activate(qtbot, form)
    return form


def _type(qtbot, form: PersonForm, name: str, text: str) -> None:
    widget = form.fields[name].widget
    widget.setFocus()
    qtbot.keyClicks(widget, text)


def test_pinfl_disagreeing_with_birth_date_is_flagged_and_nothing_is_saved(qtbot, window, reg):
    before = count_persons(reg)
    form = _new_person_form(qtbot, window)
    _type(qtbot, form, "surname", "Toshmatova")
    _type(qtbot, form, "given_name", "Gulnoza")
    _type(qtbot, form, "birth_date", "14.03.1990")
    form.fields["sex"].widget.set_code("f")
    # 15.03.90 in digits 2-7: one day off the birth date.
    _type(qtbot, form, "pinfl", "41503901234567")
    assert "does not match the birth date" in form.field_error("pinfl")
    assert not form.save_button.isEnabled()
    qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot)
    assert form.isVisible()
    assert count_persons(reg) == before

    # Fixing the birth date clears the message and lets Save through.
    form.fields["birth_date"].widget.clear()
    _type(qtbot, form, "birth_date", "15.03.1990")
    assert form.field_error("pinfl") == ""
    assert form.save_button.isEnabled()
    with qtbot.waitSignal(form.saved, timeout=10_000):
        qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot)
    assert closed(form)
    assert count_persons(reg) == before + 1

    # ... and the person is found in the table by the search box.
    page = window.persons
    page.focus_search()
    qtbot.keyClicks(page.search, "Toshmatova")
    qtbot.waitUntil(
        lambda: page.model.total == 1 and page.model.row_at(0) is not None, timeout=10_000
    )
    assert page.model.row_at(0).pinfl == "41503901234567"
    qtbot.waitUntil(
        lambda: page.card.card is not None and page.card.card.person.surname == "Toshmatova",
        timeout=10_000,
    )


def test_duplicate_pinfl_is_refused_next_to_the_field(qtbot, window, reg):
    from app.services.queries import person_rows

    other = next(r for r in person_rows(reg, PersonFilter(), limit=50) if r.pinfl)
    full = next(r for r in person_rows(reg, PersonFilter(ids=(other.id,))))
    form = _new_person_form(qtbot, window)
    _type(qtbot, form, "surname", "Dublikatov")
    _type(qtbot, form, "given_name", "Test")
    _type(qtbot, form, "birth_date", full.birth_date.strftime("%d.%m.%Y"))
    form.fields["sex"].widget.set_code(full.sex)
    _type(qtbot, form, "pinfl", other.pinfl)
    assert form.save_button.isEnabled()
    qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: form.field_error("pinfl") != "", timeout=10_000)
    assert "already in the register" in form.field_error("pinfl")
    assert form.isVisible()
    form._closing = True
    form.close()


def test_fields_are_checked_as_typed_and_escape_asks(qtbot, window, seams_rec):
    form = _new_person_form(qtbot, window)
    # Escape on an untouched form closes it without a question.
    qtbot.keyClick(form, Qt.Key.Key_Escape)
    assert closed(form) and seams_rec.questions == []

    form = _new_person_form(qtbot, window)
    _type(qtbot, form, "passport", "A1234567")
    assert "2 Latin letters" in form.field_error("passport")
    _type(qtbot, form, "phone", "12")
    assert "+998" in form.field_error("phone")
    form.fields["phone"].widget.clear()
    _type(qtbot, form, "phone", "90 123 45 67")
    assert form.field_error("phone") == ""
    _type(qtbot, form, "birth_date", "31.02.1990")
    assert "dd.mm.yyyy" in form.field_error("birth_date")
    # Required fields not yet touched show nothing, but Save stays off.
    assert form.field_error("surname") == ""
    assert not form.save_button.isEnabled()

    # With edits, Escape asks; "No" keeps the form and every keystroke.
    seams_rec.answers = [False]
    qtbot.keyClick(form, Qt.Key.Key_Escape)
    assert form.isVisible()
    assert form.fields["phone"].widget.text() == "90 123 45 67"
    seams_rec.answers = [True]
    qtbot.keyClick(form, Qt.Key.Key_Escape)
    assert closed(form)
    assert len(seams_rec.questions) == 2


def test_edit_from_the_card_changes_the_table_and_the_history(qtbot, window):
    page = window.go("persons")
    qtbot.waitUntil(lambda: page.card.card is not None, timeout=10_000)
    card = page.card
    person = card.card.person
    activate(qtbot, window)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    form = find_open(window, PersonForm)
    assert form is not None and form.isVisible()
    form.fields["workplace"].widget.setText("Toshkent traktor zavodi")
    with qtbot.waitSignal(form.saved, timeout=10_000):
        form.save()
    qtbot.waitUntil(
        lambda: card.card is not None and card.card.person.workplace == "Toshkent traktor zavodi",
        timeout=10_000,
    )
    assert card.card.person.id == person.id
    assert card.facts["workplace"].text() == "Toshkent traktor zavodi"
    history = card.tables["history"].source.rows
    assert any(a.action == "update" and "workplace" in a.details for a in history)


def test_columns_are_remembered(qtbot, window, reg, ui_settings):
    page = window.go("persons")
    header = page.table.horizontalHeader()
    phone = page._column("phone")
    assert header.isSectionHidden(phone)
    header.setSectionHidden(phone, False)
    header.resizeSection(0, 313)
    page._save_columns()
    window.close()
    wait_idle(qtbot)

    again = MainWindow(reg, ui_settings)
    qtbot.addWidget(again)
    header = again.persons.table.horizontalHeader()
    assert not header.isSectionHidden(phone)
    assert header.sectionSize(0) == 313
    again.close()
    wait_idle(qtbot)


def test_table_pages_filters_and_model_tester(qtbot, qtmodeltester, window, reg):
    page = window.go("persons")
    model = page.model
    qtbot.waitUntil(lambda: model.total == 300, timeout=10_000)
    qtmodeltester.check(model)
    wait_idle(qtbot)

    # Pages are fetched as the user scrolls, never all rows.
    model.page_size = 50
    model.reload()
    qtbot.waitUntil(lambda: model.total == 300 and model.cached_rows() == 50, timeout=10_000)
    assert model.index(260, 0).data() == "…"  # not fetched yet: a placeholder
    qtbot.waitUntil(lambda: model.row_at(260, fetch=False) is not None, timeout=10_000)
    assert model.index(260, 0).data() != "…"
    assert model.cached_rows() == 100  # two pages, never all 300

    # Filters narrow the table in SQL.
    page.on_register.setChecked(True)
    expected = count_persons(reg, PersonFilter(on_register=True))
    qtbot.waitUntil(lambda: model.total == expected, timeout=10_000)
    assert 0 < expected < 300
    page.category.set_code("parole")
    expected = count_persons(reg, PersonFilter(on_register=True, category="parole"))
    qtbot.waitUntil(lambda: model.total == expected and model.row_at(0) is not None, timeout=10_000)
    assert "parole" in model.row_at(0).categories


def test_same_person_in_another_script_is_offered_before_adding(qtbot, window, reg, seams_rec):
    from app.services.persons import persons

    persons.create(reg, surname="Қодиров", given_name="Шавкат", birth_date="12.03.1985", sex="m")
    before = count_persons(reg)
    form = _new_person_form(qtbot, window)
    _type(qtbot, form, "surname", "Qodirov")
    _type(qtbot, form, "given_name", "Shavkat")
    _type(qtbot, form, "birth_date", "12.03.1985")
    seams_rec.answers = [False]
    qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(seams_rec.questions) == 1, timeout=10_000)
    assert "Қодиров Шавкат" in seams_rec.questions[0]
    wait_idle(qtbot)
    assert form.isVisible() and count_persons(reg) == before
    seams_rec.answers = [True]
    with qtbot.waitSignal(form.saved, timeout=10_000):
        form.save()
    assert count_persons(reg) == before + 1


def test_the_cards_dates_show_whole_and_its_columns_stay_in_view(qtbot, window, reg):
    """A check-in's date and time widen their column in the card's table instead of being
    cut off ("21.11.20..."); longer texts grow only while every column stays in view."""
    with reg.engine.connect() as conn:
        person_id = conn.exec_driver_sql(
            "SELECT person_id FROM check_in GROUP BY person_id ORDER BY count(*) DESC LIMIT 1"
        ).scalar()
    window.go("persons")
    card = window.persons.card
    window.persons.open_person(uuid.UUID(str(person_id)))
    qtbot.waitUntil(
        lambda: card.card is not None and card.card.person.id == uuid.UUID(str(person_id)),
        timeout=10_000,
    )
    table = card.tables["check_ins"]
    card.tabs.setCurrentIndex(card.tabs.indexOf(card.holders["check_ins"]))
    qtbot.waitUntil(table.isVisible, timeout=5_000)
    wait_idle(qtbot)
    qtbot.wait(50)  # the columns are fitted once the rows are painted
    header = table.horizontalHeader()
    when = next(i for i, c in enumerate(table.source.columns) if c.key == "at")
    model, metrics = table.model(), table.fontMetrics()
    widest = max(
        metrics.horizontalAdvance(model.index(row, when).data()) for row in range(model.rowCount())
    )
    assert header.sectionSize(when) > widest
    assert header.length() <= table.viewport().width()
