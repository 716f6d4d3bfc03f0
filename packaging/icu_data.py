"""A smaller ICU data library for the Linux bundle: the program's languages, not all 800.

PySide6's Linux wheels carry ICU for Qt Core (collation, code pages, time-zone names), and
its data library libicudata.so is 32 MB: the same CLDR data babel carries, for every
locale, plus break-iteration dictionaries for Chinese, Japanese, Thai, Lao, Khmer and
Burmese, transliteration rules, and conversion tables for the East Asian and EBCDIC
multi-byte code pages. Qt on Windows and macOS uses the system's ICU, so only Linux has it.

The library is one symbol (``icudt73_dat``) holding an ICU common data package: a table of
contents and the items, each an ICU data file named like ``icudt73l/coll/ru.res``. This
module copies that package with the items the program cannot reach left out, and links it
into a shared library of the same name with the system's C compiler, as ICU's own build
(pkgdata) does. Kept: every item that is not locale data (normalization, properties,
time-zone rules, likely subtags, plural rules, the collation root, ...), the locale data
of ``root`` and of the program's languages in every tree (their whole parent chains stay
inside those languages), and the single-byte code pages. A locale left out falls back to
root, as ICU does for any locale it lacks. Nothing is computed here but a copy of bytes.

build.spec calls :func:`trim_toc` on the Analysis binaries (Linux only); without a C
compiler the build keeps the full library and says so.
"""

from __future__ import annotations

import logging
import re
import shutil
import struct
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

logger = logging.getLogger(__name__)

LIBRARY = re.compile(r"libicudata\.so\.\d+")
SYMBOL = re.compile(rb"icudt\d+_dat")
# Trees whose items are data for one locale each (``<tree>/<locale>.res``).
LOCALE_TREES = ("", "brkitr", "coll", "curr", "lang", "rbnf", "region", "unit", "zone")
# In every locale tree: the fallback root, the strings the tree's locales share, the index.
SHARED_STEMS = ("root", "pool", "res_index")
# A locale id: a language of 2-3 letters, then anything after "_" (script, region, variant).
LOCALE_STEM = re.compile(r"[a-z]{2,3}(?:_.*)?")
# Qt never transliterates (translit/), and the word dictionaries (brkitr/*.dict) serve the
# scripts written without spaces (Chinese, Japanese, Thai, Lao, Khmer, Burmese).
DROPPED_TREES = ("translit",)
DROPPED_SUFFIXES = (".dict",)
ALIGN = 16  # ICU reads items in place; its own tools align each to 16 bytes


class IcuDataError(ValueError):
    """Not an ICU common data package (or not one this module understands)."""


@dataclass(frozen=True)
class Item:
    name: str  # "icudt73l/coll/ru.res"
    data: bytes


@dataclass(frozen=True)
class Package:
    header: bytes  # ICU's data header ("CmnD"), copied as it is
    items: tuple[Item, ...]  # in table-of-contents order (sorted by name: ICU searches it)


# --- the common data package --------------------------------------------------------------


def parse_package(blob: bytes) -> Package:
    """The header and items of a little-endian ICU common data package (.dat)."""
    if len(blob) < 32 or blob[2:4] != b"\xda\x27" or blob[12:16] != b"CmnD":
        raise IcuDataError("not an ICU common data package")
    if blob[8] != 0:
        raise IcuDataError("a big-endian ICU package")
    header_size = struct.unpack_from("<H", blob, 0)[0]
    count = struct.unpack_from("<I", blob, header_size)[0]
    entries = []
    for i in range(count):
        name_at, data_at = struct.unpack_from("<II", blob, header_size + 4 + 8 * i)
        end = blob.index(b"\0", header_size + name_at)
        entries.append((blob[header_size + name_at : end].decode("ascii"), data_at))
    ends = [data_at for _name, data_at in entries[1:]] + [len(blob) - header_size]
    items = tuple(
        Item(name, blob[header_size + start : header_size + end])
        for (name, start), end in zip(entries, ends, strict=True)
    )
    return Package(blob[:header_size], items)


def _pad(size: int) -> int:
    return -size % ALIGN


def build_package(package: Package) -> bytes:
    """The .dat bytes of ``package``: header, table of contents, names, aligned items."""
    header, items = package.header, package.items
    names = b"".join(item.name.encode("ascii") + b"\0" for item in items)
    toc_size = 4 + 8 * len(items)
    first = toc_size + len(names)
    first += _pad(len(header) + first)
    out = bytearray(header)
    out += struct.pack("<I", len(items))
    name_at, data_at = toc_size, first
    for item in items:
        out += struct.pack("<II", name_at, data_at)
        name_at += len(item.name) + 1
        data_at += len(item.data) + _pad(len(item.data))
    out += names
    out += b"\0" * _pad(len(out))
    for item in items:
        out += item.data + b"\0" * _pad(len(item.data))
    return bytes(out)


# --- what is kept -------------------------------------------------------------------------


def _max_bytes_per_char(converter: bytes) -> int:
    """From a .cnv item's UConverterStaticData: size, name[60], codepage, platform, type,
    min and max bytes per character."""
    header_size = struct.unpack_from("<H", converter, 0)[0]
    return converter[header_size + 4 + 60 + 4 + 3]


