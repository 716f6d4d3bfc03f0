"""Households: the makhalla by street, members, visit history and this quarter's coverage."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QCheckBox, QLabel, QProgressBar, QWidget

from app.db.register import Register
from app.domain.base import today_local
from app.domain.enums import Direction, RegisterCategory, VisitPurpose
from app.i18n import N_, _, ngettext
from app.services import ui_queries
from app.services.ui_queries import HouseholdDetail, HouseholdFilter, HouseholdRow
from ui import actions, ops, style, transfer
from ui.format import fmt_date, fmt_datetime, label, yes_no
from ui.widgets.common import Context, ListOrEmpty, button, muted_label, section_label
from ui.widgets.flow import flow_row
from ui.widgets.form import ChoiceBox
from ui.widgets.list_page import DetailView, PagedListPage, resize_columns
from ui.widgets.paged_model import Column, Fetch, PagedTableModel
from ui.widgets.record_table import RecordTable, RecordTableModel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HouseholdQuery:
    filter: HouseholdFilter = HouseholdFilter()


class HouseholdTableModel(PagedTableModel):
    columns = [
        Column("street", N_("Street"), lambda r: r.street, sort="street"),
        Column(
            "house", N_("House"), lambda r: r.house + (f"/{r.flat}" if r.flat else ""), sort="house"
        ),
        Column("head", N_("Head of household"), lambda r: r.head_name),
        Column("members", N_("Members"), lambda r: str(r.members), align_right=True),
        Column("last_visit", N_("Last visit"), lambda r: fmt_date(r.last_visit)),
        Column("conflict", N_("Conflict"), lambda r: _("yes") if r.conflict_family else ""),
    ]

    def __init__(self, reg: Register, parent: Any = None) -> None:
        super().__init__(parent)
        self.reg = reg
        self.sort_key = "street"
        self.query = HouseholdQuery()

    def count(self, fetch: Fetch) -> int:
        return ui_queries.count_households(self.reg, fetch.query.filter)

    def page(self, fetch: Fetch, offset: int, limit: int) -> list[HouseholdRow]:
        return ui_queries.household_rows(
            self.reg,
            fetch.query.filter,
            offset=offset,
            limit=limit,
            sort=fetch.sort_key or "street",
            descending=fetch.descending,
        )


class HouseholdView(DetailView):
    """One household: address, members, visits; the actions that change them."""

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx, _("Choose a household in the list, or press Ctrl+N to add one."), parent
        )
        self.detail: HouseholdDetail | None
        lay = self.body_layout
        self.address = QLabel()
        style.role(self.address, "pageTitle")
        lay.addWidget(self.address)
        self.facts = muted_label()
        lay.addWidget(self.facts)
        self.visit_button = button(
            _("Record visit"), self.record_visit, tip=_("Record visit (Ctrl+R)")
        )
        lay.addWidget(
            flow_row(
                self.visit_button,
                button(_("Edit"), self.edit),
                button(_("Add member"), self.add_member),
                button(
                    _("Open person"), self.open_member, tip=_("Open the card of the chosen member")
                ),
                button(
                    _("Print visit act…"),
                    self.print_visit,
                    tip=_("Print the act of the chosen visit (Ctrl+P)"),
                ),
            )
        )
        lay.addWidget(section_label(_("Members")))
        self.members = RecordTable(
            RecordTableModel(
                [
                    Column("name", N_("Name"), lambda m: m.name),
                    Column("born", N_("Born"), lambda m: fmt_date(m.birth_date)),
                    Column("relation", N_("Relation"), lambda m: m.relation),
                    Column(
                        "registers",
                        N_("Registers"),
                        lambda m: ", ".join(label(RegisterCategory, c) for c in m.registers),
                    ),
                ],
                self,
                row_id=lambda m: m.person_id,
                alert=lambda m: bool(m.registers),
            )
        )
        self.members.setObjectName("householdMembers")
        self.members.horizontalHeader().resizeSection(0, 230)
        self.members.activated.connect(lambda _i: self.open_member())
        lay.addWidget(self.members, 2)
        lay.addWidget(section_label(_("Visits")))
        self.visits = RecordTable(
            RecordTableModel(
                [
                    Column("at", N_("When"), lambda v: fmt_datetime(v.visit.visited_at)),
                    Column(
                        "purpose", N_("Purpose"), lambda v: label(VisitPurpose, v.visit.purpose)
                    ),
                    Column(
                        "direction", N_("Direction"), lambda v: label(Direction, v.visit.direction)
                    ),
                    Column("met", N_("Persons met"), lambda v: ", ".join(v.persons_met)),
                    Column("findings", N_("Findings"), lambda v: v.visit.findings),
                ],
                self,
                row_id=lambda v: v.visit.id,
                sort_value={"at": lambda v: v.visit.visited_at},
            )
        )
        self.visits.setObjectName("householdVisits")
        resize_columns(self.visits, (120, 110, 130, 160))
        self.visits_list = ListOrEmpty(
            self.visits, _("No visits yet. Press Ctrl+R to record the first one.")
        )
        lay.addWidget(self.visits_list, 3)

    def fetch(self, reg: Register, household_id: uuid.UUID) -> HouseholdDetail:
        return ui_queries.household_detail(reg, household_id)

    def fill(self, d: HouseholdDetail) -> None:
        h = d.household
        self.address.setText(", ".join(x for x in (h.street, h.house, h.flat) if x))
        facts = [
            h.makhalla,
            _("head: {name}").format(name=d.head_name) if d.head_name else "",
            _("conflict family: {v}").format(v=yes_no(h.conflict_family)),
            h.notes,
        ]
        self.facts.setText(" · ".join(x for x in facts if x))
        self.members.source.set_rows(d.members)
        self.visits.source.set_rows(d.visits)
        self.visits_list.show_list(bool(d.visits))

    def record_visit(self) -> None:
        if self.detail is not None:
            actions.record_visit(self.ctx, self, household_id=self.detail.household.id)

    def edit(self) -> None:
        if self.detail is not None:
            actions.edit_household(self.ctx, self, self.detail.household)

    def add_member(self) -> None:
        if self.detail is not None:
            actions.add_member(self.ctx, self, self.detail.household.id)

    def print_visit(self) -> bool:
        from ui import printing

        v = self.visits.current_record()
        if v is None:
            return False
        printing.print_record(self.ctx, self, "visit-act", v.visit.id)
        return True

    def open_member(self) -> None:
        m = self.members.current_record()
        if m is not None and self.ctx.window is not None:
            self.ctx.window.open_person(m.person_id)


class HouseholdsPage(PagedListPage):
    key = "households"
    split_sizes = (480, 680)  # the record beside, with its members and visits, needs room
    nav_title = N_("Households")
    tables = ("household", "household_member", "household_visit", "visit_person", "person")
    view: HouseholdView

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.coverage = QProgressBar()
        self.coverage.setMaximumWidth(260)
        self.coverage.setTextVisible(True)
        self.coverage_label = muted_label()
        self.add_head(
            self.coverage_label,
            self.coverage,
            transfer.export_button(
                ctx, self, "visits", _("The household visits to an .xlsx or .csv file")
            ),
            button(_("New household"), self.new_item, tip=_("New household (Ctrl+N)")),
        )
        filters = self.filter_bar(_("Street and house, or the head's surname (Ctrl+F)"), 3)
        self.street = ChoiceBox([], empty=_("Every street"))
        self.street.currentIndexChanged.connect(self.apply_filter)
        filters.addWidget(self.street, 2)
        self.unvisited = QCheckBox(_("Not visited this quarter"))
        self.unvisited.toggled.connect(self.apply_filter)
        filters.addWidget(self.unvisited)
        self.conflict = QCheckBox(_("Conflict families"))
        self.conflict.toggled.connect(self.apply_filter)
        filters.addWidget(self.conflict)
        self.layout_.addLayout(filters)

        self.model = HouseholdTableModel(ctx.reg, self)
        self.add_table("householdsTable", (150, 60, 210, 76, 90, 70))
        self.remember_columns()
        self.table.activated.connect(lambda _i: self.view.members.setFocus())
        self.add_split(HouseholdView(ctx))

    def query(self) -> HouseholdQuery:
        since = ui_queries.quarter_start(today_local()) if self.unvisited.isChecked() else None
        return HouseholdQuery(
            HouseholdFilter(
                text=self.search.text() or None,
                street=self.street.code() or None,
                conflict_only=self.conflict.isChecked(),
                not_visited_since=since,
            )
        )

    def reload(self) -> None:
        reg = self.reg

        def work() -> tuple[list[tuple[str, int]], ui_queries.Coverage]:
            return ui_queries.streets(reg), ui_queries.quarter_coverage(reg)

        ops.Op(self, work).success(self._fill_side).run()
        super().reload()

    def _fill_side(self, result: tuple[list[tuple[str, int]], ui_queries.Coverage]) -> None:
        streets, cov = result
        self.street.set_choices((name, f"{name} ({n})") for name, n in streets)
        self.coverage.setMaximum(max(cov.total, 1))
        self.coverage.setValue(cov.visited)
        self.coverage.setFormat(f"{cov.visited} / {cov.total}")
        self.coverage_label.setText(_("Visited this quarter:"))
        self.coverage.setToolTip(
            _("Households visited since {date}").format(date=fmt_date(cov.since))
        )

    def count_text(self, total: int) -> str:
        return ngettext("{n} household", "{n} households", total).format(n=total)

    def filtered(self) -> bool:
        return bool(
            self.search.text().strip()
            or self.street.code()
            or self.unvisited.isChecked()
            or self.conflict.isChecked()
        )

    def empty_text(self) -> str:
        if self.filtered():
            return _("No household matches. Clear the filters, or press Ctrl+N to add one.")
        return _("No households yet. Press Ctrl+N to add the first one.")

    def open_household(self, household_id: uuid.UUID) -> None:
        self.show_record(household_id)

    def new_item(self) -> None:
        actions.new_household(self.ctx, self, on_saved=lambda rec: self.open_household(rec.id))

    def record_visit(self) -> bool:
        self.view.record_visit()
        return self.view.detail is not None

    def print_current(self) -> bool:
        return self.view.print_visit()
