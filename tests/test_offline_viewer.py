"""The offline exhibit viewer: one HTML file holding three.js, a real mesh (the Stanford bunny, as
GLB) and a three-step re-enactment, checked as bytes and then opened from disk (``file://``) in
Debian's headless Chromium with networking off. Screenshots land in
``test-artifacts/screenshots/`` (git-ignored) for people to look at.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh

from bench._common import launch_chromium
from bsu_models.core.errors import InvalidInput, StorageError
from bsu_models.court import offline_viewer_modules
from bsu_models.court.offline_viewer import build_offline_viewer
from tests.test_browser import CHROMIUM_TEST_ARGS, SCREENSHOTS, _testdata

pytestmark = pytest.mark.browser

READY_TIMEOUT_MS = 120_000
HOSTILE = "</script><b>x</b><!-- <script>alert(1)</script>"
BACKGROUND = (223, 227, 232)  # #dfe3e8, the viewport's clear colour
EXPECTED_MODULES = [
    "three.core.js",
    "three.module.js",
    "addons/utils/BufferGeometryUtils.js",
    "addons/utils/SkeletonUtils.js",
    "addons/loaders/GLTFLoader.js",
    "addons/utils/WorkerPool.js",
    "addons/libs/ktx-parse.module.js",
    "addons/libs/zstddec.module.js",
    "addons/math/ColorSpaces.js",
    "addons/loaders/KTX2Loader.js",
    "addons/libs/meshopt_decoder.module.js",
    "addons/controls/OrbitControls.js",
    "addons/renderers/CSS2DRenderer.js",
    "view3d.js",
    "offline_viewer.js",
]


# --------------------------------------------------------------------------- the exhibit


@pytest.fixture(scope="module")
def bunny() -> trimesh.Trimesh:
    mesh = trimesh.load(_testdata() / "stanford-bunny.obj", force="mesh")
    assert isinstance(mesh, trimesh.Trimesh)
    return mesh


def _on_top(mesh: trimesh.Trimesh, x: float, z: float) -> list[float]:
    """The first surface point straight below (x, z), seen from above (+y is up)."""
    top = float(mesh.bounds[1][1]) + 1.0
    hits, _rays, _tris = mesh.ray.intersects_location(
        np.array([[x, top, z]]), np.array([[0.0, -1.0, 0.0]]), multiple_hits=False
    )
    assert len(hits), f"no surface below ({x}, {z})"
    return [round(float(v), 6) for v in hits[0]]


def _scene(mesh: trimesh.Trimesh, narrative_2: str = "The witness turns.") -> dict[str, Any]:
    lo, hi = mesh.bounds
    centre = (lo + hi) / 2
    w1 = _on_top(mesh, -0.035, 0.03)
    # The suspect's path hugs the surface: many points, each on it.
    track = [_on_top(mesh, 0.035 - 0.03 * t, -0.005 + 0.03 * t) for t in np.linspace(0, 1, 12)]
    s1, s1b = track[-1], _on_top(mesh, -0.005, 0.035)
    car = _on_top(mesh, 0.02, -0.02)
    knife = _on_top(mesh, -0.06, 0.035)
    head = [round(float(v), 6) for v in mesh.vertices[np.argmax(mesh.vertices[:, 1])]]
    eye = [w1[0], w1[1] + 0.016, w1[2]]
    witness = {"id": "W1", "label": "證人 W1", "type": "witness", "colour": "#1f77b4"}
    suspect = {"id": "S1", "label": "疑犯 S1", "type": "suspect", "colour": "#d62728"}
    vehicle = {"id": "V1", "label": "私家車 V1", "type": "vehicle", "colour": "#2ca02c"}
    evidence = {"id": "E1", "label": "刀 E1", "type": "evidence", "colour": "#ff7f0e"}
    camera = {"id": "C1", "label": "CCTV 閉路電視", "type": "camera", "colour": "#9467bd"}
    rows = [
        {
            "label": "證人 W1",
            "type": "witness",
            "provenance": "witness_statement",
            "reference": "WS-3 (陳大文)",
        },
        # Words instead of a kind are shown as they are.
        {"label": "疑犯 S1", "type": "suspect", "provenance": "CCTV", "reference": "CCTV-7 21:03"},
    ]
    return {
        "title": "天橋 re-enactment",
        "subtitle": "HK-2026-0142 · Exhibit BSU/7 · revision 4 (frozen)",
        "up": [0, 1, 0],
        "north": [0, 0, -1],
        "eye_height": 0.016,
        "facts": [
            ["Model", "Stanford bunny 兔子"],
            ["Original SHA-256", "0" * 64],
            ["Units", "model units"],
            ["Scale", "1:1"],
            ["Size", "0.156 × 0.154 × 0.121"],
        ],
        "steps": [
            {
                "number": 1,
                "title": "Approach 接近",
                "clock": "21:03",
                "narrative": "The suspect walks towards the witness.\nSecond line.",
                "camera": None,
                "layer": {
                    "entities": [
                        {**witness, "point": w1},
                        {**suspect, "point": s1},
                        {**vehicle, "point": car},
                        {**evidence, "point": knife},
                        {**camera, "point": head},
                    ],
                    "paths": [{"colour": "#d62728", "points": track}],
                    "measurements": [{"a": w1, "b": s1, "text": "2.40 m ± 0.05 m"}],
                    "sightlines": [],
                },
                "entities": rows,
            },
            {
                "number": 2,
                "title": "Turn 轉身",
                "clock": "21:04",
                "narrative": narrative_2,
                "camera": {
                    "projection": "perspective",
                    "position": [float(centre[0]) + 0.12, float(hi[1]) + 0.06, float(hi[2]) + 0.15],
                    "target": [float(v) for v in centre],
                    "up": [0, 1, 0],
                    "fov_deg": 40.0,
                    "ortho_scale": None,
                },
                "layer": {
                    "entities": [
                        {**witness, "point": w1},
                        {**suspect, "point": s1b},
                        {**vehicle, "point": car},
                    ],
                    "paths": [],
                    "measurements": [],
                    "sightlines": [
                        {"eye": eye, "target": s1b, "visible": True, "occluder": None},
                        {
                            "eye": eye,
                            "target": car,
                            "visible": False,
                            "occluder": _on_top(mesh, -0.01, 0.005),
                        },
                    ],
                },
                "entities": rows,
            },
            {
                "number": 3,
                "title": "Plan 平面",
                "clock": None,
                "narrative": "Seen from above.",
                "camera": {
                    "projection": "orthographic",
                    "position": [float(centre[0]), float(hi[1]) + 0.5, float(centre[2]) + 1e-4],
                    "target": [float(v) for v in centre],
                    "up": [0, 0, -1],
                    "fov_deg": None,
                    "ortho_scale": 0.2,
                },
                "layer": {"entities": [], "paths": [], "measurements": [], "sightlines": []},
                "entities": [],
            },
        ],
    }


@pytest.fixture(scope="module")
def glb(bunny: trimesh.Trimesh) -> bytes:
    return bytes(bunny.export(file_type="glb"))


# --------------------------------------------------------------------------- the bytes


class _Scripts(HTMLParser):
    """Every element the page has, and the text of each <script>, as the HTML parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def _parse(page: bytes) -> _Scripts:
    parser = _Scripts()
    parser.feed(page.decode("utf-8"))
    parser.close()
    return parser


