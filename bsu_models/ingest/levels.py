"""Web derivative levels: smaller, compressed copies of a version's web GLB for the browser.

A scan of millions of faces with 8k textures is too heavy to send whole; each level keeps at
most a face budget (simplified with fast-simplification, texture coordinates and vertex colours
carried over from the vertex each simplified vertex stands for) and a texture size, then is
compressed: geometry with meshopt (``gltfpack -cc``: ``EXT_meshopt_compression`` with
quantization) and textures as KTX2/Basis (``basisu``, ``KHR_texture_basisu``), which stay
compressed in GPU memory. A texture that cannot be encoded is kept as PNG with a warning; a
level that comes out empty is refused (``DerivationFailed``), never stored.

Everything here works on bytes and a temporary folder; storing and recording is
``bsu_models.ingest.level_jobs``.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import shutil
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from bsu_models.core.errors import DerivationFailed, Message
from bsu_models.ingest.texture_files import remember_source_files, written_as_file

if TYPE_CHECKING:  # trimesh takes a second to load; the command line imports this module
    import trimesh

_TOOL_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class LevelSpec:
    """A level's name and budgets: most faces, longest texture side in pixels."""

    name: str
    max_faces: int
    max_texture_px: int


#: Smallest first: the browser shows them in this order.
LEVELS = (LevelSpec("low", 150_000, 1024), LevelSpec("high", 500_000, 4096))


@dataclass(frozen=True)
class BuiltLevel:
    data: bytes
    faces: int
    texture_px: int | None  # longest side of the largest texture; None without texture
    texture_format: str | None  # "ktx2", "png" or None
    warning: Message | None


def basisu_path() -> str | None:
    """The ``basisu`` encoder: on PATH, or beside this Python (scripts/setup.sh puts it there)."""
    found = shutil.which("basisu")
    if found:
        return found
    beside = Path(sys.prefix) / "bin" / "basisu"
    return str(beside) if beside.is_file() else None


def _first_line(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0].strip() if text else None


@functools.cache
def tool_versions() -> dict[str, str | None]:
    """Versions of everything that shapes a level's bytes (recorded with each level)."""
    import fast_simplification
    import trimesh

    from bsu_models import __version__
    from bsu_models.ingest import texture_files

    # The release, and the code that shapes a level's bytes by its hash: a change between
    # releases still shows.
    code = hashlib.sha256()
    for module in (__file__, texture_files.__file__):
        code.update(Path(module).read_bytes())
    basisu = basisu_path()
    return {
        "bsu-models": f"{__version__} (level code {code.hexdigest()[:12]})",
        "fast-simplification": str(fast_simplification.__version__),
        "trimesh": str(trimesh.__version__),
        "gltfpack": _first_line(["gltfpack", "-v"]) if shutil.which("gltfpack") else None,
        "basisu": _first_line([basisu, "-version"]) if basisu else None,
    }


def load_parts(glb: bytes) -> list[trimesh.Trimesh]:
    """The meshes of a web GLB (read once for all its levels)."""
    import trimesh

    loaded = trimesh.load(io.BytesIO(glb), file_type="glb", process=False)
    remember_source_files(loaded)  # an unresized texture goes into each level as it is
    if isinstance(loaded, trimesh.Scene):
        return [g for g in loaded.dump() if isinstance(g, trimesh.Trimesh) and len(g.faces)]
    return [loaded] if isinstance(loaded, trimesh.Trimesh) and len(loaded.faces) else []


def surviving_vertices(
    faces: np.ndarray, vertex_count: int, collapses: np.ndarray, new_faces: np.ndarray
) -> np.ndarray | None:
    """The original vertex that each vertex of a simplified mesh kept its place as, or None
    when the simplification cannot be read back this way.

    ``faces (m, 3)``: the original faces; ``collapses (k, 2)``: the edge collapses of the
    simplification, ``(kept, removed)`` in order; ``new_faces (p, 3)``: its result. The
    simplifier keeps the vertex a collapse keeps, removes the faces that lose a corner, and
    numbers what is left in the original order: so following each removed vertex to where it
    went gives the new faces in original numbering. That is checked against ``new_faces``
    before it is used. Each new vertex then takes the attributes of the original vertex it kept
    the place of (the library's replay, far slower, gives one of the others collapsed into it;
    either is on the same side of every seam).
    """
    collapses = np.asarray(collapses, dtype=np.int64).reshape(-1, 2)
    if len(collapses) and (collapses.min() < 0 or collapses.max() >= vertex_count):
        return None
    into = np.arange(vertex_count)
    into[collapses[:, 1]] = collapses[:, 0]
    # A vertex may be removed into one removed later: jump until each points at a keeper.
    for _ in range(64):
        further = into[into]
        if np.array_equal(further, into):
            break
        into = further
    else:
        return None
    moved = into[faces]
    whole = (
        (moved[:, 0] != moved[:, 1]) & (moved[:, 1] != moved[:, 2]) & (moved[:, 0] != moved[:, 2])
    )
    used = np.zeros(vertex_count, dtype=bool)
    used[moved[whole].ravel()] = True
    number = np.cumsum(used) - 1
    if not np.array_equal(number[moved[whole]], np.asarray(new_faces)):
        return None
    return np.flatnonzero(used)


