"""In-memory corpus of hostile and broken upload files for the mesh importer.

``hostile_uploads()`` returns a list of :class:`HostileUpload` cases. Each case
is one upload as a browser would send it: one or more ``(file name, bytes)``
pairs. None of them is an acceptable mesh. The set covers:

* wrong or unsupported formats hidden behind a mesh extension;
* malformed OBJ, PLY, STL, OFF and glTF/GLB (truncated bodies, lying counts,
  out-of-range indices, NaN/inf coordinates, empty meshes);
* references that point outside the upload (``mtllib``, texture maps and
  glTF buffer URIs that use ``..``, absolute paths or remote URLs);
* hostile zip archives (path traversal, symlinks, bombs, junk-only,
  corrupt, encrypted and nested archives), including a bomb of many small
  entries;
* texture bombs: a 17 KB PNG that declares 12000×12000 pixels, next to an
  OBJ and its MTL, in a zip, and inside a GLB.

The test suite parametrizes over the corpus, using ``case_id`` as the test
id. For each case it feeds ``files`` to the importer and asserts that the
importer:

* refuses the upload with a clear, user-facing error (never an uncaught
  exception and never a stored mesh);
* writes nothing outside its scratch directory and fetches nothing from the
  network.

The importer under test is configured with these limits: upload 64 MiB,
5,000,000 faces, 1,000 archive entries, 256 MiB unpacked, compression ratio
100. The bombs are sized to exceed those limits while every generated file
stays small in memory (< 2 MB).

Only the standard library and numpy are used, so the corpus does not depend on
the importer's own parsing stack.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import struct
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

__all__ = ["HostileUpload", "hostile_uploads"]


@dataclass(frozen=True)
class HostileUpload:
    case_id: str  # short slug, unique, e.g. "ply-lying-vertex-count"
    files: tuple[tuple[str, bytes], ...]  # (upload file name, bytes)
    why: str  # one line: what is wrong with it


MiB = 1024 * 1024

# A well-formed triangle. Archive cases wrap it so that the *only* reason
# to refuse is the archive itself (traversal, symlink, nesting, CRC, ...).
_TRIANGLE_OBJ = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"
_TRIANGLE_VERTICES = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], dtype="<f4")


def _case(case_id: str, name: str, data: bytes, why: str) -> HostileUpload:
    return HostileUpload(case_id, ((name, data),), why)


def _text(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("ascii")


# --------------------------------------------------------------------------
# PLY
# --------------------------------------------------------------------------


def _ply_header(
    fmt: str,
    n_vertices: int,
    n_faces: int | None,
    *,
    vertex_props: tuple[str, ...] = ("x", "y", "z"),
    face_list: str = "uchar int",
    end_header: bool = True,
) -> bytes:
    """PLY header; ``n_faces=None`` omits the face element entirely."""
    lines = ["ply", f"format {fmt} 1.0", f"element vertex {n_vertices}"]
    lines += [f"property float {p}" for p in vertex_props]
    if n_faces is not None:
        lines += [f"element face {n_faces}", f"property list {face_list} vertex_indices"]
    if end_header:
        lines.append("end_header")
    return _text(*lines)


def _ply_binary_body(vertices: np.ndarray, faces: np.ndarray) -> bytes:
    """Little-endian vertex floats followed by ``uchar int`` triangle lists."""
    face_dtype = np.dtype([("n", "u1"), ("idx", "<i4", (3,))])
    face_rows = np.zeros(len(faces), dtype=face_dtype)
    face_rows["n"] = 3
    face_rows["idx"] = faces
    return np.asarray(vertices, dtype="<f4").tobytes() + face_rows.tobytes()


def _ply_ascii(vertex_lines: list[str], face_lines: list[str]) -> bytes:
    header = _ply_header("ascii", len(vertex_lines), len(face_lines))
    return header + _text(*vertex_lines, *face_lines)


_ASCII_TRIANGLE_VERTICES = ["0 0 0", "1 0 0", "0 1 0"]


def _ply_cases() -> list[HostileUpload]:
    one_face = np.array([[0, 1, 2]])
    inf_vertices = _TRIANGLE_VERTICES.copy()
    inf_vertices[1, 0] = np.inf
    huge_list = (
        _ply_header("binary_little_endian", 3, 1, face_list="uint int")
        + _TRIANGLE_VERTICES.tobytes()
        + struct.pack("<I3i", 0xFFFFFFFF, 0, 1, 2)
    )
    return [
        _case("ply-empty-file", "model.ply", b"", "zero-byte file"),
        _case(
            "ply-truncated-binary",
            "model.ply",
            _ply_header("binary_little_endian", 1000, 1) + np.zeros((10, 3), dtype="<f4").tobytes(),
            "binary header declares 1000 vertices and a face, body holds 10 vertices",
        ),
        _case(
            "ply-lying-vertex-count",
            "model.ply",
            _ply_header("binary_little_endian", 2**31, 1)
            + _ply_binary_body(_TRIANGLE_VERTICES, one_face),
            "header claims 2**31 vertices (24 GiB) over a 3-vertex body; must not allocate",
        ),
        _case(
            "ply-face-count-over-limit",
            "model.ply",
            _ply_header("ascii", 3, 6_000_000) + _text(*_ASCII_TRIANGLE_VERTICES, "3 0 1 2"),
            "header declares 6,000,000 faces, above the 5,000,000 face limit",
        ),
        _case(
            "ply-face-list-length-huge",
            "model.ply",
            huge_list,
            "binary face list length is 0xFFFFFFFF for a single face",
        ),
        _case(
            "ply-face-index-out-of-range",
            "model.ply",
            _ply_ascii(_ASCII_TRIANGLE_VERTICES, ["3 0 1 7"]),
            "ASCII face references vertex 7 of 3",
        ),
        _case(
            "ply-negative-face-index",
            "model.ply",
            _ply_ascii(_ASCII_TRIANGLE_VERTICES, ["3 0 -1 2"]),
            "ASCII face references vertex -1",
        ),
        _case(
            "ply-nan-vertex",
            "model.ply",
            _ply_ascii(["0 0 0", "nan 0 0", "0 1 0"], ["3 0 1 2"]),
            "ASCII vertex coordinate is nan",
        ),
        _case(
            "ply-inf-vertex-binary",
            "model.ply",
            _ply_header("binary_little_endian", 3, 1) + _ply_binary_body(inf_vertices, one_face),
            "binary vertex coordinate is +inf",
        ),
        _case(
            "ply-no-end-header",
            "model.ply",
            _ply_header("ascii", 3, 1, end_header=False)
            + _text(*_ASCII_TRIANGLE_VERTICES, "3 0 1 2"),
            "header never terminated by end_header",
        ),
        _case(
            "ply-unknown-format",
            "model.ply",
            _ply_header("binary_middle_endian", 3, 1) + _text(*_ASCII_TRIANGLE_VERTICES, "3 0 1 2"),
            "format line names a non-existent encoding",
        ),
        _case(
            "ply-vertex-missing-z",
            "model.ply",
            _ply_header("ascii", 3, 1, vertex_props=("x", "y"))
            + _text("0 0", "1 0", "0 1", "3 0 1 2"),
            "vertex element has only x and y properties, no z",
        ),
        _case(
            "ply-empty-mesh",
            "model.ply",
            _ply_header("ascii", 0, 0),
            "valid header with zero vertices and zero faces",
        ),
        _case(
            "ply-point-cloud",
            "model.ply",
            _ply_header("ascii", 3, None) + _text(*_ASCII_TRIANGLE_VERTICES),
            "vertices only, no face element: a point cloud, not a mesh",
        ),
    ]


# --------------------------------------------------------------------------
# STL
# --------------------------------------------------------------------------


def _stl_binary(triangles: np.ndarray, declared_count: int | None = None) -> bytes:
    """Binary STL; ``triangles`` has shape (n, 3, 3)."""
    # The 80-byte header must not start with "solid", or readers take the
    # file for ASCII STL and the case would test something else.
    header = b"binary STL from hostile_corpus".ljust(80, b" ")
    rows = np.zeros(
        len(triangles),
        dtype=np.dtype([("normal", "<f4", (3,)), ("v", "<f4", (3, 3)), ("attr", "<u2")]),
    )
    rows["normal"] = (0, 0, 1)
    rows["v"] = triangles
    count = len(triangles) if declared_count is None else declared_count
    return header + struct.pack("<I", count) + rows.tobytes()


def _stl_ascii(vertex_triples: list[str]) -> bytes:
    lines = ["solid hostile"]
    for i in range(0, len(vertex_triples), 3):
        lines += ["  facet normal 0 0 1", "    outer loop"]
        lines += [f"      vertex {v}" for v in vertex_triples[i : i + 3]]
        lines += ["    endloop", "  endfacet"]
    lines.append("endsolid hostile")
    return _text(*lines)


def _stl_cases() -> list[HostileUpload]:
    two_triangles = np.stack([_TRIANGLE_VERTICES, _TRIANGLE_VERTICES + 1])
    nan_triangle = _TRIANGLE_VERTICES.copy()
    nan_triangle[2, 1] = np.nan
    return [
        _case(
            "stl-binary-count-mismatch",
            "model.stl",
            _stl_binary(two_triangles, declared_count=1000),
            "binary header (bytes 80-84) declares 1000 triangles, file holds 2",
        ),
        _case(
            "stl-binary-zero-triangles",
            "model.stl",
            _stl_binary(np.zeros((0, 3, 3))),
            "binary STL with a triangle count of 0: empty mesh",
        ),
        _case(
            "stl-binary-nan-vertex",
            "model.stl",
            _stl_binary(nan_triangle[None]),
            "binary triangle with a NaN vertex coordinate",
        ),
        _case(
            "stl-ascii-no-facets",
            "model.stl",
            b"solid x\nendsolid x\n",
            "ASCII STL with no facets: empty mesh",
        ),
        _case(
            "stl-ascii-nan-vertex",
            "model.stl",
            _stl_ascii(["0 0 0", "1 nan 0", "0 1 0"]),
            "ASCII facet vertex coordinate is nan",
        ),
        _case(
            "stl-ascii-truncated",
            "model.stl",
            b"solid x\n  facet normal 0 0 1\n    outer loop\n      vertex 0 0 0\n      vertex 1 0",
            "ASCII STL cut off in the middle of a facet",
        ),
    ]


# --------------------------------------------------------------------------
# OBJ (+ MTL)
# --------------------------------------------------------------------------


def _obj_cases() -> list[HostileUpload]:
    vertices = ["v 0 0 0", "v 1 0 0", "v 0 1 0"]
    return [
        _case(
            "obj-whitespace-only", "model.obj", b" \n\t\r\n   \n\n", "file holds only whitespace"
        ),
        _case(
            "obj-face-index-out-of-range",
            "model.obj",
            _text(*vertices, "f 1 2 999"),
            "face references vertex 999 of 3",
        ),
        _case(
            "obj-face-index-zero",
            "model.obj",
            _text(*vertices, "f 0 1 2"),
            "face uses index 0; OBJ indices are 1-based",
        ),
        _case(
            "obj-negative-index-out-of-range",
            "model.obj",
            _text(*vertices, "f -1 -2 -9"),
            "relative face index -9 reaches before the first of 3 vertices",
        ),
        _case("obj-vertices-only", "model.obj", _text(*vertices), "only v lines, no faces"),
        _case(
            "obj-garbage-face-tokens",
            "model.obj",
            _text(*vertices, "f one two/x //", "f 1 2 abc"),
            "f lines hold non-numeric tokens",
        ),
        _case(
            "obj-nan-vertex",
            "model.obj",
            _text("v 0 0 0", "v nan 0 0", "v 0 1 0", "f 1 2 3"),
            "vertex coordinate is nan",
        ),
        _case(
            "obj-mtllib-traversal",
            "model.obj",
            _text("mtllib ../../../etc/passwd", *vertices, "usemtl x", "f 1 2 999"),
            "mtllib points outside the upload (must not be read); faces also out of range",
        ),
        HostileUpload(
            "obj-mtl-texture-traversal",
            (
                ("model.obj", _text("mtllib model.mtl", *vertices, "usemtl skin", "f 1 2 999")),
                (
                    "model.mtl",
                    _text("newmtl skin", "map_Kd ../../../../etc/shadow", "map_Bump /etc/passwd"),
                ),
            ),
            "MTL texture maps point outside the upload (must not be read); faces out of range",
        ),
    ]


# --------------------------------------------------------------------------
# OFF
# --------------------------------------------------------------------------


def _off_cases() -> list[HostileUpload]:
    return [
        _case(
            "off-truncated",
            "model.off",
            _text("OFF", "4 2 0", "0 0 0", "1 0 0"),
            "counts line declares 4 vertices and 2 faces, body has 2 vertices and no faces",
        ),
        _case(
            "off-face-index-out-of-range",
            "model.off",
            _text("OFF", "3 1 0", "0 0 0", "1 0 0", "0 1 0", "3 0 1 7"),
            "face references vertex 7 of 3",
        ),
        _case(
            "off-huge-counts",
            "model.off",
            _text("OFF", "2000000000 2000000000 0", "0 0 0"),
            "counts line declares 2e9 vertices and faces, body has 1 vertex; must not allocate",
        ),
    ]


# --------------------------------------------------------------------------
# glTF / GLB
# --------------------------------------------------------------------------

_GLB_MAGIC = b"glTF"
_CHUNK_JSON = 0x4E4F534A
_CHUNK_BIN = 0x004E4942


def _pad4(data: bytes, fill: bytes) -> bytes:
    return data + fill * (-len(data) % 4)


def _gltf_triangle_buffer(indices: tuple[int, int, int] = (0, 1, 2)) -> bytes:
    """36 bytes of float32 positions, then uint16 indices padded to 44 bytes."""
    return _pad4(_TRIANGLE_VERTICES.tobytes() + np.array(indices, dtype="<u2").tobytes(), b"\x00")


def _gltf_triangle(uri: str | None, *, byte_length: int = 44, position_count: int = 3) -> dict:
    """glTF 2.0 document for one indexed triangle in buffer 0.

    ``uri=None`` means the buffer lives in the GLB BIN chunk.
    """
    buffer = {"byteLength": byte_length}
    if uri is not None:
        buffer["uri"] = uri
    return {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1, "mode": 4}]}],
        "buffers": [buffer],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": 36, "target": 34962},
            {"buffer": 0, "byteOffset": 36, "byteLength": 6, "target": 34963},
        ],
        "accessors": [
            {
                "bufferView": 0,
                "componentType": 5126,
                "count": position_count,
                "type": "VEC3",
                "min": [0, 0, 0],
                "max": [1, 1, 0],
            },
            {"bufferView": 1, "componentType": 5123, "count": 3, "type": "SCALAR"},
        ],
    }


def _gltf_json(doc: dict) -> bytes:
    return json.dumps(doc, indent=1).encode("utf-8")


def _data_uri(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode("ascii")


def _glb(
    doc: dict,
    binary: bytes,
    *,
    version: int = 2,
    declared_length: int | None = None,
    json_chunk_length: int | None = None,
    bin_chunk_length: int | None = None,
) -> bytes:
    """GLB container; the keyword overrides let a case lie about lengths."""
    json_chunk = _pad4(_gltf_json(doc), b" ")
    bin_chunk = _pad4(binary, b"\x00")
    if json_chunk_length is None:
        json_chunk_length = len(json_chunk)
    if bin_chunk_length is None:
        bin_chunk_length = len(bin_chunk)
    body = (
        struct.pack("<II", json_chunk_length, _CHUNK_JSON)
        + json_chunk
        + struct.pack("<II", bin_chunk_length, _CHUNK_BIN)
        + bin_chunk
    )
    if declared_length is None:
        declared_length = 12 + len(body)
    return _GLB_MAGIC + struct.pack("<II", version, declared_length) + body


def _gltf_cases() -> list[HostileUpload]:
    triangle = _gltf_triangle_buffer()
    embedded = _gltf_triangle(None)
    actual_glb_length = len(_glb(embedded, triangle))
    return [
        _case(
            "glb-declared-length-too-long",
            "model.glb",
            _glb(embedded, triangle, declared_length=actual_glb_length + 4096),
            "GLB header declares a total length 4096 bytes past the end of the file",
        ),
        _case(
            "glb-json-chunk-past-end",
            "model.glb",
            _glb(embedded, triangle, json_chunk_length=1_000_000),
            "JSON chunk length runs far past the end of the file",
        ),
        _case(
            "glb-bin-chunk-past-end",
            "model.glb",
            _glb(embedded, triangle, bin_chunk_length=10 * MiB),
            "BIN chunk declares 10 MiB, file holds 44 bytes of it",
        ),
        _case(
            "glb-unsupported-version",
            "model.glb",
            _glb(embedded, triangle, version=99),
            "GLB container version 99 (only 2 exists)",
        ),
        _case(
            "gltf-buffer-uri-traversal",
            "model.gltf",
            _gltf_json(_gltf_triangle("../../etc/passwd")),
            "buffer uri climbs out of the upload (../../etc/passwd); must not be read",
        ),
        _case(
            "gltf-buffer-uri-absolute-file",
            "model.gltf",
            _gltf_json(_gltf_triangle("file:///etc/passwd")),
            "buffer uri is an absolute file:// URL; must not be read",
        ),
        _case(
            "gltf-buffer-uri-remote",
            "model.gltf",
            _gltf_json(_gltf_triangle("http://example.invalid/x.bin")),
            "buffer uri is a remote http URL; must not be fetched",
        ),
        _case(
            "gltf-index-out-of-range",
            "model.gltf",
            _gltf_json(_gltf_triangle(_data_uri(_gltf_triangle_buffer((0, 1, 99))))),
            "embedded index buffer references vertex 99 of 3",
        ),
        _case(
            "gltf-accessor-overrun",
            "model.gltf",
            _gltf_json(_gltf_triangle(_data_uri(triangle), position_count=1_000_000)),
            "POSITION accessor claims 1,000,000 vertices in a 36-byte bufferView",
        ),
        _case(
            "gltf-no-meshes",
            "model.gltf",
            _gltf_json({"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": []}]}),
            "well-formed glTF with no meshes: nothing to import",
        ),
        _case(
            "gltf-invalid-json",
            "model.gltf",
            b'{"asset": {"version": "2.0"}, "meshes": [{"primitives": [',
            "glTF JSON cut off mid-document",
        ),
    ]


# --------------------------------------------------------------------------
# Wrong or unsupported formats
# --------------------------------------------------------------------------


def _png_1x1() -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1 RGB, 8-bit
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _format_cases() -> list[HostileUpload]:
    # 4099 bytes: (4099 - 84) is not a multiple of 50, so no triangle count
    # in bytes 80-84 can make this a size-consistent binary STL.
    random_bytes = np.random.default_rng(20240601).bytes(4099)
    return [
        _case(
            "random-bytes-as-stl",
            "model.stl",
            random_bytes,
            "4099 random bytes with an .stl extension",
        ),
        _case("png-as-obj", "scene.obj", _png_1x1(), "a PNG image renamed to .obj"),
        _case(
            "html-as-ply",
            "model.ply",
            _text(
                "<!DOCTYPE html>",
                "<html><head><title>404 Not Found</title>",
                "</head><body><h1>Not Found</h1></body></html>",
            ),
            "an HTML error page renamed to .ply",
        ),
        _case(
            "pdf-as-ply",
            "model.ply",
            b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"trailer\n<< /Root 1 0 R >>\n%%EOF\n",
            "a PDF document renamed to .ply",
        ),
        _case(
            "vrml-unsupported",
            "model.wrl",
            _text(
                "#VRML V2.0 utf8",
                "Shape {",
                "  geometry IndexedFaceSet {",
                "    coord Coordinate { point [ 0 0 0, 1 0 0, 0 1 0 ] }",
                "    coordIndex [ 0, 1, 2, -1 ]",
                "  }",
                "}",
            ),
            "VRML 2.0 scene: unsupported format",
        ),
        _case(
            "fbx-unsupported",
            "model.fbx",
            b"Kaydara FBX Binary  \x00\x1a\x00" + struct.pack("<I", 7400) + bytes(64),
            "binary FBX header: unsupported format",
        ),
    ]


# --------------------------------------------------------------------------
# Zip archives
# --------------------------------------------------------------------------


def _zip(entries, *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """Zip of ``(name or ZipInfo, bytes)`` entries, deflate level 9.

    Names go through ``ZipInfo`` unchanged, so ``..`` and leading ``/``
    survive into the archive; timestamps are fixed at 1980-01-01.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries:
            info = name if isinstance(name, zipfile.ZipInfo) else zipfile.ZipInfo(name)
            zf.writestr(info, data, compress_type=compression, compresslevel=9)
    return buf.getvalue()


