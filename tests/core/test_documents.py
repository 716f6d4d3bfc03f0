"""Issued documents: numbered, stored as snapshots, re-printed identically, verified."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlmodel import select

from app.db.register import Register
from app.domain import HouseholdVisit, IssuedDocument
from app.errors import NotFoundError
from app.services import documents
from app.services.households import households, visits
from app.services.measures import measures
from app.services.persons import persons
from app.services.verify import verify
from tests.conftest import PASSWORD


def pdf_text(pdf: bytes) -> str:
    import io

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def demo(demo_dir):
    reg = Register.open(demo_dir, "demo", PASSWORD)
    yield reg
    reg.close()


def test_visit_act_is_numbered_and_reprints_identically(demo):
    with demo.reading() as s:
        visit = s.exec(select(HouseholdVisit).order_by(HouseholdVisit.visited_at.desc())).first()
    first = documents.print_document(demo, "visit-act", visit.id, "uz-Latn")
    year = date.today().year
    assert first.document.number == f"TP-0001/{year}-00001" and not first.reprint
    body = pdf_text(first.pdf)
    assert first.document.number in body
    assert visit.visited_at.astimezone().strftime("%Y") in body
    again = documents.print_document(demo, "visit-act", visit.id, "uz-Latn")
    assert again.reprint and again.document.id == first.document.id
    assert again.pdf == first.pdf
    # Another language is another document with the next number.
    ru = documents.print_document(demo, "visit-act", visit.id, "ru")
    assert ru.document.number.endswith("-00002")
    assert "АКТ" in pdf_text(ru.pdf).upper()


def test_an_issued_document_does_not_change_when_the_record_does(demo):
    p = persons.create(
        demo, surname="Egamberdiyev", given_name="Sardor", birth_date="01.02.1991", sex="m"
    )
    h = households.create(demo, street="Lola koʻchasi", house="77")
    v = visits.record(
        demo,
        household_id=h.id,
        visited_at=datetime(2026, 11, 20, 6, tzinfo=UTC),
        findings="Hammasi joyida",
        persons_met=[p.id],
    )
    first = documents.print_document(demo, "visit-act", v.id, "uz-Cyrl")
    assert "Egamberdiyev Sardor" in pdf_text(first.pdf)
    assert "20.11.2026" in pdf_text(first.pdf)
    persons.update(demo, p.id, surname="Boshqacha")
    again = documents.print_document(demo, "visit-act", v.id, "uz-Cyrl")
    assert again.pdf == first.pdf and "Boshqacha" not in pdf_text(again.pdf)


def test_tampered_snapshot_fails_verify(demo):
    m = measures.create(
        demo,
        person_id=persons.list(demo, limit=1)[0].id,
        kind="warning",
        on="25.11.2026",
        subject="Jamoat tartibini buzish",
    )
    printed = documents.print_document(demo, "warning", m.id, "ru")
    assert verify(demo).ok
    with demo.write_engine.begin() as conn:
        row = conn.execute(
            text("select snapshot from issued_document where id=:i"), {"i": printed.document.id.hex}
        ).one()
        snap = json.loads(row[0])
        snap["grounds"] = "Boshqa matn"
        conn.execute(
            text("update issued_document set snapshot=:s where id=:i"),
            {"s": json.dumps(snap), "i": printed.document.id.hex},
        )
    report = verify(demo)
    assert not report.ok
    assert any(printed.document.number in p for p in report.problems)


def test_talk_record_needs_a_talk(demo):
    pid = persons.list(demo, limit=1)[0].id
    m = measures.create(demo, person_id=pid, kind="warning", on="25.11.2026", subject="X")
    with pytest.raises(documents.WrongRecordKindError) as refused:
        documents.print_document(demo, "talk-record", m.id, "uz-Latn")
    assert "(official warning)" in refused.value.message("en")
    assert "(расмий огоҳлантириш)" in refused.value.message("uz-Cyrl")
    # A person's id given for a warning: said to be a person's, in the reader's language.
    with pytest.raises(documents.WrongRecordKindError) as refused:
        documents.print_document(demo, "warning", pid, "uz-Latn")
    said = refused.value.message("ru")
    assert "(лицо)" in said and "профилактическ" in said, said
    assert str(pid) in said
    with pytest.raises(NotFoundError):
        documents.print_document(demo, "warning", "00000000-0000-0000-0000-000000000000", "ru")
    with demo.reading() as s:
        assert s.exec(select(IssuedDocument)).all() == []


def test_monthly_report_counts_match_the_figures(demo):
    from app.services.monthly import monthly_figures

    today = date.today()
    printed = documents.monthly_report(demo, f"{today:%Y-%m}", "uz-Latn")
    f = monthly_figures(demo, today.year, today.month)
    body = pdf_text(printed.pdf)
    assert printed.document.number in body
    assert str(sum(f.per_direction.values())) in body
    assert f.visits_made > 0
    with pytest.raises(documents.BadMonthError):
        documents.monthly_report(demo, "2026-13", "ru")


def test_every_printable_kind_prints_from_the_demo(demo):
    from app.services.measures import offences
    from app.services.orders import orders
    from app.services.registers import entries

    person = entries.list(demo, limit=1)[0].person_id
    talk = measures.list(demo, kind="talk", limit=1)[0].id
    cases = {
        "supervision-card": person,
        "talk-record": talk,
        "protection-order": orders.list(demo, limit=1)[0].id,
        "offence-protocol": offences.list(demo, limit=1)[0].id,
    }
    for kind, rid in cases.items():
        for lang in ("uz-Latn", "uz-Cyrl", "ru"):
            printed = documents.print_document(demo, kind, rid, lang)
            assert printed.document.number in pdf_text(printed.pdf), (kind, lang)
    assert verify(demo).ok
