"""The re-enactment scene document: entities, steps, positions, measurements, sightlines, views.

A scene is one immutable ``SceneDoc`` per revision; every edit makes a new document (the
``with_*`` / ``without_*`` methods) that the service stores as the next revision. Points are
in model coordinates, ``point: (3,) float`` in the units of the model version's file.
``to_json`` / ``scene_from_json`` convert to and from the documented JSON form
(``bsu_models/schemas/scene-v1.schema.json``); the round trip is lossless.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

from bsu_models.errors import InvalidInput, Message
from bsu_models.text import clean_line, clean_text

SCHEMA_ID = "bsu-scene/1"

PERSON_TYPES = ("suspect", "victim", "witness", "officer")
ENTITY_TYPES = (*PERSON_TYPES, "vehicle", "evidence", "camera", "other")
PROVENANCE_KINDS = ("measured", "cctv", "witness_statement", "assumption")
MEASUREMENT_KINDS = ("distance", "path_length", "height", "angle")
PROJECTIONS = ("perspective", "orthographic")
DEFAULT_EYE_HEIGHT_M = 1.6

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
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


def check_point(value: Any, what: str | Message) -> Point:
    try:
        x, y, z = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InvalidInput(
            "{what} must be three numbers, got {value!r}.", what=what, value=value
        ) from None
    if not all(math.isfinite(c) for c in (x, y, z)):
        raise InvalidInput("{what} has a coordinate that is not a finite number.", what=what)
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
                else Message("cctv")
            )
            raise InvalidInput(
                "A {kind} provenance needs a reference "
                "(e.g. statement number and page, or camera and time code).",
                kind=kind,
            )


@dataclass(frozen=True)
class Entity:
    id: str
    label: str
    type: str
    colour: str = "#1f77b4"
    notes: str = ""
    sensitive: bool = False

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
    """Where an entity is at a step. ``snapped`` means on the mesh surface; else floating."""

    entity: str
    step: str
    point: Point
    snapped: bool = True
    heading_deg: float | None = None
    eye_height_m: float | None = None
    provenance: Provenance = field(default_factory=Provenance)

    def __post_init__(self) -> None:
        object.__setattr__(self, "point", check_point(self.point, Message("Position")))
        if self.heading_deg is not None and not 0 <= self.heading_deg < 360:
            raise InvalidInput(
                "Heading {heading} must be from 0 up to 360 degrees.", heading=self.heading_deg
            )
        if self.eye_height_m is not None and not 0 < self.eye_height_m < 5:
            raise InvalidInput(
                "Eye height {height} m must be between 0 and 5 m.", height=self.eye_height_m
            )


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
                "angle": Message("A angle measurement needs {missing}.", missing=names),
                "path_length": Message("A path_length measurement needs {missing}.", missing=names),
            }[self.kind]
            raise InvalidInput(problem)
        if self.uncertainty_m is not None and not 0 <= self.uncertainty_m < 1000:
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
        if self.projection == "perspective" and not (self.fov_deg and 1 <= self.fov_deg <= 170):
            raise InvalidInput("A perspective view needs a field of view between 1 and 170°.")
        if self.projection == "orthographic" and not (self.ortho_scale and self.ortho_scale > 0):
            raise InvalidInput("An orthographic view needs a positive scale.")

    def camera_json(self) -> dict[str, Any]:
        """The camera as plain values, as the browser viewers take it."""
        return {
            "projection": self.projection,
            "position": list(self.position),
            "target": list(self.target),
            "up": list(self.up),
            "fov_deg": self.fov_deg,
            "ortho_scale": self.ortho_scale,
        }


@dataclass(frozen=True)
class SceneDoc:
    """One revision of a scene, complete. Edits return a new document."""

    name: str
    entities: tuple[Entity, ...] = ()
    steps: tuple[Step, ...] = ()
    positions: tuple[Position, ...] = ()
    measurements: tuple[Measurement, ...] = ()
    sightlines: tuple[Sightline, ...] = ()
    views: tuple[SavedView, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", check_label(self.name, Message("Scene name")))
        self._check_references()

    # -- consistency ------------------------------------------------------------------------

    def _check_references(self) -> None:
        for clash, items in (
            (Message("Two entitys have the same id."), self.entities),
            (Message("Two steps have the same id."), self.steps),
            (Message("Two measurements have the same id."), self.measurements),
            (Message("Two sightlines have the same id."), self.sightlines),
            (Message("Two views have the same id."), self.views),
        ):
            ids = [i.id for i in items]
            if len(ids) != len(set(ids)):
                raise InvalidInput(clash)
        labels = [e.label for e in self.entities]
        if len(labels) != len(set(labels)):
            duplicate = next(x for x in labels if labels.count(x) > 1)
            raise InvalidInput(
                "Two entities are labelled {label!r}; labels must be unique.", label=duplicate
            )
        entities = {e.id for e in self.entities}
        steps = {s.id for s in self.steps}
        previous: int | None = None
        for step in self.steps:
            if step.clock is not None:
                seconds = clock_seconds(step.clock)
                if previous is not None and seconds < previous:
                    raise InvalidInput(
                        "Step {title!r} at {clock} is earlier than the step before it; "
                        "steps must be in time order.",
                        title=step.title,
                        clock=step.clock,
                    )
                previous = seconds
        seen: set[tuple[str, str]] = set()
        for pos in self.positions:
            if pos.entity not in entities:
                raise InvalidInput(
                    "A position refers to unknown entity {entity!r}.", entity=pos.entity
                )
            if pos.step not in steps:
                raise InvalidInput("A position refers to unknown step {step!r}.", step=pos.step)
            if (pos.entity, pos.step) in seen:
                raise InvalidInput(
                    "Entity {label!r} has two positions at one step.",
                    label=self.entity(pos.entity).label,
                )
            seen.add((pos.entity, pos.step))
        for m in self.measurements:
            for anchor in (m.a, m.b, m.vertex):
                if (
                    anchor is not None
                    and anchor.entity is not None
                    and anchor.entity not in entities
                ):
                    raise InvalidInput(
                        "Measurement {id} refers to unknown entity {entity!r}.",
                        id=m.id,
                        entity=anchor.entity,
                    )
            if m.entity is not None and m.entity not in entities:
                raise InvalidInput(
                    "Measurement {id} refers to unknown entity {entity!r}.",
                    id=m.id,
                    entity=m.entity,
                )
            if m.step is not None and m.step not in steps:
                raise InvalidInput(
                    "Measurement {id} refers to unknown step {step!r}.", id=m.id, step=m.step
                )
        for line in self.sightlines:
            if line.observer not in entities or (
                line.target.entity is not None and line.target.entity not in entities
            ):
                raise InvalidInput("Sightline {id} refers to an unknown entity.", id=line.id)
            if line.step not in steps:
                raise InvalidInput(
                    "Sightline {id} refers to unknown step {step!r}.", id=line.id, step=line.step
                )
        for view in self.views:
            if any(s not in steps for s in view.steps):
                raise InvalidInput("View {name!r} is attached to an unknown step.", name=view.name)
            if view.visible_entities and any(e not in entities for e in view.visible_entities):
                raise InvalidInput("View {name!r} shows an unknown entity.", name=view.name)

    # -- look-ups ---------------------------------------------------------------------------

    def entity(self, entity_id: str) -> Entity:
        for entity in self.entities:
            if entity.id == entity_id:
                return entity
        raise InvalidInput("There is no entity {entity_id!r} in this scene.", entity_id=entity_id)

    def entity_by_label(self, label: str) -> Entity:
        for entity in self.entities:
            if entity.label == label:
                return entity
        known: str | Message = ", ".join(e.label for e in self.entities) or Message("none")
        raise InvalidInput(
            "There is no entity labelled {label!r} in this scene (known: {known}).",
            label=label,
            known=known,
        )

    def step_at(self, number: int) -> Step:
        """Step by its 1-based number in the scene's order."""
        if not 1 <= number <= len(self.steps):
            raise InvalidInput(
                "Step {number} does not exist; the scene has {count}.",
                number=number,
                count=len(self.steps),
            )
        return self.steps[number - 1]

    def view_for_step(self, step_id: str) -> SavedView | None:
        """The view saved for a step (the latest one attached to it), or None."""
        attached = [v for v in self.views if step_id in v.steps]
        return attached[-1] if attached else None

    def position(self, entity_id: str, step_id: str) -> Position | None:
        for pos in self.positions:
            if pos.entity == entity_id and pos.step == step_id:
                return pos
        return None

    def path(self, entity_id: str) -> list[Position]:
        """The entity's positions in step order: the polyline it follows."""
        order = {s.id: i for i, s in enumerate(self.steps)}
        return sorted(
            (p for p in self.positions if p.entity == entity_id), key=lambda p: order[p.step]
        )

    def next_id(self, prefix: str) -> str:
        used = {
            i.id
            for group in (self.entities, self.steps, self.measurements, self.sightlines, self.views)
            for i in group
        }
        n = 1
        while f"{prefix}{n}" in used:
            n += 1
        return f"{prefix}{n}"

    # -- edits ------------------------------------------------------------------------------

    def with_entity(self, entity: Entity) -> SceneDoc:
        return replace(self, entities=_upsert(self.entities, entity))

    def without_entity(self, entity_id: str) -> SceneDoc:
        self.entity(entity_id)
        return replace(
            self,
            entities=tuple(e for e in self.entities if e.id != entity_id),
            positions=tuple(p for p in self.positions if p.entity != entity_id),
            measurements=tuple(m for m in self.measurements if entity_id not in _entities_of(m)),
            sightlines=tuple(
                s for s in self.sightlines if entity_id not in (s.observer, s.target.entity)
            ),
            views=tuple(
                replace(v, visible_entities=tuple(e for e in v.visible_entities if e != entity_id))
                if v.visible_entities
                else v
                for v in self.views
            ),
        )

    def with_step(self, step: Step, index: int | None = None) -> SceneDoc:
        steps = [s for s in self.steps if s.id != step.id]
        existing = next((i for i, s in enumerate(self.steps) if s.id == step.id), None)
        at = index if index is not None else (existing if existing is not None else len(steps))
        steps.insert(at, step)
        return replace(self, steps=tuple(steps))

    def with_position(self, position: Position) -> SceneDoc:
        others = tuple(
            p for p in self.positions if (p.entity, p.step) != (position.entity, position.step)
        )
        return replace(self, positions=(*others, position))

    def without_position(self, entity_id: str, step_id: str) -> SceneDoc:
        return replace(
            self,
            positions=tuple(
                p for p in self.positions if (p.entity, p.step) != (entity_id, step_id)
            ),
        )

    def with_measurement(self, measurement: Measurement) -> SceneDoc:
        return replace(self, measurements=_upsert(self.measurements, measurement))

    def with_sightline(self, sightline: Sightline) -> SceneDoc:
        return replace(self, sightlines=_upsert(self.sightlines, sightline))

    def with_view(self, view: SavedView) -> SceneDoc:
        return replace(self, views=_upsert(self.views, view))

    def without(self, item_id: str) -> SceneDoc:
        """Remove the step, measurement, sightline or view with this id."""
        if any(s.id == item_id for s in self.steps):
            return replace(
                self,
                steps=tuple(s for s in self.steps if s.id != item_id),
                positions=tuple(p for p in self.positions if p.step != item_id),
                measurements=tuple(m for m in self.measurements if m.step != item_id),
                sightlines=tuple(s for s in self.sightlines if s.step != item_id),
                views=tuple(
                    replace(v, steps=tuple(s for s in v.steps if s != item_id)) for v in self.views
                ),
            )
        return replace(
            self,
            measurements=tuple(m for m in self.measurements if m.id != item_id),
            sightlines=tuple(s for s in self.sightlines if s.id != item_id),
            views=tuple(v for v in self.views if v.id != item_id),
        )


def _upsert(items: tuple[Any, ...], item: Any) -> tuple[Any, ...]:
    """``items`` with ``item`` replacing the one of the same id, or appended."""
    replaced = tuple(item if i.id == item.id else i for i in items)
    return replaced if any(i.id == item.id for i in items) else (*items, item)


def _entities_of(m: Measurement) -> set[str]:
    found = {a.entity for a in (m.a, m.b, m.vertex) if a is not None and a.entity is not None}
    if m.entity is not None:
        found.add(m.entity)
    return found
