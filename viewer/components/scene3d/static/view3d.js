// view3d: what the two 3D viewers share, so that a model and its scene marks look the same in the
// app (main.js of this component) and in a court exhibit's offline copy
// (bsu_models/court/offline_viewer.js): the renderers, lights and cameras, framing, and the marks
// of one scene layer (entity markers, labels, paths, measurements, sightlines, CCTV frustums).
//
// It lives in the component's folder because Streamlit serves a component only from there; the
// offline builder (bsu_models/court/offline_viewer_modules.py) embeds it from here, as it does the
// vendored three.js. Both pages name it by the bare specifier 'view3d' (index.html's import map,
// the builder's resolver), and it imports nothing but three.js.
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { CSS2DRenderer, CSS2DObject } from 'three/addons/renderers/CSS2DRenderer.js';

// ------------------------------------------------------------------ values from the scene JSON
export const Y_AXIS = new THREE.Vector3(0, 1, 0);
export const vec = (a) => (Array.isArray(a) && a.length === 3 && a.every(Number.isFinite)
  ? new THREE.Vector3(a[0], a[1], a[2]) : null);
export const list = (x) => (Array.isArray(x) ? x : []);
export const hasText = (t) => t != null && String(t) !== '';
// Scene colours are #rrggbb (the scene model checks them); anything else keeps the fallback
// rather than whatever three.js would make of it.
export function colourOf(c, fallback) {
  const col = new THREE.Color(fallback);
  if (typeof c === 'string' && /^#[0-9a-f]{6}$/i.test(c.trim())) col.setStyle(c.trim());
  return col;
}

// Orthonormal frame from the scene's up and north; east = north x up (right-handed).
export function frameOf(upAxis, northAxis) {
  const up = upAxis.clone().normalize();
  let north = northAxis.clone().projectOnPlane(up);
  if (north.lengthSq() < 1e-12) north = new THREE.Vector3(1, 0, 0).projectOnPlane(up);
  if (north.lengthSq() < 1e-12) north = Y_AXIS.clone().projectOnPlane(up);
  north.normalize();
  return { up, north, east: new THREE.Vector3().crossVectors(north, up).normalize() };
}

// ------------------------------------------------------------------ renderers, scene, cameras
// How the labels of drawMarks look, kept with the code that makes them so that both pages show
// them alike. They inherit the page's font (local fonts with CJK families).
const LABEL_CSS = `
/* CSS2DRenderer overlay: labels must never swallow pointer events meant for the canvas. */
.labels, .labels * { pointer-events: none; }
.label {
  padding: 1px 5px; border-radius: 3px; font-size: 12px; line-height: 1.35; white-space: nowrap;
  background: rgba(255, 255, 255, 0.88); color: #111; border: 1px solid #666;
  box-shadow: 0 1px 2px rgba(0, 0, 0, 0.25);
}
.label.selected { font-weight: 700; background: #fff6c2; border-width: 2px; }
.label.measure { background: rgba(30, 30, 30, 0.82); color: #fff; border-color: #f0b400; }
/* A sensitive entity (for the court only): a red dashed label. */
.label.sensitive { background: #fff2f4; color: #b00020; border: 2px dashed #b00020; }
`;

// Everything one view draws with, in `viewport`; `redraw` asks for a frame (on resize, or when
// the browser gives back a lost WebGL context). Throws where the browser has no WebGL.
export function createStage(viewport, redraw) {
  if (!document.getElementById('view3d-labels')) {
    const style = document.head.appendChild(document.createElement('style'));
    style.id = 'view3d-labels';
    style.textContent = LABEL_CSS;
  }
  // Software WebGL (SwiftShader, llvmpipe) pays for every pixel: no MSAA and 1x pixel ratio there.
  const software = (() => {
    const gl = document.createElement('canvas').getContext('webgl2');
    const ext = gl?.getExtension('WEBGL_debug_renderer_info');
    const name = ext ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : '';
    gl?.getExtension('WEBGL_lose_context')?.loseContext();
    return /swiftshader|llvmpipe|software/i.test(name);
  })();
  const renderer = new THREE.WebGLRenderer({ antialias: !software });
  renderer.localClippingEnabled = true; // a saved view's section box (applySection)
  renderer.setPixelRatio(software ? 1 : Math.min(window.devicePixelRatio || 1, 2));
  const canvas = viewport.appendChild(renderer.domElement);
  canvas.addEventListener('webglcontextrestored', () => redraw()); // three restores its state

  const labelRenderer = new CSS2DRenderer();
  labelRenderer.domElement.className = 'labels';
  Object.assign(labelRenderer.domElement.style, { position: 'absolute', left: '0', top: '0' });
  viewport.appendChild(labelRenderer.domElement);

  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xdfe3e8);
  // Hemisphere (sky/ground fill) plus one sun, so untextured surfaces still show their form.
  const hemi = new THREE.HemisphereLight(0xffffff, 0x6f6a60, 1.5);
  const sun = new THREE.DirectionalLight(0xffffff, 1.7);
  const overlay = new THREE.Group(); // the scene marks
  scene.add(hemi, sun, sun.target, overlay);

  const stage = {
    renderer, labelRenderer, canvas, scene, hemi, sun, overlay, software,
    persp: new THREE.PerspectiveCamera(50, 1, 0.01, 1000),
    ortho: new THREE.OrthographicCamera(-1, 1, 1, -1, 0, 1000),
    render(camera) {
      renderer.render(scene, camera);
      labelRenderer.render(scene, camera);
      declutter(labelRenderer.domElement, overlay, camera);
    },
  };
  const resize = () => {
    const w = Math.max(1, viewport.clientWidth), h = Math.max(1, viewport.clientHeight);
    [renderer, labelRenderer].forEach((x) => x.setSize(w, h));
    stage.persp.aspect = w / h;
    stage.persp.updateProjectionMatrix();
    setOrthoHeight(stage, stage.ortho.top - stage.ortho.bottom, false);
  };
  new ResizeObserver(() => { resize(); redraw(); }).observe(viewport);
  resize();
  return stage;
}

