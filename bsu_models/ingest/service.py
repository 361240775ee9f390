"""Importing an upload into the catalogue: check, parse in the sandbox, derive, store, record.

Order of work, chosen so a crash at any point leaves no row pointing at a missing file:

1. check the case exists and the metadata is valid (cheap refusals first);
2. unpack and choose the mesh (in memory), hash every original;
3. parse in the limited child process, validate again here, render the thumbnail;
4. write all blobs (each atomically: temp file, fsync, rename): all but the web copy as soon as
   the parser has handed over the mesh, while it goes on to measure the facts and make the web
   copy (a parse that then fails removes them again);
5. one database transaction adds the model/version/file rows and the audit event; it locks the
   case row first, so concurrent imports into a case take version numbers one after another.

A crash before 5 can only leave blobs without rows, which ``verify`` reports. A refused upload
stores no blob and no row; the refusal itself is an audit event.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bsu_models import __version__
from bsu_models.core.audit import append_event
from bsu_models.core.blobstore import BlobStore, BlobUndo
from bsu_models.core.db import read_session, write_retrying
from bsu_models.core.errors import BsuError, InvalidInput, Message, NotFound
from bsu_models.core.orm import CaseRow, ModelRow, StoredFileRow, VersionRow
from bsu_models.core.settings import Settings
from bsu_models.core.text import clean_line, clean_tags, clean_text, text_sha256
from bsu_models.core.units import check_units, parse_scale
from bsu_models.ingest.formats import FORMATS, sniff
from bsu_models.ingest.geometry import AXES, pack_geometry
from bsu_models.ingest.meshdata import MeshArrays
from bsu_models.ingest.sandbox import WORKERS, ParsedUpload, parse_in_sandbox
from bsu_models.ingest.upload import PreparedUpload, UploadFile, prepare_upload

#: Called with the fraction done and what is being done (a Message: ``str()`` is English).
Progress = Callable[[float, Message], None]
#: Draws a version's thumbnail PNG: (mesh, (width, height), original's SHA-256, up axis, north
#: axis). The renderer sits above ingest, so whoever composes the import hands it in.
ThumbnailMaker = Callable[[MeshArrays, tuple[int, int], str, str, str], bytes]


@dataclass(frozen=True)
class StoredBlob:
    """A file written to the blob store for the version being imported."""

    role: str  # mesh | companion | archive | web_glb | thumbnail | geometry
    name: str
    key: str
    size: int
    media_type: str
    derived_from: str | None = None
    generator: str | None = None


@dataclass(frozen=True)
class CleanMetadata:
    """The user's words about the model, checked and normalised."""

    name: str
    units: str
    scale: float | None
    location: str
    description: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class ImportRequest:
    case_reference: str
    name: str
    files: tuple[UploadFile, ...]
    units: str = "unknown"
    scale: str | None = None
    member: str | None = None
    location: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    up_axis: str = "+z"
    north_axis: str = "+y"


def _check_axes(up: str, north: str) -> None:
    if up not in AXES or north not in AXES:
        raise InvalidInput(
            "Axes must be one of {axes}; got up={up!r}, north={north!r}.",
            axes=", ".join(AXES),
            up=up,
            north=north,
        )
    if up[1] == north[1]:
        raise InvalidInput(
            "The up axis ({up}) and north axis ({north}) must differ.", up=up, north=north
        )


def _originals(prepared: PreparedUpload) -> list[tuple[str, str, bytes]]:
    """(role, name, bytes) of each file exactly as uploaded."""
    if len(prepared.originals) == 1 and prepared.mesh_name != prepared.originals[0].name:
        return [("archive", prepared.originals[0].name, prepared.originals[0].data)]
    kept = []
    for upload in prepared.originals:
        role = "mesh" if upload.name == prepared.mesh_name else "companion"
        kept.append((role, upload.name, upload.data))
    return kept


def _media_type(data: bytes) -> str:
    spec = FORMATS.get(sniff(data))
    return spec.media_type if spec else "application/octet-stream"


def _clean(request: ImportRequest) -> CleanMetadata:
    _check_axes(request.up_axis, request.north_axis)
    return CleanMetadata(
        name=clean_line(request.name, Message("Model name")),
        units=check_units(request.units),
        scale=parse_scale(request.scale),
        location=clean_line(request.location, Message("Location"), allow_empty=True),
        description=clean_text(request.description, Message("Description")),
        tags=clean_tags(request.tags),
    )


