"""The look: a font that has Cyrillic and the Uzbek oʻ/gʻ letter (U+02BB), calm colours.

Fonts shipped in resources/fonts are loaded first so the window looks the same on every
computer; the system's DejaVu Sans is the fallback, then Qt's default. Windows' default UI
font draws U+02BB, but some Linux defaults do not, which turns "Oʻzbek" into a box.
"""

from __future__ import annotations

import logging

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from app.paths import resource_path

log = logging.getLogger(__name__)

PREFERRED_FAMILIES = ("DejaVu Sans", "Noto Sans", "Segoe UI", "Arial")
ACCENT = "#2f5d8a"
ALERT = "#b3261e"
MUTED = "#5f6b7a"

# Roles style single widgets (by font, palette, or a one-widget sheet) instead of one
# application-wide stylesheet: with an app stylesheet every widget Qt creates goes through
# the stylesheet engine, which made building the window several times slower.
ROLE_SHEETS = {
    "nav": (
        "QListWidget { background: #22364d; color: #e8eef5; border: none; font-size: 11pt;"
        " outline: 0; }"
        "QListWidget::item { padding: 9px 14px; }"
        "QListWidget::item:selected { background: #3d6a99; color: white; }"
    ),
    "badge": f"background: {ALERT}; color: white; border-radius: 9px; padding: 1px 7px;"
    " font-weight: bold;",
    "badgeQuiet": "background: #d7dee6; color: #1f2d3d; border-radius: 9px; padding: 1px 7px;",
    "card": "QFrame#card { background: white; border: 1px solid #d7dee6; border-radius: 6px; }",
    "emptyState": f"color: {MUTED}; font-size: 11pt; padding: 24px;",
}
ROLE_FONTS = {  # role: (point size offset, bold, colour)
    "pageTitle": (5.5, True, "#1f2d3d"),
    "sectionTitle": (1.5, True, "#1f2d3d"),
    "muted": (0, False, MUTED),
    "fieldError": (-0.5, False, ALERT),
    "formError": (0, True, ALERT),
}
INVALID_SHEET = f"border: 1px solid {ALERT}; background: #fff4f3;"


def role(widget: QWidget, name: str) -> QWidget:
    """Give ``widget`` the look of ``name`` (pageTitle, muted, badge, ...)."""
    widget.setObjectName(name)
    if name in ROLE_SHEETS:
        widget.setStyleSheet(ROLE_SHEETS[name])
    elif name in ROLE_FONTS:
        delta, bold, colour = ROLE_FONTS[name]
        font = QFont(widget.font())
        base = QApplication.font().pointSizeF()
        font.setPointSizeF(max(base + delta, 7))
        font.setBold(bold)
        widget.setFont(font)
        palette = widget.palette()
        palette.setColor(QPalette.ColorRole.WindowText, QColor(colour))
        palette.setColor(QPalette.ColorRole.Text, QColor(colour))
        widget.setPalette(palette)
    return widget


def mark_invalid(widget: QWidget, invalid: bool) -> None:
    """A red frame on a field whose value is wrong (and back to normal when fixed)."""
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    widget.setStyleSheet(INVALID_SHEET if invalid else "")


_loaded: list[str | None] = []


def load_fonts() -> str | None:
    """Register shipped fonts (once); return the family the window will use, if any."""
    if _loaded:
        return _loaded[0]
    folder = resource_path("fonts")
    if folder.is_dir():
        for path in sorted(folder.glob("*.ttf")):
            if QFontDatabase.addApplicationFont(str(path)) < 0:
                log.warning("font not loaded: %s", path.name)
    families = set(QFontDatabase.families())
    found = next((f for f in PREFERRED_FAMILIES if f in families), None)
    _loaded.append(found)
    return found


def apply(app: QApplication) -> None:
    """Font, style and stylesheet for the whole application; a second call does nothing
    (setting a stylesheet again re-polishes every widget alive)."""
    if app.property("tayanch_styled"):
        return
    app.setProperty("tayanch_styled", True)
    family = load_fonts()
    if family:
        font = QFont(family)
        font.setPointSizeF(9.5)
        app.setFont(font)
    app.setStyle("Fusion")
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#3d6a99"))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("white"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f3f6f9"))
    app.setPalette(palette)
