"""The register made, and a lost password replaced, from the window instead of the command line.

- ``CreateRegisterDialog``: the first start on a computer without a register. The
  stronghold and its first user, in the language the user picks at the top.
- ``RecoveryKeyDialog``: the recovery key, shown once, with a sheet to print or save.
  It follows the creation, and an inspector's "New recovery key…" in Settings.
- ``RecoverPasswordDialog``: "Forgot the password?" in the unlock dialog. The printed key
  opens the register and gives a user a new password.

The rules are the core's: the stronghold code as HQ accepts it
(``validation.stronghold_code_problem``), logins and passwords as ``app.services.users``
wants them. The forms check them as the user types.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.db.keys import recovery_key_problem
from app.db.register import Register, StrongholdInfo
from app.domain.validation import stronghold_code_problem
from app.i18n import LANGUAGE_NAMES, LANGUAGES, _, current_language
from app.reports import recovery_sheet
from app.services import users as users_service
from ui import lock, seams, style
from ui.unlock import logins_of
from ui.users import PasswordFields
from ui.widgets.common import button, muted_label
from ui.widgets.form import FormDialog

log = logging.getLogger(__name__)

#: ``CreateRegisterDialog.exec()``'s result when the user chose another language: the
#: caller sets it and shows the dialog again with what was typed (``typed``).
LANGUAGE_CHANGED = 2


def check_code(value: str, _values: dict[str, Any]) -> str | None:
    return stronghold_code_problem(value)


def check_login(value: str, _values: dict[str, Any]) -> str | None:
    return users_service.login_problem(value)


def check_recovery_key(value: str, _values: dict[str, Any]) -> str | None:
    return recovery_key_problem(value)


class CreateRegisterDialog(FormDialog, PasswordFields):
    """The stronghold and its first user; Create makes the encrypted register."""

    def __init__(
        self,
        data_dir: Path,
        *,
        typed: dict[str, str] | None = None,
        parent: QWidget | None = None,
        kdf: dict | None = None,
    ) -> None:
        super().__init__(parent, _("Tayanch — create the register"), columns=2)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.data_dir = Path(data_dir)
        self.kdf = kdf  # tests make the key derivation fast
        self.created: tuple[Register, str] | None = None
        self.chosen_language = current_language()
        self.typed: dict[str, str] = {}

        top = QVBoxLayout()
        title = QLabel(_("A new register"))
        style.role(title, "pageTitle")
        top.addWidget(title)
        language_row = QHBoxLayout()
        self.language = QComboBox()
        for code in LANGUAGES:
            self.language.addItem(LANGUAGE_NAMES.get(code, code), code)
        self.language.setCurrentIndex(max(0, self.language.findData(current_language())))
        self.language.currentIndexChanged.connect(self._language_chosen)
        caption = QLabel(_("Language"))
        caption.setBuddy(self.language)
        language_row.addWidget(caption)
        language_row.addWidget(self.language)
        language_row.addStretch(1)
        top.addLayout(language_row)
        intro = muted_label(
            _(
                "This computer has no register yet. Fill in the stronghold and its first "
                "user: the register is made encrypted in {folder}."
            ).format(folder=self.data_dir)
        )
        top.addWidget(intro)
        second = muted_label(
            _(
                "If the stronghold already works on another computer, make the register "
                "here with the same stronghold code, then enrol this computer on the Sync "
                "screen: the records arrive with its first sync."
            )
        )
        top.addWidget(second)
        outer = self.layout()
        assert isinstance(outer, QVBoxLayout)
        outer.insertLayout(0, top)

        self.add_section(_("Stronghold"))
        self.add_text(
            "code",
            _("Stronghold code"),
            required=True,
            validate=check_code,
            placeholder=_("as HQ gave it, e.g. TP-0123"),
            max_length=16,
        )
        self.add_text("name", _("Stronghold name"), required=True, max_length=200)
        self.add_text("region", _("Region"), required=True, max_length=120)
        self.add_text("district", _("District"), required=True, max_length=120)
        self.add_text("makhalla", _("Makhalla"), required=True, max_length=120)
        self.add_text(
            "office",
            _("Office line on documents"),
            max_length=300,
            placeholder=_("e.g. the district department of internal affairs"),
        )
        self.use_column(1)
        self.add_section(_("First user (an inspector)"))
        self.add_text(
            "login",
            _("Login"),
            required=True,
            validate=check_login,
            max_length=32,
            placeholder=_("e.g. aziza"),
        )
        self.add_text("full_name", _("Full name"), required=True, max_length=200)
        self.add_text("position", _("Position"), max_length=200)
        self.add_passwords(_("Password"))
        self.cancel_button.setText(_("Quit"))
        self.save_button.setText(_("Create the register"))
        self.hint.setText(_("Ctrl+S creates the register"))
        if typed:
            for name, value in typed.items():
                if name in self.fields:
                    self.fields[name].set(value)
                    self.fields[name].touched = bool(value)
        self.mark_clean()
        self.setMinimumWidth(860)
        self.fields["code"].widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def cross_check(self, values: dict[str, Any], problems: dict[str, str]) -> None:
        self.check_passwords(values, problems)

    def submit(self, values: dict[str, Any]) -> tuple[Register, str]:
        return Register.create(
            self.data_dir,
            self.stronghold(values),
            login=users_service.normalize_login(values["login"]),
            full_name=values["full_name"],
            password=values["password"],
            position=values.get("position", ""),
            kdf=self.kdf,
        )

    def _saved(self, record: Any) -> None:
        self.created = record
        super()._saved(record)

    def stronghold(self, values: dict[str, Any] | None = None) -> StrongholdInfo:
        """The stronghold as typed (the register's, and its recovery key sheet's)."""
        v = self.values() if values is None else values
        return StrongholdInfo(
            code=v["code"],
            name=v["name"],
            region=v["region"],
            district=v["district"],
            makhalla=v["makhalla"],
            office=v.get("office", ""),
        )

    def _language_chosen(self) -> None:
        self.chosen_language = self.language.currentData()
        self.typed = {name: f.raw() for name, f in self.fields.items()}
        self._closing = True
        self.done(LANGUAGE_CHANGED)


class RecoveryKeyDialog(QDialog):
    """The recovery key, shown once: print or save its sheet, then go on."""

    def __init__(
        self,
        key: str,
        info: StrongholdInfo,
        parent: QWidget | None = None,
        *,
        made_on: date | None = None,
    ) -> None:
        super().__init__(parent)
        self.key, self.info = key, info
        self.made_on = made_on or date.today()
        self.setWindowTitle(_("The recovery key"))
        lay = QVBoxLayout(self)
        title = QLabel(_("Keep the recovery key"))
        style.role(title, "pageTitle")
        lay.addWidget(title)
        lay.addWidget(
            muted_label(
                _(
                    "If every password is forgotten, this key opens the register and sets a "
                    "new one. It is shown only now: print its sheet and keep it in the safe, "
                    "away from the computer."
                )
            )
        )
        self.key_field = QLineEdit(key)
        self.key_field.setReadOnly(True)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setWeight(QFont.Weight.Bold)
        self.key_field.setFont(font)
        self.key_field.setAlignment(Qt.AlignmentFlag.AlignCenter)
        key_width = self.key_field.fontMetrics().horizontalAdvance(key) + 48
        self.key_field.setMinimumWidth(key_width)
        self.setMinimumWidth(max(520, key_width + 40))
        lay.addWidget(self.key_field)
        self.print_button = button(_("Print…"), self.print_sheet)
        self.save_button = button(_("Save as PDF…"), self.save_sheet)
        self.copy_button = button(_("Copy"), self.copy_key)
        actions = QHBoxLayout()
        for b in (self.print_button, self.save_button, self.copy_button):
            actions.addWidget(b)
        actions.addStretch(1)
        lay.addLayout(actions)
        self.kept = QCheckBox(_("I have printed or written down the recovery key"))
        self.kept.toggled.connect(self._update)
        lay.addWidget(self.kept)
        row = QHBoxLayout()
        row.addStretch(1)
        self.done_button = QPushButton(_("Continue"))
        self.done_button.setDefault(True)
        self.done_button.clicked.connect(self.accept)
        row.addWidget(self.done_button)
        lay.addLayout(row)
        # Ctrl+L locks the window behind, which hides this dialog (a window-modal one blocks
        # the window's own shortcut), as in every form.
        QShortcut(QKeySequence("Ctrl+L"), self, activated=lock.request_lock)
        self._update()

    def _update(self) -> None:
        self.done_button.setEnabled(self.kept.isChecked())

    def sheet(self) -> bytes:
        return recovery_sheet.render(self.key, self.info, self.made_on, current_language())

    def print_sheet(self) -> None:
        from ui.printing import print_documents

        print_documents(self, [self.sheet()], on_done=lambda: self.kept.setChecked(True))

    def save_sheet(self) -> None:
        from ui.printing import write_pdf

        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        suggested = Path(docs or Path.home()) / f"tayanch-recovery-key-{self.info.code}.pdf"
        if write_pdf(self, _("Save the recovery key"), suggested, self.sheet()) is not None:
            self.kept.setChecked(True)

    def copy_key(self) -> None:
        QGuiApplication.clipboard().setText(self.key)

    def reject(self) -> None:
        """Esc or the close button: going on without the key is allowed, after a question."""
        if self.kept.isChecked() or seams.ask_confirm(
            self,
            _(
                "Go on without keeping the recovery key? If every password is then "
                "forgotten, the register cannot be opened. An inspector can make a new key "
                "in Settings, Users."
            ),
        ):
            super().accept()


def sheet_info(reg: Register) -> StrongholdInfo:
    """Whose register: its stronghold record (``ui_queries.stronghold``)."""
    from app.services import ui_queries

    row = ui_queries.stronghold(reg)
    if row is None:
        return StrongholdInfo(reg.stronghold_code, reg.stronghold_code)
    return StrongholdInfo(
        code=row.code,
        name=row.name,
        region=row.region,
        district=row.district,
        makhalla=row.makhalla,
        office=row.office,
    )


def create_register(
    data_dir: Path,
    *,
    on_language: Callable[[str], None],
    kdf: dict | None = None,
) -> Register | None:
    """The first start: make the register, show its recovery key; the register open, or
    None when the user quit. ``on_language`` switches the application's language."""
    typed: dict[str, str] = {}
    while True:
        dialog = CreateRegisterDialog(data_dir, typed=typed, kdf=kdf)
        result = dialog.exec()
        if result == LANGUAGE_CHANGED:
            on_language(dialog.chosen_language)
            typed = dialog.typed
            continue
        if result != QDialog.DialogCode.Accepted or dialog.created is None:
            return None
        reg, key = dialog.created
        RecoveryKeyDialog(key, dialog.stronghold()).exec()
        return reg


