"""Background sync for the window: every few minutes when HQ is reachable, with back-off.

Qt-free on purpose (the window wraps it in its background helper): a plain thread that
calls ``service.sync_now`` at the interval from Settings, waits longer after each failure
(1, 2, 4 ... minutes, capped), and tells a listener what happened. A sync that failed
half-way changes nothing (see service.sync_now), so the next attempt simply starts over;
HQ recognises a bundle it already applied, so nothing is doubled.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from app.db.register import Register
from app.errors import PermissionDenied, TayanchError
from app.sync import service
from app.sync.errors import AppTooOld, DeviceRevoked, NoHqAddress, NotEnrolled

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 15 * 60
MAX_BACKOFF_S = 60 * 60


@dataclass(frozen=True)
class SyncEvent:
    """What one attempt did, for the status indicator."""

    at: datetime
    ok: bool
    message: str  # the report's text, or the refusal's sentence, in the current language
    next_attempt_in: float  # seconds
    stopped: bool = False  # no further attempts (not enrolled, revoked): the user must act


def next_delay(failures: int, interval: float, max_backoff: float = MAX_BACKOFF_S) -> float:
    """The wait before the next attempt: the interval, or back-off after failures."""
    if failures <= 0:
        return interval
    return min(max_backoff, max(60.0, interval / 4) * 2 ** (failures - 1))


# Refusals a retry cannot cure: the user (or the district office) must act first.
STOPPING = (NotEnrolled, DeviceRevoked, NoHqAddress, AppTooOld, PermissionDenied)


class Schedule:
    """When to try next, after what the last attempt did: the interval after a success,
    growing waits after failures, none after a refusal a retry cannot cure.

    Shared by ``BackgroundSync`` (a plain thread) and the window's automatic sync (a Qt
    timer driving the background helper), so both keep the same rules.
    """

    def __init__(
        self, interval: float = DEFAULT_INTERVAL_S, max_backoff: float = MAX_BACKOFF_S
    ) -> None:
        self.interval = interval
        self.max_backoff = max_backoff
        self.failures = 0

    def outcome(
        self, report: service.SyncReport | None = None, error: BaseException | None = None
    ) -> SyncEvent:
        """The event for an attempt that returned ``report`` or raised ``error``.

        Only expected failures (a ``TayanchError``) are judged here; anything else is a
        bug, re-raised for the caller's error reporting.
        """
        if error is None:
            self.failures = 0
            return self._event(True, report.text() if report is not None else "")
        if isinstance(error, STOPPING):
            return self._event(False, error.message(), stopped=True)
        if isinstance(error, TayanchError):
            return self.failure(error.message())
        raise error

    def failure(self, message: str) -> SyncEvent:
        """An attempt that failed in a way the next one may not (HQ away, a full disk)."""
        self.failures += 1
        return self._event(False, message)

    def _event(self, ok: bool, message: str, *, stopped: bool = False) -> SyncEvent:
        delay = next_delay(self.failures, self.interval, self.max_backoff)
        return SyncEvent(datetime.now(UTC), ok, message, delay, stopped)


class BackgroundSync:
    """Runs ``sync_now`` periodically on its own thread until ``stop()``."""

    def __init__(
        self,
        reg: Register,
        *,
        interval: float = DEFAULT_INTERVAL_S,
        on_event: Callable[[SyncEvent], None] | None = None,
        sync: Callable[[Register, threading.Event], service.SyncReport] | None = None,
        max_backoff: float = MAX_BACKOFF_S,
    ) -> None:
        self.reg = reg
        self.schedule = Schedule(interval, max_backoff)
        self.on_event = on_event
        self._sync = sync or (lambda r, cancel: service.sync_now(r, cancel=cancel))
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def failures(self) -> int:
        return self.schedule.failures

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tayanch-sync", daemon=True)
            self._thread.start()

    def sync_soon(self) -> None:
        """Try now (the user pressed Sync, or the network came back)."""
        self._wake.set()

    def stop(self, timeout: float | None = 30) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def attempt(self) -> SyncEvent:
        """One sync, now, on the calling thread; returns what happened."""
        try:
            event = self.schedule.outcome(self._sync(self.reg, self._stop))
        except TayanchError as err:
            event = self.schedule.outcome(error=err)
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:  # a listener's bug must not stop syncing
                log.exception("sync listener failed")
        return event

    def _run(self) -> None:
        while not self._stop.is_set():
            event = self.attempt()
            if event.stopped:
                return
            self._wake.clear()
            deadline = time.monotonic() + event.next_attempt_in
            while not self._stop.is_set() and not self._wake.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._wake.wait(min(remaining, 5.0))
