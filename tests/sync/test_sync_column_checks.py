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
