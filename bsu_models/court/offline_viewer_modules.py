"""The JavaScript the offline exhibit viewer embeds: the vendored three.js release of the web
viewer, the module both viewers draw with (``view3d.js`` of the web viewer's component) and the
viewer script ``offline_viewer.js``, read from disk as ES-module source text.

ES modules inlined in a page cannot import one another by path, so each module's source is
returned split at its import specifiers, ``[text, module name, text, ..., text]``, with every
dependency before the module that imports it; the page's bootstrap script (see
``bsu_models.court.offline_viewer_page``) joins each one with the blob: URLs of its dependencies.
"""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path

from bsu_models.core.errors import StorageError

# The offline viewer embeds the web viewer's (scene3d component's) vendored three.js release and
# its drawing module, the one copy of that code: Streamlit serves a component only from its own
# folder, so that is where the module lives. Both viewers draw the model and the marks alike.
WEB_VIEWER_DIR = (
    Path(__file__).resolve().parents[2] / "viewer" / "components" / "scene3d" / "static"
)
THREE_VENDOR_DIR = WEB_VIEWER_DIR / "vendor"
SHARED_JS = WEB_VIEWER_DIR / "view3d.js"
SHARED_SPECIFIER = "view3d"  # as both viewers import it (the component maps it in index.html)
SHARED_MODULE = "view3d.js"
VIEWER_JS = Path(__file__).resolve().parent / "offline_viewer.js"
VIEWER_MODULE = "offline_viewer.js"  # its name among the embedded modules
THREE_LICENSE = "LICENSE-three.txt"
MODULE_BASE = "file:///bsu-viewer/"  # what an embedded module sees as its own address

# Static import/export-from statements at the start of a line. Anchoring at the line start skips
# the usage examples in three's doc comments (" * @three_import import { X } from '...'").
_IMPORT_FROM = re.compile(
    r"^(?:import|export)[\s\w$*{},]*?\bfrom\s*(['\"])([^'\"\n]+)\1", re.MULTILINE
)
_IMPORT_BARE = re.compile(r"^import\s*(['\"])([^'\"\n]+)\1", re.MULTILINE)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if path in (VIEWER_JS, SHARED_JS):
            raise StorageError(
                "The offline viewer needs {path}, which is missing; BSU Models is incomplete.",
                path=path,
            ) from None
        raise StorageError(
            "The offline viewer needs {path}, which is missing; the vendored three.js of the "
            "web viewer is incomplete.",
            path=path,
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StorageError(
            "The offline viewer cannot read {path}: {reason}.", path=path, reason=str(exc)
        ) from None


def _resolve(importer: str, specifier: str) -> str:
    """The module a specifier names, as a path relative to the vendor folder (the import map of
    the web viewer: ``three`` and ``three/addons/``, plus relative paths), or the shared module's
    name."""
    if specifier == SHARED_SPECIFIER:
        return SHARED_MODULE
    if specifier == "three":
        return "three.module.js"
    if specifier.startswith("three/addons/"):
        name = "addons/" + specifier.removeprefix("three/addons/")
    elif specifier.startswith(("./", "../")):
        name = posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))
    else:
        raise StorageError(
            "{importer} imports {specifier!r}, which the offline viewer cannot embed.",
            importer=importer,
            specifier=specifier,
        )
    if name.startswith("../") or name == ".." or posixpath.isabs(name):
        raise StorageError(
            "{importer} imports {specifier!r}, outside the vendored three.js.",
            importer=importer,
            specifier=specifier,
        )
    return name


def _split(source: str) -> list[tuple[int, int, str]]:
    """(start, end, specifier) of each static import in ``source``, in order."""
    found = [
        (m.start(2), m.end(2), m.group(2))
        for pattern in (_IMPORT_FROM, _IMPORT_BARE)
        for m in pattern.finditer(source)
    ]
    return sorted(found)


def viewer_modules() -> list[tuple[str, list[str]]]:
    """Every module the viewer needs, dependencies first, each as its source split at its import
    specifiers: ``[text, module name, text, module name, ..., text]``."""
    sources: dict[str, str] = {VIEWER_MODULE: _read(VIEWER_JS)}
    outside_vendor = {SHARED_MODULE: SHARED_JS}
    ordered: list[tuple[str, list[str]]] = []
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            # Blob URLs exist only once their module's text is final, so a cycle cannot be wired.
            raise StorageError(
                "The vendored three.js has an import cycle through {name}.", name=name
            )
        visiting.add(name)
        if name not in sources:
            # A blob: URL is no base for relative URLs, so a module's own address (KTX2Loader
            # finds its transcoder from it) becomes a fixed one under which the page maps names.
            sources[name] = _read(outside_vendor.get(name) or THREE_VENDOR_DIR / name).replace(
                "import.meta.url", json.dumps(f"{MODULE_BASE}{name}")
            )
        source = sources[name]
        pieces: list[str] = []
        at = 0
        for start, end, specifier in _split(source):
            dependency = _resolve(name, specifier)
            visit(dependency)
            pieces += [source[at:start], dependency]
            at = end
        pieces.append(source[at:])
        visiting.discard(name)
        done.add(name)
        ordered.append((name, pieces))

    visit(VIEWER_MODULE)
    return ordered


def basis_transcoder() -> tuple[bytes, bytes]:
    """The vendored Basis transcoder (its script and WebAssembly), for KTX2 textures."""
    folder = THREE_VENDOR_DIR / "addons" / "libs" / "basis"
    try:
        return (
            (folder / "basis_transcoder.js").read_bytes(),
            (folder / "basis_transcoder.wasm").read_bytes(),
        )
    except OSError as exc:
        raise StorageError(
            "The offline viewer cannot read {path}: {reason}.", path=str(folder), reason=str(exc)
        ) from None


def three_license() -> str:
    """The licence of the vendored three.js, which the page quotes in a comment."""
    return _read(THREE_VENDOR_DIR / THREE_LICENSE)
