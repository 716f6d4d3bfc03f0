"""Refusals: a bundle that fails a check is refused whole, says why, and changes nothing.

Each case compares a hash of every row of every table before and after.
"""

from __future__ import annotations

import json
import uuid

import pytest

from app.hq import admin, ingest
from app.services.persons import persons
from app.sync import bundle, device, stick
from app.sync.crypto import KeyPair
from app.sync.errors import (
    AppTooOld,
    BundleDamaged,
    BundleRefused,
    BundleReplayed,
    BundleTruncated,
    DeviceRevoked,
    EnrolCodeInvalid,
    EnrolStrongholdMismatch,
    ForeignRows,
    NotADeviceBundle,
    NotAReply,
    SchemaTooNew,
    UnknownSender,
    WrongReceiver,
)
from tests.sync.world import S1, S2, fingerprint, new_register


def person(reg, surname="Tursunov"):
    return persons.create(reg, surname=surname, given_name="Aziz", birth_date="07.07.1977", sex="m")


def refused_at_hq(world, data: bytes, expected: type) -> BundleRefused:
    before = fingerprint(world.hq.engine)
    with pytest.raises(expected) as info:
        ingest.ingest(world.hq, data)
    assert fingerprint(world.hq.engine) == before
    assert info.value.message("en")  # a sentence that says which check failed
    return info.value


def refused_on_device(reg, data: bytes, expected: type) -> BundleRefused:
    before = fingerprint(reg.engine)
    with pytest.raises(expected) as info:
        device.import_reply(reg, data)
    assert fingerprint(reg.engine) == before
    return info.value


def reseal(world, reg, data: bytes, change=None, header=None) -> bytes:
    """Open a device's bundle (the test holds HQ's keys), alter it, seal it again with
    the same device's key: what a tampered-with but validly signed bundle looks like."""
    state = device.state_of(reg)
    opened = bundle.open_bundle(data, world.hq.keys, lambda clear: state.keys.sign_pub)
    lines = [json.loads(x) for x in opened.lines]
    if change:
        lines = [change(c) or c for c in lines]
    hdr = dict(opened.header)
    hdr["bundle"] = bundle.new_bundle_id()
    hdr["seq"] = hdr["seq"] + 1
    if header:
        hdr.update(header)
    hdr.pop("to", None)
    hdr.pop("format", None)
    return bundle.write(
        hdr, [json.dumps(x) for x in lines], state.keys, world.hq.keys.box_pub, world.hq.hq_id
    )


@pytest.mark.parametrize("where", ["magic", "clear header", "sealed start", "middle", "last"])
def test_an_altered_byte_anywhere_is_refused(world, where):
    person(world["a1"])
    data = bytearray(device.export_bundle(world["a1"]).data)
    header_len = int.from_bytes(data[13:17], "big")
    at = {
        "magic": 2,
        "clear header": 17 + header_len // 2,
        "sealed start": 17 + header_len + 3,
        "middle": len(data) // 2 + 40,
        "last": len(data) - 1,
    }[where]
    data[at] ^= 0x01
    refused_at_hq(world, bytes(data), BundleRefused)


@pytest.mark.parametrize("keep", [5, 20, 0.5, -1])
def test_a_truncated_bundle_is_refused_as_such(world, keep):
    person(world["a1"])
    data = device.export_bundle(world["a1"]).data
    cut = data[: int(len(data) * keep)] if isinstance(keep, float) else data[:keep]
    refused_at_hq(world, cut, BundleTruncated)


def test_an_unknown_sender_is_refused(world):
    stranger = KeyPair.generate()
    data = bundle.write(
        {
            "kind": "device",
            "from": uuid.uuid4().hex,
            "bundle": bundle.new_bundle_id(),
            "seq": 1,
            "stronghold": S1.code,
            "protocol": 1,
            "schema": "0003",
            "cursor": 0,
        },
        [],
        stranger,
        world.hq.keys.box_pub,
        world.hq.hq_id,
    )
    refused_at_hq(world, data, UnknownSender)


def test_a_revoked_device_is_refused(world):
    person(world["a1"])
    data = device.export_bundle(world["a1"]).data
    admin.revoke_device(world.hq, device.state_of(world["a1"]).device_id)
    err = refused_at_hq(world, data, DeviceRevoked)
    assert "revoked" in err.message("en")


def test_a_bundle_for_another_headquarters_is_refused(world, tmp_path):
    other = admin.init_hq(tmp_path / "other-hq")
    try:
        person(world["a1"])
        data = device.export_bundle(world["a1"]).data
        before = fingerprint(other.engine)
        with pytest.raises(WrongReceiver):
            ingest.ingest(other, data)
        assert fingerprint(other.engine) == before
    finally:
        other.close()


