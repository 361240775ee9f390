"""Drawing the scene marks of a still: markers, labels, paths, measurements and sightlines.

Works on a ``bsu_models.scenes.scene_layer.SceneLayer`` (model points ``(x, y, z)``), a ``project``
function taking model points ``(n, 3)`` to pixel positions ``(n, 2)`` (NaN where behind the
camera) and a canvas from ``bsu_models.render.overlay_canvas.new_canvas`` on the rendered
``image: (h, w, 3) uint8``. Labels and measurement texts look for room around everything already
drawn on the canvas. Labels are drawn as given, always as text, never interpreted; a
measurement's metres are written in the canvas's language. ``Overlays`` says which overlays of a
still to draw, these and the picture's furniture (``bsu_models.render.overlay_furniture``) alike.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bsu_models.render.overlay_canvas import (
    INK,
    MEASURE,
    OCCLUDED,
    SHAPES,
    VISIBLE,
    Box,
    _Canvas,
    _overlaps,
    _rgb,
    _shape,
    _text_box,
)
from bsu_models.scenes.scene_layer import Marker, SceneLayer

Project = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Overlays:
    """Which overlays to draw; each can be switched off."""

    markers: bool = True
    labels: bool = True
    paths: bool = True
    measurements: bool = True
    sightlines: bool = True
    frustums: bool = True
    #: People, vehicles and cameras drawn at true size in the model (else their plain markers).
    figures: bool = True
    scale_bar: bool = True
    north_arrow: bool = True
    legend: bool = True
    caption: bool = True


OVERLAY_NAMES = tuple(Overlays.__dataclass_fields__)


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


def _draw_frustums(canvas: _Canvas, layer: SceneLayer, project: Project) -> None:
    """Each matched camera's frustum: its centre to the corners of its frame, and the frame."""
    for frustum in layer.frustums:
        apex, *corners = project(np.array([frustum.apex, *frustum.corners]))
        colour = _rgb(frustum.colour)
        segments = [(apex, c) for c in corners] + list(
            itertools.pairwise([*corners, corners[0]])
        )
        for a, b in segments:
            if np.all(np.isfinite(a)) and np.all(np.isfinite(b)):
                canvas.draw.line([tuple(a), tuple(b)], fill=colour, width=canvas.px(2))


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
    if overlays.frustums:
        _draw_frustums(canvas, layer, project)
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
            measured.append((measure.text_in(canvas.lang), a, b))
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


# A measurement's text as the scene layer gives it: "12.35 m ± 0.05 m".
