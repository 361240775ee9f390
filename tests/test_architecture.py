"""The package's shape: nothing outside ``viewer/`` imports streamlit, and old module paths of
the flat layout still reach the same modules.

The import-linter contracts in ``pyproject.toml`` (run by ``scripts/test.sh``) hold the
directions between subpackages; this test walks the source itself, so it also catches an import
hidden in a function body or behind ``importlib``.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _streamlit_imports(root: Path, base: Path = REPO) -> list[str]:
    """``file:line`` of every import of streamlit (or a string naming it for importlib)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif (
                isinstance(node, ast.Call)
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and (
                    (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                    or (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                )
            ):
                names = [node.args[0].value]
            if any(name == "streamlit" or name.startswith("streamlit.") for name in names):
                found.append(f"{path.relative_to(base)}:{node.lineno}")
    return found


def test_bsu_models_never_imports_streamlit() -> None:
    assert _streamlit_imports(REPO / "bsu_models") == []


def test_the_check_sees_an_import_of_streamlit(tmp_path: Path) -> None:
    """The walk finds each way of importing streamlit, at top level or inside a function."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("import streamlit as st\n")
    (tmp_path / "pkg" / "b.py").write_text("def f():\n    from streamlit.runtime import x\n")
    (tmp_path / "pkg" / "c.py").write_text("import importlib as il\nil.import_module('streamlit')")
    (tmp_path / "pkg" / "d.py").write_text("import streamlit_extras_not_ours\n")
    found = _streamlit_imports(tmp_path / "pkg", base=tmp_path)
    assert found == ["pkg/a.py:1", "pkg/b.py:2", "pkg/c.py:2"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("bsu_models.errors", "bsu_models.core.errors"),
        ("bsu_models.limits", "bsu_models.core.limits"),
        ("bsu_models.scene_items", "bsu_models.scenes.scene_items"),
        ("bsu_models.stills", "bsu_models.render.stills"),
        ("bsu_models.exhibit", "bsu_models.court.exhibit"),
        ("bsu_models.access", "bsu_models.core.access"),
        ("bsu_models.cli_scene", "bsu_models.cli.scene"),
    ],
)
def test_old_module_paths_are_the_moved_modules(old: str, new: str) -> None:
    module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert module.__name__ == new
    assert module.__spec__ is not None and module.__spec__.name == new


def test_old_names_of_modules_that_became_subpackages() -> None:
    from bsu_models.cli import main
    from bsu_models.ingest import run_import
    from bsu_models.render import png_bytes
    from bsu_models.scenes import SceneService
    from bsu_models.scenes.service import SceneService as moved

    assert SceneService is moved
    assert callable(main) and callable(run_import) and callable(png_bytes)


def test_the_parser_process_loads_no_database_or_renderer() -> None:
    """``python -m bsu_models.ingest.parse_worker`` must stay light: the subpackage
    ``__init__`` files and the old-path finder import nothing heavy."""
    code = (
        "import sys, bsu_models.ingest.parse_worker\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'pyvista', 'vtkmodules', 'streamlit')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "[]"
