"""Sync: what waits for HQ, the stick (export and the reply), Sync now, and conflicts.

Everything here calls app.sync.service and app.sync.conflicts through the background helper;
the screen only shows what they report. The report of the last trip is shown as the
service words it ("Sent: 3 changes."), so the CLI and the window tell the same story.
A conflict is shown with both values side by side: the user keeps one, and the choice is
written as a new edit that syncs, settling the same question on the other computers.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.i18n import N_, _
from app.services.base import has_permission
from ui import ops, seams, style
from ui.audit.details import field_label, table_name
from ui.format import fmt_datetime
from ui.widgets.common import Context, ListOrEmpty, Page, button, muted_label, title_label
from ui.widgets.flow import flow_row, wrapping_form
from ui.widgets.paged_model import Column
from ui.widgets.record_table import RecordTable, RecordTableModel

log = logging.getLogger(__name__)

STATE_LABELS = {
    "not_enrolled": N_("not enrolled at headquarters"),
    "pending": N_("enrolment requested: it completes with the first reply from HQ"),
    "enrolled": N_("enrolled"),
    "revoked": N_("revoked by headquarters: ask the district office"),
}


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _value_text(value: Any) -> str:
    if _is_empty(value):
        return _("(empty)")
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y") if not hasattr(value, "hour") else fmt_datetime(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _available() -> bool:
    try:
        from app.sync import conflicts, service  # noqa: F401
    except ImportError:
        return False
    return True


class SyncPage(Page):
    key = "sync"
    nav_title = N_("Sync")
    tables = ()  # any write changes the pending count

    progressed = Signal(int, int)  # from the worker: the bar follows the service's progress
    status_loaded = Signal(object)  # the main window's status bar keeps in step
    finished = Signal(object)  # a trip ended: its SyncReport, or the failure
    synced_online = Signal(object)  # "Sync now" succeeded: automatic sync starts counting anew
    failed_online = Signal(object)  # "Sync now" did not reach HQ: the status bar says so too

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _(self.nav_title)
        self.status: Any = None
        self.last_report: Any = None
        self._cancel: threading.Event | None = None
        self._online = False  # the trip under way is "Sync now", not the stick
        self._generation = 0
        self.layout_.addWidget(title_label(self.title))

        top = QHBoxLayout()
        box = QGroupBox(_("This computer"))
        form = wrapping_form(box)
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)  # a long state must not widen the box
        self.pending_label = QLabel()
        self.last_sync_label = QLabel()
        self.conflicts_label = QLabel()
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        style.role(self.error_label, "fieldError")
        form.addRow(_("Status"), self.state_label)
        form.addRow(_("Not yet sent to HQ"), self.pending_label)
        form.addRow(_("Last sync"), self.last_sync_label)
        form.addRow(_("Open conflicts"), self.conflicts_label)
        self.enrol_button = button(_("Enrol at headquarters…"), self.enrol)
        keep_room_when_hidden(self.enrol_button)
        self.enrol_button.setVisible(False)
        form.addRow("", self.enrol_button)
        # The boxes share the width one to two whatever they hold, so nothing moves as the
        # enrol button or a longer status comes and goes.
        box.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        box.setMinimumWidth(260)
        top.addWidget(box, 1)

        box = QGroupBox(_("Send and receive"))
        lay = QVBoxLayout(box)
        lay.addWidget(
            muted_label(
                _(
                    "Without a network: export to a USB stick, take it to the "
                    "district office, then import the reply file they give "
                    "you."
                )
            )
        )
        self.export_button = button(_("Export to stick…"), self.export_to_stick)
        self.import_button = button(_("Import reply…"), self.import_reply)
        lay.addWidget(flow_row(self.export_button, self.import_button))
        url_row = QHBoxLayout()
        self.url = QLineEdit(ctx.settings.hq_url)
        self.url.setPlaceholderText(_("HQ address, e.g. https://hq.example.uz"))
        self.url.editingFinished.connect(self._url_edited)
        self.sync_button = button(_("Sync now"), self.sync_now)
        url_row.addWidget(self.url, 1)
        url_row.addWidget(self.sync_button)
        lay.addLayout(url_row)
        bar_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.cancel_button = button(_("Cancel"), self.cancel)
        self.cancel_button.setEnabled(False)
        # Until the first trip of the session, no bar (an empty one looks like a field to
        # type in); its room is kept, so nothing moves when it appears.
        for w in (self.progress, self.cancel_button):
            keep_room_when_hidden(w)
            w.hide()
        bar_row.addWidget(self.progress, 1)
        bar_row.addWidget(self.cancel_button)
        lay.addLayout(bar_row)
        box.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        box.setMinimumWidth(360)
        top.addWidget(box, 2)
        self.layout_.addLayout(top)
        # The last error across the whole page: a revoked computer's three sentences were
        # cut off in the narrow status box.
        self.error_label.hide()
        self.layout_.addWidget(self.error_label)

        box = QGroupBox(_("What came and went"))
        lay = QVBoxLayout(box)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setMaximumHeight(110)
        self.report.setPlaceholderText(_("Nothing sent or received yet in this session."))
        lay.addWidget(self.report)
        self.history = RecordTable(
            RecordTableModel(
                [
                    Column("at", N_("When"), lambda b: fmt_datetime(b.at)),
                    Column(
                        "direction",
                        N_("Direction"),
                        lambda b: _("to HQ") if b.direction == "out" else _("from HQ"),
                    ),
                    Column(
                        "transport",
                        N_("How"),
                        lambda b: _("USB stick") if b.transport == "usb" else _("network"),
                    ),
                    Column("summary", N_("Changes"), self._summary_text),
                ],
                self,
                row_id=lambda b: b.bundle_id,
            ),
            sortable=False,
        )
        self.history.setObjectName("syncHistory")
        lay.addWidget(self.history)
        self.layout_.addWidget(box, 1)

        box = QGroupBox(_("Conflicts"))
        lay = QVBoxLayout(box)
        lay.addWidget(
            muted_label(
                _(
                    "The same field was changed here and on another computer "
                    "before they synced. The later edit is in the record now; "
                    "keep it, or choose the other value."
                )
            )
        )
        self.conflicts = RecordTable(
            RecordTableModel(
                [
                    Column("table", N_("Record"), lambda c: table_name(c.table)),
                    Column("field", N_("Field"), lambda c: field_label(c.table, c.field)),
                    Column(
                        "mine",
                        N_("Here (mine)"),
                        lambda c: _value_text(c.local_value),
                        muted=lambda c: _is_empty(c.local_value),
                    ),
                    Column(
                        "theirs",
                        N_("Other computer (theirs)"),
                        lambda c: _value_text(c.remote_value),
                        muted=lambda c: _is_empty(c.remote_value),
                    ),
                    Column(
                        "now",
                        N_("In the record now"),
                        lambda c: _("mine") if c.winner == "local" else _("theirs"),
                    ),
                    Column("at", N_("Found"), lambda c: fmt_datetime(c.created_at)),
                ],
                self,
            ),
            sortable=False,
        )
        self.conflicts.setObjectName("syncConflicts")
        self.conflict_list = ListOrEmpty(self.conflicts, _("No conflicts. Nothing to review."))
        lay.addWidget(self.conflict_list, 1)
        self.keep_mine = button(_("Keep mine"), lambda: self.resolve("local"))
        self.keep_theirs = button(_("Keep theirs"), lambda: self.resolve("remote"))
        self.conflicts.selectionModel().currentRowChanged.connect(self._conflict_chosen)
        self.conflicts.model().modelReset.connect(self._conflict_chosen)
        self._conflict_chosen()
        lay.addLayout(_row(self.keep_mine, self.keep_theirs))
        self.layout_.addWidget(box, 1)

        self.progressed.connect(self._show_progress)
        self._busy(False)

    def _on_changed(self, table: str) -> None:
        if table == "sync_failed" and self._cancel is None:
            # A background try failed after the page's last trip: the full bar would still
            # say that trip went through, under the red line of the failure.
            self.progress.hide()
        super()._on_changed(table)

    # --- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        if not _available():
            self.state_label.setText(_("Sync is not part of this installation."))
            return
        from app.sync import conflicts, service

        reg = self.reg
        self._generation += 1
        generation = self._generation

        def work() -> tuple[int, Any, list[Any], list[Any]]:
            return generation, service.status(reg), service.history(reg), conflicts.list_open(reg)

        ops.Op(self, work, name="sync_status").success(self._show).run()

    def _show(self, result: tuple[int, Any, list[Any], list[Any]]) -> None:
        generation, st, history, open_conflicts = result
        if generation != self._generation:
            return  # overtaken by a newer reload (two readers may finish out of order)
        self.status = st
        self.state_label.setText(_(STATE_LABELS.get(st.state, st.state)))
        self.pending_label.setText(str(st.pending))
        self.last_sync_label.setText(fmt_datetime(st.last_sync_at) or _("never"))
        self.conflicts_label.setText(str(st.open_conflicts))
        self.error_label.setText(st.last_error or "")
        # Not twice: after the page's own trip failed, the report box says the same.
        self.error_label.setVisible(
            bool(st.last_error) and st.last_error.strip() != self.report.toPlainText().strip()
        )
        # A pending request may carry a mistyped code, which only HQ can tell: enrolling
        # again replaces it (the device keeps its keys), so the button stays.
        self.enrol_button.setText(
            _("Enrol again…") if st.state == "pending" else _("Enrol at headquarters…")
        )
        self.enrol_button.setVisible(
            st.state in ("not_enrolled", "pending", "revoked")
            and has_permission(self.reg, "manage_users")
        )
        if not self.url.text() and st.hq_url:
            self.url.setText(st.hq_url)
        self.history.source.set_rows(history)
        self.conflicts.source.set_rows(open_conflicts)
        for table in (self.history, self.conflicts):
            table.resizeColumnsToContents()
        self.conflict_list.show_list(bool(open_conflicts))
        if open_conflicts and not self.conflicts.currentIndex().isValid():
            self.conflicts.selectRow(0)
        self.status_loaded.emit(st)

    @staticmethod
    def _summary_text(b: Any) -> str:
        s = dict(b.summary or {})
        if "received" in s:  # as the report counted them: not those that were here already
            s["received"] -= s.get("skipped", 0)
        parts = []
        for key, caption in (
            ("changes", _("changes: {n}")),
            ("received", _("received: {n}")),
            ("sent", _("sent: {n}")),
            ("conflicts", _("conflicts: {n}")),
        ):
            if key in s:
                parts.append(caption.format(n=s[key]))
        if s.get("acknowledged"):  # HQ's answer took this computer's changes off the list
            parts.append(_("confirmed by HQ: {n}").format(n=s["acknowledged"]))
        if s.get("unconfirmed"):
            # HQ did not answer: the changes are still waiting here, not gone.
            parts.append(_("not confirmed by HQ"))
        return ", ".join(parts)

    # --- trips ---------------------------------------------------------------------------

    def _busy(self, busy: bool) -> None:
        for b in (self.export_button, self.import_button, self.sync_button):
            b.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.cancel_button.setVisible(busy)  # a Cancel with nothing to cancel is noise
        if busy:
            self.progress.show()
            self.progress.setRange(0, 0)  # busy until the service reports a total
        else:
            self.progress.setRange(0, 1)
            self.progress.setValue(1 if self.last_report is not None else 0)
            # A full bar says the trip went through; an empty one after a failure would
            # look like a field to fill, and the report box already says what went wrong.
            self.progress.setVisible(self.last_report is not None)

    def _show_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))

    def _run(self, fn: Any, label: str, *, online: bool = False) -> None:
        self._online = online
        cancel = threading.Event()
        self._cancel = cancel
        progress = self.progressed.emit
        self._busy(True)
        self.report.setPlainText(label)
        ops.Op(self, lambda: fn(progress, cancel), write=True, name="sync").success(
            self._done
        ).failure(self._failed).run()

    def _done(self, report: Any) -> None:
        self.last_report = report
        self._cancel = None
        self._busy(False)
        self.report.setPlainText(report.text())
        self.ctx.hub.changed.emit("sync")  # every screen may show received rows; reloads this
        self.finished.emit(report)
        if self._online:
            self.synced_online.emit(report)

    def _failed(self, exc: BaseException) -> None:
        self._cancel = None
        self.last_report = None
        self._busy(False)
        from app.errors import TayanchError

        if isinstance(exc, TayanchError):
            from ui.sync.messages import error_text

            text = error_text(exc, self.reg)
        elif isinstance(exc, OSError):
            text = ops.disk_message(exc)
        else:
            ops.show_failure(self, exc)
            text = _("The sync did not complete. Nothing was changed.")
        self.report.setPlainText(text)
        seams.show_error(self, text)
        self.reload()
        if self._online and isinstance(exc, TayanchError):
            self.failed_online.emit(exc)
        self.finished.emit(exc)

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    def _refuse_if_not_enrolled(self) -> bool:
        """True (and says so) before any file dialog when this computer has no HQ yet."""
        if self.status is None or self.status.state != "not_enrolled":
            return False
        from app.sync.errors import NotEnrolled
        from ui.sync.messages import error_text

        text = error_text(NotEnrolled(), self.reg)
        self.report.setPlainText(text)
        seams.show_error(self, text)
        return True

    def export_to_stick(self) -> None:
        from app.sync import service

        if self._refuse_if_not_enrolled():
            return
        start = self.ctx.settings.sync_folder or str(Path.home())
        folder = seams.ask_folder(self, _("Choose the USB stick or folder"), start)
        if not folder:
            return
        self.ctx.settings.sync_folder = folder
        reg = self.reg
        self._run(
            lambda progress, cancel: service.export_to_file(
                reg, Path(folder), progress=progress, cancel=cancel
            ),
            _("Writing to the stick…"),
        )

    def import_reply(self) -> None:
        from app.sync import service

        start = self.ctx.settings.sync_folder or str(Path.home())
        path = seams.ask_open_file(
            self,
            _("Choose the reply file from headquarters"),
            start,
            _("Tayanch sync files (*.sync);;All files (*)"),
        )
        if not path:
            return
        self.ctx.settings.sync_folder = str(Path(path).parent)
        reg = self.reg
        self._run(
            lambda progress, cancel: service.import_file(
                reg, Path(path), progress=progress, cancel=cancel
            ),
            _("Reading the reply…"),
        )

    def _url_edited(self) -> None:
        url = self.url.text().strip()
        if url != self.ctx.settings.hq_url:
            self.ctx.settings.hq_url = url
            self.ctx.hub.changed.emit("sync_settings")  # automatic sync tries the new address

    def sync_now(self) -> None:
        from app.sync import service

        url = self.url.text().strip() or None
        self.ctx.settings.hq_url = url or ""
        reg = self.reg
        self._run(
            lambda progress, cancel: service.sync_now(reg, url, progress=progress, cancel=cancel),
            _("Connecting to headquarters…"),
            online=True,
        )

    def enrol(self) -> None:
        """Join HQ with the one-time code: online when an address is typed, otherwise with
        HQ's key file from the district office (the request then goes with the next stick)."""
        from app.sync import service

        code = seams.ask_text(
            self, _("Enrol at headquarters"), _("The one-time code from the district office:")
        )
        if not code:
            return
        url = self.url.text().strip()
        reg = self.reg
        again = self.status is not None and self.status.state == "revoked"
        if url:
            fn = lambda: service.enrol_online(reg, url, code, again=again)  # noqa: E731
        else:
            start = self.ctx.settings.sync_folder or str(Path.home())
            key = seams.ask_open_file(
                self,
                _("Choose HQ's key file"),
                start,
                _("HQ key files (*.json *.key);;All files (*)"),
            )
            if not key:
                return
            fn = lambda: service.enrol_with_key_file(reg, Path(key), code, again=again)  # noqa: E731

        def done(st: Any) -> None:
            # What the report box said (most often "not enrolled") is no longer so.
            self.last_report = None
            self._busy(False)
            self.ctx.hub.changed.emit("sync")
            if st.state == "enrolled":  # online: HQ took the code at once
                text = _("This computer is now enrolled at headquarters.")
            else:
                text = _("Enrolment started. Export to the stick (or Sync now) to finish it.")
            self.report.setPlainText(text)
            seams.show_info(self, text)

        def failed(exc: BaseException) -> None:
            from app.errors import TayanchError
            from ui.sync.messages import error_text

            if isinstance(exc, TayanchError):
                seams.show_error(self, error_text(exc, self.reg))
            else:
                ops.show_failure(self, exc)
            # HQ refused the code after the request was written here: the screen shows the
            # pending request, and the button to enrol again with the right code.
            self.reload()

        ops.Op(self, fn, write=True, name="enrol").success(done).failure(failed).run()

    # --- conflicts -------------------------------------------------------------------------

    def _conflict_chosen(self, *_args: Any) -> None:
        chosen = self.conflicts.current_record() is not None
        self.keep_mine.setEnabled(chosen)
        self.keep_theirs.setEnabled(chosen)

    def resolve(self, keep: str) -> None:
        from app.sync import conflicts

        c = self.conflicts.current_record()
        if c is None:
            seams.show_info(self, _("Choose a conflict in the list first."))
            return
        reg = self.reg
        ops.Op(
            self, lambda: conflicts.resolve(reg, c.id, keep), write=True, name="resolve"
        ).success(lambda _r: self.ctx.hub.changed.emit(c.table)).run()


def _row(*widgets: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    for w in widgets:
        row.addWidget(w)
    row.addStretch(1)
    return row


def keep_room_when_hidden(widget: QWidget) -> None:
    """Hiding ``widget`` leaves its room empty, so the widgets around it stay put."""
    policy = widget.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    widget.setSizePolicy(policy)
