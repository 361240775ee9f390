"""Asking for jobs and reading them: what the catalogue's job methods delegate to.

Without ``BSU_QUEUE_URL`` a job runs in a thread of the process that asked for it (the
behaviour of the embedded default); with it, the job goes on the Redis queue for the workers.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from bsu_models.core.audit import record_event
from bsu_models.core.context import ServiceContext
from bsu_models.core.errors import InvalidInput, NotFound
from bsu_models.core.records import JobInfo
from bsu_models.core.versions import get_version, version_file
from bsu_models.ingest import level_jobs
from bsu_models.jobs import queue, store
from bsu_models.jobs.kinds import FILES
from bsu_models.jobs.runner import execute
from bsu_models.scenes.scene_sun import step_sun
from bsu_models.scenes.service import SceneService

log = logging.getLogger(__name__)

#: Jobs running in a thread of this process (so that asking again does not start a second).
_running_here: set[int] = set()
_running_lock = threading.Lock()


class JobService:
    """Jobs of one catalogue, for the user of ``ctx``."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def job(self, job_id: int) -> JobInfo:
        return store.get_job(self.ctx, job_id)

    def jobs(
        self,
        case: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        limit: int = 50,
    ) -> list[JobInfo]:
        return store.list_jobs(self.ctx, case, kind, status, limit)

    def derive_levels(self, version_id: int, actor: str | None = None) -> JobInfo:
        """Ask for a version's web levels to be made (refused here, before it is queued)."""
        version = get_version(self.ctx, version_id)
        self.ctx.require_case("model.import", version.case_reference, "version", str(version_id))
        web = version_file(self.ctx, version_id, "web_glb")
        return self._submit(
            "web_levels",
            {"version_id": version_id, "levels": [spec.name for spec in level_jobs.LEVELS]},
            [version.original_sha256, web.sha256],
            version.case_reference,
            actor,
        )

    def render_video(self, scene_id: int, actor: str | None = None, **options: Any) -> JobInfo:
        """Ask for the fly-through video of a scene revision (options as
        ``video_service.render_scene_video``, less ``out`` and ``progress``)."""
        scenes = SceneService(self.ctx)
        info = scenes.info(scene_id)
        self.ctx.require_case("render", info.case_reference, "scene", str(scene_id))
        revision = int(options.pop("revision", None) or info.revision)
        version = get_version(self.ctx, info.version_id)
        if options.get("sun_at") is not None:
            # A time without a date, or a version with no place, is refused now, in the
            # sentence ``video --sun-at`` gives, rather than when the job runs.
            step_sun(version, scenes.document(scene_id, revision), None, options["sun_at"])
        return self._submit(
            "video",
            {"scene_id": scene_id, "revision": revision, **options},
            [_revision_sha256(scenes, scene_id, revision), version.original_sha256],
            info.case_reference,
            actor,
        )

    def render_still(self, version_id: int, actor: str | None = None, **options: Any) -> JobInfo:
        """Ask for a still of a version, of a scene step when ``scene_id`` is given (options as
        ``still_service.render_version_still``: JSON values only, e.g. an A3 print still)."""
        version = get_version(self.ctx, version_id)
        self.ctx.require_case("render", version.case_reference, "version", str(version_id))
        inputs = [version.original_sha256]
        scene_id = options.get("scene_id")
        if scene_id is not None:
            scenes = SceneService(self.ctx)
            info = scenes.info_on(int(scene_id), version_id)
            revision = options["revision"] = int(options.get("revision") or info.revision)
            inputs.append(_revision_sha256(scenes, info.scene_id, revision))
            name = f"scene-{scene_id}-r{revision}-step-{int(options.get('step') or 0):02d}"
        else:
            name = f"version-{version_id}-{options.get('size') or '1920x1080'}"
        stereo = options.get("stereo")
        name += f"-{stereo}.png" if stereo else ".png"
        return self._submit(
            "still", {"version_id": version_id, "name": name, **options}, inputs,
            version.case_reference, actor,
        )  # fmt: skip

    def build_exhibit(
        self,
        scene_id: int,
        exhibit_number: str | None = None,
        actor: str | None = None,
        lang: str = "en",
        accounts: tuple[int, ...] = (),
    ) -> JobInfo:
        """Ask for the court exhibit package of a frozen scene (``court.exhibit.exhibit_zip``)."""
        scenes = SceneService(self.ctx)
        info = scenes.info(scene_id)
        self.ctx.require_case("exhibit.export", info.case_reference, "scene", str(scene_id))
        chosen = sorted({int(i) for i in accounts} - {scene_id})
        inputs = [_shown_revision(scenes, i) for i in (scene_id, *chosen)]
        return self._submit(
            "exhibit",
            {"scene_id": scene_id, "exhibit_number": exhibit_number, "lang": lang,
             "accounts": chosen},
            [*inputs, get_version(self.ctx, info.version_id).original_sha256],
            info.case_reference,
            actor,
        )  # fmt: skip

    def job_file(self, job_id: int, actor: str | None = None) -> tuple[str, str, bytes]:
        """The file a finished job made (a video's MP4, an exhibit's zip): its name, media type
        and bytes, integrity-checked; fetching it is an audit event."""
        job = self.job(job_id)
        if job.kind not in FILES or job.status != "done" or not job.result:
            raise InvalidInput("Job {job} has made no file to download.", job=job_id)
        assert job.case_reference is not None
        media_type, action = FILES[job.kind]
        self.ctx.require_case(action, job.case_reference, "job", str(job_id))
        key = str(job.result["file"])
        data = self.ctx.blobs.get_verified(key)
        record_event(
            self.ctx.engine,
            actor=self.ctx.actor_name(actor),
            action="job.download",
            object_type="job",
            object_id=str(job_id),
            object_sha256=key,
            details={"kind": job.kind, "name": job.result["name"]},
        )
        return str(job.result["name"]), media_type, data

    def _submit(
        self,
        kind: str,
        parameters: dict[str, Any],
        inputs: list[str],
        case: str,
        actor: str | None,
    ) -> JobInfo:
        job, start = store.submit(self.ctx, kind, parameters, inputs, case, actor)
        queued = bool(self.ctx.settings.queue_url)
        if queued and start:
            queue.enqueue(self.ctx.settings, job.job_id)
        elif not queued and (start or _abandoned_here(self.ctx, job)):
            _run_in_thread(self.ctx, job.job_id)
        return job


