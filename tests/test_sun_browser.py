"""The sun in the web viewer: on a located model with a dated scene, the Presentation page's 3D
view casts the sun's shadows at the step's time when switched on, and its time slider moves the
sun ("what if it was 30 minutes later"). Real app, Debian's headless Chromium."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from tests.test_browser import (
    CASE,
    SCREENSHOTS,
    _cli,
    _open,
    _wait_idle,
    browser_page,
    running_app,
)
from tests.test_sunlit_stills import HKO, _block_on_ground

pytestmark = pytest.mark.browser
__all__ = ["browser_page", "running_app"]  # fixtures used by name


def _shadowed(image: np.ndarray) -> int:
    """Pixels of the view much darker than its typical (ground) brightness."""
    return int((image < np.median(image) - 12).sum())


def _canvas(frame) -> np.ndarray:  # type: ignore[no-untyped-def]
    shot = frame.locator("canvas").first.screenshot()
    return np.asarray(Image.open(io.BytesIO(shot)).convert("L"), dtype=float)


def test_shadows_toggle_and_the_time_slider(running_app, browser_page, tmp_path):
    from playwright.sync_api import expect

    page, env = browser_page, running_app.env
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    mesh = _block_on_ground(tmp_path / "block.ply")
    imported = json.loads(
        _cli(
            env, "import", str(mesh), "--case", CASE, "--name", "Sun block", "--units", "mm",
            "--scale", "1:100", "--lat", str(HKO[0]), "--lon", str(HKO[1]), "--json",
        ).stdout
    )  # fmt: skip
    scene = json.loads(
        _cli(env, "scene", "new", str(imported["version_id"]), "--name", "Evening", "--json").stdout
    )
    document = json.loads(_cli(env, "scene", "export", str(scene["scene_id"])).stdout)
    document["scene"]["date"] = "2026-06-21"
    document["steps"] = [{"id": "s1", "title": "Arrives", "clock": "17:30", "narrative": ""}]
    scene_file = tmp_path / "scene.json"
    scene_file.write_text(json.dumps(document))
    _cli(env, "scene", "import", str(scene_file))

    _open(page, f"{running_app.base_url}/presentation?model={imported['model_id']}", "Presentation")
    frame = page.locator('iframe[title*="scene3d"]').first.content_frame
    frame.locator("body[data-mesh-loaded]").wait_for(timeout=120_000)
    sun_button = frame.locator("#btn-sun")
    expect(sun_button).to_be_visible()
    expect(sun_button).to_have_attribute("aria-pressed", "false")
    frame.locator("#btn-plan").click()  # looking down: the shadow lies on the ground
    page.wait_for_timeout(500)
    plain = _canvas(frame)

    sun_button.click()
    expect(frame.locator("body")).to_have_attribute("data-shadows", "1")
    expect(sun_button).to_have_attribute("aria-pressed", "true")
    expect(frame.locator("#sun-text")).to_contain_text("Sun at 17:30: azimuth 287.7°")
    page.wait_for_timeout(500)
    lit = _canvas(frame)
    # The block's shadow: a patch much darker than the sunlit ground around it, which the
    # ordinary lighting does not have.
    assert _shadowed(lit) > _shadowed(plain) + 5000

    # Thirty minutes later (the slider moves every 10 minutes): a longer shadow.
    slider = frame.locator("#sun-time")
    start = int(slider.input_value())
    slider.fill(str(start + 3))
    expect(frame.locator("body")).to_have_attribute("data-sun-time", "18:00")
    page.wait_for_timeout(500)
    later = _canvas(frame)
    for name, image in (("plain", plain), ("lit", lit), ("later", later)):
        Image.fromarray(image.astype(np.uint8)).save(SCREENSHOTS / f"sun-{name}.png")
    assert _shadowed(later) > 1.2 * _shadowed(lit)

    # Off again: the ordinary lights, no shadows.
    sun_button.click()
    expect(frame.locator("body")).to_have_attribute("data-shadows", "0")
    expect(frame.locator("#sun-text")).to_be_hidden()
    _wait_idle(page)
