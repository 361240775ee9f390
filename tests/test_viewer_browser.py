"""The scene editor in a real browser: the 3D component on a real mesh, clicks placing an
entity, stepping, measuring between two clicks, saving a view, and all of it surviving a
reload. Runs the real app and Debian's headless Chromium (software WebGL)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

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


def _click_model(page, dx: float = 0.0, dy: float = 0.0, tool: str | None = None) -> None:
    """Click the 3D view near its centre (offsets as fractions of its size), once the view has
    taken up ``tool`` when one is named (the page's rerun reaches the view a moment later)."""
    frame = _viewer(page)
    if tool is not None:
        frame.locator(f'body[data-tool="{tool}"]').wait_for(timeout=MESH_TIMEOUT_MS)
        # A rerun may mount the view afresh (its model then comes from the browser's cache and
        # it reports ready): let that rerun finish, then click the view that is on the page.
        _wait_idle(page)
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
    _click_model(page, tool="place")
    expect(main.get_by_text("placed 證人 W1").first).to_be_visible(timeout=60_000)
    expect(main.locator('[data-testid="stTable"]').first).to_contain_text("證人 W1")
    frame = _viewer(page)
    expect(frame.locator("body")).to_have_attribute("data-entity-count", "1", timeout=30_000)
    _shot(page, "scene-editor-placed.png")

    page.get_by_role("button", name="Next ▶").click()
    _wait_idle(page)
    page.get_by_text("Measure", exact=True).click()
    _wait_idle(page)
    _click_model(page, -0.08, 0.0, tool="measure")
    _click_model(page, 0.08, 0.02, tool="measure")
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


# --- views and the browser's mesh cache ---------------------------------------------------------

AUDITOR = ("viewer-auditor", "viewer-auditor-password")
# How many meshes the 3D viewer's IndexedDB cache holds (-1: no such database). Run in the app's
# page: the viewer's frame is served by the app, so it shares the page's origin and storage.
CACHED_MESHES = """async () => {
  const names = (await indexedDB.databases()).map((d) => d.name);
  if (!names.includes('bsu-scene3d')) return -1;
  return await new Promise((resolve) => {
    const req = indexedDB.open('bsu-scene3d');
    req.onerror = () => resolve(-2);
    req.onsuccess = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('meshes')) { db.close(); resolve(0); return; }
      const count = db.transaction('meshes').objectStore('meshes').count();
      count.onsuccess = () => { db.close(); resolve(count.result); };
    };
  });
}"""


# The types of the values the 3D viewer sends to Streamlit, in order (kept in the app's page).
VIEWER_VALUES = """(() => {
  if (window.top !== window) return;
  window.__viewerValues = [];
  window.addEventListener('message', (e) => {
    const d = e.data;
    if (!d || d.type !== 'streamlit:setComponentValue') return;
    const frames = [...document.querySelectorAll('iframe[title*="scene3d"]')];
    if (frames.some((f) => f.contentWindow === e.source)) {
      window.__viewerValues.push(d.value?.type ?? null);
    }
  }, true);
})();"""


def _cached_meshes(page, wanted, timeout_s: float = 30.0) -> int:  # type: ignore[no-untyped-def]
    """The count of cached meshes once ``wanted(count)`` holds (or the last count seen)."""
    deadline = time.monotonic() + timeout_s
    while True:
        count = int(page.evaluate(CACHED_MESHES))
        if wanted(count) or time.monotonic() > deadline:
            return count
        page.wait_for_timeout(250)


def _views(env: dict[str, str], version_id: int) -> list[str]:
    """Where the bytes of each recorded view of the version came from, oldest first."""
    listed = _cli(
        {**env, "BSU_ACTOR": AUDITOR[0]},
        "audit", "list", "--action", "model.view", "--limit", "1000", "--json",
    )  # fmt: skip
    events = [e for e in json.loads(listed.stdout) if e["object_id"] == str(version_id)]
    return [e["details"].get("source", "server") for e in reversed(events)]


@pytest.fixture(scope="module")
def teapot(running_app) -> tuple[int, int, str]:
    """A model of the browser test case (model id, version id, its name in the page's list)
    and an auditor account to read the views recorded."""
    env = running_app.env
    _cli(env, "user", "add", AUDITOR[0], "--role", "auditor", "--password-stdin",
         stdin=AUDITOR[1] + "\n")  # fmt: skip
    imported = json.loads(
        _cli(
            env, "import", str(_testdata() / "teapot.obj"), "--case", CASE,
            "--name", "Teapot cache test", "--units", "mm", "--scale", "1:50", "--json",
        ).stdout
    )  # fmt: skip
    return imported["model_id"], imported["version_id"], f"{CASE} — Teapot cache test"


def _open_model(page, base_url: str, model: tuple[int, int, str]) -> None:  # type: ignore[no-untyped-def]
    _open(page, f"{base_url}/model?model={model[0]}", "Model")
    _choose(page, "Landmark model", model[2])
    _viewer(page)


def _nav(page, title: str) -> None:  # type: ignore[no-untyped-def]
    """Go to a page through the sidebar menu: the same session, no reload."""
    from playwright.sync_api import expect

    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    _wait_idle(page)


def _shown_frame(page):  # type: ignore[no-untyped-def]
    """The element of the 3D view's frame that shows the model now."""
    _viewer(page)
    return page.locator('iframe[title*="scene3d"]').first.element_handle()


def _no_model_shown(page, shown) -> None:  # type: ignore[no-untyped-def]
    """Signed out: the frame that showed the model (``shown``) is gone, with all it held; a view
    the sign-in form starts for the next sign-in has no height and no model."""
    page.wait_for_function("(f) => !f.isConnected", arg=shown)
    frames = page.locator('iframe[title*="scene3d"]')
    for i in range(frames.count()):
        frame = frames.nth(i)
        assert frame.content_frame.locator("body[data-mesh-loaded]").count() == 0
        box = frame.bounding_box()
        assert box is None or box["height"] == 0


def test_cached_views_are_audited_and_sign_out_empties_the_cache(running_app, browser_page, teapot):
    from playwright.sync_api import expect

    page, env = browser_page, running_app.env
    page.add_init_script(VIEWER_VALUES)
    _open_model(page, running_app.base_url, teapot)
    assert _cached_meshes(page, lambda n: n >= 1) >= 1
    # New in this session, the model came with the view's first drawing: not asked for.
    page.wait_for_function("window.__viewerValues.includes('ready')")
    assert "need_mesh" not in page.evaluate("window.__viewerValues")
    expect(
        page.locator('iframe[title*="scene3d"]').first.content_frame.locator("#status")
    ).not_to_contain_text("browser cache")
    assert _views(env, teapot[1]) == ["server"]

    # Another page and back, in the same session: the model comes from the browser's cache,
    # and that display is recorded too, once.
    _nav(page, "Catalogue")
    _nav(page, "Model")
    _choose(page, "Landmark model", teapot[2])
    status = _viewer(page).locator("#status")
    expect(status).to_contain_text("browser cache")
    deadline = time.monotonic() + 30
    while _views(env, teapot[1]) != ["server", "cache"] and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    assert _views(env, teapot[1]) == ["server", "cache"]
    _viewer(page).get_by_role("button", name="Plan").click()  # no rerun, no new display
    _click_model(page)  # a rerun with a new value from the view: still the same display
    expect(page.get_by_text(re.compile("Last clicked point"))).to_be_visible()
    shown = _shown_frame(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to BSU Models")).to_be_visible()
    assert _views(env, teapot[1]) == ["server", "cache"]

    # Signed out: the page shows no model and the browser holds no mesh.
    _no_model_shown(page, shown)
    assert _cached_meshes(page, lambda n: n <= 0) <= 0


# When the Model page's facts first appear: the view's values up to then.
FACTS_SHOWN = """(() => {
  if (window.top !== window) return;
  window.__factsAfter = null;
  const seen = new MutationObserver(() => {
    if (!document.body || !document.body.innerText.includes('SHA-256 of the original file')) {
      return;
    }
    window.__factsAfter = [...(window.__viewerValues ?? [])];
    seen.disconnect();
  });
  seen.observe(document, { childList: true, subtree: true, characterData: true });
})();"""


def test_the_model_page_draws_its_facts_after_the_first_frame(running_app, browser_page, teapot):
    """The page's side column waits for the view's report that its first level is on screen
    (drawn beside the view, its code delayed that frame)."""
    page = browser_page
    page.add_init_script(VIEWER_VALUES)
    page.add_init_script(FACTS_SHOWN)
    _open_model(page, running_app.base_url, teapot)
    page.wait_for_function("window.__factsAfter !== null", timeout=MESH_TIMEOUT_MS)
    assert "ready" in page.evaluate("window.__factsAfter")


def test_the_model_page_draws_its_facts_when_the_view_never_reports(
    running_app, browser_page, teapot
):
    """A view that cannot start (here its script is blocked) does not keep the facts away."""
    from playwright.sync_api import expect

    page = browser_page
    page.add_init_script(VIEWER_VALUES)
    page.add_init_script(FACTS_SHOWN)
    page.route(re.compile(r"/component/viewer\.scene3d\.scene3d/main\.js"), lambda r: r.abort())
    page.goto(f"{running_app.base_url}/model?model={teapot[0]}")
    _sign_in_if_asked(page)
    started = time.monotonic()
    expect(page.get_by_text("SHA-256 of the original file")).to_be_visible(timeout=30_000)
    assert time.monotonic() - started >= 2.0  # held back first, then drawn without the view
    assert page.evaluate("window.__factsAfter") == []
    expect(page.get_by_text("Versions of this model")).to_be_visible()


# The 3D view's frames as the page inserts them, and what each frame is handed: in the app's
# page, each scene3d iframe inserted (and whether the sign-in form was on the page then); in a
# frame, the render messages it received.
VIEW_FRAMES = """(() => {
  if (window.top !== window) {
    window.__renders = [];
    window.addEventListener('message', (e) => {
      if (e.data?.type !== 'streamlit:render') return;
      const a = e.data.args ?? {};
      window.__renders.push({ mesh_id: a.mesh_id ?? null, mesh: a.mesh != null,
        height: a.height ?? null, entities: (a.scene?.entities ?? []).length });
    });
    return;
  }
  window.__viewFrames = [];
  const known = new WeakSet();
  new MutationObserver(() => {
    for (const f of document.querySelectorAll('iframe[title*="scene3d"]')) {
      if (known.has(f)) continue;
      known.add(f);
      const text = document.body.innerText;
      window.__viewFrames.push({ signInShown: text.includes('Sign in to BSU Models') });
    }
  }).observe(document, { childList: true, subtree: true });
})();"""


def test_the_view_loads_while_signing_in_and_keeps_its_frame(running_app, browser_page, teapot):
    """At a model's address the sign-in form starts the 3D view with nothing in it and no
    height, so that its code loads while the name and password are typed; signed in, the page
    draws the model in that same frame. A wrong password leaves no view to see and hands it
    nothing of the case."""
    from playwright.sync_api import expect

    page = browser_page
    page.add_init_script(VIEW_FRAMES)
    page.goto(f"{running_app.base_url}/model?model={teapot[0]}")
    expect(page.get_by_role("heading", name="Sign in to BSU Models")).to_be_visible()
    frames = page.locator('iframe[title*="scene3d"]')
    expect(frames).to_have_count(1)
    frames.first.content_frame.locator("body[data-tool]").wait_for(state="attached")  # main.js ran
    started = frames.first.element_handle().content_frame()
    assert started is not None

    page.get_by_label("User name", exact=True).fill(USER)
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("The name or password is wrong", exact=False)).to_be_visible()
    _wait_idle(page)
    expect(frames).to_have_count(1)
    box = frames.first.bounding_box()
    assert box is not None and box["height"] == 0
    handed = started.evaluate("window.__renders")
    assert handed and all(
        r == {"mesh_id": None, "mesh": False, "height": 0, "entities": 0} for r in handed
    )
    assert started.evaluate("document.body.inert")  # no key stops in a view nobody sees

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Sign in to BSU Models")).to_have_count(0)
    _viewer(page)
    assert page.evaluate("window.__viewFrames") == [{"signInShown": True}]  # the same frame
    assert started.evaluate("window.__renders.some((r) => r.mesh && r.height > 0)")
    assert not started.evaluate("document.body.inert")
    box = frames.first.bounding_box()
    assert box is not None and box["height"] >= 500


def test_another_version_is_shown_in_the_same_frame(running_app, browser_page, tmp_path):
    """The Model page's view is the model's (its key names the model, so that the sign-in
    form can start it): choosing an older version shows that version's level in it."""
    import trimesh
    from playwright.sync_api import expect

    env, page = running_app.env, browser_page
    name = "Two versions"
    firsts = []
    for number, extents in enumerate(((4.0, 3.0, 1.0), (9.0, 2.0, 5.0)), start=1):
        path = tmp_path / f"v{number}.ply"
        trimesh.creation.box(extents=extents).export(path)
        imported = json.loads(
            _cli(env, "import", str(path), "--case", CASE, "--name", name, "--json").stdout
        )
        shown = json.loads(_cli(env, "show", str(imported["version_id"]), "--json").stdout)
        firsts.append(next(lv["sha256"] for lv in shown["web_levels"] if lv["status"] == "ready"))
    _open(page, f"{running_app.base_url}/model?model={imported['model_id']}", "Model")
    frame = page.locator('iframe[title*="scene3d"]').first
    frame.content_frame.locator(f'body[data-mesh-loaded="{firsts[1]}"]').wait_for(
        timeout=MESH_TIMEOUT_MS
    )
    kept = frame.element_handle()
    _choose(page, "Version", "1")
    frame.content_frame.locator(f'body[data-mesh-loaded="{firsts[0]}"]').wait_for(
        timeout=MESH_TIMEOUT_MS
    )
    assert kept.evaluate("(f) => f.isConnected")
    expect(page.locator('iframe[title*="scene3d"]')).to_have_count(1)


def test_an_idle_page_is_blanked_and_signed_out(running_app, browser_page, teapot):
    """The browser's clock jumps past the idle period: nobody touches the page again."""
    from playwright.sync_api import expect

    page = browser_page
    page.clock.install()
    _open_model(page, running_app.base_url, teapot)
    assert _cached_meshes(page, lambda n: n >= 1) >= 1
    shown = _shown_frame(page)
    page.clock.fast_forward("31:00")
    expect(page.get_by_role("heading", name="Sign in to BSU Models")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("You were signed out after a period without activity.")).to_be_visible()
    _no_model_shown(page, shown)
    expect(page.locator("#bsu-idle-cover")).to_have_count(0)
    assert _cached_meshes(page, lambda n: n <= 0) <= 0


def test_a_web_level_changed_on_disk_is_a_sentence_and_the_page_stays(
    running_app, browser_page, tmp_path
):
    """The 3D view's bytes are checked as they are sent: a web level changed behind the
    catalogue's back is the integrity sentence where the model would be, and the rest of the
    Model page is drawn as usual."""
    import trimesh
    from playwright.sync_api import expect

    env, page = running_app.env, browser_page
    path = tmp_path / "slab.ply"
    trimesh.creation.box(extents=(13.7, 9.1, 2.3)).export(path)
    imported = json.loads(
        _cli(
            env, "import", str(path), "--case", CASE, "--name", "Changed web copy",
            "--units", "m", "--scale", "1:1", "--json",
        ).stdout
    )  # fmt: skip
    shown = json.loads(_cli(env, "show", str(imported["version_id"]), "--json").stdout)
    # What the view is sent first: the first web level (built by the import before it exits).
    web = shown["web_levels"][0]["sha256"]
    stored = Path(env["BSU_DATA_DIR"]) / "blobs" / web[:2] / web[2:4] / web
    data = bytearray(stored.read_bytes())
    data[-1] ^= 1
    stored.chmod(0o644)
    stored.write_bytes(bytes(data))

    _open(page, f"{running_app.base_url}/model?model={imported['model_id']}", "Model")
    _choose(page, "Landmark model", f"{CASE} — Changed web copy")
    _wait_idle(page)
    _shot(page, "model-level-changed.png")
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_test_id("stAlertContentError")).to_contain_text(
        f"Stored file {web[:12]} no longer matches its SHA-256."
    )
    expect(main.get_by_text("Versions of this model")).to_be_visible()
    expect(main.get_by_test_id("stAlertContentError")).to_have_count(1)  # no incident besides
    frame = page.locator('iframe[title*="scene3d"]').first.content_frame
    expect(frame.locator("body[data-mesh-loaded]")).to_have_count(0)
