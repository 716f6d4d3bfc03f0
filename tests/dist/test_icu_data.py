"""packaging/icu_data.py: the ICU data package is copied faithfully, minus what is not used.

The rules are checked on names and on a small package made here; the real library of the
installed PySide6 is cut and loaded in place of the full one (Linux, with a C compiler).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str) -> ModuleType:
    """packaging/ is not a package (the PyPI `packaging` owns that name): load by path."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "packaging" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


icu = _load("icu_data")
LANGUAGES = ("en", "ru", "uz")

HEADER = (struct.pack("<HBB", 32, 0xDA, 0x27)
          + struct.pack("<HHBBBB", 20, 0, 0, 0, 2, 0) + b"CmnD" + bytes([1, 0, 0, 0, 3, 0, 0, 0]))
HEADER += b"\0" * (32 - len(HEADER))


def _converter(max_bytes: int) -> bytes:
    header = struct.pack("<HBB", 16, 0xDA, 0x27) + b"\0" * 12
    static = struct.pack("<I", 100) + b"name".ljust(60, b"\0") + struct.pack("<iBBBB", 1251, 0, 2,
                                                                           1, max_bytes)
    return header + static + b"\0" * 20


@pytest.mark.parametrize(("name", "kept"), [
    ("icudt73l/ru.res", True),
    ("icudt73l/uz_Cyrl_UZ.res", True),
    ("icudt73l/en_GB.res", True),
    ("icudt73l/root.res", True),
    ("icudt73l/pool.res", True),
    ("icudt73l/res_index.res", True),  # looks like a locale ("res"), is the index
    ("icudt73l/de.res", False),
    ("icudt73l/zh_Hant_TW.res", False),
    ("icudt73l/coll/ru.res", True),
    ("icudt73l/coll/uz.res", True),
    ("icudt73l/coll/zh.res", False),
    ("icudt73l/coll/de__PHONEBOOK.res", False),
    ("icudt73l/coll/ucadata.icu", True),  # the collation root every language starts from
    ("icudt73l/zone/tzdbNames.res", True),  # not locale data: kept whatever its tree
    ("icudt73l/zone/uz_Latn.res", True),
    ("icudt73l/curr/supplementalData.res", True),
    ("icudt73l/supplementalData.res", True),
    ("icudt73l/likelySubtags.res", True),
    ("icudt73l/zoneinfo64.res", True),
    ("icudt73l/nfkc.nrm", True),
    ("icudt73l/uprops.icu", True),
    ("icudt73l/brkitr/word.brk", True),
    ("icudt73l/brkitr/ru.res", True),
    ("icudt73l/brkitr/cjdict.dict", False),
    ("icudt73l/brkitr/thaidict.dict", False),
    ("icudt73l/translit/root.res", False),
])
def test_what_is_kept(name, kept):
    assert icu.keep_item(name, b"", LANGUAGES) is kept


def test_single_byte_code_pages_stay_and_multi_byte_ones_go():
    assert icu.keep_item("icudt73l/ibm-5347_P100-1998.cnv", _converter(1), LANGUAGES)
    assert not icu.keep_item("icudt73l/gb18030.cnv", _converter(4), LANGUAGES)
    assert icu.keep_item("icudt73l/cnvalias.icu", b"", LANGUAGES)


def test_a_package_is_rebuilt_byte_for_byte_and_aligned():
    # ICU's data files come padded to 16 bytes; the package is then copied exactly
    items = tuple(icu.Item(f"icudt73l/{name}", data) for name, data in [
        ("a.res", b"x" * 16), ("coll/de.res", b"de" * 16), ("coll/ru.res", b"ru" * 24),
        ("uprops.icu", b"\1" * 48)])
    package = icu.Package(HEADER, items)
    blob = icu.build_package(package)
    again = icu.parse_package(blob)
    assert again == package
    assert icu.build_package(again) == blob
    odd = icu.parse_package(icu.build_package(icu.Package(HEADER, (icu.Item("i/x.res", b"x"),))))
    assert odd.items[0].data == b"x" + b"\0" * 15  # anything else is padded, not cut
    header_size = len(HEADER)
    count = struct.unpack_from("<I", blob, header_size)[0]
    offsets = [struct.unpack_from("<II", blob, header_size + 4 + 8 * i)[1] for i in range(count)]
    assert all((header_size + at) % 16 == 0 for at in offsets)
    trimmed = icu.trim_package(package, LANGUAGES)
    assert [i.name for i in trimmed.items] == ["icudt73l/a.res", "icudt73l/coll/ru.res",
                                               "icudt73l/uprops.icu"]
    assert icu.parse_package(icu.build_package(trimmed)) == trimmed


def test_what_is_not_a_package_is_refused():
    with pytest.raises(icu.IcuDataError):
        icu.parse_package(b"\0" * 64)


def _pyside_icu() -> Path:
    qt = pytest.importorskip("PySide6")
    found = sorted((Path(qt.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"))
    if not sys.platform.startswith("linux") or not found:
        pytest.skip("PySide6 carries ICU on Linux only")
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler to link the trimmed ICU data")
    return found[0]


@pytest.fixture(scope="module")
def trimmed(tmp_path_factory) -> tuple[Path, Path]:
    library = _pyside_icu()
    compiler = shutil.which("cc") or shutil.which("gcc")
    out = icu.trimmed_library(library, LANGUAGES, tmp_path_factory.mktemp("icu"), compiler)
    return library, out


def test_the_real_library_is_cut_to_the_languages(trimmed):
    library, out = trimmed
    assert out.name == library.name
    assert out.stat().st_size < library.stat().st_size / 4
    _symbol, blob = icu.read_symbol(out)
    names = {item.name.split("/", 1)[1] for item in icu.parse_package(blob).items}
    for tree in ("", "coll/", "zone/", "lang/", "region/", "curr/", "unit/"):
        for locale in ("root", "ru", "uz", "uz_Latn", "uz_Cyrl", "en"):
            if tree == "coll/" and locale.startswith("uz_"):
                continue  # Uzbek collation has no script variants
            assert f"{tree}{locale}.res" in names, f"{tree}{locale}"
    assert "coll/zh.res" not in names and "brkitr/cjdict.dict" not in names


def test_qt_reads_the_cut_library_as_the_whole_one(trimmed):
    """Qt loaded with the cut library (preloaded: same soname) sorts and names as before."""
    _library, out = trimmed
    code = (
        "from PySide6.QtCore import QCollator, QLocale, QTimeZone\n"
        "words = ['Юсуф', 'Ahmedov', 'Ёқубов', 'Ergash', 'Ўрол']\n"
        "print(sorted(words, key=QCollator(QLocale('ru_RU')).sortKey))\n"
        "zone = QTimeZone(b'Asia/Tashkent')\n"
        "for loc in ('ru_RU', 'uz_Latn_UZ', 'uz_Cyrl_UZ', 'en_US'):\n"
        "    print(zone.displayName(QTimeZone.TimeType.StandardTime,\n"
        "                           QTimeZone.NameType.LongName, QLocale(loc)))\n"
    )

    def run(**env: str) -> str:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={**os.environ, **env}, timeout=60, check=True)
        return done.stdout

    whole = run()
    cut = run(LD_PRELOAD=str(out))
    assert cut == whole
    assert cut.splitlines()[0].startswith("['Ёқубов'")  # Cyrillic before Latin in Russian
