"""What every printed document shares: fonts, styles, the A4 form, numbering, signatures.

A document module builds a list of flowables with the helpers here and hands it to
``build_pdf``. The form is the same for all: the office's heading, a centred title, the
number, place and date, the body, signature lines, and on every page a footer with the
number and, when there is more than one page, "page N of M".

Output is deterministic: reportlab's invariant mode fixes the creation date and the file
id, and fonts are subset the same way each time, so the same snapshot gives the same bytes
(a stored document can be re-printed and compared).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from gettext import NullTranslations
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import HRFlowable

from app.errors import TayanchError
from app.i18n import N_, normalize_language, translator
from app.paths import resource_path
from app.reports import dates, labels
from app.reports.data import DocumentHeader, Person

logger = logging.getLogger(__name__)

FONT = "TayanchSerif"
FONT_BOLD = "TayanchSerif-Bold"
FONT_ITALIC = "TayanchSerif-Italic"
FONT_BOLD_ITALIC = "TayanchSerif-BoldItalic"
_FONT_FILES = {
    FONT: "DejaVuSerif.ttf",
    FONT_BOLD: "DejaVuSerif-Bold.ttf",
    FONT_ITALIC: "DejaVuSerif-Italic.ttf",
    FONT_BOLD_ITALIC: "DejaVuSerif-BoldItalic.ttf",
}

PAGE_WIDTH, PAGE_HEIGHT = A4
# A wider left margin leaves room for the district office's binder.
LEFT, RIGHT, TOP, BOTTOM = 25 * mm, 15 * mm, 14 * mm, 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - LEFT - RIGHT

INK = colors.black
GREY = colors.Color(0.35, 0.35, 0.35)
RULE = colors.Color(0.55, 0.55, 0.55)
SHADE = colors.Color(0.93, 0.93, 0.93)

_font_lock = threading.Lock()
_fonts_ready = False


class FontMissingError(TayanchError):
    code = "font_missing"
    template = N_("The document font {file} is missing. Reinstall Tayanch.")


def register_fonts() -> None:
    """Register the shipped TTF family once per process.

    Never falls back to reportlab's built-in fonts: they have no Cyrillic and would print
    black boxes on a signed document, which is worse than refusing to print.
    """
    global _fonts_ready
    if _fonts_ready:
        return
    with _font_lock:
        if _fonts_ready:
            return
        for name, filename in _FONT_FILES.items():
            path = resource_path("fonts", filename)
            if not path.is_file():
                raise FontMissingError(file=filename)
            pdfmetrics.registerFont(TTFont(name, str(path)))
        pdfmetrics.registerFontFamily(
            FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD_ITALIC
        )
        _fonts_ready = True
        logger.debug("document fonts registered")


def _style(name: str, **kw: Any) -> ParagraphStyle:
    base: dict[str, Any] = {"fontName": FONT, "fontSize": 10, "leading": 13.2, "textColor": INK}
    base.update(kw)
    return ParagraphStyle(name, **base)


STYLES: dict[str, ParagraphStyle] = {
    "body": _style("body", alignment=TA_JUSTIFY, spaceAfter=4),
    "body_left": _style("body_left", alignment=TA_LEFT, spaceAfter=2),
    "ministry": _style(
        "ministry", fontName=FONT_BOLD, fontSize=9.5, leading=12, alignment=TA_CENTER
    ),
    "office": _style("office", fontSize=9.5, leading=12, alignment=TA_CENTER),
    "office_small": _style(
        "office_small", fontSize=8, leading=10, alignment=TA_CENTER, textColor=GREY
    ),
    "title": _style("title", fontName=FONT_BOLD, fontSize=14, leading=18, alignment=TA_CENTER),
    "subtitle": _style("subtitle", fontSize=10.5, leading=14, alignment=TA_CENTER),
    "number": _style("number", fontName=FONT_BOLD, fontSize=10.5, leading=14, alignment=TA_CENTER),
    "section": _style(
        "section", fontName=FONT_BOLD, fontSize=10.5, leading=14, spaceBefore=7, spaceAfter=3
    ),
    "label": _style("label", fontSize=9, leading=11.5, textColor=GREY),
    "cell": _style("cell", fontSize=9.5, leading=12),
    "cell_bold": _style("cell_bold", fontName=FONT_BOLD, fontSize=9.5, leading=12),
    "cell_right": _style("cell_right", fontSize=9.5, leading=12, alignment=TA_RIGHT),
    "cell_head": _style("cell_head", fontName=FONT_BOLD, fontSize=8.5, leading=10.5),
    "cell_head_right": _style(
        "cell_head_right", fontName=FONT_BOLD, fontSize=8.5, leading=10.5, alignment=TA_RIGHT
    ),
    "small": _style("small", fontSize=8.5, leading=11, textColor=GREY),
    "caption": _style("caption", fontSize=6.5, leading=7.5, alignment=TA_CENTER, textColor=GREY),
    "right": _style("right", alignment=TA_RIGHT),
    "copy_label": _style(
        "copy_label", fontName=FONT_BOLD, fontSize=8.5, leading=10.5, alignment=TA_CENTER
    ),
    "notice": _style("notice", fontName=FONT_BOLD, spaceBefore=4, spaceAfter=4),
    "mark": _style("mark", fontName=FONT_BOLD_ITALIC, fontSize=9.5, leading=12),
}


def table_style(commands: Sequence[tuple[Any, ...]]) -> TableStyle:
    """A table style that names our font: a plain-string cell would otherwise be set in
    reportlab's default Helvetica, which has no Cyrillic and would be added to the PDF."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *commands])


