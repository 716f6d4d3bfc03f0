"""One-time enrolment codes: typed by a person, checked by HQ, tied to one HQ's key.

A code is four groups of five letters. The first three are random (75 bits); the last
is derived from HQ's key id, so a device can tell that the key file (or the key fetched
from a URL) belongs to the HQ that issued the code, before it trusts that key. HQ stores
only a hash of the random part.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

GROUP = 5
RANDOM_GROUPS = 3
# Letters people confuse when typing a code from paper.
_TYPO = str.maketrans({"0": "O", "1": "I", "8": "B", "9": "G"})


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def hq_check(hq_id: str) -> str:
    return _b32(hashlib.sha256(("tayanch-hq:" + hq_id).encode("ascii")).digest())[:GROUP]


def new_code(hq_id: str) -> str:
    body = _b32(secrets.token_bytes(10))[: GROUP * RANDOM_GROUPS]
    text = body + hq_check(hq_id)
    return "-".join(text[i : i + GROUP] for i in range(0, len(text), GROUP))


def normalize(code: str) -> str:
    return "".join(ch for ch in code.upper().translate(_TYPO) if ch.isalnum())


def well_formed(code: str) -> bool:
    text = normalize(code)
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    return len(text) == GROUP * (RANDOM_GROUPS + 1) and set(text) <= alphabet


def belongs_to(code: str, hq_id: str) -> bool:
    return normalize(code)[-GROUP:] == hq_check(hq_id)


def code_hash(code: str) -> str:
    return hashlib.sha256(("tayanch-enrol:" + normalize(code)).encode("ascii")).hexdigest()
