// scene3d: Streamlit custom component (components v1 protocol; plain ES modules, no bundler) that
// shows a landmark model with three.js and talks both ways with Python.
//
// Args: mesh_id (SHA-256 of the GLB); mesh (GLB bytes, delivered as a Uint8Array; base64 text in
// mesh_b64 also works), sent only after need_mesh; scene {up, north, eye_height, entities, paths,
// measurements, sightlines, selected}; camera {nonce, preset | view}; tool ('present' is read-only: no
// clicks, no Save view); height (px).
// Value (JSON; the latest event wins; each carries a fresh, increasing integer nonce, and
// `displayed` {mesh_id, source, at}: the model on screen now, `at` naming that display, or null,
// so that Python records every display even when a later event supersedes `ready`):
//   {type: 'need_mesh', mesh_id}        neither shown nor in IndexedDB: please pass `mesh`
//   {type: 'ready', mesh_id, load_ms, triangles, source: 'python' | 'cache'}   first frame drawn
//   {type: 'click', mesh_id, point, normal, face, entity}   short click on the model, world coords
//   {type: 'camera', mesh_id, view: {projection, position, target, up, fov_deg, ortho_scale}}
//   {type: 'error', mesh_id, message}   the GLB passed in could not be parsed
//   {type: 'step', mesh_id, delta}      tool 'present': an arrow key pressed in the view (±1)
// For the page's session guard (viewer/components/guard): window.__bsuLastActivity (ms of the
// last pointer, key or wheel event in this view) and window.__bsuBlank() (the idle sign-out:
// drop the model and the scene from the page and close the mesh cache).
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { CSS2DRenderer, CSS2DObject } from 'three/addons/renderers/CSS2DRenderer.js';
import { createStereo, createVrButton } from './stereo.js';

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
  scene: null, sceneKey: undefined, height: 0, tool: 'navigate',
  up: new THREE.Vector3(0, 0, 1), north: new THREE.Vector3(0, 1, 0), eye: 1.6,
  wantedId: null, phase: null, // phase of wantedId: idb | asked | parsing | shown | failed
  meshId: null, model: null, box: null, centre: new THREE.Vector3(), diag: 1, triangles: 0,
  markers: [], entityCount: 0, renders: 0, lastClick: null,
  cameraNonce: undefined, pendingCamera: null, readyPending: null, walk: false, modelStatus: ['starting', {}],
  displayed: null, blanked: false,
};

// Read-only hooks for tests.
Object.defineProperty(window, '__scene3d', { writable: false, configurable: false, value: Object.freeze({
  get meshId() { return S.meshId; }, get triangles() { return S.triangles; },
  get entityCount() { return S.entityCount; }, get renders() { return S.renders; },
  get lastClick() { return S.lastClick && structuredClone(S.lastClick); },
  get stereo() { return stereo.mode; },
}) });

// ------------------------------------------------------------------ renderer, scene, cameras
const viewport = document.getElementById('viewport');
const statusEl = document.getElementById('status');

// Software WebGL (SwiftShader, llvmpipe) pays for every pixel: no MSAA and 1x pixel ratio there.
const software = (() => {
  const gl = document.createElement('canvas').getContext('webgl2');
  const ext = gl?.getExtension('WEBGL_debug_renderer_info');
  const name = ext ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : '';
  gl?.getExtension('WEBGL_lose_context')?.loseContext();
  return /swiftshader|llvmpipe|software/i.test(name);
})();
const renderer = new THREE.WebGLRenderer({ antialias: !software });
renderer.setPixelRatio(software ? 1 : Math.min(window.devicePixelRatio || 1, 2));
const canvas = viewport.appendChild(renderer.domElement);
canvas.addEventListener('webglcontextrestored', () => requestRender()); // three restores its state
const stereo = createStereo(renderer);

const labelRenderer = new CSS2DRenderer();
labelRenderer.domElement.className = 'labels';
Object.assign(labelRenderer.domElement.style, { position: 'absolute', left: '0', top: '0' });
viewport.appendChild(labelRenderer.domElement);

