"""build.spec and the rules it takes from packaging/tayanch_build.py, checked without building.

A full build takes a minute or more; these take a second and catch what breaks the bundle
on machines we never see: a catalog, font or migration script left out, a command module
not collected, the version resource naming another version, a Qt plugin pruned that the
window needs, or one kept that drags 20 MB of QML along.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from app import __version__, version

ROOT = Path(__file__).resolve().parents[2]


def _load_plan() -> ModuleType:
    """packaging/ is not a package (the PyPI `packaging` owns that name): load by path."""
    spec = importlib.util.spec_from_file_location(
        "tayanch_build", ROOT / "packaging" / "tayanch_build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["tayanch_build"] = module
    spec.loader.exec_module(module)
    return module


plan = _load_plan()


# --- the spec, run with PyInstaller's build steps recorded instead of performed -------------


class Recorder:
    """Stands in for PyInstaller's Analysis/PYZ/EXE/COLLECT/BUNDLE: records the call."""

    calls: list[tuple[str, tuple, dict]] = []

    def __init__(self, kind: str):
        self.kind = kind

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        Recorder.calls.append((self.kind, args, kwargs))
        return _Result(kwargs)


class _Result:
    def __init__(self, kwargs: dict):
        self.kwargs = kwargs
        self.binaries, self.datas, self.pure, self.scripts = [], list(kwargs.get("datas", [])), [], []


@pytest.fixture(scope="module")
def spec_run(tmp_path_factory) -> dict[str, Any]:
    pytest.importorskip("PyInstaller", reason="pip install pyinstaller to check build.spec")
    # Catalog freshness has its own tests below; translators may be mid-edit here.
    mp = pytest.MonkeyPatch()
    mp.setenv(plan.STALE_CATALOGS_OK, "1")
    Recorder.calls = []
    namespace = {name: Recorder(name) for name in ("Analysis", "PYZ", "EXE", "COLLECT",
                                                   "BUNDLE")}
    namespace.update(SPECPATH=str(ROOT), workpath=str(tmp_path_factory.mktemp("work")),
                     __file__=str(ROOT / "build.spec"), __name__="__main__")
    code = compile((ROOT / "build.spec").read_text("utf-8"), "build.spec", "exec")
    saved_path = list(sys.path)
    try:
        exec(code, namespace)
    finally:
        sys.path[:] = saved_path
        mp.undo()
    calls: dict[str, list[dict]] = {}
    for kind, _args, kwargs in Recorder.calls:
        calls.setdefault(kind, []).append(kwargs)
    return calls


def test_the_spec_is_valid_python_in_the_house_style():
    source = (ROOT / "build.spec").read_text("utf-8")
    tree = ast.parse(source)
    upx = [kw.value.value for node in ast.walk(tree) if isinstance(node, ast.Call)
           for kw in node.keywords if kw.arg == "upx" and isinstance(kw.value, ast.Constant)]
    assert upx and not any(upx), "upx must be off everywhere"


def test_onedir_with_the_data_the_program_reads(spec_run):
    (analysis,) = spec_run["Analysis"]
    dests = {(Path(src).name, dest.replace("\\", "/")) for src, dest in analysis["datas"]}
    assert ("DejaVuSerif.ttf", "resources/fonts") in dests
    assert ("tayanch.svg", "resources/icons") in dests
    for lang in ("uz_Latn", "uz_Cyrl", "ru", "en"):
        assert ("tayanch.mo", f"translations/{lang}/LC_MESSAGES") in dests
    assert ("env.py", "app/db/migrations") in dests
    migrations = sorted(p.name for p in (ROOT / "app/db/migrations/versions").glob("*.py"))
    assert migrations and all((m, "app/db/migrations/versions") in dests for m in migrations)
    assert spec_run["COLLECT"], "onedir: a COLLECT step"
    assert all(exe["exclude_binaries"] for exe in spec_run["EXE"])


def test_every_module_of_app_and_ui_is_collected(spec_run):
    (analysis,) = spec_run["Analysis"]
    hidden = set(analysis["hiddenimports"])
    from app.cli import COMMAND_MODULES

    present = [m for m in COMMAND_MODULES if importlib.util.find_spec(m) is not None]
    assert present and set(present) <= hidden  # loaded by name: analysis cannot see them
    assert {"app.selftest", "app.db.register", "app.reports.visit_act"} <= hidden
    assert not any(".migrations" in m for m in hidden)
    assert not any(m.endswith("__main__") for m in hidden)


def test_what_compiled_modules_import_from_c_is_collected(spec_run):
    """nacl._sodium needs _cffi_backend: the unlock fails at once in a bundle without it."""
    (analysis,) = spec_run["Analysis"]
    assert "_cffi_backend" in analysis["hiddenimports"]


