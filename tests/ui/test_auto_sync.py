"""Automatic sync in the window: against a real HQ on 127.0.0.1, as an inspector sees it in
the status bar. HQ out of reach costs nothing and is retried later; a revoked computer
stops trying and says so; a computer not enrolled waits quietly."""

from __future__ import annotations

import pytest

from app.hq import admin
from app.hq.server import create_app
from app.services.persons import persons
from app.sync import device, service
from tests.hq.conftest import LiveServer
from tests.sync.world import World, build_template, copy_world
from tests.ui.conftest import main_window, wait_idle


@pytest.fixture(scope="module")
def world_template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("ui-auto-sync") / "world")


@pytest.fixture
def live(world_template, tmp_path):
    w = World.open(copy_world(world_template, tmp_path / "world"))
    with LiveServer(create_app(hq=w.hq)) as server:
        yield w, server
    w.close()


@pytest.fixture
def auto_window(qtbot, live, ui_settings):
    world, server = live
    ui_settings.hq_url = server.url
    with main_window(qtbot, world["a1"], ui_settings, closing_ms=30_000) as w:
        yield w


def _hq_person_changes(world) -> int:
    with world.hq.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM hq_change WHERE tbl = 'person'").scalar()


def _try_now(qtbot, window, state: str) -> None:
    """Don't wait for the timer: one attempt now, as the timer would make it."""
    auto = window.auto_sync
    auto.attempt()
    qtbot.waitUntil(lambda: not auto._running, timeout=30_000)
    wait_idle(qtbot, timeout=30_000)
    assert auto.state == state, auto.message


def test_changes_go_to_hq_by_themselves_and_a_dropped_hq_is_retried(
    qtbot, auto_window, live, ui_settings, seams_rec
):
    world, server = live
    a1 = world["a1"]
    auto = auto_window.auto_sync
    assert auto.state == "waiting" and auto.timer.isActive()  # armed, first try after login
    before = _hq_person_changes(world)
    persons.create(a1, surname="Avtomatov", given_name="Sardor", birth_date="02.03.1990", sex="m")
    _try_now(qtbot, auto_window, "ok")
    assert _hq_person_changes(world) == before + 1
    assert service.status(a1).pending == 0
    indicator = auto_window.status_auto_sync
    assert indicator.isVisible() and indicator.text().startswith("Synced with HQ at ")
    qtbot.waitUntil(
        lambda: "Not yet sent to HQ: 0" in auto_window.status_sync.text(), timeout=10_000
    )
    assert auto.timer.isActive() and auto.timer.interval() == 15 * 60 * 1000

    # HQ out of reach: nothing is lost, the indicator says when the next try is, and the
    # wait grows; no dialog interrupts the work.
    ui_settings.hq_url = "http://127.0.0.1:9"
    persons.create(a1, surname="Kutuvchi", given_name="Olim", birth_date="05.06.1985", sex="m")
    _try_now(qtbot, auto_window, "retry")
    assert indicator.text().startswith("HQ not reached; next try at ")
    assert "headquarters" in indicator.toolTip().lower()
    assert service.status(a1).pending == 1
    assert auto.schedule.failures == 1 and 0 < auto.timer.interval() < 15 * 60 * 1000
    assert seams_rec.errors == []

    # HQ back (a new address typed on the Sync screen): the waiting change goes, once.
    page = auto_window.go("sync")
    wait_idle(qtbot)
    page.url.setText(server.url)
    page.url.editingFinished.emit()
    qtbot.waitUntil(lambda: auto.state == "ok", timeout=30_000)
    wait_idle(qtbot, timeout=30_000)
    assert service.status(a1).pending == 0
    assert _hq_person_changes(world) == before + 2
    assert auto.schedule.failures == 0


def test_a_background_sync_with_nothing_to_send_shows_on_the_sync_screen(qtbot, auto_window, live):
    """The screen open on "Sync" showed "Last sync: never" and no row for a background
    sync that sent and received nothing new, while the status bar said "Synced"."""
    _try_now(qtbot, auto_window, "ok")  # what waited since the world was made goes
    page = auto_window.go("sync")
    wait_idle(qtbot)
    rows = len(page.history.source.rows)
    _try_now(qtbot, auto_window, "ok")  # nothing new either way
    qtbot.waitUntil(lambda: len(page.history.source.rows) > rows, timeout=10_000)
    assert page.history.source.rows[0].direction in ("in", "out")
    st = service.status(live[0]["a1"])
    assert page.last_sync_label.text() != "never" and st.last_sync_at is not None