// Labels never cover each other or a marker: after each frame, each label in turn (entities'
// first, in the order drawn) moves up the screen past whatever it would cover: markers and the
// labels placed before it. CSS `translate` composes with the `transform` CSS2DRenderer sets.
const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
function declutter(root, overlay, camera) {
  const labels = [...root.querySelectorAll('.label')].filter((el) => el.style.display !== 'none');
  if (!labels.length) return;
  for (const el of labels) el.style.translate = '';
  const base = root.getBoundingClientRect();
  const w = base.width, h = base.height;
  const side = new THREE.Vector3(1, 0, 0).applyQuaternion(camera.quaternion);
  const taken = [];
  overlay.traverse((o) => {
    if (!o.isMesh || o.userData.entityId === undefined) return;
    if (!o.geometry.boundingSphere) o.geometry.computeBoundingSphere();
    const sphere = o.geometry.boundingSphere;
    const c = o.localToWorld(sphere.center.clone());
    const rim = c.clone().addScaledVector(side, sphere.radius * o.scale.x).project(camera);
    const p = c.project(camera);
    if (p.z > 1) return; // behind the camera
    const x = ((p.x + 1) / 2) * w, y = ((1 - p.y) / 2) * h;
    const r = Math.abs(rim.x - p.x) * w / 2 + 1;
    taken.push({ left: x - r, right: x + r, top: y - r, bottom: y + r });
  });
  for (const el of labels) {
    const box = el.getBoundingClientRect();
    let rect = { left: box.left - base.left, right: box.right - base.left, top: box.top - base.top,
      bottom: box.bottom - base.top };
    let shift = 0;
    for (let i = 0; i < 60; i++) {
      const hit = taken.find((t) => overlaps(t, rect));
      if (!hit) break;
      const d = rect.bottom - hit.top + 2;
      shift += d;
      rect = { ...rect, top: rect.top - d, bottom: rect.bottom - d };
    }
    if (shift > 0) el.style.translate = `0 ${-shift}px`;
    taken.push(rect);
  }
}

// Render on demand only: a continuous loop makes big meshes unusable under SwiftShader. Returns
// the function that asks for a frame; `draw` runs once in the next one, however often it is asked.
export function onDemand(draw) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; draw(); });
  };
}

