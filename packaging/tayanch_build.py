"""What goes into the PyInstaller bundle, computed from the tree so new parts need no edit.

build.spec imports this file (from packaging/, which is put on ``sys.path`` by the spec;
the folder is deliberately not a Python package, because ``packaging`` is also the name of
the PyPI library PyInstaller itself imports). Tests import it by path. Nothing here imports
PyInstaller, so the rules can be checked without building.

The three rules:
- **data**: all of ``resources/``, the compiled ``.mo`` catalogs, and whatever under
  ``app/`` and ``ui/`` is read as a file, above all the alembic scripts (alembic loads
  them from disk: a migration compiled into the archive is never found);
- **hidden imports**: every module under ``app/`` and ``ui/`` (the CLI loads its command
  modules by name, screens are imported lazily) and whatever the migration scripts import
  (they are data, so PyInstaller never sees their imports);
- **pruning**: Qt translations and plugins nobody uses, babel's locales of other
  languages, the Linux libraries the system provides; the excluded Qt modules are in
  ``QT_EXCLUDES``, and Qt's ICU data is cut to ``ICU_LANGUAGES`` by packaging/icu_data.py.
"""

from __future__ import annotations

import ast
import fnmatch
import logging
import os
import string
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "ui")

# Qt's own catalogs (standard dialogs' buttons) in the languages we ship; Qt has no Uzbek,
# so Uzbek users see Qt's English (qt_en/qtbase_en) or the ui's own strings.
QT_TRANSLATIONS_KEPT = ("qt_ru.qm", "qtbase_ru.qm", "qt_en.qm", "qtbase_en.qm")

# Python bindings of Qt modules the program does not use. Each would pull its shared
# libraries, plugins and QML files into the bundle (Qml/Quick alone are ~40 MB).
QT_EXCLUDES = (
    "PySide6.QtWebEngineCore",  # no web views
    "PySide6.QtWebEngineWidgets",
    "PySide6.QtWebEngineQuick",
    "PySide6.QtWebChannel",
    "PySide6.QtWebSockets",
    "PySide6.QtQml",  # widgets only: no QML, no Quick
    "PySide6.QtQmlFeatures",
    "PySide6.QtQuick",
    "PySide6.QtQuickControls2",
    "PySide6.QtQuickTest",
    "PySide6.QtQuickWidgets",
    "PySide6.QtQuick3D",
    "PySide6.Qt3DCore",  # no 3D
    "PySide6.Qt3DRender",
    "PySide6.Qt3DExtras",
    "PySide6.Qt3DInput",
    "PySide6.Qt3DLogic",
    "PySide6.Qt3DAnimation",
    "PySide6.QtMultimedia",  # no audio or video
    "PySide6.QtMultimediaWidgets",
    "PySide6.QtSpatialAudio",
    "PySide6.QtTextToSpeech",
    "PySide6.QtPositioning",  # no maps or sensors
    "PySide6.QtLocation",
    "PySide6.QtSensors",
    "PySide6.QtBluetooth",
    "PySide6.QtNfc",
    "PySide6.QtSerialPort",
    "PySide6.QtSerialBus",
    "PySide6.QtRemoteObjects",
    "PySide6.QtScxml",
    "PySide6.QtDataVisualization",
    "PySide6.QtGraphs",
    "PySide6.QtPdf",  # PDFs are written by reportlab and opened in the system viewer
    "PySide6.QtPdfWidgets",
    "PySide6.QtDesigner",  # development tools
    "PySide6.QtHelp",
    "PySide6.QtUiTools",
    "PySide6.QtTest",  # pytest-qt's, not the program's
    "PySide6.QtSql",  # the register is SQLCipher through sqlcipher3, not Qt's SQL drivers
    "PySide6.QtLabsStyleKit",
    "PySide6.QtVirtualKeyboard",
    "PySide6.QtNetwork",  # sync talks HTTP from the core (app/sync), without Qt
)

