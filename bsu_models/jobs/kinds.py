"""What each kind of job does: the service it runs and what it leaves to record at its end.

A kind's ``run`` does the heavy work as the person who asked: it may store blobs (content-
addressed, so a retry stores the same bytes) but writes no row; it returns an ``Outcome``
whose ``write`` the runner calls in the one transaction that also ends the job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from bsu_models.core.blobstore import sha256_bytes
from bsu_models.core.context import ServiceContext
from bsu_models.core.errors import Message
from bsu_models.core.versions import get_version
from bsu_models.ingest import level_jobs

Progress = Callable[[float, Message], None]


@dataclass(frozen=True)
class Outcome:
    """What a job made: ``result`` (facts, and in ``blobs`` every blob key it made, which
    ``gc`` keeps and ``verify`` counts as referenced) and the rows to write at its end."""

    result: dict[str, Any]
    write: Callable[[Session], None] | None = field(default=None, compare=False)


def run_levels(
    ctx: ServiceContext, parameters: dict[str, Any], actor: str, progress: Progress
) -> Outcome:
    built = level_jobs.build_levels(ctx, int(parameters["version_id"]), actor, progress)
    keys = built.keys
    made = [key for key in keys.values() if key]
    return Outcome({"levels": built.outcomes, "keys": keys, "blobs": made}, built.store)


def run_video(
    ctx: ServiceContext, parameters: dict[str, Any], actor: str, progress: Progress
) -> Outcome:
    options = dict(parameters)
    scene_id = int(options.pop("scene_id"))
    from bsu_models.render.video_service import scene_video_mp4  # heavy: loaded when run

    name, data, result = scene_video_mp4(ctx, scene_id, actor=actor, progress=progress, **options)
    progress(0.99, Message("Storing the video"))
    return _stored_file(ctx, name, data, "video", result.to_json())


def run_exhibit(
    ctx: ServiceContext, parameters: dict[str, Any], actor: str, progress: Progress
) -> Outcome:
    progress(0.05, Message("Building the exhibit package"))
    from bsu_models.court.exhibit import exhibit_zip  # heavy: loaded when run

    name, data, result = exhibit_zip(
        ctx,
        int(parameters["scene_id"]),
        parameters.get("exhibit_number"),
        actor,
        str(parameters.get("lang") or "en"),
        tuple(int(i) for i in parameters.get("accounts", ())),
    )
    progress(0.95, Message("Storing the package"))
    return _stored_file(ctx, name, data, "exhibit", result.to_json())


def run_still(
    ctx: ServiceContext, parameters: dict[str, Any], actor: str, progress: Progress
) -> Outcome:
    options = dict(parameters)
    version_id = int(options.pop("version_id"))
    name = str(options.pop("name"))
    version = get_version(ctx, version_id)
    ctx.require_case("render", version.case_reference, "version", str(version_id))
    progress(0.05, Message("Rendering the still"))
    from bsu_models.render.still_service import render_version_still  # loaded when run

    still = render_version_still(ctx, version_id, actor=actor, **options)
    progress(0.95, Message("Storing the still"))
    facts = {"width": still.size[0], "height": still.size[1], "sha256": sha256_bytes(still.png)}
    return _stored_file(ctx, name, still.png, "still", facts)


def _stored_file(
    ctx: ServiceContext, name: str, data: bytes, kind: str, facts: dict[str, Any]
) -> Outcome:
    """A job that made one file: its bytes stored, offered for download under ``name``. The
    facts lose any ``out`` path, which named the maker's own disk."""
    key = ctx.blobs.put(data)
    facts = {fact: value for fact, value in facts.items() if fact != "out"}
    return Outcome({"name": name, "file": key, kind: facts, "blobs": [key]})


#: kind -> what it runs.
KINDS: dict[str, Callable[[ServiceContext, dict[str, Any], str, Progress], Outcome]] = {
    "web_levels": run_levels,
    "video": run_video,
    "exhibit": run_exhibit,
    "still": run_still,
}

#: What a kind's file is, and the action that lets one download it.
FILES: dict[str, tuple[str, str]] = {
    "video": ("video/mp4", "render"),
    "exhibit": ("application/zip", "exhibit.export"),
    "still": ("image/png", "render"),
}
