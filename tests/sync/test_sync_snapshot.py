"""A computer joining a stronghold that already holds mixed data (the demo stronghold:
households, members, visits, register entries, disputes, orders...) receives all of it."""

from __future__ import annotations

from app.services import demo
from tests.sync.world import S1, enrol_by_usb, new_register, rows_of, usb_round


def test_a_new_computer_receives_the_whole_stronghold(world, tmp_path):
    demo.generate(world["a1"], persons=120, households=30)
    world.usb("a1")
    joining = new_register(tmp_path / "a3", S1, "farrux")
    try:
        demo.generate(joining, persons=5, households=2)  # data of its own before it joins
        enrol_by_usb(world.hq, joining)
        _result, applied = usb_round(world.hq, joining)
        assert applied.snapshot and applied.parked == 0
        usb_round(world.hq, joining)  # HQ's copy of what it sent before it joined
        with joining.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            heads, linked = conn.exec_driver_sql(
                "SELECT count(h.head_person_id), count(p.id) FROM household h "
                "LEFT JOIN person p ON p.id = h.head_person_id"
            ).one()
        assert heads == linked > 25
        assert rows_of(joining.engine, S1.code) == rows_of(world.hq.engine, S1.code)
    finally:
        joining.close()
