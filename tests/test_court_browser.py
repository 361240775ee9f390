"""The court foundation in the web app, in Debian's headless Chromium: the technical review on the
Presentation page (a reviewer records findings and approves or rejects; authors and those without
the reviewer right see why not), the further accounts its exhibit download carries, and two
accounts side by side with linked cameras.

The demo case is loaded through the real CLI; a second account of the demo scene is a copy made
by a reviewer who is also an investigator (so that it is their own work)."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from tests.test_browser import (
    PASSWORD,
    USER,
    RunningApp,
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
SCENE = "Footbridge handbag snatch 天橋搶劫"
REVIEWER = "court-reviewer"  # reviewer only
AUTHOR = "court-author"  # reviewer and investigator, author of the copy
CHECKLIST = {
    "positions": "Positions against their provenance (measured, CCTV, statement, assumption)",
    "measurements": "Measurements and their uncertainty",
    "views": "Saved views: each shows what its steps need, nothing misleading",
    "captions": "Step titles, times, narratives and captions against the sources",
}

__all__ = ["browser_page", "running_app"]


class World:
    def __init__(self, app: RunningApp) -> None:
        env = app.env
        _cli(env, "demo")
        grant(env, DEMO_CASE, USER)
        for name, roles in ((REVIEWER, ["reviewer"]), (AUTHOR, ["reviewer", "investigator"])):
            args = [a for r in roles for a in ("--role", r)]
            _cli(env, "user", "add", name, *args, "--password-stdin", stdin=PASSWORD + "\n")
            grant(env, DEMO_CASE, name)
        models = json.loads(_cli(env, "list", "--json").stdout)
        [bridge] = [m for m in models if m["name"].startswith("Footbridge")]
        self.model = bridge["model_id"]
        scenes = json.loads(_cli(env, "scene", "list", "--json").stdout)
        [demo] = [s for s in scenes if s["name"] == SCENE]
        self.scene = demo["scene_id"]
        copied = _cli(
            {**env, "BSU_ACTOR": AUTHOR},
            "scene",
            "copy",
            str(self.scene),
            "--name",
            "Defence account",
            "--json",
        )
        self.copy = json.loads(copied.stdout)["scene_id"]
        # The other account puts the suspect 40 model units (2 m at 1:50 in mm) further east
        # at step 1.
        doc = json.loads(_cli(env, "scene", "export", str(self.copy)).stdout)
        for pos in doc["positions"]:
            if (pos["entity"], pos["step"]) == ("s1", "s1"):
                pos["point"][0] += 40
        _cli({**env, "BSU_ACTOR": AUTHOR}, "scene", "import", "-", stdin=json.dumps(doc))
        self.base = app.base_url
        self.env = env

    def url(self, scene: int) -> str:
        return f"{self.base}/presentation?model={self.model}&scene={scene}"


@pytest.fixture(scope="module")
def world(running_app: RunningApp) -> World:
    return World(running_app)


@pytest.fixture
def as_user(browser_page) -> Iterator[Any]:
    """A page of its own browser context (its own session) signed in as the given user."""
    contexts = []

    def page_for(user: str, url: str, title: str = "Presentation") -> Any:
        context = browser_page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        _sign_in_if_asked(page, user, PASSWORD)
        page.get_by_role("heading", name=title).wait_for()
        # The 3D view asks for the model once it is on the page, and the app runs again to
        # send it: a click before then could land in that run.
        frame = page.locator('iframe[title*="scene3d"]').first.content_frame
        frame.locator("body[data-mesh-loaded]").wait_for(timeout=120_000)
        _wait_idle(page)
        return page

    yield page_for
    for context in contexts:
        context.close()


def _findings(page, words: str) -> None:
    for item, label in CHECKLIST.items():
        field = page.get_by_label(label, exact=True)
        field.fill(f"{words}: {item}")
    _wait_idle(page)


def test_a_reviewer_rejects_then_approves_the_revision_shown(world: World, as_user):
    from playwright.sync_api import expect

    page = as_user(REVIEWER, world.url(world.scene))
    expect(page.get_by_role("heading", name="Technical review")).to_be_visible()
    expect(page.get_by_text("Nobody has reviewed this scene yet.")).to_be_visible()
    # A finding is needed for every item: one left empty is named, nothing is stored.
    page.get_by_label(CHECKLIST["positions"], exact=True).fill("Each agrees with its source")
    page.get_by_role("button", name="Approve revision 1").click()
    _wait_idle(page)
    expect(page.get_by_text("The review has no finding for 'measurements'")).to_be_visible()
    _findings(page, "Step 3 caption does not match WS-12")
    page.get_by_role("button", name="Reject revision 1").click()
    _wait_idle(page)
    expect(page.get_by_text("Revision 1 rejected in review.")).to_be_visible()
    rejected = page.get_by_text(re.compile(rf"^Revision 1: rejected by {REVIEWER}, "))
    expect(rejected).to_be_visible()
    # The form is empty again for the next review.
    expect(page.get_by_label(CHECKLIST["views"], exact=True)).to_have_value("")
    _findings(page, "Checked against the sources")
    page.get_by_role("button", name="Approve revision 1").click()
    _wait_idle(page)
    expect(page.get_by_text("Revision 1 approved in review.")).to_be_visible()
    approved = page.get_by_text(re.compile(rf"^Revision 1: approved by {REVIEWER}, "))
    expect(approved).to_be_visible()
    approved.click()  # open it: the findings as written
    expect(page.get_by_text("Checked against the sources: captions")).to_be_visible()
    _shot(page, "presentation-review.png")

    stored = json.loads(_cli(world.env, "scene", "reviews", str(world.scene), "--json").stdout)
    assert [r["decision"] for r in stored] == ["rejected", "approved"]
    assert all(r["reviewer"] == REVIEWER and r["revision"] == 1 for r in stored)
    assert stored[-1]["checklist"] == [
        {"item": item, "finding": f"Checked against the sources: {item}"} for item in CHECKLIST
    ]


def test_an_author_and_a_non_reviewer_see_why_they_may_not_review(world: World, as_user):
    from playwright.sync_api import expect

    page = as_user(AUTHOR, world.url(world.copy))
    expect(page.get_by_role("heading", name="Technical review")).to_be_visible()
    expect(
        page.get_by_text(
            f"{AUTHOR} authored scene {world.copy} (or one of its revisions) and may not "
            "review it; the review must be by someone else."
        )
    ).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Approve revision"))).to_have_count(0)
    _shot(page, "presentation-review-author.png")

    page = as_user(USER, world.url(world.scene))
    expect(page.get_by_role("heading", name="Technical review")).to_be_visible()
    expect(
        page.get_by_text(
            f"{USER} may not make the technical review of a scene revision for court: "
            "that needs the role reviewer."
        )
    ).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Approve revision"))).to_have_count(0)


def _frozen_copy(world: World, name: str) -> int:
    """A copy of the demo scene, reviewed by the reviewer and frozen by the presenter."""
    copied = _cli(world.env, "scene", "copy", str(world.scene), "--name", name, "--json")
    scene = str(json.loads(copied.stdout)["scene_id"])
    checks = [a for item in CHECKLIST for a in (f"--{item}", "Checked")]
    _cli({**world.env, "BSU_ACTOR": REVIEWER}, "scene", "review", scene, "--approve", *checks)
    _cli(world.env, "scene", "freeze", scene)
    return int(scene)


def test_the_exhibit_download_carries_the_accounts_chosen(world: World, as_user, tmp_path):
    from playwright.sync_api import expect

    main = _frozen_copy(world, "Prosecution sequence")
    other = _frozen_copy(world, "Witness B account")
    page = as_user(USER, world.url(main))
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text(re.compile(r"^Frozen at revision \d+\.$"))).to_be_visible()
    # Only frozen scenes of the same model version are offered: not the demo scene itself.
    sidebar.get_by_role("combobox", name=re.compile("Other accounts to carry")).click()
    options = page.locator('[role="option"]')
    expect(options).to_have_text([f"Witness B account (scene {other})"])
    options.first.click()
    page.keyboard.press("Escape")
    sidebar.get_by_role("heading", name="For court").click()  # the list closed, for sure
    _wait_idle(page)
    expect(sidebar.get_by_role("button", name=f"Remove Witness B account (scene {other})"))
    sidebar.get_by_role("button", name="Build exhibit package").click()
    _wait_idle(page, timeout_ms=240_000)
    carried = sidebar.get_by_text(f"Further accounts carried: scene {other}.")
    expect(carried).to_be_visible(timeout=240_000)
    with page.expect_download() as caught:
        sidebar.get_by_role("button", name=re.compile(r"^Download .*\.zip$")).click()
    _shot(page, "presentation-exhibit-accounts.png")
    path = tmp_path / "exhibit.zip"
    caught.value.save_as(path)
    with zipfile.ZipFile(path) as bag:
        names = bag.namelist()
        info = next(n for n in names if n.endswith("bag-info.txt"))
        fields = bag.read(info).decode()
    assert any(f"data/accounts/scene-{other}/" in n for n in names)
    # Account 1 is the exhibit's own scene.
    assert f"BSU-Account-2: scene {other} (Witness B account) revision" in fields


def _view(frame) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return frame.evaluate("window.__scene3dLink.view")


def _same_view(a: dict[str, Any], b: dict[str, Any]) -> bool:
    scale = max(1.0, *(abs(x) for x in a["position"] + a["target"]))
    return a["projection"] == b["projection"] and all(
        abs(x - y) <= 1e-4 * scale
        for key in ("position", "target", "up")
        for x, y in zip(a[key], b[key], strict=True)
    )


def _follows(page, leader, follower, before: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    """Wait until ``follower`` shows ``leader``'s camera, which has moved from ``before``."""
    for _ in range(50):
        lead, follow = _view(leader), _view(follower)
        if not _same_view(lead, before) and _same_view(lead, follow):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the views did not move together: {lead} / {follow} (from {before})")


