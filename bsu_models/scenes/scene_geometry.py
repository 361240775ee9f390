"""The model surface behind a scene: a version's stored geometry, clicks made exact on it,
points dropped onto it and the preset views around it.

``MeshGeometry`` holds ``vertices: (n, 3) float`` and ``faces: (m, 3) int`` in the site frame
(z up, y north); it is loaded from the blob store once per version and cached.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from bsu_models.core.context import ServiceContext
from bsu_models.core.errors import BsuError, InvalidInput, NotFound
from bsu_models.core.limits import MAX_COORDINATE
from bsu_models.core.versions import get_version
from bsu_models.ingest.geometry import (
    MeshGeometry,
    Surface,
    axis_vector,
    cached_geometry,
    load_geometry,
    load_indexed,
    pick_on_surface,
    preset_camera,
    snap_down,
)
from bsu_models.ingest.level_jobs import snap_key
from bsu_models.scenes.scene_items import SavedView, Section

log = logging.getLogger(__name__)
#: At most this many points at once are answered through a version's click index.
_INDEXED_QUERIES = 256

#: The directions a section box is set along, in this order: ranges are measured from the
#: model's west, south and lowest side.
SECTION_DIRECTIONS = ("east", "north", "up")


@dataclass(frozen=True)
class SectionExtent:
    """How far a model reaches along east, north and up: in metres (``metres``) when its units
    and scale are known, else in its own units. A section form offers ranges within these."""

    east: float
    north: float
    up: float
    metres: bool


def _finite3(value: Any, name: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float).reshape(3)
    except (TypeError, ValueError):
        array = np.full(3, np.nan)
    if not np.isfinite(array).all() or np.abs(array).max() > MAX_COORDINATE:
        raise InvalidInput("A picked {name} must be three finite numbers.", name=name)
    return array


class SceneGeometry:
    """Reads of a version's surface; mixed into ``SceneService``."""

    ctx: ServiceContext

    def geometry(self, version_id: int) -> MeshGeometry:
        version = get_version(self.ctx, version_id)
        key = next((f.sha256 for f in version.files if f.role == "geometry"), None)
        if key is None:
            raise NotFound(
                "Model version {version_id} has no stored geometry.", version_id=version_id
            )
        # Checked on loading; the cache then holds bytes that matched their key.
        return load_geometry(key, self.ctx.blobs.get_verified, version.up_axis, version.north_axis)

    def surface(self, version_id: int, queries: int = 1) -> Surface:
        """What ``queries`` clicks or drops at once are answered on: the loaded mesh when this
        process has it, else the full-resolution surface with the click index stored with its
        levels (milliseconds to read), else the mesh loaded now. An index that is missing,
        changed since it was stored or made for other bytes is passed over: the point found
        lies on the same full-resolution surface either way."""
        version = get_version(self.ctx, version_id)
        key = next((f.sha256 for f in version.files if f.role == "geometry"), None)
        if key is not None:
            loaded = cached_geometry(key, version.up_axis, version.north_axis)
            if loaded is not None:
                return loaded
            # The index casts ray by ray: for many at once the loaded mesh soon pays back.
            index_key = snap_key(self.ctx, version) if queries <= _INDEXED_QUERIES else None
            if index_key is not None:
                try:
                    return load_indexed(
                        index_key, key, version.original_sha256, self.ctx.blobs, version.up_axis
                    )
                except BsuError:
                    log.warning("the click index of version %s is passed over", version_id)
        return self.geometry(version_id)

    def snap(self, version_id: int, points: Any) -> np.ndarray:
        """Points ``(n, 3)`` dropped onto the model's surface below them, ``(n, 3)``."""
        points = np.asarray(points, dtype=float).reshape(-1, 3)
        snapped, _faces = snap_down(self.surface(version_id, len(points)), points)
        return snapped

    def warm(self, version_id: int) -> None:
        """Load a version's geometry and ray index in the background (after the access check),
        so that sightlines and views on a big model, seconds later, are answered at once;
        clicks meanwhile are answered through its click index (``surface``)."""
        get_version(self.ctx, version_id)  # refuses here, not in the thread

        def load() -> None:
            with contextlib.suppress(BsuError):  # the click itself will say what is wrong
                self.geometry(version_id)

        threading.Thread(target=load, name=f"warm-geometry-{version_id}", daemon=True).start()

    def pick(
        self, version_id: int, origin: Any, direction: Any, near: Any
    ) -> tuple[tuple[float, float, float], int]:
        """A click in the browser, made exact: where its ray (``origin``, ``direction``) meets
        the full-resolution surface, and that face (``geometry.pick_on_surface``). The browser
        may show a simplified web level, whose picked point ``near`` is only close to it."""
        point, face = pick_on_surface(
            self.surface(version_id),
            _finite3(origin, "origin"),
            _finite3(direction, "direction"),
            _finite3(near, "point"),
        )
        return (float(point[0]), float(point[1]), float(point[2])), face

    def preset_view(self, version_id: int, preset: str) -> SavedView:
        geometry = self.geometry(version_id)
        version = get_version(self.ctx, version_id)
        camera = preset_camera(preset, geometry.bounds, version.up_axis, version.north_axis)
        return SavedView(id=preset, name=preset.capitalize(), **camera)

    def _section_frame(
        self, version_id: int
    ) -> tuple[np.ndarray, list[tuple[int, float]], np.ndarray, float, bool]:
        """Model bounds ``(2, 3)``, for east, north and up the model axis and its sign, the
        extent along each in the section's measure, units per measure, and whether in metres."""
        version = get_version(self.ctx, version_id)
        bounds = np.array(version.bounds, dtype=float)
        up, north = axis_vector(version.up_axis), axis_vector(version.north_axis)
        east = np.cross(north, up)
        axes = [(int(np.argmax(np.abs(v))), float(np.sign(v[np.argmax(np.abs(v))])))
                for v in (east, north, up)]  # fmt: skip
        size = bounds[1] - bounds[0]
        per_unit = 1.0
        if version.real_world_extent_m is not None and size[0] > 0:
            per_unit = version.real_world_extent_m[0] / size[0]
        extent = np.array([size[i] for i, _ in axes]) * per_unit
        return bounds, axes, extent, per_unit, version.real_world_extent_m is not None

    def section_extent(self, version_id: int) -> SectionExtent:
        """How far the model reaches along east, north and up (see ``SectionExtent``)."""
        _bounds, _axes, extent, _per_unit, metres = self._section_frame(version_id)
        return SectionExtent(float(extent[0]), float(extent[1]), float(extent[2]), metres)

    def section_box(
        self, version_id: int, ranges: dict[str, tuple[float, float]]
    ) -> Section | None:
        """The section box keeping, along each of ``SECTION_DIRECTIONS``, the range (from, to)
        measured from the model's west, south or lowest side in the measure of
        ``section_extent``; a direction left out keeps all. None when nothing is cut away."""
        bounds, axes, extent, per_unit, _metres = self._section_frame(version_id)
        unknown = set(ranges) - set(SECTION_DIRECTIONS)
        if unknown:
            raise InvalidInput(
                "A section is set along {choices}, not {name}.",
                choices=", ".join(SECTION_DIRECTIONS),
                name=sorted(unknown)[0],
            )
        # Just beyond the model where a range reaches its side, so faces lying on the side
        # are not cut in two by rounding.
        margin = 1e-3 * float(np.linalg.norm(bounds[1] - bounds[0]) or 1.0)
        low, high = bounds[0] - margin, bounds[1] + margin
        cut = False
        for direction, (axis, sign), reach in zip(SECTION_DIRECTIONS, axes, extent, strict=True):
            if direction not in ranges:
                continue
            start, end = sorted(float(v) for v in ranges[direction])
            if not (np.isfinite(start) and np.isfinite(end)) or end - start <= 0:
                raise InvalidInput("A section range must run from a lower to a higher value.")
            start, end = max(start, 0.0), min(end, float(reach))
            if end <= start:
                raise InvalidInput("A section range must overlap the model.")
            origin = bounds[0][axis] if sign > 0 else bounds[1][axis]
            ends = sorted(origin + sign * v / per_unit for v in (start, end))
            if start > 0:
                (low if sign > 0 else high)[axis] = ends[0 if sign > 0 else 1]
                cut = True
            if end < reach:
                (high if sign > 0 else low)[axis] = ends[1 if sign > 0 else 0]
                cut = True
        if not cut:
            return None
        return Section(
            (float(low[0]), float(low[1]), float(low[2])),
            (float(high[0]), float(high[1]), float(high[2])),
        )

    def section_ranges(self, version_id: int, section: Section) -> dict[str, tuple[float, float]]:
        """The ranges of ``section`` along ``SECTION_DIRECTIONS`` (``section_box`` backwards),
        each within the model's extent."""
        bounds, axes, extent, per_unit, _metres = self._section_frame(version_id)
        ranges = {}
        for direction, (axis, sign), reach in zip(SECTION_DIRECTIONS, axes, extent, strict=True):
            origin = bounds[0][axis] if sign > 0 else bounds[1][axis]
            ends = sorted(
                sign * (value - origin) * per_unit
                for value in (section.low[axis], section.high[axis])
            )
            ranges[direction] = (
                float(min(max(ends[0], 0.0), reach)),
                float(min(max(ends[1], 0.0), reach)),
            )
        return ranges
