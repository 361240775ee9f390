"""Model coordinates as metres on site: east, north and height above the model's base.

A model version records which axis is up and which is north, its units and its scale; a point
of the mesh file then stands for a place on site. Where units or scale are unknown there are no
metres: callers fall back to model units and say so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bsu_models.core.records import VersionInfo
from bsu_models.core.units import metres_per_model_unit
from bsu_models.ingest.geometry import axis_vector


@dataclass(frozen=True)
class SiteFrame:
    east: tuple[float, float, float]
    north: tuple[float, float, float]
    up: tuple[float, float, float]
    base: float  # the model's lowest point along up, model units
    metres_per_unit: float | None

    @property
    def known(self) -> bool:
        return self.metres_per_unit is not None

    def metres(self, point: tuple[float, float, float]) -> tuple[float, float, float] | None:
        """``point`` as (east, north, height above the base) in metres; None when unknown."""
        if self.metres_per_unit is None:
            return None
        p, k = np.asarray(point, dtype=float), self.metres_per_unit
        return (
            float(p @ self.east) * k,
            float(p @ self.north) * k,
            (float(p @ self.up) - self.base) * k,
        )


def site_frame(version: VersionInfo) -> SiteFrame:
    up, north = axis_vector(version.up_axis), axis_vector(version.north_axis)
    east = np.cross(north, up)
    scale = None if version.scale == "unknown" else float(version.scale.split(":")[1])
    base = min(float(np.asarray(corner) @ up) for corner in version.bounds)
    return SiteFrame(
        tuple(float(c) for c in east),  # type: ignore[arg-type]
        tuple(float(c) for c in north),  # type: ignore[arg-type]
        tuple(float(c) for c in up),  # type: ignore[arg-type]
        base,
        metres_per_model_unit(version.units, scale),
    )
