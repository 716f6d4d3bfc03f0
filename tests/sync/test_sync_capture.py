"""Change capture: every write lands in the outbox in its transaction, nothing else does."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from app.db import migrate
from app.db.engine import make_engine
from app.db.keys import new_database_key
from app.services.households import households
from app.services.persons import persons
from app.sync import capture, device, hlc


def outbox(reg, after: int = 0) -> list[dict]:
    with reg.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT n, seq, tbl, row_id, op, hlc, fields FROM sync_change "
            "WHERE origin IS NULL AND n > ? ORDER BY n",
            (after,),
        ).fetchall()
    return [
        {
            "n": r[0],
            "seq": r[1],
            "tbl": r[2],
            "row": r[3],
            "op": r[4],
            "hlc": r[5],
            "fields": json.loads(r[6]),
        }
        for r in rows
    ]


def last_n(reg) -> int:
    with reg.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT coalesce(max(n), 0) FROM sync_change").scalar()


def test_service_writes_are_logged_with_changed_fields_only(world):
    reg = world["a1"]
    start = last_n(reg)
    p = persons.create(reg, surname="Qodirov", given_name="Jasur", birth_date="05.06.1991", sex="m")
    persons.update(reg, p.id, notes="qoʻshnilar bilan kelishmovchilik")
    persons.close(reg, p.id)
    person_changes = [c for c in outbox(reg, start) if c["tbl"] == "person"]
    assert [c["op"] for c in person_changes] == ["i", "u", "u"]
    insert, edit, tomb = person_changes
    assert insert["row"] == p.id.hex and insert["fields"]["surname"] == "Qodirov"
    assert "id" not in insert["fields"]
    assert set(edit["fields"]) == {"notes", "updated_at"}  # not the version counter
    assert tomb["fields"]["deleted"] == 1
    # Sequence numbers follow the writes without gaps; stamps only go up.
    seqs = [c["seq"] for c in outbox(reg, start)]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    stamps = [c["hlc"] for c in outbox(reg, start)]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert all(hlc.is_stamp(s) for s in stamps)


def test_writes_outside_the_orm_are_captured_too(world):
    reg = world["a1"]
    p = persons.create(reg, surname="Rahimov", given_name="Olim", birth_date="01.01.1980", sex="m")
    start = last_n(reg)
    with reg.write_engine.begin() as conn:
        conn.exec_driver_sql("UPDATE person SET notes = 'bulk' WHERE id = ?", (p.id.hex,))
        conn.exec_driver_sql("UPDATE person SET version = version + 5")  # not a change
        conn.exec_driver_sql("DELETE FROM person WHERE id = ?", (p.id.hex,))
    ops = [(c["op"], c["fields"]) for c in outbox(reg, start) if c["tbl"] == "person"]
    assert ops[0] == ("u", {"notes": "bulk"})
    assert ops[1][0] == "d" and ops[1][1]["deleted"] == 1  # a hard delete travels as tombstone
    assert len(ops) == 2


def test_a_rolled_back_write_leaves_no_change(world):
    reg = world["a1"]
    start = last_n(reg)
    with pytest.raises(RuntimeError):
        with reg.write_engine.begin() as conn:
            conn.exec_driver_sql("UPDATE person SET notes = 'x'")
            conn.exec_driver_sql("UPDATE setting SET value = 'y'")
            raise RuntimeError("cancelled")
    assert outbox(reg, start) == []


def test_applied_remote_changes_are_not_echoed(world):
    a1, a2 = world["a1"], world["a2"]
    p = persons.create(
        a1, surname="Sobirov", given_name="Ulugʻbek", birth_date="03.03.1993", sex="m"
    )
    world.usb("a1")
    before = last_n(a2)
    world.usb("a2")
    assert persons.get(a2, p.id).surname == "Sobirov"
    # What came in is logged as received, never as a local change to send back.
    assert [c for c in outbox(a2, before) if c["tbl"] == "person"] == []
    with a2.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT capture FROM sync_clock").scalar() == 1


def test_reference_rows_seeded_locally_are_not_sent(world):
    reg = world["a1"]
    start = last_n(reg)
    with reg.write_engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO order_duration (id, stronghold_code, created_at, updated_at, deleted, "
            "version, kind, days, label, active) VALUES (?, NULL, '2026-01-01 00:00:00.000000', "
            "'2026-01-01 00:00:00.000000', 0, 1, 'court', 90, '90', 1)",
            (uuid.uuid4().hex,),
        )
    assert outbox(reg, start) == []


def test_migration_0003_logs_rows_of_an_older_register(tmp_path: Path):
    """A register made before sync existed sends everything in its first bundle."""
    path = tmp_path / "old.db"
    engine = make_engine(path, new_database_key())
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        for i in range(3):
            conn.execute(
                text(
                    "INSERT INTO household (id, stronghold_code, created_at, updated_at, deleted, "
                    "version, makhalla, street, house, flat, conflict_family, notes) VALUES "
                    "(:id, 'TP-0101', '2026-01-0' || :d || ' 10:00:00.000000', "
                    "'2026-01-01 10:00:00.000000', 0, 1, '', 'Navoiy', :h, '', 0, '')"
                ),
                {"id": uuid.uuid4().hex, "d": str(i + 1), "h": str(i + 1)},
            )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        logged = conn.exec_driver_sql(
            "SELECT seq, tbl, op, fields FROM sync_change ORDER BY seq"
        ).fetchall()
        triggers = conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE ?",
            (capture.TRIGGER_PREFIX + "%",),
        ).scalar()
    assert [(r[0], r[1], r[2]) for r in logged] == [
        (1, "household", "i"),
        (2, "household", "i"),
        (3, "household", "i"),
    ]
    assert [json.loads(r[3])["house"] for r in logged] == ["1", "2", "3"]  # oldest first
    assert triggers >= 3 * 20
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE household SET notes = 'yangi'")
        assert conn.exec_driver_sql("SELECT max(seq) FROM sync_change").scalar() == 6
    engine.dispose()


def test_triggers_come_back_after_a_batch_alter(world):
    """A later migration that copies a table (batch mode) drops its triggers with it;
    the upgrade puts them back (app/db/migrate.py calls refresh_triggers)."""
    reg = world["a1"]
    with reg.write_engine.begin() as conn:
        conn.exec_driver_sql(f'DROP TRIGGER "{capture.TRIGGER_PREFIX}u_household"')
        assert capture.refresh_triggers(conn) > 20
    h = households.create(reg, street="Amir Temur", house="7")
    start = last_n(reg)
    households.update(reg, h.id, notes="tekshirildi")
    assert [c["fields"]["notes"] for c in outbox(reg, start) if c["tbl"] == "household"] == [
        "tekshirildi"
    ]


def test_pending_count_ignores_nothing_but_audit_entries(world):
    reg = world["a1"]
    with reg.engine.connect() as conn:
        before = device.pending_count(conn)
    households.create(reg, street="Bobur", house="1")
    with reg.engine.connect() as conn:
        assert device.pending_count(conn) == before + 1
        assert device.pending_count(conn, with_audit=True) > device.pending_count(conn)