def _simplified(mesh: Any, target: int) -> trimesh.Trimesh:
    """``mesh`` with at most about ``target`` faces, its UVs or vertex colours kept."""
    import fast_simplification
    import trimesh

    if len(mesh.faces) <= target:
        return mesh.copy()  # its texture is fitted per level: the loaded part stays as it was
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    points, new_faces, collapses = fast_simplification.simplify(
        vertices, faces, target_count=max(int(target), 1), return_collapses=True
    )
    # Each simplified vertex takes the attributes of one original vertex collapsed into it, so
    # a UV never blends across a seam (the two sides are separate vertices in a GLB).
    source = surviving_vertices(faces, len(vertices), collapses, new_faces)
    if source is None or len(source) != len(points):
        _, _, mapping = fast_simplification.replay_simplification(vertices, faces, collapses)
        source = np.zeros(len(points), dtype=np.int64)
        kept = mapping >= 0
        source[mapping[kept]] = np.nonzero(kept)[0]
    visual: Any = None
    if mesh.visual.kind == "texture" and getattr(mesh.visual, "uv", None) is not None:
        uv = np.asarray(mesh.visual.uv)[source]
        visual = trimesh.visual.TextureVisuals(uv=uv, material=mesh.visual.material)
    elif mesh.visual.kind == "vertex":
        colours = np.asarray(mesh.visual.vertex_colors)[source]
        visual = trimesh.visual.ColorVisuals(vertex_colors=colours)
    return trimesh.Trimesh(points, new_faces, visual=visual, process=False, validate=False)


def _image_of(material: Any) -> Image.Image | None:
    return getattr(material, "baseColorTexture", None) or getattr(material, "image", None)


