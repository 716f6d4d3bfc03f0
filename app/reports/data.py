"""The input of every printed document: frozen dataclasses of plain values.

A service fills these from the database and hands them to ``app.reports.render``. Issuing a
document stores ``to_dict()`` as JSON next to the document's number; printing it again
rebuilds the same object with ``from_dict()`` and so yields the same PDF, whatever happened
to the rows since. That is why the fields hold only plain types (str, int, bool, date,
datetime, tuples of nested snapshots) and why enum-like values are stable codes (labels are
looked up at print time in the chosen language, see ``labels.py``).

Names of persons, addresses and free text are printed exactly as typed.
"""

from __future__ import annotations

import dataclasses
import logging
import types
import typing
from datetime import date, datetime
from functools import cache
from typing import Any, ClassVar, Self

logger = logging.getLogger(__name__)


class SnapshotError(ValueError):
    """A stored snapshot does not match the dataclass it claims to be."""


class Snapshot:
    """Mixin giving a frozen dataclass a JSON-safe ``to_dict``/``from_dict`` round trip.

    The conversion is derived from the type hints so that adding a field never needs a
    second place to edit. Dates are ISO strings, tuples are lists, nested snapshots dicts.
    Unknown keys are refused rather than dropped, so a snapshot written by a newer version
    is never re-printed with silently missing content.
    """

    __dataclass_fields__: ClassVar[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            out[f.name] = _dump(getattr(self, f.name))
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        if not isinstance(data, dict):
            raise SnapshotError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
        hints = _hints(cls)
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - names)
        if unknown:
            raise SnapshotError(f"{cls.__name__}: unknown fields {', '.join(unknown)}")
        kwargs: dict[str, Any] = {}
        for name in names:
            if name in data:
                kwargs[name] = _load(hints[name], data[name], f"{cls.__name__}.{name}")
        try:
            return cls(**kwargs)
        except TypeError as exc:  # a required field is missing
            raise SnapshotError(f"{cls.__name__}: {exc}") from exc


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _dump(value: Any) -> Any:
    if isinstance(value, Snapshot):
        return value.to_dict()
    if isinstance(value, datetime):  # before date: datetime is a date
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_dump(v) for v in value]
    return value


