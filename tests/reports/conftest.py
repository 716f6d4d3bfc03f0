"""Fixtures of the document tests: fresh catalogs, and PDF reading helpers.

The catalogs are compiled from the .po files into a temporary folder for the session, so
the tests check the translations as committed, not whatever .mo a previous build left.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

import app.i18n

ROOT = Path(__file__).resolve().parents[2]


def _load_build_module():
    spec = importlib.util.spec_from_file_location(
        "tayanch_translations_build", ROOT / "translations" / "build.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def translations_build():
    return _load_build_module()


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs(tmp_path_factory, translations_build) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("locale")
    translations_build.compile_catalogs(out=out)
    patch = pytest.MonkeyPatch()
    patch.setattr(app.i18n, "translations_dir", lambda: out)
    app.i18n.translator.cache_clear()
    yield out
    patch.undo()
    app.i18n.translator.cache_clear()


def normalise(text: str) -> str:
    """Whitespace collapsed: a name wrapped in a table cell still reads as one string."""
    return re.sub(r"\s+", " ", text).strip()


def read_pages(pdf: bytes) -> list[str]:
    reader = PdfReader(BytesIO(pdf))
    return [normalise(page.extract_text() or "") for page in reader.pages]


@pytest.fixture
def pages() -> Callable[[bytes], list[str]]:
    return read_pages


@pytest.fixture
def text() -> Callable[[bytes], str]:
    return lambda pdf: " ".join(read_pages(pdf))
