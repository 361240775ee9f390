"""The scene service: scenes on model versions, their revisions, JSON, measurements, sightlines.

Every change stores the whole new document as the next numbered revision (revisions never
change) and appends an audit event carrying what changed. A change or a freeze locks the scene
row first, so two writers at once take turns: the second is told the scene changed (or froze).
Positions are checked against the model's bounds; measurements and sightlines run on the
version's stored geometry.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
from sqlalchemy import Engine, Select, select
from sqlalchemy.orm import Session, selectinload

from bsu_models.core.audit import append_event, head_file_problems, record_event
from bsu_models.core.audit_head import HeadPlace, registered_head
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import read_session, write_session
from bsu_models.core.errors import (
    Conflict,
    IntegrityError,
    InvalidInput,
    Message,
    NotFound,
)
from bsu_models.core.orm import (
    ModelRow,
    SceneFreezeRow,
    SceneRevisionRow,
    SceneRow,
    VersionRow,
)
from bsu_models.core.records import RevisionInfo, SceneInfo
from bsu_models.core.state_ledger import confirm_rows, row_key
from bsu_models.core.text import text_sha256
from bsu_models.core.versions import get_version
from bsu_models.ingest.geometry import (
    check_within_bounds,
)
from bsu_models.scenes.scene_accounts import SceneAccounts
from bsu_models.scenes.scene_analysis import SceneAnalysis
from bsu_models.scenes.scene_diff import scene_change_messages, scene_change_refs, scene_changes
from bsu_models.scenes.scene_geometry import SceneGeometry
from bsu_models.scenes.scene_items import check_label
from bsu_models.scenes.scene_json import scene_from_json, scene_to_json
from bsu_models.scenes.scene_model import SceneDoc
from bsu_models.scenes.scene_public import public_document, public_tolerance
from bsu_models.scenes.scene_review import (
    SceneReviewing,
    require_approved_review,
    review_row_ids,
)
from bsu_models.scenes.scene_states import SceneStates, refuse_if_archived, refuse_taken_name
from bsu_models.scenes.site_frame import site_frame


def _canonical(doc: SceneDoc) -> str:
    return json.dumps(scene_to_json(doc), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _info(row: SceneRow) -> SceneInfo:
    latest = row.revisions[-1]
    freeze = row.freeze
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
        frozen_revision=freeze.revision if freeze else None,
        frozen_by=freeze.frozen_by if freeze else "",
        frozen_at=freeze.frozen_at if freeze else None,
        archived=bool(row.states) and row.states[-1].archived,
    )


def _check_revision(row: SceneRow, revision: SceneRevisionRow) -> None:
    """Refuse a revision whose document no longer hashes to its recorded SHA-256, or a frozen
    revision that no longer matches the hash recorded when it was frozen."""
    actual = hashlib.sha256(revision.document.encode()).hexdigest()
    frozen = row.freeze
    expected = [revision.sha256]
    if frozen is not None and frozen.revision == revision.number:
        expected.append(frozen.sha256)
    if any(actual != sha for sha in expected):
        raise IntegrityError(
            "Scene {scene_id} revision {revision} no longer matches its recorded SHA-256 "
            "(changed outside the catalogue); nothing is built from it. Run verify.",
            scene_id=row.id,
            revision=revision.number,
        )


def _confirm_rows(session: Session, row: SceneRow, head_file: HeadPlace) -> None:
    """Refuse court output from a scene whose rows (the scene, its revisions and freeze, the
    model version and its files) differ from what the audit chain records."""
    version = row.version
    keys = [
        row_key("scenes", row.id),
        row_key("model_versions", version.id),
        row_key("landmark_models", version.model_id),
        *(row_key("scene_revisions", r.id) for r in row.revisions),
        *(row_key("stored_files", f.id) for f in version.files),
    ]
    if row.freeze is not None:
        keys.append(row_key("scene_freezes", row.freeze.id))
    keys += [row_key("scene_reviews", review) for review in review_row_ids(session, row.id)]
    problems = confirm_rows(session, keys)
    problems += head_file_problems(head_file, session, allow_older=True)
    if problems:
        raise IntegrityError(
            "Scene {scene_id} cannot be used for court: {problem} Run verify.",
            scene_id=row.id,
            problem=problems[0],
        )


def _scene_query() -> Select[SceneRow]:
    return select(SceneRow).options(
        selectinload(SceneRow.revisions),
        selectinload(SceneRow.freeze),
        selectinload(SceneRow.states),
        selectinload(SceneRow.version).selectinload(VersionRow.model).selectinload(ModelRow.case),
    )


def _refuse_if_frozen(row: SceneRow) -> None:
    if row.freeze is not None:
        raise Conflict(
            "Scene {scene_id} ({name}) is frozen for court at revision {revision} "
            "by {frozen_by}; it cannot change. Copy it to a new scene to go on working.",
            scene_id=row.id,
            name=row.name,
            revision=row.freeze.revision,
            frozen_by=row.freeze.frozen_by,
        )


class SceneService(SceneGeometry, SceneReviewing, SceneAnalysis, SceneStates, SceneAccounts):
    """Scenes of one catalogue; reached as ``catalogue.scenes``."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @property
    def _engine(self) -> Engine:
        return self.ctx.engine

    def _head(self) -> HeadPlace:
        return registered_head(self.ctx.engine, self.ctx.settings.audit_head_file)

    def _actor(self, actor: str | None) -> str:
        return self.ctx.actor_name(actor)

    def _case_of(self, scene_id: int) -> tuple[int, str]:
        """The case of the scene's model: what access is checked against (the scene row's own
        ``case_id`` is a copy that only the model's case may confirm)."""
        with read_session(self._engine) as session:
            row = self._row(session, scene_id)
            case = row.version.model.case
            return case.id, case.reference

    def require(self, scene_id: int, action: str) -> None:
        """Refuse (and record) ``action`` on the scene unless the user may do it there."""
        case_id, reference = self._case_of(scene_id)
        self.ctx.access.require(
            action, case_id, object_type="scene", object_id=str(scene_id), case_label=reference
        )

    def reads_whole(self, scene_id: int) -> bool:
        """Whether the user reads the whole scene (``scene.view``: True) or only its public
        derivative (``scene.view_public``: False, see ``bsu_models.scenes.scene_public``); refuses
        (and records) anyone who may do neither."""
        case_id, reference = self._case_of(scene_id)
        access, user = self.ctx.access, self.ctx.user
        if access.allowed("scene.view", case_id):
            return True
        action = "scene.view_public" if user.may("scene.view_public") else "scene.view"
        access.require(
            action, case_id, object_type="scene", object_id=str(scene_id), case_label=reference
        )
        return False

    # -- reading --------------------------------------------------------------------------------

    def _row(self, session: Session, scene_id: int, lock: bool = False) -> SceneRow:
        """The scene; with ``lock``, locked until the transaction ends, so that the revision
        and freeze read from it are still current when a change based on them commits."""
        stmt = _scene_query().where(SceneRow.id == scene_id)
        if lock:
            stmt = stmt.with_for_update(key_share=True)
        row = session.scalars(stmt).one_or_none()
        if row is None:
            raise NotFound("There is no scene {scene_id}.", scene_id=scene_id)
        return row

    def info(self, scene_id: int) -> SceneInfo:
        self.reads_whole(scene_id)
        with read_session(self._engine) as session:
            return _info(self._row(session, scene_id))

    def info_on(self, scene_id: int, version_id: int) -> SceneInfo:
        """``info`` of a scene that must be on model version ``version_id``."""
        info = self.info(scene_id)
        if info.version_id != version_id:
            raise InvalidInput(
                "Scene {scene_id} is on model version {actual}, not {requested}.",
                scene_id=scene_id,
                actual=info.version_id,
                requested=version_id,
            )
        return info

    def list_scenes(
        self, version_id: int | None = None, include_archived: bool = False
    ) -> list[SceneInfo]:
        """Scenes (of one version) on cases the user is a member of; archived ones only with
        ``include_archived``."""
        user = self.ctx.user
        if not (user.may("scene.view") or user.may("scene.view_public")):
            return []
        visible = self.ctx.access.member_case_ids()
        with read_session(self._engine) as session:
            stmt = _scene_query().order_by(SceneRow.id)
            if version_id is not None:
                stmt = stmt.where(SceneRow.version_id == version_id)
            found = [
                _info(row)
                for row in session.scalars(stmt)
                if visible is None or row.version.model.case_id in visible
            ]
            return [s for s in found if include_archived or not s.archived]

    def document(self, scene_id: int, revision: int | None = None) -> SceneDoc:
        """The scene at ``revision`` (default: current). Old revisions are read-only values.

        Someone who may see only the public form of scenes (``scene.view_public``) gets the
        public derivative of the current revision, and no older revision: an entity marked
        sensitive later was not sensitive in the revisions before.
        """
        whole = self.reads_whole(scene_id)
        if not whole and revision is not None and revision != self.current_revision(scene_id)[0]:
            self.require(scene_id, "scene.view")
        with read_session(self._engine) as session:
            row = self._row(session, scene_id)
            number = row.current_revision if revision is None else revision
            found = [r for r in row.revisions if r.number == number]
            if not found:
                raise NotFound(
                    "Scene {scene_id} has no revision {revision} (it has 1 to {current}).",
                    scene_id=scene_id,
                    revision=number,
                    current=row.current_revision,
                )
            _check_revision(row, found[0])
            doc = scene_from_json(json.loads(found[0].document))
            version_id = row.version_id
        return doc if whole else self.public_form(doc, version_id)

    def public_form(self, doc: SceneDoc, version_id: int) -> SceneDoc:
        """``doc`` without what is sensitive, positions matched within the model's mesh
        resolution (``bsu_models.scenes.scene_public``)."""
        try:
            tolerance: float | None = public_tolerance(self.geometry(version_id))
        except NotFound:
            tolerance = None  # no stored geometry: the document's own extent decides
        return public_document(doc, tolerance)

    def current_revision(self, scene_id: int) -> tuple[int, str]:
        """The number and SHA-256 of the scene's current revision."""
        self.reads_whole(scene_id)
        with read_session(self._engine) as session:
            latest = self._row(session, scene_id).revisions[-1]
            return latest.number, latest.sha256

    def confirm_for_court(self, scene_id: int) -> None:
        """Refuse (``IntegrityError``) when the scene's rows differ from the audit chain's
        record of them, or its frozen revision from its hash; exhibits call this first."""
        self.require(scene_id, "exhibit.export")
        with read_session(self._engine) as session:
            row = self._row(session, scene_id)
            for revision in row.revisions:
                _check_revision(row, revision)
            _confirm_rows(session, row, self._head())

    def history(self, scene_id: int) -> list[RevisionInfo]:
        """Every revision with its author and summary (whole-scene readers only: summaries
        name sensitive entities)."""
        self.require(scene_id, "scene.view")
        with read_session(self._engine) as session:
            return [
                RevisionInfo(r.number, r.author, r.created_at, r.summary, r.sha256)
                for r in self._row(session, scene_id).revisions
            ]

    def compare(self, scene_id: int, old: int, new: int | None = None) -> list[str]:
        """Sentences saying how revision ``new`` (default: current) differs from ``old``, in
        English (as ``--json`` gives them)."""
        return [str(change) for change in self.compare_messages(scene_id, old, new)]

    def compare_messages(self, scene_id: int, old: int, new: int | None = None) -> list[Message]:
        """The sentences of :meth:`compare` as messages, to show in the user's language
        (``bsu_models.core.i18n.localise``)."""
        self.require(scene_id, "scene.view")
        site = site_frame(get_version(self.ctx, self.info(scene_id).version_id))
        return scene_change_messages(
            self.document(scene_id, old), self.document(scene_id, new), site
        )

    # -- geometry -------------------------------------------------------------------------------

    # -- writing --------------------------------------------------------------------------------

    def create(
        self, version_id: int, name: str, actor: str | None = None, document: SceneDoc | None = None
    ) -> SceneInfo:
        """A new scene on a model version (empty, or with ``document``)."""
        version_info = get_version(self.ctx, version_id)
        self.ctx.require_case("scene.edit", version_info.case_reference, "version", str(version_id))
        doc = document or SceneDoc(name=check_label(name, Message("Scene name")))
        if document is not None and name:
            doc = SceneDoc(**{**doc.__dict__, "name": check_label(name, Message("Scene name"))})
        self._check_positions(version_id, doc)
        actor = self._actor(actor)
        with write_session(self._engine) as session:
            version = session.get(VersionRow, version_id)
            if version is None:
                raise NotFound("There is no model version {version_id}.", version_id=version_id)
            refuse_taken_name(session, version_id, doc.name)
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
                details={
                    "version": version_id,
                    "name_sha256": text_sha256(doc.name),
                    "revision": 1,
                },
            )
            return self._written(session, row.id)

    def save(
        self,
        scene_id: int,
        doc: SceneDoc,
        base_revision: int,
        summary: str = "",
        actor: str | None = None,
    ) -> SceneInfo:
        """Store ``doc`` as the next revision of a scene last read at ``base_revision``."""
        self.require(scene_id, "scene.edit")
        actor = self._actor(actor)
        info = self.info(scene_id)
        self._check_positions(info.version_id, doc)
        site = site_frame(get_version(self.ctx, info.version_id))
        with write_session(self._engine) as session:
            row = self._row(session, scene_id, lock=True)
            _refuse_if_frozen(row)
            refuse_if_archived(row)
            if doc.name != row.name:
                refuse_taken_name(session, row.version_id, doc.name, row.id)
            if row.current_revision != base_revision:
                raise Conflict(
                    "Scene {scene_id} changed since revision {base} (it is now at "
                    "revision {current}); reload it and make the change again.",
                    scene_id=scene_id,
                    base=base_revision,
                    current=row.current_revision,
                )
            before = scene_from_json(json.loads(row.revisions[-1].document))
            changes = scene_changes(before, doc, site)
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
                    # References only: auditors who may not read the case read these details.
                    "changes": scene_change_refs(before, doc),
                    "summary_sha256": text_sha256(summary),
                },
            )
            return self._written(session, scene_id)

    def copy(self, scene_id: int, name: str, actor: str | None = None) -> SceneInfo:
        """A new scene holding the current document of ``scene_id`` (how work goes on after
        a freeze)."""
        info = self.info(scene_id)
        doc = self.document(scene_id)
        return self.create(info.version_id, name, actor, document=doc)

    def freeze(
        self, scene_id: int, revision: int | None = None, actor: str | None = None
    ) -> SceneInfo:
        """Freeze the scene for court at ``revision`` (default: current); it changes no more.
        Needs an approved technical review of exactly that revision (``scene_review``)."""
        self.require(scene_id, "scene.freeze")
        actor = self._actor(actor)
        with write_session(self._engine) as session:
            row = self._row(session, scene_id, lock=True)
            _refuse_if_frozen(row)
            number = row.current_revision if revision is None else revision
            if number != row.current_revision:
                # Freezing an older revision would leave later ones looking current.
                raise InvalidInput(
                    "Scene {scene_id} is at revision {current}; only the current "
                    "revision can be frozen (asked for {revision}).",
                    scene_id=scene_id,
                    current=row.current_revision,
                    revision=number,
                )
            frozen = row.revisions[-1]
            _check_revision(row, frozen)
            review = require_approved_review(session, row)
            _confirm_rows(session, row, self._head())
            row.freeze = SceneFreezeRow(
                scene_id=row.id, revision=number, sha256=frozen.sha256, frozen_by=actor
            )
            session.flush()
            append_event(
                session,
                actor=actor,
                action="scene.freeze",
                object_type="scene",
                object_id=str(scene_id),
                object_sha256=frozen.sha256,
                details={"revision": number, "review": review.id},
            )
            return self._written(session, scene_id)

    def _written(self, session: Session, scene_id: int) -> SceneInfo:
        """The scene as this transaction leaves it (not as a later writer may have)."""
        session.flush()
        session.expire_all()
        return _info(self._row(session, scene_id))

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
            where = Message("Position of {label!r}", label=doc.entity(pos.entity).label)
            check_within_bounds(geometry, np.asarray(pos.point), where)
        for m in doc.measurements:
            for anchor in (m.a, m.b, m.vertex):
                if anchor is not None and anchor.point is not None:
                    check_within_bounds(
                        geometry,
                        np.asarray(anchor.point),
                        Message("Measurement {id} point", id=m.id),
                    )

    # -- JSON -----------------------------------------------------------------------------------

    def export_json(
        self, scene_id: int, revision: int | None = None, actor: str | None = None
    ) -> dict[str, Any]:
        self.require(scene_id, "scene.export")
        info = self.info(scene_id)
        number = info.revision if revision is None else revision
        doc = self.document(scene_id, number)
        version = get_version(self.ctx, info.version_id)
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
        record_event(
            self._engine,
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
        version = get_version(self.ctx, int(target_version))
        if named.get("sha256") and named["sha256"] != version.original_sha256:
            raise InvalidInput(
                "Scene file's coordinates refer to model {file_model}, but version "
                "{version} is {version_model}; they do not match.",
                file_model=named["sha256"][:12],
                version=version.version_id,
                version_model=version.original_sha256[:12],
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
