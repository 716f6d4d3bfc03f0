"""The search call as the window's search box and `tayanch find` use it."""

from __future__ import annotations

import shutil
import uuid
from datetime import date

import pytest
from sqlalchemy import text

from app.db.engine import make_engine
from app.db.register import Register
from app.search import index
from app.search.service import search
from app.services.persons import persons
from app.services.registers import entries
from tests.conftest import PASSWORD

PEOPLE = {
    # key: (surname, given name, patronymic, birth date, sex, pinfl, passport, phone)
    "qodirov": (
        "Қодиров",
        "Шавкат",
        "Анварович",
        "12.03.1985",
        "m",
        "31203851234567",
        "AC1234567",
        "+998 90 123-45-67",
    ),
    "qodirova": (
        "Qodirova",
        "Nargiza",
        "Dilmurod qizi",
        "01.02.1990",
        "f",
        "40102901234560",
        "",
        "",
    ),
    "orinboyev": ("Oʻrinboyev", "Alisher", "", "05.05.1971", "m", "", "", "+998 93 555 11 22"),
    "hasanov": ("Hasanov", "Dilshod", "Gʻulomovich", "06.06.1980", "m", "", "", ""),
    "rahimov": ("Rahimov", "Botir", "", "07.07.1975", "m", "", "", ""),
    "qodirov2": ("Qodirov", "Shavkat", "", "09.09.1999", "m", "", "", ""),
}


@pytest.fixture(scope="module")
def people(_template_register, tmp_path_factory):
    """One register with the persons above (read-only for the tests that use it)."""
    folder = tmp_path_factory.mktemp("search") / "register"
    shutil.copytree(_template_register[0], folder)
    reg = Register.open(folder, "inspector", PASSWORD)
    ids = {}
    for key, (s, g, p, bd, sex, pinfl, passport, phone) in PEOPLE.items():
        rec = persons.create(
            reg,
            surname=s,
            given_name=g,
            patronymic=p,
            birth_date=bd,
            sex=sex,
            pinfl=pinfl,
            passport=passport,
            phone=phone,
        )
        ids[rec.id] = key
    yield reg, ids
    reg.close()


def found(reg_ids, query, **kw) -> list[str]:
    reg, ids = reg_ids
    return [ids[h.person_id] for h in search(reg, query, **kw)]


@pytest.mark.parametrize(
    "query", ["Қодиров", "Qodirov", "Кодиров", "Kodirov", "qodirov", "QODIROV"]
)
def test_a_surname_in_any_script_finds_both_spellings(people, query):
    assert set(found(people, query)) >= {"qodirov", "qodirov2"}
    assert "rahimov" not in found(people, query)


@pytest.mark.parametrize(
    "query",
    ["Oʻrinboyev", "O'rinboyev", "O‘rinboyev", "Örinboyev", "Ўринбоев", "Уринбоев", "Orinboyev"],
)
def test_okina_variants_and_russian_rendering_find_the_person(people, query):
    assert found(people, query)[0] == "orinboyev"


@pytest.mark.parametrize(
    "query", ["Хасанов", "Xasanov", "Ҳасанов", "Khasanov Dilshod", "Дилшод Ҳасанов", "Гуломович"]
)
def test_russian_h_x_and_g_renderings(people, query):
    assert found(people, query) == ["hasanov"]


def test_name_parts_in_any_order_and_as_prefixes_while_typing(people):
    assert found(people, "Шавкат Қодиров Анварович") == ["qodirov"]
    assert found(people, "shavkat qod")[:2] in (["qodirov", "qodirov2"], ["qodirov2", "qodirov"])
    assert found(people, "Nargiza Qodirova") == ["qodirova"]
    assert "qodirova" in found(people, "qod")
    assert found(people, "Dilmurod qizi") == ["qodirova"]


@pytest.mark.parametrize("query", ["Qodriov", "Qodirv", "Qodiorv", "Rahimof", "Хасонов"])
def test_a_one_letter_typo_still_finds_the_person(people, query):
    hits = found(people, query)
    assert hits, query
    assert hits[0] in {"qodirov", "qodirov2", "rahimov", "hasanov"}


def test_unrelated_text_finds_nobody(people):
    assert found(people, "Zokirjonov") == []
    assert found(people, "Botir Qodirov") == []  # every word must match
    assert found(people, "") == []


def test_exact_before_folded_before_fuzzy(people):
    reg, ids = people
    hits = search(reg, "Qodirov")
    assert [ids[h.person_id] for h in hits[:2]] == ["qodirov2", "qodirov"]  # as typed first
    assert [h.match for h in hits[:2]] == ["exact", "folded"]
    assert ids[hits[2].person_id] == "qodirova" and hits[2].match == "prefix"
    typo = search(reg, "Qodriov")
    assert {h.match for h in typo} == {"fuzzy"}
    assert hits[0].score > hits[1].score > hits[2].score > typo[0].score


@pytest.mark.parametrize(
    "query",
    [
        "31203851234567",
        "3120385",
        "AC1234567",
        "ac1234567",
        "+998 90 123-45-67",
        "998901234567",
        "90 123 45 67",
        "901234567",
        "123-45-67",
        "12.03.1985",
        "Qodirov 1985",
        "Шавкат 12.03.1985",
    ],
)
def test_pinfl_passport_phone_and_birth_date_in_any_format(people, query):
    assert found(people, query) == ["qodirov"]