const scene = new THREE.Scene();
scene.background = new THREE.Color(0xdfe3e8);
// Hemisphere (sky/ground fill) plus one sun, so untextured surfaces still show their form.
const hemi = new THREE.HemisphereLight(0xffffff, 0x6f6a60, 1.5);
const sun = new THREE.DirectionalLight(0xffffff, 1.7);
const overlay = new THREE.Group();
scene.add(hemi, sun, sun.target, overlay);

const persp = new THREE.PerspectiveCamera(50, 1, 0.01, 1000);
const ortho = new THREE.OrthographicCamera(-1, 1, 1, -1, 0, 1000);
let camera = persp;
let controls = null;
const raycaster = new THREE.Raycaster();

// Render on demand only: a continuous loop makes big meshes unusable under SwiftShader.
let frameQueued = false;
function requestRender() {
  if (!frameQueued) { frameQueued = true; requestAnimationFrame(renderNow); }
}
function renderNow() {
  frameQueued = false;
  if (renderer.xr.isPresenting) {
    renderer.render(scene, persp);
  } else if (!stereo.render(scene, camera, S.eye, focusDistance())) {
    renderer.render(scene, camera);
  }
  // Labels are drawn once, flat: in a stereo picture they would sit at the wrong depth.
  labelRenderer.domElement.style.visibility = stereo.mode === 'off' ? '' : 'hidden';
  labelRenderer.render(scene, camera);
  S.renders++;
  if (!S.readyPending) return;
  const { t0, ...ready } = S.readyPending;
  S.readyPending = null;
  // Report on the next frame, i.e. once the first frame with the mesh has been presented.
  requestAnimationFrame(() => {
    if (S.meshId === ready.mesh_id) sendValue({ ...ready, load_ms: Math.round(performance.now() - t0) });
  });
}

// Where the stereo eyes converge: the orbit target, or five eye heights ahead when walking.
function focusDistance() {
  return S.walk ? 5 * S.eye : camera.position.distanceTo(controls.target);
}

function resize() {
  const w = Math.max(1, viewport.clientWidth), h = Math.max(1, viewport.clientHeight);
  [renderer, labelRenderer].forEach((x) => x.setSize(w, h));
  stereo.setSize(w, h);
  persp.aspect = w / h;
  persp.updateProjectionMatrix();
  setOrthoHeight(ortho.top - ortho.bottom, false);
  requestRender();
}
new ResizeObserver(resize).observe(viewport);

// ortho_scale = visible height in model units; OrbitControls zooms an orthographic camera via .zoom.
function setOrthoHeight(height, resetZoom) {
  const h = Math.max(height, 1e-9) / 2;
  Object.assign(ortho, { top: h, bottom: -h, left: -h * persp.aspect, right: h * persp.aspect });
  if (resetZoom) ortho.zoom = 1;
  ortho.updateProjectionMatrix();
}

// OrbitControls caches the camera's up axis when constructed, so it is rebuilt whenever the
// camera object or its up vector changes.
function makeControls(target) {
  controls?.dispose();
  controls = new OrbitControls(camera, canvas);
  controls.target.copy(target);
  // No damping: it needs a continuous render loop.
  Object.assign(controls, { enableDamping: false, zoomToCursor: true, enabled: !S.walk });
  controls.addEventListener('change', requestRender);
  controls.update();
}
makeControls(new THREE.Vector3());

// ------------------------------------------------------------------ helpers
const Y_AXIS = new THREE.Vector3(0, 1, 0);
const vec = (a) => (Array.isArray(a) && a.length === 3 && a.every(Number.isFinite)
  ? new THREE.Vector3(a[0], a[1], a[2]) : null);
const list = (x) => (Array.isArray(x) ? x : []);
const hasText = (t) => t != null && String(t) !== '';
function colourOf(c, fallback) {
  const col = new THREE.Color(fallback);
  if (typeof c === 'string' && c.trim()) col.setStyle(c.trim()); // unknown names keep the fallback
  return col;
}

