"""The schema revisions sync speaks, read once per process.

Alembic finds them by compiling every migration script, which costs tens of
milliseconds; a sync checks them several times per bundle, and the scripts do not
change while the program runs.
"""

from __future__ import annotations

import re
from functools import cache

from app.db import migrate


def head() -> str:
    return migrate.HEAD  # tests/core checks it is alembic's head; alembic stays unimported


@cache
def known() -> frozenset[str]:
    return frozenset(migrate.known_revisions())


@cache
def previous() -> str | None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    down = script.get_revision(head()).down_revision
    return down if isinstance(down, str) else None


def accepted() -> frozenset[str]:
    """What HQ takes from a device: the current schema and the one before it."""
    prev = previous()
    return frozenset({head(), prev} if prev else {head()})


def is_revision(value: str) -> bool:
    """Whether ``value`` is shaped like a schema revision, known here or a newer app's
    (app/db/migrations numbers them: 0001, 0002, ...); anything else is not a version."""
    return value in known() or re.fullmatch(r"[0-9]{4,8}", value) is not None
