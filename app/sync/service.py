"""What the Sync screen and the ``tayanch sync`` commands call.

Each function takes the open register and, where it may take a while, a
``progress(done, total)`` callback and a ``threading.Event`` that cancels it; a
cancelled or failed call changes nothing. Results are plain dataclasses with a short
report of what went and what came, in the current language.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from app.db.register import Register
from app.disk import PendingFile, write_atomic  # noqa: F401 - write_atomic re-exported
from app.i18n import _, ngettext
from app.services.base import require_permission
from app.sync import codes, conflicts, device, stick
from app.sync.client import HqClient, check_url
from app.sync.crypto import HqPublicKey
from app.sync.errors import (
    DeviceRevoked,
    EnrolCodeNotFromUrl,
    EnrolStrongholdMismatch,
    EnrolUnreachable,
    HqKeyFileInvalid,
    HqUnreachable,
    NoHqAddress,
    NotEnrolled,
    SyncError,
    reason_text,
    stored,
    stored_text,
)

log = logging.getLogger(__name__)

Progress = device.Progress


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None


@dataclass(frozen=True)
class SyncStatus:
    enrolled: bool
    state: str  # "not_enrolled", "pending" (request goes with the next bundle), "enrolled",
    # "revoked" (HQ refuses this computer: enrol again with a new code)
    device_id: str
    stronghold: str
    hq_id: str | None
    hq_url: str | None
    pending: int  # changes HQ has not acknowledged
    rejected: int  # this computer's changes HQ refused (see rejected_changes)
    open_conflicts: int
    last_sync_at: datetime | None  # when HQ's answer was last applied: the last full sync
    last_export_at: datetime | None
    last_import_at: datetime | None
    last_error: str | None


def status(reg: Register) -> SyncStatus:
    require_permission(reg, "read")
    with reg.engine.connect() as conn:
        st = device.load_state(conn)
        pending = device.pending_count(conn)
        rejected = conn.exec_driver_sql(
            "SELECT count(*) FROM sync_change WHERE state = 2 AND origin IS NULL"
        ).scalar()
        open_conflicts = conflicts.count_open(conn)
    return SyncStatus(
        enrolled=st is not None and st.state == "enrolled",
        state=st.state if st else "not_enrolled",
        device_id=st.device_id if st else device.sync_device_id(reg),
        stronghold=reg.stronghold_code,
        hq_id=st.hq.hq_id if st else None,
        hq_url=st.hq_url if st else None,
        pending=pending,
        rejected=rejected,
        open_conflicts=open_conflicts,
        last_sync_at=_dt(st.last_import_at) if st else None,
        last_export_at=_dt(st.last_export_at) if st else None,
        last_import_at=_dt(st.last_import_at) if st else None,
        last_error=stored_text(st.last_error) if st else None,
    )


@dataclass(frozen=True)
class RejectedChange:
    change_id: str
    table: str
    row_id: str
    reason: str  # in the current language


def rejected_changes(reg: Register, limit: int = 100) -> list[RejectedChange]:
    require_permission(reg, "read")
    with reg.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT change_id, tbl, row_id, reason FROM sync_change WHERE state = 2 "
            "AND origin IS NULL ORDER BY seq DESC LIMIT ?",
            (limit,),
        ).fetchall()
    out = []
    for cid, tbl, row_id, reason in rows:
        info = json.loads(reason or "{}")
        out.append(
            RejectedChange(cid, tbl, row_id, reason_text(info.get("code", ""), info.get("params")))
        )
    return out


@dataclass(frozen=True)
class BundleRecord:
    bundle_id: str
    direction: str  # "out" (to HQ) or "in" (from HQ)
    at: datetime
    transport: str  # "usb" or "net"
    summary: dict


# A network trip that carried nothing: the background sync makes one every 15 minutes,
# and twenty of them would hide yesterday's stick from the history.
_EMPTY_NET_TRIP = """transport = 'net' AND (
    (direction = 'out' AND coalesce(json_extract(summary, '$.changes'), 0) = 0
        AND json_extract(summary, '$.unconfirmed') IS NULL)
    OR (direction = 'in'
        AND coalesce(json_extract(summary, '$.received'), 0)
            = coalesce(json_extract(summary, '$.skipped'), 0)
        AND coalesce(json_extract(summary, '$.conflicts'), 0) = 0
        AND coalesce(json_extract(summary, '$.acknowledged'), 0) = 0
        AND coalesce(json_extract(summary, '$.rejected'), 0) = 0))"""


def history(reg: Register, limit: int = 20) -> list[BundleRecord]:
    """The last bundles that went and came, newest first (the Sync screen's report):
    the latest trip whatever it carried, and before it those that carried something (a
    network trip with nothing to send or receive is left out)."""
    require_permission(reg, "read")
    with reg.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT bundle_id, direction, at, transport, summary FROM sync_bundle "
            "WHERE rowid IN (SELECT rowid FROM sync_bundle ORDER BY at DESC LIMIT 2) "
            f"OR NOT ({_EMPTY_NET_TRIP}) ORDER BY at DESC LIMIT ?",
            (limit,),
        ).fetchall()
    return [BundleRecord(r[0], r[1], _dt(r[2]), r[3], json.loads(r[4])) for r in rows]


# --- enrolment ------------------------------------------------------------------------


def read_hq_key(path: Path) -> HqPublicKey:
    try:
        return HqPublicKey.from_json(json.loads(Path(path).read_text("utf-8")))
    except (OSError, ValueError, UnicodeDecodeError):
        raise HqKeyFileInvalid(path=str(path)) from None


def enrol_with_key_file(
    reg: Register, key_file: Path, code: str, *, again: bool = False
) -> SyncStatus:
    """USB enrolment: pin HQ's key; the request travels in the next exported bundle."""
    require_permission(reg, "manage_users")
    device.start_enrolment(reg, read_hq_key(key_file), code, again=again)
    return status(reg)


def enrol_online(
    reg: Register,
    url: str,
    code: str,
    *,
    client: HqClient | None = None,
    again: bool = False,
) -> SyncStatus:
    """Network enrolment: fetch HQ's key, check the code belongs to it, enrol at once.

    A refusal by HQ leaves the computer as it was before the attempt (not half-enrolled,
    which would send everything with the next sync only to be refused again). If HQ was
    lost after the request went, the request stays pending: HQ may have taken it, and
    the next bundle carries it again."""
    require_permission(reg, "manage_users")
    device.check_code(code)
    url = check_url(url)
    client = client or HqClient(url)
    try:
        hq_key = client.hq_key()
        if not codes.belongs_to(code, hq_key.hq_id):
            raise EnrolCodeNotFromUrl(url=url)
        before = device.snapshot(reg)
        state = device.start_enrolment(reg, hq_key, code, url=url, again=again)
        try:
            answer = client.enroll(device.enrolment_request(reg, state), state.keys)
        except HqUnreachable:
            raise
        except SyncError:
            device.restore(reg, before)
            raise
    except HqUnreachable as err:
        raise EnrolUnreachable(url=url, reason=err.params.get("reason", "broken")) from None
    stronghold = answer.get("stronghold")
    if stronghold != reg.stronghold_code:
        raise EnrolStrongholdMismatch(stronghold=str(stronghold), own=reg.stronghold_code)
    device.mark_enrolled(reg, stronghold)
    return status(reg)


# --- export and import -------------------------------------------------------------------


@dataclass
class SyncReport:
    sent: int = 0
    received: int = 0
    conflicts: int = 0
    rejected: int = 0
    acknowledged: int = 0
    already_applied: bool = False
    bundle_bytes: int = 0
    lines: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.lines)


