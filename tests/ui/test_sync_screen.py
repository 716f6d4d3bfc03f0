"""The Sync screen, driven as a user would: export to a stick, import HQ's reply, conflicts.

Uses the sync tests' small world (HQ and enrolled registers, real files) copied per test.
"""

from __future__ import annotations

import re

import pytest

from app.hq import ingest
from app.services.persons import persons
from app.sync import conflicts, service
from tests.sync.world import World, build_template, copy_world
from tests.ui.conftest import main_window, wait_idle


@pytest.fixture(scope="module")
def world_template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("ui-sync-world") / "world")


@pytest.fixture
def world(world_template, tmp_path):
    w = World.open(copy_world(world_template, tmp_path / "world"))
    yield w
    w.close()


@pytest.fixture
def sync_window(qtbot, world, ui_settings):
    with main_window(qtbot, world["a1"], ui_settings) as w:
        yield w


def _person(reg, notes="Birinchi"):
    return persons.create(
        reg, surname="Sinovov", given_name="Jasur", birth_date="03.04.1991", sex="m", notes=notes
    )


def test_stick_round_trip_reports_what_went_and_came(
    qtbot, sync_window, world, tmp_path, seams_rec
):
    a1 = world["a1"]
    _person(a1)
    page = sync_window.go("sync")
    qtbot.waitUntil(lambda: page.pending_label.text() == "1", timeout=10_000)
    qtbot.waitUntil(
        lambda: "Not yet sent to HQ: 1" in sync_window.status_sync.text(), timeout=10_000
    )

    assert not page.progress.isVisible()  # no empty bar that looks like a field to fill
    stick = tmp_path / "stick"
    stick.mkdir()
    seams_rec.folder = stick
    pending = page.pending_label.text()
    with qtbot.waitSignal(page.finished, timeout=20_000):
        page.export_button.click()
    assert page.progress.isVisible()
    [bundle] = list(stick.glob("*.sync"))
    # Counted as "Not yet sent to HQ" counted it; not "sent": it is on a stick.
    assert f"The bundle carries {pending} change" in page.report.toPlainText()
    assert int(pending) >= 1 and "Sent" not in page.report.toPlainText()
    assert str(bundle) in page.report.toPlainText()
    assert seams_rec.errors == []
    # The history says what the report said went (not with the audit entries).
    rows = page.history.source
    qtbot.waitUntil(lambda: rows.rows and rows.rows[0].direction == "out", timeout=10_000)
    assert page._summary_text(rows.rows[0]) == f"changes: {pending}"

    # The district office imports the stick and hands back the reply file.
    reply = stick / "reply.sync"
    reply.write_bytes(ingest.ingest(world.hq, bundle.read_bytes()).reply)
    seams_rec.open_path = reply
    with qtbot.waitSignal(page.finished, timeout=20_000):
        page.import_button.click()
    assert re.search(r"Headquarters confirmed [1-9]\d* change", page.report.toPlainText())
    qtbot.waitUntil(lambda: page.pending_label.text() == "0", timeout=10_000)
    qtbot.waitUntil(
        lambda: "Not yet sent to HQ: 0" in sync_window.status_sync.text(), timeout=10_000
    )
    directions = [b.direction for b in page.history.source.rows[:2]]
    assert directions == ["in", "out"]
    # The reply's row says what HQ took, in the numbers the export's row gave.
    assert f"confirmed by HQ: {pending}" in page._summary_text(page.history.source.rows[0])
    assert page.progress.value() == page.progress.maximum()

    # The same reply again changes nothing and says so.
    with qtbot.waitSignal(page.finished, timeout=20_000):
        page.import_button.click()
    assert "already applied" in page.report.toPlainText()


def test_bad_reply_file_and_missing_address_are_refused_with_a_sentence(
    qtbot, sync_window, world, tmp_path, seams_rec
):
    a1 = world["a1"]
    _person(a1)
    page = sync_window.go("sync")
    qtbot.waitUntil(lambda: page.pending_label.text() == "1", timeout=10_000)
    junk = tmp_path / "junk.sync"
    junk.write_bytes(b"not a bundle at all")
    seams_rec.open_path = junk
    with qtbot.waitSignal(page.finished, timeout=20_000):
        page.import_button.click()
    assert len(seams_rec.errors) == 1 and seams_rec.errors[0] == page.report.toPlainText()
    assert service.status(a1).pending == 1  # nothing changed
    # No empty bar nor a Cancel with nothing to cancel left behind.
    assert not page.progress.isVisible() and not page.cancel_button.isVisible()

    page.url.setText("")
    with qtbot.waitSignal(page.finished, timeout=20_000):
        page.sync_button.click()
    assert len(seams_rec.errors) == 2
    assert page.export_button.isEnabled() and not page.cancel_button.isEnabled()


