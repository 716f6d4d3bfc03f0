"""The one way widgets run database work: off the UI thread, results back by signal.

Modelled on Anki's ``QueryOp``: ``Op(parent, fn).success(cb).failure(cb).run()`` runs the
plain function ``fn`` on a worker and calls ``cb`` on the main thread. ``fn`` never touches a
widget. Reads share a small pool; writes go to a pool of one thread, so two saves can never
interleave and a unit of work never waits on another from this process.

A progress dialog appears only if the work takes longer than ``PROGRESS_DELAY_MS`` (Anki waits
600 ms), so quick work never flashes a dialog. Expected failures (``TayanchError``) are shown
as their sentence; anything else goes to the excepthook (ui/errors.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from app.errors import TayanchError
from app.i18n import _
from ui import errors, seams

log = logging.getLogger(__name__)

PROGRESS_DELAY_MS = 500
_pools: dict[str, QThreadPool] = {}
_alive: set[Op] = set()


def pool(kind: str) -> QThreadPool:
    """The read pool (two threads: a page fetch never waits for a slow count) or the writer."""
    if kind not in _pools:
        p = QThreadPool()
        p.setMaxThreadCount(1 if kind == "write" else 2)
        p.setExpiryTimeout(-1 if kind == "write" else 30_000)
        _pools[kind] = p
    return _pools[kind]


def busy() -> bool:
    return bool(_alive)


def wait_all(timeout_ms: int = 30_000) -> bool:
    """Block until every worker is idle (tests' teardown, and closing the window)."""
    ok = True
    for p in _pools.values():
        ok = p.waitForDone(timeout_ms) and ok
    return ok


class _Runner(QRunnable):
    def __init__(self, op: Op) -> None:
        super().__init__()
        self.op = op
        self.setAutoDelete(True)

    def run(self) -> None:
        op = self.op
        started = time.perf_counter()
        try:
            result, exc = op.fn(), None
        except BaseException as failure:  # noqa: BLE001 - every failure goes back to the UI
            result, exc = None, failure
        op.elapsed = time.perf_counter() - started
        try:
            op._done.emit(result, exc)
        except RuntimeError:  # the application is shutting down and took the Op with it
            log.debug("result of %s dropped at shutdown", op.name)


class Op(QObject):
    """One piece of background work with its success and failure callbacks."""

    _done = Signal(object, object)
    _progressed = Signal(int, int)
    finished = Signal()

    def __init__(
        self, parent: QObject | None, fn: Callable[[], Any], *, write: bool = False, name: str = ""
    ) -> None:
        """``parent`` is whoever asked: callbacks are skipped once it is deleted."""
        super().__init__()
        self.owner = parent
        self.parent_widget = parent if isinstance(parent, QWidget) else None
        self.fn = fn
        self.write = write
        self.name = name or getattr(fn, "__name__", "op")
        self.elapsed = 0.0
        self.cancel_event = threading.Event()
        self._on_success: Callable[[Any], None] | None = None
        self._on_failure: Callable[[BaseException], None] | None = None
        self._progress_label: str | None = None
        self._cancellable = False
        self._dialog: QProgressDialog | None = None
        self._running = False
        self._done.connect(self._finish, Qt.ConnectionType.QueuedConnection)
        self._progressed.connect(self._show_progress, Qt.ConnectionType.QueuedConnection)

    # --- building ------------------------------------------------------------------

    def success(self, cb: Callable[[Any], None]) -> Op:
        self._on_success = cb
        return self

    def failure(self, cb: Callable[[BaseException], None]) -> Op:
        """Handle failures yourself; without it they are shown (see module docstring)."""
        self._on_failure = cb
        return self

    def with_progress(self, label: str, *, cancellable: bool = False) -> Op:
        self._progress_label = label
        self._cancellable = cancellable
        return self

    def run(self) -> Op:
        _alive.add(self)
        self._running = True
        if self._progress_label is not None:
            QTimer.singleShot(PROGRESS_DELAY_MS, self._open_dialog)
        pool("write" if self.write else "read").start(_Runner(self))
        return self

    # --- from the worker -------------------------------------------------------------

    def report(self, done: int, total: int) -> None:
        """A ``progress(done, total)`` callback for core functions; safe from any thread."""
        self._progressed.emit(done, total)

    # --- on the main thread ------------------------------------------------------------

    def _parent_ok(self) -> bool:
        return self.owner is None or shiboken6.isValid(self.owner)

    def _open_dialog(self) -> None:
        if not self._running or self._dialog is not None or not self._parent_ok():
            return
        dlg = QProgressDialog(
            self._progress_label or "",
            _("Cancel") if self._cancellable else "",
            0,
            0,
            self.parent_widget,
        )
        if not self._cancellable:
            dlg.setCancelButton(None)
        dlg.setWindowTitle(_("Please wait"))
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        dlg.setMinimumDuration(0)
        dlg.canceled.connect(self.cancel_event.set)
        self._dialog = dlg
        dlg.show()

    def _show_progress(self, done: int, total: int) -> None:
        if self._dialog is not None:
            self._dialog.setMaximum(max(total, 0))
            self._dialog.setValue(min(done, total))

    def _finish(self, result: Any, exc: BaseException | None) -> None:
        self._running = False
        _alive.discard(self)
        if self._dialog is not None:
            self._dialog.reset()
            self._dialog.hide()
            self._dialog.deleteLater()
            self._dialog = None
        try:
            if not self._parent_ok():
                return  # the widget that asked is gone; nothing to show the result in
            if exc is None:
                if self._on_success is not None:
                    self._on_success(result)
            elif self._on_failure is not None:
                self._on_failure(exc)
            else:
                show_failure(self.parent_widget, exc)
        finally:
            self.finished.emit()
            self.deleteLater()


def show_failure(parent: QWidget | None, exc: BaseException) -> None:
    """The default way to tell a user that something did not work."""
    if isinstance(exc, TayanchError):
        seams.show_error(parent, exc.message())
    elif isinstance(exc, OSError):
        seams.show_error(parent, disk_message(exc))
    elif (message := sqlite_message(exc)) is not None:
        seams.show_error(parent, message)
    else:
        errors.report_unexpected(exc)


def disk_message(exc: OSError) -> str:
    """The same sentence as the command line's (app.disk), naming the user's folder when
    the error names a file; without one, a sentence about "this folder"."""
    import errno

    from app.disk import disk_error

    typed = disk_error(exc)
    if typed is not None:
        return typed.message()
    if exc.errno == errno.ENOSPC:
        return _(
            "The disk is full. Free some space (or choose another folder) and try again. "
            "Nothing was saved."
        )
    if exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
        return _(
            "Tayanch may not write to this folder. Choose another folder or ask for "
            "access. Nothing was saved."
        )
    return _("The file could not be read or written: {reason}. Nothing was saved.").format(
        reason=exc.strerror or type(exc).__name__
    )


def sqlite_message(exc: BaseException) -> str | None:
    """A sentence for SQLite's expected failures (full disk, read-only file, busy file)."""
    from sqlalchemy.exc import OperationalError

    if not isinstance(exc, OperationalError):
        return None
    text = str(exc.orig).lower()
    if "disk is full" in text or "disk i/o" in text:
        return _("The disk is full or failing. Free some space and try again. Nothing was saved.")
    if "readonly" in text or "read-only" in text:
        return _(
            "The register's folder is read-only. Ask for write access or move the "
            "register. Nothing was saved."
        )
    if "locked" in text or "busy" in text:
        return _(
            "Another Tayanch window or program is writing to the register. Wait a moment "
            "and try again. Nothing was saved."
        )
    return None


def run(
    parent: QWidget | None,
    fn: Callable[[], Any],
    on_success: Callable[[Any], None] | None = None,
    *,
    write: bool = False,
) -> Op:
    """Shorthand for the common case."""
    op = Op(parent, fn, write=write)
    if on_success is not None:
        op.success(on_success)
    return op.run()


def process_until_idle(timeout_s: float = 10.0) -> None:
    """Run the event loop until no operation is pending (screenshots, benchmarks)."""
    app = QApplication.instance()
    end = time.monotonic() + timeout_s
    while _alive and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)
    app.processEvents()
