"""People, permissions and approved public posts in Debian's headless Chromium.

Three accounts made with the real CLI, each in a browser context of its own: an investigator
who is not a member of the demo case is refused it (and the refusal is in the audit log); a
media officer requests a public post of a demo scene step; a second person, an approver,
approves it and downloads a metadata-free PNG of the chosen size.
"""

from __future__ import annotations

import io
import json
import re
import struct
from pathlib import Path

import pytest

from tests.test_browser import (
    CASE,
    SCREENSHOTS,
    USER,
    _choose,
    _cli,
    _shot,
    _sign_in_if_asked,
    _wait_idle,
    browser_page,
    grant,
    running_app,
)

pytestmark = pytest.mark.browser

DEMO_CASE = "KC-2026-0142"
FOOTBRIDGE = f"{DEMO_CASE} — Footbridge, Tsim Sha Tsui"
SCENE = "Footbridge handbag snatch 天橋搶劫"
SQUARE = "Square 1080×1080 (Instagram, Facebook)"
CAPTION = "呼籲證人 Appeal for witnesses"
CAPTION_LABEL = "Caption (the only text on the picture; no case references)"
PASSWORDS = {
    "media1": "media1-password",
    "approver1": "approver1-password",
    "outsider": "outsider-password",
    "auditor1": "auditor1-password",
}


