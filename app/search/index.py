"""The person search index inside the encrypted file: FTS5 kept in step by triggers.

Why triggers: persons are written by the services, by the demo generator's bulk
inserts, by imports and by sync applying remote changes. A trigger on ``person`` keeps
the index in the same transaction as every one of those writes without each writer
having to remember it. The keys come from Python (``app.search.keys``), registered as
deterministic SQL functions on every connection by ``app.db.engine.connect_raw``.

Tables:
- ``person_search_doc``: person id -> FTS rowid (person's own rowid is not stable:
  VACUUM and alembic's batch table copies may renumber it);
- ``person_fts``: FTS5, column ``names`` (name keys) and ``ids`` (PINFL, passport,
  phone tokens), prefix indexes for search-while-typing;
- ``search_term``: every name key ever indexed, for the typo search. Keys are never
  removed one by one (a stale key only costs a lookup that finds nobody); ``rebuild``
  clears them.

Alembic's batch mode copies a table to alter it and so drops its triggers: ``ensure``
(run once per engine by the search service) puts them back and rebuilds the index.
"""

from __future__ import annotations

import json
import logging
import threading
import weakref
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from app.search.keys import deletes, fuzzy_distance

log = logging.getLogger(__name__)

_NAME_KEYS = "tayanch_name_keys(new.surname, new.given_name, new.patronymic)"
_NAME_TERMS = "tayanch_name_terms(new.surname, new.given_name, new.patronymic)"
_ID_KEYS = "tayanch_id_keys(new.pinfl, new.passport, new.phone, new.phone2)"

_INDEX_NEW = f"""
    INSERT OR IGNORE INTO person_search_doc(person_id) VALUES (new.id);
    INSERT INTO person_fts(rowid, names, ids)
        SELECT doc, {_NAME_KEYS}, {_ID_KEYS}
        FROM person_search_doc WHERE person_id = new.id AND new.deleted = 0;
    INSERT OR IGNORE INTO search_term(term)
        SELECT value FROM json_each({_NAME_TERMS}) WHERE new.deleted = 0;
"""

_UNINDEX_OLD = """
    DELETE FROM person_fts
        WHERE rowid = (SELECT doc FROM person_search_doc WHERE person_id = old.id);
"""

_WATCHED = ("surname", "given_name", "patronymic", "pinfl", "passport", "phone", "phone2")

