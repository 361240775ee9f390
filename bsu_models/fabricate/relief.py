"""Words and signs as printable shapes: glyph outlines, a north arrow and a scale bar.

Text is drawn from the glyph outlines of the same font as the pictures (Noto Sans CJK, its Hong
Kong face; ``render.fonts``), read with fontTools: curves are flattened into polygons, which
``manifold3d.CrossSection`` fills with the even-odd rule (so the counters of 0, A and 國 stay
open) and extrudes into relief. Nothing is rasterised, so the letters are as sharp as the
printer can make them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from bsu_models.render.fonts import font_path

#: Points per curve segment when flattening glyph outlines.
CURVE_STEPS = 6


class _OutlinePen:
    """A fontTools pen that records each closed contour as a polygon ``(k, 2)``."""

    def __init__(self, glyph_set: Any) -> None:
        from fontTools.pens.basePen import BasePen

        outer = self

        class Pen(BasePen):
            def _moveTo(self, pt: tuple[float, float]) -> None:
                outer.current = [pt]

            def _lineTo(self, pt: tuple[float, float]) -> None:
                outer.current.append(pt)

            def _curveToOne(self, p1: Any, p2: Any, p3: Any) -> None:
                p0 = np.array(outer.current[-1])
                t = np.linspace(0, 1, CURVE_STEPS + 1)[1:, None]
                a, b, c = np.array(p1), np.array(p2), np.array(p3)
                points = (
                    (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * a + 3 * (1 - t) * t**2 * b + t**3 * c
                )
                outer.current.extend(map(tuple, points))

            def _qCurveToOne(self, p1: Any, p2: Any) -> None:
                p0 = np.array(outer.current[-1])
                t = np.linspace(0, 1, CURVE_STEPS + 1)[1:, None]
                a, b = np.array(p1), np.array(p2)
                points = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * a + t**2 * b
                outer.current.extend(map(tuple, points))

            def _closePath(self) -> None:
                if len(outer.current) >= 3:
                    outer.polygons.append(np.array(outer.current, dtype=float))
                outer.current = []

            _endPath = _closePath

        self.current: list[tuple[float, float]] = []
        self.polygons: list[np.ndarray] = []
        self.pen = Pen(glyph_set)


@cache
def _font(configured: str) -> tuple[Any, dict[int, str], float]:
    """(glyph set, character map, units per em) of the pictures' font."""
    from fontTools.ttLib import TTFont

    path, index = font_path(configured)
    font = TTFont(path, fontNumber=index, lazy=True)
    return font.getGlyphSet(), font.getBestCmap(), float(font["head"].unitsPerEm)


def text_polygons(text: str, height: float, font_file: str = "") -> list[np.ndarray]:
    """Outlines of ``text`` on one line, its em ``height`` millimetres tall, the baseline on
    y = 0 and starting at x = 0. Characters the font lacks are left out."""
    glyph_set, cmap, em = _font(font_file)
    scale = height / em
    polygons: list[np.ndarray] = []
    x = 0.0
    for char in text:
        name = cmap.get(ord(char))
        if name is None:
            continue
        glyph = glyph_set[name]
        pen = _OutlinePen(glyph_set)
        glyph.draw(pen.pen)
        polygons += [p * scale + np.array([x, 0.0]) for p in pen.polygons]
        x += glyph.width * scale
    return polygons


def text_width(text: str, height: float, font_file: str = "") -> float:
    glyph_set, cmap, em = _font(font_file)
    scale = height / em
    return sum(glyph_set[cmap[ord(c)]].width * scale for c in text if ord(c) in cmap)


def area(polygons: list[np.ndarray]) -> float:
    """Area filled by ``polygons`` under the even-odd rule (the area of the text)."""
    return float(_section(polygons).area())


def _section(polygons: list[np.ndarray]) -> Any:
    import manifold3d

    return manifold3d.CrossSection(
        [np.ascontiguousarray(p, dtype=np.float64) for p in polygons], manifold3d.FillRule.EvenOdd
    )


def raised(polygons: list[np.ndarray], base: float, relief: float) -> Any:
    """``polygons`` (plan, mm) standing ``relief`` mm high on the plane z = ``base``; they
    reach 0.01 mm down into it so that they join it."""
    import manifold3d

    section = _section(polygons)
    if section.is_empty():
        return manifold3d.Manifold()
    return manifold3d.Manifold.extrude(section, relief + 0.01).translate((0.0, 0.0, base - 0.01))


def north_arrow(centre: tuple[float, float], length: float) -> list[np.ndarray]:
    """An arrow pointing north (+y), ``length`` mm long, centred on ``centre``."""
    x, y = centre
    half = length / 2
    head = length * 0.45
    shaft = length * 0.12
    return [
        np.array(
            [
                (x, y + half),
                (x - head / 2, y + half - head),
                (x - shaft / 2, y + half - head),
                (x - shaft / 2, y - half),
                (x + shaft / 2, y - half),
                (x + shaft / 2, y + half - head),
                (x + head / 2, y + half - head),
            ]
        )
    ]


def scale_bar(origin: tuple[float, float], length: float, height: float) -> list[np.ndarray]:
    """A bar ``length`` by ``height`` mm with end ticks, its lower left corner at ``origin``:
    two halves, the second a frame, so that the middle of the bar can be read."""
    x, y = origin
    tick = height * 1.8
    line = max(height * 0.35, 0.6)

    def box(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        return np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])

    first = box(x, y, x + length / 2, y + height)
    frame = box(x + length / 2, y, x + length, y + height)
    inside = box(x + length / 2, y + line, x + length - line, y + height - line)
    ticks = [
        box(x, y, x + line, y + tick),
        box(x + length / 2 - line / 2, y, x + length / 2 + line / 2, y + tick),
        box(x + length - line, y, x + length, y + tick),
    ]
    shapes = [first, *ticks]
    # Even-odd would cut overlaps out: join the solid shapes first, then cut the frame's inside.
    import manifold3d

    solid = manifold3d.CrossSection(
        [np.ascontiguousarray(s) for s in shapes], manifold3d.FillRule.NonZero
    )
    framed = manifold3d.CrossSection([frame]) - manifold3d.CrossSection([inside])
    return [np.asarray(p) for p in (solid + framed).to_polygons()]
