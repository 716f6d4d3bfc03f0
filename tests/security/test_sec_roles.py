"""Roles are enforced by the services, whatever the window shows or hides."""

from __future__ import annotations

import pytest

from app.db import backup as backups
from app.db.keys import KeyStore
from app.db.register import Register, UserDisabledError, db_path
from app.errors import AuthError, PermissionDenied, ValidationError
from app.services import audit, users
from app.services.base import ROLE_PERMISSIONS
from app.services.persons import persons
from tests.conftest import PASSWORD
from tests.security.conftest import ASSISTANT_PASSWORD, VIEWER_PASSWORD

PERSON = dict(surname="Sinovov", given_name="Rolbek", birth_date="01.02.1991", sex="m")


def _person(reg):
    return persons.create(reg, **PERSON)


# operation name -> (permission it needs, how to do it with an open register)
OPERATIONS = {
    "create": ("write", lambda reg, p: persons.create(reg, **PERSON)),
    "update": ("write", lambda reg, p: persons.update(reg, p.id, notes="x")),
    "read": ("read", lambda reg, p: persons.get(reg, p.id)),
    "count": ("read", lambda reg, p: persons.count(reg)),
    "add user": (
        "manage_users",
        lambda reg, p: users.add_user(
            reg, "yangi", full_name="Yangi Xodim", role="viewer", password="long enough"
        ),
    ),
    "audit trail": ("view_audit", lambda reg, p: audit.query_entries(reg)),
    "backup": ("backup", lambda reg, p: backups.backup(reg, reg.data_dir / "b.tbak")),
    "delete": ("delete", lambda reg, p: persons.close(reg, p.id)),
}
ROLES = {"inspector": "inspector", "yordamchi": "assistant", "kuzatuvchi": "viewer"}


@pytest.mark.parametrize("login", sorted(ROLES))
def test_each_role_may_do_exactly_what_its_permissions_say(open_as, login):
    boss = open_as("inspector")
    target = _person(boss)
    reg = boss if login == "inspector" else open_as(login)
    allowed = ROLE_PERMISSIONS[ROLES[login]]
    for name, (permission, operation) in OPERATIONS.items():
        if permission in allowed:
            operation(reg, target)
        else:
            before = persons.count(boss)
            with pytest.raises(PermissionDenied):
                operation(reg, target)
            assert persons.count(boss) == before, name


def test_the_roles_are_those_the_issue_names():
    inspector, assistant, viewer = (
        ROLE_PERMISSIONS[r] for r in ("inspector", "assistant", "viewer")
    )
    assert viewer == {"read"}
    assert inspector - assistant == {"delete", "manage_users", "restore", "view_audit"}
    assert assistant < inspector


def test_a_viewer_can_change_only_its_own_password(open_as, staff_dir):
    viewer = open_as("kuzatuvchi")
    with pytest.raises(PermissionDenied):
        users.reset_password(viewer, "inspector", "stolen password")
    users.change_own_password(viewer, VIEWER_PASSWORD, "viewer new pw")
    with pytest.raises(AuthError):
        Register.open(staff_dir, "kuzatuvchi", VIEWER_PASSWORD)
    Register.open(staff_dir, "kuzatuvchi", "viewer new pw").close()
    Register.open(staff_dir, "inspector", PASSWORD).close()


def test_changing_a_password_rewraps_the_key_and_does_not_reencrypt(open_as, staff_dir):
    reg = open_as("yordamchi")
    _person(reg)
    reg.checkpoint()
    header = db_path(staff_dir).read_bytes()[:4096]
    with pytest.raises(AuthError):
        users.change_own_password(reg, "not my password", "whatever long")
    with pytest.raises(ValidationError):
        users.change_own_password(reg, ASSISTANT_PASSWORD, "short")
    users.change_own_password(reg, ASSISTANT_PASSWORD, "a brand new one")
    assert db_path(staff_dir).read_bytes()[:4096] == header  # same salt and key: same file
    again = Register.open(staff_dir, "yordamchi", "a brand new one")
    assert persons.count(again) == 1
    again.close()


