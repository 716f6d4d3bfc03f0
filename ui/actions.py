"""Opening forms from anywhere (card, Today, lists) and telling every screen after a save.

Every form goes through ``open_form``: it opens window-modal without a nested event loop
(so the lock can hide it and give it back intact) and, once saved, announces the tables it
wrote on the hub, so Today, the lists and the card refresh themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from app.i18n import _
from app.services import ui_queries
from ui import ops, seams
from ui.widgets.common import Context
from ui.widgets.form import FormDialog

OnSaved = Callable[[Any], None] | None


def open_form(
    ctx: Context, form: FormDialog, tables: tuple[str, ...], on_saved: OnSaved = None
) -> FormDialog:
    def saved(record: Any) -> None:
        for table in tables:
            ctx.hub.changed.emit(table)
        if on_saved is not None:
            on_saved(record)

    form.saved.connect(saved)
    form.open()
    return form


def after_write(
    ctx: Context,
    parent: QWidget,
    fn: Callable[[], Any],
    tables: tuple[str, ...],
    on_saved: OnSaved = None,
) -> None:
    """A write without a form (mark examined, revoke): on the writer thread, then refresh."""

    def done(record: Any) -> None:
        for table in tables:
            ctx.hub.changed.emit(table)
        if on_saved is not None:
            on_saved(record)

    ops.Op(parent, fn, write=True).success(done).with_progress(_("Saving…")).run()


# --- persons -------------------------------------------------------------------------


def new_person(ctx: Context, parent: QWidget, on_saved: OnSaved = None) -> FormDialog:
    from ui.persons.form import PersonForm

    defaults = {}
    info = getattr(ctx, "stronghold", None)
    if info is not None:
        defaults = {"region": info.region, "district": info.district, "makhalla": info.makhalla}
    return open_form(ctx, PersonForm(parent, ctx.reg, defaults=defaults), ("person",), on_saved)


def card_action(ctx: Context, parent: QWidget, key: str, card: Any, entry: Any) -> Any:
    """The card's buttons: each opens its form for the person shown."""
    from ui.persons.form import PersonForm
    from ui.registers import forms as rf

    reg = ctx.reg
    pid = card.person.id
    active = [e for e in card.registers if e.status == "active"]
    if key == "edit":
        return open_form(ctx, PersonForm(parent, reg, card.person), ("person",))
    if key == "register":
        return open_form(ctx, rf.EntryForm(parent, reg, pid), ("register_entry",))
    if key == "edit_entry" and entry is not None:
        return open_form(ctx, rf.EntryForm(parent, reg, pid, entry), ("register_entry",))
    if key == "remove_entry" and entry is not None:
        return open_form(ctx, rf.RemoveEntryForm(parent, reg, entry), ("register_entry",))
    if key in ("check_in", "violation"):
        if not active:
            seams.show_info(
                parent,
                _(
                    "This person is on no active register. Add them to a "
                    "register first (Ctrl+Shift+R)."
                ),
            )
            return None
        cls = rf.CheckInForm if key == "check_in" else rf.ViolationForm
        return open_form(ctx, cls(parent, reg, pid, active, entry), ("check_in", "violation"))
    if key == "measure":
        return open_form(ctx, rf.MeasureForm(parent, reg, pid, active), ("preventive_measure",))
    if key == "contribution":
        return open_form(ctx, rf.ContributionForm(parent, reg, pid), ("citizen_contribution",))
    if key == "offence":
        return open_form(ctx, rf.OffenceForm(parent, reg, pid), ("offence_case",))
    if key == "visit":
        home = card.households[0].id if card.households else None
        return record_visit(
            ctx, parent, household_id=home, person_id=pid, purpose="supervision" if active else None
        )
    return None


# --- households and visits -------------------------------------------------------------


def record_visit(
    ctx: Context,
    parent: QWidget,
    *,
    household_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    purpose: str | None = None,
    on_saved: OnSaved = None,
) -> FormDialog:
    from ui.households.forms import VisitForm

    form = VisitForm(
        parent, ctx.reg, household_id=household_id, person_id=person_id, purpose=purpose
    )
    return open_form(ctx, form, ("household_visit", "visit_person"), on_saved)


def new_household(ctx: Context, parent: QWidget, on_saved: OnSaved = None) -> FormDialog:
    from ui.households.forms import HouseholdForm

    info = getattr(ctx, "stronghold", None)
    form = HouseholdForm(parent, ctx.reg, makhalla=info.makhalla if info else "")
    return open_form(ctx, form, ("household",), on_saved)


def edit_household(ctx: Context, parent: QWidget, household: Any) -> FormDialog:
    from ui.households.forms import HouseholdForm

    return open_form(ctx, HouseholdForm(parent, ctx.reg, household), ("household",))


def add_member(ctx: Context, parent: QWidget, household_id: uuid.UUID) -> FormDialog:
    from ui.households.forms import MemberForm

    return open_form(ctx, MemberForm(parent, ctx.reg, household_id), ("household_member",))


# --- disputes and orders ---------------------------------------------------------------


def new_dispute(
    ctx: Context, parent: QWidget, on_saved: OnSaved = None, **preset: Any
) -> FormDialog:
    from ui.disputes.forms import DisputeForm

    return open_form(
        ctx, DisputeForm(parent, ctx.reg, **preset), ("family_dispute", "dispute_party"), on_saved
    )


def new_order(ctx: Context, parent: QWidget, on_saved: OnSaved = None, **preset: Any) -> FormDialog:
    from ui.orders.forms import OrderForm

    return open_form(ctx, OrderForm(parent, ctx.reg, **preset), ("protection_order",), on_saved)


def household_choice(row: ui_queries.HouseholdRow) -> tuple[Any, str]:
    from ui.widgets.pickers import household_text

    return row.id, household_text(row)
