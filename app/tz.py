"""Tashkent time: what an inspector means by "today" (DOMAIN.md: stored UTC, shown UTC+5).

Kept apart from app.domain (which builds every table class on import) so that formatting
and the command line can know the time zone without loading the whole model.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

TASHKENT = timezone(timedelta(hours=5), "Asia/Tashkent")


def today_local() -> date:
    """Today's date in Tashkent, which is what an inspector means by 'today'."""
    return datetime.now(TASHKENT).date()
