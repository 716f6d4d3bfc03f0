"""Kill the register's writer with SIGKILL at random moments; check nothing is lost or broken.

Each run starts a writer process on one encrypted register. The writer creates, edits and
closes persons, audits prints, now and then changes its own password (re-wrapping the key
in keys.json) or writes a backup, and reports each commit on stdout. At a random moment
the writer gets SIGKILL. Then the register is opened again (with whichever password was
current) and checked: PRAGMA integrity_check, the audit chain, and that the newest audit
entry the writer reported as committed is there. Prints ``name: value unit`` lines; exits
non-zero on any failure.

    python bench/crash_writer.py [--runs 50] [--seed 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PASSWORDS = ("crash test pw A", "crash test pw B")
LOGIN = "inspector"


# --- the writer (runs in the child process) -------------------------------------------------


def writer(folder: Path, seed: int) -> None:
    from app.db import backup as backups
    from app.db.register import Register
    from app.errors import AuthError
    from app.services import audit, users
    from app.services.persons import persons

    reg = None
    for pw in PASSWORDS:
        try:
            reg = Register.open(folder, LOGIN, pw)
            password = pw
            break
        except AuthError:
            continue
    assert reg is not None, "no password opens the register"
    rng = random.Random(seed)
    print("ready", flush=True)
    ids = []
    n = 0
    while True:
        n += 1
        op = rng.random()
        if op < 0.5 or not ids:
            p = persons.create(
                reg,
                surname=f"Sinov{n}",
                given_name="Halokat",
                birth_date="07.07.1987",
                sex="m",
                notes="z" * rng.randint(0, 3000),
            )
            ids.append(p.id)
        elif op < 0.75:
            persons.update(reg, rng.choice(ids), notes=f"edit {n}")
        elif op < 0.85:
            persons.close(reg, ids.pop(rng.randrange(len(ids))))
        elif op < 0.95:
            audit.record_event(reg, "print", kind="supervision-card")
        elif op < 0.98:
            new = PASSWORDS[1] if password == PASSWORDS[0] else PASSWORDS[0]
            users.change_own_password(reg, password, new)
            password = new
        else:
            backups.write_backup(reg, folder / "backups" / f"crash-{n}.tbak", reason="daily")
        with reg.reading() as s:
            seq = max(e.seq for e in s.exec(_last_entries(reg.device_id)).all())
        print(f"committed {seq}", flush=True)


def _last_entries(device_id: str):
    from sqlmodel import select

    from app.domain.audit import AuditEntry

    return (
        select(AuditEntry)
        .where(AuditEntry.device_id == device_id)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    )


# --- the parent ----------------------------------------------------------------------------------


def check(folder: Path) -> tuple[list[str], int, float, bool]:
    """Open, check integrity and the chain; return problems, newest seq, open+check ms,
    and whether the cut-off session was noticed."""
    from app.db.register import Register
    from app.errors import AuthError
    from app.services import audit

    t0 = time.perf_counter()
    reg = None
    for pw in PASSWORDS:
        try:
            reg = Register.open(folder, LOGIN, pw)
            break
        except AuthError:
            continue
    if reg is None:
        return ["no password opens the register (keys.json lost its wrapping)"], 0, 0.0, False
    try:
        problems = reg.integrity_check()
        with reg.reading() as s:
            problems += [str(p) for p in audit.verify_chain(s)]
            newest = s.exec(_last_entries(reg.device_id)).first()
        ms = (time.perf_counter() - t0) * 1000
        return problems, newest.seq if newest else 0, ms, reg.unclean_shutdown
    finally:
        reg.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="folder to keep the register in (default: a temp folder)")
    ap.add_argument("--writer", help=argparse.SUPPRESS)
    ap.add_argument("--writer-seed", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.writer:
        writer(Path(args.writer), args.writer_seed)
        return 0

    from app.db.register import Register, StrongholdInfo

    logging.basicConfig(level=logging.ERROR)  # the notices of each reopen are expected
    rng = random.Random(args.seed)
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tayanch-crash-"))
    folder = base / "register"
    shutil.rmtree(folder, ignore_errors=True)
    reg, _ = Register.create(
        folder,
        StrongholdInfo(code="TP-CRASH", name="Crash bench"),
        login=LOGIN,
        full_name="Sinov Inspektor",
        password=PASSWORDS[0],
    )
    reg.close()

    failures: list[str] = []
    lost = 0
    unclean = 0
    commits_per_run: list[int] = []
    open_ms: list[float] = []
    started = time.perf_counter()
    for run in range(args.runs):
        proc = subprocess.Popen(
            [sys.executable, __file__, "--writer", str(folder), "--writer-seed", str(run)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        line = proc.stdout.readline()
        if line.strip() != "ready":
            failures.append(f"run {run}: writer did not start: {proc.stderr.read()[-300:]}")
            proc.kill()
            proc.wait()
            continue
        deadline = time.monotonic() + rng.uniform(0.02, 1.5)
        committed = 0
        confirmed = 0
        while time.monotonic() < deadline:
            ready, _, _ = select.select(
                [proc.stdout], [], [], max(0.0, deadline - time.monotonic())
            )
            if ready:
                out = proc.stdout.readline()
                if out.startswith("committed"):
                    confirmed = int(out.split()[1])
                    committed += 1
                elif not out:
                    break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        rest = proc.stdout.read()  # lines written just before the kill are commits too
        for out in rest.splitlines():
            if out.startswith("committed"):
                confirmed = int(out.split()[1])
                committed += 1
        commits_per_run.append(committed)
        problems, newest, ms, noticed = check(folder)
        open_ms.append(ms)
        unclean += noticed
        if newest < confirmed:
            lost += 1
            problems.append(f"newest audit entry {newest} < committed {confirmed}")
        for p in problems:
            failures.append(f"run {run}: {p}")
    elapsed = time.perf_counter() - started
    temp_left = len(list(folder.rglob(".tayanch-backup-*"))) + len(list(folder.glob(".keys*")))

    print(f"crash_runs: {args.runs} runs")
    print(f"crash_failures: {len(failures)} count")
    print(f"crash_lost_commits: {lost} runs")
    print(f"crash_commits_before_kill_mean: {statistics.mean(commits_per_run or [0]):.1f} commits")
    print(f"crash_commits_total: {sum(commits_per_run)} commits")
    print(f"crash_cut_sessions_noticed: {unclean} runs")
    print(f"crash_reopen_check_mean: {statistics.mean(open_ms or [0]):.0f} ms")
    print(f"crash_reopen_check_max: {max(open_ms or [0]):.0f} ms")
    print(f"crash_leftover_temp_files: {temp_left} files")
    print(f"crash_elapsed: {elapsed:.1f} s")
    for f in failures[:20]:
        print("FAIL", f, file=sys.stderr)
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
