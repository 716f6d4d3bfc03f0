"""Audit: who did what and when, for inspectors, filtered by user, person, action and date.

Everything comes from app.services.audit, which refuses anyone without ``view_audit``; the
window also hides the screen from them, so an assistant never meets a refusal here. The
list shows the newest ``LIMIT`` entries that match and says how many match in all, so a
register with years of history never loads everything at once.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtWidgets import QWidget

from app.i18n import N_, _, ngettext
from app.services import audit
from app.services.base import has_permission
from ui import ops, seams
from ui.audit.details import describe, table_name
from ui.format import fmt_datetime
from ui.widgets.common import Context, ListOrEmpty, Page, button, muted_label, title_label
from ui.widgets.fields import DateEdit
from ui.widgets.flow import flow_row, labelled
from ui.widgets.form import ChoiceBox
from ui.widgets.paged_model import Column
from ui.widgets.pickers import LookupEdit, person_lookup
from ui.widgets.record_table import RecordTable, RecordTableModel

log = logging.getLogger(__name__)

LIMIT = 500


def can_view(reg: Any) -> bool:
    return has_permission(reg, "view_audit")


class AuditPage(Page):
    key = "audit"
    nav_title = N_("Audit")
    tables = ("audit_entry",)

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _(self.nav_title)
        self.total = 0
        self.last_check: Any = None  # the last "Check the register" report
        self.layout_.addWidget(title_label(self.title))
        self.layout_.addWidget(
            muted_label(
                _(
                    "Every change and sign-in, in the order they happened. Entries cannot be "
                    "edited; “Check the register” finds an entry altered, removed or moved, "
                    "and an issued document changed after issue."
                )
            )
        )
        self.check_button = button(
            _("Check the register"),
            self.check_register,
            tip=_("The database, the audit chain and the issued documents (tayanch verify)"),
        )
        self.layout_.addWidget(flow_row(self.check_button))
        self.user = ChoiceBox([], empty=_("all users"))
        self.action = ChoiceBox([], empty=_("all actions"))
        for box in (self.user, self.action):
            # As wide as its "all ..." entry, not as the longest action; the open list
            # is as wide as its longest entry.
            box.setSizeAdjustPolicy(
                ChoiceBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            box.setMinimumContentsLength(max(20, len(box.itemText(0)) + 2))
        self.person = LookupEdit(person_lookup(ctx.reg), placeholder=_("any person"))
        self.person.setMinimumWidth(220)
        self.date_from = DateEdit()
        self.date_to = DateEdit()
        for w in (self.date_from, self.date_to):
            w.setMinimumWidth(w.fontMetrics().horizontalAdvance("00.00.00000") + 16)
        # Each filter beside its label; they go onto a second line when the window is
        # narrow or the labels long.
        self.layout_.addWidget(
            flow_row(
                labelled(_("User"), self.user),
                labelled(_("Action"), self.action),
                labelled(_("Person"), self.person),
                labelled(_("From"), self.date_from, _("to"), self.date_to),
                button(_("Show"), self.apply_filter),
                button(_("Clear"), self.clear_filters),
            )
        )
        self.count_label = muted_label()
        self.layout_.addWidget(self.count_label)
        self.table = RecordTable(
            RecordTableModel(
                [
                    Column("at", N_("When"), lambda e: fmt_datetime(e.at)),
                    Column("user", N_("User"), lambda e: e.user_login),
                    Column("action", N_("Action"), lambda e: audit.action_label(e.action)),
                    Column("record", N_("Record"), lambda e: table_name(e.table_name)),
                    Column("details", N_("Details"), lambda e: describe(e.table_name, e.details)),
                ],
                self,
            ),
            sortable=False,
        )
        self.table.setObjectName("auditTable")
        self.list = ListOrEmpty(self.table, _("No entries match. Clear the filters to see all."))
        self.layout_.addWidget(self.list, 1)
        for w in (self.user, self.action):
            w.currentIndexChanged.connect(self.apply_filter)
        self.person.chosen.connect(lambda _id: self.apply_filter())
        for w in (self.date_from, self.date_to):
            w.returnPressed.connect(self.apply_filter)
        self._choices_loaded = False
        self._generation = 0

    def focus_search(self) -> bool:
        self.person.setFocus()
        return True

    def current_filter(self) -> audit.AuditFilter | None:
        """The filter typed; None (and a sentence) when a date or person is not valid."""
        try:
            person = self.person.value()
        except ValueError:
            seams.show_error(self, _("Choose the person from the suggestions, or clear the field."))
            return None
        dates = []
        for w in (self.date_from, self.date_to):
            try:
                value = w.date_value()
            except ValueError:
                value = None
            if value is None and w.text().strip():
                seams.show_error(self, _("Type the date as dd.mm.yyyy, or clear the field."))
                return None
            dates.append(value)
        action = self.action.code()
        return audit.AuditFilter(
            user=self.user.code() or None,
            person_id=person,
            actions=(action,) if action else (),
            date_from=dates[0],
            date_to=dates[1],
        )

    def reload(self) -> None:
        if not can_view(self.reg):
            self.count_label.setText(_("Only an inspector may see the audit trail."))
            self.list.show_list(False)
            return
        if not self._choices_loaded:
            reg = self.reg
            ops.Op(self, lambda: audit.filter_choices(reg)).success(self._choices).run()
        self.apply_filter()

    def _choices(self, result: tuple[list[str], list[str]]) -> None:
        users, actions = result
        self._choices_loaded = True
        self.user.set_choices([(u, u) for u in users])
        self.action.set_choices([(a, audit.action_label(a)) for a in actions])

    def apply_filter(self) -> None:
        f = self.current_filter()
        if f is None:
            return
        reg = self.reg
        self._generation += 1
        generation = self._generation

        def work() -> tuple[int, int, list[Any]]:
            return generation, audit.count_entries(reg, f), audit.query_entries(reg, f, limit=LIMIT)

        ops.Op(self, work, name="audit").success(self._show).run()

    def _show(self, result: tuple[int, int, list[Any]]) -> None:
        generation, total, rows = result
        if generation != self._generation:
            return  # an older filter's answer, overtaken by the one typed since
        self.total = total
        self.table.source.set_rows(rows)
        self.table.resizeColumnsToContents()
        self.list.show_list(bool(rows))
        if self.total > len(rows):
            self.count_label.setText(
                ngettext(
                    "Showing the newest {shown} of {n} entry. Narrow the filters to see older ones.",
                    "Showing the newest {shown} of {n} entries. Narrow the filters to see older "
                    "ones.",
                    self.total,
                ).format(shown=len(rows), n=self.total)
            )
        else:
            self.count_label.setText(
                ngettext("{n} entry", "{n} entries", self.total).format(n=self.total)
            )

    def clear_filters(self) -> None:
        for w in (self.user, self.action):
            w.blockSignals(True)
            w.set_code("")
            w.blockSignals(False)
        self.person.clear_choice()
        self.date_from.clear()
        self.date_to.clear()
        self.apply_filter()

    def check_register(self) -> None:
        """What ``tayanch verify`` checks, on a worker; the answer in a sentence."""
        from app.services.verify import verify

        reg = self.ctx.reg
        self.last_check = None
        ops.Op(self, lambda: verify(reg), name="verify").with_progress(
            _("Checking the register…")
        ).success(self._checked).run()

    def _checked(self, report: Any) -> None:
        self.last_check = report
        if report.ok:
            seams.show_info(
                self,
                _(
                    "The register is intact: the database passed its check, {audit} audit "
                    "entries are chained, {docs} issued documents are unchanged."
                ).format(audit=report.checked["audit_entries"], docs=report.checked["documents"]),
            )
            return
        shown = report.problems[:10]
        more = len(report.problems) - len(shown)
        text = "\n".join(shown)
        if more:
            text += "\n" + ngettext("({n} more problem)", "({n} more problems)", more).format(
                n=more
            )
        seams.show_error(
            self,
            _("The check found problems. Restore the register from a backup made before them:")
            + "\n"
            + text,
        )
