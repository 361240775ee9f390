"""Geometry queries on a model version's mesh: snapping, ray casts, sightlines, sizes, views.

Works on the version's validated arrays (``vertices: (n, 3) float64``, ``faces: (m, 3)
int64``), stored at import as a derived ``geometry`` blob in a small fixed binary layout and
loaded into a ``trimesh.Trimesh`` whose ray intersector (Embree when installed) is built once
per process and mesh hash. Directions are model axes given as ``"+z"``-style names.
"""

from __future__ import annotations

import struct
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from bsu_models.core.errors import InvalidInput, Message, StorageError
from bsu_models.ingest.snap_index import SnapIndex, read_snap_index, surface_points

GEOMETRY_MAGIC = b"BSUGEOM1"
AXES: dict[str, tuple[float, float, float]] = {
    "+x": (1, 0, 0),
    "-x": (-1, 0, 0),
    "+y": (0, 1, 0),
    "-y": (0, -1, 0),
    "+z": (0, 0, 1),
    "-z": (0, 0, -1),
}


def as_triple(point: np.ndarray) -> tuple[float, float, float]:
    """A point ``(3,)`` as a tuple of three Python floats."""
    return float(point[0]), float(point[1]), float(point[2])


def axis_vector(name: str) -> np.ndarray:
    if name not in AXES:
        raise InvalidInput(
            "Axis {axis!r} is not one of {choices}.", axis=name, choices=", ".join(AXES)
        )
    return np.array(AXES[name], dtype=float)


def pack_geometry(vertices: np.ndarray, faces: np.ndarray) -> bytes:
    """Bytes of ``vertices: (n, 3) float64`` and ``faces: (m, 3) int64``; deterministic."""
    v = np.ascontiguousarray(vertices, dtype="<f8")
    f = np.ascontiguousarray(faces, dtype="<i8")
    return GEOMETRY_MAGIC + struct.pack("<QQ", len(v), len(f)) + v.tobytes() + f.tobytes()


def unpack_geometry(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    if not data.startswith(GEOMETRY_MAGIC) or len(data) < 24:
        raise StorageError("A stored geometry file is not in the expected layout.")
    n, m = struct.unpack_from("<QQ", data, 8)
    if len(data) != 24 + 24 * n + 24 * m:
        raise StorageError("A stored geometry file has the wrong length.")
    vertices = np.frombuffer(data, dtype="<f8", count=3 * n, offset=24).reshape(n, 3)
    faces = np.frombuffer(data, dtype="<i8", count=3 * m, offset=24 + 24 * n).reshape(m, 3)
    return vertices, faces


@dataclass(frozen=True)
class MeshGeometry:
    """A loaded mesh with its facts needed for queries."""

    mesh: Any  # trimesh.Trimesh with a built ray intersector
    up: np.ndarray  # (3,) unit vector
    north: np.ndarray  # (3,) unit vector
    bounds: np.ndarray  # (2, 3)
    resolution: float  # median edge length, model units

    @property
    def diagonal(self) -> float:
        return float(np.linalg.norm(self.bounds[1] - self.bounds[0])) or 1.0

    @property
    def point_uncertainty(self) -> float:
        """Default ± of one placed point, model units: half the median edge length (how finely
        the surface is sampled), at most 0.5% of the model's size (coarse CAD faces are exact)."""
        return min(self.resolution / 2, 0.005 * self.diagonal)

    @property
    def base_level(self) -> float:
        """Lowest point of the model along the up axis (its base plane)."""
        return float(np.min(self.mesh.vertices @ self.up))


_CACHE: OrderedDict[tuple[str, str, str], MeshGeometry] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 3
#: One lock per geometry being loaded: a click arriving while the view's background load of a
#: big mesh runs waits for that load instead of doing the same seconds of work beside it.
_LOADING: dict[tuple[str, str, str], threading.Lock] = {}


def load_geometry(key: str, data_loader: Any, up_axis: str, north_axis: str) -> MeshGeometry:
    """The geometry for blob ``key`` (loaded with ``data_loader(key)`` on a miss), cached."""
    cache_key = (key, up_axis, north_axis)
    with _CACHE_LOCK:
        if cache_key in _CACHE:
            _CACHE.move_to_end(cache_key)
            return _CACHE[cache_key]
        loading = _LOADING.setdefault(cache_key, threading.Lock())
    try:
        with loading:
            with _CACHE_LOCK:
                if cache_key in _CACHE:  # loaded by the caller this one waited for
                    _CACHE.move_to_end(cache_key)
                    return _CACHE[cache_key]
            return _load_geometry(key, data_loader, up_axis, north_axis)
    finally:
        with _CACHE_LOCK:
            if _LOADING.get(cache_key) is loading and not loading.locked():
                del _LOADING[cache_key]


def _load_geometry(key: str, data_loader: Any, up_axis: str, north_axis: str) -> MeshGeometry:
    import trimesh

    cache_key = (key, up_axis, north_axis)
    vertices, faces = unpack_geometry(data_loader(key))
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=False, validate=False)
    mesh.ray.intersects_first(np.zeros((1, 3)), np.array([[0.0, 0.0, 1.0]]))  # builds the BVH
    edges = vertices[faces[:, [1, 2, 0]]] - vertices[faces]
    geometry = MeshGeometry(
        mesh=mesh,
        up=axis_vector(up_axis),
        north=axis_vector(north_axis),
        bounds=np.array([vertices.min(axis=0), vertices.max(axis=0)]),
        resolution=float(np.median(np.linalg.norm(edges, axis=2))),
    )
    with _CACHE_LOCK:
        _CACHE[cache_key] = geometry
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return geometry


