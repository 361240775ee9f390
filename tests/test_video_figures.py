"""Fly-through videos draw the entities as stills do: a person at their stated height, moving
and turning between steps, read back from the MP4; a step whose saved view carries a section
box shows the inside of a closed room, the figures whole, and the MP4, the audit log and
``--json`` say how the video was drawn."""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from bsu_models import Entity, Position, SavedView, Step
from bsu_models.cli.commands import main
from bsu_models.render.still_service import version_mesh
from bsu_models.render.stills import Camera
from bsu_models.render.sunlight import Sunlight
from bsu_models.render.video import (
    TITLE_SECONDS,
    VideoSettings,
    frames,
    moved_markers,
    render_video,
)
from bsu_models.render.video_encode import ffmpeg_exe
from bsu_models.render.video_service import video_steps
from tests import test_scene_figures, test_section
from tests.test_video import decode

pytestmark = pytest.mark.render
#: A 40 m x 20 m yard with a 1.80 m suspect (red) facing east, a car and a witness.
yard = test_scene_figures.yard
#: A closed room 8 m x 6 m x 3 m with a pillar, and a scene with one step.
room = test_section.room
SIZE = (480, 270)


def _yard_frame(cat, version, scene_id, tmp_path, figures: bool) -> np.ndarray:
    """The first frame of the yard's only step, seen from its side view (a circle around the
    model starts there), read from the MP4; a one-pixel band, so the view keeps its scale."""
    doc = cat.scenes.document(scene_id)
    steps = video_steps(doc, lambda step: cat.scenes.layer(scene_id, doc, step))
    side = doc.views[0]
    settings = VideoSettings(
        size=SIZE, fps=1, seconds_per_step=1.0, band=Image.new("RGB", (SIZE[0], 1)),
        figures=figures, orbit_start=Camera(side.projection, side.position, side.target,
                                            side.up, side.fov_deg, side.ortho_scale),
    )  # fmt: skip
    out = tmp_path / f"yard-{figures}.mp4"
    render_video(version_mesh(cat.ctx, version), steps, settings, out)
    frame = decode(out)[round(TITLE_SECONDS)]
    Image.fromarray(frame).save(tmp_path / f"yard-{figures}.png")
    return frame.astype(int)


def test_a_person_stands_at_their_height_in_a_frame_of_the_mp4(yard, tmp_path):
    cat, version, scene_id, _doc, _step = yard
    drawn, plain = (_yard_frame(cat, version, scene_id, tmp_path, f) for f in (True, False))
    # Only the figures differ: the flat markers and labels are drawn on both.
    figure = np.abs(drawn - plain).max(axis=2) > 40
    rows = np.flatnonzero(figure.any(axis=1))
    assert rows.size, "no figure drawn"
    column = plain[:, 10]
    ground_top = int(np.flatnonzero(np.abs(column - column[0]).sum(axis=1) > 30)[0])
    # The side view is 40 units (4 m) tall over the frame's height less its one-pixel band.
    metres_per_pixel = 4.0 / (SIZE[1] - 1)
    tall = (ground_top - rows.min()) * metres_per_pixel
    assert tall == pytest.approx(1.80, abs=3 * metres_per_pixel)


def test_a_figure_keeps_its_light_from_frame_to_frame_at_night(yard, tmp_path):
    cat, version, scene_id, doc, _step = yard
    (step,) = video_steps(doc, lambda step: cat.scenes.layer(scene_id, doc, step))
    side = doc.views[0]
    camera = Camera(side.projection, side.position, side.target, side.up, side.fov_deg,
                    side.ortho_scale)  # fmt: skip
    night = replace(step, camera=camera, sun=Sunlight((0.0, 0.0, -1.0), up=False))
    settings = VideoSettings(size=(240, 135), fps=4, seconds_per_step=1.0,
                             band=Image.new("RGB", (240, 1)))  # fmt: skip
    shown = frames(version_mesh(cat.ctx, version), [night, night], settings)
    title = round(TITLE_SECONDS * settings.fps)
    first, second = [frame for _, frame in zip(range(title + 2), shown, strict=False)][title:]
    shown.close()
    Image.fromarray(second).save(tmp_path / "night.png")
    # Two frames at rest on the same step: nothing moves, so nothing may change, the figures'
    # shading included (the night's dimmer ambient light is the model's, not theirs).
    assert _red_body(first.astype(int)).any()
    assert np.array_equal(first, second)


def test_a_figure_moves_and_turns_between_steps(yard):
    cat, _version, scene_id, doc, step = yard
    (start,) = [m for m in cat.scenes.layer(scene_id, doc, step).markers if m.entity_id == "s1"]
    doc = doc.with_step(Step("st2", "Turn", "21:04"))
    doc = doc.with_position(Position("s1", "st2", (20.0, 0.0, 0.0), heading_deg=0.0))
    (end,) = [m for m in cat.scenes.layer(scene_id, doc, doc.steps[1]).markers
              if m.entity_id == "s1"]  # fmt: skip
    (half,) = moved_markers([start], [end], 0.5)
    assert half.point == pytest.approx((10.0, 0.0, 0.0))
    # Half way from facing east to facing north, the short way round.
    diagonal = math.sqrt(0.5)
    assert half.figure.forward == pytest.approx((diagonal, diagonal, 0.0))
    assert half.figure.height == start.figure.height
    heights = [p.centre[2] for p in half.figure.parts]
    assert heights == pytest.approx([p.centre[2] for p in start.figure.parts])
    body = half.figure.parts[0].centre
    assert body[:2] == pytest.approx((10.0, 0.0))
    (arrived,) = moved_markers([start], [end], 1.0)
    assert np.array([p.centre for p in arrived.figure.parts]) == pytest.approx(
        np.array([p.centre for p in end.figure.parts])
    )