def keep_item(name: str, data: bytes, languages: Sequence[str]) -> bool:
    """Whether the item ``name`` (``icudt73l/<tree>/<file>``) stays in the package."""
    path = PurePosixPath(name)
    parts = path.parts[1:]  # below "icudt73l"
    tree = "/".join(parts[:-1])
    if tree in DROPPED_TREES or path.suffix in DROPPED_SUFFIXES:
        return False
    if not tree and path.suffix == ".cnv":
        return _max_bytes_per_char(data) == 1  # single-byte code pages are a few KB each
    if path.suffix != ".res" or tree not in LOCALE_TREES:
        return True
    stem = path.stem
    if stem in SHARED_STEMS or not LOCALE_STEM.fullmatch(stem):
        return True  # not locale data: supplementalData, zoneinfo64, tzdbNames, ...
    return stem.split("_")[0] in languages


def trim_package(package: Package, languages: Sequence[str]) -> Package:
    return Package(
        package.header, tuple(i for i in package.items if keep_item(i.name, i.data, languages))
    )


# --- the shared library ---------------------------------------------------------------------


def read_symbol(library: Path) -> tuple[str, bytes]:
    """The ICU data symbol's name and bytes, from a little-endian ELF64 shared library."""
    elf = library.read_bytes()
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise IcuDataError(f"{library.name}: not a little-endian 64-bit ELF file")
    (shoff,) = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", elf, shoff + i * shentsize) for i in range(shnum)]
    for _name, kind, _flags, _addr, offset, size, link, _info, _align, entsize in sections:
        if kind != 11:  # SHT_DYNSYM
            continue
        strings = sections[link][4]
        for at in range(offset, offset + size, entsize):
            name_at, _st_info, _other, shndx, value, length = struct.unpack_from("<IBBHQQ", elf, at)
            end = elf.index(b"\0", strings + name_at)
            symbol = elf[strings + name_at : end]
            if SYMBOL.fullmatch(symbol) and 0 < shndx < len(sections):
                _n, _k, _f, sec_addr, sec_offset, *_rest = sections[shndx]
                start = sec_offset + value - sec_addr
                return symbol.decode("ascii"), elf[start : start + length]
    raise IcuDataError(f"{library.name}: no icudtNN_dat symbol")


ASSEMBLY = """\
    .section .rodata
    .balign {align}
    .globl {symbol}
    .type {symbol}, @object
{symbol}:
    .incbin "{data}"
    .size {symbol}, . - {symbol}
    .section .note.GNU-stack,"",@progbits
"""


def link_library(data: bytes, symbol: str, soname: str, folder: Path, compiler: str = "cc") -> Path:
    """A shared library ``soname`` whose one symbol ``symbol`` holds ``data``."""
    folder.mkdir(parents=True, exist_ok=True)
    dat = folder / (symbol.removesuffix("_dat") + "l.dat")
    dat.write_bytes(data)
    source = folder / "icudata.S"
    source.write_text(ASSEMBLY.format(align=ALIGN, symbol=symbol, data=dat.resolve()), "utf-8")
    target = folder / soname
    subprocess.run(
        [
            compiler,
            "-shared",
            "-nostdlib",
            f"-Wl,-soname,{soname}",
            "-Wl,-z,noexecstack",
            "-o",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return target


def trimmed_library(
    library: Path, languages: Sequence[str], folder: Path, compiler: str = "cc"
) -> Path:
    """A copy of ``library`` (libicudata.so.NN) holding only what ``keep_item`` keeps."""
    symbol, blob = read_symbol(library)
    package = parse_package(blob)
    kept = trim_package(package, languages)
    data = build_package(kept)
    target = link_library(data, symbol, library.name, folder, compiler)
    if read_symbol(target) != (symbol, data) or parse_package(data).items != kept.items:
        raise IcuDataError(f"{target}: the linked package reads back differently")
    logger.info(
        "ICU data: kept %d of %d items, %.1f of %.1f MB",
        len(kept.items),
        len(package.items),
        len(data) / 1e6,
        len(blob) / 1e6,
    )
    return target


def trim_toc(binaries: Iterable[tuple], languages: Sequence[str], folder: Path) -> list[tuple]:
    """PyInstaller's binaries with libicudata.so.NN replaced by the trimmed copy.

    Without a C compiler (or with an ICU library this module does not understand) the
    original stays, with a warning: the bundle works, it is only 27 MB larger.
    """
    out = []
    for entry in binaries:
        dest, src, kind = entry[0], entry[1], entry[2]
        if kind == "BINARY" and LIBRARY.fullmatch(PurePosixPath(dest).name):
            compiler = shutil.which("cc") or shutil.which("gcc")
            try:
                if compiler is None:
                    raise FileNotFoundError("no C compiler (cc) to link the trimmed ICU data")
                src = str(trimmed_library(Path(src), languages, folder, compiler))
            except (OSError, IcuDataError, subprocess.CalledProcessError) as exc:
                logger.warning("ICU data kept whole (%s): %s", dest, exc)
            entry = (dest, src, kind)
        out.append(entry)
    return out
