"""Per-machine window preferences, typed, over QSettings (Picard's config.py in small).

What must be the same on every computer of a stronghold (idle lock time, visit intervals)
lives in the database and syncs; this is only what belongs to this machine and its users:
window geometry, splitters, table columns, the last login, the language of the window.
Defaults are declared once, next to the option; a version key lets a later release migrate
or drop stale values. Tests point QSettings at a temporary folder (tests/ui/conftest.py).
"""

from __future__ import annotations

import logging
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QByteArray, QSettings

log = logging.getLogger(__name__)

VERSION = 1
T = TypeVar("T")


class Option(Generic[T]):
    """A typed value under ``key`` with its default; per user when ``per_user``."""

    def __init__(self, key: str, kind: type[T], default: T, *, per_user: bool = False) -> None:
        self.key = key
        self.kind = kind
        self.default = default
        self.per_user = per_user

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: UiSettings | None, owner: type) -> T:
        if obj is None:
            return self  # type: ignore[return-value]
        return obj.get(self)

    def __set__(self, obj: UiSettings, value: T) -> None:
        obj.put(self, value)


class UiSettings:
    # "General", capital G: QSettings writes a top-level group of that name as [%General]
    # and reads it back as "General" whatever case it was written in, so keys under a
    # lower-case "general/" were written but never found again after a restart.
    language = Option("General/language", str, "")
    user_language = Option("general/language", str, "", per_user=True)  # wins once logged in
    last_login = Option("General/last_login", str, "")
    last_folder = Option("General/last_folder", str, "")
    sync_folder = Option("sync/folder", str, "")  # the stick's last folder
    hq_url = Option("sync/hq_url", str, "")  # typed on the Sync screen; HQ's own is the default
    sync_interval_minutes = Option("sync/interval_minutes", int, 15)  # 0: only by hand
    backup_folder = Option("backup/folder", str, "")
    geometry = Option("window/geometry", bytes, b"", per_user=True)
    window_state = Option("window/state", bytes, b"", per_user=True)
    last_screen = Option("window/last_screen", str, "today", per_user=True)

    def __init__(self, store: QSettings | None = None, login: str = "") -> None:
        self.store = store or QSettings(
            QSettings.Format.IniFormat, QSettings.Scope.UserScope, "Tayanch", "tayanch"
        )
        self.login = login
        version = self._read("meta/version", int, 0)
        if version != VERSION:
            self.store.setValue("meta/version", VERSION)

    def for_user(self, login: str) -> UiSettings:
        return UiSettings(self.store, login)

    # --- typed access ------------------------------------------------------------------

    def _key(self, option: Option, suffix: str = "") -> str:
        key = option.key + (f"/{suffix}" if suffix else "")
        if option.per_user:
            # Logins are chosen by staff ("aziza", "inspektor1"): not personal data.
            key = f"users/{self.login or '_'}/{key}"
        return key

    def _read(self, key: str, kind: type, default: Any) -> Any:
        raw = self.store.value(key)
        if raw is None:
            return default
        try:
            if kind is bytes:
                if isinstance(raw, QByteArray):
                    return bytes(raw.data())
                return bytes(raw) if isinstance(raw, bytes | bytearray) else default
            if kind is bool:
                return raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true")
            return kind(raw)
        except (TypeError, ValueError):
            log.warning("setting %s has an unreadable value; using the default", key)
            return default

    def get(self, option: Option, suffix: str = "") -> Any:
        return self._read(self._key(option, suffix), option.kind, option.default)

    def put(self, option: Option, value: Any, suffix: str = "") -> None:
        if option.kind is bytes:
            value = QByteArray(bytes(value))
        self.store.setValue(self._key(option, suffix), value)

    # --- named states: splitters and table headers, one per widget name ---------------

    _splitter = Option("splitters", bytes, b"", per_user=True)
    _columns = Option("columns", bytes, b"", per_user=True)

    def splitter_state(self, name: str) -> bytes:
        return self.get(UiSettings._splitter, name)

    def set_splitter_state(self, name: str, state: bytes) -> None:
        self.put(UiSettings._splitter, state, name)

    def column_state(self, name: str) -> bytes:
        return self.get(UiSettings._columns, name)

    def set_column_state(self, name: str, state: bytes) -> None:
        self.put(UiSettings._columns, state, name)

    def sync(self) -> None:
        self.store.sync()
