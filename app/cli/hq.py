"""``tayanch hq``: headquarters' side — its database and keys, strongholds, devices,
bundles brought on sticks, the sync service and the district report.

HQ's files live in the data folder (``--data-dir`` or TAYANCH_DATA_DIR); the database is
the SQLite file there unless ``hq init --db URL`` (or TAYANCH_HQ_DB) names PostgreSQL.
No password: HQ runs unattended, its folder readable by its owner only.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import asdict
from pathlib import Path

from app.cli.common import data_dir, fail, fmt_date, print_json
from app.hq import admin
from app.i18n import _, ngettext


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    hq = subparsers.add_parser("hq", help=_("headquarters: strongholds, devices, sync service"))
    hq.add_argument("--db", help=_("HQ's database URL (default: from 'hq init')"))
    sub = hq.add_subparsers(dest="hq_command", metavar="ACTION")
    hq.set_defaults(handler=lambda args: _usage(hq))

    init = sub.add_parser("init", help=_("create HQ's database and key pair"))
    init.add_argument("--db", dest="init_db", help="sqlite:///FILE or postgresql+psycopg://...")
    init.add_argument("--name", default="", help=_("the district office's name"))
    init.set_defaults(handler=cmd_init)

    sh = sub.add_parser("stronghold", help=_("strongholds"))
    sh_sub = sh.add_subparsers(dest="sh_command", metavar="ACTION")
    sh.set_defaults(handler=lambda args: _usage(sh))
    add = sh_sub.add_parser("add", help=_("register a stronghold"))
    add.add_argument("code")
    add.add_argument("--name", required=True)
    add.add_argument("--region", default="")
    add.add_argument("--district", default="")
    add.add_argument("--makhalla", default="")
    add.set_defaults(handler=cmd_stronghold_add)
    ls = sh_sub.add_parser("list", help=_("list strongholds"))
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=cmd_stronghold_list)

    code = sub.add_parser("enroll-code", help=_("print a one-time enrolment code"))
    code.add_argument("code", metavar="STRONGHOLD")
    code.add_argument("--days", type=int, default=admin.CODE_VALID_DAYS)
    code.set_defaults(handler=cmd_enroll_code)

    key = sub.add_parser("export-key", help=_("write HQ's public key file for USB enrolment"))
    key.add_argument("--out", required=True, type=Path)
    key.set_defaults(handler=cmd_export_key)

    imp = sub.add_parser("import", help=_("apply a stronghold's bundle and write the reply"))
    imp.add_argument("file", type=Path)
    imp.add_argument("--reply", required=True, type=Path, help=_("file or folder for the reply"))
    imp.set_defaults(handler=cmd_import)

    serve = sub.add_parser("serve", help=_("run the sync service"))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--ssl-certfile", help=_("TLS certificate (PEM); else use a proxy"))
    serve.add_argument("--ssl-keyfile", help=_("TLS private key (PEM)"))
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--max-body-mb", type=int, default=256)
    serve.add_argument(
        "--sync-threads",
        type=int,
        default=4,
        help=_("syncs each worker applies at once; the others wait their turn (default 4)"),
    )
    serve.set_defaults(handler=cmd_serve)

    dev = sub.add_parser("devices", help=_("strongholds' devices and their last sync"))
    dev.add_argument("--json", action="store_true")
    dev.set_defaults(handler=cmd_devices)

    rev = sub.add_parser("revoke", help=_("refuse a device from now on"))
    rev.add_argument(
        "device",
        help=_(
            "the start of its id (six characters at least), or its number as 'hq devices' "
            "shows it: K2, or TP-0123/K2"
        ),
    )
    rev.set_defaults(handler=cmd_revoke)

    rep = sub.add_parser("report", help=_("district summary across strongholds (PDF)"))
    rep.add_argument("--out", required=True, type=Path)
    rep.add_argument("--month", help="YYYY-MM")
    rep.set_defaults(handler=cmd_report)

    mv = sub.add_parser("move", help=_("give a record to another stronghold"))
    mv.add_argument("table")
    mv.add_argument("record_id")
    mv.add_argument("--to", required=True, metavar="STRONGHOLD")
    mv.set_defaults(handler=cmd_move)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_usage(sys.stderr)
    return 2


def _open(args: argparse.Namespace) -> admin.Hq:
    return admin.open_hq(data_dir(args), db_url=getattr(args, "db", None))


def cmd_init(args: argparse.Namespace) -> int:
    url = args.init_db or getattr(args, "db", None) or os.environ.get("TAYANCH_HQ_DB")
    if url and not re.match(r"^(sqlite|postgresql(\+psycopg)?)://", url):
        fail(_("A database URL starts with sqlite:/// or postgresql+psycopg://."))
    with admin.init_hq(data_dir(args), db_url=url, name=args.name) as hq:
        if hq.name:
            done = _("Headquarters “{name}” created in {path} (its key: {hq}).")
        else:  # no --name: no empty quotes
            done = _("Headquarters created in {path} (its key: {hq}).")
        print(done.format(name=hq.name, hq=hq.hq_id, path=data_dir(args)))
    return 0


def cmd_stronghold_add(args: argparse.Namespace) -> int:
    with _open(args) as hq:
        admin.add_stronghold(
            hq,
            args.code,
            name=args.name,
            region=args.region,
            district=args.district,
            makhalla=args.makhalla,
        )
    print(_("Stronghold {code} registered.").format(code=args.code))
    return 0


def cmd_stronghold_list(args: argparse.Namespace) -> int:
    with _open(args) as hq:
        rows = admin.list_strongholds(hq)
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['code']:<16} {r['name']}  {r['region']} / {r['district']} / {r['makhalla']}")
    return 0


def cmd_enroll_code(args: argparse.Namespace) -> int:
    if args.days < 1 or args.days > 365:
        fail(_("--days must be between 1 and 365."))
    with _open(args) as hq:
        code = admin.new_enrolment_code(hq, args.code, valid_days=args.days)
    print(code)
    return 0


def cmd_export_key(args: argparse.Namespace) -> int:
    if not args.out.parent.is_dir():
        fail(_("No such folder: {path}").format(path=args.out.parent))
    from app.disk import write_atomic

    with _open(args) as hq:
        _check_key_target(args.out, hq.hq_id)
        write_atomic(args.out, admin.export_key(hq))
        print(_("HQ's public key written to {path} (id {hq}).").format(path=args.out, hq=hq.hq_id))
    return 0


def _check_key_target(path: Path, hq_id: str) -> None:
    """Write HQ's key over nothing but an older copy of the same key."""
    import json

    from app.sync.crypto import HqPublicKey

    if path.is_dir():
        fail(
            _("{path} is a folder. Give the key file's name, e.g. {example}.").format(
                path=path, example=path / "hq.key"
            )
        )
    if not path.exists():
        return
    try:
        same = HqPublicKey.from_json(json.loads(path.read_bytes())).hq_id == hq_id
    except (OSError, ValueError):
        same = False
    if not same:
        fail(
            _(
                "{path} already exists and is not this headquarters' key file, so it was not "
                "replaced. Give a new file name."
            ).format(path=path)
        )


