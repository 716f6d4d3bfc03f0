"""Derive the raster icons (PNG sizes, Windows .ico, macOS .icns) from tayanch.svg.

    .venv/bin/python packaging/make_icons.py          # rewrite resources/icons/*
    .venv/bin/python packaging/make_icons.py --check  # exit 1 if any output is stale

The SVG is the only source: every size is rendered from it by Qt's own SVG renderer (so no
extra tool or system library is needed) rather than scaled down from one big bitmap, which
keeps the 16 and 32 pixel icons sharp. Pillow (already installed with reportlab) writes
the .ico and .icns containers. Run it after editing the SVG and commit the outputs: the
build never runs it, so a build machine needs neither Qt's SVG module nor this script.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
SOURCE = ICONS / "tayanch.svg"
# PNGs shipped for the window and the Linux desktop file; .ico and .icns hold their own.
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # what Windows Explorer and the taskbar pick from
ICNS_SIZES = (16, 32, 64, 128, 256, 512)


def render(size: int) -> bytes:
    """The SVG drawn at ``size`` x ``size`` pixels, as PNG bytes."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841  fonts need it
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"{SOURCE} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def outputs() -> dict[Path, bytes]:
    """Every derived file and its content, built in memory."""
    from PIL import Image

    pngs = {size: render(size) for size in sorted(set(PNG_SIZES) | set(ICNS_SIZES))}
    images = {size: Image.open(io.BytesIO(data)).convert("RGBA") for size, data in pngs.items()}
    result: dict[Path, bytes] = {ICONS / f"tayanch-{s}.png": pngs[s] for s in PNG_SIZES}

    ico = io.BytesIO()
    largest = images[max(ICO_SIZES)]
    largest.save(
        ico,
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != max(ICO_SIZES)],
    )
    result[ICONS / "tayanch.ico"] = ico.getvalue()

    icns = io.BytesIO()
    images[max(ICNS_SIZES)].save(
        icns,
        format="ICNS",
        append_images=[images[s] for s in ICNS_SIZES if s != max(ICNS_SIZES)],
    )
    result[ICONS / "tayanch.icns"] = icns.getvalue()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="only report whether every output exists at its size (exit 1 if not)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.check:
        # PNG encoders differ between Qt versions, so compare presence and pixel size, not bytes.
        from PIL import Image

        missing = []
        for size in PNG_SIZES:
            path = ICONS / f"tayanch-{size}.png"
            if not path.exists() or Image.open(path).size != (size, size):
                missing.append(path.name)
        for name in ("tayanch.ico", "tayanch.icns"):
            if not (ICONS / name).exists():
                missing.append(name)
        for name in missing:
            logger.info("missing or wrong size: %s", name)
        return 1 if missing else 0
    for path, data in outputs().items():
        path.write_bytes(data)
        logger.info("%s: %d bytes", path.relative_to(ROOT), len(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
