"""Bundle files on a stick: their names, and never writing over another file.

Two computers of one stronghold may carry their bundles on one stick, and HQ writes the
replies for both into one folder. So a name carries the stronghold, the computer's number
at HQ (K1, K2 ... as in its documents' numbers; a short device id before it has one) and
the time to the second, and a name already taken gets -2, -3 ... (app.disk.write_new).
A file the user names is replaced only when it is a bundle itself (an older one), never a
spreadsheet or a key file that happens to be there.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from app.errors import TayanchError
from app.i18n import N_
from app.sync.bundle import MAGIC, REPLY_FILE_PREFIX

SUFFIX = ".sync"


class NotABundleFile(TayanchError):
    code = "not_a_bundle_file"
    template = N_(
        "{path} already exists and is not a Tayanch sync file, so it was not replaced. "
        "Nothing was changed. Give a new file name, or a folder."
    )


class BundleIsFolder(TayanchError):
    code = "bundle_is_folder"
    template = N_("{path} is a folder. Give the bundle file itself (a .sync file) that is in it.")


def computer_tag(number: int | None, device_id: str) -> str:
    """K2 for computer 2 of its stronghold; before HQ numbered it, its id's first letters."""
    if number:
        return f"K{number}"
    return device_id.replace("-", "")[:8]


def _stamp(when: datetime | None) -> str:
    return (when or datetime.now()).strftime("%Y%m%d-%H%M%S")


def bundle_name(
    stronghold: str, number: int | None, device_id: str, when: datetime | None = None
) -> str:
    """A device's bundle for HQ."""
    return f"tayanch-{stronghold}-{computer_tag(number, device_id)}-{_stamp(when)}{SUFFIX}"


def reply_name(
    stronghold: str, number: int | None, device_id: str, when: datetime | None = None
) -> str:
    """HQ's reply to one computer of a stronghold."""
    tag = computer_tag(number, device_id)
    return f"{REPLY_FILE_PREFIX}{stronghold}-{tag}-{_stamp(when)}{SUFFIX}"


def is_bundle_file(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def check_replaceable(path: Path) -> None:
    """Refuse to write a bundle over an existing file that is not a bundle."""
    path = Path(path)
    if path.exists() and not path.is_dir() and not is_bundle_file(path):
        raise NotABundleFile(path=str(path))


def check_readable(path: Path) -> None:
    """A bundle to read must be a file: say so when a folder is given."""
    if Path(path).is_dir():
        raise BundleIsFolder(path=str(path))
