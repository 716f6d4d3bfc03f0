"""The whole-column checks of a batch of changes (changes.check_all): ids, row ids and
stamps are checked a column at a time, and a value that would slip through a joined
check (a newline inside, upper case, a short id, spaces) still refuses the batch."""

from __future__ import annotations

import uuid

import pytest

from app.sync import changes
from app.sync.errors import BundleInvalid


def _change(**over) -> dict:
    c = {
        "i": uuid.uuid4().hex,
        "t": "person",
        "r": uuid.uuid4().hex,
        "o": "u",
        "h": "1795799064514-000000-2005308f0621b98f",
        "q": 1,
        "f": {"notes": "x"},
    }
    c.update(over)
    return c


def test_a_well_formed_batch_passes():
    batch = [_change(q=i) for i in range(300)] + [_change(i="rekey-" + uuid.uuid4().hex[:20])]
    assert changes.check_all(batch) == batch


@pytest.mark.parametrize(
    ("key", "value", "detail"),
    [
        ("r", uuid.uuid4().hex.upper(), "row id"),
        ("r", uuid.uuid4().hex[:31], "row id"),
        ("r", uuid.uuid4().hex[:30] + " a", "row id"),
        ("r", uuid.uuid4().hex[:31] + "\n", "row id"),
        ("r", 12345, "row id"),
        ("i", "ab\ncd", "change id"),
        ("i", "", "change id"),
        ("i", "x" * 65, "change id"),
        ("h", "1795799064514-000000-abc\n1795799064514-000000-abd", "clock stamp"),
        ("h", "179579906451-000000-abc", "clock stamp"),
        ("o", ["i"], "operation"),
        ("t", ["person"], "unknown table"),
    ],
)
def test_one_bad_value_refuses_the_batch(key, value, detail):
    batch = [_change(q=i) for i in range(50)]
    batch[37][key] = value
    with pytest.raises(BundleInvalid) as refused:
        changes.check_all(batch)
    assert detail in str(refused.value.params)


def test_a_bad_reference_id_in_the_fields_refuses_the_batch():
    batch = [_change(o="i", f={"makhalla_id": uuid.uuid4().hex}) for _ in range(20)]
    changes.check_all(batch)
    batch[5]["f"]["makhalla_id"] = uuid.uuid4().hex.upper()
    with pytest.raises(BundleInvalid):
        changes.check_all(batch)


def test_dumps_writes_what_the_standard_library_writes():
    import json

    for value in (
        {"a": 1, "b": "oʻzbek\n\x00", "c": None, "d": 1.5, "e": [1, 2], "f": True},
        {1: "non-string key"},
        2**70,
        "",
    ):
        assert changes.dumps(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@pytest.mark.parametrize(
    ("name", "value", "passes"),
    [
        ("notes", "", True),
        ("notes", None, False),  # NOT NULL
        ("notes", 5, False),
        ("notes", "a\0b", False),
        ("sex", "m" * 41, False),  # longer than the column
        ("pinfl", None, True),  # nullable
        ("pinfl", False, False),
        ("created_at", "2026-02-01 09:00:00.000000", True),
        ("created_at", "2026-13-01 09:00:00", False),
        ("created_at", None, False),
        ("created_at", 1795799064514, False),
        ("birth_date", "1990-1-1", False),
        ("version", "1", False),
        ("deleted", 2, False),
    ],
)
def test_a_field_value_of_the_wrong_kind_refuses_the_batch(name, value, passes):
    """Each column is checked across the batch at once; one value of the wrong kind, in
    the middle of 60 good ones, refuses the whole batch."""
    good = {
        "notes": "yozuv",
        "sex": "m",
        "pinfl": "31234567890123",
        "created_at": "2026-02-01 08:00:00.000000",
        "birth_date": "1990-01-01",
        "version": 1,
        "deleted": 0,
    }
    batch = [_change(q=i, f=dict(good)) for i in range(60)]
    batch[29]["f"][name] = value
    if passes:
        assert changes.check_all(batch) == batch
        return
    with pytest.raises(BundleInvalid) as refused:
        changes.check_all(batch)
    assert f"person.{name}" in str(refused.value.params)


def test_a_clock_stamp_in_other_digits_refuses_the_batch():
    batch = [_change(q=i) for i in range(10)]
    batch[4]["h"] = "1795799064514-٠٠٠٠٠٠-2005308f0621b98f"  # Arabic-Indic digits
    with pytest.raises(BundleInvalid):
        changes.check_all(batch)
