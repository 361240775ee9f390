"""Where a printed solid is thinner than the printer's minimum wall.

From a sample of points on the surface (one per face, at most ``SAMPLES``, taken at a fixed
stride so the same solid gives the same answer), a ray goes inwards along the face's normal;
the distance to where it leaves the solid again is the local thickness. The share of the
surface (by face area) thinner than the minimum wall and the thinnest place are reported; more
than ``TOLERATED_SHARE`` of the surface is a part too thin to print.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLES = 40_000
#: Share of the surface that may read thinner than the wall: near every sharp edge a ray along
#: the normal meets the other face at once (a wedge is thin at its edge), which prints fine.
TOLERATED_SHARE = 0.01


@dataclass(frozen=True)
class WallCheck:
    min_wall: float  # mm
    thin_share: float  # 0..1 of the sampled surface area thinner than min_wall
    thinnest: float | None  # mm, None when nothing was measured
    where: tuple[float, float, float] | None  # a point of the thinnest place, print mm

    @property
    def ok(self) -> bool:
        return self.thin_share <= TOLERATED_SHARE


def face_thickness(
    vertices: np.ndarray, faces: np.ndarray, chosen: np.ndarray, ground: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The faces of ``chosen`` that are measured (not degenerate, not on the plate), their
    centres, areas and thickness inwards along their normals (inf: nothing measured)."""
    import trimesh

    corners = vertices[faces[chosen]]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    areas = np.linalg.norm(normals, axis=1) / 2
    keep = areas > 1e-12
    if ground is not None:
        keep &= corners.mean(axis=1)[:, 2] > ground + 1e-6
    chosen, corners, normals, areas = chosen[keep], corners[keep], normals[keep], areas[keep]
    normals /= (2 * areas)[:, None]
    centres = corners.mean(axis=1)
    mesh = trimesh.Trimesh(vertices, faces, process=False, validate=False)
    step = 1e-4 * float(np.linalg.norm(np.ptp(vertices, axis=0)))
    origins = centres - normals * step
    hit_faces, rays, points = mesh.ray.intersects_id(
        origins, -normals, multiple_hits=False, return_locations=True
    )
    thickness = np.full(len(chosen), np.inf)
    thickness[rays] = np.linalg.norm(points - centres[rays], axis=1)
    if ground is not None:
        thickness[rays[points[:, 2] <= ground + 1e-6]] = np.inf
    # A ray that meets its own face again (Embree's single precision) measured nothing.
    thickness[rays[hit_faces == chosen[rays]]] = np.inf
    return chosen, centres, areas, thickness


def check_walls(
    vertices: np.ndarray, faces: np.ndarray, min_wall: float, ground: float | None = None
) -> WallCheck:
    """Thickness of the closed solid ``vertices (n, 3), faces (m, 3)`` (mm) at sample points.

    ``ground``: the height of the top of a plate the solid is joined to: surface at or below it
    is inside the plate, and a ray that leaves the solid there goes on into the plate."""
    if min_wall <= 0 or len(faces) == 0:
        return WallCheck(min_wall, 0.0, None, None)
    stride = max(1, len(faces) // SAMPLES)
    _chosen, centres, areas, thickness = face_thickness(
        vertices, faces, np.arange(0, len(faces), stride), ground
    )
    thin = thickness < min_wall
    total = float(areas.sum()) or 1.0
    if not thin.any():
        finite = np.isfinite(thickness)
        return WallCheck(
            min_wall, 0.0, float(thickness[finite].min()) if finite.any() else None, None
        )
    worst = int(np.argmin(thickness))
    return WallCheck(
        min_wall,
        float(areas[thin].sum() / total),
        float(thickness[worst]),
        tuple(float(c) for c in centres[worst]),  # type: ignore[arg-type]
    )
