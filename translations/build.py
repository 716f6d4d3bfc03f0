"""Build and maintain the gettext catalogs of Tayanch.

    python translations/build.py compile [--out DIR]  # .po -> .mo (what `make translations` runs)
    python translations/build.py check               # everything the completeness test checks
    python translations/build.py extract             # app/ and ui/ -> translations/tayanch.pot
    python translations/build.py update              # merge the .pot into every .po
    python translations/build.py sync                # extract, then update
    python translations/build.py todo LANG           # the entries LANG still lacks, as a .po

The .mo files are build outputs (gitignored): compile writes them next to their .po, or
under ``--out DIR`` with the same layout (tests use a temporary folder). Compiling refuses
a catalog whose translation lost or renamed a ``{placeholder}``, because that would only
show up as a crash or a wrong document at print time. It does not refuse a catalog that is
merely incomplete (an untranslated string shows in English); the test suite does.

Compile also writes ``uz_Latn_2026``: the classic Latin catalog converted to the 2026
alphabet by ``app.alphabet``. Nobody edits that catalog; there is no .po for it.

The rules, the same here and in tests/i18n:
- every message of the .pot is in every catalog, and nothing else (no obsolete ``#~``);
- no fuzzy entry: a fuzzy guess by ``update`` must be checked and its flag removed;
- uz_Latn, uz_Cyrl and ru translate every message, every plural form;
- en is the source language: an empty translation means "as in the code"; a non-empty
  one is a deliberate change of the English wording and follows the same rules;
- a translation has exactly the ``{placeholders}`` of its source;
- plural forms: 2 for Uzbek and English, 3 for Russian (1, 2-4, 5-20 and 11-14).

Equivalent pybabel commands, for reference:
    pybabel extract -F translations/babel.cfg -k N_ -k _ -k ngettext:1,2 \\
        -k pgettext:1c,2 -k npgettext:1c,2,3 -c TRANSLATORS: \\
        -o translations/tayanch.pot app ui
    pybabel update -i translations/tayanch.pot -d translations -D tayanch --ignore-obsolete
    pybabel compile -d translations -D tayanch
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DOMAIN = "tayanch"
LANGUAGES = ("uz_Latn", "uz_Cyrl", "ru", "en")
SOURCE_LANGUAGE = "en"
# Converted at compile time from the catalog named, never edited: folder -> source folder.
DERIVED = {"uz_Latn_2026": "uz_Latn"}
EXPECTED_PLURALS = {"uz_Latn": 2, "uz_Cyrl": 2, "ru": 3, "en": 2}
KEYWORDS = ("N_", "_", "ngettext:1,2", "pgettext:1c,2", "npgettext:1c,2,3")
_PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def po_files(src: Path = HERE) -> list[Path]:
    return sorted(src.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def _placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def _strings(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _key(message) -> str:
    return message.id[0] if isinstance(message.id, (tuple, list)) else message.id


def check_catalog(po: Path) -> list[str]:
    """Problems that would break printing: placeholders that differ, wrong plural count."""
    problems: list[str] = []
    catalog = read_catalog(po)
    lang = po.parent.parent.name
    expected = EXPECTED_PLURALS.get(lang)
    if expected is not None and catalog.num_plurals != expected:
        problems.append(f"{po}: {catalog.num_plurals} plural forms, expected {expected}")
    if catalog.fuzzy:
        problems.append(f"{po}: the header is marked fuzzy, pybabel would skip the catalog")
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue
        wanted = set().union(*(_placeholders(i) for i in _strings(message.id)))
        for text in _strings(message.string):
            if text and _placeholders(text) != wanted:
                problems.append(
                    f"{po}:{message.lineno}: placeholders {sorted(wanted)} in {_key(message)!r}"
                )
    return problems


def completeness_problems(po: Path, pot: Path = HERE / f"{DOMAIN}.pot") -> list[str]:
    """What keeps a catalog from being complete: the rules in this module's docstring."""
    catalog = read_catalog(po)
    template = read_catalog(pot)
    lang = po.parent.parent.name
    problems: list[str] = []
    wanted = {(_key(m), m.context) for m in template if m.id}
    have = {(_key(m), m.context) for m in catalog if m.id}
    problems += [f"{lang}: missing {k!r} (run build.py update)" for k, _c in sorted(wanted - have)]
    problems += [
        f"{lang}: not in the .pot {k!r} (run build.py update)" for k, _c in sorted(have - wanted)
    ]
    problems += [f"{lang}: obsolete {_key(m)!r}" for m in catalog.obsolete.values()]
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"{lang}:{message.lineno}: fuzzy {_key(message)!r}")
            continue
        strings = _strings(message.string)
        if lang == SOURCE_LANGUAGE and not any(strings):
            continue  # identity: the English source is the translation
        if not all(strings) or len(strings) != (catalog.num_plurals if message.pluralizable else 1):
            problems.append(f"{lang}:{message.lineno}: untranslated {_key(message)!r}")
    return problems + check_catalog(po)


