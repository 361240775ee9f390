"""Benchmark: the Model page's 3D viewer in headless Chromium, with its web levels, against the
framework's floor (an empty Streamlit page with an empty component, plus a bare three.js page).

Not a test. Run from the repository root, e.g.::

    VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow python bench/viewer.py [--faces N [N ...]]
        [--texture PX] [--repeat N] [--json]

It writes (deterministically, in a temporary folder) the landmark-like meshes of ``bench/ingest.py``
-- about 100k and 1.3M faces by default -- as binary PLY (or, with ``--texture PX``, textured wavy
squares of the same face counts with a PX-pixel texture, as GLB, so that the levels carry KTX2
textures), and imports them with the real CLI into a throwaway data folder (``case add``; an account
with two admins who grant it membership of the case; ``import --units mm --scale 1:100``, which
finishes the web levels before it exits). ``show --json`` names the plain web GLB (role ``web_glb``:
the whole mesh, not compressed) and the ready ``web_levels`` (``low``, ``high``); the browser shows
them in turn, smallest first, as ``viewer/scene3d.py``'s ``mesh_chain`` does. Then three servers
start on 127.0.0.1 only: the real app (``streamlit run viewer/app.py``); a Streamlit script holding
only an empty component (v1, in an iframe; or, with ``?v=2``, an empty ``st.components.v2``
component, which has no iframe); and Python's ``http.server`` on a folder holding the bare page, a
copy of the component's ``vendor/`` three.js (same import map) and a copy of each level.

Debian's Chromium (SwiftShader WebGL, as in the browser tests) is driven through Playwright; every
page load gets a fresh browser context, so IndexedDB and the HTTP cache are empty. For each model:

* ours: ``/model?model=ID``; the app shows its sign-in form in place of the page, the account
  signs in, and the page follows. The form is filled in ``TYPING_S`` after it is shown, as a
  person types (a quick one: a name and a password in 1.5 s; the page starts its 3D view with
  the form, which loads its code meanwhile). An init script (a measuring hook only; nothing of
  the app is changed) stamps, in the page's own clock, when the sign-in form is shown and when
  its button is clicked -- the time between is the typing, taken out of every later stamp; how
  long after the form the view was ready is printed, so that a faster typist's wait can be read
  off --, when ``body[data-mesh-loaded]`` names each level in the component's frame (the first
  is the first level: ``low``), the next animation frame (main.js renders on the frame queued
  when it shows a level) and the one after it (presented), the component's messages to
  Streamlit and each WebSocket message the page receives;
* bare: a page that fetches the first level's file from the local http.server (Chromium blocks
  ``fetch`` of ``file://`` URLs), parses it with GLTFLoader set up as main.js does
  (MeshoptDecoder; KTX2Loader with the vendored Basis transcoder, imported only for a level with
  KTX2 textures), sets the same lights, material tweaks and iso camera as main.js, renders ONE
  frame on a canvas of the size ours had, and sets ``body[data-first-frame]``;
* floor: the empty component's page, from navigation start until the component's frame receives
  its first render message (v1), or until the v2 component's script runs.

Figures (issue 15's ``bench/viewer.py``):

* bytes before the first frame: everything the page's WebSocket received until the first level
  was drawn, against the plain web GLB of the full mesh (target: at least 8x smaller). HTTP
  responses (Streamlit's bundle, the component's static files and three.js, cached by a browser
  in use) are counted apart;
* first frame of the biggest model over the smallest's, in the same run (target <= 1.2);
* ours' first frame over the floor: the empty Streamlit page with an empty component plus the
  bare page of the same level (target <= 1.3); components v2's floor is printed beside v1's.

Ours' time is split from the page's stamps (navigation and resource timing, WebSocket messages,
the component's messages): the Streamlit shell to the sign-in form; the component's page and
three.js until componentReady, from the iframe's insertion (with the form when the page starts
its view there, else after the sign-in run); the sign-in run, from the click until the first
level reaches the view, or until the iframe is inserted; then the viewer's part -- the first
level comes with the view's first drawing when the session has not sent it yet (else: IndexedDB
lookup, need_mesh until the level arrives on the WebSocket, the script run that answers it,
handing the bytes to the frame), parsing, drawing -- against bare's fetch, parse and draw. The
time until the last level (``high``) is drawn is printed as well.

Later reruns that keep the model -- the ``r`` key three times, the "Versions of this model"
expander, and the clicks below -- must not send a level again: their total and largest frame are
printed (a frame of at least half the smallest level counts as a re-send). Click: the canvas is
clicked at its centre and once off centre; the time until the main page shows "Last clicked
point" with new coordinates is the click-to-Python round trip (the app re-casts the ray on the
full-resolution mesh), in page: pointerup in the frame to the text, split at the component's click
message. Bare has no Python: its raycast of the same click on the first level is timed in the
page, first call (which builds the bounding sphere) and later calls.

``--json`` also keeps, per load, the timeline, the bytes and each file of the component's page
(name, start and end in ms from navigation start, bytes).

Each side loads each model once untimed first (server imports, shader compilation in the shared
GPU process), then ``--repeat`` times, alternating which side goes first; medians are printed.
The floor pages are loaded once untimed, then ``--repeat`` times each. Peak RSS of this process
is printed at the end; the browser's processes and the app server are separate processes (the
server's own peak, VmHWM, is printed too).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

from _common import (
    REPO,
    SIGN_IN_HEADING,
    MiB,
    alternate,
    app_env,
    cli_json,
    code_version,
    free_port,
    launch_chromium,
    machine,
    member_account,
    peak_rss_mib,
    serving,
    sign_in,
    source_sha,
    streamlit_app,
    textured_grid,
    vm_hwm_mib,
)
from ingest import landmark_mesh, write_ply

STATIC = REPO / "viewer" / "components" / "scene3d" / "static"
# WebGL in software, the same on every machine.
SWIFTSHADER_ARGS = ("--use-gl=swiftshader", "--enable-unsafe-swiftshader")
VIEWPORT = {"width": 1400, "height": 1000}
TARGET_BYTES = 8.0  # plain GLB of the full mesh / bytes before the first frame, at least
TARGET_SIZES = 1.2  # first frame of the biggest model / of the smallest, at most
TARGET_FLOOR = 1.3  # ours' first frame / (empty component page + bare page), at most
RESEND_FRACTION = 0.5  # a rerun frame of half the smallest level or more counts as a re-send
# A person's time from seeing the sign-in form to pressing its button (a quick one).
TYPING_S = 1.5
SIZES = (100_000, 1_300_000)
CASE = "BENCH-VIEWER"
USER, PASSWORD = "bench-viewer", "bench-viewer-password"
ROLES = ("modeller", "investigator")
COMPONENT = "scene3d"
EMPTY = "bench_empty"  # the floor's empty component
POLL_MS = 20
MESH_TIMEOUT_S = 300.0
LEVELS_TIMEOUT_S = 900.0
STARTUP_TIMEOUT_S = 90.0
R_RERUNS = 3
CLICKS = ((0.5, 0.5), (0.42, 0.56))  # fractions of the canvas; the first is its centre

# Measuring hooks, in every frame (context.add_init_script), for the component named COMPONENT:
# times are absolute (timeOrigin + now), so the frame's and the main page's stamps compare.
HOOKS_JS = r"""
((component, signIn) => {
  const now = () => performance.timeOrigin + performance.now();
  if (window.__bench) return;
  const B = (window.__bench = { origin: performance.timeOrigin, marks: {}, messages: [],
    pointerups: [], ws: [], levels: [] });
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
      if (!document.querySelector(`iframe[title*="${component}"]`)) return;
      mark('iframeInserted');
      frames.disconnect();
    });
    frames.observe(document, { childList: true, subtree: true });
    const form = new MutationObserver(() => {
      const headings = document.querySelectorAll('h1, h2, h3');
      if (![...headings].some((h) => h.textContent.includes(signIn))) return;
      mark('signInShown');
      form.disconnect();
    });
    form.observe(document, { childList: true, subtree: true });
    window.addEventListener('click', (e) => {
      if (e.target.closest?.('button')?.textContent.trim() === 'Sign in') mark('signInClicked');
    }, true);
    window.addEventListener('message', (e) => {
      const d = e.data;
      if (!d || !d.isStreamlitMessage) return;
      // Only the measured component's messages (the page's session guard is a component too).
      const f = document.querySelector(`iframe[title*="${component}"]`);
      if (!f || e.source !== f.contentWindow) return;
      const v = d.value && typeof d.value === 'object' ? d.value : {};
      B.messages.push({ type: d.type, value: v.type ?? null, load_ms: v.load_ms ?? null,
        source: v.source ?? null, mesh_id: v.mesh_id ?? null, t: now() });
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
      const id = document.body?.dataset.meshLoaded;
      if (!id || B.levels.some((l) => l.id === id)) return;
      const level = { id, loaded: now() };
      B.levels.push(level);
      mark('meshLoaded');
      // main.js queued its render before this callback: the next frame draws the level.
      requestAnimationFrame(() => {
        level.drawn = now();
        mark('drawn');
        requestAnimationFrame(() => { level.presented = now(); mark('presented'); });
      });
    }).observe(document, { attributes: true, subtree: true,
      attributeFilter: ['data-mesh-loaded'] });
  };
  watch();
  window.addEventListener('DOMContentLoaded', watch, true);
})
"""


def hooks_js(component: str) -> str:
    return f"{HOOKS_JS.strip()}({json.dumps(component)}, {json.dumps(SIGN_IN_HEADING)});"


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
# The levels shown so far once the last one has been presented, else null.
LEVELS_SHOWN_JS = r"""
(last) => {
  const levels = window.__bench?.levels ?? [];
  return levels.some((l) => l.id === last && l.presented) ? window.__bench : null;
}
"""

# The floor: a Streamlit script with nothing but an empty component (v1 in an iframe, or v2).
FLOOR_APP = r"""
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

