"""`tayanch hq ...` and `tayanch sync ...` as a user types them: good input, bad input,
exit codes, one line on stderr, and nothing changed when refused."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.cli import main
from app.hq import admin
from app.i18n import DEFAULT_LANGUAGE, set_language
from app.services.households import households, visits
from app.services.persons import persons
from tests.sync.world import LOGINS, PASSWORD, S1, S2, fingerprint


@pytest.fixture
def backend() -> str:
    return "sqlite"


def run(capsys, *args: str) -> tuple[int, str, str]:
    """Run the command in English (the messages checked here), then restore the default."""
    try:
        code = main(["--lang", "en", *(str(a) for a in args)])
    finally:
        set_language(DEFAULT_LANGUAGE)
    out = capsys.readouterr()
    return code, out.out, out.err


def refused(capsys, *args: str) -> str:
    code, out, err = run(capsys, *args)
    assert code == 1, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tayanch: "), err
    return lines[0]


def test_hq_setup_commands(tmp_path, capsys):
    hq = tmp_path / "hq"
    code, out, _ = run(capsys, "--data-dir", hq, "hq", "init", "--name", "Sinov IIB")
    assert code == 0 and out.startswith("Headquarters “Sinov IIB” created in")
    code, out, _ = run(capsys, "--data-dir", tmp_path / "unnamed", "hq", "init")
    assert code == 0 and out.startswith("Headquarters created in") and "“”" not in out
    assert oct((hq / "hq-keys.json").stat().st_mode & 0o777) == "0o600"
    assert oct((hq / "hq.db").stat().st_mode & 0o777) == "0o600"
    assert "already" in refused(capsys, "--data-dir", hq, "hq", "init")
    assert refused(capsys, "--data-dir", hq, "hq", "stronghold", "add", "bad code!", "--name", "x")
    assert (
        run(capsys, "--data-dir", hq, "hq", "stronghold", "add", "TP-7", "--name", "Yetti")[0] == 0
    )
    assert "already" in refused(
        capsys, "--data-dir", hq, "hq", "stronghold", "add", "TP-7", "--name", "x"
    )
    assert "TP-8" in refused(capsys, "--data-dir", hq, "hq", "enroll-code", "TP-8")
    code, out, _ = run(capsys, "--data-dir", hq, "hq", "enroll-code", "TP-7")
    assert code == 0 and len(out.strip().split("-")) == 4
    # A port another program holds: one line, exit 1 (not uvicorn's English and exit 3).
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        said = refused(capsys, "--data-dir", hq, "hq", "serve", "--port", port)
    assert f"Port {port} on 127.0.0.1 is already in use" in said
    code, out, _ = run(capsys, "--data-dir", hq, "hq", "export-key", "--out", tmp_path / "k.json")
    key = json.loads((tmp_path / "k.json").read_text())
    assert key["kind"] == "tayanch-hq-key" and "sign_seed" not in key and "box_secret" not in key
    refused(capsys, "--data-dir", hq, "hq", "export-key", "--out", tmp_path / "no" / "k.json")
    # An older copy of the same key is replaced; any other file is not, nor a folder.
    assert run(capsys, "--data-dir", hq, "hq", "export-key", "--out", tmp_path / "k.json")[0] == 0
    sheet = tmp_path / "persons.csv"
    sheet.write_text("Familiya;Ism\n")
    said = refused(capsys, "--data-dir", hq, "hq", "export-key", "--out", sheet)
    assert "not this headquarters' key file" in said and sheet.read_text() == "Familiya;Ism\n"
    assert "is a folder" in refused(capsys, "--data-dir", hq, "hq", "export-key", "--out", tmp_path)
    code, out, _ = run(capsys, "--data-dir", hq, "hq", "stronghold", "list", "--json")
    assert [s["code"] for s in json.loads(out)] == ["TP-7"]
    assert "No headquarters" in refused(capsys, "--data-dir", tmp_path / "none", "hq", "devices")
    assert refused(capsys, "--data-dir", hq, "hq", "init", "--db", "mysql://x")


def test_usb_exchange_through_the_commands(world, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TAYANCH_PASSWORD", PASSWORD)
    monkeypatch.setenv("TAYANCH_USER", LOGINS["a1"])
    world.hq.close()
    a1_dir, hq_dir = world.root / "a1", world.root / "hq"
    out_file = tmp_path / "stick.sync"
    reply = tmp_path / "reply.sync"
    reg = world["a1"]
    persons.create(reg, surname="Buyruqov", given_name="Ali", birth_date="01.01.1990", sex="m")
    reg.close()
    world.devices.clear()
    code, out, _ = run(capsys, "--data-dir", a1_dir, "sync", "export", "--out", out_file)
    assert code == 0 and out_file.exists() and "The bundle carries 1 change." in out
    # HQ: garbage is refused with one line and nothing changes.
    junk = tmp_path / "junk.sync"
    junk.write_bytes(b"PK\x03\x04 not a bundle")
    hq_engine = admin.open_hq(hq_dir).engine
    before = fingerprint(hq_engine)
    assert "not a Tayanch sync bundle" in refused(
        capsys, "--data-dir", hq_dir, "hq", "import", junk, "--reply", reply
    )
    assert fingerprint(hq_engine) == before and not reply.exists()
    code, out, _ = run(capsys, "--data-dir", hq_dir, "hq", "import", out_file, "--reply", reply)
    # The same count as the export's: the audit entries that travel along are not counted.
    assert code == 0 and "Applied. Changes accepted: 1;" in out and reply.exists()
    code, out, _ = run(capsys, "--data-dir", hq_dir, "hq", "import", out_file, "--reply", reply)
    assert code == 0 and "already applied" in out
    # Device: a truncated reply is refused whole; the real one applies; again is a no-op.
    cut = tmp_path / "cut.sync"
    cut.write_bytes(reply.read_bytes()[:-7])
    # Worded for the stronghold: the reply is made anew at the district office.
    said = refused(capsys, "--data-dir", a1_dir, "sync", "import", cut)
    assert "reply is incomplete" in said and "district office" in said
    code, out, _ = run(capsys, "--data-dir", a1_dir, "sync", "import", reply)
    assert code == 0 and "confirmed" in out
    code, out, _ = run(capsys, "--data-dir", a1_dir, "sync", "import", reply)
    assert code == 0 and "already applied" in out
    # Nothing new: a bundle is still worth carrying, and the export says why.
    code, out, _ = run(capsys, "--data-dir", a1_dir, "sync", "export", "--out", tmp_path)
    assert code == 0 and out.startswith("There is nothing new to send; the bundle asks")
    code, out, _ = run(capsys, "--data-dir", a1_dir, "sync", "status", "--json")
    st = json.loads(out)
    assert st["enrolled"] and st["pending"] == 0 and st["stronghold"] == S1.code
    code, out, _ = run(capsys, "--data-dir", a1_dir, "sync", "status")
    assert code == 0 and S1.code in out
    code, out, _ = run(capsys, "--data-dir", a1_dir, "sync", "conflicts", "--json")
    assert json.loads(out) == []
    refused(capsys, "--data-dir", a1_dir, "sync", "import", tmp_path / "missing.sync")
    refused(capsys, "--data-dir", a1_dir, "sync", "resolve", "nope", "--keep", "local")
    code, out, _ = run(capsys, "--data-dir", hq_dir, "hq", "devices", "--json")
    devices = json.loads(out)
    assert {d["stronghold_code"] for d in devices} == {S1.code, S2.code}
    device_id = next(d["device_id"] for d in devices if d["last_transport"] == "usb")
    # Each computer's number among its stronghold's, as its documents carry it.
    by_stronghold: dict[str, list[int]] = {}
    for d in devices:
        by_stronghold.setdefault(d["stronghold_code"], []).append(d["number"])
    assert all(sorted(n) == list(range(1, len(n) + 1)) for n in by_stronghold.values())
    code, out, _ = run(capsys, "--data-dir", hq_dir, "hq", "devices")
    line = next(x for x in out.splitlines() if device_id in x)
    number = next(d["number"] for d in devices if d["device_id"] == device_id)
    assert f" K{number} " in line
    assert refused(capsys, "--data-dir", hq_dir, "hq", "revoke", "zz")
    code, out, _ = run(capsys, "--data-dir", hq_dir, "hq", "revoke", device_id[:12])
    assert code == 0 and device_id in out
    # Its next stick is refused with a sentence for HQ's operator, not the stronghold's.
    later = tmp_path / "later.sync"
    assert run(capsys, "--data-dir", a1_dir, "sync", "export", "--out", later)[0] == 0
    said = refused(capsys, "--data-dir", hq_dir, "hq", "import", later, "--reply", tmp_path)
    assert "access was revoked" in said and "enroll-code" in said
    # A computer by its number, as 'hq devices' and its documents show it: K1 alone is
    # ambiguous (both strongholds have one); with the stronghold it is not.
    assert "TP-0101/K1" in refused(capsys, "--data-dir", hq_dir, "hq", "revoke", "K1")
    b1 = next(d["device_id"] for d in devices if d["stronghold_code"] == S2.code)
    code, out, _ = run(capsys, "--data-dir", hq_dir, "hq", "revoke", f"{S2.code}/K1")
    assert code == 0 and b1 in out
    assert refused(capsys, "--data-dir", hq_dir, "hq", "revoke", f"{S2.code}/K7")
    # A stronghold without a computer is listed too, and says so.
    run(capsys, "--data-dir", hq_dir, "hq", "stronghold", "add", "TP-0909", "--name", "Yangi")
    code, out, _ = run(capsys, "--data-dir", hq_dir, "hq", "devices")
    lines = out.splitlines()
    at = lines.index("TP-0909  Yangi")
    assert lines[at + 1].strip() == "no computer enrolled yet"
    assert lines[0].startswith(S1.code) and any(b1 in x and "revoked" in x for x in lines)
    hq_engine.dispose()


def test_enrol_commands_refuse_bad_input(world, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TAYANCH_PASSWORD", PASSWORD)
    monkeypatch.setenv("TAYANCH_USER", LOGINS["a1"])
    world.devices.clear()
    key = tmp_path / "hq.key"
    key.write_bytes(admin.export_key(world.hq))
    a1 = world.root / "a1"
    assert "already enrolled" in refused(
        capsys,
        "--data-dir",
        a1,
        "sync",
        "enroll",
        "--hq-key",
        key,
        "--code",
        admin.new_enrolment_code(world.hq, S1.code),
    )
    bad = tmp_path / "bad.key"
    bad.write_text('{"kind": "something else"}')
    assert "not a headquarters key" in refused(
        capsys,
        "--data-dir",
        a1,
        "sync",
        "enroll",
        "--hq-key",
        bad,
        "--code",
        "AAAAA-AAAAA-AAAAA-AAAAA",
    )
    with pytest.raises(SystemExit) as usage:
        run(capsys, "--data-dir", a1, "sync", "enroll", "--code", "x")
    assert usage.value.code == 2
    capsys.readouterr()
    assert "cannot be reached" in refused(
        capsys, "--data-dir", a1, "sync", "now", "--url", "http://127.0.0.1:9"
    )


def test_district_report(world, tmp_path, capsys):
    a1, b1 = world["a1"], world["b1"]
    h = households.create(a1, street="Mustaqillik", house="3")
    visits.record(a1, household_id=h.id, visited_at=datetime(2026, 3, 10, 9, tzinfo=UTC))
    households.create(a1, street="Mustaqillik", house="5")
    persons.create(b1, surname="Hisobda", given_name="Ali", birth_date="01.01.1990", sex="m")
    world.settle(1, ("a1", "b1"))
    from app.hq import report

    summary = report.district_summary(world.hq, month=(2026, 3))
    by_code = {s.code: s for s in summary.strongholds}
    assert by_code[S1.code].visits == 1
    assert (by_code[S1.code].households_visited, by_code[S1.code].households) == (1, 2)
    assert [s.code for s in summary.without_offences] == [S1.code, S2.code]
    world.hq.close()
    out = tmp_path / "district.pdf"
    code, stdout, _ = run(
        capsys, "--data-dir", world.root / "hq", "hq", "report", "--out", out, "--month", "2026-03"
    )
    assert code == 0 and out.exists()
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(out.read_bytes())).pages)
    flat = "".join(text.split())
    assert "".join(S1.name.split()) in flat and "".join(S2.name.split()) in flat
    assert "03.2026" in text
    assert "YYYY-MM" in refused(
        capsys, "--data-dir", world.root / "hq", "hq", "report", "--out", out, "--month", "2026-13"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_hq_serve_runs_uvicorn(tmp_path):
    hq_dir = tmp_path / "hq"
    admin.init_hq(hq_dir).close()
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "--data-dir",
            str(hq_dir),
            "hq",
            "serve",
            "--port",
            str(port),
            "--sync-threads",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=2) as r:
                    assert json.loads(r.read())["status"] == "ok"
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(proc.stderr.read().decode()[-2000:]) from None
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=5) as r:
            assert "/v1/sync" in json.loads(r.read())["paths"]
        # The API pages work without the internet: their scripts come from the service.
        for page in ("/docs", "/redoc"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=5) as r:
                html = r.read().decode()
            assert "https://" not in html and "http://" not in html, page
            assets = re.findall(r'(?:src|href)="(/[^"]+\.(?:js|css))"', html)
            assert any(a.endswith(".js") for a in assets), html
            for asset in assets:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{asset}", timeout=5) as r:
                    assert r.status == 200 and len(r.read()) > 10_000, asset
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def test_export_refused_when_not_enrolled_changes_nothing(tmp_path, capsys, monkeypatch):
    from tests.sync.world import new_register

    reg = new_register(tmp_path / "lonely", S1, "yolgiz")
    reg.close()
    monkeypatch.setenv("TAYANCH_PASSWORD", PASSWORD)
    out = tmp_path / "x.sync"
    assert "not enrolled" in refused(
        capsys, "--data-dir", tmp_path / "lonely", "sync", "export", "--out", out
    )
    assert not out.exists()
