// Offline exhibit viewer: a read-only copy of one re-enactment scene, inlined into a single HTML
// file by bsu_models/court/offline_viewer.py and opened from a USB stick (file://, no network, no
// server). The page holds the scene (#bsu-data, JSON), the model (#bsu-glb, base64 GLB) and
// three.js; its classic bootstrap script turns the embedded modules into blob: URLs and imports
// this one. Drawing follows the web viewer (viewer/components/scene3d/static/main.js) so that
// markers look the same in both; everything that edits or reports back is left out.
//
// The page's own words come in its language: the HTML is written in it, and the words this script
// writes itself are in #bsu-words (JSON, by key). The English below only stands in for a word that
// is missing there; no other language is written in this file.
//
// Test hooks: body[data-ready="1"] once the first frame with the model is on screen,
// body[data-step] = the shown step's number, window.__bsuViewer = {stepCount}.
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { CSS2DRenderer, CSS2DObject } from 'three/addons/renderers/CSS2DRenderer.js';

const $ = (id) => document.getElementById(id);
const list = (x) => (Array.isArray(x) ? x : []);
const hasText = (t) => t != null && String(t) !== '';
const Y_AXIS = new THREE.Vector3(0, 1, 0);
const vec = (a) => (Array.isArray(a) && a.length === 3 && a.every(Number.isFinite)
  ? new THREE.Vector3(a[0], a[1], a[2]) : null);
