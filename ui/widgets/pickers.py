"""Choosing a record by typing: a person, a household. Type, Down, Enter; no mouse needed.

The lookup runs on a worker after a short pause and fills a completer popup; the chosen
record's id is the field's value. Editing the text after a choice clears it, so a form can
never save an id that no longer matches what the field shows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QStringListModel, Qt, QTimer, Signal
from PySide6.QtWidgets import QCompleter, QLineEdit, QListWidget, QListWidgetItem, QWidget

from app.db.register import Register
from app.i18n import _
from app.services import ui_queries
from app.services.queries import PersonFilter, person_rows
from ui import ops
from ui.format import fmt_date
from ui.persons.list_model import search_ids

log = logging.getLogger(__name__)

Lookup = Callable[[str], list[tuple[Any, str]]]


class LookupEdit(QLineEdit):
    """A line edit whose value is the id of the record picked from its suggestions."""

    chosen = Signal(object)  # the id, or None when the choice was cleared

    def __init__(
        self, lookup: Lookup, parent: QWidget | None = None, *, placeholder: str = ""
    ) -> None:
        super().__init__(parent)
        self.lookup = lookup
        self.setPlaceholderText(placeholder)
        self._value: Any = None
        self._shown = ""
        self._results: list[tuple[Any, str]] = []
        self._model = QStringListModel(self)
        self.completer_ = QCompleter(self._model, self)
        self.completer_.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer_.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer_.setWidget(self)
        self.completer_.activated[QModelIndex].connect(self._picked)
        self._timer = QTimer(self, singleShot=True, interval=200)
        self._timer.timeout.connect(self._run_lookup)
        self.textEdited.connect(self._edited)

    def value(self) -> Any:
        """The chosen id; ValueError when text was typed but nothing chosen."""
        if self._value is None and self.text().strip():
            raise ValueError(self.text())
        return self._value

    def set_choice(self, record_id: Any, text: str) -> None:
        self._value = record_id
        self._shown = text
        self.setText(text)
        self.setCursorPosition(0)  # show the start (the street), not the end
        self.chosen.emit(record_id)

    def clear_choice(self) -> None:
        self._value = None
        self.clear()
        self.chosen.emit(None)

    def _edited(self, text: str) -> None:
        if self._value is not None and text != self._shown:
            self._value = None
            self.chosen.emit(None)
        if text.strip():
            self._timer.start()
        else:
            self.completer_.popup().hide()

    def _run_lookup(self) -> None:
        text = self.text().strip()
        if not text:
            return

        def done(results: list[tuple[Any, str]]) -> None:
            if self.text().strip() != text:
                return  # typed on meanwhile; a newer lookup is coming
            self._results = results
            self._model.setStringList(
                [r[1] for r in results] or [_("Nothing found for “{text}”").format(text=text)]
            )
            if self.hasFocus():
                self.completer_.complete()
                popup = self.completer_.popup()
                if results:
                    popup.setCurrentIndex(self._model.index(0, 0))

        ops.Op(self, lambda: self.lookup(text), name="lookup").success(done).run()

    def _picked(self, index: QModelIndex) -> None:
        row = index.row()
        if 0 <= row < len(self._results):
            rid, text = self._results[row]
            # QCompleter writes the chosen text itself after this signal; queue ours after it.
            QTimer.singleShot(0, lambda: self.set_choice(rid, text))

    def pick_first(self) -> bool:
        """Choose the first suggestion (tests, and Enter without moving in the popup)."""
        if not self._results:
            return False
        rid, text = self._results[0]
        self.completer_.popup().hide()
        self.set_choice(rid, text)
        return True

    def has_results(self) -> bool:
        return bool(self._results)


def person_lookup(reg: Register, limit: int = 15) -> Lookup:
    def lookup(text: str) -> list[tuple[Any, str]]:
        ids = search_ids(reg, text)
        f = PersonFilter(text=text) if ids is None else PersonFilter(ids=ids[:limit])
        rows = person_rows(reg, f, limit=limit)
        return [
            (
                r.id,
                f"{r.full_name}, {fmt_date(r.birth_date)}"
                + (f", {r.address}" if r.address else ""),
            )
            for r in rows
        ]

    return lookup


def household_lookup(reg: Register, limit: int = 15) -> Lookup:
    def lookup(text: str) -> list[tuple[Any, str]]:
        rows = ui_queries.household_rows(reg, ui_queries.HouseholdFilter(text=text), limit=limit)
        return [(r.id, household_text(r)) for r in rows]

    return lookup


def household_text(r: ui_queries.HouseholdRow) -> str:
    return r.address + (f" — {r.head_name}" if r.head_name else "")


class CheckList(QListWidget):
    """Items with check boxes; Space toggles the current one. The value: checked ids."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.itemChanged.connect(lambda _i: self.changed.emit())

    def set_items(self, items: list[tuple[Any, str]], checked: set[Any] | None = None) -> None:
        self.blockSignals(True)
        self.clear()
        for rid, text in items:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, rid)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if checked and rid in checked else Qt.CheckState.Unchecked
            )
            self.addItem(item)
        if self.count():
            self.setCurrentRow(0)
        self.blockSignals(False)
        self.changed.emit()

    def checked_ids(self) -> tuple[Any, ...]:
        return tuple(
            self.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        )

    def set_checked(self, ids: set[Any]) -> None:
        for i in range(self.count()):
            item = self.item(i)
            item.setCheckState(
                Qt.CheckState.Checked
                if item.data(Qt.ItemDataRole.UserRole) in ids
                else Qt.CheckState.Unchecked
            )
