"""The HQ sync service (FastAPI, run by ``tayanch hq serve`` under uvicorn).

Endpoints (all under /v1): ``health``; ``hq-key`` (HQ's public key, which a device
checks against its enrolment code); ``enroll`` (a device joins with a one-time code);
``sync`` (a device POSTs its bundle and gets HQ's reply bundle as the response body).

A sync request is authenticated twice: the ``X-Tayanch-Auth`` header is signed by the
device's enrolled key over the method, path, time, a nonce and the body's hash (a nonce
is accepted once, and only within a day of HQ's clock), and the bundle inside is signed
and sealed as on a stick. Refusals are JSON ``{"code", "message"}``, the message in the
language the device asked for.

TLS: pass ``--ssl-certfile`` and ``--ssl-keyfile`` to ``tayanch hq serve`` (uvicorn's
own TLS), or run it on 127.0.0.1 behind the usual reverse proxy (nginx, Caddy) that
terminates TLS and forwards to it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI, Header, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import __version__
from app.errors import TayanchError
from app.hq import admin, ingest
from app.hq.db import hq_device, hq_nonce
from app.hq.ingest import RequestReplayed
from app.i18n import N_, normalize_language
from app.sync import bundle, versions
from app.sync.client import parse_auth, signed_message
from app.sync.crypto import unb64, verify_detached
from app.sync.errors import (
    AppTooOld,
    BundleDamaged,
    BundleInvalid,
    BundleReplayed,
    BundleTruncated,
    DeviceRevoked,
    EnrolCodeInvalid,
    EnrolStrongholdMismatch,
    ForeignRows,
    SchemaTooNew,
    SyncError,
    UnknownSender,
    WrongReceiver,
)

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 256 * 1024 * 1024
# An enrolment request is a few hundred bytes of JSON; anyone may send one, so no more
# than this is read before it is refused.
ENROL_MAX_BODY = 64 * 1024
DEFAULT_SYNC_THREADS = 4
CLOCK_WINDOW_S = 24 * 3600
BINARY = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}


class RequestRefused(SyncError):
    code = "request_refused"
    template = N_("The request is not valid ({detail}). Update Tayanch and try again.")


class BadSignature(SyncError):
    code = "bad_request_signature"
    template = N_(
        "Headquarters could not verify this computer's signature. Check that the "
        "computer is enrolled, then try again."
    )


class ClockWrong(SyncError):
    code = "clock_wrong"
    template = N_(
        "This computer's clock differs from headquarters' by more than a day. Set the "
        "date and time, then sync again."
    )


class TooLarge(SyncError):
    code = "too_large"
    template = N_(
        "The bundle is too large for headquarters ({size} MB at most). "
        "Use a USB stick, or ask the district office to raise the limit."
    )


class RequestTooLarge(TooLarge):
    template = N_(
        "The enrolment request is larger than headquarters accepts ({size} KB at most). "
        "Nothing was changed. Update Tayanch and try again."
    )


class HqTooOld(SyncError):
    code = "hq_too_old"
    template = N_(
        "Headquarters runs an older version of Tayanch than this computer. "
        "Ask the district office to update headquarters; the changes wait here."
    )


STATUS = {
    BundleDamaged: 400,
    BundleTruncated: 400,
    BundleInvalid: 400,
    RequestRefused: 400,
    WrongReceiver: 400,
    UnknownSender: 401,
    BadSignature: 401,
    ClockWrong: 401,
    DeviceRevoked: 403,
    EnrolCodeInvalid: 403,
    EnrolStrongholdMismatch: 403,
    ForeignRows: 403,
    BundleReplayed: 409,
    RequestReplayed: 409,
    TooLarge: 413,
    AppTooOld: 426,
    HqTooOld: 409,
}


def _check_versions(protocol: int, schema: str) -> None:
    """``ingest.check_versions``, but a schema that is no version at all is a bad request,
    not a newer app's (which would tell the device that HQ is too old)."""
    if not versions.is_revision(schema):
        raise RequestRefused(detail="schema")
    ingest.check_versions(protocol, schema)


def _lang(value: str | None) -> str:
    for part in (value or "").split(","):
        try:
            return normalize_language(part.split(";")[0].strip())
        except ValueError:
            continue
    return normalize_language(None)


def refusal(err: TayanchError, lang: str) -> JSONResponse:
    if isinstance(err, SchemaTooNew):
        err = HqTooOld()
    status = next((s for cls, s in STATUS.items() if isinstance(err, cls)), 400)
    # The parameters let a device word the refusal itself (app.sync.client._local_error).
    params = {k: str(v) for k, v in err.params.items()}
    return JSONResponse(
        {"code": err.code, "message": err.message(lang), "params": params}, status_code=status
    )


