"""What every command shares: the data folder, the password, exit codes, output."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from uuid import UUID

from app import formats
from app.db.keys import KeyStore
from app.errors import NoRegisterError, TayanchError
from app.i18n import _
from app.paths import default_data_dir

if TYPE_CHECKING:
    from app.db.register import Register

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CommandFailed(Exception):
    """A refusal with a sentence for stderr; main() prints it and exits 1."""


def fail(message: str) -> NoReturn:
    raise CommandFailed(message)


def data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir) if args.data_dir else default_data_dir()


def read_password(prompt: str | None = None, *, confirm: bool = False) -> str:
    env = os.environ.get("TAYANCH_PASSWORD")
    if env is not None:
        return env
    if not sys.stdin.isatty():
        fail(_("No password: set TAYANCH_PASSWORD or run the command in a terminal."))
    password = getpass.getpass(prompt or _("Password: "))
    if confirm and getpass.getpass(_("Repeat the password: ")) != password:
        fail(_("The passwords do not match."))
    return password


def choose_login(folder: Path) -> str:
    env = os.environ.get("TAYANCH_USER")
    if env:
        return env
    logins = KeyStore.load(folder).logins()
    if len(logins) == 1:
        return logins[0]
    if not sys.stdin.isatty():
        fail(_("Several users: set TAYANCH_USER to the login name."))
    return input(_("User: ")).strip()


def open_register(args: argparse.Namespace) -> Register:
    from app.db.register import Register, register_exists  # the model loads only when used

    folder = data_dir(args)
    if not register_exists(folder):
        raise NoRegisterError(path=str(folder))
    login = choose_login(folder)
    return Register.open(folder, login, read_password())


def json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes):
        return None
    if is_dataclass(value):
        return asdict(value)
    raise TypeError(type(value).__name__)


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, default=json_default, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


def fmt_date(value: date | datetime | None) -> str:
    """dd.mm.yyyy, with the Tashkent time for a moment (app.formats is the one rule)."""
    if isinstance(value, datetime):
        return formats.short_datetime(value)
    return formats.short_date(value)


Handler = Callable[[argparse.Namespace], int | None]


def run_handler(handler: Handler, args: argparse.Namespace) -> int:
    """Turn expected failures into one line on stderr and exit 1."""
    try:
        return handler(args) or EXIT_OK
    except TayanchError as err:
        print(f"tayanch: {err.message()}", file=sys.stderr)
        return EXIT_FAILED
    except CommandFailed as err:
        print(f"tayanch: {err}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("tayanch: " + _("Interrupted; nothing was changed."), file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        # The reader went away (`tayanch list persons | head`): nothing to say to anyone.
        # Python would complain again when it flushes stdout at exit, so it goes nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except OSError as err:
        from app.disk import disk_error, user_path

        typed = disk_error(err)
        if typed is not None:
            print(f"tayanch: {typed.message()}", file=sys.stderr)
        else:
            name = user_path(os.fsdecode(err.filename)) if err.filename else ""
            print(f"tayanch: {err.strerror or err}: {name}".rstrip(": "), file=sys.stderr)
        return EXIT_FAILED
