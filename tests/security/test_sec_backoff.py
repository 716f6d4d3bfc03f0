"""Wrong passwords: free for the first few, then longer and longer waits, all audited."""

from __future__ import annotations

import json
import time

import pytest

from app.db.keys import ATTEMPTS_FILE, LoginBackoffError, backoff_seconds, login_wait_seconds
from app.db.register import Register
from app.errors import AuthError
from app.services import audit
from tests.conftest import PASSWORD


def _fail(folder, login="inspector", now=None, password="wrong password"):
    with pytest.raises(AuthError):
        Register.open(folder, login, password, now=now)


def test_the_waits_start_after_five_failures_and_double_up_to_a_limit():
    assert [backoff_seconds(n) for n in range(5)] == [0, 0, 0, 0, 0]
    assert [backoff_seconds(n) for n in (5, 6, 7)] == [30, 60, 120]
    assert backoff_seconds(50) == 15 * 60


def test_after_five_wrong_passwords_even_the_right_one_must_wait(staff_dir):
    t0 = time.time()
    for _ in range(4):
        _fail(staff_dir, now=t0)
    assert login_wait_seconds(staff_dir, "inspector", now=t0) == 0
    _fail(staff_dir, now=t0)
    assert login_wait_seconds(staff_dir, "inspector", now=t0) == pytest.approx(30)
    with pytest.raises(LoginBackoffError) as err:
        Register.open(staff_dir, "inspector", PASSWORD, now=t0 + 10)
    assert err.value.params["seconds"] == 20
    assert "20 seconds" in err.value.message("en")
    assert err.value.message("ru") and err.value.message("uz-Cyrl")
    # The others are not held up by one user's mistakes.
    Register.open(staff_dir, "kuzatuvchi", "viewer pw 1", now=t0 + 10).close()
    # The sixth failure doubles the wait.
    _fail(staff_dir, now=t0 + 31)
    assert login_wait_seconds(staff_dir, "inspector", now=t0 + 31) == pytest.approx(60)
    reg = Register.open(staff_dir, "inspector", PASSWORD, now=t0 + 92)
    assert login_wait_seconds(staff_dir, "inspector", now=t0 + 92) == 0
    failed = audit.query_entries(reg, audit.AuditFilter(actions=("login_failed",)))
    reg.close()
    assert sorted(e.details["failures"] for e in failed) == [1, 2, 3, 4, 5, 6]
    assert all(e.user_login == "inspector" for e in failed)
    assert max(e.details["wait_seconds"] for e in failed) == 60


def test_failures_are_audited_in_order_at_the_next_login_of_anyone(staff_dir):
    _fail(staff_dir, "yordamchi")
    _fail(staff_dir, "somebody-typed-this")
    reg = Register.open(staff_dir, "inspector", PASSWORD)
    with reg.reading() as s:
        assert audit.verify_chain(s) == []
    newest = audit.query_entries(reg, limit=3)
    reg.close()
    assert [e.action for e in reversed(newest)] == ["login_failed", "login_failed", "login"]
    assert newest[2].user_login == "yordamchi"
    assert newest[1].user_login == "" and newest[1].details["unknown_login"] is True
    # Queued failures are written once, not again at the next login.
    reg = Register.open(staff_dir, "inspector", PASSWORD)
    assert [e.action for e in audit.query_entries(reg, limit=2)] == ["login", "login"]
    reg.close()


def test_what_was_typed_as_a_login_is_not_kept_in_clear(staff_dir):
    _fail(staff_dir, "MyS3cretPassw0rd")
    raw = (staff_dir / ATTEMPTS_FILE).read_text("utf-8")
    assert "MyS3cretPassw0rd" not in raw and "mys3cretpassw0rd" not in raw
    assert json.loads(raw)["pending"][0]["login"].startswith("?")


def test_unlocking_the_window_counts_wrong_passwords_too(open_as, staff_dir):
    reg = open_as("yordamchi")
    t0 = time.time()
    for _ in range(5):
        with pytest.raises(AuthError):
            reg.unlock("not it", now=t0)
    assert reg.login_wait_seconds(now=t0) == pytest.approx(30)
    with pytest.raises(LoginBackoffError):
        reg.unlock("assistant pw 1", now=t0 + 1)
    reg.unlock("assistant pw 1", now=t0 + 30)
    reg.lock()
    actions = [e.action for e in audit.query_entries(open_as("inspector"), limit=8)]
    assert actions[:3] == ["login", "lock", "unlock"]
    assert actions.count("login_failed") == 5


def test_the_recovery_key_has_its_own_back_off(staff_dir, staff_recovery_key):
    t0 = time.time()
    for _ in range(5):
        with pytest.raises(AuthError):
            Register.open_with_recovery(staff_dir, "AAAAA-" * 7 + "AAAAA", now=t0)
    with pytest.raises(LoginBackoffError):
        Register.open_with_recovery(staff_dir, staff_recovery_key, now=t0 + 1)
    Register.open(staff_dir, "inspector", PASSWORD, now=t0 + 1).close()
    Register.open_with_recovery(staff_dir, staff_recovery_key, now=t0 + 31).close()


def test_a_role_change_reaches_an_open_window_at_unlock(open_as):
    from app.services import users
    from app.services.persons import persons

    viewer = open_as("kuzatuvchi")
    users.set_role(open_as("inspector"), "kuzatuvchi", "assistant")
    viewer.unlock("viewer pw 1")
    assert viewer.user.role == "assistant"
    persons.create(viewer, surname="Rolov", given_name="Yangi", birth_date="01.01.1990", sex="m")