TABLES = ("person_search_doc", "person_fts", "search_term")
# Every table these statements make, FTS5's shadow tables included: not in
# SQLModel.metadata, so autogenerate and model-vs-schema checks must skip them.
RAW_TABLES = frozenset(
    {
        *TABLES,
        *(f"person_fts_{s}" for s in ("data", "idx", "content", "docsize", "config")),
    }
)
TRIGGERS = ("person_search_ai", "person_search_au", "person_search_ad")

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS person_search_doc (
        doc INTEGER PRIMARY KEY,
        person_id CHAR(32) NOT NULL UNIQUE
    )""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS person_fts USING fts5(
        names, ids,
        tokenize = 'unicode61 remove_diacritics 0',
        prefix = '1 2 3',
        detail = 'column'
    )""",
    """CREATE TABLE IF NOT EXISTS search_term (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        term TEXT NOT NULL UNIQUE
    )""",
    *(f"DROP TRIGGER IF EXISTS {t}" for t in TRIGGERS),
    f"""CREATE TRIGGER person_search_ai AFTER INSERT ON person BEGIN
        {_INDEX_NEW}
    END""",
    f"""CREATE TRIGGER person_search_au
        AFTER UPDATE OF {", ".join(_WATCHED)}, deleted ON person
        WHEN {" OR ".join(f"old.{c} IS NOT new.{c}" for c in (*_WATCHED, "deleted"))}
    BEGIN
        {_UNINDEX_OLD}
        {_INDEX_NEW}
    END""",
    f"""CREATE TRIGGER person_search_ad AFTER DELETE ON person BEGIN
        {_UNINDEX_OLD}
        DELETE FROM person_search_doc WHERE person_id = old.id;
    END""",
]

DROP = [
    *(f"DROP TRIGGER IF EXISTS {t}" for t in TRIGGERS),
    "DROP TABLE IF EXISTS person_fts",
    "DROP TABLE IF EXISTS person_search_doc",
    "DROP TABLE IF EXISTS search_term",
]

_REBUILD = [
    "DELETE FROM person_fts",
    "DELETE FROM search_term",
    "INSERT OR IGNORE INTO person_search_doc(person_id) SELECT id FROM person WHERE deleted = 0",
    """INSERT INTO person_fts(rowid, names, ids)
        SELECT d.doc,
               tayanch_name_keys(p.surname, p.given_name, p.patronymic),
               tayanch_id_keys(p.pinfl, p.passport, p.phone, p.phone2)
        FROM person p JOIN person_search_doc d ON d.person_id = p.id
        WHERE p.deleted = 0""",
    """INSERT OR IGNORE INTO search_term(term)
        SELECT DISTINCT j.value
        FROM person p, json_each(tayanch_name_terms(p.surname, p.given_name, p.patronymic)) j
        WHERE p.deleted = 0""",
    "INSERT INTO person_fts(person_fts) VALUES ('optimize')",
]


def _run(conn: Any, statements: list[str], params: dict[str, Any] | None = None) -> None:
    if isinstance(conn, Session):
        conn = conn.connection()  # the session's transaction, without ORM overhead
    for sql in statements:
        conn.execute(text(sql), params or {})


def install(conn: Any) -> None:
    """Create the index tables (if missing) and (re)create the triggers. Idempotent."""
    _run(conn, SCHEMA)


def rebuild(session: Any) -> None:
    """Index every person again from scratch, in the caller's transaction.

    ``session`` is a SQLModel/SQLAlchemy Session or Connection on a register engine.
    Bulk writers (the demo generator) may call this after inserting; the triggers have
    already indexed those rows, so this is only needed after rows were written with
    the triggers missing, or to compact the index.
    """
    _run(session, _REBUILD)


def suspend(conn: Any) -> int:
    """For a bulk write of many persons in this transaction: drop the per-row triggers
    (set-based indexing afterwards is several times faster). Returns the mark that
    :func:`resume` needs. Both must run in the same transaction, so a failure rolls
    the triggers back in with everything else."""
    _run(conn, [f"DROP TRIGGER IF EXISTS {t}" for t in TRIGGERS])
    return conn.execute(text("SELECT coalesce(max(doc), 0) FROM person_search_doc")).scalar()


def resume(conn: Any, mark: int, changed_ids: Iterable[str] = ()) -> None:
    """Index the persons added since :func:`suspend` and re-index ``changed_ids`` (hex
    ids of persons updated meanwhile), then put the triggers back."""
    changed = json.dumps(list(changed_ids))
    _run(
        conn,
        [
            """DELETE FROM person_fts WHERE rowid IN (
                SELECT doc FROM person_search_doc
                WHERE person_id IN (SELECT value FROM json_each(:changed)))""",
            "INSERT OR IGNORE INTO person_search_doc(person_id) "
            "SELECT id FROM person WHERE deleted = 0",
            """INSERT INTO person_fts(rowid, names, ids)
                SELECT d.doc,
                       tayanch_name_keys(p.surname, p.given_name, p.patronymic),
                       tayanch_id_keys(p.pinfl, p.passport, p.phone, p.phone2)
                FROM person_search_doc d JOIN person p ON p.id = d.person_id
                WHERE p.deleted = 0 AND (d.doc > :mark
                    OR d.person_id IN (SELECT value FROM json_each(:changed)))""",
            """INSERT OR IGNORE INTO search_term(term)
                SELECT DISTINCT j.value
                FROM person_search_doc d JOIN person p ON p.id = d.person_id,
                     json_each(tayanch_name_terms(p.surname, p.given_name, p.patronymic)) j
                WHERE p.deleted = 0 AND (d.doc > :mark
                    OR d.person_id IN (SELECT value FROM json_each(:changed)))""",
        ],
        {"mark": mark, "changed": changed},
    )
    install(conn)


def can_install(conn: Any) -> bool:
    """True on a SQLite connection that has the key functions the triggers call."""
    if conn.dialect.name != "sqlite":
        return False
    try:
        conn.execute(text("SELECT tayanch_name_keys('a', 'b', 'c')")).scalar()
    except Exception:  # OperationalError: no such function
        return False
    return True


def installed(conn: Any) -> bool:
    names = {
        r[0]
        for r in conn.execute(
            text("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        )
    }
    return set(TABLES) | set(TRIGGERS) <= names


_checked: weakref.WeakSet[Engine] = weakref.WeakSet()
_checked_lock = threading.Lock()


def ensure(engine: Engine) -> None:
    """Once per engine: if a migration dropped the triggers, put them back and rebuild."""
    with _checked_lock:
        if engine in _checked:
            return
        with engine.connect() as conn:
            ok = installed(conn)
        if not ok:
            log.warning("search index triggers missing: reinstalling and rebuilding")
            with engine.execution_options(write=True).begin() as conn:
                install(conn)
                rebuild(conn)
        _checked.add(engine)


class Vocabulary:
    """Every indexed name key, with a one-deletion map to find keys one typo away.

    Loaded from ``search_term`` once and then topped up with the rows added since, so a
    search after a new person is added pays only for the new keys.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.max_id = 0
        self.count = 0
        self.by_delete: dict[str, set[str]] = {}

    def _add(self, term: str) -> None:
        for d in deletes(term):
            self.by_delete.setdefault(d, set()).add(term)

    def refresh(self, conn: Any) -> None:
        max_id, count = conn.execute(text("SELECT max(id), count(*) FROM search_term")).one()
        max_id = max_id or 0
        with self.lock:
            if count < self.count or max_id < self.max_id:
                self.max_id, self.count, self.by_delete = 0, 0, {}
            if max_id == self.max_id:
                return
            rows = conn.execute(
                text("SELECT id, term FROM search_term WHERE id > :m ORDER BY id"),
                {"m": self.max_id},
            ).all()
            for _id, term in rows:
                self._add(term)
            self.max_id, self.count = max_id, count

    def neighbours(self, key: str) -> set[str]:
        """Indexed keys one typo (wrong, missing, extra or swapped letter) from ``key``."""
        found: set[str] = set()
        with self.lock:
            for d in deletes(key):
                found |= self.by_delete.get(d, set())
        return {t for t in found if t != key and fuzzy_distance(t, key) <= 1}


_vocabularies: weakref.WeakKeyDictionary[Engine, Vocabulary] = weakref.WeakKeyDictionary()


def vocabulary(engine: Engine) -> Vocabulary:
    with _checked_lock:
        v = _vocabularies.get(engine)
        if v is None:
            v = _vocabularies[engine] = Vocabulary()
        return v
