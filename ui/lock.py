"""Locking: after an idle time, on Ctrl+L, and when the system locks or goes to sleep.

Stronghold computers are shared and left unattended (issue 8). Locking covers the window
with the lock page, hides every open form (they keep their text: forms never run a nested
event loop, so hiding does not close them), and clears the clipboard, which may hold a
copied PINFL. Unlocking asks the same user's password and gives everything back as it was.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QClipboard, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.db.keys import KeyStore
from app.db.register import Register
from app.errors import TayanchError
from app.i18n import _, ngettext
from ui import ops, style

log = logging.getLogger(__name__)

_lock_hooks: list[Callable[[], None]] = []


def register_lock(hook: Callable[[], None]) -> None:
    _lock_hooks.append(hook)


def unregister_lock(hook: Callable[[], None]) -> None:
    if hook in _lock_hooks:
        _lock_hooks.remove(hook)


def request_lock() -> None:
    """Ctrl+L from a form: a window-modal form blocks the main window's own shortcut."""
    for hook in list(_lock_hooks):
        hook()


INPUT_EVENTS = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
    QEvent.Type.ShortcutOverride,
}


def check_password(reg: Register, password: str) -> None:
    """Raise AuthError unless ``password`` unlocks the key for the logged-in user.

    ``Register.unlock`` (the security work) adds the back-off after wrong passwords and the
    audit entry; without it, the key is unwrapped as opening does.
    """
    checker = getattr(reg, "unlock", None)
    if callable(checker):
        checker(password)
        return
    KeyStore.load(reg.data_dir).unlock(reg.user.login, password)


def note_lock(reg: Register) -> None:
    """The audit entry for the lock, when the register records one (on the writer)."""
    noter = getattr(reg, "lock", None)
    if callable(noter):
        noter()


def clear_clipboard() -> None:
    board = QGuiApplication.clipboard()
    board.clear(QClipboard.Mode.Clipboard)
    if board.supportsSelection():
        board.clear(QClipboard.Mode.Selection)


class IdleWatcher(QObject):
    """Emits ``idle`` after ``minutes`` without a key press or mouse movement anywhere."""

    idle = Signal()

    def __init__(self, minutes: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self, singleShot=True)
        self.timer.timeout.connect(self.idle)
        self.set_minutes(minutes)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def set_minutes(self, minutes: int) -> None:
        self.minutes = max(0, int(minutes))
        self.timer.setInterval(max(self.minutes, 1) * 60_000)
        self.restart()

    def set_interval_ms(self, ms: int) -> None:
        """For tests and the demo: idle after ``ms`` milliseconds."""
        self.minutes = 1
        self.timer.setInterval(ms)
        self.restart()

    def restart(self) -> None:
        if self.minutes > 0:
            self.timer.start()
        else:
            self.timer.stop()

    def pause(self) -> None:
        self.timer.stop()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in INPUT_EVENTS and self.timer.isActive():
            self.timer.start()
        return False

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


class SystemLockListener(QObject):
    """Lock when the session locks or the machine is about to sleep (logind over D-Bus).

    Best effort: where there is no D-Bus (Windows, some minimal desktops) it does nothing
    and the idle timer and Ctrl+L remain.
    """

    triggered = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.connected = False
        if not sys.platform.startswith("linux"):
            return
        try:
            from PySide6.QtDBus import QDBusConnection
        except ImportError:
            return
        system = QDBusConnection.systemBus()
        if system.isConnected():
            self.connected |= system.connect(
                "org.freedesktop.login1",
                "/org/freedesktop/login1",
                "org.freedesktop.login1.Manager",
                "PrepareForSleep",
                self,
                "on_sleep(bool)",
            )
            self.connected |= system.connect(
                "org.freedesktop.login1",
                "",
                "org.freedesktop.login1.Session",
                "Lock",
                self,
                "on_lock()",
            )

    @Slot(bool)
    def on_sleep(self, going: bool) -> None:
        if going:
            self.triggered.emit()

    @Slot()
    def on_lock(self) -> None:
        self.triggered.emit()


