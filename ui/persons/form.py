"""Adding and editing a person, with the identity checks shown next to the fields.

The checks are the core's own (``app.domain.validation``), run on every keystroke: a PINFL
whose digits 2-7 disagree with the birth date is flagged while it is typed, and fixing
either field clears the message. The service checks again on Save (and adds the one check
a form cannot make: a PINFL already in the register).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtWidgets import QWidget

from app.db.register import Register
from app.domain.base import today_local
from app.domain.enums import Sex
from app.domain.validation import normalize_phone, passport_problem, pinfl_problem
from app.i18n import N_, _
from app.services import persons as persons_module
from app.services.persons import persons
from ui import ops, seams
from ui.format import fmt_date
from ui.widgets.form import FormDialog, enum_choices

PHONE_PROBLEM = N_("A phone number is +998 and 9 digits, e.g. +998 90 123 45 67.")


def check_birth(value: date, _values: dict[str, Any]) -> str | None:
    if value > today_local():
        return N_("The birth date cannot be in the future.")
    if value.year < 1900:
        return N_("Check the year of birth.")
    return None


def check_pinfl(value: str, values: dict[str, Any]) -> str | None:
    return pinfl_problem("".join(value.split()), values.get("birth_date"), values.get("sex"))


def check_passport(value: str, _values: dict[str, Any]) -> str | None:
    return passport_problem(value.replace(" ", "").upper())


def check_phone(value: str, _values: dict[str, Any]) -> str | None:
    return None if normalize_phone(value) else PHONE_PROBLEM


class PersonForm(FormDialog):
    def __init__(
        self,
        parent: QWidget | None,
        reg: Register,
        existing: Any = None,
        *,
        defaults: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(parent, _("Edit person") if existing else _("New person"), columns=2)
        self.reg = reg
        self.existing = existing
        self._checked = False
        self.add_section(_("Identity"))
        self.add_text("surname", _("Surname"), required=True, max_length=100)
        self.add_text("given_name", _("Given name"), required=True, max_length=100)
        self.add_text(
            "patronymic",
            _("Patronymic"),
            max_length=100,
            placeholder=_("e.g. Anvarovna or Dilmurod qizi"),
        )
        self.add_date("birth_date", _("Birth date"), required=True, validate=check_birth)
        self.add_choice("sex", _("Sex"), enum_choices(Sex), default="m", required=True)
        self.add_text(
            "pinfl", _("PINFL"), validate=check_pinfl, max_length=20, placeholder=_("14 digits")
        )
        self.add_text(
            "passport",
            _("Passport or ID card"),
            validate=check_passport,
            max_length=12,
            placeholder="AC1234567",
        )
        self.add_text("workplace", _("Work or study place"), max_length=300)
        self.use_column(1)
        self.add_section(_("Address and contacts"))
        self.add_text("phone", _("Phone"), validate=check_phone, placeholder="+998 90 123 45 67")
        self.add_text("phone2", _("Second phone"), validate=check_phone)
        self.add_text("region", _("Region"), max_length=120)
        self.add_text("district", _("District"), max_length=120)
        self.add_text("makhalla", _("Makhalla"), max_length=120)
        self.add_text("street", _("Street"), max_length=200)
        self.add_text("house", _("House"), max_length=20)
        self.add_text("flat", _("Flat"), max_length=20)
        self.add_multiline("notes", _("Notes"), lines=3)
        if existing is not None:
            self.set_values({name: getattr(existing, name) for name in self.fields})
        else:
            self.set_values(defaults or {})
        self.resize(860, 0)

    def save(self) -> None:
        """For a new person, first look for the same person typed another way (Қодиров /
        Qodirov, same birth date) and ask before adding a second card for them."""
        finder = getattr(persons_module, "likely_duplicates", None)
        if self.existing is not None or self._checked or finder is None or self._saving:
            super().save()
            return
        if not self.revalidate():
            super().save()  # shows every problem
            return
        values, reg = self.values(), self.reg

        def found(hits: list[Any]) -> None:
            if hits:
                names = "; ".join(f"{h.full_name}, {fmt_date(h.birth_date)}" for h in hits[:3])
                if not seams.ask_confirm(
                    self,
                    _(
                        "This person may already be in the register: {names}. "
                        "Add a new person anyway?"
                    ).format(names=names),
                ):
                    return
            self._checked = True
            try:
                super(PersonForm, self).save()
            finally:
                self._checked = False

        ops.Op(
            self,
            lambda: finder(
                reg,
                surname=values.get("surname", ""),
                given_name=values.get("given_name", ""),
                birth_date=values.get("birth_date"),
            ),
            name="likely_duplicates",
        ).success(found).run()

    def submit(self, values: dict[str, Any]) -> Any:
        if self.existing is None:
            return persons.create(self.reg, **values)
        return persons.update(
            self.reg, self.existing.id, expected_version=self.existing.version, **values
        )
