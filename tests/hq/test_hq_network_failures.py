"""When HQ is not reached or refuses: short reasons in the user's language, an enrolment
worded as one, and a computer left as it was before the attempt."""

from __future__ import annotations

import socket

import pytest

from app.hq import admin
from app.i18n import DEFAULT_LANGUAGE, set_language, translator
from app.services.persons import persons
from app.sync import codes, device, service
from app.sync.client import HqClient
from app.sync.errors import (
    UNREACHABLE_REASONS,
    EnrolCodeInvalid,
    EnrolCodeNotFromUrl,
    EnrolStrongholdMismatch,
    EnrolUnreachable,
    HqAddressInvalid,
    HqUnreachable,
    NotEnrolled,
)
from tests.sync.world import S1, S2, new_register


def once(url: str, timeout: float = 10) -> HqClient:
    return HqClient(url, retries=0, timeout=timeout)


@pytest.fixture
def closed_url():
    """An address on 127.0.0.1 where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def fresh(tmp_path):
    reg = new_register(tmp_path / "fresh", S1, "yangi")
    yield reg
    reg.close()


@pytest.fixture
def lang():
    yield set_language
    set_language(DEFAULT_LANGUAGE)


def reason(key: str, lang: str) -> str:
    return translator(lang).gettext(UNREACHABLE_REASONS[key])


def unreachable_text(key: str, lang: str) -> str:
    return HqUnreachable(reason=key).message(lang)


def test_a_refused_connection_is_told_in_the_users_words_and_the_error_kept_by_code(
    live, closed_url, lang
):
    world, _server = live
    a1 = world["a1"]
    with pytest.raises(HqUnreachable) as caught:
        service.sync_now(a1, closed_url, client=once(closed_url))
    err = caught.value
    assert err.params["reason"] == "refused"
    ru = err.message("ru")
    assert ru.startswith("Штаб недоступен (") and reason("refused", "ru") in ru
    assert "Errno" not in ru and "refused" not in ru.lower().split("(")[0]
    # The last error follows the language it is shown in, not the one of the failed run.
    assert service.status(a1).last_error == err.message("uz-Latn")
    lang("ru")
    assert service.status(a1).last_error == ru
    lang("en")
    assert service.status(a1).last_error == err.message("en")
    # What older versions kept (text) is shown as it was.
    device.record_error(a1, "Headquarters cannot be reached (timed out).")
    assert service.status(a1).last_error == "Headquarters cannot be reached (timed out)."


def test_tries_hq_never_answered_leave_one_row_in_the_history(live, closed_url):
    """Offline, the background sync tries again and again: the history shows the latest
    unanswered try (its changes not confirmed), not a row for each, and keeps what went."""
    world, server = live
    a1 = world["a1"]
    persons.create(a1, surname="Tarixov", given_name="Anvar", birth_date="01.01.1980", sex="m")
    service.sync_now(a1, server.url)
    answered = service.history(a1)
    assert answered[0].summary["acknowledged"] == 1 and answered[1].summary["changes"] == 1
    for _ in range(3):
        with pytest.raises(HqUnreachable):
            service.sync_now(a1, closed_url, client=once(closed_url))
    rows = service.history(a1)
    assert len(rows) == len(answered) + 1 and rows[1:] == answered
    assert rows[0].direction == "out" and rows[0].summary.get("unconfirmed")


def test_the_history_leaves_out_trips_that_carried_nothing_but_the_latest(live):
    """The background sync's trip every 15 minutes, most of them empty, pushed yesterday's
    stick and the trips that carried something out of the twenty rows shown."""
    world, server = live
    a1 = world["a1"]
    persons.create(a1, surname="Tarixov", given_name="Anvar", birth_date="01.01.1980", sex="m")
    service.sync_now(a1, server.url)
    carried = service.history(a1)[:2]
    for _ in range(25):
        service.sync_now(a1, server.url)  # nothing new either way
    rows = service.history(a1)
    assert rows[2:4] == carried  # still there, under the latest trip
    latest = rows[:2]
    assert [r.direction for r in latest] == ["in", "out"]
    assert latest[1].summary["changes"] == 0 and latest[0].summary["received"] == 0


def test_an_unknown_name_a_tls_mismatch_and_a_silent_server_have_their_reasons(live):
    world, server = live
    a1 = world["a1"]
    https = f"https://127.0.0.1:{server.port}"
    for url, key, client in (
        ("http://no-such-host.invalid", "name", once("http://no-such-host.invalid")),
        (https, "tls", once(https)),
    ):
        with pytest.raises(HqUnreachable) as caught:
            service.sync_now(a1, url, client=client)
        assert caught.value.params["reason"] == key
        assert caught.value.message("ru") == unreachable_text(key, "ru")
        assert "SSL" not in caught.value.message("ru") and "Errno" not in caught.value.message()
    with socket.socket() as silent:  # connects (the kernel's backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(HqUnreachable) as caught:
            service.sync_now(a1, url, client=once(url, timeout=0.5))
    assert caught.value.params["reason"] == "timeout"


@pytest.mark.parametrize("url", ["127.0.0.1:8765", "hq.example.uz", "htp://127.0.0.1:8765", ""])
def test_an_address_without_http_is_refused_before_any_connection(live, fresh, url):
    world, _server = live
    code = admin.new_enrolment_code(world.hq, S1.code)
    with pytest.raises(HqAddressInvalid) as caught:
        service.enrol_online(fresh, url, code)
    assert "https://hq.example.uz" in caught.value.message("ru")
    assert service.status(fresh).state == "not_enrolled"
    if url:
        a1 = world["a1"]
        before = service.status(a1)
        with pytest.raises(HqAddressInvalid):
            service.sync_now(a1, url)
        assert service.status(a1) == before


def test_an_enrolment_that_does_not_reach_hq_says_the_computer_is_not_enrolled(
    live, fresh, closed_url
):
    world, _server = live
    code = admin.new_enrolment_code(world.hq, S1.code)
    with pytest.raises(EnrolUnreachable) as caught:
        service.enrol_online(fresh, closed_url, code, client=once(closed_url))
    text = caught.value.message("en")
    assert closed_url in text and "not enrolled yet" in text and "changes wait" not in text
    assert reason("refused", "en") in text and "Errno" not in text
    assert service.status(fresh).state == "not_enrolled"


def test_a_code_from_another_hq_names_the_address_not_a_key_file(live, fresh):
    world, server = live
    code = codes.new_code("not-this-hq")
    with pytest.raises(EnrolCodeNotFromUrl) as caught:
        service.enrol_online(fresh, server.url, code, client=once(server.url))
    assert server.url in caught.value.message() and "key" not in caught.value.message()
    assert service.status(fresh).state == "not_enrolled"


def test_a_code_for_another_stronghold_is_named_and_leaves_the_computer_not_enrolled(
    live, fresh, tmp_path
):
    world, server = live
    code = admin.new_enrolment_code(world.hq, S2.code)
    with pytest.raises(EnrolStrongholdMismatch) as caught:
        service.enrol_online(fresh, server.url, code, client=once(server.url))
    assert caught.value.params == {"stronghold": S2.code, "own": S1.code}
    assert service.status(fresh).state == "not_enrolled"
    with pytest.raises(NotEnrolled):
        service.sync_now(fresh, server.url, client=once(server.url))
    # The code is still good for the stronghold it was made for.
    other = new_register(tmp_path / "s2", S2, "ikki")
    try:
        assert service.enrol_online(other, server.url, code, client=once(server.url)).enrolled
    finally:
        other.close()


def test_a_refused_enrolment_puts_back_what_was_there(live, fresh):
    world, server = live
    bad = codes.new_code(world.hq.hq_id)  # this HQ's, but never issued
    with pytest.raises(EnrolCodeInvalid):
        service.enrol_online(fresh, server.url, bad, client=once(server.url))
    assert service.status(fresh).state == "not_enrolled" and device.state_of(fresh) is None
    a1 = world["a1"]
    before = device.state_of(a1)
    with pytest.raises(EnrolCodeInvalid):
        service.enrol_online(a1, server.url, bad, client=once(server.url), again=True)
    after = device.state_of(a1)
    assert (after.state, after.device_id, after.keys.sign_seed, after.enrolled_at) == (
        before.state,
        before.device_id,
        before.keys.sign_seed,
        before.enrolled_at,
    )
