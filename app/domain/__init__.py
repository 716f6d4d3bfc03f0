"""The data model of DOMAIN.md as SQLModel tables. Importing this registers every table."""

from app.domain.audit import AuditEntry
from app.domain.contribution import CitizenContribution
from app.domain.dispute import DisputeFollowUp, DisputeMeasure, DisputeParty, FamilyDispute
from app.domain.document import IssuedDocument
from app.domain.geography import District, Makhalla, Region
from app.domain.household import Household, HouseholdMember, HouseholdVisit, VisitPerson
from app.domain.local import LocalState
from app.domain.measure import PreventiveMeasure
from app.domain.offence import OffenceCase, OffenceParticipant
from app.domain.person import Person
from app.domain.protection_order import OrderBreach, OrderExtension, ProtectionOrder
from app.domain.register_entry import CheckIn, RegisterEntry, Violation
from app.domain.stronghold import OrderDuration, Setting, StaffUser, Stronghold

__all__ = [
    "AuditEntry",
    "CheckIn",
    "CitizenContribution",
    "DisputeFollowUp",
    "DisputeMeasure",
    "DisputeParty",
    "District",
    "FamilyDispute",
    "Household",
    "HouseholdMember",
    "HouseholdVisit",
    "IssuedDocument",
    "LocalState",
    "Makhalla",
    "OffenceCase",
    "OffenceParticipant",
    "OrderBreach",
    "OrderDuration",
    "OrderExtension",
    "Person",
    "PreventiveMeasure",
    "ProtectionOrder",
    "Region",
    "RegisterEntry",
    "Setting",
    "StaffUser",
    "Stronghold",
    "Violation",
    "VisitPerson",
]
