"""Merge a duplicate into the person's card (app/services/persons.py ``merge_persons``).

The same person entered twice (Қодиров Шавкат and Qodirov Shavkat) is found with the
search that reads every script, chosen, and merged after one question: every record of the
other card moves to this one, its empty fields are filled from the other, and the other
card is removed. The audit keeps the merge; it syncs like any edit. Only an inspector
merges (it deletes a card).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _
from app.services.base import has_permission
from ui import ops, seams, style
from ui.format import fmt_date, full_name
from ui.widgets.common import Context, muted_label

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 250
ID_ROLE = Qt.ItemDataRole.UserRole


def may_merge(ctx: Context) -> bool:
    return has_permission(ctx.reg, "delete")


def hit_text(hit: Any) -> str:
    parts = [hit.full_name, fmt_date(hit.birth_date)]
    if hit.pinfl:
        parts.append(hit.pinfl)
    return " · ".join(p for p in parts if p)


class MergeDialog(QDialog):
    """Find the other card of the person, then merge it into this one."""

    def __init__(self, ctx: Context, person: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.keep = person
        self.merged: Any = None
        self.setWindowTitle(_("Merge a duplicate"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(640, 460)
        lay = QVBoxLayout(self)
        title = QLabel(_("Merge a duplicate into {name}").format(name=full_name(person)))
        title.setWordWrap(True)
        style.role(title, "pageTitle")
        lay.addWidget(title)
        lay.addWidget(
            muted_label(
                _(
                    "Find the other card of this person. Everything recorded there (registers, "
                    "check-ins, visits, disputes, orders, documents) moves to this card, its "
                    "empty fields are filled from the other, and the other card is removed. "
                    "The audit keeps the merge."
                )
            )
        )
        self.search = QLineEdit()
        self.search.setPlaceholderText(_("Name in any script, PINFL, passport or phone"))
        self.search.setClearButtonEnabled(True)
        lay.addWidget(self.search)
        self.results = QListWidget()
        self.results.setObjectName("mergeResults")
        lay.addWidget(self.results, 1)
        self.none_found = muted_label(
            _("No other card matches. Try another spelling or the PINFL.")
        )
        self.none_found.hide()
        lay.addWidget(self.none_found)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.merge_button = QPushButton(_("Merge…"))
        self.merge_button.setDefault(True)
        self.merge_button.setEnabled(False)
        self.merge_button.clicked.connect(self.merge)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.merge_button)
        lay.addLayout(buttons)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.find)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.returnPressed.connect(self._to_results)
        self.results.currentItemChanged.connect(lambda *_a: self._update())
        self.results.itemActivated.connect(lambda _i: self.merge())
        # Likely duplicates first: the same name, in whatever script it was typed.
        self.search.setText(" ".join(p for p in (person.surname, person.given_name) if p))
        self.search.selectAll()
        self.search.setFocus(Qt.FocusReason.OtherFocusReason)

    def _to_results(self) -> None:
        if self.results.count():
            self.results.setCurrentRow(0)
            self.results.setFocus()

    def find(self) -> None:
        text, reg, keep = self.search.text().strip(), self.ctx.reg, self.keep.id
        if not text:
            self._show([])
            return

        def work() -> list[Any]:
            from app.search.service import search

            return [h for h in search(reg, text, limit=30) if h.person_id != keep]

        ops.Op(self, work, name="merge-search").success(self._show).run()

    def _show(self, hits: list[Any]) -> None:
        self.results.clear()
        for hit in hits:
            item = QListWidgetItem(hit_text(hit))
            item.setData(ID_ROLE, hit.person_id)
            self.results.addItem(item)
        self.none_found.setVisible(not hits and bool(self.search.text().strip()))
        self._update()

    def _update(self) -> None:
        self.merge_button.setEnabled(self.results.currentItem() is not None)

    def chosen(self) -> uuid.UUID | None:
        item = self.results.currentItem()
        return None if item is None else item.data(ID_ROLE)

    def merge(self) -> None:
        drop = self.chosen()
        if drop is None:
            return
        item = self.results.currentItem()
        if not seams.ask_confirm(
            self,
            _(
                "Merge {other} into {name}? The other card is removed and everything "
                "recorded there moves to {name}. This cannot be undone."
            ).format(other=item.text(), name=full_name(self.keep)),
        ):
            return
        reg, keep = self.ctx.reg, self.keep.id
        self.merge_button.setEnabled(False)

        def work() -> Any:
            from app.services.persons import merge_persons

            return merge_persons(reg, keep, drop)

        ops.Op(self, work, write=True, name="merge").with_progress(_("Merging…")).success(
            self._merged
        ).failure(self._failed).run()

    def _merged(self, person: Any) -> None:
        self.merged = person
        from ui.persons.page import PersonsPage

        for table in PersonsPage.tables:
            self.ctx.hub.changed.emit(table)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._update()
        ops.show_failure(self, exc)
