"""Entry point of the window: ``run(data_dir, lang)`` (called by ``tayanch gui``/``make run``).

Order matters: logging and the excepthook first (so even a failure while building the
window is caught), then the language (every widget translates its strings as it is built),
then the unlock dialog (or, on a computer without a register, the dialog that makes one),
then the main window.

The dialog comes up before the model is loaded: SQLModel, the table classes and the
screens take about a second to import, and ``Preloader`` imports them on a thread while
the user types the password, so the window follows the Unlock button without that wait.
"""

from __future__ import annotations

import importlib
import logging
import logging.handlers
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLibraryInfo, QLocale, QTimer, QTranslator
from PySide6.QtWidgets import QApplication, QDialog

from app.i18n import DEFAULT_LANGUAGE, normalize_language, set_language
from app.paths import log_dir, register_exists
from ui import errors, ops, style
from ui.settings import UiSettings
from ui.unlock import UnlockDialog

if TYPE_CHECKING:
    from app.db.register import Register
    from ui.main_window import MainWindow

log = logging.getLogger(__name__)

#: What opening the register and the first screen need, heaviest first.
PRELOAD = ("app.db.register", "app.services.today", "ui.main_window", "app.sync.service")


class Preloader:
    """Imports ``PRELOAD`` on a thread while the unlock dialog waits for the password.

    Only imports: no widget and no database work happens there. ``wait()`` is called
    before the register opens, so nothing imports those modules from two threads at once.
    """

    def __init__(self, modules: tuple[str, ...] = PRELOAD) -> None:
        self.modules = modules
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tayanch-preload", daemon=True)

    def start(self) -> Preloader:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            for name in self.modules:
                importlib.import_module(name)
        except Exception:  # the import fails again, where it is reported, when used
            log.exception("preloading failed")
        finally:
            self.done.set()

    def wait(self, timeout: float | None = 60) -> bool:
        return self.done.wait(timeout)


QT_LOCALES = {"ru": "ru", "en": "en", "uz-Latn": "uz", "uz-Cyrl": "ru"}


def setup_logging() -> None:
    """A rotating file in the user log folder, unless logging is already configured."""
    root = logging.getLogger()
    if any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        return
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            folder / "tayanch.log", maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    for name in ("sqlalchemy.engine", "sqlalchemy.pool"):
        logging.getLogger(name).setLevel(logging.WARNING)


def application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    app.setApplicationName("Tayanch")
    app.setOrganizationName("Tayanch")
    return app


def choose_language(lang: str | None, settings: UiSettings) -> str:
    for candidate in (lang, settings.language):
        if candidate:
            try:
                return normalize_language(candidate)
            except ValueError:
                log.warning("unknown language %r ignored", candidate)
    return DEFAULT_LANGUAGE


_qt_translator: QTranslator | None = None


def install_qt_translations(app: QApplication, lang: str) -> bool:
    """Qt's own strings (standard dialogs' buttons) in the chosen language, where Qt has it.

    Called again when the language changes at run time: the previous catalog is removed
    first, so the standard dialogs follow the window. True when a catalog was loaded.
    """
    global _qt_translator
    try:
        from app.i18n import qt_translation_name

        locale = qt_translation_name(lang) or "en"
    except (ImportError, ValueError):
        locale = QT_LOCALES.get(lang, "en")
    QLocale.setDefault(QLocale(QT_LOCALES.get(lang, locale)))
    if _qt_translator is not None:
        app.removeTranslator(_qt_translator)
        _qt_translator = None
    translator = QTranslator(app)
    path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(f"qtbase_{locale}", path):
        app.installTranslator(translator)
        _qt_translator = translator
        return True
    return False


def quit_on_terminate(app: QApplication) -> QTimer:
    """End like Quit when the system asks (SIGTERM: a log-out, a shutdown, ``kill``): the
    event loop returns and the register closes its session, so the next start does not
    take it for a crash. Python runs a signal handler only between its own steps, so a
    timer wakes it while Qt waits; the timer is returned (it lives as long as the app)."""

    def terminate(_signum: int, _frame: object) -> None:
        log.info("asked to end (SIGTERM); closing the register")
        app.quit()

    signal.signal(signal.SIGTERM, terminate)
    wake = QTimer(app)
    wake.timeout.connect(lambda: None)
    wake.start(300)
    return wake


def open_window(reg: Register, settings: UiSettings) -> MainWindow:
    from ui.main_window import MainWindow

    window = MainWindow(reg, settings)
    window.show()
    return window


def run(data_dir: Path, lang: str | None = None) -> int:
    """Show the unlock dialog for the register in ``data_dir``, then the main window."""
    setup_logging()
    app = application()
    errors.install()
    from ui.collector import MainThreadCollector

    collector = MainThreadCollector(app)  # cycles holding widgets die on the UI thread only
    quit_on_terminate(app)
    settings = UiSettings()
    language = choose_language(lang, settings)
    set_language(language)
    install_qt_translations(app, language)
    style.apply(app)
    data_dir = Path(data_dir)
    if register_exists(data_dir):
        preload = Preloader().start()
        dialog = UnlockDialog(data_dir, last_login=settings.last_login, before_open=preload.wait)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.register is None:
            return 0
        reg = dialog.register
    else:
        # The first start on this computer: the register is made here (ui/first_run.py).
        # No preloading: the form needs the model at once (and one thread imports it).
        from ui import first_run

        def switch(lang: str) -> None:
            set_language(lang)
            install_qt_translations(app, lang)
            settings.language = lang

        made = first_run.create_register(data_dir, on_language=switch)
        if made is None:
            return 0
        reg = made
    settings.last_login = reg.user.login
    window = open_window(reg, settings)
    try:
        code = app.exec()
    finally:
        ops.wait_all()
        window.deleteLater()
        window.reg.close()  # a restore in the window replaces the register it started with
        collector.stop()
    return code
