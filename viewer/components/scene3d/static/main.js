// scene3d: Streamlit custom component (components v1 protocol; plain ES modules, no bundler) that
// shows a landmark model with three.js and talks both ways with Python.
//
// Args: mesh_id (SHA-256 of the GLB); levels (optional: SHA-256s of the model's web levels,
// smallest first, mesh_id among them: the first is shown, then each next one replaces it with the
// camera and scene kept); mesh (GLB bytes, delivered as a Uint8Array; base64 text in mesh_b64
// also works) of mesh_for (default mesh_id), sent with the first drawing when the session has not sent
// it yet, else only after need_mesh; scene {up, north, eye_height, entities, paths,
// measurements, sightlines, frustums, selected}; camera {nonce, preset | view}, a view's section box
// {low, high, planes} shown with it; section (optional: the section box to show whatever the view;
// null: none); tool ('present' is read-only: no clicks, no Save view); height (px).
// Value (JSON; the latest event wins; each carries a fresh, increasing integer nonce, and
// `displayed` {mesh_id, source, at}: the model on screen now, `at` naming that display, or null,
// so that Python records every display even when a later event supersedes `ready`):
//   {type: 'need_mesh', mesh_id}        neither shown nor in IndexedDB: please pass `mesh`
//   {type: 'ready', mesh_id, load_ms, triangles, source: 'python' | 'cache'}   first frame drawn
//   {type: 'click', mesh_id, point, normal, face, entity, ray: {origin, direction}}   short click
//                                       on the model, world coords (Python re-casts the ray on
//                                       the full-resolution mesh when a level was shown)
//   {type: 'camera', mesh_id, view: {projection, position, target, up, fov_deg, ortho_scale, section}}
//   {type: 'error', mesh_id, message}   the GLB passed in could not be parsed
//   {type: 'step', mesh_id, delta}      tool 'present': an arrow key pressed in the view (±1)
// For the page's session guard (viewer/components/guard): window.__bsuLastActivity (ms of the
// last pointer, key or wheel event in this view) and window.__bsuBlank() (the idle sign-out:
// drop the model and the scene from the page and close the mesh cache).
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { MeshoptDecoder } from 'three/addons/libs/meshopt_decoder.module.js';
import {
  Y_AXIS, addModel, aimCamera, clearMarks, clipPlanes, createStage, disposeTree, drawMarks,
  applySection, fitOrtho, fitView, frameOf, isoDirection, lightModel, onDemand, orbitControls,
  setOrthoHeight, shownHit, sphereView, vec,
} from 'view3d';
import { createCameraLink } from './link.js';
import { createPlayer } from './play.js';

// ------------------------------------------------------------------ Streamlit protocol
const post = (type, data = {}) => window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, '*');

// Strictly increasing integer derived from the clock (ms * 1000, then +1 per value): distinct
// across repeated events and page reloads, and exact in a float64.
let lastNonce = 0;
function sendValue(value) {
  lastNonce = Math.max(lastNonce + 1, Date.now() * 1000);
  post('streamlit:setComponentValue', {
    value: { ...value, displayed: S.displayed, nonce: lastNonce }, dataType: 'json',
  });
}

// ------------------------------------------------------------------ state
const S = {
  scene: null, sceneKey: undefined, height: null, tool: 'navigate',
  up: new THREE.Vector3(0, 0, 1), north: new THREE.Vector3(0, 1, 0), eye: 1.6,
  wantedId: null, phase: null, // phase of wantedId: idb | asked | parsing | shown | failed
  chain: [], chainKey: '', // the levels to show in turn, smallest first
  meshId: null, model: null, box: null, centre: new THREE.Vector3(), diag: 1, triangles: 0,
  markers: [], entityCount: 0, renders: 0, lastClick: null,
  cameraNonce: undefined, pendingCamera: null, readyPending: null, walk: false, modelStatus: ['starting', {}],
  displayed: null, blanked: false,
  sunTrack: null, shadows: false, // the sun around the step's time (from Python), and the toggle
  section: null, clip: [], sectionArg: undefined, // the section box shown, its planes, the page's
};

// Read-only hooks for tests.
Object.defineProperty(window, '__scene3d', { writable: false, configurable: false, value: Object.freeze({
  get meshId() { return S.meshId; }, get triangles() { return S.triangles; },
  get entityCount() { return S.entityCount; }, get renders() { return S.renders; },
  get lastClick() { return S.lastClick && structuredClone(S.lastClick); },
  get stereo() { return stereo.mode; },
  get sectionPlanes() { return S.clip.length; },
}) });

// ------------------------------------------------------------------ renderer, scene, cameras
const viewport = document.getElementById('viewport');
const statusEl = document.getElementById('status');

const requestRender = onDemand(renderNow);
const stage = createStage(viewport, requestRender);
const { canvas, scene, overlay, persp, ortho, renderer, sun, hemi, software } = stage;
const playPaths = new THREE.Group(); // Play: the paths as far as the entities have come
scene.add(playPaths);
// Stereo and VR (stereo.js and its three.js effects) are not needed for the first frame: they
// load once it is on screen, or at once when the Stereo button is pressed (see loadStereo).
let stereo = { mode: 'off', next: () => 'off', setSize() {}, render: () => false };
const sizeStereo = () => stereo.setSize(Math.max(1, viewport.clientWidth), Math.max(1, viewport.clientHeight));
new ResizeObserver(() => {
  sizeStereo();
  requestRender();
}).observe(viewport);
let camera = persp;
let controls = null;
const raycaster = new THREE.Raycaster();