// Orthonormal frame from the scene's up and north; east = north x up (right-handed).
function axes() {
  const up = S.up.clone().normalize();
  let north = S.north.clone().projectOnPlane(up);
  if (north.lengthSq() < 1e-12) north = new THREE.Vector3(1, 0, 0).projectOnPlane(up);
  if (north.lengthSq() < 1e-12) north = Y_AXIS.clone().projectOnPlane(up);
  north.normalize();
  return { up, north, east: new THREE.Vector3().crossVectors(north, up).normalize() };
}

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
  hint_present: 'Read-only: drag to orbit, right-drag to pan, wheel to zoom.',
  hint_walk: 'Walk: W A S D / arrow keys move (Shift = faster), drag to look, Esc leaves.',
};
const words = { ...LABELS };
// `{name}` placeholders are filled with text, never parsed as markup.
const tr = (key, values = {}) => (words[key] ?? LABELS[key] ?? key)
  .replace(/\{(\w+)\}/g, (m, name) => (name in values ? String(values[name]) : m));
const TOOL_CURSORS = { navigate: 'grab', place: 'crosshair', measure: 'crosshair',
  sightline: 'crosshair', present: 'grab' };

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
  setStatus();
  showStereo();
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
function onMeshArgs(id, bytes) {
  if (S.blanked || !id || id === S.meshId) return; // already shown (or signed out): nothing to do
  if (id !== S.wantedId) {
    clearModel();
    Object.assign(S, { wantedId: id, phase: 'idb' });
    setStatus('loading');
    if (!bytes) { lookupCache(id); return; }
  }
  // Bytes are honoured for the wanted id unless already being parsed (or known to be unreadable).
  const buf = bytes && S.phase !== 'parsing' && S.phase !== 'failed' ? toArrayBuffer(bytes) : null;
  if (buf) loadBytes(id, buf, 'python');
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

function loadBytes(id, buf, source) {
  S.phase = 'parsing';
  const t0 = performance.now();
  setStatus('reading', { size: (buf.byteLength / 1e6).toFixed(1) });
  new GLTFLoader().parse(buf, '', (gltf) => {
    if (S.wantedId !== id) return; // another mesh was asked for meanwhile
    showModel(id, gltf.scene, t0, source);
    if (source === 'python') idbPut(id, buf);
  }, (err) => {
    if (S.wantedId !== id) return;
    console.error('scene3d: GLB parse failed', err);
    if (source === 'cache') { idbDelete(id); askForMesh(id); return; } // bad cache entry
    const message = String(err?.message ?? err);
    S.phase = 'failed';
    setStatus('unreadable', { message });
    sendValue({ type: 'error', mesh_id: id, message });
  });
}
function tuneMaterial(m) {
  // glTF's default material is fully metallic: near-black without an environment map, and
  // survey models are not metal.
  if (m.isMeshStandardMaterial && !m.metalnessMap && m.metalness > 0.5) m.metalness = 0.1;
  m.side = THREE.DoubleSide; // scans are often open shells: draw and hit both sides
}
const disposeTree = (root) => root.traverse((o) => {
  o.geometry?.dispose();
  for (const m of [].concat(o.material ?? [])) {
    Object.values(m).forEach((v) => v?.isTexture && v.dispose());
    m.dispose();
  }
});

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
  clearModel();
  let tris = 0;
  root.traverse((o) => {
    if (!o.isMesh) return;
    tris += (o.geometry.index ?? o.geometry.attributes.position).count / 3;
    [].concat(o.material).forEach(tuneMaterial);
  });
  scene.add(root);
  root.updateMatrixWorld(true);
  S.box = new THREE.Box3().setFromObject(root);
  S.box.getCenter(S.centre);
  S.diag = S.box.getSize(new THREE.Vector3()).length() || 1;
  Object.assign(S, { model: root, meshId: id, phase: 'shown', triangles: Math.round(tris) });
  lastNonce = Math.max(lastNonce + 1, Date.now() * 1000);
  S.displayed = { mesh_id: id, source: source === 'cache' ? 'cache' : 'server', at: lastNonce };
  placeLights();
  rebuildOverlay();
  if (S.pendingCamera) applyCameraArg(S.pendingCamera);
  else preset('iso');
  document.body.dataset.meshLoaded = id;
  setStatus(source === 'cache' ? 'triangles_cached' : 'triangles',
    { count: S.triangles.toLocaleString('en') });
  S.readyPending = { type: 'ready', mesh_id: id, triangles: S.triangles, source, t0 };
  requestRender();
}
function placeLights() {
  const { up, north, east } = axes();
  hemi.position.copy(up); // the sky colour comes from +position
  // Sun from the south-east, high: it lights the faces the default iso view shows.
  const dir = east.multiplyScalar(0.6).addScaledVector(north, -0.8).addScaledVector(up, 1.5).normalize();
  sun.position.copy(S.centre).addScaledVector(dir, S.diag);
  sun.target.position.copy(S.centre);
  sun.target.updateMatrixWorld();
}

