"""HQ fixtures: the sync world on SQLite or PostgreSQL, and a real uvicorn on 127.0.0.1.

PostgreSQL comes from TAYANCH_TEST_PG_URL (``.ci/postgres.sh`` prints it). Without it the
PostgreSQL cases skip on a developer's machine and FAIL under CI (CI=true), so a CI
that lost its database cannot pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid

import pytest
import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app.hq.server import create_app
from app.sync.client import auth_header
from tests.sync.world import World, build_template

PG_ENV = "TAYANCH_TEST_PG_URL"


def pg_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{PG_ENV} is not set: CI must run the PostgreSQL tests (.ci/postgres.sh)")
        pytest.skip(f'{PG_ENV} not set (run: eval "$(bash .ci/postgres.sh)")')
    return url


def _admin_engine(url: str):
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_size=1)


def create_database(admin_url: str, *, template: str | None = None) -> str:
    name = "tayanch_t_" + uuid.uuid4().hex[:12]
    engine = _admin_engine(admin_url)
    with engine.connect() as conn:
        suffix = f" TEMPLATE {template}" if template else ""
        conn.execute(text(f"CREATE DATABASE {name}{suffix}"))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    engine = _admin_engine(admin_url)
    try:
        for attempt in range(40):
            try:
                with engine.connect() as conn:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                return
            except DBAPIError as exc:
                # An autovacuum worker on the database, which a role outside
                # pg_signal_backend may not end (.ci/postgres.sh grants it): it soon ends.
                if "pg_signal_backend" not in str(exc) or attempt == 39:
                    raise
                time.sleep(0.25)
    finally:
        engine.dispose()


def sync_auth(state, data: bytes) -> str:
    """The signed request header a device sends with ``data`` to /v1/sync."""
    return auth_header(state.keys, state.device_id, "POST", "/v1/sync", data)


@pytest.fixture(scope="session")
def sqlite_world_template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("hq-world-sqlite") / "world")


@pytest.fixture(scope="session")
def pg_world_template(tmp_path_factory):
    """The same world with HQ in PostgreSQL; its database is the template of each test's."""
    admin = pg_admin_url()
    url = create_database(admin)
    root = build_template(tmp_path_factory.mktemp("hq-world-pg") / "world", hq_url=url)
    yield root, url
    drop_database(admin, url)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def world(backend, request, tmp_path):
    target = tmp_path / "world"
    if backend == "sqlite":
        shutil.copytree(request.getfixturevalue("sqlite_world_template"), target)
        w = World.open(target)
        yield w
        w.close()
        return
    template_root, template_url = request.getfixturevalue("pg_world_template")
    admin = pg_admin_url()
    shutil.copytree(template_root, target)
    url = create_database(admin, template=make_url(template_url).database)
    w = World.open(target, hq_url=url)
    yield w
    w.close()
    drop_database(admin, url)


class LiveServer:
    """uvicorn serving the app in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    @property
    def port(self) -> int:
        return self.server.servers[0].sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture
def live(world):
    """(world, server): HQ of the world behind a real uvicorn."""
    with LiveServer(create_app(hq=world.hq)) as server:
        yield world, server
