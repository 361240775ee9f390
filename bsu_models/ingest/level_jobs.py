"""Building, storing and recording a version's web derivative levels (``levels.build_level``).

Levels are made after the import has returned: by a background thread in the web app, by the
command line once it has printed the import's result, and again by ``bsu-models derive``. For
each level the blob is written first and its row after, with its audit event, in one
transaction; a job killed in between leaves at most an unreferenced blob (``gc`` takes it) and
``derive`` builds the level again. A rebuilt level whose bytes hash the same changes nothing.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bsu_models.core.audit import append_event, record_event
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import write_retrying
from bsu_models.core.errors import BsuError, DerivationFailed, Message
from bsu_models.core.orm import WebLevelRow
from bsu_models.core.records import LevelInfo, VersionInfo
from bsu_models.core.versions import get_version, version_file
from bsu_models.ingest.levels import (
    LEVELS,
    BuiltLevel,
    LevelSpec,
    build_level,
    load_parts,
    tool_versions,
)

log = logging.getLogger(__name__)


def derive_levels(
    ctx: ServiceContext, version_id: int, actor: str | None = None
) -> tuple[LevelInfo, ...]:
    """Build (or rebuild) every web level of a version; returns the version's levels after."""
    version = _checked(ctx, version_id)
    actor = ctx.actor_name(actor)
    web = version_file(ctx, version_id, "web_glb")
    glb = ctx.blobs.get_verified(web.sha256)
    names = [spec.name for spec in LEVELS]

    def event(outcome: str, details: dict[str, Any]) -> None:
        record_event(
            ctx.engine,
            actor=actor,
            action="model.derive",
            object_type="version",
            object_id=str(version_id),
            object_sha256=version.original_sha256,
            outcome=outcome,
            details=details,
        )

    event("ok", {"phase": "start", "web_copy": web.sha256, "levels": names})
    try:
        parts: list[Any] | None = load_parts(glb)  # once for every level
    except Exception:  # an unreadable web copy: each level says so below
        log.exception("the web copy of version %s could not be read", version_id)
        parts = None
    outcomes = [_one_level(ctx, version, web.sha256, parts, spec, actor) for spec in LEVELS]
    event(
        "ok" if all(o == "ready" for o in outcomes) else "failed",
        {"phase": "end", "levels": dict(zip(names, outcomes, strict=True))},
    )
    return get_version(ctx, version_id).web_levels


def _checked(ctx: ServiceContext, version_id: int) -> VersionInfo:
    """The version, once the user is known to be allowed to (re)build its levels."""
    version = get_version(ctx, version_id)
    ctx.require_case("model.import", version.case_reference, "version", str(version_id))
    return version


def _one_level(
    ctx: ServiceContext,
    version: VersionInfo,
    web_sha256: str,
    parts: list[Any] | None,
    spec: LevelSpec,
    actor: str,
) -> str:
    built: BuiltLevel | None = None
    failure: Message | DerivationFailed | None = None
    try:
        if parts is None:
            raise DerivationFailed(
                "The web copy holds no faces, so level {level} cannot be made.", level=spec.name
            )
        built = build_level(parts, spec, version.original_sha256)
    except DerivationFailed as exc:
        failure = exc
    except Exception:  # a tool or library crash: the version stays usable, with a warning
        log.exception("web level %s of version %s failed", spec.name, version.version_id)
        failure = Message("Level {level} could not be made.", level=spec.name)
    fields: dict[str, Any] = {
        "original_sha256": version.original_sha256,
        "web_sha256": web_sha256,
        "tools": tool_versions(),
    }
    if built is None:
        assert failure is not None
        fields.update(
            status="failed",
            sha256=None,
            faces=0,
            size_bytes=0,
            texture_px=None,
            texture_format=None,
            warning=Message(
                "Web level {level} was not made: {reason}", level=spec.name, reason=failure
            ).to_json(),
        )
        _write_row(ctx, version, spec.name, fields, actor)
        return "failed"
    with ctx.blobs.writing():
        key = ctx.blobs.put(built.data)
        fields.update(
            status="ready",
            sha256=key,
            faces=built.faces,
            size_bytes=len(built.data),
            texture_px=built.texture_px,
            texture_format=built.texture_format,
            warning=None if built.warning is None else built.warning.to_json(),
        )
        _write_row(ctx, version, spec.name, fields, actor)
    return "ready"


def _write_row(
    ctx: ServiceContext, version: VersionInfo, level: str, fields: dict[str, Any], actor: str
) -> None:
    def work(session: Session) -> None:
        row = session.scalars(
            select(WebLevelRow)
            .where(WebLevelRow.version_id == version.version_id, WebLevelRow.level == level)
            .with_for_update()
        ).one_or_none()
        if row is not None and all(getattr(row, k) == v for k, v in fields.items()):
            return  # the same bytes again: nothing to record
        if row is None:
            row = WebLevelRow(version_id=version.version_id, level=level, **fields)
            session.add(row)
        else:
            for name, value in fields.items():
                setattr(row, name, value)
        session.flush()
        append_event(
            session,
            actor=actor,
            action="model.derive",
            object_type="version",
            object_id=str(version.version_id),
            object_sha256=version.original_sha256,
            outcome="ok" if fields["status"] == "ready" else "failed",
            details={
                "phase": "level",
                "level": level,
                "sha256": fields["sha256"],
                "faces": fields["faces"],
                "derived_from": fields["web_sha256"],
                "tools": fields["tools"],
            },
        )

    write_retrying(ctx.engine, work)


def derive_in_background(
    ctx: ServiceContext, version_id: int, actor: str | None = None
) -> threading.Thread:
    """Start building a version's levels in a thread (the web app's import returns at once).

    If the process ends first, nothing is half-stored and ``bsu-models derive`` finishes them.
    A refusal is raised here, before the thread starts."""
    _checked(ctx, version_id)

    def run() -> None:
        try:
            derive_levels(ctx, version_id, actor)
        except BsuError:
            log.exception("web levels of version %s were not made", version_id)
        except Exception:
            log.exception("web levels of version %s failed unexpectedly", version_id)

    thread = threading.Thread(target=run, name=f"web-levels-{version_id}", daemon=True)
    thread.start()
    return thread
