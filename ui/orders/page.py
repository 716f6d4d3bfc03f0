"""Protection orders: in force and past, extensions and breaches, ending-soon highlighted."""

from __future__ import annotations

import uuid

from PySide6.QtWidgets import QLabel, QWidget

from app.db.register import Register
from app.domain.enums import OrderStatus, Prohibition
from app.i18n import N_, _, ngettext
from app.services import ui_queries
from app.services.today import ORDER_WARNING_DAYS
from app.services.ui_queries import OrderDetail, OrderRow
from ui import actions, seams, style, transfer
from ui.format import fmt_date, fmt_datetime, label, labels
from ui.widgets.common import Context, ListOrEmpty, button, section_label
from ui.widgets.flow import flow_row
from ui.widgets.list_page import DetailView, RecordListPage
from ui.widgets.paged_model import Column
from ui.widgets.record_table import RecordTable, RecordTableModel


def ending_soon(r: OrderRow) -> bool:
    return r.order.status == "active" and 0 <= r.days_left <= ORDER_WARNING_DAYS


class OrderView(DetailView):
    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx,
            _(
                "Choose an order in the list. Orders are issued from a "
                "family dispute, or with Ctrl+N."
            ),
            parent,
        )
        self.detail: OrderDetail | None
        lay = self.body_layout
        self.heading = QLabel()
        style.role(self.heading, "pageTitle")
        lay.addWidget(self.heading)
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        lay.addWidget(self.facts)
        self.extend_button = button(_("Extend…"), self.extend)
        self.revoke_button = button(_("Revoke…"), self.revoke)
        lay.addWidget(
            flow_row(
                self.extend_button,
                button(_("Record breach"), self.breach),
                self.revoke_button,
                button(_("Protected person"), lambda: self._open("protected")),
                button(_("Respondent"), lambda: self._open("respondent")),
                button(_("Print…"), self.print_order, tip=_("Print the order (Ctrl+P)")),
            )
        )
        lay.addWidget(section_label(_("Extensions")))
        self.extensions = RecordTable(
            RecordTableModel(
                [
                    Column("on", N_("Decided"), lambda e: fmt_date(e.on)),
                    Column("days", N_("Days"), lambda e: str(e.days), align_right=True),
                    Column("until", N_("New end"), lambda e: fmt_date(e.new_end_date)),
                    Column("reason", N_("Reason"), lambda e: e.reason),
                ],
                self,
            ),
            sortable=False,
        )
        lay.addWidget(self.extensions, 1)
        lay.addWidget(section_label(_("Breaches")))
        self.breaches = RecordTable(
            RecordTableModel(
                [
                    Column("at", N_("When"), lambda b: fmt_datetime(b.at)),
                    Column("what", N_("What happened"), lambda b: b.description),
                    Column("action", N_("What was done"), lambda b: b.action),
                ],
                self,
            ),
            sortable=False,
        )
        self.breaches_list = ListOrEmpty(self.breaches, _("No breaches recorded."))
        lay.addWidget(self.breaches_list, 1)

    def fetch(self, reg: Register, order_id: uuid.UUID) -> OrderDetail:
        return ui_queries.order_detail(reg, order_id)

    def fill(self, d: OrderDetail) -> None:
        o = d.row.order
        self.heading.setText(
            _("Order {number}").format(number=o.number or "—")
            + " — "
            + label(OrderStatus, o.status)
        )
        lines = [
            _("Protected: {name}").format(name=d.row.protected_name),
            _("Respondent: {name}").format(name=d.row.respondent_name),
            ngettext(
                "Issued {date}; in force {start} to {end} ({n} day)",
                "Issued {date}; in force {start} to {end} ({n} days)",
                o.duration_days,
            ).format(
                date=fmt_date(o.issued_on),
                start=fmt_date(o.start_date),
                end=fmt_date(o.end_date),
                n=o.duration_days,
            ),
            _("Prohibited: {list}").format(list=labels(Prohibition, o.prohibitions)),
            _("Grounds: {text}").format(text=o.grounds) if o.grounds else "",
            _("Duties: {text}").format(text=o.duties) if o.duties else "",
        ]
        if ending_soon(d.row):
            lines.append(
                "<b style='color:#b3261e'>"
                + ngettext("Ends in {n} day.", "Ends in {n} days.", d.row.days_left).format(
                    n=d.row.days_left
                )
                + "</b>"
            )
        self.facts.setText("<br>".join(x.replace("\n", " ") for x in lines if x))
        active = o.status == "active"
        self.extend_button.setEnabled(active)
        self.revoke_button.setEnabled(active)
        self.extensions.source.set_rows(d.extensions)
        self.breaches.source.set_rows(d.breaches)
        self.breaches_list.show_list(bool(d.breaches))

    def _open(self, who: str) -> None:
        if self.detail is None or self.ctx.window is None:
            return
        o = self.detail.row.order
        self.ctx.window.open_person(
            o.protected_person_id if who == "protected" else o.respondent_person_id
        )

    def print_order(self) -> bool:
        from ui import printing

        if self.detail is None:
            return False
        printing.print_record(self.ctx, self, "protection-order", self.detail.row.order.id)
        return True

    def extend(self) -> None:
        from ui.orders.forms import ExtendForm

        if self.detail is not None:
            actions.open_form(
                self.ctx,
                ExtendForm(self, self.ctx.reg, self.detail.row.order),
                ("protection_order", "order_extension"),
            )

    def breach(self) -> None:
        from ui.orders.forms import BreachForm

        if self.detail is not None:
            actions.open_form(
                self.ctx, BreachForm(self, self.ctx.reg, self.detail.row.order), ("order_breach",)
            )

    def revoke(self) -> None:
        from ui.orders.forms import revoke

        if self.detail is None:
            return
        if not seams.ask_confirm(
            self, _("Revoke this protection order? It stops protecting the person from now on.")
        ):
            return
        o, reg = self.detail.row.order, self.ctx.reg
        actions.after_write(self.ctx, self, lambda: revoke(reg, o), ("protection_order",))