def test_two_accounts_side_by_side_with_linked_cameras(world: World, as_user):
    from playwright.sync_api import expect

    url = f"{world.base}/accounts?model={world.model}&a={world.scene}&b={world.copy}"
    page = as_user(USER, url, "Accounts side by side")
    frames = page.locator('iframe[title*="scene3d"]')
    expect(frames).to_have_count(2)
    left, right = (frames.nth(i).element_handle().content_frame() for i in (0, 1))
    for frame in (left, right):
        frame.locator("body[data-mesh-loaded]").wait_for(timeout=120_000)
    heading = page.get_by_role("heading", name=re.compile("^Step \\d of both accounts"))
    expect(heading).to_have_text("Step 1 of both accounts (4 at most)")
    expect(page.get_by_role("heading", name="Defence account")).to_be_visible()
    # The table of differences says what the command line says for the same two accounts.
    compared = json.loads(
        _cli(
            world.env, "scene", "compare-accounts", str(world.scene), str(world.copy), "--json"
        ).stdout
    )
    [suspect] = [
        r for r in compared["rows"] if r["step"] == 1 and r["entity_a"].endswith("Suspect S1")
    ]
    assert suspect["distance"]["text"] == "2.00 m ± 0.25 m"
    table = page.locator('[data-testid="stDataFrame"]').first
    expect(table).to_contain_text("2.00 m ± 0.25 m")

    # Turning the left view turns the right one; zooming the right one zooms the left.
    before = _view(left)
    assert _same_view(before, _view(right))
    box = frames.nth(0).bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 30, steps=8)
    page.mouse.up()
    _follows(page, left, right, before)
    before = _view(right)
    box = frames.nth(1).bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    _follows(page, right, left, before)
    assert left.evaluate("window.__scene3dLink.received") >= 1
    _shot(page, "accounts-side-by-side.png")

    # Next pairs step 2 of each account.
    page.get_by_role("button", name="Next ▶").click()
    _wait_idle(page)
    expect(heading).to_have_text("Step 2 of both accounts (4 at most)")
    expect(page.get_by_text("Step 2 of 4 · 21:04")).to_have_count(2)
    # In Chinese the page's own words switch; the accounts' names stay as entered.
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="中文（香港）").click()
    _wait_idle(page)
    expect(page.get_by_role("heading", name="並列比較說法")).to_be_visible()
    expect(page.get_by_role("heading", name="兩個說法的步驟 2（最多 4 步）")).to_be_visible()
    expect(page.get_by_role("heading", name="Defence account")).to_be_visible()
    _shot(page, "accounts-side-by-side-zh.png")
