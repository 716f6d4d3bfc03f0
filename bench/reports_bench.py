"""How fast documents render: one visit act, and a batch of 500 mixed documents.

    .venv/bin/python bench/reports_bench.py [--batch 500] [--repeat 50]

Prints ``name: value unit`` lines. Targets (issue 4): median visit act <= 50 ms, 500 mixed
documents <= 30 s. The data are the invented samples of ``app.reports.samples`` with the
serial number varied, so no two documents of the batch are byte-identical.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import reports  # noqa: E402
from app.reports import samples  # noqa: E402

logger = logging.getLogger(__name__)

LANGS = ("uz-Latn", "uz-Cyrl", "ru", "en")


def _with_serial(data: reports.Snapshot, serial: int) -> reports.Snapshot:
    return dataclasses.replace(data, header=samples.header(serial))


def bench_visit_act(repeat: int) -> list[float]:
    data = samples.visit_act()
    reports.render("visit-act", data, "uz-Latn")  # fonts and catalogs load once
    timings = []
    for i in range(repeat):
        item = _with_serial(data, 1000 + i)
        started = time.perf_counter()
        reports.render("visit-act", item, "uz-Latn")
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def bench_batch(count: int) -> tuple[float, int]:
    """Kinds and languages in turn, as a "print selected documents" batch would mix them."""
    base = {kind: samples.sample(kind) for kind in reports.KINDS}
    size_total = 0
    started = time.perf_counter()
    for i in range(count):
        kind = reports.KINDS[i % len(reports.KINDS)]
        lang = LANGS[(i // len(reports.KINDS)) % len(LANGS)]
        pdf = reports.render(kind, _with_serial(base[kind], 2000 + i), lang)
        size_total += len(pdf)
    return time.perf_counter() - started, size_total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    timings = bench_visit_act(args.repeat)
    print(f"visit_act_median: {statistics.median(timings):.1f} ms")
    print(f"visit_act_p90: {statistics.quantiles(timings, n=10)[-1]:.1f} ms")
    seconds, size = bench_batch(args.batch)
    print(f"mixed_{args.batch}_documents: {seconds:.2f} s")
    print(f"mixed_per_document: {seconds * 1000 / args.batch:.1f} ms")
    print(f"mixed_average_size: {size / args.batch / 1024:.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