# Python packages that are installed for development only and must not ride along.
DEV_EXCLUDES = (
    "tkinter",
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "pypdf",  # tests read PDFs back; the program only writes them
    "ruff",
    "IPython",
    "PyInstaller",
    "pip",
    # PostgreSQL is for the HQ server, which runs from a pip install (README); the desktop
    # bundle's HQ commands use SQLite. SQLAlchemy's hook would otherwise pull psycopg and
    # its ~10 MB of libpq libraries in through the postgresql dialect.
    "psycopg",
    "psycopg_binary",
    "psycopg_c",
    "psycopg2",
    # Likewise uvicorn's C event loop and HTTP parser (14 MB of uvloop): the desktop
    # bundle's `hq serve` runs on asyncio's loop and h11, which uvicorn falls back to.
    "uvloop",
    "httptools",
    # only mako's syntax-highlighting extension imports pygments; alembic never uses it
    "pygments",
    # Pillow stays: reportlab (4 and later) imports PIL.Image whenever it is imported, and
    # PIL.Image needs Pillow's core library with the JPEG, TIFF and JPEG 2000 libraries it
    # links. The documents hold no raster images and the print preview builds its QImage
    # from pdfium's buffer (ui/printing.py), so the optional parts go: the AVIF/WebP codecs
    # (~6 MB of libraries), the Tk bridge, and the colour management (ImageCms, with
    # liblcms2: only Image.convert to or from "LAB" loads it)
    "PIL._avif",
    "PIL.AvifImagePlugin",
    "PIL._webp",
    "PIL.WebPImagePlugin",
    "PIL._imagingtk",
    "PIL.ImageTk",
    "PIL.ImageCms",
    "PIL._imagingcms",
    # uvicorn imports PyYAML only to read a logging configuration from a .yaml file, and
    # starlette only for its OpenAPI-from-docstrings helper; HQ uses neither
    "yaml",
    # reportlab detects a byte string's encoding with it only when an XMP metadata file is
    # embedded or its legacy XML paragraph parser runs; our documents use neither
    "charset_normalizer",
    # interactive-console line editing (pdb, code); drags libreadline and libtinfo along
    "readline",
    # database dialects SQLAlchemy's hook adds although only SQLite (and PostgreSQL at
    # HQ) are ever used
    "sqlalchemy.dialects.mysql",
    "sqlalchemy.dialects.mssql",
    "sqlalchemy.dialects.oracle",
    # pydoc's help topics, and the Chinese/Japanese/Korean codecs (~1 MB of C modules):
    # the program reads and writes UTF-8 and, for old CSV files, cp1251
    "pydoc_data",
    # installed in the venv, imported by nothing the program runs
    "rich",
    "markdown_it",
    # zstandard's cffi backend is a fallback for interpreters without its C backend
    "zstandard._cffi",
    "zstandard.backend_cffi",
    "_codecs_cn",
    "_codecs_hk",
    "_codecs_iso2022",
    "_codecs_jp",
    "_codecs_kr",
    "_codecs_tw",
)

# Linux desktop libraries that every machine able to show the window already has, under
# sonames that have not changed in a decade. Bundling them gains nothing and can break
# (a bundled fontconfig or freetype older than the system's configuration files is the
# classic crash; AppImage's excludelist leaves out the same ones). The C++ runtime,
# OpenSSL and libffi stay in: their versions differ between distributions.
LINUX_SYSTEM_LIBRARIES = (
    "libX11.so.*",
    "libX11-xcb.so.*",
    "libXau.so.*",
    "libXdmcp.so.*",
    "libxcb*.so.*",
    "libxkbcommon*.so.*",
    "libfontconfig.so.*",
    "libfreetype.so.*",
    "libpng16.so.*",
    "libglib-2.0.so.*",
    "libgobject-2.0.so.*",
    "libgio-2.0.so.*",
    "libgmodule-2.0.so.*",
    "libgthread-2.0.so.*",
    "libpcre2-*.so.*",
    "libdbus-1.so.*",
    "libsystemd.so.*",
    "libgcrypt.so.*",
    "libgpg-error.so.*",
    "libcap.so.*",
    "liblz4.so.*",
    "libzstd.so.*",
    "liblzma.so.*",
    "libexpat.so.*",
    "libbrotli*.so.*",
    "libbz2.so.*",
    "libz.so.*",
    "libuuid.so.*",
    "libmount.so.*",
    "libblkid.so.*",
    "libselinux.so.*",
)

