"""Who and which version the program says it is: the window's About, the build and the installer.

``app.__version__`` stays the one place the version is written (pyproject.toml repeats it
and a test keeps the two equal). Everything else here is derived, so the Windows version
resource, the macOS bundle and the self-test can never name a different version than the
package they were built from. Importable without Qt and without PyInstaller.
"""

from __future__ import annotations

import platform
import re
import sys

from app import __version__

APP_NAME = "Tayanch"
APP_ID = "uz.tayanch.Tayanch"  # reverse-DNS id for the macOS bundle and desktop files
ORGANIZATION = "Tayanch"
DESCRIPTION = "Register of a makhalla stronghold (tayanch punkti)"
COPYRIGHT = "© Tayanch developers"
EXE_NAME = "tayanch"  # the executable and the bundle folder: dist/tayanch/tayanch(.exe)

__all__ = [
    "APP_ID",
    "APP_NAME",
    "COPYRIGHT",
    "DESCRIPTION",
    "EXE_NAME",
    "ORGANIZATION",
    "VERSION",
    "build_info",
    "version_tuple",
]

VERSION = __version__


def version_tuple(version: str = VERSION) -> tuple[int, int, int, int]:
    """Four numbers for the Windows version resource, which accepts nothing else.

    "1.2.3rc1" gives (1, 2, 3, 0): pre-release and local parts are dropped, missing parts
    are zero. A version without a leading number is a programming error.
    """
    numbers = re.match(r"^(\d+(?:\.\d+)*)", version)
    if numbers is None:
        raise ValueError(f"not a release version: {version!r}")
    parts = [int(p) for p in numbers.group(1).split(".")][:4]
    parts += [0] * (4 - len(parts))
    if any(p > 0xFFFF for p in parts):
        raise ValueError(f"version part above 65535: {version!r}")
    return parts[0], parts[1], parts[2], parts[3]


def build_info() -> dict[str, str]:
    """What a bug report needs: version, how it runs (frozen or not), Python and platform."""
    return {
        "version": VERSION,
        "frozen": "yes" if getattr(sys, "frozen", False) else "no",
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
    }
