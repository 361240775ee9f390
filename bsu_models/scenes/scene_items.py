"""The parts a scene is made of: entities, steps, positions, measurements, sightlines, views.

Each is a small immutable value checked when it is made: ids, labels and plain text, clock
times, colours, the allowed kinds and types, and numbers in range. Points are in model
coordinates, ``point: (3,) float`` in the units of the model version's file. Whether the parts
fit together (ids unique, references known, steps in time order) is checked by the whole
document, ``SceneDoc`` in :mod:`bsu_models.scenes.scene_model`.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, field, replace
from typing import Any, TypeGuard

from bsu_models.core.errors import InvalidInput, Message
from bsu_models.core.i18n import N_
from bsu_models.core.limits import MAX_COORDINATE
from bsu_models.core.text import clean_line, clean_text

PERSON_TYPES = ("suspect", "victim", "witness", "officer")
ENTITY_TYPES = (*PERSON_TYPES, "vehicle", "evidence", "camera", "other")
#: Display names of the entity types, as msgids (translate where they are shown).
ENTITY_TYPE_NAMES = {
    "suspect": N_("Suspect"),
    "victim": N_("Victim"),
    "witness": N_("Witness"),
    "officer": N_("Officer"),
    "vehicle": N_("Vehicle"),
    "evidence": N_("Evidence"),
    "camera": N_("Camera / CCTV"),
    "other": N_("Other"),
}
VEHICLE_KINDS = ("car", "van", "bus", "motorcycle")
#: The types that have a true size of their own (people: height; vehicles: all three).
SIZED_TYPES = (*PERSON_TYPES, "vehicle")
#: Display names of the vehicle kinds, as msgids.
VEHICLE_KIND_NAMES = {
    "car": N_("Car"),
    "van": N_("Van"),
    "bus": N_("Bus"),
    "motorcycle": N_("Motorcycle"),
}
PROVENANCE_KINDS = ("measured", "cctv", "witness_statement", "assumption")
MEASUREMENT_KINDS = ("distance", "path_length", "height", "angle")
PROJECTIONS = ("perspective", "orthographic")
DEFAULT_EYE_HEIGHT_M = 1.6
#: A standing person's eye level as a share of their stature: 0.936 H, from Drillis and
#: Contini's body-segment proportions (1966; Winter, *Biomechanics and Motor Control of Human
#: Movement*, fig. 4.1), the ratio biomechanics uses. A ratio rather than a fixed 12 cm keeps a
#: child's eyes as low as theirs are.
EYE_HEIGHT_RATIO = 0.936
#: A camera's horizontal field of view when none is given, degrees.
DEFAULT_CAMERA_FOV_DEG = 60.0
#: Where an eye height comes from: set at the step, the person's stated height, or the default.
EYE_HEIGHT_SOURCES = ("step", "stated_height", "default")

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MARKUP = re.compile(r"[<>]|&[#a-zA-Z0-9]+;|\[[^\]]*\]\([^)]*\)")

Point = tuple[float, float, float]


def check_label(value: str, what: str | Message) -> str:
    """A label shown in pictures and lists: one line of plain text, no markup.

    ``what`` names the field in the error (a :class:`Message`, so that it is translated).
    """
    label = clean_line(value, what)
    if _MARKUP.search(label):
        raise InvalidInput(
            "{what} {label!r} looks like markup (<, >, entities or links); labels are plain text.",
            what=what,
            label=label,
        )
    return label


def _number(value: Any) -> TypeGuard[float]:
    """Whether ``value`` is a number: not True or False, which Python counts as 1 and 0."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_point(value: Any, what: str | Message) -> Point:
    try:
        if any(isinstance(v, bool) for v in value):
            raise TypeError
        x, y, z = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InvalidInput(
            "{what} must be three numbers, got {value!r}.", what=what, value=value
        ) from None
    if not all(math.isfinite(c) for c in (x, y, z)):
        raise InvalidInput("{what} has a coordinate that is not a finite number.", what=what)
    if max(abs(x), abs(y), abs(z)) > MAX_COORDINATE:
        raise InvalidInput(
            "{what} has a coordinate beyond ±{limit:.0e}; no model is that large.",
            what=what,
            limit=MAX_COORDINATE,
        )
    return (x, y, z)


def clock_seconds(clock: str) -> int:
    match = _CLOCK.match(clock)
    if not match:
        raise InvalidInput(
            "Clock time {clock!r} must look like 21:03 or 21:03:15 (24-hour).", clock=clock
        )
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0)


