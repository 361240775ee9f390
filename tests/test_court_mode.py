"""Court mode on the Presentation page, in Debian's headless Chromium: the storyboard strip of
step pictures drawn by the stills renderer (each render audited, none drawn twice), and the
Court mode switch: no chrome, large words and labels, kept in the address."""

from __future__ import annotations

import json
import re

import pytest

from tests.test_browser import (
    USER,
    _cli,
    _open,
    _shot,
    _sign_in_if_asked,
    _wait_idle,
    browser_page,
    grant,
    running_app,
)

__all__ = ["browser_page", "running_app"]

AUDITOR = ("court-auditor", "court auditor pass 2026")


@pytest.fixture(scope="module")
def footbridge(running_app) -> dict:
    """The demo's footbridge model (four steps), shown to the test user, and an auditor to
    read the renders recorded."""
    env = running_app.env
    assert _cli(env, "demo").returncode == 0
    grant(env, "KC-2026-0142", USER)
    _cli(env, "user", "add", AUDITOR[0], "--role", "auditor", "--password-stdin",
         stdin=AUDITOR[1] + "\n")  # fmt: skip
    models = json.loads(_cli(env, "list", "--json").stdout)
    [model] = [m for m in models if m["name"].startswith("Footbridge")]
    return model


def _language(page, name: str) -> None:
    """Switch the page's language (kept for the account, so each test ends in English)."""
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=name).click()
    _wait_idle(page)


def _storyboard_renders(env: dict[str, str]) -> list[dict]:
    listed = _cli(
        {**env, "BSU_ACTOR": AUDITOR[0]},
        "audit", "list", "--action", "render", "--limit", "1000", "--json",
    )  # fmt: skip
    return [e for e in json.loads(listed.stdout) if e["details"].get("size") == "storyboard"]


@pytest.mark.browser
def test_storyboard_strip_goes_to_the_step_clicked(running_app, browser_page, footbridge):
    from playwright.sync_api import expect

    page = browser_page
    url = f"{running_app.base_url}/presentation?model={footbridge['model_id']}"
    _open(page, url, "Presentation")
    strip = page.locator(".st-key-storyboard")
    expect(strip.locator("img")).to_have_count(4, timeout=120_000)
    for img in strip.locator("img").all():
        assert page.evaluate("(i) => i.naturalWidth", img.element_handle()) == 320
    buttons = strip.locator(
        'button[data-testid="stBaseButton-primary"], button[data-testid="stBaseButton-secondary"]'
    )
    expect(buttons).to_have_count(4)
    expect(buttons.nth(0)).to_have_text(re.compile(r"^1 · "))
    # The step shown is marked: its button is the primary one.
    expect(strip.locator('[data-testid="stBaseButton-primary"]')).to_have_text(re.compile("^1 · "))
    renders = _storyboard_renders(running_app.env)
    assert len(renders) == 4, renders
    assert all(e["object_sha256"] for e in renders)

    buttons.nth(2).click()
    _wait_idle(page)
    heading = page.get_by_role("heading", name=re.compile(r"^Step \d of 4"))
    expect(heading).to_have_text(re.compile(r"^Step 3 of 4"))
    expect(strip.locator('[data-testid="stBaseButton-primary"]')).to_have_text(re.compile("^3 · "))
    assert re.search(r"[?&]step=3\b", page.url), page.url
    # The pictures were kept: moving to another step drew none again.
    assert len(_storyboard_renders(running_app.env)) == 4
    _shot(page, "presentation-storyboard.png")

    # A reload returns to the step clicked, with the strip marking it.
    page.reload()
    _sign_in_if_asked(page)
    _wait_idle(page)
    expect(heading).to_have_text(re.compile(r"^Step 3 of 4"))

    _language(page, "中文（香港）")
    expect(strip).to_contain_text("故事板")
    expect(strip.locator("img")).to_have_count(4, timeout=120_000)
    buttons.nth(1).click()
    _wait_idle(page)
    chinese = page.get_by_role("heading", name=re.compile(r"^步驟 \d／4"))
    expect(chinese).to_have_text(re.compile(r"^步驟 2／4"))
    assert re.search(r"[?&]step=2\b", page.url), page.url
    _shot(page, "presentation-storyboard-zh.png")
    _language(page, "English")


def _court_mode_shown(page, frame) -> None:
    """Court mode as a jury sees it: no sidebar or Streamlit header, large step words, the
    entities in a plain table and the 3D labels drawn large."""
    from playwright.sync_api import expect

    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
    expect(page.locator('[data-testid="stHeader"]')).to_be_hidden()
    assert re.search(r"[?&]court=1\b", page.url), page.url
    heading = page.locator('[data-testid="stMain"] h3').first
    assert float(heading.evaluate("h => parseFloat(getComputedStyle(h).fontSize)")) >= 36
    expect(page.locator('[data-testid="stMain"] [data-testid="stTable"]').first).to_be_visible()
    frame.locator("body.large-labels").wait_for(timeout=60_000)
    label = frame.locator(".label").first
    label.wait_for(timeout=60_000)
    assert label.evaluate("l => getComputedStyle(l).fontSize") == "20px"
    # The pointer: over the model the mouse is a red laser dot, not the arrow.
    cursor = frame.locator("#viewport canvas").first.evaluate("c => getComputedStyle(c).cursor")
    assert cursor.startswith('url("data:image/svg+xml') and "ff1a1a" in cursor, cursor


@pytest.mark.browser
def test_court_mode_hides_the_chrome_and_survives_a_reload(running_app, browser_page, footbridge):
    from playwright.sync_api import expect

    page = browser_page
    url = f"{running_app.base_url}/presentation?model={footbridge['model_id']}"
    _open(page, url, "Presentation")
    frame = page.locator('iframe[title*="scene3d"]').first.content_frame
    frame.locator("body[data-mesh-loaded]").wait_for(timeout=120_000)
    # Off, the page has its sidebar and the labels their everyday size.
    expect(page.locator('[data-testid="stSidebar"]')).to_be_visible()
    label = frame.locator(".label").first
    label.wait_for(timeout=60_000)
    assert label.evaluate("l => getComputedStyle(l).fontSize") == "12px"
    canvas = frame.locator("#viewport canvas").first
    assert "ff1a1a" not in canvas.evaluate("c => getComputedStyle(c).cursor")

    page.get_by_text("Court mode", exact=True).click()
    _wait_idle(page)
    _court_mode_shown(page, frame)
    _shot(page, "presentation-court.png")

    page.reload()
    _sign_in_if_asked(page)
    _wait_idle(page)
    frame = page.locator('iframe[title*="scene3d"]').first.content_frame
    _court_mode_shown(page, frame)

    # Turned off, the sidebar is back and the address no longer asks for court mode.
    page.get_by_text("Court mode", exact=True).click()
    _wait_idle(page)
    expect(page.locator('[data-testid="stSidebar"]')).to_be_visible()
    assert "court=" not in page.url, page.url
    _language(page, "中文（香港）")
    page.get_by_text("法庭模式", exact=True).click()
    _wait_idle(page)
    _court_mode_shown(page, frame)
    expect(page.get_by_role("heading", name=re.compile(r"^步驟 \d／4"))).to_be_visible()
    _shot(page, "presentation-court-zh.png")
    page.get_by_text("法庭模式", exact=True).click()
    _wait_idle(page)
    _language(page, "English")
