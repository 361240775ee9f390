"""A version's click index: a uniform grid over its full-resolution faces, made with its web
levels and stored as a blob, so that a fresh process answers the first click on a big model in
milliseconds instead of building a ray tree (seconds) or an R-tree (longer) first.

The blob holds a small JSON header (the original's and the geometry file's SHA-256, the grid's
origin, cell size and shape) and, per cell, which faces' bounding boxes reach into it (``starts:
(cells + 1,) int32`` into ``faces: (refs,) int32``). The surface itself is the version's
``geometry`` blob, read as it is. Rays and nearest points are computed on the candidate faces in
double precision, so an indexed click lands on the same face and point as the full path.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from bsu_models.core.errors import StorageError

SNAP_MAGIC = b"BSUSNAP1"
#: About this many faces in a cell the surface passes through, at most this many cells.
_FACES_PER_CELL = 8.0
_MAX_CELLS = 2_000_000
_PARALLEL = 1e-12


def surface_points(
    vertices: np.ndarray,
    faces: np.ndarray,
    face_ids: np.ndarray,
    origins: np.ndarray,
    directions: np.ndarray,
) -> np.ndarray:
    """Where rays ``origins, directions: (k, 3)`` meet the planes of faces ``face_ids: (k,)``,
    in double precision, kept inside each triangle (a ray tree working in single precision may
    name a neighbouring face near an edge): points ``(k, 3)`` on the surface."""
    # np.take gathers rows several times faster than fancy indexing with a 2-D index.
    corners = np.take(vertices, np.take(faces, face_ids, axis=0), axis=0)
    first = corners[:, 0]
    edge1, edge2 = corners[:, 1] - first, corners[:, 2] - first
    normals = np.cross(edge1, edge2)
    t = _dot(normals, first - origins) / _dot(normals, directions)
    points = origins + directions * t[:, None]
    # Barycentric (s, t) of each point on its face; only the near-misses need clamping.
    w, area2 = points - first, _dot(normals, normals)
    s = _dot(np.cross(w, edge2), normals) / area2
    r = _dot(np.cross(edge1, w), normals) / area2
    outside = (s < 0) | (r < 0) | (s + r > 1)
    if outside.any():
        import trimesh

        points[outside] = trimesh.triangles.closest_point(corners[outside], points[outside])
    return points


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, b)


def build_snap_index(
    vertices: np.ndarray, faces: np.ndarray, original_sha256: str, geometry_sha256: str
) -> bytes:
    """The click index of ``vertices: (n, 3)``, ``faces: (m, 3)`` as blob bytes; deterministic."""
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    if not len(faces):
        raise StorageError("A mesh without faces has no click index.")
    corners = vertices[faces]  # (m, 3, 3)
    low_f, high_f = corners.min(axis=1), corners.max(axis=1)
    low, high = low_f.min(axis=0), high_f.max(axis=0)
    extent = np.maximum(high - low, 0.0)
    area = (
        0.5
        * np.linalg.norm(
            np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1
        ).sum()
    )
    size = float(np.sqrt(_FACES_PER_CELL * 2.0 * area / len(faces)))
    if not size > 0:
        size = float(extent.max() / 64) or 1.0

    while True:
        shape = np.maximum(np.ceil(extent / size).astype(np.int64), 1)
        # Each face also goes into cells it only touches within rounding, so a ray along a
        # cell's side finds it whichever side the ray's own rounding puts it on.
        pad = 1e-6 * size
        if int(shape.prod()) > _MAX_CELLS:
            size *= (shape.prod() / _MAX_CELLS) ** (1 / 3) * 1.01
            continue
        first = np.clip(np.floor((low_f - pad - low) / size).astype(np.int64), 0, shape - 1)
        last = np.clip(np.floor((high_f + pad - low) / size).astype(np.int64), 0, shape - 1)
        span = last - first + 1
        counts = span.prod(axis=1)
        if counts.sum() <= 16 * len(faces) + shape.prod():
            break
        size *= 1.5  # a few huge faces reach into too many cells: coarser cells

    owner = np.repeat(np.arange(len(faces), dtype=np.int64), counts)
    offset = np.arange(len(owner), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    sx, sy = span[owner, 0], span[owner, 1]
    ix = first[owner, 0] + offset % sx
    iy = first[owner, 1] + (offset // sx) % sy
    iz = first[owner, 2] + offset // (sx * sy)
    cells = (iz * shape[1] + iy) * shape[0] + ix
    order = np.argsort(cells, kind="stable")
    refs = owner[order].astype("<i4")
    starts = np.zeros(int(shape.prod()) + 1, dtype=np.int64)
    np.cumsum(np.bincount(cells, minlength=int(shape.prod())), out=starts[1:])
    header = json.dumps(
        {
            "original_sha256": original_sha256,
            "geometry_sha256": geometry_sha256,
            "vertices": len(vertices),
            "faces": len(faces),
            "origin": [float(x) for x in low],
            "bounds": [
                [float(x) for x in vertices.min(axis=0)],
                [float(x) for x in vertices.max(axis=0)],
            ],
            "cell": size,
            "shape": [int(x) for x in shape],
            "refs": len(refs),
        },
        sort_keys=True,
    ).encode()
    header += b" " * (-(len(header) + 12) % 8)  # the arrays start 8-byte aligned
    return b"".join(
        [
            SNAP_MAGIC,
            struct.pack("<I", len(header)),
            header,
            starts.astype("<i4").tobytes(),
            refs.tobytes(),
        ]
    )


@dataclass(frozen=True)
class SnapIndex:
    """A click index read back with its surface: ``vertices (n, 3) float64``, ``faces (m, 3)``."""

    vertices: np.ndarray
    faces: np.ndarray
    origin: np.ndarray  # (3,) the grid's low corner
    cell: float  # cell size, model units
    shape: tuple[int, ...]  # cells along x, y, z
    starts: np.ndarray  # (cells + 1,) where each cell's faces start in ``refs``
    refs: np.ndarray  # (refs,) face ids, cell by cell
    occupied: np.ndarray  # (k,) ids of the cells holding any face
    bounds: np.ndarray  # (2, 3) the vertices' lowest and highest coordinates

    def first_hits(
        self, origins: np.ndarray, directions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """As ``geometry.first_hits``: hit points ``(n, 3)`` (NaN where none), faces ``(n,)``."""
        hits = np.full((len(origins), 3), np.nan)
        found = np.full(len(origins), -1, dtype=np.int64)
        for i, (origin, direction) in enumerate(zip(origins, directions, strict=True)):
            found[i] = self._first_face(origin, direction)
        rays = np.flatnonzero(found >= 0)
        if len(rays):
            hits[rays] = surface_points(
                self.vertices, self.faces, found[rays], origins[rays], directions[rays]
            )
        return hits, found

    def _first_face(self, origin: np.ndarray, direction: np.ndarray) -> int:
        cells = self._cells_along(origin, direction)
        if not len(cells):
            return -1
        candidates = self._faces_in(cells)
        if not len(candidates):
            return -1
        t = _ray_triangle(self.vertices, self.faces, candidates, origin, direction)
        if not np.isfinite(t).any():
            return -1
        # The lowest face id among equally near ones, whatever order the cells gave them.
        nearest = np.flatnonzero(t == t.min())
        return int(candidates[nearest].min())

    def _cells_along(self, origin: np.ndarray, direction: np.ndarray) -> np.ndarray:
        """Linear ids of the grid cells a ray passes through (3-D DDA, Amanatides & Woo)."""
        size, shape = self.cell, self.shape
        low = self.origin
        high = low + np.array(shape) * size
        with np.errstate(divide="ignore", invalid="ignore"):
            inverse = 1.0 / direction
            t_a, t_b = (low - origin) * inverse, (high - origin) * inverse
        t_a = np.where(np.isnan(t_a), -np.inf, t_a)
        t_b = np.where(np.isnan(t_b), np.inf, t_b)
        t_in = max(float(np.minimum(t_a, t_b).max()), 0.0)
        t_out = float(np.maximum(t_a, t_b).min())
        if t_in > t_out:
            return np.empty(0, dtype=np.int64)
        start = origin + direction * t_in
        cell = [min(max(math.floor((start[k] - low[k]) / size), 0), shape[k] - 1) for k in range(3)]
        step, t_next, t_delta = [0, 0, 0], [np.inf] * 3, [np.inf] * 3
        for k in range(3):
            d = float(direction[k])
            if d > 0:
                step[k], t_delta[k] = 1, size / d
                t_next[k] = float((low[k] + (cell[k] + 1) * size - origin[k]) / d)
            elif d < 0:
                step[k], t_delta[k] = -1, -size / d
                t_next[k] = float((low[k] + cell[k] * size - origin[k]) / d)
        nx, ny = shape[0], shape[1]
        ids = []
        while True:
            ids.append((cell[2] * ny + cell[1]) * nx + cell[0])
            k = 0 if t_next[0] <= t_next[1] and t_next[0] <= t_next[2] else (
                1 if t_next[1] <= t_next[2] else 2
            )  # fmt: skip
            if t_next[k] > t_out:
                break
            cell[k] += step[k]
            if not 0 <= cell[k] < shape[k]:
                break
            t_next[k] += t_delta[k]
        return np.array(ids, dtype=np.int64)

    def _faces_in(self, cells: np.ndarray) -> np.ndarray:
        begin, end = self.starts[cells], self.starts[cells + 1]
        counts = end - begin
        if not counts.sum():
            return np.empty(0, dtype=np.int64)
        positions = np.repeat(begin - (np.cumsum(counts) - counts), counts) + np.arange(
            counts.sum()
        )
        return np.unique(self.refs[positions].astype(np.int64))

    def nearest(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The surface point nearest each of ``points: (n, 3)`` and its face ``(n,)``."""
        closest = np.empty((len(points), 3))
        faces = np.empty(len(points), dtype=np.int64)
        for i, point in enumerate(points):
            closest[i], faces[i] = self._nearest(point)
        return closest, faces

    def _nearest(self, point: np.ndarray) -> tuple[np.ndarray, int]:
        """Best first: cells by their distance from ``point``, nearest first, until the next
        cell is farther than the nearest face found (a face lies within its cells)."""
        import trimesh

        nx, ny = self.shape[0], self.shape[1]
        cells = self.occupied
        corner = np.column_stack([cells % nx, (cells // nx) % ny, cells // (nx * ny)])
        low = self.origin + corner * self.cell
        gap = np.maximum(np.maximum(low - point, point - (low + self.cell)), 0.0)
        away = np.linalg.norm(gap, axis=1)
        order = np.argsort(away, kind="stable")
        seen = np.zeros(len(self.faces), dtype=bool)
        best_point, best_face, best = np.asarray(point, dtype=float), -1, np.inf
        begin, chunk = 0, 8
        while begin < len(order) and away[order[begin]] <= best:
            batch = order[begin : begin + chunk]
            begin, chunk = begin + chunk, chunk * 2
            candidates = self._faces_in(cells[batch])
            candidates = candidates[~seen[candidates]]
            seen[candidates] = True
            if not len(candidates):
                continue
            corners = np.take(self.vertices, np.take(self.faces, candidates, axis=0), axis=0)
            near = trimesh.triangles.closest_point(
                corners, np.broadcast_to(point, (len(candidates), 3))
            )
            distance = np.linalg.norm(near - point, axis=1)
            # The lowest face id among equally near ones, whatever order the cells gave.
            ties = np.flatnonzero(distance == distance.min())
            j = ties[np.argmin(candidates[ties])]
            if distance[j] < best or (distance[j] == best and candidates[j] < best_face):
                best_point, best_face, best = near[j], int(candidates[j]), float(distance[j])
        return best_point, best_face


def _ray_triangle(
    vertices: np.ndarray, faces: np.ndarray, ids: np.ndarray, origin: np.ndarray, direction: Any
) -> np.ndarray:
    """Distance along the ray to each face ``ids: (k,)`` (Moller-Trumbore, double precision,
    edges included), inf where it misses or lies behind the origin."""
    corners = np.take(vertices, np.take(faces, ids, axis=0), axis=0)
    first = corners[:, 0]
    edge1, edge2 = corners[:, 1] - first, corners[:, 2] - first
    p = np.cross(direction, edge2)
    det = _dot(edge1, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = 1.0 / det
        s = origin - first
        u = _dot(s, p) * inverse
        q = np.cross(s, edge1)
        v = (q @ direction) * inverse
        t = _dot(edge2, q) * inverse
    tolerance = 1e-9
    hit = (
        (np.abs(det) > _PARALLEL * _dot(edge1, edge1))
        & (u >= -tolerance)
        & (v >= -tolerance)
        & (u + v <= 1 + tolerance)
        & (t > 0)
    )
    return np.where(hit, t, np.inf)


def read_snap_index(
    data: bytes,
    vertices: np.ndarray,
    faces: np.ndarray,
    original_sha256: str,
    geometry_sha256: str,
) -> SnapIndex:
    """The click index in ``data`` over the surface ``vertices, faces``; refuses one made for
    another original or geometry, or whose layout does not add up."""
    if not data.startswith(SNAP_MAGIC) or len(data) < 12:
        raise StorageError("A stored click index is not in the expected layout.")
    (length,) = struct.unpack_from("<I", data, 8)
    try:
        header = json.loads(data[12 : 12 + length])
        shape = tuple(int(x) for x in header["shape"])
        cells, refs = int(np.prod(shape)), int(header["refs"])
        made_for = (header["original_sha256"], header["geometry_sha256"])
        sizes = (header["vertices"], header["faces"])
        origin, size = np.array(header["origin"], dtype=float), float(header["cell"])
        bounds = np.array(header["bounds"], dtype=float).reshape(2, 3)
    except (ValueError, KeyError, TypeError) as exc:
        raise StorageError("A stored click index has an unreadable header.") from exc
    if made_for != (original_sha256, geometry_sha256) or sizes != (len(vertices), len(faces)):
        raise StorageError("A stored click index was made for another surface.")
    body = 12 + length
    if len(shape) != 3 or min(shape) < 1 or len(data) != body + 4 * (cells + 1 + refs):
        raise StorageError("A stored click index has the wrong length.")
    starts = np.frombuffer(data, dtype="<i4", count=cells + 1, offset=body)
    ids = np.frombuffer(data, dtype="<i4", count=refs, offset=body + 4 * (cells + 1))
    counts = np.diff(starts)
    inside = not refs or 0 <= ids.min() <= ids.max() < len(faces)
    if starts[0] != 0 or starts[-1] != refs or (counts < 0).any() or not inside:
        raise StorageError("A stored click index points outside its surface.")
    return SnapIndex(
        vertices, faces, origin, size, shape, starts, ids, np.flatnonzero(counts), bounds
    )
