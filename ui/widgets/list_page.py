"""The register lists: a title and count, filters, the table, and the chosen record beside it.

Disputes and orders are one screen with their own columns, record view and actions: a list
small by nature, held in memory and filtered by status (``RecordListPage``). The record
beside the list follows the current row, a record opened from elsewhere stays shown even
when the status filter leaves it out, and the splitter is remembered per user under the
page's key.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.db.register import Register
from app.i18n import _
from ui import ops
from ui.widgets.common import Context, EmptyState, ListOrEmpty, Page, muted_label, title_label
from ui.widgets.form import ChoiceBox, enum_choices
from ui.widgets.record_table import RecordTable


def resize_columns(table: QTableView, widths: Sequence[int]) -> None:
    """The first columns' widths by position, before any remembered state is restored."""
    header = table.horizontalHeader()
    for i, w in enumerate(widths):
        header.resizeSection(i, w)


class RecordView(Protocol):
    """What a list page asks of the record beside it (a ``DetailView``, the person's card)."""

    _requested: uuid.UUID | None  # the record asked for last; an older answer is dropped

    def load(self, record_id: uuid.UUID | None) -> None: ...

    def reload(self) -> None: ...


class DetailView(QWidget):
    """One record beside its list: an empty state until one is chosen, then its body.

    Subclasses fill ``body_layout`` and implement ``fetch`` (on a worker) and ``fill``.
    """

    def __init__(self, ctx: Context, empty_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.detail: Any = None
        self._requested: uuid.UUID | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 0, 0, 0)
        self.empty = EmptyState(empty_text)
        outer.addWidget(self.empty)
        self.body = QWidget()
        outer.addWidget(self.body, 1)
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        self.body.hide()

    def fetch(self, reg: Register, record_id: uuid.UUID) -> Any:
        raise NotImplementedError

    def fill(self, detail: Any) -> None:
        raise NotImplementedError

    def load(self, record_id: uuid.UUID | None,
             then: Callable[[], None] | None = None) -> None:
        """Show the record once fetched, then run ``then`` (an action the user asked for)."""
        self._requested = record_id
        if record_id is None:
            self.show_detail(None)
            return
        reg = self.ctx.reg

        def done(detail: Any) -> None:
            if self._requested != record_id:
                return  # the user moved on to another record meanwhile
            self.show_detail(detail)
            if then is not None:
                then()

        ops.Op(self, lambda: self.fetch(reg, record_id)).success(done).run()

    def reload(self) -> None:
        if self._requested is not None:
            self.load(self._requested)

    def show_detail(self, detail: Any) -> None:
        self.detail = detail
        self.empty.setVisible(detail is None)
        self.body.setVisible(detail is not None)
        if detail is not None:
            self.fill(detail)


class ListPage(Page):
    """What every register list has; subclasses build the head, the table and the split."""

    split_sizes: tuple[int, int] = (660, 500)  # until the user moves the splitter
    table: QTableView
    view: RecordView

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _(self.nav_title)
        # The record the view shows or is about to: kept selected across reloads, and kept
        # shown when a filter leaves it out of the list.
        self._want: uuid.UUID | None = None

    def add_head(self, *widgets: QWidget) -> None:
        """The title, the count, then the page's own widgets on the right."""
        head = QHBoxLayout()
        head.addWidget(title_label(self.title))
        self.count_label = muted_label()
        head.addWidget(self.count_label, 1)
        for w in widgets:
            head.addWidget(w)
        self.layout_.addLayout(head)

    def add_split(self, view: Any, empty_text: str = "") -> None:
        """``self.table`` (or its empty state) and ``view`` side by side, below the rest."""
        self.list = ListOrEmpty(self.table, empty_text)
        self.view = view
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.list)
        self.splitter.addWidget(view)
        state = self.ctx.settings.splitter_state(self.key)
        if state:
            self.splitter.restoreState(QByteArray(state))
        else:
            self.splitter.setSizes(list(self.split_sizes))
        self.splitter.splitterMoved.connect(lambda *_a: self.ctx.settings.set_splitter_state(
            self.key, bytes(self.splitter.saveState().data())))
        self.layout_.addWidget(self.splitter, 1)


class RecordListPage(ListPage):
    """A list small by nature (tens or hundreds of rows): held in memory, filtered by status.

    Subclasses call ``add_head(self.status, ...)`` and ``add_table`` (which adds the split),
    and implement ``list_rows`` and ``count_text``.
    """

    table: RecordTable
    view: DetailView
    status_enum: type  # the statuses the filter offers

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.status = ChoiceBox(enum_choices(self.status_enum), empty=_("Any status"))
        self.status.currentIndexChanged.connect(self.reload)

    def list_rows(self, reg: Register, status: str | None) -> list[Any]:
        """The rows (on a worker)."""
        raise NotImplementedError

    def count_text(self, rows: list[Any]) -> str:
        raise NotImplementedError

    def add_table(self, table: RecordTable, widths: Sequence[int], view: Any,
                  empty_text: str) -> None:
        self.table = table
        resize_columns(table, widths)
        table.selectionModel().currentRowChanged.connect(self._selected)
        self.add_split(view, empty_text)

    def reload(self, *_args: Any) -> None:
        reg, status = self.reg, self.status.code() or None
        ops.Op(self, lambda: self.list_rows(reg, status)).success(self._show).run()

    def _show(self, rows: list[Any]) -> None:
        self.table.source.set_rows(rows)
        self.count_label.setText(self.count_text(rows))
        self.list.show_list(bool(rows))
        if self._want is not None and self.table.select_id(self._want):
            pass
        elif rows and not self.table.currentIndex().isValid():
            self.table.selectRow(0)
        self.view.reload()

    def _selected(self, *_a: Any) -> None:
        r = self.table.current_record()
        if r is not None and r.id != self.view._requested:
            self._want = r.id
            self.view.load(r.id)

    def show_record(self, record_id: uuid.UUID, then: Callable[[], None] | None = None) -> None:
        """Select a record opened from elsewhere, or show it though the list leaves it out."""
        self._want = record_id
        if not self.table.select_id(record_id) or then is not None:
            self.view.load(record_id, then=then)
