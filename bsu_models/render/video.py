"""Fly-through videos of a re-enactment: the camera moves from one step's saved view to the
next while the entities move between their positions, with a title card and an end card.

``render_video`` takes validated mesh arrays (``MeshArrays``), the steps as plain values
(``VideoStep``: the markers, measurements and sightlines the stills draw at that step, the step's
camera and its caption line) and ``VideoSettings``, and writes an H.264 MP4 through
``bsu_models.render.video_encode``. Each frame is drawn as a still is: the model by the stills'
renderer (one plotter for the whole video), the scene marks by ``bsu_models.render.overlay``,
the caption band and the watermark by ``bsu_models.render.overlay_furniture``. Only the overlays
that make sense in motion are drawn: markers, labels and paths on every frame, measurements and
sightlines only while the camera rests at their step; no legend, scale bar or north arrow, which
would change meaning as the camera turns. People, vehicles and cameras are drawn at true size
in the model as stills draw them (``bsu_models.render.figures``; ``VideoSettings.figures``),
moving and turning with their markers. A step whose saved view has a section box shows the
model cut by it, as its still does (the figures stay whole); the camera's path and the boxes
on the way are ``bsu_models.render.video_camera``'s. Steps with a sun
(``VideoStep.sun``) are lit by it as stills are, with shadows; between two steps the sun moves
from one's place to the other's.

Timing: a title card, then each step rests half of ``seconds_per_step`` and moves to the next in
the other half (the last one rests the whole time), then an end card. Between two steps an entity
placed at both moves along the straight stretch of its path between them; one placed at only
one of them is shown only while the camera rests there. With no saved views, or only one step,
the camera circles the model instead. Nothing random and no clock is read here, so the same
inputs give the same frames.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from bsu_models.core.errors import InvalidInput, Message
from bsu_models.ingest.meshdata import MeshArrays
from bsu_models.render.camera_path import ease
from bsu_models.render.figures import FigureActors, figure_between
from bsu_models.render.fonts import font
from bsu_models.render.offscreen import _RENDER_LOCK, model_actor
from bsu_models.render.overlay import Overlays, draw_scene
from bsu_models.render.overlay_canvas import INK, _Canvas, new_canvas
from bsu_models.render.overlay_furniture import draw_caption, watermark_layers
from bsu_models.render.stills import (
    Camera,
    _frame_above,
    _projector,
    cut_to_section,
    model_plotter,
    shoot,
)
from bsu_models.render.sunlight import Sunlight, move_sun
from bsu_models.render.video_camera import Cameras, moments
from bsu_models.render.video_encode import mp4_writer, write_frame
from bsu_models.scenes.scene_items import Section
from bsu_models.scenes.scene_layer import Marker, MeasureLine, PathLine, SceneLayer, SightLine

VIDEO_SIZES: dict[str, tuple[int, int]] = {
    "1920x1080": (1920, 1080),
    "4k": (3840, 2160),
    "square": (1080, 1080),
    "portrait": (1080, 1350),
    "story": (1080, 1920),
}
FPS_RANGE = (1, 60)
SECONDS_PER_STEP_RANGE = (0.5, 60.0)
TITLE_SECONDS = 2.5
END_SECONDS = 3.0
#: A circle around the model of a one-step scene takes at least this long, or it spins.
MIN_ORBIT_SECONDS = 6.0
CARD_COLOUR = (22, 34, 56)
CARD_INK = (255, 255, 255)
CARD_SOFT = (196, 205, 220)
#: Overlays drawn while the camera moves; measurements and sightlines only at rest.
MOVING = Overlays(
    measurements=False, sightlines=False, scale_bar=False, north_arrow=False, legend=False,
    caption=False,
)  # fmt: skip
RESTING = replace(MOVING, measurements=True, sightlines=True)

Progress = Callable[[float, Message], None]


def video_size(name: str, sizes: Mapping[str, tuple[int, int]] = VIDEO_SIZES) -> tuple[int, int]:
    """The pixels of the size called ``name``, one of ``sizes``."""
    if name not in sizes:
        raise InvalidInput(
            "Video size {size!r} is not one of {choices}.",
            size=name,
            choices=", ".join(sizes),
        )
    return sizes[name]


def check_timing(fps: int, seconds_per_step: float) -> None:
    if not FPS_RANGE[0] <= fps <= FPS_RANGE[1]:
        raise InvalidInput(
            "Frames per second must be from {low} to {high}, not {fps}.",
            low=FPS_RANGE[0],
            high=FPS_RANGE[1],
            fps=fps,
        )
    low, high = SECONDS_PER_STEP_RANGE
    if not low <= seconds_per_step <= high:
        raise InvalidInput(
            "Seconds per step must be from {low} to {high}, not {seconds}.",
            low=low,
            high=high,
            seconds=seconds_per_step,
        )


@dataclass(frozen=True)
class VideoStep:
    """One step as the video shows it."""

    caption: str  # the band's step line, as drawn
    markers: tuple[Marker, ...] = ()
    measurements: tuple[MeasureLine, ...] = ()
    sightlines: tuple[SightLine, ...] = ()
    #: The step's saved view, its section box included; None: none saved.
    camera: Camera | None = None
    #: The sun at the step's time, lighting the model as it lights stills; None: no sun.
    sun: Sunlight | None = None


@dataclass(frozen=True)
class VideoSettings:
    size: tuple[int, int]
    fps: int = 30
    seconds_per_step: float = 4.0
    heading: str = ""  # the band's first line (case, exhibit)
    title_lines: tuple[str, ...] = ()  # the title card: a title, then smaller lines
    end_lines: tuple[str, ...] = ()
    orbit_start: Camera | None = None  # where a circle around the model starts
    up: tuple[float, float, float] = (0.0, 0.0, 1.0)
    font_file: str = ""
    lang: str = "en"
    watermark_text: str = ""
    watermark_logo: bytes | None = field(default=None, repr=False)
    metadata: tuple[tuple[str, str], ...] = ()  # MP4 tags (court copies)
    public: bool = False  # no tags at all
    #: A band drawn along the bottom of every frame, cards included, instead of the caption
    #: band of each step (public posts: the officer's caption, the badge and watermark).
    band: Image.Image | None = field(default=None, repr=False, compare=False)
    #: People, vehicles and cameras at true size (``Overlays.figures`` of stills); else only
    #: their plain markers.
    figures: bool = True


@dataclass(frozen=True)
class Frame:
    """What one frame of the steps part shows: steps ``a`` to ``b`` at ``u`` (0..1; a == b at
    rest) and the camera's place on a circle (``orbit``, 0..1) when it circles."""

    a: int
    b: int
    u: float
    orbit: float


