"""Dates as printed on documents: the one implementation lives in ``app.formats``.

Kept as a module of its own so the document modules (and their tests) keep writing
``dates.long_date(value, ctx.lang)``; the window and the CLI use ``app.formats`` directly.
"""

from __future__ import annotations

from app.formats import (
    TASHKENT,
    local,
    long_date,
    month_name,
    month_year,
    short_date,
    short_datetime,
    time_of_day,
)

__all__ = [
    "TASHKENT",
    "local",
    "long_date",
    "month_name",
    "month_year",
    "short_date",
    "short_datetime",
    "time_of_day",
]
