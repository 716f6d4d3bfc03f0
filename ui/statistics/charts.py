"""Bar charts drawn with QPainter.

Qt Charts (the PySide6-Addons wheel, about 200 MB installed) was tried first: at 1366x768,
six charts to a screen, its automatic layout elided every category label to "…" and
dropped the value labels, which are what an inspector reads. These charts are small on
purpose: a title, bars, the value at each bar's end, labels that shorten only when they
must (rotated under narrow columns), and a legend when there are two series. No extra
dependency, and the same picture offscreen, on Xvfb and on Windows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

log = logging.getLogger(__name__)

COLORS = ("#3d6a99", "#9fb8d6", "#c9853b", "#6c9a5b")
TEXT = QColor("#1f2d3d")
MUTED = QColor("#5f6b7a")
GRID = QColor("#e3e8ee")
Series = Sequence[tuple[str, Sequence[int]]]


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Series,
    *,
    horizontal: bool = False,
    parent: QWidget | None = None,
) -> BarChart:
    return BarChart(title, categories, series, horizontal=horizontal, parent=parent)


class BarChart(QWidget):
    """Categories along one axis, one or two series of whole numbers as bars."""

    def __init__(
        self,
        title: str,
        categories: Sequence[str],
        series: Series,
        *,
        horizontal: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.title = title
        self.categories = list(categories)
        self.series = [(name, [int(v) for v in values]) for name, values in series]
        self.horizontal = horizontal
        self.setMinimumSize(220, 200)  # three abreast fit a window 1,024 px wide
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setObjectName("chart")
        tip = [title]
        for i, cat in enumerate(self.categories):
            tip.append(
                f"{cat}: " + " / ".join(str(v[i]) if i < len(v) else "0" for _n, v in self.series)
            )
        self.setToolTip("\n".join(tip))

    def values(self) -> dict[str, list[int]]:
        """The figures shown, by series name (what tests compare with the report)."""
        return {name: list(v) for name, v in self.series}

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.setPen(QPen(QColor("#d7dee6")))
        p.setBrush(QColor("white"))
        p.drawRoundedRect(r, 5, 5)
        font = QFont(self.font())
        small = QFont(font)
        small.setPointSizeF(max(font.pointSizeF() - 1, 7))
        bold = QFont(font)
        bold.setBold(True)
        fm = QFontMetrics(small)
        p.setFont(bold)
        p.setPen(TEXT)
        # A title longer than the chart is wide goes onto a second line (Russian ones).
        centred = Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap
        title_w = self.width() - 16
        title_h = (
            QFontMetrics(bold)
            .boundingRect(QRect(0, 0, title_w, 10_000), centred, self.title)
            .height()
            + 10
        )
        p.drawText(QRectF(8, 6, title_w, title_h), centred, self.title)
        legend_h = fm.height() + 8 if len(self.series) > 1 else 0
        area = QRectF(10, title_h + 4, self.width() - 20, self.height() - title_h - legend_h - 12)
        p.setFont(small)
        top = max([1] + [v for _n, vals in self.series for v in vals])
        if self.horizontal:
            self._horizontal(p, area, fm, top)
        else:
            self._vertical(p, area, fm, top)
        if legend_h:
            x = area.left()
            y = self.height() - legend_h - 2
            for j, (name, _vals) in enumerate(self.series):
                p.fillRect(QRectF(x, y + 4, 10, 10), QColor(COLORS[j % len(COLORS)]))
                p.setPen(TEXT)
                p.drawText(QPointF(x + 14, y + 4 + fm.ascent() - 1), name)
                x += fm.horizontalAdvance(name) + 34
        p.end()

    def _horizontal(self, p: QPainter, area: QRectF, fm: QFontMetrics, top: int) -> None:
        n = max(len(self.categories), 1)
        widest = max((fm.horizontalAdvance(c) for c in self.categories), default=0)
        label_w = min(widest + 8, area.width() * 0.45)
        value_w = fm.horizontalAdvance(str(top)) + 6
        band = area.height() / n
        k = max(len(self.series), 1)
        bar_h = min(max(band * 0.72 / k, 2), 22)
        span = max(area.width() - label_w - value_w, 10)
        x0 = area.left() + label_w
        p.setPen(QPen(GRID))
        p.drawLine(QPointF(x0, area.top()), QPointF(x0, area.bottom()))
        for i, cat in enumerate(self.categories):
            y = area.top() + i * band
            p.setPen(TEXT)
            p.drawText(
                QRectF(area.left(), y, label_w - 6, band),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                fm.elidedText(cat, Qt.TextElideMode.ElideRight, int(label_w - 6)),
            )
            block = bar_h * k
            for j, (_name, vals) in enumerate(self.series):
                v = vals[i] if i < len(vals) else 0
                rect = QRectF(x0, y + (band - block) / 2 + j * bar_h, span * v / top, bar_h - 1)
                p.fillRect(rect, QColor(COLORS[j % len(COLORS)]))
                p.setPen(MUTED)
                p.drawText(
                    QRectF(rect.right() + 3, rect.top() - 2, value_w, rect.height() + 4),
                    Qt.AlignmentFlag.AlignVCenter,
                    str(v),
                )

    def _vertical(self, p: QPainter, area: QRectF, fm: QFontMetrics, top: int) -> None:
        n = max(len(self.categories), 1)
        band = area.width() / n
        widest = max((fm.horizontalAdvance(c) for c in self.categories), default=0)
        rotate = widest > band - 4
        label_h = (min(widest, 90) * 0.72 + fm.height()) if rotate else fm.height() + 4
        base = area.bottom() - label_h
        span = max(base - area.top() - fm.height() - 2, 10)
        k = max(len(self.series), 1)
        bar_w = min(max(band * 0.7 / k, 2), 40)
        p.setPen(QPen(GRID))
        p.drawLine(QPointF(area.left(), base), QPointF(area.right(), base))
        for i, cat in enumerate(self.categories):
            x = area.left() + i * band
            block = bar_w * k
            for j, (_name, vals) in enumerate(self.series):
                v = vals[i] if i < len(vals) else 0
                h = span * v / top
                rect = QRectF(x + (band - block) / 2 + j * bar_w, base - h, bar_w - 1, h)
                p.fillRect(rect, QColor(COLORS[j % len(COLORS)]))
                p.setPen(MUTED)
                p.drawText(
                    QRectF(rect.center().x() - 20, rect.top() - fm.height() - 1, 40, fm.height()),
                    Qt.AlignmentFlag.AlignHCenter,
                    str(v),
                )
            p.setPen(TEXT)
            if rotate:
                p.save()
                p.translate(x + band / 2 + fm.ascent() / 2, base + 4)
                p.rotate(-45)
                text = fm.elidedText(cat, Qt.TextElideMode.ElideRight, 90)
                p.drawText(QPointF(-fm.horizontalAdvance(text), 0), text)
                p.restore()
            else:
                p.drawText(
                    QRectF(x, base + 2, band, fm.height()),
                    Qt.AlignmentFlag.AlignHCenter,
                    fm.elidedText(cat, Qt.TextElideMode.ElideRight, int(band)),
                )