def _fit_texture(mesh: Any, max_px: int) -> int | None:
    """Shrink the mesh's texture to at most ``max_px`` on its longest side (sides multiples
    of 4, as Basis needs); returns the longest side kept, None without texture."""
    import trimesh

    if mesh.visual.kind != "texture":
        return None
    material = mesh.visual.material
    image = _image_of(material)
    if image is None:
        return None
    width, height = image.size
    scale = min(1.0, max_px / max(width, height))
    size = (max(4, int(width * scale) // 4 * 4), max(4, int(height * scale) // 4 * 4))
    if size != image.size:
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        image = image.resize(size, Image.Resampling.LANCZOS)
    pbr = trimesh.visual.material.PBRMaterial(
        baseColorTexture=written_as_file(image),
        baseColorFactor=[255, 255, 255, 255],
        metallicFactor=0.0,
        roughnessFactor=1.0,
    )
    mesh.visual = trimesh.visual.TextureVisuals(uv=mesh.visual.uv, material=pbr)
    return max(size)


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, timeout=_TOOL_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        done = None
    if done is None or done.returncode != 0:
        raise DerivationFailed("The {tool} step of a web level failed.", tool=what)


def build_level(
    glb: bytes | list[trimesh.Trimesh], spec: LevelSpec, source_sha256: str
) -> BuiltLevel:
    """The level ``spec`` of a version whose web GLB is ``glb`` (or its ``load_parts``).
    Raises ``DerivationFailed``."""
    import trimesh

    parts = load_parts(glb) if isinstance(glb, bytes) else glb
    total = sum(len(p.faces) for p in parts)
    if total == 0:
        raise DerivationFailed(
            "The web copy holds no faces, so level {level} cannot be made.", level=spec.name
        )
    kept = []
    for part in parts:
        share = max(1, spec.max_faces * len(part.faces) // total)
        simple = _simplified(part, share)
        if len(simple.faces):
            kept.append(simple)
    faces = sum(len(k.faces) for k in kept)
    if faces == 0:
        raise DerivationFailed("Level {level} came out with no faces.", level=spec.name)
    sides = [s for s in (_fit_texture(k, spec.max_texture_px) for k in kept) if s is not None]
    scene = trimesh.Scene(kept)

    def tag(tree: dict[str, Any]) -> None:
        tree.setdefault("asset", {})["extras"] = {
            "derived_from_sha256": source_sha256,
            "generator": "bsu-models web level",
        }

    plain = trimesh.exchange.gltf.export_glb(scene, tree_postprocessor=tag)
    with tempfile.TemporaryDirectory(prefix="bsu-level-") as tmp:
        work = Path(tmp)
        (work / "in.glb").write_bytes(plain)
        if not shutil.which("gltfpack"):
            raise DerivationFailed("The {tool} step of a web level failed.", tool="gltfpack")
        # -cc: meshopt compression; -kn/-km keep the names and materials; -noq is not given, so
        # positions and UVs are quantised (clicks are re-snapped to the full mesh anyway).
        _run(
            ["gltfpack", "-i", str(work / "in.glb"), "-o", str(work / "out.glb"), "-cc", "-kn"],
            "gltfpack",
        )
        packed = (work / "out.glb").read_bytes()
        warning = None
        texture_format = "png" if sides else None
        if sides:
            try:
                packed = _images_to_ktx2(packed, work)
                texture_format = "ktx2"
            except DerivationFailed as exc:
                warning = Message(
                    "The textures of level {level} could not be compressed ({reason}); "
                    "they are kept as PNG.",
                    level=spec.name,
                    reason=exc,
                )
    return BuiltLevel(packed, faces, max(sides) if sides else None, texture_format, warning)


# -- KTX2 textures inside a GLB ---------------------------------------------------------------


def read_glb(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The JSON document and the binary chunk of a GLB."""
    if len(data) < 20 or data[:4] != b"glTF":
        raise DerivationFailed("The {tool} step of a web level failed.", tool="glb")
    json_len = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20 : 20 + json_len])
    rest = 20 + json_len
    binary = b""
    if rest + 8 <= len(data):
        bin_len = struct.unpack_from("<I", data, rest)[0]
        binary = data[rest + 8 : rest + 8 + bin_len]
    return doc, binary


def write_glb(doc: dict[str, Any], binary: bytes) -> bytes:
    text = json.dumps(doc, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    binary += b"\0" * (-len(binary) % 4)
    total = 12 + 8 + len(text) + 8 + len(binary)
    return b"".join(
        [
            struct.pack("<4sII", b"glTF", 2, total),
            struct.pack("<I4s", len(text), b"JSON"),
            text,
            struct.pack("<I4s", len(binary), b"BIN\0"),
            binary,
        ]
    )


def _relayout(doc: dict[str, Any], binary: bytes, replace: dict[int, bytes]) -> bytes:
    """The GLB's binary chunk rebuilt with bufferViews ``replace``d (offsets updated)."""
    out = bytearray()

    def place(data: bytes) -> int:
        out.extend(b"\0" * (-len(out) % 16))
        offset = len(out)
        out.extend(data)
        return offset

    for index, view in enumerate(doc.get("bufferViews", [])):
        ext = view.get("extensions", {}).get("EXT_meshopt_compression")
        if ext is not None and ext.get("buffer", 0) == 0:
            start = ext.get("byteOffset", 0)
            ext["byteOffset"] = place(binary[start : start + ext["byteLength"]])
        if view.get("buffer", 0) == 0 and "byteLength" in view:
            start = view.get("byteOffset", 0)
            data = replace.get(index, binary[start : start + view["byteLength"]])
            view["byteOffset"] = place(data)
            view["byteLength"] = len(data)
    doc["buffers"][0]["byteLength"] = len(out)
    return bytes(out)


def _images_to_ktx2(glb: bytes, work: Path) -> bytes:
    """``glb`` with each embedded PNG/JPEG image encoded as KTX2 (ETC1S with mipmaps)."""
    basisu = basisu_path()
    if basisu is None:
        raise DerivationFailed("The {tool} step of a web level failed.", tool="basisu")
    doc, binary = read_glb(glb)
    replace: dict[int, bytes] = {}
    for number, image in enumerate(doc.get("images", [])):
        view = doc["bufferViews"][image["bufferView"]]
        start = view.get("byteOffset", 0)
        # basisu reads an image by its name's extension.
        suffix = ".jpg" if image.get("mimeType") == "image/jpeg" else ".png"
        source = work / f"image{number}{suffix}"
        target = work / f"image{number}.ktx2"
        source.write_bytes(binary[start : start + view["byteLength"]])
        # comp_level 0 without RDO: seconds rather than minutes for a 4k map on two cores.
        _run(
            [
                basisu,
                "-ktx2",
                "-mipmap",
                "-comp_level",
                "0",
                "-no_selector_rdo",
                "-no_endpoint_rdo",
                "-file",
                str(source),
                "-output_file",
                str(target),
            ],
            "basisu",
        )
        replace[image["bufferView"]] = target.read_bytes()
        image["mimeType"] = "image/ktx2"
    for texture in doc.get("textures", []):
        if "source" in texture:
            texture["extensions"] = {
                **texture.get("extensions", {}),
                "KHR_texture_basisu": {"source": texture.pop("source")},
            }
    for key in ("extensionsUsed", "extensionsRequired"):
        names = doc.setdefault(key, [])
        if "KHR_texture_basisu" not in names:
            names.append("KHR_texture_basisu")
    new_binary = _relayout(doc, binary, replace)
    return write_glb(doc, new_binary)


def ktx2_gpu_bytes(glb: bytes) -> tuple[int, int]:
    """(GPU bytes of the KTX2 textures once transcoded to a 4 bit/px format with mipmaps,
    bytes the same images would take as uncompressed RGBA without mipmaps)."""
    doc, binary = read_glb(glb)
    compressed = plain = 0
    for image in doc.get("images", []):
        if image.get("mimeType") != "image/ktx2":
            continue
        view = doc["bufferViews"][image["bufferView"]]
        start = view.get("byteOffset", 0)
        width, height = struct.unpack_from("<II", binary, start + 20)
        plain += width * height * 4
        compressed += int(width * height * 0.5 * 4 / 3)
    return compressed, plain
