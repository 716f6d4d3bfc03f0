"""Sync figures of issue 6: 50,000 persons out to HQ, 1,000 edits back, and the floor.

Steps (each timed):
  export     the device seals its 50,000 new persons into a bundle
  import     HQ applies the bundle and builds its reply (one transaction)
  ack        the device applies HQ's reply (acknowledgements)
  reimport   the same bundle again at HQ: a no-op that must change nothing
  snapshot   (extra) a second computer of the stronghold receives all 50,000 rows
  edits      1,000 edits made on the second computer reach the first: the time the
             first takes to apply HQ's reply with them
  floor      a plain executemany of the same rows into a fresh SQLCipher file

Targets: export + import <= 2 s and <= 6x the floor; the 1,000 edits applied <= 100 ms;
re-import <= 10 % of the first import. Prints ``name: value unit`` lines.

    .venv/bin/python bench/sync_bench.py [--persons 50000] [--edits 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import secrets
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.db.engine import connect_raw  # noqa: E402
from app.db.register import Register, StrongholdInfo  # noqa: E402
from app.domain.base import new_id  # noqa: E402
from app.hq import admin, ingest  # noqa: E402
from app.sync import device  # noqa: E402

FAST_KDF = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}
CODE = "TP-5000"
SURNAMES = [
    "Karimov",
    "Rahimov",
    "Yusupov",
    "Toshmatov",
    "Qodirov",
    "Aliyev",
    "Saidov",
    "Ergashev",
    "Nazarov",
    "Xolmatov",
    "Umarov",
    "Sobirov",
]
NAMES = [
    "Bobur",
    "Jasur",
    "Dilshod",
    "Aziz",
    "Sardor",
    "Malika",
    "Nilufar",
    "Gulnora",
    "Shahnoza",
    "Zarina",
    "Otabek",
    "Farrux",
]
PATRONYMICS = ["Anvarovich", "Dilmurod oʻgʻli", "Anvarovna", "Dilmurod qizi", "Karimovich"]
STREETS = ["Navoiy", "Amir Temur", "Bobur", "Mustaqillik", "Chilonzor", "Qatortol"]
COLUMNS = (
    "id",
    "stronghold_code",
    "created_at",
    "updated_at",
    "deleted",
    "version",
    "surname",
    "given_name",
    "patronymic",
    "birth_date",
    "sex",
    "pinfl",
    "passport",
    "phone",
    "phone2",
    "region",
    "district",
    "makhalla",
    "street",
    "house",
    "flat",
    "workplace",
    "notes",
)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def person_rows(n: int, seed: int = 7) -> list[tuple]:
    """Synthetic persons: ten filled fields each (names, birth date, sex, PINFL, passport,
    phone, street, house), the rest empty. Invented names only."""
    rnd = random.Random(seed)
    now = "2026-01-15 08:00:00.000000"
    rows = []
    for i in range(n):
        born = date(1950, 1, 1) + timedelta(days=rnd.randrange(20000))
        sex = rnd.choice("mf")
        first = {"m": "3", "f": "4"}[sex] if born.year < 2000 else {"m": "5", "f": "6"}[sex]
        pinfl = f"{first}{born:%d%m%y}{i:07d}"
        rows.append(
            (
                new_id().hex,
                CODE,
                now,
                now,
                0,
                1,
                rnd.choice(SURNAMES),
                rnd.choice(NAMES),
                rnd.choice(PATRONYMICS),
                born.isoformat(),
                sex,
                pinfl,
                f"AB{i:07d}",
                f"+99890{i:07d}",
                "",
                "",
                "",
                "",
                rnd.choice(STREETS),
                str(rnd.randrange(1, 200)),
                "",
                "",
                "",
            )
        )
    return rows


def fingerprint(engine) -> str:
    h = hashlib.sha256()
    with engine.connect() as conn:
        for table in ("person", "hq_change", "hq_bundle", "hq_rejected"):
            for row in conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1"):
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def floor(rows: list[tuple], folder: Path) -> float:
    """The same rows into a fresh SQLCipher file with one executemany: the floor."""
    path = folder / "floor.db"
    conn = connect_raw(path, secrets.token_bytes(32))
    conn.isolation_level = None
    cols = ", ".join(f"{c} TEXT" for c in COLUMNS[1:])
    conn.execute(f"CREATE TABLE person (id TEXT PRIMARY KEY, {cols})")
    marks = ", ".join("?" * len(COLUMNS))
    t = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO person ({', '.join(COLUMNS)}) VALUES ({marks})", rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t
    conn.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=50_000)
    parser.add_argument("--edits", type=int, default=1_000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    try:
        hq = admin.init_hq(root / "hq", name="Bench district")
        admin.add_stronghold(hq, CODE, name="Bench tayanch")
        info = StrongholdInfo(code=CODE, name="Bench tayanch")

        def new_device(name: str, *, first_sync: bool = True) -> Register:
            reg, _ = Register.create(
                root / name,
                info,
                login=name,
                full_name="Bench User",
                password="bench",
                kdf=FAST_KDF,
            )
            code = admin.new_enrolment_code(hq, CODE)
            device.start_enrolment(reg, hq.public_key(), code)
            if first_sync:
                device.import_reply(reg, ingest.ingest(hq, device.export_bundle(reg).data).reply)
            return reg

        a = new_device("a")
        rows = person_rows(args.persons)
        t = time.perf_counter()
        with a.write_engine.begin() as conn:
            marks = ", ".join("?" * len(COLUMNS))
            conn.exec_driver_sql(
                f"INSERT INTO person ({', '.join(COLUMNS)}) VALUES ({marks})", rows
            )
        print(f"setup_insert_on_device: {time.perf_counter() - t:.2f} s")

        t, c = time.perf_counter(), time.process_time()
        exported = device.export_bundle(a)
        t_export = time.perf_counter() - t
        print(f"export: {t_export:.3f} s")
        print(f"export_cpu: {time.process_time() - c:.3f} s")
        print(f"bundle_size: {len(exported.data) / 1e6:.2f} MB")
        print(f"bundle_changes: {exported.changes} changes")

        t, c = time.perf_counter(), time.process_time()
        result = ingest.ingest(hq, exported.data)
        t_import = time.perf_counter() - t
        print(f"import: {t_import:.3f} s")
        print(f"import_cpu: {time.process_time() - c:.3f} s")
        print(f"export_plus_import: {t_export + t_import:.3f} s")
        print(f"peak_rss_after_import: {rss_mb():.0f} MB")

        t = time.perf_counter()
        device.import_reply(a, result.reply)
        print(f"ack_on_device: {time.perf_counter() - t:.3f} s")

        before = fingerprint(hq.engine)
        t = time.perf_counter()
        again = ingest.ingest(hq, exported.data)
        t_again = time.perf_counter() - t
        assert again.already_applied
        unchanged = fingerprint(hq.engine) == before
        print(f"reimport: {t_again:.3f} s")
        print(f"reimport_ratio: {100 * t_again / t_import:.1f} %")
        print(f"reimport_changed_nothing: {int(unchanged)} bool")

        b = new_device("b", first_sync=False)  # its first sync: a snapshot of the 50,000
        t = time.perf_counter()
        snap = ingest.ingest(hq, device.export_bundle(b).data)
        applied = device.import_reply(b, snap.reply)
        print(
            f"snapshot_to_second_device: {time.perf_counter() - t:.3f} s ({applied.inserted} rows)"
        )

        with b.engine.connect() as conn:
            ids = [
                r[0]
                for r in conn.exec_driver_sql(
                    f"SELECT id FROM person ORDER BY id LIMIT {args.edits}"
                )
            ]
        with b.write_engine.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE person SET notes = ?, street = 'Yangi koʻcha' WHERE id = ?",
                [(f"tekshirildi {i}", pid) for i, pid in enumerate(ids)],
            )
        device.import_reply(b, ingest.ingest(hq, device.export_bundle(b).data).reply)
        reply = ingest.ingest(hq, device.export_bundle(a).data).reply
        t = time.perf_counter()
        applied = device.import_reply(a, reply)
        t_edits = time.perf_counter() - t
        assert applied.updated >= args.edits, applied
        print(f"edits_back_apply: {t_edits * 1000:.1f} ms ({args.edits} edits)")

        t_floor = floor(rows, root)
        print(f"floor_executemany: {t_floor:.3f} s")
        print(f"export_plus_import_vs_floor: {(t_export + t_import) / t_floor:.1f} x")
        print(f"peak_rss: {rss_mb():.0f} MB")
        print(f"cpu_count: {os.cpu_count()} cores")
        print(f"load_average_1min: {os.getloadavg()[0]:.1f} processes")
        ok = (
            t_export + t_import <= 2.0
            and (t_export + t_import) <= 6 * t_floor
            and t_edits <= 0.1
            and t_again <= 0.1 * t_import
            and unchanged
        )
        print(f"targets_met: {int(ok)} bool")
        for reg in (a, b):
            reg.close()
        hq.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
