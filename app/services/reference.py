"""Reference data and stronghold settings with their defaults.

Protection-order durations changed over the years (DOMAIN.md), so they are rows HQ can
change, not constants; the defaults below are what a new register starts with.
"""

from __future__ import annotations

from sqlmodel import Session, select

from app.domain.stronghold import OrderDuration, Setting

DEFAULT_DURATIONS = (
    ("initial", 30, "30 days"),
    ("extension", 30, "extension by 30 days"),
    ("child", 30, "30 days (child)"),
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
