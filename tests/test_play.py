"""Play: the entities move from step to step as the video moves them (``movement_samples``,
the video's own easing and moments), shown by the 3D view of the Presentation page in Debian's
headless Chromium, which then lands on the next step."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import bsu_models
from bsu_models.render import video, video_camera
from bsu_models.render.stills import Camera
from bsu_models.scenes.scene_layer import Marker, SceneLayer
from tests.test_browser import (
    SCREENSHOTS,
    USER,
    _choose,
    _cli,
    _open,
    _shot,
    _wait_idle,
    browser_page,
    grant,
    running_app,
)
from viewer.scene_play import SAMPLES

__all__ = ["browser_page", "running_app"]  # fixtures


def _layer(*points: tuple[str, tuple[float, float, float]]) -> SceneLayer:
    return SceneLayer(tuple(Marker(k, "person", "#ff0000", p, entity_id=k) for k, p in points))


def test_movement_samples_are_the_videos_frames_between_two_steps():
    start = _layer(("a", (0.0, 0.0, 0.0)), ("b", (5.0, 5.0, 0.0)), ("gone", (1.0, 1.0, 1.0)))
    end = _layer(("a", (10.0, 0.0, 2.0)), ("b", (5.0, 5.0, 0.0)), ("new", (3.0, 3.0, 3.0)))
    fps, seconds = 10, 2.0
    frames = [f for f in video.step_frames(2, fps, seconds, orbit=False) if f.a != f.b]
    samples = bsu_models.movement_samples(start, end, len(frames))
    assert len(samples) == len(frames) + 1
    steps = [video.VideoStep("1", start.markers), video.VideoStep("2", end.markers)]
    for frame, sample in zip(frames, samples, strict=False):
        drawn = {m.entity_id: m.point for m in video._moving_layer(steps, frame).markers}
        assert drawn == sample  # the browser plays exactly what the video draws
    # Eased: slow at both ends, along the straight stretch, landing on the next step's place.
    xs = [s["a"][0] for s in samples]
    assert xs == sorted(xs) and 0 < xs[0] < 1 and xs[-1] == 10.0
    assert xs[len(xs) // 2] - xs[len(xs) // 2 - 1] > xs[1] - xs[0]
    assert all(s["b"] == (5.0, 5.0, 0.0) for s in samples)
    # Someone not placed at the next step is not moved anywhere; a newcomer appears on landing.
    assert all("gone" not in s and "new" not in s for s in samples)
    with pytest.raises(bsu_models.InvalidInput):
        bsu_models.movement_samples(start, end, 0)


def test_flight_samples_cut_the_model_as_the_video_does():
    box = bsu_models.Section((-10.0, -10.0, -1.0), (10.0, 10.0, 3.0))
    plain = Camera("perspective", (100.0, -100.0, 50.0), (0.0, 0.0, 0.0), (0.0, 0.0, 1.0), 45.0)
    boxed = Camera("perspective", (0.0, -50.0, 9.0), (0.0, 0.0, 1.0), (0.0, 0.0, 1.0), section=box)
    keys = [plain, boxed, plain]
    # Into a boxed step: the box goes on as the camera leaves; out of one, it stays on until the
    # camera lands where there is none.
    into, out_of = (bsu_models.flight_samples(keys, leg, 4) for leg in (0, 1))
    assert into is not None and out_of is not None
    assert [c.section for c in into] == [box] * 5
    assert [c.section for c in out_of] == [box] * 4 + [None]
    steps = [video.VideoStep(str(i), camera=k) for i, k in enumerate(keys)]
    flown = video_camera.Cameras(steps, video.VideoSettings(size=(64, 64)))
    frames = [f for f in video.step_frames(3, 10, 0.8, orbit=False) if (f.a, f.b) == (1, 2)]
    assert [flown.at(f).section for f in frames] == [box] * 4
    assert flown.at(video.Frame(2, 2, 0.0, 1.0)).section is None
    # The browser takes each as a saved view, its box's cutting planes included.
    shown = into[0].camera_json()
    assert shown["section"]["planes"] == box.shown()["planes"]
    assert shown == {**shown, "position": list(into[0].position), "projection": "perspective"}


def test_flight_samples_are_the_videos_cameras_between_two_steps():
    keys = [
        Camera("perspective", (100.0, -100.0, 50.0), (0.0, 0.0, 0.0), (0.0, 0.0, 1.0), 45.0),
        None,
        Camera("orthographic", (0.0, -200.0, 0.0), (0.0, 0.0, 0.0), (0.0, 0.0, 1.0), None, 80.0),
        Camera("perspective", (-100.0, 50.0, 30.0), (0.0, 0.0, 5.0), (0.0, 0.0, 1.0), 40.0),
    ]
    steps = [video.VideoStep(str(i), camera=k) for i, k in enumerate(keys)]
    flown = video_camera.Cameras(steps, video.VideoSettings(size=(64, 64)))
    frames = [f for f in video.step_frames(4, 10, 2.0, orbit=False) if (f.a, f.b) == (2, 3)]
    flight = bsu_models.flight_samples(keys, 2, len(frames))
    assert flight is not None and len(flight) == len(frames) + 1
    assert flight[:-1] == [flown.at(f) for f in frames]  # the browser flies as the video does
    landed = flown.at(video.Frame(3, 3, 0.0, 1.0))
    assert np.allclose(flight[-1].position, landed.position)
    assert np.allclose(flight[-1].target, landed.target)
    # A step without a saved view: the viewer keeps its own camera on the way to it and from it.
    assert bsu_models.flight_samples(keys, 0, 5) is None
    assert bsu_models.flight_samples(keys, 1, 5) is None
    assert bsu_models.flight_samples(keys, 3, 5) is None  # the last step goes nowhere


@pytest.mark.browser
def test_presentation_plays_the_movement_to_the_next_step(running_app, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    assert _cli(running_app.env, "demo").returncode == 0
    grant(running_app.env, "KC-2026-0142", USER)
    models = json.loads(_cli(running_app.env, "list", "--json").stdout)
    [footbridge] = [m for m in models if m["name"].startswith("Footbridge")]
    scenes = json.loads(_cli(running_app.env, "scene", "list", "--json").stdout)
    [scene] = [s for s in scenes if s["name"].startswith("Footbridge")]
    exported = json.loads(_cli(running_app.env, "scene", "export", str(scene["scene_id"])).stdout)
    # Step 2's view cuts the model to a box around all of it (nothing is hidden): the flight to
    # it puts the box on as it leaves step 1, as the video does.
    second = exported["steps"][1]["id"]
    [boxed] = [v for v in exported["views"] if second in v["steps"]]
    boxed["section"] = {"low": [-1e6] * 3, "high": [1e6] * 3}
    imported = _cli(running_app.env, "scene", "import", "-", stdin=json.dumps(exported))
    assert imported.returncode == 0, imported.stderr
    doc = bsu_models.scene_from_json(exported)
    _open(
        page, f"{running_app.base_url}/presentation?model={footbridge['model_id']}", "Presentation"
    )
    heading = page.get_by_role("heading", name=re.compile(r"^Step \d of 4"))
    expect(heading).to_have_text(re.compile(r"^Step 1 of 4"))
    frame = page.locator('iframe[title*="scene3d"]').first.content_frame
    frame.locator("body[data-mesh-loaded]").wait_for(timeout=120_000)
    inside = page.locator('iframe[title*="scene3d"]').first.element_handle().content_frame()
    assert inside is not None
    # One reading of the attributes, taken in one animation frame of the browser part-way from
    # step 1 to step 2: watched from before Play, so that a slow round trip cannot miss it.
    inside.evaluate(
        """() => { const look = () => { const d = document.body.dataset, i = Number(d.playSample);
                     if (i >= 8 && i <= 40 && d.playPoint && d.playPathEnd && d.playCamera)
                       window.__playReading = { ...d };
                     else requestAnimationFrame(look); };
                   requestAnimationFrame(look); }"""
    )
    page.get_by_role("button", name="Play").click()
    # Part-way: a marker stands between its places at steps 1 and 2.
    frame.locator("body[data-playing='1']").wait_for(timeout=30_000)
    data = inside.wait_for_function("() => window.__playReading", timeout=30_000).json_value()
    sample, entity = int(data["playSample"]), data["playEntity"]
    point = np.array(json.loads(data["playPoint"]))
    body = frame.locator("body")
    page.locator('iframe[title*="scene3d"]').first.screenshot(
        path=str(SCREENSHOTS / "play-moving.png")
    )
    first = doc.position(entity, doc.steps[0].id)
    second = doc.position(entity, doc.steps[1].id)
    assert first is not None and second is not None
    a, b = np.array(first.point), np.array(second.point)
    assert np.linalg.norm(b - a) > 0, "the demo's entity moves between steps 1 and 2"
    u = float(np.dot(point - a, b - a) / np.dot(b - a, b - a))
    off_line = np.linalg.norm(point - (a + u * (b - a)))
    assert 0 < u < 1 and off_line < 1e-6 * (1 + np.linalg.norm(b - a)), (sample, u, off_line)
    # The entity's path is drawn as far as it has come: it ends where the marker stands now.
    path_end = np.array(json.loads(data["playPathEnd"]))
    assert np.linalg.norm(path_end - point) < 1e-4 * (1 + np.linalg.norm(point)), (path_end, point)
    # Both steps have a saved view: the camera is on the video's way from one to the other.
    keys = bsu_models.step_cameras(doc)
    flight = bsu_models.flight_samples(keys, 0, SAMPLES)
    assert keys[0] is not None and flight is not None
    seen = np.array(json.loads(data["playCamera"]))
    assert np.allclose(seen, flight[sample].position, rtol=1e-9, atol=1e-6), (seen, sample)
    start, end = np.array(keys[0].position), np.array(flight[-1].position)  # the views' poses
    u = float(np.dot(seen - start, end - start) / np.dot(end - start, end - start))
    assert 0.02 < u < 0.98, u
    assert data["sectionPlanes"] == "6"  # the box of the step flown to, from the start
    # Then the page lands on step 2, where the view stands still.
    expect(heading).to_have_text(re.compile(r"^Step 2 of 4"), timeout=30_000)
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_visible(timeout=30_000)
    _wait_idle(page)
    landed = heading.inner_text()
    assert re.match(r"^Step [23] of 4", landed), landed  # stopped at once, not at the end
    expect(page.get_by_role("button", name="Play")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(3_000)
    assert heading.inner_text() == landed  # paused: no more steps
    expect(body).to_have_attribute("data-playing", "0")
    _shot(page, "presentation-play.png")
    # In Chinese the same control, in its words.
    _choose(page, "Language · 語言", "中文（香港）")
    _wait_idle(page)
    expect(page.get_by_role("button", name="播放")).to_be_visible()
    _shot(page, "presentation-play-zh.png")
    _choose(page, "Language · 語言", "English")  # the account's language outlives this test
    _wait_idle(page)
    # The editor's Play moves the entities the same way.
    _open(
        page,
        f"{running_app.base_url}/scene_editor?model={footbridge['model_id']}"
        f"&scene={scene['scene_id']}&step=1",
        "Scene editor",
    )
    editor_heading = page.get_by_role("heading", name=re.compile(r"^Step \d of 4"))
    expect(editor_heading).to_contain_text("Step 1 of 4")
    frame.locator("body[data-mesh-loaded]").wait_for(timeout=120_000)
    page.get_by_role("button", name="Play").click()
    frame.locator("body[data-playing='1']").wait_for(timeout=30_000)
    expect(editor_heading).to_contain_text("Step 2 of 4", timeout=30_000)
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_visible(timeout=30_000)
    _wait_idle(page)
    _shot(page, "editor-play.png")