def _sent_lines(report: SyncReport, records: int, size: int, *, by_stick: bool) -> None:
    """What went (or is on its way on a stick), counted as "Not yet sent to HQ" counts:
    without the audit entries that travel along; ``size``: the bundles' bytes."""
    n = report.sent = records
    report.bundle_bytes = size
    if by_stick and n == 0:
        # Still worth carrying: HQ's answer brings the other computers' work.
        line = _(
            "There is nothing new to send; the bundle asks headquarters for what is new "
            "for this stronghold."
        )
    elif by_stick:
        line = ngettext("The bundle carries {n} change.", "The bundle carries {n} changes.", n)
    else:
        line = ngettext("Sent: {n} change.", "Sent: {n} changes.", n)
    report.lines.append(line.format(n=n))


def _received_lines(report: SyncReport, applied: device.Applied) -> None:
    if applied.already_applied:
        report.already_applied = True
        report.lines.append(_("This reply was already applied; nothing was changed."))
        return
    report.received = applied.received - applied.skipped
    report.conflicts = applied.conflicts
    report.rejected = len(applied.rejected)
    report.acknowledged = applied.acknowledged
    report.lines.append(
        ngettext("Received: {n} change.", "Received: {n} changes.", report.received).format(
            n=report.received
        )
    )
    report.lines.append(
        ngettext(
            "Headquarters confirmed {n} change.",
            "Headquarters confirmed {n} changes.",
            applied.acknowledged,
        ).format(n=applied.acknowledged)
    )
    if applied.conflicts:
        report.lines.append(
            ngettext(
                "{n} field was changed here and elsewhere at the same time: review it "
                "under Conflicts.",
                "{n} fields were changed here and elsewhere at the same time: review them "
                "under Conflicts.",
                applied.conflicts,
            ).format(n=applied.conflicts)
        )
    for item in applied.rejected:
        report.lines.append(
            _("Refused by headquarters: {reason}").format(
                reason=reason_text(item.get("code", ""), item.get("params"))
            )
        )
    if applied.enrolled:
        report.lines.append(_("This computer is now enrolled at headquarters."))


