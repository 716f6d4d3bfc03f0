"""Writes the window needs that are more than one service call: each one transaction.

A check-in that found a violation is one event to the inspector, so both rows are written
together or not at all. Stronghold details, settings and allowed order durations have no
service of their own yet; they are written here through the same unit of work (audit
entry, version bump) as everything else.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import select

from app.db.register import Register
from app.domain import CheckIn, OrderDuration, Setting, Stronghold, Violation
from app.errors import ValidationError
from app.i18n import N_
from app.services import reference
from app.services.base import unit_of_work
from app.services.records import to_record
from app.services.registers import check_ins, violations

STRONGHOLD_FIELDS = ("name", "office", "region", "district", "makhalla", "address", "phone")
DURATION_KINDS = ("initial", "extension", "child", "court")


def record_check_in(
    reg: Register, *, violation: dict[str, Any] | None = None, **values: Any
) -> Any:
    """A check-in and, when its result is a violation, the violation, in one transaction."""
    with unit_of_work(reg) as uow:
        clean = check_ins._prepare(uow, values, None)
        c = CheckIn(**clean)
        uow.add(c, person_id=c.person_id)
        if violation is not None:
            v = violations._prepare(
                uow,
                {
                    "entry_id": c.entry_id,
                    "person_id": c.person_id,
                    "check_in_id": c.id,
                    "at": c.at,
                    **violation,
                },
                None,
            )
            uow.add(Violation(**v), person_id=c.person_id)
        return to_record(c)


def set_settings(reg: Register, values: dict[str, str]) -> dict[str, str]:
    """Save stronghold settings (text values); integers are checked for range."""
    problems = {}
    for key, value in values.items():
        if key not in reference.DEFAULT_SETTINGS:
            raise ValueError(f"unknown setting {key}")
        if reference.DEFAULT_SETTINGS[key].isdigit():
            if not str(value).isdigit() or not 1 <= int(value) <= 1000:
                problems[key] = N_("Enter a whole number from 1 to 1000.")
    if problems:
        raise ValidationError(next(iter(problems.values())), fields=problems)
    with unit_of_work(reg) as uow:
        s = uow.session
        for key, value in values.items():
            row = s.exec(
                select(Setting).where(Setting.key == key, Setting.deleted == False)
            ).first()
            if row is None:
                uow.add(Setting(key=key, value=str(value)))
            else:
                uow.change(row, {"value": str(value)})
    return dict(values)


def update_stronghold(reg: Register, **values: Any) -> Any:
    unknown = set(values) - set(STRONGHOLD_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "name" in values and not str(values["name"]).strip():
        problem = N_("This field is required.")
        raise ValidationError(problem, fields={"name": problem})
    with unit_of_work(reg) as uow:
        row = uow.session.exec(
            select(Stronghold).where(Stronghold.code == reg.stronghold_code)
        ).first()
        if row is None:
            row = uow.session.exec(select(Stronghold)).first()
        uow.change(row, {k: str(v).strip() for k, v in values.items()})
        return to_record(row)


def add_duration(reg: Register, kind: str, days: int, label: str = "") -> Any:
    if kind not in DURATION_KINDS:
        raise ValueError(kind)
    if not 1 <= int(days) <= 3650:
        problem = N_("A duration is 1 to 3650 days.")
        raise ValidationError(problem, fields={"days": problem})
    with unit_of_work(reg) as uow:
        existing = uow.session.exec(
            select(OrderDuration).where(
                OrderDuration.kind == kind,
                OrderDuration.days == int(days),
                OrderDuration.deleted == False,
            )
        ).first()
        if existing is not None:
            uow.change(existing, {"active": True})
            return to_record(existing)
        row = uow.add(OrderDuration(kind=kind, days=int(days), label=label, active=True))
        return to_record(row)


def set_duration_active(reg: Register, duration_id: uuid.UUID, active: bool) -> Any:
    with unit_of_work(reg) as uow:
        row = uow.session.get(OrderDuration, duration_id)
        if row is None:
            from app.errors import NotFoundError

            raise NotFoundError(id=str(duration_id))
        uow.change(row, {"active": bool(active)})
        return to_record(row)
