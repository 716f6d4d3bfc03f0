"""An audit entry's details as a user reads them: translated "Label: value" pairs.

The chain stores details as field names, codes, counts and ids, never personal data
(app/services/audit.py), because they are hashed and synced as written. This module turns
them into text in the reader's language when they are shown, on the Audit screen and in a
person's History tab.

``FIELD_LABELS`` is the one map from a record's field names to the captions the forms show
(the same msgids, so the same translations); where one form words a field its own way
(a breach's ``description`` is "What happened", a contribution's "What they did"),
``TABLE_FIELD_LABELS`` says so. A key or code this version does not know, written by a
newer computer, is shown as stored rather than hidden. No Qt here: plain text in, out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from app.domain.base import TASHKENT
from app.domain.enums import TABLE_NAMES, DocumentKind
from app.i18n import N_, _

# Field name -> the caption its form shows.
FIELD_LABELS = {
    # person
    "surname": N_("Surname"),
    "given_name": N_("Given name"),
    "patronymic": N_("Patronymic"),
    "birth_date": N_("Birth date"),
    "sex": N_("Sex"),
    "pinfl": N_("PINFL"),
    "passport": N_("Passport or ID card"),
    "phone": N_("Phone"),
    "phone2": N_("Second phone"),
    "region": N_("Region"),
    "district": N_("District"),
    "makhalla": N_("Makhalla"),
    "makhalla_id": N_("Makhalla"),
    "street": N_("Street"),
    "house": N_("House"),
    "flat": N_("Flat"),
    "workplace": N_("Work or study place"),
    "photo": N_("Photo"),
    "notes": N_("Notes"),
    # register entries, check-ins, violations
    "category": N_("Register"),
    "basis_body": N_("Court or body"),
    "basis_number": N_("Decision number"),
    "basis_date": N_("Decision date"),
    "basis_article": N_("Article"),
    "start_date": N_("From"),
    "end_date": N_("Until"),
    "conditions": N_("Conditions"),
    "checkin_every_days": N_("Check-in every (days)"),
    "risk_level": N_("Risk level"),
    "responsible_id": N_("Responsible inspector"),
    "status": N_("Status"),
    "removal_date": N_("Removed on"),
    "removal_reason": N_("Reason"),
    "entry_id": N_("Register"),
    "person_id": N_("Person"),
    "at": N_("When"),
    "kind": N_("Kind"),
    "result": N_("Result"),
    "what": N_("What was broken"),
    "outcome": N_("What followed"),
    # households and visits
    "household_id": N_("Household"),
    "head_person_id": N_("Head of household"),
    "conflict_family": N_("Conflict family"),
    "relation": N_("Relation"),
    "visited_at": N_("When"),
    "visitor_id": N_("Visitor"),
    "visitor_name": N_("Visitor"),
    "other_visitors": N_("Also visited"),
    "purpose": N_("Purpose"),
    "direction": N_("Direction of work"),
    "findings": N_("Findings"),
    "measures": N_("Measures taken"),
    "next_visit_due": N_("Next visit"),
    # disputes
    "reported_at": N_("Reported"),
    "source": N_("Source"),
    "nature": N_("Nature"),
    "description": N_("What happened"),
    "examined_at": N_("Examined"),
    "closed_on": N_("Resolved on"),
    "role": N_("Role"),
    "on": N_("Date"),
    # protection orders
    "number": N_("Number"),
    "issued_on": N_("Issued on"),
    "issued_by_id": N_("Issued by"),
    "protected_person_id": N_("Protected person"),
    "respondent_person_id": N_("Respondent"),
    "dispute_id": N_("Family dispute"),
    "grounds": N_("Grounds"),
    "prohibitions": N_("Prohibitions"),
    "duties": N_("Duties of the respondent"),
    "duration_days": N_("Duration"),
    "days": N_("Days"),
    "new_end_date": N_("Until"),
    "reason": N_("Reason"),
    "action": N_("What was done"),
    # preventive measures, offences, contributions
    "held_at": N_("When"),
    "place": N_("Place"),
    "subject": N_("Subject"),
    "content": N_("Content"),
    "legal_basis": N_("Legal basis"),
    "official_id": N_("Official"),
    "drawn_up_at": N_("Protocol drawn up"),
    "drawn_up_place": N_("Drawn up at"),
    "official_position": N_("Position"),
    "official_name": N_("Official"),
    "offender_id": N_("Offender"),
    "offence_place": N_("Place of the offence"),
    "offence_at": N_("Offence committed"),
    "substance": N_("What happened"),
    "article": N_("Article of the Code"),
    "explanation": N_("Offender's explanation"),
    "other_facts": N_("Other facts"),
    "damage": N_("Damage caused"),
    "refused_to_sign": N_("The offender refused to sign"),
    "full_name": N_("Full name"),
    "address": N_("Address"),
    "organisation": N_("Organisation"),
    "proposed": N_("Proposed for"),
    # the stronghold, its users, settings and reference data
    "name": N_("Name"),
    "office": N_("Office line on documents"),
    "login": N_("Login"),
    "position": N_("Position"),
    "active": N_("Active"),
    "label": N_("Label"),
    "value": N_("Value"),
    "deleted": N_("Deleted"),
}

# Where a form words a field its own way.
TABLE_FIELD_LABELS = {
    ("check_in", "kind"): N_("How"),
    ("preventive_measure", "kind"): N_("Measure"),
    ("dispute_measure", "kind"): N_("Measure"),
    ("citizen_contribution", "kind"): N_("Contribution"),
    ("citizen_contribution", "description"): N_("What they did"),
    ("dispute_follow_up", "notes"): N_("What was found"),
    ("protection_order", "start_date"): N_("In force from"),
    ("order_extension", "on"): N_("Decided on"),
    ("order_extension", "days"): N_("Extend by"),
    ("preventive_measure", "on"): N_("Date"),
}

# Codes some details carry.
_TRANSPORTS = {"usb": N_("USB stick"), "net": N_("network")}
_BACKUP_REASONS = {
    "manual": N_("made by hand"),
    "daily": N_("daily, automatic"),
    "pre-migration": N_("before an update"),
    "pre-restore": N_("before a restore"),
}
_KEPT = {
    "local": N_("this computer's value"),
    "remote": N_("the other value"),
    "value": N_("a value typed in"),
}
_VIA = {"recovery_key": N_("with the recovery key")}


def field_label(table: str, field: str) -> str:
    """The translated caption of ``field`` of ``table``; the name itself when unknown."""
    label = TABLE_FIELD_LABELS.get((table, field)) or FIELD_LABELS.get(field)
    return _(label) if label else field


def field_list(table: str, fields: Iterable[str]) -> str:
    """Field names as their captions, in the order given, each once."""
    seen: list[str] = []
    for f in fields:
        text = field_label(table, str(f))
        if text not in seen:
            seen.append(text)
    return ", ".join(seen)


def table_name(table: str) -> str:
    label = TABLE_NAMES.get(table)
    return _(label) if label else table


def _code(labels: dict[str, str]) -> Callable[[Any], str]:
    return lambda v: _(labels[v]) if v in labels else str(v)


def _moment(value: Any) -> str:
    """A stored ISO time as dd.mm.yyyy hh:mm in Tashkent; the text itself if it is not one."""
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if at.tzinfo is not None:
        at = at.astimezone(TASHKENT)
    return at.strftime("%d.%m.%Y %H:%M")


def _size(value: Any) -> str:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return str(value)
    return _("{mb} MB").format(mb=f"{n / 1_000_000:.1f}")


def _document(value: Any) -> str:
    try:
        return DocumentKind(value).label
    except ValueError:
        return str(value)


def _yes(value: Any) -> str:
    return _("yes") if value else _("no")


def _short_id(value: Any) -> str:
    return str(value).replace("-", "")[:8]


# Detail key -> (caption, how its value reads). Pairs show in this order.
_KEYS: dict[str, tuple[str, Callable[[Any], str] | None]] = {
    "kind": (N_("Document"), _document),
    "via": (N_("How"), _code(_VIA)),
    "rows": (N_("Rows"), None),
    "added": (N_("Added"), None),
    "updated": (N_("Updated"), None),
    "entries_added": (N_("Register entries added"), None),
    "entries_updated": (N_("Register entries updated"), None),
    "file_type": (N_("File type"), lambda v: str(v).upper()),
    "details_counts": (N_("Records made"), None),
    "dropped": (N_("Duplicate merged into this one"), _short_id),
    "reason": (N_("Kind"), _code(_BACKUP_REASONS)),
    "size": (N_("Size"), _size),
    "backup_created_at": (N_("Backup made"), _moment),
    "backup_reason": (N_("Kind"), _code(_BACKUP_REASONS)),
    "pre_restore_backup": (N_("The register before the restore was saved as"), None),
    "failed_at": (N_("When"), _moment),
    "failures": (N_("Wrong passwords in a row"), None),
    "wait_seconds": (N_("Next try allowed after (seconds)"), None),
    "unknown_login": (N_("Unknown user name"), _yes),
    "keep": (N_("Kept"), _code(_KEPT)),
    "hq": (N_("Headquarters"), None),
    "again": (N_("Enrolled again"), _yes),
    "changes": (N_("Changes"), None),
    "received": (N_("Received"), None),
    "conflicts": (N_("Conflicts"), None),
    "rejected": (N_("Refused"), None),
    "transport": (N_("Transport"), _code(_TRANSPORTS)),
}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return _yes(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def describe(table: str, details: dict[str, Any] | None) -> str:
    """The details of one entry of ``table`` as "Caption: value" pairs joined by "; "."""
    details = dict(details or {})
    parts: list[str] = []
    fields = details.pop("fields", None)
    if fields:
        parts.append(_("Fields") + ": " + field_list(table, fields))
    filled = details.pop("filled", None)
    if filled:
        parts.append(_("Filled in from the duplicate") + ": " + field_list(table, filled))
    moved = details.pop("moved", None)
    if isinstance(moved, dict) and moved:
        parts.append(
            _("Moved from the duplicate")
            + ": "
            + ", ".join(f"{table_name(t)} {n}" for t, n in sorted(moved.items()))
        )
    field = details.pop("field", None)
    if field:
        parts.append(_("Field") + ": " + field_label(table, str(field)))
    for key in [k for k in _KEYS if k in details] + sorted(k for k in details if k not in _KEYS):
        value = details[key]
        if value in ("", None):
            continue
        caption, show = _KEYS.get(key, (None, None))
        text = show(value) if show else _value(value)
        parts.append(f"{_(caption) if caption else key}: {text}")
    return "; ".join(parts)
