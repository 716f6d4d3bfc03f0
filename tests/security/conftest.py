"""Registers with one user of each role, copied per test from a session template.

The template is created with cheap Argon2id costs (``FAST_KDF``, a real parameter of
``Register.create`` that every later wrapping of that register inherits), so the many
logins these tests make take milliseconds; tests/core keeps the default costs covered.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.db.register import Register
from app.services import users
from tests.conftest import PASSWORD, STRONGHOLD

FAST_KDF = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}
ASSISTANT_PASSWORD = "assistant pw 1"
VIEWER_PASSWORD = "viewer pw 1"
PASSWORDS = {"inspector": PASSWORD, "yordamchi": ASSISTANT_PASSWORD, "kuzatuvchi": VIEWER_PASSWORD}


@pytest.fixture(scope="session")
def _staff_template(tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("staff") / "register"
    reg, recovery = Register.create(
        folder,
        STRONGHOLD,
        login="inspector",
        full_name="Sinov Inspektor",
        password=PASSWORD,
        position="Profilaktika inspektori",
        kdf=FAST_KDF,
    )
    with reg:
        users.add_user(
            reg,
            "yordamchi",
            full_name="Sinov Yordamchi",
            role="assistant",
            password=ASSISTANT_PASSWORD,
        )
        users.add_user(
            reg, "kuzatuvchi", full_name="Sinov Kuzatuvchi", role="viewer", password=VIEWER_PASSWORD
        )
        reg.checkpoint()
    (folder / "login-attempts.json").unlink(missing_ok=True)
    return folder, recovery


@pytest.fixture
def staff_dir(_staff_template, tmp_path) -> Path:
    """A closed register with users inspector, yordamchi (assistant), kuzatuvchi (viewer)."""
    target = tmp_path / "staff"
    shutil.copytree(_staff_template[0], target)
    return target


@pytest.fixture
def staff_recovery_key(_staff_template) -> str:
    return _staff_template[1]


@pytest.fixture
def open_as(staff_dir):
    """open_as(login) -> an open register as that user; all closed after the test."""
    opened: list[Register] = []

    def _open(login: str) -> Register:
        reg = Register.open(staff_dir, login, PASSWORDS[login])
        opened.append(reg)
        return reg

    yield _open
    for reg in opened:
        reg.close()


@pytest.fixture
def boss(open_as) -> Register:
    """The staff register, open as its inspector."""
    return open_as("inspector")
