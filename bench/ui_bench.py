"""Window figures on a big register: start to a usable window, opening a card, memory.

Issue 3 asks, on 100,000 persons and 1,000,000 visits: start to a usable main window
<= 2 s, opening a person's card <= 100 ms, resident memory <= 300 MB. This script makes
such a register once (bulk SQL through the keyed engine, about a minute; kept in
``--data`` for the next run), then starts the window in a child process as ``tayanch
gui`` does (interpreter start, imports, the unlock dialog, password, window, Today filled)
and prints ``name: value unit`` lines. It starts twice: with the password typed the moment
the dialog shows (the worst case: the model is still being imported behind the dialog),
and as a user types it (Unlock pressed once that import is done, which takes under a
second; the typing time itself is left out of the start figure). Not part of ``make
test``; ``make bench`` runs it.

    python bench/ui_bench.py [--data DIR] [--persons N] [--visits N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password"
LOGIN = "bench"
MARKER = "bench.json"


# --- the generator -----------------------------------------------------------------------


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def generate(folder: Path, *, persons: int, visits: int, seed: int = 1) -> dict[str, int]:
    """A big synthetic register, written with bulk inserts in a few transactions.

    Rows are complete (every replicated column), ids are UUIDv7 like the app's, names come
    from the demo name parts. Sync capture is switched off for the load (these rows stand
    for an old register whose changes HQ has long acknowledged); the search index triggers
    stay on, so search works on the result.
    """
    from app.db.register import Register, StrongholdInfo
    from app.domain.base import new_id, today_local
    from app.paths import resource_path
    from app.services import demo

    rng = random.Random(seed)
    names = json.loads(resource_path("data", "demo_names.json").read_text("utf-8"))
    reg, _recovery = Register.create(
        folder,
        StrongholdInfo(**demo.DEMO_STRONGHOLD),
        login=LOGIN,
        full_name="Bench Inspektor",
        password=PASSWORD,
    )
    code = reg.stronghold_code
    now = _ts(datetime.now(UTC))
    today = today_local()
    mk = demo.DEMO_STRONGHOLD["makhalla"]
    base = (code, now, now, 0, 1)  # stronghold_code, created_at, updated_at, deleted, version
    counts: dict[str, int] = {}

    def hexid() -> str:
        return new_id().hex

    households_n = max(1, persons // 3)
    street_names = [s[0] + " koʻchasi" for s in names["streets"]]
    homes = []
    per_street: dict[str, int] = {}
    for _ in range(households_n):
        street = rng.choice(street_names)
        per_street[street] = per_street.get(street, 0) + 1
        homes.append((hexid(), street, str(per_street[street]), rng.random() < 0.01))

    people = []
    members = []
    heads: dict[str, str] = {}
    for i in range(persons):
        home = homes[i % households_n]
        sex = "m" if rng.random() < 0.5 else "f"
        age = rng.randint(1, 85)
        birth = today - timedelta(days=age * 365 + rng.randint(0, 364))
        stem = rng.choice(names["surname_stems"])[0]
        surname = stem + ("ov" if sex == "m" else "ova")
        given = rng.choice(names["male_names" if sex == "m" else "female_names"])[0]
        father = rng.choice(names["male_names"])[0]
        patronymic = father + (" oʻgʻli" if sex == "m" else " qizi")
        pinfl = demo.fake_pinfl(rng, birth, sex)
        pid = hexid()
        people.append(
            (
                pid,
                *base,
                surname,
                given,
                patronymic,
                birth.isoformat(),
                sex,
                pinfl,
                None,
                "",
                "",
                demo.DEMO_STRONGHOLD["region"],
                demo.DEMO_STRONGHOLD["district"],
                mk,
                None,
                home[1],
                home[2],
                "",
                "",
                None,
                "",
            )
        )
        members.append((hexid(), *base, home[0], pid, ""))
        heads.setdefault(home[0], pid)

    entries = []
    check_ins = []
    cats = [
        "conditional_sentence",
        "parole",
        "non_custodial",
        "admin_supervision",
        "prev_released",
        "prev_repeat_admin",
        "prev_domestic_violence",
        "prev_alcohol_drugs",
        "prev_minor_at_risk",
        "prev_family_conflict",
    ]
    for k, person in enumerate(rng.sample(people, persons * 3 // 100)):
        eid = hexid()
        start = today - timedelta(days=rng.randint(30, 700))
        entries.append(
            (
                eid,
                *base,
                person[0],
                cats[k % len(cats)],
                "",
                "",
                None,
                "",
                start.isoformat(),
                None,
                "",
                rng.choice((7, 14, 30)),
                rng.choice(("low", "medium", "high")),
                reg.user.id.hex,
                "active",
                None,
                "",
                "",
            )
        )
        for j in range(10):
            at = datetime.combine(start + timedelta(days=j * 20), datetime.min.time(), UTC)
            check_ins.append(
                (
                    hexid(),
                    *base,
                    eid,
                    person[0],
                    _ts(at),
                    "home_visit",
                    "present",
                    "",
                    reg.user.id.hex,
                )
            )

    cols = {
        "household": "id, stronghold_code, created_at, updated_at, deleted, version, makhalla,"
        " makhalla_id, street, house, flat, head_person_id, conflict_family, notes",
        "person": "id, stronghold_code, created_at, updated_at, deleted, version, surname,"
        " given_name, patronymic, birth_date, sex, pinfl, passport, phone, phone2,"
        " region, district, makhalla, makhalla_id, street, house, flat, workplace,"
        " photo, notes",
        "household_member": "id, stronghold_code, created_at, updated_at, deleted, version,"
        " household_id, person_id, relation",
        "register_entry": "id, stronghold_code, created_at, updated_at, deleted, version,"
        " person_id, category, basis_body, basis_number, basis_date,"
        " basis_article, start_date, end_date, conditions,"
        " checkin_every_days, risk_level, responsible_id, status,"
        " removal_date, removal_reason, notes",
        "check_in": "id, stronghold_code, created_at, updated_at, deleted, version, entry_id,"
        " person_id, at, kind, result, notes, recorded_by_id",
        "household_visit": "id, stronghold_code, created_at, updated_at, deleted, version,"
        " household_id, visited_at, visitor_id, visitor_name,"
        " other_visitors, purpose, direction, findings, measures,"
        " next_visit_due",
        "visit_person": "id, stronghold_code, created_at, updated_at, deleted, version,"
        " visit_id, person_id",
    }

    def insert(conn, table: str, rows) -> int:
        names_ = cols[table]
        marks = ", ".join("?" for _ in names_.split(","))
        sql = f"INSERT INTO {table} ({names_}) VALUES ({marks})"
        n = 0
        chunk = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= 20_000:
                conn.exec_driver_sql(sql, chunk)
                n += len(chunk)
                chunk = []
        if chunk:
            conn.exec_driver_sql(sql, chunk)
            n += len(chunk)
        counts[table] = counts.get(table, 0) + n
        return n

    def capture(conn, on: bool) -> None:
        try:
            from app.sync.capture import set_capture
        except ImportError:
            return
        set_capture(conn, on)

    home_people: dict[str, list[str]] = {}
    for m in members:
        home_people.setdefault(m[6], []).append(m[7])
    with reg.write_engine.begin() as conn:
        capture(conn, False)
        insert(conn, "person", people)
        insert(
            conn,
            "household",
            (
                (h[0], *base, mk, None, h[1], h[2], "", heads.get(h[0]), int(h[3]), "")
                for h in homes
            ),
        )
        insert(conn, "household_member", members)
        insert(conn, "register_entry", entries)
        insert(conn, "check_in", check_ins)
        capture(conn, True)
    visitor = reg.user.id.hex
    span = 3 * 365 * 24 * 3600
    end = datetime.now(UTC)
    done = 0
    while done < visits:
        batch = min(100_000, visits - done)
        rows, met = [], []
        for _ in range(batch):
            home = homes[rng.randrange(households_n)][0]
            at = end - timedelta(seconds=rng.randrange(span))
            vid = hexid()
            rows.append(
                (
                    vid,
                    *base,
                    home,
                    _ts(at),
                    visitor,
                    "Bench Inspektor",
                    "",
                    "routine",
                    "public_order",
                    "Shikoyat yoʻq.",
                    "",
                    None,
                )
            )
            met.append((hexid(), *base, vid, rng.choice(home_people[home])))
        with reg.write_engine.begin() as conn:
            capture(conn, False)
            insert(conn, "household_visit", rows)
            insert(conn, "visit_person", met)
            capture(conn, True)
        done += batch
    reg.checkpoint()
    reg.close()
    (folder / MARKER).write_text(json.dumps(counts), "utf-8")
    return counts


# --- the child: a window as a user starts it -----------------------------------------------


def child(folder: Path, started: float, typed: bool) -> None:
    """Runs in a fresh interpreter the way ``tayanch gui`` starts: everything from here
    counts. The unlock dialog comes first; the password is typed either at once
    (``typed=False``: the worst case, the preloading not yet done) or by a user who takes
    at least as long as the preloading (``typed=True``), the usual case."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    import ui.cli  # noqa: F401 - what the tayanch command loads first
    from ui import app as ui_app
    from ui import errors, ops, style
    from ui.settings import UiSettings
    from ui.unlock import UnlockDialog

    app = ui_app.application()
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder / "qsettings")
    )
    errors.DIALOGS = False
    style.apply(app)
    preload = ui_app.Preloader().start()
    dialog = UnlockDialog(folder, last_login=LOGIN, before_open=preload.wait)
    dialog.show()
    app.processEvents()
    shown = time.time()
    mode = "typed" if typed else "immediate"
    print(f"start_to_unlock_dialog: {shown - started:.2f} s", flush=True)
    if typed:
        while not preload.done.is_set():
            app.processEvents()
            time.sleep(0.002)
        print(f"preload_while_typing: {time.time() - shown:.2f} s", flush=True)
    dialog.password.setText(PASSWORD)
    t_unlock = time.time()
    dialog.unlock()
    while dialog.register is None:
        app.processEvents()
        time.sleep(0.002)
        if dialog.register is None and dialog.password.isEnabled():  # refused
            raise SystemExit(f"unlock failed: {dialog.message.text()}")
    reg = dialog.register
    unlocked = time.time()
    window = ui_app.open_window(reg, UiSettings())
    window.resize(1366, 768)
    ready = []
    window.ready.connect(lambda: ready.append(time.time()))
    while not ready:
        app.processEvents()
        time.sleep(0.002)
    usable = ready[0]
    typing = t_unlock - shown
    print(f"unlock_to_usable_window_{mode}: {usable - t_unlock:.2f} s", flush=True)
    print(f"password_check_and_open_{mode}: {unlocked - t_unlock:.2f} s", flush=True)
    print(
        f"start_to_usable_window_{mode}: {usable - started - typing:.2f} s "
        f"(typing time left out: {typing:.2f} s)",
        flush=True,
    )
    if not typed:
        window.close()
        ops.wait_all()
        reg.close()
        return
    while not window.today.loaded():
        app.processEvents()
        time.sleep(0.002)
    print(f"unlock_to_today_complete: {time.time() - t_unlock:.2f} s", flush=True)

    page = window.go("persons")
    t0 = time.perf_counter()
    while page.model.total == 0 or page.model.row_at(0, fetch=False) is None:
        app.processEvents()
        time.sleep(0.001)
    print(f"persons_first_page: {(time.perf_counter() - t0) * 1000:.0f} ms", flush=True)
    print(f"persons_rows: {page.model.total} rows", flush=True)

    # Jump to the middle of the table, as a scroll bar drag does.
    t0 = time.perf_counter()
    middle = page.model.total // 2
    page.model.row_at(middle)
    while page.model.row_at(middle, fetch=False) is None:
        app.processEvents()
        time.sleep(0.001)
    print(f"persons_page_deep_in_table: {(time.perf_counter() - t0) * 1000:.0f} ms", flush=True)

    # Opening cards: through the window (worker, signal, filling every tab).
    rng = random.Random(2)
    rows = [page.model.row_at(i, fetch=False) for i in range(page.model.page_size)]
    ids = [r.id for r in rows if r is not None]
    times = []
    card = page.card
    for pid in rng.sample(ids, min(30, len(ids))):
        loaded = []
        card.card_loaded.connect(loaded.append)
        t0 = time.perf_counter()
        card.load(pid)
        while not loaded:
            app.processEvents()
            time.sleep(0.0005)
        times.append((time.perf_counter() - t0) * 1000)
        card.card_loaded.disconnect(loaded.append)
    times.sort()
    print(f"open_card_median: {statistics.median(times):.0f} ms", flush=True)
    print(f"open_card_p95: {times[int(len(times) * 0.95) - 1]:.0f} ms", flush=True)
    visits = [len(card.card.visits)]
    print(f"card_visits_shown: {visits[0]} visits", flush=True)

    for key in ("households", "disputes", "orders", "statistics", "settings", "today"):
        t0 = time.perf_counter()
        window.go(key)
        ops.process_until_idle(60)
        print(f"screen_{key}: {(time.perf_counter() - t0) * 1000:.0f} ms", flush=True)

    status = Path("/proc/self/status").read_text() if Path("/proc/self/status").exists() else ""
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            print(f"resident_memory: {int(line.split()[1]) / 1024:.0f} MB", flush=True)
        if line.startswith("VmHWM:"):
            print(f"resident_memory_peak: {int(line.split()[1]) / 1024:.0f} MB", flush=True)
    window.close()
    ops.wait_all()
    reg.close()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", type=Path, default=Path(tempfile.gettempdir()) / "tayanch-ui-bench"
    )
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--typed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.started, args.typed)
        sys.stdout.flush()
        # Leave without tearing Qt and the pools down object by object: the figures are
        # printed, and PySide can trip over its own wrappers at interpreter shutdown.
        os._exit(0)
    print(f"machine: {machine()}")
    folder: Path = args.data
    marker = folder / MARKER
    wanted = {"person": args.persons, "household_visit": args.visits}
    if marker.exists():
        have = json.loads(marker.read_text("utf-8"))
        if any(have.get(k) != v for k, v in wanted.items()):
            import shutil

            shutil.rmtree(folder)
    if not marker.exists():
        if folder.exists():
            import shutil

            shutil.rmtree(folder)
        t0 = time.perf_counter()
        counts = generate(folder, persons=args.persons, visits=args.visits)
        print(f"generate_register: {time.perf_counter() - t0:.0f} s")
        for table in ("person", "household", "household_visit", "visit_person"):
            print(f"rows_{table}: {counts.get(table, 0)} rows")
    size = sum(p.stat().st_size for p in folder.glob("register.db*"))
    print(f"register_file: {size / 1e6:.0f} MB")
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    # Twice: the password typed at once (worst case), then as a user types (the rest of the
    # figures come from that second, usual start).
    for typed in (False, True):
        started = time.time()
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(folder),
                "--started",
                str(started),
                *(["--typed"] if typed else []),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        for line in out.stdout.splitlines():
            print(line)
        if out.returncode != 0:
            print(out.stderr[-3000:], file=sys.stderr)
            return out.returncode
    print(f"load_average_1min: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
