"""Invented snapshots of every document kind, for tests, benchmarks and print previews.

Every name, number and address here is made up. The names mix the scripts a stronghold
meets: Uzbek Latin with oʻ/gʻ (U+02BB), the 2026 Latin letters (ş ç ğ ö), Uzbek Cyrillic
(ў қ ғ ҳ) and Russian, so a rendering that loses any of them is caught.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from app.reports.data import (
    CheckIn,
    Contribution,
    CountRow,
    DisputeRow,
    DocumentHeader,
    MonthlyReport,
    OffenceProtocol,
    Official,
    OfficialWarning,
    OrderExtension,
    Person,
    ProtectionOrder,
    RegisterEntry,
    Snapshot,
    Stronghold,
    SupervisionCard,
    TalkRecord,
    VisitAct,
)

STRONGHOLD = Stronghold(
    code="TP-0123",
    name="Navbahor mahallasi tayanch punkti",
    office="Chilonzor tumani Ichki ishlar boshqarmasi",
    region="Toshkent shahri",
    district="Chilonzor tumani",
    makhalla="Navbahor MFY",
    address="Bunyodkor koʻchasi, 12",
    phone="+998 71 200 00 00",
)
OFFICIAL = Official(
    full_name="Karimov Bahodir Gʻulomovich", position="assistant", rank="politsiya leytenanti"
)
ISSUED = date(2026, 11, 27)

MAIN_PERSON = Person(
    full_name="Qodirov Anvar Baxtiyor oʻgʻli",
    birth_date=date(1994, 3, 8),
    birth_place="Toshkent shahri",
    sex="m",
    pinfl="30803940000000",
    passport="AC1234567",
    address="Toshkent sh., Chilonzor t., Navbahor MFY, Bunyodkor koʻchasi, 14-uy, 3-xonadon",
    phone="+998 90 000 00 01",
    workplace="“Gʻalaba” MChJ, haydovchi",
)
CYRILLIC_PERSON = Person(
    full_name="Қодирова Дилноза Ғайратовна",
    birth_date=date(1996, 7, 21),
    sex="f",
    address="Тошкент ш., Чилонзор т., Навбаҳор МФЙ, Бунёдкор кўчаси, 14-уй, 3-хонадон",
    phone="+998 90 000 00 02",
    role="турмуш ўртоғи",
)
NEW_LATIN_PERSON = Person(
    full_name="Ğulomova Şahnoza Çori qizi",
    birth_date=date(1969, 1, 5),
    address="Bunyodkor koʻchasi, 14-uy",
    role="qaynona",
)
RUSSIAN_PERSON = Person(
    full_name="Смирнов Олег Викторович",
    birth_date=date(1971, 10, 2),
    address="Bunyodkor koʻchasi, 16-uy, 1-xonadon",
    role="qoʻshni",
)
ACTIVIST = Person(full_name="Ömonov Zafar Oʻktamovich", role="mahalla raisi oʻrinbosari")


def header(serial: int = 45, corrects: str = "") -> DocumentHeader:
    return DocumentHeader(
        number=f"TP-0123/2026-{serial:05d}",
        issued_on=ISSUED,
        place="Toshkent sh., Chilonzor tumani",
        stronghold=STRONGHOLD,
        official=OFFICIAL,
        corrects=corrects,
    )


def visit_act(serial: int = 45) -> VisitAct:
    return VisitAct(
        header=header(serial),
        visited_at=datetime(2026, 11, 27, 14, 30),
        household_address=MAIN_PERSON.address,
        household_head=MAIN_PERSON.full_name,
        purpose="dispute",
        direction="family",
        persons_met=(
            Person(full_name=MAIN_PERSON.full_name, role="xonadon boshligʻi"),
            CYRILLIC_PERSON,
            NEW_LATIN_PERSON,
        ),
        accompanied_by=(ACTIVIST,),
        findings=(
            "Oilada 20.11.2026 kuni yuz bergan janjaldan keyin vaziyat tinch. Turmush oʻrtoqlar\n"
            "bir-biriga daʼvo yoʻqligini bildirdi. Bolalar maktabga bormoqda."
        ),
        measures="Profilaktik suhbat oʻtkazildi; mahalla yarashtirish komissiyasiga taklif berildi.",
        next_visit_due=date(2026, 11, 30),
    )


def talk_record(serial: int = 46) -> TalkRecord:
    return TalkRecord(
        header=header(serial),
        person=MAIN_PERSON,
        held_at=datetime(2026, 11, 27, 10, 0),
        place="Navbahor mahallasi tayanch punkti",
        reason="Oilaviy janjal, qoʻshnilarning murojaati",
        direction="family",
        register_category="prev_family_conflict",
        participants=(ACTIVIST,),
        topics="Oilaviy munosabatlar, qonun talablari, zoʻravonlikning oqibatlari.",
        person_explanation="Boshqa takrorlanmaydi, oilam bilan yarashdim.",
        commitments="Spirtli ichimlik ichmaslik, oilaviy nizolarni tinch yoʻl bilan hal qilish.",
    )


def warning(serial: int = 47) -> OfficialWarning:
    return OfficialWarning(
        header=header(serial),
        person=MAIN_PERSON,
        grounds=(
            "25.11.2026 kuni kechqurun koʻchada jamoat tartibini buzib, qoʻshnilarga "
            "nisbatan haqoratli soʻzlar aytgan."
        ),
        legal_basis="Huquqbuzarliklar profilaktikasi toʻgʻrisidagi Qonun",
        requirements="Jamoat joylarida tartibni saqlash; qoʻshnilar bilan nizoga bormaslik.",
        direction="public_order",
    )


def protection_order(serial: int = 48, extended: bool = False) -> ProtectionOrder:
    return ProtectionOrder(
        header=header(serial),
        protected=CYRILLIC_PERSON,
        respondent=MAIN_PERSON,
        nature="violence",
        grounds="26.11.2026 kuni turmush oʻrtogʻiga nisbatan jismoniy zoʻravonlik qilgan.",
        valid_from=date(2026, 11, 27),
        valid_until=date(2027, 1, 25) if extended else date(2026, 12, 26),
        prohibitions=("contact", "same_place", "weapons", "search"),
        duties=("correction_programme",),
        extensions=(
            (OrderExtension(date(2026, 12, 26), date(2027, 1, 25), "Tazyiq davom etmoqda"),)
            if extended
            else ()
        ),
    )


def offence_protocol(serial: int = 49, refused: bool = False) -> OffenceProtocol:
    return OffenceProtocol(
        header=header(serial),
        drawn_up_at=datetime(2026, 11, 27, 16, 45),
        offender=MAIN_PERSON,
        offence_at=datetime(2026, 11, 26, 22, 10),
        offence_place="Bunyodkor koʻchasi, 14-uy oldida",
        substance=(
            "Mast holda jamoat joyida baland ovozda soʻkinib, fuqarolarning tinchligini "
            "buzgan, tartibga chaqirilganda boʻysunmagan."
        ),
        article="183-modda (mayda bezorilik)",
        witnesses=(RUSSIAN_PERSON, NEW_LATIN_PERSON),
        victims=(CYRILLIC_PERSON,),
        offender_explanation="" if refused else "Aybimni tan olaman, boshqa takrorlanmaydi.",
        other_facts="Huquqbuzar ilgari 2026 yil mart oyida maʼmuriy javobgarlikka tortilgan.",
        damage="Yoʻq",
        attachments=("Guvohlarning tushuntirish xatlari (2 varaq)", "Fotosurat (1 dona)"),
        offender_refused_to_sign=refused,
    )


def supervision_card(serial: int = 50, checkins: int = 12) -> SupervisionCard:
    start = datetime(2025, 12, 1, 9, 0)
    kinds = ("home_visit", "at_stronghold", "phone")
    results = ("present", "present", "present", "absent", "present", "violation")
    history = []
    for i in range(checkins):
        result = results[i % len(results)]
        history.append(
            CheckIn(
                at=start + timedelta(days=3 * i, hours=i % 5),
                kind=kinds[i % len(kinds)],
                result=result,
                notes=(
                    "Soat 22:00 dan keyin uyda boʻlmagan"
                    if result == "violation"
                    else "Uyda edi, ish joyidan maʼlumotnoma koʻrsatdi"
                    if result == "present"
                    else "Uyda yoʻq, qoʻshnilar ogohlantirildi"
                ),
                measure="warning" if result == "violation" else "",
            )
        )
    return SupervisionCard(
        header=header(serial),
        person=MAIN_PERSON,
        registers=(
            RegisterEntry(
                category="conditional_sentence",
                start=date(2025, 11, 15),
                end=date(2027, 11, 14),
                basis_body="Chilonzor tumani jinoyat ishlari boʻyicha sudi",
                basis_number="1-1234/2025",
                basis_date=date(2025, 11, 10),
                article="JK 169-modda 2-qism",
                conditions=(
                    "Soat 22:00 dan 06:00 gacha uydan chiqmaslik",
                    "Yashash joyini oʻzgartirganda xabar berish",
                    "Oyiga ikki marta tayanch punktiga kelish",
                ),
                checkins_per_month=2,
                inspector="Karimov B.",
                risk_level="medium",
            ),
            RegisterEntry(
                category="prev_alcohol_drugs",
                start=date(2026, 2, 1),
                basis_body="Tuman IIB profilaktika boʻlimi",
                basis_number="45",
                basis_date=date(2026, 1, 28),
                conditions=("Spirtli ichimlik isteʼmol qilmaslik",),
                checkins_per_month=1,
                inspector="Karimov B.",
                risk_level="low",
                status="removed",
                removed_on=date(2026, 10, 1),
                removal_reason="tuzalgan",
            ),
        ),
        checkins=tuple(history),
    )


def monthly_report(serial: int = 51) -> MonthlyReport:
    return MonthlyReport(
        header=header(serial),
        year=2026,
        month=11,
        per_direction=(
            CountRow("public_order", 34),
            CountRow("social_help", 12),
            CountRow("family", 21),
            CountRow("improvement", 7),
            CountRow("supervision", 28),
            CountRow("admin_offences", 5),
        ),
        per_register=(
            CountRow("conditional_sentence", 6),
            CountRow("parole", 2),
            CountRow("admin_supervision", 3),
            CountRow("prev_domestic_violence", 4),
            CountRow("prev_alcohol_drugs", 5),
            CountRow("prev_minor_at_risk", 3),
        ),
        measures=(
            CountRow("talk", 41),
            CountRow("warning", 6),
            CountRow("notice", 2),
            CountRow("protocol", 5),
        ),
        visits_made=118,
        visits_due=130,
        visits_overdue=12,
        households_total=642,
        households_covered=397,
        disputes=(
            DisputeRow("violence", 3, 2),
            DisputeRow("divorce", 4, 3),
            DisputeRow("property", 2, 2),
            DisputeRow("in_laws", 5, 3),
            DisputeRow("children", 1, 1),
        ),
        orders_issued=2,
        orders_extended=1,
        contributions=(
            Contribution("Ömonov Zafar Oʻktamovich", "prevented", "thanks", "Yoshlar bilan ishlar"),
            Contribution("Ҳасанова Гулнора", "missing_person", "reward", ""),
        ),
        notes="Navbahor MFY da 642 xonadon, 2 891 aholi.",
    )


def sample(kind: str) -> Snapshot:
    """The invented snapshot of ``kind`` (one of ``app.reports.KINDS``)."""
    return {
        "visit-act": visit_act,
        "talk-record": talk_record,
        "warning": warning,
        "protection-order": protection_order,
        "offence-protocol": offence_protocol,
        "supervision-card": supervision_card,
        "monthly-report": monthly_report,
    }[kind]()
