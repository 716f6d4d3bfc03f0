"""Forms opened from a person's card: register entries, check-ins, violations, measures,
citizen contributions. Each opens with sensible defaults (now, today, the person's only
active entry) so the common case is a few keystrokes and Ctrl+S.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtWidgets import QWidget

from app.db.register import Register
from app.domain.base import today_local
from app.domain.enums import (
    CheckInKind,
    CheckInResult,
    ContributionKind,
    Direction,
    EntryStatus,
    MeasureKind,
    RegisterCategory,
    RewardKind,
    RiskLevel,
    ViolationOutcome,
)
from app.i18n import N_, _
from app.services import ui_actions
from app.services.measures import contributions, measures, offences
from app.services.registers import entries, violations
from ui.format import fmt_date, label
from ui.widgets.form import FormDialog, enum_choices

END_BEFORE_START = N_("The end date cannot be before the start date.")


def entry_choices(entries_: list[Any]) -> list[tuple[str, str]]:
    return [
        (str(e.id), f"{label(RegisterCategory, e.category)}, {fmt_date(e.start_date)}")
        for e in entries_
    ]


class EntryForm(FormDialog):
    """Put a person on a register, or edit the entry."""

    def __init__(
        self, parent: QWidget | None, reg: Register, person_id: Any, existing: Any = None
    ) -> None:
        super().__init__(
            parent, _("Register entry") if existing else _("Add to a register"), columns=2
        )
        self.reg, self.person_id, self.existing = reg, person_id, existing
        self.add_choice("category", _("Register"), enum_choices(RegisterCategory), required=True)
        self.add_date("start_date", _("From"), required=True, default=today_local())
        self.add_date("end_date", _("Until"))
        self.add_int(
            "checkin_every_days", _("Check-in every (days)"), minimum=1, maximum=366, default=30
        )
        self.add_choice("risk_level", _("Risk level"), enum_choices(RiskLevel), default="low")
        if existing is not None:
            self.add_choice("status", _("Status"), enum_choices(EntryStatus))
        self.add_multiline("conditions", _("Conditions (one a line)"), lines=4)
        self.use_column(1)
        self.add_section(_("Basis document"))
        self.add_text("basis_body", _("Court or body"), max_length=300)
        self.add_text("basis_number", _("Decision number"), max_length=60)
        self.add_date("basis_date", _("Decision date"))
        self.add_text("basis_article", _("Article"), max_length=60)
        self.add_multiline("notes", _("Notes"), lines=3)
        if existing is not None:
            self.set_values({k: getattr(existing, k) for k in self.fields})
        else:
            self.mark_clean()
        self.resize(820, 0)

    def cross_check(self, values: dict[str, Any], problems: dict[str, str]) -> None:
        start, end = values.get("start_date"), values.get("end_date")
        if start and end and end < start:
            problems["end_date"] = END_BEFORE_START

    def submit(self, values: dict[str, Any]) -> Any:
        if self.existing is None:
            return entries.create(self.reg, person_id=self.person_id, **values)
        return entries.update(
            self.reg, self.existing.id, expected_version=self.existing.version, **values
        )


class RemoveEntryForm(FormDialog):
    """Take a person off a register: the entry stays, with the date and the reason."""

    def __init__(self, parent: QWidget | None, reg: Register, entry: Any) -> None:
        super().__init__(parent, _("Remove from the register"))
        self.reg, self.entry = reg, entry
        self.add_date("removal_date", _("Removed on"), required=True, default=today_local())
        self.add_multiline("removal_reason", _("Reason"), required=True, lines=3)
        self.mark_clean()

    def cross_check(self, values: dict[str, Any], problems: dict[str, str]) -> None:
        day = values.get("removal_date")
        if day and day < self.entry.start_date:
            problems["removal_date"] = N_("The removal date cannot be before the start date.")

    def submit(self, values: dict[str, Any]) -> Any:
        return entries.close(self.reg, self.entry.id, **values)


class CheckInForm(FormDialog):
    """A check-in; a "violation" result opens the violation's two fields in the same form."""

    def __init__(
        self,
        parent: QWidget | None,
        reg: Register,
        person_id: Any,
        active: list[Any],
        entry: Any = None,
    ) -> None:
        super().__init__(parent, _("Record a check-in"))
        self.reg, self.person_id = reg, person_id
        choice = self.add_choice("entry_id", _("Register"), entry_choices(active), required=True)
        if entry is not None and entry.status == "active":
            choice.set_code(str(entry.id))
        self.add_datetime("at", _("When"), required=True, default=datetime.now(UTC))
        self.add_choice("kind", _("How"), enum_choices(CheckInKind))
        self.result = self.add_choice("result", _("Result"), enum_choices(CheckInResult))
        self.add_text("what", _("What was broken"))
        self.add_choice("outcome", _("What followed"), enum_choices(ViolationOutcome))
        self.add_multiline("notes", _("Notes"), lines=3)
        self.result.currentIndexChanged.connect(self._violation_fields)
        self._violation_fields()
        self.mark_clean()
        self.resize(520, 0)

    def _violation_fields(self, *_args: Any) -> None:
        on = self.result.code() == "violation"
        for name in ("what", "outcome"):
            f = self.fields[name]
            self._columns[0].setRowVisible(f.widget.parentWidget(), on)
            f.required = on and name == "what"
        self.revalidate()

    def submit(self, values: dict[str, Any]) -> Any:
        values = dict(values)
        what, outcome = values.pop("what", ""), values.pop("outcome", "")
        violation = (
            {"what": what, "outcome": outcome} if values.get("result") == "violation" else None
        )
        return ui_actions.record_check_in(
            self.reg, person_id=self.person_id, violation=violation, **values
        )


