"""Writing the user's files (bundles on a stick, replies, reports) whole or not at all, and
saying in one sentence why a disk refused: naming the user's folder or file, never the
temporary file, and what to do about it. The command line and the window show the same.

A file is written into a temporary file in its folder, then moved into place. That
temporary file can be made before the work that produces the data (``PendingFile``), so a
folder that refuses writes refuses the command before anything changes.
"""

from __future__ import annotations

import errno
import logging
import os
import tempfile
from pathlib import Path
from types import TracebackType

from app.errors import TayanchError
from app.i18n import N_, current_language, translator

log = logging.getLogger(__name__)

TEMP_PREFIX = ".tayanch-"
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_DENIED = (errno.EACCES, errno.EPERM)
# Where a file system cannot make hard links (FAT sticks): a name is taken another way.
_NO_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK)


class DiskError(TayanchError):
    """The disk refused to write one of the user's files; nothing was written."""

    code = "disk"
    template = N_(
        "{path} could not be written ({reason}), so nothing was written. "
        "Check the disk or stick, then try again."
    )
    #: the short reason, for a sentence that says more (e.g. "the bundle was applied, but")
    reason_template = N_("the disk could not be written")

    def short_reason(self, lang: str | None = None) -> str:
        return translator(lang or current_language()).gettext(self.reason_template)


class DiskFull(DiskError):
    code = "disk_full"
    template = N_(
        "There is not enough free space to write {path}, so nothing was written. "
        "Free some space there or choose another folder, then try again."
    )
    reason_template = N_("the disk is full")


class FolderReadOnly(DiskError):
    code = "folder_read_only"
    template = N_(
        "The folder {path} is read-only (a write-protected stick or disk), so nothing was "
        "written. Choose another folder, or make the stick writable, then try again."
    )
    reason_template = N_("the folder is read-only")


class FolderDenied(DiskError):
    code = "folder_denied"
    template = N_(
        "Tayanch may not write to the folder {path}, so nothing was written. "
        "Choose another folder or ask for access, then try again."
    )
    reason_template = N_("Tayanch may not write to that folder")


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def user_path(path: Path | str) -> Path:
    """The user's file for a path an error names: a temporary file stands for its folder."""
    path = Path(path)
    return path.parent if path.name.startswith(TEMP_PREFIX) else path


def disk_error(exc: OSError, target: Path | str | None = None) -> DiskError | None:
    """The sentence for a write the disk refused, naming ``target`` (the user's file or
    folder; by default the file the error names); None when ``exc`` is about something
    else (a missing folder, a bad name)."""
    if target is None:
        if not exc.filename:
            return None
        named = Path(os.fsdecode(exc.filename))
        target = user_path(named)
        folder = target if target != named else target.parent
    else:
        target = Path(target)
        folder = target if target.is_dir() else target.parent
    if exc.errno in _FULL:
        return DiskFull(path=str(target))
    if exc.errno == errno.EROFS or (exc.errno in _DENIED and _read_only(folder)):
        return FolderReadOnly(path=str(folder))
    if exc.errno in _DENIED:
        return FolderDenied(path=str(folder))
    if exc.errno == errno.EIO:
        return DiskError(path=str(target), reason=exc.strerror or "EIO")
    return None


def _typed(exc: OSError, target: Path) -> BaseException:
    return disk_error(exc, target) or exc


class PendingFile:
    """A temporary file in ``folder``, made first; ``finish`` fills it and puts it in
    place. Leaving the ``with`` block without finishing removes it."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        try:
            fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=self.folder)
        except OSError as exc:
            raise _typed(exc, self.folder) from exc
        os.close(fd)
        self.tmp: Path | None = Path(tmp)

    def __enter__(self) -> PendingFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.discard()

    def discard(self) -> None:
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)
            self.tmp = None

    def finish(self, data: bytes, target: Path | str, *, replace: bool = True) -> Path:
        """Write ``data`` and move it to ``target``; with ``replace=False`` a file already
        there is kept and the name gets -2, -3 ... Returns the file written."""
        assert self.tmp is not None, "finished twice"
        try:
            with open(self.tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            self.discard()
            raise _typed(exc, Path(target)) from exc
        return self.place(target, replace=replace)

    def place(self, target: Path | str, *, replace: bool = True) -> Path:
        """Move the temporary file, filled by the caller (``tmp``), to ``target``; as
        ``finish``. Returns the file written."""
        assert self.tmp is not None, "finished twice"
        target = Path(target)
        try:
            if replace:
                os.replace(self.tmp, target)
                self.tmp = None
                return target
            return self._take_free_name(target)
        except OSError as exc:
            self.discard()
            raise _typed(exc, target) from exc

    def _take_free_name(self, target: Path) -> Path:
        assert self.tmp is not None
        for n in range(1, 10_000):
            name = target if n == 1 else target.with_name(f"{target.stem}-{n}{target.suffix}")
            try:
                os.link(self.tmp, name)
            except FileExistsError:
                continue
            except OSError as exc:
                if exc.errno not in _NO_LINKS:
                    raise
                # No hard links here: take the name with an empty file, then fill it.
                try:
                    os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                except FileExistsError:
                    continue
                os.replace(self.tmp, name)
                self.tmp = None
                return name
            self.discard()
            return name
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))


def write_atomic(path: Path | str, data: bytes) -> None:
    """Write a file so that it is whole or absent (a pulled stick leaves no half file)."""
    path = Path(path)
    with PendingFile(path.parent) as pending:
        pending.finish(data, path)


def write_new(path: Path | str, data: bytes) -> Path:
    """Write a file under ``path``'s name, or -2, -3 ... when that is taken: never over
    another file. Returns the file written."""
    path = Path(path)
    with PendingFile(path.parent) as pending:
        return pending.finish(data, path, replace=False)
