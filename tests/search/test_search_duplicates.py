"""Not registering one person twice: PINFL refusal, likely duplicates, merging records."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from app.domain import AuditEntry, IssuedDocument, Person, VisitPerson
from app.domain.household import HouseholdMember
from app.search.service import search
from app.services import audit
from app.services.base import unit_of_work
from app.services.disputes import disputes
from app.services.households import households, members, visits
from app.services.measures import contributions, measures, offences
from app.services.orders import orders
from app.services.persons import (
    DuplicatePinflError,
    MergeOrderParties,
    MergeSameRecord,
    likely_duplicates,
    merge_persons,
    person_references,
    persons,
)
from app.services.registers import check_ins, entries, violations


def add(reg, surname, given, bd="12.03.1985", sex="m", **kw):
    return persons.create(reg, surname=surname, given_name=given, birth_date=bd, sex=sex, **kw)


def test_same_pinfl_is_refused_naming_the_existing_person(reg):
    add(reg, "Қодиров", "Шавкат", pinfl="31203851234567")
    with pytest.raises(DuplicatePinflError) as err:
        add(reg, "Qodirov", "Shavkat", pinfl="3120385 1234567")
    message = err.value.message("en")
    assert "Қодиров Шавкат" in message and "Open that person" in message
    assert persons.count(reg) == 1


def test_same_folded_name_and_birth_date_is_offered_as_likely_duplicate(reg):
    a = add(reg, "Қодиров", "Шавкат")
    add(reg, "Qodirov", "Shavkat", bd="12.03.1986")  # another birth date
    add(reg, "Qodirova", "Shavkat")  # another name
    for surname, given in [
        ("Qodirov", "Shavkat"),
        ("Kodirov", "Şavkat"),
        ("Shavkat", "Qodirov"),
        ("КОДИРОВ", "шавкат"),
    ]:
        hits = likely_duplicates(reg, surname=surname, given_name=given, birth_date="12.03.1985")
        assert [h.person_id for h in hits] == [a.id], (surname, given)
        assert hits[0].full_name == "Қодиров Шавкат"
    assert (
        likely_duplicates(
            reg,
            surname="Qodirov",
            given_name="Shavkat",
            birth_date=date(1985, 3, 12),
            exclude_id=a.id,
        )
        == []
    )
    assert (
        likely_duplicates(reg, surname="Qodirov", given_name="Sardor", birth_date="12.03.1985")
        == []
    )
    assert likely_duplicates(reg, surname="Qodirov", given_name="Shavkat", birth_date="") == []


def test_merge_moves_every_reference_and_tombstones_the_dropped_record(reg):
    keep = add(reg, "Qodirov", "Shavkat", phone="+998901112233")
    drop = add(reg, "Қодиров", "Шавкат", pinfl="31203851234567", passport="AC1234567")
    wife = add(reg, "Qodirova", "Lola", bd="01.01.1990", sex="f")
    now = datetime(2026, 5, 1, 10, tzinfo=UTC)

    e = entries.create(reg, person_id=drop.id, category="parole", start_date="01.01.2026")
    c = check_ins.create(reg, entry_id=e.id, person_id=drop.id, at=now, result="violation")
    violations.create(
        reg, entry_id=e.id, person_id=drop.id, check_in_id=c.id, at=now, what="Uyda yoʻq"
    )
    h = households.create(reg, street="Lola koʻchasi", house="7", head_person_id=drop.id)
    members.create(reg, household_id=h.id, person_id=keep.id, relation="head")
    members.create(reg, household_id=h.id, person_id=drop.id, relation="head")  # twin
    v = visits.record(reg, household_id=h.id, visited_at=now, persons_met=[keep.id, drop.id])
    d = disputes.register(
        reg,
        reported_at=now,
        source="application",
        nature="violence",
        parties=[(drop.id, "respondent"), (wife.id, "applicant")],
    )
    o = orders.create(
        reg,
        issued_on="01.05.2026",
        protected_person_id=wife.id,
        respondent_person_id=drop.id,
        duration_days=30,
        start_date="01.05.2026",
        dispute_id=d.id,
    )
    m = measures.create(reg, person_id=drop.id, kind="talk", on="02.05.2026")
    oc = offences.record(
        reg,
        drawn_up_at=now,
        offender_id=drop.id,
        offence_at=now,
        substance="Jamoat tartibini buzdi",
        article="183",
        participants=[{"role": "witness", "person_id": drop.id, "full_name": "Қодиров Шавкат"}],
    )
    contributions.create(reg, person_id=drop.id, on="03.05.2026", kind="prevented")
    with unit_of_work(reg) as uow:
        uow.add(
            IssuedDocument(
                kind="warning",
                record_id=m.id,
                person_id=drop.id,
                year=2026,
                seq=1,
                number="TP-0999/2026-00001",
                lang="uz-Latn",
                issued_at=now,
                snapshot="{}",
                sha256="0" * 64,
            )
        )

    merged = merge_persons(reg, keep.id, drop.id)

    assert merged.id == keep.id
    # the kept record lacked these: filled from the dropped one
    assert (merged.pinfl, merged.passport, merged.phone) == (
        "31203851234567",
        "AC1234567",
        "+998901112233",
    )
    with reg.reading() as s:
        assert s.get(Person, drop.id).deleted is True
        for model, column in person_references():
            left = s.exec(
                select(model).where(getattr(model, column) == drop.id, model.deleted == False)
            ).all()
            assert left == [], (model.__tablename__, column)
        live_members = s.exec(
            select(HouseholdMember).where(
                HouseholdMember.household_id == h.id, HouseholdMember.deleted == False
            )
        ).all()
        assert [x.person_id for x in live_members] == [keep.id]  # the twin is tombstoned
        met = s.exec(
            select(VisitPerson).where(VisitPerson.visit_id == v.id, VisitPerson.deleted == False)
        ).all()
        assert [x.person_id for x in met] == [keep.id]
        merge_entry = s.exec(
            select(AuditEntry)
            .where(AuditEntry.action == "merge", AuditEntry.table_name == "person")
            .order_by(AuditEntry.seq.desc())
        ).first()
        details = json.loads(merge_entry.details)
        assert details["dropped"] == str(drop.id)
        assert details["moved"]["register_entry"] == 1
        assert details["moved"]["issued_document"] == 1
        assert "Қодиров" not in merge_entry.details and "3120385" not in merge_entry.details
        assert audit.verify_chain(s) == []
    assert entries.get(reg, e.id).person_id == keep.id
    assert orders.get(reg, o.id).respondent_person_id == keep.id
    assert offences.get(reg, oc.id).offender_id == keep.id
    assert households.get(reg, h.id).head_person_id == keep.id
    hits = search(reg, "Қодиров Шавкат")
    assert [x.person_id for x in hits] == [keep.id]
    assert hits[0].registers == ("parole",)


def test_merge_refusals_change_nothing(reg):
    a = add(reg, "Qodirov", "Shavkat")
    b = add(reg, "Қодиров", "Шавкат")
    with pytest.raises(MergeSameRecord):
        merge_persons(reg, a.id, a.id)
    orders.create(
        reg,
        issued_on="01.05.2026",
        protected_person_id=a.id,
        respondent_person_id=b.id,
        duration_days=30,
        start_date="01.05.2026",
    )
    with pytest.raises(MergeOrderParties):
        merge_persons(reg, a.id, b.id)
    assert persons.get(reg, b.id).version == 1
    assert persons.count(reg) == 2
