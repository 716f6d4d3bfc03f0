"""The one dialog for the unexpected: a calm sentence, the details, "Copy details".

Expected failures (``TayanchError``) never come here; they are shown as a sentence by
whatever started the work. This hook is for bugs. It logs the traceback and shows a dialog,
except when ``DIALOGS`` is off (tests), where the hook before ours (pytest-qt's) is called so
the test fails loudly instead of hanging on a dialog.

Crash details can be pasted into a chat or an e-mail, so they carry the code path and the
exception type but withhold messages that may quote a value typed by a user (a name, a
PINFL): only exception types whose messages are about code keep their text.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.i18n import _

log = logging.getLogger(__name__)

DIALOGS = True
_SAFE_MESSAGE_TYPES = (
    AttributeError,
    NameError,
    ImportError,
    TypeError,
    NotImplementedError,
    RecursionError,
    ZeroDivisionError,
)
_previous_hook = sys.excepthook
_showing = False


def safe_details(etype: type[BaseException], value: BaseException, tb: TracebackType | None) -> str:
    """A traceback without values: frames, the exception type, and a message if harmless."""
    lines = [f"Tayanch {__version__}, Python {sys.version.split()[0]}"]
    for frame in traceback.extract_tb(tb):
        lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
    name = f"{etype.__module__}.{etype.__qualname__}"
    if isinstance(value, _SAFE_MESSAGE_TYPES):
        lines.append(f"{name}: {value}")
    else:
        lines.append(f"{name}: (message withheld: it may quote personal data)")
    return "\n".join(lines)


class ExceptionDialog(QDialog):
    def __init__(self, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Something went wrong"))
        self.resize(640, 360)
        layout = QVBoxLayout(self)
        text = QLabel(
            _(
                "Tayanch met an error it did not expect. What you saved before is safe. "
                "If it happens again, copy the details and send them to the district office."
            )
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        layout.addWidget(self.details)
        buttons = QDialogButtonBox()
        copy = QPushButton(_("Copy details"))
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(details))
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(_("Close"), QDialogButtonBox.ButtonRole.RejectRole)
        close.clicked.connect(self.reject)
        layout.addWidget(buttons)


def excepthook(etype: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    global _showing
    details = safe_details(etype, value, tb)
    log.error("unexpected error\n%s", details)
    if not DIALOGS or QApplication.instance() is None:
        _previous_hook(etype, value, tb)
        return
    if _showing:  # an error while the dialog is up: log it, do not stack dialogs
        return
    _showing = True
    try:
        ExceptionDialog(details, QApplication.activeWindow()).exec()
    finally:
        _showing = False


def install() -> None:
    global _previous_hook
    if sys.excepthook is not excepthook:
        _previous_hook = sys.excepthook
        sys.excepthook = excepthook


def report_unexpected(exc: BaseException) -> None:
    """Route an exception caught on a worker thread to the hook, on the main thread."""
    sys.excepthook(type(exc), exc, exc.__traceback__)
