"""Fixtures of the language tests: catalogs compiled fresh from the .po files.

The .mo files in the tree are build outputs that may be stale; the tests compile the
catalogs as committed into a temporary folder and point ``app.i18n`` at it, so they check
the translations themselves. The current language is put back after every test.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

import app.i18n

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"


def load_build_module():
    spec = importlib.util.spec_from_file_location(
        "tayanch_translations_build_i18n", TRANSLATIONS / "build.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def build():
    return load_build_module()


@pytest.fixture(scope="session")
def locale_dir(tmp_path_factory, build) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("locale")
    build.compile_catalogs(out=out)
    patch = pytest.MonkeyPatch()
    patch.setattr(app.i18n, "translations_dir", lambda: out)
    app.i18n.translator.cache_clear()
    yield out
    patch.undo()
    app.i18n.translator.cache_clear()


@pytest.fixture(autouse=True)
def _language_restored(locale_dir, monkeypatch) -> Iterator[None]:
    """Every test starts in the default language, pseudo off, and leaves it so."""
    monkeypatch.delenv(app.i18n.PSEUDO_ENV, raising=False)
    before = app.i18n.current_language()
    app.i18n.set_language(app.i18n.DEFAULT_LANGUAGE)
    yield
    monkeypatch.delenv(app.i18n.PSEUDO_ENV, raising=False)
    app.i18n.set_language(before if before != app.i18n.PSEUDO else app.i18n.DEFAULT_LANGUAGE)
