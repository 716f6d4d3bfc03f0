"""The bundle: what one side sends the other, as a file on a stick or an HTTP body.

Layout::

    TAYANCH-SYNC\\n | 4-byte length | clear header (JSON) | sealed part

The clear header says only what the receiver needs before it can open the rest: the
format, who sent it, which key it is sealed to, the bundle id and the sealed size (so a
cut-short file is told apart from an altered one). The sealed part is
``SealedBox(receiver, sign(sender, zstd(body)))``; the body is a JSON header line, then
one JSON change per line. The signed header repeats the clear one, so altering the clear
part is caught too.

Lines keep changes apart so that HQ can store each one as the text it came in and send
it on without encoding it again. They stay bytes until someone needs text: orjson reads
UTF-8 bytes directly, and a 50,000-line body is not decoded twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import zstandard

from app.sync.crypto import BadSignatureError, CryptoError, KeyPair, verify
from app.sync.errors import (
    BundleDamaged,
    BundleTruncated,
    NotADeviceBundle,
    NotAReply,
    WrongReceiver,
)

MAGIC = b"TAYANCH-SYNC\n"
FORMAT = 1
PROTOCOL = 1  # the sync protocol's version; HQ refuses older ones with "update the app"
MAX_HEADER = 64 * 1024
MAX_BODY = 1 << 30  # decompressed; a bundle larger than this is refused, not expanded
COMPRESS_LEVEL = 1  # zstd level 1: 13x smaller at ~700 MB/s; higher levels cost seconds
BIG_BODY = 1 << 20  # compressed on every core from this size (threads cost more below)


def new_bundle_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Opened:
    clear: dict[str, Any]
    header: dict[str, Any]
    lines: list[bytes]  # one JSON change each, UTF-8
    size: int


def write(
    header: dict[str, Any],
    lines: Sequence[str] | Sequence[bytes] | bytes,
    sender: KeyPair,
    receiver_box_pub: bytes,
    receiver_id: str,
    extra_clear: dict[str, Any] | None = None,
) -> bytes:
    """Seal a bundle; ``header`` must hold kind, from and bundle, and gets ``to``.

    ``lines`` are the changes, one JSON text each, as text or as UTF-8 bytes (what the
    device's export reads straight from its log), or already joined by newlines.
    """
    header = {**header, "format": FORMAT, "to": receiver_id}
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if isinstance(lines, bytes):
        body = head + b"\n" + lines if lines else head
    elif lines and isinstance(lines[0], bytes):
        body = b"\n".join([head, *lines])  # one copy of a stick's 25 MB, not two
    else:
        body = "\n".join([head.decode("utf-8"), *lines]).encode("utf-8")
    # A big body is compressed on every core (a first bundle: 25 MB in 24 ms, not 34).
    threads = -1 if len(body) > BIG_BODY else 0
    compressed = zstandard.ZstdCompressor(level=COMPRESS_LEVEL, threads=threads).compress(body)
    sealed = sender.sign_and_seal(compressed, receiver_box_pub)
    clear = {
        "format": FORMAT,
        "kind": header["kind"],
        "from": header["from"],
        "to": receiver_id,
        "bundle": header["bundle"],
        "size": len(sealed),
        **(extra_clear or {}),
    }
    clear_bytes = json.dumps(clear, separators=(",", ":")).encode("utf-8")
    return MAGIC + len(clear_bytes).to_bytes(4, "big") + clear_bytes + sealed


def read_clear(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The clear header and the sealed part; refuse what is not a whole bundle."""
    if not data.startswith(MAGIC):
        if MAGIC.startswith(data[: len(MAGIC)]) and len(data) < len(MAGIC):
            raise BundleTruncated()
        raise BundleDamaged()
    at = len(MAGIC)
    if len(data) < at + 4:
        raise BundleTruncated()
    n = int.from_bytes(data[at : at + 4], "big")
    if n > MAX_HEADER:
        raise BundleDamaged()
    at += 4
    if len(data) < at + n:
        raise BundleTruncated()
    try:
        clear = json.loads(data[at : at + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BundleDamaged() from None
    if not isinstance(clear, dict) or clear.get("format") != FORMAT:
        raise BundleDamaged()
    for key in ("kind", "from", "to", "bundle"):
        if not isinstance(clear.get(key), str) or not clear[key]:
            raise BundleDamaged()
    sealed = data[at + n :]
    size = clear.get("size")
    if not isinstance(size, int):
        raise BundleDamaged()
    if len(sealed) < size:
        raise BundleTruncated()
    if len(sealed) > size:
        raise BundleDamaged()
    return clear, sealed


# How the name of HQ's reply file begins (app/sync/stick.py), which NotAReply tells.
REPLY_FILE_PREFIX = "tayanch-reply-"
# The refusal of a bundle of the other kind, by the kind the receiver expects.
_OTHER_KIND = {"reply": NotAReply, "device": NotADeviceBundle}


def open_bundle(
    data: bytes,
    receiver: KeyPair,
    sender_key: Callable[[dict[str, Any]], bytes],
    *,
    kind: str | None = None,
) -> Opened:
    """Check, unseal, verify and split a bundle.

    ``sender_key`` gets the clear header and returns the sender's Ed25519 public key,
    or raises the refusal for an unknown or revoked sender. ``kind``: the kind expected
    ("device" at HQ, "reply" on a computer); a bundle of the other kind is refused
    saying what it is.
    """
    clear, sealed = read_clear(data)
    if clear["to"] != receiver.id:
        if kind in _OTHER_KIND and clear.get("kind") != kind:
            raise _OTHER_KIND[kind](prefix=REPLY_FILE_PREFIX)
        raise WrongReceiver(to=clear["to"])
    sign_pub = sender_key(clear)
    try:
        signed = receiver.unseal(sealed)
    except CryptoError:
        raise BundleDamaged() from None
    try:
        compressed = verify(signed, sign_pub)
    except (BadSignatureError, ValueError):
        raise BundleDamaged() from None
    try:
        body = zstandard.ZstdDecompressor().decompress(compressed, max_output_size=MAX_BODY)
    except zstandard.ZstdError:
        raise BundleDamaged() from None
    lines = body.split(b"\n")
    try:
        header = json.loads(lines[0].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BundleDamaged() from None
    if not isinstance(header, dict):
        raise BundleDamaged()
    for key in ("kind", "from", "to", "bundle"):
        if header.get(key) != clear[key]:
            raise BundleDamaged()
    return Opened(clear, header, [ln for ln in lines[1:] if ln], len(data))
