"""`tayanch --self-test`: prove that this installation works, on a machine that never saw Python.

The frozen bundle is where things break that never break in a checkout: a font, a catalog
or a migration script left out of the build, a hidden import, a Qt plugin pruned too far,
a path that only works from the repository. So the self-test does what a user's first day
does, in temporary folders: create and open an encrypted register, write and read records,
issue and render every document in every language, load every catalog, build the HQ
application, carry one USB sync round between two registers through HQ, open the
window offscreen, and preview and print a document (to a PDF file). It prints one line per
check and exits 0 only if every check that applies passed. A part that has not been written
yet (the HQ service, sync, the window) prints "not present" and does not fail the run; a
part that is there and fails does.

Lines are plain ASCII and English on purpose: they are read by CI and support staff from
any console, like log lines, and a Windows console with a legacy code page must not crash
the check that is meant to find problems.

Nothing is written inside the bundle (the last check proves it) and nothing in the user's
data folder: every register lives in a temporary folder that is removed at the end.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import logging
import os
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

from app import version
from app.errors import TayanchError

logger = logging.getLogger(__name__)

PASSWORD = "self-test password"  # only ever guards a throwaway register in a temp folder
# The scratch registers are wrapped with cheap Argon2id costs: a dozen logins happen during
# the run (the sync check opens each register several times through the CLI). The shipped
# costs are timed once on their own in the register check.
LIGHT_KDF = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}
STRONGHOLD_CODE = "TP-9001"
LOGIN = "selftest"

__all__ = ["CHECKS", "NotPresent", "run_self_test"]


class NotPresent(Exception):  # noqa: N818  (a state, not an error)
    """The part this check covers is not in this build yet; the check is skipped."""


@dataclass
class Outcome:
    name: str
    status: str  # "ok", "FAILED" or "not present"
    detail: str
    seconds: float

    def line(self) -> str:
        text = f"{self.name}: {self.status}"
        if self.detail:
            text += f" - {self.detail}"
        text += f" ({self.seconds * 1000:.0f} ms)"
        return text.encode("ascii", "replace").decode("ascii")


@dataclass
class State:
    """What the checks share: the scratch folder and what earlier checks made in it."""

    workdir: Path
    registers: dict[str, Any] = field(default_factory=dict)  # name -> open Register
    person_id: uuid.UUID | None = None
    visit_id: uuid.UUID | None = None

    def close(self) -> None:
        for reg in self.registers.values():
            with contextlib.suppress(Exception):
                reg.close()
        self.registers.clear()


# --- helpers -----------------------------------------------------------------------------


def _optional_module(name: str) -> Any:
    """Import ``name``; NotPresent only if that very module (or its package) is missing.

    A module that exists but fails to import (a missing dependency in the bundle, a syntax
    error) is a failure, not an absence.
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise NotPresent(f"{name} not in this build") from None
        raise


def _maybe_module(name: str) -> Any:
    try:
        return _optional_module(name)
    except NotPresent:
        return None


def _check_pdf(pdf: bytes, what: str) -> None:
    if not pdf.startswith(b"%PDF-") or b"%%EOF" not in pdf[-1024:] or len(pdf) < 1000:
        raise AssertionError(f"{what} is not a complete PDF ({len(pdf)} bytes)")


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def bundle_root() -> Path | None:
    """The folder of the frozen program (holding the executable and ``_internal``)."""
    if not getattr(sys, "frozen", False):
        return None
    return Path(sys.executable).resolve().parent


def _snapshot(folders: Sequence[Path]) -> dict[str, tuple[int, int]]:
    files: dict[str, tuple[int, int]] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if "__pycache__" in path.parts:  # a checkout's Python caches are not the bundle
                continue
            with contextlib.suppress(OSError):
                st = path.stat()
                files[str(path)] = (st.st_size, st.st_mtime_ns)
    return files


def _watched_folders() -> list[Path]:
    """What must stay untouched: the whole bundle when frozen; from a checkout, resources/
    (translations/ and the code are edited while developers run the self-test)."""
    from app.paths import resource_root

    root = bundle_root()
    if root is not None:
        return [root]
    return [resource_root() / "resources"]


