"""A person's card: identity at the top, everything recorded about them in tabs.

Read-only; every change goes through a form opened from the buttons (Edit, Check-in,
Violation, Measure, Visit, Register, Contribution), each with a shortcut so the card can be
worked from the keyboard after a round of visits.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.base import today_local
from app.domain.enums import (
    CheckInKind,
    CheckInResult,
    DisputeNature,
    DisputeStatus,
    DocumentKind,
    EntryStatus,
    MeasureKind,
    OrderStatus,
    PartyRole,
    RegisterCategory,
    RiskLevel,
    Sex,
    ViolationOutcome,
    VisitPurpose,
)
from app.errors import NotFoundError
from app.i18n import N_, _
from app.services.queries import PersonCard, person_card
from app.services.reference import days_label
from ui import ops, style
from ui.audit.details import describe, table_name
from ui.format import fmt_date, fmt_datetime, full_name, label
from ui.persons.merge import MergeDialog, may_merge
from ui.widgets.common import Context, EmptyState, ListOrEmpty, button, muted_label
from ui.widgets.flow import flow_row
from ui.widgets.paged_model import Column
from ui.widgets.record_table import RecordTable, RecordTableModel

log = logging.getLogger(__name__)

ACTION_NAMES = {
    "create": N_("added"),
    "update": N_("changed"),
    "close": N_("closed"),
    "print": N_("printed"),
    "export": N_("exported"),
}


def _details(table: str, details: str) -> str:
    """The entry's details (JSON text in the row) as the Audit screen words them."""
    try:
        values = json.loads(details or "{}")
    except ValueError:
        return ""
    return describe(table, values if isinstance(values, dict) else {})


def entry_alert(e: Any) -> bool:
    return e.status == "active" and e.end_date is not None and e.end_date < today_local()


