"""The Presentation page: read-only stepping, provenance marks, freezing for court and the
exhibit package button (AppTest on a real catalogue), and stepping with the keyboard in
Debian's headless Chromium."""

from __future__ import annotations

import json
import re
import time

import pytest

import bsu_models
from tests.conftest import approve_for_court
from tests.test_browser import (
    USER,
    _cli,
    _open,
    _shot,
    _wait_idle,
    browser_page,
    grant,
    running_app,
)
from tests.test_pages import _app, _by_label, _demo, app_env

FOOTBRIDGE = "KC-2026-0142 — Footbridge, Tsim Sha Tsui"
SCENE = "Footbridge handbag snatch 天橋搶劫"


def _present(at):  # type: ignore[no-untyped-def]
    at.switch_page("views/presentation.py").run()
    at.selectbox(key="present_model").select(FOOTBRIDGE).run()
    assert not at.exception
    return at


def _headings(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.value for m in at.markdown]


def test_presentation_steps_through_the_demo_scene_read_only(app_env):
    _demo(app_env)
    at = _present(_app().run())
    assert at.title[0].value == "Presentation"
    assert "not frozen" in at.warning[0].value
    assert any("has no approved technical review" in c.value for c in at.sidebar.caption)
    assert "### Step 1 of 4 · 21:03" in _headings(at)
    table = at.dataframe[0].value
    marks = dict(zip(table["Label"], table["How the position is known"], strict=True))
    assert marks["受害人 V1 / Victim V1"] == "■ CCTV (CAM-3 21:03:40-21:05:10)"
    assert marks["疑犯 S1 / Suspect S1"] == "▲ Witness statement (WS-12 p.2)"
    assert marks["證人 W1 / Witness W1"] == "● Measured"
    assert "V1 leaves the bus stop" in " ".join(t.value for t in at.text)
    _by_label(at.button, "Next ▶").click().run()
    _by_label(at.button, "Next ▶").click().run()
    assert "### Step 3 of 4 · 21:04:30" in _headings(at)
    assert "Plan of the bridge" in " ".join(c.value for c in at.caption)
    _by_label(at.button, "◀ Previous").click().run()
    assert "### Step 2 of 4 · 21:04" in _headings(at)
    # Nothing on the page edits the scene: no tools, no forms.
    assert not at.radio and not at.get("form")
    cat = bsu_models.open_catalogue()
    [scene] = [s for s in cat.scenes.list_scenes() if s.name == SCENE]
    assert scene.revision == 1


def test_presentation_freezes_and_builds_the_exhibit_package(app_env):
    _demo(app_env)
    cat = bsu_models.open_catalogue()
    [scene] = [s for s in cat.scenes.list_scenes() if s.name == SCENE]
    approve_for_court(cat, scene.scene_id)
    cat.close()
    at = _present(_app().run())
    assert any("Technical review: approved by reviewer-1." in c.value for c in at.sidebar.caption)
    freeze = _by_label(at.sidebar.button, "Freeze for court")
    assert freeze.disabled
    at.sidebar.checkbox(key="present_freeze_sure").check().run()
    _by_label(at.sidebar.button, "Freeze for court").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Frozen for court: revision 1 of scene")
    cat = bsu_models.open_catalogue()
    [scene] = [s for s in cat.scenes.list_scenes() if s.name == SCENE]
    assert scene.frozen_revision == 1 and scene.frozen_by == "tester"
    with pytest.raises(bsu_models.Conflict):
        cat.scenes.save(
            scene.scene_id,
            cat.scenes.document(scene.scene_id).with_step(bsu_models.Step("s9", "Afterwards")),
            scene.revision,
        )

    at.sidebar.text_input[0].input("BSU/12")
    _by_label(at.sidebar.button, "Build exhibit package").click().run()
    assert not at.exception, at.exception
    # A job: its progress shows (refreshing itself) until the package is made.
    [bar] = at.get("progress")
    assert bar.proto.value < 100
    deadline = time.monotonic() + 240
    while not at.get("download_button"):
        assert time.monotonic() < deadline and not at.error, [e.value for e in at.error]
        time.sleep(0.5)
        at.run()
    [download] = at.get("download_button")
    assert "BSU-12.zip" in download.proto.label
    exported = [e for e in cat.audit_events(100) if e.action == "exhibit.export"]
    assert exported and exported[0].details["exhibit"] == "BSU/12"
    assert exported[0].actor == "tester"