# CUPS (the print-support plugin links it) and the libraries CUPS itself links: TLS
# (GnuTLS, Nettle, GMP, p11-kit), Kerberos and Avahi, ~9 MB. They must come from the
# system: a machine that prints has CUPS installed, and its libcups with them, matching the
# system's CUPS and its configuration files (a bundled GnuTLS or p11-kit reading a newer
# system's configuration is the same trap as fontconfig above). Where CUPS is missing, Qt
# skips the plugin when it fails to load: there is no printer to print to, and saving the
# documents as PDF works as before.
LINUX_PRINTING_LIBRARIES = (
    "libcups.so.*",
    "libavahi-client.so.*",
    "libavahi-common.so.*",
    "libgnutls.so.*",
    "libnettle.so.*",
    "libhogweed.so.*",
    "libgmp.so.*",
    "libp11-kit.so.*",
    "libtasn1.so.*",
    "libidn2.so.*",
    "libunistring.so.*",
    "libgssapi_krb5.so.*",
    "libkrb5.so.*",
    "libk5crypto.so.*",
    "libkrb5support.so.*",
    "libcom_err.so.*",
    "libkeyutils.so.*",
)

# Qt plugins by folder: the file-name patterns kept (None keeps the folder whole). Folders
# not listed are kept whole too, so a plugin a future Qt module needs is not lost silently.
QT_PLUGINS_KEPT: dict[str, tuple[str, ...] | None] = {
    # xcb for Linux desktops (a Wayland session falls back to it through XWayland; the
    # Wayland plugin would add ~5 MB of client libraries), windows for Windows, cocoa for
    # macOS, offscreen for CI and the self-test; minimal, vnc, linuxfb, eglfs are for devices.
    "platforms": ("*qxcb*", "*qwindows*", "*qcocoa*", "*qoffscreen*", "*qdirect2d*"),
    # photos (JPEG; PNG is built in), the icon formats, SVG icons
    "imageformats": ("*qjpeg*", "*qico*", "*qsvg*", "*qicns*"),
    # compose keys and IBus for typing; the virtual keyboard would drag in QML and Quick
    "platforminputcontexts": ("*compose*", "*ibus*"),
    # the GTK theme links GTK itself into the bundle; the portal theme is enough
    "platformthemes": ("*xdgdesktopportal*",),
    "egldeviceintegrations": (),  # eglfs only
    "generic": (),  # touch screens via evdev/tuio
    "networkinformation": (),  # QtNetwork is not used for sync
    "tls": (),
    "sqldrivers": (),
    "qmltooling": (),
    "designer": (),
    "vectorimageformats": (),
    "wayland-decoration-client": (),
    "wayland-graphics-integration-client": (),
    "wayland-graphics-integration-server": (),
    "wayland-shell-integration": (),
}

# Qt's Windows DLLs for OpenGL without a graphics driver and for Direct3D shaders: both
# serve Qt Quick's renderer; widgets paint without them (opengl32sw.dll alone is ~20 MB).
QT_WINDOWS_DLLS_DROPPED = ("opengl32sw.dll", "d3dcompiler_*.dll")

# CLDR data of babel (app/formats numbers): the languages of the program, their regional
# forms and the parents babel reads them through (root; en_001 for en_GB). The other
# ~1,000 locales are 34 MB.
BABEL_LOCALES_KEPT = (
    "root.dat",
    "en.dat",
    "en_001.dat",
    "en_GB.dat",
    "ru.dat",
    "ru_*.dat",
    "uz.dat",
    "uz_*.dat",
)

# The same CLDR data again in Qt's ICU (collation, time-zone names) on Linux: the languages
# whose locale data packaging/icu_data.py keeps, each with all its regional forms and the
# root; the other ~800 locales, the East Asian dictionaries and code pages are 27 MB.
ICU_LANGUAGES = ("en", "ru", "uz")


# --- data files ---------------------------------------------------------------------------


class MissingBuildInput(RuntimeError):
    """Something the bundle must carry is not there; the message says how to make it."""


def _files(folder: Path, patterns: Sequence[str] = ("*",)) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        if any(fnmatch.fnmatch(path.name, p) for p in patterns):
            found.append(path)
    return found


def _pairs(paths: Iterable[Path], root: Path) -> list[tuple[str, str]]:
    """PyInstaller's (source file, destination folder) pairs, mirroring the tree."""
    return [(str(p), str(p.parent.relative_to(root))) for p in paths]