class ViolationForm(FormDialog):
    def __init__(
        self,
        parent: QWidget | None,
        reg: Register,
        person_id: Any,
        active: list[Any],
        entry: Any = None,
    ) -> None:
        super().__init__(parent, _("Record a violation"))
        self.reg, self.person_id = reg, person_id
        choice = self.add_choice("entry_id", _("Register"), entry_choices(active), required=True)
        if entry is not None and entry.status == "active":
            choice.set_code(str(entry.id))
        self.add_datetime("at", _("When"), required=True, default=datetime.now(UTC))
        self.add_text("what", _("What was broken"), required=True)
        self.add_choice("outcome", _("What followed"), enum_choices(ViolationOutcome))
        self.add_multiline("notes", _("Notes"), lines=3)
        self.mark_clean()
        self.resize(520, 0)

    def submit(self, values: dict[str, Any]) -> Any:
        return violations.create(self.reg, person_id=self.person_id, **values)


class MeasureForm(FormDialog):
    """A preventive measure: talk, official warning, notice on causes, referral..."""

    def __init__(
        self,
        parent: QWidget | None,
        reg: Register,
        person_id: Any,
        entries_: list[Any],
        kind: str = "talk",
    ) -> None:
        super().__init__(parent, _("Record a preventive measure"))
        self.reg, self.person_id = reg, person_id
        self.add_choice("kind", _("Measure"), enum_choices(MeasureKind), default=kind)
        self.add_date("on", _("Date"), required=True, default=today_local())
        self.add_choice(
            "direction",
            _("Direction of work"),
            enum_choices(Direction),
            default="supervision" if entries_ else "public_order",
        )
        self.add_choice(
            "entry_id",
            _("Register"),
            entry_choices(entries_),
            empty=_("none"),
            default=str(entries_[0].id) if len(entries_) == 1 else "",
        )
        self.add_text("place", _("Place"), max_length=300)
        self.add_text("subject", _("Subject"))
        self.add_multiline("content", _("Content"), lines=4)
        self.add_text("legal_basis", _("Legal basis"), max_length=300)
        self.mark_clean()
        self.resize(560, 0)

    def submit(self, values: dict[str, Any]) -> Any:
        return measures.create(self.reg, person_id=self.person_id, **values)


class ContributionForm(FormDialog):
    """A citizen proposed for a reward or a letter of thanks."""

    def __init__(self, parent: QWidget | None, reg: Register, person_id: Any) -> None:
        super().__init__(parent, _("Citizen contribution"))
        self.reg, self.person_id = reg, person_id
        self.add_date("on", _("Date"), required=True, default=today_local())
        self.add_choice("kind", _("Contribution"), enum_choices(ContributionKind))
        self.add_multiline("description", _("What they did"), required=True, lines=3)
        self.add_choice("proposed", _("Proposed for"), enum_choices(RewardKind), default="thanks")
        self.mark_clean()
        self.resize(520, 0)

    def submit(self, values: dict[str, Any]) -> Any:
        return contributions.create(self.reg, person_id=self.person_id, **values)


class OffenceForm(FormDialog):
    """An administrative offence case, so its protocol can be printed from the card.

    Witnesses and victims are typed one per line ("Full name, address"); the service
    records the case and them in one transaction.
    """

    def __init__(self, parent: QWidget | None, reg: Register, person_id: Any) -> None:
        super().__init__(parent, _("Administrative offence case"))
        self.reg, self.person_id = reg, person_id
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        self.add_datetime("offence_at", _("Offence committed"), required=True, default=now)
        self.add_text("offence_place", _("Place of the offence"), max_length=300)
        self.add_text("article", _("Article of the Code"), required=True, max_length=60)
        self.add_multiline("substance", _("What happened"), required=True, lines=3)
        self.add_multiline("explanation", _("Offender's explanation"), lines=2)
        self.add_text("damage", _("Damage caused"), max_length=300)
        self.add_datetime("drawn_up_at", _("Protocol drawn up"), required=True, default=now)
        self.add_text("drawn_up_place", _("Drawn up at"), max_length=300)
        self.add_choice(
            "direction", _("Direction of work"), enum_choices(Direction), default="public_order"
        )
        self.add_multiline("witnesses", _("Witnesses (one a line: name, address)"), lines=2)
        self.add_multiline("victims", _("Victims (one a line: name, address)"), lines=2)
        self.add_check("refused_to_sign", _("The offender refused to sign"))
        self.mark_clean()
        self.resize(600, 0)

    @staticmethod
    def _people(text: str | None, role: str) -> list[dict[str, Any]]:
        out = []
        for line in (text or "").splitlines():
            name, _sep, address = line.partition(",")
            if name.strip():
                out.append({"role": role, "full_name": name.strip(), "address": address.strip()})
        return out

    def submit(self, values: dict[str, Any]) -> Any:
        people = self._people(values.pop("witnesses", ""), "witness") + self._people(
            values.pop("victims", ""), "victim"
        )
        values = {k: v for k, v in values.items() if v not in (None, "")}
        return offences.record(self.reg, offender_id=self.person_id, participants=people, **values)
