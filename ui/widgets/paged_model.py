"""A table model over a query that can return 100,000 rows, fetched a page at a time.

As in Anki's browser model, the view knows the total (so the scroll bar is honest) but only
the pages the user looks at are fetched, on a worker, into a small cache; a row not fetched
yet shows a placeholder for the few milliseconds its page takes. Filtering and sorting are
done in SQL by the service, never in a proxy (STYLE.md).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from app.i18n import _
from ui import ops

log = logging.getLogger(__name__)

ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
PLACEHOLDER = "…"


@dataclass(frozen=True)
class Fetch:
    """What a worker needs to fetch pages: the resolved query and the sort, frozen."""

    query: Any
    sort_key: str | None
    descending: bool


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # marked with N_, translated when shown
    value: Callable[[Any], str]
    sort: str | None = None  # the service's sort key; None: not sortable
    align_right: bool = False
    # True for a row whose cell holds a stand-in rather than a value ("(empty)"): shown muted
    muted: Callable[[Any], bool] | None = None


class PagedTableModel(QAbstractTableModel):
    """Subclasses set ``columns`` and implement ``count``/``page``/``resolve``."""

    loaded = Signal(int)  # a new result set is in place, with this many rows
    page_loaded = Signal(int)

    columns: list[Column] = []

    def __init__(self, parent: Any = None, *, page_size: int = 200, max_pages: int = 30) -> None:
        super().__init__(parent)
        self.page_size = page_size
        self.max_pages = max_pages
        self.query: Any = None
        self._resolved: Fetch | None = None
        self.sort_key: str | None = None
        self.descending = False
        self._total = 0
        self._pages: OrderedDict[int, list[Any]] = OrderedDict()
        self._pending: set[int] = set()
        self._generation = 0
        self.loading = False

    # --- to implement (run on a worker thread) ---------------------------------------

    def resolve(self, query: Any) -> Any:
        """Turn the user's query into what count/page take (e.g. run the search once)."""
        return query

    def count(self, fetch: Fetch) -> int:
        raise NotImplementedError

    def page(self, fetch: Fetch, offset: int, limit: int) -> list[Any]:
        raise NotImplementedError

    def row_id(self, row: Any) -> Any:
        return row.id

    def ids(self, fetch: Fetch, total: int) -> list[Any]:
        """The ids of every row of a result set, in order (on a worker)."""
        return [self.row_id(r) for r in self.page(fetch, 0, total)] if total else []

    # --- loading -------------------------------------------------------------------

    def set_query(self, query: Any) -> None:
        self.query = query
        self.reload()

    def reload(self) -> None:
        """Count and fetch the first page again (after a filter change or a save)."""
        self._generation += 1
        gen = self._generation
        query, sort_key, descending, size = (
            self.query,
            self.sort_key,
            self.descending,
            self.page_size,
        )
        self.loading = True

        def work() -> tuple[Fetch, int, list[Any]]:
            fetch = Fetch(self.resolve(query), sort_key, descending)
            total = self.count(fetch)
            rows = self.page(fetch, 0, size) if total else []
            return fetch, total, rows

        def done(result: tuple[Fetch, int, list[Any]]) -> None:
            if gen != self._generation:
                return  # a newer query was started meanwhile
            resolved, total, rows = result
            self.beginResetModel()
            self._resolved = resolved
            self._total = total
            self._pages = OrderedDict({0: rows}) if rows else OrderedDict()
            self._pending = set()
            self.endResetModel()
            self.loading = False
            self.loaded.emit(total)

        ops.Op(self, work, name=type(self).__name__ + ".reload").success(done).run()

    def _request(self, page_no: int) -> None:
        if page_no in self._pending or self._resolved is None:
            return
        self._pending.add(page_no)
        gen = self._generation
        resolved, size = self._resolved, self.page_size

        def done(rows: list[Any]) -> None:
            if gen != self._generation:
                return
            self._pending.discard(page_no)
            self._pages[page_no] = rows
            self._pages.move_to_end(page_no)
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)
            first = page_no * size
            last = min(first + size, self._total) - 1
            if last >= first:
                self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.columns) - 1))
            self.page_loaded.emit(page_no)

        ops.Op(
            self,
            lambda: self.page(resolved, page_no * size, size),
            name=type(self).__name__ + ".page",
        ).success(done).run()

    # --- access --------------------------------------------------------------------

    def row_at(self, row: int, *, fetch: bool = True) -> Any | None:
        if row < 0 or row >= self._total:
            return None
        page_no, offset = divmod(row, self.page_size)
        rows = self._pages.get(page_no)
        if rows is None:
            if fetch:
                self._request(page_no)
            return None
        self._pages.move_to_end(page_no)
        return rows[offset] if offset < len(rows) else None

    def id_at(self, row: int) -> Any | None:
        r = self.row_at(row)
        return None if r is None else self.row_id(r)

    def row_of(self, record_id: Any) -> int | None:
        """The row of a record among the pages in the cache (None when not loaded)."""
        for page_no, rows in self._pages.items():
            for i, r in enumerate(rows):
                if self.row_id(r) == record_id:
                    return page_no * self.page_size + i
        return None

    def cached_rows(self) -> int:
        return sum(len(rows) for rows in self._pages.values())

    @property
    def total(self) -> int:
        return self._total

    @property
    def resolved(self) -> Fetch | None:
        """The result set the table shows (None before the first one has come)."""
        return self._resolved

    # --- Qt model API ----------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else len(self.columns)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or index.row() >= self._total:
            return None
        col = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            r = self.row_at(index.row())
            if r is None:
                return PLACEHOLDER if index.column() == 0 else ""
            return col.value(r)
        if role == Qt.ItemDataRole.TextAlignmentRole and col.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ID_ROLE:
            return self.id_at(index.row())
        if role == ROW_ROLE:
            return self.row_at(index.row())
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,  # noqa: N802
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return _(self.columns[section].header)
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns) or self.columns[column].sort is None:
            return
        key = self.columns[column].sort
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) == (self.sort_key, self.descending) and self._resolved is not None:
            return
        self.sort_key, self.descending = key, descending
        self.reload()