def run_import(
    engine: Engine,
    blobs: BlobStore,
    settings: Settings,
    request: ImportRequest,
    actor: str,
    render_thumbnail: ThumbnailMaker,
    progress: Progress | None = None,
) -> int:
    """Import ``request``; returns the new version id. Raises ``BsuError`` and stores nothing.

    ``render_thumbnail`` draws the thumbnail inside the import, so the version's rows and all its
    files are recorded in one transaction."""
    report = progress or (lambda _fraction, _message: None)
    WORKERS.prepare(settings)  # the parser loads its libraries while we check the request
    meta = _clean(request)
    with read_session(engine) as session:
        case_id = session.scalar(
            select(CaseRow.id).where(CaseRow.reference == request.case_reference)
        )
    if case_id is None:
        raise NotFound("There is no case {reference!r}.", reference=request.case_reference)

    report(0.05, Message("Checking the upload"))
    prepared = prepare_upload(list(request.files), settings, request.member)
    mesh_sha = hashlib.sha256(prepared.mesh_data).hexdigest()
    report(0.15, Message("Parsing {name}", name=prepared.mesh_name))
    written: list[str] = []
    generator = f"bsu-models {__version__}"
    files: dict[str, StoredBlob] = {}
    originals: list[StoredBlob] = []

    held = contextlib.ExitStack()
    holds: list[BlobUndo] = []

    def put(role: str, name: str, data: bytes, media: str, derived: bool = True) -> StoredBlob:
        # The writers' lock is taken at the first blob, not over the parse before it: while it
        # is held, another import that fails cannot undo its own blobs.
        if not holds:
            holds.append(held.enter_context(blobs.writing()))
        key = _put(blobs, data, written)
        return StoredBlob(
            role, name, key, len(data), media, *((mesh_sha, generator) if derived else ())
        )

    def draw(mesh: MeshArrays) -> None:
        """The thumbnail and the files known by now, drawn and stored while the parser goes on
        to measure the facts and make the web copy (undone below if it then fails)."""
        report(0.50, Message("Rendering the thumbnail"))
        thumbnail = render_thumbnail(
            mesh, settings.thumbnail_size, mesh_sha, request.up_axis, request.north_axis
        )
        files["thumbnail"] = put("thumbnail", "thumbnail.png", thumbnail, "image/png")
        geometry = pack_geometry(mesh.vertices, mesh.faces)
        files["geometry"] = put("geometry", "geometry.bin", geometry, "application/x-bsu-geometry")
        originals[:] = [
            put(role, name, data, _media_type(data), derived=False)
            for role, name, data in _originals(prepared)
        ]

    with held:
        try:
            parsed = parse_in_sandbox(prepared, mesh_sha, settings, on_mesh=draw)
            if "thumbnail" not in files:
                draw(parsed.mesh)
            report(0.85, Message("Storing files"))
            web = put("web_glb", "web.glb", parsed.web_glb, "model/gltf-binary")
            stored = [
                *originals,
                web,
                files["thumbnail"],
                files["geometry"],
            ]
            report(0.95, Message("Recording in the catalogue"))
            version_id = write_retrying(
                engine,
                lambda session: (
                    _record(session, request, meta, prepared, parsed, mesh_sha, stored, actor).id
                ),
            )
        except BaseException:
            if holds:
                _discard_unreferenced(engine, holds[0], written)
            raise
    report(1.0, Message("Done"))
    return version_id


def _put(blobs: BlobStore, data: bytes, written: list[str]) -> str:
    key, created = blobs.store(data)
    if created:
        written.append(key)
    return key


def _discard_unreferenced(engine: Engine, writing: BlobUndo, keys: list[str]) -> None:
    """Remove blobs this import wrote if no row refers to them (the transaction failed)."""

    def referenced(wanted: list[str]) -> set[str]:
        with read_session(engine) as session:
            return set(
                session.scalars(
                    select(StoredFileRow.sha256).where(StoredFileRow.sha256.in_(wanted))
                )
            )

    with contextlib.suppress(BsuError):  # verify reports whatever is left
        writing.undo(keys, referenced)


def _record(
    session: Session,
    request: ImportRequest,
    meta: CleanMetadata,
    prepared: PreparedUpload,
    parsed: ParsedUpload,
    mesh_sha: str,
    stored: list[StoredBlob],
    actor: str,
) -> VersionRow:
    # Imports into one case queue here, so that the model found (or created) by name and the
    # next version number are still true when the rows commit (PostgreSQL runs READ COMMITTED).
    case = session.scalars(
        select(CaseRow)
        .where(CaseRow.reference == request.case_reference)
        .with_for_update(key_share=True)
    ).one()
    model = session.scalars(
        select(ModelRow).where(ModelRow.case_id == case.id, ModelRow.name == meta.name)
    ).one_or_none()
    created = model is None
    if model is None:
        model = ModelRow(
            case=case,
            name=meta.name,
            location=meta.location,
            description=meta.description,
            tags=list(meta.tags),
        )
        session.add(model)
        session.flush()
    number = (
        session.scalar(select(func.max(VersionRow.number)).where(VersionRow.model_id == model.id))
        or 0
    ) + 1
    facts = parsed.facts
    version = VersionRow(
        model=model,
        number=number,
        original_sha256=mesh_sha,
        original_name=prepared.upload_label if len(prepared.originals) == 1 else prepared.mesh_name,
        mesh_member=prepared.mesh_name,
        format=prepared.mesh_format,
        size_bytes=sum(len(f.data) for f in prepared.originals),
        uploaded_by=actor,
        vertices=int(facts["vertices"]),
        faces=int(facts["faces"]),
        bounds=facts["bounds"],
        watertight=bool(facts["watertight"]),
        surface_area=float(facts["surface_area"]),
        has_texture=bool(facts["has_texture"]),
        units=meta.units,
        scale_denominator=meta.scale,
        up_axis=request.up_axis,
        north_axis=request.north_axis,
        warnings=list(facts.get("warnings", [])) + list(prepared.notes),
    )
    session.add(version)
    session.flush()
    for blob in stored:
        session.add(
            StoredFileRow(
                version_id=version.id,
                role=blob.role,
                name=blob.name,
                sha256=blob.key,
                size_bytes=blob.size,
                media_type=blob.media_type,
                derived_from_sha256=blob.derived_from,
                generator=blob.generator,
            )
        )
    append_event(
        session,
        actor=actor,
        action="model.import",
        object_type="version",
        object_id=str(version.id),
        object_sha256=mesh_sha,
        details={
            "case": request.case_reference,
            "model": version.model_id,
            "model_name_sha256": text_sha256(meta.name),
            "model_created": created,
            "version": number,
            "files": [
                {"role": b.role, "name_sha256": text_sha256(b.name), "sha256": b.key}
                for b in stored
            ],
        },
    )
    return version
