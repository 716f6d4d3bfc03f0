"""Commands on the register itself: init, demo, list, person show, verify."""

from __future__ import annotations

import argparse
import sys

from app.cli.common import (
    EXIT_FAILED,
    data_dir,
    fail,
    fmt_date,
    open_register,
    print_json,
    read_password,
)
from app.db.register import Register, StrongholdInfo, register_exists
from app.domain.validation import stronghold_code_problem
from app.errors import RegisterExistsError
from app.i18n import _, ngettext
from app.services.records import record_dict
from app.services.users import normalize_login, password_problem


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help=_("create a new encrypted register"))
    p.add_argument(
        "--stronghold", required=True, metavar="CODE", help=_("stronghold code assigned by HQ")
    )
    p.add_argument("--name", required=True, help=_("stronghold name"))
    p.add_argument("--region", required=True)
    p.add_argument("--district", required=True)
    p.add_argument("--makhalla", required=True)
    p.add_argument("--office", default="", help=_("office line printed on documents"))
    p.add_argument("--user", required=True, metavar="LOGIN", help=_("first user's login"))
    p.add_argument("--full-name", required=True, help=_("first user's full name"))
    p.add_argument("--position", default="", help=_("first user's position"))
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("demo", help=_("create a register filled with synthetic data"))
    p.add_argument("--persons", type=int, default=5000, help=_("how many persons (5000)"))
    p.add_argument("--households", type=int, default=1500, help=_("how many households (1500)"))
    p.add_argument(
        "--seed",
        type=int,
        default=1,
        help=_("where the random names start: the same number makes the same register"),
    )
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("list", help=_("list records, newest first"))
    p.add_argument("what", choices=sorted(LISTS))
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("person", help=_("one person"))
    psub = p.add_subparsers(dest="person_command", required=True, metavar="ACTION")
    show = psub.add_parser("show", help=_("show a person with everything about them"))
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_person_show)

    p = sub.add_parser("verify", help=_("check the database, the audit chain and documents"))
    p.set_defaults(handler=cmd_verify)


def _new_register(
    args: argparse.Namespace,
    info: StrongholdInfo,
    login: str,
    full_name: str,
    position: str = "",
    *,
    strict: bool = False,
) -> Register:
    """``strict``: a real register's password follows the users' rules (8 characters at
    least, not the login), as in the window; the demo keeps its short one."""
    folder = data_dir(args)
    if register_exists(folder):
        raise RegisterExistsError(path=str(folder))
    if len(login.strip()) == 0 or not login.isprintable():
        fail(_("The login must not be empty."))
    password = read_password(_("New password for {login}: ").format(login=login), confirm=True)
    if not password:
        fail(_("The password must not be empty."))
    if strict and (problem := password_problem(password, login)):
        fail(_(problem))
    reg, recovery = Register.create(
        folder, info, login=login, full_name=full_name, password=password, position=position
    )
    print(_("Register created in {path}.").format(path=folder))
    print(_("Recovery key (print it and keep it in the safe; it is shown only once):"))
    print(f"    {recovery}")
    return reg


def cmd_init(args: argparse.Namespace) -> int:
    info = StrongholdInfo(
        code=args.stronghold.strip(),
        name=args.name,
        region=args.region,
        district=args.district,
        makhalla=args.makhalla,
        office=args.office,
    )
    problem = stronghold_code_problem(info.code)
    if problem:
        fail(_(problem))
    login = normalize_login(args.user)
    _new_register(args, info, login, args.full_name, args.position, strict=True).close()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from app.services import demo

    if args.persons < 1 or args.households < 1:
        fail(_("--persons and --households must be at least 1."))
    info = StrongholdInfo(**demo.DEMO_STRONGHOLD)
    reg = _new_register(args, info, "demo", "Demo Inspektor", "Profilaktika inspektori")
    try:
        counts = demo.generate(
            reg, persons=args.persons, households=args.households, seed=args.seed
        )
    finally:
        reg.close()
    print(
        ngettext("{n} person", "{n} persons", counts["persons"]).format(n=counts["persons"])
        + ", "
        + ngettext("{n} household", "{n} households", counts["households"]).format(
            n=counts["households"]
        )
    )
    return 0


def _lists():
    from app.services.disputes import disputes
    from app.services.documents import issued_documents
    from app.services.households import visits
    from app.services.measures import measures, offences
    from app.services.orders import orders
    from app.services.persons import persons
    from app.services.registers import entries

    return {
        "persons": persons,
        "registers": entries,
        "visits": visits,
        "disputes": disputes,
        "orders": orders,
        "measures": measures,
        "offences": offences,
        "documents": issued_documents,
    }


