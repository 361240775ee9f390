"""Stereo stills: the picture of ``stills.draw_picture`` seen by a left and a right eye.

The two eyes stand either side of the still's camera, ``interocular`` apart (65 mm in the real
world unless told otherwise, in model units from the version's scale), along the picture's
horizontal, and converge on the camera's focal point (``eye_cameras``), so that what is there
appears at the depth of the screen, what is nearer in front of it and what is farther behind.
Each eye's picture is drawn in full by ``draw_picture`` with that eye's camera, so the scene's
marks, labels, paths and measurements are projected by each eye and stand at their own depth;
the furniture (caption, legend, scale bar, north arrow) is drawn in the same place for both
eyes and so sits on the screen. Without a known scale the eyes stand 1/30 of the distance to
the focal point apart.

* ``side-by-side``: the left eye's picture in the left half, the right eye's in the right
  half, each drawn at half the width (its own proportions: for headsets, viewers and 3D TVs'
  side-by-side mode).
* ``anaglyph``: one picture for red-cyan glasses, mixed with Eric Dubois' least-squares
  matrices (in linear light), which keep much of the colour where a plain red/cyan split would
  not (saturated reds still turn dark yellow: red glasses cannot show them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PIL import Image

from bsu_models.core.errors import InvalidInput
from bsu_models.ingest.geometry import as_triple
from bsu_models.render.overlay_canvas import new_canvas
from bsu_models.render.overlay_furniture import draw_caption

STEREO_MODES = ("side-by-side", "anaglyph")
#: A person's eyes: 65 mm apart.
DEFAULT_INTEROCULAR_M = 0.065
#: Without a known scale, the eyes stand 1/30 of the distance to the focal point apart, the
#: stereographers' rule of thumb for a comfortable depth.
UNSCALED_BASE = 1 / 30

# Dubois' red-cyan matrices (rows: red, green, blue of the output) for the left and right eye.
DUBOIS_LEFT = np.array([[0.456, 0.500, 0.176], [-0.040, -0.038, -0.016], [-0.015, -0.021, -0.005]])
DUBOIS_RIGHT = np.array([[-0.043, -0.088, -0.002], [0.378, 0.734, -0.018], [-0.072, -0.113, 1.226]])


@dataclass(frozen=True)
class Stereo:
    mode: str  # one of STEREO_MODES
    interocular_m: float = DEFAULT_INTEROCULAR_M


def check_stereo(mode: str, interocular_m: float | None = None) -> Stereo:
    if mode not in STEREO_MODES:
        raise InvalidInput(
            "Stereo mode {mode!r} is not one of {choices}.",
            mode=mode,
            choices=", ".join(STEREO_MODES),
        )
    distance = DEFAULT_INTEROCULAR_M if interocular_m is None else interocular_m
    if not 0 < distance <= 1000:
        raise InvalidInput(
            "The distance between the eyes must be more than 0 and at most 1000 m; got {value}.",
            value=distance,
        )
    return Stereo(mode, distance)


def parse_interocular(text: str) -> float:
    """``"65mm"``, ``"6.5cm"``, ``"0.065m"`` or a bare number of millimetres -> metres."""
    cleaned = text.strip().lower().replace(" ", "")
    for suffix, factor in (("mm", 0.001), ("cm", 0.01), ("m", 1.0), ("", 0.001)):
        if cleaned.endswith(suffix):
            number = cleaned[: len(cleaned) - len(suffix)] if suffix else cleaned
            try:
                value = float(number) * factor
            except ValueError:
                break
            if math.isfinite(value):
                return value
            break
    raise InvalidInput(
        "The distance between the eyes must look like 65mm or 0.065m; got {value!r}.",
        value=text,
    )


def eye_cameras(camera: Any, base: float, aspect: float) -> tuple[Any, Any]:
    """The left and right eye's cameras: ``camera`` moved ``base / 2`` (model units) to each
    side along the picture's horizontal, converging on its focal point, for pictures of
    ``aspect`` (width / height).

    Perspective: the eyes look straight ahead, parallel, and each picture's window is moved
    sideways so that the focal point falls in the middle of both (off-axis frustums): no
    vertical parallax, unlike eyes turned in towards the point. Orthographic views have no
    distance to give depth; each eye's view turns about the focal point instead, by the angle
    at which eyes ``base`` apart at the camera's distance see it.
    """
    position, target = np.array(camera.position, float), np.array(camera.target, float)
    forward = target - position
    distance = float(np.linalg.norm(forward))
    forward /= distance
    right = np.cross(forward, np.array(camera.up, float))
    right /= np.linalg.norm(right)
    eyes = []
    for side in (-1.0, 1.0):
        offset = right * side * base / 2
        if camera.projection == "orthographic":
            eyes.append(replace(camera, position=as_triple(position + offset)))
            continue
        half_width = distance * math.tan(math.radians(float(camera.fov_deg or 45.0)) / 2) * aspect
        eyes.append(
            replace(
                camera,
                position=as_triple(position + offset),
                target=as_triple(target + offset),
                window_center=(-side * base / 2 / half_width, 0.0),
            )
        )
    return eyes[0], eyes[1]


def eye_base(camera: Any, stereo: Stereo, metres_per_unit: float | None) -> float:
    """The distance between the eyes in model units."""
    if metres_per_unit:
        return stereo.interocular_m / metres_per_unit
    distance = float(np.linalg.norm(np.array(camera.target) - np.array(camera.position)))
    return distance * UNSCALED_BASE


def _linear(srgb: np.ndarray) -> np.ndarray:
    c = srgb / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _encoded(linear: np.ndarray) -> np.ndarray:
    c = np.clip(linear, 0.0, 1.0)
    c = np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)
    return np.round(c * 255.0).astype(np.uint8)


def anaglyph(left: Image.Image, right: Image.Image) -> Image.Image:
    """One red-cyan picture of two eyes' pictures of the same size (Dubois' matrices)."""
    mixed = (
        _linear(np.asarray(left.convert("RGB"), float)) @ DUBOIS_LEFT.T
        + _linear(np.asarray(right.convert("RGB"), float)) @ DUBOIS_RIGHT.T
    )
    return Image.fromarray(_encoded(mixed))


def side_by_side(left: Image.Image, right: Image.Image) -> Image.Image:
    width, height = left.size
    pair = Image.new("RGB", (width * 2, height))
    pair.paste(left, (0, 0))
    pair.paste(right, (width, 0))
    return pair


def draw_stereo(
    draw: Any,
    camera: Any,
    size: tuple[int, int],
    stereo: Stereo,
    metres_per_unit: float | None,
    caption: list[str] | None = None,
    font_file: str = "",
    lang: str = "en",
) -> tuple[Image.Image, Any]:
    """The stereo picture of ``size``: ``draw(camera, size)`` (``draw_picture`` with everything
    but the camera and size bound) for each eye, composed; and the left eye's ``Picture``.
    Side by side, the ``caption`` (drawn in each half's band, where its lines may not fit) is
    drawn again once across the whole width."""
    eye_size = (size[0] // 2, size[1]) if stereo.mode == "side-by-side" else size
    left_camera, right_camera = eye_cameras(
        camera, eye_base(camera, stereo, metres_per_unit), eye_size[0] / eye_size[1]
    )
    left = draw(left_camera, eye_size)
    right = draw(right_camera, eye_size)
    if stereo.mode == "side-by-side":
        pair = side_by_side(left.image, right.image)
        if caption:
            draw_caption(new_canvas(pair, font_file, lang), caption)
        return pair, left
    return anaglyph(left.image, right.image), left
