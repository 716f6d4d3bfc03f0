"""HQ's own migrations bring an older database up to date when it is opened."""

from __future__ import annotations

from sqlalchemy import inspect

from app.hq import admin, db


def _indexes(engine, table: str) -> set[str]:
    return {ix["name"] for ix in inspect(engine).get_indexes(table)}


def test_an_hq_of_the_previous_revision_gets_the_device_history_indexes(world):
    hq = world.hq
    with hq.write_engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_hq_rejected_device")
        conn.exec_driver_sql("DROP INDEX ix_hq_alias_device")
        conn.exec_driver_sql(f"UPDATE {db.HQ_VERSION_TABLE} SET version_num = 'h0002'")
    assert db.needs_upgrade(hq.engine)
    admin.open_hq(hq.data_dir, db_url=hq.url).close()
    assert not db.needs_upgrade(hq.engine)
    assert "ix_hq_rejected_device" in _indexes(hq.engine, "hq_rejected")
    assert "ix_hq_alias_device" in _indexes(hq.engine, "hq_alias")
