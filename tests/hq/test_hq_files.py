"""Bundle and reply files on a shared stick, as the commands write them: two computers of
one stronghold never overwrite each other's files, no other file is ever replaced, a disk
that refuses says so naming the user's folder, and a refused command changes nothing."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from app.cli import main
from app.hq import admin
from app.i18n import DEFAULT_LANGUAGE, set_language
from app.services.persons import persons
from app.sync import bundle
from tests.sync.world import LOGINS, PASSWORD, S1, fingerprint

FROZEN = datetime(2026, 3, 14, 9, 26, 53)


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def frozen_clock(monkeypatch):
    """Every file name is made in the same second, as on a busy morning."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return FROZEN

    monkeypatch.setattr("app.sync.stick.datetime", Frozen)


@pytest.fixture
def cli(world, monkeypatch, capsys):
    """Run a command as a user of ``device`` (or at HQ); returns (code, stdout, stderr)."""
    monkeypatch.setenv("TAYANCH_PASSWORD", PASSWORD)
    world.close()
    world.devices.clear()

    def run(*args, device: str | None = None) -> tuple[int, str, str]:
        folder = world.root / (device or "hq")
        if device:
            monkeypatch.setenv("TAYANCH_USER", LOGINS[device])
        try:
            code = main(["--lang", "en", "--data-dir", str(folder), *(str(a) for a in args)])
        finally:
            set_language(DEFAULT_LANGUAGE)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def _refused(result: tuple[int, str, str]) -> str:
    code, out, err = result
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("tayanch: "), (out, err)
    return lines[0]


def _sender(path: Path) -> str:
    return bundle.read_clear(path.read_bytes())[0]["from"]


def _numbers(world) -> dict[str, int]:
    hq = admin.open_hq(world.root / "hq")
    try:
        return {d.device_id: d.number for d in admin.list_devices(hq)}
    finally:
        hq.close()


def test_two_computers_share_a_stick_and_a_reply_folder(world, tmp_path, cli, frozen_clock):
    stick_dir, replies = tmp_path / "stick", tmp_path / "replies"
    stick_dir.mkdir()
    replies.mkdir()
    for device in ("a1", "a2", "a1"):  # all in the same second
        code, out, err = cli("sync", "export", "--out", stick_dir, device=device)
        assert code == 0, err
    bundles = sorted(stick_dir.glob("*.sync"))
    assert len(bundles) == 3
    numbers = _numbers(world)
    senders = [_sender(b) for b in bundles]
    assert senders.count(senders[0]) == 2 or senders.count(senders[1]) == 2
    for path in bundles:
        tag = f"K{numbers[_sender(path)]}"
        assert path.name.startswith(f"tayanch-{S1.code}-{tag}-20260314-092653"), path.name
    assert sum(b.name.endswith("-2.sync") for b in bundles) == 1  # the same name, kept apart
    for path in sorted(bundles, key=lambda p: p.stat().st_mtime_ns):  # as they were made
        code, out, err = cli("hq", "import", path, "--reply", replies)
        assert code == 0, err
    written = sorted(replies.glob("*.sync"))
    assert len(written) == 3
    for path in written:
        assert path.name.startswith(f"tayanch-reply-{S1.code}-K"), path.name
        assert "-20260314-092653" in path.name
    # Each reply is addressed to its own computer (two to a1, one to a2) and applies there.
    from app.sync import device

    key_ids = {}
    for name in ("a1", "a2"):
        key_ids[bundle_key_id(device.state_of(world[name]))] = name
    world.close()
    world.devices.clear()
    owners = {path: key_ids[bundle.read_clear(path.read_bytes())[0]["to"]] for path in written}
    assert sorted(owners.values()) == ["a1", "a1", "a2"]
    for path, owner in owners.items():
        assert f"-K{numbers[_sender_of(world, owner)]}-" in path.name
    [a2_reply] = [p for p, owner in owners.items() if owner == "a2"]
    code, out, err = cli("sync", "import", a2_reply, device="a2")
    assert code == 0 and "confirmed" in out, err


