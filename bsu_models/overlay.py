"""Drawing the 2D overlays of a still: markers, labels, paths, measurements, sightlines, scale
bar, north arrow, legend, caption and watermark.

Works on a rendered ``image: (h, w, 3) uint8`` and a ``project`` function taking model points
``(n, 3)`` to pixel positions ``(n, 2)`` (NaN where behind the camera). Text is drawn with the
CJK-capable font from ``bsu_models.fonts`` and always as text, never interpreted. Sizes scale
with the picture (one unit is 1/1080 of its height), so a 4K or A3 still looks like the screen
one, only sharper.

The fixed words drawn (legend, scale bar, north letter) are in the canvas's language
(``new_canvas(..., lang=...)``, one of ``bsu_models.i18n.LANGUAGES``); labels and the caption
lines are drawn as given.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bsu_models.fonts import font
from bsu_models.i18n import DEFAULT_LANGUAGE, N_, Translator, check_language, translator
from bsu_models.scene_layer import Marker, SceneLayer

Project = Callable[[np.ndarray], np.ndarray]
Box = tuple[float, float, float, float]

VISIBLE = (26, 152, 80)
OCCLUDED = (215, 48, 39)
INK = (25, 28, 34)
MEASURE = (33, 60, 120)
#: Legend names of the entity types (English; translate with the canvas's translator).
TYPE_NAMES = {
    "suspect": N_("Suspect"),
    "victim": N_("Victim"),
    "witness": N_("Witness"),
    "officer": N_("Officer"),
    "vehicle": N_("Vehicle"),
    "evidence": N_("Evidence"),
    "camera": N_("Camera / CCTV"),
    "other": N_("Other"),
}
#: The people in the legend's "Person: ..." row, as words in a sentence.
PERSON_WORDS = {
    "suspect": N_("suspect"),
    "victim": N_("victim"),
    "witness": N_("witness"),
    "officer": N_("officer"),
}
#: How the words of a list are joined, per language.
LIST_SEPARATORS = {"en": ", ", "zh_HK": "、"}
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


@dataclass(frozen=True)
class Overlays:
    """Which overlays to draw; each can be switched off."""

    markers: bool = True
    labels: bool = True
    paths: bool = True
    measurements: bool = True
    sightlines: bool = True
    scale_bar: bool = True
    north_arrow: bool = True
    legend: bool = True
    caption: bool = True


OVERLAY_NAMES = tuple(Overlays.__dataclass_fields__)


@dataclass(frozen=True)
class ScaleBar:
    """The drawn scale bar: its length in pixels and in metres, and where it is."""

    pixels: float
    metres: float
    label: str
    box: Box


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


def _arrowhead(
    canvas: _Canvas, start: np.ndarray, end: np.ndarray, colour: tuple[int, ...], size: float
) -> None:
    direction = end - start
    length = float(np.linalg.norm(direction))
    if length < size:
        return
    direction /= length
    normal = np.array([-direction[1], direction[0]])
    tip = start + direction * (length / 2 + size / 2)
    base = tip - direction * size
    canvas.draw.polygon(
        [tuple(tip), tuple(base + normal * size * 0.6), tuple(base - normal * size * 0.6)],
        fill=colour,
    )


def _text_box(canvas: _Canvas, text: str, size: float, bold: bool = False) -> tuple[float, float]:
    left, top, right, bottom = canvas.draw.textbbox((0, 0), text, font=canvas.font(size, bold))
    return right - left, bottom - top


def _label(
    canvas: _Canvas,
    text: str,
    anchor: np.ndarray,
    colour: tuple[int, int, int],
    avoid_radius: float,
) -> None:
    """Place a label near ``anchor`` where it overlaps nothing drawn so far, with a leader."""
    width, height = _text_box(canvas, text, 20)
    pad = canvas.px(6)
    w, h = width + 2 * pad, height + 2 * pad
    img_w, img_h = canvas.image.size
    best: Box | None = None
    for distance in (30, 60, 95, 140):
        for angle in (-45, -135, 45, 135, 0, 180, -90, 90):
            dx = math.cos(math.radians(angle)) * (distance * canvas.unit + avoid_radius)
            dy = math.sin(math.radians(angle)) * (distance * canvas.unit + avoid_radius)
            cx, cy = anchor[0] + dx, anchor[1] + dy
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            inside = box[0] >= 0 and box[1] >= 0 and box[2] <= img_w and box[3] <= img_h
            if inside and not any(_overlaps(box, t) for t in canvas.taken):
                best = box
                break
        if best is not None:
            break
    if best is None:  # crowded: accept an overlap rather than lose the label
        cx, cy = anchor[0] + avoid_radius + 30 * canvas.unit, anchor[1] - avoid_radius
        best = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    centre = ((best[0] + best[2]) / 2, (best[1] + best[3]) / 2)
    canvas.draw.line([tuple(anchor), centre], fill=INK, width=canvas.px(2))
    canvas.draw.rounded_rectangle(
        best, radius=canvas.px(5), fill=(255, 255, 255), outline=colour, width=canvas.px(3)
    )
    canvas.draw.text(
        (best[0] + pad, best[1] + pad), text, fill=INK, font=canvas.font(20), anchor="lt"
    )
    canvas.taken.append(best)


def _in_frame(point: np.ndarray, size: tuple[int, int]) -> bool:
    return bool(
        np.all(np.isfinite(point))
        and -size[0] < point[0] < 2 * size[0]
        and -size[1] < point[1] < 2 * size[1]
    )


def _free_box(canvas: _Canvas, a: np.ndarray, b: np.ndarray, w: float, h: float) -> Box:
    """A box of ``w`` x ``h`` on or beside the segment ``a``-``b`` that overlaps nothing drawn
    so far (the midpoint if nothing is free)."""
    direction = b - a
    length = float(np.linalg.norm(direction)) or 1.0
    normal = np.array([-direction[1], direction[0]]) / length
    width, height = canvas.image.size
    for side in (0.0, 1.0, -1.0, 2.0, -2.0):
        for t in (0.5, 0.35, 0.65, 0.2, 0.8):
            centre = a + direction * t + normal * side * (h + 6 * canvas.unit)
            box = (centre[0] - w / 2, centre[1] - h / 2, centre[0] + w / 2, centre[1] + h / 2)
            inside = box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
            if inside and not any(_overlaps(box, taken) for taken in canvas.taken):
                return box
    mid = (a + b) / 2
    return (mid[0] - w / 2, mid[1] - h / 2, mid[0] + w / 2, mid[1] + h / 2)


def draw_scene(canvas: _Canvas, layer: SceneLayer, project: Project, overlays: Overlays) -> None:
    """Lines first (paths, sightlines, measurements), then markers, then all text, so no line
    crosses a label drawn before it and labels look for room around everything drawn."""
    size = canvas.image.size
    radius = 11 * canvas.unit
    placed: list[tuple[Marker, np.ndarray]] = []
    for marker in layer.markers:
        point = project(np.array([marker.point]))[0]
        if np.all(np.isfinite(point)) and 0 <= point[0] < size[0] and 0 <= point[1] < size[1]:
            placed.append((marker, point))
    if overlays.paths:
        for path in layer.paths:
            points = project(np.array(path.points))
            colour = _rgb(path.colour)
            for a, b in itertools.pairwise(points):
                if _in_frame(a, size) and _in_frame(b, size):
                    canvas.draw.line([tuple(a), tuple(b)], fill=colour, width=canvas.px(4))
                    _arrowhead(canvas, a, b, colour, 14 * canvas.unit)
    if overlays.sightlines:
        for line in layer.sightlines:
            eye, target = project(np.array([line.eye, line.target]))
            if not (_in_frame(eye, size) and _in_frame(target, size)):
                continue
            colour = VISIBLE if line.visible else OCCLUDED
            canvas.draw.line([tuple(eye), tuple(target)], fill=colour, width=canvas.px(4))
            if line.occluder is not None:
                (x, y), r = project(np.array([line.occluder]))[0], 9 * canvas.unit
                for dy in (r, -r):
                    canvas.draw.line(
                        [(x - r, y - dy), (x + r, y + dy)], fill=OCCLUDED, width=canvas.px(4)
                    )
    measured: list[tuple[str, np.ndarray, np.ndarray]] = []
    if overlays.measurements:
        for measure in layer.measurements:
            a, b = project(np.array([measure.a, measure.b]))
            if not (_in_frame(a, size) and _in_frame(b, size)):
                continue
            canvas.draw.line([tuple(a), tuple(b)], fill=MEASURE, width=canvas.px(3))
            for end in (a, b):
                r = 6 * canvas.unit
                canvas.draw.ellipse((end[0] - r, end[1] - r, end[0] + r, end[1] + r), fill=MEASURE)
            measured.append((_measure_text(measure.text, canvas.tr), a, b))
    for marker, point in placed:
        if overlays.markers:
            _shape(
                canvas,
                SHAPES[marker.type],
                point[0],
                point[1],
                radius,
                _rgb(marker.colour),
                (255, 255, 255),
                canvas.px(3),
            )
        canvas.taken.append(
            (point[0] - radius, point[1] - radius, point[0] + radius, point[1] + radius)
        )
    for text, a, b in measured:
        w, h = _text_box(canvas, text, 19, bold=True)
        pad = canvas.px(5)
        box = _free_box(canvas, a, b, w + 2 * pad, h + 2 * pad)
        canvas.draw.rectangle(box, fill=(255, 255, 255), outline=MEASURE, width=canvas.px(2))
        canvas.draw.text(
            (box[0] + pad, box[1] + pad),
            text,
            fill=MEASURE,
            font=canvas.font(19, bold=True),
            anchor="lt",
        )
        canvas.taken.append(box)
    if overlays.labels:
        for marker, point in placed:
            _label(canvas, marker.label, point, _rgb(marker.colour), radius)


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


# A measurement's text as the scene layer gives it: "12.35 m ± 0.05 m".
_METRES_PLUS_MINUS = re.compile(r"(-?[\d,]+(?:\.\d+)?) m ± ([\d,]+(?:\.\d+)?) m")


def _measure_text(text: str, tr: Translator) -> str:
    """A measurement's text with its unit in the canvas's language (numbers unchanged);
    anything else (angles, model units) as it is."""
    match = _METRES_PLUS_MINUS.fullmatch(text)
    if match is None:
        return text
    metres = tr.gettext("{value} m")
    return f"{metres.format(value=match[1])} ± {metres.format(value=match[2])}"


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
        entry = (SHAPES[marker.type], _(TYPE_NAMES[marker.type]))
        if entry not in rows and marker.type not in PERSON_WORDS:
            rows.append(entry)
    people = sorted(
        {m.type for m in layer.markers if SHAPES[m.type] == "circle"}, key=list(TYPE_NAMES).index
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


def draw_watermark(
    image: Image.Image, text: str, font_file: str, logo: Image.Image | None = None
) -> Image.Image:
    """``text`` repeated diagonally across the picture, faint, plus an optional logo."""
    width, height = image.size
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
    out = Image.alpha_composite(image.convert("RGBA"), tile)
    if logo is not None:
        scale = 140 * unit / logo.height
        mark = logo.convert("RGBA").resize((round(logo.width * scale), round(logo.height * scale)))
        out.alpha_composite(
            mark, (width - mark.width - round(30 * unit), height - mark.height - round(30 * unit))
        )
    return out.convert("RGB")


def new_canvas(image: Image.Image, font_file: str, lang: str = DEFAULT_LANGUAGE) -> _Canvas:
    """A canvas on ``image`` whose fixed words are in ``lang``."""
    return _Canvas(
        image=image,
        draw=ImageDraw.Draw(image),
        unit=image.size[1] / 1080,
        font_file=font_file,
        lang=check_language(lang),
    )