def esc(text: str) -> str:
    """Escape typed text for reportlab's paragraph markup and keep its line breaks."""
    return escape(text).replace("\r\n", "\n").replace("\n", "<br/>")


@dataclass
class DocContext:
    """One rendering: the chosen language's catalog and the formatting that depends on it.

    Documents are printed in a language chosen per call, so nothing here touches the UI's
    current language.
    """

    lang: str
    tr: NullTranslations = field(init=False)

    def __post_init__(self) -> None:
        register_fonts()  # paragraphs resolve their fonts when built, before the layout
        self.lang = normalize_language(self.lang)
        self.tr = translator(self.lang)

    def _(self, message: str) -> str:
        return self.tr.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.tr.ngettext(singular, plural, n)

    def label(self, group: dict[str, str], code: str) -> str:
        return labels.label(self.tr, group, code)

    def date(self, value: date | None) -> str:
        return dates.short_date(value)

    def datetime(self, value: datetime | None) -> str:
        return dates.short_datetime(value)

    def long_date(self, value: date) -> str:
        return dates.long_date(value, self.lang)

    def position(self, header: DocumentHeader) -> str:
        return self.label(labels.POSITIONS, header.official.position)

    def official_line(self, header: DocumentHeader) -> str:
        """ "assistant inspector, politsiya leytenanti Karimov B." as one phrase."""
        parts = [self.position(header)]
        if header.official.rank:
            parts.append(header.official.rank)
        return ", ".join(parts) + " " + header.official.full_name

    def sentence(self, template: str, **values: str) -> str:
        """A translated sentence with typed values in bold, safe for paragraph markup."""
        text = esc(self._(template))
        return text.format(**{k: f"<b>{esc(v)}</b>" for k, v in values.items()})

    def plain(self, template: str, **values: str) -> str:
        text = esc(self._(template))
        return text.format(**{k: esc(v) for k, v in values.items()})


# ------------------------------------------------------------------ flowable helpers


def para(text: str, style: str = "body") -> Paragraph:
    """A paragraph of markup already escaped (see ``esc`` and ``DocContext.sentence``)."""
    return Paragraph(text, STYLES[style])


def typed(text: str, style: str = "body") -> Paragraph:
    """A paragraph of typed text, printed as typed."""
    return Paragraph(esc(text), STYLES[style])


def notice(text: str) -> Paragraph:
    """A bold sentence the person must not miss (consequences, refusals), ragged right."""
    return Paragraph(esc(text), STYLES["notice"])


def section(text: str) -> Paragraph:
    return Paragraph(esc(text), STYLES["section"])


