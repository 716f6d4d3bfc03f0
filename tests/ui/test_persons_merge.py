"""Merging a duplicate from the person's card (issue 5: "a merge action joins two person
records"): the same person typed in two scripts becomes one card, in the real window."""

from __future__ import annotations

from app.domain.person import Person
from app.services.persons import persons
from app.services.registers import entries
from tests.ui.conftest import find_open, wait_idle
from ui.persons.merge import MergeDialog


def two_cards(reg):
    keep = persons.create(
        reg, surname="Qodirov", given_name="Shavkat", birth_date="12.03.1985", sex="m"
    )
    drop = persons.create(
        reg,
        surname="Қодиров",
        given_name="Шавкат",
        birth_date="12.03.1985",
        sex="m",
        pinfl="31203851234567",
    )
    entry = entries.create(reg, person_id=drop.id, category="parole", start_date="01.04.2026")
    return keep, drop, entry


def open_merge(qtbot, window, keep) -> MergeDialog:
    page = window.go("persons")
    page.open_person(keep.id)
    qtbot.waitUntil(
        lambda: page.card.card is not None and page.card.card.person.id == keep.id,
        timeout=10_000,
    )
    assert page.card.buttons["merge"].isVisible()  # the demo user is an inspector
    page.card.buttons["merge"].click()
    dialog = find_open(window, MergeDialog)
    assert dialog is not None
    return dialog


def test_a_duplicate_in_another_script_is_found_and_merged(qtbot, window, reg, seams_rec):
    keep, drop, entry = two_cards(reg)
    dialog = open_merge(qtbot, window, keep)
    # The search starts with the card's own name: the Cyrillic twin is offered.
    qtbot.waitUntil(lambda: dialog.results.count() >= 1, timeout=10_000)
    ids = [dialog.results.item(i).data(256) for i in range(dialog.results.count())]
    assert drop.id in ids and keep.id not in ids
    assert not dialog.merge_button.isEnabled()  # nothing chosen yet
    dialog.results.setCurrentRow(ids.index(drop.id))
    seams_rec.answers = [False]  # the question, answered no: nothing happens
    dialog.merge_button.click()
    assert "cannot be undone" in seams_rec.questions[-1]
    assert persons.get(reg, drop.id).deleted is False
    seams_rec.answers = [True]
    dialog.merge_button.click()
    qtbot.waitUntil(lambda: dialog.merged is not None, timeout=10_000)
    with reg.reading() as s:
        assert s.get(Person, drop.id).deleted is True
    kept = persons.get(reg, keep.id)
    assert kept.pinfl == "31203851234567"  # filled from the other card
    assert entries.get(reg, entry.id).person_id == keep.id
    page = window.persons
    qtbot.waitUntil(
        lambda: page.card.card is not None and page.card.card.person.pinfl == kept.pinfl,
        timeout=10_000,
    )
    wait_idle(qtbot)


def test_searching_by_pinfl_and_nothing_found(qtbot, window, reg, seams_rec):
    keep, drop, _entry = two_cards(reg)
    dialog = open_merge(qtbot, window, keep)
    dialog.search.setText("31203851234567")
    qtbot.waitUntil(
        lambda: dialog.results.count() == 1 and dialog.results.item(0).data(256) == drop.id,
        timeout=10_000,
    )
    dialog.search.setText("Zzyxwv Qqqq")
    qtbot.waitUntil(lambda: dialog.none_found.isVisible(), timeout=10_000)
    assert dialog.results.count() == 0 and not dialog.merge_button.isEnabled()
    dialog.close()
