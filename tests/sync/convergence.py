"""The convergence property, shared by the test (few examples) and bench/ (many).

HQ, two registers of one stronghold and one of another make random creates, edits
(through the services and in plain SQL) and deletes; bundles are carried in random
order, some lost, some twice, some late. After a final complete round every register
must hold exactly HQ's rows of its stronghold, and every edit that lost to a concurrent
edit of the same field (one that had not seen it) must be kept in a conflict record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from app.hq import ingest
from app.services.persons import persons
from app.sync import device
from app.sync.errors import BundleRefused
from tests.sync.world import DEVICES, World, rows_of

NAMES = tuple(DEVICES)
FIELDS = ("notes", "workplace", "street")
VALUES = ("alfa", "beta", "gamma")

STEP = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(NAMES)),
    st.tuples(
        st.just("edit"),
        st.sampled_from(NAMES),
        st.integers(0, 5),
        st.sampled_from(FIELDS),
        st.sampled_from(VALUES),
    ),
    st.tuples(st.just("sql"), st.sampled_from(NAMES), st.integers(0, 5), st.sampled_from(VALUES)),
    st.tuples(st.just("delete"), st.sampled_from(NAMES), st.integers(0, 5)),
    st.tuples(st.just("export"), st.sampled_from(NAMES)),
    st.tuples(st.just("to_hq"), st.integers(0, 20)),
    st.tuples(st.just("to_device"), st.integers(0, 20)),
)
steps = st.lists(STEP, min_size=4, max_size=30)


@dataclass
class Write:
    table: str
    row: str
    field: str
    value: object
    change_id: str
    past: frozenset[str]


@dataclass
class Model:
    world: World
    knows: dict[str, set[str]] = field(default_factory=dict)
    writes: list[Write] = field(default_factory=list)
    past: dict[str, frozenset[str]] = field(default_factory=dict)
    up: list[tuple[str, bytes]] = field(default_factory=list)  # bundles on their way to HQ
    down: list[tuple[str, bytes]] = field(default_factory=list)  # replies on their way back
    counter: int = 0

    def _last_n(self, name: str) -> int:
        with self.world[name].engine.connect() as conn:
            return conn.exec_driver_sql("SELECT coalesce(max(n), 0) FROM sync_change").scalar()

    def _record_local(self, name: str, after: int) -> None:
        knows = self.knows.setdefault(name, set())
        with self.world[name].engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT change_id, tbl, row_id, fields FROM sync_change "
                "WHERE n > ? AND origin IS NULL ORDER BY n",
                (after,),
            ).fetchall()
        for cid, tbl, row, fields in rows:
            past = frozenset(knows)
            self.past[cid] = past
            for f, v in json.loads(fields).items():
                if tbl == "person" and f in FIELDS:
                    self.writes.append(Write(tbl, row, f, v, cid, past))
            knows.add(cid)

    def _record_remote(self, name: str, after: int) -> None:
        knows = self.knows.setdefault(name, set())
        with self.world[name].engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT change_id FROM sync_change WHERE n > ? AND origin IS NOT NULL", (after,)
            ).fetchall()
        for (cid,) in rows:
            knows.add(cid)
            knows |= self.past.get(cid, frozenset())

    def _pick(self, name: str, k: int):
        reg = self.world[name]
        alive = persons.list(reg, where=lambda m: m.stronghold_code == reg.stronghold_code)
        return alive[k % len(alive)] if alive else None

    def run(self, step: tuple) -> None:
        kind, *args = step
        if kind in ("create", "edit", "sql", "delete"):
            name = args[0]
            reg = self.world[name]
            before = self._last_n(name)
            if kind == "create":
                self.counter += 1
                persons.create(
                    reg,
                    surname=f"Sinov{self.counter}",
                    given_name="Ali",
                    birth_date="02.02.1992",
                    sex="m",
                )
            else:
                p = self._pick(name, args[1])
                if p is None:
                    return
                if kind == "edit":
                    persons.update(reg, p.id, **{args[2]: args[3]})
                elif kind == "sql":
                    with reg.write_engine.begin() as conn:
                        conn.exec_driver_sql(
                            "UPDATE person SET notes = ? WHERE id = ?", (args[2], p.id.hex)
                        )
                else:
                    persons.close(reg, p.id)
            self._record_local(name, before)
        elif kind == "export":
            self.up.append((args[0], device.export_bundle(self.world[args[0]]).data))
        elif kind == "to_hq" and self.up:
            name, data = self.up[args[0] % len(self.up)]  # stays: it may come again
            try:
                result = ingest.ingest(self.world.hq, data)
            except BundleRefused:
                return
            self.down.append((name, result.reply))
        elif kind == "to_device" and self.down:
            name, data = self.down[args[0] % len(self.down)]
            self.deliver(name, data)

    def deliver(self, name: str, data: bytes) -> None:
        before = self._last_n(name)
        try:
            device.import_reply(self.world[name], data)
        except BundleRefused:
            return
        self._record_remote(name, before)

    def final_round(self, rounds: int = 2) -> None:
        for _ in range(rounds):
            for name in NAMES:
                result = ingest.ingest(self.world.hq, device.export_bundle(self.world[name]).data)
                self.deliver(name, result.reply)

    # --- what must hold ---------------------------------------------------------------

    def check(self) -> None:
        hq_engine = self.world.hq.engine
        for name in NAMES:
            code = DEVICES[name].code
            assert rows_of(self.world[name].engine, code) == rows_of(hq_engine, code), name
        with hq_engine.connect() as conn:
            pending = {
                r[0]
                for name in NAMES
                for r in self.world[name]
                .engine.connect()
                .exec_driver_sql(
                    f"SELECT change_id FROM sync_change WHERE {device.PENDING} "
                    "AND tbl != 'audit_entry'"
                )
            }
            assert not pending, "changes never acknowledged"
            persons_at_hq = conn.exec_driver_sql(
                "SELECT count(*) FROM person WHERE surname LIKE 'Sinov%'"
            ).scalar()
            assert persons_at_hq == self.counter  # none lost, none doubled
            finals = {
                (r[0]): r[1:]
                for r in conn.exec_driver_sql(
                    "SELECT id, notes, workplace, street FROM person"
                ).fetchall()
            }
            losers: dict[tuple[str, str, str], set] = {}
            for t, row, f, loser in conn.exec_driver_sql(
                "SELECT tbl, row_id, field, loser_value FROM hq_conflict"
            ):
                losers.setdefault((t, row, f), set()).add(json.loads(loser))
        for name in NAMES:
            with self.world[name].engine.connect() as conn:
                for t, row, f, lv, rv, winner in conn.exec_driver_sql(
                    "SELECT tbl, row_id, field, local_value, remote_value, winner "
                    "FROM sync_conflict"
                ):
                    loser = rv if winner == "local" else lv
                    losers.setdefault((t, row, f), set()).add(json.loads(loser))
        for w in self.writes:
            later_saw_it = any(
                w.change_id in o.past
                for o in self.writes
                if (o.row, o.field) == (w.row, w.field) and o is not w
            )
            final = finals[w.row][FIELDS.index(w.field)]
            if later_saw_it or w.value == final:
                continue
            assert w.value in losers.get((w.table, w.row, w.field), set()), (
                f"{w.field}={w.value!r} of {w.row[:8]} was lost without a conflict record"
            )


def run_example(template: Path, target: Path, script: list[tuple]) -> Model:
    import shutil

    shutil.copytree(template, target)
    world = World.open(target)
    try:
        model = Model(world)
        for step in script:
            model.run(step)
        model.final_round()
        model.check()
        return model
    finally:
        world.close()