// ortho_scale = visible height in model units; OrbitControls zooms an orthographic camera via .zoom.
export function setOrthoHeight({ persp, ortho }, height, resetZoom) {
  const h = Math.max(height, 1e-9) / 2;
  Object.assign(ortho, { top: h, bottom: -h, left: -h * persp.aspect, right: h * persp.aspect });
  if (resetZoom) ortho.zoom = 1;
  ortho.updateProjectionMatrix();
}

// OrbitControls caches the camera's up axis when constructed, so a new one replaces `previous`
// whenever the camera object or its up vector changes.
export function orbitControls(previous, camera, canvas, target, onChange) {
  previous?.dispose();
  const controls = new OrbitControls(camera, canvas);
  controls.target.copy(target);
  // No damping: it needs a continuous render loop.
  Object.assign(controls, { enableDamping: false, zoomToCursor: true });
  controls.addEventListener('change', onChange);
  controls.update();
  return controls;
}

// Near and far planes for a camera `distance` from its target, in a model `diag` across. `eye`
// (the eye height) where the camera may be close to a surface, as a witness's eyes are.
export function clipPlanes({ persp, ortho }, diag, distance, eye = 0) {
  const d = diag;
  Object.assign(persp, { near: eye > 0 ? Math.min(d / 2000, eye / 10) : d / 2000, far: d * 50 + distance });
  persp.updateProjectionMatrix();
  // Orthographic depth is linear: a near plane behind the camera costs nothing and keeps the
  // whole model visible wherever the camera sits along its view axis.
  Object.assign(ortho, { near: -(d * 10 + distance), far: d * 10 + distance });
  ortho.updateProjectionMatrix();
}

// Points the camera that `view` asks for at its target and returns it (the caller's controls
// follow it). `up` stands in for a view without one; `diag` sizes the clipping and a missing
// orthographic height; `eye` as in clipPlanes.
export function aimCamera(stage, { projection, position, target, up, fov, orthoHeight }, frame) {
  const { persp, ortho } = stage;
  const camera = projection === 'orthographic' ? ortho : persp;
  camera.up.copy(up && up.lengthSq() > 0 ? up.clone().normalize() : frame.up);
  if (Number.isFinite(fov) && fov > 1 && fov < 170) persp.fov = fov;
  if (camera === ortho) setOrthoHeight(stage, orthoHeight > 0 ? orthoHeight : frame.diag, true); // NaN > 0 is false
  camera.position.copy(position);
  clipPlanes(stage, frame.diag, position.distanceTo(target), frame.eye);
  camera.lookAt(target);
  camera.updateMatrixWorld();
  return camera;
}

// From the target towards the camera of the default view: south-east, above.
export const isoDirection = ({ up, north, east }) => east.clone().sub(north).normalize()
  .multiplyScalar(Math.cos(0.6)).addScaledVector(up, Math.sin(0.6));

// A perspective view along `dir` (from `centre` towards the camera) with the whole bounding
// sphere of a model `diag` across in sight.
export function sphereView(persp, centre, diag, dir) {
  const v = THREE.MathUtils.degToRad(persp.fov);
  const h = 2 * Math.atan(Math.tan(v / 2) * persp.aspect);
  const distance = (0.5 * diag) / Math.sin(Math.min(v, h) / 2);
  return { projection: 'perspective', position: centre.clone().addScaledVector(dir, distance), target: centre.clone() };
}

// A view along `dir` (from the target towards the camera) that fills the screen with the model
// itself: `points` (a sample of its vertices, see addModel) rather than its bounding sphere or
// box, which leave a long or flat model small. The target moves to the middle of the model's
// outline on screen; the outline then spans `fill` of the screen's limiting side.
function screenBasis(dir, up) {
  const forward = dir.clone().negate().normalize();
  let right = new THREE.Vector3().crossVectors(forward, up);
  if (right.lengthSq() < 1e-12) right = new THREE.Vector3().crossVectors(forward, Y_AXIS);
  right.normalize();
  return { right, top: new THREE.Vector3().crossVectors(right, forward).normalize() };
}

