"""Sync by stick: bundles out and back, merges, conflicts, lost and repeated sticks."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest

from app.db.register import Register, StrongholdInfo
from app.hq import admin, ingest
from app.services.households import households, visits
from app.services.persons import persons
from app.sync import conflicts, device, service
from app.sync.errors import BundleReplayed
from tests.sync.world import (
    LOGINS,
    PASSWORD,
    S1,
    S2,
    enrol_by_usb,
    new_register,
    rows_of,
    usb_round,
)


def person(reg, surname="Karimov", **kw):
    return persons.create(
        reg,
        surname=surname,
        given_name=kw.pop("given_name", "Bobur"),
        birth_date=kw.pop("birth_date", "01.02.1990"),
        sex="m",
        **kw,
    )


def converged(world, code=S1.code, names=("a1", "a2")) -> bool:
    hq_rows = rows_of(world.hq.engine, code)
    return all(rows_of(world[n].engine, code) == hq_rows for n in names)


def test_a_record_travels_to_the_other_computer_of_the_stronghold(world, tmp_path):
    a1, a2 = world["a1"], world["a2"]
    p = person(a1, notes="birinchi")
    report = service.export_to_file(a1, tmp_path)  # a folder: the file gets a name
    bundle_file = next(tmp_path.glob("*.sync"))
    result = ingest.ingest(world.hq, bundle_file.read_bytes())
    reply = tmp_path / "reply.sync"
    reply.write_bytes(result.reply)
    back = service.import_file(a1, reply)
    assert report.sent >= 1 and back.acknowledged >= report.sent
    world.usb("a2")
    assert persons.get(a2, p.id).notes == "birinchi"
    assert service.status(a1).pending == 0
    assert converged(world)
    # The other stronghold never sees it.
    assert not any(k[1] == p.id.hex for k in rows_of(world["b1"].engine, S2.code))


def test_a_computer_not_yet_enrolled_counts_all_its_records_as_waiting(world, tmp_path):
    """Before enrolment everything typed waits for HQ: the status said 0 (the count
    compared with a sync_device row that does not exist yet) for a full register."""
    hq = world.hq
    reg = new_register(tmp_path / "new", S1, "yangi")
    try:
        first = service.status(reg).pending  # the register's user and settings
        person(reg, surname="Olimov")
        person(reg, surname="Nazarov")
        st = service.status(reg)
        assert st.state == "not_enrolled" and first > 0 and st.pending == first + 2
        enrol_by_usb(hq, reg)
        assert service.status(reg).pending == st.pending
        report = service.export_to_file(reg, tmp_path)
        assert report.sent == st.pending  # what the status announced is what went
    finally:
        reg.close()


def test_status_and_history_report_what_went_and_came(world):
    a1 = world["a1"]
    person(a1)
    st = service.status(a1)
    assert st.enrolled and st.state == "enrolled" and st.stronghold == S1.code
    assert st.pending == 1 and st.open_conflicts == 0 and st.last_sync_at is not None
    world.usb("a1")
    st2 = service.status(a1)
    assert st2.pending == 0 and st2.last_sync_at > st.last_sync_at
    kinds = [(h.direction, h.transport) for h in service.history(a1, limit=2)]
    assert kinds == [("in", "usb"), ("out", "usb")]


def test_edits_of_different_fields_merge_and_same_field_leaves_a_conflict(world):
    a1, a2 = world["a1"], world["a2"]
    p = person(a1)
    world.settle()
    persons.update(a1, p.id, notes="A yozdi", workplace="Zavod")
    persons.update(a2, p.id, notes="B yozdi", street="Navoiy")
    world.settle()
    merged = persons.get(a1, p.id)
    assert merged.workplace == "Zavod" and merged.street == "Navoiy"  # both kept
    assert merged.notes == "B yozdi"  # the later edit wins everywhere
    assert persons.get(a2, p.id).notes == "B yozdi"
    assert converged(world)
    for reg in (a1, a2):
        [c] = conflicts.list_open(reg)
        assert (c.table, c.field, c.row_id) == ("person", "notes", p.id.hex)
        assert {c.local_value, c.remote_value} == {"A yozdi", "B yozdi"}
        assert c.current_value == "B yozdi"


def test_resolving_a_conflict_syncs_and_closes_it_everywhere(world):
    a1, a2 = world["a1"], world["a2"]
    p = person(a1)
    world.settle()
    persons.update(a1, p.id, notes="A varianti")
    persons.update(a2, p.id, notes="B varianti")
    world.settle()
    [c] = conflicts.list_open(a1)
    keep = "local" if c.local_value == "A varianti" else "remote"
    conflicts.resolve(a1, c.id, keep)
    assert conflicts.list_open(a1) == []
    assert persons.get(a1, p.id).notes == "A varianti"
    world.settle()
    assert persons.get(a2, p.id).notes == "A varianti"
    assert conflicts.list_open(a2) == []  # answered by the resolving edit
    assert converged(world)
    with pytest.raises(conflicts.UnknownConflictError):
        conflicts.resolve(a1, c.id, "remote")


def test_keeping_the_winning_value_still_settles_it_on_the_other_computer(world):
    a1, a2 = world["a1"], world["a2"]
    p = person(a1)
    world.settle()
    persons.update(a1, p.id, notes="birinchi")
    persons.update(a2, p.id, notes="ikkinchi")
    world.settle()
    [c] = conflicts.list_open(a2)
    conflicts.resolve(a2, c.id, c.winner)  # keep what already won
    world.settle()
    assert conflicts.list_open(a1) == [] and conflicts.list_open(a2) == []
    assert persons.get(a1, p.id).notes == "ikkinchi"


def test_a_lost_stick_loses_nothing(world):
    a1 = world["a1"]
    p1 = person(a1, surname="Birinchi")
    lost = device.export_bundle(a1)  # this stick is never seen again
    p2 = person(a1, surname="Ikkinchi")
    world.usb("a1")
    world.usb("a2")
    assert persons.get(world["a2"], p1.id).surname == "Birinchi"
    assert persons.get(world["a2"], p2.id).surname == "Ikkinchi"
    # The lost stick turns up later: older than what HQ applied, refused whole.
    before = _hq_count(world)
    with pytest.raises(BundleReplayed):
        ingest.ingest(world.hq, lost.data)
    assert _hq_count(world) == before


def test_a_repeated_stick_is_a_no_op_that_says_so(world):
    a1 = world["a1"]
    person(a1)
    exported = device.export_bundle(a1)
    first = ingest.ingest(world.hq, exported.data)
    count = _hq_count(world)
    again = ingest.ingest(world.hq, exported.data)
    assert again.already_applied and not first.already_applied
    assert _hq_count(world) == count
    applied = device.import_reply(a1, again.reply)  # the fresh reply still works
    assert applied.acknowledged >= 1
    assert device.import_reply(a1, again.reply).already_applied


def test_bundles_delivered_late_and_out_of_order_still_converge(world):
    a1, a2 = world["a1"], world["a2"]
    p = person(a1)
    world.settle()
    persons.update(a1, p.id, notes="1")
    b1 = device.export_bundle(a1)
    persons.update(a1, p.id, notes="2")
    b2 = device.export_bundle(a1)
    r2 = ingest.ingest(world.hq, b2.data)
    with pytest.raises(BundleReplayed):
        ingest.ingest(world.hq, b1.data)  # late: older than b2
    r1_late = ingest.ingest(world.hq, b2.data)
    device.import_reply(a1, r1_late.reply)
    with pytest.raises(BundleReplayed):
        device.import_reply(a1, r2.reply)  # older reply after a newer one
    world.settle()
    assert persons.get(a2, p.id).notes == "2"
    assert converged(world)


def test_a_reinstalled_computer_gets_a_full_snapshot_without_duplicates(world, tmp_path):
    a1 = world["a1"]
    ps = [person(a1, surname=f"Familiya{i}") for i in range(3)]
    world.settle()
    fresh = new_register(tmp_path / "reinstalled", S1, "yangi")
    try:
        enrol_by_usb(world.hq, fresh)
        result, applied = usb_round(world.hq, fresh)
        assert result.snapshot and applied.snapshot
        for p in ps:
            assert persons.get(fresh, p.id).surname == p.surname
        usb_round(world.hq, fresh)
        world.settle()
        hq_rows = rows_of(world.hq.engine, S1.code)
        assert rows_of(fresh.engine, S1.code) == hq_rows
        with fresh.engine.connect() as conn:
            dupes = conn.exec_driver_sql(
                "SELECT count(*) FROM (SELECT change_id FROM sync_change GROUP BY change_id "
                "HAVING count(*) > 1)"
            ).scalar()
            strongholds = conn.exec_driver_sql("SELECT count(*) FROM stronghold").scalar()
            settings = conn.exec_driver_sql(
                "SELECT count(*) FROM setting WHERE deleted = 0"
            ).scalar()
        assert dupes == 0
        assert strongholds == 1  # its own stronghold row was mapped onto HQ's
        assert settings == 5
    finally:
        fresh.close()


def test_a_computer_restored_from_backup_gets_back_what_it_lost(world):
    """Restore an old copy of a register: HQ notices (its cursor and sequence numbers
    went back), sends everything, and nothing is lost or doubled."""
    a1 = world["a1"]
    a1.checkpoint()
    backup = world.root / "a1-backup"
    shutil.copytree(world.root / "a1", backup)
    lost = person(a1, surname="Yoʻqolgan")
    world.usb("a1")
    a1.close()
    shutil.rmtree(world.root / "a1")
    shutil.copytree(backup, world.root / "a1")
    restored = Register.open(world.root / "a1", LOGINS["a1"], PASSWORD)
    world.devices["a1"] = restored
    after = person(restored, surname="Keyingi")
    result, applied = world.usb("a1")
    assert result.snapshot
    assert persons.get(restored, lost.id).surname == "Yoʻqolgan"
    world.settle()
    assert persons.get(world["a2"], after.id).surname == "Keyingi"
    assert converged(world)


def test_visits_are_insert_only_and_an_edit_is_refused_and_put_back(world):
    a1, a2 = world["a1"], world["a2"]
    h = households.create(a1, street="Chorsu", house="12")
    v = visits.record(a1, household_id=h.id, visited_at=datetime(2026, 3, 4, 10, tzinfo=UTC))
    world.settle()
    visits.update(a1, v.id, findings="tuzatildi")
    result, applied = world.usb("a1")
    assert result.rejected == 1 and applied.rejected[0]["code"] == "insert_only"
    assert visits.get(a1, v.id).findings == ""  # HQ's value is back
    assert [r.reason for r in service.rejected_changes(a1)] != []
    assert service.status(a1).rejected == 1
    # Two computers recording visits of the same household keep both.
    visits.record(a2, household_id=h.id, visited_at=datetime(2026, 3, 5, 11, tzinfo=UTC))
    visits.record(a1, household_id=h.id, visited_at=datetime(2026, 3, 5, 11, tzinfo=UTC))
    world.settle()
    assert len(visits.list(a1, household_id=h.id)) == 3
    assert converged(world)


def test_hq_moves_a_record_to_another_stronghold(world):
    a1, b1 = world["a1"], world["b1"]
    p = person(a1, surname="Koʻchgan")
    world.settle()
    admin.move_record(world.hq, "person", p.id.hex, S2.code)
    world.usb("b1")
    assert persons.get(b1, p.id).surname == "Koʻchgan"  # moved in, whole
    world.usb("a1")
    # The old stronghold may no longer write it: its edit is refused and put back.
    persons.update(a1, p.id, notes="eski punkt")
    result, applied = world.usb("a1")
    assert [x["code"] for x in applied.rejected] == ["other_stronghold"]
    assert persons.get(a1, p.id).notes == ""
    persons.update(b1, p.id, notes="yangi punkt")
    world.usb("b1")
    assert converged(world, S2.code, ("b1",))


def _hq_count(world) -> int:
    with world.hq.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM hq_change").scalar()


def _issue(reg, number: int) -> str:
    """A document row as the printing service would store it (numbered per stronghold)."""
    import uuid as _uuid

    doc = _uuid.uuid4().hex
    with reg.write_engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO issued_document (id, stronghold_code, created_at, updated_at, deleted, "
            "version, kind, year, seq, number, lang, issued_at, snapshot, sha256) VALUES "
            "(?, ?, '2026-02-01 09:00:00.000000', '2026-02-01 09:00:00.000000', 0, 1, "
            "'warning', 2026, ?, ?, 'uz-Latn', '2026-02-01 09:00:00.000000', '{}', 'abc')",
            (doc, reg.stronghold_code, number, f"TP-{number}/2026"),
        )
    return doc


def test_the_same_document_number_on_two_computers_never_blocks_sync(world):
    a1, a2 = world["a1"], world["a2"]
    first = _issue(a1, 41)
    second = _issue(a2, 41)  # issued the same number while apart
    world.usb("a1")
    result, applied = world.usb("a2")
    assert [x["code"] for x in applied.rejected] == ["duplicate_number"]
    assert applied.parked == 1  # a1's document waits; everything else came in
    p = person(a1, surname="Keyingi")
    world.settle()
    assert persons.get(a2, p.id).surname == "Keyingi"  # sync goes on
    with a2.write_engine.begin() as conn:  # the user issues their document again
        conn.exec_driver_sql("UPDATE issued_document SET seq = 42 WHERE id = ?", (second,))
    world.settle()
    with a2.engine.connect() as conn:
        assert (
            conn.exec_driver_sql(
                "SELECT count(*) FROM issued_document WHERE id = ?", (first,)
            ).scalar()
            == 1
        )


def _stronghold(engine, code: str) -> tuple:
    with engine.connect() as conn:
        return tuple(
            conn.exec_driver_sql(
                "SELECT name, region, district, makhalla, office FROM stronghold WHERE code = ?"
                if engine.dialect.name == "sqlite"
                else "SELECT name, region, district, makhalla, office FROM stronghold "
                "WHERE code = %s",
                (code,),
            ).one()
        )


def test_a_computer_fills_in_what_hq_lacks_and_another_blanks_nothing(tmp_path):
    """HQ adds a stronghold by its name alone; the first computer was set up with the
    address and office its documents print, the second with less. Neither the first sync
    nor the second computer may wipe the address off the printed documents."""
    hq = admin.init_hq(tmp_path / "hq", name="Sinov tuman IIB")
    admin.add_stronghold(hq, "TP-0303", name="Uchinchi tayanch")
    full = StrongholdInfo(
        code="TP-0303",
        name="Bogʻbon MFY tayanch punkti",
        region="Toshkent shahri",
        district="Yunusobod tumani",
        makhalla="Bogʻbon MFY",
        office="Yunusobod tumani IIO FMB",
    )
    k1 = new_register(tmp_path / "k1", full, "anvar")
    enrol_by_usb(hq, k1)
    result, applied = usb_round(hq, k1)
    assert result.rejected == 0 and not applied.rejected
    # HQ's name stands (HQ names strongholds); the rest comes from the computer.
    expected = ("Uchinchi tayanch", *(full.region, full.district, full.makhalla, full.office))
    assert _stronghold(hq.engine, "TP-0303") == expected
    assert _stronghold(k1.engine, "TP-0303") == expected

    k2 = new_register(tmp_path / "k2", StrongholdInfo(code="TP-0303", name="Bogʻbon"), "bahrom")
    enrol_by_usb(hq, k2)
    first_bundle = device.export_bundle(k2).data
    result = ingest.ingest(hq, first_bundle)
    assert result.rejected == 0
    # The reply is lost; the same stick comes again: still nothing refused.
    again = ingest.ingest(hq, first_bundle)
    assert again.already_applied and again.rejected == 0
    assert not device.import_reply(k2, again.reply).rejected
    for reg in (k1, k2, k1):
        result, applied = usb_round(hq, reg)
        assert result.rejected == 0 and not applied.rejected
    for engine in (hq.engine, k1.engine, k2.engine):
        assert _stronghold(engine, "TP-0303") == expected
    assert not conflicts.list_open(k2) and not conflicts.list_open(k1)
    for reg in (k1, k2):
        reg.close()
    hq.close()
