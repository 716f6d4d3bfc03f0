"""Printed documents: ``render(kind, data, lang)`` turns a snapshot into PDF bytes.

Pure functions of their input: no database, no Qt, no current language. A service builds
the snapshot (``app.reports.data``), stores ``data.to_dict()`` when it issues the document,
and calls ``render``; re-printing later calls ``load(kind, stored)`` and ``render`` again and
gets the same bytes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from app.errors import TayanchError
from app.i18n import N_, normalize_language
from app.reports import (
    monthly_report,
    offence_protocol,
    protection_order,
    supervision_card,
    talk_record,
    visit_act,
    warning,
)
from app.reports.base import DocContext
from app.reports.data import DATA_TYPES, Snapshot, SnapshotError

logger = logging.getLogger(__name__)

# reportlab keeps parser and font-subset state in module globals; one rendering at a time
# keeps a batch printed from a worker thread safe next to a preview rendered elsewhere.
_render_lock = threading.Lock()

KINDS: tuple[str, ...] = (
    "visit-act",
    "talk-record",
    "warning",
    "protection-order",
    "offence-protocol",
    "supervision-card",
    "monthly-report",
)

_RENDERERS: dict[str, Callable[[Any, DocContext], bytes]] = {
    "visit-act": visit_act.render,
    "talk-record": talk_record.render,
    "warning": warning.render,
    "protection-order": protection_order.render,
    "offence-protocol": offence_protocol.render,
    "supervision-card": supervision_card.render,
    "monthly-report": monthly_report.render,
}

# The document titles by kind, for lists and file names in the window.
TITLES: dict[str, str] = {
    "visit-act": visit_act.TITLE,
    "talk-record": talk_record.TITLE,
    "warning": warning.TITLE,
    "protection-order": protection_order.TITLE,
    "offence-protocol": offence_protocol.TITLE,
    "supervision-card": supervision_card.TITLE,
    "monthly-report": monthly_report.TITLE,
}


class UnknownKindError(TayanchError):
    code = "unknown_kind"
    template = N_("Unknown document kind: {kind}. Known kinds: {kinds}.")


class UnknownLanguageError(TayanchError):
    code = "unknown_language"
    template = N_("Unknown document language: {lang}. Use uz-Latn, uz-Cyrl, ru or en.")


def _check_kind(kind: str) -> None:
    if kind not in _RENDERERS:
        raise UnknownKindError(kind=kind, kinds=", ".join(KINDS))


def render(kind: str, data: Snapshot, lang: str) -> bytes:
    """The PDF of document ``kind`` for ``data``, with every text in ``lang``.

    Raises ``UnknownKindError``/``UnknownLanguageError`` for bad codes (the CLI shows their
    message) and ``TypeError`` when ``data`` is not the snapshot type of ``kind``, which is
    a programming error rather than user input.
    """
    _check_kind(kind)
    try:
        lang = normalize_language(lang)
    except ValueError:
        raise UnknownLanguageError(lang=lang) from None
    expected = DATA_TYPES[kind]
    if not isinstance(data, expected):
        raise TypeError(f"{kind} needs {expected.__name__}, got {type(data).__name__}")
    started = time.perf_counter()
    with _render_lock:
        pdf = _RENDERERS[kind](data, DocContext(lang))
    # Kind, language and size only: the document itself names people.
    logger.debug(
        "rendered %s in %s: %d bytes, %.1f ms",
        kind, lang, len(pdf), (time.perf_counter() - started) * 1000,
    )  # fmt: skip
    return pdf


def load(kind: str, stored: dict[str, Any]) -> Snapshot:
    """Rebuild the snapshot of an issued document from its stored JSON object."""
    _check_kind(kind)
    return DATA_TYPES[kind].from_dict(stored)


__all__ = [
    "KINDS",
    "TITLES",
    "Snapshot",
    "SnapshotError",
    "UnknownKindError",
    "UnknownLanguageError",
    "load",
    "render",
]
