"""Value checks shared by services, import and forms: PINFL, passport, phone, names.

Each check returns the normalised value or raises ValidationError naming the field, so a
form can show the sentence next to it and the CLI can print it on one line.
"""

from __future__ import annotations

import re
from datetime import date

from app.errors import ValidationError
from app.i18n import N_

_APOSTROPHES = str.maketrans({"\u2018": "\u02bb", "\u2019": "\u02bb", "`": "\u02bb", "'": "\u02bb"})
_OKINA_AFTER = re.compile(r"([oOgG])[\u02bb\u02bc\u2018\u2019`']")


def normalize_name(text: str) -> str:
    """Trim, fold inner spaces, and write oʻ/gʻ with U+02BB as the official Latin does.

    Other apostrophes (the tutuq belgisi in maʼmuriy) become U+02BC.
    """
    text = " ".join(text.split())
    text = _OKINA_AFTER.sub(lambda m: m.group(1) + "\u02bb", text)
    return re.sub(r"[\u2018\u2019`']", "\u02bc", text)


# The code HQ gives a stronghold; HQ refuses any other (app/hq/admin.py), so a register
# made with one could never enrol.
STRONGHOLD_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,15}")
STRONGHOLD_CODE_PROBLEM = N_(
    "A stronghold code is 1 to 16 Latin letters, digits and hyphens, e.g. TP-0123."
)


def stronghold_code_problem(code: str) -> str | None:
    return None if STRONGHOLD_CODE.fullmatch(code.strip()) else STRONGHOLD_CODE_PROBLEM


def pinfl_problem(pinfl: str, birth_date: date | None, sex: str | None) -> str | None:
    """The message template of what is wrong with a PINFL, or None when it is valid.

    Only what is public is checked: 14 digits, digit 1 the century and sex (1-6),
    digits 2-7 the birth date as DDMMYY. No checksum: the rest is not published.
    """
    if not re.fullmatch(r"\d{14}", pinfl):
        return N_("PINFL must be exactly 14 digits.")
    first = int(pinfl[0])
    if not 1 <= first <= 6:
        return N_("The first digit of a PINFL must be 1 to 6.")
    day, month, yy = int(pinfl[1:3]), int(pinfl[3:5]), int(pinfl[5:7])
    century = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}[first]
    try:
        encoded = date(century + yy, month, day)
    except ValueError:
        return N_("Digits 2 to 7 of the PINFL are not a date (DDMMYY).")
    if birth_date is not None and encoded != birth_date:
        return N_("The PINFL does not match the birth date: digits 2 to 7 must be DDMMYY.")
    if sex in ("m", "f") and (first % 2 == 1) != (sex == "m"):
        return N_("The first digit of the PINFL does not match the sex (odd: male, even: female).")
    return None


def check_pinfl(pinfl: str, birth_date: date | None, sex: str | None, field: str = "pinfl") -> str:
    pinfl = re.sub(r"\s", "", pinfl)
    problem = pinfl_problem(pinfl, birth_date, sex)
    if problem:
        raise ValidationError(problem, fields={field: problem})
    return pinfl


def passport_problem(passport: str) -> str | None:
    if not re.fullmatch(r"[A-Z]{2}\d{7}", passport):
        return N_("A passport or ID card number is 2 Latin letters and 7 digits, e.g. AC1234567.")
    return None


def check_passport(passport: str, field: str = "passport") -> str:
    passport = re.sub(r"\s", "", passport).upper()
    problem = passport_problem(passport)
    if problem:
        raise ValidationError(problem, fields={field: problem})
    return passport


def normalize_phone(phone: str) -> str | None:
    """'+998 90 123-45-67', '998901234567', '90 123 45 67' -> '+998901234567'; None if not."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 9:
        digits = "998" + digits
    if len(digits) == 12 and digits.startswith("998"):
        return "+" + digits
    return None


def check_phone(phone: str, field: str = "phone") -> str:
    normal = normalize_phone(phone)
    if normal is None:
        problem = N_("A phone number is +998 and 9 digits, e.g. +998 90 123 45 67.")
        raise ValidationError(problem, fields={field: problem})
    return normal


def check_dates(start: date | None, end: date | None, field: str = "end_date") -> None:
    if start and end and end < start:
        problem = N_("The end date cannot be before the start date.")
        raise ValidationError(problem, fields={field: problem})


def require(value: object, field: str) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        problem = N_("This field is required.")
        raise ValidationError(problem, fields={field: problem})
