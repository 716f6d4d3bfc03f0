"""Protection orders: issue within the allowed durations, extend, record breaches."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.domain.base import today_local
from app.domain.enums import OrderStatus, Prohibition
from app.domain.protection_order import OrderBreach, OrderExtension, ProtectionOrder
from app.errors import ValidationError
from app.i18n import N_
from app.services import reference
from app.services.base import EntityService, UnitOfWork, unit_of_work
from app.services.records import to_record
from app.services.registers import check_code


class DurationNotAllowed(ValidationError):
    code = "duration_not_allowed"
    template = N_("This duration is not allowed. Allowed durations in days: {allowed}.")


def _check_duration(uow: UnitOfWork, kind: str, days: Any, field: str) -> None:
    allowed = reference.allowed_durations(uow.session, kind)
    if days is None or int(days) not in allowed:
        raise DurationNotAllowed(
            fields={field: DurationNotAllowed.template}, allowed=", ".join(map(str, allowed))
        )


class OrderService(EntityService):
    model = ProtectionOrder
    editable = (
        "number",
        "issued_on",
        "issued_by_id",
        "protected_person_id",
        "respondent_person_id",
        "dispute_id",
        "grounds",
        "prohibitions",
        "duties",
        "duration_days",
        "start_date",
        "end_date",
        "status",
    )
    required = (
        "issued_on",
        "protected_person_id",
        "respondent_person_id",
        "duration_days",
        "start_date",
    )
    order_by = "issued_on"
    person_field = "protected_person_id"
    close_permission = "write"

    def check(self, uow: UnitOfWork, values, existing, problems) -> None:
        check_code(values, "status", OrderStatus, problems)
        if "prohibitions" in values:
            raw = values["prohibitions"]
            codes = raw if isinstance(raw, list | tuple) else [c for c in str(raw).split(",") if c]
            codes = [c.strip().lower() for c in codes]
            if any(c not in Prohibition.codes() for c in codes):
                problems["prohibitions"] = N_("Choose a value from the list.")
            values["prohibitions"] = ",".join(codes)
        if values.get("protected_person_id") and (
            values.get("protected_person_id") == values.get("respondent_person_id")
        ):
            problems["respondent_person_id"] = N_("The respondent cannot be the protected person.")
        if existing is None:
            if values.get("issued_by_id") is None:
                values["issued_by_id"] = uow.reg.user.id
            if "duration_days" in values and not problems:
                _check_duration(uow, "initial", values["duration_days"], "duration_days")
            if values.get("start_date") and values.get("duration_days"):
                values["end_date"] = values["start_date"] + timedelta(
                    days=int(values["duration_days"]) - 1
                )

    def close_values(self, obj, values: dict[str, Any]) -> dict[str, Any]:
        return {"status": values.get("status", OrderStatus.REVOKED.value)}

    def extend(self, reg, order_id, *, days: int, reason: str = "", on=None):
        """Extend by one of the allowed extension durations, from the current end."""
        with unit_of_work(reg) as uow:
            order = self._load(uow.session, order_id)
            _check_duration(uow, "extension", days, "days")
            new_end = order.end_date + timedelta(days=int(days))
            ext = OrderExtension(
                order_id=order.id,
                on=on or today_local(),
                days=int(days),
                new_end_date=new_end,
                reason=reason,
            )
            uow.add(ext, person_id=order.protected_person_id)
            uow.change(
                order,
                {"end_date": new_end, "status": OrderStatus.ACTIVE.value},
                person_id=order.protected_person_id,
            )
            return to_record(order)


class BreachService(EntityService):
    model = OrderBreach
    editable = ("order_id", "at", "description", "action")
    required = ("order_id", "at", "description")
    order_by = "at"


class ExtensionService(EntityService):
    model = OrderExtension
    editable = ()
    order_by = "on"


orders = OrderService()
breaches = BreachService()
extensions = ExtensionService()