def cmd_import(args: argparse.Namespace) -> int:
    from app.disk import DiskError, PendingFile
    from app.hq import ingest
    from app.sync import stick
    from app.sync.errors import DeviceRevoked

    stick.check_readable(args.file)
    if not args.file.is_file():
        fail(_("No such file: {path}").format(path=args.file))
    reply = args.reply
    into_folder = reply.is_dir()
    if not into_folder and not reply.parent.is_dir():
        fail(_("No such folder: {path}").format(path=reply.parent))
    if not into_folder:
        stick.check_replaceable(reply)
    # The reply's file is begun before the bundle is applied: a folder that refuses
    # writes refuses the command while nothing has changed.
    with _open(args) as hq, PendingFile(reply if into_folder else reply.parent) as pending:
        try:
            result = ingest.ingest(hq, args.file.read_bytes(), transport="usb")
        except DeviceRevoked:
            # The device's own sentence ("ask the district office") is for the stronghold.
            fail(
                _(
                    "This bundle comes from a computer whose access was revoked, so nothing "
                    "was applied. To let it sync again, give its stronghold a new enrolment "
                    "code ('tayanch hq enroll-code') to enrol the computer with."
                )
            )
        if into_folder:
            number = admin.device_number(hq, result.device_id)
            reply = reply / stick.reply_name(result.stronghold, number, result.device_id)
        try:
            reply = pending.finish(result.reply, reply, replace=not into_folder)
        except DiskError as err:
            fail(
                _(
                    "The bundle was applied, but its reply could not be written to {path}: "
                    "{reason}. Free some space or choose another folder, then run the same "
                    "import again: it writes the reply and applies nothing twice."
                ).format(path=reply, reason=err.short_reason())
            )
    if result.already_applied:
        print(_("This bundle was already applied; nothing was changed."))
    else:
        print(
            _(
                "Applied. Changes accepted: {accepted}; refused: {rejected}; "
                "already here: {skipped}."
            ).format(accepted=result.records, rejected=result.rejected, skipped=result.skipped)
        )
        if result.enrolled:
            print(
                _("The computer is now enrolled for stronghold {code}.").format(
                    code=result.stronghold
                )
            )
    print(
        ngettext(
            "Reply written to {path}: {n} change for the stronghold.",
            "Reply written to {path}: {n} changes for the stronghold.",
            result.sent,
        ).format(path=reply, n=result.sent)
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    folder = data_dir(args)
    with _open(args):
        pass  # refuse here, with one line, if there is no HQ or its database is down
    ssl = {}
    if args.ssl_certfile or args.ssl_keyfile:
        if not (args.ssl_certfile and args.ssl_keyfile):
            fail(_("Give both --ssl-certfile and --ssl-keyfile."))
        ssl = {"ssl_certfile": args.ssl_certfile, "ssl_keyfile": args.ssl_keyfile}
    _check_port_free(args.host, args.port)
    os.environ["TAYANCH_HQ_DIR"] = str(folder)
    os.environ["TAYANCH_HQ_MAX_BODY"] = str(args.max_body_mb * 1024 * 1024)
    os.environ["TAYANCH_HQ_SYNC_THREADS"] = str(max(1, args.sync_threads))
    if getattr(args, "db", None):
        os.environ["TAYANCH_HQ_DB"] = args.db
    uvicorn.run(
        "app.hq.server:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=max(1, args.workers),
        log_level="info",
        **ssl,
    )
    return 0


def _check_port_free(host: str, port: int) -> None:
    """Refuse with one line when the address is taken (uvicorn would print its own English
    error and exit 3)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        fail(_("The address {host} is not one of this computer's.").format(host=host))
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError:
            fail(
                _(
                    "Port {port} on {host} is already in use (is HQ's service running "
                    "already?). Stop the other program or give another --port."
                ).format(port=port, host=host)
            )


def cmd_devices(args: argparse.Namespace) -> int:
    with _open(args) as hq:
        devices = admin.list_devices(hq)
        strongholds = admin.list_strongholds(hq)
    if args.json:
        print_json([asdict(d) for d in devices])
        return 0
    # Each stronghold, then its computers: one without any is seen at a glance.
    by_stronghold: dict[str, list[admin.DeviceInfo]] = {}
    for d in devices:
        by_stronghold.setdefault(d.stronghold_code, []).append(d)
    names = {s["code"]: s["name"] for s in strongholds}
    for code in sorted(names.keys() | by_stronghold.keys()):
        print(f"{code}  {names.get(code, '')}".rstrip())
        if not by_stronghold.get(code):
            print("    " + _("no computer enrolled yet"))
        for d in by_stronghold.get(code, []):
            state = _("revoked") if d.revoked_at else _("in use")
            last = _fmt(d.last_sync_at) or _("never")
            number = f"K{d.number}" if d.number else "-"  # as in its documents' numbers
            print(
                f"    {number:<4} {d.device_id}  {state:<14} "
                + _("last sync: {when}").format(when=last)
            )
    if not names and not devices:
        print(_("No devices are enrolled yet."))
    return 0


def _fmt(text: str | None) -> str:
    if not text:
        return ""
    from datetime import UTC, datetime

    return fmt_date(datetime.fromisoformat(text).replace(tzinfo=UTC))


def cmd_revoke(args: argparse.Namespace) -> int:
    with _open(args) as hq:
        device_id = admin.revoke_device(hq, args.device)
    print(_("Device {device} revoked: its next sync will be refused.").format(device=device_id))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from app.hq import report

    month = None
    if args.month:
        m = re.fullmatch(r"(\d{4})-(\d{2})", args.month)
        if not m or not 1 <= int(m.group(2)) <= 12:
            fail(_("Give the month as YYYY-MM, e.g. 2026-03."))
        month = (int(m.group(1)), int(m.group(2)))
        if month > report.current_month():
            # All zeros for a month to come would read as a quiet month.
            fail(
                _("The month {month} has not begun yet: give this month or an earlier one.").format(
                    month=args.month
                )
            )
    if not args.out.parent.is_dir():
        fail(_("No such folder: {path}").format(path=args.out.parent))
    lang = args.lang
    with _open(args) as hq:
        pdf = report.district_pdf(hq, month=month, lang=lang)
    from app.disk import write_atomic

    write_atomic(args.out, pdf)
    print(_("Report written to {path}.").format(path=args.out))
    return 0


def cmd_move(args: argparse.Namespace) -> int:
    with _open(args) as hq:
        admin.move_record(hq, args.table, args.record_id, args.to)
    print(_("Record moved to stronghold {code}.").format(code=args.to))
    return 0
