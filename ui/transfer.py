"""Persons from a spreadsheet, and the lists out to one: the window's side of
app/services/people_io.py (``tayanch import persons`` and ``tayanch export``).

Import checks the whole file first (a dry run, on a worker, with a progress bar that can
be cancelled) and shows what it would do: the counts, the first rows, and every problem
with its row and column. Only a file without problems can be imported, and the import is
all rows or none. Export asks before writing, because the file it writes is not encrypted.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import N_, _, ngettext
from app.services.base import has_permission
from ui import ops, seams, style
from ui.format import fmt_date
from ui.widgets.common import Context, button, last_folder, muted_label

# people_io is imported where it is used: these buttons are built with the screens at
# start-up, and the import module would add 25 ms to it.
if TYPE_CHECKING:
    from app.services import people_io
    from ui.widgets.list_page import ListPage

log = logging.getLogger(__name__)

IMPORT_TABLES = ("person", "register_entry")
PREVIEW_COLUMNS = ("surname", "given_name", "patronymic", "birth_date", "pinfl", "street", "house")
ACTIONS = {"add": N_("new"), "update": N_("update"), "unchanged": N_("unchanged")}
SPREADSHEETS = N_("Spreadsheets (*.xlsx *.csv)")
SAVE_FILTERS = N_("Excel workbook (*.xlsx);;CSV (*.csv)")
EXPORT_NAMES = {
    "persons": N_("persons"),
    "visits": N_("visits"),
    "disputes": N_("disputes"),
    "orders": N_("protection-orders"),
}


def _spreadsheet_path(path: str) -> Path:
    """What was typed in the save dialog, with .xlsx added when it names no known type."""
    target = Path(path)
    if target.suffix.lower() not in (".xlsx", ".csv"):
        target = target.with_name(target.name + ".xlsx")
    return target


class ImportDialog(QDialog):
    """Choose a file, see what it would do, import it (or save the template)."""

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        from app.services import people_io

        super().__init__(parent)
        self.ctx = ctx
        self.path: Path | None = None
        self.report: people_io.ImportReport | None = None
        self.setWindowTitle(_("Import persons"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(820, 560)
        lay = QVBoxLayout(self)
        title = QLabel(_("Import persons"))
        style.role(title, "pageTitle")
        lay.addWidget(title)
        lay.addWidget(
            muted_label(
                _(
                    "Persons from an .xlsx or .csv file with the template's columns (the "
                    "headers may be Uzbek or Russian). The whole file is checked first: a file "
                    "with any problem changes nothing. A row whose PINFL is already in the "
                    "register updates that person."
                )
            )
        )
        row = QHBoxLayout()
        self.choose_button = button(_("Choose a file…"), self.choose)
        self.template_button = button(_("Save the template…"), self.save_template)
        row.addWidget(self.choose_button)
        row.addWidget(self.template_button)
        row.addStretch(1)
        lay.addLayout(row)
        self.file_label = muted_label()
        lay.addWidget(self.file_label)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.problems = QPlainTextEdit()
        self.problems.setReadOnly(True)
        self.problems.setObjectName("importProblems")
        self.problems.hide()
        lay.addWidget(self.problems, 1)
        self.preview = QTableWidget(0, len(PREVIEW_COLUMNS) + 2)
        self.preview.setObjectName("importPreview")
        self.preview.setHorizontalHeaderLabels(
            [_("Row"), _("Action")] + [people_io.header_label(c) for c in PREVIEW_COLUMNS]
        )
        self.preview.verticalHeader().hide()
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.preview.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.preview.horizontalHeader().setStretchLastSection(True)
        self.preview.hide()
        lay.addWidget(self.preview, 2)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.close_button = QPushButton(_("Close"))
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        self.import_button = QPushButton(_("Import"))
        self.import_button.setDefault(True)
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.run_import)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.import_button)
        lay.addLayout(buttons)

    # --- choosing and checking ---------------------------------------------------------

    def choose(self) -> None:
        path = seams.ask_open_file(
            self, _("Import persons"), str(last_folder(self.ctx)), _(SPREADSHEETS)
        )
        if path:
            self.check(Path(path))

    def check(self, path: Path) -> None:
        """The dry run: every row read and checked, nothing written."""
        from app.services import people_io

        self.path = path
        self.ctx.settings.last_folder = str(path.parent)
        self.file_label.setText(str(path))
        self.import_button.setEnabled(False)
        reg = self.ctx.reg

        def check() -> people_io.ImportReport:
            return people_io.import_persons(
                reg, path, dry_run=True, progress=op.report, cancel=op.cancel_event
            )

        op = ops.Op(self, check, name="import-check")
        op.with_progress(_("Checking the file…"), cancellable=True).success(self.show_report).run()

    def show_report(self, report: people_io.ImportReport) -> None:
        self.report = report
        lines = [p.line() for p in report.errors]
        lines += [_("warning: {line}").format(line=w.line()) for w in report.warnings]
        self.problems.setPlainText("\n".join(lines))
        self.problems.setVisible(bool(lines))
        if report.errors:
            self.summary.setText(
                ngettext(
                    "{count} problem: the file cannot be imported. Correct it and choose it "
                    "again; nothing was changed.",
                    "{count} problems: the file cannot be imported. Correct it and choose it "
                    "again; nothing was changed.",
                    len(report.errors),
                ).format(count=len(report.errors))
            )
            style.role(self.summary, "formError")
        elif not report.rows:
            self.summary.setText(_("The file has no rows to import."))
            style.role(self.summary, "formError")
        else:
            # As any text again (the look of an error stays otherwise).
            self.summary.setFont(QApplication.font())
            self.summary.setPalette(QApplication.palette())
            text = _("The file can be imported. {counts}").format(counts=report.counts())
            if report.warnings:
                text += " " + _(
                    "Rows marked “warning” look like persons already in the register; check "
                    "them before importing."
                )
            self.summary.setText(text)
        self._fill_preview(report)
        self.import_button.setEnabled(report.ok and report.rows > 0)

    def _fill_preview(self, report: people_io.ImportReport) -> None:
        rows = report.preview if report.ok else []
        self.preview.setRowCount(len(rows))
        for r, values in enumerate(rows):
            cells = [str(values.get("row", "")), _(ACTIONS.get(values.get("action", ""), ""))]
            for c in PREVIEW_COLUMNS:
                v = values.get(c)
                cells.append(fmt_date(v) if isinstance(v, date) else "" if v is None else str(v))
            for col, text in enumerate(cells):
                self.preview.setItem(r, col, QTableWidgetItem(text))
        self.preview.resizeColumnsToContents()
        self.preview.setVisible(bool(rows))

    # --- importing ---------------------------------------------------------------------

    def run_import(self) -> None:
        from app.services import people_io

        if self.path is None or self.report is None or not self.report.ok:
            return
        self.import_button.setEnabled(False)
        reg, path = self.ctx.reg, self.path

        def write() -> people_io.ImportReport:
            return people_io.import_persons(reg, path, progress=op.report, cancel=op.cancel_event)

        op = ops.Op(self, write, write=True, name="import")
        op.with_progress(_("Importing persons…"), cancellable=True).success(self._imported).failure(
            self._import_failed
        ).run()

    def _imported(self, report: people_io.ImportReport) -> None:
        if not report.ok:  # the file changed since it was checked
            self.show_report(report)
            return
        for table in IMPORT_TABLES:
            self.ctx.hub.changed.emit(table)
        seams.show_info(self, _("Imported: {counts}").format(counts=report.counts()))
        self.accept()

    def _import_failed(self, exc: BaseException) -> None:
        self.import_button.setEnabled(self.report is not None and self.report.ok)
        ops.show_failure(self, exc)

    def save_template(self) -> None:
        from app.services import people_io

        suggested = last_folder(self.ctx) / (_("persons-template") + ".xlsx")
        path = seams.ask_save_file(self, _("Save the template"), str(suggested), _(SAVE_FILTERS))
        if not path:
            return
        target = _spreadsheet_path(path)
        self.ctx.settings.last_folder = str(target.parent)
        ops.Op(self, lambda: people_io.write_template(target), name="template").success(
            lambda _r: seams.show_info(
                self, _("The template was saved to {path}.").format(path=target)
            )
        ).run()


def export_button(ctx: Context, page: ListPage, kind: str, tip: str) -> QPushButton:
    """The "Export…" button of a list screen; hidden for a role that may not export."""
    b = button(_("Export…"), lambda: export_list(ctx, page, kind), tip=tip)
    if not has_permission(ctx.reg, "export"):
        b.hide()  # never setVisible(True) here: a widget without a parent yet is a window
    return b


def open_import(ctx: Context, parent: QWidget) -> ImportDialog:
    dialog = ImportDialog(ctx, parent)
    dialog.open()
    return dialog


NOT_ENCRYPTED = N_(
    "The exported file is not encrypted: anyone who gets it can read the personal data in "
    "it. Keep it on this computer or an encrypted stick, and delete it when it is no longer "
    "needed."
)


def _filtered_question(kind: str, n: int) -> str:
    """What a filtered list asks before exporting: only the records shown, or all."""
    if kind == "persons":
        return ngettext(
            "The list is filtered: it shows {n} person. Export only that person, or every "
            "person in the register?",
            "The list is filtered: it shows {n} persons. Export only those, or every person "
            "in the register?",
            n,
        ).format(n=n)
    if kind == "visits":
        return ngettext(
            "The list is filtered: it shows {n} household. Export only its visits, or every visit?",
            "The list is filtered: it shows {n} households. Export only their visits, or "
            "every visit?",
            n,
        ).format(n=n)
    if kind == "disputes":
        return ngettext(
            "The list is filtered: it shows {n} report. Export only that report, or every report?",
            "The list is filtered: it shows {n} reports. Export only those, or every report?",
            n,
        ).format(n=n)
    return ngettext(
        "The list is filtered: it shows {n} order. Export only that order, or every order?",
        "The list is filtered: it shows {n} orders. Export only those, or every order?",
        n,
    ).format(n=n)


def export_list(ctx: Context, page: ListPage, kind: str) -> None:
    """Write persons, visits, disputes or orders to an .xlsx or .csv file the user picks:
    when the list is filtered, those it shows or all, as the user says."""
    from app.services import people_io

    shown = page.shown()
    only: Callable[[], list[uuid.UUID]] | None = None
    if shown is None:
        if not seams.ask_confirm(page, _(NOT_ENCRYPTED) + " " + _("Export?")):
            return
    else:
        count, ids = shown
        answer = seams.ask_choice(
            page,
            _filtered_question(kind, count) + "\n\n" + _(NOT_ENCRYPTED),
            [_("Only those shown"), _("All")],
        )
        if answer is None:
            return
        only = ids if answer == 0 else None
    name = f"{_(EXPORT_NAMES[kind])}-{date.today().isoformat()}.xlsx"
    path = seams.ask_save_file(page, _("Export"), str(last_folder(ctx) / name), _(SAVE_FILTERS))
    if not path:
        return
    target = _spreadsheet_path(path)
    ctx.settings.last_folder = str(target.parent)
    reg = ctx.reg

    def written(count: int) -> None:
        ctx.hub.changed.emit("audit_entry")
        seams.show_info(
            page,
            ngettext(
                "{count} row written to {path}.", "{count} rows written to {path}.", count
            ).format(count=count, path=target),
        )

    def work() -> int:
        return people_io.export(reg, kind, target, only=None if only is None else only())

    op = ops.Op(page, work, write=True, name="export")
    op.with_progress(_("Exporting…")).success(written).run()
