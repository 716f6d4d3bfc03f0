"""The "Record visit" form, and the household and member forms.

Record visit is built for the end of a round: type the street and house (or the head's
surname), Enter; the time is now; Space ticks the persons met; purpose and direction take
their first letter; type the findings; Ctrl+S. The next visit date fills itself from the
household's interval (conflict families sooner), so under 30 seconds is realistic.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from app.db.register import Register
from app.domain.base import today_local
from app.domain.enums import Direction, RegisterCategory, VisitPurpose
from app.i18n import N_, _
from app.services import ui_queries
from app.services.households import households, members, visits
from ui import ops
from ui.format import fmt_date, label
from ui.widgets.form import FormDialog, enum_choices
from ui.widgets.pickers import (
    CheckList,
    LookupEdit,
    household_lookup,
    household_text,
    person_lookup,
)

CHOOSE = N_("Choose from the suggestions: type, then Down and Enter.")


class VisitForm(FormDialog):
    def __init__(
        self,
        parent: QWidget | None,
        reg: Register,
        *,
        household_id: uuid.UUID | None = None,
        person_id: uuid.UUID | None = None,
        purpose: str | None = None,
    ) -> None:
        super().__init__(parent, _("Record a visit"))
        self.reg = reg
        self.person_id = person_id
        self._auto_due = ""
        self.household = LookupEdit(
            household_lookup(reg), placeholder=_("Street and house, or the head's surname")
        )
        self.add_field(
            "household_id",
            _("Household"),
            self.household,
            get=self.household.value,
            set=lambda _v: None,
            raw=lambda: self.household._value,
            changed=self.household.chosen,
            required=True,
            parse_problem=CHOOSE,
        )
        self.household.chosen.connect(self._household_chosen)
        self.add_datetime("visited_at", _("When"), required=True, default=datetime.now(UTC))
        self.met = CheckList()
        self.met.setMinimumHeight(110)
        self.add_field(
            "persons_met",
            _("Persons met (Space ticks)"),
            self.met,
            get=self.met.checked_ids,
            set=lambda _v: None,
            raw=self.met.checked_ids,
            changed=self.met.changed,
        )
        self.add_choice(
            "purpose", _("Purpose"), enum_choices(VisitPurpose), default=purpose or "routine"
        )
        self.add_choice(
            "direction",
            _("Direction of work"),
            enum_choices(Direction),
            default="supervision" if purpose == "supervision" else "public_order",
        )
        self.add_multiline("findings", _("Findings"), lines=3)
        self.add_multiline("measures", _("Measures taken"), lines=2)
        self.add_date("next_visit_due", _("Next visit"))
        self.add_text(
            "other_visitors",
            _("Also visited"),
            max_length=300,
            placeholder=_("e.g. the makhalla chairman"),
        )
        self.mark_clean()
        self.resize(640, 0)
        if household_id is not None:
            self._preset(household_id)
        else:
            QTimer.singleShot(0, self.household.setFocus)

    def _preset(self, household_id: uuid.UUID) -> None:
        reg = self.reg

        def done(row: ui_queries.HouseholdRow) -> None:
            self.household.set_choice(row.id, household_text(row))
            self.mark_clean()
            self.met.setFocus()

        ops.Op(self, lambda: ui_queries.household_row(reg, household_id)).success(done).run()

    def _household_chosen(self, household_id: Any) -> None:
        if household_id is None:
            self.met.set_items([])
            return
        reg = self.reg

        def work() -> tuple[ui_queries.HouseholdDetail, int]:
            detail = ui_queries.household_detail(reg, household_id, visit_limit=0)
            key = (
                "conflict_visit_days"
                if detail.household.conflict_family
                else "household_visit_days"
            )
            return detail, ui_queries.int_setting(reg, key)

        def done(result: tuple[ui_queries.HouseholdDetail, int]) -> None:
            detail, every = result
            if self.household._value != household_id:
                return
            items = []
            for m in detail.members:
                text = f"{m.name}, {fmt_date(m.birth_date)}"
                if m.registers:
                    text += " — " + ", ".join(label(RegisterCategory, c) for c in m.registers)
                items.append((m.person_id, text))
            self.met.set_items(items, {self.person_id} if self.person_id else None)
            due = self.fields["next_visit_due"]
            if due.raw() in ("", self._auto_due):  # never overwrite a date the user typed
                due.set(today_local() + timedelta(days=every))
                self._auto_due = due.raw()
            self.revalidate()

        ops.Op(self, work).success(done).run()

    def cross_check(self, values: dict[str, Any], problems: dict[str, str]) -> None:
        at, due = values.get("visited_at"), values.get("next_visit_due")
        if at and due and due < at.date():
            problems["next_visit_due"] = N_("The next visit cannot be before this visit.")

    def submit(self, values: dict[str, Any]) -> Any:
        values = dict(values)
        met = values.pop("persons_met", ())
        return visits.record(self.reg, persons_met=met, **values)


class HouseholdForm(FormDialog):
    def __init__(
        self, parent: QWidget | None, reg: Register, existing: Any = None, *, makhalla: str = ""
    ) -> None:
        super().__init__(parent, _("Edit household") if existing else _("New household"))
        self.reg, self.existing = reg, existing
        self.add_text("street", _("Street"), required=True, max_length=200)
        self.add_text("house", _("House"), required=True, max_length=20)
        self.add_text("flat", _("Flat"), max_length=20)
        self.add_text("makhalla", _("Makhalla"), max_length=120)
        self.add_check("conflict_family", _("Conflict family (visited more often)"))
        self.add_multiline("notes", _("Notes"), lines=3)
        if existing is not None:
            self.set_values({k: getattr(existing, k) for k in self.fields})
        else:
            self.set_values({"makhalla": makhalla})
        self.resize(480, 0)

    def submit(self, values: dict[str, Any]) -> Any:
        if self.existing is None:
            return households.create(self.reg, **values)
        return households.update(
            self.reg, self.existing.id, expected_version=self.existing.version, **values
        )


class MemberForm(FormDialog):
    def __init__(self, parent: QWidget | None, reg: Register, household_id: uuid.UUID) -> None:
        super().__init__(parent, _("Add a member"))
        self.reg, self.household_id = reg, household_id
        self.person = LookupEdit(person_lookup(reg), placeholder=_("Surname, PINFL or phone"))
        self.add_field(
            "person_id",
            _("Person"),
            self.person,
            get=self.person.value,
            set=lambda _v: None,
            raw=lambda: self.person._value,
            changed=self.person.chosen,
            required=True,
            parse_problem=CHOOSE,
        )
        self.add_text(
            "relation", _("Relation"), max_length=60, placeholder=_("e.g. head, wife, son")
        )
        self.mark_clean()
        self.resize(520, 0)

    def submit(self, values: dict[str, Any]) -> Any:
        return members.create(self.reg, household_id=self.household_id, **values)