def blank_lines(count: int, width: float = CONTENT_WIDTH) -> Table:
    """Ruled empty lines for a part the person fills in by hand."""
    table = Table([[""] for _ in range(count)], colWidths=[width], rowHeights=[16] * count)
    table.setStyle(table_style([("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE)]))
    return table


def text_or_lines(text: str, lines: int = 3) -> Flowable:
    """Typed text when there is some, otherwise ruled lines to write on."""
    return typed(text) if text.strip() else blank_lines(lines)


def fields_table(rows: Sequence[tuple[str, str | Flowable]], label_width: float = 55 * mm) -> Table:
    """Label / value rows, the usual layout of a form's particulars.

    Values are typed text (escaped here) or ready flowables; an empty value prints a dash
    so that a blank is visibly blank rather than forgotten.
    """
    data = []
    for lab, value in rows:
        cell: Flowable
        if isinstance(value, str):
            cell = Paragraph(esc(value) if value.strip() else "—", STYLES["cell"])
        else:
            cell = value
        data.append([Paragraph(esc(lab), STYLES["label"]), cell])
    table = Table(data, colWidths=[label_width, CONTENT_WIDTH - label_width])
    table.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (0, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("LINEBELOW", (1, 0), (1, -1), 0.25, SHADE),
            ]
        )
    )
    return table


def _grid_cell(value: str | Flowable, col: int, style: str, numeric: Sequence[int]) -> Flowable:
    if not isinstance(value, str):
        return value
    name = style + ("_right" if col in numeric else "")
    return Paragraph(esc(value), STYLES.get(name, STYLES[style]))


def _grid_style(shade_head: bool, shade_last_row: int | None = None) -> TableStyle:
    style: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if shade_head:
        style.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
    if shade_last_row is not None:
        style.append(("BACKGROUND", (0, shade_last_row), (-1, shade_last_row), SHADE))
    return table_style(style)


def title_width(title: str, at_least: float) -> float:
    """A column's width: ``at_least``, or enough for its title's longest word in the
    heading's font, so that no word breaks in two ("Количеств/о")."""
    style = STYLES["cell_head"]
    widest = max(
        (pdfmetrics.stringWidth(word, style.fontName, style.fontSize) for word in title.split()),
        default=0.0,
    )
    return max(at_least, widest + 5 * mm)  # the cell's padding, and a little air


def grid_table(
    head: Sequence[str],
    rows: Sequence[Sequence[str | Flowable]],
    widths: Sequence[float],
    numeric: Sequence[int] = (),
    bold_last: bool = False,
) -> Table:
    """A ruled table with a shaded heading row repeated on every page."""
    data: list[list[Flowable]] = [
        [_grid_cell(h, i, "cell_head", numeric) for i, h in enumerate(head)]
    ]
    for r, row in enumerate(rows):
        last = bold_last and r == len(rows) - 1
        data.append(
            [
                _grid_cell(v, i, "cell_bold" if last and i not in numeric else "cell", numeric)
                for i, v in enumerate(row)
            ]
        )
    table = Table(data, colWidths=list(widths), repeatRows=1)
    table.setStyle(_grid_style(True, len(rows) if bold_last and rows else None))
    return table


def grid_table_with_tail(
    head: Sequence[str],
    rows: Sequence[Sequence[str | Flowable]],
    widths: Sequence[float],
    tail: int = 2,
) -> list[Flowable]:
    """A long ruled table cut before its last ``tail`` rows.

    The last rows then travel with the signatures (see ``add_signatures``), so a long
    history never leaves the signature lines alone on a page of their own. The cut part has
    no heading row: it reads as the continuation of the table above it.
    """
    if len(rows) <= tail:
        return [grid_table(head, rows, widths)]
    end = Table(
        [[_grid_cell(v, i, "cell", ()) for i, v in enumerate(row)] for row in rows[-tail:]],
        colWidths=list(widths),
    )
    end.setStyle(_grid_style(False))
    return [grid_table(head, rows[:-tail], widths), end]


def person_rows(ctx: DocContext, person: Person, *, full: bool = True) -> list[tuple[str, str]]:
    """The particulars of a person that a form prints, name first and as typed."""
    rows: list[tuple[str, str]] = [(ctx._("Surname, given name, patronymic"), person.full_name)]
    birth = ctx.date(person.birth_date)
    if person.birth_place and full:
        birth = f"{birth}, {person.birth_place}" if birth else person.birth_place
    rows.append((ctx._("Date and place of birth") if full else ctx._("Date of birth"), birth))
    if full:
        rows.append((ctx._("PINFL"), person.pinfl))
        rows.append((ctx._("Passport or ID card"), person.passport))
    rows.append((ctx._("Address"), person.address))
    if full:
        rows.append((ctx._("Place of work or study"), person.workplace))
    rows.append((ctx._("Phone"), person.phone))
    return rows


def persons_table(ctx: DocContext, persons: Sequence[Person]) -> Flowable:
    """Several persons in a compact table: name as typed, role, address."""
    if not persons:
        return para("—", "body_left")
    rows = [[str(i), p.full_name, p.role, p.address or "—"] for i, p in enumerate(persons, start=1)]
    return grid_table(
        ["№", ctx._("Full name"), ctx._("Role or relation"), ctx._("Address")],
        rows,
        [9 * mm, 62 * mm, 38 * mm, CONTENT_WIDTH - 109 * mm],
    )


# ------------------------------------------------------------------ heading and title


def heading_block(ctx: DocContext, header: DocumentHeader) -> list[Flowable]:
    """The issuing office at the top of the first page: ministry, office, stronghold."""
    sh = header.stronghold
    out: list[Flowable] = [
        para(
            esc(ctx._("Ministry of Internal Affairs of the Republic of Uzbekistan").upper()),
            "ministry",
        ),
        para(esc(sh.office), "office"),
        para(
            "<b>" + esc(sh.name) + "</b> · " + ctx.plain(N_("code {code}"), code=sh.code),
            "office",
        ),
    ]
    place = ", ".join(x for x in (sh.makhalla, sh.district, sh.region) if x)
    contact = " · ".join(x for x in (place, sh.address, sh.phone) if x)
    if contact:
        out.append(para(esc(contact), "office_small"))
    out.append(Spacer(1, 2))
    out.append(HRFlowable(width="100%", thickness=1.2, color=INK, spaceBefore=2, spaceAfter=1))
    out.append(HRFlowable(width="100%", thickness=0.4, color=INK, spaceBefore=0, spaceAfter=10))
    return out


def title_block(
    ctx: DocContext, header: DocumentHeader, title: str, subtitle: str = ""
) -> list[Flowable]:
    """Centred title, the number under it, then place on the left and date on the right."""
    out: list[Flowable] = [para(esc(title.upper()), "title")]
    if subtitle:
        out.append(para(esc(subtitle), "subtitle"))
    out.append(para("№ " + esc(header.number), "number"))
    out.append(Spacer(1, 6))
    row = Table(
        [[para(esc(header.place), "body_left"), para(esc(ctx.date(header.issued_on)), "right")]],
        colWidths=[CONTENT_WIDTH * 0.65, CONTENT_WIDTH * 0.35],
    )
    row.setStyle(
        table_style(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    out.append(row)
    if header.corrects:
        out.append(
            para(
                ctx.sentence(
                    N_("This document corrects document № {number}, which is no longer valid."),
                    number=header.corrects,
                ),
                "small",
            )
        )
    out.append(Spacer(1, 8))
    return out


def document_start(
    ctx: DocContext, header: DocumentHeader, title: str, subtitle: str = ""
) -> list[Flowable]:
    return heading_block(ctx, header) + title_block(ctx, header, title, subtitle)


# ------------------------------------------------------------------ signatures


@dataclass(frozen=True)
class SignLine:
    """One signature line: who signs (role), and the name printed beside the line."""

    role: str
    name: str = ""
    refused: str = ""  # the refusal mark to print instead of a line, if any


def _signature_parts(
    ctx: DocContext, lines: Sequence[SignLine], heading: str = ""
) -> list[Flowable]:
    """Role, a line to sign on (or the refusal mark), and the name printed as typed.

    Returned as a list, not a KeepTogether, so ``add_signatures`` can keep it together with
    the text before it (KeepTogether does not nest).
    """
    data: list[list[Any]] = []
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (2, 0), (2, -1), 8),
    ]
    for line in lines:
        r = len(data)
        if line.refused:
            sign: Flowable = para(esc(line.refused), "mark")
        else:
            sign = para("", "cell")
            style.append(("LINEBELOW", (1, r), (1, r), 0.6, INK))
        data.append([para(esc(line.role), "cell"), sign, para(esc(line.name), "cell")])
        data.append(["", para(esc(ctx._("(signature)")), "caption"), ""])
        style.append(("TOPPADDING", (0, r), (-1, r), 8))
        style.append(("BOTTOMPADDING", (0, r), (-1, r), 1))
        style.append(("TOPPADDING", (0, r + 1), (-1, r + 1), 0.5))
        style.append(("BOTTOMPADDING", (0, r + 1), (-1, r + 1), 0))
    table = Table(data, colWidths=[68 * mm, 42 * mm, CONTENT_WIDTH - 110 * mm])
    table.setStyle(table_style(style))
    parts: list[Flowable] = [Spacer(1, 6)]
    if heading:
        parts.append(section(heading))
    parts.append(table)
    return parts


def signature_block(ctx: DocContext, lines: Sequence[SignLine], heading: str = "") -> Flowable:
    """Signature lines kept together on one page, so no one signs a page without text."""
    return KeepTogether(_signature_parts(ctx, lines, heading))


def add_signatures(
    story: list[Flowable],
    ctx: DocContext,
    lines: Sequence[SignLine],
    heading: str = "",
    keep: int = 1,
) -> None:
    """Append the signature lines, holding the last ``keep`` flowables on the same page.

    An official document must not end with a page that carries only signatures: nothing
    would show what was signed.
    """
    tail = story[len(story) - keep :] if keep else []
    del story[len(story) - len(tail) :]
    # KeepTogether does not nest (an inner one reports an endless height), so flatten.
    flat: list[Flowable] = []
    for item in tail:
        flat.extend(item._content if isinstance(item, KeepTogether) else [item])
    story.append(KeepTogether([*flat, *_signature_parts(ctx, lines, heading)]))


def official_sign(ctx: DocContext, header: DocumentHeader) -> SignLine:
    return SignLine(labels.capitalised(ctx.position(header)), header.official.full_name)


# ------------------------------------------------------------------ page and build


class _NumberedCanvas(Canvas):
    """Holds pages back until the end so each footer can say "page N of M".

    The usual two-pass alternative (multiBuild) lays out the whole story twice; keeping
    page states costs a little memory and lays out once.
    """

    def __init__(self, *args: Any, footer: Callable[[Canvas, int, int], None], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._pages: list[dict[str, Any]] = []
        self._footer = footer

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._footer(self, number, total)
            super().showPage()
        super().save()


def _no_page(_canvas: Canvas, _doc: BaseDocTemplate) -> None:
    return None


def build_pdf(
    ctx: DocContext,
    header: DocumentHeader,
    title: str,
    story: list[Flowable],
    *,
    running_header: bool = True,
) -> bytes:
    """Lay out ``story`` on the A4 form and return the PDF bytes.

    ``running_header`` repeats title and number at the top of pages after the first; a
    document whose every page starts with its own heading (the order's copies) turns it off.
    """
    register_fonts()
    buffer = BytesIO()
    number_text = "№ " + header.number
    running = f"{title} {number_text}"

    def footer(canvas: Canvas, page: int, total: int) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(GREY)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.4)
        y = BOTTOM - 7 * mm
        canvas.line(LEFT, y + 9, PAGE_WIDTH - RIGHT, y + 9)
        canvas.drawString(LEFT, y, f"{header.stronghold.code} · {number_text}")
        if total > 1:
            text = ctx._("Page {page} of {total}").format(page=page, total=total)
            canvas.drawRightString(PAGE_WIDTH - RIGHT, y, text)
        canvas.restoreState()

    def later_pages(canvas: Canvas, _doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FONT_ITALIC, 7.5)
        canvas.setFillColor(GREY)
        canvas.drawString(LEFT, PAGE_HEIGHT - TOP + 4 * mm, running)
        canvas.restoreState()

    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=LEFT,
        rightMargin=RIGHT,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=running,
        author="",
        subject="",
        creator="Tayanch",
        producer="Tayanch",
        invariant=1,
        initialFontName=FONT,
        initialFontSize=10.5,
        lang=ctx.lang,
    )
    frame = Frame(
        LEFT,
        BOTTOM,
        CONTENT_WIDTH,
        PAGE_HEIGHT - TOP - BOTTOM,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates(
        [
            PageTemplate(id="first", frames=[frame], autoNextPageTemplate="later"),
            PageTemplate(
                id="later", frames=[frame], onPage=later_pages if running_header else _no_page
            ),
        ]
    )
    doc.build(story, canvasmaker=partial(_NumberedCanvas, footer=footer))
    return buffer.getvalue()
