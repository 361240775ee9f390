"""Validated mesh arrays: the only geometry that leaves the parser and reaches pyvista.

``MeshArrays`` holds ``vertices: (n, 3) float64``, ``faces: (m, 3) int64`` and optionally
``uv: (n, 2) float64`` with a ``texture_png``, or ``colours: (n, 3) uint8`` per vertex.
``validate_arrays`` checks what a parser returned (it may be empty, partial, NaN-ridden or out
of range) and raises ``InvalidMesh`` with a sentence naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bsu_models.core.errors import InvalidMesh, LimitExceeded
from bsu_models.core.limits import MAX_COORDINATE

#: The line the parser process writes to its parent once it has written a mesh's arrays.
MESH_READY = "mesh-ready"


@dataclass(frozen=True)
class MeshArrays:
    vertices: np.ndarray = field(repr=False)
    faces: np.ndarray = field(repr=False)
    uv: np.ndarray | None = field(default=None, repr=False)
    texture_png: bytes | None = field(default=None, repr=False)
    colours: np.ndarray | None = field(default=None, repr=False)

    @property
    def bounds(self) -> np.ndarray:
        """(2, 3) float: minimum and maximum corner."""
        return np.array([self.vertices.min(axis=0), self.vertices.max(axis=0)])


def validate_arrays(
    label: str,
    vertices: np.ndarray,
    faces: np.ndarray,
    max_faces: int,
    uv: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Check and normalise parser output; returns (vertices, faces, uv) as float64/int64."""
    vertices = np.asarray(vertices)
    faces = np.asarray(faces)
    if vertices.size == 0 or vertices.ndim != 2 or vertices.shape[1] != 3:
        raise InvalidMesh("{label}: the file holds no vertices.", label=label)
    if faces.size == 0:
        raise InvalidMesh(
            "{label}: the file holds {vertices:,} vertices but no faces (a point cloud "
            "or an empty mesh); a surface mesh is needed.",
            label=label,
            vertices=len(vertices),
        )
    if faces.ndim != 2 or faces.shape[1] != 3:
        raise InvalidMesh(
            "{label}: faces are not triangles after parsing (shape {shape}).",
            label=label,
            shape=faces.shape,
        )
    if len(faces) > max_faces:
        raise LimitExceeded(
            "{label}: the mesh has {faces:,} faces; at most {limit:,} are allowed.",
            label=label,
            faces=len(faces),
            limit=max_faces,
        )
    if not np.issubdtype(vertices.dtype, np.number) or not np.issubdtype(faces.dtype, np.integer):
        raise InvalidMesh("{label}: vertex or face data are not numbers.", label=label)
    vertices = vertices.astype(np.float64, copy=False)
    bad = ~np.isfinite(vertices).all(axis=1)
    if bad.any():
        raise InvalidMesh(
            "{label}: {count:,} vertices have coordinates that are not finite numbers "
            "(NaN or infinity), first at vertex {first}.",
            label=label,
            count=int(bad.sum()),
            first=int(np.argmax(bad)),
        )
    far = np.abs(vertices).max(axis=1) > MAX_COORDINATE
    if far.any():
        first = int(np.argmax(far))
        raise InvalidMesh(
            "{label}: vertex {first} has a coordinate of {value:.3g}; coordinates must lie "
            "within ±{limit:.0e} (larger ones overflow when measured).",
            label=label,
            first=first,
            value=float(vertices[first][np.argmax(np.abs(vertices[first]))]),
            limit=MAX_COORDINATE,
        )
    faces = faces.astype(np.int64, copy=False)
    low, high = int(faces.min()), int(faces.max())
    if low < 0 or high >= len(vertices):
        raise InvalidMesh(
            "{label}: a face refers to vertex {vertex}, but vertices are numbered 0 to {last}.",
            label=label,
            vertex=high if high >= len(vertices) else low,
            last=len(vertices) - 1,
        )
    if uv is not None:
        uv = np.asarray(uv, dtype=np.float64)
        if uv.shape != (len(vertices), 2) or not np.isfinite(uv).all():
            uv = None
    return vertices, faces, uv


def merge_positions(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertices with exact duplicates removed ``(k, 3)`` and faces re-indexed ``(m, 3)``."""
    order = np.lexsort((vertices[:, 2], vertices[:, 1], vertices[:, 0]))
    ordered = vertices[order]
    first = np.ones(len(vertices), dtype=bool)
    first[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    merged_index = np.empty(len(vertices), dtype=np.int64)
    merged_index[order] = np.cumsum(first) - 1
    return ordered[first], merged_index[faces]


#: Odd 64-bit multipliers (from splitmix64 and xxhash) mixing a position's bits into one key.
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)


def position_ids(vertices: np.ndarray) -> tuple[np.ndarray, int]:
    """A number per vertex ``(n,)``, equal exactly for vertices at the same position, and how
    many positions there are: ``merge_positions``' re-indexing without its ordering, sorting
    one mixed 64-bit key per vertex instead of three coordinates (several times faster)."""
    exact = np.ascontiguousarray(vertices, dtype=np.float64) + 0.0  # -0.0 is 0.0, as in ==
    bits = exact.view(np.uint64).reshape(-1, 3)
    key = np.zeros(len(bits), dtype=np.uint64)
    for axis in range(3):
        column = bits[:, axis]
        key ^= (column ^ (column >> np.uint64(32))) * _MIX[axis]
    key ^= key >> np.uint64(31)
    key *= _MIX[0]
    key ^= key >> np.uint64(29)
    order = np.argsort(key)
    ordered = key[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    rows = bits[order]
    if (rows[1:][~first[1:]] != rows[:-1][~first[1:]]).any():
        # Two positions share a key (rare): the exact sort instead.
        merged, faces = merge_positions(vertices, np.arange(len(vertices)).reshape(-1, 1))
        return faces.ravel(), len(merged)
    ids = np.empty(len(key), dtype=np.int64)
    ids[order] = np.cumsum(first) - 1
    return ids, int(first.sum())


def is_watertight(faces: np.ndarray, vertex_count: int) -> bool:
    """Every edge of ``faces: (m, 3)`` (merged positions) is shared by exactly two faces."""
    edges = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    keys = np.minimum(edges[:, 0], edges[:, 1]) * np.int64(vertex_count) + np.maximum(
        edges[:, 0], edges[:, 1]
    )
    keys.sort()  # only equal neighbours matter: the fastest sort will do
    if len(keys) == 0 or len(keys) % 2:
        return False
    # Sorted, each key exactly twice: pairs are equal and each pair differs from the next.
    return bool(np.all(keys[0::2] == keys[1::2]) and np.all(keys[2::2] != keys[1:-1:2]))


def surface_area(vertices: np.ndarray, faces: np.ndarray) -> float:
    # np.take gathers rows faster than indexing, with the same values.
    a = np.take(vertices, faces[:, 0], axis=0)
    b = np.take(vertices, faces[:, 1], axis=0) - a
    c = np.take(vertices, faces[:, 2], axis=0) - a
    x = b[:, 1] * c[:, 2] - b[:, 2] * c[:, 1]
    y = b[:, 2] * c[:, 0] - b[:, 0] * c[:, 2]
    z = b[:, 0] * c[:, 1] - b[:, 1] * c[:, 0]
    return float(0.5 * np.sqrt(x * x + y * y + z * z).sum())
