"""Landmark models and their versions as the acting user may read them, and the files stored
for each version.

Works through a ``ServiceContext``; returns frozen records (``VersionInfo``, ``ModelSummary``,
``StoredFileInfo``). Reading a version checks that the user may see its case, and refuses (with an
audit event) when not.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from bsu_models.core.audit import record_event
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import read_session
from bsu_models.core.errors import InvalidInput, Message, NotFound
from bsu_models.core.orm import CaseRow, ModelRow, VersionRow, WebLevelRow
from bsu_models.core.records import (
    WEB_LEVELS,
    LevelInfo,
    ModelSummary,
    StoredFileInfo,
    VersionInfo,
    file_role_name,
)
from bsu_models.core.text import casefold_search
from bsu_models.core.units import format_scale, real_world_extent


def _warning(value: Any) -> str | Message:
    return Message.from_json(value) if isinstance(value, dict) else str(value)


def _level_record(row: WebLevelRow) -> LevelInfo:
    return LevelInfo(
        level=row.level,
        status=row.status,
        faces=row.faces,
        bytes=row.size_bytes,
        sha256=row.sha256,
        texture_px=row.texture_px,
        texture_format=row.texture_format,
        tools=dict(row.tools or {}),
        warning=None if row.warning is None else _warning(row.warning),
    )


def _levels(row: VersionRow) -> tuple[LevelInfo, ...]:
    """Every planned level: stored ones as recorded, the others "pending"."""
    stored = {level.level: _level_record(level) for level in row.levels}
    return tuple(stored.get(name, LevelInfo(name, "pending")) for name in WEB_LEVELS)


def _version_record(row: VersionRow) -> VersionInfo:
    model = row.model
    levels = _levels(row)
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
        warnings=tuple(_warning(w) for w in row.warnings or ())
        + tuple(level.warning for level in levels if level.warning is not None),
        files=tuple(
            StoredFileInfo(
                f.role, f.name, f.sha256, f.size_bytes, f.media_type, f.derived_from_sha256
            )
            for f in row.files
        ),
        latitude_deg=row.place.latitude_deg if row.place else None,
        longitude_deg=row.place.longitude_deg if row.place else None,
        web_levels=levels,
    )


def _version_query() -> Select[VersionRow]:
    return select(VersionRow).options(
        selectinload(VersionRow.model).selectinload(ModelRow.case),
        selectinload(VersionRow.files),
        selectinload(VersionRow.place),
        selectinload(VersionRow.levels),
    )


def get_version(ctx: ServiceContext, version_id: int) -> VersionInfo:
    with read_session(ctx.engine) as session:
        row = session.scalars(_version_query().where(VersionRow.id == version_id)).one_or_none()
        if row is None:
            raise NotFound("There is no model version {version}.", version=version_id)
        record, case_id = _version_record(row), row.model.case_id
    ctx.access.require(
        "case.view",
        case_id,
        object_type="version",
        object_id=str(version_id),
        case_label=record.case_reference,
    )
    return record

def versions_of(ctx: ServiceContext, model_id: int) -> list[VersionInfo]:
    with read_session(ctx.engine) as session:
        rows = session.scalars(
            _version_query().where(VersionRow.model_id == model_id).order_by(VersionRow.number)
        ).all()
        if not rows:
            raise NotFound("There is no landmark model {model}.", model=model_id)
        records = [_version_record(r) for r in rows]
        case_id = rows[0].model.case_id
    ctx.access.require(
        "case.view",
        case_id,
        object_type="model",
        object_id=str(model_id),
        case_label=records[0].case_reference,
    )
    return records

def list_models(
    ctx: ServiceContext, case: str | None = None, query: str | None = None) -> list[ModelSummary]:
    """Models (with their latest version), filtered by case and by a free-text query;
    only those of cases the user is a member of."""
    if not ctx.user.may("case.view"):
        return []
    visible = ctx.access.member_case_ids()
    with read_session(ctx.engine) as session:
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


def version_file(ctx: ServiceContext, version_id: int, role: str) -> StoredFileInfo:
    """The stored file of ``role`` ("geometry", "web_glb", "thumbnail", ...) of a version."""
    version = get_version(ctx, version_id)
    for stored in version.files:
        if stored.role == role:
            return stored
    raise NotFound(
        "Model version {version} has no {file}.", version=version_id, file=file_role_name(role)
    )


def web_copy(ctx: ServiceContext, version_id: int, sha256: str | None = None) -> StoredFileInfo:
    """The browser copy of a version with SHA-256 ``sha256``: its web GLB (the default) or one
    of its ready web levels (as a file of role "web_level", derived from the original)."""
    version = get_version(ctx, version_id)
    web = version_file(ctx, version_id, "web_glb")
    if sha256 is None or sha256 == web.sha256:
        return web
    for level in version.web_levels:
        if level.status == "ready" and level.sha256 == sha256:
            return StoredFileInfo(
                "web_level",
                f"{level.level}.glb",
                sha256,
                level.bytes,
                "model/gltf-binary",
                version.original_sha256,
            )
    raise InvalidInput(
        "The browser showed {shown}, which is not the web copy of model version {version}.",
        shown=str(sha256)[:64],
        version=version_id,
    )


def web_glb(ctx: ServiceContext, version_id: int, actor: str | None = None) -> bytes:
    """The browser copy of a version; with ``actor`` (or for any signed-in user), recorded as
    that person viewing it."""
    stored = version_file(ctx, version_id, "web_glb")
    data = ctx.blobs.get_verified(stored.sha256)
    if actor is not None or not ctx.user.system:
        record_view(ctx, version_id, stored, "server", actor)
    return data


def record_view(
    ctx: ServiceContext,
    version_id: int,
    stored: StoredFileInfo,
    source: str,
    actor: str | None,
    scene: dict[str, Any] | None = None,
) -> None:
    """Record one display of the web copy ``stored`` of a version, its bytes from ``source``
    ("server" or the browser's "cache"), with the scene and revision drawn on it (``scene``:
    ``{"scene": id, "revision": n}``, already checked by the caller)."""
    details: dict[str, object] = {"web_copy": stored.sha256, "source": source, **(scene or {})}
    record_event(
        ctx.engine,
        actor=ctx.actor_name(actor),
        action="model.view",
        object_type="version",
        object_id=str(version_id),
        object_sha256=stored.derived_from_sha256,
        details=details,
    )