def test_unused_qt_modules_and_dev_tools_are_excluded(spec_run):
    (analysis,) = spec_run["Analysis"]
    excludes = set(analysis["excludes"])
    for module in ("PySide6.QtWebEngineCore", "PySide6.QtQml", "PySide6.QtQuick",
                   "PySide6.Qt3DCore", "PySide6.QtMultimedia", "pytest", "tkinter"):
        assert module in excludes
    # never exclude what the code imports
    used = {"PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtSvg",
            "PySide6.QtCharts", "PySide6.QtPrintSupport"}
    assert not used & excludes


def test_executables_by_platform(spec_run):
    names = {exe["name"]: exe for exe in spec_run["EXE"]}
    assert version.EXE_NAME in names
    main = names[version.EXE_NAME]
    if sys.platform.startswith("linux"):
        # Linux: one console program, so `--self-test` and the CLI print to the terminal
        assert main["console"] is True and len(names) == 1
    else:
        assert main["console"] is False and names[version.EXE_NAME + "-cli"]["console"] is True
    assert all(exe["upx"] is False for exe in spec_run["EXE"])


def test_version_resource_names_the_package_version():
    text = plan.version_info_text()
    tree = ast.parse(text, mode="eval")  # PyInstaller evaluates it: it must be one expression
    assert isinstance(tree.body, ast.Call) and ast.unparse(tree.body.func) == "VSVersionInfo"
    strings = {node.args[0].value: node.args[1].value for node in ast.walk(tree)
               if isinstance(node, ast.Call) and ast.unparse(node.func) == "StringStruct"}
    assert strings["FileVersion"] == strings["ProductVersion"] == __version__
    assert strings["OriginalFilename"] == "tayanch.exe"
    filevers = next(kw.value for node in ast.walk(tree) for kw in getattr(node, "keywords", [])
                    if kw.arg == "filevers")
    assert ast.literal_eval(filevers) == version.version_tuple()


def test_package_version_is_the_one_in_pyproject():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert meta["project"]["version"] == __version__


@pytest.mark.parametrize(("text", "expected"), [
    ("0.1.0", (0, 1, 0, 0)), ("1.2", (1, 2, 0, 0)), ("2.0.1rc1", (2, 0, 1, 0)),
    ("1.2.3.4.5", (1, 2, 3, 4)),
])
def test_version_tuple(text, expected):
    assert version.version_tuple(text) == expected


def test_version_tuple_refuses_what_windows_cannot_hold():
    with pytest.raises(ValueError):
        version.version_tuple("dev")
    with pytest.raises(ValueError):
        version.version_tuple("70000.1")


# --- pruning -----------------------------------------------------------------------------


@pytest.mark.parametrize(("dest", "kept"), [
    ("PySide6/Qt/translations/qtbase_ru.qm", True),
    ("PySide6/Qt/translations/qt_ru.qm", True),
    ("PySide6/Qt/translations/qtbase_de.qm", False),
    ("PySide6/Qt/translations/qtdeclarative_ru.qm", False),
    ("PySide6/translations/qtbase_ru.qm", True),  # the Windows wheel's layout
    ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
    ("PySide6\\plugins\\platforms\\qwindows.dll", True),
    ("PySide6/Qt/plugins/platforms/libqvnc.so", False),
    ("PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so", False),
    ("PySide6/Qt/plugins/imageformats/libqjpeg.so", True),
    ("PySide6/Qt/plugins/imageformats/libqsvg.so", True),
    ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", True),
    ("PySide6/Qt/plugins/printsupport/libcupsprintersupport.so", True),  # not listed: kept
    ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", False),
    ("babel/locale-data/uz_Cyrl.dat", True),
    ("babel/locale-data/root.dat", True),
    ("babel/locale-data/de.dat", False),
    ("babel/global.dat", True),
    ("app/db/migrations/env.py", True),
    ("PySide6/opengl32sw.dll", False),  # Windows: software OpenGL, for Qt Quick only
    ("PySide6/d3dcompiler_47.dll", False),
    ("PySide6/Qt6Widgets.dll", True),
])
def test_what_pruning_keeps(dest, kept):
    assert plan.keep_entry(dest) is kept


@pytest.mark.parametrize(("dest", "kept"), [
    ("libcups.so.2", False),  # printing comes from the system's CUPS, with what it links
    ("libgnutls.so.30", False),
    ("libkrb5.so.3", False),
    ("libp11-kit.so.0", False),
    ("libfontconfig.so.1", False),
    ("libffi.so.8", True),  # _ctypes needs it; its soname differs between distributions
    ("libcrypto.so.3", True),  # Python's ssl and hashlib
    ("libstdc++.so.6", True),
    ("PySide6/Qt/plugins/printsupport/libcupsprintersupport.so", True),
])
def test_what_pruning_keeps_on_linux(dest, kept):
    assert plan.keep_entry(dest, "Linux") is kept
    assert plan.keep_entry(dest, "Windows") is True  # the rule is Linux's only