def test_one_file_without_outside_references(bunny, glb):
    page = build_offline_viewer(glb, _scene(bunny))
    parsed = _parse(page)
    # Nothing is loaded from anywhere: no src/href attributes, no <link>, <img>, <iframe>.
    assert [tag for tag, attrs in parsed.tags if "src" in attrs or "href" in attrs] == []
    assert {tag for tag, _ in parsed.tags}.isdisjoint({"link", "img", "iframe", "object", "embed"})
    modules = [attrs["data-module"] for attrs, _ in parsed.scripts if "data-module" in attrs]
    assert modules == EXPECTED_MODULES  # only the addons needed, dependencies first
    # The only URLs in the page are in three.js's own comments and strings (e.g. the XHTML
    # namespace); the page outside the embedded modules names none.
    outside = re.sub(
        rb'<script type="application/json" data-module="[^"]+">.*?</script>', b"", page, flags=re.S
    )
    assert b"http://" not in outside and b"https://" not in outside
    # Without a KTX2 texture no string is ever run as script: the policy says so.
    assert b"'wasm-unsafe-eval' blob:" in page and b"'unsafe-eval'" not in page
    # Every static import of every module names another embedded module (the bootstrap swaps in
    # its blob: URL), and none is dynamic.
    for attrs, text in parsed.scripts:
        if "data-module" not in attrs:
            continue
        pieces = json.loads(text)
        assert set(pieces[1::2]) <= set(modules)
        source = "MODULE".join(pieces[::2])
        specifiers = re.findall(
            r"""^(?:import|export)[\s\w$*{},]*?\bfrom\s*['"]([^'"]*)['"]""", source, re.M
        )
        assert set(specifiers) <= {"MODULE"}, attrs
        assert not re.search(r"""\bimport\s*\(\s*['"`]""", source), attrs
    # The strict policy keeps even a tampered copy off the network.
    assert b"default-src 'none'" in page
    # The model is in the page, byte for byte.
    (glb_text,) = [text for attrs, text in parsed.scripts if attrs.get("id") == "bsu-glb"]
    import base64

    assert base64.b64decode(glb_text) == glb
    # Chinese is written as UTF-8, not as entities or escapes.
    assert "天橋 re-enactment".encode() in page


