"""Issuing documents: a numbered, immutable snapshot that prints the same way every time.

Issuing gathers the record's data into the document's snapshot (app/reports/data.py),
gives it the next number of the stronghold's year, and stores the snapshot as canonical
JSON with its SHA-256, the language, the issuer and the time. Printing it again renders
the stored snapshot, so later edits of the records never change an issued document; a
correction is a new document that names the one it corrects. `tayanch verify` recomputes
the hashes.

Numbers are unique per stronghold and year although the stronghold's computers issue them
apart, offline for days: each computer counts in its own block. HQ numbers the computers
of a stronghold 1, 2, ... (app/hq/ingest.py ``device_number``, kept by the device in
local_state), and computer k issues ``TP-0101/2026-K2-00001``, ``-K2-00002``, ... (here
k = 2), stored as seq = k * SEQ_BLOCK + n, so the (stronghold, year, seq) HQ checks never
meet another computer's. A register HQ has not numbered yet (never synced, or working
alone) issues ``TP-0101/2026-00001`` in block 0, as every register did before; numbers
already issued are never rewritten.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from sqlmodel import Session, func, select

from app import reports
from app.db.register import Register
from app.domain import (
    CheckIn,
    FamilyDispute,
    Household,
    HouseholdVisit,
    IssuedDocument,
    LocalState,
    OffenceCase,
    OffenceParticipant,
    OrderExtension,
    Person,
    PreventiveMeasure,
    ProtectionOrder,
    RegisterEntry,
    StaffUser,
    Stronghold,
    Violation,
    VisitPerson,
)
from app.domain.base import TASHKENT, today_local, utcnow
from app.domain.enums import TABLE_NAMES, DocumentKind, MeasureKind
from app.errors import NotFoundError, TayanchError
from app.i18n import N_, normalize_language
from app.reports import data as rd
from app.services import reference
from app.services.base import EntityService, UnitOfWork, unit_of_work
from app.services.monthly import monthly_figures
from app.services.records import to_record

log = logging.getLogger(__name__)

# The kind of record each document is printed from (CLI.md, `tayanch print`).
RECORD_KINDS = {
    "visit-act": HouseholdVisit,
    "talk-record": PreventiveMeasure,
    "warning": PreventiveMeasure,
    "protection-order": ProtectionOrder,
    "offence-protocol": OffenceCase,
    "supervision-card": Person,
}
MEASURE_KIND = {"talk-record": "talk", "warning": "warning"}


class WrongRecordKindError(TayanchError):
    """``actual`` and ``expected``: kinds of record (TABLE_NAMES, MeasureKind.LABELS);
    ``document``: the document's kind (DocumentKind.LABELS), all in the reader's language."""

    code = "wrong_record"
    template = N_(
        "Record {id} is of another kind ({actual}); the document “{document}” is printed "
        "from: {expected}."
    )
    labels = ("actual", "document", "expected")


class NumbersExhaustedError(TayanchError):
    code = "numbers_exhausted"
    template = N_(
        "This computer has used every document number of this year. Issue the "
        "document on another computer of the stronghold."
    )


class BadMonthError(TayanchError):
    code = "bad_month"
    template = N_("Give the month as YYYY-MM, e.g. 2026-11.")


@dataclass(frozen=True)
class Printed:
    document: Any  # IssuedDocumentRecord
    pdf: bytes
    reprint: bool


class IssuedDocumentService(EntityService):
    """Listing issued documents; they are written only by :func:`issue`, never edited."""

    model = IssuedDocument
    editable = ()
    order_by = "issued_at"


issued_documents = IssuedDocumentService()


def canonical_json(snapshot: rd.Snapshot) -> str:
    return json.dumps(snapshot.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# --- building snapshots -------------------------------------------------------------------


def _name(p: Person) -> str:
    return " ".join(x for x in (p.surname, p.given_name, p.patronymic) if x)


def _address(p: Person | Household) -> str:
    parts = [
        getattr(p, "makhalla", ""),
        p.street,
        p.house and f"{p.house}-uy",
        p.flat and f"{p.flat}-xonadon",
    ]
    return ", ".join(x for x in parts if x)


def _person(p: Person, role: str = "") -> rd.Person:
    return rd.Person(
        full_name=_name(p),
        birth_date=p.birth_date,
        sex=p.sex or "",
        pinfl=p.pinfl or "",
        passport=p.passport or "",
        address=_address(p),
        phone=p.phone or "",
        workplace=p.workplace or "",
        role=role,
    )


def _header(s: Session, reg: Register, number: str, corrects: str = "") -> rd.DocumentHeader:
    sh = s.exec(select(Stronghold).where(Stronghold.code == reg.stronghold_code)).first()
    staff = s.get(StaffUser, reg.user.id)
    stronghold = rd.Stronghold(
        code=reg.stronghold_code,
        name=sh.name if sh else reg.stronghold_code,
        office=sh.office if sh else "",
        region=sh.region if sh else "",
        district=sh.district if sh else "",
        makhalla=sh.makhalla if sh else "",
        address=sh.address if sh else "",
        phone=sh.phone if sh else "",
    )
    place = ", ".join(x for x in (stronghold.district, stronghold.makhalla) if x)
    official = rd.Official(
        full_name=staff.full_name if staff else reg.user.full_name,
        position=(staff.position if staff else reg.user.position) or reg.user.role,
    )
    return rd.DocumentHeader(
        number=number,
        issued_on=today_local(),
        place=place,
        stronghold=stronghold,
        official=official,
        corrects=corrects,
    )


def _held_at(m: PreventiveMeasure) -> datetime:
    if m.held_at is not None:
        return m.held_at
    # Recorded without a time: the time it was entered, if entered that day, else midday.
    created = m.created_at.astimezone(TASHKENT)
    if created.date() == m.on:
        return m.created_at
    return datetime.combine(m.on, time(12, 0), TASHKENT).astimezone(UTC)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def _get(s: Session, model, record_id: uuid.UUID):
    obj = s.get(model, record_id)
    if obj is None or obj.deleted:
        raise NotFoundError(id=str(record_id))
    return obj


def _source(s: Session, kind: str, record_id: uuid.UUID):
    """The record a document of ``kind`` is printed from. An id of another kind of
    record (a person's, given to print a warning) is refused saying what it is."""
    model = RECORD_KINDS[kind]
    try:
        return _get(s, model, record_id)
    except NotFoundError:
        pass
    for other in {*RECORD_KINDS.values(), Household, FamilyDispute} - {model}:
        found = s.get(other, record_id)
        if found is not None and not found.deleted:
            raise WrongRecordKindError(
                id=str(record_id),
                actual=TABLE_NAMES[other.__tablename__],
                document=DocumentKind.LABELS[kind],
                expected=TABLE_NAMES[model.__tablename__],
            )
    raise NotFoundError(id=str(record_id))


def build_snapshot(
    s: Session,
    reg: Register,
    kind: str,
    record_id: uuid.UUID | None,
    header: rd.DocumentHeader,
    *,
    month: tuple[int, int] | None = None,
) -> tuple[rd.Snapshot, uuid.UUID | None]:
    """The snapshot of ``kind`` for one record, and the person it is about."""
    if kind == "visit-act":
        v = _source(s, kind, record_id)
        home = s.get(Household, v.household_id)
        head = s.get(Person, home.head_person_id) if home and home.head_person_id else None
        met = s.exec(
            select(Person)
            .join(VisitPerson, VisitPerson.person_id == Person.id)
            .where(VisitPerson.visit_id == v.id, VisitPerson.deleted == False)
            .order_by(Person.surname)
        ).all()
        snap = rd.VisitAct(
            header=header,
            visited_at=v.visited_at,
            household_address=_address(home) if home else "",
            household_head=_name(head) if head else "",
            purpose=v.purpose,
            direction=v.direction,
            persons_met=tuple(_person(p) for p in met),
            accompanied_by=tuple(
                rd.Person(full_name=n.strip()) for n in v.other_visitors.split(",") if n.strip()
            ),
            findings=v.findings,
            measures=v.measures,
            next_visit_due=v.next_visit_due,
        )
        return snap, (met[0].id if len(met) == 1 else None)
    if kind in ("talk-record", "warning"):
        m = _source(s, kind, record_id)
        if m.kind != MEASURE_KIND[kind]:
            raise WrongRecordKindError(
                id=str(record_id),
                actual=MeasureKind.LABELS.get(m.kind, TABLE_NAMES["preventive_measure"]),
                document=DocumentKind.LABELS[kind],
                expected=MeasureKind.LABELS[MEASURE_KIND[kind]],
            )
        p = _get(s, Person, m.person_id)
        entry = s.get(RegisterEntry, m.entry_id) if m.entry_id else None
        if kind == "talk-record":
            snap = rd.TalkRecord(
                header=header,
                person=_person(p),
                held_at=_held_at(m),
                place=m.place,
                reason=m.subject,
                direction=m.direction,
                register_category=entry.category if entry else "",
                topics=m.content,
            )
        else:
            snap = rd.OfficialWarning(
                header=header,
                person=_person(p),
                grounds=m.subject,
                legal_basis=m.legal_basis,
                requirements=m.content,
                direction=m.direction,
            )
        return snap, p.id
    if kind == "protection-order":
        o = _source(s, kind, record_id)
        protected = _get(s, Person, o.protected_person_id)
        respondent = _get(s, Person, o.respondent_person_id)
        dispute = s.get(FamilyDispute, o.dispute_id) if o.dispute_id else None
        exts = s.exec(
            select(OrderExtension)
            .where(OrderExtension.order_id == o.id, OrderExtension.deleted == False)
            .order_by(OrderExtension.on)
        ).all()
        snap = rd.ProtectionOrder(
            header=header,
            protected=_person(protected),
            respondent=_person(respondent),
            nature=dispute.nature if dispute else "violence",
            grounds=o.grounds,
            valid_from=o.start_date,
            valid_until=o.end_date,
            prohibitions=tuple(c for c in o.prohibitions.split(",") if c),
            duties=_lines(o.duties),
            extensions=tuple(
                rd.OrderExtension(extended_on=e.on, valid_until=e.new_end_date, reason=e.reason)
                for e in exts
            ),
        )
        return snap, protected.id
    if kind == "offence-protocol":
        c = _source(s, kind, record_id)
        offender = _get(s, Person, c.offender_id)
        parts = s.exec(
            select(OffenceParticipant)
            .where(OffenceParticipant.case_id == c.id, OffenceParticipant.deleted == False)
            .order_by(OffenceParticipant.created_at)
        ).all()

        def who(role: str) -> tuple[rd.Person, ...]:
            return tuple(
                rd.Person(full_name=x.full_name, address=x.address) for x in parts if x.role == role
            )

        official = rd.Official(
            full_name=c.official_name or header.official.full_name,
            position=c.official_position or header.official.position,
        )
        header = rd.DocumentHeader(
            number=header.number,
            issued_on=header.issued_on,
            place=c.drawn_up_place or header.place,
            stronghold=header.stronghold,
            official=official,
            corrects=header.corrects,
        )
        snap = rd.OffenceProtocol(
            header=header,
            drawn_up_at=c.drawn_up_at,
            offender=_person(offender),
            offence_at=c.offence_at,
            offence_place=c.offence_place,
            substance=c.substance,
            article=c.article,
            witnesses=who("witness"),
            victims=who("victim"),
            offender_explanation=c.explanation,
            other_facts=c.other_facts,
            damage=c.damage,
            offender_refused_to_sign=c.refused_to_sign,
        )
        return snap, offender.id
    if kind == "supervision-card":
        p = _source(s, kind, record_id)
        entries = s.exec(
            select(RegisterEntry)
            .where(RegisterEntry.person_id == p.id, RegisterEntry.deleted == False)
            .order_by(RegisterEntry.start_date)
        ).all()
        staff = {u.id: u.full_name for u in s.exec(select(StaffUser)).all()}
        outcome = {
            v.check_in_id: v.outcome
            for v in s.exec(
                select(Violation).where(Violation.person_id == p.id, Violation.deleted == False)
            ).all()
        }
        checks = s.exec(
            select(CheckIn)
            .where(CheckIn.person_id == p.id, CheckIn.deleted == False)
            .order_by(CheckIn.at)
        ).all()
        snap = rd.SupervisionCard(
            header=header,
            person=_person(p),
            registers=tuple(
                rd.RegisterEntry(
                    category=e.category,
                    start=e.start_date,
                    end=e.end_date,
                    basis_body=e.basis_body,
                    basis_number=e.basis_number,
                    basis_date=e.basis_date,
                    article=e.basis_article,
                    conditions=_lines(e.conditions),
                    checkins_per_month=max(1, round(30 / max(e.checkin_every_days, 1))),
                    inspector=staff.get(e.responsible_id, ""),
                    risk_level=e.risk_level,
                    status=e.status,
                    removed_on=e.removal_date,
                    removal_reason=e.removal_reason,
                )
                for e in entries
            ),
            checkins=tuple(
                rd.CheckIn(
                    at=c.at,
                    kind=c.kind,
                    result=c.result,
                    notes=c.notes,
                    measure=outcome.get(c.id, ""),
                )
                for c in checks
            ),
        )
        return snap, p.id
    if kind == "monthly-report":
        assert month is not None
        f = monthly_figures(reg, *month)
        names = {}
        ids = [c[0] for c in f.contributions if c[0]]
        if ids:
            names = {p.id: _name(p) for p in s.exec(select(Person).where(Person.id.in_(ids)))}
        natures = sorted(set(f.disputes_opened) | set(f.disputes_resolved))
        snap = rd.MonthlyReport(
            header=header,
            year=month[0],
            month=month[1],
            per_direction=tuple(rd.CountRow(k, n) for k, n in sorted(f.per_direction.items())),
            per_register=tuple(rd.CountRow(k, n) for k, n in sorted(f.per_register.items())),
            measures=tuple(rd.CountRow(k, n) for k, n in sorted(f.measures.items())),
            visits_made=f.visits_made,
            visits_due=f.visits_due,
            visits_overdue=f.visits_overdue,
            households_total=f.households_total,
            households_covered=f.households_covered,
            disputes=tuple(
                rd.DisputeRow(n, f.disputes_opened.get(n, 0), f.disputes_resolved.get(n, 0))
                for n in natures
            ),
            orders_issued=f.orders_issued,
            orders_extended=f.orders_extended,
            contributions=tuple(
                rd.Contribution(full_name=names.get(pid) or org, kind=kind_, proposal=proposed)
                for pid, org, kind_, proposed in f.contributions
            ),
        )
        return snap, None
    raise reports.UnknownKindError(kind=kind, kinds=", ".join(reports.KINDS))


# --- issuing and printing -----------------------------------------------------------------


# Each computer's block of seq values (see the module doc): n runs 1 to 99,999 a year.
SEQ_BLOCK = 100_000


def device_number(session: Session) -> int:
    """The number HQ gave this computer among its stronghold's; 0 until it has one."""
    from app.sync.device import DEVICE_NUMBER_KEY

    row = session.get(LocalState, DEVICE_NUMBER_KEY)
    try:
        number = int(row.value) if row is not None else 0
    except ValueError:
        return 0
    # seq must fit a 32-bit column at HQ (PostgreSQL): far more computers than any has.
    return number if 0 < number < 2**31 // SEQ_BLOCK else 0


def _next_number(uow: UnitOfWork, year: int) -> tuple[int, str]:
    device = device_number(uow.session)
    low = device * SEQ_BLOCK
    last = uow.session.exec(
        select(func.max(IssuedDocument.seq)).where(
            IssuedDocument.stronghold_code == uow.reg.stronghold_code,
            IssuedDocument.year == year,
            IssuedDocument.seq >= low,
            IssuedDocument.seq < low + SEQ_BLOCK,
        )
    ).one()
    n = (last - low if last is not None else 0) + 1
    if n >= SEQ_BLOCK:
        raise NumbersExhaustedError()
    prefix = uow.reg.stronghold_code or reference.get_setting(uow.session, "document_prefix")
    block = f"K{device}-" if device else ""
    return low + n, f"{prefix}/{year}-{block}{n:05d}"


def _parse_id(record_id: uuid.UUID | str) -> uuid.UUID:
    try:
        return record_id if isinstance(record_id, uuid.UUID) else uuid.UUID(str(record_id))
    except ValueError:
        raise NotFoundError(id=str(record_id)) from None


def issue(
    reg: Register,
    kind: str,
    record_id: uuid.UUID | str | None,
    lang: str,
    *,
    month: tuple[int, int] | None = None,
    corrects: uuid.UUID | None = None,
) -> Printed:
    """Issue a new document: number it, store its snapshot, render it."""
    if kind not in reports.KINDS:
        raise reports.UnknownKindError(kind=kind, kinds=", ".join(reports.KINDS))
    try:
        lang = normalize_language(lang)
    except ValueError:
        raise reports.UnknownLanguageError(lang=lang) from None
    rid = _parse_id(record_id) if record_id is not None else None
    with unit_of_work(reg) as uow:
        s = uow.session
        year = today_local().year
        seq, number = _next_number(uow, year)
        corrected = s.get(IssuedDocument, corrects) if corrects else None
        header = _header(s, reg, number, corrected.number if corrected else "")
        snap, person_id = build_snapshot(s, reg, kind, rid, header, month=month)
        pdf = reports.render(kind, snap, lang)
        text = canonical_json(snap)
        doc = IssuedDocument(
            kind=kind,
            record_id=rid,
            person_id=person_id,
            year=year,
            seq=seq,
            number=number,
            lang=lang,
            issued_at=utcnow(),
            issued_by_id=reg.user.id,
            snapshot=text,
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            corrects_id=corrected.id if corrected else None,
        )
        uow.add(doc, person_id=person_id)
        uow.audit("print", "issued_document", doc.id, person_id, kind=kind)
        log.info("issued %s %s", kind, number)
        return Printed(to_record(doc), pdf, reprint=False)


def reprint(reg: Register, document_id: uuid.UUID | str) -> Printed:
    """Render a stored document again, from its snapshot: the same content as at issue."""
    did = _parse_id(document_id)
    with unit_of_work(reg) as uow:
        doc = _get(uow.session, IssuedDocument, did)
        snap = reports.load(doc.kind, json.loads(doc.snapshot))
        pdf = reports.render(doc.kind, snap, doc.lang)
        uow.audit("reprint", "issued_document", doc.id, doc.person_id, kind=doc.kind)
        return Printed(to_record(doc), pdf, reprint=True)


def latest_issued(reg: Register, kind: str, record_id: uuid.UUID, lang: str):
    with reg.reading() as s:
        doc = s.exec(
            select(IssuedDocument)
            .where(
                IssuedDocument.kind == kind,
                IssuedDocument.record_id == record_id,
                IssuedDocument.lang == lang,
                IssuedDocument.deleted == False,
            )
            .order_by(IssuedDocument.issued_at.desc())
        ).first()
        return to_record(doc) if doc else None


def print_document(reg: Register, kind: str, record_id: uuid.UUID | str, lang: str) -> Printed:
    """What `tayanch print` does: re-print the issued document if there is one, else issue."""
    if kind == "monthly-report" or kind not in RECORD_KINDS:
        raise reports.UnknownKindError(kind=kind, kinds=", ".join(RECORD_KINDS))
    try:
        lang = normalize_language(lang)
    except ValueError:
        raise reports.UnknownLanguageError(lang=lang) from None
    rid = _parse_id(record_id)
    existing = latest_issued(reg, kind, rid, lang)
    if existing is not None:
        return reprint(reg, existing.id)
    return issue(reg, kind, rid, lang)


def parse_month(text: str) -> tuple[int, int]:
    try:
        year, month = (int(x) for x in text.strip().split("-"))
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise ValueError(text)
    except ValueError:
        raise BadMonthError() from None
    return year, month


def monthly_report(reg: Register, month: str, lang: str) -> Printed:
    return issue(reg, "monthly-report", None, lang, month=parse_month(month))
