"""Preventive talk record (profilaktik suhbat bayonnomasi).

A talk is the mildest preventive measure; its record shows later, if the person offends
again, that they were told what the law expects and what they promised.
"""

from __future__ import annotations

import logging

from reportlab.platypus import Flowable

from app.i18n import N_
from app.reports import base, dates, labels
from app.reports.base import DocContext, SignLine
from app.reports.data import TalkRecord

logger = logging.getLogger(__name__)

TITLE = N_("Preventive talk record")


def render(data: TalkRecord, ctx: DocContext) -> bytes:
    h = data.header
    title = ctx._(TITLE)
    story: list[Flowable] = base.document_start(ctx, h, title)
    story.append(
        base.para(
            ctx.sentence(
                N_(
                    "On {date} at {time}, at {place}, {official} held a preventive talk with "
                    "{person}."
                ),
                date=ctx.long_date(data.held_at),
                time=dates.time_of_day(data.held_at),
                place=data.place,
                official=ctx.official_line(h),
                person=data.person.full_name,
            )
        )
    )
    story.append(base.section(ctx._("Person the talk was held with")))
    story.append(base.fields_table(base.person_rows(ctx, data.person, full=False)))
    story.append(base.section(ctx._("Particulars of the talk")))
    rows: list[tuple[str, str]] = [
        (ctx._("Date and time"), ctx.datetime(data.held_at)),
        (ctx._("Place"), data.place),
        (ctx._("Reason for the talk"), data.reason),
        (ctx._("Direction of work"), ctx.label(labels.DIRECTIONS, data.direction)),
    ]
    if data.register_category:
        rows.append(
            (ctx._("Register"), ctx.label(labels.REGISTER_CATEGORIES, data.register_category))
        )
    story.append(base.fields_table(rows))
    if data.participants:
        story.append(base.section(ctx._("Also present")))
        story.append(base.persons_table(ctx, data.participants))
    story.append(base.section(ctx._("Content of the talk")))
    story.append(base.text_or_lines(data.topics, 4))
    story.append(base.section(ctx._("Explanation of the person")))
    story.append(base.text_or_lines(data.person_explanation, 4))
    story.append(base.section(ctx._("Commitments made by the person")))
    story.append(base.text_or_lines(data.commitments, 2))
    story.append(
        base.para(
            base.esc(
                ctx._(
                    "The person has been told the requirements of the law and the "
                    "consequences of unlawful conduct."
                )
            ),
            "small",
        )
    )
    lines = [base.official_sign(ctx, h), SignLine(ctx._("Person talked to"), data.person.full_name)]
    lines += [SignLine(ctx._("Present"), p.full_name) for p in data.participants]
    base.add_signatures(story, ctx, lines, ctx._("Signatures"))
    return base.build_pdf(ctx, h, title, story)
