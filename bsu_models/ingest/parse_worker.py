"""The parser process: loads one uploaded mesh with trimesh under resource limits.

Run only by ``bsu_models.ingest.sandbox`` as
``python -m bsu_models.ingest.parse_worker WORKDIR MEMORY_BYTES CPU_SECONDS``. It reads
``WORKDIR/request.json`` and the files it lists, and writes ``WORKDIR/out/``: ``vertices.npy``,
``faces.npy``, optionally ``uv.npy`` and ``colours.npy`` (validated arrays), ``web.glb`` (the
browser copy), optionally ``texture.png`` (the texture at the size the thumbnail needs), and
``result.json`` (facts, or an error: its class, msgid, values and English sentence).
Companion files (MTL, textures, glTF buffers) are served from memory by ``UploadResolver``: the
parser never opens a path it was given.
"""

from __future__ import annotations

import io
import json
import logging
import posixpath
import re
import resource
import struct
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import trimesh
from PIL import Image

from bsu_models.core.errors import BsuError, InvalidMesh, LimitExceeded, Message, params_to_json
from bsu_models.ingest.meshdata import (
    MESH_READY,
    is_watertight,
    merge_positions,
    position_ids,
    surface_area,
    validate_arrays,
)
from bsu_models.ingest.ply_strips import read_ply_with_strips
from bsu_models.ingest.texture_files import remember_source_files, write_textures_as_files
from bsu_models.ingest.textures import check_textures

_IMAGE_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff\xe0",
    b"\xff\xd8\xff\xe1",
    b"\xff\xd8\xff\xdb",
    b"\xff\xd8\xff\xee",
)


class UploadResolver(trimesh.resolvers.Resolver):
    """A trimesh resolver over the upload's companion files, held in memory."""

    def __init__(self, files: dict[str, bytes], base: str) -> None:
        self.files = files
        self.base = base
        self.fetched: set[str] = set()

    def get(self, name: str) -> bytes:
        key = name.replace("\\", "/")
        if "://" in key or key.startswith("/"):
            raise KeyError(f"refusing to fetch {name!r}")
        joined = posixpath.normpath(posixpath.join(self.base, key))
        if joined in self.files:
            self.fetched.add(joined)
            return self.files[joined]
        by_base = [n for n in self.files if posixpath.basename(n) == posixpath.basename(key)]
        if len(by_base) == 1:
            self.fetched.add(by_base[0])
            return self.files[by_base[0]]
        raise KeyError(f"{name!r} is not part of the upload")

    def __getitem__(self, name: str) -> bytes:
        return self.get(name)

    def __contains__(self, name: str) -> bool:
        try:
            self.get(name)
        except KeyError:
            return False
        return True

    def keys(self) -> list[str]:
        return list(self.files)

    def write(self, name: str, data: Any) -> None:
        raise KeyError("the upload resolver is read-only")

    def namespaced(self, namespace: str) -> UploadResolver:
        return UploadResolver(self.files, posixpath.join(self.base, namespace))


def check_ply_header(label: str, data: bytes, max_faces: int) -> None:
    """Refuse PLY headers whose element counts are over the limit before parsing a byte."""
    end = data.find(b"end_header")
    if end < 0:
        raise InvalidMesh("{label}: the PLY header has no end_header line.", label=label)
    for line in data[:end].splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == b"element":
            try:
                count = int(parts[2])
            except ValueError:
                # The header's bytes are shown as Python writes them (b'...'), quotes included.
                raise InvalidMesh(
                    "{label}: PLY element count {count} is not a number.",
                    label=label,
                    count=repr(parts[2]),
                ) from None
            if count < 0:
                raise InvalidMesh(
                    "{label}: PLY element {element} has a negative count.",
                    label=label,
                    element=repr(parts[1]),
                )
            if parts[1] in (b"face", b"tristrips") and count > max_faces:
                raise LimitExceeded(
                    "{label}: the PLY header declares {count:,} {element} elements; "
                    "at most {limit:,} faces are allowed.",
                    label=label,
                    count=count,
                    element=parts[1].decode(),
                    limit=max_faces,
                )
            if count > 4 * max_faces + 16:
                element = parts[1].decode(errors="replace")
                raise LimitExceeded(
                    "{label}: the PLY header declares {count:,} {element} elements, more than "
                    "the face limit allows.",
                    label=label,
                    count=count,
                    element=element,
                )
            if b"binary" in data[:end] and count > len(data):
                raise InvalidMesh(
                    "{label}: the PLY header declares {count:,} {element} elements "
                    "but the file has only {size:,} bytes (truncated or lying header).",
                    label=label,
                    count=count,
                    element=parts[1].decode(),
                    size=len(data),
                )


