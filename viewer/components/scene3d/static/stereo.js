// Stereo and VR for the scene3d view (three.js add-ons, vendored: nothing is fetched).
//
// Modes: 'off'; 'anaglyph' (red-cyan glasses: three's AnaglyphEffect, Dubois' colour-keeping
// matrices, off-axis eyes whose zero parallax lies at the focal point); 'side-by-side' (two
// halves for 3D displays and headsets: StereoEffect, converging at the focal point). The eyes
// are 65 mm apart at the model's real-world scale: the scene's eye height (1.6 m in model
// units) gives that scale. Stereo needs a perspective camera; plan and elevations stay flat.
//
// VR: where the browser offers immersive WebXR, an "Enter VR" button (three's VRButton) puts the
// viewer at a witness's position (the selected person, else the first witness, else the last
// clicked point) with the headset's floor at the ground there, scaled so that a person's eyes
// are at the scene's eye height. Without WebXR (or on an insecure page) no button is shown.
import * as THREE from 'three';
import { AnaglyphEffect } from 'three/addons/effects/AnaglyphEffect.js';
import { StereoEffect } from 'three/addons/effects/StereoEffect.js';
import { VRButton } from 'three/addons/webxr/VRButton.js';

export const STEREO_MODES = ['off', 'anaglyph', 'side-by-side'];
const INTEROCULAR_M = 0.065;
const EYE_HEIGHT_M = 1.6;

export function createStereo(renderer) {
  const anaglyph = new AnaglyphEffect(renderer);
  const halves = new StereoEffect(renderer);
  const size = new THREE.Vector2();
  let mode = 'off';
  return {
    get mode() { return mode; },
    next() {
      mode = STEREO_MODES[(STEREO_MODES.indexOf(mode) + 1) % STEREO_MODES.length];
      return mode;
    },
    setSize(width, height) { anaglyph.setSize(width, height); },
    // Draws the stereo picture and returns true; false when the caller should draw as usual.
    render(scene, camera, eyeHeight, focus) {
      if (mode === 'off' || !camera.isPerspectiveCamera || renderer.xr.isPresenting) return false;
      const separation = (eyeHeight * INTEROCULAR_M) / EYE_HEIGHT_M;
      if (mode === 'anaglyph') {
        Object.assign(anaglyph, { eyeSep: separation, planeDistance: Math.max(focus, camera.near * 2) });
        anaglyph.render(scene, camera);
        return true;
      }
      halves.setEyeSeparation(separation);
      const saved = camera.focus;
      camera.focus = Math.max(focus, camera.near * 2);
      halves.render(scene, camera);
      camera.focus = saved;
      renderer.getSize(size);
      renderer.setViewport(0, 0, size.x, size.y); // StereoEffect leaves the right half's viewport
      return true;
    },
  };
}

// Resolves to the "Enter VR" button, or null without immersive WebXR (no headset, an insecure
// page). ``place()`` gives {feet, up, heading} (model coordinates, unit vectors) and the eye
// height in model units when a session starts.
export async function createVrButton(renderer, camera, scene, place, redraw) {
  if (!('xr' in navigator) || !window.isSecureContext) return null;
  const supported = await navigator.xr.isSessionSupported('immersive-vr').catch(() => false);
  if (!supported) return null;
  renderer.xr.enabled = true;
  const rig = new THREE.Group();
  const button = VRButton.createButton(renderer);
  const saved = { position: new THREE.Vector3(), quaternion: new THREE.Quaternion() };
  renderer.xr.addEventListener('sessionstart', () => {
    saved.position.copy(camera.position);
    saved.quaternion.copy(camera.quaternion);
    const { feet, up, heading, eye } = place();
    // The headset's space is y-up in metres: turn it onto the model's up and heading, put its
    // floor at the witness's feet and scale it so that 1.6 m of person is the eye height.
    const basis = new THREE.Matrix4().makeBasis(
      new THREE.Vector3().crossVectors(up, heading).negate(), up, heading.clone().negate(),
    );
    rig.quaternion.setFromRotationMatrix(basis);
    rig.position.copy(feet);
    rig.scale.setScalar(eye / EYE_HEIGHT_M);
    scene.add(rig);
    rig.add(camera);
    renderer.setAnimationLoop(redraw);
  });
  renderer.xr.addEventListener('sessionend', () => {
    renderer.setAnimationLoop(null);
    rig.remove(camera);
    scene.remove(rig);
    camera.position.copy(saved.position);
    camera.quaternion.copy(saved.quaternion);
    camera.updateMatrixWorld();
    redraw();
  });
  return button;
}