def alembic_dirs(root: Path = ROOT, packages: Sequence[str] = PACKAGES) -> list[Path]:
    """Alembic script locations: folders holding ``env.py`` and ``script.py.mako``.

    app/db and app/services are namespace packages (no ``__init__.py``), so "not a package"
    cannot tell scripts from modules; alembic's own layout can.
    """
    return sorted(
        env.parent
        for package in packages
        for env in (root / package).rglob("env.py")
        if (env.parent / "script.py.mako").exists()
    )


def _in_any(path: Path, folders: Sequence[Path]) -> bool:
    return any(folder == path or folder in path.parents for folder in folders)


def code_tree_data(root: Path = ROOT, packages: Sequence[str] = PACKAGES) -> list[Path]:
    """Files under app/ and ui/ that the code reads as files, not as modules: every file of
    an alembic script location (the register's app/db/migrations, HQ's app/hq/migrations,
    any added later) and every non-Python file (templates, .ini, .json, .sql, .qss)."""
    scripts = alembic_dirs(root, packages)
    found = []
    for package in packages:
        for path in _files(root / package):
            if path.suffix in (".pyc", ".pyo"):
                continue
            if path.suffix == ".py" and not _in_any(path, scripts):
                continue
            found.append(path)
    return found


# Set (to anything) only by tests that check the spec's other rules in a working tree
# where translators are editing .po files; a real build never sets it.
STALE_CATALOGS_OK = "TAYANCH_BUILD_STALE_CATALOGS_OK"


def catalog_files(root: Path = ROOT) -> list[Path]:
    """The compiled catalogs; refuses when a .po has no .mo or a .mo older than its .po,
    since the bundle would then show English or yesterday's wording."""
    stale = []
    lenient = bool(os.environ.get(STALE_CATALOGS_OK))
    for po in sorted((root / "translations").glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or (mo.stat().st_mtime < po.stat().st_mtime and not lenient):
            stale.append(po.parent.parent.name)
    if stale:
        raise MissingBuildInput(
            f"catalogs not compiled or older than their .po: {', '.join(stale)}; "
            "run `make translations` first"
        )
    catalogs = _files(root / "translations", ("*.mo",))
    if not catalogs:
        raise MissingBuildInput("no compiled catalogs: run `make translations` first")
    return catalogs


def data_files(root: Path = ROOT) -> list[tuple[str, str]]:
    """Every data file of the bundle, at the same relative place as in the repository.

    app.paths.resource_root() is ``sys._MEIPASS`` when frozen and the repository root
    otherwise, and modules find their neighbours through ``__file__``, which PyInstaller
    points into the same tree: mirroring the layout is what makes both work unchanged.
    """
    resources = _files(root / "resources")
    if not any(p.suffix == ".ttf" for p in resources):
        raise MissingBuildInput("resources/fonts has no .ttf: documents could not be printed")
    code_data = code_tree_data(root)
    if not any(p.parent.name == "versions" for p in code_data):
        raise MissingBuildInput("app/db/migrations/versions has no migration scripts")
    return _pairs(resources, root) + _pairs(catalog_files(root), root) + _pairs(code_data, root)


# --- hidden imports -----------------------------------------------------------------------


def package_modules(root: Path = ROOT, packages: Sequence[str] = PACKAGES) -> list[str]:
    """Every importable module under ``packages``, found on disk without importing any.

    Namespace packages (folders without ``__init__.py``, like app/db) count; alembic's
    script folders do not (they are data), nor ``__main__`` modules (the launcher is the
    frozen program's entry), nor folders whose names are not identifiers.
    """
    scripts = alembic_dirs(root, packages)
    modules: list[str] = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root)
            if "__pycache__" in rel.parts or _in_any(path, scripts):
                continue
            if path.stem == "__main__" or not all(p.isidentifier() for p in rel.parts[:-1]):
                continue
            parts = (
                list(rel.parts[:-1]) if path.stem == "__init__" else [*rel.parts[:-1], path.stem]
            )
            modules.append(".".join(parts))
    return sorted(set(modules))