function renderNow() {
  // Labels are drawn once, flat: in a stereo picture they would sit at the wrong depth.
  stage.labelRenderer.domElement.style.visibility = stereo.mode === 'off' ? '' : 'hidden';
  if (renderer.xr.isPresenting) renderer.render(scene, persp);
  else if (!stereo.render(scene, camera, S.eye, focusDistance())) stage.render(camera);
  S.renders++;
  if (!S.readyPending) return;
  const { t0, ...ready } = S.readyPending;
  S.readyPending = null;
  // Report on the next frame, i.e. once the first frame with the mesh has been presented.
  requestAnimationFrame(() => {
    if (S.meshId !== ready.mesh_id) return;
    sendValue({ ...ready, load_ms: Math.round(performance.now() - t0) });
    // Only now ask for the next level: a request sent earlier would be replaced by 'ready'.
    nextLevel(ready.mesh_id);
    loadStereo();
  });
}

// Where the stereo eyes converge: the orbit target, or five eye heights ahead when walking.
function focusDistance() {
  return S.walk ? 5 * S.eye : camera.position.distanceTo(controls.target);
}

// The controls follow the camera (walk mode turns them off while it lasts).
function makeControls(target) {
  controls = orbitControls(controls, camera, canvas, target, requestRender);
  controls.enabled = !S.walk;
}
makeControls(new THREE.Vector3());

// ------------------------------------------------------------------ helpers
const axes = () => frameOf(S.up, S.north);

// Every word the viewer shows. The page sends them translated (args.labels, same keys); these
// English texts are only the fallback for a key the page does not send.
const LABELS = {
  fit: 'Fit', fit_title: 'Frame the whole model',
  plan: 'Plan', plan_title: 'Plan: look down, north at the top',
  north: 'N', north_title: 'Elevation seen from the north',
  east: 'E', east_title: 'Elevation seen from the east',
  south: 'S', south_title: 'Elevation seen from the south',
  west: 'W', west_title: 'Elevation seen from the west',
  iso: 'Iso', iso_title: 'Perspective from the south-east, above',
  walk: 'Walk',
  walk_title: 'First person from the last clicked point: WASD / arrow keys move, drag to look, Esc leaves',
  stereo: 'Stereo', stereo_title: 'Stereo for 3D glasses and displays: off, red-cyan anaglyph, side by side',
  anaglyph: 'anaglyph', 'side-by-side': 'side by side',
  save: 'Save view', save_title: 'Send the current view to the app',
  toolbar: '3D view',
  starting: 'Starting…',
  loading: 'Loading model…',
  fetching: 'Fetching the model from the app…',
  reading: 'Reading model ({size} MB)…',
  unreadable: 'Could not read the model: {message}',
  triangles: '{count} triangles',
  triangles_cached: '{count} triangles (browser cache)',
  no_model: 'No model selected.',
  hint_navigate: 'Drag to orbit, right-drag to pan, wheel to zoom; a click reports the point.',
  hint_place: 'Click the model to place an entity.',
  hint_measure: 'Click two points on the model to measure.',
  hint_sightline: 'Click the eye point, then the target.',
  hint_pair: 'Click the place on the model that matches the point of the CCTV frame.',
  hint_present: 'Read-only: drag to orbit, right-drag to pan, wheel to zoom.',
  hint_walk: 'Walk: W A S D / arrow keys move (Shift = faster), drag to look, Esc leaves.',
  sun: 'Sun', sun_title: "Light the model by the sun at the step's time, casting shadows",
  sun_time: 'Time of the sun',
  sun_text: 'Sun at {time}: azimuth {azimuth}°, elevation {elevation}°',
  sun_down: 'Sun at {time}: below the horizon, no sunlight',
};
const words = { ...LABELS };
// `{name}` placeholders are filled with text, never parsed as markup.
const tr = (key, values = {}) => (words[key] ?? LABELS[key] ?? key)
  .replace(/\{(\w+)\}/g, (m, name) => (name in values ? String(values[name]) : m));
const TOOL_CURSORS = { navigate: 'grab', place: 'crosshair', measure: 'crosshair',
  sightline: 'crosshair', pair: 'crosshair', present: 'grab' };

// The status line keeps what it says as a key and values, so a language switch redraws it.
function setStatus(key, values) {
  if (key !== undefined) S.modelStatus = [key, values];
  const hint = tr(S.walk ? 'hint_walk' : `hint_${S.tool}`);
  statusEl.textContent = `${tr(...S.modelStatus)} · ${hint}`;
}
function applyLabels(given) {
  const next = { ...LABELS };
  for (const [k, v] of Object.entries(given && typeof given === 'object' ? given : {})) {
    if (typeof v === 'string' && Object.hasOwn(LABELS, k)) next[k] = v;
  }
  if (JSON.stringify(next) === JSON.stringify(words)) return;
  Object.assign(words, next);
  for (const b of document.querySelectorAll('#toolbar button[data-label]')) {
    b.textContent = tr(b.dataset.label);
    b.title = tr(`${b.dataset.label}_title`);
  }
  document.getElementById('toolbar').setAttribute('aria-label', tr('toolbar'));
  document.getElementById('sun-time').setAttribute('aria-label', tr('sun_time'));
  showStereo();
  setStatus();
}

