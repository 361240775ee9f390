"""The catalogue service: cases, landmark models and their versions, stored files, verify.

``Catalogue`` is what the CLI and the web app hold. Database sessions open and close inside each
method; only frozen records from ``bsu_models.core.records`` are returned.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select

from bsu_models.core import cases, places, versions
from bsu_models.core.access import AccessControl, Principal, system_principal
from bsu_models.core.audit import head as audit_head
from bsu_models.core.audit import record_event, to_record
from bsu_models.core.audit_export import AuditFilter, events_csv, filter_events
from bsu_models.core.audit_head import register_head_file, registered_head
from bsu_models.core.blob_gc import GcResult, collect
from bsu_models.core.blobstore import BlobStore, open_audit_head, open_blob_store
from bsu_models.core.cases import CASE_STATUSES
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import make_engine, read_session
from bsu_models.core.errors import BsuError, InvalidInput, Message, StorageError
from bsu_models.core.integrity import verify_catalogue
from bsu_models.core.orm import AuditRow
from bsu_models.core.places import check_place
from bsu_models.core.records import (
    AuditEvent,
    AuditHead,
    CaseInfo,
    ImportResult,
    JobInfo,
    LevelInfo,
    ModelSummary,
    VerifyReport,
    VersionInfo,
)
from bsu_models.core.settings import Settings, load_settings
from bsu_models.core.state_ledger import ensure_baseline
from bsu_models.core.text import text_sha256
from bsu_models.ingest import level_jobs
from bsu_models.ingest.service import ImportRequest, Progress, run_import
from bsu_models.ingest.upload import UploadFile
from bsu_models.jobs.service import JobService
from bsu_models.people.accounts import AccountService
from bsu_models.people.membership import MembershipService
from bsu_models.people.posts import PostService
from bsu_models.render.stills import render_thumbnail
from bsu_models.scenes.camera_service import CameraService
from bsu_models.scenes.service import SceneService

if TYPE_CHECKING:
    from pathlib import Path

    from bsu_models.court.exhibit import ExhibitResult
    from bsu_models.fabricate.service import PrintResult
    from bsu_models.render.stills import Still
    from bsu_models.render.video_service import VideoResult

__all__ = ["CASE_STATUSES", "VIEW_SOURCES", "Catalogue", "open_catalogue"]

#: Where the bytes of a model shown in a browser came from: sent by the app, or its own cache.
VIEW_SOURCES = ("server", "cache")


class Catalogue:
    """One catalogue: a database plus a blob store, as configured by ``Settings``.

    It composes the services (``scenes``, ``accounts``, ``memberships``, ``posts``), each given
    the same ``ServiceContext``; nothing below it imports it.
    """

    def __init__(self, settings: Settings, user: Principal | None = None) -> None:
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                "Cannot use the data folder {folder}: {reason}.",
                folder=str(settings.data_dir),
                reason=exc.strerror,
            ) from exc
        engine = make_engine(settings.database_url)
        blobs = open_blob_store(settings)
        register_head_file(engine, open_audit_head(settings, blobs))
        ensure_baseline(engine)
        self._compose(
            ServiceContext(engine, blobs, settings, user or system_principal(settings.actor))
        )

    def _compose(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.scenes = SceneService(ctx)
        self.accounts = AccountService(ctx)
        self.memberships = MembershipService(ctx)
        self.posts = PostService(ctx)
        self.cameras = CameraService(ctx)
        self._jobs = JobService(ctx)

    def as_user(self, user: Principal) -> Catalogue:
        """The same catalogue acting for ``user``: every read and change is checked against
        their roles and case membership and recorded under their name."""
        bound = object.__new__(Catalogue)
        bound._compose(self.ctx.as_user(user))
        return bound

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def user(self) -> Principal:
        return self.ctx.user

    @property
    def engine(self) -> Engine:
        return self.ctx.engine

    @property
    def blobs(self) -> BlobStore:
        return self.ctx.blobs

    @property
    def access(self) -> AccessControl:
        return self.ctx.access

    def close(self) -> None:
        self.engine.dispose()

    def actor_name(self, actor: str | None = None) -> str:
        """Who an action is recorded under (``ServiceContext.actor_name``)."""
        return self.ctx.actor_name(actor)

    def require_case(
        self, action: str, reference: str, object_type: str = "case", object_id: str = ""
    ) -> None:
        """Refuse (and record) ``action`` on case ``reference`` unless the user may do it."""
        self.ctx.require_case(action, reference, object_type, object_id)

    def refusal(self, action: str, case: str | None = None) -> Message | None:
        """Why the user may not do ``action`` (on case ``case``), as a sentence to show beside
        a control they may not use; None when they may. Records nothing."""
        return self.ctx.refusal(action, case)

    def may(self, action: str, case: str | None = None) -> bool:
        """Whether the user may do ``action`` (on case ``case``); see ``refusal``."""
        return self.refusal(action, case) is None

    # -- cases ---------------------------------------------------------------------------------

    def add_case(
        self, reference: str, title: str, status: str = "open", actor: str | None = None
    ) -> CaseInfo:
        """Open case ``reference`` (``bsu_models.core.cases.add_case``)."""
        return cases.add_case(self.ctx, reference, title, status, actor)

    def list_cases(self) -> list[CaseInfo]:
        """Cases the user may see: members see theirs; admins see every case's reference and
        title (to manage membership), and nothing inside them."""
        return cases.list_cases(self.ctx)

    def get_case(self, reference: str) -> CaseInfo:
        return cases.get_case(self.ctx, reference)

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
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> ImportResult:
        """Import an upload as a new version (of a new or existing model named ``name``),
        located at ``latitude``, ``longitude`` (WGS84 degrees) when given."""
        actor = self.actor_name(actor)
        self.require_case("model.import", case.strip())
        located = latitude is not None or longitude is not None
        if located:
            if latitude is None or longitude is None:
                raise InvalidInput("A place needs both a latitude and a longitude.")
            check_place(latitude, longitude)
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
                self.engine, self.blobs, self.settings, request, actor, render_thumbnail, progress
            )
        except BsuError as exc:
            self._record_refusal(request, actor, exc)
            raise
        if located:
            places.locate_version(self.ctx, version_id, latitude, longitude, actor)
        version = self.get_version(version_id)
        return ImportResult(version=version, created_model=version.number == 1)

    def derive_levels(self, version_id: int, actor: str | None = None) -> tuple[LevelInfo, ...]:
        """Build (or rebuild) a version's web levels now (``level_jobs.derive_levels``)."""
        return level_jobs.derive_levels(self.ctx, version_id, actor)

    def derive_levels_later(self, version_id: int, actor: str | None = None) -> JobInfo:
        """Ask for a version's web levels as a job (in-process, or on the queue's workers when
        ``BSU_QUEUE_URL`` is set); refused here, before it is queued."""
        return self._jobs.derive_levels(version_id, actor)

    # -- jobs ----------------------------------------------------------------------------------

    def job(self, job_id: int) -> JobInfo:
        """Job ``job_id`` (its status, progress and result), for whoever may see its case."""
        return self._jobs.job(job_id)

    def jobs(
        self,
        case: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        limit: int = 50,
    ) -> list[JobInfo]:
        """Jobs of the cases the user may see, newest first."""
        return self._jobs.jobs(case, kind, status, limit)

    def render_video_later(self, scene_id: int, **options: Any) -> JobInfo:
        """Ask for the fly-through video of a scene as a job; options as
        ``video_service.render_scene_video`` (less ``out`` and ``progress``)."""
        return self._jobs.render_video(scene_id, **options)

    def render_still_later(self, version_id: int, **options: Any) -> JobInfo:
        """Ask for a still of a version as a job (an A3 print still takes a while); options as
        ``render_still``, JSON values only. Its PNG comes from ``job_file``."""
        return self._jobs.render_still(version_id, **options)

    def build_exhibit_later(
        self,
        scene_id: int,
        exhibit_number: str | None = None,
        actor: str | None = None,
        lang: str = "en",
        accounts: Iterable[int] = (),
    ) -> JobInfo:
        """Ask for the court exhibit package of a frozen scene as a job (as ``exhibit_zip``)."""
        return self._jobs.build_exhibit(scene_id, exhibit_number, actor, lang, tuple(accounts))

    def job_file(self, job_id: int, actor: str | None = None) -> tuple[str, str, bytes]:
        """The file a finished job made (a video's MP4, an exhibit's zip): its name, media
        type and bytes (a download, recorded as an audit event)."""
        return self._jobs.job_file(job_id, actor)

    def _record_refusal(self, request: ImportRequest, actor: str, exc: BsuError) -> None:
        # The refusal itself is what the user needs to see, even if it cannot be recorded.
        with contextlib.suppress(BsuError):
            record_event(
                self.engine,
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

    # -- stored files --------------------------------------------------------------------------

    def get_version(self, version_id: int) -> VersionInfo:
        return versions.get_version(self.ctx, version_id)

    def versions_of(self, model_id: int) -> list[VersionInfo]:
        return versions.versions_of(self.ctx, model_id)

    def locate_version(
        self, version_id: int, latitude: float, longitude: float, actor: str | None = None
    ) -> VersionInfo:
        """Set where the version's origin is on Earth (``bsu_models.core.places``)."""
        return places.locate_version(self.ctx, version_id, latitude, longitude, actor)

    def list_models(self, case: str | None = None, query: str | None = None) -> list[ModelSummary]:
        """Models (with their latest version), filtered by case and by a free-text query;
        only those of cases the user is a member of."""
        return versions.list_models(self.ctx, case, query)

    # -- stored files --------------------------------------------------------------------------

    def thumbnail_png(self, version_id: int) -> bytes:
        return self.blobs.get_verified(
            versions.version_file(self.ctx, version_id, "thumbnail").sha256
        )

    def web_glb(
        self,
        version_id: int,
        actor: str | None = None,
        scene: tuple[int, int] | None = None,
        copy: str | None = None,
    ) -> bytes:
        """The browser copy of a version (its web GLB, or the ready web level whose SHA-256 is
        ``copy``); with ``actor``, recorded as that person viewing it (with the scene and
        revision shown on it, if any)."""
        stored = versions.web_copy(self.ctx, version_id, copy)
        data = self.blobs.get_verified(stored.sha256)
        if actor is not None or not self.user.system:
            versions.record_view(
                self.ctx, version_id, stored, "server", actor, self._scene_shown(version_id, scene)
            )
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
        audit event, wherever its bytes came from. A web level's SHA-256 counts as its web copy."""
        if source not in VIEW_SOURCES:
            raise InvalidInput(
                "A view comes from one of {sources}, not {source!r}.",
                sources=", ".join(VIEW_SOURCES),
                source=source,
            )
        stored = versions.web_copy(self.ctx, version_id, web_sha256)
        versions.record_view(
            self.ctx, version_id, stored, source, actor, self._scene_shown(version_id, scene)
        )

    def _scene_shown(
        self, version_id: int, scene: tuple[int, int] | None
    ) -> dict[str, int] | None:
        """The scene and revision drawn on a view, checked to be on ``version_id``."""
        if scene is None:
            return None
        self.scenes.info_on(scene[0], version_id)  # which the user may see
        return {"scene": scene[0], "revision": int(scene[1])}

    def original_files(self, version_id: int, actor: str | None = None) -> list[tuple[str, bytes]]:
        """The files exactly as uploaded, integrity-checked; recorded as an audit event."""
        version = self.get_version(version_id)
        self.require_case("model.download", version.case_reference, "version", str(version_id))
        originals = [f for f in version.files if f.role in ("mesh", "companion", "archive")]
        data = [(f.name, self.blobs.get_verified(f.sha256)) for f in originals]
        record_event(
            self.engine,
            actor=self.actor_name(actor),
            action="model.download",
            object_type="version",
            object_id=str(version_id),
            object_sha256=version.original_sha256,
            details={"files": [{"role": f.role, "sha256": f.sha256} for f in originals]},
        )
        return data

    # -- integrity -----------------------------------------------------------------------------

    def verify(self, sample: int | None = None) -> VerifyReport:
        """Re-hash every stored file (or ``sample`` of them, chosen at random), match rows to
        files both ways, and walk the audit chain (``bsu_models.core.integrity``)."""
        self.access.require("integrity.verify", object_type="catalogue")
        head = registered_head(self.engine, self.settings.audit_head_file)
        return verify_catalogue(self.engine, self.blobs, head, sample)

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
        return render_version_still(self.ctx, version_id, **options)

    def render_video(self, scene_id: int, out: Path, **options: Any) -> VideoResult:
        """The fly-through MP4 of a scene written to ``out``; options as
        ``video_service.render_scene_video``."""
        from bsu_models.render.video_service import render_scene_video

        return render_scene_video(self.ctx, scene_id, out, **options)

    def camera_still(self, scene_id: int, camera: str, **options: Any) -> Still:
        """The scene seen through a matched CCTV camera with its frame over it; options as
        ``render.camera_view.render_camera_still``."""
        from bsu_models.render.camera_view import render_camera_still

        return render_camera_still(self.ctx, scene_id, camera, **options)

    def camera_coverage(self, scene_id: int, camera: str, **options: Any) -> Still:
        """The scene with what a matched CCTV camera sees shaded; options as
        ``render.camera_view.render_coverage_still``."""
        from bsu_models.render.camera_view import render_coverage_still

        return render_coverage_still(self.ctx, scene_id, camera, **options)

    def print_model(self, version_id: int, **options: Any) -> PrintResult:
        """A printable physical model of a version at 1:N; options as
        ``fabricate.service.export_print``."""
        from bsu_models.fabricate.service import export_print

        return export_print(self.ctx, version_id, **options)

    def video_mp4(self, scene_id: int, **options: Any) -> tuple[str, bytes, VideoResult]:
        """The fly-through MP4 of a scene as bytes with a file name (a download); options as
        ``video_service.render_scene_video``."""
        from bsu_models.render.video_service import scene_video_mp4

        return scene_video_mp4(self.ctx, scene_id, **options)

    def build_exhibit(
        self,
        scene_id: int,
        out: Path,
        exhibit_number: str | None = None,
        actor: str | None = None,
        lang: str = "en",
        video: bool | dict[str, Any] = False,
        accounts: Iterable[int] = (),
    ) -> ExhibitResult:
        """Write the court exhibit package of a frozen scene (``bsu_models.court.exhibit``), its own
        words in ``lang``, with further frozen ``accounts`` of the same model version; with
        ``video`` (True, or its options), the fly-through video too."""
        from bsu_models.court.exhibit import build_exhibit

        return build_exhibit(
            self.ctx, scene_id, out, exhibit_number, actor, lang, video, tuple(accounts)
        )

    def exhibit_zip(
        self,
        scene_id: int,
        exhibit_number: str | None = None,
        actor: str | None = None,
        lang: str = "en",
        accounts: Iterable[int] = (),
    ) -> tuple[str, bytes, ExhibitResult]:
        """The court exhibit package of a frozen scene as zip bytes and a file name, its own
        words in ``lang``, with further frozen ``accounts`` of the same model version."""
        from bsu_models.court.exhibit import exhibit_zip

        return exhibit_zip(self.ctx, scene_id, exhibit_number, actor, lang, tuple(accounts))

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
        record_event(
            self.engine,
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
