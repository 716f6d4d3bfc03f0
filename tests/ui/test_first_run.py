"""The register made in the window on a computer without one, its recovery key kept, and a
forgotten password replaced with that key: real dialogs, a real encrypted register."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit

from app.db.keys import KeyStore
from app.db.register import Register, StrongholdInfo, register_exists
from app.errors import AuthError
from app.i18n import current_language, set_language
from tests.ui.conftest import FAST_KDF, LOGIN, activate, wait_idle
from tests.ui.conftest import PASSWORD as PASSWORD_OF_DEMO
from ui import first_run
from ui.first_run import (
    LANGUAGE_CHANGED,
    CreateRegisterDialog,
    RecoverPasswordDialog,
    RecoveryKeyDialog,
)
from ui.unlock import UnlockDialog

PASSWORD = "Lola-2026-parol"
STRONGHOLD = {
    "code": "TP-0456",
    "name": "Lola MFY tayanch punkti",
    "region": "Samarqand viloyati",
    "district": "Urgut tumani",
    "makhalla": "Lola MFY",
}
USER = {"login": "Aziz", "full_name": "Aziz Karimov", "position": "assistant"}
SHEET = StrongholdInfo("TP-0456", "Lola MFY tayanch punkti", makhalla="Lola MFY")


def type_into(qtbot, form, values: dict[str, str]) -> None:
    for name, text in values.items():
        widget = form.fields[name].widget
        assert isinstance(widget, QLineEdit)
        widget.clear()
        qtbot.keyClicks(widget, text)


def when_modal(cls, action, *, tries: int = 500) -> None:
    """Run ``action`` on the modal dialog of class ``cls`` once it shows (a dialog run
    with exec() blocks the test until it closes, so the steps are queued before)."""

    def poll(left: int = tries) -> None:
        w = QApplication.activeModalWidget()
        if isinstance(w, cls) and w.isVisible():
            action(w)
        elif left:
            QTimer.singleShot(20, lambda: poll(left - 1))

    QTimer.singleShot(0, poll)


def made_register(folder: Path) -> str:
    """A register with a known recovery key (returned); its user is LOGIN."""
    reg, key = Register.create(
        folder,
        StrongholdInfo(**STRONGHOLD),
        login=LOGIN,
        full_name="Demo Inspektor",
        password=PASSWORD,
        kdf=FAST_KDF,
    )
    reg.close()
    return key


def test_first_start_makes_the_register_and_shows_its_key(qtbot, tmp_path, seams_rec):
    folder = tmp_path / "new"
    shown: dict[str, str] = {}

    def fill(form: CreateRegisterDialog) -> None:
        assert not form.save_button.isEnabled()  # nothing typed yet
        type_into(qtbot, form, {**STRONGHOLD, **USER, "password": PASSWORD, "repeat": PASSWORD})
        assert form.save_button.isEnabled()
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        when_modal(RecoveryKeyDialog, keep)

    def keep(dialog: RecoveryKeyDialog) -> None:
        shown["key"] = dialog.key_field.text()
        assert not dialog.done_button.isEnabled()  # not before the key is kept
        dialog.kept.setChecked(True)
        qtbot.mouseClick(dialog.done_button, Qt.MouseButton.LeftButton)

    when_modal(CreateRegisterDialog, fill)
    reg = first_run.create_register(folder, on_language=set_language, kdf=FAST_KDF)
    assert reg is not None
    try:
        assert reg.user.login == "aziz"  # logins are kept in lower case
        assert reg.stronghold_code == "TP-0456"
        assert first_run.sheet_info(reg) == StrongholdInfo(**STRONGHOLD)
    finally:
        reg.close()
    Register.open(folder, "aziz", PASSWORD).close()  # the password typed opens it
    Register.open_with_recovery(folder, shown["key"]).close()  # and so does the key shown
    assert b"Lola MFY" not in (folder / "register.db").read_bytes()  # encrypted at rest


def test_create_refuses_what_hq_or_the_login_would_refuse(qtbot, tmp_path, seams_rec):
    folder = tmp_path / "new"
    form = CreateRegisterDialog(folder, kdf=FAST_KDF)
    qtbot.addWidget(form)
    form.show()
    values = {**STRONGHOLD, **USER, "password": PASSWORD, "repeat": PASSWORD}
    type_into(qtbot, form, {**values, "code": "TP 0456"})
    assert "1 to 16 Latin letters" in form.field_error("code")
    assert not form.save_button.isEnabled()
    type_into(qtbot, form, {"code": "TP-0456", "login": "a", "repeat": PASSWORD + "x"})
    assert "2 to 32 Latin letters" in form.field_error("login")
    assert form.field_error("repeat") == "The two passwords are not the same."
    type_into(qtbot, form, {"login": "aziz", "password": "short", "repeat": "short"})
    assert form.field_error("password") == "A password needs at least 8 characters."
    form.save()  # Ctrl+S with problems left: nothing is made
    wait_idle(qtbot)
    assert form.created is None and not register_exists(folder)
    seams_rec.answers = [True]  # closing the form throws away what was typed


def test_choosing_a_language_keeps_what_was_typed(qtbot, tmp_path):
    form = CreateRegisterDialog(tmp_path / "new", kdf=FAST_KDF)
    qtbot.addWidget(form)
    form.show()
    type_into(qtbot, form, {"code": "TP-0456", "name": "Lola MFY tayanch punkti"})
    form.language.setCurrentIndex(form.language.findData("ru"))
    assert form.result() == LANGUAGE_CHANGED and form.chosen_language == "ru"
    set_language(form.chosen_language)  # what the caller does (ui/app.py)
    again = CreateRegisterDialog(tmp_path / "new", typed=form.typed, kdf=FAST_KDF)
    qtbot.addWidget(again)
    assert current_language() == "ru"
    assert again.cancel_button.text() == "Выход"
    assert again.language.currentData() == "ru"
    assert again.fields["code"].widget.text() == "TP-0456"
    assert again.fields["name"].widget.text() == "Lola MFY tayanch punkti"
    assert again.field_error("region") == ""  # not typed yet: no complaint yet


def test_the_recovery_key_sheet_saved_as_a_pdf(qtbot, tmp_path, seams_rec):
    key = "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY-Z2345-67ABC-DEFGH"
    dialog = RecoveryKeyDialog(key, SHEET)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.done_button.isEnabled()
    seams_rec.save_to = tmp_path / "stick" / "kalit"
    seams_rec.save_to.parent.mkdir()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    saved = tmp_path / "stick" / "kalit.pdf"
    text = PdfReader(saved).pages[0].extract_text()
    assert "ABCDE-FGHIJ-KLMNO-PQRST" in text and "UVWXY-Z2345-67ABC-DEFGH" in text
    assert "Lola MFY tayanch punkti (TP-0456)" in text
    assert "Forgot the password?" in text
    assert dialog.kept.isChecked() and dialog.done_button.isEnabled()


def test_the_recovery_key_sheet_printed(qtbot, tmp_path, seams_rec):
    dialog = RecoveryKeyDialog("ABCDE-FGHIJ-KLMNO-PQRST-UVWXY-Z2345-67ABC-DEFGH", SHEET)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)  # cancelled
    assert seams_rec.print_jobs == 0 and not dialog.kept.isChecked()
    seams_rec.print_to = tmp_path / "printed.pdf"
    qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.kept.isChecked, timeout=10_000)  # pages rendered on a worker
    assert seams_rec.print_jobs == 1 and len(PdfReader(seams_rec.print_to).pages) == 1
    assert dialog.kept.isChecked()


def test_leaving_without_keeping_the_key_asks_first(qtbot, seams_rec):
    dialog = RecoveryKeyDialog("ABCDE-FGHIJ-KLMNO-PQRST-UVWXY-Z2345-67ABC-DEFGH", SHEET)
    qtbot.addWidget(dialog)
    dialog.show()
    seams_rec.answers = [False]
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible() and "cannot be opened" in seams_rec.questions[-1]
    seams_rec.answers = [True]
    dialog.reject()
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Accepted


def test_forgotten_password_replaced_with_the_recovery_key(qtbot, tmp_path):
    folder = tmp_path / "reg"
    key = made_register(folder)
    form = RecoverPasswordDialog(folder, login=LOGIN)
    qtbot.addWidget(form)
    form.show()
    assert form.fields["login"].widget.text() == LOGIN
    type_into(qtbot, form, {"key": "ABCDE-FGHIJ", "password": "Yangi-parol-1"})
    assert "8 groups of 5" in form.field_error("key")
    wrong = "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY-Z2345-67ABC-DEFGH"
    type_into(qtbot, form, {"key": wrong, "repeat": "Yangi-parol-1"})
    form.save()
    qtbot.waitUntil(lambda: not form.form_error.isHidden(), timeout=10_000)
    assert "does not open the register" in form.form_error.text()
    Register.open(folder, LOGIN, PASSWORD).close()  # nothing changed
    type_into(qtbot, form, {"key": key.lower().replace("-", " ")})  # as typed from paper
    form.save()
    qtbot.waitUntil(lambda: form.register is not None, timeout=10_000)
    assert form.register.user.login == LOGIN
    form.register.close()
    Register.open(folder, LOGIN, "Yangi-parol-1").close()
    with pytest.raises(AuthError):
        Register.open(folder, LOGIN, PASSWORD)


def test_unlock_dialog_opens_with_the_recovery_key(qtbot, tmp_path):
    folder = tmp_path / "reg"
    key = made_register(folder)
    dialog = UnlockDialog(folder, last_login=LOGIN)
    qtbot.addWidget(dialog)
    dialog.show()

    def recover(form: RecoverPasswordDialog) -> None:
        type_into(qtbot, form, {"key": key, "password": "Yangi-parol-1", "repeat": "Yangi-parol-1"})
        form.save()

    when_modal(RecoverPasswordDialog, recover)
    qtbot.mouseClick(dialog.forgot_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.register is not None, timeout=10_000)
    assert dialog.result() == QDialog.DialogCode.Accepted
    dialog.register.close()


def test_an_inspector_makes_a_new_recovery_key(qtbot, window, seams_rec, data_dir):
    from ui.users import UsersBox

    window.go("settings")
    box = window.findChild(UsersBox)
    assert box is not None
    old = KeyStore.load(data_dir)
    seams_rec.answers = [True]
    box.buttons["recovery"].click()
    qtbot.waitUntil(lambda: window.findChild(RecoveryKeyDialog) is not None, timeout=10_000)
    dialog = window.findChild(RecoveryKeyDialog)
    new_key = dialog.key_field.text()
    keys = KeyStore.load(data_dir)
    assert keys.unlock_with_recovery(new_key) == window.reg._key
    assert keys.data["recovery"] != old.data["recovery"]  # the printed key no longer opens
    # Locking (Ctrl+L here too) hides the key from whoever comes to the computer next, and
    # unlocking gives it back: it cannot be shown again.
    activate(qtbot, dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.locked and not dialog.isVisible()
    window.lock_page.password.setText(PASSWORD_OF_DEMO)
    window.lock_page.unlock_button.click()
    qtbot.waitUntil(lambda: not window.locked, timeout=10_000)
    assert dialog.isVisible() and dialog.key_field.text() == new_key
    dialog.kept.setChecked(True)
    dialog.accept()


def test_window_settings_survive_a_restart(tmp_path, ui_settings):
    """The language, the last login and the last folder are read back by the next start
    (another process, as after a restart), not only by this one."""
    ui_settings.language = "ru"
    ui_settings.last_login = "aziz"
    ui_settings.last_folder = str(tmp_path)
    ui_settings.sync()
    read = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from PySide6.QtCore import QSettings; "
            "QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[1]);"
            "from ui.settings import UiSettings; s = UiSettings(); "
            "print(s.language, s.last_login, s.last_folder)",
            str(tmp_path / "qsettings"),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert read.stdout.split() == ["ru", "aziz", str(tmp_path)]
