"""Entities at true size: the one definition of the shapes drawn for them.

A person is a standing figure of their stated height (body and head) with a nose pointing where
they face; a vehicle is a block of its kind's real size (or its own) with a lower bonnet at the
front; a camera is a small body with its field-of-view cone. Each figure is a few parts in
model units, placed with the version's axes (``SiteFrame``) and the position's heading (a
compass bearing, 0 north, 90 east; a vehicle without one faces its direction of travel,
``travel_heading``), so that the browser, the offline viewer, the stills and the videos only
build boxes and cones of the given sizes. Without known units there are no true sizes:
no figure (the viewers keep their plain markers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bsu_models.scenes.scene_items import DEFAULT_CAMERA_FOV_DEG, Entity, Point, Position
from bsu_models.scenes.site_frame import SiteFrame

PERSON_HEIGHT_M = 1.70
#: Length, width and height in metres of a typical vehicle of each kind.
VEHICLE_SIZES_M: dict[str, tuple[float, float, float]] = {
    "car": (4.5, 1.8, 1.5),
    "van": (5.4, 2.0, 2.4),
    "bus": (12.0, 2.55, 3.2),
    "motorcycle": (2.1, 0.8, 1.2),
}
DEFAULT_VEHICLE_KIND = "car"
CAMERA_FOV_DEG = DEFAULT_CAMERA_FOV_DEG
#: A vehicle that moved less than this between steps (metres, along the ground) gives no
#: direction of travel: a placement's own scatter is not a heading.
TRAVEL_MIN_M = 0.25
CAMERA_RANGE_M = 8.0
CAMERA_BODY_M = 0.3


@dataclass(frozen=True)
class Part:
    """A box: ``centre`` and ``size`` (along forward, side, up); or a cone: ``centre`` is its
    apex and ``size`` its (length along forward, radius of the open end, 0)."""

    kind: str
    centre: Point
    size: Point


@dataclass(frozen=True)
class Figure:
    forward: Point
    side: Point
    up: Point
    parts: tuple[Part, ...]
    #: From the placed point to the top, model units (a camera hangs at its point).
    height: float
    #: Where ``forward`` comes from: "given" (the position's heading), "travel" (a vehicle's
    #: direction of travel) or None (none known: north).
    heading_from: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "forward": list(self.forward),
            "side": list(self.side),
            "up": list(self.up),
            "height": self.height,
            "parts": [
                {"kind": p.kind, "centre": list(p.centre), "size": list(p.size)} for p in self.parts
            ],
            **({"heading_from": self.heading_from} if self.heading_from else {}),
        }


def travel_heading(
    position: Position, path: Sequence[Position], frame: SiteFrame
) -> float | None:
    """The compass bearing (degrees, 0 north, 90 east) of an entity's travel at ``position``:
    toward its place at its next step in ``path`` (its positions in step order), or, when it
    does not move on (the last step, or a stop), from its place at the step before. A place
    within ``TRAVEL_MIN_M`` along the ground counts as not moved, and the search goes on to the
    step after (or before) it, so a vehicle that waits over several steps keeps facing the way
    it leaves or came. None when it never moves or the units are unknown."""
    if frame.metres_per_unit is None:
        return None
    steps = [p.step for p in path]
    if position.step not in steps:
        return None
    at = steps.index(position.step)
    here = np.asarray(position.point, dtype=float)
    north, east = np.asarray(frame.north, dtype=float), np.asarray(frame.east, dtype=float)
    later = [np.asarray(p.point, dtype=float) - here for p in path[at + 1 :]]
    earlier = [here - np.asarray(p.point, dtype=float) for p in reversed(path[:at])]
    for move in (*later, *earlier):
        n, e = float(move @ north), float(move @ east)
        if math.hypot(n, e) * frame.metres_per_unit > TRAVEL_MIN_M:
            return math.degrees(math.atan2(e, n)) % 360.0
    return None


def entity_size_m(entity: Entity) -> tuple[float, float, float]:
    """Length, width and height in metres the entity is drawn at."""
    if entity.is_person:
        height = entity.height_m or PERSON_HEIGHT_M
        return (0.15 * height, 0.26 * height, height)
    if entity.type == "vehicle":
        length, width, height = VEHICLE_SIZES_M[entity.vehicle_kind or DEFAULT_VEHICLE_KIND]
        return (entity.length_m or length, entity.width_m or width, entity.height_m or height)
    return (CAMERA_BODY_M, CAMERA_BODY_M, CAMERA_BODY_M)


def camera_fov_deg(entity: Entity) -> float:
    """A camera's horizontal field of view in degrees: its own, else ``CAMERA_FOV_DEG``."""
    return entity.fov_deg if entity.fov_deg is not None else CAMERA_FOV_DEG


