"""A matched CCTV camera in the Scene editor: its frustum drawn and named in the 3D view, and
its frame over the model as the solved camera sees it, at the opacity of a slider. The frame is
the fandisk rendered by the stills renderer from a known camera (its colours inverted, so that
frame and model tell apart), matched on the command line with pairs from that camera's own
projection. Real app, Debian's headless Chromium."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import urljoin

import numpy as np
import pytest
import trimesh
from PIL import Image

from bsu_models.ingest.meshdata import MeshArrays
from bsu_models.render.stills import _projector, _render_model
from tests.test_browser import (
    CASE,
    SCREENSHOTS,
    _choose,
    _cli,
    _fill,
    _open,
    _shot,
    _testdata,
    _wait_idle,
    browser_page,
    running_app,
)
from tests.test_camera_solve import SIZE, frame_and_pairs, known_camera

pytestmark = pytest.mark.browser
__all__ = ["browser_page", "running_app"]  # fixtures used by name
CAMERA_COLOUR = "#ff00ff"  # nothing else in the view is magenta


@pytest.fixture(scope="module")
def matched(running_app, tmp_path_factory):
    """A scene on the fandisk with camera CAM 7 matched on its frame: (model id, scene id,
    the frame's pixels, the mesh, the known camera)."""
    env, folder = running_app.env, tmp_path_factory.mktemp("cctv")
    fandisk = _testdata() / "fandisk.obj"
    mesh = trimesh.load(fandisk, process=False, force="mesh")
    arrays = MeshArrays(np.asarray(mesh.vertices, float), np.asarray(mesh.faces, np.int64))
    camera = known_camera(arrays)
    _png, pixels, points, image = frame_and_pairs(arrays, camera, 12)
    # The model's own picture with its colours inverted: where it lies over the model shows.
    Image.fromarray(255 - image).save(folder / "frame.png")
    with open(folder / "pairs.csv", "w", newline="") as f:
        rows = csv.writer(f)
        rows.writerow(["u", "v", "x", "y", "z"])
        rows.writerows([*p, *q] for p, q in zip(pixels.tolist(), points.tolist(), strict=True))
    imported = json.loads(
        _cli(env, "import", str(fandisk), "--case", CASE, "--name", "Fandisk CCTV", "--units",
             "m", "--scale", "1:1", "--json").stdout
    )  # fmt: skip
    (folder / "scene.json").write_text(
        json.dumps(
            {
                "schema": "bsu-scene/1",
                "scene": {"name": "CCTV sequence"},
                "entities": [
                    {"id": "c1", "label": "CAM 7", "type": "camera", "colour": CAMERA_COLOUR},
                    {"id": "w1", "label": "W1", "type": "witness"},
                ],
                "steps": [{"id": "s1", "title": "Arrives", "clock": "21:03"}],
                "positions": [],
            }
        )
    )
    scene = json.loads(
        _cli(env, "scene", "import", str(folder / "scene.json"), "--version",
             str(imported["version_id"]), "--json").stdout
    )["scene_id"]  # fmt: skip
    _cli(env, "camera", "frame", "add", str(scene), "--camera", "CAM 7", "--image",
         str(folder / "frame.png"), "--camera-id", "NTN-RD-07", "--time", "2026-11-20T21:03:15",
         "--exhibit", "JL/12")  # fmt: skip
    _cli(env, "camera", "match", str(scene), "--camera", "CAM 7", "--points",
         str(folder / "pairs.csv"))  # fmt: skip
    return imported["model_id"], scene, 255 - image, arrays, camera


def _magenta(frame) -> int:  # type: ignore[no-untyped-def]
    shot = frame.locator("canvas").first.screenshot()
    rgb = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=int)
    return int(((rgb[..., 0] > 180) & (rgb[..., 1] < 110) & (rgb[..., 2] > 180)).sum())


