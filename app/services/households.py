"""Households, their members, and household visits with the persons met."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlmodel import select

from app.domain.enums import Direction, VisitPurpose
from app.domain.household import Household, HouseholdMember, HouseholdVisit, VisitPerson
from app.errors import ValidationError
from app.i18n import N_
from app.services.base import EntityService, UnitOfWork, unit_of_work
from app.services.records import to_record
from app.services.registers import check_code


class HouseholdService(EntityService):
    model = Household
    editable = (
        "makhalla",
        "makhalla_id",
        "street",
        "house",
        "flat",
        "head_person_id",
        "conflict_family",
        "notes",
    )
    required = ("street", "house")


class MemberService(EntityService):
    model = HouseholdMember
    editable = ("household_id", "person_id", "relation")
    required = ("household_id", "person_id")
    person_field = "person_id"
    close_permission = "write"


class VisitService(EntityService):
    model = HouseholdVisit
    editable = (
        "household_id",
        "visited_at",
        "visitor_id",
        "visitor_name",
        "other_visitors",
        "purpose",
        "direction",
        "findings",
        "measures",
        "next_visit_due",
    )
    required = ("household_id", "visited_at")
    order_by = "visited_at"

    def check(self, uow: UnitOfWork, values, existing, problems) -> None:
        check_code(values, "purpose", VisitPurpose, problems)
        check_code(values, "direction", Direction, problems)
        if existing is None and values.get("visitor_id") is None:
            values["visitor_id"] = uow.reg.user.id
            values.setdefault("visitor_name", uow.reg.user.full_name)
        due = values.get("next_visit_due")
        at = values.get("visited_at")
        if due and at and due < at.date():
            problems["next_visit_due"] = N_("The next visit cannot be before this visit.")

    def record(self, reg, *, persons_met: Iterable[uuid.UUID | str] = (), **values: Any):
        """Record a visit and the persons met in one transaction."""
        with unit_of_work(reg) as uow:
            clean = self._prepare(uow, values, None)
            visit = HouseholdVisit(**clean)
            uow.add(visit)
            for pid in persons_met:
                pid = pid if isinstance(pid, uuid.UUID) else uuid.UUID(str(pid))
                uow.add(VisitPerson(visit_id=visit.id, person_id=pid), person_id=pid)
            return to_record(visit)

    def persons_met(self, reg, visit_id: uuid.UUID) -> list[uuid.UUID]:
        with reg.reading() as s:
            return list(
                s.exec(
                    select(VisitPerson.person_id).where(
                        VisitPerson.visit_id == visit_id, VisitPerson.deleted == False
                    )
                ).all()
            )


households = HouseholdService()
members = MemberService()
visits = VisitService()

__all__ = ["households", "members", "visits", "ValidationError"]
