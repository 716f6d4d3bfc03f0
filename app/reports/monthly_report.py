"""The stronghold's monthly report to the district office.

Counts of the month's work per direction, persons per register, preventive measures,
household visits (made, due, households covered), family disputes opened and resolved by
nature, protection orders and citizens proposed for a reward. Two charts let the district
compare strongholds at a glance; the tables carry the exact figures.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.platypus import Flowable, KeepTogether, Spacer

from app.i18n import N_
from app.reports import base, dates, labels
from app.reports.base import CONTENT_WIDTH, FONT, FONT_BOLD, DocContext
from app.reports.data import CountRow, MonthlyReport

logger = logging.getLogger(__name__)

TITLE = N_("Monthly report of the stronghold")

BAR_DARK = colors.Color(0.22, 0.33, 0.50)
BAR_LIGHT = colors.Color(0.62, 0.72, 0.84)
CHART_FONT_SIZE = 7.5


def _drawing(height: float) -> Drawing:
    """A drawing whose initial state names our font (reportlab would start in Helvetica)."""
    drawing = Drawing(CONTENT_WIDTH, height)
    drawing.initialFontName = FONT
    drawing.initialFontSize = CHART_FONT_SIZE
    return drawing


def _wrap(text: str, width: float) -> str:
    """Chart labels do not wrap by themselves; break them into lines that fit ``width``."""
    return "\n".join(simpleSplit(text, FONT, CHART_FONT_SIZE, width)[:3])


def _style_axis_labels(chart: HorizontalBarChart | VerticalBarChart) -> None:
    """Every string of a chart names its font: the default would pull in Helvetica."""
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = FONT
        axis.labels.fontSize = CHART_FONT_SIZE
        axis.strokeColor = base.RULE
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = CHART_FONT_SIZE
    chart.valueAxis.gridStrokeColor = base.SHADE
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.valueMin = 0
    chart.barLabelFormat = "%d"


def _value_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if top / step <= 8:
            return step
    return max(1, top // 8)


def direction_chart(ctx: DocContext, rows: Sequence[CountRow], title: str) -> Drawing:
    """Horizontal bars, one per direction of work, longest labels wrapped on the left."""
    label_width = 62 * mm
    bar_height = 12
    height = len(rows) * bar_height * 1.45 + 40
    drawing = _drawing(height)
    drawing.add(String(0, height - 11, title, fontName=FONT_BOLD, fontSize=8.5))
    chart = HorizontalBarChart()
    chart.x = label_width + 4
    chart.y = 18
    chart.width = CONTENT_WIDTH - label_width - 20
    chart.height = height - 40
    # The first row at the top, as in the table.
    ordered = list(reversed(rows))
    chart.data = [[r.count for r in ordered]]
    chart.categoryAxis.categoryNames = [
        _wrap(labels.capitalised(ctx.label(labels.DIRECTIONS, r.code)), label_width - 6)
        for r in ordered
    ]
    _style_axis_labels(chart)
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.textAnchor = "end"
    chart.categoryAxis.labels.dx = -4
    chart.bars[0].fillColor = BAR_DARK
    chart.bars[0].strokeColor = None
    top = max([r.count for r in rows] + [1])
    chart.valueAxis.valueMax = top * 1.15
    chart.valueAxis.valueStep = _value_step(top)
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    chart.barLabelFormat = "%d"
    chart.barSpacing = 2
    drawing.add(chart)
    return drawing


def disputes_chart(
    ctx: DocContext, natures: Sequence[str], opened: Sequence[int], resolved: Sequence[int]
) -> Drawing:
    """Grouped vertical bars: disputes opened and resolved, per nature."""
    height = 52 * mm
    drawing = _drawing(height)
    drawing.add(
        String(0, height - 11, ctx._("Family disputes opened and resolved"), fontName=FONT_BOLD,
               fontSize=8.5)
    )  # fmt: skip
    chart = VerticalBarChart()
    chart.x = 24
    chart.y = 34
    chart.width = CONTENT_WIDTH - 140
    chart.height = height - 60
    chart.data = [list(opened), list(resolved)]
    slot = chart.width / max(1, len(natures))
    chart.categoryAxis.categoryNames = [
        _wrap(labels.capitalised(ctx.label(labels.DISPUTE_NATURES, n)), slot - 4) for n in natures
    ]
    _style_axis_labels(chart)
    chart.categoryAxis.labels.boxAnchor = "n"
    chart.categoryAxis.labels.dy = -3
    chart.bars[0].fillColor = BAR_DARK
    chart.bars[1].fillColor = BAR_LIGHT
    chart.bars.strokeColor = None
    top = max(list(opened) + list(resolved) + [1])
    chart.valueAxis.valueMax = top * 1.2
    chart.valueAxis.valueStep = _value_step(top)
    chart.barLabels.boxAnchor = "s"
    chart.barLabels.dy = 2
    chart.groupSpacing = 8
    chart.barSpacing = 1
    drawing.add(chart)
    legend = Legend()
    legend.x = CONTENT_WIDTH - 104
    legend.y = height - 30
    legend.fontName = FONT
    legend.fontSize = CHART_FONT_SIZE
    legend.alignment = "right"
    legend.columnMaximum = 2
    legend.boxAnchor = "nw"
    legend.colorNamePairs = [(BAR_DARK, ctx._("opened")), (BAR_LIGHT, ctx._("resolved"))]
    drawing.add(legend)
    return drawing


def _count_table(
    ctx: DocContext, head: str, rows: Sequence[CountRow], group: dict[str, str]
) -> Flowable:
    body = [
        [str(i), labels.capitalised(ctx.label(group, r.code)), str(r.count)]
        for i, r in enumerate(rows, start=1)
    ]
    body.append(["", ctx._("Total"), str(sum(r.count for r in rows))])
    count_w = base.title_width(ctx._("Count"), 25 * mm)
    return base.grid_table(
        ["№", head, ctx._("Count")],
        body,
        [10 * mm, CONTENT_WIDTH - 10 * mm - count_w, count_w],
        numeric=(2,),
        bold_last=True,
    )


def render(data: MonthlyReport, ctx: DocContext) -> bytes:
    h = data.header
    title = ctx._(TITLE)
    period = dates.month_year(data.year, data.month, ctx.lang)
    subtitle = ctx._("Reporting period: {period}").format(period=period)
    story: list[Flowable] = base.document_start(ctx, h, title, subtitle)

    story.append(base.section("1. " + ctx._("Work by direction")))
    story.append(
        _count_table(ctx, ctx._("Direction of work"), data.per_direction, labels.DIRECTIONS)
    )
    if data.per_direction:
        story.append(Spacer(1, 6))
        story.append(direction_chart(ctx, data.per_direction, ctx._("Work by direction")))

    # Short tables stay with their heading; a long one may split (its heading row repeats).
    story.append(
        KeepTogether(
            [
                base.section("2. " + ctx._("Persons on registers by category")),
                _count_table(ctx, ctx._("Register"), data.per_register, labels.REGISTER_CATEGORIES),
            ]
        )
    )
    story.append(
        KeepTogether(
            [
                base.section("3. " + ctx._("Preventive measures")),
                _count_table(ctx, ctx._("Measure"), data.measures, labels.MEASURE_KINDS),
            ]
        )
    )

    covered = (
        f"{data.households_covered} / {data.households_total} "
        f"({100 * data.households_covered / data.households_total:.0f}%)"
        if data.households_total
        else str(data.households_covered)
    )
    visits = base.fields_table(
        [
            (ctx._("Visits made"), str(data.visits_made)),
            (ctx._("Visits due"), str(data.visits_due)),
            (ctx._("Visits overdue"), str(data.visits_overdue)),
            (ctx._("Households covered"), covered),
        ],
        label_width=80 * mm,
    )
    story.append(KeepTogether([base.section("4. " + ctx._("Household visits")), visits]))

    story.append(base.section("5. " + ctx._("Family disputes")))
    natures = [d.nature for d in data.disputes]
    body = [
        [labels.capitalised(ctx.label(labels.DISPUTE_NATURES, d.nature)), str(d.opened),
         str(d.resolved)]
        for d in data.disputes
    ]  # fmt: skip
    body.append(
        [ctx._("Total"), str(sum(d.opened for d in data.disputes)),
         str(sum(d.resolved for d in data.disputes))]
    )  # fmt: skip
    opened_w = base.title_width(ctx._("Opened"), 30 * mm)
    resolved_w = base.title_width(ctx._("Resolved"), 30 * mm)
    story.append(
        base.grid_table(
            [ctx._("Nature of the dispute"), ctx._("Opened"), ctx._("Resolved")],
            body,
            [CONTENT_WIDTH - opened_w - resolved_w, opened_w, resolved_w],
            numeric=(1, 2),
            bold_last=True,
        )
    )
    if data.disputes:
        story.append(Spacer(1, 6))
        story.append(
            disputes_chart(
                ctx, natures, [d.opened for d in data.disputes], [d.resolved for d in data.disputes]
            )
        )

    orders = base.fields_table(
        [
            (ctx._("Protection orders issued"), str(data.orders_issued)),
            (ctx._("Protection orders extended"), str(data.orders_extended)),
        ],
        label_width=80 * mm,
    )
    story.append(KeepTogether([base.section("6. " + ctx._("Protection orders")), orders]))

    story.append(base.section("7. " + ctx._("Citizen contributions")))
    n = len(data.contributions)
    story.append(
        base.para(
            base.esc(
                ctx.ngettext(
                    "{n} citizen or organisation proposed for encouragement.",
                    "{n} citizens or organisations proposed for encouragement.",
                    n,
                ).format(n=n)
            ),
            "body_left",
        )
    )
    if data.contributions:
        story.append(
            base.grid_table(
                ["№", ctx._("Full name"), ctx._("Contribution"), ctx._("Proposal"), ctx._("Notes")],
                [
                    [
                        str(i),
                        c.full_name,
                        labels.capitalised(ctx.label(labels.CONTRIBUTION_KINDS, c.kind)),
                        ctx.label(labels.CONTRIBUTION_PROPOSALS, c.proposal),
                        c.note or "—",
                    ]
                    for i, c in enumerate(data.contributions, start=1)
                ],
                [9 * mm, 44 * mm, 45 * mm, 38 * mm, CONTENT_WIDTH - 136 * mm],
            )
        )
    if data.notes.strip():
        story.append(base.section(ctx._("Notes")))
        story.append(base.typed(data.notes))
    base.add_signatures(
        story,
        ctx,
        [base.official_sign(ctx, h)],
        ctx._("Report compiled by"),
        keep=2 if data.notes.strip() else 1,
    )
    return base.build_pdf(ctx, h, title, story)