// ------------------------------------------------------------------ scene overlay
const PEOPLE = new Set(['suspect', 'victim', 'witness', 'officer']);
function clearOverlay() {
  // remove() one by one: a CSS2DObject drops its DOM element on its own 'removed' event.
  for (const o of [...overlay.children]) { overlay.remove(o); disposeTree(o); }
  Object.assign(S, { markers: [], entityCount: 0 });
  document.body.dataset.entityCount = '0';
}

// [geometry, half its height along Y] so that the marker can rest on its point.
function markerGeometry(type, r) {
  const t = String(type ?? '').toLowerCase();
  if (PEOPLE.has(t)) return [new THREE.SphereGeometry(r, 20, 14), r];
  if (t === 'vehicle') return [new THREE.BoxGeometry(1.7 * r, 1.7 * r, 1.7 * r), 0.85 * r];
  if (t === 'evidence') return [new THREE.ConeGeometry(0.8 * r, 2 * r, 16), r];
  if (t === 'camera') return [new THREE.OctahedronGeometry(1.1 * r), 1.1 * r];
  return [new THREE.TetrahedronGeometry(1.2 * r), 0.7 * r];
}
function addLabel(text, position, className, colour, centreY = 1) {
  const el = document.createElement('div');
  el.className = `label ${className}`;
  el.textContent = String(text); // user text (may be Chinese): never innerHTML
  if (colour) el.style.borderColor = `#${colour.getHexString()}`;
  const obj = new CSS2DObject(el);
  obj.position.copy(position);
  obj.center.set(0.5, centreY);
  overlay.add(obj);
}

const basic = (colour) => new THREE.MeshBasicMaterial({ color: colour });
const polyline = (pts, colour) => new THREE.Line(new THREE.BufferGeometry().setFromPoints(pts),
  new THREE.LineBasicMaterial({ color: colour }));

// Place a Y-axis geometry between/along points: cylinders for segments, cones for arrows.
function alongY(geometry, colour, from, to) {
  const m = new THREE.Mesh(geometry, basic(colour));
  m.position.copy(from).add(to).multiplyScalar(0.5);
  m.quaternion.setFromUnitVectors(Y_AXIS, to.clone().sub(from).normalize());
  overlay.add(m);
}
// A thin cylinder (thickness when close) plus a 1 px line (never vanishes when far away).
function addSegment(a, b, radius, colour) {
  const len = a.distanceTo(b);
  if (len < 1e-9) return;
  alongY(new THREE.CylinderGeometry(radius, radius, len, 8, 1, true), colour, a, b);
  overlay.add(polyline([a, b], colour));
}
function addBall(p, radius, colour) {
  const m = new THREE.Mesh(new THREE.SphereGeometry(radius, 14, 10), basic(colour));
  m.position.copy(p);
  overlay.add(m);
}

