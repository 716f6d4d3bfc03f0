"""Printing from the window: issue (or re-print) the document, preview it, print or save it.

The documents service numbers and stores every issued document (app/services/documents.py);
printing the same record again re-prints the stored snapshot. Qt PDF (QPdfView) is not in
PySide6-Essentials, so the pages are rendered with pypdfium2 into images: the same images
fill the preview and go to the printer at its resolution, so what is seen is what prints.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, current_language, ngettext
from ui import ops, seams
from ui.widgets.common import Context, button, last_folder

log = logging.getLogger(__name__)

PRINTABLE_MEASURES = {"talk": "talk-record", "warning": "warning"}
PREVIEW_DPI = 96
PRINT_DPI = 300


def _file_name(number: str, kind: str) -> str:
    return re.sub(r"[^\w.-]+", "_", f"{kind}-{number}") + ".pdf"


def render_pages(pdf: bytes, dpi: int) -> list[QImage]:
    """Every page of ``pdf`` as an image at ``dpi`` (safe off the UI thread)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc = pdfium.PdfDocument(pdf)
    try:
        images = []
        for i in range(len(doc)):
            page = doc[i]
            # Three bytes a pixel in R, G, B order (pdfium's BGR with the byte order
            # reversed) is QImage's RGB888 as it is: the image is copied once, straight from
            # pdfium's buffer, instead of three times through a Pillow image.
            bitmap = page.render(
                scale=dpi / 72, force_bitmap_format=pdfium_c.FPDFBitmap_BGR, rev_byteorder=True
            )
            img = QImage(
                memoryview(bitmap.buffer),
                bitmap.width,
                bitmap.height,
                bitmap.stride,
                QImage.Format.Format_RGB888,
            ).copy()  # own the bytes
            images.append(img)
            bitmap.close()
            page.close()
        return images
    finally:
        doc.close()


def print_images(
    printer: QPrinter,
    documents: Sequence[Sequence[QImage]],
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Draw the pages on ``printer``, each fitted to the paper, in one print job."""
    total = sum(len(d) for d in documents)
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError(_("The printer could not be opened."))
    try:
        done = 0
        for images in documents:
            for img in images:
                if done:
                    printer.newPage()
                area = painter.viewport()
                size = img.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
                painter.setViewport(area.x(), area.y(), size.width(), size.height())
                painter.setWindow(img.rect())
                painter.drawImage(0, 0, img)
                painter.setViewport(area)
                painter.setWindow(area)
                done += 1
                if progress is not None:
                    progress(done, total)
    finally:
        painter.end()


def save_pdf(ctx: Context, parent: QWidget, printed: Any) -> Path | None:
    doc = printed.document
    target = write_pdf(
        parent, _("Save the document"), last_folder(ctx) / _file_name(doc.number, doc.kind),
        printed.pdf,
    )  # fmt: skip
    if target is not None:
        ctx.settings.last_folder = str(target.parent)
    return target


def write_pdf(parent: QWidget, caption: str, suggested: Path, pdf: bytes) -> Path | None:
    """Ask where (through a seam), write ``pdf`` there (.pdf added when missing); the path,
    or None when the user cancelled or the disk refused (said to the user)."""
    path = seams.ask_save_file(parent, caption, str(suggested), _("PDF documents (*.pdf)"))
    if not path:
        return None
    target = Path(path)
    if target.suffix.lower() != ".pdf":
        target = target.with_suffix(".pdf")
    try:
        target.write_bytes(pdf)
    except OSError as exc:
        seams.show_error(parent, ops.disk_message(exc))
        return None
    return target


def save_and_open(ctx: Context, parent: QWidget, printed: Any) -> Path | None:
    """Save, then open in the system's viewer (the path when there is no preview)."""
    target = save_pdf(ctx, parent, printed)
    if target is not None:
        seams.open_file(target)
    return target


class PreviewDialog(QDialog):
    """The document's pages before printing, with Print… and Save as PDF…."""

    rendered = Signal()
    printed_ok = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None, printed: Any) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.ctx, self.printed = ctx, printed
        self.images: list[QImage] = []
        doc = printed.document
        self.setWindowTitle(_("Preview — № {number}").format(number=doc.number))
        lay = QVBoxLayout(self)
        self.pages_host = QWidget()
        self.pages_layout = QVBoxLayout(self.pages_host)
        self.pages_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.pages_host)
        self.pages_host.setStyleSheet("background: #8a939c;")
        self.pages_layout.setSpacing(12)
        lay.addWidget(self.scroll, 1)
        self.info = QLabel(_("Rendering the pages…"))
        if printed.reprint:
            self.info.setText(_("A re-print of the document issued earlier."))
        self.print_button = button(_("Print…"), self.print_)
        self.save_button = button(_("Save as PDF…"), self.save)
        self.close_button = button(_("Close"), self.close)
        for b in (self.print_button, self.save_button):
            b.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.info, 1)
        row.addWidget(self.print_button)
        row.addWidget(self.save_button)
        row.addWidget(self.close_button)
        lay.addLayout(row)
        self.resize(760, 900)
        pdf = printed.pdf
        ops.Op(self, lambda: render_pages(pdf, PREVIEW_DPI), name="preview").success(
            self._show_pages
        ).run()

    def _show_pages(self, images: list[QImage]) -> None:
        self.images = images
        self.page_labels: list[QLabel] = []
        for _img in images:
            page = QLabel()
            page.setStyleSheet("background: white;")
            self.pages_layout.addWidget(page)
            self.page_labels.append(page)
        self._fit()
        self.info.setText(ngettext("{n} page", "{n} pages", len(images)).format(n=len(images)))
        for b in (self.print_button, self.save_button):
            b.setEnabled(True)
        self.rendered.emit()

    def _fit(self) -> None:
        """Whole pages across the window's width: no sideways scrolling to read a line."""
        width = max(self.scroll.viewport().width() - 40, 200)
        for label, img in zip(getattr(self, "page_labels", []), self.images, strict=False):
            pixmap = QPixmap.fromImage(img)
            if pixmap.width() > width:
                pixmap = pixmap.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
            label.setPixmap(pixmap)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    def save(self) -> Path | None:
        return save_pdf(self.ctx, self, self.printed)

    def print_(self) -> None:
        print_documents(self, [self.printed.pdf], on_done=self.printed_ok.emit)


