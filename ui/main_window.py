"""The main window: side navigation, the screens, the shortcuts, the lock.

Keyboard first (issue 3): Ctrl+1..9 switch screens, Ctrl+N adds on the current screen,
Ctrl+F searches, Ctrl+R records a visit, Ctrl+L locks, F5 refreshes. Every screen is built
once and kept, so switching back finds it as it was left.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.db.register import Register
from app.domain.enums import Role
from app.i18n import _, current_language, on_language_changed, remove_language_listener
from app.services import ui_queries
from ui import actions, ops, seams, style
from ui import lock as lock_hooks
from ui.audit.page import AuditPage, can_view
from ui.disputes.page import DisputesPage
from ui.format import label
from ui.households.page import HouseholdsPage
from ui.lock import IdleWatcher, Locker, LockPage, SystemLockListener
from ui.orders.page import OrdersPage
from ui.persons.page import PersonsPage
from ui.settings import UiSettings
from ui.settings_page import SettingsPage
from ui.statistics.page import StatisticsPage
from ui.sync.auto import AutoSync, AutoSyncIndicator
from ui.sync.page import SyncPage
from ui.today.page import TodayPage
from ui.widgets.common import Context, Hub, Page

log = logging.getLogger(__name__)

PAGE_CLASSES: dict[str, type[Page]] = {
    "today": TodayPage,
    "persons": PersonsPage,
    "households": HouseholdsPage,
    "disputes": DisputesPage,
    "orders": OrdersPage,
    "statistics": StatisticsPage,
    "sync": SyncPage,
    "audit": AuditPage,
    "settings": SettingsPage,
}
MIN_SIZE = (1024, 640)
DEFAULT_SIZE = (1366, 740)


class MainWindow(QMainWindow):
    ready = Signal()  # the first screen has its data: the window is usable

    def __init__(
        self, reg: Register, settings: UiSettings, *, idle_minutes: int | None = None
    ) -> None:
        super().__init__()
        self.reg = reg
        self.settings = settings.for_user(reg.user.login)
        self.hub = Hub(self)
        self.ctx = Context(reg, self.hub, self.settings, self)
        self.setWindowTitle(_("Tayanch"))
        self.setMinimumSize(*MIN_SIZE)

        self.nav = QListWidget()
        style.role(self.nav, "nav")
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.stack = QStackedWidget()
        # Screens are built the first time they are shown: the window is usable as soon
        # as Today is, and a screen never visited costs nothing.
        self.pages: dict[str, Page | None] = dict.fromkeys(PAGE_CLASSES)
        self._holders: dict[str, QWidget] = {}
        for key, cls in PAGE_CLASSES.items():
            holder = QWidget()
            QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
            self._holders[key] = holder
            self.stack.addWidget(holder)
            item = QListWidgetItem(_(cls.nav_title))
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.nav.addItem(item)
        self._fit_nav()
        self.nav.currentRowChanged.connect(self._nav_changed)
        # The audit trail is for inspectors; the others never see the screen (the service
        # refuses them as well).
        self.nav.setRowHidden(list(PAGE_CLASSES).index("audit"), not can_view(reg))

        work = QWidget()
        row = QHBoxLayout(work)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.lock_page = LockPage()
        self.central = QStackedWidget()
        self.central.addWidget(work)
        self.central.addWidget(self.lock_page)
        self.setCentralWidget(self.central)
        self._work = work

        self.status_user = QLabel()
        self.status_sync = QLabel()
        self.statusBar().addWidget(self.status_user, 1)
        self.auto_sync = AutoSync(self.ctx, self)
        self.status_auto_sync = AutoSyncIndicator(self.auto_sync, lambda: self.go("sync"))
        self.statusBar().addPermanentWidget(self.status_auto_sync)
        self.statusBar().addPermanentWidget(self.status_sync)
        user = reg.user
        self.status_user.setText(
            _("{name} · {role} · stronghold {code}").format(
                name=user.full_name, role=label(Role, user.role), code=reg.stronghold_code
            )
        )

        self.locker = Locker(self, reg, self.lock_page, self._show_lock)
        self.idle = IdleWatcher(idle_minutes if idle_minutes is not None else 10, self)
        self.idle.idle.connect(self.lock)
        self.system_lock = SystemLockListener(self)
        self.system_lock.triggered.connect(self.lock)
        self.locker.unlocked.connect(self.idle.restart)
        self.actions_: list[QAction] = []
        self._build_actions()

        geometry = self.settings.geometry
        if geometry:
            self.restoreGeometry(QByteArray(geometry))
        else:
            self.resize(*DEFAULT_SIZE)
        self._first_ready = False
        self.hub.changed.connect(self._refresh_settings)
        # Every write adds a change for HQ: the status bar's count follows, a moment later.
        self._sync_timer = QTimer(self)
        self._sync_timer.setSingleShot(True)
        self._sync_timer.setInterval(300)
        self._sync_timer.timeout.connect(self._sync_status)
        self.hub.changed.connect(self._sync_soon)
        start = self.settings.last_screen if self.settings.last_screen in self.pages else "today"
        self.go(start)
        ops.Op(
            self,
            lambda: (ui_queries.stronghold(reg), ui_queries.int_setting(reg, "idle_lock_minutes")),
        ).success(self._got_stronghold).run()
        QTimer.singleShot(0, self._sync_status)
        self.auto_sync.start()
        self._unclean_shown = False
        QTimer.singleShot(0, self._after_login)
        self._language_listener = on_language_changed(self._language_changed)
        self._shown_language = current_language()

    def _sync_soon(self, _table: str = "") -> None:
        self._sync_timer.start()

    def _after_login(self) -> None:
        """Today's automatic backup (once a day, in the background) and, after a crash or a
        power cut, the one sentence that tells the user what to check."""
        from app.db import register as register_module

        lang = self.settings.user_language
        if lang and lang != current_language():
            from ui.settings_page import apply_language

            try:
                apply_language(lang)  # this user's language; the screens follow
            except ValueError:
                log.warning("unknown language %r in the settings ignored", lang)
        if getattr(self.reg, "unclean_shutdown", False) and not self._unclean_shown:
            self._unclean_shown = True
            seams.show_info(self, _(register_module.UNCLEAN_SHUTDOWN_MESSAGE))
        try:
            from app.db import backup
        except ImportError:
            return
        reg = self.reg

        def backed_up(info: Any) -> None:
            if info is not None:
                ops.Op(
                    self,
                    lambda: backup.audit_daily(reg, info),
                    write=True,
                    name="daily_backup_audit",
                ).run()
                self.hub.changed.emit("backup")

        # The copy only reads (a snapshot, WAL): it runs beside the writer, so saving a visit
        # never waits for the copy of a big register; only its audit entry is a write. A
        # failed daily backup must not stop the day's work: it is logged, and the Backups
        # section of Settings shows when the last one was made.
        ops.Op(self, lambda: backup.daily_if_due(reg, audited=False), name="daily_backup").success(
            backed_up
        ).failure(
            lambda exc: log.warning(
                "daily backup failed: %s", getattr(exc, "code", type(exc).__name__)
            )
        ).run()

    # --- building ------------------------------------------------------------------

    def _action(self, text: str, keys: Any, slot: Any) -> QAction:
        act = QAction(text, self)
        act.setShortcuts(keys if isinstance(keys, list) else [keys])
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.triggered.connect(slot)
        self.addAction(act)
        self.actions_.append(act)
        return act

    def _build_actions(self) -> None:
        for i, (key, cls) in enumerate(PAGE_CLASSES.items()):
            self._action(
                _(cls.nav_title), QKeySequence(f"Ctrl+{i + 1}"), lambda _c=False, k=key: self.go(k)
            )
        self.act_new = self._action(_("New"), QKeySequence.StandardKey.New, self.new_item)
        self.act_search = self._action(_("Search"), QKeySequence.StandardKey.Find, self.search)
        self.act_visit = self._action(_("Record visit"), QKeySequence("Ctrl+R"), self.record_visit)
        self.act_print = self._action(
            _("Print"), QKeySequence.StandardKey.Print, self.print_current
        )
        self.act_refresh = self._action(
            _("Refresh"), QKeySequence.StandardKey.Refresh, self.refresh
        )
        self.act_lock = QAction(_("Lock"), self)
        self.act_lock.setShortcut(QKeySequence("Ctrl+L"))
        lock_hooks.register_lock(self.lock)  # forms offer Ctrl+L too (ui/widgets/form.py)
        self.act_lock.triggered.connect(self.lock)
        self.addAction(self.act_lock)
        self.act_quit = self._action(_("Quit"), QKeySequence.StandardKey.Quit, self.close)

    def _got_stronghold(self, result: tuple[Any, int]) -> None:
        info, minutes = result
        self.ctx.stronghold = info
        if info is not None:
            self.setWindowTitle(_("Tayanch — {name}").format(name=info.name))
            self.status_user.setText(
                _("{name} · {role} · {stronghold} ({code})").format(
                    name=self.reg.user.full_name,
                    role=label(Role, self.reg.user.role),
                    stronghold=info.name,
                    code=info.code,
                )
            )
        self.idle.set_minutes(minutes)

    def _refresh_settings(self, table: str) -> None:
        if table in ("setting", "stronghold"):
            reg = self.reg
            ops.Op(
                self,
                lambda: (
                    ui_queries.stronghold(reg),
                    ui_queries.int_setting(reg, "idle_lock_minutes"),
                ),
            ).success(self._got_stronghold).run()

    def _sync_status(self) -> None:
        try:
            from app.sync import service as sync_service
        except ImportError:
            return
        status = getattr(sync_service, "status", None)
        if status is None:
            return
        reg = self.reg

        ops.Op(self, lambda: status(reg)).success(self._show_sync_status).failure(
            lambda _e: None
        ).run()

    def _show_sync_status(self, st: Any) -> None:
        pending = getattr(st, "pending", None)
        if pending is None and isinstance(st, dict):
            pending = st.get("pending")
        if pending is not None:
            text = _("Not yet sent to HQ: {n}").format(n=pending)
            conflicts = getattr(st, "open_conflicts", 0) or 0
            if conflicts:
                text += " · " + _("conflicts to review: {n}").format(n=conflicts)
            self.status_sync.setText(text)

    # --- navigation ----------------------------------------------------------------

    def page(self, key: str) -> Page:
        """The screen ``key``, built now if it never was."""
        page = self.pages[key]
        if page is None:
            page = PAGE_CLASSES[key](self.ctx)
            self.pages[key] = page
            self._holders[key].layout().addWidget(page)
            if key == "sync":
                page.status_loaded.connect(self._show_sync_status)
                page.synced_online.connect(self.auto_sync.after_manual)
                page.failed_online.connect(self.auto_sync.after_manual_failure)
            if key == "today":
                page.counts_changed.connect(self._today_badge)
                page.counts_changed.connect(self._maybe_ready)
        return page

    @property
    def today(self) -> TodayPage:
        return self.page("today")

    @property
    def persons(self) -> PersonsPage:
        return self.page("persons")

    @property
    def households(self) -> HouseholdsPage:
        return self.page("households")

    @property
    def disputes(self) -> DisputesPage:
        return self.page("disputes")

    @property
    def orders(self) -> OrdersPage:
        return self.page("orders")

    @property
    def statistics(self) -> StatisticsPage:
        return self.page("statistics")

    @property
    def sync(self) -> SyncPage:
        return self.page("sync")

    @property
    def audit(self) -> AuditPage:
        return self.page("audit")

    @property
    def settings_page(self) -> SettingsPage:
        return self.page("settings")

    def allowed(self, key: str) -> bool:
        return key != "audit" or can_view(self.reg)

    def go(self, key: str) -> Page:
        if not self.allowed(key):
            key = "today"
        page = self.page(key)
        row = list(PAGE_CLASSES).index(key)
        if self.nav.currentRow() != row:
            self.nav.setCurrentRow(row)
        else:
            self._nav_changed(row)
        return page

    def _nav_changed(self, row: int) -> None:
        if row < 0:
            return
        key = list(PAGE_CLASSES)[row]
        page = self.page(key)
        self.stack.setCurrentWidget(self._holders[key])
        page.activate()
        self.settings.last_screen = key
        if key != "today" and self.pages["today"] is None:
            # Today's count belongs in the navigation even when another screen opens first.
            QTimer.singleShot(0, lambda: self.today.activate())

    def current_page(self) -> Page:
        key = list(PAGE_CLASSES)[max(self.nav.currentRow(), 0)]
        return self.page(key)

    def _today_badge(self, urgent: int) -> None:
        item = self.nav.item(0)
        title = _(TodayPage.nav_title)
        item.setText(f"{title}  ({urgent})" if urgent else title)

    def _maybe_ready(self, *_a: Any) -> None:
        if not self._first_ready:
            self._first_ready = True
            self.ready.emit()

    # --- opening records from anywhere -----------------------------------------------

    def open_person(self, person_id: uuid.UUID, then: str | None = None) -> None:
        self.go("persons")
        self.persons.open_person(person_id)
        if then:
            card = self.persons.card

            def act(loaded: Any) -> None:
                card.card_loaded.disconnect(act)
                card.act(then)

            card.card_loaded.connect(act)

    def open_household(self, household_id: uuid.UUID) -> None:
        self.go("households")
        self.households.open_household(household_id)

    def open_dispute(self, dispute_id: uuid.UUID) -> None:
        self.go("disputes")
        self.disputes.open_dispute(dispute_id)

    def open_order(self, order_id: uuid.UUID, then: str | None = None) -> None:
        self.go("orders")
        self.orders.open_order(order_id, then=then)

    def card_action(self, key: str, card: Any, entry: Any) -> Any:
        return actions.card_action(self.ctx, self, key, card, entry)

    # --- shortcuts -----------------------------------------------------------------

    def new_item(self) -> None:
        page = self.current_page()
        if page.key in ("today", "statistics", "sync", "audit", "settings"):
            page = self.go("persons")
        page.new_item()

    def search(self) -> None:
        if not self.current_page().focus_search():
            self.go("persons").focus_search()

    def record_visit(self) -> Any:
        page = self.current_page()
        if page.key == "persons" and self.persons.card.card is not None:
            return self.persons.card.act("visit")
        if page.key == "households" and self.households.record_visit():
            return None
        if page.key == "today":
            card = next((c for c in self.today.cards.values() if c.table.hasFocus()), None)
            if card is not None and "visit" in card.buttons and card.current() is not None:
                return self.today.item_action("visit", card.current())
        return actions.record_visit(self.ctx, self)

    def print_current(self) -> None:
        from ui import printing

        if not printing.available():
            return
        if not self.current_page().print_current():
            seams.show_info(
                self,
                _(
                    "Nothing to print here yet: choose a person, a visit or "
                    "an order, then press Ctrl+P."
                ),
            )

    def refresh(self) -> None:
        page = self.current_page()
        page.stale = False
        page.reload()

    # --- rebuilding: another language, or another register after a restore ---------------

    def _language_changed(self, lang: str) -> None:
        # Listeners may run in any thread; the rebuild happens on the UI thread.
        QTimer.singleShot(0, self.retranslate)

    def _fit_nav(self) -> None:
        """As wide as the longest title in this language (Russian ones are longer), but
        never so wide that it eats a 1366-pixel screen."""
        widest = max(self.nav.sizeHintForColumn(0), 0)
        self.nav.setFixedWidth(min(max(178, widest + 8), 230))

    def retranslate(self) -> None:
        """Show every screen in the current language, without a restart.

        Screens are rebuilt in place (their texts are set when built), keeping the current
        screen, the geometry, and any open form with what the user typed: forms are moved
        onto the window before their screen goes, so they stay open.
        """
        if self._shown_language == current_language():
            return
        self._shown_language = current_language()
        self.setWindowTitle(_("Tayanch"))
        for i, cls in enumerate(PAGE_CLASSES.values()):
            self.nav.item(i).setText(_(cls.nav_title))
        self._fit_nav()
        for act, text in zip(
            self.actions_[: len(PAGE_CLASSES)],
            [_(c.nav_title) for c in PAGE_CLASSES.values()],
            strict=True,
        ):
            act.setText(text)
        for act, text in (
            (self.act_new, _("New")),
            (self.act_search, _("Search")),
            (self.act_visit, _("Record visit")),
            (self.act_print, _("Print")),
            (self.act_refresh, _("Refresh")),
            (self.act_lock, _("Lock")),
            (self.act_quit, _("Quit")),
        ):
            act.setText(text)
        self.rebuild_pages()
        self._refresh_settings("stronghold")  # the title and status line, in the new language
        self._sync_status()
        self.status_auto_sync.refresh()

    def rebuild_pages(self) -> None:
        """Drop every built screen and build the current one again."""
        from PySide6.QtWidgets import QDialog

        current = list(PAGE_CLASSES)[max(self.nav.currentRow(), 0)]
        for key, page in self.pages.items():
            if page is None:
                continue
            for form in page.findChildren(QDialog):
                if form.isVisible():
                    flags = form.windowFlags()
                    form.setParent(self, flags)
                    form.show()
            try:
                self.ctx.hub.changed.disconnect(page._on_changed)
            except (RuntimeError, TypeError):
                pass
            page.hide()
            page.deleteLater()  # still parented: deleted by Qt, on this thread
            self.pages[key] = None
        self.go(current)

    def replace_register(self, reg: Register) -> None:
        """Carry on with ``reg`` (the register just restored), same window, same user."""
        self.reg = reg
        self.ctx.reg = reg
        self.locker.reg = reg
        self.rebuild_pages()
        self._refresh_settings("stronghold")
        self._sync_status()

    # --- locking -------------------------------------------------------------------

    def _show_lock(self, locked: bool) -> None:
        self.central.setCurrentWidget(self.lock_page if locked else self._work)
        for act in self.actions_:
            act.setEnabled(not locked)
        self.act_lock.setEnabled(not locked)
        self.statusBar().setVisible(not locked)
        if locked:
            self.idle.pause()

    def lock(self) -> None:
        self.locker.lock()

    @property
    def locked(self) -> bool:
        return self.locker.is_locked

    # --- closing -------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        remove_language_listener(self._language_listener)
        self.auto_sync.stop()
        self.settings.geometry = bytes(self.saveGeometry().data())
        self.settings.sync()
        self.idle.stop()
        lock_hooks.unregister_lock(self.lock)
        event.accept()
