"""How values look in the window: dates as dd.mm.yyyy in Tashkent time, codes as labels.

One place for it, so the table, the card and the forms never disagree on a date format.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from app.domain.base import TASHKENT
from app.i18n import _


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(TASHKENT).date()
    return value.strftime("%d.%m.%Y")


def fmt_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(TASHKENT).strftime("%d.%m.%Y %H:%M")


def label(enum: type, code: str | None) -> str:
    """The translated label of a code; the code itself when it is unknown (newer data)."""
    if not code:
        return ""
    try:
        return enum(code).label
    except ValueError:
        return code


def short_category(code: str) -> str:
    """A register's label without the "Preventive register:" prefix, for narrow places."""
    from app.domain.enums import RegisterCategory

    text = label(RegisterCategory, code)
    return text.split(": ", 1)[1] if ": " in text else text


def labels(enum: type, codes: Any) -> str:
    if isinstance(codes, str):
        codes = [c for c in codes.split(",") if c]
    return ", ".join(label(enum, c) for c in codes or ())


def full_name(p: Any) -> str:
    return " ".join(x for x in (p.surname, p.given_name, p.patronymic) if x)


def address(p: Any) -> str:
    parts = [p.street]
    if getattr(p, "house", ""):
        parts.append(p.house)
    text = ", ".join(x for x in parts if x)
    if getattr(p, "flat", ""):
        text += ", " + _("flat {flat}").format(flat=p.flat)
    return text


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")
