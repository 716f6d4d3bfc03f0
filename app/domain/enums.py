"""Categories and statuses, each with a stable code (stored and synced) and a label.

Codes never change once released: they are in databases, bundles and import files.
Labels are marked for translation and translated where they are shown.
"""

from __future__ import annotations

from enum import StrEnum

from app.i18n import N_, current_language, translator


class LabelledEnum(StrEnum):
    """A StrEnum whose members carry a translatable label in ``_labels``."""

    @classmethod
    def _label_map(cls) -> dict[str, str]:  # overridden by each enum through LABELS
        return getattr(cls, "LABELS", {})

    @property
    def label(self) -> str:
        return self.label_in(current_language())

    def label_in(self, lang: str) -> str:
        return translator(lang).gettext(type(self)._label_map().get(self.value, self.value))

    @classmethod
    def codes(cls) -> list[str]:
        return [m.value for m in cls]

    @classmethod
    def parse(cls, value: str) -> LabelledEnum:
        """Accept a code in any case; raise ValueError on an unknown one."""
        return cls(value.strip().lower())


class Sex(LabelledEnum):
    MALE = "m"
    FEMALE = "f"


Sex.LABELS = {"m": N_("male"), "f": N_("female")}


class Direction(LabelledEnum):
    """The six directions of a stronghold's work (DOMAIN.md), for the monthly report."""

    PUBLIC_ORDER = "public_order"
    SOCIAL_HELP = "social_help"
    FAMILY = "family"
    IMPROVEMENT = "improvement"
    SUPERVISION = "supervision"
    ADMIN_OFFENCES = "admin_offences"


Direction.LABELS = {
    "public_order": N_("Public order and offence prevention"),
    "social_help": N_("Social and legal help"),
    "family": N_("Family and household disputes"),
    "improvement": N_("Improvement and sanitation"),
    "supervision": N_("Supervision of persons on registers"),
    "admin_offences": N_("Administrative offence cases"),
}


class RegisterCategory(LabelledEnum):
    CONDITIONAL_SENTENCE = "conditional_sentence"
    PAROLE = "parole"
    NON_CUSTODIAL = "non_custodial"
    ADMIN_SUPERVISION = "admin_supervision"
    HOUSE_ARREST = "house_arrest"
    ORDER_RESPONDENT = "order_respondent"
    PREV_RELEASED = "prev_released"
    PREV_REPEAT_ADMIN = "prev_repeat_admin"
    PREV_DOMESTIC_VIOLENCE = "prev_domestic_violence"
    PREV_ALCOHOL_DRUGS = "prev_alcohol_drugs"
    PREV_MINOR_AT_RISK = "prev_minor_at_risk"
    PREV_NO_ABODE = "prev_no_abode"
    PREV_FAMILY_CONFLICT = "prev_family_conflict"
    PREV_OTHER = "prev_other"

    @property
    def is_preventive(self) -> bool:
        return self.value.startswith("prev_")


RegisterCategory.LABELS = {
    "conditional_sentence": N_("Conditional sentence"),
    "parole": N_("Conditional early release"),
    "non_custodial": N_("Non-custodial punishment"),
    "admin_supervision": N_("Administrative supervision"),
    "house_arrest": N_("House arrest"),
    "order_respondent": N_("Protection order respondent"),
    "prev_released": N_("Preventive register: released from prison"),
    "prev_repeat_admin": N_("Preventive register: repeat administrative offender"),
    "prev_domestic_violence": N_("Preventive register: domestic violence"),
    "prev_alcohol_drugs": N_("Preventive register: alcohol or drug abuse"),
    "prev_minor_at_risk": N_("Preventive register: minor at risk"),
    "prev_no_abode": N_("Preventive register: no fixed abode"),
    "prev_family_conflict": N_("Preventive register: family conflict party"),
    "prev_other": N_("Preventive register: other"),
}


