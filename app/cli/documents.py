"""`tayanch print` and `tayanch report monthly`: issued documents as PDF files."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from app.cli.common import fail, open_register
from app.i18n import LANGUAGES, _, current_language

PRINT_KINDS = (
    "visit-act",
    "talk-record",
    "warning",
    "protection-order",
    "offence-protocol",
    "supervision-card",
)


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("print", help=_("issue (or re-print) a document as PDF"))
    p.add_argument("kind", metavar="KIND", help=_("one of: ") + ", ".join(PRINT_KINDS))
    p.add_argument("id", metavar="ID", help=_("id of the record the document is printed from"))
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.add_argument(
        "--lang",
        dest="doc_lang",
        choices=LANGUAGES,
        help=_("language of the document (default: the messages' language)"),
    )
    p.set_defaults(handler=cmd_print)

    p = sub.add_parser("report", help=_("reports of the stronghold"))
    rsub = p.add_subparsers(dest="report", required=True, metavar="REPORT")
    m = rsub.add_parser("monthly", help=_("the monthly report"))
    m.add_argument("--month", required=True, metavar="YYYY-MM")
    m.add_argument("--out", required=True, metavar="FILE.pdf")
    m.add_argument("--lang", dest="doc_lang", choices=LANGUAGES)
    m.set_defaults(handler=cmd_report_monthly)


def write_atomically(path: Path, data: bytes) -> None:
    """The PDF appears whole or not at all: a failure never leaves half a file."""
    path = Path(path)
    if path.is_dir():
        fail(_("{path} is a folder; give a file name ending in .pdf.").format(path=path))
    fd, tmp = tempfile.mkstemp(prefix=".tayanch-", suffix=".pdf", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_out(out: str) -> Path:
    path = Path(out)
    if not path.parent.exists():
        fail(_("The folder {path} does not exist.").format(path=path.parent))
    return path


def _doc_lang(args: argparse.Namespace) -> str:
    return args.doc_lang or args.lang or current_language()


def cmd_print(args: argparse.Namespace) -> int:
    from app.services import documents

    if args.kind not in PRINT_KINDS:
        fail(
            _("Unknown document kind: {kind}. Known kinds: {kinds}.").format(
                kind=args.kind, kinds=", ".join(PRINT_KINDS)
            )
        )
    out = _check_out(args.out)
    with open_register(args) as reg:
        printed = documents.print_document(reg, args.kind, args.id, _doc_lang(args))
    write_atomically(out, printed.pdf)
    what = _("Re-printed") if printed.reprint else _("Issued")
    print(f"{what} {printed.document.number}: {out}")
    return 0


def cmd_report_monthly(args: argparse.Namespace) -> int:
    from app.services import documents

    month = documents.parse_month(args.month)
    out = _check_out(args.out)
    with open_register(args) as reg:
        printed = documents.issue(reg, "monthly-report", None, _doc_lang(args), month=month)
    write_atomically(out, printed.pdf)
    print(_("Issued") + f" {printed.document.number}: {out}")
    return 0
