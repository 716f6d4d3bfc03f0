"""A stick's worth of new rows at HQ, on SQLite and PostgreSQL: the bulk path (rows built
in passes over the whole bundle, columns the same in every row written into the
statement once, more than 2,000 changes numbered with COPY on PostgreSQL) keeps every
value as the device has it, numbers stay gap-free, and a second computer's snapshot
agrees with both."""

from __future__ import annotations

import time
import uuid

import pytest

from app.hq import admin, ingest
from app.hq.store import Store, _constant_columns, _pg_array
from app.services.persons import PERSON_FIELDS, persons
from app.sync import device
from tests.sync.world import rows_of, usb_round

# The person rows below, as tuples in this order: bookkeeping, then every field but the
# makhalla reference and the photo.
COLUMNS = (
    *("id", "stronghold_code", "created_at", "updated_at", "deleted", "version"),
    *(f for f in PERSON_FIELDS if f not in ("makhalla_id", "photo")),
)


def _persons(code: str, n: int) -> list[tuple]:
    """Rows whose columns are constant ('', NULL, 0, 1, a text), or vary, or vary among
    values the folding must not mistake for each other (0 and '0', '' and NULL)."""
    rows = []
    for i in range(n):
        at = f"2026-02-01 08:{i // 60 % 60:02d}:{i % 60:02d}.{i:06d}"
        rows.append(
            (
                uuid.uuid4().hex,
                code,
                at,
                at,
                0,
                1,
                f"Ommaviy{i}",
                "Ali",
                "",  # constant empty
                None if i % 2 else "1990-01-01",
                "m",
                None,  # constant NULL
                f"AB{i:07d}",
                "+998901234567",  # constant text
                "0" if i % 3 == 0 else "",  # '' and '0' mixed
                "Toshkent",
                "",
                "",
                "Navoiy",
                str(i),
                "",
                "",
                "yozuv" if i == n - 1 else "",  # empty but for the last row
            )
        )
    return rows


def _persons_alike(world, *regs) -> dict:
    """The stronghold's persons at HQ, checked to be the same on every register given."""
    code = regs[0].stronghold_code
    at_hq = {k: v for k, v in rows_of(world.hq.engine, code).items() if k[0] == "person"}
    for reg in regs:
        assert {k: v for k, v in rows_of(reg.engine, code).items() if k[0] == "person"} == at_hq
    return at_hq


def test_a_big_first_bundle_arrives_intact(world):
    a1, a2 = world["a1"], world["a2"]
    n = 2_100  # above NUMBER_IN_ONE_STATEMENT: COPY on PostgreSQL
    with a1.write_engine.begin() as conn:
        marks = ", ".join("?" * len(COLUMNS))
        conn.exec_driver_sql(
            f"INSERT INTO person ({', '.join(COLUMNS)}) VALUES ({marks})",
            _persons(a1.stronghold_code, n),
        )
    result, _applied = world.usb("a1")
    assert result.accepted >= n and not result.rejected
    world.usb("a2")  # the other computer of the stronghold gets them
    with world.hq.engine.connect() as conn:
        seqs = [
            r[0]
            for r in conn.exec_driver_sql("SELECT server_seq FROM hq_change ORDER BY server_seq")
        ]
    assert seqs == list(range(1, len(seqs) + 1))
    at_hq = _persons_alike(world, a1, a2)
    assert len(at_hq) >= n
    row = next(v for v in at_hq.values() if v["surname"] == "Ommaviy0")
    assert row["phone2"] == "0" and row["pinfl"] is None and row["patronymic"] == ""
    assert row["deleted"] == 0 and row["birth_date"] == "1990-01-01"


def test_repeating_the_big_bundle_changes_nothing(world):
    a1 = world["a1"]
    with a1.write_engine.begin() as conn:
        marks = ", ".join("?" * len(COLUMNS))
        conn.exec_driver_sql(
            f"INSERT INTO person ({', '.join(COLUMNS)}) VALUES ({marks})",
            _persons(a1.stronghold_code, 1_200),
        )
    data = device.export_bundle(a1).data
    first = ingest.ingest(world.hq, data)
    before = _data(world.hq.engine)
    again = ingest.ingest(world.hq, data)
    # The reply is sealed again (under a new reply number); the data stays as it was.
    assert again.already_applied and again.accepted == 0
    assert _data(world.hq.engine) == before
    assert first.accepted >= 1_200


def _data(engine) -> list:
    with engine.connect() as conn:
        return [
            sorted(repr(tuple(r)) for r in conn.exec_driver_sql(f"SELECT * FROM {table}"))
            for table in ("person", "hq_change", "hq_bundle", "hq_rejected", "hq_conflict")
        ]