def test_same_inputs_same_bytes(bunny, glb):
    first = build_offline_viewer(glb, _scene(bunny))
    assert build_offline_viewer(glb, _scene(bunny)) == first
    assert build_offline_viewer(glb, _scene(bunny, "Another narrative.")) != first


def test_markup_in_user_text_stays_text(bunny, glb):
    data = _scene(bunny, narrative_2=HOSTILE)
    data["title"] = HOSTILE
    data["facts"].append([HOSTILE, HOSTILE])
    data["steps"][0]["layer"]["entities"][0]["label"] = HOSTILE
    page = build_offline_viewer(glb, data)
    parsed = _parse(page)
    # The page has exactly the scripts it was built with, and the scene reads back unchanged.
    assert len(parsed.scripts) == 1 + len(EXPECTED_MODULES) + 3
    assert not any(tag == "b" for tag, _ in parsed.tags)
    (scene,) = [text for attrs, text in parsed.scripts if attrs.get("id") == "bsu-data"]
    assert json.loads(scene) == data
    assert page.count(b"</script") == len(parsed.scripts)


def test_words_in_traditional_chinese(bunny, glb):
    """The page's own words in Chinese: in the HTML, and as data for the script, which holds no
    Chinese itself. User text is as given in either language."""
    page = build_offline_viewer(glb, _scene(bunny), "zh_HK")
    text = page.decode("utf-8")
    assert text.startswith('<!doctype html>\n<html lang="zh-Hant-HK">\n')
    for words in (
        '<button id="btn-prev" type="button">上一步</button>',
        '<button id="btn-next" type="button">下一步</button>',
        ">重設視圖</button>",
        "<h3>此步驟的人或物</h3>",
        "唯讀證物副本",
        "<dt>現場實地量度</dt>",
    ):
        assert words in text, words
    html_part = text.split("<script")[0]  # the page without its scripts
    assert "Previous" not in html_part and "Read-only" not in html_part
    (words_json,) = [t for a, t in _parse(page).scripts if a.get("id") == "bsu-words"]
    words = json.loads(words_json)
    assert words["step_of"] == "步驟 {number}／{count}"
    assert words["types"]["witness"] == "證人" and words["provenance"]["cctv"] == "閉路電視"
    assert "天橋 re-enactment" in text and "Stanford bunny 兔子" in text  # user text as given
    # The viewer script keeps only its English fallback: no Chinese in it.
    assert not re.search(
        r"[\u3400-\u9fff]", offline_viewer_modules.VIEWER_JS.read_text(encoding="utf-8")
    )
    english = build_offline_viewer(glb, _scene(bunny)).decode("utf-8")
    assert '<html lang="en">' in english and ">Previous</button>" in english
    with pytest.raises(InvalidInput, match="Unknown language"):
        build_offline_viewer(glb, _scene(bunny), "fr")


def test_bad_inputs_and_missing_vendor_file(bunny, glb, tmp_path, monkeypatch):
    with pytest.raises(InvalidInput, match="not a GLB"):
        build_offline_viewer(b"solid ascii stl", _scene(bunny))
    with pytest.raises(InvalidInput, match="plain JSON"):
        build_offline_viewer(glb, {**_scene(bunny), "eye_height": float("nan")})
    with pytest.raises(InvalidInput, match=r"\[name, value\] pair"):
        build_offline_viewer(glb, {**_scene(bunny), "facts": [["Units"]]})
    # NumPy numbers straight from the mesh are plain enough.
    numpy_up = {**_scene(bunny), "up": np.array([0.0, 1.0, 0.0]), "eye_height": np.float32(0.5)}
    assert build_offline_viewer(glb, numpy_up) == build_offline_viewer(
        glb, {**_scene(bunny), "up": [0.0, 1.0, 0.0], "eye_height": 0.5}
    )
    vendor = tmp_path / "vendor"
    shutil.copytree(offline_viewer_modules.THREE_VENDOR_DIR, vendor)
    (vendor / "addons" / "utils" / "SkeletonUtils.js").unlink()
    monkeypatch.setattr(offline_viewer_modules, "THREE_VENDOR_DIR", vendor)
    with pytest.raises(StorageError, match=r"SkeletonUtils\.js, which is missing"):
        build_offline_viewer(glb, _scene(bunny))


