"""The database key, its wrappings, and the guard against password guessing.

The SQLCipher key is 32 random bytes that exist in clear only in memory. On disk, in
``keys.json`` beside the database, it is stored once per user, wrapped (AES-256-GCM) by a
key derived from that user's password with Argon2id, and once more by the recovery key
printed at set-up. Changing a password re-wraps; the database is never re-encrypted.
A disabled user's wrapping is deleted, so the password they knew opens nothing.

Wrong passwords are counted in ``login-attempts.json`` beside it (outside the encrypted
file, because the database cannot be read before a password is right). After
``FREE_FAILURES`` wrong passwords each next attempt must wait longer. The file also
queues the failures until someone logs in, when they are written to the audit chain.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.errors import AuthError, TayanchError
from app.i18n import N_, current_language, translator

log = logging.getLogger(__name__)

KEY_FILE = "keys.json"
ATTEMPTS_FILE = "login-attempts.json"
FORMAT = 1
# OWASP's second recommended Argon2id setting; about 0.1 s on a stronghold laptop.
DEFAULT_KDF = {"time_cost": 3, "memory_cost": 65536, "parallelism": 2}

# Back-off: the first FREE_FAILURES wrong passwords cost nothing (typos, Caps Lock); then
# the wait doubles from FIRST_WAIT up to MAX_WAIT, so a person at the keyboard can guess
# only a few dozen passwords a day, while the owner is never locked out for good.
FREE_FAILURES = 5
FIRST_WAIT = 30.0
MAX_WAIT = 15 * 60.0
RECOVERY_SLOT = "*recovery*"
MAX_PENDING = 200


# --- errors ------------------------------------------------------------------------------


class KeyFileError(TayanchError):
    code = "key_file"
    template = N_(
        "The key file {path} is missing or damaged. Restore it from a backup, "
        "or use the recovery key."
    )


class UserDisabledError(TayanchError):
    code = "user_disabled"
    template = N_("This user is disabled. Ask the inspector of the stronghold.")


class LoginBackoffError(TayanchError):
    """Too many wrong passwords: the next attempt is refused until ``seconds`` pass."""

    code = "login_backoff"
    template = N_("Too many wrong passwords. Wait {seconds} seconds and try again.")

    def message(self, lang: str | None = None) -> str:
        n = int(self.params.get("seconds", 0))
        tr = translator(lang or current_language())
        return tr.ngettext(
            "Too many wrong passwords. Wait {seconds} second and try again.",
            "Too many wrong passwords. Wait {seconds} seconds and try again.",
            n,
        ).format(seconds=n)


class StorageFullError(TayanchError):
    code = "disk_full"
    template = N_(
        "The disk is full, so nothing was saved. Free some space on the disk "
        "(or choose another folder) and try again."
    )


class ReadOnlyStorageError(TayanchError):
    code = "read_only"
    template = N_(
        "The folder {path} is read-only, so nothing was saved. Check that the disk or stick "
        "is not write-protected and that you may write there, then try again."
    )


class StorageIOError(TayanchError):
    code = "io_error"
    template = N_(
        "The disk could not be read or written, so nothing was saved. Check the disk or "
        "stick and try again; if it happens again, restore the latest backup."
    )


def storage_error(exc: OSError, path: Path | str) -> TayanchError | None:
    """The typed error for a failed file operation, or None if it is not a storage fault."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StorageFullError(path=str(path))
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return ReadOnlyStorageError(path=str(path))
    if exc.errno == errno.EIO:
        return StorageIOError(path=str(path))
    return None


def write_atomically(path: Path, data: bytes) -> None:
    """Write a small file so that a crash leaves the old or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + path.name + "-", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        typed = storage_error(exc, path.parent)
        if typed is not None:
            raise typed from exc
        raise
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


# --- wrapping ----------------------------------------------------------------------------


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


def same_key(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


@dataclass
class KeyStore:
    path: Path
    data: dict

    @classmethod
    def create(cls, directory: Path, kdf: dict | None = None) -> KeyStore:
        """An empty store; ``kdf`` (Argon2id costs) applies to every wrapping made later."""
        return cls(
            Path(directory) / KEY_FILE,
            {
                "format": FORMAT,
                "users": {},
                "recovery": None,
                "disabled": [],
                "kdf": dict(kdf or DEFAULT_KDF),
            },
        )

    @property
    def kdf(self) -> dict:
        return self.data.get("kdf") or DEFAULT_KDF

    @classmethod
    def load(cls, directory: Path) -> KeyStore:
        path = Path(directory) / KEY_FILE
        try:
            data = json.loads(path.read_text("utf-8"))
            if data.get("format") != FORMAT or not isinstance(data.get("users"), dict):
                raise ValueError("unknown format")
        except (OSError, ValueError) as exc:
            raise KeyFileError(path=str(path)) from exc
        data.setdefault("disabled", [])
        return cls(path, data)

    def logins(self) -> list[str]:
        """Logins that can unlock on this computer (disabled ones have no wrapping)."""
        return sorted(self.data["users"])

    def has_user(self, login: str) -> bool:
        return login in self.data["users"]

    def is_disabled(self, login: str) -> bool:
        return login in self.data["disabled"]

    def add_user(self, login: str, password: str, db_key: bytes, kdf: dict | None = None) -> None:
        """Wrap the key for ``login`` (also how a password is reset or changed)."""
        self.data["users"][login] = _wrap(db_key, password, "user:" + login, kdf or self.kdf)
        if login in self.data["disabled"]:
            self.data["disabled"].remove(login)

    def remove_user(self, login: str) -> None:
        self.data["users"].pop(login, None)

    def disable_user(self, login: str) -> None:
        """Delete the wrapping, so the old password no longer decrypts the register."""
        self.remove_user(login)
        if login not in self.data["disabled"]:
            self.data["disabled"].append(login)

    def set_recovery(self, recovery_key: str, db_key: bytes, kdf: dict | None = None) -> None:
        self.data["recovery"] = _wrap(
            db_key, _canonical_recovery(recovery_key), "recovery", kdf or self.kdf
        )

    def unlock(self, login: str, password: str) -> bytes:
        entry = self.data["users"].get(login)
        if entry is None:
            # Derive anyway so an unknown login costs the same time as a wrong password.
            _derive(password, b"\0" * 16, self.kdf)
            if self.is_disabled(login):
                raise UserDisabledError()
            raise AuthError()
        return _unwrap(entry, password, "user:" + login)

    def unlock_with_recovery(self, recovery_key: str) -> bytes:
        if not self.data.get("recovery"):
            raise AuthError()
        return _unwrap(self.data["recovery"], _canonical_recovery(recovery_key), "recovery")

    def save(self) -> None:
        """Write atomically: a crash leaves the old file or the new one, never half of each."""
        raw = json.dumps(self.data, indent=1, sort_keys=True).encode("utf-8")
        write_atomically(self.path, raw)


# --- back-off after wrong passwords --------------------------------------------------------


def backoff_seconds(failures: int) -> float:
    """How long to wait after ``failures`` wrong passwords in a row."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(FIRST_WAIT * 2 ** (failures - FREE_FAILURES), MAX_WAIT)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