def _zip_of_zeros(name: str, size: int) -> bytes:
    """Single deflated entry of ``size`` zero bytes, streamed in 1 MiB chunks."""
    buf = io.BytesIO()
    chunk = bytes(MiB)
    with (
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
        zf.open(name, "w") as entry,
    ):
        for _ in range(size // MiB):
            entry.write(chunk)
        entry.write(bytes(size % MiB))
    return buf.getvalue()


# Offsets of fields in the local file header and the central directory
# header, used to forge single-entry archives.
_ZIP_FIELDS = {
    "flags": (6, 8, "<H"),
    "method": (8, 10, "<H"),
    "crc": (14, 16, "<I"),
    "file_size": (22, 24, "<I"),
}


def _forge_zip(data: bytes, **fields: int) -> bytes:
    """Overwrite header fields of a single-entry zip in both of its headers."""
    out = bytearray(data)
    eocd = out.rfind(b"PK\x05\x06")
    (central,) = struct.unpack_from("<I", out, eocd + 16)
    assert out[:4] == b"PK\x03\x04" and out[central : central + 4] == b"PK\x01\x02"
    for field, value in fields.items():
        local_off, central_off, fmt = _ZIP_FIELDS[field]
        struct.pack_into(fmt, out, local_off, value)
        struct.pack_into(fmt, out, central + central_off, value)
    return bytes(out)


def _symlink_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix, so external_attr holds st_mode
    info.external_attr = 0o120777 << 16  # S_IFLNK | rwxrwxrwx
    return info


def _zip_cases() -> list[HostileUpload]:
    triangle_zip = _zip([("model.obj", _TRIANGLE_OBJ)])
    (triangle_info,) = zipfile.ZipFile(io.BytesIO(triangle_zip)).infolist()
    # 80 MiB of zeros: above the 64 MiB upload limit, below the 256 MiB
    # unpacked limit, compression ratio about 1000:1 (limit 100).
    ratio_bomb = _zip_of_zeros("model.obj", 80 * MiB)
    # Keep the local header plus half of the deflate stream, then garbage:
    # no central directory, no end-of-central-directory record.
    header_end = 30 + len("model.obj")
    corrupt = triangle_zip[: header_end + triangle_info.compress_size // 2] + np.random.default_rng(
        7
    ).bytes(64)
    return [
        _case(
            "zip-path-traversal",
            "upload.zip",
            _zip([("../../evil.obj", _TRIANGLE_OBJ)]),
            "entry named ../../evil.obj escapes the extraction directory",
        ),
        _case(
            "zip-absolute-path",
            "upload.zip",
            _zip([("/tmp/evil.obj", _TRIANGLE_OBJ)]),
            "entry with absolute path /tmp/evil.obj",
        ),
        _case(
            "zip-symlink-entry",
            "upload.zip",
            _zip([(_symlink_info("model.obj"), b"/etc/passwd")], compression=zipfile.ZIP_STORED),
            "model.obj is a Unix symlink entry pointing at /etc/passwd",
        ),
        _case(
            "zip-bomb-ratio",
            "upload.zip",
            ratio_bomb,
            "one entry inflates 80 KB to 80 MiB of zeros (ratio ~1000, upload limit 64 MiB)",
        ),
        _case(
            "zip-bomb-lying-size",
            "upload.zip",
            _forge_zip(ratio_bomb, file_size=1000),
            "headers declare 1000 bytes, the deflate stream inflates to 80 MiB",
        ),
        _case(
            "zip-bomb-entry-count",
            "upload.zip",
            _zip(((f"{i:05d}.obj", b"") for i in range(20_000)), compression=zipfile.ZIP_STORED),
            "20,000 empty entries (limit 1,000)",
        ),
        _case(
            "zip-only-junk",
            "upload.zip",
            _zip(
                [
                    ("__MACOSX/._x.obj", b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        "),
                    (".hidden.obj", _TRIANGLE_OBJ),
                ]
            ),
            "only an AppleDouble fork and a hidden file: nothing usable after skipping junk",
        ),
        _case(
            "zip-truncated",
            "upload.zip",
            corrupt,
            "valid local header, then half a deflate stream and garbage; no central directory",
        ),
        _case(
            "zip-bad-crc",
            "upload.zip",
            _forge_zip(triangle_zip, crc=triangle_info.CRC ^ 0xFFFFFFFF),
            "entry CRC-32 does not match its contents",
        ),
        _case(
            "zip-encrypted-entry",
            "upload.zip",
            _forge_zip(triangle_zip, flags=triangle_info.flag_bits | 0x1),
            "entry flagged as encrypted; no password can be supplied",
        ),
        _case(
            "zip-unknown-compression",
            "upload.zip",
            _forge_zip(triangle_zip, method=99),
            "entry uses unknown compression method 99",
        ),
        _case(
            "zip-nested-zip",
            "upload.zip",
            _zip([("inner.zip", triangle_zip)]),
            "archive holds only another zip; archives are not unpacked recursively",
        ),
        _case(
            "zip-no-supported-files",
            "upload.zip",
            _zip([("readme.txt", b"see model.fbx\n"), ("model.fbx", b"Kaydara FBX Binary  \x00")]),
            "archive holds no file in a supported mesh format",
        ),
        _case("zip-empty-archive", "upload.zip", _zip([]), "zip archive with no entries"),
    ]


# --------------------------------------------------------------------------
# Texture bombs and a bomb of many small entries
# --------------------------------------------------------------------------


def texture_bomb_png(side: int = 12_000) -> bytes:
    """A valid 1-bit greyscale PNG of ``side`` × ``side`` white-free pixels: about 17 KB on disk
    for 12000 × 12000, 144 million pixels (hundreds of MB) once decoded as RGB."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    row = b"\x00" + bytes(-(-side // 8))  # filter byte, then 1 bit per pixel
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(row * side, 9))
        + chunk(b"IEND", b"")
    )


TEXTURED_OBJ = _text(
    "mtllib model.mtl",
    "v 0 0 0",
    "v 1 0 0",
    "v 0 1 0",
    "vt 0 0",
    "vt 1 0",
    "vt 0 1",
    "usemtl skin",
    "f 1/1 2/2 3/3",
)
TEXTURED_MTL = _text("newmtl skin", "Kd 1 1 1", "map_Kd bomb.png")


def small_entries_bomb(entries: int = 1_000, size: int = 1_000_000) -> bytes:
    """A good triangle OBJ and ``entries - 1`` entries of ``size`` zero bytes each (each under
    1 MiB): about 1.1 MB of zip that unpacks to about 1 GB. The zeros are deflated once and the
    stream copied into every entry."""
    one = _zip([("x", bytes(size))])
    (info,) = zipfile.ZipFile(io.BytesIO(one)).infolist()
    stream = one[30 + 1 : 30 + 1 + info.compress_size]  # local header, name "x", then data
    members = [("model.obj", 0, zlib.crc32(_TRIANGLE_OBJ), _TRIANGLE_OBJ, len(_TRIANGLE_OBJ))]
    members += [(f"pad{i:04d}.bin", 8, info.CRC, stream, size) for i in range(1, entries)]
    date = (1 << 5) | 1  # 1980-01-01
    buf, central = io.BytesIO(), io.BytesIO()
    for text, method, crc, data, unpacked in members:
        name = text.encode()
        offset = buf.tell()
        fields = (method, 0, date, crc, len(data), unpacked, len(name), 0)
        buf.write(b"PK\x03\x04" + struct.pack("<HHHHHIIIHH", 20, 0, *fields) + name + data)
        central.write(
            b"PK\x01\x02"
            + struct.pack("<HHHHHHIIIHHHHHII", 20, 20, 0, *fields, 0, 0, 0, 0, offset)
            + name
        )
    start = buf.tell()
    directory = central.getvalue()
    buf.write(directory)
    buf.write(
        b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, entries, entries, len(directory), start, 0)
    )
    return buf.getvalue()


def _budget_cases() -> list[HostileUpload]:
    bomb = texture_bomb_png()
    doc = _gltf_triangle(None)
    doc["images"] = [{"bufferView": 2, "mimeType": "image/png"}]
    doc["bufferViews"].append({"buffer": 0, "byteOffset": 44, "byteLength": len(bomb)})
    doc["buffers"][0]["byteLength"] = 44 + len(bomb)
    doc["textures"] = [{"source": 0}]
    doc["materials"] = [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}]
    return [
        HostileUpload(
            "texture-bomb-obj",
            (("model.obj", TEXTURED_OBJ), ("model.mtl", TEXTURED_MTL), ("bomb.png", bomb)),
            "a 17 KB PNG texture that declares 12000×12000 pixels",
        ),
        _case(
            "texture-bomb-zip",
            "textured.zip",
            _zip([("model.obj", TEXTURED_OBJ), ("model.mtl", TEXTURED_MTL), ("bomb.png", bomb)]),
            "the same texture bomb inside a zip",
        ),
        _case(
            "texture-bomb-glb",
            "model.glb",
            _glb(doc, _gltf_triangle_buffer() + bomb),
            "a GLB whose embedded PNG declares 12000×12000 pixels",
        ),
        HostileUpload(
            "texture-unmeasured-gif",
            (
                ("model.obj", TEXTURED_OBJ),
                ("model.mtl", TEXTURED_MTL),
                # A GIF's header says 12000×12000 too, but only PNG and JPEG sizes are read.
                ("bomb.png", b"GIF89a" + struct.pack("<HH", 12_000, 12_000) + b"\x00" * 16),
            ),
            "a texture that is a GIF declaring 12000×12000 pixels, named .png",
        ),
        _case(
            "zip-bomb-small-entries",
            "upload.zip",
            small_entries_bomb(),
            "a triangle and 999 entries under 1 MiB each: 1.1 MB of zip unpacks to 1 GB",
        ),
    ]


# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _build() -> tuple[HostileUpload, ...]:
    cases = [
        *_format_cases(),
        *_ply_cases(),
        *_stl_cases(),
        *_obj_cases(),
        *_off_cases(),
        *_gltf_cases(),
        *_zip_cases(),
        *_budget_cases(),
    ]
    ids = [c.case_id for c in cases]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"duplicate case ids: {sorted(duplicates)}"
    return tuple(cases)


def hostile_uploads() -> list[HostileUpload]:
    """All hostile upload cases; built once (about a second), then cached."""
    return list(_build())
