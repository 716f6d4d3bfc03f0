"""The unit of work every service writes through, and the generic entity service.

A unit of work is one short transaction that writes the rows, bumps their versions and
appends the audit entries; it commits or changes nothing. Role checks happen here, in
the core, so a hidden button is never the only guard.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, SQLModel, func, select

from app.db.register import Register
from app.domain.base import Replicated, utcnow
from app.errors import NotFoundError, PermissionDenied, ValidationError
from app.services import audit
from app.services.records import to_record

log = logging.getLogger(__name__)

# What each role may do; enforced for every unit of work. The inspector does everything
# and manages users; the assistant everything but user management, deleting, restoring
# and the audit trail; the viewer only reads (no export: an export is not encrypted).
ROLE_PERMISSIONS: dict[str, set[str]] = {
    "inspector": {
        "read",
        "write",
        "delete",
        "manage_users",
        "print",
        "export",
        "import",
        "sync",
        "backup",
        "restore",
        "view_audit",
    },
    "assistant": {"read", "write", "print", "export", "import", "sync", "backup"},
    "viewer": {"read"},
}


def has_permission(reg: Register, permission: str) -> bool:
    """Whether the signed-in user's role allows ``permission`` (the window shows or hides
    by it; the services refuse by ``require_permission``)."""
    return permission in ROLE_PERMISSIONS.get(reg.user.role, set())


def require_permission(reg: Register, permission: str) -> None:
    if not has_permission(reg, permission):
        raise PermissionDenied()


class UnitOfWork:
    def __init__(self, reg: Register, session: Session) -> None:
        self.reg = reg
        self.session = session

    def audit(
        self,
        action: str,
        table: str = "",
        record_id: uuid.UUID | None = None,
        person_id: uuid.UUID | None = None,
        **details: Any,
    ) -> None:
        audit.append(
            self.session,
            device_id=self.reg.device_id,
            stronghold_code=self.reg.stronghold_code,
            user_login=self.reg.user.login,
            action=action,
            table_name=table,
            record_id=record_id,
            person_id=person_id,
            details=details or None,
        )

    def add(self, obj: Replicated, *, person_id: uuid.UUID | None = None) -> Replicated:
        if obj.stronghold_code is None:
            obj.stronghold_code = self.reg.stronghold_code
        self.session.add(obj)
        self.session.flush()
        self.audit("create", obj.__tablename__, obj.id, person_id)
        return obj

    def change(
        self,
        obj: Replicated,
        values: dict[str, Any],
        *,
        action: str = "update",
        person_id: uuid.UUID | None = None,
    ) -> list[str]:
        """Apply the values that differ; bump version and time only if something did."""
        changed = [k for k, v in values.items() if getattr(obj, k) != v]
        if not changed:
            return []
        for k in changed:
            setattr(obj, k, values[k])
        obj.version += 1
        obj.updated_at = utcnow()
        self.session.add(obj)
        self.session.flush()
        self.audit(action, obj.__tablename__, obj.id, person_id, fields=sorted(changed))
        return changed


@contextmanager
def unit_of_work(reg: Register, permission: str = "write") -> Iterator[UnitOfWork]:
    require_permission(reg, permission)
    with Session(reg.write_engine, expire_on_commit=False) as session:
        uow = UnitOfWork(reg, session)
        yield uow
        session.commit()


def _coerce(column_type: Any, value: Any) -> Any:
    """Accept the forms a form or CLI gives (text dates, blank strings) for a column."""
    if value == "" and column_type in (date, datetime, uuid.UUID, int):
        return None
    if column_type is date and isinstance(value, str):
        return parse_date(value)
    if column_type is uuid.UUID and isinstance(value, str):
        return uuid.UUID(value)
    return value


def parse_date(text: str) -> date:
    """dd.mm.yyyy or yyyy-mm-dd, as CLI.md promises."""
    text = text.strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise ValueError(text)


class EntityService:
    """Create, update, get, list and close for one table.

    Subclasses name the table, the fields a user may set, and add ``check`` for the
    rules of DOMAIN.md. All problems of one form are reported together, per field.
    """

    model: ClassVar[type[Replicated]]
    editable: ClassVar[tuple[str, ...]]
    required: ClassVar[tuple[str, ...]] = ()
    order_by: ClassVar[str] = "created_at"
    person_field: ClassVar[str | None] = None  # which column names the person, for audit

    # --- hooks -----------------------------------------------------------------------

    def check(
        self,
        uow: UnitOfWork,
        values: dict[str, Any],
        existing: Any | None,
        problems: dict[str, str],
    ) -> None:
        """Normalise ``values`` in place; put field -> message template into problems."""

    def close_values(self, obj: Any, values: dict[str, Any]) -> dict[str, Any]:
        """What closing sets; by default a tombstone (deleted rows stay for sync)."""
        return {"deleted": True}

    close_permission: ClassVar[str] = "delete"

    # --- operations ------------------------------------------------------------------

    def _types(self) -> dict[str, Any]:
        out = {}
        for col in sa_inspect(self.model).columns:
            try:
                out[col.key] = col.type.python_type
            except NotImplementedError:
                pass
        return out

    def _prepare(
        self, uow: UnitOfWork, values: dict[str, Any], existing: Any | None
    ) -> dict[str, Any]:
        from app.i18n import N_

        unknown = set(values) - set(self.editable)
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        types = self._types()
        problems: dict[str, str] = {}
        clean: dict[str, Any] = {}
        for k, v in values.items():
            if isinstance(v, str):
                v = v.strip()
            try:
                clean[k] = _coerce(types.get(k), v)
            except ValueError:
                problems[k] = (
                    N_("Enter a date as dd.mm.yyyy.")
                    if types.get(k) is date
                    else N_("This value is not valid.")
                )
        merged_required = (
            self.required if existing is None else [k for k in self.required if k in clean]
        )
        for k in merged_required:
            v = clean.get(k)
            if v is None or v == "":
                problems.setdefault(k, N_("This field is required."))
        if not problems:
            self.check(uow, clean, existing, problems)
        if problems:
            first = next(iter(problems.values()))
            raise ValidationError(first, fields=problems)
        return clean

    def _person_of(self, obj: Any) -> uuid.UUID | None:
        return getattr(obj, self.person_field) if self.person_field else None

    def create(self, reg: Register, **values: Any):
        with unit_of_work(reg) as uow:
            clean = self._prepare(uow, values, None)
            obj = self.model(**clean)
            uow.add(obj, person_id=self._person_of(obj))
            self.after_write(uow, obj)
            return to_record(obj)

    def after_write(self, uow: UnitOfWork, obj: Any) -> None:
        """Hook for derived work in the same transaction (e.g. the search index)."""

    def _load(self, session: Session, record_id: uuid.UUID | str) -> Any:
        try:
            rid = record_id if isinstance(record_id, uuid.UUID) else uuid.UUID(str(record_id))
        except ValueError:
            raise NotFoundError(id=str(record_id)) from None
        obj = session.get(self.model, rid)
        if obj is None or obj.deleted:
            raise NotFoundError(id=str(record_id))
        return obj

    def update(
        self,
        reg: Register,
        record_id: uuid.UUID | str,
        expected_version: int | None = None,
        **values: Any,
    ):
        from app.errors import ConflictError

        with unit_of_work(reg) as uow:
            obj = self._load(uow.session, record_id)
            if expected_version is not None and obj.version != expected_version:
                raise ConflictError()
            clean = self._prepare(uow, values, obj)
            uow.change(obj, clean, person_id=self._person_of(obj))
            self.after_write(uow, obj)
            return to_record(obj)

    def close(self, reg: Register, record_id: uuid.UUID | str, **values: Any):
        with unit_of_work(reg, self.close_permission) as uow:
            obj = self._load(uow.session, record_id)
            uow.change(
                obj, self.close_values(obj, values), action="close", person_id=self._person_of(obj)
            )
            self.after_write(uow, obj)
            return to_record(obj)

    def get(self, reg: Register, record_id: uuid.UUID | str):
        require_permission(reg, "read")
        with reg.reading() as s:
            return to_record(self._load(s, record_id))

    def list(
        self,
        reg: Register,
        *,
        limit: int | None = None,
        offset: int = 0,
        where: Callable[[Any], Any] | None = None,
        **equals: Any,
    ) -> list:
        """Newest first (by ``order_by``), tombstones left out."""
        require_permission(reg, "read")
        m = self.model
        stmt = select(m).where(m.deleted == False)
        for k, v in equals.items():
            stmt = stmt.where(getattr(m, k) == v)
        if where is not None:
            stmt = stmt.where(where(m))
        stmt = stmt.order_by(getattr(m, self.order_by).desc(), m.id.desc()).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        with reg.reading() as s:
            return [to_record(o) for o in s.exec(stmt).all()]

    def count(self, reg: Register, **equals: Any) -> int:
        require_permission(reg, "read")
        m = self.model
        stmt = select(func.count()).select_from(m).where(m.deleted == False)
        for k, v in equals.items():
            stmt = stmt.where(getattr(m, k) == v)
        with reg.reading() as s:
            return s.exec(stmt).one()


def columns_of(model: type[SQLModel]) -> list[str]:
    return [c.key for c in sa_inspect(model).column_attrs]