# --------------------------------------------------------------------------- in the browser


class Opened:
    def __init__(self, page: Any, outside: list[str], problems: list[str]) -> None:
        self.page = page
        self.outside = outside  # requests to anything but file: (all refused)
        self.problems = problems  # page errors and console errors


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p, *CHROMIUM_TEST_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def open_offline(chromium) -> Iterator[Callable[..., Opened]]:
    """Open a file in a fresh context that has no network: offline, and every request that is
    not for a local file is refused and recorded."""
    contexts = []

    def open_file(path: Path, init_script: str | None = None) -> Opened:
        context = chromium.new_context(viewport={"width": 1400, "height": 900})
        contexts.append(context)
        context.set_default_timeout(30_000)
        context.set_offline(True)
        outside: list[str] = []
        problems: list[str] = []

        def refuse(route: Any) -> None:
            url = route.request.url
            if url.startswith("file:"):
                route.continue_()
            else:
                outside.append(url)
                route.abort()

        context.route("**/*", refuse)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.on("request", lambda r: None if r.url.startswith(("file:", "blob:", "data:"))
                else outside.append(r.url))  # fmt: skip
        page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.goto(path.as_uri())
        return Opened(page, outside, problems)

    try:
        yield open_file
    finally:
        for context in contexts:
            context.close()


def _shot(page: Any, name: str) -> Any:
    from PIL import Image

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    png = page.screenshot(path=str(SCREENSHOTS / name))
    return Image.open(io.BytesIO(png)).convert("RGB")


def _canvas_pixels(page: Any, picture: Any) -> np.ndarray:
    box = page.locator("#viewport canvas").bounding_box()
    assert box is not None and box["width"] > 400 and box["height"] > 300
    crop = picture.crop(
        (int(box["x"]), int(box["y"]), int(box["x"] + box["width"]), int(box["y"] + box["height"]))
    )
    return np.asarray(crop).reshape(-1, 3)


def test_steps_through_the_exhibit_offline(bunny, glb, tmp_path, open_offline):
    from playwright.sync_api import expect

    html_file = tmp_path / "exhibit" / "viewer.html"
    html_file.parent.mkdir()
    html_file.write_bytes(build_offline_viewer(glb, _scene(bunny, narrative_2=HOSTILE)))
    opened = open_offline(html_file)
    page = opened.page
    page.locator('body[data-ready="1"]').wait_for(state="attached", timeout=READY_TIMEOUT_MS)
    assert page.evaluate("window.__bsuViewer.stepCount") == 3
    expect(page.locator("body")).to_have_attribute("data-step", "1")
    expect(page.locator("#step-heading")).to_have_text("Step 1 of 3 · 21:03 · Approach 接近")
    expect(page.locator("#title")).to_have_text("天橋 re-enactment")
    expect(page.locator("#readonly")).to_contain_text("Read-only exhibit copy")
    expect(page.locator("#entity-rows tr")).to_have_count(2)
    expect(page.locator("#entity-rows tr").first).to_contain_text(
        "證人 W1WitnessWitness statementWS-3 (陳大文)"
    )
    expect(page.locator("#entity-rows tr").nth(1)).to_contain_text("CCTVCCTV-7 21:03")
    expect(page.locator("#facts")).to_contain_text("Stanford bunny 兔子")
    # CSS2D labels: the Chinese text is in the DOM, on screen, in a CJK font.
    label = page.locator(".labels .label", has_text="證人 W1")
    expect(label).to_have_count(1)
    expect(label).to_be_visible()
    expect(page.locator(".labels .label.measure")).to_have_text("2.40 m ± 0.05 m")
    assert page.evaluate("document.fonts.check('12px \"Noto Sans CJK HK\"', '證人')")

    picture = _shot(page, "offline-viewer.png")
    pixels = _canvas_pixels(page, picture)
    colours = len(np.unique(pixels, axis=0))
    drawn = float(np.mean(np.any(np.abs(pixels.astype(int) - BACKGROUND) > 12, axis=1)))
    assert colours > 500, f"the 3D view looks blank: {colours} distinct colours"
    assert drawn > 0.1, f"only {drawn:.1%} of the 3D view differs from the background"

    page.keyboard.press("ArrowRight")
    expect(page.locator("body")).to_have_attribute("data-step", "2")
    expect(page.locator("#step-heading")).to_have_text("Step 2 of 3 · 21:04 · Turn 轉身")
    # The narrative with markup in it is shown literally.
    expect(page.locator("#narrative")).to_have_text(HOSTILE)
    assert page.locator("#narrative *").count() == 0
    expect(page.locator(".labels .label")).to_have_count(3)
    page.wait_for_timeout(300)
    _shot(page, "offline-viewer-step2.png")

    page.keyboard.press("End")
    expect(page.locator("body")).to_have_attribute("data-step", "3")
    expect(page.locator("#step-heading")).to_have_text("Step 3 of 3 · Plan 平面")
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    expect(page.locator(".labels .label")).to_have_count(0)
    page.wait_for_timeout(300)
    _shot(page, "offline-viewer-plan.png")
    page.keyboard.press("PageUp")
    expect(page.locator("body")).to_have_attribute("data-step", "2")
    page.get_by_role("button", name="Previous").click()
    expect(page.locator("body")).to_have_attribute("data-step", "1")
    page.keyboard.press("Home")
    expect(page.get_by_role("button", name="Previous")).to_be_disabled()

    assert opened.outside == [], f"the page tried to reach the network: {opened.outside}"
    assert opened.problems == []