def test_the_frustum_is_drawn_and_named_in_the_3d_view(running_app, browser_page, matched):
    from playwright.sync_api import expect

    page = browser_page
    model, scene, *_rest = matched
    _open(page, f"{running_app.base_url}/scene_editor?model={model}&scene={scene}&step=1",
          "Scene editor")  # fmt: skip
    frame = page.locator('iframe[title*="scene3d"]').first.content_frame
    frame.locator("body[data-mesh-loaded]").wait_for(timeout=120_000)
    expect(frame.locator("body")).to_have_attribute("data-frustum-count", "1")
    label = frame.locator(".label.frustum")
    expect(label).to_have_text("CAM 7")
    expect(label).to_be_visible()
    page.wait_for_timeout(500)
    # The framing keeps the camera in sight: its lines are on screen, in its colour.
    assert _magenta(frame) > 300
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    frame.locator("canvas").first.screenshot(path=str(SCREENSHOTS / "cctv-frustum-3d.png"))
    _wait_idle(page)
    _shot(page, "cctv-frustum-editor.png")


def _look_through(page) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The look-through picture on the page, as its pixels."""
    image = page.locator('[data-testid="stImage"] img').first
    src = image.get_attribute("src")
    assert src
    response = page.request.get(urljoin(page.url, src))
    assert response.ok
    return np.asarray(Image.open(io.BytesIO(response.body())).convert("RGB"), dtype=int)


def _difference(picture: np.ndarray, frame: np.ndarray) -> float:
    """Median difference of the picture (the frame's pixels enlarged, a band under them) and
    the frame."""
    scale = picture.shape[1] // frame.shape[1]
    top = picture[: frame.shape[0] * scale : scale, ::scale][:, : frame.shape[1]]
    return float(np.median(np.abs(top - frame.astype(int))))


def test_the_frame_over_the_model_at_the_sliders_opacity(running_app, browser_page, matched):
    from playwright.sync_api import expect

    page = browser_page
    model, scene, frame, *_rest = matched
    _open(page, f"{running_app.base_url}/scene_editor?model={model}&scene={scene}&step=1",
          "Scene editor")  # fmt: skip
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_role("heading", name="CCTV cameras")).to_be_visible()
    slider = main.locator('[data-testid="stSlider"]').filter(has_text="Frame over the model")
    expect(slider).to_contain_text("50")
    half = _look_through(page)
    _shot(page, "cctv-overlay-50.png")

    thumb = slider.get_by_role("slider")
    thumb.focus()
    thumb.press("End")  # 100 %: the frame alone
    _wait_idle(page)
    expect(slider).to_contain_text("100")
    whole = _look_through(page)
    thumb.press("Home")  # 0 %: the model alone, as the solved camera sees it
    _wait_idle(page)
    expect(slider).to_contain_text("0")
    none = _look_through(page)
    for name, picture in (("50", half), ("100", whole), ("0", none)):
        Image.fromarray(picture.astype(np.uint8)).save(
            SCREENSHOTS / f"cctv-look-through-{name}.png"
        )
    # The frame alone matches the kept frame; the model alone is its negative (the frame was
    # inverted); half and half lies between.
    assert _difference(whole, frame) < 6
    assert _difference(none, frame) > 60
    assert 6 < _difference(half, frame) < _difference(none, frame)

    # In Chinese: the section's words switch; the camera's name stays.
    page.locator('[data-testid="stSidebar"]').locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="中文（香港）").click()
    _wait_idle(page)
    expect(main.get_by_role("heading", name="閉路電視鏡頭")).to_be_visible()
    expect(
        main.locator('[data-testid="stSlider"]').filter(has_text="畫面疊於模型之上")
    ).to_be_visible()
    _shot(page, "cctv-overlay-zh.png")
    # The account keeps the language it chose; the next test reads English words.
    _choose(page, "Language · 語言", "English")


def test_pairs_clicked_on_the_frame_and_the_model_solve_the_camera(
    running_app, browser_page, matched
):
    from playwright.sync_api import expect

    page, env = browser_page, running_app.env
    model, scene, _frame, mesh, camera = matched
    _open(page, f"{running_app.base_url}/scene_editor?model={model}&scene={scene}&step=1",
          "Scene editor")  # fmt: skip
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("Pair with frame", exact=True).click()
    _wait_idle(page)
    view = page.locator('iframe[title*="scene3d"]').first.content_frame
    view.locator("body[data-mesh-loaded]").wait_for(timeout=120_000)
    expect(view.locator("body")).to_have_attribute("data-tool", "pair")
    clicks = page.locator('iframe[title*="frame_click"]').first.content_frame
    # The list starts from the stored match; the first pair is removed.
    expect(clicks.locator("body")).to_have_attribute("data-marks", "12")
    main.get_by_role("button", name="Remove pair").click()
    _wait_idle(page)
    expect(clicks.locator("body")).to_have_attribute("data-marks", "11")

    # The model first, then the same place on the frame (where the known camera sees it).
    view.locator("canvas").first.click()
    _wait_idle(page)
    expect(main).to_contain_text("Model point chosen")
    point = np.array(view.locator("body").evaluate("() => window.__scene3d.lastClick.point"))
    _pixels, world_to_clip = _render_model(mesh, camera, SIZE)
    u, v = _projector(world_to_clip, SIZE)(point[None])[0]
    assert 0 < u < SIZE[0] and 0 < v < SIZE[1]
    image = clicks.locator("#image")
    box = image.bounding_box()
    assert box
    image.click(position={"x": u / SIZE[0] * box["width"], "y": v / SIZE[1] * box["height"]})
    _wait_idle(page)
    expect(clicks.locator("body")).to_have_attribute("data-marks", "12")
    expect(main).not_to_contain_text("Model point chosen")
    _shot(page, "cctv-pairs.png")

    main.get_by_text("Also solve radial distortion (k1)").click()
    _wait_idle(page)
    main.get_by_role("button", name="Solve camera").click()
    _wait_idle(page)
    expect(main).to_contain_text("Camera solved from 12 pairs: RMS error")
    expect(main).to_contain_text("Radial distortion k1 = ")
    stored = json.loads(_cli(env, "scene", "export", str(scene)).stdout)["cameras"][0]
    assert stored["solution"]["solve_k1"] is True
    assert len(stored["pairs"]) == 12
    assert np.allclose(stored["pairs"][-1][:2], (u, v), atol=1.5)
    # The model point as the app re-cast the click on the full-resolution mesh.
    assert np.allclose(stored["pairs"][-1][2:], point, atol=1e-3)


def _visible_face_centre(mesh: MeshArrays, camera) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The centre of the largest face the camera sees whole-heartedly (its centre not hidden),
    facing up: a click there is far from any edge."""
    surface = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)
    eye = np.array(camera.position)
    centres = surface.triangles_center
    up_facing = np.flatnonzero(surface.face_normals[:, 2] > 0.5)
    directions = centres[up_facing] - eye
    distance = np.linalg.norm(directions, axis=1)
    hits, rays, _ = surface.ray.intersects_location(
        np.tile(eye, (len(up_facing), 1)), directions / distance[:, None], multiple_hits=False
    )
    first = np.full(len(up_facing), np.inf)
    first[rays] = np.linalg.norm(hits - eye, axis=1)
    seen = up_facing[first > distance * (1 - 1e-6)]
    return centres[seen[np.argmax(surface.area_faces[seen])]]


