"""The re-enactment scene document: one whole revision of a scene and the rules across its parts.

A scene is one immutable ``SceneDoc`` per revision; every edit makes a new document (the
``with_*`` / ``without_*`` methods) that the service stores as the next revision. The document
checks what no single part can: ids unique, references to entities and steps known, steps in
time order. The parts themselves live in :mod:`bsu_models.scenes.scene_items`.
``scene_to_json`` / ``scene_from_json`` (:mod:`bsu_models.scenes.scene_json`) convert to and from
the documented JSON form (``bsu_models/schemas/scene-v1.schema.json``); the round trip is lossless.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date as calendar_date
from datetime import datetime
from typing import Any

from bsu_models.core.errors import InvalidInput, Message
from bsu_models.scenes.scene_camera import CameraMatch
from bsu_models.scenes.scene_items import (
    Entity,
    Measurement,
    Position,
    SavedView,
    Sightline,
    Step,
    check_label,
    clock_seconds,
)
from bsu_models.scenes.sun import DEFAULT_TIME_ZONE, time_zone

SCHEMA_ID = "bsu-scene/1"


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
    cameras: tuple[CameraMatch, ...] = ()  # camera entities matched to their CCTV frames
    #: The incident's calendar date (ISO ``2026-06-21``) that the steps' clock times fall on,
    #: and the zone they are read in (None: Hong Kong). Both left out of the JSON when unset,
    #: so revisions made before they existed read and hash as they did.
    date: str | None = None
    time_zone: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", check_label(self.name, Message("Scene name")))
        if self.date is not None:
            try:
                calendar_date.fromisoformat(self.date)
            except (TypeError, ValueError):
                raise InvalidInput(
                    "The incident date {date!r} must look like 2026-06-21.", date=self.date
                ) from None
            if len(self.date) != 10:
                raise InvalidInput(
                    "The incident date {date!r} must look like 2026-06-21.", date=self.date
                )
        if self.time_zone is not None:
            time_zone(self.time_zone)
        self._check_references()

    @property
    def zone_name(self) -> str:
        """The zone the steps' clock times are read in."""
        return self.time_zone or DEFAULT_TIME_ZONE

    def step_moment(self, step: Step) -> datetime | None:
        """When ``step`` happened: the incident date at the step's clock time in the scene's
        zone; None when the scene has no date or the step no clock time."""
        if self.date is None or step.clock is None:
            return None
        seconds = clock_seconds(step.clock)
        day = calendar_date.fromisoformat(self.date)
        return datetime(
            day.year,
            day.month,
            day.day,
            seconds // 3600,
            seconds // 60 % 60,
            seconds % 60,
            tzinfo=time_zone(self.zone_name),
        )

    # -- consistency ------------------------------------------------------------------------

    def _check_references(self) -> None:
        for clash, items in (
            (Message("Two entities have the same id."), self.entities),
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
        order = {s.id: i for i, s in enumerate(self.steps)}
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
            if pos.carried_from is not None and (
                pos.carried_from not in steps or order[pos.carried_from] >= order[pos.step]
            ):
                raise InvalidInput(
                    "A position of {label!r} is carried from step {step!r}, which is not an "
                    "earlier step.",
                    label=self.entity(pos.entity).label,
                    step=pos.carried_from,
                )
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
        matched = [c.entity for c in self.cameras]
        if len(matched) != len(set(matched)):
            raise InvalidInput("A camera entity is matched to its frame twice.")
        for match in self.cameras:
            if match.entity not in entities or self.entity(match.entity).type != "camera":
                raise InvalidInput(
                    "A camera match refers to {entity!r}, which is not a camera entity.",
                    entity=match.entity,
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

    def camera(self, entity_id: str) -> CameraMatch | None:
        """The match of camera entity ``entity_id`` to its frame, or None."""
        return next((c for c in self.cameras if c.entity == entity_id), None)

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

    def path_until(self, entity_id: str, step_id: str) -> list[Position]:
        """The entity's path as far as step ``step_id``: where it has been up to then."""
        order = [s.id for s in self.steps]
        upto = set(order[: order.index(step_id) + 1])
        return [p for p in self.path(entity_id) if p.step in upto]

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
            cameras=tuple(c for c in self.cameras if c.entity != entity_id),
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

    def with_new_step(self, step: Step, index: int | None = None) -> SceneDoc:
        """``step`` added (at ``index``, default last) with every entity carried forward from
        where it was at the step before: marked as carried, with that placement's provenance."""
        added = self.with_step(step, index)
        at = [s.id for s in added.steps].index(step.id)
        if at == 0:
            return added
        before = added.steps[at - 1].id
        carried = tuple(
            replace(p, step=step.id, carried_from=p.carried_from or p.step)
            for p in added.positions
            if p.step == before
        )
        return replace(added, positions=(*added.positions, *carried))

    def with_position(self, position: Position) -> SceneDoc:
        """``position`` set at its step. A placement of the entity's own (not carried) also
        moves the positions carried from this step, so that they keep repeating it."""
        key = (position.entity, position.step)
        previous = self.position(*key)
        order = {s.id: i for i, s in enumerate(self.steps)}
        # Later steps that repeated what this step repeated now repeat this step instead.
        follows = {position.step}
        if previous is not None and previous.carried_from is not None:
            follows.add(previous.carried_from)
        positions = []
        for p in self.positions:
            if (p.entity, p.step) == key:
                continue
            if (
                not position.carried
                and p.entity == position.entity
                and p.carried_from in follows
                and order.get(p.step, -1) > order.get(position.step, -1)
            ):
                p = replace(position, step=p.step, carried_from=position.step)
            positions.append(p)
        return replace(self, positions=(*positions, position))

    def without_position(self, entity_id: str, step_id: str) -> SceneDoc:
        """The entity taken off ``step``; positions carried from there stay, as placed where
        they are (they no longer repeat a placement)."""
        return replace(
            self,
            positions=tuple(
                _own(p, step_id) if p.entity == entity_id else p
                for p in self.positions
                if (p.entity, p.step) != (entity_id, step_id)
            ),
        )

    def with_camera(self, match: CameraMatch) -> SceneDoc:
        """The scene with ``match`` replacing any earlier match of the same camera entity."""
        others = tuple(c for c in self.cameras if c.entity != match.entity)
        return replace(self, cameras=(*others, match))

    def with_measurement(self, measurement: Measurement) -> SceneDoc:
        """``measurement`` added or replaced; one that says what another already says (the
        same kind, step, ends and uncertainty, another id) is not added twice."""
        if self.same_measurement(measurement) is not None:
            return self
        return replace(self, measurements=_upsert(self.measurements, measurement))

    def with_sightline(self, sightline: Sightline) -> SceneDoc:
        """``sightline`` added or replaced; the same check (observer, target, step) under
        another id is not added twice."""
        if self.same_sightline(sightline) is not None:
            return self
        return replace(self, sightlines=_upsert(self.sightlines, sightline))

    def same_measurement(self, measurement: Measurement) -> Measurement | None:
        """Another measurement of the document that measures exactly what this one does."""
        key = replace(measurement, id="x", label="")
        return next(
            (
                m
                for m in self.measurements
                if m.id != measurement.id and replace(m, id="x", label="") == key
            ),
            None,
        )

    def same_sightline(self, sightline: Sightline) -> Sightline | None:
        """Another sightline of the document with the same observer, target and step."""
        return next(
            (
                s
                for s in self.sightlines
                if s.id != sightline.id
                and (s.observer, s.target, s.step)
                == (sightline.observer, sightline.target, sightline.step)
            ),
            None,
        )

    def with_view(self, view: SavedView) -> SceneDoc:
        return replace(self, views=_upsert(self.views, view))

    def without(self, item_id: str) -> SceneDoc:
        """Remove the step, measurement, sightline or view with this id."""
        if any(s.id == item_id for s in self.steps):
            return replace(
                self,
                steps=tuple(s for s in self.steps if s.id != item_id),
                positions=tuple(_own(p, item_id) for p in self.positions if p.step != item_id),
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


def _own(position: Position, removed_step: str) -> Position:
    """``position``, no longer marked as carried when the step it was carried from goes."""
    if position.carried_from != removed_step:
        return position
    return replace(position, carried_from=None)


def _entities_of(m: Measurement) -> set[str]:
    found = {a.entity for a in (m.a, m.b, m.vertex) if a is not None and a.entity is not None}
    if m.entity is not None:
        found.add(m.entity)
    return found
