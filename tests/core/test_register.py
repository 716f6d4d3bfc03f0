"""The register file: encrypted at rest, opened only with the right password."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess

import pytest
from sqlalchemy import text

from app.db import migrate
from app.db.register import DamagedRegisterError, Register, db_path
from app.errors import AuthError, NoRegisterError, RegisterExistsError, SchemaTooNewError
from app.services.persons import persons
from tests.conftest import PASSWORD, STRONGHOLD


def test_file_is_encrypted_and_holds_no_clear_names(reg, register_dir):
    persons.create(
        reg,
        surname="Zulfiqorov",
        given_name="Baxtiyor",
        birth_date="02.03.1985",
        sex="m",
        pinfl="30203851234567",
    )
    reg.checkpoint()
    reg.close()
    raw = db_path(register_dir).read_bytes()
    assert not raw.startswith(b"SQLite format 3")
    assert b"Zulfiqorov" not in raw and "Zulfiqorov".encode("utf-16-le") not in raw
    assert b"30203851234567" not in raw
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(db_path(register_dir)).execute("select * from sqlite_master").fetchall()
    if shutil.which("sqlite3"):
        out = subprocess.run(
            ["sqlite3", str(db_path(register_dir)), ".tables"], capture_output=True, text=True
        )
        assert out.returncode != 0 or "person" not in out.stdout


def test_wrong_password_and_unknown_user_are_refused(register_dir):
    with pytest.raises(AuthError):
        Register.open(register_dir, "inspector", "wrong")
    with pytest.raises(AuthError):
        Register.open(register_dir, "nobody", PASSWORD)


def test_recovery_key_opens_the_register(register_dir, recovery_key):
    reg = Register.open_with_recovery(register_dir, recovery_key.lower().replace("-", " "))
    assert reg.user.login == "inspector"
    reg.close()
    with pytest.raises(AuthError):
        Register.open_with_recovery(register_dir, "AAAAA-" * 7 + "AAAAA")


def test_create_refuses_an_existing_register(register_dir):
    before = db_path(register_dir).read_bytes()
    with pytest.raises(RegisterExistsError):
        Register.create(register_dir, STRONGHOLD, login="x", full_name="X", password="x")
    assert db_path(register_dir).read_bytes() == before


def test_opening_a_missing_register_says_how_to_create_one(tmp_path):
    with pytest.raises(NoRegisterError) as err:
        Register.open(tmp_path / "none", "inspector", PASSWORD)
    assert "tayanch init" in err.value.message("en")


def test_a_damaged_file_is_reported_not_crashed(register_dir):
    path = db_path(register_dir)
    data = bytearray(path.read_bytes())
    data[0:4096] = b"\0" * 4096
    path.write_bytes(bytes(data))
    with pytest.raises(DamagedRegisterError):
        Register.open(register_dir, "inspector", PASSWORD)


def test_migrations_run_from_an_empty_file_to_head(reg):
    # HEAD lets a current register start without importing alembic: it must be the head.
    assert migrate.HEAD == migrate.head_revision()
    assert not migrate.needs_upgrade(reg.engine)
    with reg.engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
        indexes = {
            r[0] for r in conn.execute(text("select name from sqlite_master where type='index'"))
        }
    assert {"ix_household_visit_household_at", "ix_check_in_entry_at"} <= indexes
    with reg.engine.connect() as conn:
        tables = {
            r[0] for r in conn.execute(text("select name from sqlite_master where type='table'"))
        }
    for table in (
        "person",
        "register_entry",
        "household_visit",
        "protection_order",
        "offence_case",
        "issued_document",
        "audit_entry",
        "stronghold",
    ):
        assert table in tables


def test_migrations_match_the_models(reg):
    """A model change without a migration would break every existing register."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    with reg.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        # Virtual tables (the FTS5 search index) and their shadow tables are made by raw SQL
        # in their migration, not by the models.
        virtual = [
            r[0]
            for r in conn.execute(
                text("select name from sqlite_master where sql like 'CREATE VIRTUAL TABLE%'")
            )
        ]
    try:  # tables the search index makes by raw SQL beside its virtual tables
        from app.search.index import RAW_TABLES
    except ImportError:
        RAW_TABLES = ()
    diff = [
        d
        for d in diff
        if not (
            d[0] == "remove_table"
            and (
                d[1].name in RAW_TABLES
                or any(d[1].name == v or d[1].name.startswith(v + "_") for v in virtual)
            )
        )
    ]
    assert diff == []


def test_a_register_from_a_newer_app_is_refused(register_dir):
    reg = Register.open(register_dir, "inspector", PASSWORD)
    with reg.write_engine.begin() as conn:
        conn.execute(text("update alembic_version set version_num='9999_future'"))
    reg.close()
    with pytest.raises(SchemaTooNewError) as err:
        Register.open(register_dir, "inspector", PASSWORD)
    assert "newer version" in err.value.message("en")


def _mode(path) -> int:
    return path.stat().st_mode & 0o777


def test_the_register_files_are_its_owners_only(tmp_path):
    """register.db and its -wal and -shm hold the same as keys.json: owner-only, as HQ's."""
    import os

    folder = tmp_path / "new"
    old_umask = os.umask(0o022)  # the usual: files readable by everyone unless made otherwise
    try:
        reg, _recovery = Register.create(
            folder,
            STRONGHOLD,
            login="egasi",
            full_name="Ega Egayev",
            password=PASSWORD,
            kdf={"time_cost": 1, "memory_cost": 8192, "parallelism": 1},
        )
        persons.create(reg, surname="Yozuvchi", given_name="Ali", birth_date="01.01.1990", sex="m")
        db = db_path(folder)
        sides = [db.with_name(db.name + side) for side in ("-wal", "-shm")]
        assert all(side.exists() for side in sides)  # open, in WAL mode
        assert {p.name: _mode(p) for p in [db, *sides]} == {p.name: 0o600 for p in [db, *sides]}
        assert _mode(folder / "keys.json") == 0o600
        reg.close()
        # A register made by an older version (or restored) gets owner-only on opening.
        os.chmod(db, 0o644)
        Register.open(folder, "egasi", PASSWORD).close()
        assert _mode(db) == 0o600
    finally:
        os.umask(old_umask)