function rebuildOverlay() {
  clearOverlay();
  requestRender();
  const sc = S.scene;
  if (!sc || !S.box) return;
  const { up } = axes();
  const r = 0.012 * S.diag; // marker size relative to the model
  const upRot = new THREE.Quaternion().setFromUnitVectors(Y_AXIS, up);
  for (const e of list(sc.entities)) {
    const p = vec(e?.point);
    if (!p) continue;
    const selected = sc.selected != null && e.id === sc.selected;
    const colour = colourOf(e.colour, '#777777');
    const [geometry, half] = markerGeometry(e.type, r);
    const mesh = new THREE.Mesh(geometry, new THREE.MeshStandardMaterial({
      color: colour, roughness: 0.55, metalness: 0, emissive: colour, emissiveIntensity: selected ? 0.6 : 0.25,
    }));
    const scale = selected ? 1.5 : 1;
    mesh.scale.setScalar(scale);
    mesh.quaternion.copy(upRot);
    mesh.position.copy(p).addScaledVector(up, half * scale); // rest on the point
    Object.assign(mesh.userData, { entityId: e.id, type: e.type, person: PEOPLE.has(e.type), point: p.clone() });
    overlay.add(mesh);
    S.markers.push(mesh);
    const labelAt = p.clone().addScaledVector(up, 2 * half * scale + 0.4 * r);
    if (hasText(e.label)) addLabel(e.label, labelAt, selected ? 'selected' : '', colour);
  }
  for (const path of list(sc.paths)) {
    // Lifted a little so a path drawn on the ground does not z-fight with it.
    const pts = list(path?.points).map(vec).filter(Boolean).map((q) => q.addScaledVector(up, 0.25 * r));
    if (pts.length < 2) continue;
    const colour = colourOf(path.colour, '#2c7bb6');
    const step = Math.max(1, Math.ceil((pts.length - 1) / 40)); // at most ~40 arrows
    if (pts.length > 400) overlay.add(polyline(pts, colour)); // long tracks: a plain line is enough
    for (let i = 0; i + 1 < pts.length; i++) {
      if (pts.length <= 400) addSegment(pts[i], pts[i + 1], 0.15 * r, colour);
      if (i % step === 0 && pts[i].distanceTo(pts[i + 1]) > 1e-9) {
        alongY(new THREE.ConeGeometry(0.45 * r, 1.3 * r, 12), colour, pts[i], pts[i + 1]);
      }
    }
  }
  const amber = new THREE.Color('#f0b400');
  for (const m of list(sc.measurements)) {
    const a = vec(m?.a), b = vec(m?.b);
    if (!a || !b) continue;
    addSegment(a, b, 0.12 * r, amber);
    [a, b].forEach((q) => addBall(q, 0.3 * r, amber));
    if (hasText(m.text)) addLabel(m.text, a.clone().add(b).multiplyScalar(0.5), 'measure', null, 0.5);
  }
  for (const s of list(sc.sightlines)) {
    const eye = vec(s?.eye), target = vec(s?.target);
    if (!eye || !target) continue;
    const colour = new THREE.Color(s.visible ? '#1a9850' : '#d73027');
    addSegment(eye, target, 0.1 * r, colour);
    addBall(eye, 0.3 * r, colour);
    const occluder = vec(s.occluder);
    if (occluder) addBall(occluder, 0.5 * r, new THREE.Color('#67001f'));
  }
  S.entityCount = S.markers.length;
  document.body.dataset.entityCount = String(S.entityCount);
}

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
function setClipping(distance) {
  const d = S.diag;
  Object.assign(persp, { near: S.walk ? Math.min(d / 2000, S.eye / 10) : d / 2000, far: d * 50 + distance });
  persp.updateProjectionMatrix();
  // Orthographic depth is linear: a near plane behind the camera costs nothing and keeps the
  // whole model visible wherever the camera sits along its view axis.
  Object.assign(ortho, { near: -(d * 10 + distance), far: d * 10 + distance });
  ortho.updateProjectionMatrix();
}
function setView({ projection, position, target, up, fov, orthoHeight }) {
  if (S.walk) stopWalk();
  camera = projection === 'orthographic' ? ortho : persp;
  camera.up.copy(up && up.lengthSq() > 0 ? up.clone().normalize() : S.up);
  if (Number.isFinite(fov) && fov > 1 && fov < 170) persp.fov = fov;
  if (camera === ortho) setOrthoHeight(orthoHeight > 0 ? orthoHeight : S.diag, true); // NaN > 0 is false
  camera.position.copy(position);
  setClipping(position.distanceTo(target));
  camera.lookAt(target);
  camera.updateMatrixWorld();
  makeControls(target);
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
    iso: east.clone().sub(north).normalize().multiplyScalar(Math.cos(0.6)).addScaledVector(up, Math.sin(0.6)),
  };
  let dir = Object.hasOwn(dirs, name) ? dirs[name].clone().normalize() : null;
  let projection = name === 'iso' ? 'perspective' : 'orthographic';
  if (!dir) { // 'fit' (and unknown names): keep the current direction and projection
    dir = S.walk ? dirs.iso.clone() : camera.position.clone().sub(controls.target);
    if (dir.lengthSq() < 1e-12) dir.copy(dirs.iso);
    dir.normalize();
    projection = camera.isOrthographicCamera && !S.walk ? 'orthographic' : 'perspective';
  }
  if (projection === 'perspective') {
    const v = THREE.MathUtils.degToRad(persp.fov);
    const h = 2 * Math.atan(Math.tan(v / 2) * persp.aspect);
    const distance = (0.5 * S.diag) / Math.sin(Math.min(v, h) / 2); // bounding sphere fits
    setView({ projection, position: c.clone().addScaledVector(dir, distance), target: c.clone() });
    return;
  }
  setView({ projection, position: c.clone().addScaledVector(dir, 2 * S.diag), target: c.clone() });
  // Frame the bounding box as seen in camera space (x across, y up the screen).
  const size = S.box.clone().applyMatrix4(camera.matrixWorldInverse).getSize(new THREE.Vector3());
  setOrthoHeight(1.08 * Math.max(size.y, size.x / persp.aspect), true);
}