def _revision_sha256(scenes: SceneService, scene_id: int, revision: int) -> str:
    found = [r.sha256 for r in scenes.history(scene_id) if r.number == revision]
    if not found:
        raise NotFound(
            "Scene {scene_id} has no revision {revision}.", scene_id=scene_id, revision=revision
        )
    return found[0]


def _shown_revision(scenes: SceneService, scene_id: int) -> str:
    """SHA-256 of the revision an exhibit of the scene shows: its frozen one, else its latest
    (the build then refuses it as not frozen)."""
    info = scenes.info(scene_id)
    return _revision_sha256(scenes, scene_id, info.frozen_revision or info.revision)


def _abandoned_here(ctx: ServiceContext, job: JobInfo) -> bool:
    """An unfinished in-process job whose process has gone (the app restarted meanwhile)."""
    if job.finished:
        return False
    with _running_lock:
        if job.job_id in _running_here:
            return False
    runner = store.runner_of(ctx, job.job_id)
    if runner is None:
        return job.status == "running"
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _run_in_thread(ctx: ServiceContext, job_id: int) -> threading.Thread:
    with _running_lock:
        _running_here.add(job_id)

    def run() -> None:
        try:
            execute(ctx, job_id)
        except Exception:  # the job's row says what it could; the log says the rest
            log.exception("job %s could not be run", job_id)
        finally:
            with _running_lock:
                _running_here.discard(job_id)

    thread = threading.Thread(target=run, name=f"job-{job_id}", daemon=True)
    thread.start()
    return thread
