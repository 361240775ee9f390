// Plays the movement from one step to the next: the app sends where each entity is at a series of
// moments between the two steps ({key, seconds, samples: [{entity id: [x, y, z]}, ...]}, worked out
// by the same function the video uses), and this only shows them in turn, over `seconds`, by
// shifting each marker and its label from the step's point. No interpolation is done here, so the
// browser can never show a path the video would not. At the end it tells the app (onPlayed), which
// then draws the next step.
// Each entity's path is redrawn as it goes (`drawPaths`): where it has been up to the step
// (movement.walked {entity id: {colour, points}}) and then where it stands now, as the video
// draws it. Where both steps have a saved view, movement.views holds the video's camera at the
// same moments, and `fly` shows each in turn; without them the camera stays the viewer's.
import * as THREE from 'three';

const pointOf = (sample, id) => {
  const p = sample?.[id];
  return Array.isArray(p) && p.length === 3 && p.every(Number.isFinite) ? p : null;
};

export function createPlayer(getMarkers, getLabels, up, requestRender, onPlayed,
  { drawPaths = () => new Map(), fly = () => null } = {}) {
  let current = { key: null, raf: 0 };

  // Each entity's label, found as the label standing straight above its marker's point.
  function labelsOf(markers) {
    const found = new Map();
    for (const label of getLabels()) {
      let best = null, bestRise = Infinity;
      for (const m of markers) {
        const d = label.position.clone().sub(m.userData.point);
        const rise = d.dot(up);
        if (rise > 0 && d.addScaledVector(up, -rise).length() < 1e-6 * (1 + rise) && rise < bestRise) {
          best = m; bestRise = rise;
        }
      }
      if (best) found.set(label, best);
    }
    return found;
  }

  function show(sample, markers, labels, rest) {
    for (const obj of [...markers, ...labels.keys()]) {
      const marker = labels.get(obj) ?? obj;
      const p = pointOf(sample, marker.userData.entityId);
      if (!p) continue;
      obj.position.copy(rest.get(obj)).add(new THREE.Vector3(...p).sub(marker.userData.point));
    }
  }

  return function play(movement) {
    const key = movement?.key ?? null;
    if (key === current.key) return;
    cancelAnimationFrame(current.raf);
    current = { key, raf: 0 };
    const samples = Array.isArray(movement?.samples) ? movement.samples : [];
    document.body.dataset.playing = samples.length ? '1' : '0'; // read by the browser tests
    delete document.body.dataset.playSample;
    delete document.body.dataset.playPoint;
    delete document.body.dataset.playPathEnd;
    delete document.body.dataset.playCamera;
    drawPaths(null); // the step's own paths again
    if (!samples.length) return;
    const walked = movement.walked && typeof movement.walked === 'object' ? movement.walked : {};
    const views = Array.isArray(movement.views) && movement.views.length === samples.length
      ? movement.views : null;
    const seconds = Number(movement.seconds) > 0 ? Number(movement.seconds) : 2;
    const t0 = performance.now();
    let markers = [], labels = new Map(), rest = new Map();
    const frame = (now) => {
      if (current.key !== key) return;
      if (!markers.length) { // the model (and so the markers) may still be on its way
        markers = getMarkers().filter((m) => m.userData.entityId);
        labels = labelsOf(markers);
        rest = new Map([...markers, ...labels.keys()].map((o) => [o, o.position.clone()]));
      }
      const index = Math.min(samples.length - 1, Math.floor(((now - t0) / 1000 / seconds) * samples.length));
      show(samples[index], markers, labels, rest);
      const ends = drawPaths(Object.entries(walked).map(([id, w]) => {
        const now = pointOf(samples[index], id);
        const points = Array.isArray(w?.points) ? w.points : [];
        return { entity: id, colour: w?.colour, points: now ? [...points, now] : points };
      }));
      const seen = views ? fly(views[index]) : null;
      const first = markers.find((m) => samples[index]?.[m.userData.entityId]);
      document.body.dataset.playSample = String(index);
      if (first) { // where the marker stands now, as a point of the model (read by the browser tests)
        const at = first.position.clone().sub(rest.get(first)).add(first.userData.point);
        document.body.dataset.playPoint = JSON.stringify(at.toArray());
        document.body.dataset.playEntity = first.userData.entityId;
        const end = ends.get(first.userData.entityId);
        if (end) document.body.dataset.playPathEnd = JSON.stringify(end.toArray());
        else delete document.body.dataset.playPathEnd;
      }
      if (seen) document.body.dataset.playCamera = JSON.stringify(seen.toArray());
      requestRender();
      if (index < samples.length - 1) current.raf = requestAnimationFrame(frame);
      else {
        document.body.dataset.playing = '0';
        const hold = Number(movement.hold) >= 0 ? Number(movement.hold) : 0.5;
        setTimeout(() => { if (current.key === key) onPlayed(key); }, 1000 * hold);
      }
    };
    current.raf = requestAnimationFrame(frame);
  };
}