def _png_chunks(data: bytes) -> list[bytes]:
    """The chunk types of a PNG file, in order."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        chunks.append(data[offset + 4 : offset + 8])
        offset += 12 + length
    return chunks


@pytest.fixture(scope="module")
def people(running_app):
    """The demo case plus media1 and approver1 (members), outsider (a member of the browser
    test case only) and auditor1 (reads the audit log), made through the CLI as browser-test."""
    env = running_app.env
    _cli(env, "demo")
    for name, role in (
        ("media1", "media_officer"),
        ("approver1", "approver"),
        ("outsider", "investigator"),
        ("auditor1", "auditor"),
    ):
        _cli(
            env,
            "user",
            "add",
            name,
            "--role",
            role,
            "--password-stdin",
            stdin=PASSWORDS[name] + "\n",
        )
    grant(env, DEMO_CASE, USER)  # to list the demo models below
    grant(env, DEMO_CASE, "media1")
    grant(env, DEMO_CASE, "approver1")
    grant(env, CASE, "outsider")
    return running_app


def _fresh_page(page):  # type: ignore[no-untyped-def]
    """A new browser context (its own cookies, so its own Streamlit session) in the same
    browser."""
    context = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    return context.new_page()


def _open_as(page, url: str, title: str, user: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.goto(url)
    _sign_in_if_asked(page, user, PASSWORDS[user])
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    _wait_idle(page)


def _request_box(page, caption: str):  # type: ignore[no-untyped-def]
    """The bordered box of the post request with this caption: the innermost block holding
    both its preview image and its text."""
    return (
        page.locator('[data-testid="stMain"] [data-testid="stVerticalBlock"]')
        .filter(has=page.locator('[data-testid="stImage"]'))
        .filter(has_text=caption)
        .last
    )


def _sign_out(page) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to BSU Models")).to_be_visible()


def test_outsider_is_refused_a_case_they_are_not_a_member_of(people, browser_page):
    from playwright.sync_api import expect

    env, base = people.env, people.base_url
    models = json.loads(_cli(env, "list", "--json").stdout)
    [footbridge] = [m for m in models if m["name"].startswith("Footbridge")]

    # --- outsider: the demo case is not theirs -------------------------------------------------
    page = _fresh_page(browser_page)
    _open_as(page, f"{base}/catalogue", "Catalogue", "outsider")
    main = page.locator('[data-testid="stMain"]')
    expect(main).not_to_contain_text("Footbridge")
    expect(main).not_to_contain_text(DEMO_CASE)
    # A new page load is a new Streamlit session: the sign-in form comes again.
    _open_as(page, f"{base}/model?model={footbridge['model_id']}", "Model", "outsider")
    refusal = main.locator('[data-testid="stAlertContentError"]')
    expect(refusal).to_contain_text(f"not a member of case {DEMO_CASE}")
    expect(page.locator('iframe[title*="scene3d"]')).to_have_count(0)
    expect(main).not_to_contain_text("Footbridge")
    _shot(page, "access-refused.png")
    auditor_env = {**env, "BSU_ACTOR": "auditor1"}
    refused = json.loads(
        _cli(auditor_env, "audit", "list", "--outcome", "refused", "--json").stdout
    )
    assert [
        e
        for e in refused
        if e["actor"] == "outsider"
        and e["action"] == "case.view"
        and (e["object_type"], e["object_id"]) == ("model", str(footbridge["model_id"]))
    ], refused
    _sign_out(page)
    page.context.close()


def test_post_requested_and_approved_by_two_people(people, browser_page):
    from playwright.sync_api import expect

    env, base = people.env, people.base_url

    # --- media1 requests a post ---------------------------------------------------------------
    page = _fresh_page(browser_page)
    _open_as(page, f"{base}/posts", "Public posts", "media1")
    main = page.locator('[data-testid="stMain"]')
    _choose(page, "Landmark model", FOOTBRIDGE)
    _choose(page, "Scene", SCENE)
    _choose(page, "Step", "3. Handbag taken")
    _choose(page, "Saved view", "From the south")
    _choose(page, "Size", SQUARE)
    page.get_by_label(CAPTION_LABEL, exact=True).fill(CAPTION)
    page.get_by_role("button", name="Request approval", exact=True).click()
    expect(main.get_by_text("waiting for a second person's approval")).to_be_visible(timeout=90_000)
    _wait_idle(page, timeout_ms=90_000)
    request = _request_box(page, CAPTION)
    expect(request).to_be_visible()
    expect(main.get_by_text(re.compile(r"^Post \d+$"))).to_have_count(1)
    expect(request).to_contain_text("waiting for approval")
    expect(request).to_contain_text("Requested by media1")
    preview = request.locator('[data-testid="stImage"] img')
    expect(preview).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=preview.element_handle()
    )
    expect(main.get_by_role("button", name="Approve")).to_have_count(0)
    expect(main.get_by_role("button", name="Prepare download")).to_have_count(0)
    expect(main.get_by_role("button", name=re.compile("^Download"))).to_have_count(0)
    _shot(page, "posts-requested.png")
    # Given the approver role as well (roles are re-read on every run), media1 still may not
    # decide its own request.
    _cli(env, "user", "roles", "media1", "--role", "media_officer", "--role", "approver")
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Public posts").click()
    _wait_idle(page)
    request = _request_box(page, CAPTION)
    expect(request).to_contain_text("You requested this post; another approver must decide.")
    expect(request.get_by_role("button", name="Approve")).to_have_count(0)
    _cli(env, "user", "roles", "media1", "--role", "media_officer")
    _sign_out(page)
    page.context.close()

    # --- approver1 approves and downloads -----------------------------------------------------
    page = _fresh_page(browser_page)
    _open_as(page, f"{base}/posts", "Public posts", "approver1")
    main = page.locator('[data-testid="stMain"]')
    request = _request_box(page, CAPTION)
    expect(request).to_contain_text("waiting for approval")
    reason = request.get_by_label("Reason", exact=True)
    reason.fill("No faces or plates; fine to publish")
    reason.press("Tab")
    _wait_idle(page)
    request.get_by_role("button", name="Approve", exact=True).click()
    _wait_idle(page)
    expect(request).to_contain_text("approved")
    expect(request).to_contain_text("Decided by approver1")
    expect(request).to_contain_text("No faces or plates; fine to publish")
    expect(request.get_by_role("button", name="Approve")).to_have_count(0)
    request.get_by_role("button", name="Prepare download").click()
    _wait_idle(page, timeout_ms=90_000)
    download_button = request.get_by_role("button", name=re.compile(r"^Download .+\.png$"))
    expect(download_button).to_be_visible()
    _shot(page, "posts-approved.png")
    with page.expect_download() as info:
        download_button.click()
    path = info.value.path()
    assert path is not None
    data = Path(path).read_bytes()
    (SCREENSHOTS / "posts-download.png").write_bytes(data)  # the picture itself, for people
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (1080, 1080)
    assert _png_chunks(data) == [b"IHDR", *[b"IDAT"] * (len(_png_chunks(data)) - 2), b"IEND"]
    page.context.close()
