"""keys.json, key format 2 (libsodium through PyNaCl): what it opens, and what it refuses.

A wrong password, an altered wrapping and a wrapping moved to another login are refused
as a wrong password; a file that is not a key file, or one of a format this version does
not read (format 1 of the early test versions, or a newer one), is refused with a sentence
that says so, never a crash.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest

from app.cli import main
from app.db.keys import (
    DEFAULT_KDF,
    FORMAT,
    KEY_FILE,
    KeyFileError,
    KeyFormatError,
    KeyFormatTooNewError,
    KeyStore,
    LoginGuard,
)
from app.db.register import Register
from app.errors import AuthError
from app.i18n import current_language, set_language
from tests.conftest import PASSWORD

FAST_KDF = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}
DB_KEY = bytes(range(32))
RECOVERY = "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-FFFFF-GGGGG-HHHHH"

# Written by this version (format 2) for DB_KEY: login "inspector" with PASSWORD, and
# RECOVERY. If this stops opening, registers made in the field stop opening too.
FORMAT_2_FILE = {
    "disabled": [],
    "format": 2,
    "kdf": FAST_KDF,
    "recovery": {
        "kdf": FAST_KDF,
        "nonce": "qd4Ex+MTueimzVWkvN0r+vVCnmzvzOSn",
        "salt": "sI4rUFGTC9FCpKkIzOAoAw==",
        "wrapped": "ULMjSKEXxbEg4z7z+DboskorY+y8IUYW2zDSl5+KifCmlVELg9yBrcs+cT55GIjs",
    },
    "users": {
        "inspector": {
            "kdf": FAST_KDF,
            "nonce": "W9q3jCDC+F7055/KdNjEzv/XQxYLF14a",
            "salt": "QjNSXg9cQFuUF7bqzxHCeg==",
            "wrapped": "dDv1ZgzqdO4Gw0yJqBflJIEngLvrsjK9aPpqq9nC2LP4g8FNbQAzBPunYgxjus8u",
        }
    },
}

# The same, as the early test versions wrote it (format 1: AES-256-GCM, argon2-cffi).
FORMAT_1_FILE = {
    "disabled": [],
    "format": 1,
    "kdf": FAST_KDF,
    "recovery": {
        "kdf": FAST_KDF,
        "nonce": "aH50bhUbhEhTHnSL",
        "salt": "siHGAhQ1LrGnJWf2Mba5qw==",
        "wrapped": "j/EMeNQbKWlw0xLUkG/Q25CR7dHJQlxoXJseurs7coVZlzgRhP3AubSxVH9v0YTu",
    },
    "users": {
        "inspector": {
            "kdf": FAST_KDF,
            "nonce": "0fKl3B12mkS+KTQr",
            "salt": "OUMAFo1P4HLbyCwAMLV6yg==",
            "wrapped": "+cHqAY216pQ9odCky4WvMuBXUzBlunIQzCeI1npj4imHgN5I62LD50PGXuBRH18d",
        }
    },
}


def _write(folder: Path, data: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / KEY_FILE
    path.write_text(json.dumps(data), "utf-8")
    return path


def _fresh(folder: Path) -> KeyStore:
    store = KeyStore.create(folder, FAST_KDF)
    store.add_user("inspector", PASSWORD, DB_KEY)
    store.set_recovery(RECOVERY, DB_KEY)
    store.save()
    return KeyStore.load(folder)


def _flip(text: str, index: int = 0) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode("ascii")


def test_a_key_file_of_this_format_keeps_opening(tmp_path):
    _write(tmp_path, FORMAT_2_FILE)
    store = KeyStore.load(tmp_path)
    assert store.unlock("inspector", PASSWORD) == DB_KEY
    assert store.unlock_with_recovery(RECOVERY.lower().replace("-", " ")) == DB_KEY


def test_a_new_key_file_is_format_2_and_holds_no_key_in_clear(tmp_path):
    store = _fresh(tmp_path)
    raw = (tmp_path / KEY_FILE).read_bytes()
    data = json.loads(raw)
    assert data["format"] == FORMAT == 2
    for entry in (data["users"]["inspector"], data["recovery"]):
        assert len(base64.b64decode(entry["salt"])) == 16
        assert len(base64.b64decode(entry["nonce"])) == 24  # XChaCha20: random nonces are safe
        assert len(base64.b64decode(entry["wrapped"])) == 32 + 16  # the key and its tag
        assert entry["kdf"] == FAST_KDF
    assert DB_KEY not in raw and base64.b64encode(DB_KEY) not in raw
    assert store.unlock("inspector", PASSWORD) == DB_KEY
    # each wrapping has its own salt and nonce: the same password wraps differently
    store.add_user("second", PASSWORD, DB_KEY)
    first, second = store.data["users"]["inspector"], store.data["users"]["second"]
    assert first["salt"] != second["salt"] and first["nonce"] != second["nonce"]


def test_the_shipped_costs_are_libsodium_argon2id_with_one_lane():
    assert DEFAULT_KDF["parallelism"] == 1
    assert DEFAULT_KDF["memory_cost"] >= 19 * 1024 and DEFAULT_KDF["time_cost"] >= 2  # OWASP
    with pytest.raises(ValueError):
        KeyStore.create(Path("."), {**FAST_KDF, "parallelism": 2})  # libsodium has one lane


def test_a_wrong_password_or_recovery_key_is_refused(tmp_path):
    store = _fresh(tmp_path)
    with pytest.raises(AuthError):
        store.unlock("inspector", PASSWORD + " ")
    with pytest.raises(AuthError):
        store.unlock("nobody", PASSWORD)
    with pytest.raises(AuthError):
        store.unlock_with_recovery("AAAAA-" * 7 + "AAAAA")


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e.update(wrapped=_flip(e["wrapped"])),  # the wrapped key
        lambda e: e.update(wrapped=_flip(e["wrapped"], -1)),  # its authentication tag
        lambda e: e.update(nonce=_flip(e["nonce"])),
        lambda e: e.update(salt=_flip(e["salt"])),
        lambda e: e.update(kdf={**FAST_KDF, "time_cost": 2}),  # costs are part of the key
    ],
    ids=["wrapped", "tag", "nonce", "salt", "costs"],
)
def test_an_altered_wrapping_is_refused_like_a_wrong_password(tmp_path, change):
    data = json.loads(json.dumps(FORMAT_2_FILE))
    change(data["users"]["inspector"])
    change(data["recovery"])
    _write(tmp_path, data)
    store = KeyStore.load(tmp_path)
    with pytest.raises(AuthError):
        store.unlock("inspector", PASSWORD)
    with pytest.raises(AuthError):
        store.unlock_with_recovery(RECOVERY)


def test_a_wrapping_moved_to_another_login_does_not_open(tmp_path):
    """The login is authenticated with the key: copying a wrapping to another slot fails."""
    data = json.loads(json.dumps(FORMAT_2_FILE))
    data["users"]["boshqa"] = data["users"]["inspector"]
    data["recovery"] = data["users"]["inspector"]
    _write(tmp_path, data)
    store = KeyStore.load(tmp_path)
    with pytest.raises(AuthError):
        store.unlock("boshqa", PASSWORD)
    with pytest.raises(AuthError):
        store.unlock_with_recovery(PASSWORD)


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e.update(salt="not base64!"),
        lambda e: e.pop("nonce"),
        lambda e: e.update(nonce=base64.b64encode(b"12 bytes old").decode()),  # format 1's size
        lambda e: e.update(wrapped=12345),
        lambda e: e.update(kdf={**FAST_KDF, "memory_cost": 1 << 40}),  # would allocate 1 PiB
        lambda e: e.update(kdf={**FAST_KDF, "time_cost": 10**9}),  # would run for days
        lambda e: e.update(kdf={**FAST_KDF, "parallelism": 2}),
        lambda e: e.update(kdf="argon2"),
    ],
    ids=["salt", "no-nonce", "short-nonce", "wrapped", "memory", "time", "lanes", "kdf"],
)
def test_a_damaged_wrapping_is_a_key_file_error_not_a_crash_or_a_hang(tmp_path, change):
    data = json.loads(json.dumps(FORMAT_2_FILE))
    change(data["users"]["inspector"])
    _write(tmp_path, data)
    store = KeyStore.load(tmp_path)
    started = time.perf_counter()
    with pytest.raises(KeyFileError) as caught:
        store.unlock("inspector", PASSWORD)
    assert time.perf_counter() - started < 5
    assert str(tmp_path / KEY_FILE) in caught.value.message("en")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        "{",
        json.dumps({**FORMAT_2_FILE, "users": []}),
        json.dumps({**FORMAT_2_FILE, "kdf": {"time_cost": 1}}),
        json.dumps({**FORMAT_2_FILE, "format": "2"}),
    ],
)
def test_a_file_that_is_not_a_key_file_is_reported(tmp_path, text):
    (tmp_path / KEY_FILE).write_text(text, "utf-8")
    with pytest.raises(KeyFileError) as caught:
        KeyStore.load(tmp_path)
    assert type(caught.value) is KeyFileError


def test_the_old_format_is_refused_with_a_translated_sentence(tmp_path):
    path = _write(tmp_path, FORMAT_1_FILE)
    with pytest.raises(KeyFormatError) as caught:
        KeyStore.load(tmp_path)
    err = caught.value
    assert isinstance(err, KeyFileError)  # whatever handles a bad key file handles this
    english = err.message("en")
    assert str(path) in english and "early test version" in english
    for lang in ("uz-Latn", "uz-Cyrl", "ru"):
        text = err.message(lang)
        assert str(path) in text and text != english, lang
    # the wrong-password counter reads keys.json too, and must not trip over it
    assert LoginGuard(tmp_path).wait_seconds("inspector") == 0


def test_a_register_with_an_old_key_file_is_refused_before_any_password(register_dir):
    _write(register_dir, FORMAT_1_FILE)
    with pytest.raises(KeyFormatError):
        Register.open(register_dir, "inspector", PASSWORD)
    with pytest.raises(KeyFormatError):
        Register.open_with_recovery(register_dir, RECOVERY)
    assert not (register_dir / "login-attempts.json").exists()  # no failure was counted


def test_the_command_line_says_so_in_one_line(register_dir, monkeypatch, capsys):
    _write(register_dir, FORMAT_1_FILE)
    monkeypatch.setenv("TAYANCH_PASSWORD", PASSWORD)
    monkeypatch.setenv("TAYANCH_USER", "inspector")
    before = current_language()
    try:
        code = main(["--lang", "ru", "--data-dir", str(register_dir), "users", "list"])
    finally:
        set_language(before)
    err = capsys.readouterr().err
    assert code == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tayanch: "), err
    assert KEY_FILE in lines[0] and "Traceback" not in err


def test_a_newer_format_asks_for_the_newer_version(tmp_path):
    _write(tmp_path, {**FORMAT_2_FILE, "format": FORMAT + 1})
    with pytest.raises(KeyFormatTooNewError) as caught:
        KeyStore.load(tmp_path)
    assert "newer version" in caught.value.message("en")
