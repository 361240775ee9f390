#!/usr/bin/env bash
# Installs BSU Models, loads the demonstration case and starts the web app on
# http://localhost:8501 (SQLite and files under ./bsu-data unless BSU_* settings say otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export VTK_DEFAULT_OPENGL_WINDOW="${VTK_DEFAULT_OPENGL_WINDOW:-vtkEGLRenderWindow}"
# On a new catalogue the demo loads as set-up; later only for a BSU_ACTOR who may open cases
# (e.g. BSU_ACTOR=admin), and otherwise the app starts with the catalogue as it is.
if ! .venv/bin/bsu-models demo; then
  echo "The demo case was not loaded again; starting with the catalogue as it is." >&2
fi
exec .venv/bin/streamlit run viewer/app.py "$@"
