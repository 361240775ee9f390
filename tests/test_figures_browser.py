"""Entities at true size in the offline exhibit viewer (which draws with the same module as the
app's 3D view): the figure of a person stated at 1.80 m measures 1.80 m in the 3D scene, and a
car block its typical height, read from the drawn objects in Debian's headless Chromium, in
both page languages. Screenshots land in ``test-artifacts/screenshots/``."""

from __future__ import annotations

import json

import pytest

from bsu_models.court.offline_viewer import build_offline_viewer
from bsu_models.scenes.scene_figures import VEHICLE_SIZES_M, entity_figure
from bsu_models.scenes.scene_items import Entity, Position
from bsu_models.scenes.site_frame import SiteFrame
from tests.test_offline_viewer import (  # noqa: F401  (fixtures)
    READY_TIMEOUT_MS,
    _scene,
    _shot,
    bunny,
    chromium,
    glb,
    open_offline,
)

pytestmark = pytest.mark.browser
# The bunny as a hill 15.6 m across: +y up, north along -z, 100 m to the model unit.
METRES_PER_UNIT = 100.0
FRAME = SiteFrame((1.0, 0.0, 0.0), (0.0, 0.0, -1.0), (0.0, 1.0, 0.0), 0.0, METRES_PER_UNIT)


def _with_figures(data: dict, frame: SiteFrame = FRAME) -> dict:
    """The exhibit with step 1's suspect stated at 1.80 m facing east, the car facing north and
    the camera looking south, seen from close by."""
    step = data["steps"][0]
    kinds = {
        "S1": (Entity("S1", "S1", "suspect", height_m=1.80), 90.0),
        "V1": (Entity("V1", "V1", "vehicle"), 0.0),
        "C1": (Entity("C1", "C1", "camera"), 180.0),
        "W1": (Entity("W1", "W1", "witness"), 0.0),
    }
    for shown in step["layer"]["entities"]:
        if shown["id"] in kinds:
            entity, heading = kinds[shown["id"]]
            place = Position(entity.id, "st1", shown["point"], heading_deg=heading)
            figure = entity_figure(entity, place, frame)
            assert figure is not None
            shown["figure"] = figure.to_json()
    s1 = step["layer"]["entities"][1]["point"]
    step["camera"] = {
        "projection": "perspective",
        "position": [s1[0] + 0.05, s1[1] + 0.03, s1[2] + 0.06],
        "target": [s1[0], s1[1] + 0.009, s1[2]],
        "up": [0, 1, 0],
        "fov_deg": 40.0,
        "ortho_scale": None,
    }
    return data


@pytest.mark.parametrize("lang", ["en", "zh_HK"])
def test_figures_are_drawn_at_their_true_height(bunny, glb, tmp_path, open_offline, lang):  # noqa: F811
    html_file = tmp_path / f"figures-{lang}.html"
    html_file.write_bytes(build_offline_viewer(glb, _with_figures(_scene(bunny)), lang))
    opened = open_offline(html_file)
    page = opened.page
    page.locator('body[data-ready="1"]').wait_for(state="attached", timeout=READY_TIMEOUT_MS)
    heights = json.loads(page.locator("body").get_attribute("data-figure-heights") or "{}")
    metres = {key: value * METRES_PER_UNIT for key, value in heights.items()}
    assert metres["S1"] == pytest.approx(1.80, rel=1e-4)
    assert metres["W1"] == pytest.approx(1.70, rel=1e-4)
    assert metres["V1"] == pytest.approx(VEHICLE_SIZES_M["car"][2], rel=1e-4)
    # The camera's body only: its see-through cone is not part of its height.
    assert metres["C1"] == pytest.approx(0.3, rel=1e-4)
    # On a 15.6 m hill people and the car are big enough to find; only the camera's 0.3 m body
    # gets a pin over it.
    assert json.loads(page.locator("body").get_attribute("data-figure-pins") or "null") == ["C1"]
    # Labels stand above the figures and stay on screen.
    from playwright.sync_api import expect

    expect(page.locator(".labels .label", has_text="疑犯 S1")).to_be_in_viewport()
    _shot(page, f"figures-{lang}.png")
    assert opened.problems == []


def test_figures_too_small_to_find_get_a_pin_above_them(bunny, glb, tmp_path, open_offline):  # noqa: F811
    """The same bunny as a hill 1.56 km across: a 1.8 m figure is a speck in a view of it, so a
    plain marker stands over each figure; the figures keep their true height."""
    metres_per_unit = 10_000.0
    frame = SiteFrame((1.0, 0.0, 0.0), (0.0, 0.0, -1.0), (0.0, 1.0, 0.0), 0.0, metres_per_unit)
    data = _with_figures(_scene(bunny), frame)
    data["steps"][0]["camera"] = None  # the whole model in view
    html_file = tmp_path / "figures-far.html"
    html_file.write_bytes(build_offline_viewer(glb, data))
    opened = open_offline(html_file)
    page = opened.page
    page.locator('body[data-ready="1"]').wait_for(state="attached", timeout=READY_TIMEOUT_MS)
    pins = json.loads(page.locator("body").get_attribute("data-figure-pins") or "[]")
    assert sorted(pins) == ["C1", "S1", "V1", "W1"]
    heights = json.loads(page.locator("body").get_attribute("data-figure-heights") or "{}")
    assert heights["S1"] * metres_per_unit == pytest.approx(1.80, rel=1e-4)
    _shot(page, "figures-far.png")
    assert opened.problems == []
