"""Fixtures for the window tests: offscreen Qt, a demo register per test, seams replaced.

A register costs about half a second to create (Argon2 and the demo data), so one is made
per session with a cheap key derivation and copied (the whole data folder) for each test.
QSettings are pointed at the test's temporary folder, the excepthook dialog is off (an
unexpected error fails the test through pytest-qt instead), and every modal question goes
to a recorder with scripted answers, since a real message box would wait forever.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gc  # noqa: E402
import shutil  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from app.db.register import Register, StrongholdInfo  # noqa: E402
from app.i18n import set_language  # noqa: E402
from app.services import demo  # noqa: E402
from ui import errors, ops, seams  # noqa: E402
from ui.settings import UiSettings  # noqa: E402

LOGIN = "demo"
PASSWORD = "demo-password"
FAST_KDF = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}


@dataclass
class SeamRecorder:
    """Scripted answers for ask_confirm and ask_choice; every message shown, in order."""

    answers: list[bool] = field(default_factory=list)
    choices: list[int | None] = field(default_factory=list)  # ask_choice: None cancels
    offered: list[list[str]] = field(default_factory=list)  # ask_choice's answers, as shown
    questions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)
    save_to: Path | None = None
    opened: list[Path] = field(default_factory=list)
    folder: Path | None = None
    open_path: Path | None = None
    print_to: Path | None = None  # the "printer": a PDF file; None cancels the dialog
    print_jobs: int = 0
    passwords: list[str] = field(default_factory=list)  # typed into password prompts
    texts: list[str] = field(default_factory=list)  # typed into one-line prompts

    def ask_confirm(self, parent, text, *, title=None) -> bool:
        self.questions.append(text)
        if not self.answers:
            raise AssertionError(f"unexpected question: {text}")
        return self.answers.pop(0)

    def ask_choice(self, parent, text, choices, *, title=None) -> int | None:
        self.questions.append(text)
        self.offered.append(list(choices))
        if not self.choices:
            raise AssertionError(f"unexpected question: {text}")
        return self.choices.pop(0)

    def show_error(self, parent, text) -> None:
        self.errors.append(text)

    def show_info(self, parent, text) -> None:
        self.infos.append(text)

    def ask_save_file(self, parent, caption, suggested, filters):
        return str(self.save_to) if self.save_to else None

    def open_file(self, path) -> None:
        self.opened.append(Path(path))

    def ask_print(self, parent, printer) -> bool:
        if self.print_to is None:
            return False
        from PySide6.QtPrintSupport import QPrinter

        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(self.print_to))
        self.print_jobs += 1
        return True

    def ask_password(self, parent, text):
        self.questions.append(text)
        return self.passwords.pop(0) if self.passwords else None

    def ask_text(self, parent, caption, text):
        self.questions.append(text)
        return self.texts.pop(0) if self.texts else None

    def ask_folder(self, parent, caption, start):
        return str(self.folder) if self.folder else None

    def ask_open_file(self, parent, caption, start, filters):
        return str(self.open_path) if self.open_path else None


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("template") / "register"
    reg, _recovery = Register.create(
        folder,
        StrongholdInfo(**demo.DEMO_STRONGHOLD),
        login=LOGIN,
        full_name="Demo Inspektor",
        password=PASSWORD,
        kdf=FAST_KDF,
    )
    try:
        demo.generate(reg, persons=300, households=100, seed=7)
        reg.checkpoint()
    finally:
        reg.close()
    return folder


@pytest.fixture
def data_dir(template_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "register"
    shutil.copytree(template_dir, target, ignore=shutil.ignore_patterns("*.lock"))
    return target


@pytest.fixture(autouse=True)
def qt_env(tmp_path: Path, monkeypatch) -> Iterator[SeamRecorder]:
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings")
    )
    monkeypatch.setattr(errors, "DIALOGS", False)
    rec = SeamRecorder()
    monkeypatch.setattr(seams, "ask_confirm", rec.ask_confirm)
    monkeypatch.setattr(seams, "ask_choice", rec.ask_choice)
    monkeypatch.setattr(seams, "show_error", rec.show_error)
    monkeypatch.setattr(seams, "show_info", rec.show_info)
    monkeypatch.setattr(seams, "ask_save_file", rec.ask_save_file)
    monkeypatch.setattr(seams, "open_file", rec.open_file)
    monkeypatch.setattr(seams, "ask_folder", rec.ask_folder)
    monkeypatch.setattr(seams, "ask_print", rec.ask_print)
    monkeypatch.setattr(seams, "ask_password", rec.ask_password)
    monkeypatch.setattr(seams, "ask_text", rec.ask_text)
    monkeypatch.setattr(seams, "ask_open_file", rec.ask_open_file)
    set_language("en")
    # Garbage cycles holding widgets must die on the UI thread, never on a worker of
    # ui/ops.py (see ui/collector.py): collection runs only here, between tests.
    gc.disable()
    yield rec
    ops.wait_all()
    gc.collect()
    gc.enable()


@pytest.fixture
def seams_rec(qt_env: SeamRecorder) -> SeamRecorder:
    return qt_env


@pytest.fixture
def reg(data_dir: Path, monkeypatch) -> Iterator[Register]:
    # The copy was made by this code at the current schema a moment ago; asking alembic
    # again costs 0.2 s a test (it reads every revision file) and tests nothing here.
    from app.db import migrate

    monkeypatch.setattr(migrate, "needs_upgrade", lambda engine: False)
    r = Register.open(data_dir, LOGIN, PASSWORD)
    yield r
    ops.wait_all()
    r.close()


@pytest.fixture
def ui_settings(qt_env) -> UiSettings:
    return UiSettings()


def activate(qtbot, widget) -> None:
    """Make ``widget``'s window the active one, as a click would: window shortcuts
    (Ctrl+S in a form) only reach the active window."""
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow, timeout=5_000)


def closed(widget) -> bool:
    """A form is gone once closed (it deletes itself); either way the user no longer sees it."""
    import shiboken6

    return not shiboken6.isValid(widget) or not widget.isVisible()


def find_open(window, cls):
    """The visible form of class ``cls`` opened from ``window``, or None."""
    return next((f for f in window.findChildren(cls) if f.isVisible()), None)


def switch_language(qtbot, window, lang: str) -> None:
    """As the Settings language list does; the window rebuilds its screens right after."""
    from ui.settings_page import apply_language

    apply_language(lang)
    qtbot.waitUntil(lambda: window._shown_language == lang, timeout=10_000)
    wait_idle(qtbot)


def wait_idle(qtbot, timeout: int = 10_000) -> None:
    """Until no background operation is pending and their results were delivered."""
    qtbot.waitUntil(lambda: not ops.busy(), timeout=timeout)


@contextmanager
def main_window(qtbot, reg: Register, ui_settings: UiSettings, *, closing_ms: int = 10_000):
    """The main window on ``reg``, shown with its first screen loaded; closed after."""
    from ui.main_window import MainWindow

    w = MainWindow(reg, ui_settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(w.today.loaded, timeout=10_000)
    wait_idle(qtbot)
    try:
        yield w
    finally:
        w.close()
        wait_idle(qtbot, timeout=closing_ms)


@pytest.fixture
def window(qtbot, reg: Register, ui_settings: UiSettings):
    from ui import style

    style.apply(qtbot_app())
    with main_window(qtbot, reg, ui_settings) as w:
        yield w


def qtbot_app():
    from PySide6.QtWidgets import QApplication

    return QApplication.instance()


@pytest.fixture
def assistant_window(qtbot, reg, data_dir, ui_settings):
    """The main window of an assistant (no user management, no audit) on the register."""
    from app.services import users

    users.add_user(
        reg, "nodira", full_name="Nodira Xolmatova", password="yaxshi-parol", role="assistant"
    )
    other = Register.open(data_dir, "nodira", "yaxshi-parol")
    with main_window(qtbot, other, ui_settings) as w:
        yield w
    other.close()
