"""The `tayanch` command as scripts use it: exit codes, one-line refusals, no changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.db.register import db_path, register_exists
from tests.conftest import PASSWORD


def tayanch(
    *args: str, password: str | None = PASSWORD, user: str | None = None, stdin: str = ""
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAYANCH_")}
    if password is not None:
        env["TAYANCH_PASSWORD"] = password
    if user is not None:
        env["TAYANCH_USER"] = user
    # English messages: the default language (uz-Latn) is translated now.
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "--lang", "en", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
    )


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture(scope="module")
def demo_cli_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "D"
    out = tayanch("--data-dir", str(folder), "demo", "--persons", "300", "--households", "90")
    assert out.returncode == 0, out.stderr
    assert "Recovery key" in out.stdout
    return folder


def test_demo_then_verify(demo_cli_dir):
    out = tayanch("--data-dir", str(demo_cli_dir), "verify")
    assert out.returncode == 0, out.stderr
    assert "verified" in out.stdout
    assert not db_path(demo_cli_dir).read_bytes().startswith(b"SQLite format 3")


def test_wrong_password_exits_1_with_one_line(demo_cli_dir):
    out = tayanch("--data-dir", str(demo_cli_dir), "verify", password="nope")
    assert out.returncode == 1
    assert "password" in one_line(out.stderr).lower()


def test_no_password_and_no_terminal_says_what_to_do(demo_cli_dir):
    out = tayanch("--data-dir", str(demo_cli_dir), "list", "persons", password=None)
    assert out.returncode == 1
    assert "TAYANCH_PASSWORD" in one_line(out.stderr)


def test_init_into_an_existing_register_changes_nothing(demo_cli_dir):
    before = db_path(demo_cli_dir).read_bytes()
    keys_before = (demo_cli_dir / "keys.json").read_bytes()
    out = tayanch(
        "--data-dir",
        str(demo_cli_dir),
        "init",
        "--stronghold",
        "TP-1",
        "--name",
        "N",
        "--region",
        "R",
        "--district",
        "D",
        "--makhalla",
        "M",
        "--user",
        "u",
        "--full-name",
        "F",
    )
    assert out.returncode == 1
    assert "already exists" in one_line(out.stderr)
    assert db_path(demo_cli_dir).read_bytes() == before
    assert (demo_cli_dir / "keys.json").read_bytes() == keys_before


def test_init_creates_a_register_that_opens(tmp_path):
    folder = tmp_path / "new"
    out = tayanch(
        "--data-dir",
        str(folder),
        "init",
        "--stronghold",
        "TP-0456",
        "--name",
        "Lola MFY tayanch punkti",
        "--region",
        "Samarqand viloyati",
        "--district",
        "Urgut tumani",
        "--makhalla",
        "Lola MFY",
        "--user",
        "aziz",
        "--full-name",
        "Aziz Karimov",
    )
    assert out.returncode == 0, out.stderr
    out = tayanch("--data-dir", str(folder), "list", "persons", "--json")
    assert out.returncode == 0 and json.loads(out.stdout) == []


def test_init_refuses_a_stronghold_code_hq_would_refuse(tmp_path):
    folder = tmp_path / "new"
    args = ["--name", "N", "--region", "R", "--district", "D", "--makhalla", "M"]
    out = tayanch(
        "--data-dir", str(folder), "init", "--stronghold", "TP 0456", *args,
        "--user", "aziz", "--full-name", "Aziz Karimov",
    )  # fmt: skip
    assert out.returncode == 1
    assert "1 to 16 Latin letters, digits and hyphens" in one_line(out.stderr)
    assert not register_exists(folder)


def test_init_refuses_a_password_the_window_would_refuse(tmp_path):
    folder = tmp_path / "new"
    args = ["--stronghold", "TP-0456", "--name", "N", "--region", "R", "--district", "D"]
    out = tayanch(
        "--data-dir", str(folder), "init", *args, "--makhalla", "M",
        "--user", "aziz", "--full-name", "Aziz Karimov", password="qisqa",
    )  # fmt: skip
    assert out.returncode == 1
    assert "at least 8 characters" in one_line(out.stderr)
    assert not register_exists(folder)


def test_wrong_usage_exits_2(demo_cli_dir):
    out = tayanch("--data-dir", str(demo_cli_dir), "list", "planets")
    assert out.returncode == 2


def test_list_and_person_show(demo_cli_dir):
    out = tayanch("--data-dir", str(demo_cli_dir), "list", "registers", "--limit", "5", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert len(rows) == 5 and all("id" in r for r in rows)
    person_id = rows[0]["person_id"]
    out = tayanch("--data-dir", str(demo_cli_dir), "person", "show", person_id, "--json")
    assert out.returncode == 0, out.stderr
    card = json.loads(out.stdout)
    assert card["id"] == person_id and card["registers"]
    out = tayanch("--data-dir", str(demo_cli_dir), "person", "show", person_id)
    assert card["surname"] in out.stdout
    for what in ("persons", "visits", "disputes", "orders", "measures", "offences", "documents"):
        out = tayanch("--data-dir", str(demo_cli_dir), "list", what, "--limit", "2", "--json")
        assert out.returncode == 0, (what, out.stderr)


def test_unknown_person_exits_1(demo_cli_dir):
    out = tayanch("--data-dir", str(demo_cli_dir), "person", "show", "not-an-id")
    assert out.returncode == 1
    assert "not-an-id" in one_line(out.stderr)


def test_verify_catches_an_edited_audit_entry(demo_cli_dir, tmp_path):
    import shutil

    from sqlalchemy import text

    from app.db.register import Register

    copy = tmp_path / "copy"
    shutil.copytree(demo_cli_dir, copy)
    reg = Register.open(copy, "demo", PASSWORD)
    with reg.write_engine.begin() as conn:
        conn.execute(text("update audit_entry set action='print' where seq=1"))
    reg.close()
    out = tayanch("--data-dir", str(copy), "verify")
    assert out.returncode == 1
    assert "edited" in out.stderr


def test_print_refusals_write_no_file(demo_cli_dir, tmp_path):
    out_pdf = tmp_path / "x.pdf"
    cases = [
        ("print", "no-such-kind", "00000000-0000-0000-0000-000000000000"),
        ("print", "visit-act", "00000000-0000-0000-0000-000000000000"),
        ("print", "visit-act", "garbage"),
    ]
    for args in cases:
        out = tayanch("--data-dir", str(demo_cli_dir), *args, "--out", str(out_pdf))
        assert out.returncode == 1, args
        one_line(out.stderr)
        assert not out_pdf.exists()
    out = tayanch(
        "--data-dir",
        str(demo_cli_dir),
        "report",
        "monthly",
        "--month",
        "2026-13",
        "--out",
        str(out_pdf),
    )
    assert out.returncode == 1 and "YYYY-MM" in one_line(out.stderr)
    assert not out_pdf.exists()


def test_print_and_monthly_report_write_pdfs(demo_cli_dir, tmp_path):
    visit = json.loads(
        tayanch("--data-dir", str(demo_cli_dir), "list", "visits", "--limit", "1", "--json").stdout
    )[0]["id"]
    out = tayanch(
        "--data-dir",
        str(demo_cli_dir),
        "print",
        "visit-act",
        visit,
        "--out",
        str(tmp_path / "act.pdf"),
        "--lang",
        "uz-Cyrl",
    )
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "act.pdf").read_bytes().startswith(b"%PDF")
    out = tayanch(
        "--data-dir",
        str(demo_cli_dir),
        "report",
        "monthly",
        "--month",
        "2026-11",
        "--out",
        str(tmp_path / "m.pdf"),
        "--lang",
        "ru",
    )
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "m.pdf").stat().st_size > 1000


def test_a_reader_that_stops_early_gets_no_complaint(demo_cli_dir):
    """`tayanch list persons | head -1`: the reader closes the pipe; nothing more is said."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAYANCH_")}
    env["TAYANCH_PASSWORD"] = PASSWORD
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--lang", "en", "--data-dir", str(demo_cli_dir)]
        + ["list", "persons", "--limit", "300", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10)  # the first bytes, then the reader goes away
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Broken pipe" not in err and "Traceback" not in err, err
