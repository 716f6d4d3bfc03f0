"""Fixtures of the sync tests: a whole sync world (HQ and three registers) per test,
copied from a session template so each test starts from enrolled, synced registers."""

from __future__ import annotations

import pytest

from tests.sync.world import World, build_template, copy_world


@pytest.fixture(scope="session")
def world_template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("sync-world") / "world")


@pytest.fixture
def world(world_template, tmp_path):
    w = World.open(copy_world(world_template, tmp_path / "world"))
    yield w
    w.close()
