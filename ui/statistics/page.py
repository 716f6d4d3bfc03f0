"""Statistics: the month's work in charts, with the figures the monthly report prints.

Every number comes from ``app.services.statistics``, which counts the way the monthly
report does (a record counts in the month of its own date), so what the screen shows and
what goes to the district office agree.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QWidget

from app.domain.base import today_local
from app.domain.enums import (
    Direction,
    DisputeNature,
    DisputeStatus,
    MeasureKind,
)
from app.i18n import N_, _
from app.services import statistics
from app.services.statistics import MonthStats
from ui import ops
from ui.format import fmt_date, label, short_category
from ui.statistics.charts import bar_chart
from ui.widgets.common import Context, Page, button, muted_label, title_label
from ui.widgets.form import ChoiceBox

log = logging.getLogger(__name__)

MONTHS_BACK = 12
# Chart axes are narrow: the six directions by a word or two (the full names are in the
# monthly report and the tooltips).
SHORT_DIRECTIONS = {
    "public_order": N_("Public order"),
    "social_help": N_("Social help"),
    "family": N_("Family"),
    "improvement": N_("Improvement"),
    "supervision": N_("Supervision"),
    "admin_offences": N_("Admin. offences"),
}


def month_choices(today: date) -> list[tuple[str, str]]:
    out = []
    y, m = today.year, today.month
    for _i in range(MONTHS_BACK):
        out.append((f"{y:04d}-{m:02d}", f"{m:02d}.{y}"))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


class StatisticsPage(Page):
    key = "statistics"
    nav_title = N_("Statistics")
    tables = (
        "household_visit",
        "register_entry",
        "family_dispute",
        "preventive_measure",
        "check_in",
        "protection_order",
        "order_extension",
        "offence_case",
    )

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _(self.nav_title)
        head = QHBoxLayout()
        head.addWidget(title_label(self.title))
        head.addStretch(1)
        head.addWidget(QLabel(_("Month")))
        self.month = ChoiceBox(month_choices(today_local()))
        self.month.currentIndexChanged.connect(self.reload)
        head.addWidget(self.month)
        head.addWidget(
            button(
                _("Print monthly report…"),
                self.print_current,
                tip=_("Print the monthly report of this month (Ctrl+P)"),
            )
        )
        self.layout_.addLayout(head)
        self.figures = muted_label()
        self.figures.setObjectName("")
        self.figures.setWordWrap(True)
        self.layout_.addWidget(self.figures)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(8)
        self.layout_.addWidget(self.grid_host, 1)
        self.stats: MonthStats | None = None
        self.charts: list[QWidget] = []

    def print_current(self) -> bool:
        from ui import printing

        printing.print_monthly(
            self.ctx, self, self.month.code() or month_choices(today_local())[0][0]
        )
        return True

    def reload(self, *_args: Any) -> None:
        code = self.month.code() or month_choices(today_local())[0][0]
        year, month = (int(x) for x in code.split("-"))
        reg = self.reg
        end = min(statistics.month_bounds(year, month)[1], today_local())

        def work() -> tuple[MonthStats, Any]:
            return statistics.month_stats(reg, year, month), statistics.weekly_visits(
                reg, weeks=12, until=end
            )

        ops.Op(self, work, name="statistics").success(self._show).run()

    def _show(self, result: tuple[MonthStats, Any]) -> None:
        st, weeks = result
        self.stats = st
        for w in self.charts:
            self.grid.removeWidget(w)
            w.deleteLater()
        self.charts = []
        share = (100 * st.households_covered // st.households_total) if st.households_total else 0
        self.figures.setText(
            _(
                "Visits made: {visits} · households covered: {covered} of {total} ({share}%) · "
                "check-ins: {checkins} · protection orders issued: {issued}, extended: {extended}"
            ).format(
                visits=st.visits_made,
                covered=st.households_covered,
                total=st.households_total,
                share=share,
                checkins=st.check_ins,
                issued=st.orders_issued,
                extended=st.orders_extended,
            )
        )
        charts = [
            bar_chart(
                _("Visits per week"),
                [fmt_date(d)[:5] for d, _n in weeks],
                [(_("visits"), [n for _d, n in weeks])],
            ),
            bar_chart(
                _("Activity per direction of work"),
                [
                    _(SHORT_DIRECTIONS[c]) if c in SHORT_DIRECTIONS else label(Direction, c)
                    for c, _n in st.per_direction
                ],
                [(_("records"), [n for _c, n in st.per_direction])],
                horizontal=True,
            ),
            bar_chart(
                _("Register entries by category"),
                [short_category(c) for c, _n in st.per_register],
                [(_("persons"), [n for _c, n in st.per_register])],
                horizontal=True,
            ),
            bar_chart(
                _("Disputes by nature"),
                [label(DisputeNature, d.nature) for d in st.disputes_by_nature],
                [
                    (_("reported"), [d.opened for d in st.disputes_by_nature]),
                    (_("resolved"), [d.resolved for d in st.disputes_by_nature]),
                ],
                horizontal=True,
            ),
            bar_chart(
                _("Disputes reported this month, by status"),
                [label(DisputeStatus, c) for c, _n in st.disputes_by_status],
                [(_("reports"), [n for _c, n in st.disputes_by_status])],
            ),
            bar_chart(
                _("Preventive measures"),
                [label(MeasureKind, c) for c, _n in st.measures] or [_("none")],
                [(_("measures"), [n for _c, n in st.measures] or [0])],
                horizontal=True,
            ),
        ]
        for i, chart in enumerate(charts):
            self.grid.addWidget(chart, i // 3, i % 3)
            self.charts.append(chart)
        for c in range(3):
            self.grid.setColumnStretch(c, 1)
