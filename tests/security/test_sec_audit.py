"""The audit chain: tampering with the trail is found and named; the trail is searchable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from app.domain.base import today_local, utcnow
from app.i18n import _ as translate
from app.services import audit
from app.services.audit import PROBLEM_LABELS
from app.services.persons import persons
from app.services.verify import verify


@pytest.fixture
def busy(boss):
    """The inspector's register with a dozen chained entries about two persons."""
    a = persons.create(
        boss, surname="Zanjirov", given_name="Birinchi", birth_date="01.01.1980", sex="m"
    )
    b = persons.create(
        boss, surname="Zanjirova", given_name="Ikkinchi", birth_date="02.02.1982", sex="f"
    )
    for i in range(3):
        persons.update(boss, a.id, notes=f"n{i}")
    persons.update(boss, b.id, house="7")
    audit.record_event(
        boss, "print", table="person", record_id=a.id, person_id=a.id, kind="supervision-card"
    )
    return boss, a, b


def _entries(reg):
    with reg.engine.connect() as conn:
        return conn.execute(
            text("SELECT seq, id, details FROM audit_entry WHERE device_id = :d ORDER BY seq"),
            {"d": reg.device_id},
        ).fetchall()


def _problems(reg):
    with reg.reading() as s:
        return [(p.seq, p.problem) for p in audit.verify_chain(s)]


def _tamper(reg, sql, **params):
    """What someone holding the database key could do behind the app's back."""
    with reg.write_engine.begin() as conn:
        conn.execute(text(sql), params)


def test_an_untouched_chain_verifies(busy):
    reg, _, _ = busy
    assert _problems(reg) == []
    assert verify(reg).ok


def test_an_edited_entry_is_named(busy):
    reg, _, _ = busy
    seq = _entries(reg)[5][0]
    _tamper(reg, "UPDATE audit_entry SET user_login = 'kimdir' WHERE seq = :s", s=seq)
    assert _problems(reg) == [(seq, "edited")]
    report = verify(reg)
    edited = translate(PROBLEM_LABELS["edited"])  # verify speaks the user's language
    assert not report.ok and f"{seq}" in report.problems[0] and edited in report.problems[0]


def test_an_entry_rewritten_with_a_fresh_hash_is_still_named(busy):
    reg, _, _ = busy
    with reg.reading() as s:
        from sqlmodel import select

        from app.domain.audit import AuditEntry

        e = s.exec(
            select(AuditEntry).where(AuditEntry.seq == 4, AuditEntry.device_id == reg.device_id)
        ).one()
        e.action = "print"
        new_hash = audit.entry_hash(e)
    _tamper(reg, "UPDATE audit_entry SET action = 'print', hash = :h WHERE seq = 4", h=new_hash)
    assert _problems(reg) == [(4, "edited")]


def test_a_deleted_entry_is_named(busy):
    reg, _, _ = busy
    _tamper(reg, "DELETE FROM audit_entry WHERE seq = 6")
    assert _problems(reg) == [(6, "missing")]


def test_entries_cut_off_the_end_are_missed(busy):
    reg, _, _ = busy
    last = _entries(reg)[-1][0]
    _tamper(reg, "DELETE FROM audit_entry WHERE seq >= :s", s=last - 1)
    assert _problems(reg) == [(last - 1, "missing")]


def test_two_swapped_entries_are_named_as_moved(busy):
    reg, _, _ = busy
    _tamper(reg, "UPDATE audit_entry SET seq = -1 WHERE seq = 5")
    _tamper(reg, "UPDATE audit_entry SET seq = 5 WHERE seq = 6")
    _tamper(reg, "UPDATE audit_entry SET seq = 6 WHERE seq = -1")
    assert _problems(reg) == [(5, "reordered"), (6, "reordered")]


def test_new_writes_after_tampering_do_not_hide_it(busy):
    reg, a, _ = busy
    _tamper(reg, "DELETE FROM audit_entry WHERE seq = 3")
    persons.update(reg, a.id, notes="later")
    assert _problems(reg) == [(3, "missing")]


def test_personal_data_is_refused_in_details(boss):
    with pytest.raises(ValueError):
        audit.record_event(boss, "export", pinfl="31505901234567")
    with pytest.raises(ValueError):
        audit.record_event(boss, "print", surname="Zanjirov")


def test_the_audit_screen_filters_by_user_person_action_and_day(busy, open_as):
    reg, a, b = busy
    assistant = open_as("yordamchi")
    persons.update(assistant, b.id, house="8")
    f = audit.AuditFilter
    mine = audit.query_entries(reg, f(person_id=a.id))
    assert {e.action for e in mine} == {"create", "update", "print"}
    assert all(e.person_id == a.id for e in mine)
    assert [e.details.get("fields") for e in mine if e.action == "update"] == [["notes"]] * 3
    by_assistant = audit.query_entries(reg, f(user="yordamchi"))
    assert {e.action for e in by_assistant} == {"login", "update"}
    assert audit.count_entries(reg, f(user="yordamchi", actions=("update",))) == 1
    prints = audit.query_entries(reg, f(actions=("print",)))
    assert [p.details for p in prints] == [{"kind": "supervision-card"}]
    assert prints[0].label("en") == "printed"
    today = today_local()
    assert audit.count_entries(reg, f(date_from=today, date_to=today)) == audit.count_entries(reg)
    assert audit.count_entries(reg, f(date_to=today - timedelta(days=1))) == 0
    newest = audit.query_entries(reg, limit=2)
    assert newest[0].at >= newest[1].at and newest[0].at <= utcnow()
    users_, actions = audit.filter_choices(reg)
    assert users_ == ["inspector", "yordamchi"] and "print" in actions
