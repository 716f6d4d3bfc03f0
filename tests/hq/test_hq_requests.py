"""Requests that are not a Tayanch app's, against a real uvicorn on 127.0.0.1: refused
small, as the documented ``{"code", "message"}`` in the asked language, and never echoed."""

from __future__ import annotations

import http.client
import json

import pytest

from app.hq import admin
from app.hq.server import RequestRefused, RequestTooLarge
from app.sync import service, versions
from app.sync.client import HqClient
from app.sync.errors import NotHq
from tests.sync.world import S1

ENROL_JSON = {"Content-Type": "application/json"}
BAD_PROTOCOL = {"X-Tayanch-Protocol": "garbage", "X-Tayanch-Schema": "0007"}


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the HTTP layer; PostgreSQL runs the flows


def _connect(server) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)


def _answer(conn: http.client.HTTPConnection) -> tuple[int, bytes]:
    resp = conn.getresponse()
    return resp.status, resp.read()


def _problem(status: int, raw: bytes, code: str, lang: str, **params) -> dict:
    assert len(raw) < 1024, raw[:200]
    body = json.loads(raw)
    # The documented answer; "params" carries the sentence's fields (our own words, such as
    # a field's name: never what was sent), so the device can word it in its language.
    assert {"code", "message"} <= set(body) <= {"code", "message", "params"}
    assert body.get("params", {}) == {k: str(v) for k, v in params.items()}
    assert body["code"] == code
    expected = {"too_large": RequestTooLarge, "request_refused": RequestRefused}[code]
    assert body["message"] == expected(**params).message(lang)
    return body


def _post(server, path: str, data: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = _connect(server)
    try:
        conn.request("POST", path, body=data, headers=headers)
        return _answer(conn)
    finally:
        conn.close()


def test_an_enrolment_longer_than_its_limit_is_refused_before_it_is_read(live):
    _world, server = live
    conn = _connect(server)
    try:
        # Declares 50 MB and sends 1 KB: answered now, not after waiting for the rest.
        conn.putrequest("POST", "/v1/enroll")
        for name, value in {**ENROL_JSON, "Accept-Language": "ru"}.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(50 * 1024 * 1024))
        conn.endheaders()
        conn.send(b'{"request": "' + b"x" * 1024)
        status, raw = _answer(conn)
    finally:
        conn.close()
    assert status == 413
    _problem(status, raw, "too_large", "ru", size=64)


def test_a_chunked_enrolment_is_cut_off_at_its_limit(live):
    _world, server = live
    conn = _connect(server)
    sent = 0
    try:
        conn.putrequest("POST", "/v1/enroll")
        for name, value in {**ENROL_JSON, "Accept-Language": "uz-Cyrl"}.items():
            conn.putheader(name, value)
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        chunk = b"x" * 16 * 1024
        try:
            while sent < 8 * 1024 * 1024:  # more than HQ reads: it answers first
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        status, raw = _answer(conn)
    finally:
        conn.close()
    assert status == 413
    _problem(status, raw, "too_large", "uz-Cyrl", size=64)


@pytest.mark.parametrize(
    ("path", "data", "headers", "where"),
    [
        ("/v1/sync", b"garbage", {}, "x-tayanch-auth"),
        ("/v1/sync", b"garbage", {"X-Tayanch-Auth": "a", **BAD_PROTOCOL}, "x-tayanch-protocol"),
        ("/v1/enroll", b"{}", ENROL_JSON, "request"),
        ("/v1/enroll", b'{"request": {"code": "garbage', ENROL_JSON, "body"),
        ("/v1/enroll", b"\xffgarbage\xfe", ENROL_JSON, "body"),
        ("/v1/enroll", b"garbage", {"Content-Type": "text/plain"}, "body"),
        ("/v1/enroll", b"", ENROL_JSON, "body"),
    ],
)
def test_a_malformed_request_is_told_in_its_language_without_its_input(
    live, path, data, headers, where
):
    _world, server = live
    status, raw = _post(server, path, data, {**headers, "Accept-Language": "ru"})
    assert status == 400
    _problem(status, raw, "request_refused", "ru", detail=where)
    assert b"garbage" not in raw


def test_a_long_field_is_refused_without_being_repeated(live):
    _world, server = live
    body = {
        "request": {"code": "Z" * 5000},
        "signature": "s",
        "protocol": 1,
        "schema": versions.head(),
        "app": "x",
    }
    status, raw = _post(
        server, "/v1/enroll", json.dumps(body).encode(), {**ENROL_JSON, "Accept-Language": "uz"}
    )
    assert status == 400
    _problem(status, raw, "request_refused", "uz", detail="request.code")
    assert b"ZZZ" not in raw


def test_a_schema_that_is_no_version_is_a_bad_request_not_an_old_hq(live):
    _world, server = live
    body = {
        "request": {"code": "c", "device": "d", "stronghold": "s", "sign_pub": "k", "box_pub": "k"},
        "signature": "s",
        "protocol": 1,
        "schema": "zzz",
        "app": "x",
    }
    status, raw = _post(
        server, "/v1/enroll", json.dumps(body).encode(), {**ENROL_JSON, "Accept-Language": "ru"}
    )
    assert status == 400
    _problem(status, raw, "request_refused", "ru", detail="schema")
    headers = {"X-Tayanch-Auth": "a", "X-Tayanch-Protocol": "1", "X-Tayanch-Schema": "zzz"}
    status, raw = _post(server, "/v1/sync", b"x", {**headers, "Accept-Language": "ru"})
    assert status == 400
    _problem(status, raw, "request_refused", "ru", detail="schema")
    # A newer app's schema is still answered as one.
    status, raw = _post(server, "/v1/sync", b"x", {**headers, "X-Tayanch-Schema": "9999"})
    assert status == 409 and json.loads(raw)["code"] == "hq_too_old"


@pytest.mark.parametrize("path", ["/x", "/docs?", "/openapi.json?", "/v1"])
def test_an_address_that_is_not_hq_is_named_in_one_sentence(live, path):
    world, server = live
    url = server.url + path
    client = HqClient(url, retries=0, timeout=15)
    code = admin.new_enrolment_code(world.hq, S1.code)
    with pytest.raises(NotHq) as err:
        service.enrol_online(world["a1"], url, code, client=client, again=True)
    message = err.value.message("ru")
    assert message == NotHq(url=url).message("ru") and url in message
    assert "None" not in message and "HTTP" not in message
    with pytest.raises(NotHq):
        service.sync_now(world["a1"], url, client=client)
