"""The district summary from HQ's copy of the registers, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO
from types import SimpleNamespace

from pypdf import PdfReader

from app.cli import main
from app.domain.base import TASHKENT
from app.hq import admin, report
from app.i18n import DEFAULT_LANGUAGE, set_language
from app.services.households import households, visits
from app.services.persons import persons
from app.services.registers import entries
from tests.sync.world import S1, S2


def test_summary_counts_what_the_strongholds_synced(world):
    a1, b1 = world["a1"], world["b1"]
    h1 = households.create(a1, street="Mustaqillik", house="3")
    households.create(a1, street="Mustaqillik", house="5")
    visits.record(a1, household_id=h1.id, visited_at=datetime(2026, 3, 10, 9, tzinfo=UTC))
    visits.record(a1, household_id=h1.id, visited_at=datetime(2026, 3, 20, 9, tzinfo=UTC))
    visits.record(a1, household_id=h1.id, visited_at=datetime(2026, 4, 2, 9, tzinfo=UTC))
    p = persons.create(b1, surname="Nazoratda", given_name="Ali", birth_date="01.01.1990", sex="m")
    entries.create(b1, person_id=p.id, category="parole", start_date=date(2026, 1, 5))
    world.usb("a1")
    world.usb("b1")
    summary = report.district_summary(world.hq, month=(2026, 3))
    by_code = {s.code: s for s in summary.strongholds}
    assert by_code[S1.code].visits == 2  # April's visit is another month
    assert (by_code[S1.code].households_visited, by_code[S1.code].households) == (1, 2)
    assert by_code[S2.code].registers == {"parole": 1}
    assert summary.registers_total() == {"parole": 1}
    assert {s.code for s in summary.without_offences} == {S1.code, S2.code}
    pdf = report.district_pdf(world.hq, month=(2026, 3), lang="ru")
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert "03.2026" in text and S1.code in text and S2.code in text
    # Each column title's words are whole (the page is turned sideways for its eight
    # columns): "Правонарушения", not "Право / наруш / ения".
    for title in ("Посещения", "Зарегистрировано", "конфликтов", "Правонарушения"):
        assert any(title in line for line in text.splitlines()), title


def _pages(pdf: bytes) -> list[str]:
    return ["".join(p.extract_text().split()) for p in PdfReader(BytesIO(pdf)).pages]


def test_headings_stay_on_the_page_of_what_they_head(monkeypatch):
    """However long the list of categories, no heading ends a page alone: the one over the
    quiet makhallas was the last line of page 1 and its list sat alone on page 2."""
    hq = SimpleNamespace(name="Sinov IIB")
    synced = datetime(2026, 4, 1, 9, tzinfo=UTC)
    quiet = report.StrongholdFigures("TP-0202", "Ikkinchi", "Minor", last_sync=synced)
    for n in range(8, 30):
        registers = {f"category-{i:02d}": 1 for i in range(n)}
        busy = report.StrongholdFigures(
            "TP-0101", "Birinchi", "Bogʻishamol", offences=3, registers=registers, last_sync=synced
        )
        summary = report.DistrictSummary(2026, 3, [busy, quiet])
        monkeypatch.setattr(report, "district_summary", lambda hq, month, s=summary: s)
        pages = _pages(report.district_pdf(hq, month=(2026, 3), lang="en"))
        for heading, first in (
            ("Personsonregisters,bycategory", "category-00"),
            ("Makhallaswithnooffencesrecordedthismonth", "Minor(TP-0202)"),
        ):
            (page,) = [p for p in pages if heading in p]
            assert first in page, (n, heading, len(pages))


def test_a_stronghold_that_has_sent_nothing_reads_as_no_data(world):
    """Zeros from a stronghold with no computer, or none that has synced, are not a quiet
    month: the report says it has not synced, prints dashes, leaves it out of the makhallas
    without offences and counts such strongholds; the others show their last sync."""
    admin.add_stronghold(world.hq, "TP-0303", name="Qum & Tosh", makhalla="Uchqun")
    summary = report.district_summary(world.hq, month=(2026, 3))
    by_code = {s.code: s for s in summary.strongholds}
    assert by_code["TP-0303"].last_sync is None
    assert by_code[S1.code].last_sync is not None and by_code[S2.code].last_sync is not None
    assert [s.code for s in summary.not_synced] == ["TP-0303"]
    assert {s.code for s in summary.without_offences} == {S1.code, S2.code}
    text = "".join(_pages(report.district_pdf(world.hq, month=(2026, 3), lang="en")))
    synced_on = by_code[S1.code].last_sync.astimezone(TASHKENT).strftime("%d.%m.%Y")
    assert f"lastsync:{synced_on}" in text
    # Typed text printed as typed, escaped once ("&", not "&amp;").
    row = text[text.index("TP-0303") : text.index("Total")]
    assert row == "TP-0303Qum&Tosh" + "hasnotsyncedyet" + "Uchqun" + "—" * 6, row
    assert "1strongholdhassentHQnothingyet" in text
    quiet = text[text.index("Makhallaswithnooffences") :]
    assert "(TP-0101)" in quiet and "(TP-0303)" not in quiet


def test_a_month_that_has_not_begun_is_refused(tmp_path, capsys):
    """A month to come has no figures: its report would read as a quiet month."""
    hq_dir = tmp_path / "hq"
    admin.init_hq(hq_dir, name="Sinov IIB").close()
    year, month = report.current_month()
    out = tmp_path / "r.pdf"

    def run(when: str) -> tuple[int, str]:
        try:
            code = main(["--lang", "en", "--data-dir", str(hq_dir), "hq", "report",
                         "--out", str(out), "--month", when])  # fmt: skip
        finally:
            set_language(DEFAULT_LANGUAGE)
        return code, capsys.readouterr().err

    later = f"{year + (month == 12)}-{month % 12 + 1:02d}"
    code, err = run(later)
    assert code == 1 and not out.exists()
    assert err.strip() == (
        f"tayanch: The month {later} has not begun yet: give this month or an earlier one."
    )
    assert run(f"{year}-{month:02d}")[0] == 0 and out.exists()
