"""The model surface behind a scene: a version's stored geometry, clicks made exact on it,
points dropped onto it and the preset views around it.

``MeshGeometry`` holds ``vertices: (n, 3) float`` and ``faces: (m, 3) int`` in the site frame
(z up, y north); it is loaded from the blob store once per version and cached.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import numpy as np

from bsu_models.core.context import ServiceContext
from bsu_models.core.errors import BsuError, InvalidInput, NotFound
from bsu_models.core.limits import MAX_COORDINATE
from bsu_models.core.versions import get_version
from bsu_models.ingest.geometry import (
    MeshGeometry,
    load_geometry,
    pick_on_surface,
    preset_camera,
    snap_down,
)
from bsu_models.scenes.scene_items import SavedView


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
        return load_geometry(key, self.ctx.blobs.get, version.up_axis, version.north_axis)

    def snap(self, version_id: int, points: Any) -> np.ndarray:
        """Points ``(n, 3)`` dropped onto the model's surface below them, ``(n, 3)``."""
        snapped, _faces = snap_down(self.geometry(version_id), np.asarray(points, dtype=float))
        return snapped

    def warm(self, version_id: int) -> None:
        """Load a version's geometry and ray index in the background (after the access check),
        so that the first click on a big model, seconds later, is answered at once."""
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
            self.geometry(version_id),
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