def test_a_disabled_user_cannot_log_in_and_its_key_wrapping_is_gone(open_as, staff_dir):
    boss = open_as("inspector")
    users.disable_user(boss, "yordamchi")
    assert not KeyStore.load(staff_dir).has_user("yordamchi")
    with pytest.raises(UserDisabledError) as err:
        Register.open(staff_dir, "yordamchi", ASSISTANT_PASSWORD)
    assert "inspector" in err.value.message("en")
    listed = {u.login: u for u in users.list_users(boss)}
    assert not listed["yordamchi"].active and listed["kuzatuvchi"].active

    users.reset_password(boss, "yordamchi", "fresh password")
    with pytest.raises(AuthError):
        Register.open(staff_dir, "yordamchi", ASSISTANT_PASSWORD)
    back = Register.open(staff_dir, "yordamchi", "fresh password")
    assert back.user.role == "assistant"
    back.close()


def test_a_user_disabled_on_another_computer_is_refused_here_too(open_as, staff_dir):
    from sqlmodel import Session, select

    from app.domain.stronghold import StaffUser

    boss = open_as("inspector")
    # What a sync from the stronghold's other computer does: the row arrives inactive.
    with Session(boss.write_engine) as s:
        row = s.exec(select(StaffUser).where(StaffUser.login == "kuzatuvchi")).one()
        row.active = False
        s.add(row)
        s.commit()
    assert KeyStore.load(staff_dir).has_user("kuzatuvchi")
    with pytest.raises(UserDisabledError):
        Register.open(staff_dir, "kuzatuvchi", VIEWER_PASSWORD)
    assert not KeyStore.load(staff_dir).has_user("kuzatuvchi")


def test_the_last_inspector_stays_and_nobody_disables_themselves(open_as):
    boss = open_as("inspector")
    with pytest.raises(users.OwnAccountError):
        users.disable_user(boss, "inspector")
    with pytest.raises(users.OwnAccountError):
        users.set_role(boss, "inspector", "viewer")
    users.set_role(boss, "yordamchi", "inspector")
    assert users.get_user(boss, "yordamchi").role == "inspector"
    second = open_as("yordamchi")
    users.set_role(second, "inspector", "assistant")
    with pytest.raises(users.LastInspectorError):
        users.set_role(boss, "yordamchi", "assistant")  # boss is an assistant now
    # boss's open session still carries its old role; a fresh login gets the new one
    with pytest.raises(users.LastInspectorError):
        users.disable_user(boss, "yordamchi")


def test_bad_new_users_are_refused_with_the_field_named(open_as):
    boss = open_as("inspector")
    cases = [
        (dict(login="a b"), "login"),
        (dict(login="yordamchi"), "login"),
        (dict(full_name=" "), "full_name"),
        (dict(role="chief"), "role"),
        (dict(password="short"), "password"),
    ]
    for over, field in cases:
        values = dict(login="yangi", full_name="Yangi Xodim", role="viewer", password="long enough")
        values.update(over)
        login = values.pop("login")
        with pytest.raises(ValidationError) as err:
            users.add_user(boss, login, **values)
        assert field in err.value.fields, over
    assert len(users.list_users(boss)) == 3


def test_the_recovery_key_sets_a_new_password_when_all_are_lost(staff_dir, staff_recovery_key):
    with pytest.raises(AuthError):
        users.recover(staff_dir, "AAAAA-" * 7 + "AAAAA", "inspector", "new inspector pw")
    reg = users.recover(staff_dir, staff_recovery_key, "inspector", "new inspector pw")
    assert reg.user.login == "inspector"
    with reg.reading() as s:
        assert audit.verify_chain(s) == []
    actions = [e.action for e in audit.query_entries(reg, limit=4)]
    reg.close()
    assert "recovery_unlock" in actions and "password_reset" in actions
    with pytest.raises(AuthError):
        Register.open(staff_dir, "inspector", PASSWORD)
    Register.open(staff_dir, "inspector", "new inspector pw").close()


def test_a_renewed_recovery_key_replaces_the_old_one(open_as, staff_dir, staff_recovery_key):
    new_key = users.renew_recovery_key(open_as("inspector"))
    with pytest.raises(AuthError):
        Register.open_with_recovery(staff_dir, staff_recovery_key)
    Register.open_with_recovery(staff_dir, new_key).close()
