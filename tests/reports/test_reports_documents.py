"""Every document kind in every language: the words a user checks are on the page.

Expected texts are written out here rather than taken from the catalogs, so a lost or
wrong translation fails the test instead of agreeing with itself.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from app import i18n, reports
from app.reports import samples
from app.reports.data import ProtectionOrder
from app.reports.dates import short_datetime

LANGS = ("uz-Latn", "uz-Cyrl", "ru", "en")

TITLES = {
    "visit-act": {
        "en": "HOUSEHOLD VISIT ACT",
        "uz-Latn": "XONADONGA TASHRIF DALOLATNOMASI",
        "uz-Cyrl": "ХОНАДОНГА ТАШРИФ ДАЛОЛАТНОМАСИ",
        "ru": "АКТ ПОСЕЩЕНИЯ ДОМОХОЗЯЙСТВА",
    },
    "talk-record": {
        "en": "PREVENTIVE TALK RECORD",
        "uz-Latn": "PROFILAKTIK SUHBAT BAYONNOMASI",
        "uz-Cyrl": "ПРОФИЛАКТИК СУҲБАТ БАЁННОМАСИ",
        "ru": "ПРОТОКОЛ ПРОФИЛАКТИЧЕСКОЙ БЕСЕДЫ",
    },
    "warning": {
        "en": "OFFICIAL WARNING",
        "uz-Latn": "RASMIY OGOHLANTIRISH",
        "uz-Cyrl": "РАСМИЙ ОГОҲЛАНТИРИШ",
        "ru": "ОФИЦИАЛЬНОЕ ПРЕДОСТЕРЕЖЕНИЕ",
    },
    "protection-order": {
        "en": "PROTECTION ORDER",
        "uz-Latn": "HIMOYA ORDERI",
        "uz-Cyrl": "ҲИМОЯ ОРДЕРИ",
        "ru": "ОХРАННЫЙ ОРДЕР",
    },
    "offence-protocol": {
        "en": "ADMINISTRATIVE OFFENCE PROTOCOL",
        "uz-Latn": "MAʼMURIY HUQUQBUZARLIK TOʻGʻRISIDA BAYONNOMA",
        "uz-Cyrl": "МАЪМУРИЙ ҲУҚУҚБУЗАРЛИК ТЎҒРИСИДА БАЁННОМА",
        "ru": "ПРОТОКОЛ ОБ АДМИНИСТРАТИВНОМ ПРАВОНАРУШЕНИИ",
    },
    "supervision-card": {
        "en": "SUPERVISION CARD",
        "uz-Latn": "NAZORAT KARTOCHKASI",
        "uz-Cyrl": "НАЗОРАТ КАРТОЧКАСИ",
        "ru": "КОНТРОЛЬНАЯ КАРТОЧКА",
    },
    "monthly-report": {
        "en": "MONTHLY REPORT OF THE STRONGHOLD",
        "uz-Latn": "TAYANCH PUNKTINING OYLIK HISOBOTI",
        "uz-Cyrl": "ТАЯНЧ ПУНКТИНИНГ ОЙЛИК ҲИСОБОТИ",
        "ru": "ЕЖЕМЕСЯЧНЫЙ ОТЧЁТ ОПОРНОГО ПУНКТА",
    },
}

MINISTRY = {
    "en": "MINISTRY OF INTERNAL AFFAIRS OF THE REPUBLIC OF UZBEKISTAN",
    "uz-Latn": "OʻZBEKISTON RESPUBLIKASI ICHKI ISHLAR VAZIRLIGI",
    "uz-Cyrl": "ЎЗБЕКИСТОН РЕСПУБЛИКАСИ ИЧКИ ИШЛАР ВАЗИРЛИГИ",
    "ru": "МИНИСТЕРСТВО ВНУТРЕННИХ ДЕЛ РЕСПУБЛИКИ УЗБЕКИСТАН",
}

# Names as typed, in the scripts the register meets (all invented).
LATIN = samples.MAIN_PERSON.full_name  # "Qodirov Anvar Baxtiyor oʻgʻli"
CYRILLIC = samples.CYRILLIC_PERSON.full_name  # "Қодирова Дилноза Ғайратовна"
NEW_LATIN = samples.NEW_LATIN_PERSON.full_name  # "Ğulomova Şahnoza Çori qizi"
RUSSIAN = samples.RUSSIAN_PERSON.full_name

NAMES = {
    "visit-act": (LATIN, CYRILLIC, NEW_LATIN),
    "talk-record": (LATIN,),
    "warning": (LATIN,),
    "protection-order": (LATIN, CYRILLIC),
    "offence-protocol": (LATIN, CYRILLIC, NEW_LATIN, RUSSIAN),
    "supervision-card": (LATIN,),
    "monthly-report": ("Ömonov Zafar Oʻktamovich", "Ҳасанова Гулнора"),
}

LONG_DATE = {
    "en": "27 November 2026",
    "uz-Latn": "27 noyabr 2026 yil",
    "uz-Cyrl": "27 ноябр 2026 йил",
    "ru": "27 ноября 2026 г.",
}

PAGE_OF = {
    "en": "Page {page} of {total}",
    "uz-Latn": "{page}-sahifa, jami {total}",
    "uz-Cyrl": "{page}-саҳифа, жами {total}",
    "ru": "Страница {page} из {total}",
}

REFUSED = {
    "en": "Refused to sign",
    "uz-Latn": "Imzo chekishdan bosh tortdi",
    "uz-Cyrl": "Имзо чекишдан бош тортди",
    "ru": "От подписи отказался(ась)",
}

COPIES = {
    "en": ("COPY FOR THE PROTECTED PERSON", "COPY FOR THE RESPONDENT"),
    "uz-Latn": (
        "HIMOYA QILINUVCHI SHAXS UCHUN NUSXA",
        "TAZYIQ VA ZOʻRAVONLIK SODIR ETGAN SHAXS UCHUN NUSXA",
    ),
    "uz-Cyrl": (
        "ҲИМОЯ ҚИЛИНУВЧИ ШАХС УЧУН НУСХА",
        "ТАЗЙИҚ ВА ЗЎРАВОНЛИК СОДИР ЭТГАН ШАХС УЧУН НУСХА",
    ),
    "ru": ("ЭКЗЕМПЛЯР ЗАЩИЩАЕМОГО ЛИЦА", "ЭКЗЕМПЛЯР ЛИЦА, СОВЕРШИВШЕГО ПРИТЕСНЕНИЕ ИЛИ НАСИЛИЕ"),
}

STANDARD_FONTS = ("Helvetica", "Times", "Courier", "Symbol", "ZapfDingbats")


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, str], bytes]:
    """Each kind in each language, rendered once for the module."""
    return {
        (kind, lang): reports.render(kind, samples.sample(kind), lang)
        for kind in reports.KINDS
        for lang in LANGS
    }


def test_kinds_are_the_public_contract():
    assert reports.KINDS == (
        "visit-act",
        "talk-record",
        "warning",
        "protection-order",
        "offence-protocol",
        "supervision-card",
        "monthly-report",
    )


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", reports.KINDS)
def test_document_shows_what_a_user_checks(rendered, text, kind, lang):
    body = text(rendered[kind, lang])
    assert body.startswith("%PDF") is False  # text, not bytes
    assert TITLES[kind][lang] in body
    assert MINISTRY[lang] in body
    assert "TP-0123/2026-" in body
    number = samples.sample(kind).header.number
    assert f"№ {number}" in body
    assert "27.11.2026" in body
    for name in NAMES[kind]:
        assert name in body, name
    # The letters that break first: oʻ/gʻ (U+02BB) and Uzbek Cyrillic.
    assert "ʻ" in body
    uzbek_cyrillic = "ўқғҳЎҚҒҲ"
    if lang == "uz-Cyrl" or any(ch in name for name in NAMES[kind] for ch in uzbek_cyrillic):
        assert any(ch in body for ch in uzbek_cyrillic)
    assert "\ufffd" not in body and "■" not in body
    assert "?" not in body  # nothing in the samples has one; a lost glyph would


@pytest.mark.parametrize("lang", LANGS)
def test_prose_dates_have_month_names(rendered, text, lang):
    assert LONG_DATE[lang] in text(rendered["visit-act", lang])
    assert LONG_DATE[lang] in text(rendered["talk-record", lang])


@pytest.mark.parametrize("lang", LANGS)
def test_fonts_are_embedded_and_never_the_builtin_ones(rendered, lang):
    for kind in reports.KINDS:
        pdf = rendered[kind, lang]
        for standard in STANDARD_FONTS:
            assert f"/{standard}".encode() not in pdf, (kind, standard)
        reader = PdfReader(BytesIO(pdf))
        seen = 0
        for page in reader.pages:
            for font in page["/Resources"]["/Font"].values():
                font = font.get_object()
                seen += 1
                assert not any(s in str(font["/BaseFont"]) for s in STANDARD_FONTS)
                assert "DejaVuSerif" in str(font["/BaseFont"])
                descriptor = font["/FontDescriptor"].get_object()
                assert "/FontFile2" in descriptor, (kind, font["/BaseFont"])
        assert seen >= 2, kind


@pytest.mark.parametrize("kind", reports.KINDS)
def test_same_data_gives_the_same_bytes(kind):
    data = samples.sample(kind)
    first = reports.render(kind, data, "uz-Latn")
    assert reports.render(kind, data, "uz-Latn") == first
    # A stored snapshot (JSON) re-prints byte for byte.
    stored = json.loads(json.dumps(data.to_dict(), ensure_ascii=False))
    assert reports.render(kind, reports.load(kind, stored), "uz-Latn") == first
    assert reports.render(kind, data, "ru") != first


@pytest.mark.parametrize("lang", LANGS)
def test_protection_order_has_two_copies_on_two_pages(rendered, pages, lang):
    page_texts = pages(rendered["protection-order", lang])
    assert len(page_texts) == 2
    protected, respondent = COPIES[lang]
    assert protected in page_texts[0] and respondent not in page_texts[0]
    assert respondent in page_texts[1] and protected not in page_texts[1]
    for page in page_texts:
        assert TITLES["protection-order"][lang] in page
        assert LATIN in page and CYRILLIC in page


def test_protection_order_prints_extensions(text):
    body = text(reports.render("protection-order", samples.protection_order(extended=True), "en"))
    assert "Extended on 26.12.2026 until 25.01.2027." in body
    assert "(60 days)" in body


@pytest.mark.parametrize("lang", LANGS)
def test_offence_protocol_marks_refusal_only_when_refused(text, lang):
    refused = text(reports.render("offence-protocol", samples.offence_protocol(refused=True), lang))
    signed = text(reports.render("offence-protocol", samples.offence_protocol(refused=False), lang))
    assert REFUSED[lang] in refused
    assert REFUSED[lang] not in signed


def test_offence_protocol_carries_every_particular(rendered, text):
    body = text(rendered["offence-protocol", "en"])
    for expected in (
        "27 November 2026 at 16:45",  # date and time drawn up
        "Place drawn up: Toshkent sh., Chilonzor tumani",
        "assistant inspector, politsiya leytenanti Karimov Bahodir Gʻulomovich",
        "30803940000000",
        "AC1234567",
        "26.11.2026 22:10",  # time of the offence
        "Bunyodkor koʻchasi, 14-uy oldida",  # place of the offence
        "Mast holda jamoat joyida",  # substance
        "183-modda (mayda bezorilik)",  # article
        "Bunyodkor koʻchasi, 16-uy, 1-xonadon",  # a witness's address
        "Aybimni tan olaman",  # the offender's explanation
        "ilgari 2026 yil mart oyida",  # other facts
        "Damage caused",
        "Fotosurat (1 dona)",
        "(signature)",
    ):
        assert expected in body, expected


@pytest.mark.parametrize("lang", LANGS)
def test_long_supervision_card_numbers_its_pages(pages, lang):
    card = samples.supervision_card(checkins=90)
    page_texts = pages(reports.render("supervision-card", card, lang))
    total = len(page_texts)
    assert total >= 3
    for number, page in enumerate(page_texts, start=1):
        assert PAGE_OF[lang].format(page=number, total=total) in page
    assert f"90 {short_datetime(card.checkins[-1].at)}" in page_texts[-1]


@pytest.mark.parametrize("lang", LANGS)
def test_single_page_documents_do_not_say_page_1_of_1(rendered, pages, lang):
    page_texts = pages(rendered["warning", lang])
    assert len(page_texts) == 1
    assert PAGE_OF[lang].format(page=1, total=1) not in page_texts[0]


def test_signatures_never_stand_alone_on_the_last_page(pages):
    for checkins in (20, 26, 30, 34, 40):
        card = samples.supervision_card(checkins=checkins)
        last = pages(reports.render("supervision-card", card, "ru"))[-1]
        # The last check-in rows travel with the signature.
        before_signature = last.split("Карточку составил(а)")[0]
        assert f"{checkins} {short_datetime(card.checkins[-1].at)}" in before_signature


@pytest.mark.parametrize(
    ("lang", "period", "plural"),
    [
        ("en", "Reporting period: November 2026", "2 citizens or organisations proposed"),
        ("uz-Latn", "Hisobot davri: 2026 yil noyabr", "Ragʻbatlantirish uchun 2 nafar"),
        ("uz-Cyrl", "Ҳисобот даври: 2026 йил ноябр", "Рағбатлантириш учун 2 нафар"),
        ("ru", "Отчётный период: ноябрь 2026 г.", "представлены 2 гражданина или организации"),
    ],
)
def test_monthly_report_counts_and_chart(rendered, text, lang, period, plural):
    body = text(rendered["monthly-report", lang])
    assert period in body
    assert plural in body
    for figure in ("107", "118", "130", "397 / 642 (62%)", "15", "11"):
        assert figure in body
    # Chart labels are real text in our font: the direction names appear in the table
    # and again beside the bars.
    direction = {
        "en": "Social and legal help",
        "uz-Latn": "Ijtimoiy-huquqiy yordam",
        "uz-Cyrl": "Ижтимоий-ҳуқуқий ёрдам",
        "ru": "Социально-правовая помощь",
    }[lang]
    assert body.count(direction) >= 2


def test_russian_plural_forms(text):
    one = dataclasses.replace(
        samples.monthly_report(), contributions=samples.monthly_report().contributions[:1]
    )
    assert "представлен 1 гражданин или организация" in text(
        reports.render("monthly-report", one, "ru")
    )
    body = text(reports.render("supervision-card", samples.supervision_card(checkins=5), "ru"))
    assert "Всего 5 проверок" in body
    assert "2 раза в месяц" in body and "1 раз в месяц" in body


def test_correction_refers_to_the_corrected_document(text):
    data = samples.warning()
    corrected = dataclasses.replace(
        data, header=samples.header(serial=60, corrects=data.header.number)
    )
    body = text(reports.render("warning", corrected, "en"))
    assert "№ TP-0123/2026-00060" in body
    assert "corrects document № TP-0123/2026-00047" in body


def test_language_is_chosen_per_call_not_from_the_ui(rendered, text):
    previous = i18n.current_language()
    i18n.set_language("ru")
    try:
        body = text(reports.render("warning", samples.warning(), "en"))
    finally:
        i18n.set_language(previous)
    assert TITLES["warning"]["en"] in body
    assert TITLES["warning"]["ru"] not in body


def test_typed_text_with_markup_characters_is_printed_as_typed(text):
    data = dataclasses.replace(samples.warning(), grounds="A < B & C > D <b>not bold</b>")
    assert "A < B & C > D <b>not bold</b>" in text(reports.render("warning", data, "en"))


def test_unknown_codes_print_as_typed(text):
    order: ProtectionOrder = dataclasses.replace(
        samples.protection_order(), prohibitions=("contact", "maktab yoniga yaqinlashmaslik")
    )
    body = text(reports.render("protection-order", order, "uz-Latn"))
    assert "maktab yoniga yaqinlashmaslik" in body
    assert "himoya qilinuvchi shaxs bilan aloqaga chiqish" in body


def test_refuses_bad_input():
    with pytest.raises(reports.UnknownKindError) as err:
        reports.render("birth-certificate", samples.warning(), "en")
    assert "birth-certificate" in err.value.message("en")
    with pytest.raises(reports.UnknownLanguageError):
        reports.render("warning", samples.warning(), "de")
    with pytest.raises(TypeError):
        reports.render("visit-act", samples.warning(), "en")
    with pytest.raises(reports.UnknownKindError):
        reports.load("birth-certificate", {})


def test_bytes_do_not_depend_on_the_process(tmp_path):
    """A re-print happens in another process, maybe years later: hash seeds must not matter."""
    script = (
        "import sys\n"
        "from app import reports\n"
        "from app.reports import samples\n"
        "sys.stdout.buffer.write(reports.render('monthly-report', samples.monthly_report(), 'en'))\n"
    )
    here = reports.render("monthly-report", samples.monthly_report(), "en")
    root = Path(__file__).resolve().parents[2]
    for seed in ("1", "987"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)}
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, check=True
        ).stdout
        assert out == here


@pytest.mark.parametrize("lang", LANGS)
def test_check_in_dates_and_results_stay_on_one_line(lang):
    """The supervision card's check-in table gives a date and time, and a result such as
    "отсутствовал(а)", a line each: a wrapped "17.10.2026 / 14:30" is read as two values."""
    card = samples.supervision_card(checkins=6)
    pdf = reports.render("supervision-card", card, lang)
    lines = [
        line
        for page in PdfReader(BytesIO(pdf)).pages
        for line in (page.extract_text() or "").splitlines()
    ]
    for c in card.checkins:
        assert any(short_datetime(c.at) in line for line in lines), short_datetime(c.at)
    if lang == "ru":
        assert any("отсутствовал(а)" in line for line in lines)


@pytest.mark.parametrize("lang", LANGS)
def test_monthly_report_column_titles_keep_their_words_whole(lang):
    """A numeric column is as wide as its title's longest word: reportlab would otherwise
    break "Количество" into "Количеств / о"."""
    pdf = reports.render("monthly-report", samples.monthly_report(), lang)
    lines = [
        line
        for page in PdfReader(BytesIO(pdf)).pages
        for line in (page.extract_text() or "").splitlines()
    ]
    for title in ("Count", "Opened", "Resolved"):
        translated = i18n.translator(lang).gettext(title)
        for word in translated.split():
            assert any(word in line for line in lines), (lang, word)