class BodyLimit:
    """Reads the body of the paths in ``limits`` before the app does (FastAPI would take
    a JSON body whole, however large), refusing one over its path's limit with a 413 as
    soon as the declared length or the bytes read so far pass it."""

    def __init__(self, app: ASGIApp, limits: dict[str, tuple[int, TayanchError]]) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limits.get(scope["path"]) if scope["type"] == "http" else None
        if limit is None:
            return await self.app(scope, receive, send)
        size, error = limit
        headers = Headers(scope=scope)
        refused = refusal(error, _lang(headers.get("accept-language")))
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > size):
            return await refused(scope, receive, send)
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body.extend(message.get("body", b""))
            if len(body) > size:
                return await refused(scope, receive, send)
            more = message.get("more_body", False)
        read = False

        async def replay() -> Message:
            nonlocal read
            if read:
                return await receive()
            read = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)


class Health(BaseModel):
    status: str
    app: str
    protocol: int
    schema_revision: str
    accepts: list[str]


class HqKey(BaseModel):
    format: int
    kind: str
    hq_id: str
    sign_pub: str
    box_pub: str
    name: str


class Problem(BaseModel):
    code: str
    message: str


class EnrolRequest(BaseModel):
    code: str = Field(max_length=40)
    device: str = Field(max_length=64)
    stronghold: str = Field(max_length=16)
    sign_pub: str = Field(max_length=64)
    box_pub: str = Field(max_length=64)
    label: str = Field(default="", max_length=200)
    replaces: str | None = Field(default=None, max_length=64)


class EnrolBody(BaseModel):
    request: EnrolRequest
    signature: str = Field(max_length=128)
    protocol: int
    schema_revision: str = Field(alias="schema", max_length=40)
    app: str = Field(max_length=40)
    lang: str = Field(default="", max_length=16)


class Enrolled(BaseModel):
    device: str
    stronghold: str
    hq_id: str


# "4XX": every other refusal has the same shape too (FastAPI would otherwise describe
# its own 422 validation error, which this service answers as a 400 Problem instead).
PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem} for code in (400, 401, 403, 409, 413, 426, "4XX")
}


def _where(errors: list[Any]) -> str:
    """The request's part that is wrong, named by the service's own field names (never
    the value sent): ``x-tayanch-auth``, ``request.code``, ``body``."""
    loc = [str(p) for p in (errors[0].get("loc", ()) if errors else ()) if isinstance(p, str)]
    if len(loc) > 1 and loc[0] in ("body", "header", "query", "path", "cookie"):
        loc = loc[1:]
    return ".".join(loc)[:80] or "body"


