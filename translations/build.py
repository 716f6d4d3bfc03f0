"""Build and maintain the gettext catalogs of Tayanch.

    python translations/build.py compile [--out DIR]  # .po -> .mo (what `make` runs)
    python translations/build.py check               # placeholders and plural forms only
    python translations/build.py extract             # app/ and ui/ -> translations/tayanch.pot
    python translations/build.py update              # merge the .pot into every .po

The .mo files are build outputs (gitignored): compile writes them next to their .po, or
under ``--out DIR`` with the same layout (tests use a temporary folder). Compiling refuses
a catalog whose translation lost or renamed a ``{placeholder}``, because that would only
show up as a crash or a wrong document at print time.

Equivalent pybabel commands, for reference:
    pybabel extract -F translations/babel.cfg -k N_ -k _ -k ngettext:1,2 \\
        -o translations/tayanch.pot app ui
    pybabel update -i translations/tayanch.pot -d translations -D tayanch
    pybabel compile -d translations -D tayanch
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DOMAIN = "tayanch"
LANGUAGES = ("uz_Latn", "uz_Cyrl", "ru", "en")
EXPECTED_PLURALS = {"uz_Latn": 2, "uz_Cyrl": 2, "ru": 3, "en": 2}
_PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def po_files(src: Path = HERE) -> list[Path]:
    return sorted(src.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def _placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def check_catalog(po: Path) -> list[str]:
    """Problems that would break printing: placeholders that differ, wrong plural count."""
    problems: list[str] = []
    with po.open("rb") as fh:
        catalog = read_po(fh)
    lang = po.parent.parent.name
    expected = EXPECTED_PLURALS.get(lang)
    if expected is not None and catalog.num_plurals != expected:
        problems.append(f"{po}: {catalog.num_plurals} plural forms, expected {expected}")
    if catalog.fuzzy:
        problems.append(f"{po}: the header is marked fuzzy, pybabel would skip the catalog")
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set().union(*(_placeholders(i) for i in ids))
        for text in strings:
            if text and _placeholders(text) != wanted:
                problems.append(
                    f"{po}:{message.lineno}: placeholders {sorted(wanted)} in {ids[0]!r}"
                )
    return problems


def compile_catalogs(src: Path = HERE, out: Path | None = None) -> list[Path]:
    """Write a .mo for each .po under ``src``; return the paths written."""
    problems = [p for po in po_files(src) for p in check_catalog(po)]
    if problems:
        raise SystemExit("translations refused:\n" + "\n".join(problems))
    written: list[Path] = []
    for po in po_files(src):
        target_dir = (out / po.parent.relative_to(src)) if out else po.parent
        target_dir.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as fh:
            catalog = read_po(fh)
        target = target_dir / f"{DOMAIN}.mo"
        with target.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        written.append(target)
    return written


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", *args])


def extract() -> None:
    # Relative paths, so the references in the .pot do not name this machine's folders.
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        _pybabel(
            "extract", "-F", "translations/babel.cfg", "-k", "N_", "-k", "_",
            "-k", "ngettext:1,2", "--project=Tayanch", "--no-wrap", "--sort-by-file",
            "-o", f"translations/{DOMAIN}.pot", "app", "ui",
        )  # fmt: skip
    finally:
        os.chdir(cwd)


def update() -> None:
    _pybabel(
        "update", "-i", str(HERE / f"{DOMAIN}.pot"), "-d", str(HERE), "-D", DOMAIN, "--no-wrap",
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("compile", "check", "extract", "update"))
    parser.add_argument("--out", type=Path, help="write .mo files under this folder instead")
    args = parser.parse_args(argv)
    if args.command == "compile":
        for path in compile_catalogs(out=args.out):
            print(path)
    elif args.command == "check":
        problems = [p for po in po_files() for p in check_catalog(po)]
        print("\n".join(problems) or "ok")
        return 1 if problems else 0
    elif args.command == "extract":
        extract()
    else:
        update()
    return 0


if __name__ == "__main__":
    sys.exit(main())
