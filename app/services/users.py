"""Staff users and their roles: add, disable, enable, reset, change role, own password.

A user is two things: a ``staff_user`` row (synced, so every computer of the stronghold
knows the name and role) and a wrapping of the database key in this computer's
``keys.json`` (the password). Both change together: the row in a unit of work, the key
file written just before the commit and put back if the commit fails.

Roles (app/services/base.py ROLE_PERMISSIONS): the inspector may do everything and
manages users; the assistant everything but user management, deleting and restoring; the
viewer only reads. The stronghold always keeps at least one active inspector.
"""

from __future__ import annotations

import copy
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from app.db.keys import KeyStore, LoginGuard, new_recovery_key
from app.db.register import Register
from app.domain.enums import Role
from app.domain.stronghold import StaffUser
from app.errors import AuthError, NotFoundError, ValidationError
from app.i18n import N_
from app.services import audit
from app.services.base import UnitOfWork, require_permission, unit_of_work

log = logging.getLogger(__name__)

MIN_PASSWORD = 8
LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")


class LastInspectorError(ValidationError):
    code = "last_inspector"
    template = N_(
        "The stronghold must keep at least one active inspector. "
        "Make another user an inspector first."
    )


class OwnAccountError(ValidationError):
    code = "own_account"
    template = N_("You cannot disable your own account or change your own role.")


@dataclass(frozen=True)
class UserRecord:
    id: uuid.UUID
    login: str
    full_name: str
    position: str
    role: str
    active: bool
    #: a password for this user is set on this computer (users added on another
    #: computer of the stronghold need a reset here before they can log in)
    can_log_in_here: bool


def _record(u: StaffUser, keys: KeyStore) -> UserRecord:
    return UserRecord(
        u.id, u.login, u.full_name, u.position, u.role, u.active, keys.has_user(u.login)
    )


def normalize_login(login: str) -> str:
    return login.strip().lower()


def login_problem(login: str) -> str | None:
    """Why a new login is refused, as a message template; None if its form is fine."""
    if not LOGIN_RE.match(normalize_login(login)):
        return N_("A login is 2 to 32 Latin letters, digits, dots, dashes or underscores.")
    return None


def password_problem(password: str, login: str = "") -> str | None:
    """Why a new password is refused, as a message template; None if it is fine."""
    if len(password) < MIN_PASSWORD:
        return N_("A password needs at least 8 characters.")
    if login and password.strip().lower() == login.lower():
        return N_("The password must not be the login name.")
    return None


def _check_password(password: str, login: str) -> None:
    problem = password_problem(password, login)
    if problem:
        raise ValidationError(problem, fields={"password": problem})


def _check_role(role: str) -> None:
    if role not in Role.codes():
        problem = N_("Choose a role: inspector, assistant or viewer.")
        raise ValidationError(problem, fields={"role": problem})


class UnknownUserError(NotFoundError):
    code = "unknown_user"
    template = N_("There is no user '{login}'. See the list of users ('tayanch users list').")


def _get(session: Session, login: str) -> StaffUser:
    user = session.exec(
        select(StaffUser).where(StaffUser.login == login, StaffUser.deleted == False)
    ).first()
    if user is None:
        raise UnknownUserError(login=login)
    return user


def _active_inspectors(session: Session) -> int:
    return len(
        session.exec(
            select(StaffUser.id).where(
                StaffUser.role == "inspector",
                StaffUser.active == True,
                StaffUser.deleted == False,
            )
        ).all()
    )


@contextmanager
def _with_keys(reg: Register, permission: str) -> Iterator[tuple[UnitOfWork, KeyStore]]:
    """A unit of work plus the key file; the key file is saved just before the commit
    and put back as it was if the commit fails."""
    with unit_of_work(reg, permission) as uow:
        keys = KeyStore.load(reg.data_dir)
        before = copy.deepcopy(keys.data)
        yield uow, keys
        uow.session.flush()
        keys.save()
        try:
            uow.session.commit()
        except BaseException:
            keys.data = before
            keys.save()
            raise


# --- reading ---------------------------------------------------------------------------------


def list_users(reg: Register, *, include_disabled: bool = True) -> list[UserRecord]:
    require_permission(reg, "read")
    keys = KeyStore.load(reg.data_dir)
    with reg.reading() as s:
        stmt = select(StaffUser).where(StaffUser.deleted == False)
        if not include_disabled:
            stmt = stmt.where(StaffUser.active == True)
        return [_record(u, keys) for u in s.exec(stmt.order_by(StaffUser.login)).all()]


def get_user(reg: Register, login: str) -> UserRecord:
    require_permission(reg, "read")
    with reg.reading() as s:
        return _record(_get(s, normalize_login(login)), KeyStore.load(reg.data_dir))


# --- managing (inspector) -----------------------------------------------------------------------


def check_new_user(
    reg: Register, login: str, *, full_name: str, role: str, password: str | None = None
) -> None:
    """Every problem of a new user's form at once (the CLI asks this before the password)."""
    require_permission(reg, "manage_users")
    login = normalize_login(login)
    problems: dict[str, str] = {}
    bad_login = login_problem(login)
    if bad_login:
        problems["login"] = bad_login
    else:
        with reg.reading() as s:
            same = s.exec(
                select(StaffUser.id).where(StaffUser.login == login, StaffUser.deleted == False)
            ).first()
        if same is not None:
            problems["login"] = N_("This login is taken. Choose another one.")
    if not full_name.strip():
        problems["full_name"] = N_("This field is required.")
    if role not in Role.codes():
        problems["role"] = N_("Choose a role: inspector, assistant or viewer.")
    pw = password_problem(password, login) if password is not None else None
    if pw:
        problems["password"] = pw
    if problems:
        raise ValidationError(next(iter(problems.values())), fields=problems)


