"""Crash safety of sync imports: SIGKILL at random moments, then check and finish.

Each run copies a prepared state, starts the real command in a child process
(`tayanch hq import BUNDLE --reply OUT` at HQ, or `tayanch sync import REPLY` on a
computer receiving a 5,000-person snapshot), kills it with SIGKILL after a random delay,
then checks that
  - the database opens and passes its integrity check (`tayanch verify` on the device),
  - running the same import again completes (exit 0),
  - no change was lost and none doubled (counts, unique change ids, gap-free numbers).
Runs alternate between HQ and the device. Prints ``name: value unit`` lines.

    .venv/bin/python bench/sync_crash.py [--runs 40] [--persons 5000]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.db.register import Register, StrongholdInfo  # noqa: E402
from app.hq import admin, ingest  # noqa: E402
from app.sync import device  # noqa: E402

FAST_KDF = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}
CODE = "TP-0777"
PASSWORD = "crash sinovi"


def cli(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def prepare(base: Path, persons: int) -> dict:
    """HQ, a computer with ``persons`` new persons and its bundle, and a fresh second
    computer of the same stronghold with the reply that brings it all of them."""
    hq = admin.init_hq(base / "hq")
    admin.add_stronghold(hq, CODE, name="Crash tayanch")
    info = StrongholdInfo(code=CODE, name="Crash tayanch")

    def new(name: str) -> Register:
        reg, _ = Register.create(
            base / name,
            info,
            login=name,
            full_name="Sinov Sinovov",
            password=PASSWORD,
            kdf=FAST_KDF,
        )
        device.start_enrolment(reg, hq.public_key(), admin.new_enrolment_code(hq, CODE))
        return reg

    a = new("a")
    device.import_reply(a, ingest.ingest(hq, device.export_bundle(a).data).reply)
    with a.write_engine.begin() as conn:
        now = "2026-02-01 09:00:00.000000"
        conn.exec_driver_sql(
            "INSERT INTO person (id, stronghold_code, created_at, updated_at, deleted, version, "
            "surname, given_name, patronymic, sex, phone, phone2, region, district, makhalla, "
            "street, house, flat, workplace, notes) VALUES "
            "(?, ?, ?, ?, 0, 1, ?, 'Ali', '', 'm', '', '', '', '', '', 'Navoiy', '1', '', '', '')",
            [(os.urandom(16).hex(), CODE, now, now, f"Sinov{i}") for i in range(persons)],
        )
    bundle = device.export_bundle(a).data
    (base / "bundle.sync").write_bytes(bundle)
    a.checkpoint()
    a.close()
    hq.close()
    shutil.copytree(base / "hq", base / "hq-before")  # HQ before the big bundle
    hq = admin.open_hq(base / "hq")
    ingest.ingest(hq, bundle)
    b = new("b")
    reply = ingest.ingest(hq, device.export_bundle(b).data).reply
    (base / "reply.sync").write_bytes(reply)
    b.checkpoint()
    b.close()
    hq.close()
    return {"persons": persons}


def hq_check(folder: Path, persons: int) -> tuple[bool, int, int]:
    """(database sound, changes lost, changes doubled) after the import completed."""
    hq = admin.open_hq(folder)
    try:
        with hq.engine.connect() as conn:
            ok = conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            ok = ok and not conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            n = conn.exec_driver_sql(
                "SELECT count(*) FROM person WHERE surname LIKE 'Sinov%'"
            ).scalar()
            logged = conn.exec_driver_sql(
                "SELECT count(*) FROM hq_change WHERE tbl = 'person'"
            ).scalar()
            doubled = conn.exec_driver_sql(
                "SELECT count(*) FROM (SELECT change_id FROM hq_change GROUP BY change_id "
                "HAVING count(*) > 1) AS d"
            ).scalar()
            seqs = [
                r[0] for r in conn.exec_driver_sql("SELECT server_seq FROM hq_change ORDER BY 1")
            ]
        gapless = seqs == list(range(1, len(seqs) + 1))
    finally:
        hq.close()
    return ok and gapless, max(0, persons - min(n, logged)), doubled + max(0, n - persons)


def device_check(folder: Path, persons: int, env: dict) -> tuple[bool, int, int]:
    verify = subprocess.run(
        [sys.executable, "-m", "app.cli", "--data-dir", str(folder), "verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
    )
    reg = Register.open(folder, "b", PASSWORD)
    try:
        with reg.engine.connect() as conn:
            n = conn.exec_driver_sql(
                "SELECT count(*) FROM person WHERE surname LIKE 'Sinov%'"
            ).scalar()
            doubled = conn.exec_driver_sql(
                "SELECT count(*) FROM (SELECT id FROM person GROUP BY id HAVING count(*) > 1)"
            ).scalar()
            state = device.load_state(conn)
    finally:
        reg.close()
    ok = verify.returncode == 0 and state is not None and state.cursor > 0
    return ok, max(0, persons - n), doubled + max(0, n - persons)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    base = Path(tempfile.mkdtemp(prefix="sync-crash-"))
    env = {**os.environ, "TAYANCH_PASSWORD": PASSWORD, "TAYANCH_USER": "b", "PYTHONPATH": str(ROOT)}
    try:
        prepare(base, args.persons)
        durations = {"hq": [], "device": []}
        # Calibrate: how long each import takes when left alone.
        for target in ("hq", "device"):
            run = base / f"calibrate-{target}"
            proc, _ = start(base, run, target, env)
            t = time.perf_counter()
            proc.wait()
            durations[target].append(time.perf_counter() - t)
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "app.cli", "--version"], cwd=ROOT, env=env, capture_output=True
        )
        startup = time.perf_counter() - t  # Python and the app loading, before any work
        killed = finished_first = sound = lost = doubled = redo_failed = 0
        for i in range(args.runs):
            target = "hq" if i % 2 == 0 else "device"
            run = base / f"run{i}"
            proc, folder = start(base, run, target, env)
            # Mostly inside the import itself (after start-up), now and then before it.
            time.sleep(rnd.uniform(startup * 0.8, max(durations[target]) * 1.05))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                killed += 1
            else:
                finished_first += 1
            proc.wait()
            again, _ = start(base, run, target, env, fresh=False)
            if again.wait() != 0:
                redo_failed += 1
                print(
                    f"# run {i} ({target}): import again failed: "
                    f"{again.stderr.read().decode()[-300:]}",
                    file=sys.stderr,
                )
            check = hq_check if target == "hq" else lambda f, p: device_check(f, p, env)
            ok, n_lost, n_doubled = check(folder, args.persons)
            sound += ok
            lost += n_lost
            doubled += n_doubled
            shutil.rmtree(run, ignore_errors=True)
        print(f"runs: {args.runs} runs")
        print(f"killed_mid_import: {killed} runs")
        print(f"finished_before_kill: {finished_first} runs")
        print(f"process_startup: {startup:.2f} s")
        print(f"import_time_hq: {durations['hq'][0]:.2f} s")
        print(f"import_time_device: {durations['device'][0]:.2f} s")
        print(f"sound_after_crash: {sound} runs")
        print(f"reimport_failed: {redo_failed} runs")
        print(f"changes_lost: {lost} changes")
        print(f"changes_doubled: {doubled} changes")
        ok = sound == args.runs and not lost and not doubled and not redo_failed
        print(f"all_passed: {int(ok)} bool")
        return 0 if ok else 1
    finally:
        shutil.rmtree(base, ignore_errors=True)


def start(base: Path, run: Path, target: str, env: dict, fresh: bool = True):
    if target == "hq":
        folder = run / "hq"
        if fresh:
            shutil.copytree(base / "hq-before", folder)
        proc = cli(
            "--data-dir",
            str(folder),
            "hq",
            "import",
            str(base / "bundle.sync"),
            "--reply",
            str(run / "reply.sync"),
            env=env,
        )
    else:
        folder = run / "b"
        if fresh:
            shutil.copytree(base / "b", folder)
        proc = cli("--data-dir", str(folder), "sync", "import", str(base / "reply.sync"), env=env)
    return proc, folder


if __name__ == "__main__":
    sys.exit(main())
