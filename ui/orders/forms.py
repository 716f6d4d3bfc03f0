"""Protection order forms: issue (durations from the reference data), extend, breach.

The allowed durations are rows HQ can change (the law changed them over the years), so the
choices are read from the register when the form opens, never written in code.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtWidgets import QLabel, QWidget

from app.db.register import Register
from app.domain.base import today_local
from app.domain.enums import Prohibition
from app.i18n import N_, _
from app.services import reference, ui_queries
from app.services.orders import breaches, orders
from ui import ops
from ui.format import fmt_date
from ui.households.forms import CHOOSE
from ui.widgets.form import ChoiceBox, FormDialog
from ui.widgets.pickers import CheckList, LookupEdit, person_lookup

NO_DURATIONS = N_("No allowed durations are set. Add them in Settings.")


def _days_choices(days: list[int]) -> list[tuple[str, str]]:
    return [(str(d), reference.days_label(d)) for d in days]


class OrderForm(FormDialog):
    def __init__(
        self,
        parent: QWidget | None,
        reg: Register,
        *,
        protected: Any = None,
        respondent: Any = None,
        dispute_id: Any = None,
    ) -> None:
        super().__init__(parent, _("Issue a protection order"), columns=2)
        self.reg, self.dispute_id = reg, dispute_id
        self.add_text("number", _("Number"), max_length=40)
        self.add_date("issued_on", _("Issued on"), required=True, default=today_local())
        self.protected = self._person("protected_person_id", _("Protected person"))
        self.respondent = self._person("respondent_person_id", _("Respondent"))
        self.add_date("start_date", _("In force from"), required=True, default=today_local())
        self.duration = self.add_choice("duration_days", _("Duration"), [], required=True)
        self.end_label = QLabel()
        self._columns[0].addRow("", self.end_label)
        self.use_column(1)
        self.prohibitions = CheckList()
        self.prohibitions.set_items(
            [(m.value, m.label) for m in Prohibition], {"contact", "same_place"}
        )
        self.prohibitions.setMinimumHeight(120)
        self.add_field(
            "prohibitions",
            _("Prohibitions (Space ticks)"),
            self.prohibitions,
            get=lambda: ",".join(self.prohibitions.checked_ids()),
            set=lambda _v: None,
            raw=self.prohibitions.checked_ids,
            changed=self.prohibitions.changed,
            required=True,
        )
        self.add_multiline("grounds", _("Grounds"), required=True, lines=3)
        self.add_multiline("duties", _("Duties of the respondent"), lines=2)
        if protected is not None:
            self.protected.set_choice(*protected)
        if respondent is not None:
            self.respondent.set_choice(*respondent)
        self.fields["start_date"].widget.textChanged.connect(self._show_end)
        self.duration.currentIndexChanged.connect(self._show_end)
        self.mark_clean()
        self.resize(900, 0)
        ops.Op(self, lambda: ui_queries.allowed_days(reg, "initial")).success(
            self._fill_durations
        ).run()

    def _person(self, name: str, caption: str) -> LookupEdit:
        w = LookupEdit(person_lookup(self.reg), placeholder=_("Surname, PINFL or phone"))
        self.add_field(
            name,
            caption,
            w,
            get=w.value,
            set=lambda _v: None,
            raw=lambda: w._value,
            changed=w.chosen,
            required=True,
            parse_problem=CHOOSE,
        )
        return w

    def _fill_durations(self, days: list[int]) -> None:
        box: ChoiceBox = self.duration
        box.blockSignals(True)
        box.clear()
        for code, text in _days_choices(days):
            box.addItem(text, code)
        box.blockSignals(False)
        if not days:
            self.form_error.setText(_(NO_DURATIONS))
            self.form_error.show()
        self.mark_clean()
        self._show_end()

    def _show_end(self, *_args: Any) -> None:
        values = self.values()
        start, days = values.get("start_date"), values.get("duration_days")
        if start and days:
            end = start + timedelta(days=int(days) - 1)
            self.end_label.setText(_("In force until {date}").format(date=fmt_date(end)))
        else:
            self.end_label.setText("")

    def cross_check(self, values: dict[str, Any], problems: dict[str, str]) -> None:
        p, r = values.get("protected_person_id"), values.get("respondent_person_id")
        if p and r and p == r:
            problems["respondent_person_id"] = N_("The respondent cannot be the protected person.")

    def submit(self, values: dict[str, Any]) -> Any:
        values = dict(values)
        values["duration_days"] = int(values["duration_days"])
        if self.dispute_id is not None:
            values["dispute_id"] = self.dispute_id
        return orders.create(self.reg, **values)


class ExtendForm(FormDialog):
    def __init__(self, parent: QWidget | None, reg: Register, order: Any) -> None:
        super().__init__(parent, _("Extend the protection order"))
        self.reg, self.order = reg, order
        self.info = QLabel(_("Now in force until {date}.").format(date=fmt_date(order.end_date)))
        self._columns[0].addRow(self.info)
        self.days = self.add_choice("days", _("Extend by"), [], required=True)
        self.add_date("on", _("Decided on"), required=True, default=today_local())
        self.add_multiline("reason", _("Reason"), required=True, lines=3)
        self.mark_clean()
        self.resize(460, 0)
        ops.Op(self, lambda: ui_queries.allowed_days(reg, "extension")).success(self._fill).run()

    def _fill(self, days: list[int]) -> None:
        for code, text in _days_choices(days):
            self.days.addItem(text, code)
        if not days:
            self.form_error.setText(_(NO_DURATIONS))
            self.form_error.show()
        self.mark_clean()

    def submit(self, values: dict[str, Any]) -> Any:
        return orders.extend(
            self.reg,
            self.order.id,
            days=int(values["days"]),
            reason=values.get("reason", ""),
            on=values.get("on"),
        )


class BreachForm(FormDialog):
    def __init__(self, parent: QWidget | None, reg: Register, order: Any) -> None:
        super().__init__(parent, _("Record a breach of the order"))
        self.reg, self.order = reg, order
        self.add_datetime("at", _("When"), required=True, default=datetime.now(UTC))
        self.add_multiline("description", _("What happened"), required=True, lines=4)
        self.add_text("action", _("What was done"), max_length=300)
        self.mark_clean()
        self.resize(480, 0)

    def submit(self, values: dict[str, Any]) -> Any:
        return breaches.create(self.reg, order_id=self.order.id, **values)


def revoke(reg: Register, order: Any) -> Any:
    return orders.close(reg, order.id, status="revoked")
