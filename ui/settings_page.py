"""Settings: the stronghold's details, visit intervals, idle lock, order durations, language.

Stronghold settings live in the database (they sync: every computer of the stronghold must
agree on the intervals); the window's language is this machine's preference (QSettings).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.i18n import LANGUAGE_NAMES, LANGUAGES, N_, _, current_language, set_language
from app.services import reference, ui_actions, ui_queries
from app.services.base import has_permission
from ui import ops, seams, style
from ui.widgets.common import Context, Page, button, muted_label, title_label
from ui.widgets.flow import flow_row, wrapping_form
from ui.widgets.form import ChoiceBox
from ui.widgets.paged_model import Column
from ui.widgets.record_table import RecordTable, RecordTableModel

log = logging.getLogger(__name__)

DURATION_KINDS = {
    "initial": N_("first issue"),
    "extension": N_("extension"),
    "child": N_("for a child"),
    "court": N_("court order"),
}
INT_SETTINGS = [
    ("conflict_visit_days", N_("Visit conflict families every (days)")),
    ("household_visit_days", N_("Visit every household every (days)")),
    ("idle_lock_minutes", N_("Lock after idle (minutes)")),
]


def users_available() -> bool:
    try:
        from app.services import users  # noqa: F401
    except ImportError:
        return False
    return True


class SettingsPage(Page):
    key = "settings"
    nav_title = N_("Settings")
    tables = ("setting", "stronghold", "order_duration", "staff_user", "backup")

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _(self.nav_title)
        self.layout_.addWidget(title_label(self.title))
        host = QWidget()
        grid = QGridLayout(host)
        grid.setContentsMargins(0, 0, 6, 0)
        grid.setSpacing(12)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(host)
        self.layout_.addWidget(scroll, 1)

        # Stronghold details
        box = QGroupBox(_("Stronghold"))
        form = wrapping_form(box)
        self.code = QLabel()
        form.addRow(_("Code (assigned by HQ)"), self.code)
        self.details: dict[str, QLineEdit] = {}
        for key, caption in [
            ("name", _("Name")),
            ("office", _("Office line on documents")),
            ("region", _("Region")),
            ("district", _("District")),
            ("makhalla", _("Makhalla")),
            ("address", _("Address")),
            ("phone", _("Phone")),
        ]:
            w = QLineEdit()
            w.setMinimumWidth(160)  # below its label when both do not fit, not squeezed
            form.addRow(caption, w)
            self.details[key] = w
        self.details["name"].textChanged.connect(self._check_name)
        self.name_error = QLabel()
        style.role(self.name_error, "fieldError")
        form.addRow("", self.name_error)
        self.save_details = button(_("Save stronghold details"), self._save_details)
        form.addRow("", self.save_details)
        grid.addWidget(box, 0, 0, 2, 1)

        # Work settings
        box = QGroupBox(_("Work"))
        form = wrapping_form(box)
        self.ints: dict[str, QSpinBox] = {}
        for key, caption in INT_SETTINGS:
            w = QSpinBox()
            w.setRange(1, 1000)
            form.addRow(_(caption), w)
            self.ints[key] = w
        form.addRow("", button(_("Save work settings"), self._save_work))
        grid.addWidget(box, 0, 1)

        # Language of this computer's window
        box = QGroupBox(_("Language of the window"))
        lay = QVBoxLayout(box)
        self.language = QComboBox()
        for lang in LANGUAGES:
            self.language.addItem(LANGUAGE_NAMES[lang], lang)
        self.language.setCurrentIndex(max(self.language.findData(current_language()), 0))
        self.language.currentIndexChanged.connect(self._language_changed)
        lay.addWidget(self.language)
        lay.addWidget(
            muted_label(
                _(
                    "Applies at once, to every screen, and is remembered for "
                    "you on this computer. Documents are printed in the "
                    "language chosen when printing."
                )
            )
        )
        column = QVBoxLayout()
        column.addWidget(box)
        if has_permission(ctx.reg, "sync"):
            from ui.sync.auto import AutoSyncBox

            self.sync_box = AutoSyncBox(ctx)
            column.addWidget(self.sync_box)
        grid.addLayout(column, 1, 1)

        # Protection order durations (reference data)
        box = QGroupBox(_("Allowed protection order durations"))
        lay = QVBoxLayout(box)
        lay.addWidget(
            muted_label(
                _(
                    "The law changed these over the years, so they are kept "
                    "here, not built into the program. Only active ones can "
                    "be chosen when issuing or extending an order."
                )
            )
        )
        self.durations = RecordTable(
            RecordTableModel(
                [
                    Column("kind", N_("For"), lambda d: _(DURATION_KINDS.get(d.kind, d.kind))),
                    Column("days", N_("Days"), lambda d: str(d.days), align_right=True),
                    Column("active", N_("Active"), lambda d: _("yes") if d.active else _("no")),
                    Column(
                        "label", N_("Label"), lambda d: reference.duration_label(d.kind, d.days)
                    ),
                ],
                self,
            ),
            sortable=False,
        )
        self.durations.setObjectName("durationsTable")
        lay.addWidget(self.durations, 1)
        self.new_kind = ChoiceBox([(k, _(v)) for k, v in DURATION_KINDS.items()])
        self.new_days = QSpinBox()
        self.new_days.setRange(1, 3650)
        self.new_days.setValue(30)
        lay.addWidget(
            flow_row(
                self.new_kind,
                self.new_days,
                QLabel(_("days")),
                button(_("Add"), self._add_duration),
                button(_("Switch on/off"), self._toggle_duration),
            )
        )
        grid.addWidget(box, 2, 0)
        self.users_box = None
        if users_available():
            from ui.users import UsersBox

            self.users_box = UsersBox(ctx)
            grid.addWidget(self.users_box, 2, 1)
        self.backups_box = None
        if has_permission(ctx.reg, "backup"):
            from ui.backups import BackupsBox

            self.backups_box = BackupsBox(ctx)
            grid.addWidget(self.backups_box, 3, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(2, 1)

    def reload(self) -> None:
        reg = self.reg

        def work() -> tuple[Any, dict[str, str], list[Any]]:
            return ui_queries.stronghold(reg), ui_queries.settings(reg), ui_queries.durations(reg)

        ops.Op(self, work).success(self._show).run()
        if self.users_box is not None:
            self.users_box.reload()
        if self.backups_box is not None:
            self.backups_box.reload()

    def _show(self, result: tuple[Any, dict[str, str], list[Any]]) -> None:
        info, values, durations = result
        if info is not None:
            self.code.setText(info.code)
            for key, w in self.details.items():
                w.setText(getattr(info, key) or "")
        for key, w in self.ints.items():
            try:
                w.setValue(int(values.get(key, "0")))
            except ValueError:
                pass
        self.durations.source.set_rows(durations)

    def _check_name(self, text: str) -> None:
        ok = bool(text.strip())
        self.name_error.setText("" if ok else _("This field is required."))
        self.save_details.setEnabled(ok)

    def _save_details(self) -> None:
        values = {k: w.text() for k, w in self.details.items()}
        reg = self.reg
        ops.Op(self, lambda: ui_actions.update_stronghold(reg, **values), write=True).success(
            lambda _r: (self.ctx.hub.changed.emit("stronghold"), seams.show_info(self, _("Saved.")))
        ).run()

    def _save_work(self) -> None:
        values = {k: str(w.value()) for k, w in self.ints.items()}
        reg = self.reg
        ops.Op(self, lambda: ui_actions.set_settings(reg, values), write=True).success(
            lambda _r: (self.ctx.hub.changed.emit("setting"), seams.show_info(self, _("Saved.")))
        ).run()

    def _language_changed(self) -> None:
        """Switch now: app.i18n tells every open window, which rebuilds its screens."""
        lang = self.language.currentData()
        self.ctx.settings.user_language = lang
        self.ctx.settings.language = lang  # the unlock dialog's language next time
        apply_language(lang)

    def _add_duration(self) -> None:
        reg, kind, days = self.reg, self.new_kind.code(), self.new_days.value()
        # No label is stored: the table writes it from kind and days in the reader's language.
        ops.Op(self, lambda: ui_actions.add_duration(reg, kind, days), write=True).success(
            lambda _r: self.ctx.hub.changed.emit("order_duration")
        ).run()

    def _toggle_duration(self) -> None:
        d = self.durations.current_record()
        if d is None:
            return
        reg = self.reg
        ops.Op(
            self, lambda: ui_actions.set_duration_active(reg, d.id, not d.active), write=True
        ).success(lambda _r: self.ctx.hub.changed.emit("order_duration")).run()


def apply_language(lang: str) -> None:
    """The window's gettext language and Qt's own catalog (standard dialogs) together."""
    from PySide6.QtWidgets import QApplication

    from ui.app import install_qt_translations

    set_language(lang)
    app = QApplication.instance()
    if app is not None:
        install_qt_translations(app, lang)
