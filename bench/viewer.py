"""Benchmark: the Model page's 3D viewer in headless Chromium versus a bare three.js page.

Not a test. Run from the repository root, e.g.::

    VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow python bench/viewer.py [--faces N [N ...]]
        [--repeat N] [--json]

It writes (deterministically, in a temporary folder) the landmark-like meshes of
``bench/ingest.py`` -- about 100k and 1.3M faces by default -- as binary PLY, and imports them with
the real CLI into a throwaway data folder (``case add``, ``import --units mm --scale 1:100``; the
web GLB of each version is named by ``show --json``, role ``web_glb``). Then it starts the real
app (``streamlit run viewer/app.py``) and, beside it, Python's ``http.server`` on a static folder
holding the bare page, a copy of the component's ``vendor/`` three.js (same import map) and a copy
of each web GLB. Both listen on 127.0.0.1 only.

Debian's Chromium (SwiftShader WebGL, as in the browser tests) is driven through Playwright; every
page load gets a fresh browser context, so IndexedDB and the HTTP cache are empty. For each model:

* ours: ``/model?model=ID`` from ``page.goto`` until the component's frame has
  ``body[data-mesh-loaded=<GLB sha256>]``, wall time seen from Python (polled every 20 ms). An
  init script (a measuring hook only; nothing of the app is changed) also stamps, in the page's
  own clock from navigation start, when that attribute is set, the next animation frame (the
  first frame drawn with the mesh: main.js renders on the frame queued when it shows the mesh)
  and the one after it (presented), and the component's messages to Streamlit (componentReady,
  need_mesh, ready with its load_ms);
* bare: a page that fetches the same GLB with ``fetch`` from the local http.server (Chromium
  blocks ``fetch`` of ``file://`` URLs, so "from a local file" is served from loopback), parses
  it with GLTFLoader, sets the same lights, material tweaks and iso camera as main.js, renders ONE
  frame on a canvas of the size ours had, and sets ``body[data-first-frame]`` (and
  ``data-presented`` one frame later); wall time from ``page.goto`` as for ours.

The first-frame target is ours <= 1.5 x bare, judged on the in-page time from navigation start to
the first frame drawn with the mesh (same definition on both sides); the wall times to the two
attributes are printed too (ours' attribute is set just before its frame is drawn). Ours' time is
split from the page's own stamps (navigation and resource timing of both documents, WebSocket
messages as the page receives them, the component's messages): the Streamlit shell until the
component's iframe is inserted, the component's page and three.js until componentReady, then the
viewer's part -- IndexedDB lookup, need_mesh until the mesh message arrives (the script run that
sees need_mesh and calls st.rerun, then the run that sends the bytes), handing the bytes to the
frame, parsing, drawing -- against bare's fetch, parse and draw. The ratio of ours from the
iframe's insertion to the first frame over bare's whole page is printed as well: that part is
what viewer/scene3d.py and the component control.

Bytes: every WebSocket frame the page receives is counted (Playwright ``framereceived``; Streamlit
does not compress its WebSocket by default, so payload ~ wire bytes). The total received while the
model opens (until the page is idle after ``ready``) over the web GLB's size is the byte ratio,
target <= 1.1; bare's is its GLB response body. HTTP responses (Streamlit's own static bundle and
the component's static files, three.js included; cold cache here, cached by the browser in use)
are counted apart and not in the ratio. Later reruns that keep the model -- the ``r`` key three
times, the "Versions of this model" expander, and the clicks below -- must not send the mesh
again: their total and largest frame are printed (target: largest frame far below the GLB).

Click: the canvas is clicked at its centre and once off centre; the time until the main page
shows "Last clicked point" with new coordinates is the click-to-Python round trip, wall and in
page (pointerup in the frame to the text, split at the component's click message). Bare has no
Python: its raycast of the same click (``Raycaster.intersectObject`` on the same model and camera)
is timed in the page, first call (which builds the bounding sphere) and later calls.

Each side loads each model once untimed first (server imports, shader compilation in the shared
GPU process), then ``--repeat`` times, alternating which side goes first; medians are printed.
Peak RSS of this process is printed at the end; the browser's processes and the app server are
separate processes (the server's own peak, VmHWM, is printed too).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

from _common import (
    REPO,
    MiB,
    alternate,
    app_env,
    code_version,
    free_port,
    launch_chromium,
    machine,
    peak_rss_mib,
    serving,
    source_sha,
    streamlit_app,
    vm_hwm_mib,
)
from ingest import landmark_mesh, write_ply

STATIC = REPO / "viewer" / "components" / "scene3d" / "static"
# WebGL in software, the same on every machine.
SWIFTSHADER_ARGS = ("--use-gl=swiftshader", "--enable-unsafe-swiftshader")
VIEWPORT = {"width": 1400, "height": 1000}
TARGET_FIRST_FRAME = 1.5
TARGET_BYTES = 1.1
RERUN_MAX_FRAME_FRACTION = 0.05  # a rerun frame above 5 % of the GLB counts as a re-send
SIZES = (100_000, 1_300_000)
CASE = "BENCH-VIEWER"
POLL_MS = 20
MESH_TIMEOUT_S = 300.0
STARTUP_TIMEOUT_S = 90.0
R_RERUNS = 3
CLICKS = ((0.5, 0.5), (0.42, 0.56))  # fractions of the canvas; the first is its centre

# Measuring hooks, in every frame of ours (context.add_init_script): times are absolute
# (timeOrigin + now), so the frame's and the main page's stamps compare.
HOOKS_JS = r"""
(() => {
  const now = () => performance.timeOrigin + performance.now();
  if (window.__bench) return;
  const B = (window.__bench = { origin: performance.timeOrigin, marks: {}, messages: [],
    pointerups: [], ws: [] });
  const mark = (k) => { if (!(k in B.marks)) B.marks[k] = now(); };
  if (window.top === window) {
    // Arrival of each WebSocket message in the page (time, bytes).
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        mark('wsCreated');
        this.addEventListener('open', () => mark('wsOpen'));
        this.addEventListener('message', (e) => {
          const d = e.data;
          B.ws.push([now(), typeof d === 'string' ? d.length : d.byteLength ?? d.size ?? 0]);
        });
      }
    };
    const frames = new MutationObserver(() => {
      if (!document.querySelector('iframe[title*="scene3d"]')) return;
      mark('iframeInserted');
      frames.disconnect();
    });
    frames.observe(document, { childList: true, subtree: true });
    window.addEventListener('message', (e) => {
      const d = e.data;
      if (!d || !d.isStreamlitMessage) return;
      const v = d.value && typeof d.value === 'object' ? d.value : {};
      B.messages.push({ type: d.type, value: v.type ?? null, load_ms: v.load_ms ?? null,
        source: v.source ?? null, t: now() });
    }, true);
    return;
  }
  window.addEventListener('message', (e) => {
    const d = e.data;
    if (!d || d.type !== 'streamlit:render') return;
    mark('firstRenderMessage');
    const a = d.args || {};
    if (a.mesh || a.mesh_b64) mark('meshArgs');
  }, true);
  window.addEventListener('pointerup', () => B.pointerups.push(now()), true);
  // The frame's first document (about:blank) may hand its window over to the component's page:
  // watch whichever document is current.
  const watched = new WeakSet();
  const watch = () => {
    if (watched.has(document)) return;
    watched.add(document);
    new MutationObserver(() => {
      const b = document.body;
      if (!b || !b.dataset.meshLoaded || 'meshLoaded' in B.marks) return;
      mark('meshLoaded');
      // main.js queued its render before this callback: the next frame draws the mesh.
      requestAnimationFrame(() => {
        mark('drawn');
        requestAnimationFrame(() => mark('presented'));
      });
    }).observe(document, { attributes: true, subtree: true,
      attributeFilter: ['data-mesh-loaded'] });
  };
  watch();
  window.addEventListener('DOMContentLoaded', watch, true);
})();
"""

LAST_CLICK_JS = r"""
() => {
  const m = /Last clicked point \(model coordinates\): ([^\n]*)/.exec(document.body.innerText);
  return m ? m[1].trim() : null;
}
"""
CHANGED_CLICK_JS = r"""
(prev) => {
  const m = /Last clicked point \(model coordinates\): ([^\n]*)/.exec(document.body.innerText);
  return m && m[1].trim() !== prev ? performance.timeOrigin + performance.now() : null;
}
"""
# Navigation and resource timing of a document, in absolute ms.
NAV_JS = r"""
() => {
  const o = performance.timeOrigin;
  const nav = performance.getEntriesByType('navigation')[0];
  return {
    origin: o,
    responseEnd: nav ? o + nav.responseEnd : null,
    domContentLoaded: nav ? o + nav.domContentLoadedEventStart : null,
    resources: performance.getEntriesByType('resource').map((r) => ({
      name: r.name, start: o + r.startTime, end: o + r.responseEnd, size: r.transferSize })),
  };
}
"""
SCRIPT_STATE_JS = (
    "() => document.querySelector('[data-testid=\"stApp\"]')"
    "?.getAttribute('data-test-script-state') ?? null"
)

BARE_HTML = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>bare three.js</title>
<style>html, body { margin: 0; padding: 0; overflow: hidden; } canvas { display: block; }</style>
<script type="importmap">
{"imports": {"three": "./vendor/three.module.js", "three/addons/": "./vendor/addons/"}}
</script>
<script type="module">
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';

const q = new URLSearchParams(location.search);
const w = Number(q.get('w')) || 800, h = Number(q.get('h')) || 520;
const mark = (k) => { document.body.dataset[k] = String(performance.now()); };
mark('moduleStart');
const renderer = new THREE.WebGLRenderer({ antialias: false }); // main.js: none under software GL
renderer.setPixelRatio(1);
renderer.setSize(w, h);
document.body.appendChild(renderer.domElement);
const gl = renderer.getContext();
const info = gl.getExtension('WEBGL_debug_renderer_info');
document.body.dataset.glRenderer = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : '?';

const scene = new THREE.Scene();
scene.background = new THREE.Color(0xdfe3e8);
const hemi = new THREE.HemisphereLight(0xffffff, 0x6f6a60, 1.5);
const sun = new THREE.DirectionalLight(0xffffff, 1.7);
scene.add(hemi, sun, sun.target);
const camera = new THREE.PerspectiveCamera(50, w / h, 0.01, 1000);
camera.up.set(0, 0, 1);
const raycaster = new THREE.Raycaster();
let model = null;
window.__bare = {
  raycast(x, y) {
    raycaster.setFromCamera(new THREE.Vector2(x, y), camera);
    const t = performance.now();
    const hit = raycaster.intersectObject(model, true).find((o) => o.face);
    return { ms: performance.now() - t, point: hit ? hit.point.toArray() : null };
  },
};

const response = await fetch(q.get('glb'));
const buf = await response.arrayBuffer();
mark('fetched');
new GLTFLoader().parse(buf, '', (gltf) => {
  model = gltf.scene;
  model.traverse((o) => {
    if (!o.isMesh) return;
    for (const m of [].concat(o.material)) {
      if (m.isMeshStandardMaterial && !m.metalnessMap && m.metalness > 0.5) m.metalness = 0.1;
      m.side = THREE.DoubleSide;
    }
  });
  scene.add(model);
  model.updateMatrixWorld(true);
  const box = new THREE.Box3().setFromObject(model);
  const c = box.getCenter(new THREE.Vector3());
  const diag = box.getSize(new THREE.Vector3()).length() || 1;
  // Z up, north +Y, east +X: main.js's lights and its 'iso' preset.
  const up = new THREE.Vector3(0, 0, 1), north = new THREE.Vector3(0, 1, 0);
  const east = new THREE.Vector3(1, 0, 0);
  hemi.position.copy(up);
  const sunDir = east.clone().multiplyScalar(0.6).addScaledVector(north, -0.8)
    .addScaledVector(up, 1.5).normalize();
  sun.position.copy(c).addScaledVector(sunDir, diag);
  sun.target.position.copy(c);
  sun.target.updateMatrixWorld();
  const dir = east.clone().sub(north).normalize().multiplyScalar(Math.cos(0.6))
    .addScaledVector(up, Math.sin(0.6)).normalize();
  const v = THREE.MathUtils.degToRad(camera.fov);
  const hv = 2 * Math.atan(Math.tan(v / 2) * camera.aspect);
  const distance = (0.5 * diag) / Math.sin(Math.min(v, hv) / 2);
  camera.position.copy(c).addScaledVector(dir, distance);
  Object.assign(camera, { near: diag / 2000, far: diag * 50 + distance });
  camera.updateProjectionMatrix();
  camera.lookAt(c);
  camera.updateMatrixWorld();
  mark('parsed');
  requestAnimationFrame(() => {
    renderer.render(scene, camera);
    mark('firstFrame');
    requestAnimationFrame(() => mark('presented'));
  });
}, (err) => { document.body.dataset.error = String(err?.message ?? err); });
</script>
</head>
<body></body>
</html>
"""