class PersonCardView(QWidget):
    """Shows one person; ``load(id)`` fetches on a worker and fills the view."""

    card_loaded = Signal(object)  # the PersonCard
    edit_requested = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.card: PersonCard | None = None
        self.person_id: uuid.UUID | None = None
        self._requested: uuid.UUID | None = None
        self.load_ms = 0.0
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 0, 0, 0)
        self.empty = EmptyState(
            _("Choose a person in the list to see their card, or press Ctrl+N to add one.")
        )
        outer.addWidget(self.empty)
        self.body = QWidget()
        outer.addWidget(self.body, 1)
        lay = QVBoxLayout(self.body)
        lay.setContentsMargins(0, 0, 0, 0)
        self.name = QLabel()
        style.role(self.name, "pageTitle")
        self.name.setWordWrap(True)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.name)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(2)
        self.facts: dict[str, QLabel] = {}
        facts = [
            ("born", _("Born")),
            ("pinfl", _("PINFL")),
            ("passport", _("Passport")),
            ("phone", _("Phone")),
            ("address", _("Address")),
            ("workplace", _("Work or study")),
            ("registers", _("Registers")),
            ("notes", _("Notes")),
        ]
        for i, (key, caption) in enumerate(facts):
            cap = muted_label(caption)
            val = QLabel()
            val.setWordWrap(True)
            val.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            row, col = divmod(i, 2)
            grid.addWidget(cap, row, col * 2)
            grid.addWidget(val, row, col * 2 + 1)
            self.facts[key] = val
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        lay.addLayout(grid)
        self._keys: dict[str, str] = {}
        self.buttons: dict[str, Any] = {}
        for key, text, keys in [
            ("edit", _("Edit"), "Ctrl+E"),
            ("check_in", _("Check-in"), "Ctrl+K"),
            ("violation", _("Violation"), "Ctrl+Shift+K"),
            ("measure", _("Measure"), "Ctrl+M"),
            ("visit", _("Visit"), "Ctrl+R"),
            ("register", _("Add to register"), "Ctrl+Shift+R"),
            ("contribution", _("Contribution"), ""),
            ("offence", _("Offence case"), ""),
            ("print", _("Print…"), "Ctrl+P"),
            ("print_selected", _("Print selected documents"), ""),
            ("merge", _("Merge a duplicate…"), ""),
        ]:
            b = button(text, tip=f"{text} ({keys})" if keys else text)
            b.clicked.connect(lambda _c=False, k=key: self.act(k))
            self.buttons[key] = b
            if keys and key not in ("visit", "print"):  # the window's: it asks the card
                self._keys[key] = keys
        # In a flow: as many to a line as the card's width allows (a narrow window, the
        # longer Russian titles), never squeezing the list beside it.
        lay.addWidget(flow_row(*self.buttons.values(), spacing=4))
        self.buttons["merge"].setVisible(may_merge(ctx))  # it removes a card: inspectors
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        lay.addWidget(self.tabs, 1)
        self._build_tabs()
        self.body.hide()

    def install_shortcuts(self, scope: QWidget) -> None:
        """The card's shortcuts work anywhere in ``scope`` (the Persons screen), so Ctrl+E
        edits the person chosen in the table without first moving into the card."""
        for key, keys in self._keys.items():
            QShortcut(
                QKeySequence(keys),
                scope,
                activated=lambda k=key: self.act(k),
                context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
            )

    # --- tabs ----------------------------------------------------------------------

    def _tab(
        self, key: str, title: str, columns: list[Column], empty: str, **kwargs: Any
    ) -> RecordTable:
        model = RecordTableModel(columns, self, **kwargs)
        table = RecordTable(model)
        table.setObjectName(f"card_{key}")
        holder = ListOrEmpty(table, empty)
        self.tabs.addTab(holder, title)
        self._titles.append(title)
        self.tables[key] = table
        self.holders[key] = holder
        return table

    def _build_tabs(self) -> None:
        self.tables: dict[str, RecordTable] = {}
        self.holders: dict[str, ListOrEmpty] = {}
        self._titles: list[str] = []
        reg_tab = QWidget()
        rl = QVBoxLayout(reg_tab)
        rl.setContentsMargins(0, 0, 0, 0)
        model = RecordTableModel(
            [
                Column("category", N_("Register"), lambda e: label(RegisterCategory, e.category)),
                Column("start", N_("From"), lambda e: fmt_date(e.start_date)),
                Column("end", N_("Until"), lambda e: fmt_date(e.end_date)),
                Column("every", N_("Check-in every"), lambda e: days_label(e.checkin_every_days)),
                Column("risk", N_("Risk"), lambda e: label(RiskLevel, e.risk_level)),
                Column("status", N_("Status"), lambda e: label(EntryStatus, e.status)),
                Column(
                    "basis",
                    N_("Basis"),
                    lambda e: " ".join(
                        x
                        for x in (
                            e.basis_body,
                            e.basis_number and f"№ {e.basis_number}",
                            fmt_date(e.basis_date),
                            e.basis_article and _("art. {article}").format(article=e.basis_article),
                        )
                        if x
                    ),
                ),
            ],
            self,
            alert=entry_alert,
        )
        self.registers = RecordTable(model)
        self.registers.setObjectName("card_registers")
        self.tables["registers"] = self.registers
        rl.addWidget(self.registers, 2)
        self.conditions = QLabel()
        self.conditions.setWordWrap(True)
        self.conditions.setAlignment(Qt.AlignmentFlag.AlignTop)
        rl.addWidget(self.conditions, 1)
        entry_buttons = QHBoxLayout()
        self.edit_entry = button(_("Edit entry"), lambda: self.act("edit_entry"))
        self.remove_entry = button(_("Remove from register…"), lambda: self.act("remove_entry"))
        entry_buttons.addWidget(self.edit_entry)
        entry_buttons.addWidget(self.remove_entry)
        entry_buttons.addStretch(1)
        rl.addLayout(entry_buttons)
        self.registers.selectionModel().currentRowChanged.connect(self._entry_selected)
        self.tabs.addTab(reg_tab, _("Registers"))
        self._titles.append(_("Registers"))

        self._tab(
            "check_ins",
            _("Check-ins"),
            empty=_("No check-ins recorded. Ctrl+K records one."),
            columns=[
                Column("at", N_("When"), lambda c: fmt_datetime(c.at)),
                Column("kind", N_("How"), lambda c: label(CheckInKind, c.kind)),
                Column("result", N_("Result"), lambda c: label(CheckInResult, c.result)),
                Column("notes", N_("Notes"), lambda c: c.notes),
            ],
            alert=lambda c: c.result == "violation",
            sort_value={"at": lambda c: c.at},
        )
        self._tab(
            "violations",
            _("Violations"),
            empty=_("No violations recorded."),
            columns=[
                Column("at", N_("When"), lambda v: fmt_datetime(v.at)),
                Column("what", N_("What was broken"), lambda v: v.what),
                Column(
                    "outcome", N_("What followed"), lambda v: label(ViolationOutcome, v.outcome)
                ),
                Column("notes", N_("Notes"), lambda v: v.notes),
            ],
            sort_value={"at": lambda v: v.at},
        )
        self._tab(
            "visits",
            _("Visits"),
            empty=_("Not met on any visit yet. Ctrl+R records a visit."),
            columns=[
                Column("at", N_("When"), lambda v: fmt_datetime(v.visited_at)),
                Column("purpose", N_("Purpose"), lambda v: label(VisitPurpose, v.purpose)),
                Column("visitor", N_("Visited by"), lambda v: v.visitor_name),
                Column("findings", N_("Findings"), lambda v: v.findings),
                Column("measures", N_("Measures taken"), lambda v: v.measures),
            ],
            sort_value={"at": lambda v: v.visited_at},
        )
        self._tab(
            "disputes",
            _("Disputes"),
            empty=_("Not a party to any family dispute."),
            columns=[
                Column("at", N_("Reported"), lambda d: fmt_datetime(d[0].reported_at)),
                Column("role", N_("Role"), lambda d: label(PartyRole, d[1])),
                Column("nature", N_("Nature"), lambda d: label(DisputeNature, d[0].nature)),
                Column("status", N_("Status"), lambda d: label(DisputeStatus, d[0].status)),
                Column("description", N_("Description"), lambda d: d[0].description),
            ],
            row_id=lambda d: d[0].id,
            sort_value={"at": lambda d: d[0].reported_at},
        )
        self._tab(
            "orders",
            _("Orders"),
            empty=_("No protection orders."),
            columns=[
                Column("number", N_("Number"), lambda o: o.number),
                Column(
                    "role",
                    N_("Role"),
                    lambda o: (
                        _("protected")
                        if o.protected_person_id == self.person_id
                        else _("respondent")
                    ),
                ),
                Column("from", N_("From"), lambda o: fmt_date(o.start_date)),
                Column("until", N_("Until"), lambda o: fmt_date(o.end_date)),
                Column("status", N_("Status"), lambda o: label(OrderStatus, o.status)),
            ],
            sort_value={"from": lambda o: o.start_date, "until": lambda o: o.end_date},
        )
        self._tab(
            "measures",
            _("Measures"),
            empty=_("No preventive measures. Ctrl+M records one."),
            columns=[
                Column("on", N_("Date"), lambda m: fmt_date(m.on)),
                Column("kind", N_("Measure"), lambda m: label(MeasureKind, m.kind)),
                Column("subject", N_("Subject"), lambda m: m.subject),
                Column("place", N_("Place"), lambda m: m.place),
            ],
            sort_value={"on": lambda m: m.on},
        )
        self._tab(
            "offences",
            _("Offences"),
            empty=_("No administrative offence cases."),
            columns=[
                Column("at", N_("Drawn up"), lambda o: fmt_datetime(o.drawn_up_at)),
                Column("article", N_("Article"), lambda o: o.article),
                Column("substance", N_("Substance"), lambda o: o.substance),
            ],
            sort_value={"at": lambda o: o.drawn_up_at},
        )
        self._tab(
            "documents",
            _("Documents"),
            empty=_("No documents issued."),
            columns=[
                Column("number", N_("Number"), lambda d: d.number),
                Column("kind", N_("Document"), lambda d: label(DocumentKind, d.kind)),
                Column("issued", N_("Issued"), lambda d: fmt_datetime(d.issued_at)),
            ],
            sort_value={"issued": lambda d: d.issued_at},
        )
        # Several documents can be chosen and printed in one go (Print selected documents).
        self.tables["documents"].setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self._tab(
            "history",
            _("History"),
            empty=_("Nothing recorded yet."),
            columns=[
                Column("at", N_("When"), lambda a: fmt_datetime(a.at)),
                Column("user", N_("User"), lambda a: a.user_login),
                Column("action", N_("Action"), lambda a: _(ACTION_NAMES.get(a.action, a.action))),
                Column("record", N_("Record"), lambda a: table_name(a.table_name)),
                Column("details", N_("Details"), lambda a: _details(a.table_name, a.details)),
            ],
            sort_value={"at": lambda a: a.at},
        )

    # --- loading -------------------------------------------------------------------

    def load(self, person_id: uuid.UUID | None) -> None:
        self._requested = person_id
        if person_id is None:
            self.show_card(None)
            return
        reg = self.ctx.reg
        started = time.perf_counter()

        def done(card: PersonCard) -> None:
            if self._requested != person_id:
                return  # the user moved on to another person meanwhile
            self.show_card(card)
            self.load_ms = (time.perf_counter() - started) * 1000

        def failed(exc: BaseException) -> None:
            if isinstance(exc, NotFoundError) and self._requested == person_id:
                self.show_card(None)
            elif self._requested == person_id:
                ops.show_failure(self, exc)

        ops.Op(self, lambda: person_card(reg, person_id), name="person_card").success(done).failure(
            failed
        ).run()

    def reload(self) -> None:
        if self.person_id is not None:
            self.load(self.person_id)

    def show_card(self, card: PersonCard | None) -> None:
        self.card = card
        self.person_id = card.person.id if card else None
        self.empty.setVisible(card is None)
        self.body.setVisible(card is not None)
        if card is None:
            return
        p = card.person
        self.name.setText(full_name(p))
        born = fmt_date(p.birth_date)
        if p.birth_date:
            age = (today_local() - p.birth_date).days // 365
            born = _("{date} ({age} y.), {sex}").format(date=born, age=age, sex=label(Sex, p.sex))
        address = ", ".join(
            x
            for x in (
                p.makhalla,
                p.street,
                p.house and p.house,
                p.flat and _("flat {flat}").format(flat=p.flat),
            )
            if x
        )
        active = [e for e in card.registers if e.status == "active"]
        regs = "; ".join(
            f"{label(RegisterCategory, e.category)} ({label(RiskLevel, e.risk_level)})"
            for e in active
        )
        values = {
            "born": born,
            "pinfl": p.pinfl or "—",
            "passport": p.passport or "—",
            "phone": ", ".join(x for x in (p.phone, p.phone2) if x) or "—",
            "address": address or "—",
            "workplace": p.workplace or "—",
            "registers": regs or _("not on any register"),
            "notes": p.notes or "—",
        }
        for key, text in values.items():
            self.facts[key].setText(text)
        data = {
            "registers": card.registers,
            "check_ins": card.check_ins,
            "violations": card.violations,
            "visits": card.visits,
            "disputes": card.disputes,
            "orders": card.orders,
            "measures": card.measures,
            "offences": card.offences,
            "documents": card.documents,
            "history": card.history,
        }
        for i, key in enumerate(
            [
                "registers",
                "check_ins",
                "violations",
                "visits",
                "disputes",
                "orders",
                "measures",
                "offences",
                "documents",
                "history",
            ]
        ):
            rows = data[key]
            self.tables[key].source.set_rows(rows)
            if key in self.holders:
                self.holders[key].show_list(bool(rows))
            self.tabs.setTabText(i, f"{self._titles[i]} ({len(rows)})" if rows else self._titles[i])
        if card.registers:
            self.registers.selectRow(0)
        self._entry_selected()
        self.buttons["check_in"].setEnabled(bool(active))
        self.buttons["violation"].setEnabled(bool(active))
        self.card_loaded.emit(card)

    def _entry_selected(self, *_args: Any) -> None:
        e = self.registers.current_record()
        self.edit_entry.setEnabled(e is not None)
        self.remove_entry.setEnabled(e is not None and e.status != "removed")
        if e is None:
            self.conditions.setText(
                _("Not on any register. Ctrl+Shift+R adds an entry.")
                if self.card is not None and not self.card.registers
                else ""
            )
            return
        parts = []
        if e.conditions:
            parts.append(_("Conditions:") + "\n" + e.conditions)
        if e.status == "removed":
            parts.append(
                _("Removed on {date}: {reason}").format(
                    date=fmt_date(e.removal_date), reason=e.removal_reason
                )
            )
        self.conditions.setText("\n".join(parts))

    # --- actions -------------------------------------------------------------------

    def printable(self) -> tuple[str, Any]:
        """What Ctrl+P prints: the document of the row chosen in the open tab, if that row
        is one (a visit, a talk or warning, an order, an offence), else the supervision card."""
        from ui.printing import PRINTABLE_MEASURES

        assert self.card is not None
        tab = self.tabs.currentIndex()
        key = [
            "registers",
            "check_ins",
            "violations",
            "visits",
            "disputes",
            "orders",
            "measures",
            "offences",
            "documents",
            "history",
        ][tab]
        row = self.tables[key].current_record() if key in self.tables else None
        if row is not None:
            if key == "visits":
                return "visit-act", row.id
            if key == "measures" and row.kind in PRINTABLE_MEASURES:
                return PRINTABLE_MEASURES[row.kind], row.id
            if key == "orders":
                return "protection-order", row.id
            if key == "offences":
                return "offence-protocol", row.id
        return "supervision-card", self.card.person.id

    def selected_document_ids(self) -> list[Any]:
        from ui.widgets.paged_model import ROW_ROLE

        table = self.tables["documents"]
        rows = table.selectionModel().selectedRows() if table.selectionModel() else []
        return [table.model().data(i, ROW_ROLE).id for i in sorted(rows, key=lambda i: i.row())]

    def act(self, key: str) -> None:
        """Open the form for ``key``; the window owns the forms (ui/main_window.py)."""
        if self.card is None or self.ctx.window is None:
            return
        if key == "print":
            self.ctx.window.print_current()
            return
        if key == "merge":
            MergeDialog(self.ctx, self.card.person, self).open()
            return
        if key == "print_selected":
            from ui import printing

            ids = self.selected_document_ids()
            if not ids:
                from ui import seams

                seams.show_info(
                    self,
                    _(
                        "Choose the documents on the Documents tab first "
                        "(Ctrl+click or Shift+click for several)."
                    ),
                )
                return
            printing.print_several(self.ctx, self, ids)
            return
        self.ctx.window.card_action(key, self.card, self.registers.current_record())