// ------------------------------------------------------------------ IndexedDB mesh cache
const settle = (req) => new Promise((resolve, reject) => {
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});
let dbPromise = null;
function idb(mode, op) {
  if (!dbPromise) {
    const req = indexedDB.open('bsu-scene3d', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('meshes');
    dbPromise = settle(req).then((db) => {
      // Sign-out and idle sign-out delete the database: let go of it at once when asked.
      db.onversionchange = () => { db.close(); dbPromise = null; };
      return db;
    }).catch((err) => { dbPromise = null; throw err; });
  }
  return dbPromise.then((db) => settle(op(db.transaction('meshes', mode).objectStore('meshes'))));
}
// The cache is only an optimisation: any IndexedDB failure (quota, private mode) means "not cached".
const cacheWarn = (e) => { console.warn('scene3d: mesh cache', e); return null; };
const idbGet = (id) => idb('readonly', (s) => s.get(id)).catch(cacheWarn);
const idbPut = (id, buf) => idb('readwrite', (s) => s.put(buf, id)).catch(cacheWarn);
const idbDelete = (id) => idb('readwrite', (s) => s.delete(id)).catch(cacheWarn);

// ------------------------------------------------------------------ mesh loading
function toArrayBuffer(m) {
  if (m instanceof ArrayBuffer) return m;
  // Streamlit's Uint8Array is a view into the whole protobuf message: copy just our bytes.
  if (ArrayBuffer.isView(m)) return m.buffer.slice(m.byteOffset, m.byteOffset + m.byteLength);
  if (typeof m === 'string' && m) return Uint8Array.from(atob(m), (c) => c.charCodeAt(0)).buffer;
  return null;
}
// No model any more: nothing of the last one stays in the view (a page keeps a view's frame
// when it draws one with the same key in the same place).
function dropModel() {
  clearModel();
  Object.assign(S, { wantedId: null, phase: null, chain: [], chainKey: '' });
  setStatus('no_model');
}
function onMeshArgs(chain, bytesId, bytes) {
  if (S.blanked) return; // signed out for inactivity: nothing to do
  if (!chain.length) {
    if (S.chainKey) dropModel();
    return;
  }
  const key = chain.join(' ');
  if (key !== S.chainKey) {
    clearModel();
    Object.assign(S, { chain, chainKey: key, wantedId: chain[0], phase: 'idb' });
    setStatus('loading');
    if (!bytes || bytesId !== chain[0]) { lookupCache(chain[0]); return; }
  }
  if (S.meshId === chain[chain.length - 1]) return; // the best level is on screen
  // Bytes are honoured for the wanted id unless already being parsed (or known to be unreadable).
  const usable = bytes && bytesId === S.wantedId && !['parsing', 'failed', 'shown'].includes(S.phase);
  const buf = usable ? toArrayBuffer(bytes) : null;
  if (buf) loadBytes(S.wantedId, buf, 'python');
}
// After a level is on screen, fetch the next (larger) one from the cache or the app.
function nextLevel(shownId) {
  const i = S.chain.indexOf(shownId);
  if (i < 0 || i + 1 >= S.chain.length || S.wantedId !== shownId) return;
  Object.assign(S, { wantedId: S.chain[i + 1], phase: 'idb' });
  lookupCache(S.wantedId);
}

async function lookupCache(id) {
  const buf = await idbGet(id);
  if (S.wantedId !== id || S.phase !== 'idb') return; // superseded, or bytes arrived meanwhile
  if (buf) loadBytes(id, buf, 'cache');
  else askForMesh(id);
}
function askForMesh(id) {
  S.phase = 'asked';
  setStatus('fetching');
  sendValue({ type: 'need_mesh', mesh_id: id });
}

// Levels are meshopt-compressed with KTX2 textures; the decoders are vendored with three.js. The
// KTX2 decoder (five modules and the Basis transcoder) loads only for a GLB that uses it.
let ktx2 = null;
function usesKtx2(buf) {
  // A GLB: 12-byte header, then its JSON chunk (length, type 'JSON', text).
  const view = new DataView(buf);
  if (buf.byteLength < 20 || view.getUint32(0, true) !== 0x46546c67) return false;
  const length = Math.min(view.getUint32(12, true), buf.byteLength - 20);
  return new TextDecoder().decode(new Uint8Array(buf, 20, length)).includes('"KHR_texture_basisu"');
}
async function gltfLoader(buf) {
  const loader = new GLTFLoader().setMeshoptDecoder(MeshoptDecoder);
  if (!usesKtx2(buf)) return loader;
  ktx2 ??= import('three/addons/loaders/KTX2Loader.js').then(({ KTX2Loader }) =>
    new KTX2Loader().setTranscoderPath('./vendor/addons/libs/basis/').detectSupport(stage.renderer));
  return loader.setKTX2Loader(await ktx2);
}

function loadBytes(id, buf, source) {
  S.phase = 'parsing';
  const t0 = performance.now();
  // A larger level replacing a smaller one keeps the status line until it is shown.
  if (!S.model) setStatus('reading', { size: (buf.byteLength / 1e6).toFixed(1) });
  const failed = (err) => {
    if (S.wantedId !== id) return;
    console.error('scene3d: GLB parse failed', err);
    if (source === 'cache') { idbDelete(id); askForMesh(id); return; } // bad cache entry
    const message = String(err?.message ?? err);
    S.phase = 'failed';
    setStatus('unreadable', { message });
    sendValue({ type: 'error', mesh_id: id, message });
  };
  gltfLoader(buf).then((loader) => loader.parse(buf, '', (gltf) => {
    if (S.wantedId !== id) return; // another mesh was asked for meanwhile
    showModel(id, gltf.scene, t0, source);
    if (source === 'python') idbPut(id, buf);
  }, failed)).catch(failed);
}
function clearModel() {
  if (S.model) { scene.remove(S.model); disposeTree(S.model); }
  Object.assign(S, {
    model: null, meshId: null, box: null, triangles: 0, readyPending: null, displayed: null,
  });
  delete document.body.dataset.meshLoaded;
  clearOverlay();
  requestRender();
}

function showModel(id, root, t0, source) {
  // A larger level of the model on screen takes its place in the same view.
  const swap = S.model !== null;
  if (S.model) { scene.remove(S.model); disposeTree(S.model); S.model = null; }
  if (!swap) clearModel();
  const { box, centre, diag, triangles, points } = addModel(scene, root);
  Object.assign(S, { box, centre, diag, triangles, points, model: root, meshId: id, phase: 'shown' });
  S.clip = applySection(root, S.section); // a larger level keeps the section
  markShadowCasters(root);
  lastNonce = Math.max(lastNonce + 1, Date.now() * 1000);
  S.displayed = { mesh_id: id, source: source === 'cache' ? 'cache' : 'server', at: lastNonce };
  placeLights();
  rebuildOverlay();
  if (!swap) {
    if (S.pendingCamera) applyCameraArg(S.pendingCamera);
    else preset('iso');
  }
  document.body.dataset.meshLoaded = id;
  document.body.dataset.meshTriangles = String(S.triangles);
  setStatus(source === 'cache' ? 'triangles_cached' : 'triangles',
    { count: S.triangles.toLocaleString('en') });
  S.readyPending = { type: 'ready', mesh_id: id, triangles: S.triangles, source, t0 };
  requestRender();
}
// The ordinary lights, then the sun at the step's time instead when it is switched on.
function placeLights() {
  lightModel(stage, axes(), S.centre, S.diag);
  placeSun();
}

// ------------------------------------------------------------------ the sun at the step's time
// Python sends the sun every few minutes around the step's time (direction toward it in model
// axes); the slider picks one, so "what if it was 30 minutes later" needs no round trip.
const sunButton = document.getElementById('btn-sun');
const sunSlider = document.getElementById('sun-time');
const sunText = document.getElementById('sun-text');
renderer.shadowMap.enabled = true;
renderer.shadowMap.type = software ? THREE.PCFShadowMap : THREE.PCFSoftShadowMap;
sun.shadow.mapSize.set(software ? 1024 : 2048, software ? 1024 : 2048);

function sunEntry() {
  const entries = S.sunTrack?.entries ?? [];
  return entries[Math.min(entries.length - 1, Math.max(0, Number(sunSlider.value) || 0))] ?? null;
}
// Sunlight with shadows when switched on: false (and the ordinary lights) otherwise.
function placeSun() {
  const entry = S.shadows ? sunEntry() : null;
  const dir = entry ? vec(entry.direction) : null;
  sun.castShadow = Boolean(dir && entry.up);
  document.body.dataset.shadows = sun.castShadow ? '1' : '0';
  showSunText(entry);
  if (!dir) { sun.intensity = 1.7; hemi.intensity = 1.5; return false; }
  sun.intensity = entry.up ? 2.4 : 0; // below the horizon: sky light only
  hemi.intensity = entry.up ? 0.9 : 0.6;
  // An orthographic shadow camera fitted around the model's bounding sphere, along the sun.
  const r = S.diag / 2;
  sun.position.copy(S.centre).addScaledVector(dir.normalize(), S.diag);
  sun.target.position.copy(S.centre);
  sun.target.updateMatrixWorld();
  Object.assign(sun.shadow.camera, { left: -r, right: r, top: r, bottom: -r, near: 0.01 * r, far: 3 * r });
  sun.shadow.camera.updateProjectionMatrix();
  sun.shadow.bias = -0.003;
  sun.shadow.normalBias = 0.01 * S.diag; // grazing light on flat ground: no acne stripes
  sun.shadow.needsUpdate = true;
  return true;
}
function showSunText(entry) {
  sunText.hidden = !entry;
  if (!entry) return;
  sunText.textContent = entry.up
    ? tr('sun_text', { time: entry.time, azimuth: entry.azimuth_deg.toFixed(1), elevation: entry.elevation_deg.toFixed(1) })
    : tr('sun_down', { time: entry.time });
  document.body.dataset.sunTime = entry.time;
}
function applySunArg(track) {
  const valid = track && Array.isArray(track.entries) && track.entries.length ? track : null;
  const key = JSON.stringify(valid);
  if (key === S.sunKey) return;
  S.sunKey = key;
  S.sunTrack = valid;
  sunButton.hidden = sunSlider.hidden = !valid;
  if (!valid) S.shadows = false;
  else {
    sunSlider.max = String(valid.entries.length - 1);
    sunSlider.value = String(Number.isInteger(valid.index) ? valid.index : 0);
  }
  sunButton.setAttribute('aria-pressed', String(S.shadows));
  if (S.box) placeLights();
}
function markShadowCasters(root) {
  root.traverse((o) => { if (o.isMesh) { o.castShadow = true; o.receiveShadow = true; } });
}
sunButton.addEventListener('click', () => {
  S.shadows = !S.shadows && Boolean(S.sunTrack);
  sunButton.setAttribute('aria-pressed', String(S.shadows));
  if (S.box) placeLights();
  requestRender();
});
sunSlider.addEventListener('input', () => {
  if (S.box) placeLights();
  requestRender();
});

// ------------------------------------------------------------------ scene overlay
function clearOverlay() {
  clearMarks(overlay);
  clearMarks(playPaths);
  Object.assign(S, { markers: [], entityCount: 0 });
  document.body.dataset.entityCount = '0';
  document.body.dataset.frustumCount = '0';
}

function rebuildOverlay() {
  clearOverlay();
  requestRender();
  const sc = S.scene;
  if (!sc || !S.box) return;
  S.markers = drawMarks(overlay, sc, { up: axes().up, diag: S.diag, selected: sc.selected });
  S.entityCount = S.markers.length;
  document.body.dataset.entityCount = String(S.entityCount);
  document.body.dataset.frustumCount = String(cameraPoints().length / 5);
}
// The matched CCTV cameras' centres and frame corners: framing keeps them in sight, since a
// camera usually stands outside the part of the model it watches.
const cameraPoints = () => (Array.isArray(S.scene?.frustums) ? S.scene.frustums : [])
  .map((f) => [vec(f?.apex), ...(Array.isArray(f?.corners) ? f.corners : []).map(vec)])
  .filter((p) => p.length === 5 && p.every(Boolean)).flat();

// Moving between steps (Play): the points come from the app (play.js).
// Draws `paths` [{entity, colour, points}] in place of the step's own (null: the step's own
// again); returns where each drawn path ends, as a point of the model.
function drawPlayPaths(paths) {
  clearMarks(playPaths);
  for (const o of overlay.children) if (o.userData.path) o.visible = !paths;
  const ends = new Map();
  for (const path of paths ?? []) {
    const from = playPaths.children.length;
    drawMarks(playPaths, { paths: [path] }, { up: axes().up, diag: S.diag });
    const line = playPaths.children.slice(from).findLast((o) => o.isLine);
    const at = line?.geometry.getAttribute('position');
    if (at) ends.set(path.entity, new THREE.Vector3().fromBufferAttribute(at, at.count - 1)
      .addScaledVector(axes().up, -line.userData.lift));
  }
  requestRender();
  return ends;
}
// Shows one camera of the flight between two steps' views; the walker keeps their own eyes.
// Returns where the camera stands. Between frames the user may still turn the view; the next
// frame of the flight takes it back, and once landed it stays theirs. The model is cut by the
// box the video shows on the way (the step's flown to from the start, else the one flown
// from); a page with a section form keeps its own box, as it does for a saved view.
function flyTo(v) {
  if (S.box && v && 'section' in v && S.sectionArg === undefined
    && JSON.stringify(v.section ?? null) !== JSON.stringify(S.section)) setSection(v.section ?? null);
  if (S.walk || !S.box || !vec(v?.position) || !vec(v?.target)) return null;
  setView({ projection: v.projection, position: vec(v.position), target: vec(v.target), up: vec(v.up),
    fov: Number(v.fov_deg), orthoHeight: Number(v.ortho_scale) });
  return camera.position.clone();
}
const playMovement = createPlayer(
  () => S.markers, () => overlay.children.filter((o) => o.isCSS2DObject), S.up, requestRender,
  (key) => sendValue({ type: 'played', key }), { drawPaths: drawPlayPaths, fly: flyTo },
);

function applySceneArg(sc) {
  const key = JSON.stringify(sc ?? null);
  if (key === S.sceneKey) return;
  S.sceneKey = key;
  S.scene = sc && typeof sc === 'object' ? sc : null;
  S.north.copy(vec(S.scene?.north) ?? Y_AXIS);
  const eye = Number(S.scene?.eye_height);
  S.eye = Number.isFinite(eye) && eye > 0 ? eye : 1.6;
  const up = vec(S.scene?.up) ?? new THREE.Vector3(0, 0, 1);
  if (up.lengthSq() > 0 && !up.normalize().equals(S.up)) {
    S.up.copy(up);
    camera.up.copy(up);
    if (!S.walk) makeControls(controls.target.clone());
    if (S.box) placeLights();
  }
  rebuildOverlay();
}

// ------------------------------------------------------------------ views
// Walking, the eye may come close to a wall.
const setClipping = (distance) => clipPlanes(stage, S.diag, distance, S.walk ? S.eye : 0);
function setView(view) {
  if (S.walk) stopWalk();
  camera = aimCamera(stage, view, { up: S.up, diag: S.diag });
  makeControls(view.target);
  requestRender();
}

function preset(name) {
  if (!S.box) return;
  const { up, north, east } = axes();
  const c = S.centre;
  const dirs = { // from the target towards the camera
    // Looking straight down the up axis is degenerate for lookAt/OrbitControls; a tiny tilt
    // from the south keeps north at the top of the screen.
    plan: up.clone().addScaledVector(north, -1e-3),
    north, east, south: north.clone().negate(), west: east.clone().negate(),
    iso: isoDirection({ up, north, east }),
  };
  let dir = Object.hasOwn(dirs, name) ? dirs[name].clone().normalize() : null;
  let projection = name === 'iso' ? 'perspective' : 'orthographic';
  if (!dir) { // 'fit' (and unknown names): keep the current direction and projection
    dir = S.walk ? dirs.iso.clone() : camera.position.clone().sub(controls.target);
    if (dir.lengthSq() < 1e-12) dir.copy(dirs.iso);
    dir.normalize();
    projection = camera.isOrthographicCamera && !S.walk ? 'orthographic' : 'perspective';
  }
  const points = S.points?.length ? [...S.points, ...cameraPoints()] : S.points;
  if (projection === 'perspective') {
    setView(fitView(persp, points, c, dir, up) ?? sphereView(persp, c, S.diag, dir));
    return;
  }
  const framed = fitOrtho(points, c, dir, up, persp.aspect);
  const target = framed?.target ?? c.clone();
  setView({ projection, position: target.clone().addScaledVector(dir, 2 * S.diag), target });
  if (framed) { setOrthoHeight(stage, framed.height, true); return; }
  // No vertices to go by: frame the bounding box as seen in camera space.
  const size = S.box.clone().applyMatrix4(camera.matrixWorldInverse).getSize(new THREE.Vector3());
  setOrthoHeight(stage, 1.08 * Math.max(size.y, size.x / persp.aspect), true);
}

// The section box of a saved view (or the one the editor's section form asks for); null: none.
function setSection(section) {
  S.section = section && typeof section === 'object' && Array.isArray(section.planes) ? section : null;
  S.clip = applySection(S.model, S.section);
  document.body.dataset.sectionPlanes = String(S.clip.length);
  requestRender();
}

function applyCameraArg(cam) {
  if (!cam || typeof cam !== 'object' || cam.nonce === undefined || cam.nonce === S.cameraNonce) return;
  if (!S.box) { S.pendingCamera = cam; return; } // applied once the model is shown
  Object.assign(S, { cameraNonce: cam.nonce, pendingCamera: null });
  const v = cam.view;
  // A page with a section form says which section to show itself (args.section).
  if (S.sectionArg === undefined && v) setSection(v.section ?? null);
  if (!vec(v?.position) || !vec(v?.target)) { preset(String(cam.preset ?? 'fit')); return; }
  setView({ projection: v.projection, position: vec(v.position), target: vec(v.target), up: vec(v.up),
    fov: Number(v.fov_deg), orthoHeight: Number(v.ortho_scale) });
}

const lookingAt = (distance) => camera.position.clone()
  .add(camera.getWorldDirection(new THREE.Vector3()).multiplyScalar(distance));
function currentView() {
  const target = S.walk ? lookingAt(5 * S.eye) : controls.target.clone();
  const isOrtho = camera.isOrthographicCamera;
  return {
    projection: isOrtho ? 'orthographic' : 'perspective',
    position: camera.position.toArray(), target: target.toArray(), up: camera.up.toArray(),
    fov_deg: persp.fov,
    // Perspective views report the height seen at the target distance (handy to switch projection).
    ortho_scale: isOrtho ? (ortho.top - ortho.bottom) / ortho.zoom
      : 2 * camera.position.distanceTo(target) * Math.tan(THREE.MathUtils.degToRad(persp.fov) / 2),
    section: S.section ? { low: S.section.low, high: S.section.high } : null,
  };
}

// ------------------------------------------------------------------ walk mode
const MOVE_KEYS = { KeyW: [1, 0], ArrowUp: [1, 0], KeyS: [-1, 0], ArrowDown: [-1, 0], // [forward, right]
  KeyA: [0, -1], ArrowLeft: [0, -1], KeyD: [0, 1], ArrowRight: [0, 1] };
const walk = { yaw: 0, pitch: 0, feet: new THREE.Vector3(), keys: new Set(), fast: false, raf: 0, last: 0 };
const walkButton = document.getElementById('btn-walk');
// First model surface below p, searching from `rise` above it along -up.
function groundBelow(p, rise) {
  if (!S.model) return null;
  const { up } = axes();
  raycaster.set(p.clone().addScaledVector(up, rise), up.negate());
  raycaster.far = rise + 2 * S.diag;
  const hit = shownHit(raycaster.intersectObject(S.model, true), S.clip);
  raycaster.far = Infinity;
  return hit ? hit.point : null;
}
function startWalk() {
  if (!S.model || S.walk) return;
  const { up, north, east } = axes();
  const target = controls.target.clone();
  const fwd = target.clone().sub(camera.position).projectOnPlane(up);
  if (fwd.lengthSq() < 1e-12 * S.diag * S.diag) fwd.copy(north); // was looking straight down
  Object.assign(walk, { yaw: Math.atan2(fwd.dot(east), fwd.dot(north)), pitch: 0 });
  // Stand where the user last clicked (stepped off a wall), else under the orbit target; the
  // target alone is often inside a building (bounding-box centre).
  const c = S.lastClick?.mesh_id === S.meshId ? S.lastClick : null;
  const start = c ? vec(c.point).addScaledVector(vec(c.normal).projectOnPlane(up), 0.3 * S.eye) : target;
  walk.feet.copy(groundBelow(start, 0.5 * S.eye) ?? groundBelow(start, 2 * S.diag) ?? start);
  S.walk = true;
  controls.enabled = false;
  camera = persp;
  setClipping(0);
  walkButton.setAttribute('aria-pressed', 'true');
  viewport.focus({ preventScroll: true });
  setStatus();
  updateWalkCamera();
}
function stopWalk() {
  if (walk.raf) cancelAnimationFrame(walk.raf);
  Object.assign(walk, { raf: 0, look: null });
  walk.keys.clear();
  S.walk = false;
  walkButton.setAttribute('aria-pressed', 'false');
  setStatus();
}
function leaveWalk() {
  if (!S.walk) return;
  stopWalk();
  // Orbit around what the walker was looking at, so the view does not jump.
  raycaster.setFromCamera(new THREE.Vector2(0, 0), camera);
  const hit = raycaster.intersectObject(S.model, true).find((h) => h.face && h.distance < 20 * S.eye);
  const target = hit ? hit.point : lookingAt(5 * S.eye);
  setClipping(camera.position.distanceTo(target));
  makeControls(target);
  requestRender();
}
function walkFrame() {
  const { up, north, east } = axes();
  const heading = north.multiplyScalar(Math.cos(walk.yaw)).addScaledVector(east, Math.sin(walk.yaw));
  return { up, heading, right: new THREE.Vector3().crossVectors(heading, up) };
}
function updateWalkCamera() {
  const { up, heading } = walkFrame();
  const fwd = heading.clone().multiplyScalar(Math.cos(walk.pitch)).addScaledVector(up, Math.sin(walk.pitch));
  camera.up.copy(up);
  camera.position.copy(walk.feet).addScaledVector(up, S.eye);
  camera.lookAt(camera.position.clone().add(fwd));
  requestRender();
}

// Runs only while a movement key is held; otherwise nothing animates.
function walkStep(now) {
  walk.raf = 0;
  if (!S.walk || walk.keys.size === 0) return;
  const dt = Math.min(0.1, (now - walk.last) / 1000);
  walk.last = now;
  let f = 0, s = 0;
  for (const k of walk.keys) { f += MOVE_KEYS[k][0]; s += MOVE_KEYS[k][1]; }
  const { heading, right } = walkFrame();
  const move = heading.multiplyScalar(Math.sign(f)).addScaledVector(right, Math.sign(s));
  if (move.lengthSq() > 0) {
    const speed = 2 * S.eye * (walk.fast ? 5 : 1); // model units per second
    const next = walk.feet.clone().addScaledVector(move.normalize(), speed * dt);
    // Follow the surface, stepping up at most half the eye height; keep the height over gaps.
    walk.feet.copy(groundBelow(next, 0.5 * S.eye) ?? next);
  }
  updateWalkCamera();
  walk.raf = requestAnimationFrame(walkStep);
}

const STEP_KEYS = new Set(['ArrowLeft', 'ArrowRight']);
window.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && S.walk) { leaveWalk(); return; }
  if (S.tool === 'present' && !S.walk && STEP_KEYS.has(e.key)) {
    // The page's step buttons listen on the page, not in this frame: after a click in the 3D
    // view the presenter's arrow keys would otherwise stop stepping. Tell the app instead.
    e.preventDefault();
    sendValue({ type: 'step', mesh_id: S.meshId, delta: e.key === 'ArrowRight' ? 1 : -1 });
    return;
  }
  if (!S.walk || !(e.code in MOVE_KEYS)) return;
  e.preventDefault();
  walk.keys.add(e.code); walk.fast = e.shiftKey;
  if (!walk.raf) { walk.last = performance.now(); walk.raf = requestAnimationFrame(walkStep); }
});
window.addEventListener('keyup', (e) => { walk.keys.delete(e.code); walk.fast = e.shiftKey; });
window.addEventListener('blur', () => walk.keys.clear());

