"""Rendering the fly-through video of a scene revision, for the catalogue.

Gathers what ``bsu_models.render.video`` needs (the version's mesh, each step's markers,
measurements and sightlines as the stills draw them, the steps' saved views, the caption lines
and cards in the language asked for), writes the MP4 and records the render as one audit event
with the MP4's SHA-256, the original's and the scene revision's. The MP4 carries the original's
and the revision's SHA-256 in its ``comment`` tag, so a copy found later says what it was made
from, and how it was drawn: entities at true size or as plain markers (``figures=on|off``), the
section box of each step whose view cuts the model, the sun.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from bsu_models.core.context import ServiceContext
from bsu_models.core.errors import NotFound
from bsu_models.core.i18n import N_, check_language, format_date, translator
from bsu_models.core.records import VersionInfo
from bsu_models.core.versions import get_version
from bsu_models.ingest.geometry import as_triple, axis_vector, preset_camera
from bsu_models.render.still_service import (
    _sun_text,
    record_render,
    sun_caption,
    sunlight,
    version_mesh,
)
from bsu_models.render.stills import Camera
from bsu_models.render.sunlight import Sunlight
from bsu_models.render.video import (
    Progress,
    VideoSettings,
    VideoStep,
    check_timing,
    render_video,
    video_size,
)
from bsu_models.render.video_camera import filled_cameras
from bsu_models.render.video_encode import check_out
from bsu_models.scenes.scene_items import Section, Step
from bsu_models.scenes.scene_layer import SceneLayer
from bsu_models.scenes.scene_model import SceneDoc
from bsu_models.scenes.scene_sun import step_sun
from bsu_models.scenes.service import SceneService
from bsu_models.scenes.sun import SunPosition

#: The end card's first line and the default watermark (translated where drawn).
END_NOTE = N_("Illustrative re-enactment; positions as stated in the exhibit book")
WATERMARK = N_("Illustrative re-enactment")
T = TypeVar("T")


@dataclass(frozen=True)
class VideoResult:
    """A video written: where, what it shows and what it was made from."""

    out: str
    sha256: str
    bytes: int
    frames: int
    size: tuple[int, int]
    fps: int
    scene_id: int
    revision: int
    revision_sha256: str
    source_sha256: str
    #: The sun lighting each step (None for a step without one); empty when unlit.
    suns: tuple[SunPosition | None, ...] = ()
    #: People, vehicles and cameras drawn at true size (else plain markers).
    figures: bool = True
    #: The section box cutting the model at each step (None: uncut); empty when none is.
    sections: tuple[Section | None, ...] = ()

    @property
    def seconds(self) -> float:
        return self.frames / self.fps

    def to_json(self) -> dict[str, Any]:
        return {
            "out": self.out,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "frames": self.frames,
            "seconds": self.seconds,
            "width": self.size[0],
            "height": self.size[1],
            "fps": self.fps,
            "scene_id": self.scene_id,
            "revision": self.revision,
            "revision_sha256": self.revision_sha256,
            "source_sha256": self.source_sha256,
            "sun": [s.to_json() if s else None for s in self.suns] if self.suns else None,
            "figures": self.figures,
            "section": [c.json() if c else None for c in self.sections] or None,
        }


def _file_sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def model_frame(scenes: SceneService, version: VersionInfo) -> dict[str, Any]:
    """Where a circle around the model starts and which way is up (``VideoSettings``)."""
    bounds = scenes.geometry(version.version_id).bounds
    return {
        "orbit_start": Camera(**preset_camera("iso", bounds, version.up_axis, version.north_axis)),
        "up": as_triple(axis_vector(version.up_axis)),
    }


def rendered_bytes(render: Callable[[Path], T]) -> tuple[T, bytes]:
    """What ``render`` returns and the bytes of the file it wrote at the path it was given: a
    file of a folder of its own, removed afterwards (a download, a post's blob)."""
    with tempfile.TemporaryDirectory(prefix="bsu-video-") as folder:
        out = Path(folder) / "video.mp4"
        result = render(out)
        return result, out.read_bytes()


def scene_video_mp4(
    ctx: ServiceContext, scene_id: int, **options: Any
) -> tuple[str, bytes, VideoResult]:
    """The court video of a scene as MP4 bytes with a file name (a download in the web app);
    options as ``render_scene_video``."""
    result, data = rendered_bytes(lambda out: render_scene_video(ctx, scene_id, out, **options))
    name = f"scene-{scene_id}-r{result.revision}-{result.size[0]}x{result.size[1]}.mp4"
    return name, data, replace(result, out=name)


def video_steps(
    doc: SceneDoc,
    layer_of: Callable[[Step], SceneLayer],
    caption_of: Callable[[int, Step], str] = lambda _number, _step: "",
    sun_of: Callable[[Step], Sunlight | None] = lambda _step: None,
) -> list[VideoStep]:
    """Each step of ``doc`` as the video shows it: its layer (``layer_of``: the court's, or
    the public one), its saved view's camera, its caption line (numbered from 1) and the sun
    lighting it (``sun_of``)."""
    steps: list[VideoStep] = []
    for (number, step), camera in zip(enumerate(doc.steps, 1), step_cameras(doc), strict=True):
        layer = layer_of(step)
        steps.append(
            VideoStep(
                caption_of(number, step),
                layer.markers,
                layer.measurements,
                layer.sightlines,
                camera,
                sun_of(step),
            )
        )
    return steps


def step_cameras(doc: SceneDoc) -> list[Camera | None]:
    """The camera of each step's saved view, as a video flies between them (None: no view)."""
    cameras: list[Camera | None] = []
    for step in doc.steps:
        view = doc.view_for_step(step.id)
        camera = None
        if view is not None:
            camera = Camera(
                view.projection, view.position, view.target, view.up, view.fov_deg,
                view.ortho_scale, section=view.section,
            )  # fmt: skip
        cameras.append(camera)
    return cameras


def step_sections(steps: list[VideoStep]) -> tuple[Section | None, ...]:
    """The section box each step is shown cut by (that of the view it is shown from,
    ``video_camera.filled_cameras``); empty when no step is cut."""
    cuts = tuple(camera.section for camera in filled_cameras(steps))
    return cuts if any(cuts) else ()


def section_text(sections: tuple[Section | None, ...]) -> str:
    """The section boxes as the MP4's tag records them: one per step, ``none`` where uncut."""
    return " | ".join(
        json.dumps(s.json(), separators=(",", ":")) if s else "none" for s in sections
    )


def step_suns(
    version: VersionInfo, doc: SceneDoc, sun_at: str | None = None
) -> dict[str, SunPosition]:
    """The sun of each step of ``doc`` that has one, by step id: at ``sun_at`` for all of
    them, else at the scene's date and each step's time when the version is located (as
    stills are lit, ``scene_sun.step_sun``)."""
    found = {step.id: step_sun(version, doc, step, sun_at) for step in doc.steps}
    if not doc.steps and sun_at is not None:
        found[""] = step_sun(version, doc, None, sun_at)
    return {key: sun for key, sun in found.items() if sun is not None}


def render_scene_video(
    ctx: ServiceContext,
    scene_id: int,
    out: Path,
    *,
    revision: int | None = None,
    size: str = "1920x1080",
    fps: int = 30,
    seconds_per_step: float = 4.0,
    lang: str = "en",
    exhibit: str = "",
    watermark_text: str | None = None,
    date_text: str | None = None,
    actor: str | None = None,
    progress: Progress | None = None,
    sun_at: str | None = None,
    figures: bool = True,
) -> VideoResult:
    """Write the video of scene ``scene_id`` at ``revision`` (default: current) to ``out``, a
    new file; its words in ``lang``. Lit by the sun at ``sun_at``, or by default at each
    step's time when the scene has a date and the version a place, as stills are. ``figures``:
    people, vehicles and cameras at true size, as stills draw them (else plain markers)."""
    _ = translator(check_language(lang)).gettext
    pixels = video_size(size)
    check_timing(fps, seconds_per_step)
    out = Path(out)
    check_out(out)
    scenes = SceneService(ctx)
    info = scenes.info(scene_id)
    ctx.require_case("render", info.case_reference, "scene", str(scene_id))
    version = get_version(ctx, info.version_id)
    revision = info.revision if revision is None else revision
    doc = scenes.document(scene_id, revision)
    found = [r.sha256 for r in scenes.history(scene_id) if r.number == revision]
    if not found:
        raise NotFound(
            "Scene {scene_id} has no revision {revision}.", scene_id=scene_id, revision=revision
        )
    revision_sha256 = found[0]
    suns = step_suns(version, doc, sun_at)

    def caption(number: int, step: Step) -> str:
        line = step_line(number, step)
        sun = suns.get(step.id)
        return f"{line} · {sun_caption(sun, doc.time_zone, _)}" if sun is not None else line

    def step_line(number: int, step: Step) -> str:
        where = {
            "scene": doc.name,
            "revision": revision,
            "number": number,
            "count": len(doc.steps),
            "title": step.title,
        }
        if step.clock:
            return _(
                "Scene: {scene} (revision {revision}) · step {number} of {count}: {title}, {clock}"
            ).format(clock=step.clock, **where)
        return _("Scene: {scene} (revision {revision}) · step {number} of {count}: {title}").format(
            **where
        )

    def sun_of(step: Step) -> Sunlight | None:
        sun = suns.get(step.id)
        return sunlight(version, sun) if sun is not None else None

    steps = video_steps(doc, lambda step: scenes.layer(scene_id, doc, step), caption, sun_of)
    if not steps:  # the model alone, circled
        line = _("Scene: {scene} (revision {revision}) · no steps yet").format(
            scene=doc.name, revision=revision
        )
        alone = suns.get("")
        if alone is not None:
            line = f"{line} · {sun_caption(alone, doc.time_zone, _)}"
        steps.append(VideoStep(line, sun=sunlight(version, alone) if alone else None))
    lit = tuple(suns.get(step.id) for step in doc.steps) if doc.steps else (suns.get(""),)
    lit = lit if any(lit) else ()
    sun_tag = "; sun=" + " | ".join(_sun_text(s) if s else "none" for s in lit) if lit else ""
    sections = step_sections(steps)
    if sections:  # the band says so, as a still's caption does
        steps = [
            replace(step, caption=step.caption + _(" · the model cut by a section box"))
            if cut is not None
            else step
            for step, cut in zip(steps, sections, strict=True)
        ]
    section_tag = f"; section={section_text(sections)}" if sections else ""
    if not date_text:
        now = datetime.now(UTC)
        date_text = now.strftime("%d %b %Y") if lang == "en" else format_date(now, lang)
    case_line = (
        _("{case} · Exhibit {exhibit}").format(case=version.case_reference, exhibit=exhibit)
        if exhibit
        else version.case_reference
    )
    source = version.original_sha256
    settings = VideoSettings(
        size=pixels,
        fps=fps,
        seconds_per_step=seconds_per_step,
        heading=case_line,
        title_lines=(
            doc.name,
            case_line,
            _("Scene {scene}, revision {revision}").format(scene=scene_id, revision=revision),
            _("Model {model}, version {number} ({sha})").format(
                model=version.model_name, number=version.number, sha=source[:12]
            ),
            _("Rendered {date} by BSU Models").format(date=date_text),
        ),
        end_lines=(
            _(END_NOTE),
            _("Original model file SHA-256 {sha}").format(sha=source),
            _("Scene revision {revision} SHA-256 {sha}").format(
                revision=revision, sha=revision_sha256
            ),
        ),
        **model_frame(scenes, version),
        font_file=ctx.settings.font_file,
        lang=lang,
        watermark_text=_(WATERMARK) if watermark_text is None else watermark_text,
        metadata=(
            (
                "comment",
                f"bsu-models video; derived-from-sha256={source}; scene={scene_id}@r{revision}; "
                f"scene-revision-sha256={revision_sha256}{sun_tag}; "
                f"figures={'on' if figures else 'off'}{section_tag}",
            ),
        ),
        figures=figures,
    )
    frames = render_video(version_mesh(ctx, version), steps, settings, out, progress)
    digest, length = _file_sha256(out)
    record_render(
        ctx,
        version,
        actor,
        {
            "video": True,
            "scene": scene_id,
            "revision": revision,
            "revision_sha256": revision_sha256,
            "size": size,
            "fps": fps,
            "seconds_per_step": seconds_per_step,
            "frames": frames,
            "exhibit": exhibit,
            "language": lang,
            "mp4_sha256": digest,
            **({"sun": [_sun_text(s) if s else None for s in lit]} if lit else {}),
            "figures": figures,
            **({"section": [s.json() if s else None for s in sections]} if sections else {}),
        },
    )
    return VideoResult(
        out=str(out),
        sha256=digest,
        bytes=length,
        frames=frames,
        size=pixels,
        fps=fps,
        scene_id=scene_id,
        revision=revision,
        revision_sha256=revision_sha256,
        source_sha256=source,
        suns=lit,
        figures=figures,
        sections=sections,
    )
