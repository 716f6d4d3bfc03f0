"""The convergence property of tests/sync at scale: many more random histories.

HQ, two registers of one stronghold and one of another; random creates, edits (services
and plain SQL) and deletes; bundles carried in random order, lost, repeated, late; then
a complete round. Every register must equal HQ for its stronghold, and every edit lost
to a concurrent one must be kept in a conflict record. Prints ``name: value unit``.

    .venv/bin/python bench/sync_convergence.py [--examples 200] [--steps 60]
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.sync import convergence  # noqa: E402
from tests.sync.world import build_template  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="sync-conv-"))
    counter = itertools.count()
    stats = {"steps": 0, "writes": 0, "conflicts_checked": 0}
    try:
        template = build_template(base / "template")
        script_strategy = st.lists(convergence.STEP, min_size=10, max_size=args.steps)

        @settings(
            max_examples=args.examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(script=script_strategy)
        def run(script):
            target = base / f"run{next(counter)}"
            model = convergence.run_example(template, target, script)
            stats["steps"] += len(script)
            stats["writes"] += len(model.writes)
            shutil.rmtree(target, ignore_errors=True)

        t = time.perf_counter()
        run()
        elapsed = time.perf_counter() - t
        n = next(counter)
        print(f"examples: {n} histories")
        print(f"steps: {stats['steps']} operations")
        print(f"field_writes_checked: {stats['writes']} writes")
        print(f"time: {elapsed:.1f} s")
        print("all_converged: 1 bool")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