function outline(points, centre, dir, up) {
  const { right, top } = screenBasis(dir, up);
  const d = new THREE.Vector3();
  const r = { x0: Infinity, x1: -Infinity, y0: Infinity, y1: -Infinity };
  for (const p of points) {
    d.subVectors(p, centre);
    const x = d.dot(right), y = d.dot(top);
    r.x0 = Math.min(r.x0, x); r.x1 = Math.max(r.x1, x); r.y0 = Math.min(r.y0, y); r.y1 = Math.max(r.y1, y);
  }
  const target = centre.clone().addScaledVector(right, (r.x0 + r.x1) / 2).addScaledVector(top, (r.y0 + r.y1) / 2);
  return { right, top, target, width: r.x1 - r.x0, height: r.y1 - r.y0 };
}

export function fitView(persp, points, centre, dir, up, fill = 0.9) {
  if (!points?.length) return null;
  const dirN = dir.clone().normalize();
  const { right, top, target } = outline(points, centre, dirN, up);
  const v = THREE.MathUtils.degToRad(persp.fov);
  const ty = Math.tan(v / 2) * fill, tx = ty * persp.aspect;
  const d = new THREE.Vector3();
  let distance = 0;
  for (const p of points) {
    d.subVectors(p, target);
    const z = d.dot(dirN); // towards the camera
    distance = Math.max(distance, z + Math.abs(d.dot(right)) / tx, z + Math.abs(d.dot(top)) / ty);
  }
  return { projection: 'perspective', position: target.clone().addScaledVector(dirN, distance), target };
}

// The same for an orthographic camera: its target and visible height.
export function fitOrtho(points, centre, dir, up, aspect, fill = 0.9) {
  if (!points?.length) return null;
  const { target, width, height } = outline(points, centre, dir.clone().normalize(), up);
  return { target, height: Math.max(height, width / aspect) / fill };
}

// ------------------------------------------------------------------ the model
function tuneMaterial(m) {
  // glTF's default material is fully metallic: near-black without an environment map, and
  // survey models are not metal.
  if (m.isMeshStandardMaterial && !m.metalnessMap && m.metalness > 0.5) m.metalness = 0.1;
  m.side = THREE.DoubleSide; // scans are often open shells: draw and hit both sides
}

// Adds a loaded model to the scene; returns its bounds, centre, diagonal and triangle count.
export function addModel(scene, root) {
  let triangles = 0;
  root.traverse((o) => {
    if (!o.isMesh) return;
    triangles += (o.geometry.index ?? o.geometry.attributes.position).count / 3;
    [].concat(o.material).forEach(tuneMaterial);
  });
  scene.add(root);
  root.updateMatrixWorld(true);
  const box = new THREE.Box3().setFromObject(root);
  const diag = box.getSize(new THREE.Vector3()).length() || 1;
  return { box, centre: box.getCenter(new THREE.Vector3()), diag, triangles: Math.round(triangles),
    points: samplePoints(root, triangles) };
}

// A saved view's section box: the model's materials draw only what is in front of every plane
// of `section.planes` ([point, inward normal] pairs, made by Python's Section.planes, which the
// stills cut with too); people, vehicles and marks stay whole. No section: the whole model.
// Returns the planes applied (hits behind one are on cut-away parts: see `shownHit`).
export function applySection(root, section) {
  const planes = list(section?.planes).map((p) => [vec(p?.[0]), vec(p?.[1])])
    .filter(([point, normal]) => point && normal && normal.lengthSq() > 0)
    .map(([point, normal]) => new THREE.Plane().setFromNormalAndCoplanarPoint(normal.normalize(), point));
  root?.traverse((o) => {
    if (!o.isMesh) return;
    [].concat(o.material).forEach((m) => { m.clippingPlanes = planes.length ? planes : null; });
  });
  return planes;
}

// The first of a raycaster's hits on a drawn face: not on a part a section cut away.
export const shownHit = (hits, planes) => hits.find((h) => h.face
  && list(planes).every((plane) => plane.distanceToPoint(h.point) >= -1e-9));