def step_frames(count: int, fps: int, seconds_per_step: float, orbit: bool) -> list[Frame]:
    """The frames of the steps part of a video of ``count`` steps."""
    rest = max(1, round(seconds_per_step * fps / 2))
    move = max(1, round(seconds_per_step * fps / 2))
    last = max(1, round(seconds_per_step * fps))
    if orbit and count == 1:
        last = max(last, round(MIN_ORBIT_SECONDS * fps))
    timeline: list[tuple[int, int, float]] = []
    for k in range(count):
        if k == count - 1:
            timeline += [(k, k, 0.0)] * last
        else:
            timeline += [(k, k, 0.0)] * rest
            timeline += [(k, k + 1, (j + 1) / (move + 1)) for j in range(move)]
    span = max(1, len(timeline) - 1)
    return [Frame(a, b, u, i / span) for i, (a, b, u) in enumerate(timeline)]


def moved_markers(start: Sequence[Marker], end: Sequence[Marker], u: float) -> list[Marker]:
    """The markers of one step ``u`` (0..1, eased) of the way to where the next step has them,
    their figures carried and turned with them; one that the next step does not place is left
    out while moving."""
    s = ease(u)
    ends = {m.entity_id: m for m in end}
    markers: list[Marker] = []
    for marker in start:
        other = ends.get(marker.entity_id)
        if other is not None:
            point = (1 - s) * np.asarray(marker.point) + s * np.asarray(other.point)
            moved = (float(point[0]), float(point[1]), float(point[2]))
            figure = marker.figure
            if figure is not None:
                figure = figure_between(
                    figure, marker.point, other.figure or figure, other.point, s
                )
            markers.append(replace(marker, point=moved, figure=figure))
    return markers


def movement_samples(
    start: SceneLayer, end: SceneLayer, count: int
) -> list[dict[str, tuple[float, float, float]]]:
    """Where each entity is at ``count`` moments between two steps, as the video moves them
    (the same easing and the same moments as a video's frames between the steps): one
    ``{entity id: point}`` per moment, ending where the next step places them."""
    return [
        {m.entity_id: m.point for m in moved_markers(start.markers, end.markers, u)}
        for u in moments(count)
    ]


def _moving_layer(steps: Sequence[VideoStep], frame: Frame) -> SceneLayer:
    """Markers where the entities are at ``frame`` and the paths they have walked so far."""
    a, b = steps[frame.a], steps[frame.b]
    if frame.a == frame.b:
        markers = list(a.markers)
    else:
        markers = moved_markers(a.markers, b.markers, frame.u)
    walked: dict[str, list[tuple[float, float, float]]] = {}
    colours: dict[str, str] = {}
    for step in steps[: frame.a + 1]:
        for marker in step.markers:
            walked.setdefault(marker.entity_id, []).append(marker.point)
            colours[marker.entity_id] = marker.colour
    if frame.a != frame.b:
        for marker in markers:
            walked.setdefault(marker.entity_id, []).append(marker.point)
    paths = tuple(
        PathLine(colours[entity], tuple(points))
        for entity, points in walked.items()
        if len(points) > 1
    )
    if frame.a == frame.b:
        return SceneLayer(tuple(markers), paths, a.measurements, a.sightlines)
    return SceneLayer(tuple(markers), paths)


