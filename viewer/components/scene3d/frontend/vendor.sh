#!/usr/bin/env bash
# Refresh static/vendor/ from the three.js version pinned in package-lock.json.
# Copies only the files index.html/main.js import (plus what those import), so a
# fresh clone runs without npm. Re-run after changing the three version.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dest="$here/../static/vendor"
cd "$here"
npm ci --no-audit --no-fund
src="$here/node_modules/three"
rm -rf "$dest"
mkdir -p "$dest"
cp "$src/build/three.module.js" "$src/build/three.core.js" "$dest/"
# Add-ons used by main.js, view3d.js and stereo.js, plus their own imports (BufferGeometryUtils,
# SkeletonUtils for GLTFLoader; Pass, CameraUtils for AnaglyphEffect), and the web levels'
# decoders: meshopt geometry, KTX2 textures (ktx-parse, zstddec, WorkerPool, ColorSpaces and the
# Basis transcoder, which KTX2Loader loads from libs/basis/ at run time).
for f in loaders/GLTFLoader.js loaders/KTX2Loader.js controls/OrbitControls.js \
         renderers/CSS2DRenderer.js utils/BufferGeometryUtils.js utils/SkeletonUtils.js \
         utils/WorkerPool.js math/ColorSpaces.js \
         libs/meshopt_decoder.module.js libs/ktx-parse.module.js libs/zstddec.module.js \
         libs/basis/basis_transcoder.js libs/basis/basis_transcoder.wasm \
         effects/AnaglyphEffect.js effects/StereoEffect.js webxr/VRButton.js \
         postprocessing/Pass.js utils/CameraUtils.js; do
  mkdir -p "$(dirname "$dest/addons/$f")"
  cp "$src/examples/jsm/$f" "$dest/addons/$f"
done
cp "$src/LICENSE" "$dest/LICENSE-three.txt"
echo "three $(node -p "require('$src/package.json').version") vendored into $dest"
