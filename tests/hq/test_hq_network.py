"""The network path against a real uvicorn on 127.0.0.1, with HQ on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import urllib.error
import urllib.request

import pytest
from sqlalchemy import func, select, update

from app.db.register import Register
from app.hq import admin, ingest
from app.hq.db import hq_device, hq_meta, hq_nonce
from app.hq.server import create_app
from app.services import documents
from app.services.persons import persons
from app.sync import catalog, device, service
from app.sync.client import AUTH_HEADER, HqClient, auth_header, parse_auth
from app.sync.errors import DeviceRevoked, EnrolCodeInvalid, EnrolOtherHq, HqUnreachable
from tests.hq.conftest import LiveServer, sync_auth
from tests.sync.world import (
    LOGINS,
    PASSWORD,
    S1,
    enrol_by_usb,
    new_register,
    rows_of,
    usb_round,
)


def person(reg, surname="Tarmoqov"):
    return persons.create(
        reg, surname=surname, given_name="Sardor", birth_date="09.09.1999", sex="m"
    )


def quick(url: str) -> HqClient:
    return HqClient(url, retries=3, backoff=0.01, timeout=30)


def hq_changes(world) -> list[int]:
    with world.hq.engine.connect() as conn:
        return [
            r[0]
            for r in conn.exec_driver_sql("SELECT server_seq FROM hq_change ORDER BY server_seq")
        ]


def test_enrol_online_and_sync_both_ways(live, tmp_path):
    world, server = live
    a1 = world["a1"]
    fresh = new_register(tmp_path / "net", S1, "tarmoq")
    try:
        code = admin.new_enrolment_code(world.hq, S1.code)
        st = service.enrol_online(fresh, server.url, code, client=quick(server.url))
        assert st.enrolled and st.hq_url == server.url
        # Numbered at enrolment, after a1 and a2 of the stronghold; the first sync brings it.
        key = "device_number:" + device.state_of(fresh).device_id
        with world.hq.engine.connect() as conn:
            assert conn.execute(select(hq_meta.c.value).where(hq_meta.c.key == key)).scalar() == "3"
        first = service.sync_now(fresh, client=quick(server.url))
        assert first.received > 0  # the whole stronghold came as a snapshot
        with fresh.reading() as s:
            assert documents.device_number(s) == 3
        p = person(a1, "Tarmoqdan")
        service.sync_now(a1, server.url, client=quick(server.url))  # a USB device may too
        service.sync_now(fresh, client=quick(server.url))
        assert persons.get(fresh, p.id).surname == "Tarmoqdan"
        q = person(fresh, "Qaytgan")
        service.sync_now(fresh, client=quick(server.url))
        service.sync_now(a1, server.url, client=quick(server.url))
        assert persons.get(a1, q.id).surname == "Qaytgan"
        assert rows_of(fresh.engine, S1.code) == rows_of(world.hq.engine, S1.code)
        assert service.status(fresh).pending == 0
        # The code was used up.
        again = new_register(tmp_path / "again", S1, "yana")
        try:
            with pytest.raises(EnrolCodeInvalid):
                service.enrol_online(again, server.url, code, client=quick(server.url))
        finally:
            again.close()
    finally:
        fresh.close()


def test_a_code_from_another_headquarters_is_refused_before_anything_is_sent(live, tmp_path):
    world, server = live
    other = admin.init_hq(tmp_path / "other")
    try:
        admin.add_stronghold(other, S1.code, name="x")
        code = admin.new_enrolment_code(other, S1.code)
        with pytest.raises(EnrolOtherHq):
            service.enrol_online(world["a1"], server.url, code, client=quick(server.url))
    finally:
        other.close()


def test_a_revoked_device_is_told_in_its_language(live):
    world, server = live
    a1 = world["a1"]
    person(a1)
    admin.revoke_device(world.hq, device.state_of(a1).device_id)
    before = hq_changes(world)
    with pytest.raises(DeviceRevoked):
        service.sync_now(a1, server.url, client=quick(server.url))
    assert hq_changes(world) == before
    assert service.status(a1).pending == 1  # nothing lost: it waits
    data = device.export_bundle(a1).data
    state = device.state_of(a1)
    for lang in ("ru", "uz-Cyrl"):
        status, body = _post(server.url, data, state, lang=lang)
        assert status == 403 and body["code"] == "device_revoked"
        assert body["message"] == DeviceRevoked().message(lang)


def test_a_computer_revoked_by_another_process_is_refused_whole(live):
    """The service keeps a device's key once read; a revocation made elsewhere (the CLI)
    is still found in the sync's transaction, which refuses the sync whole."""
    world, server = live
    a1 = world["a1"]
    service.sync_now(a1, server.url, client=quick(server.url))
    state = device.state_of(a1)
    assert state.device_id in world.hq.senders
    person(a1, "Kechikkan")
    with world.hq.write_engine.begin() as conn:
        conn.execute(
            update(hq_device)
            .where(hq_device.c.device_id == state.device_id)
            .values(revoked_at="2026-01-01 00:00:00.000000")
        )
    before = hq_changes(world)
    status, body = _post(server.url, device.export_bundle(a1).data, state)
    assert status == 403 and body["code"] == "device_revoked"
    assert hq_changes(world) == before and state.device_id not in world.hq.senders
    status, body = _post(server.url, device.export_bundle(a1).data, state)
    assert status == 403 and body["code"] == "device_revoked"


