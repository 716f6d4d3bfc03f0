"""Automatic sync while the window is open: every few minutes when HQ is reachable.

The timing rules are app.sync.scheduler's ``Schedule`` (the same as ``BackgroundSync``):
the interval after a success, growing waits after failures (1, 2, 4 ... minutes, capped at
an hour), and no more tries after a refusal only a person can cure (revoked, app too old).
Each attempt is ``service.sync_now`` run by the one background helper (ui/ops.py), on the
writer thread, so it never interleaves with a save; it shows no dialog, only the status
bar's indicator. A dropped connection changes nothing on this computer and HQ recognises
a bundle it already applied, so the next try simply starts over: nothing lost, nothing
doubled.

The interval is this computer's choice (Settings, "Sync with HQ"), 0 switching it off. A
computer that is not enrolled, or has no HQ address, waits quietly until the Sync screen
changes that.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import formats
from app.i18n import _
from app.services.base import has_permission
from ui import ops
from ui.widgets.common import Context, button, muted_label
from ui.widgets.flow import wrapping_form

log = logging.getLogger(__name__)

FIRST_ATTEMPT_S = 20.0  # after login: the first screen loads before the network is tried
MAX_INTERVAL_MIN = 24 * 60


class AutoSync(QObject):
    """Drives ``sync_now`` on a timer for the open window and reports its state."""

    # "off", "waiting" (not enrolled / no address), "running", "ok", "retry", "stopped"
    state_changed = Signal(str)

    def __init__(
        self,
        ctx: Context,
        parent: QObject | None = None,
        *,
        first_attempt_s: float = FIRST_ATTEMPT_S,
    ) -> None:
        super().__init__(parent)
        from app.sync.scheduler import Schedule

        self.ctx = ctx
        self.schedule = Schedule(self._interval_s())
        self.state = "off"
        self.message = ""  # the last attempt's sentence (the indicator's tooltip)
        self.last_ok_at: datetime | None = None
        self.next_at: datetime | None = None
        self.first_attempt_s = first_attempt_s
        self._cancel = threading.Event()
        self._running = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.attempt)
        ctx.hub.changed.connect(self._on_changed)

    # --- settings ------------------------------------------------------------------

    def _interval_s(self) -> float:
        return max(0, int(self.ctx.settings.sync_interval_minutes)) * 60.0

    def allowed(self) -> bool:
        return has_permission(self.ctx.reg, "sync")

    def start(self, delay_s: float | None = None) -> None:
        """Arm the timer (again): after login, a new interval, an enrolment, a new address."""
        self.schedule.interval = self._interval_s()
        if not self.allowed() or self.schedule.interval <= 0:
            self.timer.stop()
            self._set_state("off")
            return
        if self._running:
            return  # the attempt under way schedules the next one when it ends
        wait = self.first_attempt_s if delay_s is None else delay_s
        self._arm(wait)
        if self.state in ("off", "stopped"):
            self._set_state("waiting")

    def stop(self) -> None:
        """The window closes: no new attempt, and the one under way gives up quickly."""
        self.timer.stop()
        self._cancel.set()

    def _arm(self, seconds: float) -> None:
        from datetime import UTC, timedelta

        self.next_at = datetime.now(UTC) + timedelta(seconds=seconds)
        self.timer.start(int(seconds * 1000))

    def _on_changed(self, table: str) -> None:
        # The Sync screen enrolled this computer, took a new address, or synced by hand:
        # a stopped or waiting schedule starts again; a running one carries on.
        if table == "sync" and self.state in ("stopped", "waiting") and not self._running:
            self.start(delay_s=1.0)
        elif table == "sync_settings":
            self.start(delay_s=1.0)

    # --- attempts ------------------------------------------------------------------

    def attempt(self) -> None:
        if self._running or not self.allowed() or self.schedule.interval <= 0:
            return
        from app.sync import service

        self._running = True
        self._set_state("running")
        reg = self.ctx.reg
        url = (self.ctx.settings.hq_url or "").strip() or None
        cancel = self._cancel
        ops.Op(
            self,
            lambda: service.sync_now(reg, url, cancel=cancel),
            write=True,
            name="background_sync",
        ).success(self._succeeded).failure(self._failed).run()

    def _succeeded(self, report: Any) -> None:
        self._running = False
        self._synced(report)
        if report.received or report.acknowledged or report.sent:
            self.ctx.hub.changed.emit("sync")  # screens show what came; counts follow
        else:
            # Nothing came or went, but the Sync screen's last sync and history changed.
            self.ctx.hub.changed.emit("sync_attempt")

    def _failed(self, exc: BaseException) -> None:
        from app.errors import TayanchError
        from app.sync.errors import NoHqAddress, NotEnrolled

        self._running = False
        if self._cancel.is_set():
            return  # the window is closing
        if isinstance(exc, NotEnrolled | NoHqAddress):
            # Nothing to do until the Sync screen enrols this computer or gets an address.
            from ui.sync.messages import error_text

            self.timer.stop()
            self.message = error_text(exc, self.ctx.reg)  # the window's words, not the CLI's
            self._set_state("waiting")
            return
        if not isinstance(exc, TayanchError | OSError):
            log.error("background sync failed", exc_info=exc)
            ops.show_failure(None, exc)  # a bug: the one dialog for the unexpected
            self.timer.stop()
            self._set_state("stopped")
            return
        if isinstance(exc, OSError):  # this computer's disk, not the network
            event = self.schedule.failure(ops.disk_message(exc))
        else:
            event = self.schedule.outcome(error=exc)
        self.message = event.message
        if event.stopped:
            self.timer.stop()
            self._set_state("stopped")
        else:
            self._arm(event.next_attempt_in)
            self._set_state("retry")
        self.ctx.hub.changed.emit("sync_failed")  # the Sync screen shows the last error

    def after_manual(self, report: Any) -> None:
        """The Sync screen's "Sync now" succeeded: it counts as ours."""
        if not self._running:
            self._synced(report)

    def after_manual_failure(self, exc: BaseException) -> None:
        """The Sync screen's "Sync now" failed: the indicator no longer says "synced at"."""
        if not self._running and self.allowed() and self.schedule.interval > 0:
            self._failed(exc)

    def _synced(self, report: Any) -> None:
        """A sync went through: the next one after the interval (unless switched off)."""
        event = self.schedule.outcome(report)
        self.last_ok_at = event.at
        self.message = event.message
        if self.allowed() and self.schedule.interval > 0:
            self._arm(event.next_attempt_in)
            self._set_state("ok")

    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_changed.emit(state)

    # --- words ---------------------------------------------------------------------

    def text(self) -> str:
        """The indicator's short line."""
        at = formats.time_of_day(self.next_at) if self.next_at else ""
        if self.state == "running":
            return _("Syncing with HQ…")
        if self.state == "ok" and self.last_ok_at is not None:
            return _("Synced with HQ at {time}").format(time=formats.time_of_day(self.last_ok_at))
        if self.state == "retry":
            return _("HQ not reached; next try at {time}").format(time=at)
        if self.state == "stopped":
            return _("Automatic sync stopped: open Sync")
        return ""


