"""A day in the editor and an hour in court, in Debian's headless Chromium: positions carried to
a new step, results shown at the form that made them, scenes renamed, other measurements,
a deep link that survives a reload, Fit filling the view, labels that never overlap, the arrow
keys at the last step, and the words of the pages in Chinese."""

from __future__ import annotations

import io
import json
import re

import pytest

from tests.test_browser import (
    CASE,
    PASSWORD,
    USER,
    _choose,
    _cli,
    _fill,
    _open,
    _shot,
    _sign_in_if_asked,
    _testdata,
    _wait_idle,
    browser_page,
    grant,
    running_app,
)
from tests.test_viewer_browser import _click_model, _viewer

pytestmark = pytest.mark.browser
BACKGROUND = (0xDF, 0xE3, 0xE8)  # the 3D view's background (view3d.js createStage)

# Rectangles of the 3D view's labels, relative to the view.
LABEL_RECTS = """(body) => [...body.querySelectorAll('.labels .label')].map((el) => {
  const r = el.getBoundingClientRect();
  return [r.left, r.top, r.right, r.bottom, el.textContent];
})"""


def _overlapping(rects: list) -> list[tuple[str, str]]:
    pairs = []
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            if a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5:
                pairs.append((a[4], b[4]))
    return pairs


def _fill_fraction(page) -> float:  # type: ignore[no-untyped-def]
    """How much of the 3D view's shorter side the model's picture spans, from a screenshot of
    the canvas: the extent of the pixels that are not the background."""
    from PIL import Image

    frame = _viewer(page)
    page.wait_for_timeout(500)
    picture = Image.open(io.BytesIO(frame.locator("canvas").first.screenshot())).convert("RGB")
    width, height = picture.size
    pixels = picture.load()
    xs, ys = [], []
    for y in range(0, height, 2):
        for x in range(0, width, 2):
            if max(abs(c - b) for c, b in zip(pixels[x, y], BACKGROUND, strict=True)) > 12:
                xs.append(x)
                ys.append(y)
    assert xs, "nothing drawn"
    return max(max(xs) - min(xs), max(ys) - min(ys)) / min(width, height)


def _form(page, heading: str):  # type: ignore[no-untyped-def]
    return page.locator('[data-testid="stForm"]').filter(has_text=heading)


