"""The 2026 Uzbek Latin alphabet: converted from classic Latin by alifbo, never by hand."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from pypdf import PdfReader

from app import reports
from app.alphabet import _PROTECTED, from_2026, to_2026
from app.i18n import UZ_LATN_2026, translator
from app.reports import samples

from .conftest import TRANSLATIONS


@pytest.mark.parametrize(
    ("classic", "new"),
    [
        ("Oʻzbekiston", "Özbekiston"),
        ("toʻgʻrisida", "töğrisida"),
        ("shaxs", "şaxs"),
        ("Chop etish", "Çop etiş"),
        ("MAʼMURIY HUQUQBUZARLIK TOʻGʻRISIDA", "MAʼMURIY HUQUQBUZARLIK TÖĞRISIDA"),
        ("maʼlumot", "maʼlumot"),  # the tutuq belgisi stays
        ("tayanch punkti", "tayanç punkti"),
    ],
)
def test_letters_are_converted(classic, new):
    assert to_2026(classic) == new
    assert from_2026(new) == classic


@pytest.mark.parametrize(
    "kept",
    [
        "{shown} ta", "{changes}", "%(chosen)s", '<a href="chop">', "TAYANCH_PASSWORD",
        "'tayanch sync export'", "tayanch restore", "Ctrl+Shift+R", "--ssl-certfile",
        "uz-Latn-2026", "Tayanch dasturi", "hisobot.xlsx", "sqlite:///",
    ],
)  # fmt: skip
def test_code_names_and_the_product_name_are_not_converted(kept):
    assert to_2026(f"Ishonch {kept} choʻl").startswith("Işonç ")
    assert kept in to_2026(f"Ishonch {kept} choʻl")


def _classic_catalog(build):
    return build.read_catalog(TRANSLATIONS / "uz_Latn" / "LC_MESSAGES" / "tayanch.po")


def test_no_classic_letter_survives_in_the_2026_window_texts(build):
    tr = translator(UZ_LATN_2026)
    for message in _classic_catalog(build):
        if not message.id or message.pluralizable:
            continue
        text = _PROTECTED.sub(" ", tr.gettext(message.id))
        assert "\u02bb" not in text, text
        assert not re.search(r"(?i)(?<!s\u02bc)(sh|ch)", text) or "Tayanch" in text, text


def test_conversion_is_reversible_for_the_whole_catalog(build):
    """Classic -> 2026 -> classic gives the catalog back: nothing was lost or guessed.

    Up to case: "JShShIR" comes back as "JSHSHIR", since "JŞŞIR" does not say which.
    """
    for message in _classic_catalog(build):
        if not message.id:
            continue
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in texts:
            assert from_2026(to_2026(text)).casefold() == text.casefold()


def _pdf_text(pdf: bytes) -> str:
    return " ".join(page.extract_text() or "" for page in PdfReader(BytesIO(pdf)).pages)


def test_a_document_is_printed_in_the_2026_alphabet_through_its_language_alone():
    data = samples.sample("warning")
    classic = _pdf_text(reports.render("warning", data, "uz-Latn"))
    new = _pdf_text(reports.render("warning", data, UZ_LATN_2026))
    assert "RASMIY OGOHLANTIRISH" in classic
    assert "RASMIY OGOHLANTIRIŞ" in new and "RASMIY OGOHLANTIRISH" not in new
    assert "Özbekiston" in new.replace("\n", " ") or "ÖZBEKISTON" in new


@pytest.mark.parametrize("kind", reports.KINDS)
def test_every_document_kind_prints_its_title_in_the_2026_alphabet(kind):
    title = translator(UZ_LATN_2026).gettext(reports.TITLES[kind])
    assert title != translator("uz-Latn").gettext(reports.TITLES[kind]) or not re.search(
        "(?i)sh|ch|\u02bb", title
    )
    text = " ".join(_pdf_text(reports.render(kind, samples.sample(kind), UZ_LATN_2026)).split())
    assert title.upper() in text.upper()
