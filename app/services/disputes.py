"""Family disputes: reports, parties with roles, measures, follow-ups, status."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from app.domain.base import today_local
from app.domain.dispute import DisputeFollowUp, DisputeMeasure, DisputeParty, FamilyDispute
from app.domain.enums import (
    DisputeMeasureKind,
    DisputeNature,
    DisputeSource,
    DisputeStatus,
    PartyRole,
)
from app.services.base import EntityService, UnitOfWork, unit_of_work
from app.services.records import to_record
from app.services.registers import check_code


class DisputeService(EntityService):
    model = FamilyDispute
    editable = (
        "reported_at",
        "source",
        "nature",
        "household_id",
        "description",
        "status",
        "examined_at",
        "closed_on",
        "responsible_id",
    )
    required = ("reported_at", "source", "nature")
    order_by = "reported_at"
    close_permission = "write"

    def check(self, uow: UnitOfWork, values, existing, problems) -> None:
        check_code(values, "source", DisputeSource, problems)
        check_code(values, "nature", DisputeNature, problems)
        check_code(values, "status", DisputeStatus, problems)

    def close_values(self, obj, values: dict[str, Any]) -> dict[str, Any]:
        status = values.get("status", DisputeStatus.CLOSED.value)
        return {"status": status, "closed_on": values.get("closed_on") or today_local()}

    def register(self, reg, *, parties: Iterable[tuple[uuid.UUID | str, str]] = (), **values: Any):
        """A new report with its parties (person id, role) in one transaction."""
        with unit_of_work(reg) as uow:
            clean = self._prepare(uow, values, None)
            dispute = FamilyDispute(**clean)
            uow.add(dispute)
            for pid, role in parties:
                pid = pid if isinstance(pid, uuid.UUID) else uuid.UUID(str(pid))
                party = {"dispute_id": dispute.id, "person_id": pid, "role": role}
                party = dispute_parties._prepare(uow, party, None)
                uow.add(DisputeParty(**party), person_id=pid)
            return to_record(dispute)


class PartyService(EntityService):
    model = DisputeParty
    editable = ("dispute_id", "person_id", "role")
    required = ("dispute_id", "person_id", "role")
    person_field = "person_id"
    close_permission = "write"

    def check(self, uow, values, existing, problems) -> None:
        check_code(values, "role", PartyRole, problems)


class DisputeMeasureService(EntityService):
    model = DisputeMeasure
    editable = ("dispute_id", "on", "kind", "notes")
    required = ("dispute_id", "on", "kind")
    order_by = "on"

    def check(self, uow, values, existing, problems) -> None:
        check_code(values, "kind", DisputeMeasureKind, problems)


class FollowUpService(EntityService):
    model = DisputeFollowUp
    editable = ("dispute_id", "on", "notes")
    required = ("dispute_id", "on")
    order_by = "on"


disputes = DisputeService()
dispute_parties = PartyService()
dispute_measures = DisputeMeasureService()
follow_ups = FollowUpService()
