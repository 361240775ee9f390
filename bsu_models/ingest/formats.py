"""Recognising upload formats from their bytes, never from the file name.

``FORMATS`` is the one table of what the catalogue reads; ``SUPPORTED_MESH_FORMATS`` and the
error messages are built from it. ``KNOWN_UNSUPPORTED`` names formats that people do upload
(VRML, FBX, ...) so that the error can say what the file is rather than "unknown bytes".
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass

from bsu_models.core.errors import Message


@dataclass(frozen=True)
class FormatSpec:
    key: str
    label: str
    role: str  # mesh | material | image | archive
    media_type: str
    trimesh_type: str | None = None


FORMATS: dict[str, FormatSpec] = {
    "ply": FormatSpec("ply", "PLY", "mesh", "model/x-ply", "ply"),
    "stl": FormatSpec("stl", "STL", "mesh", "model/stl", "stl"),
    "obj": FormatSpec("obj", "Wavefront OBJ", "mesh", "model/obj", "obj"),
    "off": FormatSpec("off", "OFF", "mesh", "model/x-off", "off"),
    "glb": FormatSpec("glb", "glTF binary (GLB)", "mesh", "model/gltf-binary", "glb"),
    "gltf": FormatSpec("gltf", "glTF", "mesh", "model/gltf+json", "gltf"),
    "mtl": FormatSpec("mtl", "OBJ material library", "material", "model/mtl"),
    "png": FormatSpec("png", "PNG image", "image", "image/png"),
    "jpeg": FormatSpec("jpeg", "JPEG image", "image", "image/jpeg"),
    "zip": FormatSpec("zip", "zip archive", "archive", "application/zip"),
}

SUPPORTED_MESH_FORMATS = tuple(k for k, spec in FORMATS.items() if spec.role == "mesh")

# Magic prefixes of formats we recognise but do not read (descriptions in words are translated).
KNOWN_UNSUPPORTED: dict[bytes, str | Message] = {
    b"#VRML": "VRML",
    b"Kaydara FBX Binary": "FBX",
    b"; FBX": "FBX (ASCII)",
    b"%PDF": "PDF",
    b"\x1f\x8b": Message("gzip-compressed data"),
    b"Rar!": Message("RAR archive"),
    b"7z\xbc\xaf\x27\x1c": Message("7-Zip archive"),
    b"# vtk DataFile": Message("VTK legacy"),
    b"<?xml": Message("XML (e.g. COLLADA, X3D or VTK XML)"),
    b"<!DOCTYPE html": "HTML",
    b"<html": "HTML",
    b"ISO-10303-21": Message("STEP (CAD)"),
    b"GIF8": Message("GIF image"),
    b"BM": Message("BMP image"),
}

_OBJ_LINE = re.compile(rb"^\s*(v|vt|vn|f|o|g|s|l|p|usemtl|mtllib|vp)\s", re.MULTILINE)
_OFF_HEAD = re.compile(rb"^\s*(?:#[^\n]*\n\s*)*(ST)?(C)?(N)?(4)?(n)?OFF\b")
_TEXT_PROBE = 256 * 1024


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut in the middle of a multi-byte character at the end of the probe is fine.
        if exc.start < len(head) - 4:
            try:
                head.decode("latin-1")
            except UnicodeDecodeError:
                return False
            return sum(b < 9 or 13 < b < 32 for b in head) == 0
    return True


def _is_binary_stl(data: bytes) -> bool:
    if len(data) < 84:
        return False
    (count,) = struct.unpack_from("<I", data, 80)
    return len(data) == 84 + 50 * count


def sniff(data: bytes) -> str:
    """Return the ``FORMATS`` key for ``data``, or ``"unknown"``; decided from bytes alone."""
    head = data[:_TEXT_PROBE]
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"glTF"):
        return "glb"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"ply\n", b"ply\r\n", b"ply \n")):
        return "ply"
    if _is_binary_stl(data) and not _looks_like_text(head[:80] + head[84:4096]):
        return "stl"
    if not _looks_like_text(head):
        return "unknown"
    stripped = head.lstrip()
    if stripped.startswith(b"solid") and (b"facet" in head or b"endsolid" in head):
        return "stl"
    if _OFF_HEAD.match(head):
        return "off"
    if stripped.startswith(b"{"):
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return "unknown"
        if isinstance(doc, dict) and "asset" in doc:
            return "gltf"
        return "unknown"
    if re.search(rb"^\s*newmtl\s", head, re.MULTILINE) and not re.search(
        rb"^\s*f\s", head, re.MULTILINE
    ):
        return "mtl"
    if _OBJ_LINE.search(head) and re.search(rb"^\s*v\s", head, re.MULTILINE):
        return "obj"
    return "unknown"


def describe_unknown(data: bytes) -> Message:
    """A short phrase saying what unrecognised bytes look like, for error messages."""
    if not data:
        return Message("it is empty")
    if not data.strip():
        return Message("it holds only white space")
    for magic, label in KNOWN_UNSUPPORTED.items():
        if data.lstrip()[: len(magic)].lower() == magic.lower():
            return Message("it is {format}, which is not supported", format=label)
    if data.startswith(b"glTF"):
        return Message("it claims to be GLB but its structure is broken")
    return Message("its bytes do not match any supported mesh format")


def supported_list() -> str:
    return ", ".join(FORMATS[k].label for k in SUPPORTED_MESH_FORMATS)