def check_glb_structure(label: str, data: bytes) -> None:
    """Refuse GLB containers whose header or chunk lengths disagree with the bytes present."""
    if len(data) < 20:
        raise InvalidMesh(
            "{label}: the GLB file is shorter than its 12-byte header and a chunk.", label=label
        )
    _magic, version, declared = struct.unpack_from("<4sII", data, 0)
    if version != 2:
        raise InvalidMesh(
            "{label}: GLB version {version} is not supported (expected 2).",
            label=label,
            version=version,
        )
    if declared != len(data):
        raise InvalidMesh(
            "{label}: the GLB header declares {declared:,} bytes but the file has "
            "{size:,} (truncated or damaged).",
            label=label,
            declared=declared,
            size=len(data),
        )
    offset = 12
    while offset < len(data):
        if offset + 8 > len(data):
            raise InvalidMesh(
                "{label}: a GLB chunk header is cut off at byte {offset:,}.",
                label=label,
                offset=offset,
            )
        length, _kind = struct.unpack_from("<II", data, offset)
        if offset + 8 + length > len(data):
            raise InvalidMesh(
                "{label}: a GLB chunk at byte {offset:,} claims {length:,} bytes, past the end "
                "of the file.",
                label=label,
                offset=offset,
                length=length,
            )
        offset += 8 + length


_OBJ_FACE_LINE = re.compile(rb"^[ \t]*f[ \t]+([^\r\n#]*)", re.MULTILINE)
_OBJ_INDEX = re.compile(rb"(?:^|\s)(-?\d+)")


def check_obj_indices(label: str, data: bytes) -> None:
    """Refuse OBJ faces that name vertex 0 or a vertex past the list (trimesh wraps them)."""
    vertex_count = len(re.findall(rb"^[ \t]*v[ \t]", data, re.MULTILINE))
    face_text = b"\n".join(_OBJ_FACE_LINE.findall(data))
    if not face_text:
        return
    indices = np.array(_OBJ_INDEX.findall(face_text), dtype=np.int64)
    if len(indices) == 0:
        return
    if (indices == 0).any():
        raise InvalidMesh(
            "{label}: a face refers to vertex 0, but OBJ vertices are numbered from 1.",
            label=label,
        )
    worst = int(indices.max()) if indices.max() > vertex_count else int(indices.min())
    if indices.max() > vertex_count or indices.min() < -vertex_count:
        raise InvalidMesh(
            "{label}: a face refers to vertex {vertex}, but the file has {count:,} vertices.",
            label=label,
            vertex=worst,
            count=vertex_count,
        )


def _geometry_of(loaded: Any, label: str) -> tuple[np.ndarray, np.ndarray, Any]:
    """Vertices, faces and, when there is only one, the mesh itself (for its texture or colours)."""

    if isinstance(loaded, trimesh.Scene):
        meshes = [g for g in loaded.dump() if isinstance(g, trimesh.Trimesh)]
    elif isinstance(loaded, trimesh.Trimesh):
        meshes = [loaded]
    else:
        meshes = []
    if not meshes:
        raise InvalidMesh(
            "{label}: the file holds no surface mesh (no faces were found).", label=label
        )
    if len(meshes) == 1:  # no joining: no copy of every face
        return np.asarray(meshes[0].vertices), np.asarray(meshes[0].faces), meshes[0]
    offsets = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
    vertices = np.concatenate([np.asarray(m.vertices) for m in meshes])
    faces = np.concatenate([np.asarray(m.faces) + o for m, o in zip(meshes, offsets, strict=True)])
    return vertices, faces, meshes[0] if len(meshes) == 1 else None


def _vertex_colours(mesh: Any, count: int) -> np.ndarray | None:
    """(n, 3) uint8 per-vertex colours of ``mesh``, if it has exactly one per vertex."""
    if mesh is None or getattr(mesh.visual, "kind", None) != "vertex":
        return None
    colours = np.asarray(mesh.visual.vertex_colors)
    if colours.shape[0] != count or colours.ndim != 2 or colours.shape[1] < 3:
        return None
    return colours[:, :3].astype(np.uint8)


_THUMBNAIL_TEXTURE_PX = 1024


