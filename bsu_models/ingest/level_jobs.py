"""Building, storing and recording a version's web derivative levels (``levels.build_level``).

Levels are made after the import has returned: by a job in the web app (``bsu_models.jobs``:
in-process, or on a worker), by the command line once it has printed the import's result, and
again by ``bsu-models derive``. A job builds every level and writes all their rows with its own
end in one transaction (``build_levels``); ``derive_levels`` writes each level as it is made. For
each level the blob is written first and its row after, with its audit event, in one
transaction; a job killed in between leaves at most an unreferenced blob (``gc`` takes it) and
``derive`` builds the level again. A rebuilt level whose bytes hash the same changes nothing.

With the levels comes the version's click index (``snap_index``), a row of level ``SNAP_LEVEL``
made from the geometry file (its ``web_sha256`` names that file): the browser never sees it, and
``web_levels`` does not list it. One that cannot be made is recorded like a failed level (a
``failed`` row with its warning and audit event) and counted in ``derive``'s end event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bsu_models.core.audit import append_event, record_event
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import read_session, write_retrying
from bsu_models.core.errors import BsuError, DerivationFailed, Message, NotFound
from bsu_models.core.orm import WebLevelRow
from bsu_models.core.records import LevelInfo, VersionInfo
from bsu_models.core.versions import get_version, version_file
from bsu_models.ingest.geometry import unpack_geometry
from bsu_models.ingest.levels import (
    LEVELS,
    BuiltLevel,
    LevelSpec,
    build_level,
    load_parts,
    tool_versions,
)
from bsu_models.ingest.snap_index import SNAP_MAGIC, build_snap_index

log = logging.getLogger(__name__)
#: What a job reports as it goes: fraction done (0..1) and what it is doing.
Progress = Callable[[float, Message], None]
#: The level name of a version's click index.
SNAP_LEVEL = "snap"


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
    made = dict(zip(names, outcomes, strict=True))
    with ctx.blobs.writing():
        snap = _snap_fields(ctx, version)
        if snap is not None:
            write_retrying(
                ctx.engine,
                lambda session: _store_row(session, version, SNAP_LEVEL, snap, actor),
            )
            made[SNAP_LEVEL] = str(snap["status"])
    event(
        "ok" if all(o == "ready" for o in made.values()) else "failed",
        {"phase": "end", "levels": made},
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
    with ctx.blobs.writing():
        fields = _level_fields(ctx, version, web_sha256, parts, spec)
        write_retrying(
            ctx.engine, lambda session: _store_row(session, version, spec.name, fields, actor)
        )
    return str(fields["status"])


def _level_fields(
    ctx: ServiceContext,
    version: VersionInfo,
    web_sha256: str,
    parts: list[Any] | None,
    spec: LevelSpec,
) -> dict[str, Any]:
    """Build one level and store its blob (inside the caller's ``blobs.writing()``); returns
    the columns of its row."""
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
        return fields
    fields.update(
        status="ready",
        sha256=ctx.blobs.put(built.data),
        faces=built.faces,
        size_bytes=len(built.data),
        texture_px=built.texture_px,
        texture_format=built.texture_format,
        warning=None if built.warning is None else built.warning.to_json(),
    )
    return fields


def _snap_fields(ctx: ServiceContext, version: VersionInfo) -> dict[str, Any] | None:
    """Build the version's click index and store its blob (inside the caller's
    ``blobs.writing()``); returns the columns of its row: ``failed``, with a warning, when it
    cannot be made (a click is then answered on the loaded mesh, as without one). None for a
    version without a geometry file, which has nothing to index."""
    import numpy as np

    try:
        geometry = version_file(ctx, version.version_id, "geometry")
    except NotFound:
        return None
    fields: dict[str, Any] = {
        "original_sha256": version.original_sha256,
        "web_sha256": geometry.sha256,
        "tools": {"numpy": np.__version__, "layout": SNAP_MAGIC.decode()},
        "texture_px": None,
        "texture_format": None,
    }
    try:
        vertices, faces = unpack_geometry(ctx.blobs.get_verified(geometry.sha256))
        data = build_snap_index(vertices, faces, version.original_sha256, geometry.sha256)
    except Exception as exc:
        log.exception("the click index of version %s could not be made", version.version_id)
        reason = exc if isinstance(exc, BsuError) else Message("the geometry could not be indexed")
        fields.update(
            status="failed",
            sha256=None,
            faces=0,
            size_bytes=0,
            warning=Message("The click index was not made: {reason}", reason=reason).to_json(),
        )
        return fields
    fields.update(
        status="ready",
        sha256=ctx.blobs.put(data),
        faces=len(faces),
        size_bytes=len(data),
        warning=None,
    )
    return fields


def snap_key(ctx: ServiceContext, version: VersionInfo) -> str | None:
    """The blob key of the click index of ``version`` (read with ``get_version``, so the user
    may see it), None when it has none (yet)."""
    with read_session(ctx.engine) as session:
        return session.scalars(
            select(WebLevelRow.sha256).where(
                WebLevelRow.version_id == version.version_id,
                WebLevelRow.level == SNAP_LEVEL,
                WebLevelRow.status == "ready",
            )
        ).one_or_none()


def _store_row(
    session: Session, version: VersionInfo, level: str, fields: dict[str, Any], actor: str
) -> None:
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


@dataclass(frozen=True)
class BuiltLevels:
    """Every level of a version built and its blob stored, its rows not yet written."""

    version: VersionInfo
    actor: str
    rows: tuple[tuple[str, dict[str, Any]], ...]  # (level, columns of its row)

    @property
    def outcomes(self) -> dict[str, str]:
        return {level: str(fields["status"]) for level, fields in self.rows}

    @property
    def keys(self) -> dict[str, str | None]:
        return {level: fields["sha256"] for level, fields in self.rows}

    def store(self, session: Session) -> None:
        """Write every level's row (each with its audit event) in the caller's transaction."""
        for level, fields in self.rows:
            _store_row(session, self.version, level, fields, self.actor)


def build_levels(
    ctx: ServiceContext,
    version_id: int,
    actor: str | None = None,
    progress: Progress | None = None,
) -> BuiltLevels:
    """Build every web level of a version and store their blobs (inside the caller's
    ``blobs.writing()``), writing no row: a job writes them all with its own end, in one
    transaction, so that a job killed half-way has recorded nothing."""
    version = _checked(ctx, version_id)
    actor = ctx.actor_name(actor)
    report = progress or (lambda _fraction, _stage: None)
    report(0.02, Message("Reading the web copy"))
    web = version_file(ctx, version_id, "web_glb")
    glb = ctx.blobs.get_verified(web.sha256)
    try:
        parts: list[Any] | None = load_parts(glb)
    except Exception:  # an unreadable web copy: each level says so
        log.exception("the web copy of version %s could not be read", version_id)
        parts = None
    rows = []
    for number, spec in enumerate(LEVELS):
        report(0.1 + 0.85 * number / len(LEVELS), Message("Making level {level}", level=spec.name))
        rows.append((spec.name, _level_fields(ctx, version, web.sha256, parts, spec)))
    report(0.95, Message("Making the click index"))
    snap = _snap_fields(ctx, version)
    if snap is not None:
        rows.append((SNAP_LEVEL, snap))
    report(0.97, Message("Recording the levels"))
    return BuiltLevels(version, actor, tuple(rows))
