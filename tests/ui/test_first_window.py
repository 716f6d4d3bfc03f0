"""Issue 2 item 7: unlock a demo register and see its persons; the card opens read-only."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.services.queries import count_persons
from tests.ui.conftest import LOGIN, PASSWORD, wait_idle
from ui.main_window import MainWindow
from ui.unlock import UnlockDialog


def test_unlock_then_persons_in_the_table(qtbot, data_dir, ui_settings):
    dialog = UnlockDialog(data_dir, last_login=LOGIN)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.login() == LOGIN
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.register is not None, timeout=10_000)
    reg = dialog.register
    try:
        window = MainWindow(reg, ui_settings)
        qtbot.addWidget(window)
        window.show()
        window.go("persons")
        page = window.persons
        qtbot.waitUntil(lambda: page.model.total > 0, timeout=10_000)
        assert page.model.total == count_persons(reg) == 300
        # Only a page was fetched, not every row.
        assert page.model.cached_rows() <= page.model.page_size
        first = page.model.index(0, 0).data()
        assert first and first != "…"
        # The card follows the selection.
        qtbot.waitUntil(lambda: page.card.card is not None, timeout=10_000)
        assert page.card.name.text() == page.model.row_at(0).full_name
        window.close()
        wait_idle(qtbot)
    finally:
        reg.close()


def test_wrong_password_is_said_in_the_dialog(qtbot, data_dir):
    dialog = UnlockDialog(data_dir, last_login=LOGIN)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.password, "not-the-password")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.unlock_button.isEnabled(), timeout=10_000)
    assert dialog.register is None
    assert "password" in dialog.message.text().lower()
    assert dialog.isVisible()


def test_the_system_asking_to_end_closes_like_quit(tmp_path):
    """SIGTERM (a log-out, a shutdown, `kill`) ends the event loop as Quit does, so
    ui.app.run closes the register and its session ends cleanly (no 'last session did
    not end' at the next start). In a process of its own: quitting ends its application."""
    import os
    import subprocess
    import sys

    script = tmp_path / "term.py"
    script.write_text(
        "import os, signal, sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from ui import app as ui_app\n"
        "qt = QApplication([])\n"
        "ui_app.quit_on_terminate(qt)\n"
        "QTimer.singleShot(200, lambda: os.kill(os.getpid(), signal.SIGTERM))\n"
        "QTimer.singleShot(20_000, lambda: qt.exit(99))  # only if SIGTERM did nothing\n"
        "code = qt.exec()\n"
        "print('ended', code)\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": root}
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=60,
    )
    assert out.returncode == 0 and "ended 0" in out.stdout, (out.stdout, out.stderr)