def _sun_at(steps: Sequence[VideoStep], frame: Frame) -> Sunlight | None:
    """The sun of ``frame``: its step's, or on the way between two steps' suns (both up)."""
    a, b = steps[frame.a].sun, steps[frame.b].sun
    if frame.a == frame.b or a is None or b is None or not (a.up and b.up):
        return (a if frame.u < 0.5 else b) or a or b
    s = ease(frame.u)
    mixed = (1 - s) * np.asarray(a.direction) + s * np.asarray(b.direction)
    mixed /= np.linalg.norm(mixed) or 1.0
    return Sunlight((float(mixed[0]), float(mixed[1]), float(mixed[2])), True)


class _Watermark:
    """The watermark's layers flattened once into one colour picture and its coverage, pasted
    onto each frame (one blend in Pillow's C code rather than a composite per layer)."""

    def __init__(self, settings: VideoSettings) -> None:
        self.colour: Image.Image | None = None
        self.mask: Image.Image | None = None
        if not settings.watermark_text and settings.watermark_logo is None:
            return
        logo = Image.open(io.BytesIO(settings.watermark_logo)) if settings.watermark_logo else None
        flat = Image.new("RGBA", settings.size, (0, 0, 0, 0))
        for layer, place in watermark_layers(
            settings.size, settings.watermark_text, settings.font_file, logo
        ):
            flat.alpha_composite(layer, place)
        self.colour, self.mask = flat.convert("RGB"), flat.getchannel("A")

    def lay(self, image: Image.Image) -> None:
        if self.colour is not None:
            image.paste(self.colour, (0, 0), self.mask)


def _card(size: tuple[int, int], lines: Sequence[str], font_file: str) -> Image.Image:
    """A title or end card: the first line large, the others below it, centred."""
    width, height = size
    unit = min(width, height) / 1080
    image = Image.new("RGB", size, CARD_COLOUR)
    draw = ImageDraw.Draw(image)
    blocks = []
    for index, line in enumerate(lines):
        points = 56 if index == 0 else 30
        face = font(max(10, round(points * unit)), font_file, index == 0)
        while face.getlength(line) > width * 0.9 and points > 12:
            points -= 2
            face = font(max(10, round(points * unit)), font_file, index == 0)
        blocks.append((line, face, round(points * unit * (1.9 if index == 0 else 1.6))))
    y = (height - sum(h for _line, _face, h in blocks)) / 2
    for index, (line, face, line_h) in enumerate(blocks):
        ink = CARD_INK if index == 0 else CARD_SOFT
        draw.text((width / 2, y + line_h / 2), line, fill=ink, font=face, anchor="mm")
        y += line_h
    return image


class _Bands:
    """The caption band of each caption, drawn once: it changes only from step to step. Lines
    too wide for the picture (a portrait video) break at their `` · `` separators, else
    between characters."""

    def __init__(self, settings: VideoSettings) -> None:
        self.settings = settings
        self.cache: dict[tuple[str, ...], tuple[np.ndarray, int]] = {}

    def _fit(self, canvas: _Canvas, line: str, bold: bool) -> list[str]:
        room = canvas.image.size[0] - 80 * canvas.unit
        face = canvas.font(21, bold)
        if face.getlength(line) <= room:
            return [line]
        lines: list[str] = []
        current = ""
        for index, piece in enumerate(line.split(" · ")):
            joined = f"{current} · {piece}" if index else piece
            if face.getlength(joined) <= room:
                current = joined
                continue
            if current:
                lines.append(current)
            current = ""
            for char in piece:
                if current and face.getlength(current + char) > room:
                    lines.append(current)
                    current = ""
                current += char
        return [*lines, current] if current else lines

    def get(self, lines: tuple[str, ...]) -> tuple[np.ndarray, int]:
        if lines not in self.cache:
            width, height = self.settings.size
            blank = Image.new("RGB", (width, height), INK)
            canvas = new_canvas(blank, self.settings.font_file, self.settings.lang)
            # The first line is drawn bold: only a heading that fits keeps the first place.
            fitted = [
                part for i, line in enumerate(lines) for part in self._fit(canvas, line, i == 0)
            ]
            top = int(draw_caption(canvas, fitted))
            self.cache[lines] = (np.asarray(blank)[top:].copy(), top)
        return self.cache[lines]


