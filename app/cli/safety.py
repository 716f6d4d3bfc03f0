"""Commands that keep the register safe: backup, restore, users, audit.

New passwords come from ``TAYANCH_NEW_PASSWORD`` (scripts) or a prompt asked twice; the
recovery key from ``TAYANCH_RECOVERY_KEY`` or a prompt. ``restore`` asks before it
replaces anything; ``--yes`` answers for scripts.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import zipfile
from pathlib import Path

from app.cli.common import data_dir, fail, fmt_date, open_register, print_json, read_password
from app.db import backup as backups
from app.db.keys import KEY_FILE
from app.domain.enums import Role
from app.i18n import _, pgettext
from app.services import audit, users
from app.services.base import parse_date, require_permission


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backup", help=_("write an encrypted backup of the whole register"))
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--out", metavar="FILE", help=_("backup file to write"))
    what.add_argument(
        "--auto", action="store_true", help=_("make today's automatic backup if due, rotate")
    )
    what.add_argument("--list", action="store_true", help=_("list the automatic backups"))
    what.add_argument(
        "--folder", metavar="DIR", help=_("choose the folder of automatic backups ('' = default)")
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("restore", help=_("replace the register with a backup (asks first)"))
    p.add_argument("file", metavar="FILE")
    p.add_argument("--yes", action="store_true", help=_("do not ask (for scripts)"))
    p.set_defaults(handler=cmd_restore)

    p = sub.add_parser("users", help=_("users of this register and their roles"))
    usub = p.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    q = usub.add_parser("list", help=_("list users"))
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_users_list)
    q = usub.add_parser("add", help=_("add a user (asks for the new user's password)"))
    q.add_argument("login")
    q.add_argument("--full-name", required=True)
    q.add_argument("--role", required=True, choices=Role.codes())
    q.add_argument("--position", default="")
    q.set_defaults(handler=cmd_users_add)
    q = usub.add_parser("disable", help=_("stop a user from logging in"))
    q.add_argument("login")
    q.set_defaults(handler=cmd_users_disable)
    q = usub.add_parser("reset", help=_("set a new password for a user (enables it again)"))
    q.add_argument("login")
    q.set_defaults(handler=cmd_users_reset)
    q = usub.add_parser("role", help=_("change a user's role"))
    q.add_argument("login")
    q.add_argument("role", choices=Role.codes())
    q.set_defaults(handler=cmd_users_role)
    q = usub.add_parser("passwd", help=_("change your own password"))
    q.set_defaults(handler=cmd_users_passwd)
    q = usub.add_parser("recover", help=_("all passwords lost: use the recovery key"))
    q.add_argument("--login", help=_("whose password to set (default: the first inspector)"))
    q.set_defaults(handler=cmd_users_recover)
    q = usub.add_parser("recovery-key", help=_("replace the recovery key; prints the new one"))
    q.set_defaults(handler=cmd_users_recovery_key)

    p = sub.add_parser("audit", help=_("the audit trail, newest first (inspectors)"))
    p.add_argument("--user", metavar="LOGIN")
    p.add_argument("--person", metavar="ID")
    p.add_argument("--action", action="append", default=[], metavar="CODE")
    p.add_argument("--from", dest="date_from", metavar="DATE")
    p.add_argument("--to", dest="date_to", metavar="DATE")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_audit)


# --- prompts -------------------------------------------------------------------------------------


def new_password(login: str) -> str:
    env = os.environ.get("TAYANCH_NEW_PASSWORD")
    if env is not None:
        return env
    if not sys.stdin.isatty():
        fail(_("No new password: set TAYANCH_NEW_PASSWORD or run the command in a terminal."))
    first = getpass.getpass(_("New password for {login}: ").format(login=login))
    if getpass.getpass(_("Repeat the password: ")) != first:
        fail(_("The passwords do not match."))
    return first


def recovery_key() -> str:
    env = os.environ.get("TAYANCH_RECOVERY_KEY")
    if env:
        return env
    if not sys.stdin.isatty():
        fail(_("No recovery key: set TAYANCH_RECOVERY_KEY or run the command in a terminal."))
    return getpass.getpass(_("Recovery key: "))


def ask_yes(question: str) -> bool:
    answer = input(question + " " + _("[y/N]") + " ").strip().lower()
    return answer in ("y", "yes", _("y"), _("yes"))


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


# --- backup and restore --------------------------------------------------------------------------


def cmd_backup(args: argparse.Namespace) -> int:
    folder = data_dir(args)
    if args.list:
        infos = backups.list_backups(backups.backup_folder(folder))
        if args.json:
            print_json([dict(i.__dict__, path=str(i.path)) for i in infos])
            return 0
        print(_("Backup folder: {path}").format(path=backups.backup_folder(folder)))
        for i in infos:
            print(f"{fmt_date(i.created_at)}  {i.reason:<13} {_size(i.size):>9}  {i.path.name}")
        return 0
    with open_register(args) as reg:
        if args.folder is not None:
            target = backups.set_backup_folder(reg, Path(args.folder) if args.folder else None)
            print(_("Automatic backups go to {path}.").format(path=target))
            return 0
        if args.auto:
            info = backups.daily_if_due(reg)
            if info is None:
                print(_("Today's backup exists already."))
                return 0
        else:
            info = backups.backup(reg, Path(args.out))
    if args.json:
        print_json(dict(info.__dict__, path=str(info.path)))
    else:
        print(_("Backup written: {path} ({size}).").format(path=info.path, size=_size(info.size)))
    return 0


def _backup_logins(file: Path) -> list[str]:
    try:
        with zipfile.ZipFile(file) as zf:
            return sorted(json.loads(zf.read(KEY_FILE).decode("utf-8"))["users"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return []


def cmd_restore(args: argparse.Namespace) -> int:
    folder = data_dir(args)
    file = Path(args.file)
    if not args.yes and not sys.stdin.isatty():
        fail(_("Restoring replaces the register: add --yes when no one can answer the question."))
    info = backups.read_info(file)
    login = os.environ.get("TAYANCH_USER")
    if not login:
        logins = _backup_logins(file)
        if len(logins) == 1:
            login = logins[0]
        elif not sys.stdin.isatty():
            fail(_("Several users: set TAYANCH_USER to the login name."))
        else:
            login = input(_("User: ")).strip()
    password = read_password()

    def confirm(i: backups.BackupInfo) -> bool:
        if args.yes:
            return True
        return ask_yes(
            _(
                "Replace the register in {path} with the backup of stronghold {code} made "
                "{when}? The current register is backed up first."
            ).format(path=folder, code=i.stronghold_code or "?", when=fmt_date(i.created_at))
        )

    reg = backups.restore(folder, file, login, password, confirm=confirm)
    with reg:
        problems = reg.integrity_check()
        with reg.reading() as s:
            problems += [str(p) for p in audit.verify_chain(s)]
    if problems:
        fail(_("The restored register fails its check: {problem}").format(problem=problems[0]))
    print(
        _("Register restored from the backup made {when}; it opens and verifies.").format(
            when=fmt_date(info.created_at)
        )
    )
    return 0


# --- users ------------------------------------------------------------------------------------------


def cmd_users_list(args: argparse.Namespace) -> int:
    with open_register(args) as reg:
        rows = users.list_users(reg)
    if args.json:
        print_json(rows)
        return 0
    for u in rows:
        state = pgettext("user", "active") if u.active else pgettext("user", "disabled")
        here = "" if u.can_log_in_here or not u.active else "  " + _("(no password here)")
        print(f"{u.login:<16} {Role(u.role).label:<22} {state:<9} {u.full_name}{here}")
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    with open_register(args) as reg:
        login = users.normalize_login(args.login)
        # Every problem of the form before the password is asked for.
        users.check_new_user(reg, login, full_name=args.full_name, role=args.role)
        u = users.add_user(
            reg,
            login,
            full_name=args.full_name,
            role=args.role,
            password=new_password(login),
            position=args.position,
        )
    print(_("User {login} added as {role}.").format(login=u.login, role=Role(u.role).label))
    return 0


def cmd_users_disable(args: argparse.Namespace) -> int:
    with open_register(args) as reg:
        u = users.disable_user(reg, args.login)
    print(_("User {login} can no longer log in.").format(login=u.login))
    return 0


def cmd_users_reset(args: argparse.Namespace) -> int:
    with open_register(args) as reg:
        require_permission(reg, "manage_users")
        users.get_user(reg, args.login)
        u = users.reset_password(reg, args.login, new_password(users.normalize_login(args.login)))
    print(_("New password set for {login}.").format(login=u.login))
    return 0


def cmd_users_role(args: argparse.Namespace) -> int:
    with open_register(args) as reg:
        u = users.set_role(reg, args.login, args.role)
    print(_("{login} is now {role}.").format(login=u.login, role=Role(u.role).label))
    return 0


def cmd_users_passwd(args: argparse.Namespace) -> int:
    current = read_password()
    with open_register(args) as reg:
        new = new_password(reg.user.login)
        if new == current:
            fail(_("The new password is the same as the old one."))
        users.change_own_password(reg, current, new)
    print(_("Your password was changed."))
    return 0


def cmd_users_recover(args: argparse.Namespace) -> int:
    folder = data_dir(args)
    key = recovery_key()
    login = users.normalize_login(args.login) if args.login else None
    with users.recover(folder, key, login, new_password(login or _("the first user"))) as reg:
        print(
            _("New password set for {login}; the register opens with it.").format(
                login=reg.user.login
            )
        )
    return 0


def cmd_users_recovery_key(args: argparse.Namespace) -> int:
    with open_register(args) as reg:
        key = users.renew_recovery_key(reg)
    print(_("New recovery key (print it and keep it in the safe; the old one no longer works):"))
    print(f"    {key}")
    return 0


# --- audit ------------------------------------------------------------------------------------------


def cmd_audit(args: argparse.Namespace) -> int:
    try:
        f = audit.AuditFilter(
            user=args.user,
            person_id=args.person,
            actions=audit.actions_of(args.action),
            date_from=parse_date(args.date_from) if args.date_from else None,
            date_to=parse_date(args.date_to) if args.date_to else None,
        )
        if f.person_id:
            audit._uuid(f.person_id)
    except ValueError:
        fail(_("Dates are dd.mm.yyyy or yyyy-mm-dd; a person is given by the id 'list' shows."))
    with open_register(args) as reg:
        rows = audit.query_entries(reg, f, limit=args.limit)
    if args.json:
        print_json(rows)
        return 0
    for e in rows:
        details = json.dumps(e.details, ensure_ascii=False) if e.details else ""
        target = f"{e.table_name} {str(e.record_id)[:8]}" if e.record_id else e.table_name
        print(f"{fmt_date(e.at)}  {e.user_login or '?':<12} {e.label():<28} {target:<22} {details}")
    return 0
