"""The sun at a step of a scene: where it was, whether a point was in direct sun, glare.

A step is in real time when its scene has an incident date and the step a clock time (read in
the scene's zone), and on Earth when its model version is located (``core.places``). Stills,
public pictures and sightlines ask here, so they agree on where the sun was.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from bsu_models.core.errors import InvalidInput
from bsu_models.core.records import VersionInfo
from bsu_models.ingest.geometry import MeshGeometry, axis_vector, sightlines
from bsu_models.scenes.scene_items import Step
from bsu_models.scenes.scene_model import SceneDoc
from bsu_models.scenes.sun import SunPosition, parse_moment, sun_position, time_zone

#: An observer looking within this angle of the sun is dazzled (glare).
GLARE_ANGLE_DEG = 20.0


def version_sun(version: VersionInfo, moment: datetime) -> SunPosition:
    """The sun over ``version``'s place at ``moment``; one sentence if it has no place."""
    if version.latitude_deg is None or version.longitude_deg is None:
        raise InvalidInput(
            "Model version {version} has no place on Earth, so the sun cannot be placed; "
            "set it with: bsu-models version locate {version} --lat DEG --lon DEG.",
            version=version.version_id,
        )
    return sun_position(version.latitude_deg, version.longitude_deg, moment)


def step_sun(
    version: VersionInfo,
    doc: SceneDoc | None,
    step: Step | None,
    at: str | datetime | None = None,
) -> SunPosition | None:
    """Where the sun was: at ``at`` (ISO 8601 text read in the scene's zone, or an aware
    moment), else at the scene's date and the step's clock time when the version is located;
    None when neither is known."""
    if isinstance(at, str):
        at = parse_moment(at, doc.zone_name if doc is not None else None)
    if at is None:
        if doc is None or step is None or version.latitude_deg is None:
            return None
        at = doc.step_moment(step)
        if at is None:
            return None
    return version_sun(version, at)


@dataclass(frozen=True)
class LightVerdict:
    """The sun on a sightline: the target in direct sun or in shadow, and glare."""

    sun: SunPosition
    target_in_sun: bool  # False also when the sun is down
    sun_blocker: tuple[float, float, float] | None  # first surface between target and sun
    glare: bool  # the observer looks within GLARE_ANGLE_DEG of a sun it can see
    angle_to_sun_deg: float  # between the line of sight and the direction of the sun


def light_on_sightline(
    geometry: MeshGeometry, sun: SunPosition, eye: np.ndarray, target: np.ndarray
) -> LightVerdict:
    """Whether ``target`` is in direct sun (a ray from it toward the sun clears the model) and
    whether the observer at ``eye``, looking at it, has the unblocked sun within 20°."""
    toward = sun.direction(geometry.up, geometry.north)
    beyond = 2.0 * geometry.diagonal
    starts = np.array([target, eye], dtype=float)
    rays = sightlines(geometry, starts, starts + toward * beyond)
    look = np.asarray(target, dtype=float) - np.asarray(eye, dtype=float)
    cosine = float(np.clip(look @ toward / (np.linalg.norm(look) or 1.0), -1.0, 1.0))
    angle = math.degrees(math.acos(cosine))
    target_lit = bool(sun.up and rays.visible[0])
    blocker = None if rays.visible[0] else tuple(float(c) for c in rays.occluders[0])
    return LightVerdict(
        sun,
        target_lit,
        blocker,  # type: ignore[arg-type]
        bool(sun.up and rays.visible[1] and angle <= GLARE_ANGLE_DEG),
        angle,
    )


def sun_track(
    version: VersionInfo,
    doc: SceneDoc,
    step: Step,
    span_minutes: int = 120,
    every_minutes: int = 10,
) -> dict[str, Any] | None:
    """The sun from ``span_minutes`` before to after the step's time, every ``every_minutes``,
    for the browser's time slider ("what if it was 30 minutes later"): each entry's local time,
    azimuth, apparent elevation and the direction toward the sun in the model's axes; ``index``
    is the step's own time. None when the step is not in real time or the version not located."""
    centre = step_sun(version, doc, step)
    if centre is None:
        return None
    up, north = axis_vector(version.up_axis), axis_vector(version.north_axis)
    zone = time_zone(doc.zone_name)
    entries = []
    for offset in range(-span_minutes, span_minutes + 1, every_minutes):
        sun = version_sun(version, centre.at + timedelta(minutes=offset))
        entries.append(
            {
                "offset_min": offset,
                "time": f"{sun.at.astimezone(zone):%H:%M}",
                "azimuth_deg": round(sun.azimuth_deg, 2),
                "elevation_deg": round(sun.elevation_deg, 2),
                "direction": [round(float(c), 6) for c in sun.direction(up, north)],
                "up": sun.up,
            }
        )
    return {
        "date": doc.date,
        "zone": doc.zone_name,
        "entries": entries,
        "index": span_minutes // every_minutes,
    }