def test_no_steps_shows_the_model_only(bunny, glb, tmp_path, open_offline):
    from playwright.sync_api import expect

    data = {**_scene(bunny), "steps": []}
    html_file = tmp_path / "model-only.html"
    html_file.write_bytes(build_offline_viewer(glb, data))
    opened = open_offline(html_file)
    page = opened.page
    page.locator('body[data-ready="1"]').wait_for(state="attached", timeout=READY_TIMEOUT_MS)
    expect(page.locator("#step-heading")).to_contain_text("no re-enactment steps")
    expect(page.locator("#step-nav")).to_be_hidden()
    pixels = _canvas_pixels(page, _shot(page, "offline-viewer-model-only.png"))
    assert len(np.unique(pixels, axis=0)) > 500
    assert opened.outside == [] and opened.problems == []


def test_a_compressed_web_level_opens_offline(bunny, tmp_path, open_offline):
    """A web level (meshopt geometry, KTX2 texture) with the Basis transcoder from the page."""
    from bench._common import textured_grid
    from bsu_models.ingest.levels import LevelSpec, build_level

    level = build_level(textured_grid(60, 256), LevelSpec("low", 1_500, 128), "a" * 64)
    html = build_offline_viewer(level.data, {**_scene(bunny), "steps": []})
    assert b'id="bsu-basis-wasm"' in html
    # The Basis transcoder's bindings need 'unsafe-eval' (measured: Chromium refuses them with
    # 'wasm-unsafe-eval' alone).
    assert b"'wasm-unsafe-eval' 'unsafe-eval'" in html
    html_file = tmp_path / "level.html"
    html_file.write_bytes(html)
    opened = open_offline(html_file)
    page = opened.page
    page.locator('body[data-ready="1"]').wait_for(state="attached", timeout=READY_TIMEOUT_MS)
    pixels = _canvas_pixels(page, _shot(page, "offline-viewer-web-level.png"))
    # The texture's red and green ramps are on screen, not only grey shading.
    assert (np.abs(pixels[:, 0].astype(int) - pixels[:, 1]) > 60).sum() > 1_000
    assert opened.outside == [] and opened.problems == []


def test_without_webgl_says_so_in_words(bunny, glb, tmp_path, open_offline):
    from playwright.sync_api import expect

    html_file = tmp_path / "no-webgl.html"
    html_file.write_bytes(build_offline_viewer(glb, _scene(bunny)))
    # A computer without 3D graphics: every canvas refuses a WebGL context.
    opened = open_offline(
        html_file,
        init_script="HTMLCanvasElement.prototype.getContext = function () { return null; };",
    )
    page = opened.page
    expect(page.locator("#viewport .message")).to_contain_text("could not start 3D graphics")
    # The steps still work without the 3D view.
    expect(page.locator("#step-heading")).to_have_text("Step 1 of 3 · 21:03 · Approach 接近")
    page.keyboard.press("ArrowRight")
    expect(page.locator("body")).to_have_attribute("data-step", "2")
    assert opened.outside == []