def _triple(v: np.ndarray) -> Point:
    return (float(v[0]), float(v[1]), float(v[2]))


def entity_figure(
    entity: Entity,
    position: Position,
    frame: SiteFrame,
    matched: bool = False,
    path: Sequence[Position] = (),
) -> Figure | None:
    """The figure of ``entity`` standing at ``position``; None for kinds drawn as plain markers
    (evidence, other) and where the model's units are unknown. A direction nobody gave is not
    drawn: no nose and no cone without a heading, and no cone for a camera ``matched`` to its
    frame (its solved frustum shows what it sees). A vehicle without a heading faces its
    direction of travel along ``path`` (the entity's positions in step order), else north."""
    shaped = entity.is_person or entity.type in ("vehicle", "camera")
    if frame.metres_per_unit is None or not shaped:
        return None
    k = 1.0 / frame.metres_per_unit
    up, north, east = (np.asarray(v, dtype=float) for v in (frame.up, frame.north, frame.east))
    heading, heading_from = position.heading_deg, "given"
    if heading is None and entity.type == "vehicle":
        heading, heading_from = travel_heading(position, path, frame), "travel"
    bearing = math.radians(heading or 0.0)
    forward = north * math.cos(bearing) + east * math.sin(bearing)
    side = np.cross(up, forward)
    base = np.asarray(position.point, dtype=float)
    length, width, height = (d * k for d in entity_size_m(entity))

    def box(along: float, rise: float, size: tuple[float, float, float]) -> Part:
        centre = base + forward * along + up * rise
        return Part("box", _triple(centre), size)

    parts: tuple[Part, ...]
    if entity.is_person:
        head = 0.13 * height
        body = height - head
        parts = (
            box(0.0, body / 2, (length, width, body)),
            box(0.0, body + head / 2, (head, head, head)),
        )
        if position.heading_deg is not None:
            # The nose shows where the person faces.
            nose = box(length / 2 + head / 4, body + head / 2, (head / 2, head / 4, head / 4))
            parts = (*parts, nose)
    elif entity.type == "vehicle":
        lower = 0.55 * height
        cabin = 0.6 * length
        parts = (
            box(0.0, lower / 2, (length, width, lower)),
            # The cabin stands back from the front, so the bonnet shows the heading.
            box(
                -(length - cabin) / 2,
                lower + (height - lower) / 2,
                (cabin, 0.9 * width, height - lower),
            ),
        )
    else:
        # Its sides are CAMERA_RANGE_M long whatever the angle, so that a 170° view is a wide
        # shallow cone rather than a disc hundreds of metres across.
        half = math.radians(camera_fov_deg(entity) / 2)
        reach = CAMERA_RANGE_M * k * math.cos(half)
        radius = CAMERA_RANGE_M * k * math.sin(half)
        parts = (box(0.0, 0.0, (length, width, height)),)
        if position.heading_deg is not None and not matched:
            parts = (*parts, Part("cone", _triple(base), (reach, radius, 0.0)))
        height = height / 2
    return Figure(
        _triple(forward),
        _triple(side),
        _triple(up),
        parts,
        height,
        heading_from if heading is not None else None,
    )
