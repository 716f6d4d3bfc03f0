"""Settings → Backups: where automatic backups go, Back up now, and Restore….

All the work is app.db.backup's (encrypted copies, rotation, a checked restore that keeps
a copy of the current register first); this box asks the questions. A restore replaces the
register the window works on, so the window carries on with the restored one.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.i18n import _, ngettext
from app.services.base import has_permission
from ui import ops, seams
from ui.format import fmt_datetime
from ui.widgets.common import Context, button, muted_label

log = logging.getLogger(__name__)


class BackupsBox(QGroupBox):
    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(_("Backups"), parent)
        self.ctx = ctx
        self.folder: Path | None = None
        self.latest: Any = None
        lay = QVBoxLayout(self)
        lay.addWidget(
            muted_label(
                _(
                    "Tayanch makes an encrypted backup every day and keeps the "
                    "last week's and month's. Keep the folder on another "
                    "disk or a stick if you can."
                )
            )
        )
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        self.last_label = QLabel()
        lay.addWidget(self.folder_label)
        lay.addWidget(self.last_label)
        row = QHBoxLayout()
        self.choose_button = button(_("Choose folder…"), self.choose_folder)
        self.backup_button = button(_("Back up now"), self.back_up_now)
        self.restore_button = button(_("Restore…"), self.restore)
        for b in (self.choose_button, self.backup_button, self.restore_button):
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        self.restore_button.setVisible(has_permission(ctx.reg, "restore"))

    @property
    def reg(self) -> Any:
        return self.ctx.reg

    def reload(self) -> None:
        from app.db import backup

        reg = self.reg

        def work() -> tuple[Path, list[Any]]:
            folder = backup.backup_folder(reg.data_dir)
            return folder, backup.list_backups(folder) if folder.is_dir() else []

        ops.Op(self, work, name="backups").success(self._show).run()

    def _show(self, result: tuple[Path, list[Any]]) -> None:
        self.folder, infos = result
        self.folder_label.setText(_("Folder: {path}").format(path=self.folder))
        self.latest = max(infos, key=lambda i: i.created_at) if infos else None
        if self.latest is None:
            self.last_label.setText(_("No backup yet."))
        else:
            self.last_label.setText(
                ngettext(
                    "{n} backup, the last on {at}.", "{n} backups, the last on {at}.", len(infos)
                ).format(n=len(infos), at=fmt_datetime(self.latest.created_at))
            )

    def choose_folder(self) -> None:
        from app.db import backup

        folder = seams.ask_folder(
            self, _("Choose the folder for backups"), str(self.folder or Path.home())
        )
        if not folder:
            return
        reg = self.reg
        ops.Op(
            self,
            lambda: backup.set_backup_folder(reg, Path(folder)),
            write=True,
            name="backup_folder",
        ).success(lambda _p: self.reload()).run()

    def back_up_now(self) -> None:
        from app.db import backup

        reg = self.reg
        self.backup_button.setEnabled(False)

        def work() -> Any:
            folder = backup.backup_folder(reg.data_dir)
            folder.mkdir(parents=True, exist_ok=True)
            return backup.backup(reg, backup.auto_name(folder, "manual"))

        def done(info: Any) -> None:
            self.backup_button.setEnabled(True)
            self.reload()
            seams.show_info(self, _("Backed up to {path}.").format(path=info.path))

        def failed(exc: BaseException) -> None:
            self.backup_button.setEnabled(True)
            ops.show_failure(self, exc)

        ops.Op(self, work, write=True, name="backup").success(done).failure(failed).with_progress(
            _("Backing up…")
        ).run()

    def restore(self) -> None:
        from app.db import backup

        start = str(self.folder or Path.home())
        path = seams.ask_open_file(
            self,
            _("Choose the backup to restore"),
            start,
            _("Tayanch backups (*{suffix})").format(suffix=backup.SUFFIX),
        )
        if not path:
            return
        ops.Op(self, lambda: backup.read_info(Path(path)), name="backup_info").success(
            lambda info: self._confirm_restore(Path(path), info)
        ).run()

    def _confirm_restore(self, path: Path, info: Any) -> None:
        from app.db import backup

        question = _(
            "Replace the register with the backup of {at} (stronghold {code})? "
            "Everything entered since then is lost on this computer, unless it was "
            "synced. A copy of the register as it is now is kept first."
        ).format(at=fmt_datetime(info.created_at), code=info.stronghold_code)
        if not seams.ask_confirm(self, question, title=_("Restore a backup")):
            return
        login = self.reg.user.login
        password = seams.ask_password(
            self, _("The password of {login} in that backup:").format(login=login)
        )
        if not password:
            return
        reg = self.reg
        window = self.ctx.window
        ops.wait_all()  # no read may hold the register while its files are swapped

        def done(new_reg: Any) -> None:
            if window is not None:
                window.replace_register(new_reg)
            seams.show_info(window, _("The backup was restored."))

        ops.Op(
            window or self,
            lambda: backup.restore(
                reg.data_dir, path, login, password, confirm=lambda _i: True, current=reg
            ),
            write=True,
            name="restore",
        ).success(done).with_progress(_("Restoring the backup…")).run()
