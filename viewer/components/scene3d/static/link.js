// Linked cameras: views of one model whose camera arg names the same `link` follow each other,
// so two accounts (scenes) shown side by side are always seen from the same place. The views are
// separate frames of one page (same origin), so they talk over a BroadcastChannel; nothing leaves
// the browser. Each view checks its own camera a few times a second (the views render only on
// change, so there is no frame loop to hook) and sends it when it moved; a view applying a
// camera it received takes that as its own, so the other does not get it back.
import { vec } from 'view3d';

const CHECK_MS = 100;

// A camera as text, to 7 significant digits: a view set from another's camera reads back the
// same, whatever the last bits of its floating-point arithmetic.
const key = (view) => JSON.stringify(view, (_k, v) => (typeof v === 'number' ? Number(v.toPrecision(7)) : v));

// `getView()`: the view's camera ({projection, position, target, up, fov_deg, ortho_scale}, as
// sent to Python) or null while there is none to share (no model yet, walking); `setView(view)`
// aims the camera at a received view (position, target and up as THREE vectors) and returns
// whether it did.
export function createCameraLink(getView, setView) {
  const self = `${Date.now()}-${Math.random()}`;
  const state = { name: '', channel: null, last: '', sent: 0, received: 0 };

  function settle() {
    const view = getView();
    state.last = view ? key(view) : '';
  }

  function receive(e) {
    const d = e.data;
    if (!d || d.from === self || !d.view) return;
    const v = d.view;
    if (!vec(v.position) || !vec(v.target)) return;
    const done = setView({
      projection: v.projection, position: vec(v.position), target: vec(v.target), up: vec(v.up),
      fov: Number(v.fov_deg), orthoHeight: Number(v.ortho_scale),
    });
    if (!done) return;
    state.received += 1;
    settle();
  }

  function setName(name) {
    const wanted = typeof name === 'string' ? name : '';
    if (wanted === state.name) return;
    state.channel?.close();
    state.channel = null;
    state.name = wanted;
    if (!wanted || typeof BroadcastChannel === 'undefined') return;
    state.channel = new BroadcastChannel(`bsu-scene3d-link:${wanted}`);
    state.channel.onmessage = receive;
    settle(); // the camera the page gave this view is not a move to pass on
  }

  setInterval(() => {
    if (!state.channel) return;
    const view = getView();
    if (!view) return;
    const now = key(view);
    if (now === state.last) return;
    state.last = now;
    state.sent += 1;
    state.channel.postMessage({ from: self, view });
  }, CHECK_MS);

  // The link's name comes with every render from Python, in the camera arg.
  window.addEventListener('message', (e) => {
    const d = e.data;
    if (e.source !== window.parent || d?.type !== 'streamlit:render') return;
    setName(d.args?.camera?.link);
  });

  // Read-only hooks for tests.
  Object.defineProperty(window, '__scene3dLink', { writable: false, configurable: false, value: Object.freeze({
    get name() { return state.name; }, get sent() { return state.sent; },
    get received() { return state.received; },
    get view() { const v = getView(); return v && JSON.parse(key(v)); },
  }) });
}