def create_app(
    data_dir: Path | str | None = None,
    *,
    db_url: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    hq: admin.Hq | None = None,
    sync_threads: int = DEFAULT_SYNC_THREADS,
) -> FastAPI:
    """The service for the HQ in ``data_dir`` (or an already open ``hq``)."""
    state: dict[str, Any] = {"hq": hq}
    # How many syncs this process works on at once; the others wait their turn in the
    # event loop (cheap), not in threads that would fight over the interpreter lock and
    # the database while the counter's lock is held.
    sync_limiter = anyio.CapacityLimiter(max(1, sync_threads))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        owned = state["hq"] is None
        if owned:
            state["hq"] = admin.open_hq(Path(data_dir or "."), db_url=db_url)
        log.info("HQ %s serving", state["hq"].hq_id)
        yield
        if owned:
            state["hq"].close()

    # FastAPI as usual, but /docs and /redoc load their scripts from this service
    # (fastapi_offline's copies), not from a CDN on the internet.
    app = FastAPIOffline(
        title="Tayanch headquarters",
        version=__version__,
        description=__doc__,
        lifespan=lifespan,
    )

    app.add_middleware(
        BodyLimit,
        limits={"/v1/enroll": (ENROL_MAX_BODY, RequestTooLarge(size=ENROL_MAX_BODY // 1024))},
    )

    def the_hq() -> admin.Hq:
        return state["hq"]

    @app.exception_handler(TayanchError)
    async def _refused(request: Request, err: TayanchError) -> JSONResponse:
        return refusal(err, _lang(request.headers.get("accept-language")))

    # A request the endpoints cannot read: the documented Problem in the asked language,
    # not FastAPI's English 422, which repeats what was sent.
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        lang = _lang(request.headers.get("accept-language"))
        return refusal(RequestRefused(detail=_where(list(err.errors()))), lang)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, err: HTTPException) -> Response:
        if err.status_code != 400:  # FastAPI's 400: a JSON body it could not decode
            return await http_exception_handler(request, err)
        lang = _lang(request.headers.get("accept-language"))
        return refusal(RequestRefused(detail="body"), lang)

    @app.get("/v1/health", response_model=Health)
    def health() -> Health:
        return Health(
            status="ok",
            app=__version__,
            protocol=bundle.PROTOCOL,
            schema_revision=versions.head(),
            accepts=sorted(versions.accepted()),
        )

    @app.get("/v1/hq-key", response_model=HqKey)
    def hq_key() -> HqKey:
        return HqKey(**the_hq().public_key().to_json())

    @app.post("/v1/enroll", response_model=Enrolled, responses=PROBLEMS)
    def enroll(body: EnrolBody, accept_language: str | None = Header(default=None)) -> Any:
        lang = _lang(body.lang or accept_language)
        try:
            _check_versions(body.protocol, body.schema_revision)
            # Exactly the keys the device signed (defaults would change the signed text).
            request = body.request.model_dump(exclude_unset=True)
            try:
                sign_pub = unb64(request["sign_pub"])
                signature = unb64(body.signature)
            except ValueError:
                raise BadSignature() from None
            canonical = json.dumps(request, sort_keys=True, separators=(",", ":")).encode()
            if len(sign_pub) != 32 or not verify_detached(canonical, signature, sign_pub):
                raise BadSignature()
            hq = the_hq()
            with hq.write_engine.begin() as conn:
                known = conn.execute(
                    select(hq_device.c.device_id).where(hq_device.c.device_id == request["device"])
                ).first()
                if known is not None:
                    raise EnrolCodeInvalid()
                device, _number = ingest.enrol_device(
                    conn, request, device_id=request["device"], sign_pub=sign_pub
                )
            ingest.remember_sender(hq, device)
        except TayanchError as err:
            return refusal(err, lang)
        return Enrolled(
            device=device["device_id"], stronghold=device["stronghold_code"], hq_id=hq.hq_id
        )

    @app.post(
        "/v1/sync",
        responses={200: {"content": BINARY}, **PROBLEMS},
        response_class=Response,
        openapi_extra={"requestBody": {"content": BINARY, "required": True}},
    )
    async def sync(
        request: Request,
        x_tayanch_auth: str = Header(max_length=400),
        x_tayanch_protocol: int = Header(),
        x_tayanch_schema: str = Header(max_length=40),
        x_tayanch_app: str = Header(default="", max_length=40),
        accept_language: str | None = Header(default=None),
    ) -> Response:
        lang = _lang(accept_language)
        try:
            _check_versions(x_tayanch_protocol, x_tayanch_schema)
            length = request.headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > max_body):
                raise TooLarge(size=max_body // (1024 * 1024))
            body = bytearray()
            async for chunk in request.stream():
                body.extend(chunk)
                if len(body) > max_body:
                    raise TooLarge(size=max_body // (1024 * 1024))
            data = bytes(body)
            result = await anyio.to_thread.run_sync(
                _authenticated_sync, the_hq(), x_tayanch_auth, data, limiter=sync_limiter
            )
        except TayanchError as err:
            return refusal(err, lang)
        return Response(
            result.reply,
            media_type="application/octet-stream",
            headers={
                "X-Tayanch-Status": "already-applied" if result.already_applied else "applied"
            },
        )

    return app


def _authenticated_sync(hq: admin.Hq, header: str, body: bytes) -> ingest.Ingested:
    device, nonce = _authenticate(hq, header, body)
    try:
        result = ingest.ingest(hq, body, transport="net", device=device, nonce=nonce)
    except DeviceRevoked:
        hq.senders.pop(nonce.device_id, None)  # revoked meanwhile: refused from now on
        raise
    if int.from_bytes(os.urandom(1), "big") < 4:  # now and then, forget old nonces
        with hq.write_engine.begin() as conn:
            conn.execute(delete(hq_nonce).where(hq_nonce.c.at < nonce.at - 2 * CLOCK_WINDOW_S))
    return result


def _authenticate(
    hq: admin.Hq, header: str, body: bytes
) -> tuple[dict[str, Any] | None, ingest.Nonce]:
    """Check the signed request header; return the device's key and stronghold
    (``ingest.sender``; None for a device enrolling with this bundle) and the request's nonce, which the sync takes in its own
    transaction (``ingest.ingest``). Raises a refusal."""
    auth = parse_auth(header)
    device, ts, nonce, sig = (auth.get(k) for k in ("device", "ts", "nonce", "sig"))
    if not device or not nonce or not sig or not ts or not ts.isdigit() or len(nonce) > 64:
        raise BadSignature()
    clear, _sealed = bundle.read_clear(body)
    if clear["from"] != device:
        raise BadSignature()
    row = ingest.sender(hq, device)
    if row is not None:
        if row["revoked_at"]:
            raise DeviceRevoked()
        key_text = row["sign_pub"]
    elif isinstance(clear.get("enrol_pub"), str):
        key_text = clear["enrol_pub"]  # first contact: the bundle carries the enrolment
    else:
        raise UnknownSender(sender=device[:40])
    try:
        sign_pub, signature = unb64(key_text), unb64(sig)
    except ValueError:
        raise BadSignature() from None
    message = signed_message("POST", "/v1/sync", device, int(ts), nonce, body)
    if len(sign_pub) != 32 or not verify_detached(message, signature, sign_pub):
        raise BadSignature()
    now = int(time.time())
    if abs(now - int(ts)) > CLOCK_WINDOW_S:
        raise ClockWrong()
    return row, ingest.Nonce(nonce, device, now)


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` with several workers (reads TAYANCH_HQ_DIR)."""
    return create_app(
        os.environ.get("TAYANCH_HQ_DIR", "."),
        db_url=os.environ.get("TAYANCH_HQ_DB") or None,
        max_body=int(os.environ.get("TAYANCH_HQ_MAX_BODY", DEFAULT_MAX_BODY)),
        sync_threads=int(os.environ.get("TAYANCH_HQ_SYNC_THREADS", DEFAULT_SYNC_THREADS)),
    )
