"""Texture images as the GLBs we write carry them: the file they were decoded from when there is
one, else a lossless PNG written at zlib's fastest level.

trimesh writes each texture of a GLB with ``image.save(file, format=...)``: as JPEG when the PIL
image came from one, encoded again at quality 75 (a visible loss), else as PNG at zlib's default
level (seconds for a 4096 px photograph, half a minute for 8192 px). Court pictures are drawn
from the web copy and the browser's levels are made from it, so each image is made to write
the very file it was decoded from (``written_as_file``): the upload's JPEG or PNG, byte for byte.
An image with no such file (resized for a level, or copied by ``Scene.dump``, which keeps no
file) is written as PNG at zlib's fastest level: the same pixels, in a fraction of the time.

Images: PIL ``Image.Image``; the file an image was decoded from is kept in its ``info`` when
trimesh has loaded it (``remember_source_files``), and used only while its header names the
image's own size.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any

from PIL import Image

from bsu_models.ingest.textures import image_size

#: The images a trimesh material may carry (PBR maps, or a simple material's one image).
MATERIAL_IMAGES = (
    "baseColorTexture",
    "normalTexture",
    "emissiveTexture",
    "occlusionTexture",
    "metallicRoughnessTexture",
    "image",
)
_JPEG = b"\xff\xd8\xff"
_SOURCE = "bsu-models source file"  # the key in an image's ``info``


def _images(meshes: Iterable[Any]) -> Iterator[Image.Image]:
    for mesh in meshes:
        material = getattr(getattr(mesh, "visual", None), "material", None)
        for name in MATERIAL_IMAGES:
            image = getattr(material, name, None)
            if isinstance(image, Image.Image):
                yield image


def remember_source_files(loaded: Any) -> None:
    """Keep, with each texture of a mesh or scene trimesh has just loaded, the JPEG or PNG file
    it is decoded from: PIL lets go of it once the pixels are read, and its copies (``dump``,
    ``resize``) take the image's ``info`` with them (``source_file`` checks the size)."""
    geometry = getattr(loaded, "geometry", None)
    for image in _images(geometry.values() if geometry is not None else [loaded]):
        getvalue = getattr(getattr(image, "fp", None), "getvalue", None)
        data = getvalue() if getvalue is not None else None
        if isinstance(data, bytes) and image_size(data) == image.size:
            image.info[_SOURCE] = data


def source_file(image: Any) -> tuple[str, bytes] | None:
    """``(format, bytes)`` of the JPEG or PNG file ``image`` was decoded from
    (``remember_source_files``) when it still shows that file's pixels at its size; else None."""
    data = getattr(image, "info", {}).get(_SOURCE)
    if not isinstance(data, bytes) or image_size(data) != getattr(image, "size", None):
        return None
    return ("JPEG" if data.startswith(_JPEG) else "PNG"), data


def written_as_file(image: Image.Image) -> Image.Image:
    """``image``, made to save itself (as trimesh saves a GLB's textures) as the file it was
    decoded from, or else as PNG at zlib's fastest level. Returns ``image``."""
    if isinstance(image.save, functools.partial) or getattr(image.save, "_file", None):
        return image  # already made so: one map may serve several parts or levels
    save = Image.Image.save.__get__(image)
    found = source_file(image)
    if found is None:
        image.format = None  # trimesh then writes PNG, never JPEG again
        image.save = functools.partial(save, compress_level=1)  # type: ignore[method-assign]
        return image
    kind, data = found
    image.format = kind

    def write_file(fp: Any, format: str | None = None, **params: Any) -> None:
        if str(format).upper() == kind:
            fp.write(data)
        else:
            save(fp, format=format, **params)

    write_file._file = True  # type: ignore[attr-defined]
    image.save = write_file  # type: ignore[method-assign]
    return image


def write_textures_as_files(meshes: Iterable[Any]) -> None:
    """Each material image of ``meshes`` (trimesh meshes) ``written_as_file``."""
    for image in _images(meshes):
        written_as_file(image)
