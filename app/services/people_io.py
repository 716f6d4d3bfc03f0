"""Import persons from, and export registers to, .csv and .xlsx files.

Import is all rows or none: every row is read and checked first, and any problem
refuses the whole file with a report naming each bad row (as the spreadsheet numbers
it, the header being row 1), its column and the reason. A row whose PINFL (or ``id``)
is already in the register updates that person; blank cells leave a field as it is.
Rows that repeat a PINFL or id are one person with several register entries (which is
how the export writes a person on two registers).

Writes are bulk statements in one transaction: 100,000 rows must import in well under
a minute. The search index and sync capture follow through their triggers on the
tables. The audit gets one "import" entry with the counts (the chain's append runs a
query per entry, too slow for 100,000 rows; the rows carry their created_at).

Headers are accepted in English (the codes of CLI.md), Uzbek (Latin and Cyrillic) and
Russian, and in whatever the translation catalogs say; exports write the header in the
UI language and dates as real dates in .xlsx.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, text, update
from sqlmodel import select

from app.db.register import Register
from app.domain.base import TASHKENT, new_id, utcnow
from app.domain.dispute import DisputeParty, FamilyDispute
from app.domain.enums import (
    Direction,
    DisputeNature,
    DisputeSource,
    DisputeStatus,
    LabelledEnum,
    OrderStatus,
    PartyRole,
    Prohibition,
    RegisterCategory,
    VisitPurpose,
)
from app.domain.household import Household, HouseholdVisit, VisitPerson
from app.domain.person import Person
from app.domain.protection_order import ProtectionOrder
from app.domain.register_entry import RegisterEntry
from app.errors import TayanchError
from app.i18n import LANGUAGES, N_, current_language, translator
from app.search import index as search_index
from app.search.keys import word_keys, words
from app.services.base import parse_date, require_permission, unit_of_work
from app.services.persons import PERSON_FIELDS, normalize_person, same_folded_name

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

# --- columns and their headers -------------------------------------------------------

# code -> (English label, Uzbek Latin, Uzbek Cyrillic, Russian). The English label is
# the msgid (translated through the catalogs where they exist); the built-in forms are
# what the template shows and what import accepts whatever the catalogs say.
HEADERS: dict[str, tuple[str, str, str, str]] = {
    "surname": (N_("Surname"), "Familiya", "Фамилия", "Фамилия"),
    "given_name": (N_("Given name"), "Ism", "Исм", "Имя"),
    "patronymic": (N_("Patronymic"), "Otasining ismi", "Отасининг исми", "Отчество"),
    "birth_date": (N_("Birth date"), "Tugʻilgan sana", "Туғилган сана", "Дата рождения"),
    "sex": (N_("Sex"), "Jinsi", "Жинси", "Пол"),
    "pinfl": (N_("PINFL"), "JShShIR", "ЖШШИР", "ПИНФЛ"),
    "passport": (N_("Passport"), "Pasport", "Паспорт", "Паспорт"),
    "phone": (N_("Phone"), "Telefon", "Телефон", "Телефон"),
    "region": (N_("Region"), "Viloyat", "Вилоят", "Область"),
    "district": (N_("District"), "Tuman", "Туман", "Район"),
    "makhalla": (N_("Makhalla"), "Mahalla", "Маҳалла", "Махалля"),
    "street": (N_("Street"), "Koʻcha", "Кўча", "Улица"),
    "house": (N_("House"), "Uy", "Уй", "Дом"),
    "flat": (N_("Flat"), "Kvartira", "Квартира", "Квартира"),
    "register_category": (N_("Register category"), "Hisob turi", "Ҳисоб тури", "Вид учёта"),
    "register_start": (
        N_("Register start"),
        "Hisobga olingan sana",
        "Ҳисобга олинган сана",
        "Дата постановки на учёт",
    ),
    "register_end": (
        N_("Register end"),
        "Hisob tugash sanasi",
        "Ҳисоб тугаш санаси",
        "Окончание учёта",
    ),
    "notes": (N_("Notes"), "Izoh", "Изоҳ", "Примечание"),
    "id": ("ID", "ID", "ID", "ID"),
    # export-only columns
    "full_name": (N_("Full name"), "F.I.Sh.", "Ф.И.Ш.", "Ф.И.О."),
    "visited_at": (N_("Visited at"), "Tashrif vaqti", "Ташриф вақти", "Время посещения"),
    "household": (N_("Household"), "Xonadon", "Хонадон", "Домохозяйство"),
    "visitor": (N_("Visitor"), "Tashrif buyurgan", "Ташриф буюрган", "Посетил"),
    "other_visitors": (
        N_("Other visitors"),
        "Boshqa ishtirokchilar",
        "Бошқа иштирокчилар",
        "Другие участники",
    ),
    "purpose": (N_("Purpose"), "Maqsad", "Мақсад", "Цель"),
    "direction": (N_("Direction of work"), "Ish yoʻnalishi", "Иш йўналиши", "Направление работы"),
    "persons_met": (
        N_("Persons met"),
        "Uchrashilgan shaxslar",
        "Учрашилган шахслар",
        "Встреченные лица",
    ),
    "findings": (N_("Findings"), "Aniqlangan holatlar", "Аниқланган ҳолатлар", "Выявлено"),
    "measures": (N_("Measures taken"), "Koʻrilgan choralar", "Кўрилган чоралар", "Принятые меры"),
    "next_visit_due": (
        N_("Next visit due"),
        "Keyingi tashrif",
        "Кейинги ташриф",
        "Следующее посещение",
    ),
    "reported_at": (N_("Reported at"), "Xabar vaqti", "Хабар вақти", "Время сообщения"),
    "source": (N_("Source"), "Manba", "Манба", "Источник"),
    "nature": (N_("Nature"), "Mazmuni", "Мазмуни", "Характер"),
    "status": (N_("Status"), "Holati", "Ҳолати", "Статус"),
    "parties": (N_("Parties"), "Tomonlar", "Томонлар", "Стороны"),
    "description": (N_("Description"), "Tavsif", "Тавсиф", "Описание"),
    "examined_at": (
        N_("Examined at"),
        "Koʻrib chiqilgan vaqt",
        "Кўриб чиқилган вақт",
        "Время рассмотрения",
    ),
    "closed_on": (N_("Closed on"), "Yopilgan sana", "Ёпилган сана", "Дата закрытия"),
    "number": (N_("Number"), "Raqami", "Рақами", "Номер"),
    "issued_on": (N_("Issued on"), "Berilgan sana", "Берилган сана", "Дата выдачи"),
    "protected_person": (
        N_("Protected person"),
        "Himoya qilinuvchi",
        "Ҳимоя қилинувчи",
        "Защищаемое лицо",
    ),
    "respondent": (N_("Respondent"), "Tazyiq oʻtkazgan shaxs", "Тазйиқ ўтказган шахс", "Ответчик"),
    "grounds": (N_("Grounds"), "Asoslar", "Асослар", "Основания"),
    "prohibitions": (N_("Prohibitions"), "Taqiqlar", "Тақиқлар", "Запреты"),
    "duration_days": (N_("Duration, days"), "Muddati, kun", "Муддати, кун", "Срок, дней"),
    "start_date": (N_("Start"), "Boshlanishi", "Бошланиши", "Начало"),
    "end_date": (N_("End"), "Tugashi", "Тугаши", "Окончание"),
}
_BUILTIN_INDEX = {"en": 0, "uz-Latn": 1, "uz-Cyrl": 2, "ru": 3}

PERSON_COLUMNS = (
    "surname",
    "given_name",
    "patronymic",
    "birth_date",
    "sex",
    "pinfl",
    "passport",
    "phone",
    "region",
    "district",
    "makhalla",
    "street",
    "house",
    "flat",
    "register_category",
    "register_start",
    "register_end",
    "notes",
    "id",
)
REQUIRED = ("surname", "given_name", "birth_date", "sex")
DATE_COLUMNS = {"birth_date", "register_start", "register_end"}
# Free text a spreadsheet could take for a formula; CSV cells starting like one get a '.
_TEXT_COLUMNS = {
    "surname",
    "given_name",
    "patronymic",
    "region",
    "district",
    "makhalla",
    "street",
    "house",
    "flat",
    "notes",
    "full_name",
    "household",
    "visitor",
    "other_visitors",
    "persons_met",
    "findings",
    "measures",
    "parties",
    "description",
    "grounds",
    "protected_person",
    "respondent",
    "number",
}

SEX_ALIASES = {
    "m": "m",
    "male": "m",
    "e": "m",
    "erkak": "m",
    "э": "m",
    "эркак": "m",
    "м": "m",
    "муж": "m",
    "мужской": "m",
    "f": "f",
    "female": "f",
    "a": "f",
    "ayol": "f",
    "а": "f",
    "аёл": "f",
    "ж": "f",
    "жен": "f",
    "женский": "f",
}


def header_label(code: str, lang: str | None = None) -> str:
    """The column's header in ``lang``: the catalog's translation, else the built-in one."""
    lang = lang or current_language()
    english = HEADERS[code][0]
    translated = translator(lang).gettext(english)
    if translated != english or lang == "en":
        return translated
    return HEADERS[code][_BUILTIN_INDEX.get(lang, 0)]


def _header_key(text_: str) -> str:
    text_ = str(text_).casefold()
    return re.sub(r"[\s_\-.,'`\u02bb\u02bc\u2018\u2019]", "", text_)


def _header_aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for code in PERSON_COLUMNS:
        names = {code, *HEADERS[code]}
        names |= {translator(lang).gettext(HEADERS[code][0]) for lang in LANGUAGES}
        for name in names:
            out[_header_key(name)] = code
    return out


# --- reading files -------------------------------------------------------------------


class ImportFileError(TayanchError):
    code = "import_file"
    template = N_(
        "The file cannot be read as an Excel workbook: it is damaged or of another kind. "
        "Open it in Excel and save it again as .xlsx (or as CSV UTF-8)."
    )


class UnsupportedFileType(TayanchError):
    code = "file_type"
    template = N_("Choose a .csv or .xlsx file (this one ends in '{suffix}').")


class ImportCancelled(TayanchError):
    code = "cancelled"
    template = N_("The import was cancelled; nothing was changed.")


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UnsupportedFileType(suffix=path.suffix or "—")
    return suffix


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes); Excel's plain 'CSV' on a Russian or
    Uzbek Windows writes the ANSI code page 1251 instead."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1251", errors="replace")


def _read_csv(path: Path) -> tuple[list[Any], Iterator[tuple[int, list[Any]]], int]:
    content = _decode(path.read_bytes())
    first = content.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    rows = list(csv.reader(io.StringIO(content, newline=""), delimiter=delimiter))
    if not rows:
        return [], iter(()), 0
    return rows[0], ((i, r) for i, r in enumerate(rows[1:], start=2)), len(rows) - 1


def _read_xlsx_calamine(path: Path) -> tuple[list[Any], Iterator[tuple[int, list[Any]]], int]:
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # CalamineError, zip errors...
        raise ImportFileError() from exc
    if not rows:
        return [], iter(()), 0
    return rows[0], ((i, r) for i, r in enumerate(rows[1:], start=2)), len(rows) - 1


def _read_xlsx_openpyxl(path: Path) -> tuple[list[Any], Iterator[tuple[int, list[Any]]], int]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException...
        raise ImportFileError() from exc
    ws = wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    header = next(it, None)
    total = max((ws.max_row or 1) - 1, 0)

    def body() -> Iterator[tuple[int, list[Any]]]:
        try:
            for i, row in enumerate(it, start=2):
                yield i, list(row)
        finally:
            wb.close()

    return list(header or []), body(), total


def _read_xlsx(path: Path, reader: str | None = None):
    """python-calamine reads 100,000 rows in seconds; openpyxl (always there, it writes our
    exports) needs about a minute for them, so it is only the fallback."""
    if reader != "openpyxl":
        try:
            import python_calamine  # noqa: F401
        except ImportError:
            log.info("python-calamine missing: reading .xlsx with openpyxl")
        else:
            return _read_xlsx_calamine(path)
    return _read_xlsx_openpyxl(path)


def read_table(
    path: Path, *, xlsx_reader: str | None = None
) -> tuple[list[Any], Iterator[tuple[int, list[Any]]], int]:
    """(header cells, iterator of (row number, cells), estimated row count)."""
    path = Path(path)
    suffix = _suffix(path)
    return _read_csv(path) if suffix == ".csv" else _read_xlsx(path, xlsx_reader)


# --- the import ----------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str  # the header as written in the file ("" for the whole row)
    template: str  # N_-marked sentence
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str | None = None) -> str:
        tr = translator(lang or current_language())
        return tr.gettext(self.template).format(**self.params)

    def line(self, lang: str | None = None) -> str:
        tr = translator(lang or current_language())
        where = (
            tr.gettext(N_("row {row}, column “{column}”")).format(row=self.row, column=self.column)
            if self.column
            else tr.gettext(N_("row {row}")).format(row=self.row)
        )
        return f"{where}: {self.message(lang)}"


@dataclass
class ImportReport:
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    entries_added: int = 0
    entries_updated: int = 0
    errors: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)  # likely duplicates
    preview: list[dict[str, Any]] = field(default_factory=list)  # first rows, for the window
    dry_run: bool = False
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self, lang: str | None = None) -> str:
        """What the file adds and changes, in one sentence (the CLI and the window)."""
        return (
            translator(lang or current_language())
            .gettext(
                N_(
                    "rows: {rows}; {added} added, {updated} updated, {unchanged} unchanged; "
                    "register entries: {entries_added} added, {entries_updated} updated."
                )
            )
            .format(
                rows=self.rows,
                added=self.added,
                updated=self.updated,
                unchanged=self.unchanged,
                entries_added=self.entries_added,
                entries_updated=self.entries_updated,
            )
        )


@dataclass
class _PersonRow:
    row: int
    values: dict[str, Any]  # person fields, normalised
    entries: list[tuple[int, str, date, date | None]]  # (row, category, start, end)
    existing_id: str | None = None  # hex id of the person it updates


class ImportRefused(TayanchError):
    code = "import_refused"
    template = N_(
        "The file was not imported: {count} problems (listed above). "
        "Correct the file and import it again; nothing was changed."
    )

    def message(self, lang: str | None = None) -> str:
        n = int(self.params.get("count", 0))
        tr = translator(lang or current_language())
        return tr.ngettext(
            "The file was not imported: {count} problem (listed above). "
            "Correct the file and import it again; nothing was changed.",
            "The file was not imported: {count} problems (listed above). "
            "Correct the file and import it again; nothing was changed.",
            n,
        ).format(count=n)


def _cell(value: Any, column: str) -> Any:
    """A cell as the column wants it: text stripped, numbers of identifiers as digits."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        if float(value).is_integer():
            return str(int(value))
        return str(value)
    value = str(value).strip()
    if column in _TEXT_COLUMNS and len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        value = value[1:]  # our own export's guard against spreadsheet formulas
    return value


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    text_ = str(value).strip()
    m = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text_)
    if m:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return parse_date(text_.split(" ")[0])


