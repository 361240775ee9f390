"""The base plate a printed landmark stands on, with its words and signs in relief.

The plate runs under the model's footprint with a margin, and a band along its south edge
carries, raised ``RELIEF`` mm: the case reference and the scale (``KC-2026-0142  1:500``), a
scale bar of a round length in metres at the print's scale with its label, and a north arrow
with an N. The model stands on the plate's top face (z = ``THICKNESS``); north is +y.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bsu_models.fabricate import relief as rf
from bsu_models.render.overlay_furniture import round_length

THICKNESS = 5.0  # mm: stiff enough, and room for 2 mm alignment pins with walls around them
MARGIN = 5.0  # mm of plate around the model and around the band's contents
RELIEF = 0.8  # mm the words and signs stand above the plate
TEXT_HEIGHT = 6.0  # em height of the reference line, mm (capitals about 4.4 mm)
LABEL_HEIGHT = 4.5
BAR_HEIGHT = 2.0
ARROW_LENGTH = 10.0
BAND = 26.0  # mm: the band along the south edge


@dataclass(frozen=True)
class Lettering:
    """One line of raised text: what it says and where its baseline starts (print mm)."""

    text: str
    origin: tuple[float, float]
    height: float


@dataclass
class Plate:
    slab: Any  # manifold3d.Manifold: the plate alone
    relief: Any  # manifold3d.Manifold: its words and signs
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 of the plate
    lettering: list[Lettering] = field(default_factory=list)
    scale_bar_m: float = 0.0
    scale_bar_mm: float = 0.0


def reference_line(case_reference: str, denominator: float) -> str:
    return f"{case_reference}  1:{denominator:g}"


def build_plate(
    footprint: tuple[float, float],
    case_reference: str,
    denominator: float,
    font_file: str = "",
) -> Plate:
    """The plate under a model whose footprint runs from (0, 0) to ``footprint`` (mm)."""
    import manifold3d

    width, depth = footprint
    line = reference_line(case_reference, denominator)
    text_w = rf.text_width(line, TEXT_HEIGHT, font_file)
    inner = max(width, text_w + ARROW_LENGTH + 3 * MARGIN, 60.0)
    x0, x1 = -MARGIN, inner + MARGIN
    y0, y1 = -MARGIN - BAND, depth + MARGIN
    # The scale bar: a round number of metres, at most 40 % of the band's width.
    mm_per_metre = 1000.0 / denominator
    metres = round_length(0.4 * inner / mm_per_metre)
    bar_mm = metres * mm_per_metre
    label = f"{metres:g} m"
    bottom = y0 + MARGIN
    shapes: list[np.ndarray] = []
    shapes += rf.scale_bar((0.0, bottom), bar_mm, BAR_HEIGHT)
    lettering = [
        Lettering(label, (bar_mm + 3.0, bottom), LABEL_HEIGHT),
        Lettering(line, (0.0, bottom + 9.0), TEXT_HEIGHT),
    ]
    arrow_x = inner - ARROW_LENGTH / 2
    shapes += rf.north_arrow((arrow_x, bottom + ARROW_LENGTH / 2), ARROW_LENGTH)
    n_width = rf.text_width("N", LABEL_HEIGHT, font_file)
    lettering.append(
        Lettering("N", (arrow_x - n_width / 2, bottom + ARROW_LENGTH + 1.5), LABEL_HEIGHT)
    )
    for item in lettering:
        shapes += [
            p + np.array(item.origin) for p in rf.text_polygons(item.text, item.height, font_file)
        ]
    slab = manifold3d.Manifold.cube((x1 - x0, y1 - y0, THICKNESS)).translate((x0, y0, 0.0))
    raised = rf.raised(shapes, THICKNESS, RELIEF)
    return Plate(
        slab=slab,
        relief=raised,
        box=(x0, y0, x1, y1),
        lettering=lettering,
        scale_bar_m=metres,
        scale_bar_mm=bar_mm,
    )
