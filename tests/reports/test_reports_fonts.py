"""The shipped fonts cover every letter a register prints."""

from __future__ import annotations

import pytest
from reportlab.pdfbase.ttfonts import TTFont

from app.paths import resource_path
from app.reports import base

REQUIRED = (
    "ʻʼ"  # U+02BB (oʻ gʻ) and U+02BC (maʼmuriy)
    "şçğöŞÇĞÖ"  # 2026 Uzbek Latin letters
    "ўқғҳЎҚҒҲ"  # Uzbek Cyrillic
    "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя"  # Russian
    "№«»“”–—…·"
)


@pytest.mark.parametrize("filename", sorted(base._FONT_FILES.values()))
def test_font_covers_uzbek_and_russian(filename):
    path = resource_path("fonts", filename)
    assert path.is_file()
    face = TTFont(f"coverage-{filename}", str(path)).face
    missing = [ch for ch in REQUIRED if ord(ch) not in face.charToGlyph]
    assert missing == []


def test_licence_and_readme_ship_with_the_fonts():
    assert "Bitstream" in resource_path("fonts", "LICENSE-DejaVu.txt").read_text()
    readme = resource_path("fonts", "README.md").read_text()
    assert "2.37" in readme and "fonts-dejavu" in readme


def test_missing_font_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(base, "_fonts_ready", False)
    monkeypatch.setattr(base, "resource_path", lambda *parts: tmp_path.joinpath(*parts))
    with pytest.raises(base.FontMissingError) as err:
        base.register_fonts()
    assert "DejaVuSerif" in err.value.message("en")
