"""Import speed: 100,000 synthetic persons from one .xlsx file into an encrypted register.

    .venv/bin/python bench/import_bench.py [--rows 100000] [--keep FILE.xlsx]

Prints ``name: value unit`` lines (and a progress bar on stderr when it is a terminal).
Target (issue 5): the import of 100,000 rows from .xlsx <= 60 s, all rows in one
transaction, the search index kept in step by its triggers. The file is written with
openpyxl in write-only mode, dates as real date cells, 2 % of the rows on a register.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from people_gen import people  # noqa: E402

from app.db.register import Register, StrongholdInfo  # noqa: E402
from app.search.service import search  # noqa: E402
from app.services.people_io import PERSON_COLUMNS, header_label, import_persons  # noqa: E402

FAST_KDF = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}
CATEGORIES = ("parole", "conditional_sentence", "prev_alcohol_drugs", "prev_family_conflict")


def write_file(path: Path, n: int) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    rng = random.Random(3)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Persons")
    ws.append([header_label(c, "uz-Latn") for c in PERSON_COLUMNS])
    for p in people(n, seed=9):
        birth = WriteOnlyCell(ws, value=p.birth_date)
        birth.number_format = "DD.MM.YYYY"
        on_register = rng.random() < 0.02
        ws.append(
            [
                p.surname,
                p.given_name,
                p.patronymic,
                birth,
                p.sex.upper(),
                p.pinfl,
                p.passport,
                p.phone,
                "Toshkent shahri",
                "Yunusobod tumani",
                "Sinov MFY",
                f"{rng.choice(('Lola', 'Bogʻ', 'Navroʻz', 'Chinor'))} koʻchasi",
                str(rng.randint(1, 120)),
                "",
                rng.choice(CATEGORIES) if on_register else "",
                "01.02.2026" if on_register else "",
                "",
                "",
                "",
            ]
        )
    wb.save(path)


class Bar:
    def __init__(self) -> None:
        self.on = sys.stderr.isatty()
        self.marks: list[tuple[float, int, int]] = []

    def __call__(self, done: int, total: int) -> None:
        self.marks.append((time.perf_counter(), done, total))
        if self.on:
            pct = done * 100 // max(total, 1)
            sys.stderr.write(f"\r[{'#' * (pct // 4):<25}] {pct:3d}%")
            sys.stderr.flush()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--keep", type=Path, help="also keep the generated .xlsx here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        xlsx = args.keep or Path(tmp) / "persons.xlsx"
        started = time.perf_counter()
        write_file(xlsx, args.rows)
        print(f"rows: {args.rows} count")
        print(f"xlsx_write: {time.perf_counter() - started:.1f} s")
        print(f"xlsx_size: {xlsx.stat().st_size / 1e6:.1f} MB")
        reg, _ = Register.create(
            Path(tmp) / "r",
            StrongholdInfo(code="TP-0001", name="Bench"),
            login="bench",
            full_name="Bench",
            password="bench",
            kdf=FAST_KDF,
        )
        bar = Bar()
        started, cpu_started = time.perf_counter(), time.process_time()
        report = import_persons(reg, xlsx, progress=bar)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        if bar.on:
            sys.stderr.write("\n")
        assert report.ok and report.applied, [e.line("en") for e in report.errors[:5]]
        half = next((t for t, d, total in bar.marks if d >= total // 2), started)
        print(f"import_xlsx: {elapsed:.1f} s")
        # CPU time of the same call: the wall time on a machine nobody else loads, less I/O
        print(f"import_xlsx_cpu: {cpu:.1f} s")
        print(f"load_average_1min: {os.getloadavg()[0]:.1f}")
        print(f"import_read_and_check: {half - started:.1f} s")
        print(f"import_write: {started + elapsed - half:.1f} s")
        print(f"import_rows_per_s: {args.rows / elapsed:.0f} rows/s")
        print(f"persons_added: {report.added} count")
        print(f"register_entries_added: {report.entries_added} count")
        print(f"likely_duplicate_warnings: {len(report.warnings)} count")
        print(f"search_after_import: {len(search(reg, 'Qodirov'))} hits")
        reg.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
