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
    box = QMessageBox(
        QMessageBox.Icon.Question,
        title or _("Please confirm"),
        text,
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    yes = box.addButton(_("Yes"), QMessageBox.ButtonRole.YesRole)
    no = box.addButton(_("No"), QMessageBox.ButtonRole.NoRole)
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    box.exec()
    return box.clickedButton() is yes


def ask_choice(
    parent: QWidget | None, text: str, choices: list[str], *, title: str | None = None
) -> int | None:
    """A question with several answers and Cancel: the index of the answer chosen, or None
    (Cancel, Esc). The first answer is the default."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        title or _("Please confirm"),
        text,
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    buttons = [box.addButton(c, QMessageBox.ButtonRole.AcceptRole) for c in choices]
    cancel = box.addButton(_("Cancel"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(buttons[0])
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    return buttons.index(clicked) if clicked in buttons else None


def show_error(parent: QWidget | None, text: str) -> None:
    """An expected failure, as one translated sentence that says what to do."""
    box = QMessageBox(
        QMessageBox.Icon.Warning, _("Tayanch"), text, QMessageBox.StandardButton.NoButton, parent
    )
    box.addButton(_("OK"), QMessageBox.ButtonRole.AcceptRole)
    box.exec()


def show_info(parent: QWidget | None, text: str) -> None:
    box = QMessageBox(
        QMessageBox.Icon.Information,
        _("Tayanch"),
        text,
        QMessageBox.StandardButton.NoButton,
        parent,
    )
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


def ask_folder(parent: QWidget | None, caption: str, start: str) -> str | None:
    """A folder or a drive (the USB stick) to write into."""
    path = QFileDialog.getExistingDirectory(parent, caption, start)
    return path or None


def ask_open_file(parent: QWidget | None, caption: str, start: str, filters: str) -> str | None:
    path, _filter = QFileDialog.getOpenFileName(parent, caption, start, filters)
    return path or None


def ask_print(parent: QWidget | None, printer) -> bool:
    """The system's print dialog: the user picks the printer and copies, or cancels."""
    from PySide6.QtPrintSupport import QPrintDialog

    dialog = QPrintDialog(printer, parent)
    return dialog.exec() == QPrintDialog.DialogCode.Accepted


def ask_password(parent: QWidget | None, text: str) -> str | None:
    """A password typed into a masked field; None when the user cancels."""
    from PySide6.QtWidgets import QInputDialog, QLineEdit

    value, ok = QInputDialog.getText(parent, _("Password"), text, QLineEdit.EchoMode.Password)
    return value if ok and value else None


def ask_text(parent: QWidget | None, caption: str, text: str) -> str | None:
    """One line typed by the user (a one-time code); None when cancelled or empty."""
    from PySide6.QtWidgets import QInputDialog

    value, ok = QInputDialog.getText(parent, caption, text)
    return value.strip() if ok and value.strip() else None