class LockPage(QWidget):
    """What a locked window shows: who it belongs to and a password field."""

    unlock_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        box = QWidget()
        box.setMaximumWidth(440)
        lay = QVBoxLayout(box)
        title = QLabel(_("Tayanch is locked"))
        style.role(title, "pageTitle")
        lay.addWidget(title)
        self.who = QLabel()
        style.role(self.who, "muted")
        self.who.setWordWrap(True)
        lay.addWidget(self.who)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(_("Password"))
        self.password.returnPressed.connect(self._submit)
        lay.addWidget(self.password)
        self.message = QLabel()
        style.role(self.message, "formError")
        self.message.setWordWrap(True)
        self.message.hide()
        lay.addWidget(self.message)
        row = QHBoxLayout()
        row.addStretch(1)
        self.unlock_button = QPushButton(_("Unlock"))
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self._submit)
        row.addWidget(self.unlock_button)
        lay.addLayout(row)
        center = QHBoxLayout()
        center.addStretch(1)
        center.addWidget(box)
        center.addStretch(1)
        outer.addLayout(center)
        outer.addStretch(3)

    def prepare(self, who: str) -> None:
        self.who.setText(who)
        self.password.clear()
        self.message.hide()
        self.set_busy(False)
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_busy(self, busy: bool) -> None:
        self.password.setEnabled(not busy)
        self.unlock_button.setEnabled(not busy)

    def show_error(self, text: str, wait_seconds: float = 0) -> None:
        """Say what went wrong; during a back-off, keep the field off until it ends."""
        self.message.setText(text)
        self.message.show()
        if wait_seconds > 0:
            self.set_busy(True)
            QTimer.singleShot(int(wait_seconds * 1000) + 50, self._after_wait)
            return
        self.set_busy(False)
        self.password.selectAll()
        self.password.setFocus()

    def _after_wait(self) -> None:
        self.set_busy(False)
        self.password.selectAll()
        self.password.setFocus()

    def _submit(self) -> None:
        if self.password.isEnabled():
            self.unlock_requested.emit(self.password.text())


class Locker(QObject):
    """Hides and restores the other windows, clears the clipboard, checks the password."""

    locked = Signal()
    unlocked = Signal()

    def __init__(
        self, window: QWidget, reg: Register, page: LockPage, show_lock: Callable[[bool], None]
    ) -> None:
        super().__init__(window)
        self.window = window
        self.reg = reg
        self.page = page
        self.show_lock = show_lock
        self.is_locked = False
        self._hidden: list[QWidget] = []
        self._focus: QWidget | None = None
        page.unlock_requested.connect(self.try_unlock)

    def lock(self) -> None:
        if self.is_locked:
            return
        self.is_locked = True
        app = QApplication.instance()
        self._focus = app.focusWidget() if app else None
        self._hidden = [
            w
            for w in QApplication.topLevelWidgets()
            if w is not self.window
            and w.isVisible()
            and w.isWindow()
            and w.windowType() not in (Qt.WindowType.Popup, Qt.WindowType.ToolTip)
        ]
        for w in self._hidden:
            w.hide()
        clear_clipboard()
        self.show_lock(True)
        reg = self.reg
        ops.Op(None, lambda: note_lock(reg), write=True, name="lock").failure(
            lambda exc: log.warning("lock not noted: %s", type(exc).__name__)
        ).run()
        user = self.reg.user
        self.page.prepare(
            _("Opened by {name} ({login}). Type the password to go on where you left off.").format(
                name=user.full_name, login=user.login
            )
        )
        log.info("window locked")
        self.locked.emit()

    def try_unlock(self, password: str) -> None:
        if not self.is_locked:
            return
        self.page.set_busy(True)
        reg = self.reg
        ops.Op(self.page, lambda: check_password(reg, password), name="unlock").success(
            lambda _r: self._unlocked()
        ).failure(self._failed).run()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, TayanchError):
            wait = float(exc.params.get("wait", 0) or exc.params.get("seconds", 0) or 0)
            text = exc.message()
            if wait > 0 and "seconds" not in exc.params:
                n = int(wait + 0.999)
                text += " " + ngettext(
                    "Wait {n} second before the next try.",
                    "Wait {n} seconds before the next try.",
                    n,
                ).format(n=n)
            self.page.show_error(text, wait)
        else:
            self.page.set_busy(False)
            ops.show_failure(self.window, exc)

    def _unlocked(self) -> None:
        self.is_locked = False
        self.page.password.clear()
        self.show_lock(False)
        for w in self._hidden:
            w.show()
            w.raise_()
        if self._hidden:
            self._hidden[-1].activateWindow()
        self._hidden = []
        if self._focus is not None:
            try:
                self._focus.setFocus(Qt.FocusReason.OtherFocusReason)
            except RuntimeError:  # the widget was deleted meanwhile
                pass
        self._focus = None
        log.info("window unlocked")
        self.unlocked.emit()
