"""The database key, its wrappings, and the guard against password guessing.

The SQLCipher key is 32 random bytes that exist in clear only in memory. On disk, in
``keys.json`` beside the database, it is stored once per user, wrapped by a key derived
from that user's password, and once more by the recovery key printed at set-up. Changing
a password re-wraps; the database is never re-encrypted. A disabled user's wrapping is
deleted, so the password they knew opens nothing.

All of it is libsodium's, through PyNaCl (as app/sync): key format 2 derives the wrapping
key with Argon2id (version 1.3, one lane: libsodium's) from the secret and a random
16-byte salt, and wraps with XChaCha20-Poly1305 under a random 24-byte nonce, the wrapping's
label ("user:<login>" or "recovery") as associated data, so a wrapping moved to another
slot does not open. Format 1 of the early test versions (AES-256-GCM, and argon2-cffi's
Argon2id with two lanes by default, which libsodium does not compute) cannot be read: it is
refused with KeyFormatError, which says so in the user's language.

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

import nacl.bindings
import nacl.pwhash
from nacl.exceptions import CryptoError

from app.errors import AuthError, TayanchError
from app.i18n import N_, current_language, translator

log = logging.getLogger(__name__)

KEY_FILE = "keys.json"
ATTEMPTS_FILE = "login-attempts.json"
FORMAT = 2
# Argon2id costs: passes over the memory, and the memory in KiB (64 MiB); one lane is all
# libsodium computes. About 0.1 s on a stronghold laptop, above OWASP's minimums.
DEFAULT_KDF = {"time_cost": 3, "memory_cost": 65536, "parallelism": 1}
# What a key file may ask for: a damaged or edited file must not make a login allocate
# gigabytes or run for minutes (libsodium's own floor is 1 pass and 8 KiB).
KDF_LIMITS = {"time_cost": (1, 64), "memory_cost": (8, 4 * 1024 * 1024), "parallelism": (1, 1)}
SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES  # 16
NONCE_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES  # 24

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


class KeyFormatError(KeyFileError):
    """keys.json is intact but in a key format this version does not read."""

    code = "key_format"
    template = N_(
        "The key file {path} was made by an early test version of Tayanch, in a format this "
        "version does not read. Create a new register, or open this one with the version "
        "that made it."
    )


class KeyFormatTooNewError(KeyFileError):
    code = "key_format_too_new"
    template = N_(
        "The key file {path} was written by a newer version of Tayanch. "
        "Install the newer version to open this register."
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
    return base64.b64decode(text.encode("ascii"), validate=True)


def check_kdf(kdf: Any) -> dict:
    """The Argon2id costs, as whole numbers within KDF_LIMITS; ValueError otherwise."""
    if not isinstance(kdf, dict) or set(kdf) != set(KDF_LIMITS):
        raise ValueError(f"Argon2id costs must be exactly {sorted(KDF_LIMITS)}")
    for name, (low, high) in KDF_LIMITS.items():
        value = kdf[name]
        if type(value) is not int or not low <= value <= high:
            raise ValueError(f"Argon2id {name} must be a whole number from {low} to {high}")
    return dict(kdf)


def derive_key(secret: str, salt: bytes, kdf: dict) -> bytes:
    """The 32-byte wrapping key for ``secret``: Argon2id with the costs in ``kdf``."""
    kdf = check_kdf(kdf)
    return nacl.pwhash.argon2id.kdf(
        32,
        secret.encode("utf-8"),
        salt,
        opslimit=kdf["time_cost"],
        memlimit=kdf["memory_cost"] * 1024,
    )


def _wrap(db_key: bytes, secret: str, label: str, kdf: dict) -> dict:
    kdf = check_kdf(kdf)
    salt = os.urandom(SALT_BYTES)
    nonce = os.urandom(NONCE_BYTES)
    wrapped = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        db_key, label.encode("utf-8"), nonce, derive_key(secret, salt, kdf)
    )
    return {"salt": _b64(salt), "nonce": _b64(nonce), "wrapped": _b64(wrapped), "kdf": kdf}


def _unwrap(entry: Any, secret: str, label: str, path: Path) -> bytes:
    """The database key from one wrapping; AuthError if ``secret`` is not the one (or the
    wrapping was altered), KeyFileError if the entry is not a wrapping at all."""
    try:
        salt, nonce = _unb64(entry["salt"]), _unb64(entry["nonce"])
        wrapped, kdf = _unb64(entry["wrapped"]), check_kdf(entry["kdf"])
        if len(salt) != SALT_BYTES or len(nonce) != NONCE_BYTES:
            raise ValueError("salt or nonce of the wrong length")
    except (TypeError, KeyError, AttributeError, ValueError) as exc:  # binascii.Error too
        raise KeyFileError(path=str(path)) from exc
    kek = derive_key(secret, salt, kdf)
    try:
        return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            wrapped, label.encode("utf-8"), nonce, kek
        )
    except CryptoError:
        raise AuthError() from None


def new_database_key() -> bytes:
    return secrets.token_bytes(32)


def new_recovery_key() -> str:
    """25 random bytes as 8 groups of 5 base32 letters: easy to print and to type back."""
    text = base64.b32encode(secrets.token_bytes(25)).decode("ascii")
    return "-".join(text[i : i + 5] for i in range(0, 40, 5))


def _canonical_recovery(key: str) -> str:
    return "".join(ch for ch in key.upper() if ch.isalnum())


_BASE32 = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")  # RFC 4648, what b32encode writes
RECOVERY_KEY_PROBLEM = N_("A recovery key is 8 groups of 5 Latin letters and digits, as printed.")


def recovery_key_problem(key: str) -> str | None:
    """Why ``key`` cannot be a recovery key as ``new_recovery_key`` writes them (typed in
    any case, with or without its dashes), as a message template; None if it can."""
    letters = _canonical_recovery(key)
    ok = len(letters) == 40 and set(letters) <= _BASE32
    return None if ok else RECOVERY_KEY_PROBLEM


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
                "kdf": check_kdf(kdf or DEFAULT_KDF),
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
            if not isinstance(data, dict):
                raise ValueError("not a key file")
            found = data.get("format")
            if type(found) is int and found < FORMAT:
                raise KeyFormatError(path=str(path), found=found)
            if type(found) is int and found > FORMAT:
                raise KeyFormatTooNewError(path=str(path), found=found)
            if found != FORMAT or not isinstance(data.get("users"), dict):
                raise ValueError("unknown format")
            data.setdefault("disabled", [])
            if not isinstance(data["disabled"], list):
                raise ValueError("disabled is not a list")
            if data.get("kdf") is not None:
                check_kdf(data["kdf"])
        except (OSError, ValueError) as exc:
            raise KeyFileError(path=str(path)) from exc
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
            derive_key(password, b"\0" * SALT_BYTES, self.kdf)
            if self.is_disabled(login):
                raise UserDisabledError()
            raise AuthError()
        return _unwrap(entry, password, "user:" + login, self.path)

    def unlock_with_recovery(self, recovery_key: str) -> bytes:
        if not self.data.get("recovery"):
            raise AuthError()
        return _unwrap(
            self.data["recovery"], _canonical_recovery(recovery_key), "recovery", self.path
        )

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