// Up to ~6000 of the model's vertices in world space, evenly spread, for framing (fitView).
function samplePoints(root, triangles) {
  const points = [];
  const every = Math.max(1, Math.floor((triangles * 0.6) / 6000));
  root.traverse((o) => {
    const position = o.isMesh && o.geometry.attributes.position;
    if (!position) return;
    for (let i = 0; i < position.count; i += every) {
      points.push(new THREE.Vector3().fromBufferAttribute(position, i).applyMatrix4(o.matrixWorld));
    }
  });
  return points;
}

export function lightModel({ hemi, sun }, { up, north, east }, centre, diag) {
  hemi.position.copy(up); // the sky colour comes from +position
  // Sun from the south-east, high: it lights the faces the default (iso) view shows.
  const dir = east.clone().multiplyScalar(0.6).addScaledVector(north, -0.8).addScaledVector(up, 1.5).normalize();
  sun.position.copy(centre).addScaledVector(dir, diag);
  sun.target.position.copy(centre);
  sun.target.updateMatrixWorld();
}

export const disposeTree = (root) => root.traverse((o) => {
  o.geometry?.dispose();
  for (const m of [].concat(o.material ?? [])) {
    Object.values(m).forEach((v) => v?.isTexture && v.dispose());
    m.dispose();
  }
});

// ------------------------------------------------------------------ scene marks
export function clearMarks(group) {
  // remove() one by one: a CSS2DObject drops its DOM element on its own 'removed' event.
  for (const o of [...group.children]) { group.remove(o); disposeTree(o); }
}

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

// An entity at true size (the layer's `figure`, made by bsu_models/scenes/scene_figures.py): boxes
// of the given sizes along forward, side and up, and a see-through field-of-view cone with its
// apex at the camera. Only builds what the layer says, so it matches the stills. Null when the
// layer has no usable figure (then the plain marker is drawn).
function figureOf(figure, material) {
  const forward = vec(figure?.forward), up = vec(figure?.up), parts = list(figure?.parts);
  if (!forward || !up || !parts.length) return null;
  const back = new THREE.Vector3().crossVectors(forward, up);
  const turn = new THREE.Quaternion().setFromRotationMatrix(new THREE.Matrix4().makeBasis(forward, up, back));
  const shape = new THREE.Group();
  for (const part of parts) {
    const centre = vec(part?.centre), size = part?.size;
    if (!centre || !Array.isArray(size) || !size.slice(0, 2).every((v) => Number.isFinite(v) && v > 0)) continue;
    if (part.kind === 'cone') {
      const cone = new THREE.Mesh(new THREE.ConeGeometry(size[1], size[0], 24, 1, true), new THREE.MeshBasicMaterial({
        color: material.color, transparent: true, opacity: 0.2, side: THREE.DoubleSide, depthWrite: false,
      }));
      cone.quaternion.setFromUnitVectors(Y_AXIS, forward.clone().negate());
      cone.position.copy(centre).addScaledVector(forward, size[0] / 2);
      cone.name = 'fov';
      cone.raycast = () => {}; // a click through the cone is not a click on the camera
      shape.add(cone);
    } else if (Number.isFinite(size[2]) && size[2] > 0) {
      const box = new THREE.Mesh(new THREE.BoxGeometry(size[0], size[2], size[1]), material);
      box.quaternion.copy(turn);
      box.position.copy(centre);
      shape.add(box);
    }
  }
  return shape.children.length ? shape : null;
}

// Each drawn figure's height in world units (its solid parts' bounding box along `up`), on the
// page's body as data-figure-heights {entity id: height}: what a reader or a test can check
// against the stated heights.
function recordFigureHeights(figures, up) {
  const heights = {};
  for (const [id, shape] of figures) {
    shape.updateWorldMatrix(true, true);
    const box = new THREE.Box3();
    shape.children.filter((c) => c.name !== 'fov' && c.name !== 'pin').forEach((c) => box.expandByObject(c));
    const size = box.getSize(new THREE.Vector3());
    heights[id] = Math.abs(size.x * up.x) + Math.abs(size.y * up.y) + Math.abs(size.z * up.z);
  }
  document.body.dataset.figureHeights = JSON.stringify(heights);
  document.body.dataset.figurePins = JSON.stringify(
    figures.filter(([, shape]) => shape.children.some((c) => c.name === 'pin')).map(([id]) => id),
  );
}