function colourOf(c, fallback) {
  const col = new THREE.Color(fallback);
  if (typeof c === 'string' && /^#[0-9a-f]{6}$/i.test(c.trim())) col.setStyle(c.trim());
  return col;
}

const DATA = JSON.parse($('bsu-data').textContent);

// ------------------------------------------------------------------ words
const ENGLISH = {
  step_of: 'Step {number} of {count}',
  step_of_selection: 'Step {number} ({index} of {count})',
  no_steps: 'The model only: this exhibit has no re-enactment steps.',
  no_webgl: 'This browser could not start 3D graphics (WebGL), so the model cannot be shown. '
    + 'The steps, entities and facts beside it are complete.',
  bad_model: 'The model in this file could not be read ({reason}). '
    + 'The steps, entities and facts beside it are complete.',
  sensitive: 'Sensitive',
  types: {
    suspect: 'Suspect', victim: 'Victim', witness: 'Witness', officer: 'Officer',
    vehicle: 'Vehicle', evidence: 'Evidence', camera: 'Camera / CCTV', other: 'Other',
  },
  provenance: {
    measured: 'Measured on site', cctv: 'CCTV', witness_statement: 'Witness statement',
    assumption: 'Assumption',
  },
};
// Each word of `fallback` from `given` where it has it (as text), else the fallback's.
function wordsFrom(fallback, given) {
  const has = (key) => given !== null && typeof given === 'object' && Object.hasOwn(given, key);
  return Object.fromEntries(Object.entries(fallback).map(([key, word]) => [key,
    typeof word === 'object' ? wordsFrom(word, has(key) ? given[key] : null)
      : (has(key) && typeof given[key] === 'string' ? given[key] : word)]));
}
const WORDS = (() => {
  try {
    return wordsFrom(ENGLISH, JSON.parse($('bsu-words')?.textContent ?? 'null'));
  } catch {
    return ENGLISH;
  }
})();
// A word with its {placeholders} filled in.
const fill = (word, values) => word.replace(/\{(\w+)\}/g,
  (all, name) => (Object.hasOwn(values, name) ? String(values[name]) : all));
const steps = list(DATA.steps).filter((s) => s && typeof s === 'object');
Object.defineProperty(window, '__bsuViewer', {
  value: Object.freeze({ stepCount: steps.length }), writable: false, configurable: false,
});

function showMessage(text) {
  const p = document.createElement('p');
  p.className = 'message';
  p.textContent = text;
  $('viewport').replaceChildren(p);
  document.body.dataset.error = '1';
}

// ------------------------------------------------------------------ step panel (works without 3D)
const TYPE_NAMES = WORDS.types;
const PROVENANCE_NAMES = WORDS.provenance;
const nameOf = (names, key) => (Object.hasOwn(names, key) ? names[key] : String(key ?? ''));

let current = -1;
let view = null; // the 3D view, once the model is shown

function stepHeading(i) {
  const s = steps[i];
  const n = Number.isInteger(s.number) ? s.number : i + 1;
  // Normally steps are numbered 1..n; a package holding a selection says which of them this is.
  const counter = n === i + 1
    ? fill(WORDS.step_of, { number: n, count: steps.length })
    : fill(WORDS.step_of_selection, { number: n, index: i + 1, count: steps.length });
  return [counter, s.clock, s.title].filter(hasText).join(' · ');
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text; // user text (may be Chinese or contain markup): never innerHTML
  if (className) td.className = className;
  return td;
}

function showStep(i) {
  if (!steps.length) return;
  current = Math.min(Math.max(i, 0), steps.length - 1);
  const s = steps[current];
  $('step-heading').textContent = stepHeading(current);
  $('narrative').textContent = hasText(s.narrative) ? String(s.narrative) : '';
  const body = $('entity-rows');
  body.replaceChildren();
  for (const e of list(s.entities)) {
    const row = body.insertRow();
    const label = cell(row, e?.label ?? '');
    if (e?.sensitive === true) {
      // Marked as the book marks it: for the court only, never in public material.
      row.className = 'sensitive';
      const badge = document.createElement('span');
      badge.className = 'badge sensitive';
      badge.textContent = WORDS.sensitive;
      label.append(' ', badge);
    }
    cell(row, nameOf(TYPE_NAMES, e?.type));
    const how = cell(row, nameOf(PROVENANCE_NAMES, e?.provenance));
    if (hasText(e?.reference)) {
      const ref = document.createElement('div');
      ref.className = 'ref';
      ref.textContent = String(e.reference);
      how.append(ref);
    }
  }
  $('no-entities').hidden = list(s.entities).length > 0;
  $('btn-prev').disabled = current === 0;
  $('btn-next').disabled = current === steps.length - 1;
  document.body.dataset.step = String(Number.isInteger(s.number) ? s.number : current + 1);
  view?.showStep(s);
}

function setUpPanel() {
  if (!steps.length) {
    $('step-heading').textContent = WORDS.no_steps;
    $('step-nav').hidden = true;
    $('step-body').hidden = true;
    return;
  }
  $('btn-prev').addEventListener('click', () => showStep(current - 1));
  $('btn-next').addEventListener('click', () => showStep(current + 1));
  $('btn-reset').addEventListener('click', () => view?.showStep(steps[current]));
  const keys = {
    ArrowLeft: () => current - 1, PageUp: () => current - 1,
    ArrowRight: () => current + 1, PageDown: () => current + 1,
    Home: () => 0, End: () => steps.length - 1,
  };
  window.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || !Object.hasOwn(keys, e.key)) return;
    e.preventDefault(); // PageUp/Down and Home/End would otherwise scroll the panel
    showStep(keys[e.key]());
  });
  showStep(0);
}

// ------------------------------------------------------------------ 3D view
function decodeGlb() {
  const text = $('bsu-glb').textContent.trim();
  if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(text).buffer;
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes.buffer;
}