def test_editor_carries_shows_results_in_place_and_keeps_its_address(running_app, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    env = running_app.env
    imported = json.loads(
        _cli(env, "import", str(_testdata() / "fandisk.obj"), "--case", CASE, "--name",
             "Fandisk day", "--units", "mm", "--scale", "1:50", "--json").stdout
    )  # fmt: skip
    version = json.loads(_cli(env, "show", str(imported["version_id"]), "--json").stdout)
    lo, hi = version["bounds"]
    at = [[a + (b - a) * f for a, b in zip(lo, hi, strict=True)] for f in (0.3, 0.7)]
    scene_file = running_app.env["BSU_DATA_DIR"] + "/day.json"
    with open(scene_file, "w") as f:
        json.dump(
            {
                "schema": "bsu-scene/1",
                "scene": {"name": "Day"},
                "entities": [
                    {"id": "w1", "label": "W1", "type": "witness"},
                    {"id": "v1", "label": "V1", "type": "victim"},
                ],
                "steps": [{"id": "s1", "title": "Approach", "clock": "21:03"}],
                "positions": [
                    {"entity": "w1", "step": "s1", "point": at[0],
                     "provenance": {"kind": "witness_statement", "reference": "WS-1 p.2"}},
                    {"entity": "v1", "step": "s1", "point": at[1]},
                ],
            },
            f,
        )  # fmt: skip
    scene = json.loads(
        _cli(env, "scene", "import", scene_file, "--version", str(imported["version_id"]),
             "--json").stdout
    )["scene_id"]  # fmt: skip

    base = running_app.base_url
    _open(page, f"{base}/scene_editor?model={imported['model_id']}&scene={scene}&step=1",
          "Scene editor")  # fmt: skip
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_role("heading", name=re.compile("Step 1 of 1: Approach"))).to_be_visible()

    # A new step: everyone carried, and the result shown in the form that added it.
    _fill(page, "Title", "Attack")
    _fill(page, "Clock time (24-hour, optional)", "21:04")
    page.get_by_role("button", name="Add step").click()
    _wait_idle(page)
    expect(_form(page, "Add a step")).to_contain_text("added step 'Attack'")
    expect(main.get_by_role("heading", name=re.compile("Step 2 of 2: Attack"))).to_be_visible()
    table = main.locator('[data-testid="stTable"]').first
    expect(table).to_contain_text("carried from step 1")
    expect(table).to_contain_text("witness statement — WS-1 p.2")
    assert re.search(rf"scene={scene}\b", page.url) and "step=2" in page.url

    # A sightline's verdict in the sightline form; the same check again is not stored twice.
    page.get_by_role("button", name="Check sightline").click()
    _wait_idle(page)
    sightline = _form(page, "Could one see the other")
    expect(sightline).to_contain_text(re.compile(r"sightline: W1 can(not)? see"))
    page.get_by_role("button", name="Check sightline").click()
    _wait_idle(page)
    expect(sightline).to_contain_text("Nothing changed: this is recorded already.")

    # Fit fills the view; the labels cover neither each other nor the markers' places.
    frame = _viewer(page)
    frame.locator("#btn-fit").click()
    assert _fill_fraction(page) >= 0.7
    assert not _overlapping(frame.locator("body").evaluate(LABEL_RECTS))

    # Height above the base: one click, the value under the viewer.
    page.get_by_text("Measure", exact=True).click()
    _wait_idle(page)
    page.get_by_text("Height above the base (1 click)").click()
    _wait_idle(page)
    _click_model(page, 0.0, 0.05, tool="measure")
    measured = main.get_by_test_id("stAlertContentSuccess").filter(
        has_text=re.compile(r"measured \d+\.\d+ m ± \d+\.\d+ m at step 'Attack'")
    )
    expect(measured).to_be_visible(timeout=60_000)
    _shot(page, "editor-day.png")

    # Rename in the sidebar; the notice is there too.
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("This scene").click()
    sidebar.get_by_label("New name", exact=True).fill("Day, revised")
    sidebar.get_by_role("button", name="Rename").click()
    _wait_idle(page)
    expect(sidebar).to_contain_text("Renamed to Day, revised.")

    # A reload (a new session) returns to the same scene and step after signing in.
    page.reload()
    sign_in = page.get_by_role("heading", name="Sign in to BSU Models")
    sign_in.wait_for(timeout=30_000)
    page.get_by_label("User name", exact=True).fill(USER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(sign_in).to_have_count(0, timeout=60_000)
    _wait_idle(page)
    expect(main.get_by_role("heading", name=re.compile("Step 2 of 2: Attack"))).to_be_visible()
    expect(page.get_by_role("combobox", name="Scene", exact=True)).to_have_value(
        re.compile("Day, revised")
    )

    # In Chinese: the carried mark, and the uploader's own words with the real limit.
    sidebar.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="中文（香港）").click()
    _wait_idle(page)
    expect(main.locator('[data-testid="stTable"]').first).to_contain_text("沿用自步驟 1")
    # A chosen option's label follows the language (the choice kept, its words anew).
    expect(page.get_by_role("combobox", name="場景", exact=True)).to_have_value(
        re.compile(r"^Day, revised（場景 \d+）$")
    )
    _shot(page, "editor-day-zh.png")
    sidebar.get_by_role("link", name="上載").click()
    _wait_idle(page)
    # Streamlit's own English ("Upload", "1GB per file") is hidden; the button shows our word.
    expect(main).to_contain_text("每次匯入合共最多 512 MB")  # the upload page, drawn
    button = main.get_by_test_id("stFileUploaderDropzone").get_by_test_id("stBaseButton-secondary")
    words = button.get_by_test_id("stMarkdownContainer")
    word = words.evaluate("(el) => getComputedStyle(el, '::after').content")
    assert word == '"選擇檔案"'
    expect(button.get_by_text("Upload", exact=True)).to_be_hidden()
    expect(main.get_by_test_id("stFileUploaderDropzoneInstructions")).to_be_hidden()
    _shot(page, "upload-zh.png")