def cached_geometry(key: str, up_axis: str, north_axis: str) -> MeshGeometry | None:
    """The geometry for blob ``key`` when this process has it loaded already, else None."""
    with _CACHE_LOCK:
        return _CACHE.get((key, up_axis, north_axis))


_INDEXES: OrderedDict[str, SnapIndex] = OrderedDict()


def load_indexed(
    snap_key: str,
    geometry_key: str,
    original_sha256: str,
    blobs: Any,
    up_axis: str,
) -> IndexedSurface:
    """The surface of geometry blob ``geometry_key`` with its click index, blob ``snap_key``
    (both read from ``blobs`` with their hashes checked), cached. Raises ``StorageError`` (its
    ``IntegrityError`` when the bytes were changed) for an index that cannot be trusted."""
    with _CACHE_LOCK:
        index = _INDEXES.get(snap_key)
    if index is None:
        # Checked, so that the index's ``geometry_sha256`` (compared with the key) vouches
        # for these very bytes: an index made for other ones is refused.
        vertices, faces = unpack_geometry(blobs.get_verified(geometry_key))
        index = read_snap_index(
            blobs.get_verified(snap_key), vertices, faces, original_sha256, geometry_key
        )
        with _CACHE_LOCK:
            _INDEXES[snap_key] = index
            while len(_INDEXES) > _CACHE_SIZE:
                _INDEXES.popitem(last=False)
    return IndexedSurface(index, axis_vector(up_axis), index.bounds)


