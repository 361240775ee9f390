"""Cutting a print that is larger than the printer's bed into tiles, with alignment pins.

The solid is cut by vertical planes into a grid of equal tiles, each at most the bed's size
less ``BED_MARGIN``. Along each seam between two tiles, two holes are drilled across the cut
where the cut face has solid material around them (found on the face's cross-section, shrunk
by the hole's radius and a wall); each pair of facing holes takes one printed pin. Tiles keep
their place in the print frame, so put together they make the whole again.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

BED_MARGIN = 5.0  # mm kept free at each side of the bed
PIN_DIAMETER = 2.0
PIN_CLEARANCE = 0.3  # the hole is this much wider than the pin
PIN_DEPTH = 4.0  # mm of pin in each tile
PIN_WALL = 1.2  # mm of material kept around a hole


@dataclass(frozen=True)
class Tile:
    name: str  # "tile-r1c2": row from the south, column from the west
    solid: Any  # manifold3d.Manifold


@dataclass(frozen=True)
class Tiling:
    rows: int
    columns: int
    tiles: tuple[Tile, ...]
    pins: tuple[Any, ...]  # one manifold per pin, laid where it goes
    seams_without_pins: int  # seams too thin for a pin: glue only


def grid(size: tuple[float, float], bed: tuple[float, float]) -> tuple[int, int]:
    """(columns, rows) of tiles that fit a bed of ``bed`` mm."""
    usable = (bed[0] - 2 * BED_MARGIN, bed[1] - 2 * BED_MARGIN)
    return max(1, math.ceil(size[0] / usable[0])), max(1, math.ceil(size[1] / usable[1]))


def fits(size: tuple[float, float], bed: tuple[float, float]) -> bool:
    return grid(size, bed) == (1, 1)


def _cylinder_along(axis: int, centre: np.ndarray, length: float, radius: float) -> Any:
    """A cylinder ``length`` long along x (``axis`` 0) or y (1), centred on ``centre``."""
    import manifold3d

    cylinder = manifold3d.Manifold.cylinder(length, radius, radius, 32, True)
    turned = cylinder.rotate((0.0, 90.0, 0.0)) if axis == 0 else cylinder.rotate((-90.0, 0.0, 0.0))
    return turned.translate(tuple(float(c) for c in centre))


def _seam_section(solid: Any, axis: int, at: float) -> Any:
    """The solid's cross-section on the plane x = ``at`` (axis 0) or y = ``at`` (axis 1), in
    (the other horizontal axis, z)."""
    if axis == 0:
        # Map (x, y, z) -> (y, z, x): the plane x = at becomes z = at.
        matrix = [[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0]]
    else:
        # (x, y, z) -> (x, z, -y): a rotation (a mirror would turn the solid inside out).
        matrix = [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, -1.0, 0.0, 0.0]]
        at = -at
    return solid.transform(np.array(matrix)).slice(at)


def _pin_centres(section: Any, low: float, high: float) -> list[tuple[float, float]]:
    """Up to two pin centres (along the seam, z) on the seam's stretch [low, high], where a
    hole with its wall fits inside the section; the lowest such places, far apart."""
    import manifold3d

    reach = (PIN_DIAMETER + PIN_CLEARANCE) / 2 + PIN_WALL
    inset = section.offset(-reach, manifold3d.JoinType.Round)
    span = manifold3d.CrossSection.square((high - low - 2 * reach, 1e6)).translate(
        (low + reach, -5e5)
    )
    room = inset ^ span
    points = [p for polygon in room.to_polygons() for p in np.asarray(polygon)]
    if not points:
        return []
    candidates = np.array(points)
    # Prefer places near the bottom (the plate): within 1 mm of the lowest z found.
    lowest = candidates[:, 1].min()
    near = candidates[candidates[:, 1] <= lowest + 1.0]
    near = near[np.argsort(near[:, 0])]
    first, last = near[0], near[-1]
    if last[0] - first[0] < 2 * reach:
        return [(float(first[0]), float(first[1]))]
    return [(float(first[0]), float(first[1])), (float(last[0]), float(last[1]))]


def cut(solid: Any, box: tuple[float, float, float, float], bed: tuple[float, float]) -> Tiling:
    """``solid`` (whose plan spans ``box`` = x0, y0, x1, y1) in tiles fitting ``bed``."""
    import manifold3d

    x0, y0, x1, y1 = box
    columns, rows = grid((x1 - x0, y1 - y0), bed)
    xs = np.linspace(x0, x1, columns + 1)
    ys = np.linspace(y0, y1, rows + 1)
    z_low, z_high = solid.bounding_box()[2] - 1, solid.bounding_box()[5] + 1
    holes: list[Any] = []
    pins: list[Any] = []
    bare = 0
    hole_radius = (PIN_DIAMETER + PIN_CLEARANCE) / 2
    seams = [(0, float(x), ys) for x in xs[1:-1]] + [(1, float(y), xs) for y in ys[1:-1]]
    for axis, at, stretch in seams:
        section = _seam_section(solid, axis, at)
        for low, high in itertools.pairwise(stretch):
            centres = _pin_centres(section, float(low), float(high))
            if not centres:
                bare += 1
            for along, z in centres:
                centre = np.array([at, along, z]) if axis == 0 else np.array([along, at, z])
                holes.append(_cylinder_along(axis, centre, 2 * PIN_DEPTH + 0.4, hole_radius))
                pins.append(_cylinder_along(axis, centre, 2 * PIN_DEPTH - 0.6, PIN_DIAMETER / 2))
    drilled = manifold3d.Manifold.batch_boolean([solid, *holes], manifold3d.OpType.Subtract)
    tiles = []
    for row in range(rows):
        for column in range(columns):
            cell = manifold3d.Manifold.cube(
                (xs[column + 1] - xs[column], ys[row + 1] - ys[row], z_high - z_low)
            ).translate((float(xs[column]), float(ys[row]), z_low))
            piece = drilled ^ cell
            if not piece.is_empty():
                tiles.append(Tile(f"tile-r{row + 1}c{column + 1}", piece))
    return Tiling(rows, columns, tuple(tiles), tuple(pins), bare)
