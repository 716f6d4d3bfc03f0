"""Concurrent imports at HQ (threads, no HTTP): server numbers stay gap-free and ordered,
every change is accepted exactly once, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid

import pytest

from app.hq import admin, ingest, server
from app.hq.ingest import RequestReplayed
from app.services.persons import persons
from app.sync import device
from app.sync.crypto import KeyPair, b64
from tests.hq.conftest import sync_auth
from tests.sync.world import S1, rows_of


def _at_once(target, argument_lists) -> list[str]:
    """Run ``target`` once per argument tuple, each on a thread of its own; return what
    they raised (a thread's exception would otherwise go unseen)."""
    errors: list[str] = []

    def run(*args):
        try:
            target(*args)
        except Exception as exc:  # reported by the caller
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=args) for args in argument_lists]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_concurrent_imports_keep_numbers_gap_free(world):
    regs = [world[name] for name in ("a1", "a2", "b1")]
    made: dict[str, list] = {reg.device_id: [] for reg in regs}

    def work(reg):
        for round_ in range(3):
            for i in range(8):
                made[reg.device_id].append(
                    persons.create(
                        reg,
                        surname=f"Parallel{round_}x{i}",
                        given_name="Ali",
                        birth_date="01.01.1990",
                        sex="m",
                    ).id
                )
            result = ingest.ingest(world.hq, device.export_bundle(reg).data)
            device.import_reply(reg, result.reply)

    assert not _at_once(work, [(r,) for r in regs])
    with world.hq.engine.connect() as conn:
        seqs = [
            r[0]
            for r in conn.exec_driver_sql("SELECT server_seq FROM hq_change ORDER BY server_seq")
        ]
        person_changes = conn.exec_driver_sql(
            "SELECT count(*), count(DISTINCT change_id) FROM hq_change WHERE tbl = 'person'"
        ).one()
    assert seqs == list(range(1, len(seqs) + 1))
    assert person_changes[0] == person_changes[1] == 3 * 24


def test_binary_and_typed_values_arrive_intact(world):
    """Photos (bytes), dates, booleans and ids survive HQ on either database."""
    from app.services.households import households

    a1, a2 = world["a1"], world["a2"]
    photo = bytes(range(256)) * 4
    p = persons.create(
        a1, surname="Suratli", given_name="Ali", birth_date="29.02.1996", sex="m", photo=photo
    )
    h = households.create(a1, street="Bogʻ", house="2", conflict_family=True, head_person_id=p.id)
    world.settle()
    got = persons.get(a2, p.id)
    assert got.photo == photo and str(got.birth_date) == "1996-02-29"
    got_h = households.get(a2, h.id)
    assert got_h.conflict_family is True and got_h.head_person_id == p.id


def test_the_same_signed_request_twice_at_once_is_applied_once(world):
    """A replay racing the request it copies: one is applied, the other refused whole."""
    a1 = world["a1"]
    persons.create(a1, surname="Ikkilangan", given_name="Ali", birth_date="01.01.1990", sex="m")
    state = device.state_of(a1)
    data = device.export_bundle(a1).data
    auth = sync_auth(state, data)
    with world.hq.engine.connect() as conn:
        bundles = conn.exec_driver_sql("SELECT count(*) FROM hq_bundle").scalar()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def send():
        start.wait()
        try:
            server._authenticated_sync(world.hq, auth, data)
            outcomes.append("applied")
        except RequestReplayed:
            outcomes.append("replayed")

    assert not _at_once(send, [(), ()])
    assert sorted(outcomes) == ["applied", "replayed"]
    with world.hq.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM hq_bundle").scalar() == bundles + 1
        doubled = conn.exec_driver_sql(
            "SELECT count(*) FROM (SELECT change_id FROM hq_change GROUP BY change_id "
            "HAVING count(*) > 1) AS d"
        ).scalar()
    assert doubled == 0


def test_computers_enrolling_at_once_get_numbers_of_their_own(world):
    """Numbers are given at enrolment (so a first sync need not); computers enrolling in
    one stronghold at the same moment, without its lock, each get the next one (its
    first ones too, before the stronghold has a counter)."""
    count = 6
    admin.add_stronghold(world.hq, "TP-7777", name="Yangi")
    codes = [admin.new_enrolment_code(world.hq, "TP-7777") for _ in range(count)]
    start = threading.Barrier(count)
    numbers: dict[str, int] = {}

    def enrol(code):
        keys = KeyPair.generate()
        device_id = uuid.uuid4().hex
        request = {
            "code": code,
            "device": device_id,
            "stronghold": "TP-7777",
            "sign_pub": b64(keys.sign_pub),
            "box_pub": b64(keys.box_pub),
        }
        start.wait()
        with world.hq.write_engine.begin() as conn:
            _row, numbers[device_id] = ingest.enrol_device(
                conn, request, device_id=device_id, sign_pub=keys.sign_pub
            )

    assert not _at_once(enrol, [(c,) for c in codes])
    assert sorted(numbers.values()) == list(range(1, 1 + count))
    with world.hq.engine.connect() as conn:
        for device_id, number in numbers.items():
            assert ingest.device_number(conn, device_id, "TP-7777") == number


def test_edits_of_one_record_merge_on_either_database(world):
    """HQ folds a row's field stamps from its log (PostgreSQL and SQLite alike): edits of
    different fields both survive, the same field's loser is kept as a conflict."""
    a1, a2 = world["a1"], world["a2"]
    p = persons.create(a1, surname="Birlashgan", given_name="Ali", birth_date="01.01.1990", sex="m")
    world.settle()
    persons.update(a1, p.id, surname="Birinchi")
    persons.update(a2, p.id, surname="Ikkinchi", given_name="Vali")
    world.settle(rounds=3)
    assert persons.get(a1, p.id).given_name == persons.get(a2, p.id).given_name == "Vali"
    assert persons.get(a1, p.id).surname == persons.get(a2, p.id).surname
    assert rows_of(a1.engine, S1.code) == rows_of(a2.engine, S1.code)
    with world.hq.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM hq_conflict").scalar() == 1


@pytest.mark.parametrize("backend", ["postgresql"])
def test_syncs_on_postgresql_reuse_their_prepared_statements(world):
    """Each sync below first reads its device's key (as every device's first sync of the
    day does in a fresh service process). That read must not end in a rollback, which
    makes psycopg forget the connection's prepared statements: otherwise every sync's
    statements are parsed and planned afresh (about 2 ms of PostgreSQL's CPU per sync)."""
    a1 = world["a1"]
    state = device.state_of(a1)
    world.hq.engine.dispose()  # one connection, used by every sync in turn
    for i in range(7):
        persons.create(a1, surname=f"Tayyor{i}", given_name="Ali", birth_date="01.01.1990", sex="m")
        data = device.export_bundle(a1).data
        world.hq.senders.clear()
        auth = sync_auth(state, data)
        device.import_reply(a1, server._authenticated_sync(world.hq, auth, data).reply)
    with world.hq.engine.connect() as conn:
        prepared = [
            r[0] for r in conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements")
        ]
    assert any("INSERT INTO hq_change" in s for s in prepared), prepared
