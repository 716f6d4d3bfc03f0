"""Importing persons (all rows or none) and exporting registers to .csv and .xlsx."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, date, datetime

import openpyxl
import pytest

from app.db.register import Register
from app.search.service import search
from app.services import audit
from app.services.disputes import disputes
from app.services.households import households, visits
from app.services.orders import orders
from app.services.people_io import (
    PERSON_COLUMNS,
    UnsupportedFileType,
    export,
    import_persons,
    write_template,
)
from app.services.persons import persons
from app.services.registers import entries
from tests.conftest import PASSWORD

RU = [
    "Фамилия",
    "Имя",
    "Отчество",
    "Дата рождения",
    "Пол",
    "ПИНФЛ",
    "Паспорт",
    "Телефон",
    "Вид учёта",
    "Дата постановки на учёт",
]
ROWS = [
    [
        "Қодиров",
        "Шавкат",
        "Анварович",
        "12.03.1985",
        "М",
        "31203851234567",
        "AC1234567",
        "+998 90 123 45 67",
        "parole",
        "01.02.2026",
    ],
    ["Oʻrinboyeva", "Dilnoza", "Alisher qizi", "1990-05-04", "F", "", "", "", "", ""],
    ["Hasanov", "Dilshod", "", "06.06.1980", "m", "", "", "93 555 11 22", "", ""],
    ["Rahimov", "Botir", "", "07.07.1975", "M", "", "", "", "prev_alcohol_drugs", "15.01.2025"],
    ["Karimova", "Aziza", "", "08.08.1988", "Ж", "", "", "", "", ""],
    ["Nazarov", "Olim", "", "09.09.1999", "M", "", "", "", "", ""],
]


def write_csv(path, header, rows, delimiter=";", encoding="utf-8-sig"):
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_xlsx(path, header, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def audit_count(reg) -> int:
    with reg.reading() as s:
        return audit.count(s)


def test_csv_with_russian_headers_imports_every_row(reg, tmp_path):
    f = write_csv(tmp_path / "p.csv", RU, ROWS)
    report = import_persons(reg, f)
    assert report.ok and report.applied
    assert (report.rows, report.added, report.updated, report.entries_added) == (6, 6, 0, 2)
    (hit,) = search(reg, "Qodirov Shavkat")
    assert hit.registers == ("parole",)
    assert hit.pinfl == "31203851234567"
    p = persons.get(reg, hit.person_id)
    assert (p.phone, p.passport, p.sex, p.birth_date) == (
        "+998901234567",
        "AC1234567",
        "m",
        date(1985, 3, 12),
    )
    assert search(reg, "Каримова")[0].full_name == "Karimova Aziza"
    assert persons.get(reg, search(reg, "Karimova")[0].person_id).sex == "f"


def test_xlsx_with_uzbek_headers_real_dates_and_numeric_pinfl(reg, tmp_path):
    header = ["Familiya", "Ism", "Tugʻilgan sana", "Jinsi", "JShShIR", "Telefon"]
    rows = [
        ["Qodirov", "Shavkat", datetime(1985, 3, 12), "M", 31203851234567, 998901234567],
        ["Qodirova", "Lola", "01.02.1990", "F", None, None],
    ]
    report = import_persons(reg, write_xlsx(tmp_path / "p.xlsx", header, rows))
    assert report.ok and report.added == 2
    hit = search(reg, "31203851234567")[0]
    assert persons.get(reg, hit.person_id).phone == "+998901234567"


def test_comma_separated_cp1251_as_plain_excel_writes_it(reg, tmp_path):
    f = write_csv(
        tmp_path / "p.csv",
        ["Фамилия", "Имя", "Дата рождения", "Пол"],
        [["Иванов", "Сергей", "01.01.1970", "М"]],
        delimiter=",",
        encoding="cp1251",
    )
    assert import_persons(reg, f).added == 1
    assert search(reg, "Ivanov")[0].full_name == "Иванов Сергей"


def test_a_bad_pinfl_in_row_7_refuses_the_whole_file_and_names_row_7(reg, tmp_path):
    rows = [list(r) for r in ROWS[1:]] + [list(ROWS[0])]  # header is row 1: this is row 7
    rows[5][5] = "31203851234568"[:13]
    f = write_csv(tmp_path / "p.csv", RU, rows)
    before = audit_count(reg)
    report = import_persons(reg, f)
    assert not report.applied
    assert [(e.row, e.column) for e in report.errors] == [(7, "ПИНФЛ")]
    assert "14 digits" in report.errors[0].message("en")
    assert report.errors[0].line("en").startswith("row 7, column “ПИНФЛ”:")
    assert persons.count(reg) == 0
    assert audit_count(reg) == before


def test_every_problem_is_reported_with_row_column_and_reason(reg, tmp_path):
    header = [
        "surname",
        "given_name",
        "birth_date",
        "sex",
        "register_category",
        "register_start",
        "phone",
    ]
    rows = [
        ["Qodirov", "Shavkat", "31.02.1985", "M", "", "", ""],
        ["", "Lola", "01.01.1990", "F", "", "", ""],
        ["Hasanov", "Ali", "01.01.1980", "X", "", "", ""],
        ["Rahimov", "Botir", "01.01.1975", "M", "no_such", "01.01.2026", ""],
        ["Nazarov", "Olim", "01.01.1999", "M", "parole", "", ""],
        ["Karimov", "Aziz", "01.01.1970", "M", "", "", "12345"],
    ]
    report = import_persons(reg, write_csv(tmp_path / "p.csv", header, rows))
    got = {(e.row, e.column) for e in report.errors}
    assert got == {
        (2, "birth_date"),
        (3, "surname"),
        (4, "sex"),
        (5, "register_category"),
        (6, "register_start"),
        (7, "phone"),
    }
    assert persons.count(reg) == 0


def test_unknown_or_missing_columns_refuse_before_reading_rows(reg, tmp_path):
    report = import_persons(reg, write_csv(tmp_path / "a.csv", ["surname", "Familya"], []))
    assert {e.column for e in report.errors} == {"Familya", ""}
    assert "given_name" in report.errors[-1].message("en")


def test_dry_run_reports_and_changes_nothing(reg, tmp_path):
    before = audit_count(reg)
    report = import_persons(reg, write_csv(tmp_path / "p.csv", RU, ROWS), dry_run=True)
    assert report.ok and not report.applied and report.added == 6
    assert report.preview[0]["action"] == "add" and report.preview[0]["surname"] == "Қодиров"
    assert persons.count(reg) == 0 and audit_count(reg) == before


def test_a_known_pinfl_updates_that_person(reg, tmp_path):
    p = persons.create(
        reg,
        surname="Qodirov",
        given_name="Shavkat",
        birth_date="12.03.1985",
        sex="m",
        pinfl="31203851234567",
    )
    header = ["surname", "given_name", "birth_date", "sex", "pinfl", "street", "house"]
    rows = [["Qodirov", "Shavkat", "12.03.1985", "M", "31203851234567", "Lola koʻchasi", "7"]]
    report = import_persons(reg, write_csv(tmp_path / "p.csv", header, rows))
    assert (report.added, report.updated) == (0, 1)
    q = persons.get(reg, p.id)
    assert (q.street, q.house, q.version) == ("Lola koʻchasi", "7", 2)
    assert persons.count(reg) == 1
    assert import_persons(reg, write_csv(tmp_path / "p.csv", header, rows)).unchanged == 1


def test_same_name_and_birth_date_in_another_spelling_is_warned(reg, tmp_path):
    persons.create(reg, surname="Қодиров", given_name="Шавкат", birth_date="12.03.1985", sex="m")
    header = ["surname", "given_name", "birth_date", "sex"]
    rows = [
        ["Qodirov", "Shavkat", "12.03.1985", "M"],
        ["Kodirov", "Şavkat", "12.03.1986", "M"],
        ["Kodirov", "Shavkat", "12.03.1986", "M"],
    ]
    report = import_persons(reg, write_csv(tmp_path / "p.csv", header, rows))
    assert [(w.row, w.params) for w in report.warnings] == [(2, {}), (4, {"other": 3})]
    assert report.added == 3


def _make_register(template, tmp_path, name):
    folder = tmp_path / name
    shutil.copytree(template, folder)
    return Register.open(folder, "inspector", PASSWORD)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_then_import_round_trips(reg, tmp_path, _template_register, suffix):
    import_persons(reg, write_csv(tmp_path / "p.csv", RU, ROWS))
    notes = persons.list(reg, limit=1)[0]
    persons.update(reg, notes.id, notes="=1+2 is not a formula", flat="12")
    rahimov = search(reg, "Rahimov")[0].person_id
    entries.create(reg, person_id=rahimov, category="parole", start_date="01.03.2026")
    out = tmp_path / f"out{suffix}"
    assert export(reg, "persons", out, lang="en") == 7  # Rahimov is on two registers

    again = import_persons(reg, out)  # into the same register: nothing to change
    assert again.ok, [e.line("en") for e in again.errors]
    assert (again.added, again.updated, again.unchanged) == (0, 0, 6)

    other = _make_register(_template_register[0], tmp_path, "other")
    try:
        report = import_persons(other, out)
        assert report.ok and report.added == 6 and report.entries_added == 3
        fields = (
            "surname",
            "given_name",
            "patronymic",
            "birth_date",
            "sex",
            "pinfl",
            "passport",
            "phone",
            "flat",
            "notes",
        )

        def people(r):
            return sorted(tuple(getattr(p, f) for f in fields) for p in persons.list(r))

        assert people(other) == people(reg)
        assert search(other, "Rahimov")[0].registers == ("prev_alcohol_drugs", "parole")
    finally:
        other.close()


def test_xlsx_export_has_the_header_in_the_ui_language_and_real_dates(reg, tmp_path):
    import_persons(reg, write_csv(tmp_path / "p.csv", RU, ROWS))
    export(reg, "persons", tmp_path / "ru.xlsx", lang="ru")
    export(reg, "persons", tmp_path / "en.xlsx", lang="en")
    ws = openpyxl.load_workbook(tmp_path / "ru.xlsx").worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Фамилия", "Имя", "Отчество", "Дата рождения"]
    birth = ws.cell(row=2, column=PERSON_COLUMNS.index("birth_date") + 1)
    assert isinstance(birth.value, datetime) and birth.number_format == "DD.MM.YYYY"
    en = openpyxl.load_workbook(tmp_path / "en.xlsx").worksheets[0]
    assert [c.value for c in en[1]][:4] == ["Surname", "Given name", "Patronymic", "Birth date"]


def test_visits_disputes_and_orders_export(reg, tmp_path):
    a = persons.create(
        reg, surname="Qodirov", given_name="Shavkat", birth_date="12.03.1985", sex="m"
    )
    b = persons.create(reg, surname="Qodirova", given_name="Lola", birth_date="01.02.1990", sex="f")
    h = households.create(reg, street="Lola koʻchasi", house="7")
    at = datetime(2026, 5, 1, 5, 30, tzinfo=UTC)
    visits.record(reg, household_id=h.id, visited_at=at, findings="Tinch", persons_met=[a.id])
    disputes.register(
        reg,
        reported_at=at,
        source="neighbours",
        nature="violence",
        parties=[(a.id, "respondent"), (b.id, "applicant")],
    )
    orders.create(
        reg,
        issued_on="01.05.2026",
        protected_person_id=b.id,
        respondent_person_id=a.id,
        duration_days=30,
        start_date="01.05.2026",
        prohibitions="contact,weapons",
    )
    assert export(reg, "visits", tmp_path / "v.xlsx", lang="en") == 1
    ws = openpyxl.load_workbook(tmp_path / "v.xlsx").worksheets[0]
    row = {h.value: c.value for h, c in zip(ws[1], ws[2], strict=True)}
    assert row["Visited at"] == datetime(2026, 5, 1, 10, 30)  # Tashkent time
    assert row["Persons met"] == "Qodirov Shavkat" and row["Household"] == "Lola koʻchasi, 7"
    assert export(reg, "disputes", tmp_path / "d.csv", lang="en") == 1
    text = (tmp_path / "d.csv").read_text(encoding="utf-8-sig")
    assert "Qodirov Shavkat (" in text and "01.05.2026 10:30" in text
    assert export(reg, "orders", tmp_path / "o.csv", lang="en") == 1
    line = (tmp_path / "o.csv").read_text(encoding="utf-8-sig").splitlines()[1]
    assert "Qodirova Lola;Qodirov Shavkat" in line and "30;01.05.2026;30.05.2026" in line


def test_wrong_extension_is_refused_and_writes_nothing(reg, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(UnsupportedFileType):
        export(reg, "persons", out / "p.pdf")
    assert list(out.iterdir()) == []
    with pytest.raises(UnsupportedFileType):
        import_persons(reg, tmp_path / "p.txt")


def test_template_lists_the_columns_in_the_chosen_language(tmp_path):
    write_template(tmp_path / "t.xlsx", lang="uz-Cyrl")
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    header = [c.value for c in wb.worksheets[0][1]]
    assert len(header) == len(PERSON_COLUMNS) and header[0] == "Фамилия"
    codes = [r[0].value for r in wb.worksheets[1].iter_rows()]
    assert "prev_alcohol_drugs" in codes


def test_a_big_import_fills_the_search_index_in_bulk(reg, tmp_path, monkeypatch):
    from app.search import index
    from app.services import people_io

    existing = persons.create(
        reg,
        surname="Qodirov",
        given_name="Shavkat",
        birth_date="12.03.1985",
        sex="m",
        pinfl="31203851234567",
    )
    monkeypatch.setattr(people_io._Writer, "BULK_INDEX", 2)  # as for a file of 1,000+ rows
    header = ["surname", "given_name", "birth_date", "sex", "pinfl"]
    rows = [
        ["Sobirov", "Aziz", "05.05.1985", "M", ""],
        ["Sobirova", "Lola", "06.06.1986", "F", ""],
        ["Oʻrinboyev", "Shavkat", "12.03.1985", "M", "31203851234567"],
    ]
    report = import_persons(reg, write_csv(tmp_path / "p.csv", header, rows))
    assert (report.added, report.updated) == (2, 1)
    assert [h.full_name for h in search(reg, "Собиров")] == ["Sobirov Aziz", "Sobirova Lola"]
    assert [h.person_id for h in search(reg, "Уринбоев")] == [existing.id]  # re-indexed
    assert search(reg, "Qodirov") == []
    with reg.engine.connect() as conn:
        assert index.installed(conn)  # triggers are back
    later = persons.create(
        reg, surname="Sobirov", given_name="Ali", birth_date="07.07.1987", sex="m"
    )
    assert later.id in {h.person_id for h in search(reg, "Sobirov Ali")}


def test_openpyxl_reads_the_same_as_calamine(tmp_path):
    """openpyxl is the fallback reader where python-calamine is missing."""
    from app.services.people_io import _cell, read_table

    header = ["Familiya", "Tugʻilgan sana", "JShShIR", "Uy"]
    f = write_xlsx(
        tmp_path / "p.xlsx",
        header,
        [
            ["Qodirov", datetime(1985, 3, 12), 31203851234567, 7],
            [None, None, None, None],
            ["Hasanov", "06.06.1980", None, "12a"],
        ],
    )
    results = []
    for reader in ("calamine", "openpyxl"):
        head, body, _total = read_table(f, xlsx_reader=reader)
        results.append(
            (head, [(n, [c if c not in (None, "") else "" for c in r]) for n, r in body])
        )
    assert results[0][0] == results[1][0] == header
    calamine_rows, openpyxl_rows = results[0][1], results[1][1]
    assert [n for n, _ in calamine_rows] == [n for n, _ in openpyxl_rows] == [2, 3, 4]
    for (_, a), (_, b) in zip(calamine_rows, openpyxl_rows, strict=True):
        assert [_cell(x, "house") for x in a] == [_cell(x, "house") for x in b]


def test_a_cancelled_import_changes_nothing(reg, tmp_path):
    import threading

    from app.services.people_io import ImportCancelled

    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ImportCancelled):
        import_persons(reg, write_csv(tmp_path / "p.csv", RU, ROWS), cancel=cancel)
    assert persons.count(reg) == 0
