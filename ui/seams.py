"""Every modal question and message box goes through here, so tests can replace them.

A real ``QMessageBox.exec()`` in a test waits for a click that never comes (STYLE.md), so
widgets call ``seams.ask_confirm(...)`` through the module, never a message box directly,
and tests/ui/conftest.py swaps these functions for recorders with scripted answers.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.i18n import _


def ask_confirm(parent: QWidget | None, text: str, *, title: str | None = None) -> bool:
    """Yes/No question; No is the default so a stray Enter never throws work away."""
    box = QMessageBox(QMessageBox.Icon.Question, title or _("Please confirm"), text,
                      QMessageBox.StandardButton.NoButton, parent)
    yes = box.addButton(_("Yes"), QMessageBox.ButtonRole.YesRole)
    no = box.addButton(_("No"), QMessageBox.ButtonRole.NoRole)
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    box.exec()
    return box.clickedButton() is yes


def show_error(parent: QWidget | None, text: str) -> None:
    """An expected failure, as one translated sentence that says what to do."""
    box = QMessageBox(QMessageBox.Icon.Warning, _("Tayanch"), text,
                      QMessageBox.StandardButton.NoButton, parent)
    box.addButton(_("OK"), QMessageBox.ButtonRole.AcceptRole)
    box.exec()


def show_info(parent: QWidget | None, text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Information, _("Tayanch"), text,
                      QMessageBox.StandardButton.NoButton, parent)
    box.addButton(_("OK"), QMessageBox.ButtonRole.AcceptRole)
    box.exec()


def open_file(path) -> None:
    """Open a saved document in the system's viewer (which prints it)."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def ask_save_file(parent: QWidget | None, caption: str, suggested: str, filters: str) -> str | None:
    path, _filter = QFileDialog.getSaveFileName(parent, caption, suggested, filters)
    return path or None
