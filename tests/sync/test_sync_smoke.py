from tests.sync.world import S1, rows_of


def test_world_starts_converged(world):
    hq_rows = rows_of(world.hq.engine, S1.code)
    assert rows_of(world["a1"].engine, S1.code) == hq_rows
    assert rows_of(world["a2"].engine, S1.code) == hq_rows