def test_presentation_deep_link_keys_at_the_last_step_and_labels(running_app, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    env = running_app.env
    assert _cli(env, "demo").returncode == 0
    grant(env, "KC-2026-0142", USER)
    models = json.loads(_cli(env, "list", "--json").stdout)
    [footbridge] = [m for m in models if m["name"].startswith("Footbridge")]
    scenes = json.loads(_cli(env, "scene", "list", "--json").stdout)
    [demo] = [s for s in scenes if s["model"].startswith("Footbridge")]
    # In Chinese (the tester's account keeps the language it last chose).
    page.goto(f"{running_app.base_url}/presentation?model={footbridge['model_id']}"
              f"&scene={demo['scene_id']}&step=3")  # fmt: skip
    _sign_in_if_asked(page)
    _wait_idle(page)
    picker = page.get_by_role("combobox", name="Language · 語言")
    if picker.input_value() != "中文（香港）":
        picker.click()
        page.get_by_role("option", name="中文（香港）").click()
        _wait_idle(page)
    heading = page.get_by_role("heading", name=re.compile(r"^步驟 \d／4"))
    expect(heading).to_have_text(re.compile(r"^步驟 3／4"))
    frame = _viewer(page)
    page.get_by_role("heading", name="展示").click()
    # → to the last step, then ← straight away (no click on the page in between), and on.
    for number in (4, 3, 2, 1):
        page.keyboard.press("ArrowRight" if number == 4 else "ArrowLeft")
        _wait_idle(page)
        expect(heading).to_have_text(re.compile(rf"^步驟 {number}／4"))
        frame = _viewer(page)
        page.wait_for_timeout(300)
        assert not _overlapping(frame.locator("body").evaluate(LABEL_RECTS)), number
        if number == 4:
            _shot(page, "presentation-last-step.png")
            assert "step=4" in page.url
    # At the last step by a click on 下一步 (the button keeps the focus), ← still steps back.
    for _ in (2, 3):
        page.keyboard.press("ArrowRight")
        _wait_idle(page)
    page.get_by_role("button", name=re.compile("下一步")).click()
    _wait_idle(page)
    expect(heading).to_have_text(re.compile(r"^步驟 4／4"))
    page.keyboard.press("ArrowLeft")
    _wait_idle(page)
    expect(heading).to_have_text(re.compile(r"^步驟 3／4"))
    frame = _viewer(page)
    frame.locator("#btn-fit").click()
    assert _fill_fraction(page) >= 0.7


def _room(path) -> None:  # type: ignore[no-untyped-def]
    """A closed room, 8 m x 6 m x 3 m (in mm), with a pillar inside: from above, only the roof
    shows until a section box cuts it away."""
    import trimesh

    walls = trimesh.creation.box(extents=(8000, 6000, 3000))
    walls.apply_translation((0, 0, 1500))
    inner = trimesh.creation.box(extents=(7600, 5600, 2600))
    inner.apply_translation((0, 0, 1500))
    inner.invert()  # the inside faces of the walls, floor and roof
    pillar = trimesh.creation.box(extents=(600, 600, 2600))
    pillar.apply_translation((1500, 1000, 1500))
    trimesh.util.concatenate([walls, inner, pillar]).export(path)


def test_a_section_box_opens_the_model_and_is_kept_with_the_view(
    running_app, browser_page, tmp_path
):
    from PIL import Image, ImageChops
    from playwright.sync_api import expect

    page = browser_page
    env = running_app.env
    room = tmp_path / "room.ply"
    _room(room)
    imported = json.loads(
        _cli(env, "import", str(room), "--case", CASE, "--name", "Closed room", "--units", "mm",
             "--json").stdout
    )  # fmt: skip
    scene_file = tmp_path / "room-scene.json"
    scene_file.write_text(
        json.dumps(
            {
                "schema": "bsu-scene/1",
                "scene": {"name": "Inside the room"},
                "entities": [{"id": "p1", "label": "P1", "type": "witness"}],
                "steps": [{"id": "s1", "title": "Waiting"}],
                "positions": [{"entity": "p1", "step": "s1", "point": [-1500, -1000, 200]}],
            }
        )
    )
    scene = json.loads(
        _cli(env, "scene", "import", str(scene_file), "--version", str(imported["version_id"]),
             "--json").stdout
    )["scene_id"]  # fmt: skip

    base = running_app.base_url
    page.goto(f"{base}/scene_editor?model={imported['model_id']}&scene={scene}&step=1")
    _sign_in_if_asked(page)
    # The account keeps the language an earlier test chose: English for the words read here.
    _choose(page, "Language · 語言", "English")
    expect(page.get_by_role("heading", name="Scene editor")).to_be_visible()
    _wait_idle(page)
    frame = _viewer(page)
    frame.locator("#btn-fit").click()
    page.wait_for_timeout(500)
    closed = Image.open(io.BytesIO(frame.locator("canvas").first.screenshot())).convert("RGB")
    assert frame.locator("body").get_attribute("data-section-planes") in (None, "0")

    # Cut the roof away: the box on, its height ending half-way up.
    page.get_by_text("Section: look inside").click()
    page.get_by_text("Cut the model to a box").click()
    _wait_idle(page)
    # The upper end of the height range down by four tenths (react-aria: a page is a tenth).
    top = page.locator('input[type="range"][aria-label^="Height ("][aria-label$="— end"]')
    expect(top).to_have_value("3000")
    top.focus()
    for _ in range(4):
        top.press("PageDown")
    expect(top).to_have_value("1800")
    _wait_idle(page)
    frame = _viewer(page)
    expect(frame.locator('body[data-section-planes="6"]')).to_have_count(1)
    frame.locator("#btn-fit").click()
    page.wait_for_timeout(500)
    opened = Image.open(io.BytesIO(frame.locator("canvas").first.screenshot())).convert("RGB")
    changed = ImageChops.difference(closed, opened).convert("L").point(lambda v: 255 * (v > 24))
    assert changed.getbbox() is not None, "the section changed nothing on screen"
    assert sum(changed.histogram()[255:]) > 0.02 * closed.width * closed.height
    _shot(page, "editor-section.png")

    # The box is kept with the view saved now, and Presentation shows the view with it.
    frame.get_by_role("button", name="Save view").click()
    _wait_idle(page)
    _fill(page, "View name", "Into the room")
    page.get_by_role("button", name="Save view").last.click()
    _wait_idle(page)
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text("saved view 'Into the room'").first).to_be_visible(timeout=30_000)
    exported = json.loads(_cli(env, "scene", "export", str(scene)).stdout)
    view = next(v for v in exported["views"] if v["name"] == "Into the room")
    low, high = view["section"]["low"], view["section"]["high"]
    assert 1200 < high[2] < 2600 and low[2] < 0  # cut at ~60 % of 3 m, the floor kept

    _open(page, f"{base}/presentation?model={imported['model_id']}&scene={scene}&step=1",
          "Presentation")  # fmt: skip
    presented = _viewer(page)
    expect(presented.locator('body[data-section-planes="6"]')).to_have_count(1)
    _shot(page, "presentation-section.png")
