"""Concurrent imports at HQ (threads, no HTTP): server numbers stay gap-free and ordered,
every change is accepted exactly once, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from app.hq import ingest
from app.services.persons import persons
from app.sync import device


def test_concurrent_imports_keep_numbers_gap_free(world):
    regs = [world[name] for name in ("a1", "a2", "b1")]
    made: dict[str, list] = {reg.device_id: [] for reg in regs}
    errors = []

    def work(reg):
        try:
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
        except Exception as exc:  # reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(r,)) for r in regs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
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
