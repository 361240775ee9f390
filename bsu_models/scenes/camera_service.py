"""CCTV frames as evidence, cameras matched to them, and places and heights read off them.

``CameraService`` (reached as ``catalogue.cameras``) keeps each uploaded frame as it came, under
its SHA-256 in the blob store, with a ``cctv_frames`` row naming its source (the CCTV system's
camera, the time on the footage, the exhibit number) and the camera entity of the scene it
belongs to; every upload and read is an audit event. Matching a camera stores the pairs and the
solve (``bsu_models.scenes.camera_solve``) with the camera entity in the next scene revision;
placing from a frame moves an entity to where a pixel's line of sight meets the model, with
CCTV provenance naming the frame's hash and the pixel (``bsu_models.scenes.camera_reading``).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import numpy as np
from sqlalchemy import select

from bsu_models.core import limits
from bsu_models.core.audit import append_event
from bsu_models.core.blobstore import sha256_bytes
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import read_session, write_session
from bsu_models.core.errors import Conflict, InvalidInput, Message, NotFound
from bsu_models.core.orm import CctvFrameRow, SceneRow
from bsu_models.core.records import CctvReading, FrameInfo, MeasuredValue, SceneInfo
from bsu_models.core.text import clean_line
from bsu_models.core.versions import get_version
from bsu_models.ingest.frames import check_frame
from bsu_models.ingest.geometry import as_triple, check_within_bounds
from bsu_models.scenes.camera_reading import COVERAGE, height_from_frame, place_from_frame
from bsu_models.scenes.camera_solve import CameraSolution, check_pairs, solve_camera
from bsu_models.scenes.scene_camera import CameraMatch, FrameHeight, PointPair, pair_arrays
from bsu_models.scenes.scene_items import Position, Provenance
from bsu_models.scenes.scene_model import SceneDoc
from bsu_models.scenes.service import SceneService

# The time on the footage: a date and a clock time, as the CCTV system shows it.
_FOOTAGE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([+-]\d{2}:\d{2}|Z)?$"
)


def _frame_info(row: CctvFrameRow) -> FrameInfo:
    return FrameInfo(
        scene_id=row.scene_id,
        entity_id=row.entity_id,
        sha256=row.sha256,
        name=row.name,
        size_bytes=row.size_bytes,
        media_type=row.media_type,
        width=row.width,
        height=row.height,
        camera_ref=row.camera_ref,
        recorded_at=row.recorded_at,
        exhibit=row.exhibit,
        uploaded_by=row.uploaded_by,
        uploaded_at=row.uploaded_at,
    )


class CameraService:
    """CCTV frames, camera matching and readings off frames, on one catalogue."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.scenes = SceneService(ctx)

    # -- solving on a model version ---------------------------------------------------------------

    def solve(
        self,
        version_id: int,
        frame: bytes,
        pairs: tuple[PointPair, ...],
        *,
        frame_name: str = "frame",
        solve_k1: bool = False,
        actor: str | None = None,
    ) -> tuple[CameraSolution, str]:
        """The camera that took ``frame`` from the pairs clicked on it and on the model of
        ``version_id``, and the frame's SHA-256. Stores nothing; the solve is an audit event."""
        version = get_version(self.ctx, version_id)
        self.ctx.require_case("scene.view", version.case_reference, "version", str(version_id))
        facts = check_frame(frame_name, frame, self.ctx.settings.max_texture_pixels)
        solution = self._solve(version_id, facts.width, facts.height, pairs, solve_k1)
        sha = sha256_bytes(frame)
        with write_session(self.ctx.engine) as session:
            append_event(
                session,
                actor=self.ctx.actor_name(actor),
                action="camera.solve",
                object_type="version",
                object_id=str(version_id),
                object_sha256=version.original_sha256,
                details={
                    "frame_sha256": sha,
                    "pairs": len(pairs),
                    "rms_px": round(solution.rms_px, 4),
                },
            )
        return solution, sha

    def _solve(
        self,
        version_id: int,
        width: int,
        height: int,
        pairs: tuple[PointPair, ...],
        solve_k1: bool,
    ) -> CameraSolution:
        pixels, points = pair_arrays(pairs)
        check_pairs(pixels, points, (width, height))
        geometry = self.scenes.geometry(version_id)
        for number, point in enumerate(points, 1):
            check_within_bounds(
                geometry, point, Message("The model point of pair {number}", number=number)
            )
        return solve_camera(pixels, points, (width, height), solve_k1=solve_k1)

    # -- frames as evidence -----------------------------------------------------------------------

    def _camera_entity(self, doc: SceneDoc, entity: str) -> str:
        """The id of the camera entity named ``entity`` (its id or label)."""
        found = next((e for e in doc.entities if entity in (e.id, e.label)), None)
        if found is None:
            doc.entity_by_label(entity)  # names the known labels
            raise AssertionError  # pragma: no cover
        if found.type != "camera":
            raise InvalidInput(
                "{label!r} is a {type}, not a camera; frames belong to camera entities.",
                label=found.label,
                type=found.type,
            )
        return found.id

    def add_frame(
        self,
        scene_id: int,
        entity: str,
        data: bytes,
        name: str,
        *,
        camera_ref: str,
        recorded_at: str,
        exhibit: str,
        actor: str | None = None,
    ) -> FrameInfo:
        """Keep ``data`` (a PNG or JPEG still from CCTV) as evidence for the camera entity
        ``entity`` (id or label) of the scene, with its source."""
        self.scenes.require(scene_id, "scene.edit")
        entity_id = self._camera_entity(self.scenes.document(scene_id), entity)
        name = clean_line(name, Message("The frame's file name"), limit=limits.FILE_NAME)
        camera_ref = clean_line(camera_ref, Message("The CCTV camera"))
        exhibit = clean_line(exhibit, Message("The exhibit number"), limit=limits.EXHIBIT_NUMBER)
        recorded_at = recorded_at.strip()
        if not _FOOTAGE_TIME.match(recorded_at):
            raise InvalidInput(
                "The time on the footage {value!r} must look like 2026-11-20T21:03:15.",
                value=recorded_at,
            )
        facts = check_frame(name, data, self.ctx.settings.max_texture_pixels)
        sha = self.ctx.blobs.put(data)
        actor = self.ctx.actor_name(actor)
        with write_session(self.ctx.engine) as session:
            scene = session.get(SceneRow, scene_id)
            if scene is None:
                raise NotFound("There is no scene {scene_id}.", scene_id=scene_id)
            known = session.scalars(
                select(CctvFrameRow).where(
                    CctvFrameRow.scene_id == scene_id,
                    CctvFrameRow.entity_id == entity_id,
                    CctvFrameRow.sha256 == sha,
                )
            ).one_or_none()
            if known is not None:
                raise Conflict("This frame ({sha}) is already kept for this camera.", sha=sha[:12])
            row = CctvFrameRow(
                scene_id=scene_id,
                entity_id=entity_id,
                sha256=sha,
                name=name,
                size_bytes=len(data),
                media_type=facts.media_type,
                width=facts.width,
                height=facts.height,
                camera_ref=camera_ref,
                recorded_at=recorded_at,
                exhibit=exhibit,
                uploaded_by=actor,
            )
            session.add(row)
            session.flush()
            append_event(
                session,
                actor=actor,
                action="cctv.frame_add",
                object_type="scene",
                object_id=str(scene_id),
                object_sha256=sha,
                details={"entity": entity_id, "size": [facts.width, facts.height]},
            )
            return _frame_info(row)

    def frames(self, scene_id: int, entity: str | None = None) -> list[FrameInfo]:
        """The frames kept for the scene's cameras (or for one camera entity)."""
        self.scenes.require(scene_id, "scene.view")
        with read_session(self.ctx.engine) as session:
            stmt = select(CctvFrameRow).where(CctvFrameRow.scene_id == scene_id)
            rows = [_frame_info(r) for r in session.scalars(stmt.order_by(CctvFrameRow.id))]
        if entity is None:
            return rows
        entity_id = self._camera_entity(self.scenes.document(scene_id), entity)
        return [r for r in rows if r.entity_id == entity_id]

    def frame(self, scene_id: int, sha256: str) -> FrameInfo:
        """The frame of the scene with this SHA-256 (or a unique start of it)."""
        found = [f for f in self.frames(scene_id) if f.sha256.startswith(sha256.lower())]
        if len({f.sha256 for f in found}) != 1 or len(sha256) < 8:
            raise NotFound(
                "Scene {scene_id} keeps no frame {sha} (give at least 8 hex digits of its "
                "SHA-256).",
                scene_id=scene_id,
                sha=sha256[:64],
            )
        return found[0]

    def frame_bytes(self, scene_id: int, sha256: str, actor: str | None = None) -> bytes:
        """The frame's bytes as uploaded, checked against their SHA-256; an audit event."""
        info = self.frame(scene_id, sha256)
        data = self.ctx.blobs.get_verified(info.sha256)
        with write_session(self.ctx.engine) as session:
            append_event(
                session,
                actor=self.ctx.actor_name(actor),
                action="cctv.frame_read",
                object_type="scene",
                object_id=str(scene_id),
                object_sha256=info.sha256,
                details={"entity": info.entity_id},
            )
        return data

    # -- matching a camera of a scene -------------------------------------------------------------

    def match(
        self,
        scene_id: int,
        entity: str,
        pairs: tuple[PointPair, ...],
        *,
        frame: str | None = None,
        solve_k1: bool = False,
        base_revision: int | None = None,
        actor: str | None = None,
    ) -> tuple[SceneInfo, CameraSolution]:
        """Solve the camera entity ``entity`` from pairs clicked on its frame ``frame`` (its
        SHA-256 or a start of it; default: the camera's only or latest frame) and store the
        pairs and the solve with the entity as the scene's next revision."""
        self.scenes.require(scene_id, "scene.edit")
        info = self.scenes.info(scene_id)
        doc = self.scenes.document(scene_id)
        entity_id = self._camera_entity(doc, entity)
        chosen = self._frame_of(scene_id, entity_id, frame)
        solution = self._solve(info.version_id, chosen.width, chosen.height, pairs, solve_k1)
        earlier = doc.camera(entity_id)
        # Heights clicked on the same frame stay; their values follow the new solve.
        kept = earlier.heights if earlier and earlier.frame_sha256 == chosen.sha256 else ()
        match = CameraMatch(entity_id, chosen.sha256, pairs, solution, kept)
        saved = self.scenes.save(
            scene_id,
            doc.with_camera(match),
            info.revision if base_revision is None else base_revision,
            actor=actor,
        )
        return saved, solution

    def _frame_of(self, scene_id: int, entity_id: str, frame: str | None) -> FrameInfo:
        if frame is not None:
            chosen = self.frame(scene_id, frame)
            if chosen.entity_id != entity_id:
                raise InvalidInput(
                    "Frame {sha} belongs to another camera of the scene.", sha=chosen.sha256[:12]
                )
            return chosen
        own = self.frames(scene_id, entity_id)
        if not own:
            raise InvalidInput(
                "No CCTV frame is kept for this camera yet; add one first (bsu-models camera "
                "frame add)."
            )
        return own[-1]

    def _matched(self, doc: SceneDoc, entity: str) -> tuple[str, CameraMatch]:
        entity_id = self._camera_entity(doc, entity)
        match = doc.camera(entity_id)
        if match is None:
            raise InvalidInput(
                "Camera {label!r} is not matched to a frame yet (bsu-models camera match).",
                label=doc.entity(entity_id).label,
            )
        return entity_id, match

    # -- reading places and heights off a frame ---------------------------------------------------

    def read_place(
        self,
        scene_id: int,
        camera: str,
        pixel: tuple[float, float],
        *,
        click_px: float = 1.0,
        frame: str | None = None,
    ) -> CctvReading:
        """Where the line of sight of matched camera ``camera`` through ``pixel`` of its frame
        (or of another frame of the same camera and size) meets the model."""
        self.scenes.require(scene_id, "scene.view")  # a frame's readings: the whole scene
        info = self.scenes.info(scene_id)
        doc = self.scenes.document(scene_id)
        entity_id, match = self._matched(doc, camera)
        sha = self._reading_frame(scene_id, entity_id, match, frame)
        reading = place_from_frame(
            match.solution, self.scenes.geometry(info.version_id), pixel, click_px
        )
        return CctvReading(
            as_triple(reading.value), reading.plus_minus, sha, (float(pixel[0]), float(pixel[1]))
        )

    def _reading_frame(
        self, scene_id: int, entity_id: str, match: CameraMatch, frame: str | None
    ) -> str:
        if frame is None:
            return match.frame_sha256
        chosen = self._frame_of(scene_id, entity_id, frame)
        if (chosen.width, chosen.height) != match.solution.image_size:
            raise InvalidInput(
                "Frame {sha} is {width}×{height}; the camera was matched on a frame of another "
                "size, so its solve does not apply.",
                sha=chosen.sha256[:12],
                width=chosen.width,
                height=chosen.height,
            )
        return chosen.sha256

    def place(
        self,
        scene_id: int,
        entity: str,
        step: int,
        camera: str,
        pixel: tuple[float, float],
        *,
        click_px: float = 1.0,
        frame: str | None = None,
        base_revision: int | None = None,
        actor: str | None = None,
    ) -> CctvReading:
        """Place (or move) ``entity`` (label) at step ``step`` where the feet clicked at
        ``pixel`` on the camera's frame stand, with CCTV provenance naming the frame's hash,
        the camera and the pixel; stored as the scene's next revision."""
        self.scenes.require(scene_id, "scene.edit")
        info = self.scenes.info(scene_id)
        doc = self.scenes.document(scene_id)
        reading = self.read_place(scene_id, camera, pixel, click_px=click_px, frame=frame)
        placed = doc.entity_by_label(entity)
        at = doc.step_at(step)
        frame_info = self.frame(scene_id, reading.frame_sha256)
        camera_label = doc.entity(self._camera_entity(doc, camera)).label
        reference = (
            f"{camera_label} ({frame_info.camera_ref}, {frame_info.recorded_at}), "
            f"pixel {pixel[0]:g}, {pixel[1]:g}"
        )[: limits.LINE]
        before = doc.position(placed.id, at.id)
        position = Position(
            placed.id,
            at.id,
            reading.point,
            snapped=True,
            heading_deg=before.heading_deg if before else None,
            eye_height_m=before.eye_height_m if before else None,
            provenance=Provenance("cctv", reference, reading.frame_sha256, reading.pixel),
        )
        saved = self.scenes.save(
            scene_id,
            doc.with_position(position),
            info.revision if base_revision is None else base_revision,
            actor=actor,
        )
        return replace(reading, revision=saved.revision)

    def height(
        self,
        scene_id: int,
        camera: str,
        head: tuple[float, float],
        feet: tuple[float, float],
        *,
        click_px: float = 1.0,
    ) -> MeasuredValue:
        """The height of someone whose head and feet are at these pixels of the matched
        camera's frame, in metres where the version's units and scale are known, with a ±
        propagated from the solve's residuals and the click precision (two standard
        deviations)."""
        self.scenes.require(scene_id, "scene.view")  # a frame's readings: the whole scene
        info = self.scenes.info(scene_id)
        doc = self.scenes.document(scene_id)
        _entity_id, match = self._matched(doc, camera)
        geometry = self.scenes.geometry(info.version_id)
        reading = height_from_frame(match.solution, geometry, head, feet, click_px)
        factor = self.scenes._metres(info.version_id)
        k = factor or 1.0
        label = Message(
            "height read off the frame of {camera}", camera=doc.entity(_entity_id).label
        )
        return MeasuredValue(
            "height",
            str(label),
            float(reading.value[0]) * k,
            reading.plus_minus * k,
            "m" if factor else "model units",
            factor is not None,
            f"head and feet on CCTV frame {match.frame_sha256[:12]}; ± is {COVERAGE:g} standard "
            f"deviations from the solve's residuals (RMS {match.solution.rms_px:.2f} px) and a "
            f"click precision of {click_px:g} px",
            label_message=label,
        )

    def record_height(
        self,
        scene_id: int,
        camera: str,
        label: str,
        head: tuple[float, float],
        feet: tuple[float, float],
        *,
        click_px: float = 1.0,
        base_revision: int | None = None,
        actor: str | None = None,
    ) -> MeasuredValue:
        """Read a height off the matched camera's frame (as :meth:`height`) and keep the clicks
        with the camera in the scene's next revision, so that the exhibit shows it."""
        self.scenes.require(scene_id, "scene.edit")
        value = self.height(scene_id, camera, head, feet, click_px=click_px)
        info = self.scenes.info(scene_id)
        doc = self.scenes.document(scene_id)
        _entity_id, match = self._matched(doc, camera)
        reading = FrameHeight(label, head, feet, click_px)
        heights = (*(h for h in match.heights if h.label != reading.label), reading)
        self.scenes.save(
            scene_id,
            doc.with_camera(replace(match, heights=heights)),
            info.revision if base_revision is None else base_revision,
            actor=actor,
        )
        return value

    def solution(self, scene_id: int, camera: str, revision: int | None = None) -> CameraMatch:
        """The match of camera ``camera`` (id or label) in the scene at ``revision``."""
        self.scenes.require(scene_id, "scene.view")  # a frame's readings: the whole scene
        doc = self.scenes.document(scene_id, revision)
        return self._matched(doc, camera)[1]


def pairs_from_arrays(pixels: Any, points: Any) -> tuple[PointPair, ...]:
    """Pairs from pixels ``(n, 2)`` and model points ``(n, 3)``."""
    uv = np.asarray(pixels, dtype=float).reshape(-1, 2)
    xyz = np.asarray(points, dtype=float).reshape(-1, 3)
    if len(uv) != len(xyz):
        raise InvalidInput("Each pixel needs one model point.")
    return tuple(PointPair(*row) for row in np.c_[uv, xyz].tolist())
