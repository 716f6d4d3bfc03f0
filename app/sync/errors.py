"""Why a bundle or a sync request is refused, and why HQ rejected a single change.

A refused bundle changes nothing; the message says which check failed and what to do.
Rejections of single changes travel back to the device as codes with parameters, so the
device shows them in its own language.
"""

from __future__ import annotations

import json
from string import Formatter
from typing import Any

from app.errors import TayanchError
from app.i18n import N_, current_language, translator


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


class NotAReply(WrongReceiver):
    """A stronghold's bundle for HQ opened where HQ's reply is expected: both lie on the
    same stick, with names alike."""

    code = "bundle_not_a_reply"
    template = N_(
        "This file is a bundle for headquarters, not headquarters' reply. Nothing was "
        "changed. Take it to the district office and import here the reply file they give "
        "you (its name begins with “{prefix}”)."
    )


class NotADeviceBundle(WrongReceiver):
    """HQ's reply to a computer given to HQ to import."""

    code = "bundle_not_from_a_computer"
    template = N_(
        "This file is headquarters' reply for a stronghold's computer, not a bundle from "
        "one. Nothing was changed. Give it back to the stronghold to import there; import "
        "here the bundle its computer wrote."
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


class EnrolCodeNotFromUrl(EnrolOtherHq):
    code = "enrol_code_not_from_url"
    template = N_(
        "This enrolment code was not issued by the headquarters at {url}. Check the address "
        "and the code: both must come from the same district office."
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


# Why HQ was not reached, as the client tells it from the kind of failure (not from the
# system's English message, which goes to the log only).
UNREACHABLE_REASONS: dict[str, str] = {
    "refused": N_("nothing answers at that address: is headquarters' service running?"),
    "name": N_("the name could not be found: check the address and the network"),
    "tls": N_("the secure connection failed: https to a plain-http service, or a bad certificate"),
    "timeout": N_("no answer in time"),
    "broken": N_("the connection failed"),
}


class HqUnreachable(SyncError):
    """Raised with ``reason`` (a key of UNREACHABLE_REASONS), shown in the language of the
    place that shows it; ``detail`` (free text) is still understood from older records."""

    code = "hq_unreachable"
    template = N_(
        "Headquarters cannot be reached ({detail}). Nothing was lost: the changes "
        "wait here. Try again later or use a USB stick."
    )

    def message(self, lang: str | None = None) -> str:
        reason = UNREACHABLE_REASONS.get(str(self.params.get("reason")))
        if reason is None:
            return super().message(lang)
        tr = translator(lang or current_language())
        text = tr.gettext(reason)
        try:
            return tr.gettext(self.template).format(
                **{**self.params, "detail": text, "reason": text}
            )
        except (KeyError, IndexError, ValueError):
            return tr.gettext(self.template)


class EnrolUnreachable(HqUnreachable):
    """No changes wait for a computer that is not enrolled: its own advice."""

    code = "enrol_unreachable"
    template = N_(
        "Headquarters cannot be reached at {url} ({reason}). The computer is not enrolled "
        "yet: try again when the network is up, or enrol with HQ's key file and a USB stick."
    )


class HqAddressInvalid(SyncError):
    code = "hq_address_invalid"
    template = N_(
        "{url} is not a headquarters address: it must begin with https:// (or http:// on a "
        "local network), for example https://hq.example.uz."
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


# --- the last error, kept by the device and shown later in the language of the day -------


def _classes(base: type[SyncError] = SyncError) -> list[type[SyncError]]:
    out = [base]
    for sub in base.__subclasses__():
        out.extend(_classes(sub))
    return out


def error_class(code: str) -> type[SyncError] | None:
    """The first class (the most general) that carries ``code``."""
    return next((cls for cls in _classes() if cls.code == code), None)


def fits(template: str, params: dict[str, Any]) -> bool:
    """Whether ``params`` fill every field of ``template``."""
    try:
        names = {name for _t, name, _f, _c in Formatter().parse(template) if name}
    except ValueError:
        return False
    return names <= set(params)


def stored(err: TayanchError) -> str:
    """An error as kept in the register: its code, sentence (a msgid) and parameters."""
    params = {k: v for k, v in err.params.items() if isinstance(v, str | int | float)}
    return json.dumps(
        {"code": err.code, "template": err.template, "params": params}, ensure_ascii=False
    )


def stored_text(value: str | None, lang: str | None = None) -> str | None:
    """The sentence of a kept error in ``lang`` (default: the current language); text kept
    by older versions is shown as it was written."""
    if not value or not value.startswith("{"):
        return value
    try:
        info = json.loads(value)
    except ValueError:
        return value
    if not isinstance(info, dict) or not isinstance(info.get("template"), str):
        return value
    params = info.get("params") if isinstance(info.get("params"), dict) else {}
    code = str(info.get("code") or "sync")
    cls: type[TayanchError] = error_class(code) or TayanchError
    return cls(info["template"], code=code, **params).message(lang)