class AutoSyncIndicator(QToolButton):
    """The status bar's word on automatic sync; a click opens the Sync screen."""

    def __init__(self, auto: AutoSync, open_sync: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.auto = auto
        self.setAutoRaise(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setObjectName("autoSyncIndicator")
        self.clicked.connect(open_sync)
        auto.state_changed.connect(self.refresh)
        self.refresh()

    def refresh(self, *_a: Any) -> None:
        text = self.auto.text()
        self.setText(text)
        self.setToolTip(self.auto.message)
        self.setVisible(bool(text))


class AutoSyncBox(QGroupBox):
    """Settings' "Sync with HQ" group: how often this computer syncs by itself."""

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(_("Sync with HQ"), parent)
        self.ctx = ctx
        lay = QVBoxLayout(self)
        form = wrapping_form()
        self.minutes = QSpinBox()
        self.minutes.setRange(0, MAX_INTERVAL_MIN)
        self.minutes.setSpecialValueText(_("never (only by hand)"))
        self.minutes.setValue(int(ctx.settings.sync_interval_minutes))
        form.addRow(_("Sync every (minutes)"), self.minutes)
        lay.addLayout(form)
        lay.addWidget(
            muted_label(
                _(
                    "When this computer is enrolled and HQ is reachable, it "
                    "sends and receives changes by itself at this interval, "
                    "and tries again later when the connection is down. "
                    "0 switches this off."
                )
            )
        )
        lay.addWidget(button(_("Save sync interval"), self.save))

    def save(self) -> None:
        self.ctx.settings.sync_interval_minutes = self.minutes.value()
        self.ctx.hub.changed.emit("sync_settings")
