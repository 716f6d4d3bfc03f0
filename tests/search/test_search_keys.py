"""Name keys: one key for every spelling of a name an inspector may meet or type."""

from __future__ import annotations

import pytest

from app.search.keys import fuzzy_distance, id_keys, word_keys
from app.search.translit import to_latin

# Each group is one name as it reaches the register in different scripts and spellings.
SAME = [
    ["Қодиров", "Qodirov", "Кодиров", "Kodirov", "QODIROV", "қодиров"],
    ["Шавкат", "Shavkat", "Şavkat", "ШАВКАТ"],
    [
        "Oʻrinboyev",
        "O'rinboyev",
        "O‘rinboyev",
        "O’rinboyev",
        "O`rinboyev",
        "Örinboyev",
        "Ўринбоев",
        "Уринбоев",
    ],
    ["Gʻulomov", "G'ulomov", "Ğulomov", "Ғуломов", "Гуломов", "Gulomov"],
    ["Ҳасанов", "Хасанов", "Hasanov", "Xasanov", "Khasanov"],
    ["Алиев", "Aliyev", "Aliev"],
    ["Чориев", "Choriyev", "Çoriyev", "Choriev"],
    ["Муҳаммаджон", "Muhammadjon", "Мухаммаджон", "Muhamadjon"],
    ["Жамшид", "Jamshid", "Джамшид", "Dzhamshid"],
    ["Исҳоқ", "Isʼhoq", "Ishoq", "Исхок"],
    ["Цой", "Tsoy", "Soy"],
    ["Елена", "Yelena", "Elena"],
    ["ўғли", "oʻgʻli", "o'g'li", "угли"],
]
# oʻ typed without its apostrophe is a plain o, while Russian writes у: both find the
# oʻ spelling, and each other one typo apart (the search's typo step joins them).
WITHOUT_APOSTROPHE = [("Oʻrinboyev", "Orinboyev"), ("Ўринбоев", "Orinboyev"), ("oʻgʻli", "ogli")]


def _share_a_key(a: str, b: str) -> bool:
    return bool(set(word_keys(a)) & set(word_keys(b)))


@pytest.mark.parametrize("group", SAME, ids=[g[0] for g in SAME])
def test_every_spelling_of_a_name_finds_every_other_both_ways(group):
    for a in group:
        for b in group:
            assert _share_a_key(a, b), (a, b, word_keys(a), word_keys(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Qodirov", "Qosimov"),
        ("Shavkat", "Sanjar"),
        ("Oʻrinboyev", "Rahimov"),
        ("Aliyev", "Valiyev"),
        ("Hasanov", "Husanov"),
        ("Umarov", "Omonov"),
        ("Salim", "Shalim"),  # sh is not s
        ("Chori", "Cori"),
    ],
)
def test_different_names_keep_different_keys(a, b):
    assert not _share_a_key(a, b)


@pytest.mark.parametrize(("a", "b"), WITHOUT_APOSTROPHE)
def test_o_without_apostrophe_finds_the_okina_spelling(a, b):
    assert _share_a_key(a, b)
    assert fuzzy_distance(word_keys("Уринбоев")[0], word_keys("Orinboyev")[0]) == 1


def test_keys_are_plain_ascii_tokens():
    for group in SAME:
        for w in group:
            for k in word_keys(w):
                assert k.isascii() and k.isalnum() and k == k.lower(), (w, k)


def test_words_without_letters_have_no_key():
    assert word_keys("ʻ") == ()
    assert word_keys("-") == ()


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Ўринбоев", "Oʻrinboyev"),  # ў -> oʻ (U+02BB)
        ("Ғулом", "Gʻulom"),
        ("Қодиров", "Qodirov"),
        ("Ҳасан Хўжаев", "Hasan Xoʻjayev"),  # ҳ -> h, х -> x
        ("Шукур Чориев", "Shukur Choriyev"),
        ("Ёқубов", "Yoqubov"),
        ("Юлдашев", "Yuldashev"),
        ("Ярашев", "Yarashev"),
        ("Маъмурий", "Maʼmuriy"),  # ъ -> ʼ (U+02BC)
        ("Васильев", "Vasilev"),  # ь dropped, then е after a consonant is e
        ("Елена", "Yelena"),  # е at the start -> ye
        ("Мирзаев", "Mirzayev"),  # е after a vowel -> ye
        ("Бекмуродов", "Bekmurodov"),  # е after a consonant -> e
        ("Цой", "Soy"),  # ц at the start -> s
        ("Концерт", "Konsert"),  # ц after a consonant -> s
        ("Лицей", "Litsey"),  # ц after a vowel -> ts
        ("Дилмурод қизи", "Dilmurod qizi"),
    ],
)
def test_cyrillic_to_latin_follows_domain_rules(cyrillic, latin):
    assert to_latin(cyrillic) == latin


def test_latin_apostrophes_are_normalised():
    assert to_latin("O'rinboyev G‘ulom ma'muriy") == "Oʻrinboyev Gʻulom maʼmuriy"
    assert to_latin("Şavkat Çoriyev Örinboyev") == "Shavkat Choriyev Oʻrinboyev"


def test_identifier_tokens_cover_the_ways_a_phone_is_typed():
    tokens = id_keys("31203851234567", "AC1234567", "+998901234567", "").split()
    assert tokens == ["31203851234567", "ac1234567", "998901234567", "901234567", "1234567"]


@pytest.mark.parametrize(
    ("a", "b", "d"),
    [
        ("kodirov", "kodirov", 0),
        ("kodirov", "kodorov", 1),
        ("kodirov", "kodriov", 1),
        ("kodirov", "kodirv", 1),
        ("kodirov", "kodirova", 1),
        ("kodirov", "kosimov", 2),
    ],
)
def test_typo_distance(a, b, d):
    assert fuzzy_distance(a, b) == min(d, 2)
