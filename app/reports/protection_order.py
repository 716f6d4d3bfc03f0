"""Protection order (himoya orderi), in two copies on separate pages.

One copy is handed to the protected person, the other to the respondent; each copy is the
whole order with its own heading, so either can be shown to a police officer on its own.
"""

from __future__ import annotations

import logging

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Spacer, Table

from app.i18n import N_
from app.reports import base, labels
from app.reports.base import CONTENT_WIDTH, INK, DocContext, SignLine
from app.reports.data import Person, ProtectionOrder

logger = logging.getLogger(__name__)

TITLE = N_("Protection order")
COPY_PROTECTED = N_("Copy for the protected person")
COPY_RESPONDENT = N_("Copy for the respondent")


def _copy_label(text: str) -> Table:
    box = Table(
        [[base.para(base.esc(text.upper()), "copy_label")]], colWidths=[CONTENT_WIDTH * 0.55]
    )
    box.hAlign = "RIGHT"
    box.setStyle(
        base.table_style(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, INK),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    box.spaceAfter = 4
    return box


def _bullets(items: list[str]) -> list[Flowable]:
    return [base.para("–&nbsp;" + base.esc(item), "cell") for item in items]


def _parties(ctx: DocContext, protected: Person, respondent: Person) -> Table:
    """Both parties side by side: one glance shows who is protected from whom."""

    def row(label: str, a: str, b: str) -> list[str]:
        return [label, a or "—", b or "—"]

    return base.grid_table(
        ["", ctx._("Protected person"), ctx._("Respondent")],
        [
            row(ctx._("Surname, given name, patronymic"), protected.full_name,
                respondent.full_name),
            row(ctx._("Date of birth"), ctx.date(protected.birth_date),
                ctx.date(respondent.birth_date)),
            row(ctx._("Address"), protected.address, respondent.address),
            row(ctx._("Phone"), protected.phone, respondent.phone),
        ],
        [42 * mm, (CONTENT_WIDTH - 42 * mm) / 2, (CONTENT_WIDTH - 42 * mm) / 2],
    )  # fmt: skip


def _lists(ctx: DocContext, data: ProtectionOrder) -> Flowable | None:
    """Prohibitions and duties side by side, so that both copies fit one page each."""
    columns: list[list[Flowable]] = []
    if data.prohibitions:
        columns.append(
            [
                base.para(
                    "<b>" + base.esc(ctx._("The respondent is prohibited from")) + "</b>", "cell"
                )
            ]
            + _bullets([ctx.label(labels.PROHIBITIONS, c) for c in data.prohibitions])
        )
    if data.duties:
        columns.append(
            [base.para("<b>" + base.esc(ctx._("The respondent must")) + "</b>", "cell")]
            + _bullets([ctx.label(labels.DUTIES, c) for c in data.duties])
        )
    if not columns:
        return None
    width = CONTENT_WIDTH / len(columns)
    table = Table([columns], colWidths=[width] * len(columns))
    table.setStyle(
        base.table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _term(ctx: DocContext, data: ProtectionOrder) -> Flowable:
    days = (data.valid_until - data.valid_from).days + 1
    text = ctx.sentence(
        N_("Valid from {start} to {end} inclusive."),
        start=ctx.date(data.valid_from),
        end=ctx.date(data.valid_until),
    )
    # A no-break space keeps "(30 days)" on one line.
    count = ctx.ngettext("({n} day)", "({n} days)", days).format(n=days)
    text += " " + base.esc(count).replace(" ", "&nbsp;")
    for ext in data.extensions:
        text += "<br/>" + ctx.sentence(
            N_("Extended on {date} until {end}."),
            date=ctx.date(ext.extended_on),
            end=ctx.date(ext.valid_until),
        )
        if ext.reason:
            text += " " + base.esc(ext.reason)
    return base.para(text, "cell")


def _one_copy(data: ProtectionOrder, ctx: DocContext, copy_label: str) -> list[Flowable]:
    h = data.header
    story: list[Flowable] = [_copy_label(copy_label)]
    story += base.heading_block(ctx, h)
    story += base.title_block(ctx, h, ctx._(TITLE))
    story.append(
        base.para(
            ctx.sentence(
                N_(
                    "{official} issues this protection order against the respondent named "
                    "below. Protected person: {person}."
                ),
                official=labels.capitalised(ctx.official_line(h)),
                person=data.protected.full_name,
            )
        )
    )
    story.append(
        base.para(
            base.esc(
                ctx._(
                    "Legal basis: Law of the Republic of Uzbekistan “On the protection of "
                    "women from harassment and violence” (No. ZRU-561, 2 September 2019)."
                )
            ),
            "small",
        )
    )
    story.append(Spacer(1, 4))
    story.append(_parties(ctx, data.protected, data.respondent))
    story.append(Spacer(1, 4))
    story.append(
        base.fields_table(
            [
                (
                    ctx._("Nature of the dispute"),
                    labels.capitalised(ctx.label(labels.DISPUTE_NATURES, data.nature)),
                ),
                (ctx._("Circumstances"), data.grounds),
                (ctx._("Term of the order"), _term(ctx, data)),
            ]
        )
    )
    lists = _lists(ctx, data)
    if lists is not None:
        story.append(lists)
    story.append(Spacer(1, 4))
    story.append(
        base.notice(
            ctx._(
                "The order takes effect when served. Failure to comply with it entails "
                "liability established by law."
            )
        )
    )
    lines = [
        base.official_sign(ctx, h),
        SignLine(ctx._("Protected person, copy received"), data.protected.full_name),
        SignLine(ctx._("Respondent, copy received"), data.respondent.full_name),
    ]
    # No "Signatures" heading here: the lines speak for themselves and each copy must fit
    # on one page.
    base.add_signatures(story, ctx, lines)
    return story


def render(data: ProtectionOrder, ctx: DocContext) -> bytes:
    story = _one_copy(data, ctx, ctx._(COPY_PROTECTED))
    story.append(PageBreak())
    story += _one_copy(data, ctx, ctx._(COPY_RESPONDENT))
    return base.build_pdf(ctx, data.header, ctx._(TITLE), story, running_header=False)