def test_conflict_shows_both_values_and_keep_mine_settles_it(qtbot, sync_window, world):
    a1, a2 = world["a1"], world["a2"]
    p = _person(a1)
    world.settle()
    persons.update(a1, p.id, notes="Mening yozuvim")
    persons.update(a2, p.id, notes="Ularning yozuvi")
    world.settle()
    assert persons.get(a1, p.id).notes == "Ularning yozuvi"  # the later edit won

    page = sync_window.go("sync")
    page.reload()
    qtbot.waitUntil(lambda: len(page.conflicts.source.rows) == 1, timeout=10_000)
    model = page.conflicts.model()
    cells = [model.index(0, c).data() for c in range(model.columnCount())]
    assert "Mening yozuvim" in cells and "Ularning yozuvi" in cells
    # The record kind and the field as the forms name them, not the database's names.
    assert cells[:2] == ["person", "Notes"]
    assert "conflicts to review: 1" in sync_window.status_sync.text()

    page.conflicts.selectRow(0)
    assert page.keep_mine.isEnabled() and page.keep_theirs.isEnabled()
    page.keep_mine.click()
    qtbot.waitUntil(lambda: page.conflicts.source.rows == [], timeout=10_000)
    assert not page.keep_mine.isEnabled() and not page.keep_theirs.isEnabled()  # none left
    assert page.conflict_list.currentWidget() is page.conflict_list.empty
    assert persons.get(a1, p.id).notes == "Mening yozuvim"
    assert conflicts.list_open(a1) == []
    qtbot.waitUntil(lambda: "conflicts" not in sync_window.status_sync.text(), timeout=10_000)


def test_enrol_with_key_file_then_first_stick_round_completes_it(
    qtbot, window, reg, tmp_path, seams_rec
):
    """A new computer: type the code, pick HQ's key file, export, bring back the reply."""
    import json

    from app.hq import admin
    from app.services import demo

    hq = admin.init_hq(tmp_path / "hq", name="Sinov tuman IIB")
    try:
        info = demo.DEMO_STRONGHOLD
        admin.add_stronghold(
            hq,
            info["code"],
            name=info["name"],
            region=info["region"],
            district=info["district"],
            makhalla=info["makhalla"],
        )
        key_file = tmp_path / "hq-key.json"
        key_file.write_text(json.dumps(hq.public_key().to_json()), "utf-8")
        code = admin.new_enrolment_code(hq, info["code"])

        page = window.go("sync")
        qtbot.waitUntil(lambda: page.enrol_button.isVisible(), timeout=10_000)
        assert page.state_label.text() == "not enrolled at headquarters"

        # Cancelling the code prompt changes nothing.
        page.enrol_button.click()
        wait_idle(qtbot)
        assert service.status(reg).state == "not_enrolled"

        seams_rec.texts = [code]
        seams_rec.open_path = key_file
        widths = _top_widths(page)
        page.enrol_button.click()
        qtbot.waitUntil(
            lambda: (
                service.status(reg).state == "pending"
                and page.enrol_button.text() == "Enrol again…"
            ),
            timeout=10_000,
        )
        assert page.enrol_button.isVisible()  # a mistyped code can still be replaced
        assert any("Enrolment started" in t for t in seams_rec.infos)
        # The report box says so too, not "Nothing sent or received yet".
        assert "Enrolment started" in page.report.toPlainText()
        assert _top_widths(page) == widths  # nothing moved with the longer status

        stick = tmp_path / "stick"
        stick.mkdir()
        seams_rec.folder = stick
        with qtbot.waitSignal(page.finished, timeout=30_000):
            page.export_button.click()
        [bundle] = list(stick.glob("*.sync"))
        reply = stick / "reply.sync"
        reply.write_bytes(ingest.ingest(hq, bundle.read_bytes()).reply)
        seams_rec.open_path = reply
        with qtbot.waitSignal(page.finished, timeout=30_000):
            page.import_button.click()
        assert "now enrolled" in page.report.toPlainText()
        qtbot.waitUntil(lambda: page.state_label.text() == "enrolled", timeout=10_000)
        assert not page.enrol_button.isVisible()
        assert _top_widths(page) == widths  # nor with the button gone
        assert seams_rec.errors == []
    finally:
        hq.close()