@contextlib.contextmanager
def _environ(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _new_register(state: State, name: str) -> Any:
    from app.db.register import Register, StrongholdInfo

    info = StrongholdInfo(
        code=STRONGHOLD_CODE,
        name="Sinov tayanch punkti",
        region="Sinov viloyati",
        district="Sinov tumani",
        makhalla="Sinov MFY",
    )
    reg, _recovery = Register.create(
        state.workdir / name,
        info,
        login=LOGIN,
        full_name="Sinov Inspektor",
        password=PASSWORD,
        kdf=LIGHT_KDF,
    )
    state.registers[name] = reg
    return reg


# --- the checks ---------------------------------------------------------------------------


def check_resources(state: State) -> str:
    """Fonts, icons and catalogs are where resource_path() looks for them."""
    from app.paths import resource_path, resource_root, translations_dir

    fonts = sorted(resource_path("fonts").glob("*.ttf"))
    if not fonts:
        raise AssertionError(f"no fonts in {resource_path('fonts')}")
    from app.reports import base

    base.register_fonts()  # raises FontMissingError naming the file that is not there
    icons = [resource_path("icons", n) for n in ("tayanch.svg", "tayanch-256.png")]
    missing = [p.name for p in icons if not p.is_file()]
    if missing:
        raise AssertionError(f"missing icons: {', '.join(missing)}")
    catalogs = [
        translations_dir() / lang.replace("-", "_") / "LC_MESSAGES" / "tayanch.mo"
        for lang in _catalog_languages()
    ]
    missing = [str(p.parent.parent.name) for p in catalogs if not p.is_file()]
    if missing:
        raise AssertionError(f"no compiled catalog for {', '.join(missing)}")
    where = "bundle" if bundle_root() else "checkout"
    return f"{len(fonts)} fonts, icons, {len(catalogs)} catalogs in the {where} ({resource_root()})"


def check_user_folders(state: State) -> str:
    """User data and logs go to the platform's folders, never into the program's."""
    import platformdirs

    from app.paths import APP_NAME, default_data_dir, log_dir

    data = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    logs = log_dir()
    root = bundle_root()
    for what, path in (("data folder", data), ("log folder", logs)):
        if not path.is_absolute():
            raise AssertionError(f"the {what} is not an absolute path: {path}")
        if root is not None and _is_inside(path, root):
            raise AssertionError(f"the {what} {path} is inside the bundle {root}")
    chosen = default_data_dir()
    note = "" if chosen == data else f", TAYANCH_DATA_DIR={chosen}"
    return f"data {data}, logs {logs}{note}"


def check_register(state: State) -> str:
    """An encrypted register is created, reopened with its password, refused without it."""
    import secrets

    from app.db import migrate
    from app.db.keys import DEFAULT_KDF, SALT_BYTES, derive_key
    from app.db.register import Register, db_path
    from app.errors import AuthError

    started = time.perf_counter()
    derive_key(PASSWORD, secrets.token_bytes(SALT_BYTES), DEFAULT_KDF)
    login_cost = time.perf_counter() - started
    reg = _new_register(state, "device-a")
    folder = reg.data_dir
    reg.close()
    del state.registers["device-a"]
    header = db_path(folder).read_bytes()[:16]
    if header.startswith(b"SQLite format 3"):
        raise AssertionError("the register file is not encrypted")
    try:
        Register.open(folder, LOGIN, "not the password").close()
    except AuthError:
        pass
    else:
        raise AssertionError("a wrong password opened the register")
    reg = Register.open(folder, LOGIN, PASSWORD)
    state.registers["device-a"] = reg
    with reg.engine.connect() as conn:
        current = migrate.current_revision(conn)
        cipher = conn.exec_driver_sql("PRAGMA cipher_version").scalar()
    head = migrate.head_revision()
    if current != head:
        raise AssertionError(f"schema at {current}, expected {head}")
    return (
        f"SQLCipher {cipher}, schema {head}, wrong password refused; "
        f"one Argon2id login at the shipped cost takes {login_cost * 1000:.0f} ms"
    )


def check_records(state: State) -> str:
    """Records written through the services come back, and the audit chain verifies."""
    from app.services.households import households, members, visits
    from app.services.persons import persons
    from app.services.verify import verify

    reg = state.registers.get("device-a")
    if reg is None:
        raise AssertionError("no register (the register check failed)")
    person = persons.create(
        reg,
        surname="Sinovov",
        given_name="Anvar",
        patronymic="Baxtiyor oʻgʻli",
        birth_date=date(1990, 5, 15),
        sex="m",
        pinfl="31505901234567",
        passport="AA1234567",
    )
    household = households.create(reg, street="Sinov koʻchasi", house="7")
    members.create(reg, household_id=household.id, person_id=person.id, relation="head")
    visit = visits.record(
        reg,
        household_id=household.id,
        visited_at=datetime.now(UTC),
        purpose="routine",
        direction="public_order",
        findings="Tinch",
        persons_met=[person.id],
    )
    again = persons.get(reg, person.id)
    if (again.surname, again.patronymic, again.pinfl) != (
        "Sinovov",
        "Baxtiyor oʻgʻli",
        "31505901234567",
    ):
        raise AssertionError("the person read back differs from the one written")
    if visits.persons_met(reg, visit.id) != [person.id]:
        raise AssertionError("the visit lost the person met")
    report = verify(reg)
    if not report.ok:
        raise AssertionError("verify: " + "; ".join(report.problems[:3]))
    state.person_id, state.visit_id = person.id, visit.id
    return (
        f"{persons.count(reg)} person, household, visit written and read back; "
        f"{report.checked.get('audit_entries', 0)} audit entries verified"
    )


def check_documents(state: State) -> str:
    """Every document kind renders in every language; one is issued from the register."""
    reports = _optional_module("app.reports")
    samples = _optional_module("app.reports.samples")
    from app.i18n import LANGUAGES

    kinds = tuple(getattr(reports, "KINDS", ()))
    if not kinds:
        raise NotPresent("app.reports has no KINDS")
    count = 0
    total = 0
    for kind in kinds:
        for lang in LANGUAGES:
            pdf = reports.render(kind, samples.sample(kind), lang)
            _check_pdf(pdf, f"{kind} in {lang}")
            count += 1
            total += len(pdf)
    issued = ""
    reg = state.registers.get("device-a")
    if reg is not None and state.visit_id is not None:
        documents = _optional_module("app.services.documents")
        printed = documents.issue(reg, "visit-act", state.visit_id, "uz-Latn")
        _check_pdf(printed.pdf, "the issued visit act")
        again = documents.reprint(reg, printed.document.id)
        if again.pdf != printed.pdf:
            raise AssertionError("re-printing the issued visit act gave different bytes")
        issued = f"; visit act {printed.document.number} issued and re-printed identically"
    return (
        f"{count} PDFs ({len(kinds)} kinds x {len(LANGUAGES)} languages, "
        f"{total // 1024} KB){issued}"
    )


# A string every catalog translates, and the script each translation must be written in.
KNOWN_MSGID = "Conditional sentence"
CYRILLIC = ("uz-Cyrl", "ru")


def _catalog_languages() -> tuple[str, ...]:
    """The languages translators write a catalog for (variants are derived from these)."""
    from app import i18n

    return tuple(getattr(i18n, "CATALOG_LANGUAGES", i18n.LANGUAGES))


def _script(text: str) -> str:
    cyr = sum(1 for ch in text if "\u0400" <= ch <= "\u04ff")
    lat = sum(1 for ch in text if ch.isalpha() and not "\u0400" <= ch <= "\u04ff")
    return "cyrillic" if cyr > lat else "latin"


def check_catalogs(state: State) -> str:
    """Every language's compiled catalog loads, and translates in its own script."""
    import gettext

    from app.i18n import LANGUAGES, translator

    found = []
    for lang in LANGUAGES:
        t = translator(lang)
        if lang in _catalog_languages() and not isinstance(t, gettext.GNUTranslations):
            raise AssertionError(f"no compiled catalog loaded for {lang}")
        if lang != "en":
            text = t.gettext(KNOWN_MSGID)
            if text == KNOWN_MSGID:
                raise AssertionError(f"{lang} does not translate {KNOWN_MSGID!r}")
            script = "cyrillic" if lang in CYRILLIC else "latin"
            if _script(text) != script:
                raise AssertionError(f"{lang} translation is not in {script} script")
        size = len(getattr(t, "_catalog", {}))
        found.append(f"{lang} {size}" if size else f"{lang} (derived)")
    numbers = ""
    formats = _maybe_module("app.formats")
    if formats is not None and hasattr(formats, "number"):
        for lang in LANGUAGES:  # CLDR data through babel, pruned in the bundle
            text = formats.number(1234567, lang=lang)
            if not any(ch.isdigit() for ch in text):
                raise AssertionError(f"1234567 formatted in {lang} as {text!r}")
        numbers = f"; numbers formatted in {len(LANGUAGES)} languages"
    return "messages: " + ", ".join(found) + numbers


def _find_factory(package: str, name: str) -> Callable[..., Any]:
    module = _optional_module(package)
    if hasattr(module, name):
        return getattr(module, name)
    import pkgutil

    for info in pkgutil.iter_modules(getattr(module, "__path__", []), package + "."):
        sub = importlib.import_module(info.name)
        if hasattr(sub, name):
            return getattr(sub, name)
    raise NotPresent(f"no {name}() in {package}")


def _call_with_known_arguments(factory: Callable[..., Any], workdir: Path) -> Any:
    """Call an app factory whose signature is the HQ's business, giving it scratch paths."""
    folder = workdir / "hq-app"
    folder.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {"data_dir": folder, "folder": folder, "path": folder, "home": folder}
    kwargs = {}
    for p in inspect.signature(factory).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in values:  # given even when optional: the default is the user's folder
            kwargs[p.name] = values[p.name]
            continue
        if p.default is p.empty:
            raise AssertionError(
                f"{factory.__qualname__}() needs {p.name!r}, which the self-test cannot supply"
            )
    return factory(**kwargs)


def check_hq(state: State) -> str:
    """The headquarters web application can be built (FastAPI, its routes, its schema)."""
    factory = _find_factory("app.hq", "create_app")
    application = _call_with_known_arguments(factory, state.workdir)
    routes = getattr(application, "routes", None)
    if not routes:
        raise AssertionError("the HQ application has no routes")
    detail = f"{type(application).__name__} with {len(routes)} routes"
    openapi = getattr(application, "openapi", None)
    if callable(openapi):
        detail += f", OpenAPI with {len(openapi().get('paths', {}))} paths"
    return detail


SYNC_COMMANDS = {
    "sync": ("enroll", "export", "import"),
    "hq": ("init", "stronghold", "enroll-code", "export-key", "import"),
}


def _subcommands(parser: Any) -> dict[str, Any]:
    import argparse

    for action in parser._actions:  # argparse offers no public way to list subparsers
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _cli(args: Sequence[str]) -> str:
    """Run one `tayanch` command in-process; its stdout, or AssertionError with its stderr."""
    from app.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    if code != 0:
        reason = (err.getvalue().strip().splitlines() or ["no message"])[-1]
        raise AssertionError(f"`tayanch {' '.join(args[2:4])}` exited {code}: {reason}")
    return out.getvalue()


def _enrol_code(output: str) -> str:
    """The code `tayanch hq enroll-code` printed: its last word (the sentence may vary)."""
    words = output.split()
    if not words:
        raise AssertionError("`tayanch hq enroll-code` printed nothing")
    return words[-1].strip(".")


def check_sync(state: State) -> str:
    """One USB round through HQ: a person made on computer A arrives on computer B."""
    from app.cli import build_parser

    commands = _subcommands(build_parser())
    for group, actions in SYNC_COMMANDS.items():
        if group not in commands:
            raise NotPresent(f"no `tayanch {group}` commands in this build")
        missing = [a for a in actions if a not in _subcommands(commands[group])]
        if missing:
            raise NotPresent(f"`tayanch {group}` lacks {', '.join(missing)}")
    a = state.registers.get("device-a")
    if a is None or state.person_id is None:
        raise AssertionError("no register with a person (an earlier check failed)")
    from app.services.persons import persons

    a_dir = a.data_dir
    a.close()  # the CLI opens the registers itself
    del state.registers["device-a"]
    b = _new_register(state, "device-b")
    b_dir = b.data_dir
    b.close()
    del state.registers["device-b"]
    hq = ["--data-dir", str(state.workdir / "hq")]
    stick = state.workdir / "stick"
    stick.mkdir()
    with _environ(TAYANCH_PASSWORD=PASSWORD, TAYANCH_USER=LOGIN):
        _cli([*hq, "hq", "init"])
        _cli(
            [
                *hq,
                "hq",
                "stronghold",
                "add",
                STRONGHOLD_CODE,
                "--name",
                "Sinov tayanch punkti",
                "--region",
                "Sinov viloyati",
                "--district",
                "Sinov tumani",
                "--makhalla",
                "Sinov MFY",
            ]
        )
        _cli([*hq, "hq", "export-key", "--out", str(stick / "hq.key")])
        for folder in (a_dir, b_dir):
            code = _enrol_code(_cli([*hq, "hq", "enroll-code", STRONGHOLD_CODE]))
            _cli(
                [
                    "--data-dir",
                    str(folder),
                    "sync",
                    "enroll",
                    "--hq-key",
                    str(stick / "hq.key"),
                    "--code",
                    code,
                ]
            )
        sizes = []
        for folder, name in ((a_dir, "a"), (b_dir, "b")):
            bundle, reply = stick / f"{name}.bundle", stick / f"{name}-reply.bundle"
            _cli(["--data-dir", str(folder), "sync", "export", "--out", str(bundle)])
            _cli([*hq, "hq", "import", str(bundle), "--reply", str(reply)])
            _cli(["--data-dir", str(folder), "sync", "import", str(reply)])
            sizes.append(bundle.stat().st_size + reply.stat().st_size)
    from app.db.register import Register

    b = Register.open(b_dir, LOGIN, PASSWORD)
    state.registers["device-b"] = b
    try:
        arrived = persons.get(b, state.person_id)
    except TayanchError as exc:
        raise AssertionError("the person made on A did not arrive on B") from exc
    if arrived.surname != "Sinovov":
        raise AssertionError("the person arrived on B with different fields")
    return f"A -> HQ -> B by files, person arrived; {sum(sizes) // 1024} KB on the stick"


READY_TIMEOUT_S = 20.0


def check_window(state: State) -> str:
    """The main window opens and becomes usable (offscreen unless a platform is set), with
    the icon and the Qt catalogs that standard dialogs use."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # app/ never imports Qt at module level (tests/core/test_layering.py); the self-test
    # reaches the window only here, at run time, as `tayanch gui` does.
    qt_core = _optional_module("PySide6.QtCore")
    qt_gui = importlib.import_module("PySide6.QtGui")
    qt_widgets = importlib.import_module("PySide6.QtWidgets")
    app = qt_widgets.QApplication.instance() or qt_widgets.QApplication([sys.argv[0]])
    from app.paths import resource_path

    icon = qt_gui.QIcon(str(resource_path("icons", "tayanch.svg")))
    if icon.isNull() or icon.pixmap(32, 32).isNull():
        raise AssertionError("the SVG icon does not load (Qt's svg plugin missing?)")
    translations = qt_core.QLibraryInfo.path(qt_core.QLibraryInfo.LibraryPath.TranslationsPath)
    if not qt_core.QTranslator().load("qtbase_ru", translations):
        raise AssertionError(f"Qt's own Russian catalog is missing from {translations}")
    if sys.platform.startswith("linux"):
        _check_icu_data(qt_core)
    window_module = _optional_module("ui.main_window")
    window_class = getattr(window_module, "MainWindow", None)
    if window_class is None:
        raise NotPresent("ui.main_window has no MainWindow")
    t0 = time.perf_counter()
    reg = state.registers.get("device-b") or state.registers.get("device-a")
    if reg is None:
        reg = _new_register(state, "device-w")
    register_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    window = _make_window(window_class, reg, state.workdir)
    try:
        ready = _wait_until_ready(qt_core, app, window)
        ready_ms = (time.perf_counter() - t0) * 1000
        if not window.isVisible():
            raise AssertionError("the main window did not show")
        if not ready:
            raise AssertionError(f"the main window was not ready within {READY_TIMEOUT_S:.0f} s")
    finally:
        window.close()
        _wait_for_background_work(qt_core)
        window.deleteLater()
        app.processEvents()
    return (
        f"{window_class.__name__} usable {ready_ms:.0f} ms after construction on "
        f"{app.platformName()!r} (register {register_ms:.0f} ms)"
    )


def _check_icu_data(qt_core: Any) -> None:
    """Qt's ICU data, cut to the program's languages in the Linux bundle, still has them:
    Russian collation (Cyrillic before Latin) and Uzbek time-zone names."""
    if qt_core.QCollator(qt_core.QLocale("ru_RU")).compare("Юсуф", "Ahmedov") >= 0:
        raise AssertionError("Qt's ICU data has no Russian collation")
    zone = qt_core.QTimeZone(b"Asia/Tashkent")
    name = zone.displayName(
        qt_core.QTimeZone.TimeType.StandardTime,
        qt_core.QTimeZone.NameType.LongName,
        qt_core.QLocale("uz_Latn_UZ"),
    )
    if "zbekiston" not in name:
        raise AssertionError(f"Qt's ICU data has no Uzbek time-zone names ({name!r})")


def _has_ink(qt_core: Any, image: Any) -> bool:
    """Whether a rendered page has anything on it (checked on a thumbnail: fast enough)."""
    small = image.scaled(
        60,
        85,
        qt_core.Qt.AspectRatioMode.IgnoreAspectRatio,
        qt_core.Qt.TransformationMode.SmoothTransformation,
    )
    return any(
        small.pixel(x, y) & 0xFFFFFF != 0xFFFFFF
        for y in range(small.height())
        for x in range(small.width())
    )


def check_printing(state: State) -> str:
    """A document's pages render for the preview (pdfium) and go through Qt's print support
    to a PDF file in the scratch folder, as printing from the window does."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    qt_core = _optional_module("PySide6.QtCore")
    qt_widgets = importlib.import_module("PySide6.QtWidgets")
    printing = _optional_module("ui.printing")
    reports = _optional_module("app.reports")
    samples = _optional_module("app.reports.samples")
    qt_print = importlib.import_module("PySide6.QtPrintSupport")
    app = qt_widgets.QApplication.instance() or qt_widgets.QApplication([sys.argv[0]])
    kinds = tuple(getattr(reports, "KINDS", ()))
    if not kinds:
        raise NotPresent("app.reports has no KINDS")
    kind = "visit-act" if "visit-act" in kinds else kinds[0]
    pdf = reports.render(kind, samples.sample(kind), "uz-Cyrl")
    pages = printing.render_pages(pdf, printing.PREVIEW_DPI)
    if not pages or any(p.isNull() or p.width() < 300 for p in pages):
        raise AssertionError(f"the {kind} preview rendered no usable page")
    if not all(_has_ink(qt_core, p) for p in pages):
        raise AssertionError(f"a page of the {kind} preview is blank")
    target = state.workdir / "printed.pdf"
    printer = qt_print.QPrinter(qt_print.QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(qt_print.QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(target))
    printing.print_images(printer, [pages])
    app.processEvents()
    _check_pdf(target.read_bytes() if target.exists() else b"", "the printed PDF")
    return (
        f"{kind} previewed ({len(pages)} pages at {printing.PREVIEW_DPI} dpi, "
        f"{pages[0].width()}x{pages[0].height()}) and printed to a PDF file "
        f"({target.stat().st_size // 1024} KB)"
    )


def _wait_until_ready(qt_core: Any, app: Any, window: Any) -> bool:
    """Show the window and wait for its ``ready`` signal (first screen has its data)."""
    signal = getattr(window, "ready", None)
    fired: list[bool] = []
    loop = qt_core.QEventLoop()
    if signal is not None:
        signal.connect(lambda *_: (fired.append(True), loop.quit()))
    window.resize(1366, 768)
    window.show()
    if signal is None:
        for _ in range(5):
            app.processEvents()
        return True
    if not fired:
        qt_core.QTimer.singleShot(int(READY_TIMEOUT_S * 1000), loop.quit)
        loop.exec()
    return bool(fired)


def _wait_for_background_work(qt_core: Any) -> None:
    """Let the window's background operations finish before it is deleted: one finishing
    later would signal a deleted object (ui.ops keeps its own pools besides Qt's global one).
    """
    try:
        ops = importlib.import_module("ui.ops")
    except ImportError:
        ops = None
    wait_all = getattr(ops, "wait_all", None)
    if callable(wait_all):
        wait_all(10_000)
    qt_core.QThreadPool.globalInstance().waitForDone(10_000)


def _make_window(window_class: type, reg: Any, workdir: Path) -> Any:
    """Build the main window for ``reg``, with settings kept in the scratch folder so the
    user's own window settings are never touched."""
    kwargs: dict[str, Any] = {}
    for p in inspect.signature(window_class).parameters.values():
        if p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in ("reg", "register"):
            kwargs[p.name] = reg
        elif p.name == "settings":
            qt_core = importlib.import_module("PySide6.QtCore")
            store = qt_core.QSettings(
                str(workdir / "ui-settings.ini"), qt_core.QSettings.Format.IniFormat
            )
            kwargs[p.name] = importlib.import_module("ui.settings").UiSettings(store)
        else:
            raise AssertionError(
                f"MainWindow needs {p.name!r}, which the self-test does not know how to supply"
            )
    return window_class(**kwargs)


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[State], str]


CHECKS: tuple[Check, ...] = (
    Check("resources", check_resources),
    Check("user folders", check_user_folders),
    Check("register", check_register),
    Check("records", check_records),
    Check("documents", check_documents),
    Check("catalogs", check_catalogs),
    Check("hq", check_hq),
    Check("sync", check_sync),
    Check("window", check_window),
    Check("printing", check_printing),
)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TayanchError):
        return f"{type(exc).__name__}: {exc.message('en')}"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def run_self_test(only: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the checks (all, or those named in ``only``); 0 if none failed, else 1.

    ``TAYANCH_SELFTEST_ONLY`` (names separated by commas) narrows the run from outside, for
    bench/dist_bench.py, which times the window alone in the frozen and the venv program.
    """
    out = out or sys.stdout
    if only is None and os.environ.get("TAYANCH_SELFTEST_ONLY"):
        only = [n.strip() for n in os.environ["TAYANCH_SELFTEST_ONLY"].split(",") if n.strip()]
    info = version.build_info()
    print(
        f"Tayanch {info['version']} self-test: frozen={info['frozen']}, "
        f"Python {info['python']}, {info['platform']}",
        file=out,
    )
    watched = _watched_folders()
    before = _snapshot(watched)
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="tayanch-selftest-", ignore_cleanup_errors=True) as tmp:
        state = State(Path(tmp))
        try:
            for check in CHECKS:
                if only is not None and check.name not in only:
                    continue
                t0 = time.perf_counter()
                try:
                    status, detail = "ok", check.run(state)
                except NotPresent as exc:
                    status, detail = "not present", str(exc)
                except Exception as exc:  # a self-test reports every failure, then goes on
                    status, detail = "FAILED", _describe(exc)
                    logger.debug(
                        "self-test check %s failed:\n%s", check.name, traceback.format_exc()
                    )
                outcome = Outcome(check.name, status, detail, time.perf_counter() - t0)
                outcomes.append(outcome)
                print(outcome.line(), file=out, flush=True)
        finally:
            state.close()
    changed = sorted(set(_snapshot(watched).items()) ^ set(before.items()))
    untouched = Outcome(
        "bundle untouched",
        "ok" if not changed else "FAILED",
        f"{len(before)} files unchanged"
        if not changed
        else f"{len({c[0] for c in changed})} files written or changed, e.g. {changed[0][0]}",
        0.0,
    )
    outcomes.append(untouched)
    print(untouched.line(), file=out)
    failed = [o.name for o in outcomes if o.status == "FAILED"]
    absent = [o.name for o in outcomes if o.status == "not present"]
    summary = "FAILED: " + ", ".join(failed) if failed else "passed"
    print(
        f"self-test {summary} ({len(outcomes) - len(absent)} checks, "
        f"{len(absent)} not present) in {time.perf_counter() - started:.1f} s",
        file=out,
    )
    return 1 if failed else 0