def _sync_request(url, data, auth, *, lang="en", schema=None, protocol="1"):
    from app.sync import versions

    return urllib.request.Request(
        url + "/v1/sync",
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/octet-stream",
            "X-Tayanch-Protocol": protocol,
            "X-Tayanch-Schema": schema or versions.head(),
            "Accept-Language": lang,
            AUTH_HEADER: auth,
        },
    )


def _post(url, data, state, *, lang="en", schema=None, protocol="1", auth=None):
    auth = auth or sync_auth(state, data)
    req = _sync_request(url, data, auth, lang=lang, schema=schema, protocol=protocol)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_old_and_new_apps_are_answered_with_what_to_do(live):
    world, server = live
    a1 = world["a1"]
    state = device.state_of(a1)
    data = device.export_bundle(a1).data
    status, body = _post(server.url, data, state, schema="0001")
    assert status == 426 and body["code"] == "app_too_old" and "Update" in body["message"]
    status, body = _post(server.url, data, state, protocol="0")
    assert status == 426
    status, body = _post(server.url, data, state, schema="9999")
    assert status == 409 and body["code"] == "hq_too_old"
    with urllib.request.urlopen(server.url + "/v1/health") as resp:
        health = json.loads(resp.read())
    assert health["status"] == "ok" and health["schema_revision"] in health["accepts"]


def test_a_replayed_request_and_bad_signatures_are_refused(live):
    world, server = live
    a1 = world["a1"]
    person(a1)
    state = device.state_of(a1)
    data = device.export_bundle(a1).data
    header = sync_auth(state, data)
    status, _ = _post(server.url, data, state, auth=header)
    assert status == 200
    before = hq_changes(world)
    status, body = _post(server.url, data, state, auth=header)  # the same signed request
    assert status == 409 and body["code"] == "request_replayed"
    other = device.state_of(world["a2"])
    forged = auth_header(other.keys, state.device_id, "POST", "/v1/sync", data)
    status, body = _post(server.url, data, state, auth=forged)
    assert status == 401
    status, body = _post(server.url, b"not a bundle", state)
    assert status in (400, 401)
    assert hq_changes(world) == before


def _send(url, data, auth):
    """POST a sync request with this exact auth header: (status, X-Tayanch-Status or code)."""
    try:
        with urllib.request.urlopen(_sync_request(url, data, auth), timeout=30) as resp:
            return resp.status, resp.headers["X-Tayanch-Status"]
    except urllib.error.HTTPError as err:
        body = err.read()
        return err.code, json.loads(body)["code"] if body.startswith(b"{") else body.decode()