def test_export_to_stick_names_the_computer_and_keeps_other_bundles(
    qtbot, sync_window, world, tmp_path, seams_rec, monkeypatch
):
    """The window names its bundle as the command does (one function): the computer's
    number at HQ and the second; a second bundle in the same second gets -2."""
    from datetime import datetime

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 3, 14, 9, 26, 53)

    monkeypatch.setattr("app.sync.stick.datetime", Frozen)
    page = sync_window.go("sync")
    stick = tmp_path / "stick"
    stick.mkdir()
    seams_rec.folder = stick
    for _ in range(2):
        _person(world["a1"])
        with qtbot.waitSignal(page.finished, timeout=20_000):
            page.export_button.click()
    assert seams_rec.errors == []
    assert sorted(p.name for p in stick.glob("*.sync")) == [
        "tayanch-TP-0101-K1-20260314-092653-2.sync",
        "tayanch-TP-0101-K1-20260314-092653.sync",
    ]
    assert service.default_bundle_name(world["a1"]).startswith("tayanch-TP-0101-K1-")


def test_a_refused_write_names_the_users_folder_not_a_temporary_file():
    import errno

    from ui import ops

    for code, words in ((errno.EROFS, "read-only"), (errno.ENOSPC, "free space")):
        text = ops.disk_message(OSError(code, "x", "/media/stick/.tayanch-k2j4h1"))
        assert "/media/stick" in text and ".tayanch-" not in text and words in text, text


def _top_widths(page) -> tuple[int, int]:
    """The widths of the two boxes at the top: "This computer" and "Send and receive"."""
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    return page.enrol_button.parentWidget().width(), page.url.parentWidget().width()


def _hq_for_demo(folder):
    from app.hq import admin
    from app.services import demo

    hq = admin.init_hq(folder, name="Sinov tuman IIB")
    info = demo.DEMO_STRONGHOLD
    admin.add_stronghold(
        hq,
        info["code"],
        name=info["name"],
        region=info["region"],
        district=info["district"],
        makhalla=info["makhalla"],
    )
    return hq, admin.new_enrolment_code(hq, info["code"])


def test_a_mistyped_code_is_corrected_by_enrolling_again(qtbot, window, reg, tmp_path, seams_rec):
    """HQ alone can tell a typo in the code: its refusal leaves the computer not enrolled
    (not half-way), and the button to enrol stays, so the right code can be typed."""
    from app.hq.server import create_app
    from tests.hq.conftest import LiveServer

    hq, code = _hq_for_demo(tmp_path / "hq")
    try:
        with LiveServer(create_app(hq=hq)) as server:
            page = window.go("sync")
            qtbot.waitUntil(lambda: page.enrol_button.isVisible(), timeout=10_000)
            page.url.setText(server.url)
            # The random part mistyped, HQ's part right: only HQ can find the mistake.
            wrong = "AAAAA-AAAAA-AAAAA-" + code.split("-")[-1]
            seams_rec.texts = [wrong]
            page.enrol_button.click()
            qtbot.waitUntil(lambda: len(seams_rec.errors) == 1, timeout=20_000)
            assert "enrolment code is not valid" in seams_rec.errors[0]
            qtbot.waitUntil(
                lambda: page.state_label.text().startswith("not enrolled"), timeout=10_000
            )
            assert service.status(reg).state == "not_enrolled"
            assert page.enrol_button.isVisible()
            assert page.enrol_button.text() == "Enrol at headquarters…"

            seams_rec.texts = [code]
            page.enrol_button.click()
            qtbot.waitUntil(lambda: service.status(reg).state == "enrolled", timeout=20_000)
            qtbot.waitUntil(lambda: not page.enrol_button.isVisible(), timeout=10_000)
            assert any("now enrolled" in t for t in seams_rec.infos)

            _person(reg)
            with qtbot.waitSignal(page.finished, timeout=30_000) as blocker:
                page.sync_button.click()
            assert not isinstance(blocker.args[0], BaseException), blocker.args
            assert re.search(r"Sent: [1-9]\d* change", page.report.toPlainText())
            qtbot.waitUntil(lambda: page.pending_label.text() == "0", timeout=10_000)
            assert len(seams_rec.errors) == 1
    finally:
        hq.close()


