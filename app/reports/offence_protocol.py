"""Administrative offence protocol (maʼmuriy huquqbuzarlik toʻgʻrisida bayonnoma).

The protocol starts an administrative case, so it carries every particular the case needs
(DOMAIN.md): when and where it was drawn up and by whom, the offender, the place, time and
substance of the offence, the article, witnesses and victims with addresses, the offender's
explanation, other facts and damage, and the signatures, with a mark where the offender
refused to sign, which the official and witnesses certify.
"""

from __future__ import annotations

import logging

from reportlab.platypus import Flowable

from app.i18n import N_
from app.reports import base, dates
from app.reports.base import DocContext, SignLine
from app.reports.data import OffenceProtocol

logger = logging.getLogger(__name__)

TITLE = N_("Administrative offence protocol")
REFUSED_MARK = N_("Refused to sign")


def render(data: OffenceProtocol, ctx: DocContext) -> bytes:
    h = data.header
    title = ctx._(TITLE)
    story: list[Flowable] = base.document_start(ctx, h, title)
    story.append(
        base.para(
            ctx.sentence(
                N_(
                    "I, {official}, drew up this protocol on {date} at {time}. Place drawn up: {place}."
                ),
                official=ctx.official_line(h),
                date=ctx.long_date(data.drawn_up_at),
                time=dates.time_of_day(data.drawn_up_at),
                place=h.place,
            )
        )
    )
    story.append(base.section("1. " + ctx._("Person held liable")))
    story.append(base.fields_table(base.person_rows(ctx, data.offender)))

    story.append(base.section("2. " + ctx._("The offence")))
    story.append(
        base.fields_table(
            [
                (ctx._("Date and time of the offence"), ctx.datetime(data.offence_at)),
                (ctx._("Place of the offence"), data.offence_place),
                (ctx._("Substance of the offence"), data.substance),
                (
                    ctx._("Article of the Code of Administrative Responsibility"),
                    data.article,
                ),
            ]
        )
    )
    story.append(base.section("3. " + ctx._("Witnesses")))
    story.append(base.persons_table(ctx, data.witnesses))
    story.append(base.section("4. " + ctx._("Victims")))
    story.append(base.persons_table(ctx, data.victims))

    story.append(base.section("5. " + ctx._("Explanation of the person held liable")))
    story.append(base.text_or_lines(data.offender_explanation, 5))
    story.append(base.section("6. " + ctx._("Other facts needed to decide the case")))
    story.append(
        base.fields_table(
            [
                (ctx._("Other facts"), data.other_facts),
                (ctx._("Damage caused"), data.damage),
                (ctx._("Attached"), "; ".join(data.attachments)),
            ]
        )
    )
    story.append(
        base.para(
            base.esc(
                ctx._(
                    "The rights and duties of the person held liable under the Code of "
                    "Administrative Responsibility have been explained to them."
                )
            ),
            "small",
        )
    )
    refused = ctx._(REFUSED_MARK) if data.offender_refused_to_sign else ""
    if refused:
        story.append(
            base.notice(
                ctx._(
                    "Mark: the person held liable refused to sign this protocol. The "
                    "refusal is certified by the signatures of the official and the "
                    "witnesses."
                )
            )
        )
    lines = [
        base.official_sign(ctx, h),
        SignLine(ctx._("Person held liable"), data.offender.full_name, refused=refused),
    ]
    lines += [SignLine(ctx._("Witness"), p.full_name) for p in data.witnesses]
    lines += [SignLine(ctx._("Victim"), p.full_name) for p in data.victims]
    base.add_signatures(story, ctx, lines, ctx._("Signatures"))
    return base.build_pdf(ctx, h, title, story)
