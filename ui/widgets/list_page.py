"""The register lists: a title and count, filters, the table, and the chosen record beside it.

Disputes, orders, households and persons are one screen with their own columns, filters,
record view and actions. What differs between them is where the rows live: a list small by
nature is held in memory and filtered by status (``RecordListPage``); a list that can reach
100,000 rows is paged in SQL and searched as the user types (``PagedListPage``). Either way
the record beside the list follows the current row, a record opened from elsewhere stays
shown even when the list's filters leave it out, and the splitter (and, for the paged lists,
the columns) are remembered per user under the page's key.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QByteArray, QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
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
from ui.widgets.paged_model import PagedTableModel
from ui.widgets.record_table import RecordTable, read_only_rows

SEARCH_DELAY_MS = 250  # a fast typist does not start ten searches
DETAIL_DELAY_MS = 60  # holding an arrow key down does not load every record passed


def resize_columns(table: QTableView, widths: Sequence[int], *, whole_titles: bool = False) -> None:
    """The first columns' widths by position, before any remembered state is restored;
    with ``whole_titles`` (a screen's main list) never narrower than a column's title
    (the Russian ones are the longest)."""
    header = table.horizontalHeader()
    for i, w in enumerate(widths):
        header.resizeSection(i, max(w, header.sectionSizeHint(i)) if whole_titles else w)


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

    def load(self, record_id: uuid.UUID | None, then: Callable[[], None] | None = None) -> None:
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

    def filtered(self) -> bool:
        """Whether a filter leaves records out of the list."""
        raise NotImplementedError

    def shown(self) -> tuple[int, Callable[[], list[uuid.UUID]]] | None:
        """When a filter leaves records out: how many the list shows, and a function that
        lists their ids (it may read the register: call it on a worker). None when the
        list shows every record."""
        raise NotImplementedError

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
        self.splitter.splitterMoved.connect(
            lambda *_a: self.ctx.settings.set_splitter_state(
                self.key, bytes(self.splitter.saveState().data())
            )
        )
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
        self._generation = 0

    def list_rows(self, reg: Register, status: str | None) -> list[Any]:
        """The rows (on a worker)."""
        raise NotImplementedError

    def count_text(self, rows: list[Any]) -> str:
        raise NotImplementedError

    def filtered(self) -> bool:
        return bool(self.status.code())

    def shown(self) -> tuple[int, Callable[[], list[uuid.UUID]]] | None:
        if not self.filtered():
            return None
        ids = [r.id for r in self.table.source.rows]
        return len(ids), lambda: ids

    def add_table(
        self, table: RecordTable, widths: Sequence[int], view: Any, empty_text: str
    ) -> None:
        self.table = table
        resize_columns(table, widths, whole_titles=True)
        table.selectionModel().currentRowChanged.connect(self._selected)
        self.add_split(view, empty_text)

    def reload(self, *_args: Any) -> None:
        reg, status = self.reg, self.status.code() or None
        self._generation += 1
        generation = self._generation

        def show(rows: list[Any]) -> None:
            # An older list coming after a newer one (the filter changed meanwhile) is dropped.
            if generation == self._generation:
                self._show(rows)

        ops.Op(self, lambda: self.list_rows(reg, status)).success(show).run()

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


class PagedListPage(ListPage):
    """A list of up to 100,000 rows, paged and filtered in SQL, with a search box.

    Subclasses call ``add_head`` and ``filter_bar``, set ``self.model``, call ``add_table``,
    ``remember_columns`` and ``add_split``, and implement ``query``, ``count_text`` and
    ``empty_text``.
    """

    model: PagedTableModel

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.search = QLineEdit()
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filter)
        self._detail_timer = QTimer(self, singleShot=True, interval=DETAIL_DELAY_MS)
        self._detail_timer.timeout.connect(self._show_current)

    def query(self) -> Any:
        """The model's query from the filters as they are now."""
        raise NotImplementedError

    def count_text(self, total: int) -> str:
        raise NotImplementedError

    def empty_text(self) -> str:
        """What an empty list says: a filtered one differs from an empty register."""
        raise NotImplementedError

    def shown(self) -> tuple[int, Callable[[], list[uuid.UUID]]] | None:
        model, fetch = self.model, self.model.resolved
        if not self.filtered() or fetch is None:
            return None
        total = model.total
        return total, lambda: model.ids(fetch, total)

    def filter_bar(self, placeholder: str, stretch: int) -> QHBoxLayout:
        """A row that starts with the search box; the page adds its filters and lays it out."""
        self.search.setPlaceholderText(placeholder)
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        bar = QHBoxLayout()
        bar.addWidget(self.search, stretch)
        return bar

    def add_table(self, name: str, widths: Sequence[int]) -> QTableView:
        """The table over ``self.model``, at its default widths; ``remember_columns`` next."""
        table = self.table = QTableView()
        table.setObjectName(name)
        table.setModel(self.model)
        read_only_rows(table)
        table.setSortingEnabled(True)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.setWordWrap(False)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        header.setSectionsMovable(True)
        resize_columns(table, widths, whole_titles=True)
        header.setStretchLastSection(True)
        table.selectionModel().currentRowChanged.connect(lambda *_a: self._detail_timer.start())
        self.model.loaded.connect(self._loaded)
        # A row first shown as a placeholder (a jump far down) gets its record once its
        # page has come.
        self.model.page_loaded.connect(lambda _p: self._detail_timer.start())
        return table

    def remember_columns(self) -> None:
        """Columns as the user left them (order, widths, hidden ones, the sort), kept as
        they change."""
        header = self.table.horizontalHeader()
        state = self.ctx.settings.column_state(self.key)
        if state:
            header.restoreState(QByteArray(state))
        for sig in (header.sectionResized, header.sectionMoved, header.sortIndicatorChanged):
            sig.connect(self._save_columns)

    def _save_columns(self, *_args: Any) -> None:
        state = self.table.horizontalHeader().saveState()
        self.ctx.settings.set_column_state(self.key, bytes(state.data()))

    def apply_filter(self, *_args: Any) -> None:
        self._search_timer.stop()
        self._want = None  # a new list: the view follows its first row
        self.model.set_query(self.query())

    def reload(self) -> None:
        self.model.query = self.query()
        self.model.reload()
        self.view.reload()

    def _loaded(self, total: int) -> None:
        self.count_label.setText(self.count_text(total))
        self.list.set_empty_text(self.empty_text())
        self.list.show_list(total > 0)
        if not total:
            self.view.load(None)
            return
        row = self.model.row_of(self._want) if self._want else None
        if self._want is not None and row is None:
            return  # the wanted record is shown beside though not in this list
        self._select_row(row if row is not None else 0)

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)

    def _show_current(self) -> None:
        index = self.table.currentIndex()
        rid = self.model.id_at(index.row()) if index.isValid() else None
        if rid is not None and rid != self.view._requested:
            self._want = rid
            self.view.load(rid)

    def show_record(self, record_id: uuid.UUID) -> None:
        """Show a record opened from elsewhere; select it if the list holds it."""
        self._want = record_id
        self.view.load(record_id)
        row = self.model.row_of(record_id)
        if row is not None:
            self._select_row(row)

    def focus_search(self) -> bool:
        self.search.setFocus()
        self.search.selectAll()
        return True