def bundle_key_id(state) -> str:
    return state.keys.id


def _sender_of(world, name: str) -> str:
    from app.sync import device

    reg = world[name]
    try:
        return device.state_of(reg).device_id
    finally:
        world.close()
        world.devices.clear()


def test_an_unnumbered_computer_names_its_bundle_by_its_id(world, tmp_path, frozen_clock):
    from app.sync import device, service

    reg = world["a1"]
    with reg.write_engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM local_state WHERE key = ?", (device.DEVICE_NUMBER_KEY,))
    name = service.default_bundle_name(reg)
    device_id = device.state_of(reg).device_id
    assert name == f"tayanch-{S1.code}-{device_id[:8]}-20260314-092653.sync"


def test_a_file_that_is_not_a_bundle_is_never_replaced(world, tmp_path, cli):
    table = tmp_path / "people.csv"
    table.write_text("surname,given_name\nAliyev,Vali\n", "utf-8")
    key = tmp_path / "hq.key"
    hq = admin.open_hq(world.root / "hq")
    key.write_bytes(admin.export_key(hq))
    hq.close()
    before_key = key.read_bytes()

    status = cli("sync", "status", "--json", device="a1")[1]
    line = _refused(cli("sync", "export", "--out", table, device="a1"))
    assert str(table) in line and "not a Tayanch sync file" in line
    assert table.read_text("utf-8") == "surname,given_name\nAliyev,Vali\n"
    assert cli("sync", "status", "--json", device="a1")[1] == status  # nothing changed

    # An older bundle is replaced: that is what a stick's fixed file name is for.
    old = tmp_path / "to-hq.sync"
    assert cli("sync", "export", "--out", old, device="a1")[0] == 0
    first = old.read_bytes()
    assert cli("sync", "export", "--out", old, device="a1")[0] == 0
    assert old.read_bytes() != first and old.read_bytes().startswith(bundle.MAGIC)

    hq_engine = admin.open_hq(world.root / "hq").engine
    before = fingerprint(hq_engine)
    line = _refused(cli("hq", "import", old, "--reply", key))
    assert str(key) in line and "not a Tayanch sync file" in line
    assert key.read_bytes() == before_key
    assert fingerprint(hq_engine) == before  # the bundle was not applied either
    reply = tmp_path / "reply.sync"
    reply.write_bytes(first)  # an older reply file in its place is fine
    code, out, err = cli("hq", "import", old, "--reply", reply)
    assert code == 0 and "Applied" in out, err
    assert reply.read_bytes() != first
    hq_engine.dispose()


def test_a_folder_given_as_the_bundle_is_named_as_a_folder(world, tmp_path, cli):
    folder = tmp_path / "stick"
    folder.mkdir()
    line = _refused(cli("sync", "import", folder, device="a1"))
    assert "is a folder" in line and str(folder) in line
    line = _refused(cli("hq", "import", folder, "--reply", tmp_path))
    assert "is a folder" in line and str(folder) in line


def test_a_malformed_code_is_not_called_another_hqs(world, tmp_path, cli):
    key = tmp_path / "hq.key"
    hq = admin.open_hq(world.root / "hq")
    key.write_bytes(admin.export_key(hq))
    hq.close()
    for bad in ("hello", "ABCDE-FGHIJ", "ABCDE-FGHIJ-KLMNO-PQRS!"):
        line = _refused(cli("sync", "enroll", "--hq-key", key, "--code", bad, device="a1"))
        assert "not an enrolment code" in line and "four groups of five" in line, line
    # A well-formed code of another HQ is still told apart.
    line = _refused(
        cli("sync", "enroll", "--hq-key", key, "--code", "AAAAA-AAAAA-AAAAA-AAAAA", device="a1")
    )
    assert "another headquarters" in line


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_counter_is_wiped_before_the_result(world, tmp_path, cli, monkeypatch):
    reg = world["a1"]
    for i in range(3):
        persons.create(reg, surname=f"Sanoq{i}", given_name="Ali", birth_date="01.01.1990", sex="m")
    world.close()
    world.devices.clear()
    out_file, reply = tmp_path / "a1.sync", tmp_path / "reply.sync"
    assert cli("sync", "export", "--out", out_file, device="a1")[0] == 0
    assert cli("hq", "import", out_file, "--reply", reply)[0] == 0
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    code, out, _ = cli("sync", "import", reply, device="a1")
    assert code == 0 and "Received" in out
    shown = terminal.getvalue()
    assert shown.startswith("\r") and "/" in shown, repr(shown)  # the counter showed
    last = shown.rsplit("\r", 3)[-3]  # the last count, then its wiping: \r, spaces, \r
    assert shown.endswith("\r" + " " * len(last) + "\r") and "/" in last, repr(shown)


