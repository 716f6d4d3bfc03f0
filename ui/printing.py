"""Printing from the window: issue (or re-print) the document, save the PDF, open it.

The documents service numbers and stores every issued document (app/services/documents.py);
printing the same record again re-prints the stored snapshot. The PDF is saved where the
user chooses and opened in the system's viewer, which prints it; Qt cannot print a PDF
by itself without the large Qt PDF module.
"""

from __future__ import annotations

import logging
import re
import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QWidget

from app.i18n import _, current_language
from ui import ops, seams
from ui.widgets.common import Context

log = logging.getLogger(__name__)

PRINTABLE_MEASURES = {"talk": "talk-record", "warning": "warning"}


def _folder(ctx: Context) -> Path:
    last = ctx.settings.last_folder
    if last and Path(last).is_dir():
        return Path(last)
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(docs or Path.home())


def _file_name(number: str, kind: str) -> str:
    return re.sub(r"[^\w.-]+", "_", f"{kind}-{number}") + ".pdf"


def save_and_open(ctx: Context, parent: QWidget, printed: Any) -> Path | None:
    doc = printed.document
    suggested = _folder(ctx) / _file_name(doc.number, doc.kind)
    path = seams.ask_save_file(parent, _("Save the document"), str(suggested),
                               _("PDF documents (*.pdf)"))
    if not path:
        return None
    target = Path(path)
    if target.suffix.lower() != ".pdf":
        target = target.with_suffix(".pdf")
    try:
        target.write_bytes(printed.pdf)
    except OSError as exc:
        seams.show_error(parent, ops.disk_message(exc))
        return None
    ctx.settings.last_folder = str(target.parent)
    seams.open_file(target)
    return target


def print_record(ctx: Context, parent: QWidget, kind: str, record_id: uuid.UUID) -> None:
    from app.services import documents

    reg, lang = ctx.reg, current_language()

    def done(printed: Any) -> None:
        ctx.hub.changed.emit("issued_document")
        save_and_open(ctx, parent, printed)

    ops.Op(parent, lambda: documents.print_document(reg, kind, record_id, lang), write=True,
           name="print").success(done).with_progress(_("Preparing the document…")).run()


def print_monthly(ctx: Context, parent: QWidget, month: str) -> None:
    from app.services import documents

    reg, lang = ctx.reg, current_language()

    def done(printed: Any) -> None:
        ctx.hub.changed.emit("issued_document")
        save_and_open(ctx, parent, printed)

    ops.Op(parent, lambda: documents.monthly_report(reg, month, lang), write=True,
           name="monthly_report").success(done) \
        .with_progress(_("Preparing the monthly report…")).run()


def available() -> bool:
    try:
        from app.services import documents  # noqa: F401
    except ImportError:
        return False
    return True