class OrdersPage(RecordListPage):
    key = "orders"
    split_sizes = (480, 680)  # the order beside, with its extensions and breaches, needs room
    nav_title = N_("Protection orders")
    tables = ("protection_order", "order_extension", "order_breach", "person")
    status_enum = OrderStatus
    view: OrderView

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.add_head(
            self.status,
            transfer.export_button(
                ctx, self, "orders", _("The protection orders to an .xlsx or .csv file")
            ),
            button(_("Issue order"), self.new_item, tip=_("Issue order (Ctrl+N)")),
        )
        table = RecordTable(
            RecordTableModel(
                [
                    Column("number", N_("Number"), lambda r: r.order.number),
                    Column("protected", N_("Protected person"), lambda r: r.protected_name),
                    Column("respondent", N_("Respondent"), lambda r: r.respondent_name),
                    Column("until", N_("Until"), lambda r: fmt_date(r.order.end_date)),
                    Column("status", N_("Status"), lambda r: label(OrderStatus, r.order.status)),
                ],
                self,
                alert=ending_soon,
                sort_value={"until": lambda r: r.order.end_date},
            )
        )
        table.setObjectName("ordersTable")
        self.add_table(
            table,
            (104, 180, 180, 88),
            OrderView(ctx),
            _("No protection orders. Issue one from a family dispute, or press Ctrl+N."),
        )

    def list_rows(self, reg: Register, status: str | None) -> list[OrderRow]:
        return ui_queries.order_rows(reg, status=status)

    def count_text(self, rows: list[OrderRow]) -> str:
        soon = sum(1 for r in rows if ending_soon(r))
        text = ngettext("{n} order", "{n} orders", len(rows)).format(n=len(rows))
        if soon:
            text += " · " + ngettext(
                "{n} ends within a week", "{n} end within a week", soon
            ).format(n=soon)
        return text

    def open_order(self, order_id: uuid.UUID, then: str | None = None) -> None:
        """``then="extend"`` opens the extension form once the order is shown (from Today)."""
        self.show_record(order_id, then=self.view.extend if then == "extend" else None)

    def new_item(self) -> None:
        actions.new_order(self.ctx, self, on_saved=lambda rec: self.open_order(rec.id))

    def print_current(self) -> bool:
        return self.view.print_order()
