"""The register lists' shared parts: the record shown beside a list.

Disputes, orders and households each show the record chosen in their list beside it: an
empty state until one is chosen, then the record, fetched on a worker; an answer that comes
after the user has moved on to another row is dropped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtWidgets import QTableView, QVBoxLayout, QWidget

from app.db.register import Register
from ui import ops
from ui.widgets.common import Context, EmptyState


def resize_columns(table: QTableView, widths: Sequence[int]) -> None:
    """The first columns' widths by position, before any remembered state is restored."""
    header = table.horizontalHeader()
    for i, w in enumerate(widths):
        header.resizeSection(i, w)


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
