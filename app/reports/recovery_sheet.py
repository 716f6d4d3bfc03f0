"""The recovery key sheet, printed when a register is made or its recovery key renewed.

The key is shown once and never stored in the clear (app/db/keys.py keeps only what it
unlocks), so this sheet is how the stronghold keeps it: in the safe, away from the computer.
"""

from __future__ import annotations

from datetime import date
from io import BytesIO

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

from app.db.register import StrongholdInfo
from app.i18n import N_
from app.reports import base
from app.reports.base import DocContext

TITLE = N_("Recovery key of the register")
GROUPS_PER_LINE = 4

_KEY_STYLE = base._style(
    "recovery_key", fontName=base.FONT_BOLD, fontSize=22, leading=32, alignment=TA_CENTER
)


def key_lines(key: str) -> list[str]:
    """The key's groups, four to a line: two lines that fit the page and are easy to type."""
    groups = key.split("-")
    return [
        "-".join(groups[i : i + GROUPS_PER_LINE]) for i in range(0, len(groups), GROUPS_PER_LINE)
    ]


def render(key: str, info: StrongholdInfo, made_on: date, lang: str) -> bytes:
    """The sheet of ``key``, for the register of the stronghold ``info``."""
    ctx = DocContext(lang)
    place = ", ".join(p for p in (info.makhalla, info.district, info.region) if p.strip())
    story = [
        base.para(base.esc(ctx._(TITLE)), "title"),
        base.para(base.esc(f"{info.name} ({info.code})"), "subtitle"),
    ]
    if place:
        story.append(base.para(base.esc(place), "subtitle"))
    box = Table(
        [[Paragraph("<br/>".join(key_lines(key)), _KEY_STYLE)]],
        colWidths=[base.CONTENT_WIDTH - 30 * mm],
        style=base.table_style(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, base.INK),
                ("TOPPADDING", (0, 0), (-1, -1), 6 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6 * mm),
            ]
        ),
    )
    story += [
        Spacer(1, 10 * mm),
        box,
        Spacer(1, 8 * mm),
        base.fields_table([(ctx._("Made on"), ctx.long_date(made_on))]),
        base.section(ctx._("What the key is for")),
        base.typed(
            ctx._(
                "If every password of this register is forgotten, the key opens it and sets a "
                "new password: on the unlock screen choose “Forgot the password?”."
            )
        ),
        base.section(ctx._("Where to keep it")),
        base.typed(
            ctx._(
                "Keep this sheet in the stronghold's safe, never next to the computer: "
                "whoever has both the computer and this key can read the register."
            )
        ),
        base.typed(
            ctx._(
                "An inspector can replace the key in Settings, Users, “New recovery key…”. "
                "This sheet then no longer opens the register."
            )
        ),
    ]
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=base.LEFT,
        rightMargin=base.RIGHT,
        topMargin=base.TOP + 10 * mm,
        bottomMargin=base.BOTTOM,
        title=ctx._(TITLE),
        author="",
        subject="",
        creator="Tayanch",
        producer="Tayanch",
        invariant=1,
        initialFontName=base.FONT,
    )
    doc.build(story)
    return buffer.getvalue()


__all__ = ["key_lines", "render", "TITLE"]
