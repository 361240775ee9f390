"""The scene editor in a real browser: the 3D component on a real mesh, clicks placing an
entity, stepping, measuring between two clicks, saving a view, and all of it surviving a
reload. Runs the real app and Debian's headless Chromium (software WebGL)."""

from __future__ import annotations

import json
import re

import pytest

from tests.test_browser import (
    CASE,
    _choose,
    _cli,
    _fill,
    _open,
    _shot,
    _sign_in_if_asked,
    _testdata,
    _wait_idle,
    browser_page,
    running_app,
)

pytestmark = pytest.mark.browser
MESH_TIMEOUT_MS = 120_000


def _viewer(page):  # type: ignore[no-untyped-def]
    """The component's frame, once its mesh is on screen."""
    frame_element = page.locator('iframe[title*="scene3d"]').first
    frame_element.wait_for(timeout=MESH_TIMEOUT_MS)
    frame = frame_element.content_frame
    frame.locator("body[data-mesh-loaded]").wait_for(timeout=MESH_TIMEOUT_MS)
    return frame


def _click_model(page, dx: float = 0.0, dy: float = 0.0) -> None:
    """Click the 3D view near its centre (offsets as fractions of its size)."""
    frame = _viewer(page)
    canvas = frame.locator("canvas").first
    box = canvas.bounding_box()
    assert box is not None
    canvas.click(position={"x": box["width"] * (0.5 + dx), "y": box["height"] * (0.5 + dy)})
    _wait_idle(page)


def test_place_step_measure_save_view_and_reload(running_app, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    imported = _cli(
        running_app.env,
        "import",
        str(_testdata() / "fandisk.obj"),
        "--case",
        CASE,
        "--name",
        "Fandisk scene test",
        "--units",
        "mm",
        "--scale",
        "1:50",
        "--json",
    )
    assert imported.returncode == 0, imported.stderr
    model_id = json.loads(imported.stdout)["model_id"]
    url = f"{running_app.base_url}/scene_editor?model={model_id}"
    _open(page, url, "Scene editor")

    _fill(page, "Scene name", "Prosecution sequence")
    page.get_by_role("button", name="Create scene").click()
    _wait_idle(page)
    for title, clock in (("Approach", "21:03"), ("Attack", "21:04")):
        _fill(page, "Title", title)
        _fill(page, "Clock time (24-hour, optional)", clock)
        page.get_by_role("button", name="Add step").click()
        _wait_idle(page)
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_role("heading", name=re.compile("Step 2 of 2: Attack"))).to_be_visible()
    page.get_by_role("button", name="◀ Previous").click()
    _wait_idle(page)
    expect(main.get_by_role("heading", name=re.compile("Step 1 of 2: Approach"))).to_be_visible()

    _fill(page, "Label", "證人 W1")
    _choose(page, "Type", "witness")
    page.get_by_role("button", name="Use for the next click").click()
    _wait_idle(page)
    _click_model(page)
    expect(main.get_by_text("placed 證人 W1").first).to_be_visible(timeout=60_000)
    expect(main.locator('[data-testid="stTable"]').first).to_contain_text("證人 W1")
    frame = _viewer(page)
    expect(frame.locator("body")).to_have_attribute("data-entity-count", "1", timeout=30_000)
    _shot(page, "scene-editor-placed.png")

    page.get_by_role("button", name="Next ▶").click()
    _wait_idle(page)
    page.get_by_text("Measure", exact=True).click()
    _wait_idle(page)
    _click_model(page, -0.08, 0.0)
    _click_model(page, 0.08, 0.02)
    expect(main.get_by_text(re.compile(r"measured \d+\.\d+ m ± \d+\.\d+ m")).first).to_be_visible(
        timeout=60_000
    )

    _viewer(page).get_by_role("button", name="Save view").click()
    _wait_idle(page)
    _fill(page, "View name", "From the east gate")
    page.get_by_role("button", name="Save view").last.click()
    _wait_idle(page)
    expect(main.get_by_text("saved view 'From the east gate'").first).to_be_visible(timeout=30_000)
    _shot(page, "scene-editor-measured.png")

    page.reload()
    _sign_in_if_asked(page)  # a reload is a new session: signing in again is part of it
    _viewer(page)
    expect(main.locator('[data-testid="stTable"]').first).to_contain_text("證人 W1")
    page.get_by_text(re.compile(r"Revision history")).click()
    history = main.locator('[data-testid="stExpander"]').filter(has_text="Revision history")
    for change in ("placed 證人 W1", "measured", "saved view 'From the east gate'"):
        expect(history).to_contain_text(change)
    _shot(page, "scene-editor-reloaded.png")
