"""The persons table: pages from ``app.services.queries``, search through the search service.

Text typed in the search box goes to ``app.search.service.search`` when that module is
installed (it finds "Qodirov" from "Кодиров"); without it, a plain prefix filter in SQL.
The search returns ranked ids; the filters (category, status, makhalla, risk) then apply in
SQL to those ids, in rank order.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from dataclasses import dataclass
from typing import Any

from app.db.register import Register
from app.domain.enums import RegisterCategory, RiskLevel
from app.i18n import N_
from app.services.queries import PersonFilter, PersonRow, count_persons, person_rows
from ui.format import fmt_date, label
from ui.widgets.paged_model import Column, Fetch, PagedTableModel

log = logging.getLogger(__name__)

SEARCH_LIMIT = 500


@dataclass(frozen=True)
class PersonQuery:
    text: str = ""
    filter: PersonFilter = PersonFilter()


def search_ids(reg: Register, text: str) -> tuple[Any, ...] | None:
    """Ranked person ids from the search service, or None when it is not installed."""
    try:
        service = importlib.import_module("app.search.service")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("app.search"):
            return None
        raise
    hits = service.search(reg, text, limit=SEARCH_LIMIT)
    seen: dict[Any, None] = {}
    for hit in hits:
        seen.setdefault(hit.person_id, None)
    return tuple(seen)


def registers_text(row: PersonRow) -> str:
    return ", ".join(label(RegisterCategory, c) for c in row.categories)


class PersonTableModel(PagedTableModel):
    columns = [
        Column("name", N_("Full name"), lambda r: r.full_name, sort="surname"),
        Column("birth_date", N_("Born"), lambda r: fmt_date(r.birth_date), sort="birth_date"),
        Column("pinfl", N_("PINFL"), lambda r: r.pinfl or "", sort="pinfl"),
        Column("registers", N_("Registers"), registers_text),
        Column("risk", N_("Risk"), lambda r: label(RiskLevel, r.risk)),
        Column("passport", N_("Passport"), lambda r: r.passport or ""),
        Column("phone", N_("Phone"), lambda r: r.phone),
        Column("address", N_("Address"), lambda r: r.address),
        Column("makhalla", N_("Makhalla"), lambda r: r.makhalla),
    ]

    def __init__(self, reg: Register, parent: Any = None, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.reg = reg
        self.sort_key = "surname"
        self.query = PersonQuery()

    def resolve(self, query: PersonQuery) -> PersonFilter:
        f = query.filter
        text = query.text.strip()
        if text:
            ids = search_ids(self.reg, text)
            if ids is None:
                f = dataclasses.replace(f, text=text)
            else:
                f = dataclasses.replace(f, ids=ids)
        return f

    def count(self, fetch: Fetch) -> int:
        return count_persons(self.reg, fetch.query)

    def page(self, fetch: Fetch, offset: int, limit: int) -> list[PersonRow]:
        return person_rows(
            self.reg,
            fetch.query,
            offset=offset,
            limit=limit,
            sort=fetch.sort_key or "surname",
            descending=fetch.descending,
        )
