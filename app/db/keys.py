"""The database key and its wrappings.

The SQLCipher key is 32 random bytes that exist in clear only in memory. On disk, in
``keys.json`` beside the database, it is stored once per user, wrapped (AES-256-GCM) by a
key derived from that user's password with Argon2id, and once more by the recovery key
printed at set-up. Changing a password re-wraps; the database is never re-encrypted.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.errors import AuthError, TayanchError
from app.i18n import N_

KEY_FILE = "keys.json"
FORMAT = 1
# OWASP's second recommended Argon2id setting; about 0.1 s on a stronghold laptop.
DEFAULT_KDF = {"time_cost": 3, "memory_cost": 65536, "parallelism": 2}


class KeyFileError(TayanchError):
    code = "key_file"
    template = N_(
        "The key file {path} is missing or damaged. Restore it from a backup, "
        "or use the recovery key."
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


def _derive(secret: str, salt: bytes, kdf: dict) -> bytes:
    return hash_secret_raw(
        secret.encode("utf-8"),
        salt,
        time_cost=kdf["time_cost"],
        memory_cost=kdf["memory_cost"],
        parallelism=kdf["parallelism"],
        hash_len=32,
        type=Type.ID,
    )


def _wrap(db_key: bytes, secret: str, label: str, kdf: dict) -> dict:
    salt = os.urandom(16)
    nonce = os.urandom(12)
    wrapped = AESGCM(_derive(secret, salt, kdf)).encrypt(nonce, db_key, label.encode())
    return {"salt": _b64(salt), "nonce": _b64(nonce), "wrapped": _b64(wrapped), "kdf": kdf}


def _unwrap(entry: dict, secret: str, label: str) -> bytes:
    kek = _derive(secret, _unb64(entry["salt"]), entry["kdf"])
    try:
        return AESGCM(kek).decrypt(_unb64(entry["nonce"]), _unb64(entry["wrapped"]), label.encode())
    except InvalidTag:
        raise AuthError() from None


def new_database_key() -> bytes:
    return secrets.token_bytes(32)


def new_recovery_key() -> str:
    """25 random bytes as 8 groups of 5 base32 letters: easy to print and to type back."""
    text = base64.b32encode(secrets.token_bytes(25)).decode("ascii")
    return "-".join(text[i : i + 5] for i in range(0, 40, 5))


def _canonical_recovery(key: str) -> str:
    return "".join(ch for ch in key.upper() if ch.isalnum())


@dataclass
class KeyStore:
    path: Path
    data: dict

    @classmethod
    def create(cls, directory: Path) -> KeyStore:
        return cls(directory / KEY_FILE, {"format": FORMAT, "users": {}, "recovery": None})

    @classmethod
    def load(cls, directory: Path) -> KeyStore:
        path = directory / KEY_FILE
        try:
            data = json.loads(path.read_text("utf-8"))
            if data.get("format") != FORMAT or not isinstance(data.get("users"), dict):
                raise ValueError("unknown format")
        except (OSError, ValueError) as exc:
            raise KeyFileError(path=str(path)) from exc
        return cls(path, data)

    def logins(self) -> list[str]:
        return sorted(self.data["users"])

    def has_user(self, login: str) -> bool:
        return login in self.data["users"]

    def add_user(self, login: str, password: str, db_key: bytes, kdf: dict | None = None) -> None:
        self.data["users"][login] = _wrap(db_key, password, "user:" + login, kdf or DEFAULT_KDF)

    def remove_user(self, login: str) -> None:
        self.data["users"].pop(login, None)

    def set_recovery(self, recovery_key: str, db_key: bytes, kdf: dict | None = None) -> None:
        self.data["recovery"] = _wrap(
            db_key, _canonical_recovery(recovery_key), "recovery", kdf or DEFAULT_KDF
        )

    def unlock(self, login: str, password: str) -> bytes:
        entry = self.data["users"].get(login)
        if entry is None:
            # Derive anyway so an unknown login costs the same time as a wrong password.
            _derive(password, b"\0" * 16, DEFAULT_KDF)
            raise AuthError()
        return _unwrap(entry, password, "user:" + login)

    def unlock_with_recovery(self, recovery_key: str) -> bytes:
        if not self.data.get("recovery"):
            raise AuthError()
        return _unwrap(self.data["recovery"], _canonical_recovery(recovery_key), "recovery")

    def save(self) -> None:
        """Write atomically: a crash leaves the old file or the new one, never half of each."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".keys-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.data, fh, indent=1, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