// Draws one scene layer {entities, paths, measurements, sightlines, frustums} into `group`, in a model
// `diag` across with `up` as up. `selected`: the id of the entity to show larger; `sensitiveWord`:
// where given, a sensitive entity's label says it in that word and is drawn as such. Returns the
// entity markers (each with userData.entityId) for picking.
export function drawMarks(group, layer, { up, diag, selected = null, sensitiveWord = null }) {
  const r = 0.012 * diag; // marker size relative to the model
  const basic = (colour) => new THREE.MeshBasicMaterial({ color: colour });
  const polyline = (pts, colour) => new THREE.Line(new THREE.BufferGeometry().setFromPoints(pts),
    new THREE.LineBasicMaterial({ color: colour }));
  function addLabel(text, position, className, colour, centreY = 1) {
    const el = document.createElement('div');
    el.className = `label ${className}`;
    el.textContent = String(text); // user text (may be Chinese): never innerHTML
    if (colour) el.style.borderColor = `#${colour.getHexString()}`;
    const obj = new CSS2DObject(el);
    obj.position.copy(position);
    obj.center.set(0.5, centreY);
    group.add(obj);
  }
  // Place a Y-axis geometry between/along points: cylinders for segments, cones for arrows.
  function alongY(geometry, colour, from, to) {
    const m = new THREE.Mesh(geometry, basic(colour));
    m.position.copy(from).add(to).multiplyScalar(0.5);
    m.quaternion.setFromUnitVectors(Y_AXIS, to.clone().sub(from).normalize());
    group.add(m);
  }
  // A thin cylinder (thickness when close) plus a 1 px line (never vanishes when far away).
  function addSegment(a, b, radius, colour) {
    const len = a.distanceTo(b);
    if (len < 1e-9) return;
    alongY(new THREE.CylinderGeometry(radius, radius, len, 8, 1, true), colour, a, b);
    group.add(polyline([a, b], colour));
  }
  function addBall(p, radius, colour) {
    const m = new THREE.Mesh(new THREE.SphereGeometry(radius, 14, 10), basic(colour));
    m.position.copy(p);
    group.add(m);
  }

  const markers = [], figures = [];
  const upRot = new THREE.Quaternion().setFromUnitVectors(Y_AXIS, up);
  for (const e of list(layer?.entities)) {
    const p = vec(e?.point);
    if (!p) continue;
    const isSelected = selected != null && e.id === selected;
    const colour = colourOf(e.colour, '#777777');
    const material = new THREE.MeshStandardMaterial({
      color: colour, roughness: 0.55, metalness: 0, emissive: colour, emissiveIntensity: isSelected ? 0.6 : 0.25,
    });
    const shape = figureOf(e.figure, material);
    let mesh, half, scale = 1;
    if (shape) {
      // True size is the point: a selected figure glows rather than grows.
      mesh = shape;
      half = Math.max(Number(e.figure.height) || 0, 0) / 2;
      figures.push([e.id, shape]);
      const [pinGeometry, pinHalf] = markerGeometry(e.type, r);
      if (2 * half < 4 * pinHalf) {
        // Too small to find in a view of the whole model: the plain marker stands over the
        // figure as a pin, and the label over the pin.
        const pin = new THREE.Mesh(pinGeometry, material);
        pin.name = 'pin';
        pin.quaternion.copy(upRot);
        pin.position.copy(p).addScaledVector(up, 2 * half + pinHalf);
        shape.add(pin);
        half += pinHalf;
      }
    } else {
      let geometry;
      [geometry, half] = markerGeometry(e.type, r);
      mesh = new THREE.Mesh(geometry, material);
      scale = isSelected ? 1.5 : 1;
      mesh.scale.setScalar(scale);
      mesh.quaternion.copy(upRot);
      mesh.position.copy(p).addScaledVector(up, half * scale); // rest on the point
    }
    // The type and the point let a viewer stand someone at a person's place ("Enter VR").
    Object.assign(mesh.userData, { entityId: e.id, type: e.type, person: PEOPLE.has(e.type), point: p.clone() });
    // A hit on a part names the entity; the cone, wide and see-through, is no place to click and
    // nothing for labels to avoid.
    if (shape) shape.children.forEach((c) => { if (c.name !== 'fov') c.userData = mesh.userData; });
    group.add(mesh);
    markers.push(mesh);
    const labelAt = p.clone().addScaledVector(up, 2 * half * scale + 0.4 * r);
    if (sensitiveWord != null && e.sensitive === true) {
      addLabel(`${hasText(e.label) ? `${e.label} · ` : ''}${sensitiveWord}`, labelAt, 'sensitive', null);
    } else if (hasText(e.label)) addLabel(e.label, labelAt, isSelected ? 'selected' : '', colour);
  }
  // A layer of paths alone (Play redrawing them) leaves the figures' record alone.
  if (layer?.entities !== undefined) recordFigureHeights(figures, up);
  const pathsFrom = group.children.length;
  for (const path of list(layer?.paths)) {
    // Lifted a little so a path drawn on the ground does not z-fight with it.
    const pts = list(path?.points).map(vec).filter(Boolean).map((q) => q.addScaledVector(up, 0.25 * r));
    if (pts.length < 2) continue;
    const colour = colourOf(path.colour, '#2c7bb6');
    const every = Math.max(1, Math.ceil((pts.length - 1) / 40)); // at most ~40 arrows
    if (pts.length > 400) group.add(polyline(pts, colour)); // long tracks: a plain line is enough
    for (let i = 0; i + 1 < pts.length; i++) {
      if (pts.length <= 400) addSegment(pts[i], pts[i + 1], 0.15 * r, colour);
      if (i % every === 0 && pts[i].distanceTo(pts[i + 1]) > 1e-9) {
        alongY(new THREE.ConeGeometry(0.45 * r, 1.3 * r, 12), colour, pts[i], pts[i + 1]);
      }
    }
  }
  // Play hides the step's paths while it draws them as far as the entities have come, and reads
  // back where a drawn path ends (less the lift).
  for (const o of group.children.slice(pathsFrom)) Object.assign(o.userData, { path: true, lift: 0.25 * r });
  const amber = new THREE.Color('#f0b400');
  for (const m of list(layer?.measurements)) {
    const a = vec(m?.a), b = vec(m?.b);
    if (!a || !b) continue;
    addSegment(a, b, 0.12 * r, amber);
    [a, b].forEach((q) => addBall(q, 0.3 * r, amber));
    if (hasText(m.text)) addLabel(m.text, a.clone().add(b).multiplyScalar(0.5), 'measure', null, 0.5);
  }
  for (const s of list(layer?.sightlines)) {
    const eye = vec(s?.eye), target = vec(s?.target);
    if (!eye || !target) continue;
    const colour = new THREE.Color(s.visible ? '#1a9850' : '#d73027');
    addSegment(eye, target, 0.1 * r, colour);
    addBall(eye, 0.3 * r, colour);
    const occluder = vec(s.occluder);
    if (occluder) addBall(occluder, 0.5 * r, new THREE.Color('#67001f'));
  }
  // A matched CCTV camera: lines from its centre to the corners of its frame, as far out as the
  // points it was matched on, the frame's outline there, and a faint face so the eye reads
  // which way it looks. Labelled with the camera's name.
  for (const f of list(layer?.frustums)) {
    const apex = vec(f?.apex), corners = list(f?.corners).map(vec).filter(Boolean);
    if (!apex || corners.length !== 4) continue;
    const colour = colourOf(f.colour, '#444444');
    corners.forEach((c, i) => {
      addSegment(apex, c, 0.08 * r, colour);
      addSegment(c, corners[(i + 1) % 4], 0.08 * r, colour);
    });
    const face = new THREE.BufferGeometry().setFromPoints([0, 1, 2, 0, 2, 3].map((i) => corners[i]));
    group.add(new THREE.Mesh(face, new THREE.MeshBasicMaterial({
      color: colour, transparent: true, opacity: 0.12, side: THREE.DoubleSide, depthWrite: false,
    })));
    addBall(apex, 0.35 * r, colour);
    if (hasText(f.label)) addLabel(f.label, apex.clone().addScaledVector(up, 0.6 * r), 'frustum', colour);
  }
  return markers;
}
