"""Keys, signatures and sealing, all from PyNaCl (libsodium); nothing of our own.

Each side has two key pairs: Ed25519 to sign what it sends, X25519 to receive sealed
messages. A bundle is signed by the sender inside and sealed (``SealedBox``) to the
receiver's X25519 key outside, so only the receiver can read it and only a known
sender's bundle verifies.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from functools import cached_property

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import SigningKey, VerifyKey

ID_BYTES = 16


def key_id(sign_pub: bytes) -> str:
    """A short, stable name for a public key (what bundles are addressed to)."""
    return hashlib.sha256(bytes(sign_pub)).hexdigest()[: ID_BYTES * 2]


def b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


@dataclass(frozen=True)
class KeyPair:
    """A party's secret keys: 32-byte Ed25519 seed and 32-byte X25519 secret."""

    sign_seed: bytes
    box_secret: bytes

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(secrets.token_bytes(32), bytes(PrivateKey.generate()))

    # Derived once: each derivation is a scalar multiplication, and HQ asks for its id and
    # keys several times in every sync.
    @cached_property
    def signing(self) -> SigningKey:
        return SigningKey(self.sign_seed)

    @cached_property
    def sign_pub(self) -> bytes:
        return bytes(self.signing.verify_key)

    @cached_property
    def box_pub(self) -> bytes:
        return bytes(PrivateKey(self.box_secret).public_key)

    @cached_property
    def id(self) -> str:
        return key_id(self.sign_pub)

    def sign(self, message: bytes) -> bytes:
        """The detached 64-byte signature."""
        return self.signing.sign(message).signature

    def sign_and_seal(self, payload: bytes, receiver_box_pub: bytes) -> bytes:
        signed = self.signing.sign(payload)  # signature (64 bytes) + payload
        return SealedBox(PublicKey(receiver_box_pub)).encrypt(bytes(signed))

    def unseal(self, sealed: bytes) -> bytes:
        """Decrypt a sealed message; raise CryptoError if it was not sealed to us or altered."""
        return self._unsealer.decrypt(sealed)

    @cached_property
    def _unsealer(self) -> SealedBox:
        return SealedBox(PrivateKey(self.box_secret))


def verify(signed: bytes, sign_pub: bytes) -> bytes:
    """The payload of a signed message; raise BadSignatureError if it does not verify."""
    return VerifyKey(sign_pub).verify(signed)


def verify_detached(message: bytes, signature: bytes, sign_pub: bytes) -> bool:
    try:
        VerifyKey(sign_pub).verify(message, signature)
    except (BadSignatureError, ValueError, TypeError):
        return False
    return True


__all__ = [
    "BadSignatureError",
    "CryptoError",
    "KeyPair",
    "b64",
    "key_id",
    "unb64",
    "verify",
    "verify_detached",
]


KEY_FILE_KIND = "tayanch-hq-key"


@dataclass(frozen=True)
class HqPublicKey:
    """What a device pins: HQ's id and public keys (the file ``hq export-key`` writes)."""

    hq_id: str
    sign_pub: bytes
    box_pub: bytes
    name: str = ""

    def to_json(self) -> dict:
        return {
            "format": 1,
            "kind": KEY_FILE_KIND,
            "hq_id": self.hq_id,
            "sign_pub": b64(self.sign_pub),
            "box_pub": b64(self.box_pub),
            "name": self.name,
        }

    @classmethod
    def from_json(cls, data: object) -> HqPublicKey:
        """Parse and check a key file's content; raise ValueError when it is not one."""
        if not isinstance(data, dict) or data.get("kind") != KEY_FILE_KIND:
            raise ValueError("not an HQ key")
        try:
            sign_pub = unb64(data["sign_pub"])
            box_pub = unb64(data["box_pub"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError("bad key encoding") from exc
        if len(sign_pub) != 32 or len(box_pub) != 32 or data.get("hq_id") != key_id(sign_pub):
            raise ValueError("inconsistent key")
        return cls(data["hq_id"], sign_pub, box_pub, str(data.get("name", "")))