def export_to_file(
    reg: Register,
    path: Path,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> SyncReport:
    """Write a bundle for HQ to ``path`` (a USB stick): every unacknowledged change.

    Into a folder under a new name (never over another computer's bundle); to a file the
    user names only if nothing is there or it is an older bundle. The folder is tried
    before the bundle is made, so one that refuses writes costs no time."""
    require_permission(reg, "sync")
    path = Path(path)
    into_folder = path.is_dir()
    if into_folder:
        path = path / default_bundle_name(reg)
    else:
        stick.check_replaceable(path)
    report = SyncReport()
    written: list[Path] = []
    with PendingFile(path.parent) as pending:
        exported = device.export_bundle(
            reg,
            transport="usb",
            sink=lambda data: written.append(pending.finish(data, path, replace=not into_folder)),
            progress=progress,
            cancel=cancel,
        )
    _sent_lines(report, exported.records, len(exported.data), by_stick=True)
    report.lines.append(
        _("Written to {path}. Take it to the district office.").format(path=written[0])
    )
    return report


def default_bundle_name(reg: Register, when: datetime | None = None) -> str:
    """The bundle's file name in a folder: stronghold, this computer's number at HQ (or
    its id before the first sync), time to the second (app.sync.stick)."""
    with reg.engine.connect() as conn:
        state = device.load_state(conn)
        number = device.device_number(conn)
    device_id = state.device_id if state else device.sync_device_id(reg)
    return stick.bundle_name(reg.stronghold_code, number, device_id, when)


def import_file(
    reg: Register,
    path: Path,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> SyncReport:
    """Apply HQ's reply bundle from ``path``; a refused bundle changes nothing."""
    require_permission(reg, "sync")
    stick.check_readable(path)
    data = Path(path).read_bytes()
    report = SyncReport(bundle_bytes=len(data))
    applied = device.import_reply(reg, data, transport="usb", progress=progress, cancel=cancel)
    _received_lines(report, applied)
    return report


# Changes per network bundle. A first sync (a whole register) goes in several bundles,
# each confirmed by HQ before the next: on a poor link a dropped connection costs one
# bundle (about 400 KB), and the next try goes on from there instead of from the start.
NET_BATCH = 5000
MAX_ROUNDS = 1000  # bundles in one sync, at most: far more than a stronghold needs


def sync_now(
    reg: Register,
    url: str | None = None,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    client: HqClient | None = None,
    batch: int = NET_BATCH,
) -> SyncReport:
    """Send this computer's changes to HQ and apply HQ's answer, over the network.

    Up to ``batch`` changes go in a bundle; more wait for the bundles after it, each
    sent once HQ has confirmed the one before. HQ's answer may come in parts too (a
    first sync brings the whole stronghold): each next bundle asks for the rest, after
    the cursor the part gave. A dropped connection is retried with the
    same bundle, which HQ recognises, so nothing is applied twice; if HQ stays out of
    reach nothing is lost: the changes not yet confirmed wait for the next try (or a
    stick).
    """
    require_permission(reg, "sync")
    state = device.state_of(reg)
    if state is None:
        raise NotEnrolled()
    url = url or state.hq_url
    if not url:
        raise NoHqAddress()
    url = check_url(url)
    client = client or HqClient(url, cancel=cancel)
    with reg.engine.connect() as conn:
        bundles = max(1, -(-device.pending_count(conn, with_audit=True) // batch))
    done = 0  # bundles sent and answered
    sent = size = shown = 0
    answers: list[device.Applied] = []
    exported = None
    before = state  # the cursor and confirmations as the round starts

    def step(fraction: float) -> None:
        # Each bundle a third of its share of the bar for each of its three steps (the
        # last, applying HQ's answer, may bring a whole stronghold). A round more than
        # foreseen holds the bar where it is rather than moving it back.
        nonlocal shown
        if progress:
            shown = max(shown, round(1000 * (done + fraction) / bundles))
            progress(shown, 1000)

    try:
        while True:
            exported = device.export_bundle(reg, transport="net", cancel=cancel, limit=batch)
            sent, size = sent + exported.records, size + len(exported.data)
            step(1 / 3)
            reply = client.sync(exported.data, state.keys, state.device_id)
            step(2 / 3)
            answers.append(
                device.import_reply(
                    reg,
                    reply,
                    transport="net",
                    cancel=cancel,
                    progress=lambda d, t: step((2 + d / t) / 3) if t else None,
                )
            )
            done += 1
            after = device.state_of(reg)
            if not (exported.more and after.acked_upto > before.acked_upto) and not (
                # (A snapshot's first part may move the cursor back, to its own end.)
                answers[-1].more and after.cursor != before.cursor
            ):
                break  # all of it went and came (or HQ moved neither on: no endless round)
            if done >= MAX_ROUNDS:
                break  # what is left waits for the next sync
            bundles, before = max(bundles, done + 1), after
    except SyncError as err:
        if isinstance(err, DeviceRevoked):
            device.mark_revoked(reg, stored(err))
        # The history says HQ did not take the bundle (refused or never answered): its
        # changes still wait here.
        device.record_error(
            reg, stored(err), unconfirmed=exported.bundle_id if exported is not None else None
        )
        raise
    if url != state.hq_url:
        device.remember_url(reg, url)
    report = SyncReport()
    _sent_lines(report, sent, size, by_stick=False)
    _received_lines(report, _together(answers))
    if progress:
        progress(1000, 1000)
    return report


def _together(answers: list[device.Applied]) -> device.Applied:
    """HQ's answers to the bundles of one sync, counted as one."""
    if len(answers) == 1:
        return answers[0]
    total = device.Applied(already_applied=all(a.already_applied for a in answers))
    for a in answers:
        total.received += a.received
        total.skipped += a.skipped
        total.inserted += a.inserted
        total.updated += a.updated
        total.conflicts += a.conflicts
        total.parked += a.parked
        total.acknowledged += a.acknowledged
        total.rejected.extend(a.rejected)
        total.enrolled = total.enrolled or a.enrolled
    return total