@pytest.mark.browser
def test_presenter_steps_with_the_keyboard(running_app, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    assert _cli(running_app.env, "demo").returncode == 0
    grant(running_app.env, "KC-2026-0142", USER)
    models = json.loads(_cli(running_app.env, "list", "--json").stdout)
    [footbridge] = [m for m in models if m["name"].startswith("Footbridge")]
    # The page keeps the chosen model in its address, so a presenter can bookmark it.
    _open(
        page, f"{running_app.base_url}/presentation?model={footbridge['model_id']}", "Presentation"
    )
    heading = page.get_by_role("heading", name=re.compile(r"^Step \d of 4"))
    expect(heading).to_have_text(re.compile(r"^Step 1 of 4 · 21:03$"))
    frame = page.locator('iframe[title*="scene3d"]').first.content_frame
    frame.locator("body[data-mesh-loaded]").wait_for(timeout=120_000)
    page.get_by_role("heading", name="Presentation").click()  # focus the page, not the 3D view
    page.keyboard.press("ArrowRight")
    _wait_idle(page)
    expect(heading).to_have_text(re.compile(r"^Step 2 of 4 · 21:04$"))
    page.keyboard.press("ArrowRight")
    _wait_idle(page)
    expect(heading).to_have_text(re.compile(r"^Step 3 of 4 · 21:04:30$"))
    expect(page.get_by_text("S1 pulls the handbag")).to_be_visible()
    expect(frame.locator("body")).to_have_attribute("data-entity-count", "5")
    _shot(page, "presentation-step3.png")
    page.keyboard.press("ArrowLeft")
    _wait_idle(page)
    expect(heading).to_have_text(re.compile(r"^Step 2 of 4 · 21:04$"))
    # After a click in the 3D view (focus inside its frame) the keys still step.
    canvas = frame.locator("canvas").first
    box = canvas.bounding_box()
    assert box is not None
    canvas.click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    page.keyboard.press("ArrowRight")
    _wait_idle(page)
    expect(heading).to_have_text(re.compile(r"^Step 3 of 4 · 21:04:30$"))
    # At the last step the Next button is disabled; the keys must go on working from there.
    page.get_by_role("heading", name="Presentation").click()
    page.keyboard.press("ArrowRight")
    _wait_idle(page)
    expect(heading).to_have_text(re.compile(r"^Step 4 of 4"))
    page.keyboard.press("ArrowLeft")
    _wait_idle(page)
    expect(heading).to_have_text(re.compile(r"^Step 3 of 4 · 21:04:30$"))
    page.keyboard.press("ArrowRight")
    _wait_idle(page)
    page.keyboard.press("ArrowLeft")
    _wait_idle(page)
    expect(heading).to_have_text(re.compile(r"^Step 3 of 4 · 21:04:30$"))
    # In Chinese the page and the 3D view's own toolbar and status line switch together.
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="中文（香港）").click()
    _wait_idle(page)
    chinese_heading = page.get_by_role("heading", name=re.compile(r"^步驟 \d／4"))
    expect(chinese_heading).to_have_text(re.compile(r"^步驟 3／4 · 21:04:30$"))
    expect(frame.locator("#btn-fit")).to_have_text("全景")
    expect(frame.locator("#btn-plan")).to_have_attribute("title", "平面圖：由上向下看，北方在上")
    expect(frame.locator("#status")).to_contain_text("個三角形")
    expect(frame.locator("#status")).to_contain_text("唯讀")
    _shot(page, "presentation-zh.png")
