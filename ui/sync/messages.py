"""Sync failures as the window words them.

The core's errors (app/sync/errors.py) are worded for the command line too, and some of
them tell what to type ("Run 'tayanch sync enroll'", "Give it with --url"). A window user
has buttons and boxes instead, so those errors get their own sentence here; every other
error keeps the core's sentence, the same in the CLI and the window.
"""

from __future__ import annotations

from app.db.register import Register
from app.errors import TayanchError
from app.i18n import N_, _
from app.services.base import has_permission
from app.sync.errors import NoHqAddress, NotEnrolled

NOT_ENROLLED = N_(
    "This computer is not enrolled at headquarters yet. Enrol it first with "
    "“Enrol at headquarters…” on the Sync screen and the code from the district office."
)
NO_HQ_ADDRESS = N_(
    "No headquarters address is known. Type it in the box next to “Sync now”, or use a USB stick."
)

# For a user who may not enrol the computer (the button is not shown to them).
NOT_ENROLLED_ASK = N_(
    "This computer is not enrolled at headquarters yet. An inspector enrols it with "
    "“Enrol at headquarters…” on the Sync screen and the code from the district office."
)

_WINDOW_TEMPLATES: dict[type[TayanchError], str] = {
    NotEnrolled: NOT_ENROLLED,
    NoHqAddress: NO_HQ_ADDRESS,
}


def error_text(exc: TayanchError, reg: Register | None = None) -> str:
    """The sentence the window shows for ``exc``, in the current language (``reg``: the
    register open, to tell whether its user may enrol the computer)."""
    if isinstance(exc, NotEnrolled) and reg is not None and not has_permission(reg, "manage_users"):
        return _(NOT_ENROLLED_ASK)
    for cls, template in _WINDOW_TEMPLATES.items():
        if isinstance(exc, cls):
            return _(template)
    return exc.message()
