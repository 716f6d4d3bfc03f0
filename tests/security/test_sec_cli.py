"""`tayanch backup|restore|users|audit` as scripts use them (run in-process for speed)."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from app.db.register import db_path
from app.i18n import current_language, set_language
from tests.conftest import PASSWORD
from tests.security.conftest import ASSISTANT_PASSWORD


@pytest.fixture
def cli(staff_dir, monkeypatch, capsys):
    """cli(*args, password=, user=, new_password=) -> (exit code, stdout, stderr)."""

    def run(*args, password=PASSWORD, user="inspector", new_password=None):
        for name in (
            "TAYANCH_PASSWORD",
            "TAYANCH_USER",
            "TAYANCH_NEW_PASSWORD",
            "TAYANCH_RECOVERY_KEY",
            "TAYANCH_DATA_DIR",
        ):
            monkeypatch.delenv(name, raising=False)
        if password is not None:
            monkeypatch.setenv("TAYANCH_PASSWORD", password)
        if user is not None:
            monkeypatch.setenv("TAYANCH_USER", user)
        if new_password is not None:
            monkeypatch.setenv("TAYANCH_NEW_PASSWORD", new_password)
        code = main(["--lang", "en", "--data-dir", str(staff_dir), *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    before = current_language()
    yield run
    set_language(before)  # --lang is process-wide; leave other tests their language


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_backup_and_restore_from_the_command_line(cli, staff_dir, tmp_path):
    out = tmp_path / "stick" / "register.tbak"
    code, stdout, _ = cli("backup", "--out", str(out))
    assert code == 0 and str(out) in stdout and out.exists()
    code, _, _ = cli(
        "users",
        "add",
        "yangi",
        "--full-name",
        "Yangi Xodim",
        "--role",
        "viewer",
        new_password="yangi parol 1",
    )
    assert code == 0
    before = db_path(staff_dir).read_bytes()
    code, _, err = cli("restore", str(out))  # no terminal to ask, and no --yes
    assert code == 1 and "--yes" in one_line(err)
    assert db_path(staff_dir).read_bytes() == before
    code, stdout, err = cli("restore", str(out), "--yes")
    assert code == 0, err
    assert "verifies" in stdout
    code, stdout, _ = cli("users", "list", "--json")
    assert "yangi" not in {u["login"] for u in json.loads(stdout)}
    code, stdout, _ = cli("backup", "--list", "--json")
    assert [b["reason"] for b in json.loads(stdout)] == ["pre-restore"]
    code, _, err = cli("restore", str(tmp_path / "missing.tbak"), "--yes")
    assert code == 1 and "not a Tayanch backup" in one_line(err)


def test_users_are_managed_by_the_inspector_only(cli):
    code, _, err = cli(
        "users",
        "add",
        "boshqa",
        "--full-name",
        "Boshqa Xodim",
        "--role",
        "viewer",
        user="yordamchi",
        password=ASSISTANT_PASSWORD,
        new_password="boshqa parol",
    )
    assert code == 1 and "role does not allow" in one_line(err)
    code, _, err = cli(
        "users",
        "add",
        "boshqa",
        "--full-name",
        "Boshqa Xodim",
        "--role",
        "viewer",
        new_password="short",
    )
    assert code == 1 and "8 characters" in one_line(err)
    code, stdout, _ = cli(
        "users",
        "add",
        "boshqa",
        "--full-name",
        "Boshqa Xodim",
        "--role",
        "viewer",
        new_password="boshqa parol",
    )
    assert code == 0 and "boshqa" in stdout
    code, _, _ = cli("users", "disable", "boshqa")
    assert code == 0
    code, _, err = cli("list", "persons", user="boshqa", password="boshqa parol")
    assert code == 1 and "disabled" in one_line(err)
    code, _, _ = cli("users", "reset", "boshqa", new_password="yana boshqa")
    assert code == 0
    code, _, _ = cli(
        "users", "passwd", user="boshqa", password="yana boshqa", new_password="oʻzimniki 1"
    )
    assert code == 0
    code, stdout, _ = cli("users", "list")
    assert "boshqa" in stdout and "viewer" in stdout


def test_the_audit_trail_and_the_back_off_from_the_command_line(cli):
    code, _, _ = cli("users", "role", "yordamchi", "inspector")
    assert code == 0
    for _ in range(5):
        code, _, err = cli("users", "list", password="wrong")
        assert code == 1 and "password" in one_line(err)
    code, _, err = cli("users", "list")
    assert code == 1 and "Wait" in one_line(err) and "seconds" in one_line(err)
    # Another inspector reads the trail: the five failures were written at its login.
    code, stdout, err = cli(
        "audit",
        "--action",
        "login_failed",
        "--user",
        "inspector",
        "--json",
        user="yordamchi",
        password=ASSISTANT_PASSWORD,
    )
    assert code == 0, err
    assert sorted(e["details"]["failures"] for e in json.loads(stdout)) == [1, 2, 3, 4, 5]
    code, stdout, _ = cli("audit", "--limit", "3", user="yordamchi", password=ASSISTANT_PASSWORD)
    assert code == 0 and "logged in" in stdout
    code, _, err = cli(
        "audit", "--from", "31.02.2026", user="yordamchi", password=ASSISTANT_PASSWORD
    )
    assert code == 1 and "dd.mm.yyyy" in one_line(err)
    code, _, err = cli("audit", user="kuzatuvchi", password="viewer pw 1")
    assert code == 1 and "role does not allow" in one_line(err)
