"""Register entries (supervision), check-ins and violations."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.domain.base import today_local
from app.domain.enums import (
    CheckInKind,
    CheckInResult,
    EntryStatus,
    RegisterCategory,
    RiskLevel,
    ViolationOutcome,
)
from app.domain.register_entry import CheckIn, RegisterEntry, Violation
from app.domain.validation import check_dates
from app.errors import ValidationError
from app.i18n import N_
from app.services.base import EntityService, UnitOfWork


def check_code(values: dict[str, Any], field: str, enum: type, problems: dict[str, str]) -> None:
    if field in values and values[field] is not None:
        code = str(values[field]).strip().lower()
        if code not in enum.codes():
            problems[field] = N_("Choose a value from the list.")
        values[field] = code


class RegisterEntryService(EntityService):
    model = RegisterEntry
    editable = (
        "person_id",
        "category",
        "basis_body",
        "basis_number",
        "basis_date",
        "basis_article",
        "start_date",
        "end_date",
        "conditions",
        "checkin_every_days",
        "risk_level",
        "responsible_id",
        "status",
        "removal_date",
        "removal_reason",
        "notes",
    )
    required = ("person_id", "category", "start_date")
    order_by = "start_date"
    person_field = "person_id"
    close_permission = "write"

    def check(self, uow: UnitOfWork, values, existing, problems) -> None:
        check_code(values, "category", RegisterCategory, problems)
        check_code(values, "risk_level", RiskLevel, problems)
        check_code(values, "status", EntryStatus, problems)
        start = values.get("start_date", existing.start_date if existing else None)
        end = values.get("end_date", existing.end_date if existing else None)
        try:
            check_dates(start, end)
        except ValidationError as e:
            problems.update(e.fields)
        every = values.get("checkin_every_days")
        if every is not None and not 1 <= int(every) <= 366:
            problems["checkin_every_days"] = N_("Check-in frequency is 1 to 366 days.")

    def close_values(self, obj, values: dict[str, Any]) -> dict[str, Any]:
        """Removal from the register keeps the entry, with the date and the reason."""
        when = values.get("removal_date") or today_local()
        if isinstance(when, str):
            from app.services.base import parse_date

            when = parse_date(when)
        if when < obj.start_date:
            problem = N_("The removal date cannot be before the start date.")
            raise ValidationError(problem, fields={"removal_date": problem})
        return {
            "status": EntryStatus.REMOVED.value,
            "removal_date": when,
            "removal_reason": values.get("removal_reason", ""),
        }


class CheckInService(EntityService):
    model = CheckIn
    editable = ("entry_id", "person_id", "at", "kind", "result", "notes", "recorded_by_id")
    required = ("entry_id", "person_id", "at")
    order_by = "at"
    person_field = "person_id"

    def check(self, uow: UnitOfWork, values, existing, problems) -> None:
        check_code(values, "kind", CheckInKind, problems)
        check_code(values, "result", CheckInResult, problems)
        if existing is None and values.get("recorded_by_id") is None:
            values["recorded_by_id"] = uow.reg.user.id


class ViolationService(EntityService):
    model = Violation
    editable = ("entry_id", "person_id", "check_in_id", "at", "what", "outcome", "notes")
    required = ("entry_id", "person_id", "at", "what")
    order_by = "at"
    person_field = "person_id"

    def check(self, uow: UnitOfWork, values, existing, problems) -> None:
        check_code(values, "outcome", ViolationOutcome, problems)


entries = RegisterEntryService()
check_ins = CheckInService()
violations = ViolationService()


def is_active(entry, on: date | None = None) -> bool:
    on = on or today_local()
    return entry.status == "active" and (entry.end_date is None or entry.end_date >= on)
