"""Family disputes: reports with their parties, measures, follow-ups and status."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from PySide6.QtWidgets import QLabel, QWidget

from app.db.register import Register
from app.domain.enums import (
    DisputeMeasureKind,
    DisputeNature,
    DisputeSource,
    DisputeStatus,
    OrderStatus,
    PartyRole,
)
from app.i18n import N_, _, ngettext
from app.services import ui_queries
from app.services.today import EXAMINE_WITHIN
from app.services.ui_queries import DisputeDetail, DisputeRow
from ui import actions, style, transfer
from ui.format import fmt_date, fmt_datetime, label
from ui.widgets.common import Context, ListOrEmpty, button, muted_label, section_label
from ui.widgets.flow import flow_row
from ui.widgets.list_page import DetailView, RecordListPage
from ui.widgets.paged_model import Column
from ui.widgets.record_table import RecordTable, RecordTableModel


def unexamined_late(d: Any) -> bool:
    return (
        d.status == "open"
        and d.examined_at is None
        and datetime.now(UTC) - d.reported_at > EXAMINE_WITHIN
    )


class DisputeView(DetailView):
    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx, _("Choose a report in the list, or press Ctrl+N to register a new one."), parent
        )
        self.detail: DisputeDetail | None
        lay = self.body_layout
        self.heading = QLabel()
        style.role(self.heading, "pageTitle")
        lay.addWidget(self.heading)
        self.facts = muted_label()
        lay.addWidget(self.facts)
        self.alert = QLabel()
        style.role(self.alert, "formError")
        self.alert.setWordWrap(True)
        lay.addWidget(self.alert)
        self.description = QLabel()
        self.description.setWordWrap(True)
        lay.addWidget(self.description)
        self.examined_button = button(_("Mark examined"), self.mark_examined)
        lay.addWidget(
            flow_row(
                self.examined_button,
                button(_("Measure"), self.add_measure),
                button(_("Follow-up"), self.add_follow_up),
                button(_("Status…"), self.change_status),
                button(_("Issue protection order"), self.issue_order),
            )
        )
        lay.addWidget(section_label(_("Parties")))
        self.parties = RecordTable(
            RecordTableModel(
                [
                    Column("role", N_("Role"), lambda p: label(PartyRole, p.role)),
                    Column("name", N_("Name"), lambda p: p.name),
                ],
                self,
                row_id=lambda p: p.person_id,
            ),
            sortable=False,
        )
        self.parties.setObjectName("disputeParties")
        self.parties.activated.connect(self._open_party)
        self.parties.setMaximumHeight(110)
        lay.addWidget(self.parties)
        lay.addWidget(section_label(_("Measures and follow-ups")))
        self.steps = RecordTable(
            RecordTableModel(
                [
                    Column("on", N_("Date"), lambda m: fmt_date(m.on)),
                    Column(
                        "what",
                        N_("What"),
                        lambda m: (
                            label(DisputeMeasureKind, m.kind)
                            if hasattr(m, "kind")
                            else _("follow-up")
                        ),
                    ),
                    Column("notes", N_("Notes"), lambda m: m.notes),
                ],
                self,
                sort_value={"on": lambda m: m.on},
            )
        )
        self.steps_list = ListOrEmpty(
            self.steps, _("No measures yet. Record the first talk or mediation with Measure.")
        )
        lay.addWidget(self.steps_list, 2)
        lay.addWidget(section_label(_("Protection orders")))
        self.orders = RecordTable(
            RecordTableModel(
                [
                    Column("number", N_("Number"), lambda o: o.number),
                    Column("until", N_("Until"), lambda o: fmt_date(o.end_date)),
                    Column("status", N_("Status"), lambda o: label(OrderStatus, o.status)),
                ],
                self,
            ),
            sortable=False,
        )
        self.orders.setMaximumHeight(90)
        self.orders.activated.connect(self._open_order)
        lay.addWidget(self.orders)

    def fetch(self, reg: Register, dispute_id: uuid.UUID) -> DisputeDetail:
        return ui_queries.dispute_detail(reg, dispute_id)

    def fill(self, d: DisputeDetail) -> None:
        x = d.dispute
        self.heading.setText(
            f"{label(DisputeNature, x.nature).capitalize()} — {label(DisputeStatus, x.status)}"
        )
        facts = [
            _("reported {at}").format(at=fmt_datetime(x.reported_at)),
            _("source: {s}").format(s=label(DisputeSource, x.source)),
            _("examined {at}").format(at=fmt_datetime(x.examined_at))
            if x.examined_at
            else _("not examined yet"),
            d.address,
            _("resolved {on}").format(on=fmt_date(x.closed_on)) if x.closed_on else "",
        ]
        self.facts.setText(" · ".join(f for f in facts if f))
        self.alert.setText(
            _("Not examined within 24 hours of the report. Examine it and mark it examined.")
            if unexamined_late(x)
            else ""
        )
        self.alert.setVisible(unexamined_late(x))
        self.description.setText(x.description)
        self.examined_button.setEnabled(x.examined_at is None)
        self.parties.source.set_rows(d.parties)
        self.steps.source.set_rows(d.measures + d.follow_ups)
        self.steps_list.show_list(bool(d.measures or d.follow_ups))
        self.orders.source.set_rows(d.orders)

    def _open_party(self, *_a: Any) -> None:
        p = self.parties.current_record()
        if p is not None and self.ctx.window is not None:
            self.ctx.window.open_person(p.person_id)

    def _open_order(self, *_a: Any) -> None:
        o = self.orders.current_record()
        if o is not None and self.ctx.window is not None:
            self.ctx.window.open_order(o.id)

    def mark_examined(self) -> None:
        from ui.disputes.forms import mark_examined

        if self.detail is not None:
            d, reg = self.detail.dispute, self.ctx.reg
            actions.after_write(self.ctx, self, lambda: mark_examined(reg, d), ("family_dispute",))

    def add_measure(self) -> None:
        from ui.disputes.forms import DisputeMeasureForm

        if self.detail is not None:
            actions.open_form(
                self.ctx,
                DisputeMeasureForm(self, self.ctx.reg, self.detail.dispute.id),
                ("dispute_measure",),
            )

    def add_follow_up(self) -> None:
        from ui.disputes.forms import FollowUpForm

        if self.detail is not None:
            actions.open_form(
                self.ctx,
                FollowUpForm(self, self.ctx.reg, self.detail.dispute.id),
                ("dispute_follow_up",),
            )

    def change_status(self) -> None:
        from ui.disputes.forms import StatusForm

        if self.detail is not None:
            actions.open_form(
                self.ctx, StatusForm(self, self.ctx.reg, self.detail.dispute), ("family_dispute",)
            )

    def issue_order(self) -> None:
        if self.detail is None:
            return
        parties = {p.role: (p.person_id, p.name) for p in self.detail.parties}
        w = self.ctx.window
        actions.new_order(
            self.ctx,
            self,
            dispute_id=self.detail.dispute.id,
            protected=parties.get("applicant"),
            respondent=parties.get("respondent"),
            on_saved=(lambda rec: w.open_order(rec.id)) if w else None,
        )


class DisputesPage(RecordListPage):
    key = "disputes"
    nav_title = N_("Family disputes")
    tables = (
        "family_dispute",
        "dispute_party",
        "dispute_measure",
        "dispute_follow_up",
        "protection_order",
        "person",
    )
    split_sizes = (600, 540)
    status_enum = DisputeStatus

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.add_head(
            self.status,
            transfer.export_button(
                ctx, self, "disputes", _("The family dispute reports to an .xlsx or .csv file")
            ),
            button(_("New report"), self.new_item, tip=_("New report (Ctrl+N)")),
        )
        table = RecordTable(
            RecordTableModel(
                [
                    Column(
                        "reported", N_("Reported"), lambda r: fmt_datetime(r.dispute.reported_at)
                    ),
                    Column("parties", N_("Parties"), lambda r: r.party_names()),
                    Column(
                        "nature", N_("Nature"), lambda r: label(DisputeNature, r.dispute.nature)
                    ),
                    Column(
                        "status", N_("Status"), lambda r: label(DisputeStatus, r.dispute.status)
                    ),
                    Column("address", N_("Address"), lambda r: r.address),
                ],
                self,
                row_id=lambda r: r.id,
                alert=lambda r: unexamined_late(r.dispute),
                sort_value={"reported": lambda r: r.dispute.reported_at},
            )
        )
        table.setObjectName("disputesTable")
        self.add_table(
            table,
            (120, 260, 120, 90),
            DisputeView(ctx),
            _("No family dispute reports. Press Ctrl+N to register one."),
        )

    def list_rows(self, reg: Register, status: str | None) -> list[DisputeRow]:
        return ui_queries.dispute_rows(reg, status=status)

    def count_text(self, rows: list[DisputeRow]) -> str:
        return ngettext("{n} report", "{n} reports", len(rows)).format(n=len(rows))

    def open_dispute(self, dispute_id: uuid.UUID) -> None:
        self.show_record(dispute_id)

    def new_item(self) -> None:
        actions.new_dispute(self.ctx, self, on_saved=lambda rec: self.open_dispute(rec.id))
