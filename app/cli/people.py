"""`tayanch find`, `tayanch import persons` and `tayanch export` (CLI.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli.common import fail, fmt_date, open_register, print_json
from app.i18n import _, ngettext


def add_commands(sub: argparse._SubParsersAction) -> None:
    find = sub.add_parser(
        "find",
        help=_("find persons by name (any script or spelling), PINFL, passport or phone"),
        description=_(
            "Searches persons by name in any script or spelling, PINFL, passport or phone; "
            "best match first."
        ),
    )
    find.add_argument("text", nargs="+", metavar="TEXT", help=_("what to look for"))
    find.add_argument("--limit", type=int, default=20, help=_("at most this many results"))
    find.add_argument("--json", action="store_true", help=_("print JSON"))
    find.set_defaults(handler=cmd_find)

    imp = sub.add_parser("import", help=_("import persons from .csv or .xlsx"))
    what = imp.add_subparsers(dest="what", metavar="WHAT", required=True)
    persons = what.add_parser(
        "persons",
        help=_("import persons from .csv or .xlsx"),
        description=_(
            "Imports persons from a .csv or .xlsx file: all rows or none. A row whose PINFL "
            "is already in the register updates that person. Columns: {columns}."
        ).format(columns=", ".join(_person_columns())),
        epilog=_category_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    persons.add_argument("file", metavar="FILE", type=Path)
    persons.add_argument(
        "--dry-run", action="store_true", help=_("check the file and report; change nothing")
    )
    persons.set_defaults(handler=cmd_import_persons)

    exp = sub.add_parser(
        "export",
        help=_("write persons, visits, disputes or orders to .csv or .xlsx"),
        description=_(
            "Writes .csv or .xlsx by the file's extension, the header in the language of "
            "--lang. 'template' writes an empty person import file."
        ),
    )
    exp.add_argument(
        "kind", choices=("persons", "visits", "disputes", "orders", "template"), metavar="KIND"
    )
    exp.add_argument("file", metavar="FILE", type=Path)
    exp.set_defaults(handler=cmd_export)


def _person_columns() -> list[str]:
    from app.services.people_io import PERSON_COLUMNS

    return list(PERSON_COLUMNS)


def _category_epilog() -> str:
    from app.services.people_io import register_category_help

    lines = [_("register_category codes:")]
    lines += [f"  {code:<24} {label}" for code, label in register_category_help()]
    return "\n".join(lines)


def cmd_find(args: argparse.Namespace) -> int:
    from app.search.service import search

    if args.limit < 1:
        fail(_("--limit must be at least 1."))
    from app.domain.enums import RegisterCategory

    with open_register(args) as reg:
        hits = search(reg, " ".join(args.text), limit=args.limit)
    if args.json:
        print_json(
            [
                {
                    "id": h.person_id,
                    "full_name": h.full_name,
                    "birth_date": h.birth_date,
                    "pinfl": h.pinfl,
                    "registers": list(h.registers),
                    "score": h.score,
                    "match": h.match,
                }
                for h in hits
            ]
        )
        return 0
    if not hits:
        print(_("No person found."))
        return 0
    for h in hits:
        registers = ", ".join(RegisterCategory(c).label for c in h.registers)
        cells = [str(h.person_id), h.full_name, fmt_date(h.birth_date), h.pinfl or "-", registers]
        print("  ".join(cells).rstrip())
    return 0


class _Bar:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.on = sys.stderr.isatty()
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.on or total <= 0:
            return
        pct = min(100, done * 100 // total)
        if pct != self.last:
            self.last = pct
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r[{bar:<25}] {pct:3d}%")
            sys.stderr.flush()

    def close(self) -> None:
        if self.on and self.last >= 0:
            sys.stderr.write("\n")


def cmd_import_persons(args: argparse.Namespace) -> int:
    from app.services.people_io import ImportRefused, import_persons

    if not args.file.is_file():
        fail(_("No such file: {path}").format(path=args.file))
    bar = _Bar()
    with open_register(args) as reg:
        try:
            report = import_persons(reg, args.file, dry_run=args.dry_run, progress=bar)
        finally:
            bar.close()
    for problem in report.errors:
        print(problem.line())
    if report.errors:
        raise ImportRefused(count=len(report.errors))
    for warning in report.warnings:
        print(_("warning: {line}").format(line=warning.line()))
    counts = report.counts()
    if report.dry_run:
        print(_("Dry run, nothing changed. The file would import: {counts}").format(counts=counts))
    else:
        print(_("Imported: {counts}").format(counts=counts))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from app.services.people_io import export, write_template

    if args.kind == "template":
        write_template(args.file)
        print(_("Wrote the import template to {path}.").format(path=args.file))
        return 0
    with open_register(args) as reg:
        count = export(reg, args.kind, args.file)
    print(
        ngettext("Wrote {n} row to {path}.", "Wrote {n} rows to {path}.", count).format(
            n=count, path=args.file
        )
    )
    print(
        _(
            "Note: the file is not encrypted. Keep it safe and delete it when it is no longer needed."
        ),
        file=sys.stderr,
    )
    return 0