function applyCameraArg(cam) {
  if (!cam || typeof cam !== 'object' || cam.nonce === undefined || cam.nonce === S.cameraNonce) return;
  if (!S.box) { S.pendingCamera = cam; return; } // applied once the model is shown
  Object.assign(S, { cameraNonce: cam.nonce, pendingCamera: null });
  const v = cam.view;
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
  const hit = raycaster.intersectObject(S.model, true).find((h) => h.face);
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
  const hit = raycaster.intersectObject(S.model, true).find((h) => h.face);
  if (!hit) return; // empty space: nothing to report
  const normalMatrix = new THREE.Matrix3().getNormalMatrix(hit.object.matrixWorld);
  const normal = hit.face.normal.clone().applyNormalMatrix(normalMatrix);
  if (normal.dot(raycaster.ray.direction) > 0) normal.negate(); // double-sided: the side facing the viewer
  const marker = raycaster.intersectObjects(S.markers, false)[0];
  const onMarker = marker && marker.distance <= hit.distance + 0.05 * S.diag;
  S.lastClick = { type: 'click', mesh_id: S.meshId, point: hit.point.toArray(), normal: normal.toArray(),
    face: hit.faceIndex ?? null, entity: onMarker ? marker.object.userData.entityId ?? null : null };
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
stereoButton.addEventListener('click', () => {
  stereo.next();
  showStereo();
  requestRender();
});
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
createVrButton(renderer, persp, scene, vrPlace, renderNow).then((b) => b && viewport.appendChild(b));
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
  const height = Number.isFinite(h) && h >= 120 ? Math.round(h) : 560;
  if (height === S.height) return;
  S.height = height;
  document.body.style.height = `${height}px`;
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
  setHeight(args.height);
  setTool(args.tool);
  applySceneArg(args.scene);
  const id = typeof args.mesh_id === 'string' && args.mesh_id ? args.mesh_id : null;
  if (!id && !S.wantedId) setStatus('no_model');
  onMeshArgs(id, args.mesh ?? args.mesh_b64 ?? null);
  applyCameraArg(args.camera);
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
  clearModel();
  S.scene = null;
  Object.assign(S, { wantedId: null, phase: null });
  dbPromise?.then((db) => db.close()).catch(() => {});
  dbPromise = null;
  document.body.dataset.blanked = '1';
  setStatus('no_model');
  renderNow();
};

setTool('navigate');
post('streamlit:componentReady', { apiVersion: 1 });
