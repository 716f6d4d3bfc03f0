"""The unlock dialog: user and password, then the register opens on a worker.

"Forgot the password?" opens the register with the printed recovery key instead and gives
the user a new password (ui/first_run.py).

Opening derives the key with Argon2id (a fraction of a second on purpose) and may migrate
the file, so it runs off the UI thread with the dialog showing "Opening…". A wrong password
is said in the dialog itself, calmly, with what to check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.db.keys import KeyStore
from app.errors import TayanchError
from app.i18n import _
from ui import ops, style

if TYPE_CHECKING:
    from app.db.register import Register

log = logging.getLogger(__name__)

Opener = Callable[[Path, str, str], "Register"]


def open_register(data_dir: Path, login: str, password: str) -> Register:
    """The default opener; the model is imported here, not when the dialog is built."""
    from app.db.register import Register

    return Register.open(data_dir, login, password)


def logins_of(data_dir: Path) -> list[str]:
    try:
        return KeyStore.load(Path(data_dir)).logins()
    except TayanchError:
        return []


class UnlockDialog(QDialog):
    def __init__(
        self,
        data_dir: Path,
        *,
        last_login: str = "",
        stronghold: str = "",
        parent: QWidget | None = None,
        opener: Opener = open_register,
        before_open: Callable[[], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.opener = opener
        self.before_open = before_open  # e.g. wait for the preloaded imports (ui/app.py)
        self.register: Register | None = None
        self.setWindowTitle(_("Tayanch — unlock the register"))
        self.setMinimumWidth(420)
        lay = QVBoxLayout(self)
        title = QLabel(_("Tayanch"))
        style.role(title, "pageTitle")
        lay.addWidget(title)
        sub = QLabel(stronghold or _("Register of the makhalla stronghold"))
        style.role(sub, "muted")
        sub.setWordWrap(True)
        lay.addWidget(sub)
        form = QFormLayout()
        self.user = QComboBox()
        self.user.setEditable(True)
        logins = logins_of(self.data_dir)
        self.user.addItems(logins)
        if last_login in logins:
            self.user.setCurrentText(last_login)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.returnPressed.connect(self.unlock)
        form.addRow(_("User"), self.user)
        form.addRow(_("Password"), self.password)
        lay.addLayout(form)
        self.message = QLabel()
        style.role(self.message, "formError")
        self.message.setWordWrap(True)
        self.message.hide()
        lay.addWidget(self.message)
        buttons = QHBoxLayout()
        self.forgot_button = QPushButton(_("Forgot the password?"))
        self.forgot_button.setAutoDefault(False)
        self.forgot_button.setFlat(True)
        self.forgot_button.clicked.connect(self.recover)
        buttons.addWidget(self.forgot_button)
        buttons.addStretch(1)
        self.quit_button = QPushButton(_("Quit"))
        self.quit_button.setAutoDefault(False)
        self.quit_button.clicked.connect(self.reject)
        self.unlock_button = QPushButton(_("Unlock"))
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.unlock)
        buttons.addWidget(self.quit_button)
        buttons.addWidget(self.unlock_button)
        lay.addLayout(buttons)
        (self.password if self.user.currentText() else self.user).setFocus(
            Qt.FocusReason.OtherFocusReason
        )

    def login(self) -> str:
        return self.user.currentText().strip()

    def unlock(self) -> None:
        login, password = self.login(), self.password.text()
        if not login:
            self.show_message(_("Type your user name."))
            self.user.setFocus()
            return
        self._busy(True)
        self.message.setText(_("Opening the register…"))
        style.role(self.message, "muted")
        self.message.show()
        folder, opener, before = self.data_dir, self.opener, self.before_open

        def work() -> Register:
            if before is not None:
                before()
            return opener(folder, login, password)

        ops.Op(self, work, name="unlock").success(self._opened).failure(self._failed).run()

    def recover(self) -> None:
        """The printed recovery key instead of the password (ui/first_run.py)."""
        if self.before_open is not None:
            self.before_open()  # the preloaded model first: one thread imports it
        from ui.first_run import RecoverPasswordDialog

        dialog = RecoverPasswordDialog(
            self.data_dir, login=self.login(), parent=self, before_open=self.before_open
        )
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.register is not None:
            self._opened(dialog.register)

    def _opened(self, reg: Register) -> None:
        self.register = reg
        self.password.clear()
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        if isinstance(exc, TayanchError):
            self.show_message(exc.message())
            self.password.selectAll()
            self.password.setFocus()
        else:
            self.message.hide()
            ops.show_failure(self, exc)

    def show_message(self, text: str) -> None:
        style.role(self.message, "formError")
        self.message.setText(text)
        self.message.show()

    def _busy(self, busy: bool) -> None:
        for w in (self.user, self.password, self.unlock_button):
            w.setEnabled(not busy)
