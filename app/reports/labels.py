"""Labels of the codes that documents print, marked for translation.

The codes are the stable ones of ``app.domain.enums`` (stored, synced, imported); they are
repeated here rather than imported so that a document snapshot stored years ago still
prints with the wording documents use, and so that this package stays importable on its
own. Where a label is the same English text as the domain's, gettext shares one catalog
entry. A code with no label (a value typed by hand, or a code added later) is printed as
it is, which beats printing nothing on a signed document.
"""

from __future__ import annotations

import logging
from gettext import NullTranslations

from app.i18n import N_

logger = logging.getLogger(__name__)

DIRECTIONS: dict[str, str] = {
    "public_order": N_("Public order and offence prevention"),
    "social_help": N_("Social and legal help"),
    "family": N_("Family and household disputes"),
    "improvement": N_("Improvement and sanitation"),
    "supervision": N_("Supervision of persons on registers"),
    "admin_offences": N_("Administrative offence cases"),
}

REGISTER_CATEGORIES: dict[str, str] = {
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

REGISTER_STATUSES: dict[str, str] = {
    "active": N_("active"),
    "suspended": N_("suspended"),
    "removed": N_("removed"),
}

RISK_LEVELS: dict[str, str] = {"low": N_("low"), "medium": N_("medium"), "high": N_("high")}

CHECKIN_KINDS: dict[str, str] = {
    "home_visit": N_("visit at home"),
    "at_stronghold": N_("report at the stronghold"),
    "phone": N_("phone call"),
}

CHECKIN_RESULTS: dict[str, str] = {
    "present": N_("present"),
    "absent": N_("absent"),
    "violation": N_("violation"),
}

VIOLATION_MEASURES: dict[str, str] = {
    "warning": N_("warning"),
    "protocol": N_("administrative protocol"),
    "notice_court": N_("notice to the court"),
    "notice_probation": N_("notice to the probation service"),
    "none": N_("no measure"),
}

VISIT_PURPOSES: dict[str, str] = {
    "routine": N_("routine round"),
    "supervision": N_("supervision check"),
    "dispute": N_("dispute follow-up"),
    "social_help": N_("social help"),
}

DISPUTE_NATURES: dict[str, str] = {
    "violence": N_("violence"),
    "harassment": N_("harassment"),
    "divorce": N_("divorce conflict"),
    "property": N_("property"),
    "in_laws": N_("in-laws"),
    "children": N_("children"),
}

PROHIBITIONS: dict[str, str] = {
    "contact": N_("contacting the protected person"),
    "same_place": N_("being in the same place as the protected person"),
    "weapons": N_("holding or acquiring weapons"),
    "search": N_("searching for the protected person"),
    "through_others": N_("contacting the protected person through others"),
}

DUTIES: dict[str, str] = {
    "correction_programme": N_(
        "complete a correction programme for persons who committed violence"
    ),
    "appear_when_summoned": N_("appear at the stronghold when summoned"),
    "report_address": N_("report any change of address to the inspector"),
}

MEASURE_KINDS: dict[str, str] = {
    "talk": N_("preventive talk"),
    "warning": N_("official warning"),
    "notice": N_("notice on the causes of an offence"),
    "referral": N_("referral"),
    "plan": N_("individual prevention plan"),
    "conclusion": N_("social-prevention conclusion"),
    "protocol": N_("administrative protocol"),
}

CONTRIBUTION_KINDS: dict[str, str] = {
    "prevented": N_("helped prevent an offence"),
    "uncovered": N_("helped uncover an offence"),
    "missing_person": N_("helped find a missing person"),
    "prevention_work": N_("took part in prevention work"),
}

CONTRIBUTION_PROPOSALS: dict[str, str] = {
    "reward": N_("reward"),
    "thanks": N_("letter of thanks"),
}

POSITIONS: dict[str, str] = {
    "senior_inspector": N_("senior prevention inspector"),
    "inspector": N_("prevention inspector"),
    "assistant": N_("assistant inspector"),
    "womens_inspector": N_("inspector for women's issues"),
    "probation_inspector": N_("probation inspector"),
}

SEXES: dict[str, str] = {"m": N_("male"), "f": N_("female")}


def label(tr: NullTranslations, group: dict[str, str], code: str) -> str:
    """The label of ``code`` in the catalog ``tr``; the code itself when it has none."""
    source = group.get(code) or group.get(code.strip().lower())
    if source is None:
        return code  # typed by hand: printed as is (and never logged, it may name someone)
    return tr.gettext(source)


def capitalised(text: str) -> str:
    """First letter upper-cased, for labels that start a table cell or a line."""
    return text[:1].upper() + text[1:]