def test_a_failed_sync_now_is_said_in_the_status_bar_too(qtbot, auto_window, live, seams_rec):
    """ "Synced with HQ at 08:09" must not stay after "Sync now" found HQ gone."""
    _try_now(qtbot, auto_window, "ok")
    indicator = auto_window.status_auto_sync
    assert indicator.text().startswith("Synced with HQ at ")
    page = auto_window.go("sync")
    wait_idle(qtbot)
    page.url.setText("http://127.0.0.1:9")  # nothing answers there
    with qtbot.waitSignal(page.finished, timeout=30_000):
        page.sync_button.click()
    wait_idle(qtbot)
    assert len(seams_rec.errors) == 1  # the Sync screen's own dialog, once
    # The report box says what went wrong; the red line under the status does not repeat it.
    qtbot.waitUntil(lambda: page.error_label.text() != "", timeout=10_000)
    assert page.error_label.text() == page.report.toPlainText()
    assert not page.error_label.isVisible()
    assert auto_window.auto_sync.state == "retry"
    assert indicator.text().startswith("HQ not reached; next try at ")
    # The history does not show the bundle HQ never answered as gone.
    qtbot.waitUntil(lambda: bool(page.history.source.rows), timeout=10_000)
    newest = page.history.source.rows[0]
    assert newest.direction == "out" and "not confirmed by HQ" in page._summary_text(newest)


def test_a_background_failure_after_sync_now_is_not_shown_under_a_full_bar(
    qtbot, auto_window, live, ui_settings
):
    world, server = live
    page = auto_window.go("sync")
    wait_idle(qtbot)
    page.url.setText(server.url)
    with qtbot.waitSignal(page.finished, timeout=30_000):
        page.sync_button.click()
    wait_idle(qtbot)
    assert page.progress.isVisible() and page.progress.value() == page.progress.maximum()
    ui_settings.hq_url = "http://127.0.0.1:9"  # then HQ goes out of reach
    _try_now(qtbot, auto_window, "retry")
    qtbot.waitUntil(lambda: page.error_label.isVisible(), timeout=10_000)
    assert not page.progress.isVisible()  # the red line alone says how the last try went


def test_a_revoked_computer_stops_trying_and_says_where_to_look(qtbot, auto_window, live):
    world, _server = live
    admin.revoke_device(world.hq, device.state_of(world["a1"]).device_id)
    _try_now(qtbot, auto_window, "stopped")
    auto = auto_window.auto_sync
    assert not auto.timer.isActive()
    assert auto_window.status_auto_sync.text() == "Automatic sync stopped: open Sync"
    assert "revoked" in auto_window.status_auto_sync.toolTip().lower()
    auto_window.status_auto_sync.click()
    assert auto_window.current_page().key == "sync"
    # The Sync screen says why across its width, whole (it was cut off in a narrow box).
    page = auto_window.current_page()
    qtbot.waitUntil(lambda: page.error_label.isVisible(), timeout=10_000)
    label = page.error_label
    assert "revoked" in label.text() and label.width() > page.width() // 2
    assert label.heightForWidth(label.width()) <= label.height()


def test_interval_zero_in_settings_switches_it_off(qtbot, auto_window, ui_settings):
    page = auto_window.go("settings")
    wait_idle(qtbot)
    box = page.sync_box
    assert box.minutes.value() == 15
    box.minutes.setValue(0)
    assert box.minutes.text() == "never (only by hand)"
    box.save()
    auto = auto_window.auto_sync
    assert auto.state == "off" and not auto.timer.isActive()
    assert not auto_window.status_auto_sync.isVisible()
    assert ui_settings.sync_interval_minutes == 0
    box.minutes.setValue(5)
    box.save()
    assert auto.timer.isActive() and auto.schedule.interval == 300


def test_a_computer_not_enrolled_waits_quietly(qtbot, window, seams_rec):
    auto = window.auto_sync
    _try_now(qtbot, window, "waiting")
    assert not auto.timer.isActive()
    assert not window.status_auto_sync.isVisible()
    assert seams_rec.errors == []
