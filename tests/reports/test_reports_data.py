"""Snapshots survive the trip through JSON and refuse what they cannot be sure of."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime

import pytest

from app import reports
from app.reports import samples
from app.reports.data import (
    DATA_TYPES,
    OffenceProtocol,
    Person,
    SnapshotError,
    VisitAct,
)


@pytest.mark.parametrize("kind", reports.KINDS)
def test_round_trip_through_json(kind):
    data = samples.sample(kind)
    stored = json.dumps(data.to_dict(), ensure_ascii=False, sort_keys=True)
    back = DATA_TYPES[kind].from_dict(json.loads(stored))
    assert back == data
    assert json.dumps(back.to_dict(), ensure_ascii=False, sort_keys=True) == stored


def test_snapshots_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        samples.visit_act().household_head = "x"  # type: ignore[misc]


def test_plain_json_types_only():
    stored = samples.offence_protocol(refused=True).to_dict()
    assert stored["drawn_up_at"] == "2026-11-27T16:45:00"
    assert stored["offender"]["birth_date"] == "1994-03-08"
    assert stored["offender_refused_to_sign"] is True
    assert isinstance(stored["witnesses"], list)
    assert stored["header"]["stronghold"]["code"] == "TP-0123"


def test_aware_datetimes_keep_their_offset():
    act = dataclasses.replace(
        samples.visit_act(), visited_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    )
    back = VisitAct.from_dict(act.to_dict())
    assert back.visited_at == act.visited_at and back.visited_at.tzinfo is not None


def test_optional_dates_may_be_null():
    person = Person.from_dict({"full_name": "Қодирова Дилноза", "birth_date": None})
    assert person.birth_date is None
    assert Person.from_dict(person.to_dict()) == person


def test_defaults_fill_fields_missing_from_older_snapshots():
    stored = samples.offence_protocol().to_dict()
    del stored["attachments"]
    assert OffenceProtocol.from_dict(stored).attachments == ()


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(unknown_field=1),
        lambda d: d.pop("offender"),
        lambda d: d.update(offence_at="yesterday"),
        lambda d: d.update(offender_refused_to_sign="no"),
        lambda d: d.update(witnesses="Smirnov"),
        lambda d: d["header"].update(number=45),
        lambda d: d["offender"].update(birth_date=date(1994, 3, 8).toordinal()),
    ],
)
def test_bad_snapshots_are_refused(change):
    stored = json.loads(json.dumps(samples.offence_protocol().to_dict()))
    change(stored)
    with pytest.raises(SnapshotError):
        OffenceProtocol.from_dict(stored)


def test_kinds_and_data_types_agree():
    assert set(DATA_TYPES) == set(reports.KINDS)
