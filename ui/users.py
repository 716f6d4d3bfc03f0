"""Users of this computer: add, reset a password, change a role, disable; own password.

The rules are the service's (app/services/users.py): only an inspector manages users,
the stronghold keeps one active inspector, passwords have a minimum length. The forms
check what they can as you type and show the service's refusals next to the fields.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLineEdit, QVBoxLayout, QWidget

from app.domain.enums import Role
from app.i18n import N_, _, pgettext
from app.services import users as users_service
from ui import actions, ops, seams
from ui.format import label
from ui.widgets.common import Context, button, muted_label
from ui.widgets.flow import flow_row
from ui.widgets.form import FormDialog, enum_choices
from ui.widgets.paged_model import Column
from ui.widgets.record_table import RecordTable, RecordTableModel

MISMATCH = N_("The two passwords are not the same.")


def check_new_password(value: str, values: dict[str, Any]) -> str | None:
    return users_service.password_problem(value, values.get("login", ""))


class PasswordFields:
    """Two password fields that must agree (the users' forms, the first start, recovery)."""

    def add_passwords(self: Any, caption: str) -> None:
        for name, text in (("password", caption), ("repeat", _("Repeat the password"))):
            w = self.add_text(
                name,
                text,
                required=True,
                validate=check_new_password if name == "password" else None,
            )
            w.setEchoMode(QLineEdit.EchoMode.Password)

    def check_passwords(self: Any, values: dict[str, Any], problems: dict[str, str]) -> None:
        if values.get("repeat") and values.get("repeat") != values.get("password"):
            problems["repeat"] = MISMATCH


class UserForm(FormDialog, PasswordFields):
    def __init__(self, parent: QWidget | None, ctx: Context) -> None:
        super().__init__(parent, _("Add a user"))
        self.reg = ctx.reg
        self.add_text(
            "login", _("Login"), required=True, max_length=32, placeholder=_("e.g. aziza")
        )
        self.add_text("full_name", _("Full name"), required=True, max_length=200)
        self.add_text("position", _("Position"), max_length=200)
        self.add_choice("role", _("Role"), enum_choices(Role), default="assistant")
        self.add_passwords(_("Password"))
        self.mark_clean()
        self.resize(460, 0)

    def cross_check(self, values: dict[str, Any], problems: dict[str, str]) -> None:
        self.check_passwords(values, problems)

    def submit(self, values: dict[str, Any]) -> Any:
        return users_service.add_user(
            self.reg,
            values["login"],
            full_name=values["full_name"],
            role=values["role"],
            password=values["password"],
            position=values.get("position", ""),
        )


class ResetPasswordForm(FormDialog, PasswordFields):
    def __init__(self, parent: QWidget | None, ctx: Context, user: Any) -> None:
        super().__init__(parent, _("New password for {login}").format(login=user.login))
        self.reg, self.user = ctx.reg, user
        self.add_passwords(_("New password"))
        self.mark_clean()
        self.resize(420, 0)

    def cross_check(self, values: dict[str, Any], problems: dict[str, str]) -> None:
        self.check_passwords(values, problems)

    def submit(self, values: dict[str, Any]) -> Any:
        return users_service.reset_password(self.reg, self.user.login, values["password"])


class OwnPasswordForm(FormDialog, PasswordFields):
    def __init__(self, parent: QWidget | None, ctx: Context) -> None:
        super().__init__(parent, _("Change my password"))
        self.reg = ctx.reg
        old = self.add_text("old", _("Current password"), required=True)
        old.setEchoMode(QLineEdit.EchoMode.Password)
        self.add_passwords(_("New password"))
        self.mark_clean()
        self.resize(420, 0)

    def cross_check(self, values: dict[str, Any], problems: dict[str, str]) -> None:
        self.check_passwords(values, problems)

    def submit(self, values: dict[str, Any]) -> Any:
        users_service.change_own_password(self.reg, values["old"], values["password"])
        return True


class RoleForm(FormDialog):
    def __init__(self, parent: QWidget | None, ctx: Context, user: Any) -> None:
        super().__init__(parent, _("Role of {login}").format(login=user.login))
        self.reg, self.user = ctx.reg, user
        self.add_choice("role", _("Role"), enum_choices(Role), default=user.role)
        self.mark_clean()
        self.resize(380, 0)

    def submit(self, values: dict[str, Any]) -> Any:
        return users_service.set_role(self.reg, self.user.login, values["role"])


class UsersBox(QGroupBox):
    """The Users part of the Settings screen."""

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(_("Users"), parent)
        self.ctx = ctx
        self.manager = ctx.reg.user.role == "inspector"
        lay = QVBoxLayout(self)
        self.table = RecordTable(
            RecordTableModel(
                [
                    Column("login", N_("Login"), lambda u: u.login),
                    Column("name", N_("Name"), lambda u: u.full_name),
                    Column("role", N_("Role"), lambda u: label(Role, u.role)),
                    Column(
                        "state",
                        N_("State"),
                        lambda u: (
                            (
                                pgettext("user", "active")
                                if u.active
                                else pgettext("user", "disabled")
                            )
                            + (
                                ""
                                if u.can_log_in_here or not u.active
                                else " · " + _("no password on this computer")
                            )
                        ),
                    ),
                ],
                self,
                row_id=lambda u: u.login,
                alert=lambda u: not u.active,
            ),
            sortable=False,
        )
        self.table.setObjectName("usersTable")
        lay.addWidget(self.table, 1)
        self.buttons = {
            key: button(text, lambda _c=False, k=key: self.act(k))
            for key, text in (
                ("add", _("Add…")),
                ("reset", _("Password…")),
                ("role", _("Role…")),
                ("disable", _("Disable")),
                ("recovery", _("New recovery key…")),
            )
        }
        lay.addWidget(
            flow_row(
                *self.buttons.values(), button(_("Change my password…"), lambda: self.act("own"))
            )
        )
        for b in self.buttons.values():
            b.setVisible(self.manager)
        if not self.manager:
            lay.addWidget(muted_label(_("Only an inspector manages users.")))

    def reload(self) -> None:
        reg = self.ctx.reg
        if not self.manager:
            me = reg.user
            self.table.source.set_rows(
                [
                    users_service.UserRecord(
                        me.id, me.login, me.full_name, me.position, me.role, True, True
                    )
                ]
            )
            return
        ops.Op(self, lambda: users_service.list_users(reg)).success(
            self.table.source.set_rows
        ).run()

    def renew_recovery_key(self) -> None:
        """A new key replaces the printed one (lost, or used to replace a password)."""
        from ui.first_run import RecoveryKeyDialog, sheet_info

        if not seams.ask_confirm(
            self,
            _(
                "Make a new recovery key? The key printed before stops opening the register; "
                "print the new one and keep it in the safe."
            ),
        ):
            return
        reg = self.ctx.reg

        def renew() -> tuple[str, Any]:
            return users_service.renew_recovery_key(reg), sheet_info(reg)

        def shown(made: tuple[str, Any]) -> None:
            # open(), not exec(): locking the window hides it and gives it back (ui/lock.py).
            dialog = RecoveryKeyDialog(*made, parent=self)
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.open()

        ops.Op(self, renew, write=True).success(shown).run()

    def act(self, key: str) -> None:
        ctx = self.ctx
        tables = ("staff_user",)
        user = self.table.current_record()
        if key == "add":
            actions.open_form(ctx, UserForm(self, ctx), tables, lambda _r: self.reload())
        elif key == "recovery":
            self.renew_recovery_key()
        elif key == "own":
            actions.open_form(
                ctx,
                OwnPasswordForm(self, ctx),
                (),
                lambda _r: seams.show_info(self, _("Your password is changed.")),
            )
        elif user is None:
            return
        elif key == "reset":
            actions.open_form(
                ctx, ResetPasswordForm(self, ctx, user), tables, lambda _r: self.reload()
            )
        elif key == "role":
            actions.open_form(ctx, RoleForm(self, ctx, user), tables, lambda _r: self.reload())
        elif key == "disable":
            if not seams.ask_confirm(
                self,
                _(
                    "Disable {login}? They will not be able to log in "
                    "until their password is reset."
                ).format(login=user.login),
            ):
                return
            reg = ctx.reg
            actions.after_write(
                ctx,
                self,
                lambda: users_service.disable_user(reg, user.login),
                tables,
                lambda _r: self.reload(),
            )
