"""Measurements, sightlines and what is shown at a step, on a scene and its model's geometry.

``SceneAnalysis`` is the half of ``SceneService`` that reads scenes and geometry to compute:
distances, path lengths, heights and angles in metres where units and scale are known (with a
± from the mesh resolution), eye points, sightlines, and the ``SceneLayer`` that stills and the
browser viewer draw at a step.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime

import numpy as np

from bsu_models.core.context import ServiceContext
from bsu_models.core.errors import InvalidInput, Message
from bsu_models.core.records import MeasuredValue, SceneInfo, SightlineResult
from bsu_models.core.units import metres_per_model_unit
from bsu_models.core.versions import get_version
from bsu_models.ingest.geometry import MeshGeometry, as_triple, line_of_sight
from bsu_models.scenes.scene_camera import frustum_corners
from bsu_models.scenes.scene_figures import entity_figure
from bsu_models.scenes.scene_items import (
    EYE_HEIGHT_RATIO,
    Anchor,
    Entity,
    Measurement,
    Step,
    eye_height,
)
from bsu_models.scenes.scene_layer import (
    Frustum,
    Marker,
    MeasureLine,
    PathLine,
    SceneLayer,
    SightLine,
)
from bsu_models.scenes.scene_model import SceneDoc
from bsu_models.scenes.scene_sun import light_on_sightline, step_sun
from bsu_models.scenes.site_frame import site_frame


def _height_source(entity: Entity, known: tuple[float, str]) -> Message:
    if known[1] == "step":
        return Message("as set at this step")
    if known[1] == "stated_height":
        return Message(
            "{ratio} × the stated height of {height} m",
            ratio=EYE_HEIGHT_RATIO,
            height=f"{entity.height_m:.2f}",
        )
    return Message("the default for a person of unstated height")


def heights_message(
    observer: Entity,
    seeing: tuple[float, str] | None,
    target: Entity,
    seen: tuple[float, str] | None,
) -> Message | None:
    """The eye height a sightline was drawn from and the face height it aims at, with where each
    comes from, in words (None: both ends are the entities' points)."""
    if seeing is None and seen is None:
        return None
    if seen is None:
        assert seeing is not None
        return Message(
            "Eye height {eye} m ({source}).",
            eye=f"{seeing[0]:.2f}",
            source=_height_source(observer, seeing),
        )
    if seeing is None:
        return Message(
            "Aimed at the target's face, {face} m up ({source}).",
            face=f"{seen[0]:.2f}",
            source=_height_source(target, seen),
        )
    return Message(
        "Eye height {eye} m ({source}); aimed at the target's face, {face} m up ({face_source}).",
        eye=f"{seeing[0]:.2f}",
        source=_height_source(observer, seeing),
        face=f"{seen[0]:.2f}",
        face_source=_height_source(target, seen),
    )


class SceneAnalysis:
    """Computations on scenes; mixed into ``SceneService``, which provides the look-ups."""

    ctx: ServiceContext

    def info(self, scene_id: int) -> SceneInfo:
        raise NotImplementedError

    def document(self, scene_id: int, revision: int | None = None) -> SceneDoc:
        raise NotImplementedError

    def geometry(self, version_id: int) -> MeshGeometry:
        raise NotImplementedError

    # -- measurements and sightlines ------------------------------------------------------------

    def _metres(self, version_id: int) -> float | None:
        version = get_version(self.ctx, version_id)
        scale = None if version.scale == "unknown" else float(version.scale.split(":")[1])
        return metres_per_model_unit(version.units, scale)

    def _anchor_point(self, doc: SceneDoc, anchor: Anchor, step_id: str | None) -> np.ndarray:
        if anchor.point is not None:
            return np.asarray(anchor.point)
        assert anchor.entity is not None
        if step_id is None:
            raise InvalidInput(
                "Measuring from {label!r} needs a step.", label=doc.entity(anchor.entity).label
            )
        pos = doc.position(anchor.entity, step_id)
        if pos is None:
            step = next(s for s in doc.steps if s.id == step_id)
            raise InvalidInput(
                "{label!r} has no position at step {step!r}.",
                label=doc.entity(anchor.entity).label,
                step=step.title,
            )
        return np.asarray(pos.point)

    def measure(
        self, scene_id: int, measurement: Measurement, revision: int | None = None
    ) -> MeasuredValue:
        """Evaluate ``measurement`` on the scene, in metres where units and scale are known."""
        info = self.info(scene_id)
        return self._measure_on(self.document(scene_id, revision), info.version_id, measurement)

    def _measure_on(
        self, doc: SceneDoc, version_id: int, measurement: Measurement
    ) -> MeasuredValue:
        """``measure`` on the positions of ``doc``, whichever revision it is."""
        geometry = self.geometry(version_id)
        factor = self._metres(version_id)
        known = factor is not None
        k = factor or 1.0
        per_end = geometry.point_uncertainty * k
        unit = "m" if known else "model units"
        step = measurement.step
        label = measurement.label or measurement.id
        given = measurement.uncertainty_m
        if measurement.kind == "distance":
            a = self._anchor_point(doc, measurement.a, step)  # type: ignore[arg-type]
            b = self._anchor_point(doc, measurement.b, step)  # type: ignore[arg-type]
            value = float(np.linalg.norm(a - b)) * k
            default, basis = math.sqrt(2) * per_end, "straight line between the two points"
        elif measurement.kind == "path_length":
            # A carried position repeats the one before it: no movement, no segment.
            entity_id: str = measurement.entity  # type: ignore[assignment]
            path = [p for p in doc.path(entity_id) if not p.carried]
            if len(path) < 2:
                raise InvalidInput(
                    "{label!r} needs positions at two or more steps for a path length.",
                    label=doc.entity(measurement.entity).label,  # type: ignore[arg-type]
                )
            points = np.array([p.point for p in path])
            value = float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum()) * k
            default = math.sqrt(len(points)) * per_end
            basis = f"sum of {len(points) - 1} straight segments between steps"
        elif measurement.kind == "height":
            a = self._anchor_point(doc, measurement.a, step)  # type: ignore[arg-type]
            value = float(a @ geometry.up - geometry.base_level) * k
            default, basis = per_end, "height above the model's base plane, along its up axis"
        else:
            a = self._anchor_point(doc, measurement.a, step)  # type: ignore[arg-type]
            b = self._anchor_point(doc, measurement.b, step)  # type: ignore[arg-type]
            v = self._anchor_point(doc, measurement.vertex, step)  # type: ignore[arg-type]
            arms = (a - v, b - v)
            lengths = [float(np.linalg.norm(x)) for x in arms]
            if min(lengths) == 0:
                raise InvalidInput("Angle {label}: an arm has zero length.", label=label)
            cosine = float(np.clip(arms[0] @ arms[1] / (lengths[0] * lengths[1]), -1, 1))
            spread = math.degrees(math.sqrt(2) * geometry.point_uncertainty / min(lengths))
            return MeasuredValue(
                "angle",
                label,
                math.degrees(math.acos(cosine)),
                spread,
                "°",
                True,
                "angle at the vertex; ± from the mesh resolution",
            )
        uncertainty = given if given is not None and known else default
        source = (
            "as set"
            if given is not None and known
            else (f"from the mesh resolution, {per_end:.3g} {unit} per end")
        )
        return MeasuredValue(
            measurement.kind, label, value, uncertainty, unit, known, f"{basis}; ± {source}"
        )

    def distance_between(
        self, scene_id: int, from_label: str, to_label: str, step_number: int = 1
    ) -> MeasuredValue:
        doc = self.document(scene_id)
        step = doc.step_at(step_number)
        a, b = doc.entity_by_label(from_label), doc.entity_by_label(to_label)
        name = Message("{start} to {end}", start=a.label, end=b.label)
        value = self.measure(
            scene_id,
            Measurement(
                id="cli",
                kind="distance",
                label=str(name),
                step=step.id,
                a=Anchor(entity=a.id),
                b=Anchor(entity=b.id),
            ),
        )
        return replace(value, label_message=name)

    def eye_point(self, doc: SceneDoc, entity_id: str, step_id: str, version_id: int) -> np.ndarray:
        """Where an entity sees from: a person's eyes above the position (``eye_height``), else
        the position."""
        entity = doc.entity(entity_id)
        point = self._anchor_point(doc, Anchor(entity=entity_id), step_id)
        known = eye_height(entity, doc.position(entity_id, step_id))
        if known is None:
            return point
        height = known[0]
        factor = self._metres(version_id)
        if factor is None:
            raise InvalidInput(
                "{label!r}'s eye height of {height} m cannot be placed: "
                "the version's units or scale are unknown.",
                label=entity.label,
                height=height,
            )
        geometry = self.geometry(version_id)
        return point + geometry.up * (height / factor)

    def sightline(
        self,
        scene_id: int,
        observer_label: str,
        target_label: str,
        step_number: int = 1,
        sun_at: str | datetime | None = None,
    ) -> SightlineResult:
        """Can the observer (from its eyes) see the target at that step, past the model? With
        the sun at ``sun_at`` (else at the step's time, when known): is the target in direct
        sun, and does the observer look into it?"""
        info = self.info(scene_id)
        doc = self.document(scene_id)
        return self._sightline_on(
            doc,
            info.version_id,
            doc.step_at(step_number),
            doc.entity_by_label(observer_label),
            doc.entity_by_label(target_label),
            sun_at,
        )

    def _sightline_on(
        self,
        doc: SceneDoc,
        version_id: int,
        step: Step,
        observer: Entity,
        target: Entity,
        sun_at: str | datetime | None = None,
    ) -> SightlineResult:
        """``sightline`` on the positions of ``doc``, whichever revision it is."""
        eye = self.eye_point(doc, observer.id, step.id, version_id)
        aim = self.eye_point(doc, target.id, step.id, version_id)
        [verdict] = line_of_sight(self.geometry(version_id), eye[None], aim[None])
        factor = self._metres(version_id)
        geometry = self.geometry(version_id)
        name = Message("{start} to {end}", start=observer.label, end=target.label)
        distance = MeasuredValue(
            "distance",
            str(name),
            verdict.length * (factor or 1.0),
            math.sqrt(2) * geometry.point_uncertainty * (factor or 1.0),
            "m" if factor else "model units",
            factor is not None,
            "eye to target",
            label_message=name,
        )
        sun = step_sun(get_version(self.ctx, version_id), doc, step, sun_at)
        light = light_on_sightline(geometry, sun, eye, aim) if sun is not None else None
        seeing = eye_height(observer, doc.position(observer.id, step.id))
        seen = eye_height(target, doc.position(target.id, step.id))
        return SightlineResult(
            observer.label,
            target.label,
            step.title,
            verdict.visible,
            as_triple(eye),
            as_triple(aim),
            verdict.occluder,
            distance,
            sun_at=sun.at if sun else None,
            sun_azimuth_deg=sun.azimuth_deg if sun else None,
            sun_elevation_deg=sun.elevation_deg if sun else None,
            target_in_sun=light.target_in_sun if light else None,
            glare=light.glare if light else None,
            angle_to_sun_deg=light.angle_to_sun_deg if light else None,
            eye_height_m=seeing[0] if seeing else None,
            eye_height_source=seeing[1] if seeing else None,
            target_height_m=seen[0] if seen else None,
            target_height_source=seen[1] if seen else None,
            heights_message=heights_message(observer, seeing, target, seen),
        )

    # -- what is shown at a step ----------------------------------------------------------------

    def layer(self, scene_id: int, doc: SceneDoc, step: Step) -> SceneLayer:
        """What of ``doc`` is drawn at ``step``: markers where entities are, their paths up to
        this step, distance measurements of the step, and sightlines evaluated at the step.
        Everything is evaluated on ``doc`` itself, so an older revision shows its own values."""
        info = self.info(scene_id)  # also: only for those who may read the scene
        frame = site_frame(get_version(self.ctx, info.version_id))
        markers = tuple(
            Marker(
                e.label,
                e.type,
                e.colour,
                pos.point,
                e.id,
                e.sensitive,
                pos.carried,
                entity_figure(e, pos, frame, doc.camera(e.id) is not None, doc.path(e.id)),
            )
            for e in doc.entities
            if (pos := doc.position(e.id, step.id)) is not None
        )
        paths = tuple(
            PathLine(e.colour, tuple(p.point for p in points))
            for e in doc.entities
            if len(points := doc.path_until(e.id, step.id)) > 1
        )
        measures = []
        for m in doc.measurements:
            if m.kind != "distance" or m.step not in (None, step.id):
                continue
            if m.a is None or m.b is None:
                continue
            value = self._measure_on(doc, info.version_id, m)
            a = self._anchor_point(doc, m.a, step.id)
            b = self._anchor_point(doc, m.b, step.id)
            measures.append(MeasureLine(as_triple(a), as_triple(b), value.text, value.message))
        lines = []
        for line in doc.sightlines:
            if line.step != step.id or line.target.entity is None:
                continue
            result = self._sightline_on(
                doc,
                info.version_id,
                step,
                doc.entity(line.observer),
                doc.entity(line.target.entity),
            )
            lines.append(
                SightLine(result.eye_point, result.target_point, result.visible, result.occluder)
            )
        frustums = tuple(
            Frustum(match.solution.position, frustum_corners(match), e.colour, e.label)
            for match in doc.cameras
            if (e := doc.entity(match.entity))
        )
        return SceneLayer(markers, paths, tuple(measures), tuple(lines), frustums)
