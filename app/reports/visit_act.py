"""Household visit act (xonadonga tashrif dalolatnomasi).

Written up after a round: who visited which household, whom they met, what they found and
did, and when the next visit is due. Everyone met signs it, so the district office can see
that the visit took place.
"""

from __future__ import annotations

import logging

from reportlab.platypus import Flowable

from app.i18n import N_
from app.reports import base, dates, labels
from app.reports.base import DocContext, SignLine
from app.reports.data import VisitAct

logger = logging.getLogger(__name__)

TITLE = N_("Household visit act")


def render(data: VisitAct, ctx: DocContext) -> bytes:
    h = data.header
    title = ctx._(TITLE)
    story: list[Flowable] = base.document_start(ctx, h, title)
    story.append(
        base.para(
            ctx.sentence(
                N_("On {date} at {time}, {official} visited the household at {address}."),
                date=ctx.long_date(data.visited_at),
                time=dates.time_of_day(data.visited_at),
                official=ctx.official_line(h),
                address=data.household_address,
            )
        )
    )
    rows: list[tuple[str, str]] = [
        (ctx._("Date and time of the visit"), ctx.datetime(data.visited_at)),
        (ctx._("Household address"), data.household_address),
        (ctx._("Head of the household"), data.household_head),
        (
            ctx._("Purpose of the visit"),
            labels.capitalised(ctx.label(labels.VISIT_PURPOSES, data.purpose)),
        ),
        (ctx._("Direction of work"), ctx.label(labels.DIRECTIONS, data.direction)),
    ]
    if data.accompanied_by:
        rows.append(
            (
                ctx._("Accompanied by"),
                "; ".join(
                    f"{p.full_name} ({p.role})" if p.role else p.full_name
                    for p in data.accompanied_by
                ),
            )
        )
    story.append(base.fields_table(rows))
    story.append(base.section(ctx._("Persons met")))
    story.append(base.persons_table(ctx, data.persons_met))
    story.append(base.section(ctx._("Findings")))
    story.append(base.text_or_lines(data.findings))
    story.append(base.section(ctx._("Measures taken")))
    story.append(base.text_or_lines(data.measures))
    story.append(base.fields_table([(ctx._("Next visit due"), ctx.date(data.next_visit_due))]))
    story.append(
        base.para(base.esc(ctx._("The act has been read out to the persons present.")), "small")
    )

    lines = [base.official_sign(ctx, h)]
    # Generic roles in the document's language; the typed relation is in the table above.
    lines += [SignLine(ctx._("Accompanying person"), p.full_name) for p in data.accompanied_by]
    lines += [SignLine(ctx._("Person met"), p.full_name) for p in data.persons_met]
    base.add_signatures(story, ctx, lines, ctx._("Signatures"))
    return base.build_pdf(ctx, h, title, story)