_PROBLEM_DATE = N_("Enter a date as dd.mm.yyyy.")
_PROBLEM_REQUIRED = N_("This field is required.")


def _check_row(
    n: int, cells: dict[str, Any], headers: dict[str, str], problems: list[RowProblem]
) -> tuple[dict[str, Any], tuple[str, date, date | None] | None, str]:
    """Person values, the register entry (if any) and the id cell, or problems."""
    values: dict[str, Any] = {}
    bad: dict[str, str] = {}
    for code, value in cells.items():
        if code in ("register_category", "register_start", "register_end", "id"):
            continue
        if value == "":
            continue
        if code in DATE_COLUMNS:
            try:
                value = _date(value)
            except ValueError:
                bad[code] = _PROBLEM_DATE
                continue
        elif code == "sex":
            sex = SEX_ALIASES.get(str(value).strip().casefold())
            if sex is None:
                bad[code] = N_("Write M (male) or F (female).")
                continue
            value = sex
        values[code] = value
    entry = None
    category = str(cells.get("register_category", "")).strip().lower()
    start_raw, end_raw = cells.get("register_start", ""), cells.get("register_end", "")
    if category:
        if category not in RegisterCategory.codes():
            bad["register_category"] = N_(
                "Unknown register category: use one of the codes listed by "
                "'tayanch import persons --help', or leave it empty."
            )
        start = end = None
        try:
            start = _date(start_raw) if start_raw != "" else None
        except ValueError:
            bad["register_start"] = _PROBLEM_DATE
        try:
            end = _date(end_raw) if end_raw != "" else None
        except ValueError:
            bad["register_end"] = _PROBLEM_DATE
        if start is None and "register_start" not in bad:
            bad["register_start"] = N_("Give the date the person was put on the register.")
        if start and end and end < start:
            bad["register_end"] = N_("The end date cannot be before the start date.")
        if "register_category" not in bad and start is not None and "register_end" not in bad:
            entry = (category, start, end)
    elif start_raw != "" or end_raw != "":
        bad["register_category"] = N_("Give the register category for these dates.")
    normalize_person(values, None, bad)
    for code, template in bad.items():
        problems.append(RowProblem(n, headers.get(code, code), template))
    return values, entry, str(cells.get("id", "")).strip()


