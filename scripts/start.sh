#!/usr/bin/env bash
# Installs BSU Models, loads the demonstration case and starts the web app on
# http://localhost:8501 (SQLite and files under ./bsu-data unless BSU_* settings say otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export VTK_DEFAULT_OPENGL_WINDOW="${VTK_DEFAULT_OPENGL_WINDOW:-vtkEGLRenderWindow}"
.venv/bin/bsu-models demo
exec .venv/bin/streamlit run viewer/app.py "$@"