def test_not_enrolled_is_said_before_the_folder_dialog_in_the_windows_words(
    qtbot, window, reg, tmp_path, seams_rec, monkeypatch
):
    from app.sync.errors import NotEnrolled
    from ui import seams

    asked: list[str] = []
    monkeypatch.setattr(seams, "ask_folder", lambda parent, caption, start: asked.append(caption))
    page = window.go("sync")
    qtbot.waitUntil(lambda: page.enrol_button.isVisible(), timeout=10_000)
    page.export_button.click()
    wait_idle(qtbot)
    assert asked == []  # no folder to pick for a bundle that cannot be made
    [text] = seams_rec.errors
    assert "“Enrol at headquarters…”" in text
    assert "tayanch" not in text.lower() and "--" not in text
    # The command line keeps its own sentence.
    assert "tayanch sync enroll" in NotEnrolled().message("en")

    # Sync now fails in the service: the same window sentence, and no bar left behind.
    page.url.setText("http://127.0.0.1:9")
    with qtbot.waitSignal(page.finished, timeout=20_000):
        page.sync_button.click()
    assert seams_rec.errors[1] == text == page.report.toPlainText()
    assert not page.progress.isVisible() and not page.cancel_button.isVisible()

    # Once enrolment starts, the report no longer says "not enrolled".
    import json

    hq, code = _hq_for_demo(tmp_path / "hq")
    try:
        key_file = tmp_path / "hq-key.json"
        key_file.write_text(json.dumps(hq.public_key().to_json()), "utf-8")
        page.url.setText("")
        seams_rec.texts = [code]
        seams_rec.open_path = key_file
        page.enrol_button.click()
        qtbot.waitUntil(lambda: service.status(reg).state == "pending", timeout=10_000)
        wait_idle(qtbot)
        # The refusal is gone from the report box, which says what happened instead.
        assert page.report.toPlainText().startswith("Enrolment started")
    finally:
        hq.close()


def test_an_empty_value_in_a_conflict_reads_empty_in_grey(qtbot, sync_window, world):
    from PySide6.QtCore import Qt

    from ui.style import MUTED

    a1, a2 = world["a1"], world["a2"]
    p = _person(a1)
    world.settle()
    persons.update(a1, p.id, notes="Mening yozuvim")
    persons.update(a2, p.id, notes="")
    world.settle()

    page = sync_window.go("sync")
    page.reload()
    qtbot.waitUntil(lambda: len(page.conflicts.source.rows) == 1, timeout=10_000)
    model = page.conflicts.model()
    cells = [model.index(0, c) for c in range(model.columnCount())]
    [empty] = [i for i in cells if i.data() == "(empty)"]
    [value] = [i for i in cells if i.data() == "Mening yozuvim"]
    assert empty.data(Qt.ItemDataRole.ForegroundRole).name() == MUTED
    assert value.data(Qt.ItemDataRole.ForegroundRole) is None


def test_the_top_boxes_keep_their_widths_as_the_state_changes(
    qtbot, window, reg, tmp_path, seams_rec
):
    """In Russian the pending state's sentence is long: it wraps instead of widening its box."""
    import json

    from tests.ui.conftest import switch_language

    hq, code = _hq_for_demo(tmp_path / "hq")
    try:
        key_file = tmp_path / "hq-key.json"
        key_file.write_text(json.dumps(hq.public_key().to_json()), "utf-8")
        switch_language(qtbot, window, "ru")
        window.resize(1024, 700)
        page = window.go("sync")
        qtbot.waitUntil(lambda: page.enrol_button.isVisible(), timeout=10_000)
        widths = _top_widths(page)
        seams_rec.texts = [code]
        seams_rec.open_path = key_file
        page.enrol_button.click()
        qtbot.waitUntil(lambda: service.status(reg).state == "pending", timeout=10_000)
        wait_idle(qtbot)
        qtbot.waitUntil(lambda: page.status is not None and page.status.state == "pending")
        assert _top_widths(page) == widths
    finally:
        hq.close()


def test_an_assistant_is_told_who_enrols_the_computer(qtbot, assistant_window, seams_rec):
    """The enrol button is an inspector's: an assistant is not told to press it."""
    page = assistant_window.go("sync")
    qtbot.waitUntil(lambda: page.status is not None, timeout=10_000)
    assert not page.enrol_button.isVisible()
    page.export_button.click()
    wait_idle(qtbot)
    [text] = seams_rec.errors
    assert "An inspector enrols it" in text and text == page.report.toPlainText()


def test_the_history_counts_what_came_as_the_report_did():
    """A reply's row counts the changes it brought, not those that were here already
    (the report's "Received"), and an export's row the changes it carried."""
    from types import SimpleNamespace

    from ui.sync.page import SyncPage

    came = SimpleNamespace(summary={"received": 5, "skipped": 2, "conflicts": 1})
    assert SyncPage._summary_text(came) == "received: 3, conflicts: 1"
    went = SimpleNamespace(summary={"changes": 4, "first": 1, "last": 9, "unconfirmed": True})
    assert SyncPage._summary_text(went) == "changes: 4, not confirmed by HQ"
