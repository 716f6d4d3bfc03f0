"""The district summary: what every stronghold of HQ recorded in one month, on A4 turned
sideways (eight columns, each title's words whole).

The figures come from HQ's copy of the registers (what the strongholds have synced),
with plain SQL that runs the same on SQLite and PostgreSQL. ``district_summary`` returns
them as dataclasses (tests and other formats use it); ``district_pdf`` prints them with
the document fonts of app/reports.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer
from sqlalchemy import and_, func, or_, select

from app.domain.base import TASHKENT
from app.domain.enums import RegisterCategory
from app.formats import short_date
from app.hq.admin import Hq
from app.hq.db import hq_device
from app.i18n import N_, normalize_language, translator
from app.reports.base import GREY, STYLES, esc, grid_table, register_fonts, title_width
from app.sync import catalog


@dataclass
class StrongholdFigures:
    code: str
    name: str
    makhalla: str
    visits: int = 0
    households: int = 0
    households_visited: int = 0
    disputes_opened: int = 0
    disputes_resolved: int = 0
    orders_issued: int = 0
    offences: int = 0
    registers: dict[str, int] = field(default_factory=dict)  # category -> persons on it
    # The latest sync of any of its computers: None when it has sent HQ nothing, so its
    # zeros are no data, not a quiet month.
    last_sync: datetime | None = None

    @property
    def synced(self) -> bool:
        return self.last_sync is not None


@dataclass
class DistrictSummary:
    year: int
    month: int
    strongholds: list[StrongholdFigures]

    @property
    def without_offences(self) -> list[StrongholdFigures]:
        """Makhallas (strongholds) with no offence recorded in the month; one that has
        sent nothing is not among them (nobody knows)."""
        return [s for s in self.strongholds if s.synced and s.offences == 0]

    @property
    def not_synced(self) -> list[StrongholdFigures]:
        """Strongholds none of whose computers has synced: HQ holds none of their work."""
        return [s for s in self.strongholds if not s.synced]

    def registers_total(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.strongholds:
            for k, v in s.registers.items():
                out[k] = out.get(k, 0) + v
        return out


def _t(name: str):
    return catalog.tables()[name].table


def _month_bounds(year: int, month: int) -> tuple[date, date, datetime, datetime]:
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    # Times are stored in UTC; the month is Tashkent's.
    start = datetime(year, month, 1, tzinfo=TASHKENT).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), TASHKENT).astimezone(UTC)
    return first, last, start, end


def current_month() -> tuple[int, int]:
    """(year, month) in Tashkent now: a later month has no figures yet."""
    now = datetime.now(TASHKENT)
    return now.year, now.month


def district_summary(hq: Hq, *, month: tuple[int, int] | None = None) -> DistrictSummary:
    if month is None:
        month = current_month()
    year, mon = month
    first, last, start, end = _month_bounds(year, mon)
    sh = _t("stronghold")
    with hq.engine.connect() as conn:
        rows = conn.execute(
            select(sh.c.code, sh.c.name, sh.c.makhalla)
            .where(sh.c.deleted == False)  # noqa: E712
            .order_by(sh.c.code)
        ).fetchall()
        figures = {r[0]: StrongholdFigures(r[0], r[1], r[2]) for r in rows}
        # Stored as UTC text that sorts as time does; revoked computers' syncs count too
        # (what they sent is still here).
        last_syncs = conn.execute(
            select(hq_device.c.stronghold_code, func.max(hq_device.c.last_sync_at))
            .where(hq_device.c.last_sync_at.is_not(None))
            .group_by(hq_device.c.stronghold_code)
        ).fetchall()

        def per_stronghold(table, *where, distinct=None) -> dict[str, int]:
            counted = func.count(distinct.distinct()) if distinct is not None else func.count()
            stmt = (
                select(table.c.stronghold_code, counted)
                .where(table.c.deleted == False, *where)  # noqa: E712
                .group_by(table.c.stronghold_code)
            )
            return {code: n for code, n in conn.execute(stmt).fetchall()}

        visit = _t("household_visit")
        in_month = (visit.c.visited_at >= start, visit.c.visited_at < end)
        visits = per_stronghold(visit, *in_month)
        visited = per_stronghold(visit, *in_month, distinct=visit.c.household_id)
        households = per_stronghold(_t("household"))
        dispute = _t("family_dispute")
        opened = per_stronghold(
            dispute, dispute.c.reported_at >= start, dispute.c.reported_at < end
        )
        resolved = per_stronghold(
            dispute, dispute.c.closed_on >= first, dispute.c.closed_on <= last
        )
        order = _t("protection_order")
        orders = per_stronghold(order, order.c.issued_on >= first, order.c.issued_on <= last)
        offence = _t("offence_case")
        offences = per_stronghold(
            offence, offence.c.drawn_up_at >= start, offence.c.drawn_up_at < end
        )
        entry = _t("register_entry")
        active = and_(
            entry.c.deleted == False,  # noqa: E712
            entry.c.start_date <= last,
            or_(entry.c.end_date.is_(None), entry.c.end_date >= first),
            or_(entry.c.removal_date.is_(None), entry.c.removal_date >= first),
        )
        registers = conn.execute(
            select(
                entry.c.stronghold_code, entry.c.category, func.count(entry.c.person_id.distinct())
            )
            .where(active)
            .group_by(entry.c.stronghold_code, entry.c.category)
        ).fetchall()
    for code, f in figures.items():
        f.visits = visits.get(code, 0)
        f.households_visited = visited.get(code, 0)
        f.households = households.get(code, 0)
        f.disputes_opened = opened.get(code, 0)
        f.disputes_resolved = resolved.get(code, 0)
        f.orders_issued = orders.get(code, 0)
        f.offences = offences.get(code, 0)
    for code, at in last_syncs:
        if code in figures and at:
            figures[code].last_sync = datetime.fromisoformat(at).replace(tzinfo=UTC)
    for code, category, n in registers:
        if code in figures:
            figures[code].registers[category] = n
    return DistrictSummary(year, mon, list(figures.values()))


TITLE = N_("District summary of the strongholds")
PAGE = landscape(A4)
LEFT, RIGHT = 20 * mm, 15 * mm
CONTENT_WIDTH = PAGE[0] - LEFT - RIGHT
HEAD = (
    N_("Stronghold"),
    N_("Makhalla"),
    N_("Visits"),
    N_("Households covered"),
    N_("Disputes opened"),
    N_("Disputes resolved"),
    N_("Orders issued"),
    N_("Offences"),
)


def district_pdf(hq: Hq, *, month: tuple[int, int] | None = None, lang: str | None = None) -> bytes:
    summary = district_summary(hq, month=month)
    lang = normalize_language(lang)
    tr = translator(lang)
    _ = tr.gettext
    register_fonts()
    story = [
        Paragraph(esc(hq.name or _("Headquarters")), STYLES["office"]),
        Spacer(1, 4 * mm),
        Paragraph(esc(_(TITLE)), STYLES["title"]),
        Paragraph(f"{summary.month:02d}.{summary.year}", STYLES["subtitle"]),
        Spacer(1, 5 * mm),
    ]
    rows: list[list[str | Paragraph]] = []
    last_sync = _("last sync:")
    for s in summary.strongholds:
        # Under the name, how fresh its figures are; a dash, not a zero, where HQ has none.
        when = f"{last_sync} {short_date(s.last_sync)}" if s.last_sync else _("has not synced yet")
        name = Paragraph(
            f'{esc(f"{s.code} {s.name}")}<br/><font size="8" color="#{GREY.hexval()[2:]}">'
            f"{esc(when)}</font>",
            STYLES["cell"],
        )
        if not s.synced:
            rows.append([name, s.makhalla or "—", *["—"] * 6])
            continue
        rows.append(
            [
                name,
                s.makhalla or "—",
                str(s.visits),
                f"{s.households_visited} / {s.households}",
                str(s.disputes_opened),
                str(s.disputes_resolved),
                str(s.orders_issued),
                str(s.offences),
            ]
        )
    totals: list[str | Paragraph] = [
        _("Total"),
        "",
        str(sum(s.visits for s in summary.strongholds)),
        f"{sum(s.households_visited for s in summary.strongholds)} / "
        f"{sum(s.households for s in summary.strongholds)}",
        str(sum(s.disputes_opened for s in summary.strongholds)),
        str(sum(s.disputes_resolved for s in summary.strongholds)),
        str(sum(s.orders_issued for s in summary.strongholds)),
        str(sum(s.offences for s in summary.strongholds)),
    ]
    # The figures' columns as wide as their titles' longest words ("Правонарушения"),
    # the makhalla 45 mm, the stronghold the rest.
    heads = [_(h) for h in HEAD]
    figures = [title_width(h, 18 * mm) for h in heads[2:]]
    widths = [CONTENT_WIDTH - 45 * mm - sum(figures), 45 * mm, *figures]
    story.append(
        grid_table(
            heads,
            [*rows, totals],
            widths,
            numeric=(2, 3, 4, 5, 6, 7),
            bold_last=True,
        )
    )
    if summary.not_synced:
        n = len(summary.not_synced)
        story.append(Spacer(1, 2 * mm))
        story.append(
            Paragraph(
                esc(
                    tr.ngettext(
                        "{n} stronghold has sent HQ nothing yet: its figures are a dash.",
                        "{n} strongholds have sent HQ nothing yet: their figures are dashes.",
                        n,
                    ).format(n=n)
                ),
                STYLES["body_left"],
            )
        )
    story.append(Spacer(1, 6 * mm))
    totals_by_cat = summary.registers_total()
    cat_rows = [
        [
            RegisterCategory(code).label_in(lang) if code in RegisterCategory.codes() else code,
            str(n),
        ]
        for code, n in sorted(totals_by_cat.items())
    ] or [[_("No one is on a register."), ""]]
    # Each heading stays on the page of what it heads (the list of categories is short).
    story.append(
        KeepTogether(
            [
                Paragraph(esc(_("Persons on registers, by category")), STYLES["section"]),
                grid_table(
                    [_("Category"), _("Persons")],
                    cat_rows,
                    [CONTENT_WIDTH - 40 * mm, 40 * mm],
                    numeric=(1,),
                ),
            ]
        )
    )
    story.append(Spacer(1, 6 * mm))
    quiet = summary.without_offences
    text = ", ".join(f"{s.makhalla or s.name} ({s.code})" for s in quiet) or _("None.")
    story.append(
        KeepTogether(
            [
                Paragraph(
                    esc(_("Makhallas with no offences recorded this month")), STYLES["section"]
                ),
                Paragraph(esc(text), STYLES["body"]),
            ]
        )
    )
    out = BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=LEFT,
        rightMargin=RIGHT,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=_(TITLE),
        author="Tayanch",
        invariant=1,
    )
    doc.build(story)
    return out.getvalue()