function startView() {
  const viewport = $('viewport');
  // Software WebGL (SwiftShader, llvmpipe) pays for every pixel: no MSAA and 1x pixel ratio there.
  const software = (() => {
    const gl = document.createElement('canvas').getContext('webgl2');
    const ext = gl?.getExtension('WEBGL_debug_renderer_info');
    const name = ext ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : '';
    gl?.getExtension('WEBGL_lose_context')?.loseContext();
    return /swiftshader|llvmpipe|software/i.test(name);
  })();
  const renderer = new THREE.WebGLRenderer({ antialias: !software }); // throws without WebGL
  renderer.setPixelRatio(software ? 1 : Math.min(window.devicePixelRatio || 1, 2));
  const canvas = viewport.appendChild(renderer.domElement);
  canvas.addEventListener('webglcontextrestored', () => requestRender());

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

  const up0 = vec(DATA.up)?.normalize() ?? new THREE.Vector3(0, 0, 1);
  const S = {
    up: up0.lengthSq() > 0 ? up0 : new THREE.Vector3(0, 0, 1),
    north: vec(DATA.north) ?? Y_AXIS.clone(),
    eye: Number(DATA.eye_height) > 0 ? Number(DATA.eye_height) : 1.6,
    box: null, centre: new THREE.Vector3(), diag: 1, readyPending: false,
  };

  // Render on demand only: a continuous loop makes big meshes unusable under SwiftShader.
  let frameQueued = false;
  function requestRender() {
    if (!frameQueued) { frameQueued = true; requestAnimationFrame(renderNow); }
  }
  function renderNow() {
    frameQueued = false;
    renderer.render(scene, camera);
    labelRenderer.render(scene, camera);
    if (!S.readyPending) return;
    S.readyPending = false;
    // Ready on the next frame, i.e. once the first frame with the model has been presented.
    requestAnimationFrame(() => { document.body.dataset.ready = '1'; });
  }

  // ortho_scale = visible height in model units; OrbitControls zooms an orthographic camera via .zoom.
  function setOrthoHeight(height, resetZoom) {
    const h = Math.max(height, 1e-9) / 2;
    Object.assign(ortho, { top: h, bottom: -h, left: -h * persp.aspect, right: h * persp.aspect });
    if (resetZoom) ortho.zoom = 1;
    ortho.updateProjectionMatrix();
  }
  function resize() {
    const w = Math.max(1, viewport.clientWidth), h = Math.max(1, viewport.clientHeight);
    [renderer, labelRenderer].forEach((x) => x.setSize(w, h));
    persp.aspect = w / h;
    persp.updateProjectionMatrix();
    setOrthoHeight(ortho.top - ortho.bottom, false);
    requestRender();
  }
  new ResizeObserver(resize).observe(viewport);
  resize();

  // OrbitControls caches the camera's up axis when constructed, so it is rebuilt with the camera.
  function makeControls(target) {
    controls?.dispose();
    controls = new OrbitControls(camera, canvas);
    controls.target.copy(target);
    // No damping: it needs a continuous render loop.
    Object.assign(controls, { enableDamping: false, zoomToCursor: true });
    controls.addEventListener('change', requestRender);
    controls.update();
  }
  makeControls(new THREE.Vector3());

  // Orthonormal frame from the scene's up and north; east = north x up (right-handed).
  function axes() {
    const up = S.up.clone();
    let north = S.north.clone().projectOnPlane(up);
    if (north.lengthSq() < 1e-12) north = new THREE.Vector3(1, 0, 0).projectOnPlane(up);
    if (north.lengthSq() < 1e-12) north = Y_AXIS.clone().projectOnPlane(up);
    north.normalize();
    return { up, north, east: new THREE.Vector3().crossVectors(north, up).normalize() };
  }

  function setView({ projection, position, target, up, fov, orthoHeight }) {
    camera = projection === 'orthographic' ? ortho : persp;
    camera.up.copy(up && up.lengthSq() > 0 ? up.clone().normalize() : S.up);
    if (Number.isFinite(fov) && fov > 1 && fov < 170) persp.fov = fov;
    if (camera === ortho) setOrthoHeight(orthoHeight > 0 ? orthoHeight : S.diag, true); // NaN > 0 is false
    camera.position.copy(position);
    const distance = position.distanceTo(target), d = S.diag;
    // A step may look from a witness's eyes, close to the surface: near plane within eye reach.
    Object.assign(persp, { near: Math.min(d / 2000, S.eye / 10), far: d * 50 + distance });
    persp.updateProjectionMatrix();
    // Orthographic depth is linear: a near plane behind the camera costs nothing and keeps the
    // whole model visible wherever the camera sits along its view axis.
    Object.assign(ortho, { near: -(d * 10 + distance), far: d * 10 + distance });
    ortho.updateProjectionMatrix();
    camera.lookAt(target);
    camera.updateMatrixWorld();
    makeControls(target);
    requestRender();
  }

  // No saved camera: perspective from the south-east, above, with the bounding sphere in view.
  function fit() {
    const { up, north, east } = axes();
    const dir = east.sub(north).normalize().multiplyScalar(Math.cos(0.6)).addScaledVector(up, Math.sin(0.6));
    persp.fov = 50;
    const v = THREE.MathUtils.degToRad(persp.fov);
    const h = 2 * Math.atan(Math.tan(v / 2) * persp.aspect);
    const distance = (0.5 * S.diag) / Math.sin(Math.min(v, h) / 2);
    setView({ projection: 'perspective', position: S.centre.clone().addScaledVector(dir, distance),
      target: S.centre.clone() });
  }

  function applyCamera(cam) {
    const position = vec(cam?.position), target = vec(cam?.target);
    if (!position || !target || position.distanceTo(target) < 1e-12) { fit(); return; }
    setView({ projection: cam.projection, position, target, up: vec(cam.up),
      fov: Number(cam.fov_deg), orthoHeight: Number(cam.ortho_scale) });
  }

  function placeLights() {
    const { up, north, east } = axes();
    hemi.position.copy(up); // the sky colour comes from +position
    // Sun from the south-east, high: it lights the faces the default view shows.
    const dir = east.multiplyScalar(0.6).addScaledVector(north, -0.8).addScaledVector(up, 1.5).normalize();
    sun.position.copy(S.centre).addScaledVector(dir, S.diag);
    sun.target.position.copy(S.centre);
    sun.target.updateMatrixWorld();
  }

  // ---------------------------------------------------------------- overlay (one step's layer)
  const disposeTree = (root) => root.traverse((o) => {
    o.geometry?.dispose();
    for (const m of [].concat(o.material ?? [])) m.dispose();
  });
  const PEOPLE = new Set(['suspect', 'victim', 'witness', 'officer']);
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

  function drawLayer(layer) {
    // remove() one by one: a CSS2DObject drops its DOM element on its own 'removed' event.
    for (const o of [...overlay.children]) { overlay.remove(o); disposeTree(o); }
    if (!layer || typeof layer !== 'object') return;
    const { up } = axes();
    const r = 0.012 * S.diag; // marker size relative to the model
    const upRot = new THREE.Quaternion().setFromUnitVectors(Y_AXIS, up);
    for (const e of list(layer.entities)) {
      const p = vec(e?.point);
      if (!p) continue;
      const colour = colourOf(e.colour, '#777777');
      const [geometry, half] = markerGeometry(e.type, r);
      const mesh = new THREE.Mesh(geometry, new THREE.MeshStandardMaterial({
        color: colour, roughness: 0.55, metalness: 0, emissive: colour, emissiveIntensity: 0.25,
      }));
      mesh.quaternion.copy(upRot);
      mesh.position.copy(p).addScaledVector(up, half); // rest on the point
      overlay.add(mesh);
      const lifted = p.clone().addScaledVector(up, 2 * half + 0.4 * r);
      if (e.sensitive === true) {
        addLabel(`${hasText(e.label) ? `${e.label} · ` : ''}${WORDS.sensitive}`, lifted, 'sensitive', null);
      } else if (hasText(e.label)) addLabel(e.label, lifted, '', colour);
    }
    for (const path of list(layer.paths)) {
      // Lifted a little so a path drawn on the ground does not z-fight with it.
      const pts = list(path?.points).map(vec).filter(Boolean).map((q) => q.addScaledVector(up, 0.25 * r));
      if (pts.length < 2) continue;
      const colour = colourOf(path.colour, '#2c7bb6');
      const every = Math.max(1, Math.ceil((pts.length - 1) / 40)); // at most ~40 arrows
      if (pts.length > 400) overlay.add(polyline(pts, colour)); // long tracks: a plain line is enough
      for (let i = 0; i + 1 < pts.length; i++) {
        if (pts.length <= 400) addSegment(pts[i], pts[i + 1], 0.15 * r, colour);
        if (i % every === 0 && pts[i].distanceTo(pts[i + 1]) > 1e-9) {
          alongY(new THREE.ConeGeometry(0.45 * r, 1.3 * r, 12), colour, pts[i], pts[i + 1]);
        }
      }
    }
    const amber = new THREE.Color('#f0b400');
    for (const m of list(layer.measurements)) {
      const a = vec(m?.a), b = vec(m?.b);
      if (!a || !b) continue;
      addSegment(a, b, 0.12 * r, amber);
      [a, b].forEach((q) => addBall(q, 0.3 * r, amber));
      if (hasText(m.text)) addLabel(m.text, a.clone().add(b).multiplyScalar(0.5), 'measure', null, 0.5);
    }
    for (const s of list(layer.sightlines)) {
      const eye = vec(s?.eye), target = vec(s?.target);
      if (!eye || !target) continue;
      const colour = new THREE.Color(s.visible ? '#1a9850' : '#d73027');
      addSegment(eye, target, 0.1 * r, colour);
      addBall(eye, 0.3 * r, colour);
      const occluder = vec(s.occluder);
      if (occluder) addBall(occluder, 0.5 * r, new THREE.Color('#67001f'));
    }
  }

  function showModel(root) {
    root.traverse((o) => {
      if (!o.isMesh) return;
      // Scans exported without normals would be lit as black.
      if (!o.geometry.attributes.normal) o.geometry.computeVertexNormals();
      for (const m of [].concat(o.material)) {
        // glTF's default material is fully metallic: near-black without an environment map, and
        // survey models are not metal.
        if (m.isMeshStandardMaterial && !m.metalnessMap && m.metalness > 0.5) m.metalness = 0.1;
        m.side = THREE.DoubleSide; // scans are often open shells
      }
    });
    scene.add(root);
    root.updateMatrixWorld(true);
    S.box = new THREE.Box3().setFromObject(root);
    S.box.getCenter(S.centre);
    S.diag = S.box.getSize(new THREE.Vector3()).length() || 1;
    placeLights();
  }

  return {
    // Resolves once the model is shown (with the current step, if any).
    load: () => new Promise((resolve, reject) => {
      new GLTFLoader().parse(decodeGlb(), '', (gltf) => {
        showModel(gltf.scene);
        resolve();
      }, reject);
    }),
    showStep(step) {
      if (!S.box) return;
      drawLayer(step?.layer);
      applyCamera(step?.camera);
    },
    fit() { if (S.box) fit(); },
    markReady() { S.readyPending = true; requestRender(); },
  };
}

// ------------------------------------------------------------------ start
setUpPanel();
let started = null;
try {
  started = startView();
} catch (err) {
  console.error('offline viewer: WebGL', err);
  showMessage(WORDS.no_webgl);
}
if (started) {
  $('viewport').dataset.loading = '1';
  started.load().then(() => {
    delete $('viewport').dataset.loading;
    view = started;
    if (steps.length) view.showStep(steps[current]);
    else view.fit();
    view.markReady();
  }, (err) => {
    console.error('offline viewer: GLB', err);
    showMessage(fill(WORDS.bad_model, { reason: String(err?.message ?? err) }));
  });
}