def test_what_the_program_does_not_import_stays_out(spec_run):
    (analysis,) = spec_run["Analysis"]
    excludes = set(analysis["excludes"])
    assert {"yaml", "charset_normalizer", "PIL.ImageCms", "PIL._avif"} <= excludes
    # reportlab imports PIL.Image whenever it is imported: Pillow itself must stay
    assert not {"PIL", "PIL.Image", "reportlab", "nacl"} & excludes


def _babel_chain(name: str) -> list[str]:
    """The locale-data files babel reads for ``name``: itself and each parent to root."""
    from babel.core import get_global

    exceptions = get_global("parent_exceptions")
    chain = [name]
    while chain[-1] != "root":
        ident = chain[-1]
        chain.append(exceptions.get(ident) or ("_".join(ident.split("_")[:-1]) or "root"))
    return chain


def test_babel_keeps_every_locale_the_program_formats_numbers_in():
    """The pruned CLDR set must still hold each locale's whole parent chain."""
    babel = pytest.importorskip("babel")
    data = Path(babel.__file__).parent / "locale-data"
    for name in ("uz_Latn", "uz_Cyrl", "ru", "en", "en_GB", "ru_RU", "uz_Latn_UZ"):
        for part in _babel_chain(name):
            assert (data / f"{part}.dat").exists(), part
            assert plan.keep_entry(f"babel/locale-data/{part}.dat"), f"{name} needs {part}"


def test_plugin_filter_applies_while_qt_hooks_collect():
    """Filtering must happen at collection: what Qt's hook returns has no dropped plugin."""
    pytest.importorskip("PyInstaller")
    from PyInstaller.utils.hooks import qt

    plan.filter_qt_plugins_at_collection()
    plan.filter_qt_plugins_at_collection()  # idempotent: wrapped once
    info = qt.QtLibraryInfo("PySide6")
    names = {Path(src).name for src, _dest in info.collect_plugins("platforms")}
    assert any("qoffscreen" in n for n in names)
    assert not any("qvnc" in n or "qminimal" in n or "qwayland" in n for n in names)


# --- the inputs the build refuses without -----------------------------------------------------


def _minimal_tree(root: Path) -> Path:
    (root / "resources" / "fonts").mkdir(parents=True)
    (root / "resources" / "fonts" / "Font.ttf").write_bytes(b"ttf")
    lc = root / "translations" / "ru" / "LC_MESSAGES"
    lc.mkdir(parents=True)
    (lc / "tayanch.po").write_text('msgid ""\nmsgstr ""\n', "utf-8")
    mig = root / "app" / "db" / "migrations"
    (mig / "versions").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("", "utf-8")
    (root / "app" / "db" / "engine.py").write_text("import os\n", "utf-8")
    (mig / "env.py").write_text("from alembic import context\nimport app.domain\n", "utf-8")
    (mig / "script.py.mako").write_text("", "utf-8")
    (mig / "versions" / "0001_initial.py").write_text("import sqlalchemy as sa\n", "utf-8")
    (root / "app" / "hq" / "templates").mkdir(parents=True)
    (root / "app" / "hq" / "templates" / "page.html").write_text("<p>", "utf-8")
    return root


def test_build_refuses_a_catalog_that_was_not_compiled(tmp_path):
    root = _minimal_tree(tmp_path)
    with pytest.raises(plan.MissingBuildInput, match="make translations"):
        plan.data_files(root)


def test_build_refuses_a_catalog_older_than_its_po(tmp_path, monkeypatch):
    monkeypatch.delenv(plan.STALE_CATALOGS_OK, raising=False)
    root = _minimal_tree(tmp_path)
    lc = root / "translations" / "ru" / "LC_MESSAGES"
    (lc / "tayanch.mo").write_bytes(b"mo")
    os.utime(lc / "tayanch.mo", (1_000_000, 1_000_000))
    with pytest.raises(plan.MissingBuildInput, match="ru"):
        plan.data_files(root)


def test_data_and_hidden_imports_follow_the_tree(tmp_path):
    root = _minimal_tree(tmp_path)
    (root / "translations" / "ru" / "LC_MESSAGES" / "tayanch.mo").write_bytes(b"mo")
    dests = {(Path(s).name, d.replace("\\", "/")) for s, d in plan.data_files(root)}
    assert ("0001_initial.py", "app/db/migrations/versions") in dests
    assert ("page.html", "app/hq/templates") in dests  # a file a new part reads appears
    assert ("engine.py", "app/db") not in dests  # modules go into the archive, not as files
    assert plan.package_modules(root) == ["app", "app.db.engine"]
    assert {"alembic", "app.domain", "sqlalchemy"} <= set(plan.migration_imports(root))


def test_build_refuses_without_fonts(tmp_path):
    root = _minimal_tree(tmp_path)
    shutil.rmtree(root / "resources" / "fonts")
    with pytest.raises(plan.MissingBuildInput, match="ttf"):
        plan.data_files(root)

