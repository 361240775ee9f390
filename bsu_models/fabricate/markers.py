"""Printed markers for the entities of a scene step: small figures to set on the printed model.

Each entity placed at the step becomes a part of its own: a person a standing figure (a body
and a head, as tall as the person: eye height plus 12 cm, 1.72 m unless the step gives the eye
height), a vehicle a block of a car's size turned to its heading, anything else a small cone;
all at the print's scale, but never smaller than the printer can make (each side at least
twice the minimum wall), and the report says which were enlarged. Each figure stands on a tab
that carries its label in relief (in the pictures' font, so Chinese labels print too). The
markers are laid where their entities stand on the printed model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bsu_models.fabricate import relief as rf
from bsu_models.scenes.scene_items import DEFAULT_EYE_HEIGHT_M, PERSON_TYPES

HEAD_ABOVE_EYES_M = 0.12
PERSON_WIDTH_M = 0.5
VEHICLE_M = (4.5, 1.8, 1.5)  # length, width, height
OTHER_M = 0.6
TAB_THICKNESS = 1.2  # mm
TAB_TEXT = 4.0  # mm em height of the label
TAB_MARGIN = 1.5
RELIEF = 0.6


@dataclass(frozen=True)
class MarkerSpec:
    """One entity at the step, in the print frame (mm)."""

    entity_id: str
    label: str
    type: str
    foot: tuple[float, float, float]  # where it stands (model units until placed)
    heading_deg: float | None = None
    eye_height_m: float | None = None


@dataclass(frozen=True)
class MarkerPart:
    entity_id: str
    solid: Any  # manifold3d.Manifold
    enlarged: bool


def _size(real_m: float, mm_per_m: float, least: float) -> tuple[float, bool]:
    size = real_m * mm_per_m
    return (size, False) if size >= least else (least, True)


def _figure(spec: MarkerSpec, mm_per_m: float, least: float) -> tuple[Any, bool]:
    """The figure standing on z = 0 around x = y = 0, and whether it was enlarged."""
    import manifold3d

    if spec.type in PERSON_TYPES:
        eye = spec.eye_height_m or DEFAULT_EYE_HEIGHT_M
        height, taller = _size(eye + HEAD_ABOVE_EYES_M, mm_per_m, 2 * least)
        width, wider = _size(PERSON_WIDTH_M, mm_per_m, least)
        head = width * 0.5
        body = manifold3d.Manifold.cylinder(height - head, width / 2, width / 2 * 0.8, 24)
        top = manifold3d.Manifold.sphere(head * 0.6, 24).translate((0.0, 0.0, height - head * 0.6))
        return body + top, taller or wider
    if spec.type == "vehicle":
        sizes = [_size(v, mm_per_m, least) for v in VEHICLE_M]
        length, width, height = (s for s, _ in sizes)
        block = manifold3d.Manifold.cube((length, width, height), True).translate(
            (0.0, 0.0, height / 2)
        )
        # Headings are clockwise from north; the block's length lies along x (east) first.
        turn = 90.0 - (spec.heading_deg or 90.0)
        return block.rotate((0.0, 0.0, turn)), any(e for _, e in sizes)
    size, enlarged = _size(OTHER_M, mm_per_m, 2 * least)
    return manifold3d.Manifold.cylinder(size, size / 2, 0.0, 24), enlarged


def marker_parts(
    specs: list[MarkerSpec], mm_per_m: float, min_wall: float, font_file: str = ""
) -> list[MarkerPart]:
    """A part for each marker: its figure on a labelled tab, placed at its ``foot``."""
    import manifold3d

    least = max(2 * min_wall, 1.0)
    parts = []
    for spec in specs:
        figure, enlarged = _figure(spec, mm_per_m, least)
        x0, y0, _z0, x1, y1, _z1 = figure.bounding_box()
        outlines = rf.text_polygons(spec.label, TAB_TEXT, font_file)
        text_w = rf.text_width(spec.label, TAB_TEXT, font_file)
        depth = TAB_TEXT * 1.25 + 2 * TAB_MARGIN
        left = x0 - TAB_MARGIN
        right = max(x1, 0.0) + TAB_MARGIN + text_w + TAB_MARGIN
        bottom = min(y0 - TAB_MARGIN, -depth / 2)
        top = max(y1 + TAB_MARGIN, depth / 2)
        tab = manifold3d.Manifold.cube((right - left, top - bottom, TAB_THICKNESS)).translate(
            (left, bottom, 0.0)
        )
        baseline = np.array([max(x1, 0.0) + TAB_MARGIN, -TAB_TEXT * 0.4])
        label = rf.raised([p + baseline for p in outlines], TAB_THICKNESS, RELIEF)
        standing = figure.translate((0.0, 0.0, TAB_THICKNESS - 0.01))
        whole = tab + standing + label
        parts.append(MarkerPart(spec.entity_id, whole.translate(spec.foot), enlarged))
    return parts