# -- set-up: meshes, catalogue, servers ---------------------------------------------------------


def cli_json(env: dict[str, str], *args: str) -> Any:
    result = subprocess.run(
        [sys.executable, "-m", "bsu_models.cli", *args, "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"bsu-models {' '.join(args)} exited {result.returncode}:\n{result.stderr}"
        )
    return json.loads(result.stdout)


def _web_glb_file(data_dir: Path, sha256: str) -> Path:
    """The stored blob of the web GLB (content-addressed under blobs/), checked by hash."""
    for path in (data_dir / "blobs").rglob(sha256):
        if hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
            return path
    raise RuntimeError(f"web GLB {sha256} not found as a plain blob under {data_dir}")


def prepare_models(
    root: Path, env: dict[str, str], sizes: tuple[int, ...], bare_dir: Path, say: Callable
) -> list[dict[str, Any]]:
    """PLY files of the landmark mesh, imported with the CLI; each web GLB copied to bare_dir."""
    cli_json(env, "case", "add", CASE, "--title", "Viewer benchmark")
    models = []
    for target in sizes:
        t = time.perf_counter()
        vertices, faces = landmark_mesh(target)
        ply = root / f"landmark-{target}.ply"
        write_ply(ply, vertices, faces)
        generate_s = time.perf_counter() - t
        t = time.perf_counter()
        imported = cli_json(
            env,
            "import",
            str(ply),
            "--case",
            CASE,
            "--name",
            f"Landmark {target:,} faces",
            "--units",
            "mm",
            "--scale",
            "1:100",
        )
        import_s = time.perf_counter() - t
        shown = cli_json(env, "show", str(imported["version_id"]))
        glb = next(f for f in shown["files"] if f["role"] == "web_glb")
        blob = _web_glb_file(Path(env["BSU_DATA_DIR"]), glb["sha256"])
        name = f"model-{imported['model_id']}.glb"
        shutil.copyfile(blob, bare_dir / name)
        model = {
            "target_faces": target,
            "faces": shown["faces"],
            "vertices": shown["vertices"],
            "model_id": imported["model_id"],
            "version_id": imported["version_id"],
            "mesh_id": glb["sha256"],
            "glb_bytes": glb["size_bytes"],
            "ply_bytes": ply.stat().st_size,
            "bare_glb": name,
            "generate_s": generate_s,
            "import_s": import_s,
        }
        say(
            f"model {model['model_id']}: {model['faces']:,} faces, {model['vertices']:,} vertices;"
            f" PLY {model['ply_bytes'] / MiB:.1f} MiB, web GLB {model['glb_bytes']:,} bytes "
            f"({model['glb_bytes'] / MiB:.1f} MiB); generated {generate_s:.1f} s, "
            f"imported {import_s:.1f} s"
        )
        models.append(model)
    return models


@contextlib.contextmanager
def servers(root: Path, env: dict[str, str], bare_dir: Path) -> Iterator[dict[str, Any]]:
    """The app and the bare page's http.server, both on loopback; stopped on the way out."""
    static_port = free_port()
    static_base = f"http://127.0.0.1:{static_port}"
    static_argv = [sys.executable, "-m", "http.server", str(static_port), "--bind", "127.0.0.1"]
    static_argv += ["--directory", str(bare_dir)]
    with (
        streamlit_app(env, root / "streamlit.log", STARTUP_TIMEOUT_S) as app,
        serving(
            static_argv,
            env,
            root / "http-server.log",
            f"{static_base}/index.html",
            lambda body: b"bare three.js" in body,
            STARTUP_TIMEOUT_S,
        ),
    ):
        yield {"base": app.base_url, "static_base": static_base, "app": app.process}


# -- the browser --------------------------------------------------------------------------------


class Wire:
    """What one page receives: WebSocket frames (time, bytes) and finished HTTP requests."""

    def __init__(self, page: Any) -> None:
        self.frames: list[tuple[float, int]] = []
        self.sent = 0
        self.requests: list[Any] = []
        page.on("websocket", self._on_websocket)
        page.on("requestfinished", self._on_request)

    def _on_websocket(self, ws: Any) -> None:
        ws.on("framereceived", self._on_frame)
        ws.on("framesent", self._on_sent)

    def _on_request(self, request: Any) -> None:
        self.requests.append(request)

    @staticmethod
    def _size(payload: str | bytes) -> int:
        return len(payload.encode("utf-8")) if isinstance(payload, str) else len(payload)

    def _on_frame(self, payload: str | bytes) -> None:
        self.frames.append((time.perf_counter(), self._size(payload)))

    def _on_sent(self, payload: str | bytes) -> None:
        self.sent += self._size(payload)

    def since(self, index: int) -> dict[str, int]:
        sizes = [size for _t, size in self.frames[index:]]
        return {"bytes": sum(sizes), "frames": len(sizes), "largest": max(sizes, default=0)}

    def http_bytes(self, classify: Callable[[str], str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for request in self.requests:
            try:
                sizes = request.sizes()
            except Exception:  # e.g. a request whose sizes the browser no longer has
                continue
            size = max(0, sizes.get("responseBodySize", 0)) + max(
                0, sizes.get("responseHeadersSize", 0)
            )
            key = classify(request.url)
            out[key] = out.get(key, 0) + size
        return out


def _poll(page: Any, probe: Callable[[], Any], timeout_s: float, what: str) -> Any:
    """``probe()`` every POLL_MS (letting Playwright process events) until it is truthy."""
    deadline = time.perf_counter() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.perf_counter() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout_s:.0f} s")
        page.wait_for_timeout(POLL_MS)


def _component_frame(page: Any) -> Any:
    element = page.query_selector('iframe[title*="scene3d"]')
    return element.content_frame() if element is not None else None


def _frame_eval(page: Any, script: str, arg: Any = None) -> Any:
    """Evaluate in the component's frame; None while it is missing or (re)loading."""
    from playwright.sync_api import Error

    try:
        frame = _component_frame(page)
        return None if frame is None else frame.evaluate(script, arg)
    except Error:
        return None


def settle(page: Any, wire: Wire, start_index: int, expect: bool = True) -> bool:
    """Wait until Streamlit is idle and no frame came for 400 ms; True if frames came at all
    since ``start_index`` (i.e. a rerun happened). Without ``expect``, gives up after 2 s."""
    start = time.perf_counter()
    while True:
        page.wait_for_timeout(50)
        state = page.evaluate(SCRIPT_STATE_JS)
        last = wire.frames[-1][0] if len(wire.frames) > start_index else start
        got = len(wire.frames) > start_index
        quiet = time.perf_counter() - last >= 0.4
        idle = state in ("notRunning", "initial", None)
        if idle and quiet and (got or not expect or time.perf_counter() - start > 5.0):
            return got
        if not expect and not got and time.perf_counter() - start > 2.0 and idle:
            return False
        if time.perf_counter() - start > MESH_TIMEOUT_S:
            raise TimeoutError("the app did not settle")


def _classify_app(url: str) -> str:
    if "/component/" in url:
        return "component static (scene3d: index.html, main.js, three.js)"
    if "/_stcore/" in url:
        return "Streamlit API (/_stcore)"
    return "Streamlit app static (its JS/CSS bundle, fonts)"


def _ours_timeline(
    main: dict[str, Any],
    frame_marks: dict[str, float],
    main_nav: dict[str, Any],
    frame_nav: dict[str, Any] | None,
    glb_bytes: int,
) -> dict[str, float]:
    """Milestones of one open of ours, in ms from the main page's navigation start."""
    origin = main["origin"]
    stamps: dict[str, float] = {}
    stamps["main: HTML received"] = main_nav["responseEnd"]
    scripts = [r["end"] for r in main_nav["resources"] if r["name"].split("?")[0].endswith(".js")]
    if scripts:
        stamps["main: Streamlit JS loaded"] = max(scripts)
    stamps["main: DOMContentLoaded"] = main_nav["domContentLoaded"]
    for key in ("wsCreated", "wsOpen"):
        if key in main["marks"]:
            stamps[f"main: {key}"] = main["marks"][key]
    if main["ws"]:
        stamps["main: first WebSocket message"] = main["ws"][0][0]
    if "iframeInserted" in main["marks"]:
        stamps["main: component iframe inserted"] = main["marks"]["iframeInserted"]
    if frame_nav is not None:
        three = [r["end"] for r in frame_nav["resources"] if "/vendor/" in r["name"]]
        if three:
            stamps["frame: three.js files loaded"] = max(three)
        stamps["frame: DOMContentLoaded (main.js run)"] = frame_nav["domContentLoaded"]
    for message in main["messages"]:
        name = message["value"] or message["type"].removeprefix("streamlit:")
        if name in ("componentReady", "need_mesh", "ready"):
            stamps.setdefault(f"frame->main: {name}", message["t"])
    big = [t for t, size in main["ws"] if size >= 0.5 * glb_bytes]
    if big:
        stamps["main: mesh WebSocket message"] = big[0]
    need = stamps.get("frame->main: need_mesh")
    if need is not None and big:
        # Each script run starts with the same new-session message: the first one after
        # need_mesh is the run that sees it (and calls st.rerun), the next the run sending bytes.
        between = [(t, size) for t, size in main["ws"] if need <= t < big[0]]
        if between:
            stamps["main: 1st rerun starts"] = between[0][0]
            again = [t for t, size in between[1:] if size == between[0][1]]
            if again:
                stamps["main: 2nd rerun starts"] = again[0]
    names = {"meshArgs": "frame: mesh in args", "meshLoaded": "frame: data-mesh-loaded"}
    names |= {"drawn": "frame: first frame drawn", "presented": "frame: presented"}
    for key, name in names.items():
        if key in frame_marks:
            stamps[name] = frame_marks[key]
    return {k: v - origin for k, v in sorted(stamps.items(), key=lambda kv: kv[1]) if v}


def run_ours(browser: Any, base: str, model: dict[str, Any]) -> dict[str, Any]:
    """Open the model page in a fresh context; timings, bytes, reruns and clicks."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(MESH_TIMEOUT_S * 1000)
    context.add_init_script(HOOKS_JS)
    page = context.new_page()
    wire = Wire(page)
    out: dict[str, Any] = {}
    try:
        mesh_id = model["mesh_id"]
        t0 = time.perf_counter()
        page.goto(f"{base}/model?model={model['model_id']}", wait_until="commit")
        _poll(
            page,
            lambda: _frame_eval(page, "() => document.body?.dataset.meshLoaded ?? null") == mesh_id,
            MESH_TIMEOUT_S,
            "body[data-mesh-loaded] in the component",
        )
        out["wall_mesh_loaded_ms"] = (time.perf_counter() - t0) * 1000
        marks = _poll(
            page,
            lambda: _frame_eval(
                page, "() => window.__bench?.marks.presented ? window.__bench.marks : null"
            ),
            60,
            "the frame after the mesh",
        )
        settle(page, wire, 0)
        main = page.evaluate("() => window.__bench")
        out["timeline_ms"] = _ours_timeline(
            main, marks, page.evaluate(NAV_JS), _frame_eval(page, NAV_JS), model["glb_bytes"]
        )
        for message in main["messages"]:
            if message["value"] == "ready":
                out["ready_load_ms"] = message["load_ms"]
                out["ready_source"] = message["source"]
        timeline = out["timeline_ms"]
        need = timeline.get("frame->main: need_mesh")
        if need is not None:  # what the page received between asking and the mesh arriving
            out["ws_after_need_mesh"] = [
                [round(t - main["origin"] - need, 1), size]
                for t, size in main["ws"]
                if t - main["origin"] >= need
            ][:40]
        out["first_frame_ms"] = timeline["frame: first frame drawn"]
        opened = len(wire.frames)
        out["open_ws"] = wire.since(0)
        out["open_ws_sent"] = wire.sent
        if wire.frames:
            biggest = max(range(opened), key=lambda i: wire.frames[i][1])
            out["largest_frame_wall_ms"] = (wire.frames[biggest][0] - t0) * 1000
        frame = _component_frame(page)
        box = frame.locator("canvas").first.bounding_box()
        out["canvas"] = [round(box["width"]), round(box["height"])]

        # Reruns that keep the model: the 'r' key, the expander.
        reruns: list[dict[str, Any]] = []
        for _ in range(R_RERUNS):
            page.evaluate("() => document.activeElement?.blur()")
            index = len(wire.frames)
            page.keyboard.press("r")
            happened = settle(page, wire, index, expect=False)
            reruns.append({"trigger": "r key", "rerun": happened, **wire.since(index)})
        index = len(wire.frames)
        page.get_by_text("Versions of this model").first.click()
        happened = settle(page, wire, index, expect=False)
        reruns.append({"trigger": "expander", "rerun": happened, **wire.since(index)})

        # Clicks on the model: round trip to the text on the main page.
        clicks = []
        canvas = frame.locator("canvas").first
        for fx, fy in CLICKS:
            previous = page.evaluate(LAST_CLICK_JS)
            before = len(_frame_eval(page, "() => window.__bench.pointerups") or [])
            seen = len(page.evaluate("() => window.__bench.messages"))
            index = len(wire.frames)
            t = time.perf_counter()
            canvas.click(position={"x": box["width"] * fx, "y": box["height"] * fy})
            shown = page.wait_for_function(
                CHANGED_CLICK_JS, arg=previous, polling="raf", timeout=120_000
            ).json_value()
            wall = (time.perf_counter() - t) * 1000
            ups = _frame_eval(page, "() => window.__bench.pointerups") or []
            up = ups[before] if len(ups) > before else None
            sent = next(
                (
                    m["t"]
                    for m in page.evaluate("() => window.__bench.messages")[seen:]
                    if m["value"] == "click"
                ),
                None,
            )
            settle(page, wire, index)
            clicks.append(
                {
                    "at": [fx, fy],
                    "wall_ms": wall,
                    "in_page_ms": shown - up if up else None,
                    "browser_ms": sent - up if sent and up else None,  # raycast + postMessage
                    "streamlit_ms": shown - sent if sent else None,  # rerun, Python, React
                    "text": page.evaluate(LAST_CLICK_JS),
                }
            )
            reruns.append({"trigger": "canvas click", "rerun": True, **wire.since(index)})
        out["reruns"] = reruns
        out["clicks"] = clicks
        out["http"] = wire.http_bytes(_classify_app)
    finally:
        context.close()
    return out


def run_bare(
    browser: Any, static_base: str, model: dict[str, Any], canvas: list[int]
) -> dict[str, Any]:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(MESH_TIMEOUT_S * 1000)
    page = context.new_page()
    wire = Wire(page)
    out: dict[str, Any] = {}
    try:
        url = f"{static_base}/index.html?glb={model['bare_glb']}&w={canvas[0]}&h={canvas[1]}"
        t0 = time.perf_counter()
        page.goto(url, wait_until="commit")
        _poll(
            page,
            lambda: page.evaluate(
                "() => document.body?.dataset.firstFrame ?? document.body?.dataset.error ?? null"
            ),
            MESH_TIMEOUT_S,
            "body[data-first-frame] on the bare page",
        )
        out["wall_first_frame_ms"] = (time.perf_counter() - t0) * 1000
        data = _poll(
            page,
            lambda: page.evaluate(
                "() => document.body.dataset.presented ? {...document.body.dataset} : null"
            ),
            60,
            "the frame after the first",
        )
        if "error" in data:
            raise RuntimeError(f"bare page: {data['error']}")
        out["gl_renderer"] = data.pop("glRenderer", "?")
        timeline = {k: float(v) for k, v in data.items()}
        nav = page.evaluate(NAV_JS)
        timeline["HTML received"] = nav["responseEnd"] - nav["origin"]
        three = [r["end"] for r in nav["resources"] if "/vendor/" in r["name"]]
        if three:
            timeline["three.js files loaded"] = max(three) - nav["origin"]
        out["timeline_ms"] = dict(sorted(timeline.items(), key=lambda kv: kv[1]))
        out["first_frame_ms"] = out["timeline_ms"]["firstFrame"]
        rays = []
        for fx, fy in CLICKS:
            ndc = (fx * 2 - 1, -(fy * 2 - 1))
            rays.append(
                [page.evaluate("([x, y]) => window.__bare.raycast(x, y)", ndc) for _ in "123"]
            )
        out["raycast_first_ms"] = rays[0][0]["ms"]
        out["raycast_later_ms"] = statistics.median(r["ms"] for ray in rays for r in ray[1:])
        out["raycast_points"] = [ray[0]["point"] for ray in rays]
        glb_name = model["bare_glb"]
        out["http"] = wire.http_bytes(
            lambda u: "GLB" if u.split("?")[0].endswith(glb_name) else "bare page static (three.js)"
        )
    finally:
        context.close()
    return out


# -- report -------------------------------------------------------------------------------------


def _med(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f} ms"


# Spans of a timeline (name: (from, to)), medians of them are reported.
OURS_SPANS = {
    "streamlit_shell": (None, "main: component iframe inserted"),
    "component_load": ("main: component iframe inserted", "frame->main: componentReady"),
    "viewer_part": ("frame->main: componentReady", "frame: first frame drawn"),
    "idb_lookup": ("frame->main: componentReady", "frame->main: need_mesh"),
    "python_reruns": ("frame->main: need_mesh", "main: mesh WebSocket message"),
    "rerun_1": ("frame->main: need_mesh", "main: 2nd rerun starts"),
    "rerun_2": ("main: 2nd rerun starts", "main: mesh WebSocket message"),
    "from_iframe": ("main: component iframe inserted", "frame: first frame drawn"),
    "to_component": ("main: mesh WebSocket message", "frame: mesh in args"),
    "parse_show": ("frame: mesh in args", "frame: data-mesh-loaded"),
    "draw": ("frame: data-mesh-loaded", "frame: first frame drawn"),
    "presented": (None, "frame: presented"),
}
BARE_SPANS = {
    "page_load": (None, "moduleStart"),
    "viewer_part": ("moduleStart", "firstFrame"),
    "fetch": ("moduleStart", "fetched"),
    "parse_show": ("fetched", "parsed"),
    "draw": ("parsed", "firstFrame"),
    "presented": (None, "presented"),
}


def _span(timeline: dict[str, float], a: str | None, b: str) -> float | None:
    start = 0.0 if a is None else timeline.get(a)
    end = timeline.get(b)
    return None if start is None or end is None else end - start


def summarise(model: dict[str, Any], ours: list[dict], bare: list[dict]) -> dict[str, Any]:
    glb = model["glb_bytes"]
    ours_ff = statistics.median(r["first_frame_ms"] for r in ours)
    bare_ff = statistics.median(r["first_frame_ms"] for r in bare)
    ours_wall = statistics.median(r["wall_mesh_loaded_ms"] for r in ours)
    bare_wall = statistics.median(r["wall_first_frame_ms"] for r in bare)
    ours_bytes = statistics.median(r["open_ws"]["bytes"] for r in ours)
    bare_bytes = statistics.median(r["http"].get("GLB", 0) for r in bare)
    rerun_frames = [x for r in ours for x in r["reruns"]]
    largest_rerun = max((x["largest"] for x in rerun_frames), default=0)
    clicks = [c for r in ours for c in r["clicks"]]
    first, bare_first = ours[0]["timeline_ms"], bare[0]["timeline_ms"]
    bare_keys = sorted({k for r in bare for k in r["timeline_ms"]}, key=lambda k: bare_first[k])
    keys = sorted({k for r in ours for k in r["timeline_ms"]}, key=lambda k: first.get(k, 0))
    spans = {
        f"{side}_{name}_ms": _med([_span(r["timeline_ms"], a, b) for r in runs])
        for side, runs, table in (("ours", ours, OURS_SPANS), ("bare", bare, BARE_SPANS))
        for name, (a, b) in table.items()
    }
    return {
        **spans,
        "ratio_viewer_part": (spans["ours_viewer_part_ms"] or 0)
        / (spans["bare_viewer_part_ms"] or 1),
        "ratio_from_iframe": (spans["ours_from_iframe_ms"] or 0) / bare_ff,
        "ours_first_frame_ms": ours_ff,
        "bare_first_frame_ms": bare_ff,
        "ratio_first_frame": ours_ff / bare_ff,
        "meets_first_frame": ours_ff / bare_ff <= TARGET_FIRST_FRAME,
        "ours_wall_mesh_loaded_ms": ours_wall,
        "bare_wall_first_frame_ms": bare_wall,
        "ratio_wall": ours_wall / bare_wall,
        "ours_timeline_ms": {k: _med([r["timeline_ms"].get(k) for r in ours]) for k in keys},
        "ours_ready_load_ms": _med([r.get("ready_load_ms") for r in ours]),
        "bare_timeline_ms": {k: _med([r["timeline_ms"].get(k) for r in bare]) for k in bare_keys},
        "ours_open_ws_bytes": ours_bytes,
        "ours_open_ws_largest_frame": statistics.median(r["open_ws"]["largest"] for r in ours),
        "ours_open_ws_frames": statistics.median(r["open_ws"]["frames"] for r in ours),
        "ours_open_ws_sent_bytes": statistics.median(r["open_ws_sent"] for r in ours),
        "ratio_ws_to_glb": ours_bytes / glb,
        "bare_glb_http_bytes": bare_bytes,
        "ratio_bytes_ours_over_bare": ours_bytes / bare_bytes if bare_bytes else None,
        "meets_bytes": ours_bytes / glb <= TARGET_BYTES,
        "ours_http_bytes": {
            k: statistics.median(r["http"].get(k, 0) for r in ours)
            for k in sorted({k for r in ours for k in r["http"]})
        },
        "bare_http_bytes": {
            k: statistics.median(r["http"].get(k, 0) for r in bare)
            for k in sorted({k for r in bare for k in r["http"]})
        },
        "reruns": len(rerun_frames),
        "reruns_that_ran": sum(1 for x in rerun_frames if x["rerun"]),
        "rerun_ws_bytes_total": sum(x["bytes"] for x in rerun_frames),
        "rerun_ws_bytes_median_per_rerun": _med([x["bytes"] for x in rerun_frames if x["rerun"]]),
        "rerun_largest_frame": largest_rerun,
        "meets_no_resend": largest_rerun < RERUN_MAX_FRAME_FRACTION * glb,
        "no_rerun_note": "".join(
            f" ({t}: no rerun, it acts in the browser only)"
            for t in dict.fromkeys(x["trigger"] for x in rerun_frames)
            if not any(x["rerun"] for x in rerun_frames if x["trigger"] == t)
        ),
        "rerun_by_trigger": {
            t: _med([x["bytes"] for x in rerun_frames if x["trigger"] == t])
            for t in dict.fromkeys(x["trigger"] for x in rerun_frames)
        },
        "click_wall_ms": _med([c["wall_ms"] for c in clicks]),
        "click_in_page_ms": _med([c["in_page_ms"] for c in clicks]),
        "click_browser_ms": _med([c["browser_ms"] for c in clicks]),
        "click_streamlit_ms": _med([c["streamlit_ms"] for c in clicks]),
        "click_centre_in_page_ms": _med([c["in_page_ms"] for c in clicks if c["at"] == [0.5, 0.5]]),
        "bare_raycast_first_ms": statistics.median(r["raycast_first_ms"] for r in bare),
        "bare_raycast_later_ms": statistics.median(r["raycast_later_ms"] for r in bare),
        "canvas": ours[0]["canvas"],
    }


def report_model(model: dict[str, Any], s: dict[str, Any], say: Callable[[str], None]) -> None:
    glb = model["glb_bytes"]
    say(
        f"\n== {model['faces']:,} faces (model {model['model_id']}), web GLB {glb:,} bytes; "
        f"canvas {s['canvas'][0]}x{s['canvas'][1]} px on both sides"
    )
    say(
        f"  first frame, in page (navigation start -> first frame drawn with the mesh): "
        f"ours {_ms(s['ours_first_frame_ms'])}, bare {_ms(s['bare_first_frame_ms'])}, "
        f"ratio {s['ratio_first_frame']:.2f} (target <= {TARGET_FIRST_FRAME}) "
        f"{'OK' if s['meets_first_frame'] else 'OVER'}; to the frame after it (presented): ours "
        f"{_ms(s['ours_presented_ms'])}, bare {_ms(s['bare_presented_ms'])}"
    )
    say(
        f"  first frame, wall from page.goto: ours to data-mesh-loaded "
        f"{_ms(s['ours_wall_mesh_loaded_ms'])}, bare to data-first-frame "
        f"{_ms(s['bare_wall_first_frame_ms'])}, ratio {s['ratio_wall']:.2f}"
    )
    say(
        f"  where ours' time goes: Streamlit shell to the component's iframe "
        f"{_ms(s['ours_streamlit_shell_ms'])}, component page + three.js to componentReady "
        f"{_ms(s['ours_component_load_ms'])}, then the viewer's own part (componentReady -> "
        f"first frame) {_ms(s['ours_viewer_part_ms'])} = IndexedDB lookup "
        f"{_ms(s['ours_idb_lookup_ms'])} + need_mesh -> mesh on the WebSocket (Python reruns) "
        f"{_ms(s['ours_python_reruns_ms'])} (message -> 2nd script run starts "
        f"{_ms(s['ours_rerun_1_ms'])}, 2nd run starts -> mesh message {_ms(s['ours_rerun_2_ms'])})"
        f" + to the component {_ms(s['ours_to_component_ms'])}"
        f" + parse/show {_ms(s['ours_parse_show_ms'])} + draw {_ms(s['ours_draw_ms'])}"
    )
    say(
        f"  bare: page + three.js {_ms(s['bare_page_load_ms'])}, then module start -> first "
        f"frame {_ms(s['bare_viewer_part_ms'])} = fetch {_ms(s['bare_fetch_ms'])} + parse/show "
        f"{_ms(s['bare_parse_show_ms'])} + draw {_ms(s['bare_draw_ms'])}; viewer part ours/bare "
        f"{s['ratio_viewer_part']:.2f}"
    )
    say(
        f"  ours from the component's iframe being inserted to the first frame "
        f"{_ms(s['ours_from_iframe_ms'])} vs bare's whole page {_ms(s['bare_first_frame_ms'])}: "
        f"ratio {s['ratio_from_iframe']:.2f} (what scene3d.py/main.js control; the Streamlit "
        "shell before it is the page's)"
    )
    say("  ours timeline (ms from navigation start, medians):")
    _say_wrapped(say, s["ours_timeline_ms"])
    say(f"  ours 'ready' load_ms (parse start -> presented): {_ms(s['ours_ready_load_ms'])}")
    say("  bare timeline (ms from navigation start, medians):")
    _say_wrapped(say, s["bare_timeline_ms"])
    say(
        f"  mesh bytes: ours WebSocket received while opening {s['ours_open_ws_bytes']:,.0f} "
        f"bytes in {s['ours_open_ws_frames']:.0f} frames (largest "
        f"{s['ours_open_ws_largest_frame']:,.0f}) = {s['ratio_ws_to_glb']:.3f} x web GLB "
        f"(target <= {TARGET_BYTES}) {'OK' if s['meets_bytes'] else 'OVER'}; bare GLB over HTTP "
        f"{s['bare_glb_http_bytes']:,.0f} bytes; ours/bare "
        f"{s['ratio_bytes_ours_over_bare'] or float('nan'):.3f}; ours sent "
        f"{s['ours_open_ws_sent_bytes']:,.0f} bytes up the WebSocket"
    )
    for side in ("ours", "bare"):
        parts = "; ".join(f"{k} {v:,.0f}" for k, v in s[f"{side}_http_bytes"].items())
        say(f"  {side} HTTP bytes (cold cache, not in the ratio): {parts}")
    by = ", ".join(f"{k} {_b(v)}" for k, v in s["rerun_by_trigger"].items())
    say(
        f"  later reruns keeping the model: {s['reruns_that_ran']} of {s['reruns']} triggers "
        f"reran{s['no_rerun_note']}; WebSocket bytes in all {s['rerun_ws_bytes_total']:,}, "
        "largest frame "
        f"{s['rerun_largest_frame']:,} ({100 * s['rerun_largest_frame'] / glb:.2f} % of the GLB) "
        f"{'OK, no re-send' if s['meets_no_resend'] else 'RE-SENT'}; median per trigger: {by}"
    )
    say(
        f"  click -> Python -> 'Last clicked point': wall {_ms(s['click_wall_ms'])}, in page "
        f"{_ms(s['click_in_page_ms'])} (centre {_ms(s['click_centre_in_page_ms'])}) = browser "
        f"(pointerup -> click message: raycast) {_ms(s['click_browser_ms'])} + Streamlit "
        f"(message -> text) {_ms(s['click_streamlit_ms'])}"
    )
    say(
        f"  bare raycast of the same clicks: first {s['bare_raycast_first_ms']:.1f} ms, "
        f"later {s['bare_raycast_later_ms']:.1f} ms (no Python on the bare side)"
    )


def _say_wrapped(say: Callable[[str], None], timeline: dict[str, float | None]) -> None:
    line = "   "
    for key, value in timeline.items():
        if value is None:
            continue
        item = f" {key} {value:,.0f};"
        if len(line) + len(item) > 98:
            say(line)
            line = "   "
        line += item
    say(line.rstrip(";"))


def _b(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def measure(sizes: tuple[int, ...], repeat: int, say: Callable[[str], None]) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {
        "code": code_version("viewer", "bsu_models"),
        "main_js_sha256": source_sha(STATIC / "main.js"),
        "scene3d_py_sha256": source_sha(REPO / "viewer" / "scene3d.py"),
        "repeat": repeat,
        "platform": machine(),
        "targets": {
            "first_frame_ratio": TARGET_FIRST_FRAME,
            "bytes_ratio": TARGET_BYTES,
            "rerun_largest_frame_fraction_of_glb": RERUN_MAX_FRAME_FRACTION,
        },
        "bare_glb_source": "fetch() from Python's http.server on 127.0.0.1 (Chromium blocks "
        "fetch of file:// URLs)",
        "models": [],
    }
    out["load_average_start"] = os.getloadavg()
    say(
        f"code at {out['code']} (main.js {out['main_js_sha256']}, scene3d.py "
        f"{out['scene3d_py_sha256']}); {out['platform']}; load average "
        f"{out['load_average_start'][0]:.1f} (other work on the machine disturbs the timings)"
    )
    with tempfile.TemporaryDirectory(prefix="bsu-bench-viewer-") as tmp:
        root = Path(tmp)
        data_dir, bare_dir = root / "data", root / "bare"
        data_dir.mkdir()
        bare_dir.mkdir()
        shutil.copytree(STATIC / "vendor", bare_dir / "vendor")
        (bare_dir / "index.html").write_text(BARE_HTML, encoding="utf-8")
        env = app_env(data_dir, "bench")
        models = prepare_models(root, env, sizes, bare_dir, say)
        say(f"peak RSS after set-up: {peak_rss_mib():.0f} MiB")
        with servers(root, env, bare_dir) as srv, sync_playwright() as p:
            browser = launch_chromium(p, *SWIFTSHADER_ARGS)
            try:
                say(
                    f"browser: Chromium {browser.version}; app at {srv['base']}, bare page at "
                    f"{srv['static_base']} (GLB fetched from there: file:// fetch is blocked)"
                )
                for model in models:
                    # Untimed: server imports, shader compilation, page cache of the GLB.
                    warm = run_ours(browser, srv["base"], model)
                    canvas = warm["canvas"]
                    warm_bare = run_bare(browser, srv["static_base"], model, canvas)
                    out.setdefault("gl_renderer", warm_bare["gl_renderer"])
                    ours_runs, bare_runs = alternate(
                        repeat,
                        functools.partial(run_ours, browser, srv["base"], model),
                        functools.partial(run_bare, browser, srv["static_base"], model, canvas),
                    )
                    summary = summarise(model, ours_runs, bare_runs)
                    out["models"].append(
                        {"model": model, "summary": summary, "ours": ours_runs, "bare": bare_runs}
                    )
                    report_model(model, summary, say)
            finally:
                browser.close()
            out["app_server_peak_rss_mib"] = vm_hwm_mib(srv["app"].pid)
    out["gl_renderer"] = out.get("gl_renderer", "?")
    out["peak_rss_mib"] = peak_rss_mib()
    out["load_average_end"] = os.getloadavg()
    say(f"\nWebGL renderer in the pages: {out['gl_renderer']}")
    say(
        f"peak RSS of this process: {out['peak_rss_mib']:.0f} MiB; the app server's own peak "
        f"(VmHWM): {out['app_server_peak_rss_mib'] or float('nan'):.0f} MiB; Chromium's "
        "processes are separate and not counted"
    )
    say(
        "(medians of "
        f"{repeat} alternating runs per side after one untimed run each; fresh browser context "
        "per page load, so IndexedDB and the HTTP cache start empty; load average at the end "
        f"{out['load_average_end'][0]:.1f})"
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--faces", type=int, nargs="+", default=list(SIZES), help="target triangle counts"
    )
    parser.add_argument("--repeat", type=int, default=2, help="timed loads of each side")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        if not args.json:
            print(line, flush=True)

    report = measure(tuple(args.faces), max(1, args.repeat), say)
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