@dataclass(frozen=True)
class Provenance:
    """How a position is known: measured on site, from CCTV, a witness statement, or assumed."""

    kind: str = "assumption"
    reference: str = ""
    # Read off a CCTV frame: the frame's SHA-256 and the pixel (column, row) clicked on it.
    frame_sha256: str | None = None
    pixel: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.kind not in PROVENANCE_KINDS:
            raise InvalidInput(
                "Provenance {kind!r} is not one of {choices}.",
                kind=self.kind,
                choices=", ".join(PROVENANCE_KINDS),
            )
        object.__setattr__(
            self,
            "reference",
            clean_line(self.reference, Message("Provenance reference"), allow_empty=True),
        )
        if self.kind in ("witness_statement", "cctv") and not self.reference:
            kind = (
                Message("witness statement")
                if self.kind == "witness_statement"
                else Message("CCTV")
            )
            raise InvalidInput(
                "A {kind} provenance needs a reference "
                "(e.g. statement number and page, or camera and time code).",
                kind=kind,
            )
        if (self.frame_sha256 is None) != (self.pixel is None) or (
            self.frame_sha256 is not None and self.kind != "cctv"
        ):
            raise InvalidInput("A frame and its pixel go together, and only with CCTV provenance.")
        if self.frame_sha256 is not None and not _SHA256.match(self.frame_sha256):
            raise InvalidInput("The frame's hash must be a SHA-256 (64 lower-case hex digits).")
        if self.pixel is not None:
            try:
                u, v = (float(c) for c in self.pixel)
            except (TypeError, ValueError):
                raise InvalidInput("The frame's pixel must be two numbers.") from None
            if not (math.isfinite(u) and math.isfinite(v) and 0 <= min(u, v) <= max(u, v) <= 1e6):
                raise InvalidInput("The frame's pixel must be two numbers.")
            object.__setattr__(self, "pixel", (u, v))


@dataclass(frozen=True)
class Entity:
    id: str
    label: str
    type: str
    colour: str = "#1f77b4"
    notes: str = ""
    sensitive: bool = False
    # True size: a person's stated height; a vehicle's kind and any measured dimensions
    # (None: the kind's typical size, scene_figures.VEHICLE_SIZES_M).
    height_m: float | None = None
    vehicle_kind: str | None = None
    length_m: float | None = None
    width_m: float | None = None
    # A camera's horizontal field of view, degrees (None: DEFAULT_CAMERA_FOV_DEG).
    fov_deg: float | None = None

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise InvalidInput("Entity id {id!r} must be 1-32 letters, digits, - or _.", id=self.id)
        object.__setattr__(self, "label", check_label(self.label, Message("Entity label")))
        if self.type not in ENTITY_TYPES:
            raise InvalidInput(
                "Entity {label!r}: type {type!r} is not one of {choices}.",
                label=self.label,
                type=self.type,
                choices=", ".join(ENTITY_TYPES),
            )
        if not _COLOUR.match(self.colour):
            raise InvalidInput(
                "Entity {label!r}: colour {colour!r} must be #rrggbb.",
                label=self.label,
                colour=self.colour,
            )
        object.__setattr__(
            self, "notes", clean_text(self.notes, Message("Notes of {label}", label=self.label))
        )
        self._check_size()

    def _check_size(self) -> None:
        if self.vehicle_kind is not None and (
            self.type != "vehicle" or self.vehicle_kind not in VEHICLE_KINDS
        ):
            raise InvalidInput(
                "Entity {label!r}: vehicle kind {kind!r} must be one of {choices}, "
                "and only for vehicles.",
                label=self.label,
                kind=self.vehicle_kind,
                choices=", ".join(VEHICLE_KINDS),
            )
        sized = self.type in SIZED_TYPES
        footprint = self.length_m is not None or self.width_m is not None
        for value in (self.height_m, self.length_m, self.width_m):
            if value is None:
                continue
            if (
                not sized
                or not _number(value)
                or not 0.1 <= value <= 30
                or (self.is_person and footprint)
            ):
                raise InvalidInput(
                    "Entity {label!r}: sizes are for people (height) and vehicles "
                    "(length, width, height), from 0.1 to 30 m.",
                    label=self.label,
                )
        if self.fov_deg is not None and (
            self.type != "camera" or not _number(self.fov_deg) or not 1 <= self.fov_deg <= 179
        ):
            raise InvalidInput(
                "Entity {label!r}: a field of view is for cameras, from 1 to 179 degrees.",
                label=self.label,
            )

    @property
    def is_person(self) -> bool:
        return self.type in PERSON_TYPES


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    clock: str | None = None
    narrative: str = ""

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise InvalidInput("Step id {id!r} must be 1-32 letters, digits, - or _.", id=self.id)
        object.__setattr__(self, "title", clean_line(self.title, Message("Step title")))
        if self.clock is not None:
            clock_seconds(self.clock)
        object.__setattr__(self, "narrative", clean_text(self.narrative, Message("Step narrative")))


