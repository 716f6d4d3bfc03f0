"""Fixtures shared by all tests: real encrypted registers in temporary folders.

Creating a register costs about half a second (Argon2id by design), so one template is
made per session and copied for each test that needs a fresh one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.db.register import Register, StrongholdInfo  # noqa: E402

PASSWORD = "correct horse"
STRONGHOLD = StrongholdInfo(
    code="TP-0999",
    name="Sinov tayanch punkti",
    region="Toshkent shahri",
    district="Sinov tumani",
    makhalla="Sinov MFY",
)


@pytest.fixture(scope="session")
def _template_register(tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("template") / "register"
    reg, recovery = Register.create(
        folder,
        STRONGHOLD,
        login="inspector",
        full_name="Sinov Inspektor",
        password=PASSWORD,
        position="Profilaktika inspektori",
    )
    reg.checkpoint()
    reg.close()
    return folder, recovery


@pytest.fixture
def register_dir(_template_register, tmp_path) -> Path:
    """A fresh, closed register folder (login 'inspector', password PASSWORD)."""
    target = tmp_path / "register"
    shutil.copytree(_template_register[0], target)
    return target


@pytest.fixture
def recovery_key(_template_register) -> str:
    return _template_register[1]


@pytest.fixture
def reg(register_dir):
    """A fresh register, open as its inspector."""
    r = Register.open(register_dir, "inspector", PASSWORD)
    yield r
    r.close()


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory) -> Path:
    from app.services import demo

    folder = tmp_path_factory.mktemp("demo") / "register"
    reg, _ = Register.create(
        folder,
        StrongholdInfo(**demo.DEMO_STRONGHOLD),
        login="demo",
        full_name="Demo Inspektor",
        password=PASSWORD,
    )
    demo.generate(reg, persons=600, households=200, seed=7)
    reg.checkpoint()
    reg.close()
    return folder


@pytest.fixture
def demo_dir(_demo_template, tmp_path) -> Path:
    """A fresh copy of a small demo register (600 persons; login 'demo')."""
    target = tmp_path / "demo"
    shutil.copytree(_demo_template, target)
    return target
