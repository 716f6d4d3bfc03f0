"""Translatable text is never written inside an f-string: the extractor (babel) does not
look into f-strings, so such a sentence would silently stay English in every catalog."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# An f-string (f"..." or f'...') with a gettext call on a literal inside its braces.
CALL_IN_FSTRING = re.compile(r"""\bf(["']).*?\{\s*(?:_|N_|ngettext)\(\s*["']""")


def test_no_translatable_literal_inside_an_f_string():
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for folder in ("app", "ui")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if CALL_IN_FSTRING.search(line)
    ]
    assert not found, "gettext inside f-strings (babel cannot extract them):\n" + "\n".join(found)
