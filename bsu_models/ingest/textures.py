"""Texture images are measured from their headers before anything decodes them.

A PNG or JPEG of a few kilobytes can declare 12000×12000 pixels and need hundreds of megabytes
once decoded. ``check_textures`` reads the width and height from each image's header (PNG
``IHDR``, JPEG ``SOF``), never its pixels, and refuses one over ``BSU_MAX_TEXTURE_PIXELS``. It runs
in the parser process before trimesh opens anything, on the upload's image files and on the
images a glTF or GLB carries inside; the importing process checks the parser's ``texture.png``
the same way before it is drawn into the thumbnail.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from collections.abc import Iterator, Mapping

from bsu_models.core.errors import LimitExceeded

_PNG = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic); not DHT/JPG/DAC.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
# Markers that stand alone, without a length.
_STANDALONE = {0x01, *range(0xD0, 0xD9)}


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG or JPEG header; None for anything else (or no frame header)."""
    if data.startswith(_PNG) and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if not data.startswith(b"\xff\xd8"):
        return None
    offset = 2
    while offset + 4 <= len(data):
        if data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker in _STANDALONE:
            offset += 2
            continue
        if marker in _SOF:
            if offset + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
            return int(width), int(height)
        if marker == 0xDA:  # start of scan before any frame header
            return None
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        offset += 2 + length
    return None


# Magic bytes of image formats whose size this module does not read (they are refused), and the
# names by which a file is taken to be an image whatever its bytes.
_OTHER_IMAGES = (b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*", b"\x00\x00\x01\x00")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tga", ".tif", ".tiff", ".webp")


def _image_like(name: str, data: bytes) -> bool:
    return (
        name.lower().endswith(_IMAGE_SUFFIXES)
        or data.startswith((_PNG, b"\xff\xd8", *_OTHER_IMAGES))
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    )


def check_texture(label: str, name: str, data: bytes, limit: int) -> None:
    """Refuse ``data`` (an image called ``name`` in upload ``label``) over ``limit`` pixels,
    and any image whose size cannot be read from its header (it would be decoded unmeasured)."""
    size = image_size(data)
    if size is None:
        if _image_like(name, data):
            raise LimitExceeded(
                "{label}: the texture image {name!r} is not a PNG or JPEG whose size can be "
                "read from its header; textures must be PNG or JPEG.",
                label=label,
                name=name,
            )
        return
    if size[0] * size[1] > limit:
        raise LimitExceeded(
            "{label}: the texture image {name!r} is {width}×{height} pixels ({pixels:,}); at "
            "most {limit:,} pixels are allowed (BSU_MAX_TEXTURE_PIXELS).",
            label=label,
            name=name,
            width=size[0],
            height=size[1],
            pixels=size[0] * size[1],
            limit=limit,
        )


def embedded_images(fmt: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    """The images a GLB (in its binary chunk) or a glTF (as ``data:`` URIs) carries inside,
    named as the file names them; images in separate files are upload files of their own."""
    try:
        if fmt == "glb":
            gltf, binary = _glb_chunks(data)
        elif fmt == "gltf":
            gltf, binary = json.loads(data.decode("utf-8-sig")), b""
        else:
            return
    except (ValueError, UnicodeDecodeError, struct.error):
        return  # the parser names what is wrong with the file itself
    if not isinstance(gltf, Mapping):
        return
    views = gltf.get("bufferViews") or []
    for index, image in enumerate(gltf.get("images") or []):
        if not isinstance(image, Mapping):
            continue
        name = str(image.get("name") or image.get("uri", "")[:40] or f"image {index}")
        uri = image.get("uri")
        if isinstance(uri, str) and uri.startswith("data:") and "," in uri:
            try:
                yield name, base64.b64decode(uri.split(",", 1)[1], validate=False)
            except (binascii.Error, ValueError):
                continue
        view = image.get("bufferView")
        if isinstance(view, int) and 0 <= view < len(views) and isinstance(views[view], Mapping):
            start = int(views[view].get("byteOffset", 0) or 0)
            yield name, binary[start : start + int(views[view].get("byteLength", 0) or 0)]


def _glb_chunks(data: bytes) -> tuple[object, bytes]:
    """The JSON and binary chunks of a GLB (structure already checked by the parser)."""
    offset, gltf, binary = 12, None, b""
    while offset + 8 <= len(data):
        length, kind = struct.unpack_from("<II", data, offset)
        chunk = data[offset + 8 : offset + 8 + length]
        if kind == 0x4E4F534A:  # JSON
            gltf = json.loads(chunk.decode("utf-8"))
        elif kind == 0x004E4942:  # BIN
            binary = chunk
        offset += 8 + length
    return gltf, binary


def check_textures(
    label: str, fmt: str, mesh: bytes, companions: Mapping[str, bytes], limit: int
) -> None:
    """Refuse an upload with any texture over ``limit`` pixels: an image file of the upload,
    or one inside its glTF/GLB. Reads headers only."""
    for name, data in companions.items():
        check_texture(label, name, data, limit)
    for name, data in embedded_images(fmt, mesh):
        check_texture(label, name, data, limit)