def _nonce_taken(world, auth) -> bool:
    nonce = parse_auth(auth)["nonce"]
    with world.hq.engine.connect() as conn:
        return (
            conn.execute(select(hq_nonce.c.nonce).where(hq_nonce.c.nonce == nonce)).first()
            is not None
        )


def _signed_export(reg, surname: str) -> tuple[bytes, str]:
    """A new person on the register, exported, with a signed request header for it."""
    person(reg, surname)
    data = device.export_bundle(reg).data
    return data, sync_auth(device.state_of(reg), data)


def _reply_seq(world, device_id) -> int:
    with world.hq.engine.connect() as conn:
        return conn.execute(
            select(hq_device.c.reply_seq).where(hq_device.c.device_id == device_id)
        ).scalar_one()


def test_a_request_that_failed_half_way_can_be_sent_again_as_it_was(live, monkeypatch):
    """Its nonce goes with the transaction that failed: nothing was used up."""
    world, server = live
    a1 = world["a1"]
    data, auth = _signed_export(a1, "Yarimda")
    before = hq_changes(world)
    real = ingest._reply_lines
    failures = []

    def fail_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "_reply_lines", fail_once)
    status, _ = _send(server.url, data, auth)
    assert status == 500 and failures
    assert hq_changes(world) == before and not _nonce_taken(world, auth)
    # The same request, byte for byte (a proxy or the device retrying it): applied once.
    assert _send(server.url, data, auth) == (200, "applied")
    assert len(hq_changes(world)) > len(before) and _nonce_taken(world, auth)
    after = hq_changes(world)
    assert _send(server.url, data, auth) == (409, "request_replayed")
    assert hq_changes(world) == after


def test_a_retry_is_answered_again_and_its_replay_refused(live):
    """The already-applied path takes the request's nonce too; a replay of it changes
    nothing (not even the reply's number)."""
    world, server = live
    a1 = world["a1"]
    data, first = _signed_export(a1, "Qaytadan")
    state = device.state_of(a1)
    assert _send(server.url, data, first) == (200, "applied")
    retry = sync_auth(state, data)
    assert _send(server.url, data, retry) == (200, "already-applied")
    assert _nonce_taken(world, retry)
    reply_seq, before = _reply_seq(world, state.device_id), hq_changes(world)
    assert _send(server.url, data, retry) == (409, "request_replayed")
    assert _reply_seq(world, state.device_id) == reply_seq and hq_changes(world) == before


def test_a_body_over_the_limit_is_refused(world):
    with LiveServer(create_app(hq=world.hq, max_body=16 * 1024)) as server:
        a1 = world["a1"]
        for i in range(40):
            persons.create(
                a1,
                surname=f"Katta{i}",
                given_name="Ali",
                birth_date="01.01.2000",
                sex="m",
                notes=os.urandom(300).hex(),
            )
        state = device.state_of(a1)
        status, body = _post(server.url, device.export_bundle(a1).data, state)
        assert status == 413 and body["code"] == "too_large"