class RecoverPasswordDialog(FormDialog, PasswordFields):
    """Forgot the password: the printed recovery key and a new password for a user."""

    def __init__(
        self,
        data_dir: Path,
        *,
        login: str = "",
        parent: QWidget | None = None,
        before_open: Callable[[], object] | None = None,
    ) -> None:
        super().__init__(parent, _("Replace a forgotten password"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.data_dir = Path(data_dir)
        self.before_open = before_open  # as the unlock dialog's (ui/app.py Preloader)
        self.register: Register | None = None
        intro = muted_label(
            _(
                "The recovery key is on the sheet printed when the register was made. It "
                "opens the register and gives the user below a new password."
            )
        )
        outer = self.layout()
        assert isinstance(outer, QVBoxLayout)
        outer.insertWidget(0, intro)
        key = self.add_text(
            "key",
            _("Recovery key"),
            required=True,
            validate=check_recovery_key,
            placeholder="XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX",
        )
        key.setMinimumWidth(key.fontMetrics().horizontalAdvance("X" * 48))
        self.add_text("login", _("User"), required=True, validate=check_login, max_length=32)
        logins = logins_of(self.data_dir)
        user_field = self.fields["login"].widget
        assert isinstance(user_field, QLineEdit)
        user_field.setText(login if login in logins or not logins else logins[0])
        self.add_passwords(_("New password"))
        self.save_button.setText(_("Replace the password"))
        self.hint.setText(_("Ctrl+S replaces the password, Esc cancels"))
        self.mark_clean()
        key.setFocus(Qt.FocusReason.OtherFocusReason)

    def cross_check(self, values: dict[str, Any], problems: dict[str, str]) -> None:
        self.check_passwords(values, problems)

    def submit(self, values: dict[str, Any]) -> Register:
        if self.before_open is not None:
            self.before_open()
        return users_service.recover(
            self.data_dir, values["key"], values["login"], values["password"]
        )

    def _saved(self, record: Any) -> None:
        self.register = record
        super()._saved(record)


__all__ = [
    "LANGUAGE_CHANGED",
    "CreateRegisterDialog",
    "RecoverPasswordDialog",
    "RecoveryKeyDialog",
    "create_register",
    "sheet_info",
]