# --- disks that refuse ----------------------------------------------------------------


def _mount(point: Path, *options: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    point.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(point)],
        capture_output=True,
    )
    return done.returncode == 0


@pytest.fixture
def read_only_stick(tmp_path):
    point = tmp_path / "ro-stick"
    if not _mount(point, "size=1m", "ro"):
        if os.geteuid() == 0:
            pytest.skip("cannot mount a tmpfs here")
        point.mkdir(exist_ok=True)
        point.chmod(0o500)  # not root: a folder without write permission refuses as well
        yield point
        point.chmod(0o700)
        return
    yield point
    subprocess.run(["umount", "-l", str(point)], capture_output=True)


@pytest.fixture
def small_stick(tmp_path):
    point = tmp_path / "small-stick"
    if not _mount(point, "size=256k"):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield point
    subprocess.run(["umount", "-l", str(point)], capture_output=True)


def _fill(disk: Path) -> Path:
    filler = disk / "filler.bin"
    with open(filler, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


def test_a_read_only_stick_is_named_and_nothing_is_applied(world, tmp_path, cli, read_only_stick):
    line = _refused(cli("sync", "export", "--out", read_only_stick, device="a1"))
    assert str(read_only_stick) in line and ".tayanch-" not in line, line
    assert "Choose another folder" in line, line
    line = _refused(cli("sync", "export", "--out", read_only_stick / "x.sync", device="a1"))
    assert str(read_only_stick) in line and ".tayanch-" not in line, line

    bundle_file = tmp_path / "a1.sync"
    assert cli("sync", "export", "--out", bundle_file, device="a1")[0] == 0
    hq_engine = admin.open_hq(world.root / "hq").engine
    before = fingerprint(hq_engine)
    line = _refused(cli("hq", "import", bundle_file, "--reply", read_only_stick))
    assert str(read_only_stick) in line and ".tayanch-" not in line, line
    assert fingerprint(hq_engine) == before  # refused before the bundle was applied
    hq_engine.dispose()


def test_a_full_stick_after_applying_says_to_import_again(world, tmp_path, cli, small_stick):
    reg = world["a1"]
    persons.create(reg, surname="Toʻla", given_name="Disk", birth_date="02.02.1992", sex="f")
    world.close()
    world.devices.clear()
    bundle_file = tmp_path / "a1.sync"
    assert cli("sync", "export", "--out", bundle_file, device="a1")[0] == 0
    filler = _fill(small_stick)
    line = _refused(cli("sync", "export", "--out", small_stick, device="a1"))
    assert "not enough free space" in line and str(small_stick) in line, line
    assert "Free some space" in line and ".tayanch-" not in line
    line = _refused(cli("hq", "import", bundle_file, "--reply", small_stick))
    assert "was applied" in line and "run the same import again" in line, line
    assert str(small_stick) in line and "disk is full" in line
    assert not [p for p in small_stick.iterdir() if p != filler]  # no half file left
    filler.unlink()
    code, out, err = cli("hq", "import", bundle_file, "--reply", small_stick)
    assert code == 0 and "already applied" in out, err
    [reply] = small_stick.glob("tayanch-reply-*.sync")
    assert cli("sync", "import", reply, device="a1")[0] == 0
