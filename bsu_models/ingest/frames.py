"""CCTV frames: stills from a camera's footage, uploaded as evidence for camera matching.

A frame is an untrusted upload. ``check_frame`` takes it only when its bytes say PNG or JPEG
(whatever it is called), reads its width and height from the header (``textures.image_size``)
and refuses one over the pixel cap before anything decodes it; only then is it decoded once,
whole, so a truncated or damaged file is refused here rather than when a still is drawn. The
bytes are kept as uploaded; ``frame_pixels`` decodes a checked frame for drawing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from bsu_models.core.errors import InvalidInput, LimitExceeded
from bsu_models.ingest.textures import image_size

_PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class FrameFacts:
    width: int
    height: int
    media_type: str  # image/png | image/jpeg


def check_frame(name: str, data: bytes, max_pixels: int) -> FrameFacts:
    """The facts of frame ``data`` (called ``name``); refuses anything but a whole PNG or JPEG
    of at most ``max_pixels`` pixels."""
    if data.startswith(_PNG):
        media_type = "image/png"
    elif data.startswith(b"\xff\xd8\xff"):
        media_type = "image/jpeg"
    else:
        raise InvalidInput(
            "{name}: a CCTV frame must be a PNG or JPEG picture; these bytes are neither.",
            name=name,
        )
    size = image_size(data)
    if size is None or min(size) < 1:
        raise InvalidInput(
            "{name}: the picture's size cannot be read from its header; it is damaged.", name=name
        )
    width, height = size
    if width * height > max_pixels:
        raise LimitExceeded(
            "{name}: the frame is {width}×{height} pixels ({pixels:,}); at most {limit:,} "
            "pixels are allowed (BSU_MAX_TEXTURE_PIXELS).",
            name=name,
            width=width,
            height=height,
            pixels=width * height,
            limit=max_pixels,
        )
    try:
        decoded = _decode(data, max_pixels)
    except (OSError, ValueError, SyntaxError):
        raise InvalidInput(
            "{name}: the picture cannot be decoded; it is damaged or truncated.", name=name
        ) from None
    if decoded.shape[1] != width or decoded.shape[0] != height:
        raise InvalidInput(
            "{name}: the picture's header and its pixels disagree about its size.", name=name
        )
    return FrameFacts(width, height, media_type)


def _decode(data: bytes, max_pixels: int) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        if image.format not in ("PNG", "JPEG") or image.width * image.height > max_pixels:
            raise ValueError("not the picture its header said")
        return np.asarray(image.convert("RGB"))


def frame_pixels(data: bytes, max_pixels: int) -> np.ndarray:
    """Pixels ``(h, w, 3) uint8`` of a frame that ``check_frame`` accepted."""
    return _decode(data, max_pixels)
