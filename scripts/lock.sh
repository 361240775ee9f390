#!/usr/bin/env bash
# Rewrites requirements.lock (the app) and requirements-test.lock (the app and the `test` extra)
# from pyproject.toml: exact versions with their SHA-256 hashes, for Python 3.11 on Linux x86_64.
#
# Run it after changing the dependencies in pyproject.toml, and commit the lock files with that
# change. Versions already in the lock files are kept where pyproject.toml still allows them, so
# an exhibit rebuilt later is made by the same software; only a deliberate
#   scripts/lock.sh --upgrade
# moves everything to the newest allowed releases (then run the whole test suite, and say so in
# the commit: the software recorded in new exhibit packages changes).
#
# The resolver is uv, installed for the run into a throwaway folder; its version is fixed so
# that the same inputs give the same lock files.
set -euo pipefail
cd "$(dirname "$0")/.."

upgrade=()
[[ "${1:-}" == "--upgrade" ]] && upgrade=(--upgrade)

tool="$(mktemp -d)"
trap 'rm -rf "$tool"' EXIT
"${PYTHON:-python3}" -m venv "$tool"
"$tool/bin/python" -m pip install --quiet --disable-pip-version-check "uv==0.13.9"

compile=(
  "$tool/bin/uv" pip compile pyproject.toml --quiet
  --python-version 3.11 --python-platform x86_64-unknown-linux-gnu
  --generate-hashes --custom-compile-command "scripts/lock.sh"
  "${upgrade[@]}"
)
"${compile[@]}" -o requirements.lock
# Constrained by the app's lock so that both files name the same version of every package the
# app needs: the tests then check exactly what is installed for the app.
"${compile[@]}" --extra test -c requirements.lock -o requirements-test.lock
