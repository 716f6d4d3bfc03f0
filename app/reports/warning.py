"""Official warning (rasmiy ogohlantirish) on the inadmissibility of unlawful conduct.

The warning is served on the person, who signs that they received it; the stronghold keeps
the signed copy. A later offence is then judged knowing the person had been warned.
"""

from __future__ import annotations

import logging

from reportlab.platypus import Flowable

from app.i18n import N_
from app.reports import base, labels
from app.reports.base import DocContext, SignLine
from app.reports.data import OfficialWarning

logger = logging.getLogger(__name__)

TITLE = N_("Official warning")


def render(data: OfficialWarning, ctx: DocContext) -> bytes:
    h = data.header
    title = ctx._(TITLE)
    subtitle = ctx._("on the inadmissibility of unlawful conduct")
    story: list[Flowable] = base.document_start(ctx, h, title, subtitle)
    story.append(
        base.para(
            ctx.sentence(
                N_(
                    "{official} hereby officially warns {person} on the inadmissibility of "
                    "unlawful conduct."
                ),
                official=labels.capitalised(ctx.official_line(h)),
                person=data.person.full_name,
            )
        )
    )
    story.append(base.section(ctx._("Person warned")))
    story.append(base.fields_table(base.person_rows(ctx, data.person, full=False)))
    story.append(base.section(ctx._("Grounds for the warning")))
    story.append(base.typed(data.grounds))
    story.append(
        base.fields_table(
            [
                (ctx._("Legal basis"), data.legal_basis),
                (ctx._("Direction of work"), ctx.label(labels.DIRECTIONS, data.direction)),
            ]
        )
    )
    if data.requirements.strip():
        story.append(base.section(ctx._("You are required to")))
        story.append(base.typed(data.requirements))
    story.append(
        base.notice(
            ctx._(
                "You are warned that if you continue this conduct or commit an offence, "
                "you will be held liable as provided by law."
            )
        )
    )
    story.append(base.section(ctx._("Explanation of the person")))
    story.append(base.text_or_lines(data.person_explanation, 3))
    lines = [
        base.official_sign(ctx, h),
        SignLine(ctx._("I have received the warning and a copy of it"), data.person.full_name),
    ]
    base.add_signatures(story, ctx, lines, ctx._("Signatures"), keep=2)
    return base.build_pdf(ctx, h, title, story)
