"""Search speed on 100,000 synthetic persons, beside a plain FTS5 query as the floor.

    .venv/bin/python bench/search_bench.py [--persons 100000] [--queries 1000]

Prints ``name: value unit`` lines. Target (issue 5): search p95 <= 20 ms over 1,000
mixed queries (Latin, Cyrillic, Russian spellings, prefixes, typos, PINFL, phone),
measured in-process through ``app.search.service.search`` on a real encrypted register
whose index the triggers filled while the persons were inserted in bulk. The floor is
one FTS5 MATCH of the same query's folded keys, LIMIT 20, with no ranking or fetching.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from people_gen import people, render  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from app.db.register import Register, StrongholdInfo  # noqa: E402
from app.domain.base import new_id, utcnow  # noqa: E402
from app.domain.person import Person  # noqa: E402
from app.search.service import _match_expression, parse_query, search  # noqa: E402

FAST_KDF = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}


def fill(reg: Register, n: int) -> tuple[list, float]:
    persons = people(n, seed=5)
    template = Person(surname="", given_name="")
    defaults = {c.name: getattr(template, c.name) for c in Person.__table__.columns}
    now = utcnow()
    rows = []
    for p in persons:
        row = dict(defaults)
        row.update(
            id=new_id(),
            stronghold_code=reg.stronghold_code,
            created_at=now,
            updated_at=now,
            surname=p.surname,
            given_name=p.given_name,
            patronymic=p.patronymic,
            birth_date=p.birth_date,
            sex=p.sex,
            pinfl=p.pinfl,
            passport=p.passport,
            phone=p.phone,
        )
        rows.append(row)
    started = time.perf_counter()
    with reg.write_engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert(Person.__table__), rows[i : i + 5000])
        conn.execute(text("INSERT INTO person_fts(person_fts) VALUES ('optimize')"))
    return persons, time.perf_counter() - started


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "change"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + rng.choice("aeiou") + word[i + 1 :]


def make_queries(persons: list, count: int) -> list[tuple[str, str]]:
    rng = random.Random(11)
    out = []
    kinds = (
        "latin",
        "cyrillic",
        "russian",
        "prefix",
        "two_words",
        "typo",
        "pinfl",
        "pinfl_prefix",
        "phone",
    )
    while len(out) < count:
        p = rng.choice(persons)
        surname, given = p.latin
        kind = kinds[len(out) % len(kinds)]
        if kind in ("latin", "cyrillic", "russian"):
            q = render(surname, kind, rng) + " " + render(given, kind, rng)
        elif kind == "prefix":
            q = surname[: rng.randint(3, 5)] + " " + given[:2]
        elif kind == "two_words":
            q = render(given, rng.choice(("latin", "cyrillic")), rng) + " " + surname
        elif kind == "typo":
            q = typo(surname, rng) + " " + given
        elif kind == "pinfl":
            if not p.pinfl:
                continue
            q = p.pinfl
        elif kind == "pinfl_prefix":
            if not p.pinfl:
                continue
            q = p.pinfl[:8]
        else:
            if not p.phone:
                continue
            q = f"{p.phone[4:6]} {p.phone[6:9]} {p.phone[9:11]} {p.phone[11:]}"
        out.append((kind, q))
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        reg, _ = Register.create(
            Path(tmp) / "r",
            StrongholdInfo(code="TP-0001", name="Bench"),
            login="bench",
            full_name="Bench",
            password="bench",
            kdf=FAST_KDF,
        )
        t0 = time.perf_counter()
        persons, insert_s = fill(reg, args.persons)
        print(f"persons: {args.persons} count")
        print(f"generate_persons: {t0 and (time.perf_counter() - t0 - insert_s):.1f} s")
        print(f"insert_with_index_triggers: {insert_s:.1f} s")
        queries = make_queries(persons, args.queries)
        for _kind, q in queries[:20]:
            search(reg, q)  # warm: first-use checks, vocabulary load, caches
        times: dict[str, list[float]] = {}
        cpu: list[float] = []
        found = 0
        for kind, q in queries:
            started, cpu_started = time.perf_counter(), time.process_time()
            hits = search(reg, q)
            times.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            found += bool(hits)
        floor = []
        with reg.engine.connect() as conn:
            for _kind, q in queries:
                expr = _match_expression(parse_query(q), prefix=True)
                started = time.perf_counter()
                conn.execute(
                    text("SELECT rowid FROM person_fts WHERE person_fts MATCH :q LIMIT 20"),
                    {"q": expr},
                ).all()
                floor.append((time.perf_counter() - started) * 1000)
        every = [t for ts in times.values() for t in ts]
        print(f"queries: {len(queries)} count")
        print(f"queries_with_results: {found / len(queries) * 100:.1f} %")
        print(f"search_p50: {statistics.median(every):.2f} ms")
        print(f"search_p95: {pct(every, 95):.2f} ms")
        print(f"search_max: {max(every):.2f} ms")
        # CPU time of the same calls: what the latency is on a machine nobody else loads
        print(f"search_cpu_p95: {pct(cpu, 95):.2f} ms")
        print(f"load_average_1min: {os.getloadavg()[0]:.1f}")
        print(f"fts5_floor_p50: {statistics.median(floor):.2f} ms")
        print(f"fts5_floor_p95: {pct(floor, 95):.2f} ms")
        for kind, ts in times.items():
            print(f"search_p95_{kind}: {pct(ts, 95):.2f} ms")
        reg.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
