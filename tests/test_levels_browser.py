"""The 3D component with web levels in headless Chromium: it shows ``low`` first, then swaps in
``high`` with the camera kept, decoding meshopt geometry and KTX2 textures from the vendored
three.js; a click on the simplified level, re-cast on the server, lies on the full surface.

The component is driven by a small host page that speaks Streamlit's component protocol (render
arguments in, values out) and answers ``need_mesh`` with the level's bytes, as viewer/scene3d.py
does, without the app around it.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import trimesh

import bsu_models
from bench._common import launch_chromium, textured_grid
from bsu_models.ingest.levels import LevelSpec, build_level
from tests.test_browser import CHROMIUM_TEST_ARGS, SCREENSHOTS

pytestmark = pytest.mark.browser
STATIC = Path(__file__).resolve().parents[1] / "viewer" / "components" / "scene3d" / "static"

HOST = """<!doctype html><html><body style="margin:0">
<iframe id="c" src="/component/index.html" style="width:800px;height:500px;border:0"></iframe>
<script>
const LEVELS = LEVEL_IDS;
window.values = [];
const frame = document.getElementById('c');
let args = {};
const render = () => frame.contentWindow.postMessage(
  {type: 'streamlit:render', args, dataType: 'json'}, '*');
window.addEventListener('message', async (e) => {
  const d = e.data;
  if (d.type === 'streamlit:componentReady') {
    args = {mesh_id: LEVELS[0], levels: LEVELS, height: 480, tool: 'navigate'};
    render();
  }
  if (d.type !== 'streamlit:setComponentValue') return;
  window.values.push(d.value);
  if (d.value.type === 'need_mesh') {
    const bytes = new Uint8Array(await (await fetch('/glb/' + d.value.mesh_id)).arrayBuffer());
    args = {...args, mesh: bytes, mesh_for: d.value.mesh_id};
    render();
    args = {...args, mesh: null, mesh_for: null};
  }
});
</script></body></html>"""


_TYPES = {".js": "text/javascript", ".html": "text/html", ".wasm": "application/wasm"}


class _Handler(http.server.SimpleHTTPRequestHandler):
    levels: ClassVar[dict[str, bytes]] = {}
    host = b""

    def do_GET(self) -> None:
        if self.path == "/host.html":
            return self._send(self.host, "text/html")
        if self.path.startswith("/glb/"):
            return self._send(self.levels[self.path.removeprefix("/glb/")], "model/gltf-binary")
        if self.path.startswith("/component/"):
            file = (STATIC / self.path.removeprefix("/component/")).resolve()
            if file.is_file() and STATIC in file.parents:
                types = {
                    ".js": "text/javascript",
                    ".html": "text/html",
                    ".wasm": "application/wasm",
                }
                return self._send(file.read_bytes(), types.get(file.suffix, "text/plain"))
        self.send_error(404)

    def _send(self, data: bytes, media: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def served_levels(tmp_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    glb = textured_grid(60, 256)  # 7,200 faces
    low = build_level(glb, LevelSpec("low", 1_500, 64), "a" * 64)
    high = build_level(glb, LevelSpec("high", 500_000, 256), "a" * 64)
    ids = [hashlib.sha256(b.data).hexdigest() for b in (low, high)]
    handler = type("Handler", (_Handler,), {})
    handler.levels = {ids[0]: low.data, ids[1]: high.data}
    handler.host = HOST.replace("LEVEL_IDS", json.dumps(ids)).encode()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield (
            f"http://127.0.0.1:{server.server_address[1]}",
            {"ids": ids, "faces": [low.faces, high.faces], "glb": glb},
        )
    finally:
        server.shutdown()


def _picked(
    cat: bsu_models.Catalogue, glb: bytes, click: dict[str, Any]
) -> tuple[tuple[float, float, float], np.ndarray, float]:
    """The click re-cast on the full mesh of ``glb`` imported as a version: the exact point,
    the distances of (the browser's point, the exact point) from the full surface, and the
    mesh's resolution."""
    cat.add_case("KC-1", "levels")
    version = cat.import_model(
        [bsu_models.UploadFile("grid.glb", glb)], case="KC-1", name="Grid"
    ).version
    point, _face = cat.scenes.pick(
        version.version_id, click["ray"]["origin"], click["ray"]["direction"], click["point"]
    )
    full = trimesh.load(trimesh.util.wrap_as_stream(glb), file_type="glb", force="mesh")
    _c, distances, _t = trimesh.proximity.closest_point(full, np.array([click["point"], point]))
    return point, distances, cat.scenes.geometry(version.version_id).resolution


def _click_view(page: Any, frame: Any, fx: float, fy: float) -> tuple[dict[str, Any], str | None]:
    """Click the view at fractions of its canvas: the click value it sends and the triangle
    count it shows."""
    canvas = frame.locator("canvas").first
    box = canvas.bounding_box()
    assert box is not None
    canvas.click(position={"x": box["width"] * fx, "y": box["height"] * fy})
    page.wait_for_function("window.values.some(v => v.type === 'click')")
    click = next(v for v in page.evaluate("window.values") if v["type"] == "click")
    return click, frame.locator("body").get_attribute("data-mesh-triangles")


@contextlib.contextmanager
def _host_showing(base: str, level_id: str) -> Iterator[tuple[Any, Any]]:
    """The host page in Chromium once its component shows ``level_id``: (page, frame)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p, *CHROMIUM_TEST_ARGS)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 600})
            page.goto(base + "/host.html")
            frame = page.frame_locator("#c")
            frame.locator(f'body[data-mesh-loaded="{level_id}"]').wait_for(timeout=90_000)
            yield page, frame
        finally:
            browser.close()


def test_low_first_then_high_in_the_same_view_and_clicks_are_exact(
    served_levels: tuple[str, dict[str, Any]], sqlite_catalogue: bsu_models.Catalogue
) -> None:
    base, info = served_levels
    low_id, high_id = info["ids"]
    with _host_showing(base, high_id) as (page, frame):
        values = page.evaluate("window.values")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "scene3d-high-level.png"))
        frame.locator("#btn-save").click()
        page.wait_for_function("window.values.some(v => v.type === 'camera')")
        camera = next(v for v in page.evaluate("window.values") if v["type"] == "camera")
        click, triangles = _click_view(page, frame, 0.5, 0.5)

    asked = [v["mesh_id"] for v in values if v["type"] == "need_mesh"]
    assert asked == [low_id, high_id]
    ready = [(v["mesh_id"], v["triangles"]) for v in values if v["type"] == "ready"]
    assert ready == [(low_id, info["faces"][0]), (high_id, info["faces"][1])]
    assert int(triangles or 0) == info["faces"][1] == 7_200
    # The view the low level was framed in is the one the high level is shown in.
    assert camera["mesh_id"] == high_id
    assert click["mesh_id"] == high_id and "ray" in click

    # The same ray cast on the full-resolution mesh of the imported version.
    _point, distances, _resolution = _picked(sqlite_catalogue, info["glb"], click)
    assert distances[1] < 1e-6  # on the surface, to rounding


def test_a_click_on_a_simplified_level_is_re_cast_on_the_full_surface(
    served_levels: tuple[str, dict[str, Any]], sqlite_catalogue: bsu_models.Catalogue
) -> None:
    """Only the low level is offered: the browser's point lies on the simplified surface, off
    the full one; the re-cast point lies on the full surface."""
    from playwright.sync_api import sync_playwright

    base, info = served_levels
    low_id = info["ids"][0]
    with sync_playwright() as p:
        browser = launch_chromium(p, *CHROMIUM_TEST_ARGS)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 600})
            page.route(
                "**/host.html",
                lambda route: route.fulfill(
                    body=route.fetch()
                    .text()
                    .replace(json.dumps(info["ids"]), json.dumps([low_id])),
                    content_type="text/html",
                ),
            )
            page.goto(base + "/host.html")
            frame = page.frame_locator("#c")
            frame.locator(f'body[data-mesh-loaded="{low_id}"]').wait_for(timeout=90_000)
            click, triangles = _click_view(page, frame, 0.55, 0.45)
        finally:
            browser.close()
    assert int(triangles or 0) == info["faces"][0] < 7_200

    point, distances, resolution = _picked(sqlite_catalogue, info["glb"], click)
    assert distances[1] < 1e-6 < distances[0]  # the browser's point was on the simplified copy
    assert np.linalg.norm(np.subtract(point, click["point"])) < resolution


def test_a_view_handed_no_model_keeps_nothing_of_the_last(
    served_levels: tuple[str, dict[str, Any]],
) -> None:
    """A page that draws a view again with the same key keeps its frame: when that drawing
    names no model (and no height, as the sign-in form's view), the model shown is dropped."""
    base, info = served_levels
    with _host_showing(base, info["ids"][1]) as (page, frame):
        page.evaluate(
            """() => {
              window.heights = [];
              window.addEventListener('message', (e) => {
                if (e.data?.type === 'streamlit:setFrameHeight') heights.push(e.data.height);
              });
              document.getElementById('c').contentWindow.postMessage({type: 'streamlit:render',
                args: {mesh_id: null, levels: [], height: 0}, dataType: 'json'}, '*');
            }"""
        )
        frame.locator("body:not([data-mesh-loaded])").wait_for(state="attached", timeout=30_000)
        page.wait_for_function("window.heights.length > 0")
        heights = page.evaluate("window.heights")
        status = frame.locator("#status").inner_text()
    assert heights[-1] == 0
    assert "No model selected." in status
