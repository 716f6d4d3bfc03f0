"""Python's cyclic garbage collector, run on the UI thread only.

Left alone, the collector runs in whichever thread happens to allocate when a threshold
is crossed: often a worker of ui/ops.py. A reference cycle holding a Qt widget (a screen
and the lambdas on its buttons, the window and its Context) is then destroyed on that
worker, which Qt does not allow, and the process crashes at random. So automatic
collection is switched off and a timer on the UI thread does the same work, checking
the same thresholds (the recipe PyQt applications such as calibre use).
"""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)

INTERVAL_MS = 500


class MainThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self.threshold[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        self.timer.stop()
        gc.collect()
        gc.enable()
