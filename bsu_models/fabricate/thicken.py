"""Thin parts of a printed solid thickened to the printer's minimum wall.

Each corner of the surface is measured as ``walls.check_walls`` measures faces: a ray goes
inwards, the way the corner faces, to where it leaves the solid. A corner faces the way its
thin faces do where it has any (the foot of a thin post faces the way the post's side does, not
the ground it stands on), else the way all its faces do. A corner thinner than the minimum wall
moves outwards by half the shortfall, so that the two sides of a thin part move apart and meet
the wall between them; a few rounds settle corners whose far side moved too. Corners on the
plate the model stands on move only sideways, so the model keeps standing on it. Only thin parts
change: every other corner stays where the model put it, and the print's report says how much
was moved.

Moving corners keeps the surface closed (the same faces join the same corners), so the solid
stays watertight; where two thin parts stand closer than the wall they may be pushed into
each other, and the union with the base plate joins them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bsu_models.fabricate.solid import as_manifold, solid_arrays
from bsu_models.fabricate.walls import face_thickness

#: Rounds of measuring and moving; a margin above the wall so that a measure that rounds down
#: does not read thin again.
ROUNDS = 3
MARGIN = 1.05
#: Corners moved to within this of each other (mm) are joined: STL readers and slicers join
#: corners at the same place, which would otherwise leave the surface open there.
JOIN_MM = 1e-3


@dataclass(frozen=True)
class Thickening:
    """What thickening changed: the corners moved and the largest move (mm)."""

    moved: int
    largest_mm: float


def _face_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Each face's normal times twice its area."""
    corners = vertices[faces]
    return np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])


def _corner_directions(
    vertices: np.ndarray, faces: np.ndarray, thin_faces: np.ndarray
) -> np.ndarray:
    """Which way each corner faces: the mean of its thin faces' normals where it has any (a
    post's foot faces the way the post's side does, not the ground's), else of all its faces'
    (weighted by area)."""
    weighted = _face_normals(vertices, faces)
    every, thin = np.zeros_like(vertices), np.zeros_like(vertices)
    unit = weighted / np.maximum(np.linalg.norm(weighted, axis=1), 1e-300)[:, None]
    for k in range(3):
        np.add.at(every, faces[:, k], weighted)
        np.add.at(thin, faces[thin_faces, k], unit[thin_faces])
    direction = np.where((np.abs(thin).sum(axis=1) > 0)[:, None], thin, every)
    length = np.linalg.norm(direction, axis=1)
    return direction / np.where(length > 0, length, 1.0)[:, None]


def _corner_thickness(vertices: np.ndarray, faces: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """Distance inwards along each corner's normal to where the solid is left (inf: none)."""
    import trimesh

    mesh = trimesh.Trimesh(vertices, faces, process=False, validate=False)
    step = 1e-4 * float(np.linalg.norm(np.ptp(vertices, axis=0)))
    hit_faces, rays, points = mesh.ray.intersects_id(
        vertices - normals * step, -normals, multiple_hits=False, return_locations=True
    )
    thickness = np.full(len(vertices), np.inf)
    thickness[rays] = np.linalg.norm(points - vertices[rays], axis=1)
    # A ray that meets a face of its own corner at once measured nothing.
    own = (faces[hit_faces] == rays[:, None]).any(axis=1)
    thickness[rays[own]] = np.inf
    return thickness


def thicken(
    vertices: np.ndarray, faces: np.ndarray, min_wall: float, ground: float | None = None
) -> tuple[np.ndarray, Thickening]:
    """The corners of the closed solid ``vertices, faces`` (mm) moved so that its thin parts
    are ``min_wall`` thick; ``ground``: the height of the plate's top (corners at it move only
    sideways)."""
    moved = vertices.astype(np.float64, copy=True)
    on_ground = np.zeros(len(vertices), bool) if ground is None else vertices[:, 2] <= ground + 1e-6
    total = np.zeros(len(vertices))
    everything = np.arange(len(faces))
    for _round in range(ROUNDS):
        chosen, _centres, _areas, across = face_thickness(moved, faces, everything, ground)
        thin_faces = chosen[across < min_wall]
        if not len(thin_faces):
            break
        normals = _corner_directions(moved, faces, thin_faces)
        normals[on_ground, 2] = 0.0
        length = np.linalg.norm(normals[on_ground], axis=1)
        normals[on_ground] /= np.where(length > 0, length, 1.0)[:, None]
        thickness = _corner_thickness(moved, faces, normals)
        short = np.where(thickness < min_wall, (min_wall * MARGIN - thickness) / 2, 0.0)
        if not short.any():
            break
        moved += normals * short[:, None]
        total += short
    changed = total > 0
    return moved, Thickening(int(changed.sum()), float(total.max()) if changed.any() else 0.0)


def thickened_solid(
    solid: object, min_wall: float, ground: float | None = None
) -> tuple[object | None, Thickening]:
    """The manifold ``solid`` with its thin parts thickened (``thicken``), corners that met
    joined; None when the moved surface is no longer a solid."""
    corners, faces = solid_arrays(solid)
    corners, done = thicken(corners, faces, min_wall, ground)
    grown = as_manifold(corners, faces)
    return (None if grown is None else grown.simplify(JOIN_MM)), done
