"""Import persons from a spreadsheet and export the lists, from the window (issue 5):
real files, the real register, the dialogs driven as a user would."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook
from PySide6.QtWidgets import QPushButton
from sqlalchemy import text

from app.services import people_io
from tests.ui.conftest import find_open, wait_idle
from ui.transfer import ImportDialog

HEADER = "Familiya;Ism;Otasining ismi;Tugʻilgan sana;Jinsi;JShShIR\n"
GOOD = HEADER + (
    "Qodirova;Malika;Anvarovna;12.03.1990;F;41203900012345\n"
    "Toshmatov;Jasur;Karimovich;01.01.1985;M;30101850054321\n"
)
BAD_ROW_3 = HEADER + (
    "Qodirova;Malika;Anvarovna;12.03.1990;F;41203900012345\n"
    "Toshmatov;Jasur;Karimovich;01.01.1985;M;12345\n"
)


def persons(reg) -> int:
    with reg.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM person WHERE deleted = 0")).scalar_one()


def open_import(qtbot, window) -> ImportDialog:
    page = window.go("persons")
    page.import_button.click()
    dialog = find_open(window, ImportDialog)
    assert dialog is not None
    return dialog


def choose(qtbot, dialog: ImportDialog, seams_rec, path: Path) -> None:
    seams_rec.open_path = path
    dialog.report = None
    dialog.choose_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=20_000)


def test_a_file_with_a_bad_row_is_refused_whole_and_the_row_named(
    qtbot, window, reg, seams_rec, tmp_path
):
    before = persons(reg)
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_ROW_3, encoding="utf-8")
    dialog = open_import(qtbot, window)
    choose(qtbot, dialog, seams_rec, bad)
    assert "row 3" in dialog.problems.toPlainText()
    assert "PINFL must be exactly 14 digits" in dialog.problems.toPlainText()
    assert "1 problem" in dialog.summary.text()
    assert not dialog.import_button.isEnabled() and dialog.preview.isHidden()
    assert persons(reg) == before
    dialog.close()


def test_a_checked_file_is_imported_and_the_list_shows_it(qtbot, window, reg, seams_rec, tmp_path):
    page = window.go("persons")
    wait_idle(qtbot)
    before = persons(reg)
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8-sig")  # as Excel saves a CSV
    dialog = open_import(qtbot, window)
    choose(qtbot, dialog, seams_rec, good)
    assert "2 added" in dialog.summary.text()
    assert dialog.preview.rowCount() == 2
    assert dialog.preview.item(0, 2).text() == "Qodirova"
    assert dialog.preview.item(0, 5).text() == "12.03.1990"
    assert persons(reg) == before  # the check wrote nothing
    dialog.import_button.click()
    qtbot.waitUntil(lambda: any("Imported" in i for i in seams_rec.infos), timeout=20_000)
    assert persons(reg) == before + 2
    qtbot.waitUntil(lambda: str(before + 2) in page.count_label.text(), timeout=10_000)
    page.set_text_filter("Qodirova Malika")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10_000)


def test_the_template_is_saved_with_the_headers_in_the_window_language(
    qtbot, window, seams_rec, tmp_path
):
    dialog = open_import(qtbot, window)
    seams_rec.save_to = tmp_path / "andoza"
    dialog.template_button.click()
    qtbot.waitUntil(lambda: (tmp_path / "andoza.xlsx").exists(), timeout=10_000)
    wait_idle(qtbot)
    header = [c.value for c in next(load_workbook(tmp_path / "andoza.xlsx").active.rows)]
    assert header[:4] == [people_io.header_label(c) for c in people_io.PERSON_COLUMNS[:4]]
    dialog.close()


def test_export_asks_first_and_writes_every_person(qtbot, window, reg, seams_rec, tmp_path):
    page = window.go("persons")
    seams_rec.save_to = tmp_path / "shaxslar.xlsx"
    seams_rec.answers = [False]  # "the file is not encrypted": the user says no
    page.export_button.click()
    assert "not encrypted" in seams_rec.questions[-1]
    assert not seams_rec.save_to.exists()
    seams_rec.answers = [True]
    page.export_button.click()
    qtbot.waitUntil(lambda: any("rows written" in i for i in seams_rec.infos), timeout=20_000)
    rows = list(load_workbook(seams_rec.save_to).active.iter_rows(values_only=True))
    assert len(rows) == persons(reg) + 1  # the header and every person


def test_the_exported_file_imports_back_unchanged(qtbot, window, reg, seams_rec, tmp_path):
    seams_rec.save_to = tmp_path / "persons.csv"
    seams_rec.answers = [True]
    window.go("persons").export_button.click()
    qtbot.waitUntil(lambda: any("rows written" in i for i in seams_rec.infos), timeout=20_000)
    dialog = open_import(qtbot, window)
    choose(qtbot, dialog, seams_rec, tmp_path / "persons.csv")
    assert dialog.report is not None and dialog.report.ok
    assert dialog.report.added == 0 and dialog.report.updated == 0
    assert dialog.report.unchanged == persons(reg)
    dialog.close()


def button_named(page, label: str) -> QPushButton:
    return next(b for b in page.findChildren(QPushButton) if b.text() == label)


def test_visits_exported_from_the_households_screen(qtbot, window, reg, seams_rec, tmp_path):
    page = window.go("households")
    seams_rec.answers = [True]
    seams_rec.save_to = tmp_path / "tashriflar"  # no type given: an Excel workbook
    button_named(page, "Export…").click()
    qtbot.waitUntil(lambda: any("rows written" in i for i in seams_rec.infos), timeout=20_000)
    with reg.engine.connect() as conn:
        visits = conn.execute(
            text("SELECT count(*) FROM household_visit WHERE deleted = 0")
        ).scalar_one()
    rows = list(load_workbook(tmp_path / "tashriflar.xlsx").active.iter_rows(values_only=True))
    assert visits > 0 and len(rows) == visits + 1


def test_export_to_csv_writes_the_header_in_the_window_language(qtbot, window, seams_rec, tmp_path):
    seams_rec.answers = [True]
    seams_rec.save_to = tmp_path / "orders.csv"
    button_named(window.go("orders"), "Export…").click()
    qtbot.waitUntil(lambda: any("rows written" in i for i in seams_rec.infos), timeout=20_000)
    with open(tmp_path / "orders.csv", encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh, delimiter=";"))
    assert header[0] == people_io.header_label(people_io.ORDER_COLUMNS[0])


def exported_ids(path: Path) -> set[str]:
    """The record ids of an exported workbook (its last column)."""
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    return {r[-1] for r in rows[1:]}


def test_a_filtered_list_exports_what_it_shows_or_all(qtbot, window, reg, seams_rec, tmp_path):
    with reg.engine.connect() as conn:
        entries = conn.execute(
            text(
                "SELECT DISTINCT e.category, p.id FROM person p JOIN register_entry e "
                "ON e.person_id = p.id WHERE p.deleted = 0 AND e.deleted = 0 "
                "AND e.status = 'active'"
            )
        ).all()
    categories = [c for c, _p in entries]
    category = max(set(categories), key=categories.count)  # the largest register
    on_it = {p for c, p in entries if c == category}
    page = window.go("persons")
    page.category.set_code(category)
    qtbot.waitUntil(lambda: page.model.total == len(on_it), timeout=10_000)
    wait_idle(qtbot)
    shown = page.model.total
    assert 1 < shown < persons(reg)

    # Cancel: nothing is written.
    seams_rec.save_to = tmp_path / "cancelled.xlsx"
    seams_rec.choices = [None]
    page.export_button.click()
    assert f"shows {shown} persons" in seams_rec.questions[-1]
    assert "not encrypted" in seams_rec.questions[-1]
    assert seams_rec.offered[-1] == ["Only those shown", "All"]
    wait_idle(qtbot)
    assert not seams_rec.save_to.exists()

    # Only those shown: the persons on that register, no one else.
    seams_rec.save_to = tmp_path / "shown.xlsx"
    seams_rec.choices = [0]
    page.export_button.click()
    qtbot.waitUntil(lambda: seams_rec.save_to.exists(), timeout=20_000)
    wait_idle(qtbot)
    assert {i.replace("-", "") for i in exported_ids(seams_rec.save_to)} == on_it

    # All: every person, whatever the filter.
    seams_rec.save_to = tmp_path / "all.xlsx"
    seams_rec.choices = [1]
    page.export_button.click()
    qtbot.waitUntil(lambda: seams_rec.save_to.exists(), timeout=20_000)
    wait_idle(qtbot)
    assert len(exported_ids(seams_rec.save_to)) == persons(reg)


def test_filtered_households_export_only_their_visits(qtbot, window, reg, seams_rec, tmp_path):
    page = window.go("households")
    page.conflict.setChecked(True)
    qtbot.waitUntil(lambda: not page.model.loading, timeout=10_000)
    wait_idle(qtbot)
    with reg.engine.connect() as conn:
        visits = {
            r[0]: r[1]
            for r in conn.execute(
                text(
                    "SELECT v.id, h.conflict_family FROM household_visit v "
                    "JOIN household h ON h.id = v.household_id WHERE v.deleted = 0"
                )
            )
        }
    theirs = {v for v, conflict in visits.items() if conflict}
    assert 0 < len(theirs) < len(visits)
    seams_rec.save_to = tmp_path / "visits.xlsx"
    seams_rec.choices = [0]
    button_named(page, "Export…").click()
    assert f"shows {page.model.total} households" in seams_rec.questions[-1]
    qtbot.waitUntil(lambda: seams_rec.save_to.exists(), timeout=20_000)
    wait_idle(qtbot)
    assert {i.replace("-", "") for i in exported_ids(seams_rec.save_to)} == theirs


def test_disputes_filtered_by_status_export_only_those(qtbot, window, reg, seams_rec, tmp_path):
    page = window.go("disputes")
    with reg.engine.connect() as conn:
        by_status = dict(
            conn.execute(text("SELECT id, status FROM family_dispute WHERE deleted = 0")).all()
        )
    status = max(set(by_status.values()), key=list(by_status.values()).count)
    wanted = {d for d, s in by_status.items() if s == status}
    assert 0 < len(wanted) < len(by_status)
    page.status.set_code(status)
    wait_idle(qtbot)
    assert page.table.source.rowCount() == len(wanted)
    seams_rec.save_to = tmp_path / "disputes.csv"
    seams_rec.choices = [0]
    button_named(page, "Export…").click()
    qtbot.waitUntil(lambda: seams_rec.save_to.exists(), timeout=20_000)
    wait_idle(qtbot)
    with open(seams_rec.save_to, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert {r[-1].replace("-", "") for r in rows[1:]} == wanted