def test_a_replayed_older_bundle_is_refused(world):
    a1 = world["a1"]
    person(a1, "Birinchi")
    old = device.export_bundle(a1).data
    person(a1, "Ikkinchi")
    ingest.ingest(world.hq, device.export_bundle(a1).data)
    refused_at_hq(world, old, BundleReplayed)


def test_rows_of_another_stronghold_refuse_the_whole_bundle(world):
    a1 = world["a1"]
    person(a1, "Oʻzimniki")
    person(a1, "Begona")
    data = device.export_bundle(a1).data

    def foreign(c):
        if c["t"] == "person" and c["f"].get("surname") == "Begona":
            c["f"]["stronghold_code"] = S2.code

    refused_at_hq(world, reseal(world, a1, data, change=foreign), ForeignRows)
    # An edit that tries to move a record out is refused the same way.
    p = person(a1, "Koʻchmas")
    world.usb("a1")
    with a1.write_engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE person SET stronghold_code = ? WHERE id = ?", (S2.code, p.id.hex)
        )
    refused_at_hq(world, device.export_bundle(a1).data, ForeignRows)


def test_a_newer_or_too_old_schema_is_refused(world):
    a1 = world["a1"]
    person(a1)
    data = device.export_bundle(a1).data
    refused_at_hq(world, reseal(world, a1, data, header={"schema": "9999"}), SchemaTooNew)
    refused_at_hq(world, reseal(world, a1, data, header={"schema": "0001"}), AppTooOld)
    refused_at_hq(world, reseal(world, a1, data, header={"protocol": 0}), AppTooOld)


def test_garbage_inside_a_signed_bundle_is_refused(world):
    a1 = world["a1"]
    person(a1)
    data = device.export_bundle(a1).data

    def bad_date(c):
        if c["t"] == "person":
            c["f"]["birth_date"] = "1990-13-45"

    def unknown_table(c):
        c["t"] = "sqlite_master"

    for mutate in (bad_date, unknown_table):
        refused_at_hq(world, reseal(world, a1, data, change=mutate), BundleRefused)


def test_an_enrolment_code_works_once(world, tmp_path):
    code = admin.new_enrolment_code(world.hq, S1.code)
    first = new_register(tmp_path / "first", S1, "birinchi")
    second = new_register(tmp_path / "second", S1, "ikkinchi")
    try:
        for reg in (first, second):
            device.start_enrolment(reg, world.hq.public_key(), code)
        ingest.ingest(world.hq, device.export_bundle(first).data)
        refused_at_hq(world, device.export_bundle(second).data, EnrolCodeInvalid)
    finally:
        first.close()
        second.close()


def test_an_enrolment_code_of_another_stronghold_is_refused(world, tmp_path):
    code = admin.new_enrolment_code(world.hq, S2.code)
    reg = new_register(tmp_path / "wrong", S1, "adashgan")
    try:
        device.start_enrolment(reg, world.hq.public_key(), code)
        # Said as such (by stick as online), not "wrong, expired or used".
        said = refused_at_hq(world, device.export_bundle(reg).data, EnrolStrongholdMismatch)
        assert f"for stronghold {S2.code}" in said.message("en") and S1.code in said.message("en")
    finally:
        reg.close()


# --- replies on the device -------------------------------------------------------------


def _reply(world, name: str) -> bytes:
    person(world[name])
    return ingest.ingest(world.hq, device.export_bundle(world[name]).data).reply


