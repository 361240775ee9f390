"""Videos on the pages (AppTest on a real catalogue): the Presentation page renders the court
video of the revision shown, with a progress bar, and offers it as a download; the Posts page
requests a public video post, shows it to the requester and leaves the decision to another
approver. In Debian's headless Chromium, a presenter renders the video of the demo scene and
downloads it (screenshots of the progress bar and the download in
``test-artifacts/screenshots/``)."""

from __future__ import annotations

import json
import re
import time

import pytest

import bsu_models
from tests.test_browser import (
    USER,
    _choose,
    _cli,
    _fill,
    _open,
    _shot,
    _wait_idle,
    browser_page,
    grant,
    running_app,
)
from tests.test_pages import _app, _by_label, _demo, app_env
from tests.test_presentation import _present
from tests.test_video import decode

TINY = {"seconds": 0.5, "fps": 1}


def _events(action: str) -> list[bsu_models.AuditEvent]:
    cat = bsu_models.open_catalogue()
    try:
        return [e for e in cat.audit_events(None) if e.action == action]
    finally:
        cat.close()


def test_presentation_renders_the_video_of_the_revision_shown(app_env):
    _demo(app_env)
    at = _present(_app().run())
    at.selectbox(key="present_video_size").select("square").run()
    at.number_input(key="present_video_seconds").set_value(TINY["seconds"])
    at.number_input(key="present_video_fps").set_value(TINY["fps"]).run()
    assert not at.get("download_button")
    # A sun time is refused as ``video --sun-at`` refuses it, before any job is asked for:
    # without a date, and while the demo model has no place on Earth.
    render = "Render video of revision 1"
    at.text_input(key="present_video_sun").input("17:30")
    _by_label(at.sidebar.button, render).click().run()
    assert "has no date" in at.error[0].value and not at.get("progress")
    at.text_input(key="present_video_sun").input("2026-06-21T17:30")
    _by_label(at.sidebar.button, render).click().run()
    assert "has no place on Earth" in at.error[0].value and not at.get("progress")
    cat = bsu_models.open_catalogue()
    try:
        for version_id in {scene.version_id for scene in cat.scenes.list_scenes()}:
            cat.locate_version(version_id, 22.302, 114.174)
    finally:
        cat.close()
    _by_label(at.sidebar.button, render).click().run()
    assert not at.exception, at.exception
    # A job: the page shows its progress (refreshing itself) until the video is made.
    [bar] = at.get("progress")
    assert bar.proto.value < 100 and re.search(r"^\d+% · ", bar.proto.text)
    deadline = time.monotonic() + 120
    while not at.get("download_button"):
        assert time.monotonic() < deadline and not at.error, [e.value for e in at.error]
        time.sleep(0.5)
        at.run()
    [bar] = at.get("progress")
    assert bar.proto.value == 100 and bar.proto.text == "100% · done"
    [download] = at.get("download_button")
    assert download.proto.label.startswith("Download scene-") and "-r1-1080x1080.mp4" in (
        download.proto.label
    )
    [rendered] = [e for e in _events("render") if e.details.get("video")]
    assert rendered.actor == "tester" and rendered.details["revision"] == 1
    assert rendered.details["size"] == "square" and rendered.details["frames"] == 12
    # Every step lit by the sun at the time asked for, read in the scene's zone (Hong Kong).
    assert rendered.details["sun"] and all(
        sun.startswith("2026-06-21T17:30:00+08:00 azimuth 28") for sun in rendered.details["sun"]
    )
    assert rendered.details["mp4_sha256"] in " ".join(c.value for c in at.code)


def test_posts_page_requests_a_public_video(app_env):
    _demo(app_env)
    at = _app().run()
    at.switch_page("views/posts.py").run()
    at.selectbox(key="posts_model").select("KC-2026-0142 — Footbridge, Tsim Sha Tsui").run()
    at.selectbox(key="post_video_size").select("story")
    at.number_input(key="post_video_seconds").set_value(TINY["seconds"])
    at.number_input(key="post_video_fps").set_value(TINY["fps"])
    at.text_area(key="post_video_caption").input("Appeal for witnesses 呼籲證人")
    _by_label(at.button, "Request approval of the video").click().run()
    assert not at.exception, at.exception
    assert "is waiting for a second person's approval" in at.success[0].value
    [bar] = at.get("progress")
    assert bar.proto.value == 100
    at.run()
    [video] = at.get("video")
    assert "You requested this post; another approver must decide." in [i.value for i in at.info]
    assert "video of every step · Story 1080×1920" in " ".join(t.value for t in at.text)
    [request] = _events("post.request")
    assert request.details["video"] is True and request.details["platform"] == "story"
    assert video.proto.url  # the MP4 served from Streamlit's media store


@pytest.mark.browser
def test_presenter_renders_and_downloads_the_video_in_chromium(running_app, browser_page, tmp_path):
    from playwright.sync_api import expect

    page = browser_page
    assert _cli(running_app.env, "demo").returncode == 0
    grant(running_app.env, "KC-2026-0142", USER)
    models = json.loads(_cli(running_app.env, "list", "--json").stdout)
    [footbridge] = [m for m in models if m["name"].startswith("Footbridge")]
    _open(
        page, f"{running_app.base_url}/presentation?model={footbridge['model_id']}", "Presentation"
    )
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_role("heading", name="Fly-through video")).to_be_visible()
    _choose(page, "Video size", "square (1080×1080)")
    _fill(page, "Seconds per step", "0.50")  # shown with two decimals
    _fill(page, "Frames per second", "2")
    sidebar.get_by_role("button", name="Render video of revision 1").click()
    bar = sidebar.locator('[data-testid="stProgress"]')
    expect(bar).to_be_visible(timeout=60_000)
    expect(bar).to_contain_text(re.compile(r"\d+% · Frame \d+ of \d+"), timeout=60_000)
    _shot(page, "presentation-video-progress.png")
    download = sidebar.get_by_role("button", name=re.compile(r"^Download scene-\d+-r1-1080x1080"))
    expect(download).to_be_visible(timeout=180_000)
    expect(bar).to_contain_text("100% · done")
    _wait_idle(page)
    expect(sidebar.locator('[data-testid="stCode"]')).to_contain_text(re.compile("[0-9a-f]{64}"))
    _shot(page, "presentation-video-ready.png")
    with page.expect_download() as caught:
        download.click()
    saved = tmp_path / caught.value.suggested_filename
    caught.value.save_as(saved)
    assert saved.suffix == ".mp4" and b"ftyp" in saved.read_bytes()[:16]
    frames = decode(saved)
    assert frames[0].shape == (1080, 1080, 3) and len(frames) > 10
