// Offline exhibit viewer: a read-only copy of one re-enactment scene, inlined into a single HTML
// file by bsu_models/court/offline_viewer.py and opened from a USB stick (file://, no network, no
// server). The page holds the scene (#bsu-data, JSON), the model (#bsu-glb, base64 GLB; a web
// level's is meshopt-compressed, with KTX2 textures and then the Basis transcoder in
// #bsu-basis-js and #bsu-basis-wasm) and three.js; its classic bootstrap script turns the embedded modules into blob: URLs and imports
// this one. It draws with the web viewer's own module (view3d.js of the scene3d component, embedded
// with three.js), so the model and its marks look the same in both; everything that edits or
// reports back is left out.
//
// The page's own words come in its language: the HTML is written in it, and the words this script
// writes itself are in #bsu-words (JSON, by key). The English below only stands in for a word that
// is missing there; no other language is written in this file.
//
// Test hooks: body[data-ready="1"] once the first frame with the model is on screen,
// body[data-step] = the shown step's number, window.__bsuViewer = {stepCount}.
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { KTX2Loader } from 'three/addons/loaders/KTX2Loader.js';
import { MeshoptDecoder } from 'three/addons/libs/meshopt_decoder.module.js';
import {
  Y_AXIS, addModel, aimCamera, applySection, clearMarks, createStage, drawMarks, frameOf, hasText, isoDirection,
  fitView, lightModel, list, onDemand, orbitControls, sphereView, vec,
} from 'view3d';

const $ = (id) => document.getElementById(id);

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
// The exhibit's own account first, then the further accounts it carries (competing accounts),
// each with the steps its stills were drawn from.
const stepsOf = (a) => list(a?.steps).filter((s) => s && typeof s === 'object');
const accounts = [DATA, ...list(DATA.accounts).filter((a) => a && typeof a === 'object')].map(
  (a) => ({ title: String(a.title ?? ''), subtitle: String(a.subtitle ?? ''), steps: stepsOf(a) }),
);
let steps = accounts[0].steps;
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

function setUpAccounts() {
  if (accounts.length < 2) return;
  const picker = $('account');
  accounts.forEach((a, i) => {
    const option = document.createElement('option');
    option.value = String(i);
    option.textContent = a.title; // user text: never innerHTML
    picker.append(option);
  });
  $('account-choice').hidden = false;
  document.body.dataset.account = '0';
  picker.addEventListener('change', () => {
    const chosen = accounts[Number(picker.value)] ?? accounts[0];
    steps = chosen.steps;
    $('title').textContent = chosen.title;
    $('subtitle').textContent = chosen.subtitle;
    document.body.dataset.account = picker.value;
    showStep(Math.min(Math.max(current, 0), steps.length - 1));
  });
}

function setUpPanel() {
  setUpAccounts();
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
    if (e.target instanceof HTMLSelectElement) return; // the keys choose an account there
    e.preventDefault(); // PageUp/Down and Home/End would otherwise scroll the panel
    showStep(keys[e.key]());
  });
  showStep(0);
}

// ------------------------------------------------------------------ 3D view
function fromBase64(id) {
  const text = $(id).textContent.trim();
  if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(text).buffer;
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes.buffer;
}

// The KTX2 loader fetches its transcoder by name: here it comes from the page, through blob: URLs.
function gltfLoader(renderer) {
  const loader = new GLTFLoader().setMeshoptDecoder(MeshoptDecoder);
  if (!$('bsu-basis-js') || !$('bsu-basis-wasm')) return loader;
  const urls = {
    'basis_transcoder.js': URL.createObjectURL(new Blob([fromBase64('bsu-basis-js')], { type: 'text/javascript' })),
    'basis_transcoder.wasm': URL.createObjectURL(new Blob([fromBase64('bsu-basis-wasm')], { type: 'application/wasm' })),
  };
  const manager = new THREE.LoadingManager();
  manager.setURLModifier((url) => urls[url.split('/').pop()] ?? url);
  return loader.setKTX2Loader(new KTX2Loader(manager).setTranscoderPath('').detectSupport(renderer));
}

function startView() {
  const requestRender = onDemand(renderNow);
  const stage = createStage($('viewport'), requestRender); // throws without WebGL
  const { canvas, scene, overlay, persp } = stage;
  let camera = persp;
  let controls = orbitControls(null, camera, canvas, new THREE.Vector3(), requestRender);

  const up0 = vec(DATA.up)?.normalize() ?? new THREE.Vector3(0, 0, 1);
  const S = {
    up: up0.lengthSq() > 0 ? up0 : new THREE.Vector3(0, 0, 1),
    north: vec(DATA.north) ?? Y_AXIS.clone(),
    eye: Number(DATA.eye_height) > 0 ? Number(DATA.eye_height) : 1.6,
    box: null, centre: new THREE.Vector3(), diag: 1, readyPending: false,
  };
  const axes = () => frameOf(S.up, S.north);

  function renderNow() {
    stage.render(camera);
    if (!S.readyPending) return;
    S.readyPending = false;
    // Ready on the next frame, i.e. once the first frame with the model has been presented.
    requestAnimationFrame(() => { document.body.dataset.ready = '1'; });
  }

  function setView(view) {
    // A step may look from a witness's eyes, close to the surface: near plane within eye reach.
    camera = aimCamera(stage, view, { up: S.up, diag: S.diag, eye: S.eye });
    controls = orbitControls(controls, camera, canvas, view.target, requestRender);
    requestRender();
  }

  // No saved camera: perspective from the south-east, above, with the bounding sphere in view.
  function fit() {
    persp.fov = 50;
    const dir = isoDirection(axes());
    setView(fitView(persp, S.points, S.centre, dir, S.up) ?? sphereView(persp, S.centre, S.diag, dir));
  }

  function applyCamera(cam) {
    applySection(S.root, cam?.section); // a saved view's section box, or the whole model
    const position = vec(cam?.position), target = vec(cam?.target);
    if (!position || !target || position.distanceTo(target) < 1e-12) { fit(); return; }
    setView({ projection: cam.projection, position, target, up: vec(cam.up),
      fov: Number(cam.fov_deg), orthoHeight: Number(cam.ortho_scale) });
  }

  function drawLayer(layer) {
    clearMarks(overlay);
    if (!layer || typeof layer !== 'object') return;
    drawMarks(overlay, layer, { up: axes().up, diag: S.diag, sensitiveWord: WORDS.sensitive });
  }

  function showModel(root) {
    // Scans exported without normals would be lit as black.
    root.traverse((o) => {
      if (o.isMesh && !o.geometry.attributes.normal) o.geometry.computeVertexNormals();
    });
    Object.assign(S, addModel(scene, root), { root });
    lightModel(stage, axes(), S.centre, S.diag);
  }

  return {
    // Resolves once the model is shown (with the current step, if any).
    load: () => new Promise((resolve, reject) => {
      gltfLoader(stage.renderer).parse(fromBase64('bsu-glb'), '', (gltf) => {
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
