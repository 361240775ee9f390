"""The 3D view's stereo modes in a real browser: the Stereo button switches between flat, a
red-cyan anaglyph and two side-by-side halves, and each shows what it says. Runs the real app
and Debian's headless Chromium (software WebGL; no WebXR, so no "Enter VR" button)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from tests.test_browser import CASE, _choose, _cli, _open, _testdata, browser_page, running_app
from tests.test_viewer_browser import _viewer

pytestmark = pytest.mark.browser


def _canvas(frame) -> np.ndarray:  # type: ignore[no-untyped-def]
    shot = frame.locator("canvas").first.screenshot()
    return np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).astype(float)


def test_stereo_button_switches_modes(running_app, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    imported = _cli(
        running_app.env, "import", str(_testdata() / "stanford-bunny.obj"), "--case", CASE,
        "--name", "Bunny stereo test", "--units", "m", "--scale", "1:1", "--up", "+y",
        "--north=-z", "--json",
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    model_id = json.loads(imported.stdout)["model_id"]
    _open(page, f"{running_app.base_url}/model?model={model_id}", "Model")
    _choose(page, "Landmark model", f"{CASE} — Bunny stereo test")
    frame = _viewer(page)
    body, button = frame.locator("body"), frame.locator("#btn-stereo")
    expect(body).to_have_attribute("data-stereo", "off")
    assert frame.locator("text=Enter VR").count() == 0  # no WebXR in headless Chromium
    flat = _canvas(frame)

    button.click()
    expect(body).to_have_attribute("data-stereo", "anaglyph")
    expect(button).to_have_attribute("aria-pressed", "true")
    assert body.evaluate("() => window.__scene3d.stereo") == "anaglyph"
    page.wait_for_timeout(500)
    anaglyph = _canvas(frame)
    assert anaglyph.shape == flat.shape and np.abs(anaglyph - flat).mean() > 1

    # Red carries the left eye, green and blue the right: along the bunny's outline the two
    # part, so the red channel no longer follows the others as it does in the flat picture.
    def split(image: np.ndarray) -> float:
        return float(np.abs(image[:, :, 0] - image[:, :, 1:].mean(axis=2)).std())

    assert split(anaglyph) > split(flat) + 1

    button.click()
    expect(body).to_have_attribute("data-stereo", "side-by-side")
    page.wait_for_timeout(500)
    pair = _canvas(frame).mean(axis=2)
    half = pair.shape[1] // 2
    left, right = pair[:, :half], pair[:, half : 2 * half]
    assert np.abs(left - right).mean() > 0.5  # two eyes: not the same picture

    # But of the same thing, seen from a little apart: the halves agree well, and better once
    # moved sideways against each other (the eyes' disparity), the way a flat copy would not.
    def agreement(shift: int) -> float:
        a = left[:, max(shift, 0) : half + min(shift, 0)]
        b = right[:, max(-shift, 0) : half - max(shift, 0)]
        return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])

    best = max(range(-60, 61, 2), key=agreement)
    assert agreement(best) > 0.7 and best != 0 and agreement(best) > agreement(0) + 0.02

    button.click()
    expect(body).to_have_attribute("data-stereo", "off")
    expect(button).to_have_attribute("aria-pressed", "false")