def test_hit_carries_what_a_result_line_shows(people):
    reg, ids = people
    (hit,) = search(reg, "31203851234567")
    assert hit.full_name == "Қодиров Шавкат Анварович"  # as typed
    assert hit.birth_date == date(1985, 3, 12)
    assert hit.pinfl == "31203851234567"
    assert hit.registers == ()
    assert isinstance(hit.person_id, uuid.UUID)


def test_limit(people):
    assert len(found(people, "a", limit=2)) == 2


def test_persons_on_an_active_register_come_first(reg):
    a = persons.create(reg, surname="Karimov", given_name="Aziz", birth_date="01.01.1980", sex="m")
    b = persons.create(reg, surname="Karimov", given_name="Bobur", birth_date="01.01.1981", sex="m")
    assert [h.person_id for h in search(reg, "Karimov")] == [a.id, b.id]  # by name
    entries.create(reg, person_id=b.id, category="parole", start_date="01.01.2024")
    hits = search(reg, "Karimov")
    assert [h.person_id for h in hits] == [b.id, a.id]
    assert hits[0].registers == ("parole",)


def test_index_follows_updates_and_tombstones(reg):
    p = persons.create(
        reg, surname="Toshmatov", given_name="Eshmat", birth_date="02.02.1982", sex="m"
    )
    assert [h.person_id for h in search(reg, "Тошматов")] == [p.id]
    persons.update(reg, p.id, surname="Eshmatov")
    assert search(reg, "Toshmatov") == []
    assert [h.person_id for h in search(reg, "Эшматов")] == [p.id]
    persons.close(reg, p.id)
    assert search(reg, "Eshmatov") == []


def test_rows_written_around_the_services_are_indexed_too(reg):
    """The demo generator and sync insert in bulk, without the services."""
    pid = uuid.uuid4()
    with reg.write_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO person (id, stronghold_code, created_at, updated_at, deleted, "
                "version, surname, given_name, patronymic, sex, phone, phone2, region, "
                "district, makhalla, street, house, flat, workplace, notes) VALUES "
                "(:id, 'TP-0999', '2026-01-01', '2026-01-01', 0, 1, 'Йўлдошев', 'Бахром', '', "
                "'m', '', '', '', '', '', '', '', '', '', '')"
            ),
            {"id": pid.hex},
        )
    assert [h.person_id for h in search(reg, "Yoʻldoshev Baxrom")] == [pid]


def test_rebuild_and_self_repair_after_a_table_copy_drops_the_triggers(reg):
    p = persons.create(reg, surname="Nazarov", given_name="Olim", birth_date="03.03.1983", sex="m")
    with reg.write_engine.begin() as conn:
        conn.execute(text("DELETE FROM person_fts"))
    assert search(reg, "Nazarov") == []
    with reg.write_engine.begin() as conn:
        index.rebuild(conn)
    assert [h.person_id for h in search(reg, "Назаров")] == [p.id]

    # alembic's batch mode copies a table to alter it: the triggers go with the old one
    with reg.write_engine.begin() as conn:
        for t in index.TRIGGERS:
            conn.execute(text(f"DROP TRIGGER {t}"))
    q = persons.create(reg, surname="Nazarova", given_name="Lola", birth_date="04.04.1984", sex="f")
    index._checked.discard(reg.engine)  # a new engine, as at the next start
    assert {h.person_id for h in search(reg, "Nazarov")} == {p.id, q.id}
    with reg.engine.connect() as conn:
        assert index.installed(conn)


def test_migration_0002_indexes_the_persons_of_an_older_register(tmp_path):
    from alembic import command

    from app.db import migrate

    engine = make_engine(tmp_path / "old.db", bytes(range(32)))
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(
            text(
                "INSERT INTO person (id, stronghold_code, created_at, updated_at, deleted, "
                "version, surname, given_name, patronymic, sex, phone, phone2, region, "
                "district, makhalla, street, house, flat, workplace, notes, pinfl) VALUES "
                "(:id, 'TP-0999', '2026-01-01', '2026-01-01', 0, 1, 'Ғаниев', 'Сардор', '', "
                "'m', '', '', '', '', '', '', '', '', '', '', '30101901234567')"
            ),
            {"id": uuid.uuid4().hex},
        )
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        rows = conn.execute(
            text(
                "SELECT count(*) FROM person_fts WHERE person_fts MATCH 'names : ganiev "
                "AND ids : 3010190*'"
            )
        ).scalar()
    engine.dispose()
    assert rows == 1


def test_rebuild_accepts_the_session_a_bulk_writer_holds(reg):
    """The demo generator calls app.search.index.rebuild(session) after its inserts."""
    from sqlmodel import Session

    p = persons.create(reg, surname="Sobirov", given_name="Aziz", birth_date="05.05.1985", sex="m")
    with Session(reg.write_engine) as s:
        s.exec(text("DELETE FROM person_fts"))
        index.rebuild(s)
        s.commit()
    assert [h.person_id for h in search(reg, "Собиров")] == [p.id]