def test_two_devices_syncing_at_once(live):
    world, server = live
    a1, a2 = world["a1"], world["a2"]
    made = {
        name: [person(world[name], f"{name}{i}").id for i in range(20)] for name in ("a1", "a2")
    }
    errors = []

    def run(reg):
        try:
            for _ in range(3):
                service.sync_now(reg, server.url, client=quick(server.url))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(r,)) for r in (a1, a2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    service.sync_now(a1, server.url, client=quick(server.url))
    seqs = hq_changes(world)
    assert seqs == list(range(1, len(seqs) + 1))  # gap-free, each number once
    for pid in made["a2"]:
        assert persons.get(a1, pid)
    with world.hq.engine.connect() as conn:
        t = catalog.tables()["person"].table
        ids = {r[0] for r in conn.execute(select(t.c.id))}
    assert set(made["a1"]) | set(made["a2"]) <= ids


class DroppingProxy:
    """Forwards to the server, but cuts the first connection after the request went
    through and before the answer comes back: the device never sees HQ's reply."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.dropped = 0
        self.stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(client,), daemon=True).start()

    def _one(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        request = b""
        client.settimeout(10)
        while b"\r\n\r\n" not in request:
            request += client.recv(65536)
        head, _, body = request.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        while len(body) < length:
            body += client.recv(65536)
        upstream.sendall(head + b"\r\n\r\n" + body)
        response = b""
        upstream.settimeout(30)
        while True:
            chunk = upstream.recv(65536)
            if not chunk:
                break
            response += chunk
            if b"\r\n\r\n" in response:
                h, _, b = response.partition(b"\r\n\r\n")
                n = [
                    int(x.split(b":")[1])
                    for x in h.split(b"\r\n")
                    if x.lower().startswith(b"content-length:")
                ]
                if n and len(b) >= n[0]:
                    break
        upstream.close()
        if self.dropped == 0 and b"/v1/sync" in head:
            self.dropped += 1
            client.close()  # HQ applied it; the answer is lost on the way
            return
        client.sendall(response)
        client.close()

    def close(self) -> None:
        self.stop = True
        self.listener.close()


def test_a_connection_dropped_mid_request_is_retried_without_duplicates(live):
    world, server = live
    a1 = world["a1"]
    p = person(a1, "Uzilgan")
    proxy = DroppingProxy(server.port)
    try:
        url = f"http://127.0.0.1:{proxy.port}"
        report = service.sync_now(a1, url, client=quick(url))
    finally:
        proxy.close()
    assert proxy.dropped == 1
    assert report.acknowledged >= 1 and service.status(a1).pending == 0
    with world.hq.engine.connect() as conn:
        t = catalog.tables()["person"].table
        assert conn.execute(select(func.count()).select_from(t).where(t.c.id == p.id)).scalar() == 1
        dupes = conn.exec_driver_sql(
            "SELECT count(*) FROM (SELECT row_id FROM hq_change WHERE tbl = 'person' "
            "GROUP BY row_id HAVING count(*) > 1) AS d"
        ).scalar()
        bundles = conn.exec_driver_sql("SELECT count(*) FROM hq_bundle").scalar()
    assert dupes == 0
    seqs = hq_changes(world)
    assert seqs == list(range(1, len(seqs) + 1))
    assert bundles >= 1


def test_a_revoked_computer_enrols_again_and_nothing_is_sent_twice(live):
    world, server = live
    a1 = world["a1"]
    person(a1, "Oldin")
    service.sync_now(a1, server.url, client=quick(server.url))
    p = person(a1, "Keyin")
    admin.revoke_device(world.hq, device.state_of(a1).device_id)
    with pytest.raises(DeviceRevoked):
        service.sync_now(a1, server.url, client=quick(server.url))
    assert service.status(a1).state == "revoked"
    # The refused bundle is not shown as gone: its change still waits here.
    refused = service.history(a1)[0]
    assert refused.direction == "out" and refused.summary.get("unconfirmed")
    assert service.status(a1).pending == 1
    code = admin.new_enrolment_code(world.hq, S1.code)
    st = service.enrol_online(a1, server.url, code, client=quick(server.url))
    assert st.enrolled
    report = service.sync_now(a1, server.url, client=quick(server.url))
    assert report.acknowledged >= 1 and service.status(a1).pending == 0
    with world.hq.engine.connect() as conn:
        dupes = conn.exec_driver_sql(
            "SELECT count(*) FROM (SELECT change_id FROM hq_change GROUP BY change_id "
            "HAVING count(*) > 1) AS d"
        ).scalar()
        t = catalog.tables()["person"].table
        found = conn.execute(select(func.count()).select_from(t).where(t.c.id == p.id)).scalar()
    assert dupes == 0 and found == 1
    assert len([d for d in admin.list_devices(world.hq) if d.stronghold_code == S1.code]) == 3


def test_the_report_counts_sent_and_confirmed_changes_alike(live):
    """ "Sent", "Headquarters confirmed" and "Not yet sent" count the user's changes, not
    the audit entries that travel along (a sync with nothing new read "Sent: 0 changes.
    Headquarters confirmed 6 changes.")."""
    world, server = live
    a1 = world["a1"]
    service.sync_now(a1, server.url, client=quick(server.url))
    idle = service.sync_now(a1, server.url, client=quick(server.url))  # only its audit entries
    assert (idle.sent, idle.acknowledged) == (0, 0)
    assert "Shtab 0 ta oʻzgarishni tasdiqladi." in idle.lines  # the default language
    person(a1, "Sanalgan")
    person(a1, "Sanalgan2")
    assert service.status(a1).pending == 2
    two = service.sync_now(a1, server.url, client=quick(server.url))
    assert (two.sent, two.acknowledged) == (2, 2)
    assert service.status(a1).pending == 0


class LinkLostAfter(HqClient):
    """A link that carries ``ok`` syncs, then goes down (a closed port answers nothing)."""

    def __init__(self, url: str, ok: int, closed_url: str) -> None:
        super().__init__(url, retries=1, backoff=0.01, timeout=30)
        self.ok, self.closed_url, self.sent = ok, closed_url.rstrip("/"), []

    def sync(self, data, keys, device_id):
        if len(self.sent) == self.ok:
            self.url = self.closed_url
        self.sent.append(len(data))
        return super().sync(data, keys, device_id)


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _outs(reg, n: int) -> list[int]:
    """The changes of the last ``n`` bundles that went to HQ, newest first."""
    return [h.summary["changes"] for h in service.history(reg, 60) if h.direction == "out"][:n]


def test_a_backlog_goes_in_bundles_and_a_lost_link_resumes_after_the_last_confirmed(live):
    """A whole register's first sync, on a link that drops: each bundle HQ confirmed stays
    confirmed, and the next try sends only what is left, once."""
    world, server = live
    a1 = world["a1"]
    service.sync_now(a1, server.url, client=quick(server.url))  # what waited before
    made = [person(a1, f"Navbat{i}").id for i in range(7)]
    link = LinkLostAfter(server.url, 2, _closed_port_url())
    with pytest.raises(HqUnreachable):
        service.sync_now(a1, server.url, client=link, batch=3)
    # Two bundles went and were confirmed; the third did not get through.
    assert len(link.sent) == 3
    unconfirmed, *confirmed = _outs(a1, 3)
    left = service.status(a1).pending
    assert all(n > 0 for n in confirmed) and sum(confirmed) == 7 - left and left > 0
    assert service.history(a1)[0].summary.get("unconfirmed")

    report = service.sync_now(a1, server.url, client=quick(server.url), batch=3)
    assert report.sent == left and service.status(a1).pending == 0
    with world.hq.engine.connect() as conn:
        t = catalog.tables()["person"].table
        at_hq = {r[0] for r in conn.execute(select(t.c.id).where(t.c.id.in_(made)))}
        dupes = conn.exec_driver_sql(
            "SELECT count(*) FROM (SELECT change_id FROM hq_change GROUP BY change_id "
            "HAVING count(*) > 1) AS d"
        ).scalar()
    assert at_hq == set(made) and dupes == 0
    seqs = hq_changes(world)
    assert seqs == list(range(1, len(seqs) + 1))


def test_one_sync_of_several_bundles_reports_them_as_one(live):
    world, server = live
    a1 = world["a1"]
    service.sync_now(a1, server.url, client=quick(server.url))
    for i in range(5):
        person(a1, f"Toplam{i}")
    steps = []
    link = LinkLostAfter(server.url, 100, _closed_port_url())
    report = service.sync_now(
        a1, server.url, client=link, batch=2, progress=lambda d, t: steps.append(d / t)
    )
    assert len(link.sent) >= 3 and sum(_outs(a1, len(link.sent))) == 5
    assert report.sent == 5 and report.acknowledged == 5
    # Three lines (sent, received, confirmed), not three for each bundle.
    assert len(report.lines) == 3 and " 5 " in report.lines[0] and " 5 " in report.lines[2]
    assert steps == sorted(steps) and steps[-1] == 1.0  # one bar, filling once


def _received_in_history(reg) -> int:
    return sum(
        h.summary.get("received", 0) for h in service.history(reg, 500) if h.direction == "in"
    )


def test_a_first_sync_brings_the_stronghold_in_parts_and_a_lost_link_goes_on(
    live, tmp_path, monkeypatch
):
    """A new computer's first reply is its stronghold's whole register: cut into parts,
    a drop between them costs one part, and the next sync goes on after the last part
    that came, not from the start."""
    world, server = live
    a1 = world["a1"]
    for i in range(12):
        person(a1, f"Qism{i}")
    service.sync_now(a1, server.url, client=quick(server.url))
    monkeypatch.setattr(ingest, "REPLY_PART_LINES", 5)
    fresh = new_register(tmp_path / "parts", S1, "qismlar")
    try:
        code = admin.new_enrolment_code(world.hq, S1.code)
        service.enrol_online(fresh, server.url, code, client=quick(server.url))
        link = LinkLostAfter(server.url, 2, _closed_port_url())
        with pytest.raises(HqUnreachable):
            service.sync_now(fresh, client=link)
        assert len(link.sent) == 3  # two parts came, the third try found the link gone
        came = _received_in_history(fresh)
        assert came == 10 and device.state_of(fresh).cursor > 0

        report = service.sync_now(fresh, client=quick(server.url))
        assert report.received > 0 and service.status(fresh).pending == 0
        assert rows_of(fresh.engine, S1.code) == rows_of(world.hq.engine, S1.code)
        with fresh.engine.connect() as conn:
            resume = conn.exec_driver_sql(
                "SELECT count(*) FROM local_state WHERE key = ?", (device.RESUME_KEY,)
            ).scalar()
        assert resume == 0  # the snapshot is whole: later syncs are ordinary
        # Nothing came twice: what HQ holds for the stronghold, this computer's own
        # changes (sent back with the rest of the snapshot) at most.
        with world.hq.engine.connect() as conn:
            held = conn.exec_driver_sql(
                "SELECT count(*) FROM hq_change WHERE stronghold_code = %s OR stronghold_code "
                "IS NULL" % ("?" if conn.dialect.name == "sqlite" else "%s"),
                (S1.code,),
            ).scalar()
        assert _received_in_history(fresh) <= held
    finally:
        fresh.close()


def test_a_stick_reply_is_never_cut(live, tmp_path, monkeypatch):
    world, _server = live
    monkeypatch.setattr(ingest, "REPLY_PART_LINES", 5)
    fresh = new_register(tmp_path / "stick", S1, "fleshka")
    try:
        enrol_by_usb(world.hq, fresh)
        _result, applied = usb_round(world.hq, fresh)
        assert not applied.more and applied.snapshot and applied.received > 5
        assert rows_of(fresh.engine, S1.code) == rows_of(world.hq.engine, S1.code)
    finally:
        fresh.close()


def test_a_computer_restored_from_backup_gets_its_lost_changes_back_in_parts(live, monkeypatch):
    """A restored computer's snapshot carries its own changes it lost; in parts, every
    part after the first must still carry them ("resume"), or the later ones are lost."""
    world, server = live
    a1 = world["a1"]
    service.sync_now(a1, server.url, client=quick(server.url))
    a1.checkpoint()
    backup = world.root / "a1-net-backup"
    shutil.copytree(world.root / "a1", backup)
    lost = [person(a1, f"Yoqolgan{i}").id for i in range(12)]
    service.sync_now(a1, server.url, client=quick(server.url))
    a1.close()
    shutil.rmtree(world.root / "a1")
    shutil.copytree(backup, world.root / "a1")
    restored = Register.open(world.root / "a1", LOGINS["a1"], PASSWORD)
    world.devices["a1"] = restored
    monkeypatch.setattr(ingest, "REPLY_PART_LINES", 5)
    link = LinkLostAfter(server.url, 100, _closed_port_url())
    service.sync_now(restored, server.url, client=link)
    assert len(link.sent) > 2  # the snapshot came in parts
    assert all(persons.get(restored, p).surname.startswith("Yoqolgan") for p in lost)
    assert rows_of(restored.engine, S1.code) == rows_of(world.hq.engine, S1.code)
