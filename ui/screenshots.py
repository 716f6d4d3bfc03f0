"""Render every main screen of a demo register at 1366x768: ``python -m ui.screenshots OUT``.

Used by ``make screenshots`` for docs/screenshots/ and the README, and by whoever changes a
screen, to look at it before calling it done. Runs offscreen (no display needed). The demo
register is made in a temporary folder and thrown away; nothing real is ever shown.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from app.db.register import Register, StrongholdInfo  # noqa: E402
from app.i18n import LANGUAGES, set_language  # noqa: E402
from app.services import demo  # noqa: E402
from ui import errors, ops, seams, style  # noqa: E402
from ui.settings import UiSettings  # noqa: E402

SIZE = (1366, 768)
PASSWORD = "demo"
FAST_KDF = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}


def settle(app: QApplication, seconds: float = 0.3) -> None:
    """Let background work finish and the widgets repaint."""
    ops.process_until_idle(20)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    ops.process_until_idle(20)


def save(widget: QWidget, path: Path) -> None:
    widget.grab().save(str(path))
    print(f"wrote {path}")


def first_run_shots(app: QApplication, folder: Path, out: Path) -> None:
    """The first start on a computer without a register: the form, then the key."""
    from ui.first_run import CreateRegisterDialog, RecoveryKeyDialog

    form = CreateRegisterDialog(folder)
    typed = {
        "code": "TP-0123",
        "name": demo.DEMO_STRONGHOLD["name"],
        "region": demo.DEMO_STRONGHOLD["region"],
        "district": demo.DEMO_STRONGHOLD["district"],
        "makhalla": demo.DEMO_STRONGHOLD["makhalla"],
        "login": "aziza",
        "full_name": "Aziza Karimova",
    }
    for name, value in typed.items():
        form.fields[name].set(value)
    form.show()
    settle(app)
    save(form, out / "00-first-start.png")
    form._closing = True
    form.close()
    key = RecoveryKeyDialog(
        "Q7RXM-2KD4P-LZ6WA-N3TYB-5HCUE-VJ2QF-M7KSD-R4XGA",
        StrongholdInfo("TP-0123", demo.DEMO_STRONGHOLD["name"]),
    )
    key.show()
    settle(app)
    save(key, out / "00-recovery-key.png")
    key.kept.setChecked(True)
    key.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--lang", choices=LANGUAGES, default="uz-Latn")
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--households", type=int, default=1500)
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="tayanch-shots-"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "qs"))
    errors.DIALOGS = False
    seams.show_info = lambda *_a, **_k: None
    set_language(args.lang)
    from ui.app import install_qt_translations

    install_qt_translations(app, args.lang)  # Qt's own dialogs and menus in that language too
    style.apply(app)

    folder = tmp / "register"
    first_run_shots(app, folder, out)
    reg, _recovery = Register.create(
        folder,
        StrongholdInfo(**demo.DEMO_STRONGHOLD),
        login="demo",
        full_name="Aziza Karimova",
        position="Profilaktika inspektori yordamchisi",
        password=PASSWORD,
        kdf=FAST_KDF,
    )
    demo.generate(reg, persons=args.persons, households=args.households, seed=1)
    reg.close()

    from ui.main_window import MainWindow
    from ui.unlock import UnlockDialog

    dialog = UnlockDialog(folder, last_login="demo", stronghold=demo.DEMO_STRONGHOLD["name"])
    dialog.show()
    dialog.password.setText("********")
    settle(app)
    save(dialog, out / "01-unlock.png")
    dialog.password.setText(PASSWORD)
    dialog.unlock()
    ops.process_until_idle(30)
    reg = dialog.register
    dialog.close()
    assert reg is not None, "the demo register did not open"

    window = MainWindow(reg, UiSettings())
    window.resize(*SIZE)
    window.show()
    settle(app, 0.5)
    save(window, out / "02-today.png")

    window.go("persons")
    settle(app, 0.5)
    window.persons.on_register.setChecked(True)  # a supervised person fills every tab
    settle(app, 0.5)
    table = window.persons.table
    table.selectRow(3)
    settle(app, 0.4)
    card = window.persons.card
    card.tabs.setCurrentIndex(1)
    settle(app)
    save(window, out / "03-persons.png")

    window.persons.on_register.setChecked(False)
    window.persons.set_text_filter("Qodir")
    settle(app, 0.5)
    save(window, out / "04-persons-search.png")
    window.persons.clear_filters()
    settle(app, 0.4)

    if card.card is not None:
        from ui.persons.form import PersonForm

        form = PersonForm(window, reg, card.card.person)
        form.open()
        form.fields["pinfl"].widget.setText("31503199012345")
        form.fields["pinfl"].touched = True
        form.revalidate()
        settle(app)
        save(form, out / "05-person-form.png")
        form._closing = True
        form.close()

    window.go("households")
    settle(app, 0.5)
    save(window, out / "06-households.png")

    from ui import actions

    visit = actions.record_visit(
        window.ctx,
        window,
        household_id=window.households.view.detail.household.id
        if window.households.view.detail
        else None,
    )
    settle(app, 0.5)
    visit.fields["findings"].widget.setPlainText("Oila aʼzolari uyda. Shikoyat yoʻq.")
    visit.met.set_checked(
        set(visit.met.checked_ids())
        | ({visit.met.item(0).data(Qt.ItemDataRole.UserRole)} if visit.met.count() else set())
    )
    settle(app)
    save(visit, out / "07-record-visit.png")
    visit._closing = True
    visit.close()

    window.go("disputes")
    settle(app, 0.5)
    save(window, out / "08-disputes.png")
    window.go("orders")
    settle(app, 0.5)
    save(window, out / "09-orders.png")
    window.go("statistics")
    settle(app, 0.8)
    save(window, out / "10-statistics.png")
    window.go("settings")
    settle(app, 0.5)
    save(window, out / "11-settings.png")
    settings_page = window.settings_page
    if settings_page.backups_box is not None:
        from PySide6.QtWidgets import QScrollArea

        settings_page.findChild(QScrollArea).ensureWidgetVisible(settings_page.backups_box)
        settle(app, 0.3)
        save(window, out / "17-settings-backups.png")
    window.go("sync")
    settle(app, 0.5)
    save(window, out / "13-sync.png")
    window.go("audit")
    settle(app, 0.5)
    save(window, out / "14-audit.png")

    window.go("persons")
    settle(app, 0.4)
    if card.card is not None:
        from ui import printing
        from ui.registers.forms import OffenceForm

        offence = OffenceForm(window, reg, card.card.person.id)
        offence.open()
        offence.fields["article"].widget.setText("183")
        offence.fields["substance"].widget.setPlainText("Jamoat joyida janjal qildi.")
        settle(app)
        save(offence, out / "15-offence-form.png")
        offence._closing = True
        offence.close()

        # The card of a person under supervision, with check-ins to show.
        with window.ctx.reg.engine.connect() as conn:
            supervised = conn.exec_driver_sql(
                "SELECT person_id FROM check_in GROUP BY person_id ORDER BY count(*) DESC, "
                "person_id LIMIT 1"
            ).scalar()
        printing.print_record(
            window.ctx,
            window.persons,
            "supervision-card",
            uuid.UUID(str(supervised)) if supervised else card.card.person.id,
        )
        settle(app, 1.0)
        preview = next(
            (d for d in window.findChildren(printing.PreviewDialog) if d.isVisible()), None
        )
        if preview is not None:
            preview.resize(760, 768)
            settle(app, 0.5)
            save(preview, out / "16-print-preview.png")
            preview.close()
    window.lock()
    settle(app)
    save(window, out / "12-locked.png")

    window.close()
    ops.wait_all()
    reg.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