def _card_frame(settings: VideoSettings, lines: Sequence[str], watermark: _Watermark) -> np.ndarray:
    card = _card(settings.size, lines, settings.font_file)
    watermark.lay(card)
    if settings.band is not None:
        card.paste(settings.band, (0, settings.size[1] - settings.band.height))
    return np.asarray(card)


def frame_count(steps: int, settings: VideoSettings, orbit: bool) -> int:
    cards = round(TITLE_SECONDS * settings.fps) + round(END_SECONDS * settings.fps)
    return cards + len(step_frames(steps, settings.fps, settings.seconds_per_step, orbit))


def frames(
    mesh: MeshArrays, steps: Sequence[VideoStep], settings: VideoSettings
) -> Iterator[np.ndarray]:
    """Every frame of the video, ``(h, w, 3) uint8``, in order."""
    if not steps:
        raise InvalidInput("A video needs at least one step (or one stand-in for none).")
    check_timing(settings.fps, settings.seconds_per_step)
    size = settings.size
    cameras = Cameras(steps, settings)
    watermark = _Watermark(settings)
    bands = _Bands(settings)
    fixed: tuple[np.ndarray, int] | None = None
    if settings.band is not None:
        fixed = (np.asarray(settings.band.convert("RGB")), size[1] - settings.band.height)
    title = _card_frame(settings, settings.title_lines, watermark)
    for _ in range(round(TITLE_SECONDS * settings.fps)):
        yield title
    # One plotter lit by the sun for the whole video when any step has one (with shadows when
    # it is up at any step); its sun moves with the steps' times, a step after sunset gets the
    # night lighting and a step without a time the neutral light that a still of it gets.
    risen = next((s.sun for s in steps if s.sun is not None and s.sun.up), None)
    risen = risen or next((s.sun for s in steps if s.sun is not None), None)
    with _RENDER_LOCK:
        plotter = model_plotter(mesh, size, sun=risen)
    model = model_actor(plotter)  # only the model is cut, not the figures
    figures = FigureActors(plotter) if settings.figures else None
    cut: Section | None = None
    try:
        for frame in step_frames(len(steps), settings.fps, settings.seconds_per_step,
                                 cameras.orbit):  # fmt: skip
            step = steps[frame.b]
            line = step.caption if frame.a == frame.b else f"→ {step.caption}"
            band, top = fixed or bands.get((settings.heading, line))
            camera = _frame_above(cameras.at(frame), 1 - top / size[1])
            sun = _sun_at(steps, frame) if risen is not None else None
            layer = _moving_layer(steps, frame)
            with _RENDER_LOCK:
                if risen is not None:
                    # A step with no time has no known sun: neutral light, no shadow.
                    move_sun(plotter, mesh, sun)
                if camera.section != cut:
                    model.mapper.RemoveAllClippingPlanes()
                    if camera.section is not None:
                        cut_to_section(model, camera.section)
                    cut = camera.section
                if figures is not None:
                    figures.show(layer)
                pixels, world_to_clip = shoot(plotter, camera, size)
            image = Image.fromarray(pixels)
            canvas = new_canvas(image, settings.font_file, settings.lang)
            image.paste(Image.fromarray(band), (0, top))
            canvas.taken.append((0, top, size[0], size[1]))
            overlays = RESTING if frame.a == frame.b else MOVING
            draw_scene(canvas, layer, _projector(world_to_clip, size), overlays)
            watermark.lay(image)
            yield np.asarray(image)
    finally:
        with _RENDER_LOCK:
            plotter.close()
    end = _card_frame(settings, settings.end_lines, watermark)
    for _ in range(round(END_SECONDS * settings.fps)):
        yield end


class Cancelled(Exception):
    """Raised by a progress callback to stop a render; nothing is written."""


def render_video(
    mesh: MeshArrays,
    steps: Sequence[VideoStep],
    settings: VideoSettings,
    out: Path,
    progress: Progress | None = None,
) -> int:
    """Write the video to ``out`` (a new file) and return its number of frames. ``progress``
    is told the fraction done after each frame; an exception it raises (``Cancelled``) stops
    the render and leaves no file."""
    known = [s.camera for s in steps if s.camera is not None]
    total = frame_count(len(steps), settings, not known or len(steps) == 1)
    report = progress or (lambda _fraction, _message: None)
    written = 0
    with mp4_writer(
        out, settings.size, settings.fps, dict(settings.metadata), public=settings.public
    ) as stream:
        for pixels in frames(mesh, steps, settings):
            write_frame(stream, pixels)
            written += 1
            report(
                written / total,
                Message("Frame {number} of {count}", number=written, count=total),
            )
    return written
