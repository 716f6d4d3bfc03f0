"""No names, PINFLs, passports or addresses in log files, whatever the log level."""

from __future__ import annotations

import json
import logging
import zipfile

import pytest
from sqlmodel import select

from app.db import backup as backups
from app.db.register import Register
from app.domain import AuditEntry, Person
from app.errors import TayanchError
from app.services import audit, demo, users
from app.services.persons import persons
from app.services.queries import person_rows
from app.services.verify import verify
from tests.conftest import PASSWORD


@pytest.fixture
def debug_log(tmp_path):
    """Everything at DEBUG into a file, as a support person might switch on."""
    path = tmp_path / "tayanch.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    root.setLevel(old_level)
    handler.close()


def _personal_values(reg) -> set[str]:
    with reg.reading() as s:
        people = s.exec(select(Person)).all()
    values: set[str] = set()
    for p in people:
        for v in (p.surname, p.given_name, p.patronymic, p.pinfl, p.passport, p.phone, p.street):
            if v and len(v) >= 5:
                values.add(v)
    return values


def test_main_flows_at_debug_level_log_no_personal_data(staff_dir, tmp_path, debug_log):
    reg = Register.open(staff_dir, "inspector", PASSWORD)
    demo.generate(reg, persons=120, households=40, seed=3)
    first = persons.list(reg, limit=1)[0]
    persons.update(reg, first.id, street="Maxfiy koʻchasi", house="12")
    try:
        persons.create(
            reg,
            surname="Takrorov",
            given_name="Pinfl",
            birth_date="15.05.1990",
            sex="m",
            pinfl=first.pinfl or "31505901234567",
        )
    except TayanchError:
        pass
    person_rows(reg, limit=50)
    users.add_user(
        reg, "yangi", full_name="Yangi Xodimov", role="assistant", password="yangi parol 1"
    )
    audit.record_event(
        reg,
        "print",
        table="person",
        record_id=first.id,
        person_id=first.id,
        kind="supervision-card",
    )
    info = backups.backup(reg, tmp_path / "copy.tbak")
    assert verify(reg).ok
    secrets = _personal_values(reg)
    with reg.reading() as s:
        details = " ".join(e.details for e in s.exec(select(AuditEntry)).all())
    reg.close()
    for _ in range(2):
        try:
            Register.open(staff_dir, "Qodirov Anvar", "oops")
        except TayanchError:
            pass
    reg = backups.restore(staff_dir, info.path, "inspector", PASSWORD, confirm=lambda i: True)
    audit.query_entries(reg, audit.AuditFilter(person_id=first.id))
    reg.close()
    for handler in logging.getLogger().handlers:
        handler.flush()

    log_text = debug_log.read_text("utf-8")
    assert "backup written" in log_text and "restored" in log_text  # the log did fill
    assert len(secrets) > 100
    leaked = sorted(v for v in secrets if v in log_text)
    assert leaked == [], leaked[:5]
    assert not [v for v in secrets if v in details]
    for name in ("Maxfiy koʻchasi", "Yangi Xodimov", "Qodirov Anvar"):
        assert name not in log_text
    # Files beside the register that are not encrypted hold no personal data either.
    for plain in (staff_dir / "login-attempts.json", staff_dir / "backup.json"):
        if plain.exists():
            text = plain.read_text("utf-8")
            assert "Qodirov" not in text and not [v for v in secrets if v in text]
    with zipfile.ZipFile(info.path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert set(manifest) >= {"created_at", "reason", "files"}
    assert not [v for v in secrets if v in json.dumps(manifest)]


def test_the_sql_engine_log_stays_quiet_when_debugging_is_switched_on(debug_log):
    """Statements' parameters are names and PINFLs: the engine logger never says them."""
    sa_logger = logging.getLogger("sqlalchemy")
    old = sa_logger.level
    sa_logger.setLevel(logging.DEBUG)
    try:
        assert not logging.getLogger("sqlalchemy.engine.Engine").isEnabledFor(logging.INFO)
        assert not logging.getLogger("sqlalchemy.pool").isEnabledFor(logging.INFO)
    finally:
        sa_logger.setLevel(old)