def test_constant_columns_tell_zero_from_false_and_empty_from_null():
    rows = [{"a": 0, "b": "", "c": None, "d": 1, "e": "O'g'il", "f": "ab01"} for _ in range(150)]
    cols = ["a", "b", "c", "d", "e", "f"]
    assert _constant_columns(rows, cols, blobs=("f",)) == {
        "a": "0",
        "b": "''",
        "c": "NULL",
        "d": "1",
        "e": "'O''g''il'",  # a text, quoted; a blob's hex never goes in as text
    }
    rows[-1] = {"a": False, "b": None, "c": "", "d": 1.0, "e": "O'g'il ", "f": "ab01"}
    assert _constant_columns(rows, cols, blobs=("f",)) == {}


def test_row_ids_for_postgresql_go_as_one_array_literal():
    ids = [uuid.uuid4().hex for _ in range(3)]
    assert _pg_array(ids) == "{" + ",".join(ids) + "}"
    odd = ["not-a-hex-id", ids[0]]
    assert _pg_array(odd) == odd  # anything unexpected goes as a list, quoted by psycopg


def test_lookups_by_id_find_rows_on_either_database(world):
    a1 = world["a1"]
    world.usb("a1")
    with world.hq.engine.connect() as conn:
        store = Store(conn)
        ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM stronghold")]
        wire = {str(i).replace("-", "") for i in ids}
        assert set(store.load_rows("stronghold", wire)) == wire
        assert store.existing_ids("stronghold", [*wire, uuid.uuid4().hex]) == wire
    assert a1.stronghold_code


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sqlite_log_reaches_the_file_beside_the_syncs_and_is_emptied_at_close(world):
    """HQ on SQLite copies its write-ahead log into the database file on a thread of its
    own (a commit never waits for the copy): soon after a sync, and all of it at close."""
    a1 = world["a1"]
    n = 1_200
    with a1.write_engine.begin() as conn:
        marks = ", ".join("?" * len(COLUMNS))
        conn.exec_driver_sql(
            f"INSERT INTO person ({', '.join(COLUMNS)}) VALUES ({marks})",
            _persons(a1.stronghold_code, n),
        )
    hq_file = world.hq.data_dir / "hq.db"
    wal = hq_file.with_name("hq.db-wal")
    before = hq_file.stat().st_size
    world.usb("a1")
    deadline = time.monotonic() + 15
    while hq_file.stat().st_size < before + 200_000:  # 1,200 persons and their log
        assert time.monotonic() < deadline, "the log was not copied into the file"
        time.sleep(0.05)
    world.hq.close()
    assert not wal.exists() or wal.stat().st_size == 0
    with admin.open_hq(world.hq.data_dir) as hq, hq.engine.connect() as conn:
        count = conn.exec_driver_sql(
            "SELECT count(*) FROM person WHERE surname LIKE 'Ommaviy%'"
        ).scalar()
    assert count == n


@pytest.mark.parametrize("with_photo", [False, True])
def test_rows_that_all_carry_the_same_fields_arrive_intact(world, with_photo):
    """A first bundle whose persons all carry the same fields goes in by column (no dict
    per row): every value as the device has it, the fields left out at their neutral
    values; with a photo (a blob) in every row, through the rows' path."""
    a1, a2 = world["a1"], world["a2"]
    world.usb("a1")  # the first sync: the bundle below holds persons only
    n = 300
    _insert_uniform_persons(a1, n, with_photo=with_photo)
    result = ingest.ingest(world.hq, device.export_bundle(a1).data)
    assert result.accepted >= n and not result.rejected
    device.import_reply(a1, result.reply)
    world.usb("a2")
    at_hq = _persons_alike(world, a1, a2)
    assert len(at_hq) >= n
    row = next(v for v in at_hq.values() if v["surname"] == "Ommaviy7")
    assert row["sex"] == "f" and row["phone2"] == "0" and row["birth_date"] == "1990-01-01"
    assert row["pinfl"] is None and row["patronymic"] == "" and row["deleted"] == 0
    assert row["photo"] == (bytes([7, 0, 255]).hex() if with_photo else None)


def _insert_uniform_persons(reg, n: int, *, with_photo: bool = False) -> list[str]:
    """Persons that all carry the same fields (none is empty in some rows only), as
    ``_persons`` makes them otherwise; returns their ids."""
    rows = []
    for i, row in enumerate(_persons(reg.stronghold_code, n)):
        values = dict(zip(COLUMNS, row, strict=True))
        values.update(birth_date="1990-01-01", phone2="0", sex="mf"[i % 2])
        values[COLUMNS[-1]] = ""
        if with_photo:
            values["photo"] = bytes([i % 256, 0, 255])
        rows.append(values)
    cols = list(rows[0])
    with reg.write_engine.begin() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO person ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [tuple(r.values()) for r in rows],
        )
    return [r["id"] for r in rows]


def _insert_copy(reg, row: dict, **values) -> None:
    """Insert ``row`` (another register's person) into ``reg`` as if it were made there."""
    row = {**row, **values}
    cols = ", ".join(f'"{c}"' for c in row)
    marks = ", ".join("?" for _ in row)
    with reg.write_engine.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO person ({cols}) VALUES ({marks})", tuple(row.values()))


