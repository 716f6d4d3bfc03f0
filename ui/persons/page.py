"""The Persons screen: search box, filters, the paged table and the card beside it.

Typing filters as you type (after a short pause, so a fast typist does not start ten
searches); arrow keys move through the table and the card follows. Columns (order, width,
hidden ones) and the splitter are remembered per user.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from PySide6.QtCore import QByteArray, QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.enums import EntryStatus, RegisterCategory, RiskLevel
from app.i18n import N_, _, ngettext
from app.services import ui_queries
from app.services.queries import PersonFilter
from ui import ops
from ui.persons.card import PersonCardView
from ui.persons.list_model import PersonQuery, PersonTableModel
from ui.widgets.common import Context, ListOrEmpty, Page, button, muted_label, title_label
from ui.widgets.form import ChoiceBox, enum_choices

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 250
CARD_DELAY_MS = 60


class PersonsPage(Page):
    key = "persons"
    nav_title = N_("Persons")
    tables = ("person", "register_entry", "check_in", "violation", "household_visit",
              "visit_person", "family_dispute", "dispute_party", "protection_order",
              "preventive_measure", "citizen_contribution", "household_member",
              "issued_document", "offence_case")

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _(self.nav_title)
        head = QHBoxLayout()
        head.addWidget(title_label(self.title))
        self.count_label = muted_label()
        head.addWidget(self.count_label, 1)
        self.new_button = button(_("New person"), self.new_item, tip=_("New person (Ctrl+N)"))
        head.addWidget(self.new_button)
        self.layout_.addLayout(head)

        filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText(_("Search: name in any script, PINFL, passport, phone "
                                         "(Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._schedule)
        self.search.returnPressed.connect(self._focus_table)
        filters.addWidget(self.search, 4)
        self.category = ChoiceBox(enum_choices(RegisterCategory), empty=_("Any register"))
        self.status = ChoiceBox(enum_choices(EntryStatus), empty=_("Any status"))
        self.risk = ChoiceBox(enum_choices(RiskLevel), empty=_("Any risk"))
        self.makhalla = ChoiceBox([], empty=_("Any makhalla"))
        self.on_register = QCheckBox(_("On a register"))
        for w, tip in ((self.category, _("Register category")), (self.status,
                       _("Status of the register entry")), (self.risk, _("Risk level")),
                       (self.makhalla, _("Makhalla"))):
            w.setToolTip(tip)
            w.setMaximumWidth(230 if w is self.category else 150)
            w.currentIndexChanged.connect(self.apply_filter)
            filters.addWidget(w, 1)
        self.on_register.toggled.connect(self.apply_filter)
        filters.addWidget(self.on_register)
        self.layout_.addLayout(filters)

        self.model = PersonTableModel(ctx.reg, self)
        self.table = QTableView()
        self.table.setObjectName("personsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self._default_widths()
        self._restore_columns()
        for sig in (header.sectionResized, header.sectionMoved):
            sig.connect(self._save_columns)
        header.sortIndicatorChanged.connect(lambda *_a: self._save_columns())
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.activated.connect(lambda _i: self.card.setFocus())
        self.model.loaded.connect(self._loaded)
        self.model.page_loaded.connect(lambda _p: self._row_changed())

        self.list = ListOrEmpty(self.table, "")
        self.card = PersonCardView(ctx)
        self.card.install_shortcuts(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.list)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.card)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 6)
        state = ctx.settings.splitter_state("persons")
        if state:
            self.splitter.restoreState(QByteArray(state))
        else:
            self.splitter.setSizes([600, 560])
        self.splitter.splitterMoved.connect(lambda *_a: ctx.settings.set_splitter_state(
            "persons", bytes(self.splitter.saveState().data())))
        self.layout_.addWidget(self.splitter, 1)

        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filter)
        self._card_timer = QTimer(self, singleShot=True, interval=CARD_DELAY_MS)
        self._card_timer.timeout.connect(self._show_current)
        self._want: uuid.UUID | None = None
        self._makhallas_loaded = False

    # --- columns ---------------------------------------------------------------------

    def _default_widths(self) -> None:
        widths = {"name": 228, "birth_date": 86, "pinfl": 126, "registers": 220, "risk": 70,
                  "passport": 96, "phone": 120, "address": 180, "makhalla": 120}
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for i, col in enumerate(self.model.columns):
            header.resizeSection(i, widths.get(col.key, 120))
        for key in ("risk", "passport", "phone", "address", "makhalla"):
            header.setSectionHidden(self._column(key), True)

    def _column(self, key: str) -> int:
        return next(i for i, c in enumerate(self.model.columns) if c.key == key)

    def _restore_columns(self) -> None:
        state = self.ctx.settings.column_state("persons")
        if state:
            self.table.horizontalHeader().restoreState(QByteArray(state))

    def _save_columns(self, *_args: Any) -> None:
        state = self.table.horizontalHeader().saveState()
        self.ctx.settings.set_column_state("persons", bytes(state.data()))

    def _header_menu(self, pos: Any) -> None:
        header = self.table.horizontalHeader()
        menu = QMenu(self)
        for i, col in enumerate(self.model.columns):
            act = QAction(_(col.header), menu, checkable=True)
            act.setChecked(not header.isSectionHidden(i))
            act.setEnabled(i != 0)
            act.toggled.connect(lambda on, i=i: (header.setSectionHidden(i, not on),
                                                 self._save_columns()))
            menu.addAction(act)
        menu.popup(header.mapToGlobal(pos))

    # --- filtering -------------------------------------------------------------------

    def query(self) -> PersonQuery:
        f = PersonFilter(category=self.category.code() or None,
                         status=self.status.code() or None, risk=self.risk.code() or None,
                         makhalla=self.makhalla.code() or None,
                         on_register=True if self.on_register.isChecked() else None)
        return PersonQuery(self.search.text(), f)

    def _schedule(self, *_args: Any) -> None:
        self._search_timer.start()

    def apply_filter(self, *_args: Any) -> None:
        self._search_timer.stop()
        self._want = None  # a new list: the card follows its first row
        self.model.set_query(self.query())

    def reload(self) -> None:
        if not self._makhallas_loaded:
            self._makhallas_loaded = True
            ops.Op(self, lambda: ui_queries.makhallas(self.reg)).success(self._fill_makhallas) \
                .run()
        self.model.query = self.query()
        self.model.reload()
        self.card.reload()

    def _fill_makhallas(self, names: list[str]) -> None:
        current = self.makhalla.code()
        self.makhalla.blockSignals(True)
        while self.makhalla.count() > 1:
            self.makhalla.removeItem(1)
        for name in names:
            self.makhalla.addItem(name, name)
        self.makhalla.set_code(current)
        self.makhalla.blockSignals(False)

    def _loaded(self, total: int) -> None:
        self.count_label.setText(ngettext("{n} person", "{n} persons", total).format(n=total))
        filtered = bool(self.search.text().strip()) or any(
            w.code() for w in (self.category, self.status, self.risk, self.makhalla)) or \
            self.on_register.isChecked()
        if filtered:
            self.list.set_empty_text(_("Nobody matches. Check the spelling or clear the "
                                       "filters; press Ctrl+N to add a new person."))
        else:
            self.list.set_empty_text(_("The register has no persons yet. Press Ctrl+N to add "
                                       "the first one, or import a list with 'tayanch import "
                                       "persons'."))
        self.list.show_list(total > 0)
        if total == 0:
            self.card.load(None)
            return
        row = self.model.row_of(self._want) if self._want else None
        if self._want is not None and row is None:
            return  # the wanted person is shown in the card though not in this list
        self._select_row(row if row is not None else 0)

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)

    def _row_changed(self, *_args: Any) -> None:
        self._card_timer.start()

    def _show_current(self) -> None:
        index = self.table.currentIndex()
        pid = self.model.id_at(index.row()) if index.isValid() else None
        if pid is not None and pid != self.card._requested:
            self._want = pid
            self.card.load(pid)

    def _focus_table(self) -> None:
        if self.model.total:
            self.table.setFocus()
            if not self.table.currentIndex().isValid():
                self._select_row(0)

    # --- page API --------------------------------------------------------------------

    def open_person(self, person_id: uuid.UUID) -> None:
        """Show a person's card (from Today, a dispute, a search elsewhere)."""
        self._want = person_id
        self.card.load(person_id)
        row = self.model.row_of(person_id)
        if row is not None:
            self.table.blockSignals(True)
            self._select_row(row)
            self.table.blockSignals(False)

    def focus_search(self) -> bool:
        self.search.setFocus()
        self.search.selectAll()
        return True

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