def _same_person_values(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return [k for k in set(a) | set(b) if k in a and k in b and a[k] != b[k]]


def import_persons(
    reg: Register,
    path: Path | str,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    preview_rows: int = 50,
) -> ImportReport:
    """Check the whole file, then (unless ``dry_run`` or any problem) write it at once.

    Returns the report; ``report.errors`` non-empty means nothing was written.
    """
    require_permission(reg, "write")
    path = Path(path)
    report = ImportReport(dry_run=dry_run)
    header, body, total = read_table(path)
    aliases = _header_aliases()
    columns: list[str | None] = []  # the code of each column of the file, None: skip
    headers: dict[str, str] = {}  # code -> header as written
    for h in header:
        h_text = "" if h is None else str(h).strip()
        code = aliases.get(_header_key(h_text)) if h_text else None
        if h_text and code is None:
            report.errors.append(
                RowProblem(
                    1,
                    h_text,
                    N_("Unknown column. Use the headers of the template ({columns})."),
                    {"columns": ", ".join(PERSON_COLUMNS)},
                )
            )
        elif code in headers:
            report.errors.append(RowProblem(1, h_text, N_("This column appears twice.")))
            code = None
        elif code is not None:
            headers[code] = h_text
        columns.append(code)
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        report.errors.append(
            RowProblem(
                1,
                "",
                N_("The header row lacks required columns: {columns}."),
                {"columns": ", ".join(missing)},
            )
        )
    if report.errors:
        return report

    total_steps = max(total, 1) * 2
    people: list[_PersonRow] = []
    by_key: dict[str, _PersonRow] = {}  # id (hex) or PINFL -> the person's first row
    with reg.engine.connect() as conn:
        existing_pinfl = dict(
            conn.execute(
                text("SELECT pinfl, id FROM person WHERE deleted = 0 AND pinfl IS NOT NULL")
            ).all()
        )
        existing_ids = {r[0] for r in conn.execute(text("SELECT id FROM person WHERE deleted = 0"))}

    for n, raw in body:
        if cancel is not None and cancel.is_set():
            raise ImportCancelled()
        cells = {
            code: _cell(raw[i] if i < len(raw) else None, code)
            for i, code in enumerate(columns)
            if code is not None
        }
        if all(v == "" for v in cells.values()):
            continue
        report.rows += 1
        if progress and report.rows % 1000 == 0:
            progress(min(report.rows, total_steps // 2), total_steps)
        before = len(report.errors)
        values, entry, id_cell = _check_row(n, cells, headers, report.errors)
        row_failed = len(report.errors) > before
        existing = hex_id = None
        if id_cell:
            try:
                hex_id = uuid.UUID(id_cell).hex
            except ValueError:
                report.errors.append(
                    RowProblem(n, headers["id"], N_("This is not a record id; leave it empty."))
                )
                continue
            if hex_id in existing_ids:
                existing = hex_id
        pinfl = values.get("pinfl")
        if pinfl and pinfl in existing_pinfl:
            owner = existing_pinfl[pinfl]
            if existing is not None and owner != existing:
                report.errors.append(
                    RowProblem(
                        n,
                        headers["pinfl"],
                        N_("This PINFL belongs to another person in the register."),
                    )
                )
                continue
            existing = owner
        # Rows of one person: same id (an export writes a person once per register entry;
        # into another register the id is unknown and the person gets a new one) or PINFL.
        keys = [k for k in (existing or hex_id, pinfl) if k]
        first = next((by_key[k] for k in keys if k in by_key), None)
        if first is not None:
            differs = _same_person_values(first.values, values)
            if differs:
                report.errors.append(
                    RowProblem(
                        n,
                        headers.get(differs[0], differs[0]),
                        N_("The same person is in row {first} with a different value here."),
                        {"first": first.row},
                    )
                )
            elif entry is not None:
                first.entries.append((n, *entry))
            continue
        if existing is None and not row_failed:
            for code in REQUIRED:
                if values.get(code) in (None, ""):
                    report.errors.append(RowProblem(n, headers.get(code, code), _PROBLEM_REQUIRED))
        person = _PersonRow(n, values, [(n, *entry)] if entry else [], existing)
        people.append(person)
        for k in keys:
            by_key.setdefault(k, person)

    if report.errors:
        return report
    _likely_duplicates(reg, people, headers, report)

    if dry_run:
        with reg.reading() as session:
            writer = _Writer(reg, session, report)
            writer.prepare(people)
        report.preview = writer.preview[:preview_rows]
        return report
    with unit_of_work(reg) as uow:
        writer = _Writer(reg, uow.session, report)
        writer.prepare(people)
        report.preview = writer.preview[:preview_rows]
        done = total_steps // 2
        for chunk_done in writer.write(people, cancel):
            if progress:
                progress(
                    min(done + chunk_done * done // max(len(people), 1), total_steps), total_steps
                )
        uow.audit(
            "import",
            "person",
            rows=report.rows,
            added=report.added,
            updated=report.updated,
            entries_added=report.entries_added,
            entries_updated=report.entries_updated,
            file_type=path.suffix.lower().lstrip("."),
        )
        report.applied = True
    if progress:
        progress(total_steps, total_steps)
    log.info("import: %d rows, %d added, %d updated", report.rows, report.added, report.updated)
    return report


def _likely_duplicates(
    reg: Register, people: list[_PersonRow], headers: dict[str, str], report: ImportReport
) -> None:
    """Warn about new rows whose folded name and birth date match a person (or an
    earlier row): they may be the same person typed in another script."""
    new = [p for p in people if p.existing_id is None and not p.values.get("pinfl")]
    if not new:
        return
    dates = sorted({p.values["birth_date"].isoformat() for p in new if p.values.get("birth_date")})
    seen: dict[tuple[str, str], list[tuple[list, int | None]]] = {}

    def bucket_key(words_: list[tuple[str, ...]], bd: str) -> tuple[str, str]:
        return (" ".join(sorted(k[0] for k in words_)), bd)

    with reg.engine.connect() as conn:
        for i in range(0, len(dates), 500):
            part = dates[i : i + 500]
            for surname, given, bd in conn.execute(
                text(
                    "SELECT surname, given_name, birth_date FROM person "
                    "WHERE deleted = 0 AND birth_date IN (SELECT value FROM json_each(:d))"
                ),
                {"d": json.dumps(part)},
            ):
                w = [k for x in (surname, given) for t in words(x) if (k := word_keys(t))]
                seen.setdefault(bucket_key(w, bd), []).append((w, None))
    column = headers.get("surname", "surname")
    for p in new:
        bd = p.values.get("birth_date")
        if not bd:
            continue
        w = [
            k
            for x in (p.values.get("surname"), p.values.get("given_name"))
            for t in words(x)
            if (k := word_keys(t))
        ]
        bucket = seen.setdefault(bucket_key(w, bd.isoformat()), [])
        for other, row in bucket:
            if same_folded_name(w, other):
                if row is None:
                    report.warnings.append(
                        RowProblem(
                            p.row,
                            column,
                            N_(
                                "Likely already in the register (same name and birth date "
                                "in another spelling); merge the two records if so."
                            ),
                        )
                    )
                else:
                    report.warnings.append(
                        RowProblem(
                            p.row,
                            column,
                            N_("Likely the same person as row {other} (same name and birth date)."),
                            {"other": row},
                        )
                    )
                break
        bucket.append((w, p.row))


def _bulk_update(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """UPDATE by id, one executemany per set of changed columns."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(k for k in row if k != "id")), []).append(row)
    for cols, group in groups.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({c: bindparam(c, type_=table.c[c].type) for c in cols})
        )
        conn.execute(stmt, [{"_id": r["id"], **{c: r[c] for c in cols}} for r in group])


class _Writer:
    """Turns checked rows into bulk inserts and updates."""

    CHUNK = 2000
    # From this many person writes on, the search index is filled set-based after the
    # inserts instead of row by row by its triggers (3-4x faster for big files).
    BULK_INDEX = 1000

    def __init__(self, reg: Register, session: Any, report: ImportReport) -> None:
        self.reg = reg
        self.session = session
        self.report = report
        self.preview: list[dict[str, Any]] = []
        self.current: dict[str, Person] = {}
        self.active: dict[str, dict[str, RegisterEntry]] = {}

    def prepare(self, people: list[_PersonRow]) -> None:
        """Load the persons the file updates and their active entries; count actions."""
        ids = [p.existing_id for p in people if p.existing_id]
        for i in range(0, len(ids), 5000):
            part = [uuid.UUID(h) for h in ids[i : i + 5000]]
            for person in self.session.exec(select(Person).where(Person.id.in_(part))):
                self.current[person.id.hex] = person
            for e in self.session.exec(
                select(RegisterEntry).where(
                    RegisterEntry.person_id.in_(part),
                    RegisterEntry.deleted == False,
                    RegisterEntry.status == "active",
                )
            ):
                self.active.setdefault(e.person_id.hex, {}).setdefault(e.category, e)
        for p in people:
            action = "add"
            shown = p.values  # the row as the file has it, for the preview
            if p.existing_id:
                cur = self.current[p.existing_id]
                changed = [k for k, v in p.values.items() if getattr(cur, k) != v]
                p.values = {k: p.values[k] for k in changed}
                action = "update" if changed else "unchanged"
            for _row, cat, start, end in p.entries:
                e = self.active.get(p.existing_id or "", {}).get(cat)
                if e is None:
                    self.report.entries_added += 1
                elif (e.start_date, e.end_date) != (start, end):
                    self.report.entries_updated += 1
                else:
                    continue
                if action == "unchanged":
                    action = "update"  # the person gains or changes a register entry
            if action == "add":
                self.report.added += 1
            elif action == "update":
                self.report.updated += 1
            else:
                self.report.unchanged += 1
            if len(self.preview) < 200:
                self.preview.append({"row": p.row, "action": action, **shown})

    def write(self, people: list[_PersonRow], cancel: threading.Event | None) -> Iterator[int]:
        self.conn = self.session.connection()
        now = utcnow()
        code = self.reg.stronghold_code
        template = Person(surname="", given_name="")
        defaults = {c.name: getattr(template, c.name) for c in Person.__table__.columns}
        entry_template = RegisterEntry(person_id=uuid.UUID(int=0), category="", start_date=now)
        entry_defaults = {
            c.name: getattr(entry_template, c.name) for c in RegisterEntry.__table__.columns
        }
        writes = sum(1 for p in people if p.existing_id is None or p.values)
        bulk = writes >= self.BULK_INDEX
        mark = search_index.suspend(self.conn) if bulk else 0
        changed: list[str] = []
        for i in range(0, len(people), self.CHUNK):
            if cancel is not None and cancel.is_set():
                raise ImportCancelled()
            inserts, updates, entries, entry_updates = [], [], [], []
            for p in people[i : i + self.CHUNK]:
                if p.existing_id is None:
                    pid = new_id()
                    row = dict(defaults)
                    row.update(p.values)
                    row.update(
                        id=pid,
                        stronghold_code=code,
                        created_at=now,
                        updated_at=now,
                        deleted=False,
                        version=1,
                    )
                    inserts.append(row)
                else:
                    cur = self.current[p.existing_id]
                    pid = cur.id
                    if p.values:
                        changed.append(p.existing_id)
                        updates.append(
                            {"id": pid, **p.values, "version": cur.version + 1, "updated_at": now}
                        )
                for _row, cat, start, end in p.entries:
                    e = self.active.get(p.existing_id or "", {}).get(cat)
                    if e is None:
                        eid = new_id()
                        erow = dict(entry_defaults)
                        erow.update(
                            id=eid,
                            person_id=pid,
                            category=cat,
                            start_date=start,
                            end_date=end,
                            responsible_id=self.reg.user.id,
                            stronghold_code=code,
                            created_at=now,
                            updated_at=now,
                            deleted=False,
                            version=1,
                        )
                        entries.append(erow)
                        if p.existing_id:
                            self.active.setdefault(p.existing_id, {})[cat] = RegisterEntry(
                                id=eid, person_id=pid, category=cat, start_date=start, end_date=end
                            )
                    elif (e.start_date, e.end_date) != (start, end):
                        entry_updates.append(
                            {
                                "id": e.id,
                                "start_date": start,
                                "end_date": end,
                                "version": e.version + 1,
                                "updated_at": now,
                            }
                        )
                        e.start_date, e.end_date = start, end
            if inserts:
                self.conn.execute(insert(Person.__table__), inserts)
            if updates:
                _bulk_update(self.conn, Person.__table__, updates)
            if entries:
                self.conn.execute(insert(RegisterEntry.__table__), entries)
            if entry_updates:
                _bulk_update(self.conn, RegisterEntry.__table__, entry_updates)
            yield min(i + self.CHUNK, len(people))
        if bulk:
            search_index.resume(self.conn, mark, changed)


# --- export --------------------------------------------------------------------------

EXPORT_KINDS = ("persons", "visits", "disputes", "orders")


def _label(enum: type[LabelledEnum], code: str | None, lang: str) -> str:
    if not code:
        return ""
    try:
        return enum(code).label_in(lang)
    except ValueError:
        return code


def _local(value: datetime | None) -> datetime | None:
    """Aware UTC -> Tashkent wall time without tzinfo (what a spreadsheet shows)."""
    return value.astimezone(TASHKENT).replace(tzinfo=None) if value else None


def _name(p: Any) -> str:
    return " ".join(x for x in (p.surname, p.given_name, p.patronymic) if x) if p else ""


# The records a filtered list shows (None: every one).
Ids = frozenset[uuid.UUID] | None


def _person_rows(reg: Register, lang: str, only: Ids) -> Iterator[list[Any]]:
    with reg.reading() as s:
        entries: dict[uuid.UUID, list[RegisterEntry]] = {}
        for e in s.exec(
            select(RegisterEntry)
            .where(RegisterEntry.deleted == False, RegisterEntry.status == "active")
            .order_by(RegisterEntry.start_date)
        ):
            entries.setdefault(e.person_id, []).append(e)
        for p in s.exec(
            select(Person)
            .where(Person.deleted == False)
            .order_by(Person.surname, Person.given_name, Person.id)
        ):
            if only is not None and p.id not in only:
                continue
            base = [
                p.surname,
                p.given_name,
                p.patronymic,
                p.birth_date,
                (p.sex or "").upper(),
                p.pinfl or "",
                p.passport or "",
                p.phone,
                p.region,
                p.district,
                p.makhalla,
                p.street,
                p.house,
                p.flat,
            ]
            for e in entries.get(p.id) or [None]:
                reg_cells = [e.category, e.start_date, e.end_date] if e else ["", None, None]
                yield [*base, *reg_cells, p.notes, str(p.id)]


VISIT_COLUMNS = (
    "visited_at",
    "household",
    "makhalla",
    "visitor",
    "other_visitors",
    "purpose",
    "direction",
    "persons_met",
    "findings",
    "measures",
    "next_visit_due",
    "id",
)


def _visit_rows(reg: Register, lang: str, only: Ids) -> Iterator[list[Any]]:
    with reg.reading() as s:
        persons = {p.id: p for p in s.exec(select(Person))}
        homes = {h.id: h for h in s.exec(select(Household))}
        met: dict[uuid.UUID, list[str]] = {}
        for vp in s.exec(select(VisitPerson).where(VisitPerson.deleted == False)):
            met.setdefault(vp.visit_id, []).append(_name(persons.get(vp.person_id)))
        for v in s.exec(
            select(HouseholdVisit)
            .where(HouseholdVisit.deleted == False)
            .order_by(HouseholdVisit.visited_at.desc())
        ):
            if only is not None and v.household_id not in only:
                continue
            h = homes.get(v.household_id)
            address = ", ".join(x for x in (h.street, h.house, h.flat) if x) if h else ""
            yield [
                _local(v.visited_at),
                address,
                h.makhalla if h else "",
                v.visitor_name,
                v.other_visitors,
                _label(VisitPurpose, v.purpose, lang),
                _label(Direction, v.direction, lang),
                "; ".join(met.get(v.id, [])),
                v.findings,
                v.measures,
                v.next_visit_due,
                str(v.id),
            ]


DISPUTE_COLUMNS = (
    "reported_at",
    "source",
    "nature",
    "status",
    "parties",
    "description",
    "examined_at",
    "closed_on",
    "id",
)


def _dispute_rows(reg: Register, lang: str, only: Ids) -> Iterator[list[Any]]:
    with reg.reading() as s:
        persons = {p.id: p for p in s.exec(select(Person))}
        parties: dict[uuid.UUID, list[str]] = {}
        for dp in s.exec(select(DisputeParty).where(DisputeParty.deleted == False)):
            role = _label(PartyRole, dp.role, lang)
            parties.setdefault(dp.dispute_id, []).append(
                f"{_name(persons.get(dp.person_id))} ({role})"
            )
        for d in s.exec(
            select(FamilyDispute)
            .where(FamilyDispute.deleted == False)
            .order_by(FamilyDispute.reported_at.desc())
        ):
            if only is not None and d.id not in only:
                continue
            yield [
                _local(d.reported_at),
                _label(DisputeSource, d.source, lang),
                _label(DisputeNature, d.nature, lang),
                _label(DisputeStatus, d.status, lang),
                "; ".join(parties.get(d.id, [])),
                d.description,
                _local(d.examined_at),
                d.closed_on,
                str(d.id),
            ]


ORDER_COLUMNS = (
    "number",
    "issued_on",
    "protected_person",
    "respondent",
    "grounds",
    "prohibitions",
    "duration_days",
    "start_date",
    "end_date",
    "status",
    "id",
)


def _order_rows(reg: Register, lang: str, only: Ids) -> Iterator[list[Any]]:
    with reg.reading() as s:
        persons = {p.id: p for p in s.exec(select(Person))}
        for o in s.exec(
            select(ProtectionOrder)
            .where(ProtectionOrder.deleted == False)
            .order_by(ProtectionOrder.issued_on.desc())
        ):
            if only is not None and o.id not in only:
                continue
            prohibitions = [c for c in (o.prohibitions or "").split(",") if c]
            yield [
                o.number,
                o.issued_on,
                _name(persons.get(o.protected_person_id)),
                _name(persons.get(o.respondent_person_id)),
                o.grounds,
                "; ".join(_label(Prohibition, c, lang) for c in prohibitions),
                o.duration_days,
                o.start_date,
                o.end_date,
                _label(OrderStatus, o.status, lang),
                str(o.id),
            ]


_EXPORTS: dict[str, tuple[tuple[str, ...], Callable[[Register, str, Ids], Iterator[list[Any]]]]] = {
    "persons": (PERSON_COLUMNS, _person_rows),
    "visits": (VISIT_COLUMNS, _visit_rows),
    "disputes": (DISPUTE_COLUMNS, _dispute_rows),
    "orders": (ORDER_COLUMNS, _order_rows),
}
_TABLE_OF = {
    "persons": "person",
    "visits": "household_visit",
    "disputes": "family_dispute",
    "orders": "protection_order",
}


def _csv_cell(value: Any, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    value = str(value)
    if column in _TEXT_COLUMNS and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # a spreadsheet would take it for a formula
    return value


def _write_csv(path: Path, columns: Iterable[str], header: list[str], rows) -> int:
    count = 0
    columns = list(columns)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        # Semicolons: what Excel expects in Uzbek and Russian locales (comma is the
        # decimal separator there); import reads either.
        w = csv.writer(f, delimiter=";")
        w.writerow(header)
        for row in rows:
            w.writerow([_csv_cell(v, c) for v, c in zip(row, columns, strict=True)])
            count += 1
    return count


def _write_xlsx(path: Path, columns: Iterable[str], header: list[str], rows, title: str) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    columns = list(columns)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    ws.freeze_panes = "A2"
    for i, c in enumerate(columns, start=1):
        wide = c in ("notes", "findings", "measures", "description", "parties", "persons_met")
        ws.column_dimensions[get_column_letter(i)].width = 40 if wide else 18
    bold = Font(bold=True)
    head = []
    for h in header:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    count = 0
    for row in rows:
        out = []
        for v in row:
            if isinstance(v, datetime):
                cell = WriteOnlyCell(ws, value=v)
                cell.number_format = "DD.MM.YYYY HH:MM"
            elif isinstance(v, date):
                cell = WriteOnlyCell(ws, value=v)
                cell.number_format = "DD.MM.YYYY"
            elif isinstance(v, str) and v.startswith("="):
                cell = WriteOnlyCell(ws, value=v)
                cell.data_type = "s"  # text, never a formula
            else:
                cell = v if v is not None else None
            out.append(cell)
        ws.append(out)
        count += 1
    wb.save(path)
    return count


def _atomic_write(path: Path, write: Callable[[Path], int]) -> int:
    """Write next to the target and rename, so a failed export leaves no half file, and a
    refused disk is said naming the user's folder (app.disk). The file is its owner's only
    (the temporary file is made so): it holds personal data unencrypted, on a shared
    computer."""
    from app.disk import PendingFile

    path = Path(path)
    with PendingFile(path.parent) as pending:
        assert pending.tmp is not None
        count = write(pending.tmp)
        pending.place(path)
        return count


def export(
    reg: Register,
    kind: str,
    path: Path | str,
    *,
    lang: str | None = None,
    only: Collection[uuid.UUID] | None = None,
) -> int:
    """Write persons, visits, disputes or orders to ``path`` (.csv or .xlsx by its
    extension), the header in ``lang`` (default: the UI language). Returns the row count.
    ``only`` keeps the records a filtered list shows: persons, disputes or orders by their
    ids, visits by their household's. The file is not encrypted: the window warns before
    saving it."""
    require_permission(reg, "export")
    if kind not in _EXPORTS:
        raise ValueError(kind)
    path = Path(path)
    suffix = _suffix(path)
    lang = lang or current_language()
    columns, rows_of = _EXPORTS[kind]
    header = [header_label(c, lang) for c in columns]
    rows = rows_of(reg, lang, None if only is None else frozenset(only))
    if suffix == ".csv":
        count = _atomic_write(path, lambda p: _write_csv(p, columns, header, rows))
    else:
        title = translator(lang).gettext(
            {
                "persons": N_("Persons"),
                "visits": N_("Visits"),
                "disputes": N_("Disputes"),
                "orders": N_("Protection orders"),
            }[kind]
        )
        count = _atomic_write(path, lambda p: _write_xlsx(p, columns, header, rows, title))
    with unit_of_work(reg, "export") as uow:
        uow.audit("export", _TABLE_OF[kind], rows=count, file_type=suffix.lstrip("."))
    return count


def write_template(path: Path | str, *, lang: str | None = None) -> None:
    """An empty person import file: the header in ``lang`` and, in .xlsx, a second sheet
    that lists the columns and the register category codes."""
    path = Path(path)
    suffix = _suffix(path)
    lang = lang or current_language()
    header = [header_label(c, lang) for c in PERSON_COLUMNS]
    if suffix == ".csv":
        _atomic_write(path, lambda p: _write_csv(p, PERSON_COLUMNS, header, []))
        return

    def write(p: Path) -> int:
        from openpyxl import Workbook
        from openpyxl.styles import Font

        tr = translator(lang)
        wb = Workbook()
        ws = wb.active
        ws.title = tr.gettext(N_("Persons"))[:31]
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for i, c in enumerate(PERSON_COLUMNS):
            letter = ws.cell(row=1, column=i + 1).column_letter
            ws.column_dimensions[letter].width = 18
            if c in DATE_COLUMNS:
                for r in range(2, 1002):
                    ws.cell(row=r, column=i + 1).number_format = "DD.MM.YYYY"
            elif c in ("pinfl", "passport", "phone", "house", "flat"):
                for r in range(2, 1002):
                    ws.cell(row=r, column=i + 1).number_format = "@"  # keep digits as text
        help_ws = wb.create_sheet(tr.gettext(N_("Help"))[:31])
        help_ws.append([tr.gettext(N_("Column")), tr.gettext(N_("What to write"))])
        notes = {
            "birth_date": N_("date, dd.mm.yyyy"),
            "sex": N_("M or F"),
            "pinfl": N_("14 digits; a PINFL already in the register updates that person"),
            "passport": N_("2 Latin letters and 7 digits, e.g. AC1234567"),
            "phone": N_("+998 and 9 digits"),
            "register_category": N_("one of the codes below, or empty"),
            "register_start": N_("date the person was put on the register"),
            "id": N_("leave empty (filled by the export)"),
        }
        for c in PERSON_COLUMNS:
            help_ws.append([header_label(c, lang), tr.gettext(notes[c]) if c in notes else ""])
        help_ws.append([])
        for cat in RegisterCategory:
            help_ws.append([cat.value, cat.label_in(lang)])
        help_ws.column_dimensions["A"].width = 28
        help_ws.column_dimensions["B"].width = 60
        wb.save(p)
        return 0

    _atomic_write(path, write)


def register_category_help(lang: str | None = None) -> list[tuple[str, str]]:
    """(code, label) of every register category, for ``tayanch import persons --help``."""
    lang = lang or current_language()
    return [(c.value, c.label_in(lang)) for c in RegisterCategory]


__all__ = [
    "EXPORT_KINDS",
    "PERSON_COLUMNS",
    "PERSON_FIELDS",
    "ImportReport",
    "RowProblem",
    "export",
    "header_label",
    "import_persons",
    "register_category_help",
    "write_template",
]
