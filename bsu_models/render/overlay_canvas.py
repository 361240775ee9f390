"""The drawing surface of a still's overlays, shared by the scene marks
(``bsu_models.render.overlay``) and the picture's furniture
(``bsu_models.render.overlay_furniture``): the canvas, its palette and marker shapes, and the boxes
already taken on it.

Works on a rendered ``image: (h, w, 3) uint8`` wrapped in a ``_Canvas`` (``new_canvas``), whose
drawn boxes ``(left, top, right, bottom)`` in pixels are kept in ``taken`` so later text can look
for room. Text is drawn with the CJK-capable font from ``bsu_models.render.fonts``. Sizes scale with
the picture (one unit is 1/1080 of its height), so a 4K or A3 still looks like the screen one, only
sharper. The canvas's language (``new_canvas(..., lang=...)``, one of
``bsu_models.core.i18n.LANGUAGES``) is the language of the fixed words drawn on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFont

from bsu_models.core.i18n import DEFAULT_LANGUAGE, Translator, check_language, translator
from bsu_models.render.fonts import font

Box = tuple[float, float, float, float]

VISIBLE = (26, 152, 80)
OCCLUDED = (215, 48, 39)
INK = (25, 28, 34)
MEASURE = (33, 60, 120)

# Marker shape per type: people are circles, so a legend reads at a glance.
SHAPES = {
    "suspect": "circle",
    "victim": "circle",
    "witness": "circle",
    "officer": "circle",
    "vehicle": "square",
    "evidence": "triangle",
    "camera": "diamond",
    "other": "hexagon",
}


@dataclass
class _Canvas:
    image: Image.Image
    draw: ImageDraw.ImageDraw
    unit: float
    font_file: str
    taken: list[Box] = field(default_factory=list)
    lang: str = DEFAULT_LANGUAGE

    @property
    def tr(self) -> Translator:
        """The translator of the canvas's language, for the fixed words drawn."""
        return translator(self.lang)

    def font(self, size: float, bold: bool = False) -> ImageFont.FreeTypeFont:
        return font(max(8, round(size * self.unit)), self.font_file, bold)

    def px(self, value: float) -> int:
        return max(1, round(value * self.unit))


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _overlaps(a: Box, b: Box) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


def _shape(
    canvas: _Canvas,
    kind: str,
    x: float,
    y: float,
    r: float,
    fill: tuple[int, ...],
    outline: tuple[int, ...],
    width: int,
) -> None:
    d = canvas.draw
    if kind == "circle":
        d.ellipse((x - r, y - r, x + r, y + r), fill=fill, outline=outline, width=width)
        return
    sides, turn = {"square": (4, 45), "triangle": (3, -90), "diamond": (4, 0), "hexagon": (6, 0)}[
        kind
    ]
    points = [
        (
            x + r * 1.15 * math.cos(math.radians(turn + i * 360 / sides)),
            y + r * 1.15 * math.sin(math.radians(turn + i * 360 / sides)),
        )
        for i in range(sides)
    ]
    d.polygon(points, fill=fill, outline=outline, width=width)


def _text_box(canvas: _Canvas, text: str, size: float, bold: bool = False) -> tuple[float, float]:
    left, top, right, bottom = canvas.draw.textbbox((0, 0), text, font=canvas.font(size, bold))
    return right - left, bottom - top


def new_canvas(image: Image.Image, font_file: str, lang: str = DEFAULT_LANGUAGE) -> _Canvas:
    """A canvas on ``image`` whose fixed words are in ``lang``."""
    return _Canvas(
        image=image,
        draw=ImageDraw.Draw(image),
        unit=image.size[1] / 1080,
        font_file=font_file,
        lang=check_language(lang),
    )
