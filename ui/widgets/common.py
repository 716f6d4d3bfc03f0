"""Small pieces every screen uses: the page base, titles, empty states, the change hub."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.db.register import Register
from ui import style

if TYPE_CHECKING:
    from ui.settings import UiSettings


class Hub(QObject):
    """Tells every screen that data changed, so lists and counts never show stale rows."""

    changed = Signal(str)  # the table that was written ("person", "household_visit"...)


@dataclass
class Context:
    """What a screen needs: the open register, the hub, the settings, the window."""

    reg: Register
    hub: Hub
    settings: UiSettings
    window: Any = None  # ui.main_window.MainWindow; Any to avoid an import cycle
    stronghold: Any = None  # the stronghold's record, for defaults (makhalla, district)


def last_folder(ctx: Context) -> Path:
    """Where the user last saved or opened a file, else their Documents folder."""
    last = ctx.settings.last_folder
    if last and Path(last).is_dir():
        return Path(last)
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(docs or Path.home())


def title_label(text: str) -> QLabel:
    label = QLabel(text)
    style.role(label, "pageTitle")
    return label


def section_label(text: str) -> QLabel:
    label = QLabel(text)
    style.role(label, "sectionTitle")
    return label


def muted_label(text: str = "") -> QLabel:
    label = QLabel(text)
    style.role(label, "muted")
    label.setWordWrap(True)
    return label


def hline() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setStyleSheet("color: #d7dee6;")
    return line


class EmptyState(QLabel):
    """What an empty list shows: what is missing and what to do about it."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        style.role(self, "emptyState")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)


class ListOrEmpty(QStackedWidget):
    """A list and its empty state in one place; ``show_list(bool)`` picks which is seen."""

    def __init__(self, view: QWidget, empty_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.empty = EmptyState(empty_text)
        self.addWidget(view)
        self.addWidget(self.empty)

    def show_list(self, has_rows: bool) -> None:
        self.setCurrentWidget(self.view if has_rows else self.empty)

    def set_empty_text(self, text: str) -> None:
        self.empty.setText(text)


def button(text: str, slot: Any = None, *, tip: str = "") -> QPushButton:
    b = QPushButton(text)
    b.setAutoDefault(False)
    if tip:
        b.setToolTip(tip)
    if slot is not None:
        b.clicked.connect(slot)
    return b


def button_row(*buttons: QWidget, stretch_first: bool = False) -> QHBoxLayout:
    row = QHBoxLayout()
    if stretch_first:
        row.addStretch(1)
    for b in buttons:
        row.addWidget(b)
    if not stretch_first:
        row.addStretch(1)
    return row


class Page(QWidget):
    """A screen of the side navigation. Reloads lazily: only when shown and stale."""

    title = ""
    nav_title = ""  # marked with N_; the side navigation shows it before the page is built
    key = ""
    tables: tuple[str, ...] = ()  # writes to these tables make the page stale

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.stale = True
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(14, 10, 14, 10)
        ctx.hub.changed.connect(self._on_changed)

    @property
    def reg(self) -> Register:
        return self.ctx.reg

    def _on_changed(self, table: str) -> None:
        if not self.tables or table in self.tables:
            self.stale = True
            if self.isVisible():
                self.activate()

    def activate(self) -> None:
        """Called when the page is shown; reloads if something changed since."""
        if self.stale:
            self.stale = False
            self.reload()

    def reload(self) -> None:
        """Fetch what the page shows (through ui.ops, never on the UI thread)."""

    def new_item(self) -> None:
        """Ctrl+N on this page."""

    def focus_search(self) -> bool:
        """Ctrl+F on this page; False when the page has no search box."""
        return False

    def print_current(self) -> bool:
        """Ctrl+P on this page; False when there is nothing to print."""
        return False

    def state(self) -> dict[str, Any]:
        return {}