def imports_of(source: str) -> set[str]:
    """Absolute module names a script imports (relative imports cannot occur in scripts)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def migration_imports(root: Path = ROOT) -> list[str]:
    """What the scripts shipped as data (alembic's) import: PyInstaller never reads them."""
    names: set[str] = set()
    for path in code_tree_data(root):
        if path.suffix == ".py":
            names |= imports_of(path.read_text("utf-8"))
    return sorted(n for n in names if n != "__future__")


# --- pruning ------------------------------------------------------------------------------
# Plugins are filtered while Qt's hooks collect them (their dependencies come along at
# once); translations, babel's locale data and system libraries are pruned from the result.


def _qt_parts(dest: str) -> tuple[str, ...] | None:
    """The path below ``PySide6/Qt/`` (or ``PySide6/`` on Windows), or None if not Qt's."""
    parts = PurePosixPath(dest.replace("\\", "/")).parts
    if len(parts) < 2 or parts[0] != "PySide6":
        return None
    return parts[2:] if parts[1] == "Qt" else parts[1:]


def keep_entry(dest: str, system: str = "") -> bool:
    """Whether a file bound for ``dest`` (its path inside the bundle) stays in.

    ``system`` is platform.system() of the build; system libraries are dropped on Linux only.
    """
    parts = PurePosixPath(dest.replace("\\", "/")).parts
    if system == "Linux" and len(parts) == 1:
        return not any(
            fnmatch.fnmatch(parts[0], p)
            for p in (*LINUX_SYSTEM_LIBRARIES, *LINUX_PRINTING_LIBRARIES)
        )
    if parts[:2] == ("babel", "locale-data") and len(parts) == 3:
        return any(fnmatch.fnmatch(parts[2], p) for p in BABEL_LOCALES_KEPT)
    qt = _qt_parts(dest)
    if not qt:
        return True
    if any(fnmatch.fnmatch(qt[-1].lower(), p) for p in QT_WINDOWS_DLLS_DROPPED):
        return False
    if qt[0] == "translations" and len(qt) == 2:
        return qt[1] in QT_TRANSLATIONS_KEPT
    if qt[0] == "plugins" and len(qt) >= 3:
        kept = QT_PLUGINS_KEPT.get(qt[1])
        return kept is None or any(fnmatch.fnmatch(qt[-1], p) for p in kept)
    return True


def filter_qt_plugins_at_collection() -> None:
    """Make PyInstaller's Qt hooks skip the plugins ``keep_entry`` drops, as they collect.

    Pruning the finished list is not enough for plugins: by then PyInstaller has already
    added each plugin's shared-library dependencies (the virtual keyboard plugin alone pulls
    QtQuick and QtQml, ~20 MB), and those are indistinguishable from libraries the program
    needs. PyInstaller offers no setting for this, so the one collecting method is wrapped;
    if a PyInstaller release renames it, the build fails here rather than growing silently.
    """
    from PyInstaller.utils.hooks import qt

    collect = qt.QtLibraryInfo.collect_plugins
    if getattr(collect, "_tayanch_filtered", False):
        return

    def collect_kept(self, plugin_type):
        found = collect(self, plugin_type)
        kept = [(src, dst) for src, dst in found if keep_entry(f"{dst}/{Path(src).name}")]
        if len(kept) != len(found):
            logger.info("Qt plugins %s: kept %d of %d", plugin_type, len(kept), len(found))
        return kept

    collect_kept._tayanch_filtered = True  # type: ignore[attr-defined]
    qt.QtLibraryInfo.collect_plugins = collect_kept


def prune(toc: Iterable[tuple], system: str = "") -> list[tuple]:
    """A PyInstaller TOC (name, path, kind) without the entries ``keep_entry`` drops."""
    kept, dropped = [], 0
    for entry in toc:
        if keep_entry(entry[0], system):
            kept.append(entry)
        else:
            dropped += 1
    logger.info("pruned %d Qt translations, babel locales and system libraries", dropped)
    return kept


# --- Windows version resource -------------------------------------------------------------

VERSION_TEMPLATE = Path(__file__).resolve().parent / "win-version-info.txt.in"


def version_info_text(template: Path = VERSION_TEMPLATE) -> str:
    """The Windows version resource for this version, from the template in packaging/.

    Values go in as Python literals (``repr``), so a quote or a non-ASCII letter in a name
    cannot break the resource; the caller has the repository on ``sys.path``.
    """
    from app import version

    return string.Template(template.read_text("utf-8")).substitute(
        numbers=repr(version.version_tuple()),
        version=repr(version.VERSION),
        name=repr(version.APP_NAME),
        exe=repr(version.EXE_NAME),
        exe_file=repr(version.EXE_NAME + ".exe"),
        organization=repr(version.ORGANIZATION),
        description=repr(version.DESCRIPTION),
        copyright=repr(version.COPYRIGHT),
    )
