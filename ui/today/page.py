"""Today: what needs doing now, each item one Enter away from the record it is about.

Sections come from ``app.services.today`` (the rules are written there). Each section is a
small card with its count, a list and the one or two actions that finish the item: record
the overdue check-in, record the visit, mark the report examined. When an item is done, the
hub's change signal reloads the page and the item leaves it.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.domain.enums import DisputeNature
from app.i18n import N_, _, ngettext
from app.services import today as today_service
from app.services.today import Today, TodayItem, TodaySection
from ui import ops, style
from ui.format import fmt_date, label, short_category
from ui.widgets.common import Context, Page, button, muted_label, title_label
from ui.widgets.paged_model import Column
from ui.widgets.record_table import RecordTable, RecordTableModel

log = logging.getLogger(__name__)

VISIBLE_ROWS = 6  # a section shows this many rows and scrolls for more


def _late(days: int) -> str:
    return ngettext("{n} day late", "{n} days late", days).format(n=days)


def _left(days: int) -> str:
    if days == 0:
        return _("today")
    return ngettext("in {n} day", "in {n} days", days).format(n=days)


def _hours_late(hours: int) -> str:
    return ngettext("{n} hour late", "{n} hours late", hours).format(n=hours)


def _last_visit(item: TodayItem) -> str:
    return (
        _("last visit {date}").format(date=fmt_date(item.due)) if item.due else _("never visited")
    )


SECTIONS: dict[str, dict[str, Any]] = {
    today_service.OVERDUE_CHECKINS: dict(
        title=N_("Overdue check-ins"),
        empty=N_("Every person on a register has been checked in time."),
        columns=[
            Column("name", N_("Person"), lambda i: i.title),
            Column("code", N_("Register"), lambda i: short_category(i.code)),
            Column("late", N_("Due"), lambda i: f"{fmt_date(i.due)}, {_late(i.days)}"),
        ],
    ),
    today_service.ORDERS_ENDING: dict(
        title=N_("Protection orders ending within 7 days"),
        empty=N_("No protection order ends this week."),
        columns=[
            Column("name", N_("Protected person"), lambda i: i.title),
            Column("number", N_("Order"), lambda i: i.code),
            Column("ends", N_("Ends"), lambda i: f"{fmt_date(i.due)}, {_left(i.days)}"),
        ],
    ),
    today_service.DISPUTES_LATE: dict(
        title=N_("Dispute reports not examined within 24 hours"),
        empty=N_("Every dispute report was examined in time."),
        columns=[
            Column("name", N_("Applicant"), lambda i: i.title),
            Column("nature", N_("Nature"), lambda i: label(DisputeNature, i.code)),
            Column("late", N_("Late by"), lambda i: _hours_late(i.days)),
        ],
    ),
    today_service.DISPUTES_PENDING: dict(
        title=N_("Dispute reports to examine"),
        empty=N_("No report is waiting to be examined."),
        columns=[
            Column("name", N_("Applicant"), lambda i: i.title),
            Column("nature", N_("Nature"), lambda i: label(DisputeNature, i.code)),
            Column(
                "left",
                N_("Time left"),
                lambda i: ngettext("{n} hour left", "{n} hours left", max(-i.days, 0)).format(
                    n=max(-i.days, 0)
                ),
            ),
        ],
    ),
    today_service.ENTRIES_ENDING: dict(
        title=N_("Register entries ending this month"),
        empty=N_("No register entry ends this month."),
        columns=[
            Column("name", N_("Person"), lambda i: i.title),
            Column("code", N_("Register"), lambda i: short_category(i.code)),
            Column("ends", N_("Ends"), lambda i: fmt_date(i.due)),
        ],
    ),
    today_service.CONFLICT_VISITS: dict(
        title=N_("Conflict families due a visit"),
        empty=N_("Every conflict family was visited in time."),
        columns=[
            Column("address", N_("Household"), lambda i: i.title),
            Column("head", N_("Head"), lambda i: i.other),
            Column("last", N_("Last visit"), _last_visit),
        ],
    ),
    today_service.HOUSEHOLDS_UNVISITED: dict(
        title=N_("Households not visited this quarter"),
        empty=N_("Every household was visited this quarter."),
        columns=[
            Column("address", N_("Household"), lambda i: i.title),
            Column("head", N_("Head"), lambda i: i.other),
            Column("last", N_("Last visit"), _last_visit),
        ],
    ),
}


class SectionCard(QFrame):
    activated = Signal(object)  # TodayItem
    action = Signal(str, object)  # action key, TodayItem

    def __init__(
        self, kind: str, actions: list[tuple[str, str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        spec = SECTIONS[kind]
        style.role(self, "card")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        head = QHBoxLayout()
        self.title = QLabel(_(spec["title"]))
        style.role(self.title, "sectionTitle")
        # Long titles (Russian) wrap instead of pushing the card past the screen's edge.
        self.title.setWordWrap(True)
        head.addWidget(self.title, 1)
        self.badge = QLabel("0")
        style.role(self.badge, "badgeQuiet")
        self.badge.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        head.addWidget(self.badge)
        lay.addLayout(head)
        self.note = muted_label()
        self.note.hide()
        lay.addWidget(self.note)
        self.model = RecordTableModel(
            spec["columns"], self, row_id=lambda i: (i.table, i.record_id)
        )
        self.table = RecordTable(self.model, sortable=False)
        self.table.setObjectName(f"today_{kind}")
        self.table.horizontalHeader().hide()
        self.table.activated.connect(self._activated)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        # Names and registers share the width (eliding when long); the date column fits.
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header.setResizeContentsPrecision(VISIBLE_ROWS * 4)  # sample, do not measure 200
        lay.addWidget(self.table)
        self.empty = muted_label("✓ " + _(spec["empty"]))
        self.empty.hide()
        lay.addWidget(self.empty)
        row = QHBoxLayout()
        self.buttons = {}
        open_b = button(_("Open"), lambda: self._act("open"), tip=_("Open (Enter)"))
        row.addWidget(open_b)
        self.buttons["open"] = open_b
        for key, text in actions:
            b = button(text, lambda _c=False, k=key: self._act(k))
            row.addWidget(b)
            self.buttons[key] = b
        row.addStretch(1)
        lay.addLayout(row)
        lay.addStretch(1)  # a short card beside a tall one keeps its lines together

    def set_section(self, section: TodaySection) -> None:
        self.model.set_rows(section.items)
        self.badge.setText(str(section.total))
        style.role(self.badge, "badge" if section.total else "badgeQuiet")
        if section.total > len(section.items):
            self.note.setText(
                _("Showing the first {shown} of {total}.").format(
                    shown=len(section.items), total=section.total
                )
            )
            self.note.show()
        else:
            self.note.hide()
        has = bool(section.items)
        self.empty.setText("✓ " + _(SECTIONS[self.kind]["empty"]))
        self.table.setVisible(has)
        self.empty.setVisible(not has)
        for b in self.buttons.values():
            b.setVisible(has)
        rows = min(len(section.items), VISIBLE_ROWS)
        self.table.setFixedHeight(
            rows * self.table.verticalHeader().defaultSectionSize() + 2 * self.table.frameWidth()
        )
        if has and not self.table.currentIndex().isValid():
            self.table.selectRow(0)

    def show_loading(self) -> None:
        self.table.hide()
        self.empty.setText(_("Counting…"))
        self.empty.show()
        for b in self.buttons.values():
            b.hide()

    def current(self) -> TodayItem | None:
        return self.table.current_record()

    def _activated(self, _index: Any) -> None:
        item = self.current()
        if item is not None:
            self.activated.emit(item)

    def _act(self, key: str) -> None:
        item = self.current()
        if item is None:
            return
        if key == "open":
            self.activated.emit(item)
        else:
            self.action.emit(key, item)


class TodayPage(Page):
    key = "today"
    nav_title = N_("Today")
    counts_changed = Signal(int)

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _(self.nav_title)
        head = QHBoxLayout()
        self.heading = title_label(self.title)
        head.addWidget(self.heading)
        self.summary = muted_label()
        head.addWidget(self.summary, 1)
        head.addWidget(button(_("Refresh"), self.reload, tip=_("Refresh (F5)")))
        self.layout_.addLayout(head)
        self.today: Today | None = None
        self.households: TodaySection | None = None
        actions = {
            today_service.OVERDUE_CHECKINS: [
                ("check_in", _("Check-in")),
                ("visit", _("Record visit")),
            ],
            today_service.ORDERS_ENDING: [("extend", _("Extend…"))],
            today_service.DISPUTES_LATE: [("examined", _("Mark examined"))],
            today_service.DISPUTES_PENDING: [("examined", _("Mark examined"))],
            today_service.ENTRIES_ENDING: [],
            today_service.CONFLICT_VISITS: [("visit", _("Record visit"))],
            today_service.HOUSEHOLDS_UNVISITED: [("visit", _("Record visit"))],
        }
        grid_host = QWidget()
        grid = QGridLayout(grid_host)
        grid.setContentsMargins(0, 0, 4, 0)
        grid.setSpacing(10)
        self.cards: dict[str, SectionCard] = {}
        order = [
            today_service.OVERDUE_CHECKINS,
            today_service.DISPUTES_LATE,
            today_service.ORDERS_ENDING,
            today_service.DISPUTES_PENDING,
            today_service.CONFLICT_VISITS,
            today_service.ENTRIES_ENDING,
            today_service.HOUSEHOLDS_UNVISITED,
        ]
        for i, kind in enumerate(order):
            card = SectionCard(kind, actions[kind])
            card.activated.connect(self.open_item)
            card.action.connect(self.item_action)
            self.cards[kind] = card
            if kind == today_service.HOUSEHOLDS_UNVISITED:
                grid.addWidget(card, i // 2, 0, 1, 2)
            else:
                grid.addWidget(card, i // 2, i % 2)
        grid.setRowStretch(len(order) // 2 + 1, 1)
        for col in (0, 1):
            grid.setColumnStretch(col, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(grid_host)
        self.layout_.addWidget(scroll, 1)

    def reload(self) -> None:
        reg = self.reg

        self._generation = getattr(self, "_generation", 0) + 1
        gen = self._generation
        if self.households is None:
            self.cards[today_service.HOUSEHOLDS_UNVISITED].show_loading()
        # The urgent sections first; the quarter's households (which read every visit of
        # the quarter) follow in a second step, so the screen is usable at once.
        ops.Op(self, lambda: today_service.today(reg, households=False), name="today").success(
            lambda t: self._show(t) if gen == self._generation else None
        ).run()
        ops.Op(self, lambda: today_service.unvisited(reg), name="today_households").success(
            lambda r: self._show_households(*r) if gen == self._generation else None
        ).run()

    def _show_households(self, section: TodaySection, streets: tuple[tuple[str, int], ...]) -> None:
        self.households = section
        card = self.cards[today_service.HOUSEHOLDS_UNVISITED]
        card.set_section(section)
        if streets:
            # "Bunyodkor koʻchasi (101)": a count in brackets, not read as a house number.
            top = ", ".join(
                f"{street} ({n})" for street, n in sorted(streets, key=lambda x: -x[1])[:6]
            )
            card.note.setText(
                _("By street: {list}").format(list=top)
                + ("\n" + card.note.text() if card.note.isVisible() else "")
            )
            card.note.show()
        if self.today is not None:
            self.today.sections[today_service.HOUSEHOLDS_UNVISITED] = section

    def _show(self, t: Today) -> None:
        self.today = t
        if self.households is not None:
            t.sections[today_service.HOUSEHOLDS_UNVISITED] = self.households
        self.heading.setText(_("Today, {date}").format(date=fmt_date(t.on)))
        urgent = sum(
            t.section(k).total
            for k in (
                today_service.OVERDUE_CHECKINS,
                today_service.ORDERS_ENDING,
                today_service.DISPUTES_LATE,
                today_service.CONFLICT_VISITS,
            )
        )
        self.summary.setText(
            ngettext("{n} urgent item", "{n} urgent items", urgent).format(n=urgent)
            if urgent
            else _("Nothing urgent.")
        )
        for kind, card in self.cards.items():
            if kind != today_service.HOUSEHOLDS_UNVISITED:
                card.set_section(t.section(kind))
        self.counts_changed.emit(urgent)

    # --- items ---------------------------------------------------------------------

    def open_item(self, item: TodayItem) -> None:
        w = self.ctx.window
        if w is None:
            return
        if item.table == "register_entry" and item.person_id:
            w.open_person(item.person_id)
        elif item.table == "protection_order":
            w.open_order(item.record_id)
        elif item.table == "family_dispute":
            w.open_dispute(item.record_id)
        elif item.table == "household":
            w.open_household(item.record_id)

    def item_action(self, key: str, item: TodayItem) -> None:
        from ui import actions

        w = self.ctx.window
        if key == "visit":
            actions.record_visit(
                self.ctx,
                self,
                household_id=item.household_id,
                person_id=item.person_id if item.table == "register_entry" else None,
                purpose="supervision" if item.table == "register_entry" else None,
            )
        elif key == "check_in" and w is not None:
            w.open_person(item.person_id, then="check_in")
        elif key == "examined":
            from app.services.disputes import disputes
            from ui.disputes.forms import mark_examined

            reg = self.reg
            actions.after_write(
                self.ctx,
                self,
                lambda: mark_examined(reg, disputes.get(reg, item.record_id)),
                ("family_dispute",),
            )
        elif key == "extend" and w is not None:
            w.open_order(item.record_id, then="extend")

    def loaded(self) -> bool:
        """Both steps are in: the urgent sections and the quarter's households."""
        return (
            self.today is not None
            and self.households is not None
            and today_service.HOUSEHOLDS_UNVISITED in self.today.sections
        )

    def card_for(self, kind: str) -> SectionCard:
        return self.cards[kind]