class LoginGuard:
    """Counts wrong passwords per login in ``login-attempts.json`` and says how long to wait.

    A login nobody has is stored only as a hash: people type passwords into the user field,
    and this file is not encrypted. The file holds no key material; deleting it only
    forgets the count (Argon2id still makes every guess slow).
    """

    def __init__(self, directory: Path, known_logins: set[str] | None = None) -> None:
        self.path = Path(directory) / ATTEMPTS_FILE
        if known_logins is None:
            try:
                ks = KeyStore.load(directory)
                known_logins = set(ks.logins()) | set(ks.data["disabled"])
            except KeyFileError:
                known_logins = set()
        self.known = known_logins
        self.data = self._load()

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
            if isinstance(data.get("logins"), dict) and isinstance(data.get("pending"), list):
                return data
        except (OSError, ValueError):
            pass
        return {"logins": {}, "pending": []}

    def _save(self) -> None:
        try:
            write_atomically(self.path, json.dumps(self.data, sort_keys=True).encode("utf-8"))
        except (TayanchError, OSError) as exc:
            # A read-only or full disk must not turn a login into a crash; the count is a
            # convenience on top of Argon2id, not the protection itself.
            log.warning("login attempts not saved: %s", type(exc).__name__)

    def slot(self, login: str) -> str:
        if login == RECOVERY_SLOT or login in self.known:
            return login
        return "?" + hashlib.sha256(login.casefold().encode("utf-8")).hexdigest()[:16]

    def failures(self, login: str) -> int:
        return int(self.data["logins"].get(self.slot(login), {}).get("failures", 0))

    def wait_seconds(self, login: str, now: float | None = None) -> float:
        """Seconds before ``login`` may try a password again (0 when it may now)."""
        entry = self.data["logins"].get(self.slot(login))
        if not entry:
            return 0.0
        now = time.time() if now is None else now
        elapsed = max(0.0, now - float(entry.get("last", 0)))
        return max(0.0, backoff_seconds(int(entry.get("failures", 0))) - elapsed)

    def check(self, login: str, now: float | None = None) -> None:
        wait = self.wait_seconds(login, now)
        if wait > 0:
            raise LoginBackoffError(seconds=int(wait + 0.999))

    def failed(self, login: str, now: float | None = None) -> int:
        """Count a wrong password; return the failures in a row so far."""
        now = time.time() if now is None else now
        slot = self.slot(login)
        entry = self.data["logins"].setdefault(slot, {"failures": 0, "last": 0})
        entry["failures"] = int(entry["failures"]) + 1
        entry["last"] = now
        pending = self.data["pending"]
        pending.append(
            {
                "login": slot,
                "at": _iso(now),
                "failures": entry["failures"],
                "wait": backoff_seconds(entry["failures"]),
            }
        )
        del pending[:-MAX_PENDING]
        self._save()
        log.info("wrong password (%d in a row)", entry["failures"])
        return entry["failures"]

    def pending(self) -> list[dict[str, Any]]:
        """Failures not yet written to the audit chain, oldest first."""
        return list(self.data["pending"])

    def succeeded(self, login: str, *, recorded: bool) -> None:
        """Reset the count for ``login``; forget the queued failures once they are audited."""
        changed = self.data["logins"].pop(self.slot(login), None) is not None
        if recorded and self.data["pending"]:
            self.data["pending"] = []
            changed = True
        if changed:
            self._save()


def login_wait_seconds(directory: Path, login: str, now: float | None = None) -> float:
    """For the unlock screen: seconds to wait before ``login`` may try again (0 = now)."""
    return LoginGuard(directory).wait_seconds(login, now)
