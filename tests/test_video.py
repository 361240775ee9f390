"""Fly-through videos: the demo scene as a real H.264 1080p MP4, the same revision twice gives
the same frames, court hashes in the file, Chinese captions in the CJK font, orbits for scenes
without views, plain errors, and no file at all after a cancelled or killed render."""

from __future__ import annotations

import hashlib
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import trimesh

import bsu_models
from bsu_models.demo import load_demo
from bsu_models.ingest.meshdata import MeshArrays
from bsu_models.render import camera_path
from bsu_models.render.stills import Camera
from bsu_models.render.video import (
    Cancelled,
    VideoSettings,
    VideoStep,
    frames,
    render_video,
    step_frames,
)
from bsu_models.render.video_encode import ffmpeg_exe
from bsu_models.scenes.scene_layer import Marker
from tests.conftest import REPO, approve_for_court, make_settings

pytestmark = pytest.mark.render
SMALL = {"size": "square", "fps": 2, "seconds_per_step": 0.5, "date_text": "25 Nov 2026"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A catalogue with the demo case; the footbridge scene (four steps, three saved views)."""
    catalogue = bsu_models.open_catalogue(make_settings(tmp_path_factory.mktemp("video") / "d"))
    load_demo(catalogue)
    scene = next(s for s in catalogue.scenes.list_scenes() if "Footbridge" in s.name)
    yield catalogue, scene.scene_id
    catalogue.close()


def decode(path: Path) -> list[np.ndarray]:
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    return [np.frombuffer(f, np.uint8).reshape(height, width, 3) for f in reader]


def probe(path: Path) -> str:
    """What ffmpeg says about the file (its stream and tags)."""
    run = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True)
    return run.stderr.decode("utf-8", "replace")


def top_boxes(path: Path) -> list[str]:
    data, boxes, offset = path.read_bytes(), [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        boxes.append(data[offset + 4 : offset + 8].decode("latin-1"))
        if size < 8:
            break
        offset += size
    return boxes


@pytest.mark.slow
def test_demo_scene_is_an_h264_1080p_mp4_with_the_court_hashes(demo, tmp_path):
    catalogue, scene_id = demo
    out = tmp_path / "demo.mp4"
    result = catalogue.render_video(
        scene_id, out, size="1920x1080", fps=2, seconds_per_step=1, date_text="25 Nov 2026"
    )
    info = probe(out)
    assert "Video: h264" in info and "yuv420p" in info and "1920x1080" in info
    assert top_boxes(out)[:3] == ["ftyp", "moov", "free"] or top_boxes(out)[1] == "moov"
    decoded = decode(out)
    assert len(decoded) == result.frames
    picks = [decoded[int(len(decoded) * p)] for p in (0.1, 0.5, 0.9)]
    for frame in picks:
        assert frame.shape == (1080, 1920, 3) and frame.std() > 10  # not blank
    for a, b in ((0, 1), (1, 2), (0, 2)):
        assert np.abs(picks[a].astype(int) - picks[b]).mean() > 5
    # The court copy says what it was made from, and the audit log says what was written.
    version = catalogue.get_version(catalogue.scenes.info(scene_id).version_id)
    revision_sha = catalogue.scenes.history(scene_id)[-1].sha256
    assert f"derived-from-sha256={version.original_sha256}" in info
    assert f"scene-revision-sha256={revision_sha}" in info
    assert result.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    event = catalogue.audit_events(1)[0]
    assert event.action == "render" and event.details["mp4_sha256"] == result.sha256
    assert event.details["revision_sha256"] == revision_sha


@pytest.mark.slow
def test_same_revision_twice_gives_the_same_frames(demo, tmp_path):
    catalogue, scene_id = demo
    first = catalogue.render_video(scene_id, tmp_path / "a.mp4", revision=1, **SMALL)
    second = catalogue.render_video(scene_id, tmp_path / "b.mp4", revision=1, **SMALL)
    a, b = decode(tmp_path / "a.mp4"), decode(tmp_path / "b.mp4")
    assert len(a) == len(b) == first.frames
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert first.sha256 == second.sha256  # fixed encoder settings: the same bytes too


def test_unknown_size_language_or_timing_is_a_plain_error(demo, tmp_path):
    catalogue, scene_id = demo
    out = tmp_path / "x.mp4"
    with pytest.raises(bsu_models.InvalidInput, match="Video size 'huge' is not one of"):
        catalogue.render_video(scene_id, out, size="huge")
    with pytest.raises(bsu_models.InvalidInput, match="Unknown language 'fr'"):
        catalogue.render_video(scene_id, out, lang="fr")
    with pytest.raises(bsu_models.InvalidInput, match="Frames per second must be"):
        catalogue.render_video(scene_id, out, fps=0)
    out.write_bytes(b"keep me")
    with pytest.raises(bsu_models.InvalidInput, match="already exists"):
        catalogue.render_video(scene_id, out, **SMALL)
    assert out.read_bytes() == b"keep me"
    assert sorted(os.listdir(tmp_path)) == ["x.mp4"]


# -- the renderer on its own, on a small box ------------------------------------------------


def _box() -> MeshArrays:
    box = trimesh.creation.box(extents=(100, 60, 20))
    return MeshArrays(np.asarray(box.vertices, float), np.asarray(box.faces, np.int64))


def _settings(**overrides) -> VideoSettings:
    values = dict(
        size=(320, 180),
        fps=4,
        seconds_per_step=1.0,
        heading="KC-TEST",
        title_lines=("Title",),
        end_lines=("End",),
        orbit_start=Camera("perspective", (150.0, -150.0, 120.0), (0.0, 0.0, 0.0), (0, 0, 1)),
    )
    values.update(overrides)
    return VideoSettings(**values)  # type: ignore[arg-type]


def test_a_scene_without_views_circles_the_model():
    marker = Marker("W1", "witness", "#2a9d8f", (0.0, 0.0, 10.0), "w1")
    video = list(frames(_box(), [VideoStep("Step 1", (marker,))], _settings()))
    cards = round(2.5 * 4)
    moving = video[cards : len(video) - round(3.0 * 4)]
    assert len(moving) == 6 * 4  # a one-step orbit lasts at least six seconds
    quarter, three_quarters = moving[len(moving) // 4], moving[3 * len(moving) // 4]
    assert np.abs(quarter.astype(int) - three_quarters).mean() > 2


def test_entities_move_along_their_paths_between_steps():
    a = Marker("V1", "victim", "#e63946", (-40.0, 0.0, 10.0), "v1")
    b = Marker("V1", "victim", "#e63946", (40.0, 0.0, 10.0), "v1")
    steps = [VideoStep("one", (a,)), VideoStep("two", (b,))]
    plan = step_frames(2, 6, 1.0, orbit=False)
    assert [(f.a, f.b) for f in plan] == [(0, 0)] * 3 + [(0, 1)] * 3 + [(1, 1)] * 6
    from bsu_models.render.video import _moving_layer

    middle = next(f for f in plan if f.a != f.b and f.u == 0.5)
    layer = _moving_layer(steps, middle)
    assert layer.markers[0].point == pytest.approx((0.0, 0.0, 10.0))
    assert layer.paths[0].points[0] == a.point and layer.paths[0].points[-1] == (0.0, 0.0, 10.0)


def test_camera_path_rests_on_each_view_and_turns_the_short_way():
    plan = Camera("orthographic", (0.0, 0.0, 100.0), (0.0, 0.0, 0.0), (0.0, 1.0, 0.0), None, 50.0)
    side = Camera("perspective", (0.0, -100.0, 0.0), (0.0, 0.0, 0.0), (0.0, 0.0, 1.0), 45.0)
    projection = camera_path.video_projection([plan, side])
    assert projection == "perspective"
    poses = [camera_path.pose(c, projection) for c in (plan, side)]
    start = camera_path.between(poses, 0, 0.0, projection)
    end = camera_path.between(poses, 0, 1.0, projection)
    assert end.position == pytest.approx(side.position) and end.fov_deg == pytest.approx(45.0)
    assert start.target == pytest.approx(plan.target, abs=1e-9)
    assert start.fov_deg == pytest.approx(camera_path.CONVERTED_FOV_DEG)
    half = camera_path.slerp(poses[0].rotation, poses[1].rotation, 0.5)
    angle = 2 * math.degrees(math.acos(abs(float(np.dot(half, poses[0].rotation)))))
    assert angle == pytest.approx(45.0, abs=1e-6)  # half of the 90° between plan and side
    assert camera_path.ease(0) == 0 and camera_path.ease(1) == 1 and camera_path.ease(0.5) == 0.5


def test_chinese_captions_are_drawn_with_the_cjk_font():
    """Two different Chinese captions give different bands in the CJK font; a font without
    Chinese draws both as the same empty boxes (so this test can fail)."""
    from bsu_models.render.video import _Bands

    def band(caption: str, font_file: str) -> np.ndarray:
        return _Bands(_settings(size=(640, 360), font_file=font_file)).get(("KC", caption))[0]

    assert not np.array_equal(band("場景：天橋", ""), band("證物：手袋", ""))
    dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    assert np.array_equal(band("場景：天橋", dejavu), band("證物：手袋", dejavu))


def test_a_cancelled_render_leaves_no_file(tmp_path):
    def stop(fraction: float, _message: object) -> None:
        if fraction > 0.3:
            raise Cancelled

    with pytest.raises(Cancelled):
        render_video(_box(), [VideoStep("one")], _settings(), tmp_path / "v.mp4", stop)
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_a_killed_render_leaves_no_file(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    flag = tmp_path / "started"
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from pathlib import Path
        from tests.test_video import _box, _settings
        from bsu_models.render.video import VideoStep, render_video

        def slow(fraction, _message):
            Path({str(flag)!r}).touch()
            time.sleep(0.2)

        render_video(_box(), [VideoStep("one")], _settings(), Path({str(out)!r}) / "v.mp4", slow)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    deadline = time.monotonic() + 60
    while not flag.exists() and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    assert flag.exists(), "the render never started"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    time.sleep(0.5)  # ffmpeg sees its input end and exits
    assert os.listdir(out) == []


@pytest.mark.slow
def test_exhibit_with_video_holds_the_frozen_revision_s_mp4(demo, tmp_path):
    catalogue, scene_id = demo
    approve_for_court(catalogue, scene_id)
    catalogue.scenes.freeze(scene_id)
    out = tmp_path / "exhibit"
    result = catalogue.build_exhibit(
        scene_id, out, "BSU/9", video={"size": "square", "fps": 1, "seconds_per_step": 0.5}
    )
    video = out / "data" / "video" / "sequence.mp4"
    digest = hashlib.sha256(video.read_bytes()).hexdigest()
    assert ("data/video/sequence.mp4", digest, video.stat().st_size) in result.files
    assert f"{digest}  data/video/sequence.mp4" in (out / "manifest-sha256.txt").read_text()
    assert "video/" in (out / "data" / "README.txt").read_text()
    assert bsu_models.verify_exhibit(out).valid
    assert f"scene={scene_id}@r{result.revision}" in probe(video)
