"""Document numbers: two computers of one stronghold issue documents apart, offline, and
HQ accepts both, because each computer numbers its own block (app/services/documents.py)."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from app.domain import IssuedDocument, LocalState
from app.hq import ingest
from app.services import documents
from app.sync import device
from tests.sync.test_sync_usb import converged, person
from tests.sync.world import S1, S2


def _numbers(reg) -> dict[str, str]:
    with reg.reading() as s:
        return {d.id.hex: d.number for d in s.exec(select(IssuedDocument)).all()}


def _device_number(reg) -> int:
    with reg.reading() as s:
        return documents.device_number(s)


def test_two_computers_issue_apart_and_hq_accepts_both(world):
    a1, a2 = world["a1"], world["a2"]
    # HQ numbered the computers when they first synced: in each stronghold from 1.
    assert (_device_number(a1), _device_number(a2), _device_number(world["b1"])) == (1, 2, 1)
    year = date.today().year
    # Offline, each computer prints a supervision card for a person of its own: the same day,
    # the first document of the year on both.
    first = documents.issue(a1, "supervision-card", person(a1, surname="Birinchi").id, "uz-Latn")
    second = documents.issue(a2, "supervision-card", person(a2, surname="Ikkinchi").id, "ru")
    assert first.document.number == f"{S1.code}/{year}-K1-00001"
    assert second.document.number == f"{S1.code}/{year}-K2-00001"
    again = documents.issue(a2, "supervision-card", person(a2, surname="Uchinchi").id, "ru")
    assert again.document.number == f"{S1.code}/{year}-K2-00002"

    # Then the sticks travel: nothing is refused, every document reaches both computers.
    _result, applied = world.usb("a1")
    assert applied.rejected == []
    result, applied = world.usb("a2")
    assert applied.rejected == [] and result.rejected == 0
    world.settle()
    numbers = _numbers(a1)
    assert numbers == _numbers(a2)
    assert {first.document.number, second.document.number, again.document.number} <= set(
        numbers.values()
    )
    assert len(set(numbers.values())) == len(numbers)
    assert converged(world)

    # What each computer received does not move its own count: a1 goes on in its block.
    nxt = documents.issue(a1, "supervision-card", person(a1, surname="Toʻrtinchi").id, "en")
    assert nxt.document.number == f"{S1.code}/{year}-K1-00002"
    # A re-print is the stored document, byte for byte, whatever was received meanwhile.
    assert documents.reprint(a1, first.document.id).pdf == first.pdf


def test_a_register_hq_has_not_numbered_keeps_the_plain_numbers(world):
    a1 = world["a1"]
    with a1.write_engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM local_state WHERE key = ?", (device.DEVICE_NUMBER_KEY,))
    year = date.today().year
    printed = documents.issue(a1, "supervision-card", person(a1).id, "uz-Latn")
    assert printed.document.number == f"{S1.code}/{year}-00001"
    # The next reply gives the number back, and the next document is in the computer's block.
    world.usb("a1")
    assert _device_number(a1) == 1
    nxt = documents.issue(a1, "supervision-card", person(a1, surname="Keyin").id, "uz-Latn")
    assert nxt.document.number == f"{S1.code}/{year}-K1-00001"


def test_hq_keeps_a_computers_number_and_never_gives_it_twice(world):
    with world.hq.write_engine.begin() as conn:
        ids = {name: world[name].device_id.replace("-", "") for name in ("a1", "a2", "b1")}
        # Asked again (every sync asks), the number is the one given first.
        assert ingest.device_number(conn, ids["a2"], S1.code) == 2
        assert ingest.device_number(conn, ids["b1"], S2.code) == 1
        # A new computer of the stronghold (or one enrolled again) gets the next one.
        assert ingest.device_number(conn, "f" * 32, S1.code) == 3
    with world["a2"].reading() as s:
        assert s.get(LocalState, device.DEVICE_NUMBER_KEY).value == "2"
