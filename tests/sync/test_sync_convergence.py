"""Convergence under random edits and random delivery (a modest run; bench/ runs more)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings

from tests.sync.convergence import run_example, steps

_runs = itertools.count()


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=steps)
def test_every_replica_agrees_with_hq_and_no_concurrent_edit_is_lost(
    world_template, tmp_path, script
):
    run_example(world_template, tmp_path / f"run{next(_runs)}", script)
