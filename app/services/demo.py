"""A believable synthetic stronghold for trying the app, screenshots and tests.

Everything is invented: names are random combinations of common name parts
(resources/data/demo_names.json), PINFLs are valid in form (century/sex digit and birth
date agree) with random tails, passports and phones random. Dates are relative to today,
so the Today screen always has something to show: overdue check-ins, an order ending this
week, fresh dispute reports.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from app.db.register import Register
from app.domain import (
    CheckIn,
    CitizenContribution,
    DisputeFollowUp,
    DisputeMeasure,
    DisputeParty,
    FamilyDispute,
    Household,
    HouseholdMember,
    HouseholdVisit,
    OffenceCase,
    OffenceParticipant,
    Person,
    PreventiveMeasure,
    ProtectionOrder,
    RegisterEntry,
    Violation,
    VisitPerson,
)
from app.domain.base import TASHKENT, today_local
from app.domain.enums import RegisterCategory
from app.paths import resource_path
from app.services.base import unit_of_work

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

RU_FOLD = str.maketrans(
    {"ў": "у", "Ў": "У", "қ": "к", "Қ": "К", "ғ": "г", "Ғ": "Г", "ҳ": "х", "Ҳ": "Х"}
)
VOWELS = "aeiouAEIOUаеиоуўэюяёАЕИОУЎЭЮЯЁ"
DEMO_STRONGHOLD = dict(
    code="TP-0001",
    name="Bogʻbon MFY tayanch punkti",
    region="Toshkent shahri",
    district="Yunusobod tumani",
    makhalla="Bogʻbon MFY",
    office="Yunusobod tumani IIO FMB profilaktika boʻlimi",
)
# A member's place in the household, as an inspector types it (the register keeps free text).
RELATIONS = {
    "head": "oila boshligʻi",
    "spouse": "turmush oʻrtogʻi",
    "son": "oʻgʻli",
    "daughter": "qizi",
}


class _Names:
    """Name parts in Latin and Cyrillic; a person's script is chosen once for all parts."""

    def __init__(self, rng: random.Random) -> None:
        data = json.loads(resource_path("data", "demo_names.json").read_text("utf-8"))
        self.rng = rng
        self.stems = data["surname_stems"]
        self.male = data["male_names"]
        self.female = data["female_names"]
        self.streets = data["streets"]

    def script(self) -> int:
        """0 Latin (most), 1 Uzbek Cyrillic, 2 Russian spelling."""
        return self.rng.choices((0, 1, 2), weights=(70, 20, 10))[0]

    @staticmethod
    def pick(pair: list[str], script: int) -> str:
        text = pair[0] if script == 0 else pair[1]
        return text.translate(RU_FOLD) if script == 2 else text

    def surname(self, stem: list[str], sex: str, script: int) -> str:
        base = self.pick(stem, script)
        vowel_end = base[-1] in VOWELS
        if script == 0:
            suffix = ("yev" if vowel_end else "ov") + ("a" if sex == "f" else "")
        else:
            suffix = ("ев" if vowel_end else "ов") + ("а" if sex == "f" else "")
        return base + suffix

    def patronymic(self, father: list[str], sex: str, script: int) -> str:
        base = self.pick(father, script)
        if self.rng.random() < 0.5:  # the Uzbek form: "Anvar qizi", "Anvar oʻgʻli"
            word = {0: ("oʻgʻli", "qizi"), 1: ("ўғли", "қизи"), 2: ("угли", "кизи")}[script]
            return f"{base} {word[1] if sex == 'f' else word[0]}"
        if script == 0:
            return base + ("ovna" if sex == "f" else "ovich")
        return base + ("овна" if sex == "f" else "ович")


