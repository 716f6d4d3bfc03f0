"""Reference data and stronghold settings with their defaults.

Protection-order durations changed over the years (DOMAIN.md), so they are rows HQ can
change, not constants; the defaults below are what a new register starts with.
"""

from __future__ import annotations

from sqlmodel import Session, select

from app.domain.stronghold import OrderDuration, Setting
from app.i18n import current_language, translator

# (kind, days, label). The label is left empty: what a user reads is written from the kind
# and the days where it is shown (duration_label), in the reader's language and with the
# plural the number takes. Registers seeded before stored English labels here ("30 days");
# those are not shown either.
DEFAULT_DURATIONS = (
    ("initial", 30, ""),
    ("extension", 30, ""),
    ("child", 30, ""),
)

# key -> default; values are text in the table.
DEFAULT_SETTINGS = {
    "conflict_visit_days": "3",  # conflict families visited at least every N days
    "household_visit_days": "90",  # every household once a quarter
    "idle_lock_minutes": "10",
    "language": "uz-Latn",
    "document_prefix": "TP",
}


def seed(session: Session, stronghold_code: str) -> None:
    for kind, days, label in DEFAULT_DURATIONS:
        session.add(OrderDuration(stronghold_code=None, kind=kind, days=days, label=label))
    for key, value in DEFAULT_SETTINGS.items():
        session.add(Setting(stronghold_code=stronghold_code, key=key, value=value))


def days_label(n: int, lang: str | None = None) -> str:
    """``n`` days, as a choice of duration reads: "1 day", "30 days", "30 дней"."""
    tr = translator(lang or current_language())
    return tr.ngettext("{n} day", "{n} days", n).format(n=n)


def duration_label(kind: str, days: int, lang: str | None = None) -> str:
    """An allowed protection-order duration as a user reads it, in ``lang``.

    Written from the kind and the days, never stored, so it follows the reader's language;
    a kind HQ adds later reads as plain days.
    """
    tr = translator(lang or current_language())
    if kind == "extension":
        text = tr.ngettext("extension by {n} day", "extension by {n} days", days)
    elif kind == "child":
        text = tr.ngettext("{n} day (child)", "{n} days (child)", days)
    elif kind == "court":
        text = tr.ngettext("{n} day (court order)", "{n} days (court order)", days)
    else:
        text = tr.ngettext("{n} day", "{n} days", days)
    return text.format(n=days)


def allowed_durations(session: Session, kind: str) -> list[int]:
    rows = session.exec(
        select(OrderDuration.days).where(
            OrderDuration.kind == kind,
            OrderDuration.active == True,
            OrderDuration.deleted == False,
        )
    ).all()
    return sorted(set(rows))


def get_setting(session: Session, key: str) -> str:
    row = session.exec(select(Setting).where(Setting.key == key, Setting.deleted == False)).first()
    return row.value if row else DEFAULT_SETTINGS.get(key, "")


def get_int_setting(session: Session, key: str) -> int:
    try:
        return int(get_setting(session, key))
    except ValueError:
        return int(DEFAULT_SETTINGS[key])