def _derive(folder: str, catalog: Catalog) -> Catalog:
    """The catalog of a derived variant: every translation converted, nothing else changed."""
    from app.alphabet import to_2026

    assert folder == "uz_Latn_2026", folder
    for message in catalog:
        if not message.id or not message.string:
            continue
        if isinstance(message.string, (tuple, list)):
            message.string = tuple(to_2026(s) for s in message.string)
        else:
            message.string = to_2026(message.string)
    return catalog


def compile_catalogs(src: Path = HERE, out: Path | None = None) -> list[Path]:
    """Write a .mo for each .po under ``src`` and each derived variant; return the paths."""
    problems = [p for po in po_files(src) for p in check_catalog(po)]
    if problems:
        raise SystemExit("translations refused:\n" + "\n".join(problems))
    written: list[Path] = []
    base = out or src
    for po in po_files(src):
        written.append(_write_mo(read_catalog(po), base / po.parent.relative_to(src)))
    for folder, source in DERIVED.items():
        po = src / source / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po.is_file():
            catalog = _derive(folder, read_catalog(po))
            written.append(_write_mo(catalog, base / folder / "LC_MESSAGES"))
    return written


def _write_mo(catalog: Catalog, target_dir: Path) -> Path:
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{DOMAIN}.mo"
    with target.open("wb") as fh:
        write_mo(fh, catalog, use_fuzzy=False)
    return target


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract() -> None:
    # Relative paths, so the references in the .pot do not name this machine's folders.
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        keywords = [arg for k in KEYWORDS for arg in ("-k", k)]
        _pybabel(
            "extract", "-F", "translations/babel.cfg", *keywords, "-c", "TRANSLATORS:",
            "--project=Tayanch", "--no-wrap", "--sort-by-file",
            "-o", f"translations/{DOMAIN}.pot", "app", "ui",
        )  # fmt: skip
    finally:
        os.chdir(cwd)


def update() -> None:
    _pybabel(
        "update", "-i", str(HERE / f"{DOMAIN}.pot"), "-d", str(HERE), "-D", DOMAIN,
        "--no-wrap", "--ignore-obsolete",
    )  # fmt: skip
    _reset_source_guesses()


def _reset_source_guesses() -> None:
    """Drop pybabel's fuzzy guesses in the English catalog: there the source is the answer.

    In the other catalogs a guess from a similar string is a useful start for the
    translator (and the fuzzy flag keeps it out of the build until checked); in English it
    would replace the new wording in the code by an old one.
    """
    po = HERE / SOURCE_LANGUAGE / "LC_MESSAGES" / f"{DOMAIN}.po"
    catalog = read_catalog(po)
    changed = False
    for message in catalog:
        if message.id and message.fuzzy:
            message.string = ("",) * catalog.num_plurals if message.pluralizable else ""
            message.flags.discard("fuzzy")
            message.previous_id = []
            changed = True
    if changed:
        with po.open("wb") as fh:
            write_po(fh, catalog, width=0)


def todo(lang: str) -> str:
    """The entries ``lang`` lacks, as .po text: hand it to a translator, merge it back."""
    po = HERE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    catalog = read_catalog(po)
    pending = Catalog(locale=catalog.locale, domain=DOMAIN)
    for message in catalog:
        strings = _strings(message.string)
        if message.id and (message.fuzzy or not all(strings)):
            pending.add(
                message.id, message.string, locations=message.locations,
                flags=message.flags, auto_comments=message.auto_comments,
                context=message.context,
            )  # fmt: skip
    from io import BytesIO

    buffer = BytesIO()
    write_po(buffer, pending, width=0, omit_header=True)
    return buffer.getvalue().decode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "command", choices=("compile", "check", "extract", "update", "sync", "todo")
    )
    parser.add_argument("lang", nargs="?", help="catalog folder for todo (uz_Latn, ru, ...)")
    parser.add_argument("--out", type=Path, help="write .mo files under this folder instead")
    args = parser.parse_args(argv)
    if args.command == "compile":
        for path in compile_catalogs(out=args.out):
            print(path)
    elif args.command == "check":
        problems = [p for po in po_files() for p in completeness_problems(po)]
        print("\n".join(problems) or "ok")
        return 1 if problems else 0
    elif args.command == "extract":
        extract()
    elif args.command == "update":
        update()
    elif args.command == "sync":
        extract()
        update()
    else:
        if args.lang not in LANGUAGES:
            parser.error(f"todo needs one of {', '.join(LANGUAGES)}")
        sys.stdout.write(todo(args.lang))
    return 0


if __name__ == "__main__":
    sys.exit(main())
