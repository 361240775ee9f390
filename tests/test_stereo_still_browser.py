"""The Presentation page makes a still of the step shown, flat or as a stereo pair with the
distance between the eyes, as ``render --stereo --interocular`` does; a bad distance is one plain
sentence. Real app, Debian's headless Chromium."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from tests.test_browser import (
    CASE,
    _choose,
    _cli,
    _fill,
    _open,
    _shot,
    _wait_idle,
    browser_page,
    running_app,
)
from tests.test_sunlit_stills import _block_on_ground

pytestmark = pytest.mark.browser
__all__ = ["browser_page", "running_app"]  # fixtures used by name


def _sideways(image: np.ndarray) -> int:
    """The sideways shift (pixels) that best lays the red channel's outlines on the cyan
    channels': 0 for a flat picture, the eyes' disparity for an anaglyph."""
    red = np.abs(np.diff(image[:, :, 0], axis=1))
    cyan = np.abs(np.diff(image[:, :, 1:].mean(axis=2), axis=1))

    def agreement(shift: int) -> float:
        a = red[:, max(shift, 0) : red.shape[1] + min(shift, 0)]
        b = cyan[:, max(-shift, 0) : cyan.shape[1] - max(shift, 0)]
        return float((a * b).sum())

    return max(range(-25, 26), key=agreement)


def _render_and_download(page, label: str, ending: str) -> Image.Image:  # type: ignore[no-untyped-def]
    """Press the render button until the download of the still whose name ends in ``ending``
    is offered (a run that starts as the page settles can swallow a click), then fetch it."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    sidebar = page.locator('[data-testid="stSidebar"]')
    download = sidebar.get_by_role("button", name=re.compile(f"^Download scene-.*{ending}$"))
    for _attempt in range(3):
        _wait_idle(page)
        sidebar.get_by_role("button", name=label).click()
        try:
            download.wait_for(timeout=120_000)
            break
        except PlaywrightTimeout:
            continue
    _wait_idle(page)
    with page.expect_download() as caught:
        download.click()
    return Image.open(io.BytesIO(open(caught.value.path(), "rb").read()))


def test_presentation_still_offers_the_stereo_pair(running_app, browser_page, tmp_path):
    from playwright.sync_api import expect

    page, env = browser_page, running_app.env
    mesh = _block_on_ground(tmp_path / "stereo-block.ply")
    imported = json.loads(
        _cli(
            env, "import", str(mesh), "--case", CASE, "--name", "Stereo block", "--units", "mm",
            "--scale", "1:100", "--json",
        ).stdout
    )  # fmt: skip
    scene = json.loads(
        _cli(env, "scene", "new", str(imported["version_id"]), "--name", "Pair", "--json").stdout
    )
    document = json.loads(_cli(env, "scene", "export", str(scene["scene_id"])).stdout)
    document["steps"] = [{"id": "s1", "title": "Arrives", "narrative": ""}]
    scene_file = tmp_path / "scene.json"
    scene_file.write_text(json.dumps(document))
    _cli(env, "scene", "import", str(scene_file))

    _open(page, f"{running_app.base_url}/presentation?model={imported['model_id']}", "Presentation")
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_role("heading", name="Still of this step")).to_be_visible()
    render = "Render still of step 1"
    flat = _render_and_download(page, render, r"step-01\.png")
    assert "stereo" not in flat.text  # type: ignore[attr-defined]

    _choose(page, "Stereo", "anaglyph")
    _fill(page, "Distance between the eyes (real world)", "far")
    sidebar.get_by_role("button", name=render).click()
    alert = sidebar.locator('[data-testid="stAlert"], [data-testid="stAlertContentError"]')
    expect(alert.filter(has_text="must look like 65mm").first).to_be_visible(timeout=60_000)
    expect(alert.filter(has_text="Traceback")).to_have_count(0)

    _fill(page, "Distance between the eyes (real world)", "10m")
    pair = _render_and_download(page, render, "anaglyph.png")
    assert pair.text["stereo"] == "anaglyph"  # type: ignore[attr-defined]
    assert pair.text["interocular-m"] == "10"  # type: ignore[attr-defined]
    pair.save(tmp_path / "anaglyph.png")
    flat.save(tmp_path / "flat.png")
    _shot(page, "presentation-stereo-still.png")
    assert pair.size == flat.size
    # The eyes converge on the block: the slab's near edge (below it) and far edge (above it)
    # stand apart sideways in red (left eye) and cyan (right eye), one way in front of the
    # block and the other way behind it; in the flat still they coincide. (Pixel checks of
    # the pair itself: tests/test_stereo.py.)
    lit, plain = (np.asarray(i.convert("RGB"), dtype=float) for i in (pair, flat))
    near, far = (slice(650, 880), slice(400, 1520)), (slice(300, 450), slice(400, 1520))
    assert _sideways(lit[near]) * _sideways(lit[far]) < 0
    assert _sideways(plain[near]) == _sideways(plain[far]) == 0

    _choose(page, "Stereo", "side by side")
    halves = _render_and_download(page, render, "side-by-side.png")
    assert halves.text["stereo"] == "side-by-side"  # type: ignore[attr-defined]
    assert halves.size == flat.size  # two eyes squeezed into halves, for 3D displays
    halves.save(tmp_path / "side-by-side.png")
