"""Fly-through videos lit by the sun as stills are: a frame's shadow falls away from the sun of
its step and follows the steps' times, the caption says where the sun was, and the MP4, the
audit log and ``--json`` record it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import bsu_models
from bsu_models import Step
from bsu_models.cli.commands import main
from bsu_models.ingest.geometry import preset_camera
from bsu_models.render.still_service import sunlight, version_mesh
from bsu_models.render.stills import Camera
from bsu_models.render.video import TITLE_SECONDS, VideoSettings, VideoStep, frames
from bsu_models.scenes.sun import parse_moment, sun_position
from tests import test_sunlit_stills
from tests.test_sunlit_stills import BOX, EVENING, HKO, MORNING, _at
from tests.test_video import decode, probe

pytestmark = pytest.mark.render
#: The stills' block with its slab, at the Hong Kong Observatory.
block = test_sunlit_stills.block
SIZE = (480, 270)
FPS = 2


def _step_frames(system, version, suns: list[str | None]) -> list[np.ndarray]:
    """The resting frame of each step of a plan-view video (no caption band), one step per
    entry of ``suns`` (a time lighting it, or None: unlit), as grey levels."""
    mesh = version_mesh(system.ctx, version)
    plan = Camera(**preset_camera("plan", np.array(version.bounds), "+z", "+y"))
    steps = [
        VideoStep(
            "",
            camera=plan,
            sun=None if at is None else sunlight(version, sun_position(*HKO, parse_moment(at))),
        )
        for at in suns
    ]
    settings = VideoSettings(
        size=SIZE, fps=FPS, seconds_per_step=1.0, band=Image.new("RGB", (SIZE[0], 1))
    )
    every = list(frames(mesh, steps, settings))
    title = round(TITLE_SECONDS * FPS)
    # Each step rests for one frame (half a second at 2 fps), then moves for one.
    return [
        np.asarray(Image.fromarray(every[title + 2 * k]).convert("L"), dtype=float)
        for k in range(len(suns))
    ]


def test_a_frame_is_shaded_as_the_sun_of_its_step_predicts(block, tmp_path):
    system, version, _unlocated = block
    evening, morning, untimed = _step_frames(system, version, [EVENING, MORNING, None])
    (unlit,) = _step_frames(system, version, [None])
    Image.fromarray(evening.astype(np.uint8)).save(tmp_path / "evening.png")
    east, west = BOX / 2 + BOX, -BOX / 2 - BOX
    # The sun low in the west: the block's shadow lies east of it; in the morning, west.
    assert _at(evening, version, west, 0) - _at(evening, version, east, 0) > 25
    assert _at(morning, version, east, 0) - _at(morning, version, west, 0) > 25
    # Unlit, the ground either side of the block is alike: the shadow is the sun's doing.
    assert abs(_at(unlit, version, east, 0) - _at(unlit, version, west, 0)) < 6
    assert not np.array_equal(evening, unlit)
    # A step without a time in a sunlit video keeps no sun of another step: no shadow.
    assert abs(_at(untimed, version, east, 0) - _at(untimed, version, west, 0)) < 6
    # Nor is it night: it is lit as a video of steps without times is (as stills without one).
    for x, y in ((west, 0), (east, 0), (0, 0), (-400, 200)):
        assert _at(untimed, version, x, y) == pytest.approx(_at(unlit, version, x, y), abs=8)


def test_a_step_after_sunset_has_no_sunlight(block):
    system, version, _unlocated = block
    evening, night = _step_frames(system, version, [EVENING, "2026-06-21T21:00"])
    # No sun: no shadow (in the evening one lies east of the block).
    west, east = -BOX / 2 - BOX, BOX / 2 + BOX
    assert abs(_at(night, version, west, 0) - _at(night, version, east, 0)) < 6
    assert _at(evening, version, west, 0) - _at(evening, version, east, 0) > 25
    # Lit for legibility as a still at that time is: the same grey on the ground and the block.
    still = test_sunlit_stills._plan(system, version, "2026-06-21T21:00")
    for x, y in ((west, 0), (east, 0), (0, 0), (-400, 200)):
        assert _at(night, version, x, y) == pytest.approx(_at(still, version, x, y), abs=2)


def _dated_scene(system, version) -> int:
    scene = system.scenes.create(version.version_id, "Evening walk")
    doc = system.scenes.document(scene.scene_id)
    doc = doc.with_step(Step("s1", "Arrives", "17:30")).with_step(Step("s2", "Leaves", "21:00"))
    system.scenes.save(
        scene.scene_id, bsu_models.SceneDoc(**{**doc.__dict__, "date": "2026-06-21"}), 1
    )
    return scene.scene_id


def test_scene_video_is_sunlit_from_the_scene_date_and_records_it(block, tmp_path):
    system, version, _unlocated = block
    scene_id = _dated_scene(system, version)
    out = tmp_path / "walk.mp4"
    options = {"size": "square", "fps": 1, "seconds_per_step": 1.0, "date_text": "x"}
    result = system.render_video(scene_id, out, **options)
    assert [s.at.isoformat() if s else None for s in result.suns] == [
        "2026-06-21T17:30:00+08:00",
        "2026-06-21T21:00:00+08:00",
    ]
    assert result.suns[0].up and not result.suns[1].up
    record = result.to_json()["sun"]
    assert record[0]["azimuth_deg"] == pytest.approx(287.7, abs=0.1)
    assert "sun=2026-06-21T17:30:00+08:00 azimuth 287.7" in probe(out)
    event = system.audit_events(limit=1)[0]
    assert event.details["sun"][0].startswith("2026-06-21T17:30:00+08:00 azimuth 287.7")
    # The caption band of the first step states the sun, as a still's caption does.
    shown = decode(out)
    assert len(shown) == result.frames
    band = Image.fromarray(shown[round(TITLE_SECONDS)])
    band.crop((0, 900, 1080, 1080)).save(tmp_path / "band.png")


def test_cli_video_sun_at(block, tmp_path, monkeypatch, capsys):
    system, version, _unlocated = block
    monkeypatch.setenv("BSU_DATA_DIR", str(system.settings.data_dir))
    monkeypatch.setenv("BSU_DATABASE_URL", system.settings.database_url)
    scene = system.scenes.create(version.version_id, "Undated")
    out = tmp_path / "undated.mp4"
    args = ["video", str(scene.scene_id), "--out", str(out), "--size", "square", "--fps", "1"]
    assert main([*args, "--seconds-per-step", "1", "--sun-at", EVENING, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["sun"][0]["at"] == "2026-06-21T17:30:00+08:00"
    assert system.audit_events(limit=1)[0].details["sun"][0].startswith("2026-06-21T17:30")
    again = tmp_path / "bad.mp4"
    assert main(["video", str(scene.scene_id), "--out", str(again), "--sun-at", "17:30"]) == 2
    err = capsys.readouterr().err
    assert "has no date" in err and err.count("\n") == 1 and not again.exists()
