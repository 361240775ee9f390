"""A camera entity matched to its CCTV frame: the point pairs, the frame's hash and the solve.

``CameraMatch`` is part of a scene revision (``SceneDoc.cameras``): the camera entity it belongs
to, the SHA-256 of the frame the pixels were clicked on (the frame itself is kept in the blob
store, see ``bsu_models.scenes.camera_service``), the pairs and the ``CameraSolution`` they gave.
Its JSON form (``"cameras"`` in ``bsu-scene/1``) is written only when a scene has matched cameras,
so the documents of scenes without them, and their hashes, stay exactly as they were.
``read_pairs_csv`` reads pairs from the ``u,v,x,y,z`` CSV of ``bsu-models camera solve``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from bsu_models.core.errors import InvalidInput, Message
from bsu_models.scenes.camera_solve import CameraSolution
from bsu_models.scenes.scene_items import check_label, check_point

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_PAIRS = 1000
PAIRS_HEADER = ("u", "v", "x", "y", "z")


def check_sha256(value: str, what: str | Message) -> str:
    if not isinstance(value, str) or not _SHA256.match(value):
        raise InvalidInput("{what} must be a SHA-256 (64 lower-case hex digits).", what=what)
    return value


def check_pixel(value: Any, what: str | Message) -> tuple[float, float]:
    try:
        u, v = (float(c) for c in value)
    except (TypeError, ValueError):
        raise InvalidInput(
            "{what} must be two numbers (column, row), got {value!r}.", what=what, value=value
        ) from None
    if not (math.isfinite(u) and math.isfinite(v)) or min(u, v) < 0 or max(u, v) > 1e6:
        raise InvalidInput("{what} is not a pixel of a frame.", what=what)
    return (u, v)


@dataclass(frozen=True)
class PointPair:
    """A pixel of the frame (``u`` column, ``v`` row from the top-left) and the model point
    (``x, y, z``, file units) that shows the same place."""

    u: float
    v: float
    x: float
    y: float
    z: float

    def __post_init__(self) -> None:
        u, v = check_pixel((self.u, self.v), Message("A pair's pixel"))
        x, y, z = check_point((self.x, self.y, self.z), Message("A pair's model point"))
        for name, value in zip("uvxyz", (u, v, x, y, z), strict=True):
            object.__setattr__(self, name, value)


def pair_arrays(pairs: tuple[PointPair, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Pixels ``(n, 2)`` and model points ``(n, 3)`` of ``pairs``."""
    values = np.array([[p.u, p.v, p.x, p.y, p.z] for p in pairs], dtype=float).reshape(-1, 5)
    return values[:, :2], values[:, 2:]


@dataclass(frozen=True)
class FrameHeight:
    """A height read off the frame: someone's head and feet clicked on it, with the click
    precision (a standard deviation in pixels). Its value and ± come from the solve."""

    label: str
    head: tuple[float, float]
    feet: tuple[float, float]
    click_px: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", check_label(self.label, Message("Height label")))
        object.__setattr__(self, "head", check_pixel(self.head, Message("The head's pixel")))
        object.__setattr__(self, "feet", check_pixel(self.feet, Message("The feet's pixel")))
        if not (math.isfinite(self.click_px) and 0 <= self.click_px <= 50):
            raise InvalidInput("The click precision must be between 0 and 50 pixels.")


@dataclass(frozen=True)
class CameraMatch:
    """The camera entity ``entity`` matched on the frame ``frame_sha256``, and the heights
    read off that frame."""

    entity: str
    frame_sha256: str
    pairs: tuple[PointPair, ...]
    solution: CameraSolution
    heights: tuple[FrameHeight, ...] = ()

    def __post_init__(self) -> None:
        check_sha256(self.frame_sha256, Message("The frame's hash"))
        if not _consistent(self.pairs, self.solution):
            raise InvalidInput("A camera's solve does not belong to its point pairs.")
        labels = [h.label for h in self.heights]
        if len(labels) != len(set(labels)):
            raise InvalidInput("Two heights read off one frame have the same label.")


def frustum_corners(match: CameraMatch) -> tuple[tuple[float, float, float], ...]:
    """The corners of the camera's frame (top-left, top-right, bottom-right, bottom-left) in
    model coordinates, at the median depth of the points it was matched on."""
    solution = match.solution
    _pixels, points = pair_arrays(match.pairs)
    _projected, depths = solution.project(points)
    depth = float(np.median(depths))
    width, height = solution.image_size
    corners = []
    for pixel in ((0.0, 0.0), (width, 0.0), (width, height), (0.0, height)):
        origin, direction = solution.ray(pixel)
        point = origin + direction * depth / float(direction @ solution.forward)
        corners.append((float(point[0]), float(point[1]), float(point[2])))
    return tuple(corners)