def _load(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = typing.get_args(tp)
        if value is None:
            if type(None) in args:
                return None
            raise SnapshotError(f"{where}: null not allowed")
        (inner,) = [a for a in args if a is not type(None)]
        return _load(inner, value, where)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise SnapshotError(f"{where}: expected a list")
        (inner, _ellipsis) = typing.get_args(tp)
        return tuple(_load(inner, v, f"{where}[{i}]") for i, v in enumerate(value))
    try:
        if tp is datetime:
            return datetime.fromisoformat(value)
        if tp is date:
            return date.fromisoformat(value)
        if isinstance(tp, type) and issubclass(tp, Snapshot):
            return tp.from_dict(value)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, SnapshotError):
            raise
        raise SnapshotError(f"{where}: {exc}") from exc
    if tp is bool:
        if not isinstance(value, bool):
            raise SnapshotError(f"{where}: expected true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SnapshotError(f"{where}: expected an integer")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise SnapshotError(f"{where}: expected text")
        return value
    raise SnapshotError(f"{where}: unsupported type {tp!r}")


snapshot = dataclasses.dataclass(frozen=True, slots=False)


# ---------------------------------------------------------------- shared pieces


@snapshot
class Stronghold(Snapshot):
    """The stronghold that issues the document, and the office it belongs to (as typed)."""

    code: str  # assigned by HQ, e.g. "TP-0123"
    name: str  # e.g. "Navbahor mahallasi tayanch punkti"
    office: str  # the district department, e.g. "Chilonzor tumani IIB"
    region: str = ""
    district: str = ""
    makhalla: str = ""
    address: str = ""
    phone: str = ""


@snapshot
class Official(Snapshot):
    """The official who draws up and signs the document."""

    full_name: str
    position: str  # code, see labels.POSITIONS; an unknown code is printed as typed
    rank: str = ""  # special rank as typed, e.g. "politsiya leytenanti"


@snapshot
class DocumentHeader(Snapshot):
    """What every issued document carries: number, date, place, issuer."""

    number: str  # unique per stronghold and year, e.g. "TP-0123/2026-00045"
    issued_on: date
    place: str  # where it was drawn up, e.g. "Toshkent sh., Chilonzor tumani"
    stronghold: Stronghold
    official: Official
    corrects: str = ""  # number of the issued document this one corrects, if any


@snapshot
class Person(Snapshot):
    """A person as the register holds them; every field but the name is optional."""

    full_name: str  # exactly as typed, in either script
    birth_date: date | None = None
    birth_place: str = ""
    sex: str = ""  # code "m" or "f"
    pinfl: str = ""
    passport: str = ""
    address: str = ""
    phone: str = ""
    workplace: str = ""
    role: str = ""  # relation or role as typed, e.g. "xonadon boshligʻi"


@snapshot
class CountRow(Snapshot):
    """One line of a count table: a code (direction, category, kind) and its figure."""

    code: str
    count: int


# ---------------------------------------------------------------- documents


@snapshot
class VisitAct(Snapshot):
    """Household visit act (xonadonga tashrif dalolatnomasi)."""

    header: DocumentHeader
    visited_at: datetime
    household_address: str
    household_head: str
    purpose: str  # code, labels.VISIT_PURPOSES
    direction: str  # code, labels.DIRECTIONS
    persons_met: tuple[Person, ...] = ()
    accompanied_by: tuple[Person, ...] = ()  # makhalla activists who came along
    findings: str = ""
    measures: str = ""
    next_visit_due: date | None = None


@snapshot
class TalkRecord(Snapshot):
    """Preventive talk record (profilaktik suhbat bayonnomasi)."""

    header: DocumentHeader
    person: Person
    held_at: datetime
    place: str
    reason: str  # why the talk was held, as typed
    direction: str  # code
    register_category: str = ""  # code, when the person is on a register
    participants: tuple[Person, ...] = ()
    topics: str = ""
    person_explanation: str = ""
    commitments: str = ""


@snapshot
class OfficialWarning(Snapshot):
    """Official warning (rasmiy ogohlantirish) on the inadmissibility of unlawful conduct."""

    header: DocumentHeader
    person: Person
    grounds: str  # the conduct warned about, as typed
    legal_basis: str = ""  # as typed
    requirements: str = ""  # what the person must do or stop doing
    person_explanation: str = ""
    direction: str = "public_order"


@snapshot
class OrderExtension(Snapshot):
    """One extension of a protection order."""

    extended_on: date
    valid_until: date
    reason: str = ""


@snapshot
class ProtectionOrder(Snapshot):
    """Protection order (himoya orderi), printed twice: protected person and respondent."""

    header: DocumentHeader
    protected: Person
    respondent: Person
    nature: str  # code, labels.DISPUTE_NATURES
    grounds: str
    valid_from: date
    valid_until: date
    prohibitions: tuple[str, ...] = ()  # codes, labels.PROHIBITIONS; unknown ones as typed
    duties: tuple[str, ...] = ()  # codes, labels.DUTIES; unknown ones as typed
    extensions: tuple[OrderExtension, ...] = ()


@snapshot
class OffenceProtocol(Snapshot):
    """Administrative offence protocol (maʼmuriy huquqbuzarlik toʻgʻrisida bayonnoma)."""

    header: DocumentHeader
    drawn_up_at: datetime
    offender: Person
    offence_at: datetime
    offence_place: str
    substance: str
    article: str  # article of the Code of Administrative Responsibility, as typed
    witnesses: tuple[Person, ...] = ()
    victims: tuple[Person, ...] = ()
    offender_explanation: str = ""
    other_facts: str = ""
    damage: str = ""
    attachments: tuple[str, ...] = ()
    offender_refused_to_sign: bool = False


@snapshot
class CheckIn(Snapshot):
    """One contact with a supervised person."""

    at: datetime
    kind: str  # code, labels.CHECKIN_KINDS
    result: str  # code, labels.CHECKIN_RESULTS
    notes: str = ""
    measure: str = ""  # code, labels.VIOLATION_MEASURES, after a violation


@snapshot
class RegisterEntry(Snapshot):
    """A person's entry on one register, with its basis and conditions."""

    category: str  # code, labels.REGISTER_CATEGORIES
    start: date
    end: date | None = None
    basis_body: str = ""  # court or body, as typed
    basis_number: str = ""
    basis_date: date | None = None
    article: str = ""
    conditions: tuple[str, ...] = ()  # as typed
    checkins_per_month: int = 0
    inspector: str = ""
    risk_level: str = ""  # code, labels.RISK_LEVELS
    status: str = "active"  # code, labels.REGISTER_STATUSES
    removed_on: date | None = None
    removal_reason: str = ""


@snapshot
class SupervisionCard(Snapshot):
    """A person's supervision card: registers, conditions and check-in history."""

    header: DocumentHeader
    person: Person
    registers: tuple[RegisterEntry, ...] = ()
    checkins: tuple[CheckIn, ...] = ()


@snapshot
class DisputeRow(Snapshot):
    """Family disputes of one nature in the month."""

    nature: str  # code, labels.DISPUTE_NATURES
    opened: int
    resolved: int


@snapshot
class Contribution(Snapshot):
    """A citizen or organisation proposed for a reward or a letter of thanks."""

    full_name: str
    kind: str  # code, labels.CONTRIBUTION_KINDS
    proposal: str = "thanks"  # code, labels.CONTRIBUTION_PROPOSALS
    note: str = ""


@snapshot
class MonthlyReport(Snapshot):
    """The stronghold's monthly report to the district office."""

    header: DocumentHeader
    year: int
    month: int
    per_direction: tuple[CountRow, ...] = ()
    per_register: tuple[CountRow, ...] = ()
    measures: tuple[CountRow, ...] = ()  # codes, labels.MEASURE_KINDS
    visits_made: int = 0
    visits_due: int = 0
    visits_overdue: int = 0
    households_total: int = 0
    households_covered: int = 0
    disputes: tuple[DisputeRow, ...] = ()
    orders_issued: int = 0
    orders_extended: int = 0
    contributions: tuple[Contribution, ...] = ()
    notes: str = ""


DATA_TYPES: dict[str, type[Snapshot]] = {
    "visit-act": VisitAct,
    "talk-record": TalkRecord,
    "warning": OfficialWarning,
    "protection-order": ProtectionOrder,
    "offence-protocol": OffenceProtocol,
    "supervision-card": SupervisionCard,
    "monthly-report": MonthlyReport,
}
