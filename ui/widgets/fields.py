"""Input widgets for dates and times typed the way inspectors write them.

Dates are typed, not picked: "12.03.1990", "12031990" or "1990-03-12" all work, and the
field shows dd.mm.yyyy once you leave it. A calendar popup is slower than ten keystrokes.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from PySide6.QtWidgets import QLineEdit, QWidget

from app.domain.base import TASHKENT
from app.i18n import N_
from ui.format import fmt_date

DATE_PROBLEM = N_("Enter a date as dd.mm.yyyy.")
DATETIME_PROBLEM = N_("Enter a date and time as dd.mm.yyyy hh:mm.")


def parse_date_text(text: str) -> date | None:
    """The date in ``text``; None when empty; ValueError when it is not a date."""
    text = text.strip()
    if not text:
        return None
    m = re.fullmatch(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})", text)
    if m:
        return date(int(m[3]), int(m[2]), int(m[1]))
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    m = re.fullmatch(r"(\d{2})(\d{2})(\d{4})", text)
    if m:
        return date(int(m[3]), int(m[2]), int(m[1]))
    raise ValueError(text)


def parse_datetime_text(text: str) -> datetime | None:
    """A Tashkent wall-clock time typed by a user, as aware UTC; None when empty."""
    text = text.strip()
    if not text:
        return None
    m = re.fullmatch(r"(.+?)\s+(\d{1,2}):(\d{2})", text)
    if m:
        day = parse_date_text(m[1])
        clock = time(int(m[2]), int(m[3]))
    else:
        day = parse_date_text(text)
        clock = time(12, 0)
    if day is None:
        raise ValueError(text)
    return datetime.combine(day, clock, TASHKENT).astimezone(UTC)


class DateEdit(QLineEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("dd.mm.yyyy")
        self.setMaxLength(10)
        self.editingFinished.connect(self._tidy)

    def date_value(self) -> date | None:
        """Raises ValueError for text that is not a date."""
        return parse_date_text(self.text())

    def set_date(self, value: date | None) -> None:
        self.setText(fmt_date(value))

    def _tidy(self) -> None:
        try:
            value = self.date_value()
        except ValueError:
            return
        if value is not None:
            self.setText(fmt_date(value))


class DateTimeEdit(QLineEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("dd.mm.yyyy hh:mm")
        self.setMaxLength(16)

    def datetime_value(self) -> datetime | None:
        return parse_datetime_text(self.text())

    def set_datetime(self, value: datetime | None) -> None:
        self.setText("" if value is None else value.astimezone(TASHKENT).strftime("%d.%m.%Y %H:%M"))
