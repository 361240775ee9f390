"""User text stays text in the real app, in Debian's headless Chromium.

Markup payloads (a remote image, raw HTML with a script handler, bold, a javascript: link, a
heading, a table row, Streamlit's colour directive and math) go into every user-text field a page
shows: case title, model name, place, tags, description, file name, display name, scene name,
step title and narrative, entity label and notes, provenance reference, view name, post caption,
decision reason and the revision summary. Each page is then read in the browser: no element is
made from a payload (no <img>, <a>, <strong>, <em>, heading, table cell, colour or formula), no
request leaves for the payload's address and no script dialog opens; the text shows as typed.
"""

from __future__ import annotations

import re

import pytest

import bsu_models
from tests.test_browser import (
    SCREENSHOTS,
    _shot,
    _sign_in_if_asked,
    _wait_idle,
    browser_page,  # noqa: F401  (fixture)
    running_app,  # noqa: F401  (fixture)
)

pytestmark = pytest.mark.browser

CASE = "KC-2026-0777"
# Anywhere free text is allowed.
PAYLOAD = (
    "# heading **bold** ![x](http://127.0.0.1:9/pixel.png) <img src=x onerror=alert(1)> "
    "[link](javascript:alert(1)) | a | b | _em_ ~~struck~~ :red[red] $x$"
    " www.example.com http://evil.example a@b.example"
)
# Labels refuse links and HTML already (they are drawn into pictures); the rest still applies.
LABEL = "# heading **bold** | a | b | _em_ ~~struck~~ :red[red] $x^2$"
# A public picture's caption must fit on three lines of it.
CAPTION = "# heading **bold** ![x](http://127.0.0.1:9/pixel.png) <img src=x onerror=alert(1)>"
FILE_NAME = "![x](pixel.png) <img src=x onerror=alert(1)> **bold** [link](javascript:alert(1)).obj"
USER, APPROVER = "markup.user", "markup.approver"
PASSWORD = "markup-password"
TETRAHEDRON = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 3 2\nf 1 2 4\nf 2 3 4\nf 1 4 3\n"


@pytest.fixture(scope="module")
def marked_up(running_app):  # noqa: F811
    """A case, a model, a scene and a decided post whose every user text is a payload."""
    cat = bsu_models.open_catalogue(bsu_models.load_settings(running_app.env))
    try:
        cat.add_case(CASE, PAYLOAD)
        roles = ["modeller", "investigator", "presenter", "media_officer", "auditor"]
        cat.accounts.add_user(USER, PASSWORD, roles, display_name=PAYLOAD)
        cat.accounts.add_user(APPROVER, PASSWORD, ["approver"], display_name=PAYLOAD)
        for name in (USER, APPROVER):
            cat.accounts.add_member(CASE, name)
        mine = cat.as_user(cat.accounts.principal(USER))
        version = mine.import_model(
            [bsu_models.UploadFile(FILE_NAME, TETRAHEDRON)],
            case=CASE,
            name=PAYLOAD,
            location=PAYLOAD,
            description=PAYLOAD,
            tags=[PAYLOAD],
            units="m",
            scale="1:50",
        ).version
        scene = mine.scenes.create(version.version_id, LABEL)
        doc = (
            mine.scenes.document(scene.scene_id)
            .with_step(bsu_models.Step("s1", PAYLOAD, "21:03", PAYLOAD))
            .with_entity(bsu_models.Entity("e1", LABEL, "witness", notes=PAYLOAD))
            .with_position(
                bsu_models.Position(
                    "e1",
                    "s1",
                    (0.2, 0.2, 0.0),
                    provenance=bsu_models.Provenance("witness_statement", PAYLOAD),
                )
            )
            .with_view(
                bsu_models.SavedView(
                    "v1", LABEL, "perspective", (2, 2, 2), (0, 0, 0), (0, 0, 1), steps=("s1",)
                )
            )
        )
        mine.scenes.save(scene.scene_id, doc, scene.revision, f"placed {LABEL}")
        post = mine.posts.request(scene.scene_id, 1, "square", CAPTION, "v1")
        cat.as_user(cat.accounts.principal(APPROVER)).posts.decide(post.post_id, True, PAYLOAD)
        yield running_app.base_url, version.model_id
    finally:
        cat.close()


def _expand_everything(page) -> None:  # type: ignore[no-untyped-def]
    """Open every expander and popover, so that their contents are drawn too."""
    for summary in page.locator('[data-testid="stExpander"] summary').all():
        if summary.is_visible() and summary.get_attribute("aria-expanded") != "true":
            summary.click()
            _wait_idle(page)


def _assert_inert(page, where: str) -> None:  # type: ignore[no-untyped-def]
    """No element on the page was made from a payload."""
    checks = {
        "image": "img[src*='pixel'], img[src='x'], img[onerror]",
        "link": "a[href^='javascript'], a[href*='example'], a[href*='pixel'], a[href^='mailto']",
        "math": ".katex, math",
    }
    for what, selector in checks.items():
        found = page.locator(selector)
        assert found.count() == 0, f"{where}: a {what} made from user text: " + " ".join(
            found.nth(i).evaluate("e => e.outerHTML")[:300] for i in range(found.count())
        )
    made = {
        "strong, b": r"^bold$",
        "em, i": r"^em$",
        "del, s": r"^struck$",
        "td, th": r"^a$",
        "span[style*='color'], span[class*='red']": r"^red$",
        "h1, h2, h3, h4, h5, h6": r"^\s*heading",
    }
    for selector, text in made.items():
        found = page.locator(selector).filter(has_text=re.compile(text))
        assert found.count() == 0, f"{where}: <{selector}> made from user text: " + " ".join(
            found.nth(i).evaluate("e => e.outerHTML")[:300] for i in range(found.count())
        )


PAGES = (
    ("catalogue", "Catalogue"),
    ("model", "Model"),
    ("scene_editor", "Scene editor"),
    ("presentation", "Presentation"),
    ("posts", "Public posts"),
    ("audit", "Audit log"),
)


def test_user_text_is_never_markup_on_any_page(marked_up, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    base_url, model_id = marked_up
    page = browser_page
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    shown_as_typed = 0
    for path, title in PAGES:
        page.goto(f"{base_url}/{path}?model={model_id}")
        _sign_in_if_asked(page, USER, PASSWORD)
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        _wait_idle(page)
        if path == "model":  # its facts and expanders follow the view's first frame
            expect(page.get_by_text("SHA-256 of the original file")).to_be_visible(timeout=120_000)
            _wait_idle(page)
        _expand_everything(page)
        if path == "catalogue":
            page.get_by_role("button", name="Facts and hash").click()
            expect(page.get_by_text("SHA-256 of the original file")).to_be_visible()
        if path == "model":
            page.get_by_role("button", name="Prepare download").click()
            _wait_idle(page)
        page.wait_for_timeout(500)
        _assert_inert(page, path)
        shown_as_typed += page.get_by_text("**bold**").count()
        _shot(page, f"markup-{path}.png")
    assert shown_as_typed >= len(PAGES), "the payloads should show as typed"
    assert SCREENSHOTS.exists()
    outside = [url for url in requests if url.startswith("http://127.0.0.1:9/")]
    assert not outside, outside
    assert not [url for url in requests if url.startswith("javascript:")]
    assert not dialogs, dialogs
