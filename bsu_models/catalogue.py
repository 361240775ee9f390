"""The catalogue service: cases, landmark models and their versions, stored files, verify.

``Catalogue`` is what the CLI and the web app hold. Database sessions open and close inside each
method; only frozen records from ``bsu_models.core.records`` are returned.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.orm import Session, selectinload

from bsu_models.core import limits
from bsu_models.core.audit import append_event, to_record
from bsu_models.core.audit import head as audit_head
from bsu_models.core.audit_export import AuditFilter, events_csv, filter_events
from bsu_models.core.audit_head import register_head_file
from bsu_models.core.blob_gc import GcResult, collect
from bsu_models.core.blobstore import LocalBlobStore
from bsu_models.core.db import make_engine, read_session, write_retrying, write_session
from bsu_models.core.errors import BsuError, Conflict, InvalidInput, Message, NotFound, StorageError
from bsu_models.core.integrity import verify_catalogue
from bsu_models.core.orm import (
    AuditRow,
    CaseLeadRow,
    CaseMemberRow,
    CaseRow,
    ModelRow,
    VersionRow,
)
from bsu_models.core.records import (
    AuditEvent,
    AuditHead,
    CaseInfo,
    ImportResult,
    ModelSummary,
    StoredFileInfo,
    VerifyReport,
    VersionInfo,
    file_role_name,
)
from bsu_models.core.settings import Settings, load_settings
from bsu_models.core.state_ledger import ensure_baseline
from bsu_models.core.text import casefold_search, check_length, clean_line, text_sha256
from bsu_models.core.units import format_scale, real_world_extent
from bsu_models.ingest.service import ImportRequest, Progress, run_import
from bsu_models.ingest.upload import UploadFile
from bsu_models.people.access import AccessControl, Principal, system_principal
from bsu_models.people.accounts import AccountService
from bsu_models.people.membership import MembershipService
from bsu_models.people.posts import PostService
from bsu_models.scenes.service import SceneService

if TYPE_CHECKING:
    from pathlib import Path

    from bsu_models.court.exhibit import ExhibitResult
    from bsu_models.render.stills import Still
    from bsu_models.render.video_service import VideoResult

_CASE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$")
CASE_STATUSES = ("open", "closed", "archived")
#: Where the bytes of a model shown in a browser came from: sent by the app, or its own cache.
VIEW_SOURCES = ("server", "cache")


def _version_record(row: VersionRow) -> VersionInfo:
    model = row.model
    lo, hi = row.bounds
    return VersionInfo(
        version_id=row.id,
        model_id=model.id,
        case_reference=model.case.reference,
        model_name=model.name,
        location=model.location,
        description=model.description,
        tags=tuple(model.tags or ()),
        number=row.number,
        original_sha256=row.original_sha256,
        original_name=row.original_name,
        mesh_member=row.mesh_member,
        format=row.format,
        size_bytes=row.size_bytes,
        uploaded_by=row.uploaded_by,
        uploaded_at=row.uploaded_at,
        vertices=row.vertices,
        faces=row.faces,
        bounds=(tuple(lo), tuple(hi)),  # type: ignore[arg-type]
        watertight=row.watertight,
        surface_area=row.surface_area,
        has_texture=row.has_texture,
        units=row.units,
        scale=format_scale(row.scale_denominator),
        real_world_extent_m=real_world_extent(row.bounds, row.units, row.scale_denominator),
        up_axis=row.up_axis,
        north_axis=row.north_axis,
        warnings=tuple(
            Message.from_json(w) if isinstance(w, dict) else str(w) for w in row.warnings or ()
        ),
        files=tuple(
            StoredFileInfo(
                f.role, f.name, f.sha256, f.size_bytes, f.media_type, f.derived_from_sha256
            )
            for f in row.files
        ),
    )


def _version_query() -> Select[VersionRow]:
    return select(VersionRow).options(
        selectinload(VersionRow.model).selectinload(ModelRow.case),
        selectinload(VersionRow.files),
    )


class Catalogue:
    """One catalogue: a database plus a blob store, as configured by ``Settings``."""

    def __init__(self, settings: Settings, user: Principal | None = None) -> None:
        self.settings = settings
        self.user = user or system_principal(settings.actor)
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                "Cannot use the data folder {folder}: {reason}.",
                folder=str(settings.data_dir),
                reason=exc.strerror,
            ) from exc
        self.blobs = LocalBlobStore(settings.blob_dir)
        self.engine: Engine = make_engine(settings.database_url)
        register_head_file(self.engine, settings.audit_head_file)
        ensure_baseline(self.engine)
        self.scenes = SceneService(self)
        self.access = AccessControl(self.engine, self.user)
        self.accounts = AccountService(self)
        self.memberships = MembershipService(self)
        self.posts = PostService(self)

    def as_user(self, user: Principal) -> Catalogue:
        """The same catalogue acting for ``user``: every read and change is checked against
        their roles and case membership and recorded under their name."""
        bound = object.__new__(Catalogue)
        bound.settings, bound.blobs, bound.engine = self.settings, self.blobs, self.engine
        bound.user = user
        bound.scenes = SceneService(bound)
        bound.access = AccessControl(bound.engine, user)
        bound.accounts = AccountService(bound)
        bound.memberships = MembershipService(bound)
        bound.posts = PostService(bound)
        return bound

    def close(self) -> None:
        self.engine.dispose()

    def actor_name(self, actor: str | None = None) -> str:
        """Who an action is recorded under: the signed-in user, whatever a caller passes;
        for the system, the name given or the configured one."""
        if not self.user.system:
            return self.user.username
        return check_length(actor or self.settings.actor, Message("The actor name"), limits.ACTOR)

    def _case_id(self, reference: str) -> int | None:
        with read_session(self.engine) as session:
            return session.scalar(select(CaseRow.id).where(CaseRow.reference == reference))

    def require_case(self, action: str, reference: str, object_type: str = "case",
                     object_id: str = "") -> None:  # fmt: skip
        """Refuse (and record) ``action`` on case ``reference`` unless the user may do it."""
        self.access.require(
            action,
            self._case_id(reference),
            object_type=object_type,
            object_id=object_id or reference,
            case_label=reference,
        )

    def refusal(self, action: str, case: str | None = None) -> Message | None:
        """Why the user may not do ``action`` (on case ``case``), as a sentence to show beside
        a control they may not use; None when they may. Records nothing."""
        return self.access.refusal(action, self._case_id(case) if case else None, case or "")

    def may(self, action: str, case: str | None = None) -> bool:
        """Whether the user may do ``action`` (on case ``case``); see ``refusal``."""
        return self.refusal(action, case) is None

    # -- cases ---------------------------------------------------------------------------------

    def add_case(
        self, reference: str, title: str, status: str = "open", actor: str | None = None
    ) -> CaseInfo:
        reference = reference.strip()
        if not _CASE_REF.match(reference):
            raise InvalidInput(
                "Case reference {reference!r} must be letters, digits and - / _ . "
                "(e.g. KC-2026-0142).",
                reference=reference,
            )
        title = clean_line(title, Message("Case title"))
        if status not in CASE_STATUSES:
            raise InvalidInput(
                "Case status must be one of {choices}.", choices=", ".join(CASE_STATUSES)
            )
        self.access.require("case.create", object_id=reference)
        actor = self.actor_name(actor)

        def create(session: Session) -> CaseInfo:
            # Two people opening the same reference at once meet at its unique key; the retry's
            # check then tells the second that the case exists.
            if session.scalar(select(CaseRow.id).where(CaseRow.reference == reference)):
                raise Conflict("Case {reference} already exists.", reference=reference)
            row = CaseRow(reference=reference, title=title, status=status, created_by=actor)
            session.add(row)
            session.flush()
            if not self.user.system and self.user.may("case.view"):
                # Whoever opens a case works on it and leads it (grants its membership); an
                # admin's case gets members from two admins.
                session.add(CaseMemberRow(case_id=row.id, username=actor, added_by=actor))
                session.add(CaseLeadRow(case_id=row.id, username=actor, added_by=actor))
            append_event(
                session,
                actor=actor,
                action="case.create",
                object_type="case",
                object_id=reference,
                details={"title_sha256": text_sha256(title), "status": status},
            )
            return CaseInfo(row.reference, row.title, row.status, row.created_at, 0)

        return write_retrying(self.engine, create)

    def list_cases(self) -> list[CaseInfo]:
        """Cases the user may see: members see theirs; admins see every case's reference and
        title (to manage membership), and nothing inside them."""
        visible = None if self.user.may("case.members") else self.access.member_case_ids()
        if visible is not None and not self.user.may("case.view"):
            return []
        with read_session(self.engine) as session:
            counts = {
                case_id: count
                for case_id, count in session.execute(
                    select(ModelRow.case_id, func.count(ModelRow.id)).group_by(ModelRow.case_id)
                )
            }
            return [
                CaseInfo(c.reference, c.title, c.status, c.created_at, counts.get(c.id, 0))
                for c in session.scalars(select(CaseRow).order_by(CaseRow.reference))
                if visible is None or c.id in visible
            ]

    def get_case(self, reference: str) -> CaseInfo:
        for case in self.list_cases():
            if case.reference == reference:
                return case
        raise NotFound("There is no case {reference!r}.", reference=reference)

    # -- models --------------------------------------------------------------------------------

    def import_model(
        self,
        files: Iterable[UploadFile],
        *,
        case: str,
        name: str,
        units: str = "unknown",
        scale: str | None = None,
        member: str | None = None,
        location: str = "",
        description: str = "",
        tags: Iterable[str] = (),
        up_axis: str = "+z",
        north_axis: str = "+y",
        actor: str | None = None,
        progress: Progress | None = None,
    ) -> ImportResult:
        """Import an upload as a new version (of a new or existing model named ``name``)."""
        actor = self.actor_name(actor)
        self.require_case("model.import", case.strip())
        request = ImportRequest(
            case_reference=case.strip(),
            name=name,
            files=tuple(files),
            units=units,
            scale=scale,
            member=member,
            location=location,
            description=description,
            tags=tuple(tags),
            up_axis=up_axis,
            north_axis=north_axis,
        )
        try:
            version_id = run_import(
                self.engine, self.blobs, self.settings, request, actor, progress
            )
        except BsuError as exc:
            self._record_refusal(request, actor, exc)
            raise
        version = self.get_version(version_id)
        return ImportResult(version=version, created_model=version.number == 1)

    def _record_refusal(self, request: ImportRequest, actor: str, exc: BsuError) -> None:
        try:
            with write_session(self.engine) as session:
                append_event(
                    session,
                    actor=actor,
                    action="model.import",
                    object_type="case",
                    object_id=request.case_reference,
                    outcome="refused",
                    details={
                        # The sentence without its values (which name files and models).
                        "reason": exc.template,
                        "files": [
                            {
                                "name_sha256": text_sha256(f.name),
                                "size": len(f.data),
                                "sha256": hashlib.sha256(f.data).hexdigest(),
                            }
                            for f in request.files
                        ],
                    },
                )
        except BsuError:
            pass  # the refusal itself is what the user needs to see

    def get_version(self, version_id: int) -> VersionInfo:
        with read_session(self.engine) as session:
            row = session.scalars(_version_query().where(VersionRow.id == version_id)).one_or_none()
            if row is None:
                raise NotFound("There is no model version {version}.", version=version_id)
            record, case_id = _version_record(row), row.model.case_id
        self.access.require(
            "case.view",
            case_id,
            object_type="version",
            object_id=str(version_id),
            case_label=record.case_reference,
        )
        return record

    def versions_of(self, model_id: int) -> list[VersionInfo]:
        with read_session(self.engine) as session:
            rows = session.scalars(
                _version_query().where(VersionRow.model_id == model_id).order_by(VersionRow.number)
            ).all()
            if not rows:
                raise NotFound("There is no landmark model {model}.", model=model_id)
            records = [_version_record(r) for r in rows]
            case_id = rows[0].model.case_id
        self.access.require(
            "case.view",
            case_id,
            object_type="model",
            object_id=str(model_id),
            case_label=records[0].case_reference,
        )
        return records

    def list_models(self, case: str | None = None, query: str | None = None) -> list[ModelSummary]:
        """Models (with their latest version), filtered by case and by a free-text query;
        only those of cases the user is a member of."""
        if not self.user.may("case.view"):
            return []
        visible = self.access.member_case_ids()
        with read_session(self.engine) as session:
            stmt = _version_query().join(VersionRow.model).join(ModelRow.case)
            if case:
                stmt = stmt.where(CaseRow.reference == case)
            rows = session.scalars(stmt.order_by(ModelRow.id, VersionRow.number)).all()
            by_model: dict[int, list[VersionRow]] = {}
            for row in rows:
                by_model.setdefault(row.model_id, []).append(row)
            summaries = []
            needle = casefold_search(query.strip()) if query and query.strip() else None
            for versions in by_model.values():
                latest = versions[-1]
                model = latest.model
                if visible is not None and model.case_id not in visible:
                    continue
                if needle is not None:
                    haystack = " ".join(
                        [
                            model.name,
                            model.location,
                            model.description,
                            model.case.reference,
                            *model.tags,
                            *(v.original_name for v in versions),
                        ]
                    )
                    if needle not in casefold_search(haystack):
                        continue
                summaries.append(
                    ModelSummary(
                        model_id=model.id,
                        case_reference=model.case.reference,
                        name=model.name,
                        location=model.location,
                        tags=tuple(model.tags or ()),
                        version_count=len(versions),
                        latest=_version_record(latest),
                    )
                )
            return summaries

    # -- stored files --------------------------------------------------------------------------

    def _file_of(self, version_id: int, role: str) -> StoredFileInfo:
        version = self.get_version(version_id)
        for stored in version.files:
            if stored.role == role:
                return stored
        raise NotFound(
            "Model version {version} has no {file}.", version=version_id, file=file_role_name(role)
        )

    def thumbnail_png(self, version_id: int) -> bytes:
        return self.blobs.get(self._file_of(version_id, "thumbnail").sha256)

    def web_glb(
        self, version_id: int, actor: str | None = None, scene: tuple[int, int] | None = None
    ) -> bytes:
        """The browser copy of a version; with ``actor``, recorded as that person viewing it
        (with the scene and revision shown on it, if any)."""
        stored = self._file_of(version_id, "web_glb")
        data = self.blobs.get(stored.sha256)
        if actor is not None or not self.user.system:
            self._record_view(version_id, stored, "server", actor, scene)
        return data

    def record_view(
        self,
        version_id: int,
        web_sha256: str,
        source: str = "cache",
        actor: str | None = None,
        scene: tuple[int, int] | None = None,
    ) -> None:
        """Record that a browser showed the web copy of a version (SHA-256 ``web_sha256``)
        that it already held (``source`` "cache": its IndexedDB copy), with the scene and
        revision ``scene`` drawn on it if any, so that every display of a model or scene is an
        audit event, wherever its bytes came from."""
        stored = self._file_of(version_id, "web_glb")
        if source not in VIEW_SOURCES:
            raise InvalidInput(
                "A view comes from one of {sources}, not {source!r}.",
                sources=", ".join(VIEW_SOURCES),
                source=source,
            )
        if web_sha256 != stored.sha256:
            raise InvalidInput(
                "The browser showed {shown}, which is not the web copy of model version {version}.",
                shown=str(web_sha256)[:64],
                version=version_id,
            )
        self._record_view(version_id, stored, source, actor, scene)

    def _record_view(
        self,
        version_id: int,
        stored: StoredFileInfo,
        source: str,
        actor: str | None,
        scene: tuple[int, int] | None,
    ) -> None:
        details: dict[str, object] = {"web_copy": stored.sha256, "source": source}
        if scene is not None:
            info = self.scenes.info(scene[0])  # which the user may see
            if info.version_id != version_id:
                raise InvalidInput(
                    "Scene {scene_id} is on model version {actual}, not {requested}.",
                    scene_id=scene[0],
                    actual=info.version_id,
                    requested=version_id,
                )
            details.update(scene=scene[0], revision=int(scene[1]))
        with write_session(self.engine) as session:
            append_event(
                session,
                actor=self.actor_name(actor),
                action="model.view",
                object_type="version",
                object_id=str(version_id),
                object_sha256=stored.derived_from_sha256,
                details=details,
            )

    def original_files(self, version_id: int, actor: str | None = None) -> list[tuple[str, bytes]]:
        """The files exactly as uploaded, integrity-checked; recorded as an audit event."""
        version = self.get_version(version_id)
        self.require_case("model.download", version.case_reference, "version", str(version_id))
        originals = [f for f in version.files if f.role in ("mesh", "companion", "archive")]
        data = [(f.name, self.blobs.get_verified(f.sha256)) for f in originals]
        with write_session(self.engine) as session:
            append_event(
                session,
                actor=self.actor_name(actor),
                action="model.download",
                object_type="version",
                object_id=str(version_id),
                object_sha256=version.original_sha256,
                details={"files": [{"role": f.role, "sha256": f.sha256} for f in originals]},
            )
        return data

    # -- integrity -----------------------------------------------------------------------------

    def verify(self) -> VerifyReport:
        """Re-hash every stored file, match rows to files both ways, and walk the audit chain
        (``bsu_models.core.integrity``)."""
        self.access.require("integrity.verify", object_type="catalogue")
        return verify_catalogue(self.engine, self.blobs, self.settings.audit_head_file)

    def audit_head(self) -> AuditHead:
        """The audit chain's last event and hash: print or send it daily to anchor the chain
        outside this server (README, "What verify catches")."""
        self.access.require("integrity.verify", object_type="audit")
        event_id, digest, at = audit_head(self.engine)
        return AuditHead(event_id, digest, at)

    def collect_garbage(self, dry_run: bool = True) -> GcResult:
        """Remove (or with ``dry_run`` only list) stored bytes no row refers to, older than an
        hour (``bsu_models.core.blob_gc``)."""
        self.access.require("integrity.gc", object_type="blob_store")
        return collect(self.engine, self.blobs, self.actor_name(), dry_run=dry_run)

    def render_still(self, version_id: int, **options: Any) -> Still:
        """A still PNG of a version; options as ``still_service.render_version_still``."""
        from bsu_models.render.still_service import render_version_still

        version = self.get_version(version_id)
        self.require_case("render", version.case_reference, "version", str(version_id))
        return render_version_still(self, version_id, **options)

    def render_video(self, scene_id: int, out: Path, **options: Any) -> VideoResult:
        """The fly-through MP4 of a scene written to ``out``; options as
        ``video_service.render_scene_video``."""
        from bsu_models.render.video_service import render_scene_video

        info = self.scenes.info(scene_id)
        self.require_case("render", info.case_reference, "scene", str(scene_id))
        return render_scene_video(self, scene_id, out, **options)

    def build_exhibit(
        self,
        scene_id: int,
        out: Path,
        exhibit_number: str | None = None,
        actor: str | None = None,
        lang: str = "en",
        video: bool | dict[str, Any] = False,
    ) -> ExhibitResult:
        """Write the court exhibit package of a frozen scene (``bsu_models.court.exhibit``), its own
        words in ``lang``; with ``video`` (True, or its options), the fly-through video too."""
        from bsu_models.court.exhibit import build_exhibit

        return build_exhibit(self, scene_id, out, exhibit_number, actor, lang, video)

    def exhibit_zip(
        self,
        scene_id: int,
        exhibit_number: str | None = None,
        actor: str | None = None,
        lang: str = "en",
    ) -> tuple[str, bytes, ExhibitResult]:
        """The court exhibit package of a frozen scene as zip bytes and a file name, its own
        words in ``lang``."""
        from bsu_models.court.exhibit import exhibit_zip

        return exhibit_zip(self, scene_id, exhibit_number, actor, lang)

    def audit_events(
        self, limit: int | None = 200, wanted: AuditFilter | None = None
    ) -> list[AuditEvent]:
        """Audit events, newest first (auditors only); ``wanted`` filters them."""
        self.access.require("audit.read", object_type="audit")
        with read_session(self.engine) as session:
            stmt = select(AuditRow).order_by(AuditRow.id.desc())
            if wanted is None and limit is not None:
                stmt = stmt.limit(limit)
            events = [to_record(r) for r in session.scalars(stmt)]
        if wanted is not None:
            events = filter_events(events, wanted)[:limit]
        return events

    def audit_csv(self, wanted: AuditFilter | None = None) -> bytes:
        """The (filtered) audit log as CSV; the export itself is an audit event."""
        events = self.audit_events(None, wanted)
        data = events_csv(events)
        with write_session(self.engine) as session:
            append_event(
                session,
                actor=self.actor_name(),
                action="audit.export",
                object_type="audit",
                object_id="csv",
                object_sha256=hashlib.sha256(data).hexdigest(),
                details={"events": len(events), "filter": (wanted or AuditFilter()).__dict__},
            )
        return data


def open_catalogue(settings: Settings | None = None) -> Catalogue:
    """Open the catalogue described by ``settings`` (default: from ``BSU_*`` variables)."""
    return Catalogue(settings or load_settings())
