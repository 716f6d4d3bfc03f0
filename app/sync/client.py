"""The device's HTTP client for HQ: the standard library only, retries with back-off.

Every request says which protocol, schema and app it speaks and which language the
answer should be in. The sync request is signed by the device's key over the method,
path, time, a fresh nonce and the body's hash, so a captured request cannot be sent
again; the bundle inside is signed and sealed as on a stick.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import secrets
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from app import __version__
from app.i18n import current_language
from app.sync import bundle, versions
from app.sync.crypto import HqPublicKey, KeyPair, b64
from app.sync.errors import (
    Cancelled,
    HqAddressInvalid,
    HqRefused,
    HqUnreachable,
    NotHq,
    SyncError,
)

log = logging.getLogger(__name__)

AUTH_HEADER = "X-Tayanch-Auth"
MAX_REPLY = 1 << 30
# What HQ answers with: JSON (keys, enrolments, refusals) or a bundle; a web page is not HQ.
ANSWER_TYPES = ("application/json", "application/octet-stream")


def signed_message(method: str, path: str, device: str, ts: int, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return f"{method}\n{path}\n{device}\n{ts}\n{nonce}\n{digest}".encode()


def auth_header(keys: KeyPair, device: str, method: str, path: str, body: bytes) -> str:
    ts = int(time.time())
    nonce = secrets.token_hex(16)
    sig = keys.sign(signed_message(method, path, device, ts, nonce, body))
    return f"device={device},ts={ts},nonce={nonce},sig={b64(sig)}"


def parse_auth(value: str) -> dict[str, str]:
    out = {}
    for part in value.split(","):
        key, sep, val = part.strip().partition("=")
        if sep:
            out[key] = val
    return out


# HQ's refusal codes that have a sentence of their own here (app/sync/errors.py); one
# with fields needs HQ to have sent them (``params``, from this version on).
def _local_error(code: str, message: str, params: Any = None) -> SyncError:
    from app.sync import errors

    given = params if isinstance(params, dict) else {}
    given = {str(k): v for k, v in given.items() if isinstance(v, str)}
    for cls in vars(errors).values():
        if isinstance(cls, type) and issubclass(cls, SyncError) and cls.code == code:
            if errors.fits(cls.template, given):
                return cls(**given)
    return HqRefused(detail=message)


def _refusal(status: int, payload: bytes, url: str) -> SyncError:
    """An HTTP error as this device's error: HQ's own ``{"code", "message"}``, else
    something other than HQ answered at ``url`` (a 5xx stays a failed request)."""
    try:
        info = json.loads(payload)
    except ValueError:
        info = None
    if isinstance(info, dict) and all(isinstance(info.get(k), str) for k in ("code", "message")):
        return _local_error(info["code"], info["message"], info.get("params"))
    return HqRefused(detail=f"HTTP {status}") if status >= 500 else NotHq(url=url)


def check_url(url: str) -> str:
    """Refuse, before any connection, an address urllib would not take for HQ's: one
    typed without http:// or https://, or with a mistyped scheme."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        raise HqAddressInvalid(url=url) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise HqAddressInvalid(url=url)
    return url.strip()


def unreachable_reason(err: BaseException) -> str:
    """Why HQ was not reached (a key of errors.UNREACHABLE_REASONS), from the exception's
    type: urlopen wraps what failed on connecting in a URLError's ``reason``."""
    cause = err.reason if isinstance(err, urllib.error.URLError) else err
    if isinstance(cause, ssl.SSLError):
        return "tls"
    if isinstance(cause, socket.gaierror):
        return "name"
    if isinstance(cause, ConnectionRefusedError):
        return "refused"
    if isinstance(cause, TimeoutError):
        return "timeout"
    return "broken"


class HqClient:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = 120.0,
        retries: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        cancel: threading.Event | None = None,
    ) -> None:
        self.url = check_url(url).rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.cancel = cancel

    def _headers(self) -> dict[str, str]:
        return {
            "X-Tayanch-Protocol": str(bundle.PROTOCOL),
            "X-Tayanch-Schema": versions.head(),
            "X-Tayanch-App": __version__,
            "Accept-Language": current_language(),
            "User-Agent": f"tayanch/{__version__}",
        }

    def _request(
        self,
        method: str,
        path: str,
        body: bytes | None,
        headers: dict[str, str] | Callable[[], dict[str, str]],
    ) -> bytes:
        """One request; a refusal raises at once, a dropped connection is retried."""
        attempt = 0
        while True:
            if self.cancel is not None and self.cancel.is_set():
                raise Cancelled()
            extra = headers() if callable(headers) else headers
            reason = "broken"
            req = urllib.request.Request(
                self.url + path, data=body, method=method, headers={**self._headers(), **extra}
            )
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    if resp.headers.get_content_type() not in ANSWER_TYPES:
                        raise NotHq(url=self.url)
                    return resp.read(MAX_REPLY)
            except urllib.error.HTTPError as err:
                payload = err.read(64 * 1024)
                if err.code >= 500 and attempt < self.retries:
                    detail = f"HTTP {err.code}"
                else:
                    raise _refusal(err.code, payload, self.url) from None
            except (
                urllib.error.URLError,
                http.client.HTTPException,
                ConnectionError,
                TimeoutError,
            ) as err:
                # The system's words (English, technical) go to the log only.
                detail = str(getattr(err, "reason", err))[:120]
                reason = unreachable_reason(err)
            attempt += 1
            if attempt > self.retries:
                log.info("HQ at %s not reached: %s", self.url, detail)
                raise HqUnreachable(reason=reason)
            delay = self.backoff * (2 ** (attempt - 1))
            log.info("HQ not reached (%s); retry %d in %.1f s", detail, attempt, delay)
            self.sleep(delay)

    def health(self) -> dict[str, Any]:
        return json.loads(self._request("GET", "/v1/health", None, {}))

    def hq_key(self) -> HqPublicKey:
        try:
            return HqPublicKey.from_json(json.loads(self._request("GET", "/v1/hq-key", None, {})))
        except ValueError:
            raise NotHq(url=self.url) from None

    def enroll(self, request: dict[str, Any], keys: KeyPair) -> dict[str, Any]:
        body = json.dumps(
            {
                "request": request,
                "signature": b64(keys.sign(_canonical(request))),
                "protocol": bundle.PROTOCOL,
                "schema": versions.head(),
                "app": __version__,
                "lang": current_language(),
            }
        ).encode("utf-8")
        return json.loads(
            self._request("POST", "/v1/enroll", body, {"Content-Type": "application/json"})
        )

    def sync(self, data: bytes, keys: KeyPair, device: str) -> bytes:
        """POST a bundle, return HQ's reply bundle. A retry sends the same bundle again:
        HQ recognises it and answers with the reply, applying nothing twice."""
        headers = {"Content-Type": "application/octet-stream"}

        def signed() -> dict[str, str]:
            return {**headers, AUTH_HEADER: auth_header(keys, device, "POST", "/v1/sync", data)}

        # Each attempt gets a fresh nonce, so the retry is not taken for a replay.
        return self._request("POST", "/v1/sync", data, signed)


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")