RED = "#ff0000"


def comment(path) -> str:
    """The MP4's comment tag in full (ffmpeg's summary cuts long tags short)."""
    run = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "ffmetadata", "-"],
        capture_output=True,
        check=True,
    )
    line = next(x for x in run.stdout.decode().splitlines() if x.startswith("comment="))
    return line.removeprefix("comment=").replace("\\", "")


def _red_body(frame: np.ndarray) -> np.ndarray:
    """Red pixels with red all around them: a figure's body, not a label's thin outline."""
    red = (frame[:, :, 0] > 150) & (frame[:, :, 1] < 90) & (frame[:, :, 2] < 90)
    body = red.copy()
    for dy in (-3, 0, 3):
        for dx in (-3, 0, 3):
            body &= np.roll(red, (dy, dx), axis=(0, 1))
    return body


def test_a_step_whose_view_has_a_section_box_shows_inside_the_room(
    room, tmp_path, monkeypatch, capsys
):
    cat, version, scene = room
    doc = cat.scenes.document(scene.scene_id)
    doc = doc.with_entity(Entity("p1", "P1", "suspect", RED, height_m=1.80))
    doc = doc.with_step(Step("s2", "Inside"))
    for step in ("s1", "s2"):
        doc = doc.with_position(Position("p1", step, (-1500.0, 0.0, 0.0), heading_deg=90.0))
    # Level, from the south, 5 m tall: the closed room's south wall; then the same view cut
    # 0.5 m into the room and 1.2 m above its lowest point, so the room's inside shows and
    # the person's head stands above the cut walls.
    camera = dict(projection="orthographic", position=(0, -14000, 1500), target=(0, 0, 1500),
                  up=(0, 0, 1), fov_deg=None, ortho_scale=5000.0)  # fmt: skip
    cut = cat.scenes.section_box(version.version_id, {"north": (0.5, 6.0), "up": (0.0, 1.2)})
    doc = doc.with_view(SavedView("v1", "Outside", steps=("s1",), **camera))
    doc = doc.with_view(SavedView("v2", "Inside", steps=("s2",), section=cut, **camera))
    saved = cat.scenes.save(scene.scene_id, doc, scene.revision)
    monkeypatch.setenv("BSU_DATA_DIR", str(cat.settings.data_dir))
    monkeypatch.setenv("BSU_DATABASE_URL", cat.settings.database_url)
    out = tmp_path / "room.mp4"
    args = ["video", str(saved.scene_id), "--out", str(out), "--size", "square", "--fps", "1"]
    assert main([*args, "--seconds-per-step", "2", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    shown = decode(out)
    title = round(TITLE_SECONDS)
    # Each step rests one frame, moves one; the last rests two.
    outside, inside = shown[title].astype(int), shown[title + 2].astype(int)
    Image.fromarray(shown[title]).save(tmp_path / "outside.png")
    Image.fromarray(shown[title + 1]).save(tmp_path / "moving.png")
    Image.fromarray(shown[title + 2]).save(tmp_path / "inside.png")
    changed = np.abs(inside - outside).max(axis=2) > 25
    assert changed.mean() > 0.03
    # Outside, the walls hide the person (only the flat marker at the feet shows); inside,
    # the figure stands in the room, whole: its head above the walls cut at 1.2 m.
    hidden, standing = _red_body(outside), _red_body(inside)
    assert np.ptp(np.flatnonzero(hidden.any(axis=1))) < 30
    head = int(np.flatnonzero(standing.any(axis=1)).min())
    grey = inside[:, 400:1000].mean(axis=2) < 215
    wall = np.flatnonzero(grey.mean(axis=1) > 0.5)
    top = int(wall[0])
    bottom = int(wall[np.flatnonzero(np.diff(wall) > 1)[0]])  # the wall ends, the band is lower
    # The wall shows 1.2 m (from the floor slab's underside to the cut), the head of a 1.80 m
    # person standing on the slab rises 0.7 m higher; cut with the walls, it would not.
    assert top - head == pytest.approx(0.7 / 1.2 * (bottom - top), rel=0.1)
    # The box goes on as the camera leaves for its step: the move already looks inside.
    moving = _red_body(shown[title + 1].astype(int))
    assert np.array_equal(moving.any(axis=1), standing.any(axis=1))
    # The video says what it was cut by: the tag, --json and the audit log.
    record = {"low": list(cut.low), "high": list(cut.high)}
    assert printed["figures"] is True and printed["section"] == [None, record]
    tag = comment(out)
    assert "; figures=on" in tag
    assert tag.endswith(f"; section=none | {json.dumps(record, separators=(',', ':'))}")
    details = cat.audit_events(limit=1)[0].details
    assert details["figures"] is True and details["section"] == [None, record]