def _texture_of(mesh: Any) -> tuple[np.ndarray | None, bytes | None]:
    uv = getattr(mesh.visual, "uv", None)
    material = getattr(mesh.visual, "material", None)
    image = getattr(material, "image", None) or getattr(material, "baseColorTexture", None)
    if uv is None or image is None:
        return None, None
    if image.size[0] * image.size[1] > (Image.MAX_IMAGE_PIXELS or 0) > 0:
        raise LimitExceeded(
            "A texture image is {width}×{height} pixels; at most {limit:,} pixels are allowed "
            "(BSU_MAX_TEXTURE_PIXELS).",
            width=image.size[0],
            height=image.size[1],
            limit=Image.MAX_IMAGE_PIXELS,
        )
    # Only the thumbnail draws this copy (the web copy keeps the full texture): a 480×360
    # picture needs no more than the 1024 px the browser's first level shows in a whole window,
    # and an 8192 px photograph takes 10 to 30 s to encode as PNG here, 1024 px a fraction.
    image = image.convert("RGB")
    image = image.reduce(-(-max(image.size) // _THUMBNAIL_TEXTURE_PX))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return np.asarray(uv), buffer.getvalue()


def _describe_parser_error(exc: Exception) -> Message:
    """A short phrase for what a parser exception means, in our own words (translated): the
    library's own text never reaches a user."""
    if isinstance(exc, KeyError):
        return (
            # The key is shown as Python writes it ('name', quotes included).
            Message("a required element or property {key} is missing", key=repr(exc.args[0]))
            if exc.args
            else Message("a required element or property is missing")
        )
    if isinstance(exc, IndexError):
        return Message("it refers to data that is not there (truncated or inconsistent counts)")
    if isinstance(exc, UnicodeError):
        return Message("it holds text that is not in a known encoding")
    if isinstance(exc, ValueError | TypeError | struct.error | OverflowError):
        return Message("values in it are malformed or of the wrong kind")
    return Message("unreadable data ({kind})", kind=type(exc).__name__)


def parse_upload(
    request: dict[str, Any],
    inputs: dict[str, bytes],
    out: Path,
    mesh_ready: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Parse one upload into ``out``; ``mesh_ready`` is called once the validated arrays are
    written there, before the facts and the web copy are made."""

    label = request["label"]
    mesh_name = request["mesh_name"]
    data = inputs[mesh_name]
    fmt = request["format"]
    max_faces = int(request["max_faces"])
    if fmt == "ply":
        check_ply_header(label, data, max_faces)
    elif fmt == "glb":
        check_glb_structure(label, data)
    elif fmt == "obj":
        check_obj_indices(label, data)
    companions = {n: d for n, d in inputs.items() if n != mesh_name}
    # Texture sizes come from the images' headers, before anything decodes them; an image that
    # trimesh opens by another way is held to the same limit by Pillow itself.
    max_pixels = int(request["max_texture_pixels"])
    check_textures(label, fmt, data, companions, max_pixels)
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    resolver = UploadResolver(companions, posixpath.dirname(mesh_name))
    try:
        if fmt == "ply" and re.search(rb"^element\s+tristrips\s", data[:65536], re.MULTILINE):
            vertices, faces = read_ply_with_strips(data, label)
            loaded: Any = trimesh.Trimesh(
                vertices=vertices, faces=faces, process=False, validate=False
            )
        else:
            loaded = trimesh.load(
                io.BytesIO(data), file_type=fmt, resolver=resolver, process=False, force=None
            )
    except BsuError:
        raise
    except MemoryError:
        raise LimitExceeded(
            "{label}: parsing needs more memory than allowed.", label=label
        ) from None
    except Exception as exc:  # trimesh raises many kinds on malformed input
        raise InvalidMesh(
            "{label}: the {format} file cannot be parsed ({detail}).",
            label=label,
            format=fmt.upper(),
            detail=_describe_parser_error(exc),
        ) from None
    remember_source_files(loaded)  # before anything reads the pixels, which lets the file go
    vertices, faces, single = _geometry_of(loaded, label)
    textured = (
        single if getattr(getattr(single, "visual", None), "kind", None) == "texture" else None
    )
    if fmt not in ("glb", "gltf") and not any(
        resolver.files[n][:4] in _IMAGE_MAGIC for n in resolver.fetched
    ):
        # trimesh invents a 2x2 placeholder image for UVs without a material: not a texture.
        textured = None
    colours = _vertex_colours(single, len(vertices)) if textured is None else None
    uv, texture_png = _texture_of(textured) if textured is not None else (None, None)
    vertices, faces, uv = validate_arrays(label, vertices, faces, max_faces, uv)
    if uv is None:
        texture_png = None

    if fmt == "stl":  # STL repeats every corner: its mesh is kept with positions merged
        vertices, faces = merge_positions(vertices, faces)
        colours = None
    arrays: dict[str, np.ndarray] = {"vertices": vertices, "faces": faces}
    if uv is not None and texture_png is not None:
        arrays["uv"] = uv
        (out / "texture.png").write_bytes(texture_png)
    if colours is not None:
        arrays["colours"] = colours
    # One .npy file per array: a zip (savez) would add a checksum pass on each side.
    for name, array in arrays.items():
        np.save(out / f"{name}.npy", array, allow_pickle=False)
    mesh_ready()  # the parent may draw the thumbnail while the facts and web copy are made

    # Watertightness is a property of the surface, not of how the file splits vertices (OBJ
    # splits at UV seams), so it is judged on merged positions.
    ids, positions = position_ids(vertices)
    watertight = is_watertight(ids[faces], positions)
    mesh = trimesh.Trimesh(
        vertices=vertices, faces=faces, vertex_colors=colours, process=False, validate=False
    )
    images_used = fmt in ("glb", "gltf") or any(
        resolver.files[n][:4] in _IMAGE_MAGIC for n in resolver.fetched
    )
    if textured is not None and texture_png is not None:
        scene = trimesh.Scene(textured)
    elif isinstance(loaded, trimesh.Scene) and len(loaded.geometry) > 1 and images_used:
        # Several textured parts (photogrammetry often splits its atlas): the web copy keeps
        # every part with its own texture; facts and pictures use the joined surface.
        scene = loaded
    else:
        scene = trimesh.Scene(mesh)
    write_textures_as_files(scene.geometry.values())  # as uploaded, or a fast lossless PNG

    def tag_source(tree: dict[str, Any]) -> None:
        tree.setdefault("asset", {})["extras"] = {
            "derived_from_sha256": request["source_sha256"],
            "generator": "bsu-models web copy",
        }

    glb = trimesh.exchange.gltf.export_glb(scene, tree_postprocessor=tag_source)
    (out / "web.glb").write_bytes(glb)
    # Warnings travel as messages (msgid and values), so they can be shown in either language.
    notes: list[dict[str, Any]] = []
    unused = sorted(
        n for n, d in companions.items() if d[:4] in _IMAGE_MAGIC and n not in resolver.fetched
    )
    if unused:
        notes.append(
            Message(
                "The upload holds {names}, which the mesh does not reference; "
                "kept with the original files but not shown on the model.",
                names=", ".join(unused),
            ).to_json()
        )
    return {
        "ok": True,
        "vertices": len(vertices),
        "faces": len(faces),
        "bounds": [vertices.min(axis=0).tolist(), vertices.max(axis=0).tolist()],
        "watertight": watertight,
        "surface_area": surface_area(vertices, faces),
        "has_texture": texture_png is not None or scene is loaded,
        "warnings": notes,
    }


def limit_self(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(argv: list[str]) -> int:
    """``WORKDIR MEMORY CPU`` parses at once; ``--serve MEMORY CPU`` first waits, limited and
    with its libraries loaded, for one work folder on standard input (a pre-started worker)."""
    if argv[0] == "--serve":
        limit_self(int(argv[1]), int(argv[2]))
        line = sys.stdin.readline().strip()
        if not line:
            return 0  # the parent went away before giving work
        return parse_folder(Path(line))
    limit_self(int(argv[1]), int(argv[2]))
    return parse_folder(Path(argv[0]))


def parse_folder(workdir: Path) -> int:
    logging.disable(logging.CRITICAL)  # trimesh logs parse trouble; we report it ourselves
    out = workdir / "out"
    out.mkdir(exist_ok=True)
    request = json.loads((workdir / "request.json").read_text())
    inputs = {
        name: (workdir / "in" / f"{index:05d}").read_bytes()
        for index, name in enumerate(request["files"])
    }
    try:
        result = parse_upload(request, inputs, out, _say_mesh_ready)
    except BsuError as exc:
        result = _failure(exc)
    except MemoryError:
        result = _failure(
            LimitExceeded(
                "{label}: parsing needs more memory than allowed.", label=request["label"]
            )
        )
    except Exception as exc:  # anything else is still this file's fault, said plainly
        result = _failure(
            InvalidMesh(
                "{label}: the file cannot be read as a mesh ({detail}).",
                label=request["label"],
                detail=_describe_parser_error(exc),
            )
        )
    (out / "result.json").write_text(json.dumps(result))
    return 0


def _say_mesh_ready() -> None:
    """Tell the parent (on standard output) that the arrays are written."""
    sys.stdout.write(f"{MESH_READY}\n")
    sys.stdout.flush()


def _failure(exc: BsuError) -> dict[str, Any]:
    """``result.json`` for an error: its class, msgid and values (so that the parent raises it
    again in any language) and its English sentence."""
    return {
        "ok": False,
        "error_type": type(exc).__name__,
        "template": exc.template,
        "params": params_to_json(exc.params),
        "message": str(exc),
    }


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
