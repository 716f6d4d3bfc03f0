"""A second computer's first sync with a stronghold that already holds a lot of data.

The first computer is filled with the demo stronghold (persons, households, members,
register entries, visits, check-ins, disputes, orders, audit entries...) and sent to HQ;
then a second, freshly created computer of the same stronghold enrols and receives all
of it as a snapshot. Steps (each timed):
  fill       app.services.demo.generate on the first computer
  send       the first computer's bundle out and HQ's reply back
  snapshot   the second computer: its bundle to HQ and HQ's reply
  apply      the second computer applies that reply (device.import_reply): the figure

Prints ``name: value unit`` lines. ``peak_rss`` is the process's peak resident memory,
which the fill and HQ's side take part of too; ``apply_peak_python`` is the peak of
Python allocations during the apply alone (tracemalloc, with ``--trace-memory`` only:
it slows the apply down).

    .venv/bin/python bench/snapshot_bench.py [--persons 5000] [--households N]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.db.register import Register, StrongholdInfo  # noqa: E402
from app.hq import admin, ingest  # noqa: E402
from app.services import demo  # noqa: E402
from app.sync import device  # noqa: E402

FAST_KDF = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}
INFO = StrongholdInfo(code="TP-0001", name="Bench tayanch")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def new_device(hq: admin.Hq, root: Path, name: str) -> Register:
    reg, _ = Register.create(
        root / name, INFO, login=name, full_name="Bench User", password="bench", kdf=FAST_KDF
    )
    device.start_enrolment(reg, hq.public_key(), admin.new_enrolment_code(hq, INFO.code))
    return reg


def run(args: argparse.Namespace) -> dict[str, float]:
    f: dict[str, float] = {}
    root = Path(tempfile.mkdtemp(prefix="snapshot-bench-"))
    try:
        hq = admin.init_hq(root / "hq", name="Bench district")
        admin.add_stronghold(hq, INFO.code, name=INFO.name)
        f["fill"] = f["send"] = 0.0
        households = args.households or max(1, args.persons * 3 // 10)
        for k in range(args.sources):
            a = new_device(hq, root, f"a{k}")
            t = time.perf_counter()
            demo.generate(
                a,
                persons=args.persons // args.sources,
                households=max(1, households // args.sources),
                seed=k + 1,
            )
            f["fill"] += time.perf_counter() - t
            t = time.perf_counter()
            device.import_reply(a, ingest.ingest(hq, device.export_bundle(a).data).reply)
            f["send"] += time.perf_counter() - t
            a.close()

        b = new_device(hq, root, "b")
        if args.own_persons:
            # The computer joining has data of its own (the tester's fresh demo register).
            demo.generate(b, persons=args.own_persons, households=max(1, args.own_persons // 3))
        t = time.perf_counter()
        reply = ingest.ingest(hq, device.export_bundle(b).data).reply
        f["snapshot_at_hq"] = time.perf_counter() - t
        if args.trace_memory:
            tracemalloc.start()
        t, c = time.perf_counter(), time.process_time()
        applied = device.import_reply(b, reply)
        f["apply"] = time.perf_counter() - t
        f["apply_cpu"] = time.process_time() - c
        if args.trace_memory:
            f["apply_peak_python"] = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
        f["changes"] = applied.received
        f["inserted"] = applied.inserted
        f["parked"] = applied.parked
        f["conflicts"] = applied.conflicts
        f["apply_per_1000_changes"] = f["apply"] / max(1, applied.received) * 1000
        with b.engine.connect() as conn:
            f["persons_on_second"] = conn.exec_driver_sql(
                "SELECT count(*) FROM person WHERE stronghold_code = ?", (INFO.code,)
            ).scalar()
            f["parked_left"] = conn.exec_driver_sql("SELECT count(*) FROM sync_parked").scalar()
        b.close()
        hq.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return f


FIGURES = (
    ("fill", "s", ".2f"),
    ("send", "s", ".2f"),
    ("snapshot_at_hq", "s", ".2f"),
    ("changes", "changes", ".0f"),
    ("inserted", "rows", ".0f"),
    ("parked", "changes", ".0f"),
    ("parked_left", "changes", ".0f"),
    ("conflicts", "conflicts", ".0f"),
    ("persons_on_second", "persons", ".0f"),
    ("apply", "s", ".2f"),
    ("apply_cpu", "s", ".2f"),
    ("apply_per_1000_changes", "s", ".3f"),
    ("apply_peak_python", "MB", ".0f"),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=5_000)
    parser.add_argument(
        "--households", type=int, default=0, help="default: three for every ten persons"
    )
    parser.add_argument(
        "--sources", type=int, default=1, help="computers the stronghold's data comes from"
    )
    parser.add_argument(
        "--own-persons",
        type=int,
        default=20,
        help="demo persons the second computer holds before its first sync (0: none)",
    )
    parser.add_argument(
        "--trace-memory", action="store_true", help="measure the apply's Python allocations"
    )
    args = parser.parse_args()
    print(f"cpu_count: {os.cpu_count()} cores")
    print(f"load_average_1min_at_start: {os.getloadavg()[0]:.1f} processes")
    print(f"persons: {args.persons} persons")
    f = run(args)
    for name, unit, fmt in FIGURES:
        if name in f:
            print(f"{name}: {f[name]:{fmt}} {unit}")
    print(f"peak_rss: {rss_mb():.0f} MB")
    print(f"load_average_1min_at_end: {os.getloadavg()[0]:.1f} processes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
