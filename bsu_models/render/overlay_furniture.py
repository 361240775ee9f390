"""Drawing a still's furniture around the scene: scale bar, north arrow, legend, caption and
watermark.

Works on a canvas from ``bsu_models.render.overlay_canvas.new_canvas`` on the rendered
``image: (h, w, 3) uint8`` (the watermark on the finished ``PIL`` picture itself), with the scale
in metres per pixel, north as a direction ``(dx, dy)`` on the picture, and the legend's rows read
from a ``bsu_models.scenes.scene_layer.SceneLayer``. The fixed words drawn (legend, scale bar, north
letter) are in the canvas's language; the caption lines and the watermark text are drawn as given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from bsu_models.core.i18n import DEFAULT_LANGUAGE, N_, Translator, translator
from bsu_models.render.fonts import font
from bsu_models.render.overlay_canvas import (
    INK,
    MEASURE,
    OCCLUDED,
    SHAPES,
    VISIBLE,
    Box,
    _Canvas,
    _shape,
    _text_box,
)
from bsu_models.scenes.scene_items import ENTITY_TYPE_NAMES
from bsu_models.scenes.scene_layer import SceneLayer

#: The people in the legend's "Person: ..." row, as words in a sentence.
PERSON_WORDS = {
    "suspect": N_("suspect"),
    "victim": N_("victim"),
    "witness": N_("witness"),
    "officer": N_("officer"),
}
#: How the words of a list are joined, per language.
LIST_SEPARATORS = {"en": ", ", "zh_HK": "、"}


@dataclass(frozen=True)
class ScaleBar:
    """The drawn scale bar: its length in pixels and in metres, and where it is."""

    pixels: float
    metres: float
    label: str
    box: Box


def round_length(target: float) -> float:
    """The largest 1, 2 or 5 x 10^k not above ``target`` (> 0)."""
    power = 10 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * power <= target:
            return step * power
    return power


def _metres_text(metres: float, tr: Translator | None = None) -> str:
    """``5 m`` or ``50 cm`` (``5 米``, ``50 厘米``)."""
    _ = (tr or translator(DEFAULT_LANGUAGE)).gettext
    if metres >= 1:
        return _("{value} m").format(value=f"{metres:g}")
    return _("{value} cm").format(value=f"{metres * 100:g}")


def draw_scale_bar(
    canvas: _Canvas, metres_per_pixel: float | None, bottom: float
) -> ScaleBar | None:
    """A scale bar in metres at the lower left, or "not to scale" when there is none."""
    x0, y_base = 40 * canvas.unit, bottom - 40 * canvas.unit
    if metres_per_pixel is None:
        text = canvas.tr.gettext("Not to scale (perspective view)")
        canvas.draw.text((x0, y_base), text, fill=INK, font=canvas.font(22, bold=True), anchor="ls")
        return None
    width = canvas.image.size[0]
    metres = round_length(0.2 * width * metres_per_pixel)
    pixels = metres / metres_per_pixel
    height = 12 * canvas.unit
    top = y_base - height
    label = _metres_text(metres, canvas.tr)
    w, h = _text_box(canvas, label, 22, bold=True)
    backdrop = (
        x0 - canvas.px(12),
        top - h - canvas.px(22),
        x0 + pixels + w + canvas.px(24),
        y_base + canvas.px(12),
    )
    canvas.draw.rectangle(backdrop, fill=(255, 255, 255))
    for i in range(4):
        left = x0 + i * pixels / 4
        fill = INK if i % 2 == 0 else (255, 255, 255)
        canvas.draw.rectangle((left, top, left + pixels / 4, y_base), fill=fill)
    canvas.draw.rectangle((x0, top, x0 + pixels, y_base), outline=INK, width=canvas.px(2))
    small = canvas.font(18)
    canvas.draw.text((x0, top - canvas.px(6)), "0", fill=INK, font=small, anchor="ms")
    canvas.draw.text(
        (x0 + pixels, top - canvas.px(6)),
        label,
        fill=INK,
        font=canvas.font(22, bold=True),
        anchor="ms",
    )
    canvas.taken.append(backdrop)
    return ScaleBar(pixels=pixels, metres=metres, label=label, box=(x0, top, x0 + pixels, y_base))


def draw_north_arrow(canvas: _Canvas, direction: np.ndarray | None) -> None:
    """An arrow pointing to north on the picture at the upper right (a dot when north points
    straight at or away from the viewer)."""
    width = canvas.image.size[0]
    r = 42 * canvas.unit
    cx, cy = width - 70 * canvas.unit, 80 * canvas.unit
    canvas.draw.ellipse(
        (cx - r, cy - r, cx + r, cy + r), fill=(255, 255, 255), outline=INK, width=canvas.px(2)
    )
    if direction is None or not np.all(np.isfinite(direction)) or np.linalg.norm(direction) < 1e-6:
        canvas.draw.ellipse((cx - 6, cy - 6, cx + 6, cy + 6), fill=INK)
    else:
        d = direction / np.linalg.norm(direction)
        normal = np.array([-d[1], d[0]])
        tip = np.array([cx, cy]) + d * r * 0.8
        tail = np.array([cx, cy]) - d * r * 0.6
        canvas.draw.polygon(
            [
                tuple(tip),
                tuple(tail + normal * r * 0.35),
                tuple(tail),
                tuple(tail - normal * r * 0.35),
            ],
            fill=INK,
        )
    canvas.draw.text(
        (cx, cy + r + canvas.px(4)),
        canvas.tr.gettext("N"),
        fill=INK,
        font=canvas.font(24, bold=True),
        anchor="mt",
    )
    canvas.taken.append((cx - r, cy - r, cx + r, cy + r + 34 * canvas.unit))


def draw_legend(canvas: _Canvas, layer: SceneLayer) -> None:
    _ = canvas.tr.gettext
    rows: list[tuple[str, str]] = []
    for marker in layer.markers:
        entry = (SHAPES[marker.type], _(ENTITY_TYPE_NAMES[marker.type]))
        if entry not in rows and marker.type not in PERSON_WORDS:
            rows.append(entry)
    people = sorted(
        {m.type for m in layer.markers if SHAPES[m.type] == "circle"},
        key=list(ENTITY_TYPE_NAMES).index,
    )
    if people:
        words = LIST_SEPARATORS[canvas.lang].join(_(PERSON_WORDS[p]) for p in people)
        rows.insert(0, ("circle", _("Person: {types}").format(types=words)))
    lines: list[tuple[tuple[int, int, int], str]] = []
    if layer.sightlines:
        lines += [(VISIBLE, _("Sightline: visible")), (OCCLUDED, _("Sightline: blocked"))]
    if layer.measurements:
        lines.append((MEASURE, _("Measurement (± uncertainty)")))
    if not rows and not lines:
        return
    size = 18
    line_h = 30 * canvas.unit
    heading = _("Legend")
    texts = [t for _s, t in rows] + [t for _c, t in lines]
    width = max(_text_box(canvas, t, size)[0] for t in [*texts, heading]) + 60 * canvas.unit
    height = (len(texts) + 1) * line_h + 16 * canvas.unit
    x0, y0 = 24 * canvas.unit, 24 * canvas.unit
    box = (x0, y0, x0 + width, y0 + height)
    canvas.draw.rectangle(box, fill=(255, 255, 255), outline=INK, width=canvas.px(2))
    canvas.draw.text(
        (x0 + 12 * canvas.unit, y0 + 10 * canvas.unit),
        heading,
        fill=INK,
        font=canvas.font(size, bold=True),
        anchor="lt",
    )
    y = y0 + 10 * canvas.unit + line_h
    for shape, text in rows:
        _shape(
            canvas,
            shape,
            x0 + 24 * canvas.unit,
            y + 10 * canvas.unit,
            8 * canvas.unit,
            (140, 140, 140),
            INK,
            canvas.px(2),
        )
        canvas.draw.text(
            (x0 + 44 * canvas.unit, y), text, fill=INK, font=canvas.font(size), anchor="lt"
        )
        y += line_h
    for colour, text in lines:
        canvas.draw.line(
            [
                (x0 + 12 * canvas.unit, y + 10 * canvas.unit),
                (x0 + 36 * canvas.unit, y + 10 * canvas.unit),
            ],
            fill=colour,
            width=canvas.px(4),
        )
        canvas.draw.text(
            (x0 + 44 * canvas.unit, y), text, fill=INK, font=canvas.font(size), anchor="lt"
        )
        y += line_h
    canvas.taken.append(box)


def caption_height(lines: int, picture_height: int) -> float:
    """Height in pixels of the caption band for ``lines`` lines."""
    unit = picture_height / 1080
    return lines * 30 * unit + 24 * unit


def draw_caption(canvas: _Canvas, lines: list[str]) -> float:
    """A white band along the bottom with the caption lines; returns the band's top."""
    width, height = canvas.image.size
    line_h = 30 * canvas.unit
    band = height - caption_height(len(lines), height)
    canvas.draw.rectangle((0, band, width, height), fill=(255, 255, 255))
    canvas.draw.line([(0, band), (width, band)], fill=INK, width=canvas.px(2))
    y = band + 12 * canvas.unit
    for index, line in enumerate(lines):
        canvas.draw.text(
            (40 * canvas.unit, y),
            line,
            fill=INK,
            font=canvas.font(21, bold=index == 0),
            anchor="lt",
        )
        y += line_h
    canvas.taken.append((0, band, width, height))
    return band


