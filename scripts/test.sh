#!/usr/bin/env bash
# Installs BSU Models with its test tools and runs the whole test suite: lint, then pytest
# (SQLite and a throwaway PostgreSQL cluster, real rendering, headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export VTK_DEFAULT_OPENGL_WINDOW="${VTK_DEFAULT_OPENGL_WINDOW:-vtkEGLRenderWindow}"
.venv/bin/ruff check bsu_models viewer tests bench
.venv/bin/mypy
.venv/bin/lint-imports
exec .venv/bin/python -m pytest "$@"
