"""A matched CCTV camera's frustum in the exhibit's offline viewer: the shared drawing code
(view3d.js) draws it there as in the app, named with the camera as text. Debian's headless
Chromium, offline."""

from __future__ import annotations

import pytest

from bsu_models.court.offline_viewer import build_offline_viewer
from tests.test_offline_viewer import (
    READY_TIMEOUT_MS,
    _scene,
    _shot,
    bunny,
    chromium,
    glb,
    open_offline,
)

pytestmark = pytest.mark.browser
__all__ = ["bunny", "chromium", "glb", "open_offline"]  # fixtures used by name
LABEL = "CAM <b>7</b> 閉路電視"


def test_the_offline_viewer_draws_and_names_the_frustum(bunny, glb, tmp_path, open_offline):
    from playwright.sync_api import expect

    data = _scene(bunny)
    lo, hi = bunny.bounds
    centre = (lo + hi) / 2
    apex = [float(centre[0]) + 0.05, float(hi[1]), float(centre[2]) + 0.05]
    corners = [
        [float(centre[0]) + dx, float(lo[1]) + dy, float(centre[2]) - 0.04]
        for dx, dy in ((-0.05, 0.1), (0.05, 0.1), (0.05, 0.0), (-0.05, 0.0))
    ]
    frustum = {"apex": apex, "corners": corners, "colour": "#9467bd", "label": LABEL}
    data["steps"][0]["layer"]["frustums"] = [frustum]
    html_file = tmp_path / "viewer.html"
    html_file.write_bytes(build_offline_viewer(glb, data))
    opened = open_offline(html_file)
    page = opened.page
    page.locator('body[data-ready="1"]').wait_for(state="attached", timeout=READY_TIMEOUT_MS)
    label = page.locator(".labels .label.frustum")
    expect(label).to_have_text(LABEL)  # the markup in the name is text
    expect(label).to_be_visible()
    assert page.locator(".labels .label.frustum *").count() == 0
    page.wait_for_timeout(300)
    _shot(page, "offline-viewer-frustum.png")
    assert opened.outside == [] and opened.problems == []