// ------------------------------------------------------------------ pointer: clicks, walk look
const pointers = new Map(); // pointerId -> {x, y, t, valid}
canvas.addEventListener('pointerdown', (e) => {
  viewport.focus({ preventScroll: true });
  for (const p of pointers.values()) p.valid = false; // multi-touch gestures are not clicks
  const valid = e.button === 0 && !pointers.size;
  pointers.set(e.pointerId, { x: e.clientX, y: e.clientY, t: performance.now(), valid });
  if (!S.walk || e.button !== 0) return;
  walk.look = { x: e.clientX, y: e.clientY }; // drag to look; the capture keeps it going off-canvas
  canvas.setPointerCapture(e.pointerId);
});
canvas.addEventListener('pointermove', (e) => {
  if (!S.walk || !walk.look) return;
  walk.yaw += (e.clientX - walk.look.x) * 0.005; // drag right turns right
  walk.pitch = THREE.MathUtils.clamp(walk.pitch - (e.clientY - walk.look.y) * 0.005, -1.45, 1.45);
  walk.look = { x: e.clientX, y: e.clientY };
  updateWalkCamera();
});
canvas.addEventListener('pointerup', (e) => {
  walk.look = null;
  const p = pointers.get(e.pointerId);
  pointers.delete(e.pointerId);
  // A click is a short, nearly stationary press; anything else was a drag (orbit, pan, look).
  if (p?.valid && Math.hypot(e.clientX - p.x, e.clientY - p.y) < 5 && performance.now() - p.t < 400) pick(e);
});
canvas.addEventListener('pointercancel', (e) => { pointers.delete(e.pointerId); walk.look = null; });

