"""Where files live: resources inside the app (frozen or not) and user data outside it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Tayanch"


def resource_root() -> Path:
    """The folder holding resources/ and translations/.

    Frozen by PyInstaller 6 that is ``sys._MEIPASS`` (the ``_internal`` folder); from a
    checkout it is the repository root. Never the current directory.
    """
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def resource_path(*parts: str) -> Path:
    return resource_root().joinpath("resources", *parts)


def translations_dir() -> Path:
    return resource_root() / "translations"


def default_data_dir() -> Path:
    env = os.environ.get("TAYANCH_DATA_DIR")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


# The register's files in its data folder (app.db.register opens them).
DB_FILE = "register.db"


def db_path(data_dir: Path) -> Path:
    return Path(data_dir) / DB_FILE


def register_exists(data_dir: Path) -> bool:
    """Whether ``data_dir`` holds a register; cheap, for start-up before the model loads."""
    return db_path(data_dir).exists()