def fake_pinfl(rng: random.Random, birth: date, sex: str) -> str:
    first = {18: 1, 19: 3, 20: 5}[birth.year // 100] + (1 if sex == "f" else 0)
    tail = "".join(rng.choice("0123456789") for _ in range(7))
    return f"{first}{birth:%d%m}{birth.year % 100:02d}{tail}"


def _at(day: date, rng: random.Random, start_hour: int = 9, end_hour: int = 19) -> datetime:
    local = datetime.combine(
        day,
        time(rng.randint(start_hour, end_hour - 1), rng.choice((0, 10, 15, 20, 30, 40, 45, 50))),
        TASHKENT,
    )
    return local.astimezone(UTC)


CONDITIONS = {
    "conditional_sentence": "Ishlash yoki oʻqish\nYashash joyi oʻzgarsa xabar berish\n"
    "Oyiga bir marta tayanch punktiga kelish",
    "parole": "Belgilangan soatlarda uyda boʻlish\nOyiga ikki marta kelish",
    "admin_supervision": "Soat 22:00 dan 06:00 gacha uydan chiqmaslik\n"
    "Spirtli ichimliklar ichmaslik\nOyiga ikki marta kelish",
    "non_custodial": "Axloq tuzatish ishlarini oʻtash",
    "house_arrest": "Uydan ruxsatsiz chiqmaslik",
}


def generate(
    reg: Register,
    *,
    persons: int = 5000,
    households: int = 1500,
    seed: int = 1,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Fill an open register with a synthetic stronghold; return the counts written."""
    rng = random.Random(seed)
    names = _Names(rng)
    today = today_local()
    code = reg.stronghold_code
    steps = 6
    counts: dict[str, int] = {}

    def step(n: int) -> None:
        if progress:
            progress(n, steps)

    with unit_of_work(reg) as uow:
        s: Session = uow.session
        mk = DEMO_STRONGHOLD["makhalla"]
        # Thousands of persons at once: index them in one pass at the end, not row by row.
        search_index = _search_index()
        search_mark = search_index.suspend(s.connection()) if search_index else None

        def add(obj):
            obj.stronghold_code = code
            s.add(obj)
            return obj

        # Households with their residents: a family shares a surname stem and a script.
        homes: list[Household] = []
        residents: list[tuple[Person, Household]] = []
        relations: dict[object, str] = {}  # person id -> their place in the household
        adults: list[Person] = []
        per_home = max(1, persons // max(households, 1))
        street_houses: dict[int, int] = {}
        for _ in range(households):
            street_idx = rng.randrange(len(names.streets))
            street_houses[street_idx] = street_houses.get(street_idx, 0) + 1
            home = add(
                Household(
                    makhalla=mk,
                    street=names.streets[street_idx][0] + " koʻchasi",
                    house=str(street_houses[street_idx]),
                    flat="" if rng.random() < 0.8 else str(rng.randint(1, 60)),
                    conflict_family=rng.random() < 0.02,
                )
            )
            homes.append(home)
        s.flush()
        step(1)
        remaining = persons
        for i, home in enumerate(homes):
            size = per_home + (1 if rng.random() < 0.5 else 0)
            if i == len(homes) - 1:
                size = remaining
            size = min(size, remaining)
            remaining -= size
            stem = rng.choice(names.stems)
            script = names.script()
            father = rng.choice(names.male)
            head_age = 50
            for k in range(size):
                sex = "m" if (k == 0 or rng.random() < 0.48) and k != 1 else "f"
                # The head (k 0), the spouse a few years younger, children born when the
                # head was 20 or older; the head is the father the children are named after.
                age = rng.randint(30, 70) if k < 2 else rng.randint(1, 40)
                if k == 0:
                    head_age = age
                elif k == 1:
                    age = max(20, head_age - age % 8)
                else:
                    age = 1 + (age - 1) % max(1, head_age - 20)
                birth = today - timedelta(days=age * 365 + rng.randint(0, 364))
                given = rng.choice(names.male if sex == "m" else names.female)
                if k == 0:
                    given = father
                pat_father = rng.choice(names.male) if k < 2 else father
                p = add(
                    Person(
                        surname=names.surname(stem, sex, script),
                        given_name=names.pick(given, script),
                        patronymic=names.patronymic(pat_father, sex, script),
                        birth_date=birth,
                        sex=sex,
                        pinfl=fake_pinfl(rng, birth, sex),
                        passport=(
                            rng.choice(("AA", "AB", "AC", "AD", "AE"))
                            + f"{rng.randint(0, 9_999_999):07d}"
                        )
                        if age >= 16
                        else None,
                        phone=(
                            f"+998{rng.choice((90, 91, 93, 94, 97, 99, 33, 88))}"
                            f"{rng.randint(0, 9_999_999):07d}"
                        )
                        if age >= 16
                        else "",
                        region=DEMO_STRONGHOLD["region"],
                        district=DEMO_STRONGHOLD["district"],
                        makhalla=mk,
                        street=home.street,
                        house=home.house,
                        flat=home.flat,
                    )
                )
                residents.append((p, home))
                relations[p.id] = (
                    RELATIONS["head"]
                    if k == 0
                    else RELATIONS["spouse"]
                    if k == 1
                    else RELATIONS["son" if sex == "m" else "daughter"]
                )
                if age >= 18:
                    adults.append(p)
            if remaining <= 0 and i < len(homes) - 1:
                remaining = 0
        s.flush()
        for p, home in residents:
            add(HouseholdMember(household_id=home.id, person_id=p.id, relation=relations[p.id]))
        # Residents by household, eldest first as generated: the first is the head.
        home_people: dict[object, list[Person]] = {}
        for p, home in residents:
            home_people.setdefault(home.id, []).append(p)
        for home in homes:
            if home.id in home_people:
                home.head_person_id = home_people[home.id][0].id
        counts["households"] = len(homes)
        counts["persons"] = len(residents)
        step(2)

        # About 3% of residents on registers, every category represented.
        on_register = rng.sample(
            adults, min(len(adults), max(len(RegisterCategory) * 2, persons * 3 // 100))
        )
        categories = list(RegisterCategory)
        entries: list[RegisterEntry] = []
        for i, p in enumerate(on_register):
            cat = categories[i % len(categories)].value
            start = today - timedelta(days=rng.randint(20, 700))
            term = rng.choice((365, 730, 1095)) if not cat.startswith("prev_") else None
            every = rng.choice((7, 14, 30))
            e = add(
                RegisterEntry(
                    person_id=p.id,
                    category=cat,
                    basis_body="Yunusobod tumani sudi"
                    if not cat.startswith("prev_")
                    else "Yunusobod tumani IIO",
                    basis_number=f"{rng.randint(1, 999)}-{start.year}",
                    basis_date=start,
                    basis_article=rng.choice(("72", "169", "277", "105", "")),
                    start_date=start,
                    end_date=start + timedelta(days=term) if term else None,
                    conditions=CONDITIONS.get(cat, ""),
                    checkin_every_days=every,
                    risk_level=rng.choices(("low", "medium", "high"), weights=(5, 3, 1))[0],
                    responsible_id=reg.user.id,
                    status="active",
                )
            )
            if e.end_date and e.end_date < today:
                e.status = "removed"
                e.removal_date = e.end_date
                e.removal_reason = "Muddati tugadi"
            entries.append(e)
        # One entry ends this month, so the Today screen shows it.
        if entries:
            entries[0].end_date = today + timedelta(days=5)
            entries[0].status = "active"
        s.flush()
        n_checkins = 0
        for i, e in enumerate(entries):
            if e.status != "active":
                continue
            # Most are up to date; every seventh is overdue (last check-in long ago).
            last = today - timedelta(
                days=e.checkin_every_days * (3 if i % 7 == 3 else 0)
                + rng.randint(0, max(1, e.checkin_every_days // 2))
            )
            day = max(e.start_date, last - timedelta(days=e.checkin_every_days * 6))
            while day <= last:
                result = rng.choices(("present", "absent", "violation"), weights=(20, 2, 1))[0]
                c = add(
                    CheckIn(
                        entry_id=e.id,
                        person_id=e.person_id,
                        at=_at(day, rng),
                        kind=rng.choice(("home_visit", "at_stronghold", "phone")),
                        result=result,
                        recorded_by_id=reg.user.id,
                    )
                )
                n_checkins += 1
                if result == "violation":
                    add(
                        Violation(
                            entry_id=e.id,
                            person_id=e.person_id,
                            check_in_id=c.id,
                            at=c.at,
                            what="Belgilangan vaqtda uyda boʻlmadi",
                            outcome=rng.choice(("warning", "protocol", "notice_court")),
                        )
                    )
                day += timedelta(days=e.checkin_every_days)
        counts["register_entries"] = len(entries)
        counts["check_ins"] = n_checkins
        step(3)

        # Visits over the last six months: most households once or twice.
        n_visits = 0
        for home in homes:
            k = rng.choices((0, 1, 2, 3), weights=(3, 5, 3, 1))[0]
            if home.conflict_family:
                k = 8
            for _ in range(k):
                day = today - timedelta(days=rng.randint(0, 180))
                v = add(
                    HouseholdVisit(
                        household_id=home.id,
                        visited_at=_at(day, rng),
                        visitor_id=reg.user.id,
                        visitor_name=reg.user.full_name,
                        purpose=rng.choices(
                            ("routine", "supervision", "dispute", "social_help"),
                            weights=(10, 3, 2, 2),
                        )[0],
                        direction=rng.choices(
                            ("public_order", "social_help", "family", "improvement", "supervision"),
                            weights=(8, 3, 3, 2, 3),
                        )[0],
                        findings="Oila aʼzolari uyda. Shikoyat yoʻq.",
                        measures="Profilaktik suhbat oʻtkazildi.",
                        next_visit_due=day + timedelta(days=90),
                    )
                )
                met = home_people.get(home.id, [])[: rng.randint(1, 2)]
                for p in met:
                    add(VisitPerson(visit_id=v.id, person_id=p.id))
                n_visits += 1
        counts["visits"] = n_visits
        step(4)

        # Family disputes, a few fresh (the 24-hour alert), some closed.
        couples = [(ps[0], ps[1], hid) for hid, ps in home_people.items() if len(ps) >= 2]
        rng.shuffle(couples)
        disputes = []
        for i, (a, b, hid) in enumerate(couples[:40]):
            reported = _at(today - timedelta(days=rng.randint(3, 170)), rng)
            if i < 3:
                reported = datetime.now(UTC) - timedelta(hours=30 + 10 * i)
            status = "open" if i < 12 else rng.choice(("reconciled", "referred", "closed"))
            d = add(
                FamilyDispute(
                    reported_at=reported,
                    source=rng.choice(("application", "neighbours", "media", "own_detection")),
                    nature=rng.choice(
                        ("violence", "harassment", "divorce", "property", "in_laws", "children")
                    ),
                    household_id=hid,
                    description="Er-xotin oʻrtasida kelishmovchilik.",
                    status=status,
                    examined_at=None if i < 3 else reported + timedelta(hours=5),
                    closed_on=None if status == "open" else reported.date() + timedelta(days=20),
                    responsible_id=reg.user.id,
                )
            )
            disputes.append((d, a, b))
        s.flush()
        for i, (d, a, b) in enumerate(disputes):
            applicant, respondent = (b, a) if b.sex == "f" else (a, b)
            add(DisputeParty(dispute_id=d.id, person_id=applicant.id, role="applicant"))
            add(DisputeParty(dispute_id=d.id, person_id=respondent.id, role="respondent"))
            if i >= 3:
                add(
                    DisputeMeasure(
                        dispute_id=d.id,
                        on=d.reported_at.date(),
                        kind="talk",
                        notes="Tomonlar bilan profilaktik suhbat.",
                    )
                )
                add(
                    DisputeFollowUp(
                        dispute_id=d.id,
                        on=d.reported_at.date() + timedelta(days=3),
                        notes="Vaziyat barqaror.",
                    )
                )
        counts["disputes"] = len(disputes)

        # Protection orders: one ends within the week.
        n_orders = 0
        for i, (d, a, b) in enumerate(disputes[3:9]):
            protected, respondent = (b, a) if b.sex == "f" else (a, b)
            start = today - timedelta(days=(25 if i == 0 else rng.randint(0, 60)))
            end = start + timedelta(days=29)
            add(
                ProtectionOrder(
                    number=f"HO-{start.year}-{i + 1:03d}",
                    issued_on=start,
                    issued_by_id=reg.user.id,
                    protected_person_id=protected.id,
                    respondent_person_id=respondent.id,
                    dispute_id=d.id,
                    grounds="Oilaviy zoʻravonlik toʻgʻrisidagi ariza.",
                    prohibitions="contact,same_place" if i % 2 else "contact,same_place,weapons",
                    duties="Psixologik tuzatish dasturida qatnashish.",
                    duration_days=30,
                    start_date=start,
                    end_date=end,
                    status="active" if end >= today else "expired",
                )
            )
            n_orders += 1
        counts["orders"] = n_orders
        step(5)

        # Preventive measures, offence cases and citizen contributions.
        n_measures = 0
        for e in entries[:60]:
            day = e.start_date + timedelta(days=rng.randint(0, 30))
            add(
                PreventiveMeasure(
                    person_id=e.person_id,
                    entry_id=e.id,
                    kind=rng.choice(("talk", "talk", "warning", "notice")),
                    on=min(day, today),
                    place="Tayanch punkti",
                    direction="supervision",
                    subject="Sud tomonidan belgilangan majburiyatlar",
                    content="Majburiyatlar tushuntirildi.",
                )
            )
            n_measures += 1
        counts["measures"] = n_measures
        for i in range(12):
            offender = rng.choice(adults)
            at = _at(today - timedelta(days=rng.randint(1, 150)), rng)
            case = add(
                OffenceCase(
                    drawn_up_at=at + timedelta(hours=1),
                    drawn_up_place="Tayanch punkti",
                    official_id=reg.user.id,
                    official_name=reg.user.full_name,
                    official_position=reg.user.position or "Profilaktika inspektori",
                    offender_id=offender.id,
                    offence_place=rng.choice(homes).street,
                    offence_at=at,
                    substance="Jamoat joyida tartibni buzdi.",
                    article=rng.choice(("183", "184", "56")),
                    explanation="Aybimni tan olaman." if i % 4 else "",
                    refused_to_sign=(i % 4 == 0),
                )
            )
            s.flush()
            witness = rng.choice(adults)
            add(
                OffenceParticipant(
                    case_id=case.id,
                    role="witness",
                    person_id=witness.id,
                    full_name=f"{witness.surname} {witness.given_name}",
                    address=f"{witness.street}, {witness.house}",
                )
            )
        counts["offences"] = 12
        for _ in range(8):
            p = rng.choice(adults)
            add(
                CitizenContribution(
                    person_id=p.id,
                    on=today - timedelta(days=rng.randint(1, 120)),
                    kind=rng.choice(
                        ("prevented", "uncovered", "missing_person", "prevention_work")
                    ),
                    description="Huquqbuzarlikning oldini olishda yordam berdi.",
                    proposed=rng.choice(("reward", "thanks")),
                )
            )
        counts["contributions"] = 8
        s.flush()
        uow.audit("demo", details_counts=sum(counts.values()))
        if search_mark is not None:
            search_index.resume(s.connection(), search_mark)
        step(6)
    log.info("demo register filled: %s", counts)
    return counts


def _search_index():
    """The search index module, when this build has it."""
    try:
        from app.search import index
    except ImportError:
        return None
    return index