if st.query_params.get("v") == "2":
    st.components.v2.component("bench_empty_v2", html="<div></div>", js=__V2_JS__)(key="empty")
else:
    here = Path(__file__).resolve().parent / "empty"
    components.declare_component("bench_empty", path=str(here))(key="empty", default=None)
"""
# Runs in the page itself (no iframe): stamps the moment the component could start its work.
FLOOR_V2_JS = """
export default function () {
  const B = window.__bench;
  if (B && !('v2Mounted' in B.marks)) {
    B.marks.v2Mounted = performance.timeOrigin + performance.now();
  }
}
"""
FLOOR_V1_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>empty</title></head><body><script>
const post = (type, data = {}) =>
  window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, '*');
post('streamlit:componentReady', { apiVersion: 1 });
post('streamlit:setFrameHeight', { height: 100 });
</script></body></html>
"""

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
import { MeshoptDecoder } from 'three/addons/libs/meshopt_decoder.module.js';

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
// As main.js's gltfLoader(): meshopt geometry; the KTX2 decoder (the vendored transcoder) is
// imported only for a level whose JSON chunk names KHR_texture_basisu.
const loader = new GLTFLoader().setMeshoptDecoder(MeshoptDecoder);
const jsonLength = new DataView(buf).getUint32(12, true); // the GLB's first chunk: its JSON
const json = new TextDecoder().decode(new Uint8Array(buf, 20, jsonLength));
if (json.includes('"KHR_texture_basisu"')) {
  const { KTX2Loader } = await import('three/addons/loaders/KTX2Loader.js');
  loader.setKTX2Loader(new KTX2Loader().setTranscoderPath('./vendor/addons/libs/basis/')
    .detectSupport(renderer));
}
loader.parse(buf, '', (gltf) => {
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


def _blob_file(data_dir: Path, sha256: str) -> Path:
    """A stored blob (content-addressed under blobs/, named by its SHA-256)."""
    for path in (data_dir / "blobs").rglob(sha256):
        return path
    raise RuntimeError(f"blob {sha256} not found as a plain file under {data_dir}")


def _levels_done(env: dict[str, str], version_id: int) -> dict[str, Any]:
    """``show --json`` once no web level is still being made (``import`` finishes them before it
    exits, or leaves a process behind that does)."""
    deadline = time.monotonic() + LEVELS_TIMEOUT_S
    while True:
        shown = cli_json(env, "show", str(version_id))
        if not any(level["status"] == "pending" for level in shown["web_levels"]):
            return shown
        if time.monotonic() > deadline:
            raise TimeoutError(f"web levels of version {version_id} still pending")
        time.sleep(1.0)


def source_file(root: Path, target: int, texture: int) -> tuple[Path, str]:
    """The file to import for about ``target`` faces, and its name in the catalogue: the
    landmark as binary PLY, or with ``texture`` a textured wavy square as GLB."""
    if texture:
        path = root / f"textured-{target}.glb"
        path.write_bytes(textured_grid(max(1, round((target / 2) ** 0.5)), texture))
        return path, f"Textured square {target:,} faces, {texture} px"
    vertices, faces = landmark_mesh(target)
    path = root / f"landmark-{target}.ply"
    write_ply(path, vertices, faces)
    return path, f"Landmark {target:,} faces"


def prepare_models(
    root: Path,
    env: dict[str, str],
    sizes: tuple[int, ...],
    texture: int,
    bare_dir: Path,
    say: Callable,
) -> list[dict[str, Any]]:
    """The source files, imported with the CLI by a member of the case; each web level copied
    to bare_dir."""
    cli_json(env, "case", "add", CASE, "--title", "Viewer benchmark")
    member_account(env, CASE, PASSWORD, ROLES)
    data_dir = Path(env["BSU_DATA_DIR"])
    models = []
    for target in sizes:
        t = time.perf_counter()
        source, name = source_file(root, target, texture)
        generate_s = time.perf_counter() - t
        t = time.perf_counter()
        imported = cli_json(
            env, "import", str(source), "--case", CASE, "--name", name,
            "--units", "mm", "--scale", "1:100",
        )  # fmt: skip
        import_s = time.perf_counter() - t
        shown = _levels_done(env, imported["version_id"])
        levels_s = time.perf_counter() - t - import_s
        glb = next(f for f in shown["files"] if f["role"] == "web_glb")
        # What the component shows in turn (viewer/scene3d.py's mesh_chain): ready levels in
        # order, without repeats; the plain web copy when there are none.
        chain: list[dict[str, Any]] = []
        for level in shown["web_levels"]:
            if level["status"] == "ready" and level["sha256"] not in {c["sha256"] for c in chain}:
                chain.append({k: level[k] for k in ("level", "sha256", "bytes", "faces")})
        if not chain:
            say(
                "  (no ready web level: the component shows the plain web GLB; "
                f"{shown['web_levels']})"
            )
            chain = [{"level": "web", "sha256": glb["sha256"], "bytes": glb["size_bytes"],
                      "faces": shown["faces"]}]  # fmt: skip
        for level in chain:
            shutil.copyfile(
                _blob_file(data_dir, level["sha256"]), bare_dir / f"{level['sha256']}.glb"
            )
        model = {
            "target_faces": target,
            "faces": shown["faces"],
            "vertices": shown["vertices"],
            "model_id": imported["model_id"],
            "version_id": imported["version_id"],
            "glb_bytes": glb["size_bytes"],
            "chain": chain,
            "all_levels": shown["web_levels"],
            "source_bytes": source.stat().st_size,
            "generate_s": generate_s,
            "import_s": import_s,
            "levels_wait_s": levels_s,
        }
        levels = ", ".join(f"{c['level']} {c['faces']:,} faces {c['bytes']:,} bytes" for c in chain)
        say(
            f"model {model['model_id']}: {model['faces']:,} faces, {model['vertices']:,} vertices;"
            f" {source.suffix[1:].upper()} {model['source_bytes'] / MiB:.1f} MiB, plain web GLB "
            f"{model['glb_bytes']:,} bytes;"
            f" levels shown in turn: {levels}; generated {generate_s:.1f} s, imported (levels "
            f"included) {import_s:.1f} s; show --json listed them ready {levels_s:.1f} s later"
        )
        models.append(model)
    return models


def write_floor_app(folder: Path) -> Path:
    (folder / "empty").mkdir(parents=True)
    (folder / "empty" / "index.html").write_text(FLOOR_V1_HTML, encoding="utf-8")
    script = folder / "floor_app.py"
    script.write_text(FLOOR_APP.replace("__V2_JS__", repr(FLOOR_V2_JS)), encoding="utf-8")
    return script


@contextlib.contextmanager
def servers(root: Path, env: dict[str, str], bare_dir: Path) -> Iterator[dict[str, Any]]:
    """The app, the floor's empty-component app and the bare page's http.server, all on
    loopback; stopped on the way out."""
    static_port = free_port()
    static_base = f"http://127.0.0.1:{static_port}"
    static_argv = [sys.executable, "-m", "http.server", str(static_port), "--bind", "127.0.0.1"]
    static_argv += ["--directory", str(bare_dir)]
    floor_script = write_floor_app(root / "floor")
    with (
        streamlit_app(env, root / "streamlit.log", STARTUP_TIMEOUT_S) as app,
        streamlit_app(env, root / "floor.log", STARTUP_TIMEOUT_S, str(floor_script)) as floor,
        serving(
            static_argv,
            env,
            root / "http-server.log",
            f"{static_base}/index.html",
            lambda body: b"bare three.js" in body,
            STARTUP_TIMEOUT_S,
        ),
    ):
        yield {
            "base": app.base_url,
            "floor_base": floor.base_url,
            "static_base": static_base,
            "app": app.process,
        }


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


def _component_frame(page: Any, component: str = COMPONENT) -> Any:
    element = page.query_selector(f'iframe[title*="{component}"]')
    return element.content_frame() if element is not None else None


def _frame_eval(page: Any, script: str, arg: Any = None, component: str = COMPONENT) -> Any:
    """Evaluate in the component's frame; None while it is missing or (re)loading."""
    from playwright.sync_api import Error

    try:
        frame = _component_frame(page, component)
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


def _three_file(url: str) -> bool:
    """three.js and its add-ons, without the Basis transcoder (fetched only when a level's
    KTX2 texture is parsed)."""
    return "/vendor/" in url and "/basis/" not in url


def _ours_timeline(
    main: dict[str, Any],
    frame: dict[str, Any],
    main_nav: dict[str, Any],
    frame_nav: dict[str, Any] | None,
    model: dict[str, Any],
) -> tuple[dict[str, float], float]:
    """Milestones of one open of ours, in ms from the main page's navigation start, with the
    time spent typing into the sign-in form taken out of every stamp after it; and that time."""
    origin = main["origin"]
    marks = main["marks"]
    stamps: dict[str, float] = {}
    stamps["main: HTML received"] = main_nav["responseEnd"]
    # The bundle that draws the first page (chunks fetched later are not waited for).
    until = marks.get("signInShown", float("inf"))
    scripts = [
        r["end"]
        for r in main_nav["resources"]
        if r["name"].split("?")[0].endswith(".js") and r["end"] <= until
    ]
    if scripts:
        stamps["main: Streamlit JS loaded"] = max(scripts)
    stamps["main: DOMContentLoaded"] = main_nav["domContentLoaded"]
    for key in ("wsCreated", "wsOpen"):
        if key in marks:
            stamps[f"main: {key}"] = marks[key]
    if main["ws"]:
        stamps["main: first WebSocket message"] = main["ws"][0][0]
    if "signInShown" in marks:
        stamps["main: sign-in form shown"] = marks["signInShown"]
    if "iframeInserted" in marks:
        stamps["main: component iframe inserted"] = marks["iframeInserted"]
    if frame_nav is not None:
        stamps["frame: HTML received"] = frame_nav["responseEnd"]
        # The first frame's modules: stereo and the KTX2 decoder are imported after it.
        ready = frame_nav["domContentLoaded"]
        three = [r for r in frame_nav["resources"] if _three_file(r["name"]) and r["start"] < ready]
        if three:
            stamps["frame: three.js files asked"] = min(r["start"] for r in three)
            stamps["frame: three.js files loaded"] = max(r["end"] for r in three)
        basis = [r["end"] for r in frame_nav["resources"] if "/basis/" in r["name"]]
        if basis:
            stamps["frame: KTX2 transcoder loaded"] = max(basis)
        stamps["frame: DOMContentLoaded (main.js run)"] = frame_nav["domContentLoaded"]
    for message in main["messages"]:
        name = message["value"] or message["type"].removeprefix("streamlit:")
        if name in ("componentReady", "need_mesh", "ready"):
            stamps.setdefault(f"frame->main: {name}", message["t"])
    need = stamps.get("frame->main: need_mesh")
    with_args = frame["marks"].get("meshArgs")
    if need is not None and with_args is not None and with_args < need:
        # The first level came with the view's first drawing; this need_mesh asks for the next.
        del stamps["frame->main: need_mesh"]
        need = None
    if need is not None:
        after = [(t, size) for t, size in main["ws"] if t >= need]
        if after:
            # The script run that sees need_mesh starts with a new-session message.
            stamps["main: script run starts"] = after[0][0]
        first_level = model["chain"][0]["bytes"]
        big = [t for t, size in after if size >= 0.5 * first_level]
        if big:
            stamps["main: level WebSocket message"] = big[0]
    names = {"meshArgs": "frame: level in args", "meshLoaded": "frame: data-mesh-loaded"}
    names |= {"drawn": "frame: first frame drawn", "presented": "frame: presented"}
    for key, name in names.items():
        if key in frame["marks"]:
            stamps[name] = frame["marks"][key]
    level_names = {c["sha256"]: c["level"] for c in model["chain"]}
    for level in frame["levels"][1:]:
        name = level_names.get(level["id"], level["id"][:12])
        stamps[f"frame: {name} on screen"] = level["loaded"]
        if "drawn" in level:
            stamps[f"frame: {name} drawn"] = level["drawn"]
    if frame["levels"] and "drawn" in frame["levels"][-1]:
        stamps["frame: last level drawn"] = frame["levels"][-1]["drawn"]
    clicked, shown = marks.get("signInClicked"), marks.get("signInShown")
    pause = clicked - shown if clicked and shown else 0.0
    return {
        k: v - origin - (pause if clicked and v >= clicked else 0.0)
        for k, v in sorted(stamps.items(), key=lambda kv: kv[1])
        if v
    }, pause


def run_ours(browser: Any, base: str, model: dict[str, Any]) -> dict[str, Any]:
    """Open the model page in a fresh context and sign in; timings, bytes, reruns and clicks."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(MESH_TIMEOUT_S * 1000)
    context.add_init_script(hooks_js(COMPONENT))
    page = context.new_page()
    wire = Wire(page)
    out: dict[str, Any] = {}
    try:
        chain = [c["sha256"] for c in model["chain"]]
        page.goto(f"{base}/model?model={model['model_id']}", wait_until="commit")
        sign_in(page, USER, PASSWORD, STARTUP_TIMEOUT_S, typing_s=TYPING_S)
        frame_bench = _poll(
            page,
            lambda: _frame_eval(page, LEVELS_SHOWN_JS, chain[-1]),
            MESH_TIMEOUT_S,
            "the last level in the component (body[data-mesh-loaded])",
        )
        settle(page, wire, 0)
        main = page.evaluate("() => window.__bench")
        frame_nav = _frame_eval(page, NAV_JS)
        timeline, pause = _ours_timeline(main, frame_bench, page.evaluate(NAV_JS), frame_nav, model)
        if frame_nav is not None:  # each file of the component's page, in ms from navigation
            out["frame_resources_ms"] = [
                [r["name"].rsplit("/", 1)[-1], round(r["start"] - main["origin"]),
                 round(r["end"] - main["origin"]), r["size"]]
                for r in frame_nav["resources"]
            ]  # fmt: skip
        out["timeline_ms"] = timeline
        out["sign_in_typing_ms"] = pause
        marks = main["marks"]
        ready = next(
            (m["t"] for m in main["messages"] if m["type"] == "streamlit:componentReady"), None
        )
        if ready is not None and "signInShown" in marks and "signInClicked" in marks:
            # Ready while the form was being filled in: the view was started with the form.
            out["view_ready_after_form_ms"] = ready - marks["signInShown"]
            out["view_ready_before_click"] = ready < marks["signInClicked"]
        out["levels_shown"] = [level["id"] for level in frame_bench["levels"]]
        for message in main["messages"]:
            if message["value"] == "ready":
                out.setdefault("ready_load_ms", message["load_ms"])
                out.setdefault("ready_source", message["source"])
        out["first_frame_ms"] = timeline["frame: first frame drawn"]
        drawn = frame_bench["marks"]["drawn"]
        before = [size for t, size in main["ws"] if t <= drawn]
        out["ws_before_first_frame"] = {
            "bytes": sum(before),
            "frames": len(before),
            "largest": max(before, default=0),
        }
        out["open_ws"] = wire.since(0)
        out["open_ws_sent"] = wire.sent
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
            before_ups = len(_frame_eval(page, "() => window.__bench.pointerups") or [])
            seen = len(page.evaluate("() => window.__bench.messages"))
            index = len(wire.frames)
            t = time.perf_counter()
            canvas.click(position={"x": box["width"] * fx, "y": box["height"] * fy})
            shown = page.wait_for_function(
                CHANGED_CLICK_JS, arg=previous, polling="raf", timeout=120_000
            ).json_value()
            wall = (time.perf_counter() - t) * 1000
            ups = _frame_eval(page, "() => window.__bench.pointerups") or []
            up = ups[before_ups] if len(ups) > before_ups else None
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
                    "streamlit_ms": shown - sent if sent else None,  # rerun, exact pick, React
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
    """The bare page on the first level, in a fresh context."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(MESH_TIMEOUT_S * 1000)
    page = context.new_page()
    wire = Wire(page)
    out: dict[str, Any] = {}
    try:
        glb_name = f"{model['chain'][0]['sha256']}.glb"
        url = f"{static_base}/index.html?glb={glb_name}&w={canvas[0]}&h={canvas[1]}"
        page.goto(url, wait_until="commit")
        data = _poll(
            page,
            lambda: page.evaluate(
                "() => document.body?.dataset.presented || document.body?.dataset.error"
                " ? {...document.body.dataset} : null"
            ),
            MESH_TIMEOUT_S,
            "body[data-first-frame] and the frame after it on the bare page",
        )
        if "error" in data:
            raise RuntimeError(f"bare page: {data['error']}")
        out["gl_renderer"] = data.pop("glRenderer", "?")
        timeline = {k: float(v) for k, v in data.items()}
        nav = page.evaluate(NAV_JS)
        timeline["HTML received"] = nav["responseEnd"] - nav["origin"]
        three = [r["end"] for r in nav["resources"] if _three_file(r["name"])]
        if three:
            timeline["three.js files loaded"] = max(three) - nav["origin"]
        basis = [r["end"] for r in nav["resources"] if "/basis/" in r["name"]]
        if basis:
            timeline["KTX2 transcoder loaded"] = max(basis) - nav["origin"]
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
        out["http"] = wire.http_bytes(
            lambda u: "level" if u.split("?")[0].endswith(glb_name) else "bare page (three.js)"
        )
    finally:
        context.close()
    return out


def run_floor(browser: Any, floor_base: str, version: int) -> dict[str, float]:
    """The empty component's page in a fresh context: ms from navigation start until the
    component could start its work (v1: its frame's first render message; v2: its script)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(MESH_TIMEOUT_S * 1000)
    context.add_init_script(hooks_js(EMPTY))
    page = context.new_page()
    try:
        page.goto(f"{floor_base}/?v={version}", wait_until="commit")
        if version == 1:
            marks = _poll(
                page,
                lambda: _frame_eval(
                    page,
                    "() => window.__bench?.marks.firstRenderMessage ? window.__bench.marks : null",
                    component=EMPTY,
                ),
                STARTUP_TIMEOUT_S,
                "the empty component's first render message",
            )
            at = marks["firstRenderMessage"]
        else:
            at = _poll(
                page,
                lambda: page.evaluate("() => window.__bench?.marks.v2Mounted ?? null"),
                STARTUP_TIMEOUT_S,
                "the empty v2 component's script",
            )
        main = page.evaluate("() => window.__bench")
        out = {"ready_ms": at - main["origin"]}
        if "iframeInserted" in main["marks"]:
            out["iframe_inserted_ms"] = main["marks"]["iframeInserted"] - main["origin"]
        return out
    finally:
        context.close()


# -- report -------------------------------------------------------------------------------------


def _med(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f} ms"


def _b(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def _ok(met: bool) -> str:
    return "OK" if met else "NOT MET"


# Spans of a timeline (name: (from, to)), medians of them are reported.
OURS_SPANS = {
    "to_sign_in": (None, "main: sign-in form shown"),
    "sign_in_run": ("main: sign-in form shown", "main: component iframe inserted"),
    # With the view started beside the form: the click (at the form's stamp, once the typing is
    # taken out) until the first level reaches the view.
    "sign_in_to_args": ("main: sign-in form shown", "frame: level in args"),
    "streamlit_shell": (None, "main: component iframe inserted"),
    "component_load": ("main: component iframe inserted", "frame->main: componentReady"),
    "frame_html": ("main: component iframe inserted", "frame: HTML received"),
    "frame_three": ("frame: HTML received", "frame: three.js files loaded"),
    "frame_main_js": ("frame: three.js files loaded", "frame->main: componentReady"),
    "viewer_part": ("frame->main: componentReady", "frame: first frame drawn"),
    "args_to_frame": ("frame: level in args", "frame: first frame drawn"),
    "idb_lookup": ("frame->main: componentReady", "frame->main: need_mesh"),
    "python_run": ("frame->main: need_mesh", "main: level WebSocket message"),
    "run_start": ("frame->main: need_mesh", "main: script run starts"),
    "run_to_level": ("main: script run starts", "main: level WebSocket message"),
    "from_iframe": ("main: component iframe inserted", "frame: first frame drawn"),
    "to_component": ("main: level WebSocket message", "frame: level in args"),
    "ready_to_args": ("frame->main: componentReady", "frame: level in args"),
    "parse_show": ("frame: level in args", "frame: data-mesh-loaded"),
    "draw": ("frame: data-mesh-loaded", "frame: first frame drawn"),
    "presented": (None, "frame: presented"),
    "last_level": (None, "frame: last level drawn"),
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


def summarise(
    model: dict[str, Any], ours: list[dict], bare: list[dict], floor_ms: float
) -> dict[str, Any]:
    glb = model["glb_bytes"]
    smallest_level = min(c["bytes"] for c in model["chain"])
    ours_ff = statistics.median(r["first_frame_ms"] for r in ours)
    bare_ff = statistics.median(r["first_frame_ms"] for r in bare)
    before = statistics.median(r["ws_before_first_frame"]["bytes"] for r in ours)
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
    triggers = list(dict.fromkeys(x["trigger"] for x in rerun_frames))
    return {
        **spans,
        "ours_first_frame_ms": ours_ff,
        "bare_first_frame_ms": bare_ff,
        "floor_ms": floor_ms + bare_ff,
        "ratio_floor": ours_ff / (floor_ms + bare_ff),
        "meets_floor": ours_ff / (floor_ms + bare_ff) <= TARGET_FLOOR,
        "ratio_viewer_part": (spans["ours_viewer_part_ms"] or 0)
        / (spans["bare_viewer_part_ms"] or 1),
        "ratio_from_iframe": (spans["ours_from_iframe_ms"] or 0) / bare_ff,
        "sign_in_typing_ms": _med([r["sign_in_typing_ms"] for r in ours]),
        "view_ready_after_form_ms": _med([r.get("view_ready_after_form_ms") for r in ours]),
        "view_ready_before_click": all(r.get("view_ready_before_click") for r in ours),
        "levels_shown": ours[0]["levels_shown"],
        "ours_timeline_ms": {k: _med([r["timeline_ms"].get(k) for r in ours]) for k in keys},
        "ours_ready_load_ms": _med([r.get("ready_load_ms") for r in ours]),
        "bare_timeline_ms": {k: _med([r["timeline_ms"].get(k) for r in bare]) for k in bare_keys},
        "ws_before_first_frame_bytes": before,
        "ws_before_first_frame_frames": statistics.median(
            r["ws_before_first_frame"]["frames"] for r in ours
        ),
        "ratio_bytes": glb / before,
        "meets_bytes": glb / before >= TARGET_BYTES,
        "ours_open_ws_bytes": statistics.median(r["open_ws"]["bytes"] for r in ours),
        "ours_open_ws_sent_bytes": statistics.median(r["open_ws_sent"] for r in ours),
        "bare_level_http_bytes": statistics.median(r["http"].get("level", 0) for r in bare),
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
        "rerun_largest_frame": largest_rerun,
        "meets_no_resend": largest_rerun < RESEND_FRACTION * smallest_level,
        "no_rerun_note": "".join(
            f" ({t}: no rerun, it acts in the browser only)"
            for t in triggers
            if not any(x["rerun"] for x in rerun_frames if x["trigger"] == t)
        ),
        "rerun_by_trigger": {
            t: _med([x["bytes"] for x in rerun_frames if x["trigger"] == t]) for t in triggers
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


def _say_ours_split(s: dict[str, Any], say: Callable[[str], None]) -> None:
    """Where ours' time goes when the 3D view starts after the sign-in run."""
    say(
        f"  where ours' time goes: Streamlit shell to the sign-in form "
        f"{_ms(s['ours_to_sign_in_ms'])}, sign-in run until the component's iframe "
        f"{_ms(s['ours_sign_in_run_ms'])}, component "
        f"page + three.js to componentReady {_ms(s['ours_component_load_ms'])} (its HTML "
        f"{_ms(s['ours_frame_html_ms'])}, three.js files {_ms(s['ours_frame_three_ms'])}, main.js "
        f"to componentReady {_ms(s['ours_frame_main_js_ms'])}), then the viewer's "
        f"own part (componentReady -> first frame) {_ms(s['ours_viewer_part_ms'])} = "
        + (
            f"IndexedDB lookup {_ms(s['ours_idb_lookup_ms'])} + need_mesh -> level on the "
            f"WebSocket {_ms(s['ours_python_run_ms'])} (to the script run's start "
            f"{_ms(s['ours_run_start_ms'])}, run -> level message "
            f"{_ms(s['ours_run_to_level_ms'])}) + to the component "
            f"{_ms(s['ours_to_component_ms'])}"
            if s.get("ours_idb_lookup_ms") is not None
            else f"the level in the first drawing's arguments {_ms(s['ours_ready_to_args_ms'])}"
        )
        + f" + parse/show {_ms(s['ours_parse_show_ms'])} + draw {_ms(s['ours_draw_ms'])}"
    )


def report_model(
    model: dict[str, Any], s: dict[str, Any], floor: dict[str, Any], say: Callable[[str], None]
) -> None:
    glb = model["glb_bytes"]
    names = {c["sha256"]: c["level"] for c in model["chain"]}
    first = model["chain"][0]
    say(
        f"\n== {model['faces']:,} faces (model {model['model_id']}), plain web GLB {glb:,} bytes; "
        f"first level {first['level']} {first['faces']:,} faces {first['bytes']:,} bytes; shown "
        f"in turn: {', '.join(names.get(x, '?') for x in s['levels_shown'])}; canvas "
        f"{s['canvas'][0]}x{s['canvas'][1]} px on both sides"
    )
    say(
        f"  first frame, in page (navigation start -> first frame drawn with the first level; "
        f"{_ms(s['sign_in_typing_ms'])} of typing into the sign-in form taken out): ours "
        f"{_ms(s['ours_first_frame_ms'])}; presented {_ms(s['ours_presented_ms'])}; last level "
        f"drawn {_ms(s['ours_last_level_ms'])}"
    )
    say(
        f"  against the floor: empty component page (v1) {_ms(floor['v1_ms'])} + bare page on "
        f"the same level {_ms(s['bare_first_frame_ms'])} = {_ms(s['floor_ms'])}; ours/floor "
        f"{s['ratio_floor']:.2f} (target <= {TARGET_FLOOR}) {_ok(s['meets_floor'])}"
    )
    say(
        f"  bytes before the first frame: the WebSocket received "
        f"{_b(s['ws_before_first_frame_bytes'])} bytes in "
        f"{s['ws_before_first_frame_frames']:.0f} messages; plain web GLB / that = "
        f"{s['ratio_bytes']:.1f}x (the target, >= {TARGET_BYTES:.0f}x, is the biggest model's); "
        f"the bare page fetched the level, {_b(s['bare_level_http_bytes'])} bytes"
    )
    if s["view_ready_before_click"]:
        say(
            f"  where ours' time goes: Streamlit shell to the sign-in form "
            f"{_ms(s['ours_to_sign_in_ms'])}; the 3D view starts with the form: its page + "
            f"three.js were ready {_ms(s['view_ready_after_form_ms'])} after the form was shown "
            f"(componentReady; the click came {_ms(s['sign_in_typing_ms'])} after the form: "
            f"someone who signs in before the view is ready waits for the rest), its HTML "
            f"{_ms(s['ours_frame_html_ms'])}, three.js files {_ms(s['ours_frame_three_ms'])}, "
            f"main.js to componentReady {_ms(s['ours_frame_main_js_ms'])}; then the sign-in run "
            f"(click -> the first level in the view's arguments) "
            f"{_ms(s['ours_sign_in_to_args_ms'])} + parse/show {_ms(s['ours_parse_show_ms'])} "
            f"+ draw {_ms(s['ours_draw_ms'])}"
        )
    else:
        _say_ours_split(s, say)
    say(
        f"  bare: page + three.js {_ms(s['bare_page_load_ms'])}, then module start -> first "
        f"frame {_ms(s['bare_viewer_part_ms'])} = fetch {_ms(s['bare_fetch_ms'])} + parse/show "
        f"{_ms(s['bare_parse_show_ms'])} + draw {_ms(s['bare_draw_ms'])}"
        + (
            ""  # the view's frame came before the typing that is taken out: no such span
            if s["view_ready_before_click"]
            else f"; viewer part ours/bare {s['ratio_viewer_part']:.2f}; ours from the iframe's "
            f"insertion to the first frame {_ms(s['ours_from_iframe_ms'])} over bare's whole "
            f"page: {s['ratio_from_iframe']:.2f}"
        )
    )
    say("  ours timeline (ms from navigation start, typing taken out, medians):")
    _say_wrapped(say, s["ours_timeline_ms"])
    say(f"  ours 'ready' load_ms of the first level (parse start -> presented): "
        f"{_ms(s['ours_ready_load_ms'])}")  # fmt: skip
    say("  bare timeline (ms from navigation start, medians):")
    _say_wrapped(say, s["bare_timeline_ms"])
    say(
        f"  WebSocket while the model opens (every level): received {_b(s['ours_open_ws_bytes'])}"
        f" bytes, sent {_b(s['ours_open_ws_sent_bytes'])}"
    )
    for side in ("ours", "bare"):
        parts = "; ".join(f"{k} {v:,.0f}" for k, v in s[f"{side}_http_bytes"].items())
        say(f"  {side} HTTP bytes (cold cache, not in the ratio): {parts}")
    by = ", ".join(f"{k} {_b(v)}" for k, v in s["rerun_by_trigger"].items())
    say(
        f"  later reruns keeping the model: {s['reruns_that_ran']} of {s['reruns']} triggers "
        f"reran{s['no_rerun_note']}; WebSocket bytes in all {s['rerun_ws_bytes_total']:,}, "
        f"largest frame {s['rerun_largest_frame']:,} "
        f"{'OK, no level re-sent' if s['meets_no_resend'] else 'A LEVEL WAS RE-SENT'}; median "
        f"per trigger: {by}"
    )
    say(
        f"  click -> Python (exact pick on the full mesh) -> 'Last clicked point': wall "
        f"{_ms(s['click_wall_ms'])}, in page {_ms(s['click_in_page_ms'])} (centre "
        f"{_ms(s['click_centre_in_page_ms'])}) = browser (pointerup -> click message: raycast) "
        f"{_ms(s['click_browser_ms'])} + Streamlit (message -> text) "
        f"{_ms(s['click_streamlit_ms'])}"
    )
    say(
        f"  bare raycast of the same clicks on the first level: first "
        f"{s['bare_raycast_first_ms']:.1f} ms, later {s['bare_raycast_later_ms']:.1f} ms"
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


def measure_floor(
    browser: Any, floor_base: str, repeat: int, say: Callable[[str], None]
) -> dict[str, Any]:
    """The empty component page, v1 and v2, once untimed each and then ``repeat`` times."""
    runs: dict[int, list[dict[str, float]]] = {1: [], 2: []}
    for version in (1, 2):
        run_floor(browser, floor_base, version)
    for _ in range(repeat):
        for version in (1, 2):
            runs[version].append(run_floor(browser, floor_base, version))
    floor = {
        "v1_ms": statistics.median(r["ready_ms"] for r in runs[1]),
        "v1_iframe_inserted_ms": _med([r.get("iframe_inserted_ms") for r in runs[1]]),
        "v2_ms": statistics.median(r["ready_ms"] for r in runs[2]),
        "runs": runs,
    }
    say(
        f"floor: empty Streamlit page with an empty component, navigation start -> the component "
        f"can start: v1 (iframe; inserted at {_ms(floor['v1_iframe_inserted_ms'])}, first render "
        f"message) {_ms(floor['v1_ms'])}; v2 (no iframe; its script runs) {_ms(floor['v2_ms'])}"
        f" -- v2 saves {_ms(floor['v1_ms'] - floor['v2_ms'])} of the page's part"
    )
    return floor


def headline(out: dict[str, Any], say: Callable[[str], None]) -> None:
    """The issue's three figures, across the models of this run."""
    models = out["models"]
    biggest = max(models, key=lambda m: m["model"]["faces"])
    smallest = min(models, key=lambda m: m["model"]["faces"])
    s = biggest["summary"]
    sizes = s["ours_first_frame_ms"] / smallest["summary"]["ours_first_frame_ms"]
    out["headline"] = {
        "faces": biggest["model"]["faces"],
        "bytes_ratio": s["ratio_bytes"],
        "first_frame_biggest_over_smallest": sizes,
        "ours_over_floor": {m["model"]["faces"]: m["summary"]["ratio_floor"] for m in models},
        "components_v2_floor_ms": out["floor"]["v2_ms"],
        "components_v1_floor_ms": out["floor"]["v1_ms"],
    }
    say("\n== issue 15's figures")
    say(
        f"  bytes before the first frame, {biggest['model']['faces']:,} faces: plain web GLB "
        f"{biggest['model']['glb_bytes']:,} / {s['ws_before_first_frame_bytes']:,.0f} = "
        f"{s['ratio_bytes']:.1f}x (target >= {TARGET_BYTES:.0f}x) {_ok(s['meets_bytes'])}"
    )
    say(
        f"  first frame {biggest['model']['faces']:,} faces / {smallest['model']['faces']:,} "
        f"faces: {_ms(s['ours_first_frame_ms'])} / "
        f"{_ms(smallest['summary']['ours_first_frame_ms'])} = {sizes:.2f} (target <= "
        f"{TARGET_SIZES}) {_ok(sizes <= TARGET_SIZES)}"
    )
    # The part that depends on the model: from componentReady, or (the view started with the
    # sign-in form, ready before the typing that is taken out) from the level's arrival.
    span, what = (
        ("args_to_frame", "the level in the view's arguments -> first frame")
        if s["view_ready_before_click"] and smallest["summary"]["view_ready_before_click"]
        else ("viewer_part", "componentReady -> first frame")
    )
    part, small_part = s[f"ours_{span}_ms"], smallest["summary"][f"ours_{span}_ms"]
    if part and small_part:
        out["headline"]["viewer_part_biggest_over_smallest"] = part / small_part
        say(
            f"    of which the viewer's own part ({what}), the part that depends on the model: "
            f"{_ms(part)} / {_ms(small_part)} = {part / small_part:.2f}"
        )
    for m in models:
        ms = m["summary"]
        say(
            f"  ours / floor, {m['model']['faces']:,} faces: {_ms(ms['ours_first_frame_ms'])} / "
            f"{_ms(ms['floor_ms'])} = {ms['ratio_floor']:.2f} (target <= {TARGET_FLOOR}) "
            f"{_ok(ms['meets_floor'])}"
        )
    say(
        f"  components v2 (no iframe): empty component ready at {_ms(out['floor']['v2_ms'])} vs "
        f"v1's {_ms(out['floor']['v1_ms'])} from navigation start"
    )


def measure(
    sizes: tuple[int, ...], texture: int, repeat: int, say: Callable[[str], None]
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {
        "code": code_version("viewer", "bsu_models", "bench"),
        "main_js_sha256": source_sha(STATIC / "main.js"),
        "scene3d_py_sha256": source_sha(REPO / "viewer" / "scene3d.py"),
        "repeat": repeat,
        "texture_px": texture or None,
        "platform": machine(),
        "targets": {
            "bytes_ratio_at_least": TARGET_BYTES,
            "first_frame_biggest_over_smallest_at_most": TARGET_SIZES,
            "ours_over_floor_at_most": TARGET_FLOOR,
            "rerun_largest_frame_fraction_of_smallest_level": RESEND_FRACTION,
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
        env = app_env(data_dir, USER)
        models = prepare_models(root, env, sizes, texture, bare_dir, say)
        say(f"peak RSS after set-up: {peak_rss_mib():.0f} MiB")
        with servers(root, env, bare_dir) as srv, sync_playwright() as p:
            browser = launch_chromium(p, *SWIFTSHADER_ARGS)
            try:
                say(
                    f"browser: Chromium {browser.version}; app at {srv['base']}, empty component "
                    f"at {srv['floor_base']}, bare page at {srv['static_base']} (levels fetched "
                    "from there: file:// fetch is blocked)"
                )
                out["floor"] = floor = measure_floor(browser, srv["floor_base"], repeat, say)
                for model in models:
                    # Untimed: server imports, shader compilation, page cache of the level.
                    warm = run_ours(browser, srv["base"], model)
                    canvas = warm["canvas"]
                    warm_bare = run_bare(browser, srv["static_base"], model, canvas)
                    out.setdefault("gl_renderer", warm_bare["gl_renderer"])
                    ours_runs, bare_runs = alternate(
                        repeat,
                        functools.partial(run_ours, browser, srv["base"], model),
                        functools.partial(run_bare, browser, srv["static_base"], model, canvas),
                    )
                    summary = summarise(model, ours_runs, bare_runs, floor["v1_ms"])
                    out["models"].append(
                        {"model": model, "summary": summary, "ours": ours_runs, "bare": bare_runs}
                    )
                    report_model(model, summary, floor, say)
            finally:
                browser.close()
            out["app_server_peak_rss_mib"] = vm_hwm_mib(srv["app"].pid)
    headline(out, say)
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
    parser.add_argument(
        "--texture",
        type=int,
        default=0,
        metavar="PX",
        help="import textured wavy squares with a PX-pixel texture instead of the landmarks",
    )
    parser.add_argument("--repeat", type=int, default=2, help="timed loads of each side")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        if not args.json:
            print(line, flush=True)

    report = measure(tuple(args.faces), args.texture, max(1, args.repeat), say)
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
