"""Preventive measures, administrative offence cases and citizen contributions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.domain.contribution import CitizenContribution
from app.domain.enums import ContributionKind, Direction, MeasureKind, OffenceRole, RewardKind
from app.domain.measure import PreventiveMeasure
from app.domain.offence import OffenceCase, OffenceParticipant
from app.i18n import N_
from app.services.base import EntityService, UnitOfWork, unit_of_work
from app.services.records import to_record
from app.services.registers import check_code


class MeasureService(EntityService):
    model = PreventiveMeasure
    editable = (
        "person_id",
        "entry_id",
        "kind",
        "on",
        "place",
        "direction",
        "subject",
        "content",
        "legal_basis",
        "official_id",
    )
    required = ("person_id", "kind", "on")
    order_by = "on"
    person_field = "person_id"

    def check(self, uow: UnitOfWork, values, existing, problems) -> None:
        check_code(values, "kind", MeasureKind, problems)
        check_code(values, "direction", Direction, problems)
        if existing is None and values.get("official_id") is None:
            values["official_id"] = uow.reg.user.id


class OffenceService(EntityService):
    model = OffenceCase
    editable = (
        "drawn_up_at",
        "drawn_up_place",
        "official_id",
        "official_position",
        "official_name",
        "offender_id",
        "offence_place",
        "offence_at",
        "substance",
        "article",
        "explanation",
        "other_facts",
        "damage",
        "refused_to_sign",
        "direction",
    )
    required = ("drawn_up_at", "offender_id", "offence_at", "substance", "article")
    order_by = "drawn_up_at"
    person_field = "offender_id"

    def check(self, uow: UnitOfWork, values, existing, problems) -> None:
        check_code(values, "direction", Direction, problems)
        if existing is None:
            values.setdefault("official_id", uow.reg.user.id)
            if not values.get("official_name"):
                values["official_name"] = uow.reg.user.full_name
            if not values.get("official_position"):
                values["official_position"] = uow.reg.user.position
        at, drawn = values.get("offence_at"), values.get("drawn_up_at")
        if at and drawn and drawn < at:
            problems["drawn_up_at"] = N_("The protocol cannot be drawn up before the offence.")

    def record(self, reg, *, participants: Iterable[dict[str, Any]] = (), **values: Any):
        """A case with its witnesses and victims in one transaction."""
        with unit_of_work(reg) as uow:
            clean = self._prepare(uow, values, None)
            case = OffenceCase(**clean)
            uow.add(case, person_id=case.offender_id)
            for p in participants:
                p = offence_participants._prepare(uow, {"case_id": case.id, **p}, None)
                uow.add(OffenceParticipant(**p))
            return to_record(case)


class ParticipantService(EntityService):
    model = OffenceParticipant
    editable = ("case_id", "role", "person_id", "full_name", "address")
    required = ("case_id", "role", "full_name")

    def check(self, uow, values, existing, problems) -> None:
        check_code(values, "role", OffenceRole, problems)


class ContributionService(EntityService):
    model = CitizenContribution
    editable = ("person_id", "organisation", "on", "kind", "description", "proposed", "status")
    required = ("on", "kind")
    order_by = "on"
    person_field = "person_id"

    def check(self, uow, values, existing, problems) -> None:
        check_code(values, "kind", ContributionKind, problems)
        check_code(values, "proposed", RewardKind, problems)
        if existing is None and not values.get("person_id") and not values.get("organisation"):
            problems["person_id"] = N_("Name a person or an organisation.")


measures = MeasureService()
offences = OffenceService()
offence_participants = ParticipantService()
contributions = ContributionService()