function pick(e) {
  if (!S.model) return;
  const rect = canvas.getBoundingClientRect();
  raycaster.setFromCamera(new THREE.Vector2(((e.clientX - rect.left) / rect.width) * 2 - 1,
    -((e.clientY - rect.top) / rect.height) * 2 + 1), camera);
  // three starts orthographic rays at NDC depth (near+far)/(near-far), the camera plane for our
  // symmetric near/far: start them at the near plane (behind the camera) so nothing is missed.
  if (camera.isOrthographicCamera) raycaster.ray.origin.addScaledVector(raycaster.ray.direction, ortho.near);
  if (S.tool === 'present') return; // read-only: a click in court changes nothing
  const hit = shownHit(raycaster.intersectObject(S.model, true), S.clip);
  if (!hit) return; // empty space (or only parts a section cut away): nothing to report
  const normalMatrix = new THREE.Matrix3().getNormalMatrix(hit.object.matrixWorld);
  const normal = hit.face.normal.clone().applyNormalMatrix(normalMatrix);
  if (normal.dot(raycaster.ray.direction) > 0) normal.negate(); // double-sided: the side facing the viewer
  const marker = raycaster.intersectObjects(S.markers, true)[0];
  const onMarker = marker && marker.distance <= hit.distance + 0.05 * S.diag;
  S.lastClick = { type: 'click', mesh_id: S.meshId, point: hit.point.toArray(), normal: normal.toArray(),
    face: hit.faceIndex ?? null, entity: onMarker ? marker.object.userData.entityId ?? null : null,
    ray: { origin: raycaster.ray.origin.toArray(), direction: raycaster.ray.direction.toArray() } };
  sendValue(S.lastClick);
}