def test_an_altered_or_truncated_reply_changes_nothing_on_the_device(world):
    reply = _reply(world, "a1")
    altered = bytearray(reply)
    altered[len(altered) // 2] ^= 0xFF
    refused_on_device(world["a1"], bytes(altered), BundleDamaged)
    refused_on_device(world["a1"], reply[: len(reply) - 10], BundleTruncated)


def test_a_reply_for_another_computer_is_refused(world):
    reply = _reply(world, "a1")
    refused_on_device(world["a2"], reply, WrongReceiver)


def test_the_two_files_of_a_stick_mixed_up_are_refused_saying_which_is_which(world):
    """The computer's bundle and HQ's reply lie on the same stick with names alike: the
    bundle imported as the reply, or the reply taken for the bundle at HQ, is refused
    saying what the file is and which one to import, and changes nothing."""
    a1 = world["a1"]
    person(a1)
    bundle_for_hq = device.export_bundle(a1).data
    err = refused_on_device(a1, bundle_for_hq, NotAReply)
    named = stick.reply_name(S1.code, 1, "d")
    assert f"its name begins with “{named[:14]}”" in err.message("en")
    assert named[:14] in err.message("uz-Cyrl") and named[:14] in err.message("ru")
    reply = ingest.ingest(world.hq, bundle_for_hq).reply
    err = refused_at_hq(world, reply, NotADeviceBundle)
    assert "Give it back to the stronghold" in err.message("en")


def test_an_older_reply_is_refused_after_a_newer_one(world):
    older = _reply(world, "a1")
    newer = _reply(world, "a1")
    device.import_reply(world["a1"], newer)
    refused_on_device(world["a1"], older, BundleReplayed)


def _hq_reply(world, reg, header=None, extra_lines=()) -> bytes:
    """A reply signed by HQ with whatever the test puts in it."""
    state = device.state_of(reg)
    hdr = {
        "kind": "reply",
        "from": world.hq.hq_id,
        "bundle": bundle.new_bundle_id(),
        "seq": 2**53,
        "schema": "0003",
        "cursor": 0,
        "protocol": 1,
    }
    hdr.update(header or {})
    return bundle.write(hdr, list(extra_lines), world.hq.keys, state.keys.box_pub, state.keys.id)


def test_a_reply_with_rows_of_another_stronghold_is_refused(world):
    reg = world["a1"]
    row = uuid.uuid4().hex
    line = json.dumps(
        {
            "n": 1,
            "s": S2.code,
            "d": "hq",
            "i": uuid.uuid4().hex,
            "t": "household",
            "r": row,
            "o": "i",
            "h": "1790000000000-000000-hq",
            "f": {"stronghold_code": S2.code, "street": "Begona", "house": "1"},
        }
    )
    refused_on_device(reg, _hq_reply(world, reg, extra_lines=[line]), ForeignRows)


def test_a_reply_of_a_newer_schema_is_refused(world):
    reg = world["a1"]
    refused_on_device(reg, _hq_reply(world, reg, header={"schema": "9999"}), SchemaTooNew)


def test_a_reply_signed_by_someone_else_is_refused(world):
    reg = world["a1"]
    state = device.state_of(reg)
    impostor = KeyPair.generate()
    data = bundle.write(
        {
            "kind": "reply",
            "from": world.hq.hq_id,
            "bundle": bundle.new_bundle_id(),
            "seq": 2**53,
            "schema": "0003",
            "cursor": 0,
        },
        [],
        impostor,
        state.keys.box_pub,
        state.keys.id,
    )
    refused_on_device(reg, data, BundleDamaged)


# --- per change: HQ decides from its own copy ------------------------------------------


def test_fields_only_hq_may_set_are_rejected_and_put_back(world):
    a1 = world["a1"]
    with a1.write_engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE stronghold SET name = 'Oʻzgartirilgan', phone = '+998901234567'"
        )
    result, applied = world.usb("a1")
    assert [x["code"] for x in applied.rejected] == ["hq_only_field"]
    with a1.engine.connect() as conn:
        name = conn.exec_driver_sql("SELECT name FROM stronghold").scalar()
    assert name == S1.name


def test_issued_documents_never_change(world):
    a1 = world["a1"]
    doc_id = uuid.uuid4().hex
    with a1.write_engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO issued_document (id, stronghold_code, created_at, updated_at, deleted, "
            "version, kind, year, seq, number, lang, issued_at, snapshot, sha256) VALUES "
            "(?, ?, '2026-02-01 09:00:00.000000', '2026-02-01 09:00:00.000000', 0, 1, "
            "'warning', 2026, 9001, 'TP-9001/2026', 'uz-Latn', '2026-02-01 09:00:00.000000', "
            "'{}', 'abc')",
            (doc_id, S1.code),
        )
    world.usb("a1")
    with a1.write_engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE issued_document SET snapshot = '{\"x\": 1}' WHERE id = ?", (doc_id,)
        )
    result, applied = world.usb("a1")
    assert [x["code"] for x in applied.rejected] == ["immutable"]


def test_reference_data_from_a_device_is_rejected(world):
    a1 = world["a1"]
    person(a1)
    data = device.export_bundle(a1).data
    with world.hq.engine.connect() as conn:
        ref_id = conn.exec_driver_sql("SELECT id FROM order_duration LIMIT 1").scalar()

    def to_reference(c):
        if c["t"] == "person":
            return {**c, "t": "order_duration", "r": ref_id, "o": "u", "f": {"days": 365}}

    result = ingest.ingest(world.hq, reseal(world, a1, data, change=to_reference))
    assert result.rejected == 1
    with world.hq.engine.connect() as conn:
        assert (
            conn.exec_driver_sql("SELECT days FROM order_duration WHERE id = ?", (ref_id,)).scalar()
            == 30
        )
