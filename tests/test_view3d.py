"""One copy of the 3D drawing code: the app's component (``main.js``) and the offline exhibit
viewer (``offline_viewer.js``) both draw with ``view3d.js``, and neither writes its own again.
The exhibit's page carries that module's code. Reads the files as text; no browser.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import trimesh

from bsu_models.court import offline_viewer_modules
from bsu_models.court.offline_viewer import build_offline_viewer

SHARED = offline_viewer_modules.SHARED_JS
MAIN = offline_viewer_modules.WEB_VIEWER_DIR / "main.js"
OFFLINE = offline_viewer_modules.VIEWER_JS
VIEWERS = [MAIN, OFFLINE]
# What draws the stage and the marks: the three.js classes only the shared module may use.
DRAWING_CLASSES = [
    "WebGLRenderer",
    "CSS2DRenderer",
    "CSS2DObject",
    "OrbitControls",
    "HemisphereLight",
    "DirectionalLight",
    "PerspectiveCamera",
    "OrthographicCamera",
    "SphereGeometry",
    "BoxGeometry",
    "ConeGeometry",
    "CylinderGeometry",
    "OctahedronGeometry",
    "TetrahedronGeometry",
    "MeshBasicMaterial",
    "MeshStandardMaterial",
    "LineBasicMaterial",
]


def _code(path: Path) -> str:
    """The file's text without its comments (line and block)."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"(?m)^\s*//.*$|\s//\s.*$", "", text)


def _exports(path: Path) -> set[str]:
    names = r"(?m)^export\s+(?:async\s+)?(?:function\*?|const|let|class)\s+([\w$]+)"
    return set(re.findall(names, _code(path)))


def _declared(path: Path) -> set[str]:
    """Names the file declares itself: functions, classes and variables (not its imports)."""
    return set(re.findall(r"\b(?:function\*?|const|let|var|class)\s+([\w$]+)", _code(path)))


def test_the_shared_module_exports_the_drawing() -> None:
    exported = _exports(SHARED)
    assert {"createStage", "drawMarks", "clearMarks", "aimCamera", "addModel"} <= exported


@pytest.mark.parametrize("viewer", VIEWERS, ids=lambda p: p.name)
def test_a_viewer_imports_the_shared_code_and_defines_none_of_it_again(viewer: Path) -> None:
    code = _code(viewer)
    assert re.search(r"""^\s*\}\s*from\s*'view3d';""", code, re.M), "does not import view3d"
    again = _exports(SHARED) & _declared(viewer)
    assert not again, f"{viewer.name} defines again what view3d.js exports: {sorted(again)}"
    drawn_here = [name for name in DRAWING_CLASSES if re.search(rf"\b{name}\b", code)]
    assert not drawn_here, f"{viewer.name} draws with {drawn_here}: that belongs in view3d.js"


def test_the_check_sees_a_copied_function(tmp_path: Path) -> None:
    copy = tmp_path / "copy.js"
    copy.write_text(
        "import { vec } from 'view3d';\n"
        "// function frameOf() in a comment does not count\n"
        "function drawMarks(group, layer) { return new THREE.ConeGeometry(1, 2); }\n",
        encoding="utf-8",
    )
    assert _exports(SHARED) & _declared(copy) == {"drawMarks"}
    assert re.search(r"\bConeGeometry\b", _code(copy))


def test_the_exhibit_page_carries_the_shared_module() -> None:
    glb = bytes(trimesh.creation.box(extents=(1.0, 2.0, 3.0)).export(file_type="glb"))
    page = build_offline_viewer(glb, {"title": "Box", "up": [0, 0, 1], "steps": []}).decode()
    modules = {
        name: json.loads(body)
        for name, body in re.findall(
            r'<script type="application/json" data-module="([^"]+)">(.*?)</script>', page, re.S
        )
    }
    shared = modules[offline_viewer_modules.SHARED_MODULE]
    source = SHARED.read_text(encoding="utf-8")
    # Its text as in the file, but for the import specifiers (each becomes a blob: URL).
    assert "".join(shared[::2]) == re.sub(r"""(?m)^(import .*?from ')[^']+(';)$""", r"\1\2", source)
    assert "export function drawMarks(" in shared[-1]
    # The viewer imports it from the page, as the component imports it from its folder.
    viewer = modules[offline_viewer_modules.VIEWER_MODULE]
    assert offline_viewer_modules.SHARED_MODULE in viewer[1::2]


def _static_imports(path: Path, imports: dict[str, str]) -> set[Path]:
    """The files ``path`` imports statically, resolved through the page's import map."""
    found = set()
    text = path.read_text(encoding="utf-8")
    pattern = r"""^\s*(?:import\s*['"]|(?:import|export)\b[^'";]*?\bfrom\s*['"])([^'"]+)['"]"""
    for spec in re.findall(pattern, text, re.M):
        for prefix, target in sorted(imports.items(), key=lambda kv: -len(kv[0])):
            if spec == prefix or (prefix.endswith("/") and spec.startswith(prefix)):
                spec = target + spec[len(prefix) :]
                break
        base = MAIN.parent if spec.startswith("./vendor") or spec == "./view3d.js" else path.parent
        found.add((base / spec).resolve())
    return found


def test_the_component_preloads_exactly_the_modules_of_its_first_frame():
    """A module missing from index.html's preloads is fetched only after the one importing it
    has arrived: one more round trip before the first frame. A module preloaded but imported
    only later (``import()``: stereo, the KTX2 decoder) competes with the first frame's."""
    page = (MAIN.parent / "index.html").read_text(encoding="utf-8")
    imports = json.loads(
        re.search(r'<script type="importmap">(.*?)</script>', page, re.S).group(1)
    )["imports"]
    preloaded = {
        (MAIN.parent / href).resolve()
        for href in re.findall(r'<link rel="modulepreload" href="([^"]+)">', page)
    }
    needed: set[Path] = set()
    todo = [MAIN.resolve()]
    while todo:
        module = todo.pop()
        for imported in _static_imports(module, imports) - needed:
            needed.add(imported)
            todo.append(imported)
    assert needed and needed == preloaded, sorted(
        str(p.relative_to(MAIN.parent.resolve())) for p in needed ^ preloaded
    )
    later = re.findall(r"""\bimport\(\s*['"]([^'"]+)['"]\s*\)""", MAIN.read_text(encoding="utf-8"))
    assert sorted(later) == ["./stereo.js", "three/addons/loaders/KTX2Loader.js"]
    for spec in later:
        path = MAIN.parent / spec.replace("three/addons/", "vendor/addons/")
        assert path.is_file() and path.resolve() not in preloaded, spec
