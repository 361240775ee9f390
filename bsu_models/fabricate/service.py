"""A printable physical model of a model version at 1:N, written to 3MF or STL with its report.

The version's stored geometry (never the upload itself) is scaled from its file units and model
scale to 1:N of the real world, made solid and checked (``model_print``); only then are the
files written, as one set (``file_set``): all of them, or an earlier print's left untouched.
The print report (a text file and a PDF beside the print, ``print_report``) names the
original's SHA-256, the scale, the printed size, the volume and the parts; the export is an
audit event with the SHA-256 of every file written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bsu_models.core.audit import append_event
from bsu_models.core.blobstore import sha256_bytes
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import committed, write_session
from bsu_models.core.errors import InvalidInput
from bsu_models.core.i18n import check_language, format_datetime, t
from bsu_models.core.text import text_sha256
from bsu_models.core.units import metres_per_model_unit, parse_scale
from bsu_models.core.versions import get_version
from bsu_models.fabricate.file_set import place_files
from bsu_models.fabricate.markers import MarkerSpec
from bsu_models.fabricate.model_print import (
    DEFAULT_BED,
    DEFAULT_MIN_WALL,
    PrintOptions,
    make_print,
)
from bsu_models.fabricate.print_files import Part, stl_bytes, threemf_bytes
from bsu_models.fabricate.print_report import report_pdf, report_text
from bsu_models.render.still_service import version_geometry
from bsu_models.scenes.service import SceneService

FORMATS = (".3mf", ".stl")


@dataclass(frozen=True)
class SceneSource:
    """The scene revision whose markers a print carries, and the step they stand at."""

    scene_id: int
    name: str
    revision: int
    revision_sha256: str
    step: int | None  # None: the scene has no steps, so no markers
    step_title: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.scene_id,
            "name": self.name,
            "revision": self.revision,
            "revision_sha256": self.revision_sha256,
            "step": self.step,
            "step_title": self.step_title,
        }


@dataclass(frozen=True)
class PrintResult:
    """What a print export wrote."""

    version_id: int
    scale: str
    files: tuple[tuple[str, str], ...]  # (path, SHA-256) of each print file
    report: str  # path of the print report
    parts: tuple[str, ...]
    size_mm: tuple[float, float, float]
    landmark_size_mm: tuple[float, float, float]
    volume_mm3: float
    plinth_mm: float
    tiles: tuple[int, int]  # rows, columns
    pins: int
    source_sha256: str
    #: Thin parts thickened to the minimum wall: corners moved and the largest move (mm).
    thickened: tuple[int, float] | None = None
    #: The report as PDF, with a picture of the print, and its SHA-256.
    report_pdf: str = ""
    report_pdf_sha256: str = ""
    #: Faces before and after decimation to the nozzle, and the nozzle (mm); None: not needed.
    decimated: tuple[int, int, float] | None = None
    #: The scene revision and step the markers came from; None: printed without a scene.
    scene: SceneSource | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "version_id": self.version_id,
            "scale": self.scale,
            "files": [{"path": p, "sha256": s} for p, s in self.files],
            "report": self.report,
            "parts": list(self.parts),
            "size_mm": list(self.size_mm),
            "landmark_size_mm": list(self.landmark_size_mm),
            "volume_mm3": self.volume_mm3,
            "plinth_mm": self.plinth_mm,
            "tiles": list(self.tiles),
            "pins": self.pins,
            "source_sha256": self.source_sha256,
            "thickened": (
                None
                if self.thickened is None
                else {"corners_moved": self.thickened[0], "largest_move_mm": self.thickened[1]}
            ),
            "report_pdf": self.report_pdf,
            "report_pdf_sha256": self.report_pdf_sha256,
            "decimated": (
                None
                if self.decimated is None
                else dict(
                    zip(("faces_before", "faces_after", "nozzle_mm"), self.decimated, strict=True)
                )
            ),
            "scene": None if self.scene is None else self.scene.to_json(),
        }


def _check_out(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInput(
            "{path}: a print is written as .3mf or .stl, not {suffix!r}.",
            path=str(out),
            suffix=out.suffix,
        )
    if not out.parent.is_dir():
        raise InvalidInput("{path}: its folder does not exist.", path=str(out))
    return suffix


def _stl_paths(out: Path, parts: list[Part]) -> list[Path]:
    if len(parts) == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{part.name}{out.suffix}") for part in parts]


def _earlier_stl_parts(out: Path) -> re.Pattern[str]:
    """The names an earlier STL print to ``out`` gave its parts (see ``_stl_paths`` and the
    part names of ``model_print``): a new print replaces them all, however many it has."""
    parts = r"model|model-on-base|tile-r\d+c\d+|pin-\d+|marker-.+"
    return re.compile(rf"{re.escape(out.stem)}(?:-(?:{parts}))?{re.escape(out.suffix)}")


def _markers(
    ctx: ServiceContext, version_id: int, scene_id: int | None, step: int | None
) -> tuple[tuple[MarkerSpec, ...], SceneSource | None]:
    """The markers of the entities at ``step`` of the scene, with the revision read."""
    if scene_id is None:
        if step is not None:
            raise InvalidInput("--step needs --scene.")
        return (), None
    scenes = SceneService(ctx)
    info = scenes.info_on(scene_id, version_id)
    # The number and hash read together: the markers come from exactly that revision.
    revision, revision_sha256 = scenes.current_revision(scene_id)
    doc = scenes.document(scene_id, revision)
    source = SceneSource(scene_id, info.name, revision, revision_sha256, None)
    if not doc.steps:
        return (), source
    number = step or 1
    current = doc.step_at(number)
    source = replace(source, step=number, step_title=current.title)
    specs = []
    for entity in doc.entities:
        position = doc.position(entity.id, current.id)
        if position is not None:
            specs.append(
                MarkerSpec(
                    entity.id,
                    entity.label,
                    entity.type,
                    position.point,
                    position.heading_deg,
                    position.eye_height_m,
                )
            )
    return tuple(specs), source


def export_print(
    ctx: ServiceContext,
    version_id: int,
    *,
    scale: str,
    out: Path,
    base: bool = True,
    bed: tuple[float, float, float] = DEFAULT_BED,
    min_wall: float = DEFAULT_MIN_WALL,
    tiles: bool = True,
    scene_id: int | None = None,
    step: int | None = None,
    actor: str | None = None,
    lang: str = "en",
    thicken: bool = False,
) -> PrintResult:
    """Write the print of ``version_id`` at ``scale`` (``"1:500"``) to ``out`` (.3mf or .stl)
    with its report beside it; with ``scene_id``, a marker for each entity placed at ``step``
    (its number, from 1) of the scene's current revision; ``thicken``: parts thinner than
    ``min_wall`` are thickened to it (``fabricate.thicken``) rather than refused."""
    lang = check_language(lang)
    version = get_version(ctx, version_id)
    ctx.require_case("model.print", version.case_reference, "version", str(version_id))
    denominator = parse_scale(scale)
    if denominator is None:
        raise InvalidInput("Give the print's scale, like --scale 1:500.")
    known_scale = None if version.scale == "unknown" else parse_scale(version.scale)
    per_unit = metres_per_model_unit(version.units, known_scale)
    if per_unit is None:
        raise InvalidInput(
            "Model version {version} has unknown units or scale (units {units}, scale {scale}), "
            "so its real-world size is not known and it cannot be printed to scale.",
            version=version_id,
            units=version.units,
            scale=version.scale,
        )
    if min_wall < 0:
        raise InvalidInput("--min-wall must be 0 or more millimetres.")
    suffix = _check_out(out)
    markers, scene = _markers(ctx, version_id, scene_id, step)
    vertices, faces = version_geometry(ctx, version)
    job = make_print(
        vertices,
        faces,
        up_axis=version.up_axis,
        north_axis=version.north_axis,
        mm_per_unit=per_unit * 1000.0 / denominator,
        options=PrintOptions(denominator, base, bed, min_wall, tiles, thicken),
        case_reference=version.case_reference,
        font_file=ctx.settings.font_file,
        markers=markers,
    )
    scale_text = f"1:{denominator:g}"
    # Every byte is made, and hashed, before the first file is written: a failure on the way
    # (the report's picture, its font) leaves no print behind without its report and event.
    files: list[tuple[Path, bytes]] = []
    if suffix == ".3mf":
        metadata = {
            "Title": f"{version.model_name} {scale_text}",
            "Designer": "BSU Models",
            "Description": f"Model version {version_id}, original SHA-256 "
            f"{version.original_sha256}, printed at {scale_text}"
            + (
                ""
                if scene is None
                else f", markers from scene {scene.scene_id} revision {scene.revision} "
                f"(SHA-256 {scene.revision_sha256}) step {scene.step}"
            ),
        }
        files.append((out, threemf_bytes(job.parts, metadata)))
    else:
        for path, part in zip(_stl_paths(out, job.parts), job.parts, strict=True):
            header = f"bsu-models {scale_text} {part.name} src {version.original_sha256[:40]}"
            files.append((path, stl_bytes(part, header)))
    written = [(str(path), sha256_bytes(data)) for path, data in files]
    report_path = out.with_name(f"{out.stem}.print-report.txt")
    pdf_path = out.with_name(f"{out.stem}.print-report.pdf")
    resolution = job.resolution
    result = PrintResult(
        version_id=version_id,
        scale=scale_text,
        files=tuple(written),
        report=str(report_path),
        parts=tuple(p.name for p in job.parts),
        size_mm=job.size,
        landmark_size_mm=job.landmark_size,
        volume_mm3=job.volume,
        plinth_mm=job.plinth,
        tiles=(job.rows, job.columns),
        pins=job.pins,
        source_sha256=version.original_sha256,
        thickened=(
            None
            if job.thickened is None
            else (job.thickened.moved, round(job.thickened.largest_mm, 4))
        ),
        report_pdf=str(pdf_path),
        decimated=(
            None
            if resolution is None or not resolution.decimated
            else (resolution.faces_before, resolution.faces_after, resolution.nozzle_mm)
        ),
        scene=scene,
    )
    made = datetime.now(UTC)
    when = format_datetime(made, lang)
    described = t("{case} / {model}, version {number}", lang).format(
        case=version.case_reference, model=version.model_name, number=version.number
    )
    text = report_text(job, result, described, when, lang)
    report = text.encode("utf-8")
    report_sha = sha256_bytes(report)
    pdf = report_pdf(job, text, version.original_sha256, made, lang, ctx.settings.font_file)
    result = replace(result, report_pdf_sha256=sha256_bytes(pdf))
    files += [(report_path, report), (pdf_path, pdf)]
    placed = place_files(files, replaced=_earlier_stl_parts(out) if suffix == ".stl" else None)
    session = None
    try:
        with write_session(ctx.engine) as session:
            append_event(
                session,
                actor=ctx.actor_name(actor),
                action="model.print",
                object_type="version",
                object_id=str(version_id),
                object_sha256=version.original_sha256,
                details={
                    "scale": scale_text,
                    "format": suffix[1:],
                    "base": base,
                    "bed_mm": list(bed),
                    "min_wall_mm": min_wall,
                    "tiles": [job.rows, job.columns],
                    "pins": job.pins,
                    "size_mm": [round(v, 2) for v in job.size],
                    "volume_mm3": round(job.volume, 1),
                    # File names are the user's text: the log keeps their hashes.
                    "files": [
                        {"name_sha256": text_sha256(Path(p).name), "sha256": s} for p, s in written
                    ],
                    "report_sha256": report_sha,
                    "report_pdf_sha256": result.report_pdf_sha256,
                    "decimated": result.to_json()["decimated"],
                    "scene": scene_id,
                    "revision": None if scene is None else scene.revision,
                    "revision_sha256": None if scene is None else scene.revision_sha256,
                    "step": None if scene is None else scene.step,
                    "markers": [m.entity_id for m in markers],
                    "thickened": result.to_json()["thickened"],
                },
            )
    except BaseException:
        if committed(session):
            # The event is saved and names these files (what failed came after, such as the
            # audit head file): they stay, as it says.
            placed.keep()
        else:
            # Files without their audit event are not an export anyone may rely on: the
            # earlier print's files, if any, are put back.
            placed.undo()
        raise
    placed.keep()
    return result
