"""Backups from Settings, the daily backup after login, the crash notice, and switching the
window's language at run time, driven as a user would."""

from __future__ import annotations

from app.db import backup
from app.db.register import UNCLEAN_SHUTDOWN_MESSAGE
from app.i18n import current_language, translator
from app.services.persons import persons
from tests.ui.conftest import PASSWORD, find_open, switch_language, wait_idle
from ui.persons.form import PersonForm


def test_daily_backup_after_login_then_back_up_now_and_restore(
    qtbot, window, reg, data_dir, seams_rec, tmp_path
):
    # Logging in made today's automatic backup, in the background.
    infos = backup.list_backups(backup.backup_folder(data_dir))
    assert [i.reason for i in infos] == ["daily"]

    def audited() -> int:
        with reg.engine.connect() as conn:
            return conn.exec_driver_sql(
                "SELECT count(*) FROM audit_entry WHERE action = "
                "'backup' AND details LIKE '%daily%'"
            ).scalar()

    qtbot.waitUntil(lambda: audited() == 1, timeout=10_000)  # the copy, then its audit entry

    page = window.go("settings")
    box = page.backups_box
    qtbot.waitUntil(lambda: "1 backup" in box.last_label.text(), timeout=10_000)

    # Choose another folder (the stick), then Back up now.
    stick = tmp_path / "stick"
    seams_rec.folder = stick
    box.choose_button.click()
    qtbot.waitUntil(lambda: box.folder == stick.resolve(), timeout=10_000)
    box.backup_button.click()
    qtbot.waitUntil(lambda: any("Backed up to" in t for t in seams_rec.infos), timeout=20_000)
    [manual] = backup.list_backups(stick)
    assert manual.reason == "manual"

    # A person added after the backup is gone once the backup is restored.
    late = persons.create(
        reg, surname="Keyinroq", given_name="Olim", birth_date="01.01.1990", sex="m"
    )
    seams_rec.open_path = manual.path
    seams_rec.answers = [True]
    seams_rec.passwords = [PASSWORD]
    old_reg = window.reg
    box.restore_button.click()
    qtbot.waitUntil(lambda: "The backup was restored." in seams_rec.infos, timeout=30_000)
    assert "Replace the register" in seams_rec.questions[0]
    assert window.reg is not old_reg and window.ctx.reg is window.reg
    from app.errors import TayanchError

    try:
        persons.get(window.reg, late.id)
        found = True
    except TayanchError:
        found = False
    assert not found
    # The window carries on with the restored register.
    persons_page = window.go("persons")
    qtbot.waitUntil(lambda: persons_page.model.total > 0, timeout=10_000)
    wait_idle(qtbot)


def test_restore_cancelled_at_the_question_changes_nothing(qtbot, window, reg, seams_rec):
    page = window.go("settings")
    box = page.backups_box
    qtbot.waitUntil(lambda: box.latest is not None, timeout=10_000)
    seams_rec.open_path = box.latest.path
    seams_rec.answers = [False]
    box.restore_button.click()
    qtbot.waitUntil(lambda: len(seams_rec.questions) == 1, timeout=10_000)
    wait_idle(qtbot)
    assert window.reg is reg and not seams_rec.errors


def test_unclean_shutdown_is_told_once(qtbot, reg, ui_settings, seams_rec):
    from ui.main_window import MainWindow

    reg.unclean_shutdown = True
    w = MainWindow(reg, ui_settings)
    qtbot.addWidget(w)
    w.show()
    expected = translator("en").gettext(UNCLEAN_SHUTDOWN_MESSAGE)
    qtbot.waitUntil(lambda: expected in seams_rec.infos, timeout=10_000)
    w._after_login()
    assert seams_rec.infos.count(expected) == 1
    wait_idle(qtbot)
    w.close()


def test_language_switch_rebuilds_screens_keeping_screen_and_unsaved_form(
    qtbot, window, ui_settings, seams_rec
):
    page = window.go("persons")
    qtbot.waitUntil(lambda: page.model.total > 0, timeout=10_000)
    window.new_item()
    form = find_open(window, PersonForm)
    form.fields["surname"].widget.setText("Yozilmagan")
    window.go("settings")
    geometry = window.geometry()
    settings_page = window.settings_page
    ru = settings_page.language.findData("ru")
    settings_page.language.setCurrentIndex(ru)
    assert current_language() == "ru"
    ru_t = translator("ru").gettext
    qtbot.waitUntil(lambda: window.nav.item(1).text() == ru_t("Persons"), timeout=10_000)
    assert ru_t("Persons") != "Persons"  # the catalog really translates it
    assert window.current_page().key == "settings"
    assert window.current_page() is not settings_page  # rebuilt, in Russian
    assert window.current_page().title == ru_t("Settings")
    assert window.geometry() == geometry
    assert form.isVisible() and form.fields["surname"].widget.text() == "Yozilmagan"
    # Remembered for this user.
    assert window.settings.user_language == "ru"
    seams_rec.answers = [True]  # "throw away the changes?" — yes, the test is over
    form.close()


def test_qt_s_own_menus_and_buttons_follow_the_language(qtbot, window):
    """Qt's standard texts (a line edit's menu, dialog buttons) come from its own catalog."""
    from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

    def texts() -> tuple[list[str], str]:
        edit = QLineEdit()
        menu = edit.createStandardContextMenu()
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        return [a.text() for a in menu.actions()], box.button(
            QDialogButtonBox.StandardButton.Cancel
        ).text()

    switch_language(qtbot, window, "ru")
    menu, cancel = texts()
    assert any(t.startswith("&Копировать") for t in menu) and cancel == "Отмена"

    switch_language(qtbot, window, "uz-Latn")  # Qt has no Uzbek: its English, not Russian
    menu, cancel = texts()
    assert any(t.startswith("&Copy") for t in menu) and cancel == "Cancel"