def add_user(
    reg: Register,
    login: str,
    *,
    full_name: str,
    role: str,
    password: str,
    position: str = "",
) -> UserRecord:
    """A new member of staff who can log in on this computer with ``password``."""
    login = normalize_login(login)
    check_new_user(reg, login, full_name=full_name, role=role, password=password)
    with _with_keys(reg, "manage_users") as (uow, keys):
        same = uow.session.exec(
            select(StaffUser).where(StaffUser.login == login, StaffUser.deleted == False)
        ).first()
        if same is not None:  # added by someone else since the check
            problem = N_("This login is taken. Choose another one.")
            raise ValidationError(problem, fields={"login": problem})
        user = StaffUser(
            login=login, full_name=full_name.strip(), position=position.strip(), role=role
        )
        uow.add(user)
        keys.add_user(login, password, reg._key)
    log.info("user added (role %s)", role)
    return _record(user, keys)


def disable_user(reg: Register, login: str) -> UserRecord:
    """Stop a user from logging in anywhere: the row turns inactive (and syncs), and the
    key wrapping for that password is deleted from this computer."""
    require_permission(reg, "manage_users")
    login = normalize_login(login)
    if login == reg.user.login:
        raise OwnAccountError()
    with _with_keys(reg, "manage_users") as (uow, keys):
        user = _get(uow.session, login)
        if user.role == "inspector" and user.active and _active_inspectors(uow.session) <= 1:
            raise LastInspectorError()
        uow.change(user, {"active": False}, action="user_disable")
        keys.disable_user(login)
    return _record(user, keys)


def reset_password(reg: Register, login: str, new_password: str) -> UserRecord:
    """Set a forgotten password (and enable the user again); the old one stops working."""
    require_permission(reg, "manage_users")
    login = normalize_login(login)
    _check_password(new_password, login)
    with _with_keys(reg, "manage_users") as (uow, keys):
        user = _get(uow.session, login)
        if not user.active:
            uow.change(user, {"active": True}, action="user_enable")
        uow.audit("password_reset", user.__tablename__, user.id)
        keys.add_user(login, new_password, reg._key)
    LoginGuard(reg.data_dir).succeeded(login, recorded=False)
    return _record(user, keys)


def set_role(reg: Register, login: str, role: str) -> UserRecord:
    require_permission(reg, "manage_users")
    login = normalize_login(login)
    _check_role(role)
    if login == reg.user.login:
        raise OwnAccountError()
    with _with_keys(reg, "manage_users") as (uow, keys):
        user = _get(uow.session, login)
        if (
            user.role == "inspector"
            and role != "inspector"
            and user.active
            and _active_inspectors(uow.session) <= 1
        ):
            raise LastInspectorError()
        uow.change(user, {"role": role}, action="role_change")
    return _record(user, keys)


def renew_recovery_key(reg: Register) -> str:
    """A new recovery key replaces the old one (e.g. after it was used); print it once."""
    require_permission(reg, "manage_users")
    key = new_recovery_key()
    keys = KeyStore.load(reg.data_dir)
    keys.set_recovery(key, reg._key)
    keys.save()
    audit.record_event(reg, "recovery_key_renewed")
    return key


# --- one's own password ---------------------------------------------------------------------------


def change_own_password(reg: Register, old_password: str, new_password: str) -> None:
    """Any role may change its own password: the key is re-wrapped, nothing re-encrypted.

    The old password is checked like a login (wrong ones count towards the back-off), so a
    stranger at an unlocked computer cannot take the account over.
    """
    require_permission(reg, "read")
    login = reg.user.login
    _check_password(new_password, login)
    keys = KeyStore.load(reg.data_dir)
    guard = LoginGuard(reg.data_dir)
    guard.check(login)
    try:
        key = keys.unlock(login, old_password)
        if not reg.key_matches(key):
            raise AuthError()
    except AuthError:
        guard.failed(login)
        raise AuthError() from None
    before = copy.deepcopy(keys.data)
    keys.add_user(login, new_password, reg._key)
    keys.save()
    try:
        audit.record_event(reg, "password_change", table="staff_user", record_id=reg.user.id)
    except BaseException:
        keys.data = before
        keys.save()
        raise


# --- when every password is lost ---------------------------------------------------------------------


def recover(data_dir: Path, recovery_key: str, login: str | None, new_password: str) -> Register:
    """Open with the recovery key and give ``login`` a new password; return it open.

    ``login`` None means the first member of staff (the one who created the register).
    The user is enabled again if it was disabled. The recovery key keeps working until
    an inspector renews it (:func:`renew_recovery_key`).
    """
    login = normalize_login(login) if login else None
    reg = Register.open_with_recovery(data_dir, recovery_key, login)
    try:
        login = reg.user.login
        _check_password(new_password, login)
        with _with_keys(reg, "read") as (uow, keys):
            user = _get(uow.session, login)
            if not user.active:
                uow.change(user, {"active": True}, action="user_enable")
            uow.audit("password_reset", user.__tablename__, user.id, via="recovery_key")
            keys.add_user(login, new_password, reg._key)
    finally:
        reg.close()
    LoginGuard(data_dir).succeeded(login, recorded=False)
    return Register.open(data_dir, login, new_password)