def _consistent(pairs: tuple[PointPair, ...], s: CameraSolution) -> bool:
    """Whether ``s`` is a camera (a rotation, a positive focal length, a covariance of its
    parameters) whose residuals are those of ``pairs``: an edited solve or pair shows here."""
    size = 8 if s.solve_k1 else 7
    rotation = np.array(s.rotation, dtype=float)
    if (
        len(pairs) != len(s.residuals_px)
        or rotation.shape != (3, 3)
        or not np.allclose(rotation @ rotation.T, np.eye(3), atol=1e-9)
        or np.linalg.det(rotation) <= 0
        or not (math.isfinite(s.focal_px) and s.focal_px > 0)
        or min(s.image_size) < 1
        or any(len(row) != size for row in s.covariance)
        or len(s.covariance) != size
    ):
        return False
    pixels, points = pair_arrays(pairs)
    projected, depth = s.project(points)
    residuals = np.array(s.residuals_px, dtype=float).reshape(-1, 2)
    rms = math.sqrt(float(np.mean(np.sum(residuals**2, axis=1))))
    return bool(
        (depth > 0).all()
        and np.allclose(pixels - projected, residuals, atol=1e-6)
        and abs(rms - s.rms_px) <= 1e-6
    )


def match_to_json(match: CameraMatch) -> dict[str, Any]:
    s = match.solution
    return {
        "entity": match.entity,
        "frame_sha256": match.frame_sha256,
        "pairs": [[p.u, p.v, p.x, p.y, p.z] for p in match.pairs],
        "solution": {
            "image_size": list(s.image_size),
            "position": list(s.position),
            "rotation": [list(row) for row in s.rotation],
            "focal_px": s.focal_px,
            "k1": s.k1,
            "solve_k1": s.solve_k1,
            "rms_px": s.rms_px,
            "residuals_px": [list(r) for r in s.residuals_px],
            "covariance": [list(row) for row in s.covariance],
        },
        "heights": [
            {"label": h.label, "head": list(h.head), "feet": list(h.feet), "click_px": h.click_px}
            for h in match.heights
        ],
    }


def match_from_json(data: dict[str, Any]) -> CameraMatch:
    s = data["solution"]
    solution = CameraSolution(
        position=check_point(s["position"], Message("A camera's position")),
        rotation=tuple(check_point(row, Message("A camera's rotation")) for row in s["rotation"]),
        focal_px=float(s["focal_px"]),
        k1=float(s["k1"]),
        image_size=(int(s["image_size"][0]), int(s["image_size"][1])),
        rms_px=float(s["rms_px"]),
        residuals_px=tuple((float(du), float(dv)) for du, dv in s["residuals_px"]),
        covariance=tuple(tuple(float(c) for c in row) for row in s["covariance"]),
        solve_k1=bool(s["solve_k1"]),
    )
    return CameraMatch(
        entity=data["entity"],
        frame_sha256=data["frame_sha256"],
        pairs=tuple(PointPair(*row) for row in data["pairs"]),
        solution=solution,
        heights=tuple(
            FrameHeight(h["label"], tuple(h["head"]), tuple(h["feet"]), h.get("click_px", 1.0))
            for h in data.get("heights", [])
        ),
    )


def read_pairs_csv(text: str, name: str = "PAIRS.csv") -> tuple[PointPair, ...]:
    """Pairs from CSV text with the header ``u,v,x,y,z``, one pair a row."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows or tuple(c.strip().lower() for c in rows[0]) != PAIRS_HEADER:
        raise InvalidInput("{name}: the first line must be the header u,v,x,y,z.", name=name)
    if len(rows) - 1 > MAX_PAIRS:
        raise InvalidInput("{name}: at most {limit} pairs are allowed.", name=name, limit=MAX_PAIRS)
    pairs = []
    for line, row in enumerate(rows[1:], 2):
        try:
            if len(row) != 5:
                raise ValueError
            pairs.append(PointPair(*(float(cell) for cell in row)))
        except InvalidInput as exc:
            raise InvalidInput(
                "{name}, line {line}: {reason}", name=name, line=line, reason=exc
            ) from None
        except ValueError:
            raise InvalidInput(
                "{name}, line {line}: expected five numbers u,v,x,y,z.", name=name, line=line
            ) from None
    return tuple(pairs)