def test_a_new_row_hq_holds_already_is_applied_as_if_looked_up(world, monkeypatch):
    """A bundle that only inserts rows is applied without looking them up first; one whose row HQ holds already (another computer's, created again under its id)
    comes out as with the lookup: an edit of HQ's row (which may not move it to another
    stronghold) for the same stronghold, refused for another's. Nothing of the first try
    stays."""
    tries = []
    real = ingest._ingest_changes

    def spy(*args, **kwargs):
        try:
            return real(*args, **kwargs)
        except ingest.NotNew:
            tries.append("not new")
            raise

    monkeypatch.setattr(ingest, "_ingest_changes", spy)
    a1, a2, b1 = world["a1"], world["a2"], world["b1"]
    p = persons.create(a1, surname="Birinchi", given_name="Ali", birth_date="01.01.1990", sex="m")
    row_id = str(p.id).replace("-", "")
    world.usb("a1")
    with world.hq.engine.connect() as conn:
        before = hq_log(conn)
    with a1.engine.connect() as conn:
        row = dict(
            conn.exec_driver_sql("SELECT * FROM person WHERE id = ?", (row_id,)).mappings().one()
        )
    for reg, values, code in (
        (a2, {"surname": "Ikkinchi"}, "hq_only_field"),
        (b1, {"surname": "Begona", "stronghold_code": "TP-0202"}, "other_stronghold"),
    ):
        _insert_copy(reg, row, **values)
        _result, applied = usb_round(world.hq, reg)
        assert [(x["r"], x["code"]) for x in applied.rejected] == [(row_id, code)]
    with world.hq.engine.connect() as conn:
        held = Store(conn).load_rows("person", [row_id])[row_id]
        after = hq_log(conn)
    assert (held["surname"], held["stronghold_code"]) == ("Birinchi", "TP-0101")
    assert [c for c in after if c[1] == row_id] == [c for c in before if c[1] == row_id]
    assert after[: len(before)] == before and after == sorted(after)
    assert tries == ["not new"] * 2


def hq_log(conn) -> list[tuple]:
    return [
        tuple(r)
        for r in conn.exec_driver_sql("SELECT server_seq, row_id FROM hq_change ORDER BY 1")
    ]


def _households(reg, heads: list[str], *, foreign_keys: bool = True) -> None:
    """One household per head, every row with the same fields (so the bundle is uniform);
    with ``foreign_keys`` off, a head may be a person this register does not have."""
    at = "2026-02-01 09:00:00.000000"
    rows = [
        (uuid.uuid4().hex, reg.stronghold_code, at, at, 0, 1, "", "", "Navoiy", str(i), "", 0, head)
        for i, head in enumerate(heads)
    ]
    with reg.write_engine.connect() as conn:
        raw = conn.connection.dbapi_connection  # a PRAGMA outside any transaction
        raw.execute(f"PRAGMA foreign_keys = {int(foreign_keys)}")
        with conn.begin():
            conn.exec_driver_sql(
                "INSERT INTO household (id, stronghold_code, created_at, updated_at, deleted, "
                "version, makhalla, flat, street, house, notes, conflict_family, "
                "makhalla_id, head_person_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                rows,
            )
        raw.execute("PRAGMA foreign_keys = 1")


def test_rows_that_refer_to_each_other_go_in_by_column_and_a_lost_reference_alone_is_refused(
    world, monkeypatch
):
    """Persons and the households they head, in one first bundle, go in by column (no
    dict per row) with every reference kept. A later bundle whose one household names a
    head HQ has never seen has that household refused (missing reference) and the rest
    taken, change by change; HQ and the other computer agree."""
    taken = []
    real = ingest._new_by_column

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(ingest, "_new_by_column", spy)
    a1, a2 = world["a1"], world["a2"]
    world.usb("a1")
    n = 150
    heads = _insert_uniform_persons(a1, n)
    _households(a1, heads)
    taken.clear()
    result, applied = usb_round(world.hq, a1)
    assert result.accepted >= 2 * n and not applied.rejected
    assert taken == [True]

    stranger = uuid.uuid4().hex  # a person no register and not HQ has
    _households(a1, [*heads[:10], stranger], foreign_keys=False)
    taken.clear()
    result, applied = usb_round(world.hq, a1)
    assert taken and not any(taken)  # (tried again with the lookup: NotNew)
    assert [(x["t"], x["code"]) for x in applied.rejected] == [("household", "missing_reference")]
    world.usb("a2")
    with world.hq.engine.connect() as conn:
        held = conn.exec_driver_sql("SELECT head_person_id FROM household").fetchall()
    held = [str(r[0]).replace("-", "") for r in held]
    assert sorted(held) == sorted(heads + heads[:10])
    for reg in (a1, a2):
        with reg.engine.connect() as conn:
            mine = [
                r[0]
                for r in conn.exec_driver_sql(
                    "SELECT head_person_id FROM household WHERE head_person_id IS NOT NULL"
                )
            ]
        # a1 keeps its refused household until the user mends it; a2 never sees it.
        assert sorted(h for h in mine if h != stranger) == sorted(held)
