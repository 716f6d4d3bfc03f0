"""Background sync as the window runs it: on a timer, backing off while HQ is away,
stopping for good (with a sentence) when the computer was revoked."""

from __future__ import annotations

import threading
import time

from app.hq import admin
from app.services.persons import persons
from app.sync import device, service
from app.sync.client import HqClient
from app.sync.errors import DeviceRevoked
from app.sync.scheduler import BackgroundSync, next_delay


def test_back_off_grows_and_is_capped():
    assert next_delay(0, 900) == 900
    assert [next_delay(n, 900, 3600) for n in (1, 2, 3, 4, 5)] == [225, 450, 900, 1800, 3600]
    assert next_delay(9, 900, 3600) == 3600


def test_background_sync_runs_backs_off_and_stops_when_revoked(live):
    world, server = live
    a1 = world["a1"]
    url = server.url
    events = []
    got = threading.Event()

    def on_event(e):
        events.append(e)
        got.set()

    def sync(reg, cancel):
        return service.sync_now(reg, url, cancel=cancel, client=HqClient(url, retries=0))

    p = persons.create(a1, surname="Fonda", given_name="Ali", birth_date="01.01.1990", sex="m")
    bg = BackgroundSync(a1, interval=0.2, on_event=on_event, sync=sync)
    bg.start()
    try:
        assert got.wait(30) and events[0].ok and events[0].next_attempt_in == 0.2
        with world.hq.engine.connect() as conn:
            n = conn.exec_driver_sql("SELECT count(*) FROM hq_change WHERE tbl = 'person'").scalar()
        assert n >= 1 and service.status(a1).pending == 0
        url = "http://127.0.0.1:9"  # HQ out of reach: attempts fail and wait longer
        deadline = time.monotonic() + 30
        while not any(not e.ok for e in events) and time.monotonic() < deadline:
            time.sleep(0.05)
        failed = [e for e in events if not e.ok]
        assert failed and failed[0].next_attempt_in > 0.2 and not failed[0].stopped
        assert service.status(a1).pending == 0  # nothing was lost by the failure
    finally:
        bg.stop()
    # Revoked: the attempt says so and background sync stops trying.
    url = server.url
    admin.revoke_device(world.hq, device.state_of(a1).device_id)
    persons.update(a1, p.id, notes="kutmoqda")
    event = BackgroundSync(a1, interval=0.2, sync=sync).attempt()
    assert event.stopped and not event.ok and event.message == DeviceRevoked().message()
    assert service.status(a1).pending == 1