@dataclass(frozen=True)
class Position:
    """Where an entity is at a step. ``snapped`` means on the mesh surface; else floating.

    ``carried_from`` names the step whose placement this position repeats (a new step starts
    with everyone where they were); it keeps that step's point and provenance until someone
    places the entity at this step (``edited``).
    """

    entity: str
    step: str
    point: Point
    snapped: bool = True
    heading_deg: float | None = None
    eye_height_m: float | None = None
    provenance: Provenance = field(default_factory=Provenance)
    carried_from: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "point", check_point(self.point, Message("Position")))
        if self.carried_from is not None and not _ID.match(self.carried_from):
            raise InvalidInput(
                "Step id {id!r} must be 1-32 letters, digits, - or _.", id=self.carried_from
            )
        if self.heading_deg is not None and not (
            _number(self.heading_deg) and 0 <= self.heading_deg < 360
        ):
            raise InvalidInput(
                "Heading {heading} must be from 0 up to 360 degrees.", heading=self.heading_deg
            )
        if self.eye_height_m is not None and not (
            _number(self.eye_height_m) and 0 < self.eye_height_m < 5
        ):
            raise InvalidInput(
                "Eye height {height} m must be between 0 and 5 m.", height=self.eye_height_m
            )

    @property
    def carried(self) -> bool:
        return self.carried_from is not None

    def edited(self, **changes: Any) -> Position:
        """This position changed by hand at its own step: no longer carried."""
        return replace(self, carried_from=None, **changes)


def eye_height(entity: Entity, position: Position | None) -> tuple[float, str] | None:
    """How high above its point ``entity`` sees from, in metres, and where that comes from (one
    of ``EYE_HEIGHT_SOURCES``): the eye height set at the step; else, for a person, their stated
    height times ``EYE_HEIGHT_RATIO``; else a person's ``DEFAULT_EYE_HEIGHT_M``. None: the
    entity sees from its point (a camera, a vehicle). The one rule for sightlines' eyes and the
    faces they aim at."""
    if position is not None and position.eye_height_m is not None:
        return position.eye_height_m, "step"
    if not entity.is_person:
        return None
    if entity.height_m is not None:
        return round(entity.height_m * EYE_HEIGHT_RATIO, 3), "stated_height"
    return DEFAULT_EYE_HEIGHT_M, "default"


@dataclass(frozen=True)
class Anchor:
    """One end of a measurement or sightline: an entity (at the measurement's step) or a point."""

    entity: str | None = None
    point: Point | None = None

    def __post_init__(self) -> None:
        if (self.entity is None) == (self.point is None):
            raise InvalidInput("A measurement end is either an entity or a point, not both.")
        if self.point is not None:
            object.__setattr__(self, "point", check_point(self.point, Message("Measurement point")))


@dataclass(frozen=True)
class Measurement:
    id: str
    kind: str
    label: str = ""
    step: str | None = None
    a: Anchor | None = None  # distance: from; height: the point; angle: first arm
    b: Anchor | None = None  # distance: to; angle: second arm
    vertex: Anchor | None = None  # angle only
    entity: str | None = None  # path_length only
    uncertainty_m: float | None = None  # None: default from the mesh resolution

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise InvalidInput(
                "Measurement id {id!r} must be 1-32 letters, digits, - or _.", id=self.id
            )
        if self.kind not in MEASUREMENT_KINDS:
            raise InvalidInput(
                "Measurement kind {kind!r} is not one of {choices}.",
                kind=self.kind,
                choices=", ".join(MEASUREMENT_KINDS),
            )
        if self.label:
            object.__setattr__(self, "label", check_label(self.label, Message("Measurement label")))
        needs = {
            "distance": ("a", "b"),
            "height": ("a",),
            "angle": ("a", "b", "vertex"),
            "path_length": ("entity",),
        }[self.kind]
        missing = [n for n in needs if getattr(self, n) is None]
        if missing:
            names = ", ".join(missing)
            problem = {
                "distance": Message("A distance measurement needs {missing}.", missing=names),
                "height": Message("A height measurement needs {missing}.", missing=names),
                "angle": Message("An angle measurement needs {missing}.", missing=names),
                "path_length": Message("A path-length measurement needs {missing}.", missing=names),
            }[self.kind]
            raise InvalidInput(problem)
        if self.uncertainty_m is not None and not (
            _number(self.uncertainty_m) and 0 <= self.uncertainty_m < 1000
        ):
            raise InvalidInput("Measurement uncertainty must be between 0 and 1000 m.")


