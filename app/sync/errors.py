"""Why a bundle or a sync request is refused, and why HQ rejected a single change.

A refused bundle changes nothing; the message says which check failed and what to do.
Rejections of single changes travel back to the device as codes with parameters, so the
device shows them in its own language.
"""

from __future__ import annotations

from app.errors import TayanchError
from app.i18n import N_


class SyncError(TayanchError):
    code = "sync"
    template = N_("Sync failed. Try again; if it keeps failing, ask the district office.")


class BundleRefused(SyncError):
    """The whole bundle was refused; nothing was changed."""

    code = "bundle_refused"


class BundleDamaged(BundleRefused):
    code = "bundle_damaged"
    template = N_(
        "This file is not a Tayanch sync bundle, or it was damaged or altered. "
        "Nothing was changed. Export a new bundle on the other computer."
    )


class BundleTruncated(BundleRefused):
    code = "bundle_truncated"
    template = N_(
        "The bundle is incomplete: the file was cut short. Nothing was changed. "
        "Copy it again, or export a new one."
    )


class WrongReceiver(BundleRefused):
    code = "bundle_wrong_receiver"
    template = N_(
        "This bundle is addressed to another receiver. Nothing was changed. "
        "Import it on the computer (or at the headquarters) it was made for."
    )


class UnknownSender(BundleRefused):
    code = "bundle_unknown_sender"
    template = N_(
        "This bundle is signed by a computer headquarters does not know ({sender}). "
        "Nothing was changed. Enrol the computer first."
    )


class DeviceRevoked(BundleRefused):
    code = "device_revoked"
    template = N_(
        "This computer's access to headquarters was revoked. Nothing was sent or "
        "changed. Ask the district office to enrol it again."
    )


class BundleReplayed(BundleRefused):
    code = "bundle_replayed"
    template = N_(
        "This bundle is older than one already applied from the same sender (a replay). "
        "Nothing was changed. Use the newest bundle."
    )


class ForeignRows(BundleRefused):
    code = "bundle_foreign_rows"
    template = N_(
        "The bundle carries records of another stronghold ({stronghold}). "
        "Nothing was changed. Ask the district office to check the computer that made it."
    )


class SchemaTooNew(BundleRefused):
    code = "bundle_schema_too_new"
    template = N_(
        "The bundle was made by a newer version of Tayanch (schema {schema}). "
        "Nothing was changed. Update Tayanch here first."
    )


class AppTooOld(BundleRefused):
    code = "app_too_old"
    template = N_(
        "This version of Tayanch is too old for headquarters (schema {schema}). "
        "Nothing was sent. Update the app, then sync again."
    )


class BundleInvalid(BundleRefused):
    code = "bundle_invalid"
    template = N_(
        "The bundle's content is not valid ({detail}). Nothing was changed. "
        "Export a new bundle on the other computer."
    )


# The same refusals of a reply from HQ, with the advice that fits a stronghold's computer:
# HQ writes a reply anew when it imports the computer's bundle again.
class ReplyDamaged(BundleDamaged):
    template = N_(
        "This file is not a reply from headquarters, or it was damaged or altered. Nothing "
        "was changed. At the district office, import this computer's bundle again: that "
        "writes its reply anew."
    )


class ReplyTruncated(BundleTruncated):
    template = N_(
        "The reply is incomplete: the file was cut short. Nothing was changed. Copy it "
        "again from the district office's computer, or have this computer's bundle "
        "imported there again."
    )


class ReplyInvalid(BundleInvalid):
    template = N_(
        "The reply's content is not valid ({detail}). Nothing was changed. At the district "
        "office, import this computer's bundle again: that writes its reply anew."
    )


def as_reply_error(exc: BundleRefused) -> BundleRefused:
    """The refusal of a reply worded for the computer that received it."""
    for general, specific in (
        (BundleInvalid, ReplyInvalid),
        (BundleTruncated, ReplyTruncated),
        (BundleDamaged, ReplyDamaged),
    ):
        if type(exc) is general:
            return specific(**exc.params)
    return exc


class EnrolCodeInvalid(BundleRefused):
    code = "enrol_code_invalid"
    template = N_(
        "The enrolment code is not valid, has expired or was already used. "
        "Ask headquarters for a new code."
    )


class EnrolCodeMalformed(SyncError):
    code = "enrol_code_malformed"
    template = N_(
        "This is not an enrolment code. A code is four groups of five Latin letters and "
        "digits, like ABCDE-FGH23-JKLMN-PQR45: type it as headquarters gave it."
    )


class EnrolOtherHq(SyncError):
    code = "enrol_other_hq"
    template = N_(
        "This enrolment code belongs to another headquarters than the key given. "
        "Check that the code and the key came from the same district office."
    )


class EnrolStrongholdMismatch(SyncError):
    code = "enrol_stronghold_mismatch"
    template = N_(
        "This code is for stronghold {stronghold}, but this register belongs to {own}. "
        "Ask headquarters for a code for {own}."
    )


class AlreadyEnrolled(SyncError):
    code = "already_enrolled"
    template = N_(
        "This computer is already enrolled at headquarters {hq}. Nothing was changed. "
        "To join again under a new identity (say, after HQ revoked it), add --again."
    )


class NotEnrolled(SyncError):
    code = "not_enrolled"
    template = N_(
        "This computer is not enrolled at headquarters yet. "
        "Run 'tayanch sync enroll' with the key file or address and a code from HQ."
    )


class NoHqAddress(SyncError):
    code = "no_hq_address"
    template = N_("No headquarters address is known. Give it with --url.")


class HqUnreachable(SyncError):
    code = "hq_unreachable"
    template = N_(
        "Headquarters cannot be reached ({detail}). Nothing was lost: the changes "
        "wait here. Try again later or use a USB stick."
    )


class HqRefused(SyncError):
    """HQ answered with a refusal; its sentence is already in this device's language."""

    code = "hq_refused"
    template = N_("Headquarters refused the sync: {detail}")


class NotHq(SyncError):
    """Something answered at the address, but not HQ (a web page, a wrong path)."""

    code = "not_hq"
    template = N_(
        "The address {url} does not answer as Tayanch headquarters. "
        "Check the address the district office gave."
    )


class Cancelled(SyncError):
    code = "cancelled"
    template = N_("Cancelled. Nothing was changed.")


class HqKeyFileInvalid(SyncError):
    code = "hq_key_invalid"
    template = N_(
        "{path} is not a headquarters key file. Ask the district office for the file "
        "'tayanch hq export-key' writes."
    )


# Reasons HQ gives for rejecting one change; the device translates them.
REJECT_REASONS: dict[str, str] = {
    "reference_data": N_("Reference data is maintained by headquarters."),
    "other_stronghold": N_("The record belongs to another stronghold now."),
    "hq_only_field": N_("Only headquarters may change the field {field}."),
    "immutable": N_("Issued documents and audit entries never change; issue a correction."),
    "insert_only": N_("A saved visit or check-in is not changed; record a new one instead."),
    "unknown_record": N_("Headquarters does not have this record."),
    "missing_reference": N_("The record refers to a {table} headquarters does not have."),
    "duplicate_number": N_(
        "Another computer of this stronghold already issued a document with this number; "
        "print it again to give it a new number."
    ),
    "invalid_value": N_("The value of {field} is not valid."),
}


def reason_text(code: str, params: dict | None = None, lang: str | None = None) -> str:
    from app.i18n import current_language, translator

    template = REJECT_REASONS.get(code, code)
    text = translator(lang or current_language()).gettext(template)
    try:
        return text.format(**(params or {}))
    except (KeyError, IndexError, ValueError):
        return text
