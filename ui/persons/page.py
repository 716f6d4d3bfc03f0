"""The Persons screen: search box, filters, the paged table and the card beside it.

Typing filters as you type (after a short pause, so a fast typist does not start ten
searches); arrow keys move through the table and the card follows. Columns (order, width,
hidden ones) and the splitter are remembered per user.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QMenu, QWidget

from app.domain.enums import EntryStatus, RegisterCategory, RiskLevel
from app.i18n import N_, _, ngettext
from app.services import ui_queries
from app.services.base import has_permission
from app.services.queries import PersonFilter
from ui import ops, transfer
from ui.persons.card import PersonCardView
from ui.persons.list_model import PersonQuery, PersonTableModel
from ui.widgets.common import Context, button
from ui.widgets.form import ChoiceBox, enum_choices
from ui.widgets.list_page import PagedListPage

log = logging.getLogger(__name__)


class PersonsPage(PagedListPage):
    key = "persons"
    nav_title = N_("Persons")
    tables = (
        "person",
        "register_entry",
        "check_in",
        "violation",
        "household_visit",
        "visit_person",
        "family_dispute",
        "dispute_party",
        "protection_order",
        "preventive_measure",
        "citizen_contribution",
        "household_member",
        "issued_document",
        "offence_case",
    )
    split_sizes = (600, 560)
    model: PersonTableModel

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.new_button = button(_("New person"), self.new_item, tip=_("New person (Ctrl+N)"))
        self.import_button = button(
            _("Import…"), self.import_file, tip=_("Persons from an .xlsx or .csv file")
        )
        if not has_permission(ctx.reg, "import"):
            self.import_button.hide()
        self.export_button = transfer.export_button(
            ctx, self, "persons", _("The persons to an .xlsx or .csv file")
        )
        self.add_head(self.import_button, self.export_button, self.new_button)

        filters = self.filter_bar(
            _("Search: name in any script, PINFL, passport, phone (Ctrl+F)"), 4
        )
        self.search.returnPressed.connect(self._focus_table)
        self.category = ChoiceBox(enum_choices(RegisterCategory), empty=_("Any register"))
        self.status = ChoiceBox(enum_choices(EntryStatus), empty=_("Any status"))
        self.risk = ChoiceBox(enum_choices(RiskLevel), empty=_("Any risk"))
        self.makhalla = ChoiceBox([], empty=_("Any makhalla"))
        self.on_register = QCheckBox(_("On a register"))
        for w, tip in (
            (self.category, _("Register category")),
            (self.status, _("Status of the register entry")),
            (self.risk, _("Risk level")),
            (self.makhalla, _("Makhalla")),
        ):
            w.setToolTip(tip)
            w.setMaximumWidth(230 if w is self.category else 150)
            # Narrower than its longest choice when the window is (the open list shows
            # them whole), so the screen fits a window 1,024 px wide.
            w.setMinimumWidth(90)
            w.currentIndexChanged.connect(self.apply_filter)
            filters.addWidget(w)
        self.on_register.toggled.connect(self.apply_filter)
        filters.addWidget(self.on_register)
        self.layout_.addLayout(filters)

        self.model = PersonTableModel(ctx.reg, self)
        widths = {
            "name": 228,
            "birth_date": 86,
            "pinfl": 126,
            "registers": 220,
            "risk": 70,
            "passport": 96,
            "phone": 120,
            "address": 180,
            "makhalla": 120,
        }
        table = self.add_table(
            "personsTable", [widths.get(col.key, 120) for col in self.model.columns]
        )
        header = table.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        for key in ("risk", "passport", "phone", "address", "makhalla"):
            header.setSectionHidden(self._column(key), True)
        self.remember_columns()
        table.activated.connect(lambda _i: self.card.setFocus())

        self.card = PersonCardView(ctx)
        self.card.install_shortcuts(self)
        self.add_split(self.card)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 6)
        self._makhallas_loaded = False

    # --- columns ---------------------------------------------------------------------

    def _column(self, key: str) -> int:
        return next(i for i, c in enumerate(self.model.columns) if c.key == key)

    def _header_menu(self, pos: Any) -> None:
        header = self.table.horizontalHeader()
        menu = QMenu(self)
        for i, col in enumerate(self.model.columns):
            act = QAction(_(col.header), menu, checkable=True)
            act.setChecked(not header.isSectionHidden(i))
            act.setEnabled(i != 0)
            act.toggled.connect(
                lambda on, i=i: (header.setSectionHidden(i, not on), self._save_columns())
            )
            menu.addAction(act)
        menu.popup(header.mapToGlobal(pos))

    # --- filtering -------------------------------------------------------------------

    def query(self) -> PersonQuery:
        f = PersonFilter(
            category=self.category.code() or None,
            status=self.status.code() or None,
            risk=self.risk.code() or None,
            makhalla=self.makhalla.code() or None,
            on_register=True if self.on_register.isChecked() else None,
        )
        return PersonQuery(self.search.text(), f)

    def reload(self) -> None:
        if not self._makhallas_loaded:
            self._makhallas_loaded = True
            ops.Op(self, lambda: ui_queries.makhallas(self.reg)).success(
                lambda names: self.makhalla.set_choices((n, n) for n in names)
            ).run()
        super().reload()

    def count_text(self, total: int) -> str:
        return ngettext("{n} person", "{n} persons", total).format(n=total)

    def filtered(self) -> bool:
        return (
            bool(self.search.text().strip())
            or any(w.code() for w in (self.category, self.status, self.risk, self.makhalla))
            or self.on_register.isChecked()
        )

    def empty_text(self) -> str:
        if self.filtered():
            return _(
                "Nobody matches. Check the spelling or clear the filters; press Ctrl+N "
                "to add a new person."
            )
        return _(
            "The register has no persons yet. Press Ctrl+N to add the first one, or "
            "import a list with 'tayanch import persons'."
        )

    def _focus_table(self) -> None:
        if self.model.total:
            self.table.setFocus()
            if not self.table.currentIndex().isValid():
                self._select_row(0)

    # --- page API --------------------------------------------------------------------

    def open_person(self, person_id: uuid.UUID) -> None:
        """Show a person's card (from Today, a dispute, a search elsewhere)."""
        self.show_record(person_id)

    def import_file(self) -> None:
        transfer.open_import(self.ctx, self)

    def new_item(self) -> None:
        from ui import actions

        actions.new_person(self.ctx, self, on_saved=lambda rec: self.open_person(rec.id))

    def print_current(self) -> bool:
        """Ctrl+P: the row chosen in the card's tab if it is a document, else the card."""
        from ui import printing

        card = self.card.card
        if card is None:
            return False
        kind, rid = self.card.printable()
        printing.print_record(self.ctx, self, kind, rid)
        return True

    def state(self) -> dict[str, Any]:
        return {"person": self.card.person_id}

    def set_text_filter(self, text: str) -> None:
        self.search.setText(text)
        self.apply_filter()

    def clear_filters(self) -> None:
        for w in (self.category, self.status, self.risk, self.makhalla):
            w.blockSignals(True)
            w.set_code("")
            w.blockSignals(False)
        self.on_register.setChecked(False)
        self.search.clear()
        self.apply_filter()