// ------------------------------------------------------------------ toolbar
// View buttons act locally; only "Save view" talks to Python.
for (const b of document.querySelectorAll('[data-preset]')) {
  b.addEventListener('click', () => preset(b.dataset.preset));
}
walkButton.addEventListener('click', () => (S.walk ? leaveWalk() : startWalk()));
const stereoButton = document.getElementById('btn-stereo');
function showStereo() {
  const on = stereo.mode !== 'off';
  // The text stays one word so that the toolbar (and the view under it) keeps its size.
  stereoButton.title = on ? `${tr('stereo')}: ${tr(stereo.mode)}` : tr('stereo_title');
  stereoButton.setAttribute('aria-pressed', String(on));
  document.body.dataset.stereo = stereo.mode; // read by the browser tests
}
stereoButton.addEventListener('click', () => loadStereo().then(() => {
  stereo.next();
  showStereo();
  requestRender();
}));
showStereo();
// Where "Enter VR" puts the viewer: a witness's place at the step, standing on the ground.
function vrPlace() {
  const { up, north } = axes();
  const people = S.markers.filter((m) => m.userData.person);
  const chosen = people.find((m) => m.userData.entityId === S.scene?.selected)
    ?? people.find((m) => m.userData.type === 'witness') ?? people[0];
  const click = S.lastClick?.mesh_id === S.meshId ? vec(S.lastClick.point) : null;
  const spot = chosen?.userData.point ?? click ?? controls.target.clone();
  const feet = groundBelow(spot, 0.5 * S.eye) ?? spot;
  const heading = controls.target.clone().sub(feet).projectOnPlane(up);
  if (heading.lengthSq() < 1e-12 * S.diag * S.diag) heading.copy(north);
  return { feet, up, heading: heading.normalize(), eye: S.eye };
}
let stereoLoaded = null;
function loadStereo() {
  stereoLoaded ??= import('./stereo.js').then(({ createStereo, createVrButton }) => {
    stereo = createStereo(renderer);
    sizeStereo();
    createVrButton(renderer, persp, scene, vrPlace, renderNow).then((b) => b && viewport.appendChild(b));
  });
  return stereoLoaded;
}
// Without a model to show (none given, or it cannot be read) nothing else would load them.
setTimeout(loadStereo, 3000);
document.getElementById('btn-save').addEventListener('click', () => {
  if (S.model) sendValue({ type: 'camera', mesh_id: S.meshId, view: currentView() });
});

