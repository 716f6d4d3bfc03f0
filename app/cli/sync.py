"""``tayanch sync``: enrol this computer at HQ, carry bundles by stick or network.

The commands are thin: the work is in app.sync.service, which the window's Sync screen
calls the same way.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

from app.cli.common import fail, fmt_date, open_register, print_json
from app.i18n import _
from app.sync import conflicts, service, stick


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    sync = subparsers.add_parser("sync", help=_("sync with headquarters (USB stick or network)"))
    sub = sync.add_subparsers(dest="sync_command", metavar="ACTION")
    sync.set_defaults(handler=lambda args: _usage(sync))

    enrol = sub.add_parser("enroll", help=_("join headquarters with a one-time code"))
    where = enrol.add_mutually_exclusive_group(required=True)
    where.add_argument("--hq-key", type=Path, help=_("HQ's public key file (USB enrolment)"))
    where.add_argument("--url", help=_("HQ's address, e.g. https://hq.example.uz"))
    enrol.add_argument("--code", required=True, help=_("the one-time code from HQ"))
    enrol.add_argument(
        "--again",
        action="store_true",
        help=_("join again under a new identity (after a revocation)"),
    )
    enrol.set_defaults(handler=cmd_enroll)

    export = sub.add_parser("export", help=_("write a bundle for HQ (e.g. onto a USB stick)"))
    export.add_argument("--out", required=True, type=Path, help=_("file or folder to write"))
    export.set_defaults(handler=cmd_export)

    imp = sub.add_parser("import", help=_("apply HQ's reply bundle"))
    imp.add_argument("file", type=Path)
    imp.set_defaults(handler=cmd_import)

    now = sub.add_parser("now", help=_("sync over the network now"))
    now.add_argument("--url", help=_("HQ's address (default: the one used at enrolment)"))
    now.set_defaults(handler=cmd_now)

    st = sub.add_parser("status", help=_("enrolment, pending changes, last sync, conflicts"))
    st.add_argument("--json", action="store_true")
    st.set_defaults(handler=cmd_status)

    cf = sub.add_parser("conflicts", help=_("list fields changed here and elsewhere at once"))
    cf.add_argument("--json", action="store_true")
    cf.set_defaults(handler=cmd_conflicts)

    rs = sub.add_parser("resolve", help=_("settle a conflict"))
    rs.add_argument("conflict_id")
    choice = rs.add_mutually_exclusive_group(required=True)
    choice.add_argument("--keep", choices=("local", "remote"))
    choice.add_argument("--value", help=_("a value to set instead of either"))
    rs.set_defaults(handler=cmd_resolve)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_usage(sys.stderr)
    return 2


class _Counter:
    """``done/total`` on one line of stderr while a sync runs, only on a terminal; the line
    is wiped when the work ends, so the result (or the error) starts on a clean line."""

    def __init__(self) -> None:
        self.on = sys.stderr.isatty()
        self.shown = 0  # the width of what is on the line

    def __call__(self, done: int, total: int) -> None:
        if self.on:
            text = f"{done}/{total}"
            print(f"\r{text}", end="", file=sys.stderr, flush=True)
            self.shown = max(self.shown, len(text))

    def __enter__(self) -> _Counter | None:
        return self if self.on else None

    def __exit__(self, *exc: object) -> None:
        if self.shown:  # spaces, not an escape code: the Windows console shows those
            print("\r" + " " * self.shown + "\r", end="", file=sys.stderr, flush=True)
            self.shown = 0


def cmd_enroll(args: argparse.Namespace) -> int:
    with open_register(args) as reg:
        if args.hq_key:
            if not args.hq_key.is_file():
                fail(_("No such file: {path}").format(path=args.hq_key))
            st = service.enrol_with_key_file(reg, args.hq_key, args.code, again=args.again)
            print(
                _(
                    "Enrolment prepared for headquarters {hq}. Export a bundle "
                    "('tayanch sync export') and take it to the district office."
                ).format(hq=st.hq_id)
            )
        else:
            st = service.enrol_online(reg, args.url, args.code, again=args.again)
            print(
                _("This computer is enrolled at headquarters {hq}. Run 'tayanch sync now'.").format(
                    hq=st.hq_id
                )
            )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    target = args.out
    if not target.is_dir() and not target.parent.is_dir():
        fail(_("No such folder: {path}").format(path=target.parent))
    with open_register(args) as reg:
        with _Counter() as progress:
            report = service.export_to_file(reg, target, progress=progress)
    print(report.text())
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    stick.check_readable(args.file)
    if not args.file.is_file():
        fail(_("No such file: {path}").format(path=args.file))
    with open_register(args) as reg, _Counter() as progress:
        report = service.import_file(reg, args.file, progress=progress)
    print(report.text())
    return 0


def cmd_now(args: argparse.Namespace) -> int:
    with open_register(args) as reg:
        with _Counter() as progress:
            report = service.sync_now(reg, args.url, progress=progress)
    print(report.text())
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    with open_register(args) as reg:
        st = service.status(reg)
    if args.json:
        print_json(asdict(st))
        return 0
    states = {
        "not_enrolled": _("not enrolled"),
        "pending": _("enrolment sent with the next bundle"),
        "enrolled": _("enrolled"),
        "revoked": _("revoked by headquarters: enrol again"),
    }
    rows = [
        (_("Device"), st.device_id),
        (_("Stronghold"), st.stronghold),
        (_("Headquarters"), st.hq_id or "—"),
        (_("State"), states.get(st.state, st.state)),
        (_("Pending changes"), str(st.pending)),
        (_("Last sync"), fmt_date(st.last_sync_at) or _("never")),
        (_("Open conflicts"), str(st.open_conflicts)),
    ]
    if st.rejected:
        rows.append((_("Refused by headquarters"), str(st.rejected)))
    if st.last_error:
        rows.append((_("Last error"), st.last_error))
    width = max(len(k) for k, _v in rows)
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")
    return 0


def cmd_conflicts(args: argparse.Namespace) -> int:
    with open_register(args) as reg:
        found = conflicts.list_open(reg)
    if args.json:
        print_json([{**asdict(c), "current_value": c.current_value} for c in found])
        return 0
    if not found:
        print(_("No open conflicts."))
    for c in found:
        print(
            f"{c.id}  {c.table}.{c.field}  {c.row_id}  "
            + _("here: {local}  elsewhere: {remote}  kept: {winner}").format(
                local=c.local_value, remote=c.remote_value, winner=c.winner
            )
        )
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    with open_register(args) as reg:
        keep = args.keep if args.keep else args.value
        c = conflicts.resolve(reg, args.conflict_id, keep)
    print(_("Conflict on {table}.{field} settled.").format(table=c.table, field=c.field))
    return 0