LISTS = (
    "persons",
    "registers",
    "visits",
    "disputes",
    "orders",
    "measures",
    "offences",
    "documents",
)


def _summary(what: str, r) -> str:
    if what == "persons":
        name = " ".join(x for x in (r.surname, r.given_name, r.patronymic) if x)
        return f"{name}\t{fmt_date(r.birth_date)}\t{r.pinfl or ''}"
    if what == "registers":
        return f"{r.category}\t{r.status}\t{fmt_date(r.start_date)}–{fmt_date(r.end_date)}"
    if what == "visits":
        return f"{fmt_date(r.visited_at)}\t{r.purpose}\t{r.direction}"
    if what == "disputes":
        return f"{fmt_date(r.reported_at)}\t{r.nature}\t{r.status}"
    if what == "orders":
        return f"{r.number}\t{fmt_date(r.start_date)}–{fmt_date(r.end_date)}\t{r.status}"
    if what == "measures":
        return f"{fmt_date(r.on)}\t{r.kind}"
    if what == "offences":
        return f"{fmt_date(r.drawn_up_at)}\t{r.article}"
    if what == "documents":
        return f"{r.number}\t{r.kind}\t{fmt_date(r.issued_at)}"
    return ""


def cmd_list(args: argparse.Namespace) -> int:
    if args.limit < 1:
        fail(_("--limit must be at least 1."))
    with open_register(args) as reg:
        rows = _lists()[args.what].list(reg, limit=args.limit)
    if args.json:
        print_json([_public(record_dict(r)) for r in rows])
    else:
        for r in rows:
            print(f"{r.id}\t{_summary(args.what, r)}")
    return 0


def _public(d: dict) -> dict:
    d.pop("photo", None)
    return d


def cmd_person_show(args: argparse.Namespace) -> int:
    from app.services.queries import person_card

    with open_register(args) as reg:
        card = person_card(reg, args.id)
    if args.json:
        out = _public(record_dict(card.person))
        for name in (
            "registers",
            "check_ins",
            "violations",
            "visits",
            "households",
            "orders",
            "measures",
            "offences",
            "documents",
        ):
            out[name] = [_public(record_dict(r)) for r in getattr(card, name)]
        out["disputes"] = [dict(record_dict(d), role=role) for d, role in card.disputes]
        print_json(out)
        return 0
    p = card.person
    print(" ".join(x for x in (p.surname, p.given_name, p.patronymic) if x))
    born, passport, phone = _("Birth date"), _("Passport"), _("Phone")
    print(
        f"  {born}: {fmt_date(p.birth_date)}   PINFL: {p.pinfl or '—'}   "
        f"{passport}: {p.passport or '—'}   {phone}: {p.phone or '—'}"
    )
    address = ", ".join(x for x in (p.makhalla, p.street, p.house, p.flat) if x)
    print("  " + _("Address") + f": {address or '—'}")
    from app.domain.enums import RegisterCategory

    for e in card.registers:
        print(
            "  " + _("Register") + f": {RegisterCategory(e.category).label} ({e.status}), "
            f"{fmt_date(e.start_date)}–{fmt_date(e.end_date)}"
        )
    sections = [
        (_("Check-ins"), card.check_ins),
        (_("Violations"), card.violations),
        (_("Visits"), card.visits),
        (_("Disputes"), card.disputes),
        (_("Protection orders"), card.orders),
        (_("Preventive measures"), card.measures),
        (_("Offence cases"), card.offences),
        (_("Documents"), card.documents),
    ]
    print("  " + "; ".join(f"{title}: {len(items)}" for title, items in sections))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from app.services.verify import verify

    with open_register(args) as reg:
        report = verify(reg)
    if not report.ok:
        for problem in report.problems[1:]:
            print(problem)
        more = len(report.problems) - 1
        print(
            f"tayanch: {report.problems[0]}"
            + (
                " "
                + ngettext("({n} more problem above)", "({n} more problems above)", more).format(
                    n=more
                )
                if more
                else ""
            ),
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(
        _(
            "Register verified: the database is intact; audit entries chained: {audit}; "
            "issued documents unchanged: {docs}."
        ).format(audit=report.checked["audit_entries"], docs=report.checked["documents"])
    )
    return 0
