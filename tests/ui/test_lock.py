"""Locking: Ctrl+L and idle time hide everything and clear the clipboard; unlocking gives
back the same screen with the unsaved edits of an open form."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from tests.ui.conftest import PASSWORD, activate, closed, find_open, wait_idle
from ui.persons.form import PersonForm


def _unlock(qtbot, window, password: str) -> None:
    page = window.lock_page
    qtbot.waitUntil(page.password.isEnabled, timeout=10_000)
    page.message.hide()
    page.password.setText(password)
    qtbot.keyClick(page.password, Qt.Key.Key_Return)
    wait_idle(qtbot)


def test_lock_and_unlock_keep_the_screen_and_unsaved_edits(qtbot, window):
    page = window.go("persons")
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = find_open(window, PersonForm)
    activate(qtbot, form)
    form.fields["surname"].widget.setFocus()
    qtbot.keyClicks(form.fields["surname"].widget, "Yozilmagan")
    QGuiApplication.clipboard().setText("31503199012345")

    # Ctrl+L works from the open form itself.
    qtbot.keyClick(form, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.locked
    assert window.central.currentWidget() is window.lock_page
    assert closed(form)
    assert QGuiApplication.clipboard().text() == ""
    # While locked, the shortcuts do nothing.
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.central.currentWidget() is window.lock_page

    _unlock(qtbot, window, "wrong")
    assert window.locked
    assert "password" in window.lock_page.message.text().lower()

    _unlock(qtbot, window, PASSWORD)
    assert not window.locked
    assert window.current_page() is page
    assert form.isVisible()
    assert form.fields["surname"].widget.text() == "Yozilmagan"
    assert form.is_dirty()
    form._closing = True
    form.close()


def test_idle_time_locks_the_window_and_input_postpones_it(qtbot, window, reg):
    from app.services import ui_actions

    # The minutes come from the stronghold's settings.
    ui_actions.set_settings(reg, {"idle_lock_minutes": "3"})
    window.hub.changed.emit("setting")
    qtbot.waitUntil(lambda: window.idle.minutes == 3, timeout=5_000)
    assert window.idle.timer.interval() == 180_000

    window.idle.set_interval_ms(400)
    for _ in range(6):
        qtbot.wait(100)  # a user typing every 0.1 s for 0.6 s in all
        qtbot.keyClick(window, Qt.Key.Key_Shift)
    assert not window.locked
    qtbot.waitUntil(lambda: window.locked, timeout=5_000)
    assert window.central.currentWidget() is window.lock_page
    _unlock(qtbot, window, PASSWORD)
    assert not window.locked
    assert window.idle.timer.isActive()  # counting again after unlock


def test_wrong_passwords_bring_a_wait(qtbot, window):
    window.lock()
    for _ in range(8):
        _unlock(qtbot, window, "wrong")
        qtbot.waitUntil(lambda: window.lock_page.message.isVisible(), timeout=10_000)
        if "wait" in window.lock_page.message.text().lower():
            break
    assert window.locked
    assert "wait" in window.lock_page.message.text().lower()
    assert not window.lock_page.unlock_button.isEnabled()