def watermark_layers(
    size: tuple[int, int], text: str, font_file: str, logo: Image.Image | None = None
) -> list[tuple[Image.Image, tuple[int, int]]]:
    """The watermark of a picture of ``size`` as RGBA layers and where each goes, in the order
    they are laid on: ``text`` repeated diagonally across it, faint, then the optional logo.
    A video lays the same layers on every frame, so they are made once."""
    width, height = size
    unit = height / 1080
    tile = Image.new("RGBA", (width * 2, height * 2), (0, 0, 0, 0))
    draw = ImageDraw.Draw(tile)
    face = font(max(12, round(64 * unit)), font_file, True)
    step_x = draw.textbbox((0, 0), text, font=face)[2] + 160 * unit
    for row, y in enumerate(np.arange(0, height * 2, 260 * unit)):
        offset = (row % 2) * step_x / 2
        for x in np.arange(-offset, width * 2, step_x):
            draw.text(
                (x, y),
                text,
                fill=(255, 255, 255, 70),
                font=face,
                stroke_width=2,
                stroke_fill=(0, 0, 0, 45),
            )
    tile = tile.rotate(25, resample=Image.Resampling.BICUBIC)
    tile = tile.crop((width // 2, height // 2, width // 2 + width, height // 2 + height))
    layers = [(tile, (0, 0))]
    if logo is not None:
        scale = 140 * unit / logo.height
        mark = logo.convert("RGBA").resize((round(logo.width * scale), round(logo.height * scale)))
        layers.append(
            (mark, (width - mark.width - round(30 * unit), height - mark.height - round(30 * unit)))
        )
    return layers


def draw_watermark(
    image: Image.Image, text: str, font_file: str, logo: Image.Image | None = None
) -> Image.Image:
    """``text`` repeated diagonally across the picture, faint, plus an optional logo."""
    out = image.convert("RGBA")
    for layer, place in watermark_layers(image.size, text, font_file, logo):
        out.alpha_composite(layer, place)
    return out.convert("RGB")