def test_the_script_writes_the_words_of_the_page_language(bunny, glb, tmp_path, open_offline):
    """Without WebGL (so quick): the step headings, type and provenance names and the message
    that the script writes come from the page's words in Chinese."""
    from playwright.sync_api import expect

    html_file = tmp_path / "zh.html"
    html_file.write_bytes(build_offline_viewer(glb, _scene(bunny), "zh_HK"))
    opened = open_offline(
        html_file,
        init_script="HTMLCanvasElement.prototype.getContext = function () { return null; };",
    )
    page = opened.page
    expect(page.locator("#viewport .message")).to_contain_text("無法啟動立體圖像（WebGL）")
    expect(page.locator("#step-heading")).to_have_text("步驟 1／3 · 21:03 · Approach 接近")
    expect(page.locator("#entity-rows tr").first).to_contain_text(
        "證人 W1證人證人口供WS-3 (陳大文)"
    )
    page.get_by_role("button", name="下一步").click()
    expect(page.locator("body")).to_have_attribute("data-step", "2")
    assert opened.outside == []


def test_sensitive_entities_are_marked_in_both_languages(bunny, glb, tmp_path, open_offline):
    """Without WebGL (so quick): a sensitive entity's row carries the "Sensitive" badge in the
    page's language, and only that row."""
    from playwright.sync_api import expect

    data = _scene(bunny)
    for step in data["steps"]:
        step["entities"] = [{**e, "sensitive": e["label"] == "證人 W1"} for e in step["entities"]]
    for lang, word in (("en", "Sensitive"), ("zh_HK", "敏感")):
        html_file = tmp_path / f"sensitive-{lang}.html"
        html_file.write_bytes(build_offline_viewer(glb, data, lang))
        opened = open_offline(
            html_file,
            init_script="HTMLCanvasElement.prototype.getContext = function () { return null; };",
        )
        rows = opened.page.locator("#entity-rows tr")
        expect(rows.first.locator(".badge.sensitive")).to_have_text(word)
        expect(rows.first).to_have_class("sensitive")
        expect(opened.page.locator("#entity-rows .badge")).to_have_count(1)
        assert opened.outside == []


def test_an_exhibit_with_further_accounts_switches_between_them(
    bunny, glb, tmp_path, open_offline
):
    from playwright.sync_api import expect

    data = _scene(bunny)
    defence = {**_scene(bunny, narrative_2=HOSTILE), "title": HOSTILE, "subtitle": "scene 2"}
    defence["steps"] = defence["steps"][:2]
    data["accounts"] = [{k: defence[k] for k in ("title", "subtitle", "steps")}]
    html_file = tmp_path / "exhibit" / "viewer.html"
    html_file.parent.mkdir()
    html_file.write_bytes(build_offline_viewer(glb, data))
    opened = open_offline(html_file)
    page = opened.page
    page.locator('body[data-ready="1"]').wait_for(state="attached", timeout=READY_TIMEOUT_MS)
    picker = page.locator("#account")
    expect(picker).to_be_visible()
    expect(picker.locator("option")).to_have_text([data["title"], HOSTILE])
    page.keyboard.press("End")
    expect(page.locator("#step-heading")).to_have_text("Step 3 of 3 · Plan 平面")
    picker.select_option("1")
    expect(page.locator("body")).to_have_attribute("data-account", "1")
    # The further account has two steps: the view goes to its last, with its own words.
    expect(page.locator("#step-heading")).to_have_text("Step 2 of 2 · 21:04 · Turn 轉身")
    expect(page.locator("#title")).to_have_text(HOSTILE)
    assert page.locator("#title *, #account *:not(option)").count() == 0
    expect(page.locator("#narrative")).to_have_text(HOSTILE)
    _shot(page, "offline-viewer-accounts.png")
    picker.select_option("0")
    expect(page.locator("#title")).to_have_text(data["title"])
    expect(page.locator("#step-heading")).to_have_text(re.compile(r"^Step 2 of 3"))
    assert opened.outside == [] and opened.problems == []


def test_one_account_shows_no_account_choice(bunny, glb, tmp_path, open_offline):
    from playwright.sync_api import expect

    html_file = tmp_path / "exhibit" / "viewer.html"
    html_file.parent.mkdir()
    html_file.write_bytes(build_offline_viewer(glb, _scene(bunny)))
    page = open_offline(html_file).page
    page.locator('body[data-ready="1"]').wait_for(state="attached", timeout=READY_TIMEOUT_MS)
    expect(page.locator("#account-choice")).to_be_hidden()
