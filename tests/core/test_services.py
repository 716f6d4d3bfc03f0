"""Services with good and bad input: what a form or an import would send."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from app.domain import AuditEntry, Person
from app.errors import NotFoundError, PermissionDenied, ValidationError
from app.services import audit
from app.services.disputes import disputes
from app.services.households import households, members, visits
from app.services.measures import contributions, measures, offences
from app.services.orders import orders
from app.services.persons import DuplicatePinflError, persons
from app.services.registers import check_ins, entries, violations


def make_person(reg, **over):
    values = dict(
        surname="Qodirov",
        given_name="Anvar",
        patronymic="Baxtiyor o'g'li",
        birth_date="15.05.1990",
        sex="m",
        pinfl="31505901234567",
    )
    values.update(over)
    return persons.create(reg, **values)


def test_person_is_saved_normalised_and_returned_detached(reg):
    p = make_person(reg, phone="90 123-45-67", passport="ac 1234567")
    assert p.patronymic == "Baxtiyor oʻgʻli"  # U+02BB, as the official Latin writes it
    assert p.phone == "+998901234567"
    assert p.passport == "AC1234567"
    assert p.birth_date == date(1990, 5, 15)
    assert persons.get(reg, p.id).surname == "Qodirov"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("pinfl", "31505901234568"[:13], "14 digits"),
        ("pinfl", "71505901234567", "first digit"),
        ("pinfl", "31605901234567", "birth date"),
        ("pinfl", "41505901234567", "sex"),
        ("passport", "A1234567", "2 Latin letters"),
        ("phone", "12345", "+998"),
        ("birth_date", "31.02.1990", "dd.mm.yyyy"),
        ("surname", "  ", "required"),
    ],
)
def test_bad_person_input_names_the_field_and_saves_nothing(reg, field, value, words):
    with pytest.raises(ValidationError) as err:
        make_person(reg, **{field: value})
    assert field in err.value.fields
    assert words in err.value.field_messages("en")[field]
    assert persons.count(reg) == 0


def test_half_filled_form_reports_every_missing_field(reg):
    with pytest.raises(ValidationError) as err:
        persons.create(reg, surname="Qodirov")
    assert {"given_name", "birth_date", "sex"} <= set(err.value.fields)


def test_same_pinfl_is_refused_naming_the_existing_person(reg):
    make_person(reg)
    with pytest.raises(DuplicatePinflError) as err:
        make_person(reg, surname="Boshqa", given_name="Odam")
    assert "Qodirov Anvar" in err.value.message("en")
    assert persons.count(reg) == 1


def test_update_bumps_version_and_audits_field_names_only(reg):
    p = make_person(reg)
    q = persons.update(reg, p.id, expected_version=1, street="Lola koʻchasi", house="5")
    assert q.version == 2 and q.street == "Lola koʻchasi"
    with reg.reading() as s:
        entries_ = s.exec(
            select(AuditEntry).where(AuditEntry.table_name == "person").order_by(AuditEntry.seq)
        ).all()
        assert [e.action for e in entries_] == ["create", "update"]
        assert all(
            "Qodirov" not in e.details and "31505901234567" not in e.details for e in entries_
        )
        assert '"house"' in entries_[1].details
        assert audit.verify_chain(s) == []


def test_stale_edit_is_refused(reg):
    from app.errors import ConflictError

    p = make_person(reg)
    persons.update(reg, p.id, notes="first")
    with pytest.raises(ConflictError):
        persons.update(reg, p.id, expected_version=1, notes="second")
    assert persons.get(reg, p.id).notes == "first"


def test_closing_a_person_keeps_a_tombstone(reg):
    p = make_person(reg)
    persons.close(reg, p.id)
    with pytest.raises(NotFoundError):
        persons.get(reg, p.id)
    with reg.reading() as s:
        assert s.get(Person, p.id).deleted is True


def test_register_entry_dates_and_removal(reg):
    p = make_person(reg)
    with pytest.raises(ValidationError) as err:
        entries.create(
            reg, person_id=p.id, category="parole", start_date="01.06.2026", end_date="01.05.2026"
        )
    assert "end_date" in err.value.fields
    with pytest.raises(ValidationError) as err:
        entries.create(reg, person_id=p.id, category="no_such", start_date="01.06.2026")
    assert "category" in err.value.fields
    e = entries.create(
        reg,
        person_id=p.id,
        category="PAROLE",
        start_date="01.06.2026",
        end_date="2027-06-01",
        checkin_every_days=14,
    )
    assert e.category == "parole"
    closed = entries.close(reg, e.id, removal_date="01.10.2026", removal_reason="Sud qarori")
    assert (closed.status, closed.removal_date) == ("removed", date(2026, 10, 1))
    at = datetime(2026, 7, 1, 10, tzinfo=UTC)
    c = check_ins.create(
        reg, entry_id=e.id, person_id=p.id, at=at, kind="phone", result="violation"
    )
    assert c.recorded_by_id == reg.user.id
    v = violations.create(
        reg,
        entry_id=e.id,
        person_id=p.id,
        check_in_id=c.id,
        at=at,
        what="Uyda boʻlmadi",
        outcome="warning",
    )
    assert v.outcome == "warning"


def test_visit_with_persons_met(reg):
    p = make_person(reg)
    h = households.create(reg, street="Lola koʻchasi", house="12")
    members.create(reg, household_id=h.id, person_id=p.id, relation="head")
    v = visits.record(
        reg,
        household_id=h.id,
        visited_at=datetime.now(UTC),
        purpose="routine",
        direction="public_order",
        findings="Tinch",
        persons_met=[p.id],
    )
    assert v.visitor_id == reg.user.id
    assert visits.persons_met(reg, v.id) == [p.id]
    with pytest.raises(ValidationError) as err:
        visits.create(reg, household_id=h.id, visited_at=datetime.now(UTC), purpose="party")
    assert "purpose" in err.value.fields


def test_protection_order_duration_comes_from_reference_data(reg):
    a = make_person(reg, sex="f", given_name="Dilnoza", pinfl="41505901234567")
    b = make_person(reg, pinfl="31505909999999")
    d = disputes.register(
        reg,
        reported_at=datetime.now(UTC),
        source="application",
        nature="violence",
        parties=[(a.id, "applicant"), (b.id, "respondent")],
    )
    with pytest.raises(ValidationError) as err:
        orders.create(
            reg,
            issued_on=date(2026, 11, 1),
            protected_person_id=a.id,
            respondent_person_id=b.id,
            duration_days=45,
            start_date=date(2026, 11, 1),
        )
    assert "30" in err.value.message("en")
    o = orders.create(
        reg,
        issued_on=date(2026, 11, 1),
        protected_person_id=a.id,
        respondent_person_id=b.id,
        dispute_id=d.id,
        duration_days=30,
        start_date=date(2026, 11, 1),
        prohibitions=["contact", "weapons"],
    )
    assert o.end_date == date(2026, 11, 30)
    assert o.prohibitions == "contact,weapons"
    o = orders.extend(reg, o.id, days=30, reason="Xavf saqlanmoqda")
    assert o.end_date == date(2026, 12, 30)
    with pytest.raises(ValidationError):
        orders.extend(reg, o.id, days=7)
    with pytest.raises(ValidationError) as err:
        orders.create(
            reg,
            issued_on=date(2026, 11, 1),
            protected_person_id=a.id,
            respondent_person_id=a.id,
            duration_days=30,
            start_date=date(2026, 11, 1),
        )
    assert "respondent_person_id" in err.value.fields


def test_dispute_close_and_measures_offences_contributions(reg):
    p = make_person(reg)
    d = disputes.register(
        reg,
        reported_at=datetime.now(UTC) - timedelta(hours=2),
        source="neighbours",
        nature="property",
        parties=[(p.id, "applicant")],
    )
    assert disputes.close(reg, d.id, status="reconciled").status == "reconciled"
    m = measures.create(
        reg, person_id=p.id, kind="warning", on="20.11.2026", subject="Jamoat tartibi"
    )
    assert m.official_id == reg.user.id
    now = datetime.now(UTC)
    with pytest.raises(ValidationError) as err:
        offences.create(
            reg,
            drawn_up_at=now - timedelta(hours=2),
            offender_id=p.id,
            offence_at=now,
            substance="Shovqin",
            article="183",
        )
    assert "drawn_up_at" in err.value.fields
    case = offences.record(
        reg,
        drawn_up_at=now,
        offender_id=p.id,
        offence_at=now - timedelta(hours=1),
        substance="Shovqin",
        article="183",
        refused_to_sign=True,
        participants=[{"role": "witness", "full_name": "Guvoh Guvohov", "address": "Lola 3"}],
    )
    assert case.official_name == reg.user.full_name and case.refused_to_sign
    with pytest.raises(ValidationError):
        contributions.create(reg, on="01.11.2026", kind="prevented")
    c = contributions.create(reg, on="01.11.2026", kind="prevented", organisation="Maktab 5")
    assert c.proposed == "thanks"


def test_viewer_cannot_write_and_assistant_cannot_delete(reg):
    from dataclasses import replace

    p = make_person(reg)
    reg.user = replace(reg.user, role="viewer")
    with pytest.raises(PermissionDenied):
        make_person(reg, pinfl="31505900000000")
    assert persons.get(reg, p.id).surname == "Qodirov"  # reading is allowed
    reg.user = replace(reg.user, role="assistant")
    with pytest.raises(PermissionDenied):
        persons.close(reg, p.id)
    assert persons.count(reg) == 1


def test_demo_register_is_believable(demo_dir):
    from app.db.register import Register
    from app.domain.enums import RegisterCategory
    from app.services.queries import PersonFilter, count_persons, person_rows
    from tests.conftest import PASSWORD

    reg = Register.open(demo_dir, "demo", PASSWORD)
    with reg.reading() as s:
        people = s.exec(select(Person)).all()
    from app.domain.validation import pinfl_problem

    assert len(people) == 600
    assert all(pinfl_problem(p.pinfl, p.birth_date, p.sex) is None for p in people)
    scripts = {
        "cyrillic" if any("\u0400" <= ch <= "\u04ff" for ch in p.surname) else "latin"
        for p in people
    }
    assert scripts == {"cyrillic", "latin"}
    assert any(p.patronymic.endswith(("qizi", "oʻgʻli", "қизи", "ўғли")) for p in people)
    assert any(p.patronymic.endswith(("ovna", "ovich", "овна", "ович")) for p in people)
    on_register = person_rows(reg, PersonFilter(on_register=True), limit=1000)
    assert len(on_register) == count_persons(reg, PersonFilter(on_register=True)) >= 18
    cats = {c for r in on_register for c in r.categories}
    assert len(cats) >= len(RegisterCategory) - 2
    active_orders = orders.list(reg, status="active")
    assert any(o.end_date <= date.today() + timedelta(days=7) for o in active_orders)
    assert disputes.count(reg) >= 20
    # Each household's members say who they are to it; its head is the family's head.
    from app.domain import Household, HouseholdMember

    with reg.reading() as s:
        heads = {h.id: h.head_person_id for h in s.exec(select(Household)).all()}
        kin = s.exec(select(HouseholdMember)).all()
    assert kin and all(m.relation for m in kin)
    assert all(
        (m.relation == "oila boshligʻi") == (heads[m.household_id] == m.person_id) for m in kin
    )
    reg.close()
