"""Family dispute forms: a new report with its parties, measures, follow-ups, status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtWidgets import QWidget

from app.db.register import Register
from app.domain.base import today_local
from app.domain.enums import DisputeMeasureKind, DisputeNature, DisputeSource, DisputeStatus
from app.i18n import N_, _
from app.services.disputes import dispute_measures, disputes, follow_ups
from ui.households.forms import CHOOSE
from ui.widgets.form import FormDialog, enum_choices
from ui.widgets.pickers import LookupEdit, household_lookup, person_lookup


class DisputeForm(FormDialog):
    """Register a report: when, from whom, what about, and the parties."""

    def __init__(
        self, parent: QWidget | None, reg: Register, *, applicant: Any = None, household: Any = None
    ) -> None:
        super().__init__(parent, _("Register a family dispute report"), columns=2)
        self.reg = reg
        self.add_datetime("reported_at", _("Reported"), required=True, default=datetime.now(UTC))
        self.add_choice("source", _("Source"), enum_choices(DisputeSource))
        self.add_choice("nature", _("Nature"), enum_choices(DisputeNature))
        self.applicant = self._person("applicant", _("Applicant"), required=True)
        self.respondent = self._person("respondent", _("Respondent"), required=True)
        self.other = self._person("other", _("Other party"))
        self.use_column(1)
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
            parse_problem=CHOOSE,
        )
        self.add_multiline("description", _("What happened"), lines=6)
        if applicant is not None:
            self.applicant.set_choice(*applicant)
        if household is not None:
            self.household.set_choice(*household)
        self.mark_clean()
        self.resize(880, 0)

    def _person(self, name: str, caption: str, *, required: bool = False) -> LookupEdit:
        w = LookupEdit(person_lookup(self.reg), placeholder=_("Surname, PINFL or phone"))
        self.add_field(
            name,
            caption,
            w,
            get=w.value,
            set=lambda _v: None,
            raw=lambda: w._value,
            changed=w.chosen,
            required=required,
            parse_problem=CHOOSE,
        )
        return w

    def cross_check(self, values: dict[str, Any], problems: dict[str, str]) -> None:
        a, r = values.get("applicant"), values.get("respondent")
        if a and r and a == r:
            problems["respondent"] = N_("The respondent cannot be the applicant.")
        at = values.get("reported_at")
        if at and at > datetime.now(UTC):
            problems["reported_at"] = N_("The report time cannot be in the future.")

    def submit(self, values: dict[str, Any]) -> Any:
        values = dict(values)
        parties = [(values.pop("applicant"), "applicant"), (values.pop("respondent"), "respondent")]
        other = values.pop("other", None)
        if other:
            parties.append((other, "other"))
        return disputes.register(self.reg, parties=parties, **values)


class DisputeMeasureForm(FormDialog):
    def __init__(self, parent: QWidget | None, reg: Register, dispute_id: Any) -> None:
        super().__init__(parent, _("Record a measure"))
        self.reg, self.dispute_id = reg, dispute_id
        self.add_choice("kind", _("Measure"), enum_choices(DisputeMeasureKind))
        self.add_date("on", _("Date"), required=True, default=today_local())
        self.add_multiline("notes", _("Notes"), lines=4)
        self.mark_clean()
        self.resize(480, 0)

    def submit(self, values: dict[str, Any]) -> Any:
        return dispute_measures.create(self.reg, dispute_id=self.dispute_id, **values)


class FollowUpForm(FormDialog):
    def __init__(self, parent: QWidget | None, reg: Register, dispute_id: Any) -> None:
        super().__init__(parent, _("Record a follow-up"))
        self.reg, self.dispute_id = reg, dispute_id
        self.add_date("on", _("Date"), required=True, default=today_local())
        self.add_multiline("notes", _("What was found"), required=True, lines=4)
        self.mark_clean()
        self.resize(480, 0)

    def submit(self, values: dict[str, Any]) -> Any:
        return follow_ups.create(self.reg, dispute_id=self.dispute_id, **values)


class StatusForm(FormDialog):
    def __init__(self, parent: QWidget | None, reg: Register, dispute: Any) -> None:
        super().__init__(parent, _("Change the status"))
        self.reg, self.dispute = reg, dispute
        self.add_choice("status", _("Status"), enum_choices(DisputeStatus))
        self.add_date("closed_on", _("Resolved on"))
        self.set_values({"status": dispute.status, "closed_on": dispute.closed_on})
        self.resize(420, 0)

    def cross_check(self, values: dict[str, Any], problems: dict[str, str]) -> None:
        if values.get("status") != "open" and not values.get("closed_on"):
            problems["closed_on"] = N_("Enter the date it was resolved.")
        day = values.get("closed_on")
        if day and day < self.dispute.reported_at.date():
            problems["closed_on"] = N_("It cannot be resolved before it was reported.")

    def submit(self, values: dict[str, Any]) -> Any:
        if values.get("status") == "open":
            values = {"status": "open", "closed_on": None}
        return disputes.update(
            self.reg, self.dispute.id, expected_version=self.dispute.version, **values
        )


def mark_examined(reg: Register, dispute: Any) -> Any:
    return disputes.update(
        reg, dispute.id, expected_version=dispute.version, examined_at=datetime.now(UTC)
    )
