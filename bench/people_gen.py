"""Synthetic persons for the search and import benchmarks: invented, never real people.

Names are random combinations of common Uzbek given names and surname stems, written the
way they reach a register: classic Latin (with the apostrophe variants people type),
Uzbek Cyrillic, or the Russian rendering (ў->у, қ->к, ғ->г, ҳ->х). PINFLs have the public
shape (century and sex digit, DDMMYY of the birth date) and are unique; the rest of the
digits are random.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from app.search.translit import to_cyrillic as _to_cyrillic

to_cyrillic = lru_cache(maxsize=None)(_to_cyrillic)

MALE = (
    "Shavkat Alisher Dilshod Botir Sardor Jamshid Otabek Sherzod Rustam Bahodir Anvar "
    "Ulugʻbek Oybek Javlon Sanjar Farhod Nodir Jahongir Akmal Ravshan Gʻayrat Hasan Husan "
    "Ibrohim Ismoil Yusuf Doniyor Zafar Eldor Murod Qodir Sobir Shuhrat Tohir Umid Xurshid "
    "Abdulla Muhammad Olim Baxtiyor Komil Lochin Mirzo Nurbek Oʻtkir Po'lat Rahim Sa'dulla "
    "Temur Valijon Yoqub Zokir Shoxrux Asliddin Behruz Dilmurod Elyor Fazliddin Gʻolib"
).split()
FEMALE = (
    "Nargiza Dilnoza Lola Gulnora Malika Madina Zarina Shahnoza Feruza Nodira Kamola Mohira "
    "Dildora Sevara Gulchehra Barno Charos Dilfuza Xurshida Yulduz Zuhra Oʻgʻiloy Gʻuncha "
    "Hilola Iroda Laylo Muxlisa Nilufar Oysha Robiya Saodat Tursunoy Umida Vazira Zilola "
    "Aziza Bahor Guli Mavluda Munisa Ozoda Sitora Shoira Hulkar Maftuna Nasiba Rayhona"
).split()
STEMS = (
    "Qodir Oʻrinboy Hasan Rahim Karim Nazar Yusup Toshmat Eshmat Gʻulom Sobir Ahmad "
    "Mahmud Ismoil Ibrohim Xolmat Qosim Shukur Choriy Yoʻldosh Mirza Umar Usmon Sodiq Tohir "
    "Boboy Nurmat Ergash Haydar Hamid Jumaboy Abdulla Qurbon Roʻzi Saidmurod Tursun Xudoyberdi "
    "Valiy Zokir Alim Salim Bakir Fozil Gʻafur Hakim Jalil Kamol Latif Majid Nabi Oqil Poʻlat "
    "Rashid Sharif Temir Vahob Yaxyo Zaynobiddin Asad Baxtiyor Davron Eson Fayzulla Gʻani "
    "Husan Islom Jamol Komil Lutfulla Murod Norboy Odil Qahhor Ravshan Sattor Tolib Ulugʻ "
    "Vosit Xayrulla Yoqub Zafar Shodmon Ochil Mamat Nazir Rustam Sherali Aslon Bekmurod"
).split()
APOSTROPHES = ("\u02bb", "'", "\u2018", "\u2019", "`")
RUSSIAN = str.maketrans("ўЎқҚғҒҳҲ", "уУкКгГхХ")


@dataclass(frozen=True)
class Synthetic:
    surname: str
    given_name: str
    patronymic: str
    birth_date: date
    sex: str
    pinfl: str | None
    passport: str | None
    phone: str
    latin: tuple[str, str]  # surname and given name in classic Latin, for making queries


def surname_of(stem: str, sex: str) -> str:
    ends_vowel = stem[-1] in "aeiouy"
    suffix = ("yev" if ends_vowel else "ov") if not stem.endswith("iy") else "ev"
    if stem.endswith("iy"):
        stem = stem[:-1]
    return stem + suffix + ("a" if sex == "f" else "")


def patronymic_of(father: str, sex: str, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return father + (" qizi" if sex == "f" else " oʻgʻli")
    ends_vowel = father[-1] in "aeiouy"
    return (
        father + ("yevna" if ends_vowel else "ovna")
        if sex == "f"
        else father + ("yevich" if ends_vowel else "ovich")
    )


def render(latin: str, script: str, rng: random.Random) -> str:
    """A Latin name as it may be typed: Latin with any apostrophe, Cyrillic, Russian."""
    if script == "latin":
        return latin.replace("\u02bb", rng.choice(APOSTROPHES))
    cyr = to_cyrillic(latin)
    return cyr.translate(RUSSIAN) if script == "russian" else cyr


def pinfl_for(birth: date, sex: str, serial: int) -> str:
    first = (3 if birth.year < 2000 else 5) + (0 if sex == "m" else 1)
    return f"{first}{birth:%d%m%y}{serial:07d}"


def people(n: int, seed: int = 1) -> list[Synthetic]:
    rng = random.Random(seed)
    out = []
    start = date(1940, 1, 1)
    for i in range(n):
        sex = rng.choice("mf")
        given_l = rng.choice(MALE if sex == "m" else FEMALE)
        surname_l = surname_of(rng.choice(STEMS), sex)
        patronymic_l = patronymic_of(rng.choice(MALE), sex, rng)
        script = rng.choices(("latin", "cyrillic", "russian"), (60, 25, 15))[0]
        birth = start + timedelta(days=rng.randrange(365 * 66))
        out.append(
            Synthetic(
                surname=render(surname_l, script, rng),
                given_name=render(given_l, script, rng),
                patronymic=render(patronymic_l, script, rng),
                birth_date=birth,
                sex=sex,
                pinfl=pinfl_for(birth, sex, i) if rng.random() < 0.8 else None,
                passport=f"A{'BCDE'[i % 4]}{i:07d}" if rng.random() < 0.4 else None,
                phone=f"+9989{rng.choice('0134789')}{rng.randrange(10**7):07d}"
                if rng.random() < 0.5
                else "",
                latin=(surname_l, given_l),
            )
        )
    return out
