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
from app.errors import TayanchError
from app.sync import service
from app.sync.errors import DeviceRevoked, HqUnreachable, NoHqAddress, NotEnrolled

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
        self.interval = interval
        self.max_backoff = max_backoff
        self.on_event = on_event
        self._sync = sync or (lambda r, cancel: service.sync_now(r, cancel=cancel))
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0

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
        stopped = False
        try:
            report = self._sync(self.reg, self._stop)
            self.failures = 0
            ok, message = True, report.text()
        except (NotEnrolled, DeviceRevoked, NoHqAddress) as err:
            ok, message, stopped = False, err.message(), True
        except HqUnreachable as err:
            self.failures += 1
            ok, message = False, err.message()
        except TayanchError as err:
            self.failures += 1
            ok, message = False, err.message()
        delay = next_delay(self.failures, self.interval, self.max_backoff)
        event = SyncEvent(datetime.now(UTC), ok, message, delay, stopped)
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
