"""Small lists (a person's check-ins, a dispute's measures): rows in memory, columns declared.

For lists that stay small by nature (tens or hundreds of rows). Large lists use
``PagedTableModel``. Columns follow Vorta's archive table: a key, a translatable header and
a function from the record to its text; rows are the services' frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor, QGuiApplication, QShowEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from app.i18n import _
from ui.style import MUTED
from ui.widgets.paged_model import ID_ROLE, ROW_ROLE, Column

SORT_ROLE = Qt.ItemDataRole.UserRole + 3
# A column of short values (a date and time, a number, a status word) is widened to show
# them whole; others grow to this width at most, narrowest first, while the table's width
# allows. Cut-off texts show whole in the cell's tooltip.
FIT_AT_MOST = 200
SHORT_VALUE = "00.00.0000 00:00"


def read_only_rows(table: QTableView) -> None:
    """A table of records, small or paged: whole rows chosen one at a time and never edited,
    striped, without row numbers, each row one line of text high."""
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)


class RecordTableModel(QAbstractTableModel):
    def __init__(
        self,
        columns: Sequence[Column],
        parent: Any = None,
        *,
        row_id: Callable[[Any], Any] = lambda r: getattr(r, "id", None),
        alert: Callable[[Any], bool] | None = None,
        sort_value: dict[str, Callable[[Any], Any]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[Any] = []
        self.row_id = row_id
        self.alert = alert
        self.sort_value = sort_value or {}

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Any | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def row_of(self, record_id: Any) -> int | None:
        for i, r in enumerate(self.rows):
            if self.row_id(r) == record_id:
                return i
        return None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else len(self.columns)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        r = self.rows[index.row()]
        col = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return col.value(r)
        if role == SORT_ROLE:
            fn = self.sort_value.get(col.key)
            return fn(r) if fn else col.value(r)
        if role == Qt.ItemDataRole.ForegroundRole and self.alert is not None and self.alert(r):
            return QColor("#b3261e")
        if role == Qt.ItemDataRole.ForegroundRole and col.muted is not None and col.muted(r):
            return QColor(MUTED)
        if role == Qt.ItemDataRole.TextAlignmentRole and col.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ID_ROLE:
            return self.row_id(r)
        if role == ROW_ROLE:
            return r
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
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class RecordTable(QTableView):
    """A read-only table of records, sortable by clicking a header, keyboard friendly.

    Each time it is filled, a column its rows do not fit in is widened (``fit_rows``),
    until the user sizes a column by hand."""

    def __init__(
        self,
        model: RecordTableModel,
        parent: QWidget | None = None,
        *,
        sortable: bool = True,
        stretch_last: bool = True,
    ) -> None:
        super().__init__(parent)
        self.source = model
        self._sized_by_user = False
        if sortable:
            proxy = QSortFilterProxyModel(self)
            proxy.setSourceModel(model)
            proxy.setSortRole(SORT_ROLE)
            self.setModel(proxy)
            self.setSortingEnabled(True)
            self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        else:
            self.setModel(model)
        read_only_rows(self)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setStretchLastSection(stretch_last)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        # Wide enough for every title from the start (an empty table would clip the longer
        # Uzbek and Russian ones); filled, the columns grow to their rows.
        self.resizeColumnsToContents()
        header.sectionResized.connect(self._section_resized)
        model.modelReset.connect(self._refilled)

    def _refilled(self) -> None:
        # Once the header and the page have taken in the new rows (and not if this table
        # is gone by then, as after a change of language).
        QTimer.singleShot(0, self, self.fit_rows)

    def fit_rows(self) -> None:
        """Widen the columns whose rows are cut off: short values always, to show them
        whole; the others up to FIT_AT_MOST, narrowest first, while every column stays in
        view (the last keeps room for its title). Never narrower, so columns do not jump
        from record to record, and not once the user sized one."""
        header = self.horizontalHeader()
        if self._sized_by_user or not self.source.rows:
            return
        last = header.logicalIndex(header.count() - 1) if header.stretchLastSection() else -1
        short = self.fontMetrics().horizontalAdvance(SHORT_VALUE) + 2 * self.showGrid() + 12
        wants = []
        for col in range(header.count()):
            if col != last and not header.isSectionHidden(col):
                want = min(self.sizeHintForColumn(col), FIT_AT_MOST)
                if want > header.sectionSize(col):
                    wants.append((want, col))
        for want, col in wants:
            if want <= short:
                header.resizeSection(col, want)
        if not self.isVisible():
            return  # its width is not known yet: again when it is shown
        room = self.viewport().width() - header.length()
        if last >= 0:
            room += header.sectionSize(last) - header.sectionSizeHint(last)
        for want, col in sorted(wants):
            grow = min(want - header.sectionSize(col), room)
            if grow > 0:
                header.resizeSection(col, header.sectionSize(col) + grow)
                room -= grow

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        QTimer.singleShot(0, self, self.fit_rows)

    def _section_resized(self, *_args: Any) -> None:
        # A column dragged with the mouse: the user's widths stand from now on.
        if self.horizontalHeader().underMouse() and (
            QGuiApplication.mouseButtons() & Qt.MouseButton.LeftButton
        ):
            self._sized_by_user = True

    def current_record(self) -> Any | None:
        index = self.currentIndex()
        if not index.isValid():
            return None
        return self.model().data(index, ROW_ROLE)

    def select_id(self, record_id: Any) -> bool:
        row = self.source.row_of(record_id)
        if row is None:
            return False
        index = self.source.index(row, 0)
        model = self.model()
        if isinstance(model, QSortFilterProxyModel):
            index = model.mapFromSource(index)
        self.setCurrentIndex(index)
        self.scrollTo(index)
        return True
