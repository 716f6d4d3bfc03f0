"""Plain, frozen copies of table rows that services hand out.

The UI never holds live ORM objects across threads or after a session closes
(STYLE.md), so every service returns these instead. They are generated from the table
columns once per table, so a new column shows up without a second declaration.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlmodel import SQLModel


@cache
def record_type(model: type[SQLModel]) -> type:
    columns = [c.key for c in sa_inspect(model).column_attrs]
    name = model.__name__ + "Record"
    cls = dataclasses.make_dataclass(name, [(c, Any) for c in columns], frozen=True)
    cls.__doc__ = f"A detached copy of one {model.__tablename__} row."
    cls.model = model
    return cls


def to_record(obj: SQLModel):
    cls = record_type(type(obj))
    return cls(**{f.name: getattr(obj, f.name) for f in dataclasses.fields(cls)})


def record_dict(record) -> dict[str, Any]:
    return dataclasses.asdict(record)
