"""Supervision card: a person's registers, their conditions and the check-in history.

The card goes with the person's file when they move or when the court or probation service
asks; the history may be long, so its table repeats its heading on every page and the pages
are numbered "N of M".
"""

from __future__ import annotations

import logging

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from app.i18n import N_
from app.reports import base, labels
from app.reports.base import CONTENT_WIDTH, DocContext
from app.reports.data import RegisterEntry, SupervisionCard

logger = logging.getLogger(__name__)

TITLE = N_("Supervision card")


def _basis(ctx: DocContext, entry: RegisterEntry) -> str:
    parts = [entry.basis_body]
    if entry.basis_number:
        parts.append("№ " + entry.basis_number)
    if entry.basis_date:
        parts.append(ctx.date(entry.basis_date))
    if entry.article:
        parts.append(entry.article)
    return ", ".join(p for p in parts if p)


def _period(ctx: DocContext, entry: RegisterEntry) -> str:
    end = ctx.date(entry.end) if entry.end else "…"
    return f"{ctx.date(entry.start)} – {end}"


def _frequency(ctx: DocContext, entry: RegisterEntry) -> str:
    n = entry.checkins_per_month
    if n <= 0:
        return "—"
    return ctx.ngettext("{n} time a month", "{n} times a month", n).format(n=n)


def _status(ctx: DocContext, entry: RegisterEntry) -> str:
    text = ctx.label(labels.REGISTER_STATUSES, entry.status)
    if entry.removed_on:
        text += " " + ctx.date(entry.removed_on)
    if entry.removal_reason:
        text += ": " + entry.removal_reason
    return text


def _register_block(ctx: DocContext, index: int, entry: RegisterEntry) -> Flowable:
    """One register entry as a small form; a grid of eight columns would not fit A4."""
    category = labels.capitalised(ctx.label(labels.REGISTER_CATEGORIES, entry.category))
    rows: list[tuple[str, str | Flowable]] = [
        (ctx._("Basis"), _basis(ctx, entry)),
        (ctx._("Period"), _period(ctx, entry)),
        (ctx._("Check-ins"), _frequency(ctx, entry)),
        (ctx._("Responsible inspector"), entry.inspector),
        (ctx._("Risk level"), ctx.label(labels.RISK_LEVELS, entry.risk_level)),
        (ctx._("Status"), _status(ctx, entry)),
    ]
    if entry.conditions:
        conditions = "<br/>".join("–&nbsp;" + base.esc(c) for c in entry.conditions)
        rows.append((ctx._("Conditions and restrictions"), base.para(conditions, "cell")))
    return KeepTogether(
        [
            base.para(f"<b>{index}. {base.esc(category)}</b>", "body_left"),
            base.fields_table(rows),
            Spacer(1, 4),
        ]
    )


def render(data: SupervisionCard, ctx: DocContext) -> bytes:
    h = data.header
    title = ctx._(TITLE)
    story: list[Flowable] = base.document_start(ctx, h, title)
    story.append(base.section(ctx._("Person")))
    rows = base.person_rows(ctx, data.person)
    if data.person.sex:
        rows.insert(2, (ctx._("Sex"), ctx.label(labels.SEXES, data.person.sex.lower())))
    story.append(base.fields_table(rows))

    story.append(base.section(ctx._("Registers")))
    if not data.registers:
        story.append(base.para("—", "body_left"))
    for i, entry in enumerate(data.registers, start=1):
        story.append(_register_block(ctx, i, entry))

    story.append(base.section(ctx._("Check-in history")))
    violations = sum(1 for c in data.checkins if c.result == "violation")
    total = len(data.checkins)
    summary = ctx.ngettext("{n} check-in recorded", "{n} check-ins recorded", total).format(n=total)
    summary += "; " + ctx.ngettext("{n} violation", "{n} violations", violations).format(
        n=violations
    )
    story.append(base.para(base.esc(summary) + ".", "body_left"))
    if data.checkins:
        rows_c = []
        for i, c in enumerate(data.checkins, start=1):
            notes = c.notes
            if c.measure:
                measure = ctx._("Measure taken: {measure}").format(
                    measure=ctx.label(labels.VIOLATION_MEASURES, c.measure)
                )
                notes = f"{notes} ({measure})" if notes else measure
            rows_c.append(
                [
                    str(i),
                    ctx.datetime(c.at),
                    labels.capitalised(ctx.label(labels.CHECKIN_KINDS, c.kind)),
                    ctx.label(labels.CHECKIN_RESULTS, c.result),
                    notes or "—",
                ]
            )
        story += base.grid_table_with_tail(
            ["№", ctx._("Date and time"), ctx._("Kind"), ctx._("Result"), ctx._("Notes")],
            rows_c,
            # The date and time, and a result ("отсутствовал(а)"), each on one line.
            [9 * mm, 35 * mm, 32 * mm, 35 * mm, CONTENT_WIDTH - 111 * mm],
        )
    base.add_signatures(story, ctx, [base.official_sign(ctx, h)], ctx._("Card compiled by"))
    return base.build_pdf(ctx, h, title, story)