class EntryStatus(LabelledEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REMOVED = "removed"


EntryStatus.LABELS = {
    "active": N_("active"),
    "suspended": N_("suspended"),
    "removed": N_("removed"),
}


class RiskLevel(LabelledEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


RiskLevel.LABELS = {"low": N_("low"), "medium": N_("medium"), "high": N_("high")}


class CheckInKind(LabelledEnum):
    HOME_VISIT = "home_visit"
    AT_STRONGHOLD = "at_stronghold"
    PHONE = "phone"


CheckInKind.LABELS = {
    "home_visit": N_("visit at home"),
    "at_stronghold": N_("report at the stronghold"),
    "phone": N_("phone call"),
}


class CheckInResult(LabelledEnum):
    PRESENT = "present"
    ABSENT = "absent"
    VIOLATION = "violation"


CheckInResult.LABELS = {
    "present": N_("present"),
    "absent": N_("absent"),
    "violation": N_("violation"),
}


class ViolationOutcome(LabelledEnum):
    WARNING = "warning"
    PROTOCOL = "protocol"
    NOTICE_COURT = "notice_court"
    NOTICE_PROBATION = "notice_probation"
    NONE = "none"


ViolationOutcome.LABELS = {
    "warning": N_("warning"),
    "protocol": N_("administrative protocol"),
    "notice_court": N_("notice to the court"),
    "notice_probation": N_("notice to the probation service"),
    "none": N_("no measure"),
}


class VisitPurpose(LabelledEnum):
    ROUTINE = "routine"
    SUPERVISION = "supervision"
    DISPUTE = "dispute"
    SOCIAL_HELP = "social_help"


VisitPurpose.LABELS = {
    "routine": N_("routine round"),
    "supervision": N_("supervision check"),
    "dispute": N_("dispute follow-up"),
    "social_help": N_("social help"),
}


class DisputeSource(LabelledEnum):
    APPLICATION = "application"
    NEIGHBOURS = "neighbours"
    MEDIA = "media"
    OWN_DETECTION = "own_detection"


DisputeSource.LABELS = {
    "application": N_("victim's application"),
    "neighbours": N_("neighbours"),
    "media": N_("media"),
    "own_detection": N_("own detection"),
}


class DisputeNature(LabelledEnum):
    VIOLENCE = "violence"
    HARASSMENT = "harassment"
    DIVORCE = "divorce"
    PROPERTY = "property"
    IN_LAWS = "in_laws"
    CHILDREN = "children"


DisputeNature.LABELS = {
    "violence": N_("violence"),
    "harassment": N_("harassment"),
    "divorce": N_("divorce conflict"),
    "property": N_("property"),
    "in_laws": N_("in-laws"),
    "children": N_("children"),
}


class DisputeStatus(LabelledEnum):
    OPEN = "open"
    RECONCILED = "reconciled"
    REFERRED = "referred"
    CLOSED = "closed"


DisputeStatus.LABELS = {
    "open": N_("open"),
    "reconciled": N_("reconciled"),
    "referred": N_("referred"),
    "closed": N_("closed"),
}


class PartyRole(LabelledEnum):
    APPLICANT = "applicant"
    RESPONDENT = "respondent"
    OTHER = "other"


PartyRole.LABELS = {
    "applicant": N_("applicant"),
    "respondent": N_("respondent"),
    "other": N_("other"),
}


class DisputeMeasureKind(LabelledEnum):
    TALK = "talk"
    MEDIATION = "mediation"
    REFERRAL_SOCIAL = "referral_social"
    REFERRAL_CENTRE = "referral_centre"
    PROTECTION_ORDER = "protection_order"
    PROTOCOL = "protocol"


DisputeMeasureKind.LABELS = {
    "talk": N_("preventive talk"),
    "mediation": N_("mediation with the makhalla"),
    "referral_social": N_("referral to a social worker"),
    "referral_centre": N_("referral to a centre"),
    "protection_order": N_("protection order"),
    "protocol": N_("administrative protocol"),
}


class Prohibition(LabelledEnum):
    CONTACT = "contact"
    SAME_PLACE = "same_place"
    WEAPONS = "weapons"
    SEARCH = "search"
    THROUGH_OTHERS = "through_others"


Prohibition.LABELS = {
    "contact": N_("contacting the protected person"),
    "same_place": N_("being in the same place as the protected person"),
    "weapons": N_("holding or acquiring weapons"),
    "search": N_("searching for the protected person"),
    "through_others": N_("contacting the protected person through others"),
}


class OrderStatus(LabelledEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


OrderStatus.LABELS = {"active": N_("in force"), "expired": N_("expired"), "revoked": N_("revoked")}


class MeasureKind(LabelledEnum):
    TALK = "talk"
    WARNING = "warning"
    NOTICE = "notice"
    REFERRAL = "referral"
    PLAN = "plan"
    CONCLUSION = "conclusion"


MeasureKind.LABELS = {
    "talk": N_("preventive talk"),
    "warning": N_("official warning"),
    "notice": N_("notice on the causes of an offence"),
    "referral": N_("referral"),
    "plan": N_("individual prevention plan"),
    "conclusion": N_("social-prevention conclusion"),
}


class OffenceRole(LabelledEnum):
    WITNESS = "witness"
    VICTIM = "victim"


OffenceRole.LABELS = {"witness": N_("witness"), "victim": N_("victim")}


class ContributionKind(LabelledEnum):
    PREVENTED = "prevented"
    UNCOVERED = "uncovered"
    MISSING_PERSON = "missing_person"
    PREVENTION_WORK = "prevention_work"


ContributionKind.LABELS = {
    "prevented": N_("helped prevent an offence"),
    "uncovered": N_("helped uncover an offence"),
    "missing_person": N_("helped find a missing person"),
    "prevention_work": N_("took part in prevention work"),
}


class RewardKind(LabelledEnum):
    REWARD = "reward"
    THANKS = "thanks"


RewardKind.LABELS = {"reward": N_("reward"), "thanks": N_("letter of thanks")}


class Role(LabelledEnum):
    INSPECTOR = "inspector"
    ASSISTANT = "assistant"
    VIEWER = "viewer"


Role.LABELS = {
    "inspector": N_("inspector"),
    "assistant": N_("assistant inspector"),
    "viewer": N_("viewer"),
}


class DocumentKind(LabelledEnum):
    VISIT_ACT = "visit-act"
    TALK_RECORD = "talk-record"
    WARNING = "warning"
    PROTECTION_ORDER = "protection-order"
    OFFENCE_PROTOCOL = "offence-protocol"
    SUPERVISION_CARD = "supervision-card"
    MONTHLY_REPORT = "monthly-report"


DocumentKind.LABELS = {
    "visit-act": N_("household visit act"),
    "talk-record": N_("preventive talk record"),
    "warning": N_("official warning"),
    "protection-order": N_("protection order"),
    "offence-protocol": N_("administrative offence protocol"),
    "supervision-card": N_("supervision card"),
    "monthly-report": N_("monthly report"),
}


# Record kinds by table, as the Audit screen's Record column and the History tab name them,
# and as a document refused for a record of the wrong kind says what it was given.
TABLE_NAMES = {
    "person": N_("person"),
    "register_entry": N_("register entry"),
    "check_in": N_("check-in"),
    "violation": N_("violation"),
    "household": N_("household"),
    "household_visit": N_("visit"),
    "visit_person": N_("person met on a visit"),
    "household_member": N_("household member"),
    "dispute_party": N_("dispute party"),
    "family_dispute": N_("family dispute"),
    "dispute_measure": N_("dispute measure"),
    "dispute_follow_up": N_("dispute follow-up"),
    "protection_order": N_("protection order"),
    "order_extension": N_("order extension"),
    "order_breach": N_("order breach"),
    "preventive_measure": N_("preventive measure"),
    "offence_case": N_("offence case"),
    "offence_participant": N_("witness or victim"),
    "citizen_contribution": N_("citizen contribution"),
    "issued_document": N_("document"),
    "stronghold": N_("stronghold details"),
    "staff_user": N_("user"),
    "setting": N_("setting"),
    "order_duration": N_("allowed order duration"),
}
