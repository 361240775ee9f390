"""Units of a mesh file and the scale of the physical model, and real-world sizes from them.

A 1:50 model scanned in millimetres: 300 mm on the model is 300 * 0.001 * 50 = 15.00 m on site.
"""

from __future__ import annotations

import re

import numpy as np

from bsu_models.core.errors import InvalidInput
from bsu_models.core.limits import MAX_SCALE_DENOMINATOR

UNIT_METRES: dict[str, float] = {
    "mm": 0.001,
    "cm": 0.01,
    "m": 1.0,
    "in": 0.0254,
    "ft": 0.3048,
}
UNITS = (*UNIT_METRES, "unknown")

_SCALE = re.compile(r"^\s*1\s*:\s*(\d+(?:\.\d+)?)\s*$")


def check_units(units: str | None) -> str:
    units = (units or "unknown").strip().lower()
    if units not in UNITS:
        raise InvalidInput(
            "Units must be one of {choices}; got {units!r}.", choices=", ".join(UNITS), units=units
        )
    return units


def parse_scale(scale: str | None) -> float | None:
    """``"1:50"`` -> 50.0; ``None`` or ``""`` -> None (scale unknown)."""
    if scale is None or not scale.strip():
        return None
    match = _SCALE.match(scale)
    # A denominator of hundreds of digits is infinity as a float: every size would overflow.
    if not match or not 0 < float(match.group(1)) <= MAX_SCALE_DENOMINATOR:
        raise InvalidInput(
            "Scale must look like 1:50 (model : real world); got {scale!r}.", scale=scale
        )
    return float(match.group(1))


def format_scale(denominator: float | None) -> str:
    if denominator is None:
        return "unknown"
    return f"1:{denominator:g}"


def metres_per_model_unit(units: str, scale_denominator: float | None) -> float | None:
    """How many real-world metres one unit of the mesh file stands for; None if unknown."""
    if units not in UNIT_METRES or scale_denominator is None:
        return None
    return UNIT_METRES[units] * scale_denominator


def real_world_extent(
    bounds: list[list[float]] | np.ndarray, units: str, scale_denominator: float | None
) -> tuple[float, float, float] | None:
    """Real-world size (m) along x, y, z of a box ``bounds: (2, 3)``; None when unknown."""
    factor = metres_per_model_unit(units, scale_denominator)
    if factor is None:
        return None
    box = np.asarray(bounds, dtype=float)
    dx, dy, dz = (box[1] - box[0]) * factor
    return float(dx), float(dy), float(dz)