def _click_frame(page, u: float, v: float) -> None:  # type: ignore[no-untyped-def]
    clicks = page.locator('iframe[title*="frame_click"]').first.content_frame
    image = clicks.locator("#image")
    box = image.bounding_box()
    assert box
    image.click(position={"x": u / SIZE[0] * box["width"], "y": v / SIZE[1] * box["height"]})
    _wait_idle(page)


def test_a_frame_kept_in_the_page_and_a_place_and_height_read_off_the_frame(
    running_app, browser_page, matched, tmp_path
):
    from playwright.sync_api import expect

    page, env = browser_page, running_app.env
    model, scene, frame_pixels, mesh, camera = matched
    _open(page, f"{running_app.base_url}/scene_editor?model={model}&scene={scene}&step=1",
          "Scene editor")  # fmt: skip
    main = page.locator('[data-testid="stMain"]')

    # Another still of the same camera, kept as evidence from the page.
    later = tmp_path / "later.jpg"
    Image.fromarray(frame_pixels[::-1].astype(np.uint8)).save(later, quality=90)
    main.get_by_text("Add a CCTV frame").click()
    form = main.locator('[data-testid="stForm"]').filter(has_text="Keep the frame")
    form.locator('input[type="file"]').set_input_files(str(later))
    form.get_by_label("CCTV camera (as the system names it)").fill("NTN-RD-07")
    form.get_by_label("Time on the footage").fill("2026-11-20T21:03:16")
    form.get_by_label("Exhibit number").fill("JL/13")
    # Streamlit's "… per file" line (not the frame's limit) is hidden, as on the upload page.
    expect(form.get_by_test_id("stFileUploaderDropzoneInstructions")).to_be_hidden()
    _shot(page, "cctv-frame-form.png")
    form.get_by_role("button", name="Keep the frame").click()
    _wait_idle(page)
    expect(main).to_contain_text(re.compile(r"Kept frame [0-9a-f]{12} \(640×480\) for CAM 7\."))
    kept = json.loads(_cli(env, "camera", "frame", "list", str(scene), "--json").stdout)
    assert {f["exhibit"] for f in kept} == {"JL/12", "JL/13"}

    # W1's feet where the known camera sees the middle of a large face: placed there, from CCTV.
    _pixels, world_to_clip = _render_model(mesh, camera, SIZE)
    project = _projector(world_to_clip, SIZE)
    spot = _visible_face_centre(mesh, camera)
    main.get_by_text("places an entity where its feet are").click()
    _wait_idle(page)
    _click_frame(page, *project(spot[None])[0])
    expect(main).to_contain_text("Placed W1 from the frame at pixel")
    stored = json.loads(_cli(env, "scene", "export", str(scene)).stdout)
    placed = next(p for p in stored["positions"] if p["entity"] == "w1")
    diagonal = float(np.linalg.norm(mesh.bounds[1] - mesh.bounds[0]))
    assert np.linalg.norm(np.array(placed["point"]) - spot) < 0.01 * diagonal
    assert placed["provenance"]["kind"] == "cctv"

    # A height: head, then feet, read off the frame with its ±, kept with the camera.
    tall = 0.1 * diagonal
    head = spot + np.array([0.0, 0.0, tall])
    head_uv, feet_uv = project(np.array([head, spot]))
    main.get_by_text("reads a height (head, then feet)").click()
    _wait_idle(page)
    _fill(page, "Whose height", "Suspect")  # committed before the clicks on the frame
    _click_frame(page, *head_uv)
    expect(main).to_contain_text("Head chosen: now click the feet.")
    _click_frame(page, *feet_uv)
    reading = main.get_by_text(re.compile(r"Suspect: \d+\.\d+ ± \d+\.\d+ m, kept with"))
    expect(reading).to_be_visible()
    value, plus_minus = map(float, re.findall(r"\d+\.\d+", reading.inner_text())[:2])
    assert abs(value - tall) <= plus_minus + 0.02 * tall
    _shot(page, "cctv-frame-readings.png")
    stored = json.loads(_cli(env, "scene", "export", str(scene)).stdout)["cameras"][0]
    assert [h["label"] for h in stored["heights"]] == ["Suspect"]