def first_hits(
    geometry: MeshGeometry, origins: np.ndarray, directions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For rays ``origins, directions: (n, 3)``: hit points ``(n, 3)`` (NaN where none) and the
    hit face index ``(n,)`` (-1 where none).

    Embree works in single precision: near an edge it may name the neighbouring face. The
    point is recomputed in double precision on the named face's plane and kept inside that
    triangle, so it lies on the surface to rounding error (moving it at most that near-miss).
    """
    faces, rays = geometry.mesh.ray.intersects_id(origins, directions, multiple_hits=False)
    hits = np.full((len(origins), 3), np.nan)
    face_of = np.full(len(origins), -1, dtype=np.int64)
    if len(rays):
        # Plain views: indexing trimesh's TrackedArrays flags them as changed, and the next
        # cached query then rehashes every vertex and face (~75 ms at 1.3M faces).
        hits[rays] = surface_points(
            geometry.mesh.vertices.view(np.ndarray),
            geometry.mesh.faces.view(np.ndarray),
            faces,
            origins[rays],
            directions[rays],
        )
        face_of[rays] = faces
    return hits, face_of


def first_faces(geometry: MeshGeometry, origins: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """For rays ``origins, directions: (n, 3)``: the index of the face each meets first
    ``(n,)``, -1 where none. Only which face, not where: no double-precision point (see
    :func:`first_hits`), so many rays (a camera's every pixel) cost what the bare cast costs."""
    faces = geometry.mesh.ray.intersects_first(origins, directions)
    return np.asarray(faces, dtype=np.int64)


@dataclass(frozen=True)
class IndexedSurface:
    """A version's full-resolution surface with its stored click index (``snap_index``):
    ready in milliseconds, for clicks and drops while ``MeshGeometry`` is still loading."""

    index: SnapIndex
    up: np.ndarray  # (3,) unit vector
    bounds: np.ndarray  # (2, 3)

    @property
    def diagonal(self) -> float:
        return float(np.linalg.norm(self.bounds[1] - self.bounds[0])) or 1.0


#: What clicks and drops are answered on: the loaded mesh, or the indexed one.
Surface = MeshGeometry | IndexedSurface


def _hits(
    surface: Surface, origins: np.ndarray, directions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(surface, IndexedSurface):
        return surface.index.first_hits(origins, directions)
    return first_hits(surface, origins, directions)


def _nearest(surface: Surface, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The surface point nearest each of ``points: (n, 3)`` and its face ``(n,)``."""
    if isinstance(surface, IndexedSurface):
        return surface.index.nearest(points)
    import trimesh

    closest, _distance, triangle = trimesh.proximity.closest_point(surface.mesh, points)
    return closest, np.asarray(triangle, dtype=np.int64)


def snap_down(geometry: Surface, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop ``points: (n, 3)`` onto the surface below them along the up axis.

    Points a little under the surface (within 1% of the model's size) come up onto it. Points
    with nothing below them go to the nearest surface point instead. Returns the snapped
    points ``(n, 3)`` and the faces they lie on ``(n,)``.
    """
    points = np.asarray(points, dtype=float).reshape(-1, 3)
    lift = 0.01 * geometry.diagonal
    origins = points + geometry.up * lift
    directions = np.broadcast_to(-geometry.up, points.shape)
    hits, faces = _hits(geometry, origins, np.ascontiguousarray(directions))
    missing = np.isnan(hits[:, 0])
    if missing.any():
        hits[missing], faces[missing] = _nearest(geometry, points[missing])
    return hits, faces


def pick_on_surface(
    geometry: Surface, origin: np.ndarray, direction: np.ndarray, near: np.ndarray
) -> tuple[np.ndarray, int]:
    """Where a click's ray ``origin, direction: (3,)`` first meets the full-resolution surface,
    and that face. A browser may have picked ``near: (3,)`` on a simplified copy; where the ray
    misses the full mesh (through a hole the copy had closed), the nearest surface point to it."""
    direction = np.asarray(direction, dtype=float)
    length = float(np.linalg.norm(direction))
    if length > 0:
        hits, faces = _hits(
            geometry,
            np.asarray(origin, dtype=float).reshape(1, 3),
            (direction / length).reshape(1, 3),
        )
        if not np.isnan(hits[0, 0]):
            return hits[0], int(faces[0])
    closest, triangle = _nearest(geometry, np.asarray(near, dtype=float).reshape(1, 3))
    return closest[0], int(triangle[0])


@dataclass(frozen=True, slots=True)
class RayVerdict:
    visible: bool
    occluder: tuple[float, float, float] | None  # first surface point in the way
    length: float  # model units, eye to target


@dataclass(frozen=True)
class Sightlines:
    """Verdicts of many sightlines as arrays."""

    visible: np.ndarray  # (n,) bool
    occluders: np.ndarray  # (n, 3) first surface point in the way, NaN where visible
    lengths: np.ndarray  # (n,) model units, eye to target


def sightlines(geometry: MeshGeometry, eyes: np.ndarray, targets: np.ndarray) -> Sightlines:
    """Whether each ``targets[i]`` is visible from ``eyes[i]`` (both ``(n, 3)``) past the mesh."""
    eyes = np.asarray(eyes, dtype=float).reshape(-1, 3)
    targets = np.asarray(targets, dtype=float).reshape(-1, 3)
    offsets = targets - eyes
    lengths = np.linalg.norm(offsets, axis=1)
    if (lengths <= 0).any():
        raise InvalidInput("A sightline's observer and target are at the same point.")
    directions = offsets / lengths[:, None]
    # Surfaces within a couple of mesh edges of either end belong to where the people stand.
    tolerance = 2.0 * geometry.point_uncertainty
    hits, _faces = first_hits(geometry, eyes + directions * tolerance, directions)
    distance = np.linalg.norm(hits - eyes, axis=1)
    blocked = ~np.isnan(hits[:, 0]) & (distance < lengths - tolerance)
    hits[~blocked] = np.nan
    return Sightlines(~blocked, hits, lengths)


def line_of_sight(
    geometry: MeshGeometry, eyes: np.ndarray, targets: np.ndarray
) -> list[RayVerdict]:
    """:func:`sightlines` as one verdict per pair (for a few; many cost more as objects)."""
    found = sightlines(geometry, eyes, targets)
    return [
        RayVerdict(visible, None if visible else tuple(point), length)
        for visible, point, length in zip(
            found.visible.tolist(), found.occluders.tolist(), found.lengths.tolist(), strict=True
        )
    ]


def check_within_bounds(geometry: MeshGeometry, point: np.ndarray, what: str | Message) -> None:
    """Refuse points far outside the model (more than 10% of its size beyond its box)."""
    margin = 0.10 * geometry.diagonal
    low, high = geometry.bounds[0] - margin, geometry.bounds[1] + margin
    if np.any(point < low) or np.any(point > high):
        raise InvalidInput(
            "{what} at ({point}) is outside the model, whose box runs from ({low}) to ({high}).",
            what=what,
            point=_coordinates(point),
            low=_coordinates(geometry.bounds[0]),
            high=_coordinates(geometry.bounds[1]),
        )


def _coordinates(point: np.ndarray) -> str:
    return ", ".join(f"{c:.4g}" for c in point)


PRESETS = ("plan", "north", "east", "south", "west", "iso")


def preset_camera(name: str, bounds: np.ndarray, up_axis: str, north_axis: str) -> dict[str, Any]:
    """Camera of a preset view: plan (top-down orthographic), elevations from each compass
    direction (orthographic, looking at that face), or isometric from the south-east."""
    if name not in PRESETS:
        raise InvalidInput(
            "Preset {preset!r} is not one of {choices}.", preset=name, choices=", ".join(PRESETS)
        )
    up, north = axis_vector(up_axis), axis_vector(north_axis)
    east = np.cross(north, up)
    centre = bounds.mean(axis=0)
    size = bounds[1] - bounds[0]
    radius = float(np.linalg.norm(size)) or 1.0
    directions = {"north": north, "east": east, "south": -north, "west": -east}
    if name == "plan":
        position, view_up = centre + up * radius * 2, north
        extent = max(abs(size @ north), abs(size @ east) * 9 / 16)
        projection, scale = "orthographic", float(extent) * 1.1
    elif name in directions:
        position, view_up = centre + directions[name] * radius * 2, up
        across = abs(size @ np.cross(directions[name], up))
        extent = max(abs(size @ up), across * 9 / 16)
        projection, scale = "orthographic", float(extent) * 1.1
    else:
        direction = east - north + 0.9 * up
        position = centre + direction / np.linalg.norm(direction) * radius * 1.6
        view_up, projection, scale = up, "perspective", None
    return {
        "projection": projection,
        "position": tuple(map(float, position)),
        "target": tuple(map(float, centre)),
        "up": tuple(map(float, view_up)),
        "fov_deg": 45.0 if projection == "perspective" else None,
        "ortho_scale": scale,
    }
