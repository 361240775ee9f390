"""The scene service: scenes on model versions, their revisions, JSON, measurements, sightlines.

Every change stores the whole new document as the next numbered revision (revisions never
change) and appends an audit event carrying what changed. Positions are checked against the
model's bounds; measurements and sightlines run on the version's stored geometry.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Engine, Select, select
from sqlalchemy.orm import Session, selectinload

from bsu_models.audit import append_event
from bsu_models.db import read_session, write_session
from bsu_models.errors import Conflict, InvalidInput, NotFound
from bsu_models.geometry import (
    MeshGeometry,
    check_within_bounds,
    line_of_sight,
    load_geometry,
    preset_camera,
    snap_down,
)
from bsu_models.orm import ModelRow, SceneRevisionRow, SceneRow, VersionRow
from bsu_models.records import MeasuredValue, RevisionInfo, SceneInfo, SightlineResult
from bsu_models.scene_diff import scene_changes
from bsu_models.scene_json import scene_from_json, scene_to_json
from bsu_models.scene_model import (
    DEFAULT_EYE_HEIGHT_M,
    Anchor,
    Measurement,
    SavedView,
    SceneDoc,
    check_label,
)
from bsu_models.units import metres_per_model_unit

if TYPE_CHECKING:
    from bsu_models.catalogue import Catalogue


def _triple(point: np.ndarray) -> tuple[float, float, float]:
    return float(point[0]), float(point[1]), float(point[2])


def _canonical(doc: SceneDoc) -> str:
    return json.dumps(scene_to_json(doc), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _info(row: SceneRow) -> SceneInfo:
    latest = row.revisions[-1]
    return SceneInfo(
        scene_id=row.id,
        name=row.name,
        version_id=row.version_id,
        case_reference=row.version.model.case.reference,
        model_name=row.version.model.name,
        revision=row.current_revision,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_by=latest.author,
        updated_at=latest.created_at,
    )


def _scene_query() -> Select[SceneRow]:
    return select(SceneRow).options(
        selectinload(SceneRow.revisions),
        selectinload(SceneRow.version).selectinload(VersionRow.model).selectinload(ModelRow.case),
    )


class SceneService:
    """Scenes of one catalogue; reached as ``catalogue.scenes``."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    @property
    def _engine(self) -> Engine:
        return self.catalogue.engine

    def _actor(self, actor: str | None) -> str:
        return actor or self.catalogue.settings.actor

    # -- reading --------------------------------------------------------------------------------

    def _row(self, session: Session, scene_id: int) -> SceneRow:
        row = session.scalars(_scene_query().where(SceneRow.id == scene_id)).one_or_none()
        if row is None:
            raise NotFound(f"There is no scene {scene_id}.")
        return row

    def info(self, scene_id: int) -> SceneInfo:
        with read_session(self._engine) as session:
            return _info(self._row(session, scene_id))

    def list_scenes(self, version_id: int | None = None) -> list[SceneInfo]:
        with read_session(self._engine) as session:
            stmt = _scene_query().order_by(SceneRow.id)
            if version_id is not None:
                stmt = stmt.where(SceneRow.version_id == version_id)
            return [_info(row) for row in session.scalars(stmt)]

    def document(self, scene_id: int, revision: int | None = None) -> SceneDoc:
        """The scene at ``revision`` (default: current). Old revisions are read-only values."""
        with read_session(self._engine) as session:
            row = self._row(session, scene_id)
            number = revision or row.current_revision
            found = [r for r in row.revisions if r.number == number]
            if not found:
                raise NotFound(
                    f"Scene {scene_id} has no revision {number} "
                    f"(it has 1 to {row.current_revision})."
                )
            return scene_from_json(json.loads(found[0].document))

    def history(self, scene_id: int) -> list[RevisionInfo]:
        with read_session(self._engine) as session:
            return [
                RevisionInfo(r.number, r.author, r.created_at, r.summary, r.sha256)
                for r in self._row(session, scene_id).revisions
            ]

    def compare(self, scene_id: int, old: int, new: int | None = None) -> list[str]:
        """Sentences saying how revision ``new`` (default: current) differs from ``old``."""
        return scene_changes(self.document(scene_id, old), self.document(scene_id, new))

    # -- geometry -------------------------------------------------------------------------------

    def geometry(self, version_id: int) -> MeshGeometry:
        version = self.catalogue.get_version(version_id)
        key = next((f.sha256 for f in version.files if f.role == "geometry"), None)
        if key is None:
            raise NotFound(f"Model version {version_id} has no stored geometry.")
        return load_geometry(key, self.catalogue.blobs.get, version.up_axis, version.north_axis)

    def snap(self, version_id: int, points: Any) -> np.ndarray:
        """Points ``(n, 3)`` dropped onto the model's surface below them, ``(n, 3)``."""
        snapped, _faces = snap_down(self.geometry(version_id), np.asarray(points, dtype=float))
        return snapped

    def preset_view(self, version_id: int, preset: str) -> SavedView:
        geometry = self.geometry(version_id)
        version = self.catalogue.get_version(version_id)
        camera = preset_camera(preset, geometry.bounds, version.up_axis, version.north_axis)
        return SavedView(id=preset, name=preset.capitalize(), **camera)

    # -- writing --------------------------------------------------------------------------------

    def create(
        self, version_id: int, name: str, actor: str | None = None, document: SceneDoc | None = None
    ) -> SceneInfo:
        """A new scene on a model version (empty, or with ``document``)."""
        doc = document or SceneDoc(name=check_label(name, "Scene name"))
        if document is not None and name:
            doc = SceneDoc(**{**doc.__dict__, "name": check_label(name, "Scene name")})
        self._check_positions(version_id, doc)
        actor = self._actor(actor)
        with write_session(self._engine) as session:
            version = session.get(VersionRow, version_id)
            if version is None:
                raise NotFound(f"There is no model version {version_id}.")
            row = SceneRow(
                version_id=version_id,
                case_id=version.model.case_id,
                name=doc.name,
                created_by=actor,
                current_revision=1,
            )
            session.add(row)
            session.flush()
            self._add_revision(session, row, doc, 1, actor, "created")
            append_event(
                session,
                actor=actor,
                action="scene.create",
                object_type="scene",
                object_id=str(row.id),
                details={"version": version_id, "name": doc.name, "revision": 1},
            )
            scene_id = row.id
        return self.info(scene_id)

    def save(
        self,
        scene_id: int,
        doc: SceneDoc,
        base_revision: int,
        summary: str = "",
        actor: str | None = None,
    ) -> SceneInfo:
        """Store ``doc`` as the next revision of a scene last read at ``base_revision``."""
        actor = self._actor(actor)
        info = self.info(scene_id)
        self._check_positions(info.version_id, doc)
        with write_session(self._engine) as session:
            row = self._row(session, scene_id)
            if row.current_revision != base_revision:
                raise Conflict(
                    f"Scene {scene_id} changed since revision {base_revision} (it is now at "
                    f"revision {row.current_revision}); reload it and make the change again."
                )
            before = scene_from_json(json.loads(row.revisions[-1].document))
            changes = scene_changes(before, doc)
            if not changes:
                return _info(row)
            number = row.current_revision + 1
            self._add_revision(
                session, row, doc, number, actor, summary or "; ".join(changes)[:500]
            )
            row.current_revision = number
            row.name = doc.name
            append_event(
                session,
                actor=actor,
                action="scene.change",
                object_type="scene",
                object_id=str(scene_id),
                object_sha256=row.revisions[-1].sha256,
                details={
                    "revision": number,
                    "previous_revision": base_revision,
                    "previous_sha256": row.revisions[-2].sha256,
                    "changes": changes,
                    "summary": summary,
                },
            )
        return self.info(scene_id)

    def _add_revision(
        self, session: Session, row: SceneRow, doc: SceneDoc, number: int, actor: str, summary: str
    ) -> None:
        text = _canonical(doc)
        revision = SceneRevisionRow(
            scene_id=row.id,
            number=number,
            document=text,
            sha256=hashlib.sha256(text.encode()).hexdigest(),
            author=actor,
            summary=summary,
        )
        session.add(revision)
        row.revisions.append(revision)
        session.flush()

    def _check_positions(self, version_id: int, doc: SceneDoc) -> None:
        if not doc.positions and not any(m for m in doc.measurements):
            return
        geometry = self.geometry(version_id)
        for pos in doc.positions:
            where = f"Position of {doc.entity(pos.entity).label!r}"
            check_within_bounds(geometry, np.asarray(pos.point), where)
        for m in doc.measurements:
            for anchor in (m.a, m.b, m.vertex):
                if anchor is not None and anchor.point is not None:
                    check_within_bounds(
                        geometry, np.asarray(anchor.point), f"Measurement {m.id} point"
                    )

    # -- JSON -----------------------------------------------------------------------------------

    def export_json(
        self, scene_id: int, revision: int | None = None, actor: str | None = None
    ) -> dict[str, Any]:
        info = self.info(scene_id)
        number = revision or info.revision
        doc = self.document(scene_id, number)
        version = self.catalogue.get_version(info.version_id)
        header = {
            "id": scene_id,
            "revision": number,
            "case": info.case_reference,
            "model_version": {
                "id": version.version_id,
                "sha256": version.original_sha256,
                "units": version.units,
                "scale": version.scale,
                "up_axis": version.up_axis,
                "north_axis": version.north_axis,
            },
        }
        with write_session(self._engine) as session:
            append_event(
                session,
                actor=self._actor(actor),
                action="scene.export",
                object_type="scene",
                object_id=str(scene_id),
                details={"revision": number},
            )
        return scene_to_json(doc, header)

    def import_json(
        self, data: Any, version_id: int | None = None, actor: str | None = None
    ) -> SceneInfo:
        """A new scene from ``data``, or a new revision of the scene it names (``scene.id``)."""
        doc = scene_from_json(data)
        header = data["scene"]
        named = header.get("model_version", {})
        target_version = version_id or named.get("id")
        if target_version is None:
            raise InvalidInput("Scene file names no model version; give one (--version).")
        version = self.catalogue.get_version(int(target_version))
        if named.get("sha256") and named["sha256"] != version.original_sha256:
            raise InvalidInput(
                f"Scene file's coordinates refer to model {named['sha256'][:12]}, but version "
                f"{version.version_id} is {version.original_sha256[:12]}; they do not match."
            )
        scene_id = header.get("id")
        if scene_id is not None and version_id is None:
            try:
                info = self.info(int(scene_id))
            except NotFound:
                info = None
            if info is not None and info.version_id == version.version_id:
                return self.save(info.scene_id, doc, info.revision, "imported from JSON", actor)
        return self.create(version.version_id, doc.name, actor, document=doc)

    # -- measurements and sightlines ------------------------------------------------------------

    def _metres(self, version_id: int) -> float | None:
        version = self.catalogue.get_version(version_id)
        scale = None if version.scale == "unknown" else float(version.scale.split(":")[1])
        return metres_per_model_unit(version.units, scale)

    def _anchor_point(self, doc: SceneDoc, anchor: Anchor, step_id: str | None) -> np.ndarray:
        if anchor.point is not None:
            return np.asarray(anchor.point)
        assert anchor.entity is not None
        if step_id is None:
            raise InvalidInput(f"Measuring from {doc.entity(anchor.entity).label!r} needs a step.")
        pos = doc.position(anchor.entity, step_id)
        if pos is None:
            step = next(s for s in doc.steps if s.id == step_id)
            raise InvalidInput(
                f"{doc.entity(anchor.entity).label!r} has no position at step {step.title!r}."
            )
        return np.asarray(pos.point)

    def measure(
        self, scene_id: int, measurement: Measurement, revision: int | None = None
    ) -> MeasuredValue:
        """Evaluate ``measurement`` on the scene, in metres where units and scale are known."""
        info = self.info(scene_id)
        doc = self.document(scene_id, revision)
        geometry = self.geometry(info.version_id)
        factor = self._metres(info.version_id)
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
            path = doc.path(measurement.entity)  # type: ignore[arg-type]
            if len(path) < 2:
                raise InvalidInput(
                    f"{doc.entity(measurement.entity).label!r} needs positions at "  # type: ignore[arg-type]
                    "two or more steps for a path length."
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
                raise InvalidInput(f"Angle {label}: an arm has zero length.")
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
        return self.measure(
            scene_id,
            Measurement(
                id="cli",
                kind="distance",
                label=f"{a.label} to {b.label}",
                step=step.id,
                a=Anchor(entity=a.id),
                b=Anchor(entity=b.id),
            ),
        )

    def eye_point(self, doc: SceneDoc, entity_id: str, step_id: str, version_id: int) -> np.ndarray:
        """Where an entity sees from: a person's eyes above the position, else the position."""
        entity = doc.entity(entity_id)
        point = self._anchor_point(doc, Anchor(entity=entity_id), step_id)
        pos = doc.position(entity_id, step_id)
        height = (
            pos.eye_height_m
            if pos and pos.eye_height_m is not None
            else (DEFAULT_EYE_HEIGHT_M if entity.is_person else None)
        )
        if height is None:
            return point
        factor = self._metres(version_id)
        if factor is None:
            raise InvalidInput(
                f"{entity.label!r}'s eye height of {height} m cannot be placed: "
                "the version's units or scale are unknown."
            )
        geometry = self.geometry(version_id)
        return point + geometry.up * (height / factor)

    def sightline(
        self, scene_id: int, observer_label: str, target_label: str, step_number: int = 1
    ) -> SightlineResult:
        """Can the observer (from its eyes) see the target at that step, past the model?"""
        info = self.info(scene_id)
        doc = self.document(scene_id)
        step = doc.step_at(step_number)
        observer = doc.entity_by_label(observer_label)
        target = doc.entity_by_label(target_label)
        eye = self.eye_point(doc, observer.id, step.id, info.version_id)
        aim = self.eye_point(doc, target.id, step.id, info.version_id)
        [verdict] = line_of_sight(self.geometry(info.version_id), eye[None], aim[None])
        factor = self._metres(info.version_id)
        geometry = self.geometry(info.version_id)
        distance = MeasuredValue(
            "distance",
            f"{observer.label} to {target.label}",
            verdict.length * (factor or 1.0),
            math.sqrt(2) * geometry.point_uncertainty * (factor or 1.0),
            "m" if factor else "model units",
            factor is not None,
            "eye to target",
        )
        return SightlineResult(
            observer.label,
            target.label,
            step.title,
            verdict.visible,
            _triple(eye),
            _triple(aim),
            verdict.occluder,
            distance,
        )