@dataclass(frozen=True)
class Sightline:
    id: str
    observer: str  # entity id whose eye point is used
    target: Anchor
    step: str

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise InvalidInput(
                "Sightline id {id!r} must be 1-32 letters, digits, - or _.", id=self.id
            )


@dataclass(frozen=True)
class Section:
    """A section box: the model is drawn only inside it (people, vehicles and marks stay whole),
    to look into a car park level or up a staircase. ``low`` and ``high`` are opposite corners,
    ``(3,) float`` in model coordinates, each coordinate of ``low`` below that of ``high``; the
    box's faces are the cutting planes, the same in the browser, the stills and the videos."""

    low: Point
    high: Point

    def __post_init__(self) -> None:
        object.__setattr__(self, "low", check_point(self.low, Message("Section corner")))
        object.__setattr__(self, "high", check_point(self.high, Message("Section corner")))
        if not all(lo < hi for lo, hi in zip(self.low, self.high, strict=True)):
            raise InvalidInput(
                "A section box needs each lower corner coordinate below the upper one, "
                "got {low} and {high}.",
                low=self.low,
                high=self.high,
            )

    def json(self) -> dict[str, list[float]]:
        return {"low": list(self.low), "high": list(self.high)}

    def planes(self) -> list[tuple[Point, Point]]:
        """The box's six faces as (a point on the plane, its normal pointing into the box): the
        model is drawn where it is in front of all six. Stills and the browser viewers cut with
        these very planes."""
        planes: list[tuple[Point, Point]] = []
        for axis in range(3):
            inward = tuple(1.0 if a == axis else 0.0 for a in range(3))
            planes.append((self.low, inward))  # type: ignore[arg-type]
            planes.append((self.high, tuple(-c for c in inward)))  # type: ignore[arg-type]
        return planes

    def shown(self) -> dict[str, Any]:
        """The section as the browser viewers take it: its corners and its cutting planes."""
        return {**self.json(), "planes": [[list(p), list(n)] for p, n in self.planes()]}


def camera_json(view: Any) -> dict[str, Any]:
    """A camera as plain values, as the browser viewers take a saved view: ``view`` has a
    saved view's camera fields and section box (a ``SavedView``, or a camera of the renderer's
    that the browser is to show, as Play's flight is)."""
    return {
        "projection": view.projection,
        "position": list(view.position),
        "target": list(view.target),
        "up": list(view.up),
        "fov_deg": view.fov_deg,
        "ortho_scale": view.ortho_scale,
        "section": view.section.shown() if view.section else None,
    }


@dataclass(frozen=True)
class SavedView:
    id: str
    name: str
    projection: str
    position: Point
    target: Point
    up: Point
    fov_deg: float | None = 45.0
    ortho_scale: float | None = None
    visible_entities: tuple[str, ...] | None = None  # None: all
    show_labels: bool = True
    steps: tuple[str, ...] = ()  # steps this view is presented at
    section: Section | None = None  # None: the whole model

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise InvalidInput("View id {id!r} must be 1-32 letters, digits, - or _.", id=self.id)
        object.__setattr__(self, "name", check_label(self.name, Message("View name")))
        if self.projection not in PROJECTIONS:
            raise InvalidInput(
                "View projection must be one of {choices}.", choices=", ".join(PROJECTIONS)
            )
        for attribute, what in (
            ("position", Message("View position")),
            ("target", Message("View target")),
            ("up", Message("View up")),
        ):
            object.__setattr__(self, attribute, check_point(getattr(self, attribute), what))
        if self.projection == "perspective" and not (
            _number(self.fov_deg) and 1 <= self.fov_deg <= 170
        ):
            raise InvalidInput("A perspective view needs a field of view between 1 and 170°.")
        if self.projection == "orthographic" and not (
            _number(self.ortho_scale) and 0 < self.ortho_scale <= MAX_COORDINATE
        ):
            raise InvalidInput("An orthographic view needs a positive scale.")

    def camera_json(self) -> dict[str, Any]:
        """The camera as plain values, as the browser viewers take it."""
        return camera_json(self)