def print_documents(
    parent: QWidget,
    pdfs: Sequence[bytes],
    *,
    on_done: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> bool:
    """Ask for the printer (through a seam), render at its resolution and print.

    Rendering runs on a worker; painting on the printer stays on the UI thread (QPainter
    on a QPrinter is not for worker threads), with a progress callback per page.
    """
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if not seams.ask_print(parent, printer):
        return False
    dpi = min(printer.resolution(), PRINT_DPI) or PRINT_DPI

    def rendered(documents: list[list[QImage]]) -> None:
        try:
            print_images(printer, documents, progress)
        except OSError as exc:
            seams.show_error(parent, str(exc))
            return
        if on_done is not None:
            on_done()

    ops.Op(parent, lambda: [render_pages(pdf, dpi) for pdf in pdfs], name="print_render").success(
        rendered
    ).with_progress(_("Preparing the pages…")).run()
    return True


def preview(ctx: Context, parent: QWidget, printed: Any) -> PreviewDialog:
    dlg = PreviewDialog(ctx, parent, printed)
    dlg.show()
    return dlg


def print_record(ctx: Context, parent: QWidget, kind: str, record_id: uuid.UUID) -> None:
    from app.services import documents

    reg, lang = ctx.reg, current_language()

    def done(printed: Any) -> None:
        ctx.hub.changed.emit("issued_document")
        preview(ctx, parent, printed)

    ops.Op(
        parent,
        lambda: documents.print_document(reg, kind, record_id, lang),
        write=True,
        name="print",
    ).success(done).with_progress(_("Preparing the document…")).run()


def print_monthly(ctx: Context, parent: QWidget, month: str) -> None:
    from app.services import documents

    reg, lang = ctx.reg, current_language()

    def done(printed: Any) -> None:
        ctx.hub.changed.emit("issued_document")
        preview(ctx, parent, printed)

    ops.Op(
        parent,
        lambda: documents.monthly_report(reg, month, lang),
        write=True,
        name="monthly_report",
    ).success(done).with_progress(_("Preparing the monthly report…")).run()


class ReprintProgress(QDialog):
    """Several issued documents re-printed in one job, with a progress bar."""

    progressed = Signal(int, int)  # from the worker, one step a document fetched

    def __init__(self, ctx: Context, parent: QWidget | None, document_ids: Sequence[Any]) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(_("Printing documents"))
        self.ctx = ctx
        self.ids = list(document_ids)
        lay = QVBoxLayout(self)
        self.label = QLabel(
            ngettext("Fetching {n} document…", "Fetching {n} documents…", len(self.ids)).format(
                n=len(self.ids)
            )
        )
        self.bar = QProgressBar()
        self.bar.setRange(0, max(len(self.ids), 1))
        lay.addWidget(self.label)
        lay.addWidget(self.bar)
        self.resize(380, 0)
        self.progressed.connect(self._step)

    def start(self) -> None:
        self.show()
        reg, ids, report = self.ctx.reg, self.ids, self.progressed.emit
        # The worker's function holds no reference to an Op or to this dialog's wrapper
        # beyond the signal: no reference cycle for the garbage collector to break on a
        # worker thread.
        ops.Op(self, lambda: _reprint_all(reg, ids, report), name="reprint").success(
            self._fetched
        ).failure(self._failed).run()

    def _step(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)

    def _fetched(self, printed: list[Any]) -> None:
        self.label.setText(
            ngettext(
                "Sending {n} document to the printer…",
                "Sending {n} documents to the printer…",
                len(printed),
            ).format(n=len(printed))
        )
        if not print_documents(
            self, [p.pdf for p in printed], on_done=self.accept, progress=self._step
        ):
            self.reject()

    def _failed(self, exc: BaseException) -> None:
        ops.show_failure(self, exc)
        self.reject()


def _reprint_all(reg: Any, ids: Sequence[Any], report: Callable[[int, int], None]) -> list[Any]:
    from app.services import documents

    out = []
    for i, doc_id in enumerate(ids):
        out.append(documents.reprint(reg, doc_id))
        report(i + 1, len(ids))
    return out


def print_several(ctx: Context, parent: QWidget, document_ids: Sequence[Any]) -> ReprintProgress:
    dlg = ReprintProgress(ctx, parent, document_ids)
    dlg.start()
    return dlg


def available() -> bool:
    try:
        from app.services import documents  # noqa: F401
    except ImportError:
        return False
    return True