// ------------------------------------------------------------------ args from Python
function applyTheme(t) { // follow Streamlit's light/dark theme in the toolbar and status line
  if (t?.textColor) document.documentElement.style.setProperty('--fg', t.textColor);
  if (t?.backgroundColor) document.documentElement.style.setProperty('--bg', t.backgroundColor);
}
function setHeight(value) {
  const h = Number(value);
  // 0: a view started ahead of its page (viewer/scene3d.py prepare_view), not shown yet.
  const height = h === 0 ? 0 : Number.isFinite(h) && h >= 120 ? Math.round(h) : 560;
  if (height === S.height) return;
  S.height = height;
  document.body.style.height = `${height}px`;
  document.body.inert = height === 0; // unseen, so out of the keyboard's way too
  post('streamlit:setFrameHeight', { height });
}
function setTool(tool) {
  S.tool = Object.hasOwn(TOOL_CURSORS, tool) ? tool : 'navigate';
  canvas.style.cursor = TOOL_CURSORS[S.tool];
  document.body.dataset.tool = S.tool; // what a click means now (read by the browser tests)
  document.getElementById('btn-save').hidden = S.tool === 'present';
  setStatus();
}

window.addEventListener('message', (e) => {
  const d = e.data;
  if (e.source !== window.parent || d?.type !== 'streamlit:render') return;
  if (S.blanked) return; // signed out for inactivity: show nothing more
  const args = d.args ?? {};
  applyTheme(d.theme);
  applyLabels(args.labels);
  // Court mode: labels large enough to read across a courtroom (styled in index.html).
  document.body.classList.toggle('large-labels', args.large_labels === true);
  setHeight(args.height);
  setTool(args.tool);
  applySceneArg(args.scene);
  applySunArg(args.scene?.sun);
  playMovement(args.scene?.movement);
  const id = typeof args.mesh_id === 'string' && args.mesh_id ? args.mesh_id : null;
  if (!id && !S.wantedId) setStatus('no_model');
  const levels = Array.isArray(args.levels) ? args.levels.filter((x) => typeof x === 'string' && x) : [];
  const chain = id ? (levels.includes(id) ? levels : [id]) : [];
  const bytesId = typeof args.mesh_for === 'string' && args.mesh_for ? args.mesh_for : id;
  onMeshArgs(chain, bytesId, args.mesh ?? args.mesh_b64 ?? null);
  applyCameraArg(args.camera);
  if (args.section !== undefined) {
    const key = JSON.stringify(args.section);
    if (key !== S.sectionArg) { S.sectionArg = key; setSection(args.section); }
  }
  requestRender();
});

// ------------------------------------------------------------------ session guard hooks
window.__bsuLastActivity = Date.now();
for (const type of ['pointerdown', 'pointermove', 'keydown', 'wheel']) {
  window.addEventListener(type, () => { window.__bsuLastActivity = Date.now(); },
    { capture: true, passive: true });
}
window.__bsuBlank = () => {
  S.blanked = true;
  dropModel();
  S.scene = null;
  dbPromise?.then((db) => db.close()).catch(() => {});
  dbPromise = null;
  document.body.dataset.blanked = '1';
  renderNow();
};

setTool('navigate');
post('streamlit:componentReady', { apiVersion: 1 });

// ------------------------------------------------------------------ linked views (link.js)
// camera.link names a group of views (accounts side by side) that follow each other's camera.
createCameraLink(
  () => (S.model && !S.walk ? currentView() : null),
  (view) => {
    if (!S.box || S.walk) return false;
    setView(view);
    return true;
  },
);
