"""The camera of a fly-through: from one saved view to the next, or around the model.

Pure functions over numpy. A key camera (``Camera`` of ``bsu_models.render.stills``) is turned
into a pose: position, orientation as a unit quaternion ``(w, x, y, z)``, distance to the target
and lens. Between two keys the orientation is slerped, the position follows a Catmull-Rom spline
through all the keys' positions, and the time along each leg is eased in and out, so the camera
stands still at every step and never jerks. ``orbit_camera`` circles the model once for scenes
that have no saved views to fly between.

A video is either all orthographic (when every key is) or all perspective: an orthographic key
then becomes the perspective camera that frames the same height at its target, because a lens
cannot be blended between the two projections.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bsu_models.ingest.geometry import as_triple
from bsu_models.render.stills import Camera

#: The lens an orthographic key is seen through when the video is in perspective: narrow, so a
#: plan or an elevation keeps most of its look.
CONVERTED_FOV_DEG = 30.0


@dataclass(frozen=True)
class Pose:
    position: np.ndarray  # (3,)
    rotation: np.ndarray  # (4,) unit quaternion w, x, y, z: camera to world
    distance: float  # to the target, along the line of sight
    lens: float  # field of view in degrees (perspective) or view height (orthographic)


def ease(u: float) -> float:
    """Smoothstep: 0 and 1 at the ends, no speed at either end."""
    u = min(max(u, 0.0), 1.0)
    return u * u * (3.0 - 2.0 * u)


def _unit(v: np.ndarray) -> np.ndarray:
    length = float(np.linalg.norm(v))
    if length < 1e-12:
        raise ValueError("zero-length vector")
    return v / length


def basis(forward: np.ndarray, up: np.ndarray) -> np.ndarray:
    """The camera's rotation matrix: columns right, up, backward (the camera looks along -z)."""
    back = -_unit(np.asarray(forward, dtype=float))
    up = np.asarray(up, dtype=float)
    right = np.cross(up, back)
    if np.linalg.norm(right) < 1e-9:  # up along the line of sight: any perpendicular will do
        helper = np.array([1.0, 0.0, 0.0]) if abs(back[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
        right = np.cross(helper, back)
    right = _unit(right)
    true_up = np.cross(back, right)
    return np.column_stack([right, true_up, back])


def quaternion(matrix: np.ndarray) -> np.ndarray:
    """Unit quaternion ``(w, x, y, z)`` of a rotation matrix (Shepperd's method)."""
    m = matrix
    trace = m[0, 0] + m[1, 1] + m[2, 2]
    if trace > 0:
        s = math.sqrt(trace + 1.0) * 2
        q = [0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s]
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2]) * 2
        q = [(m[2, 1] - m[1, 2]) / s, 0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s]
    elif m[1, 1] > m[2, 2]:
        s = math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2]) * 2
        q = [(m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s]
    else:
        s = math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1]) * 2
        q = [(m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s]
    out = np.array(q)
    return out / np.linalg.norm(out)


def rotation_matrix(q: np.ndarray) -> np.ndarray:
    w, x, y, z = q
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def slerp(q0: np.ndarray, q1: np.ndarray, u: float) -> np.ndarray:
    """Spherical interpolation of unit quaternions, the short way round."""
    dot = float(np.dot(q0, q1))
    if dot < 0:
        q1, dot = -q1, -dot
    if dot > 0.9995:  # nearly the same: a straight blend is exact enough and stable
        out = q0 + u * (q1 - q0)
        return out / np.linalg.norm(out)
    theta = math.acos(dot)
    return (math.sin((1 - u) * theta) * q0 + math.sin(u * theta) * q1) / math.sin(theta)


def catmull_rom(points: Sequence[np.ndarray], leg: int, u: float) -> np.ndarray:
    """The point at ``u`` (0..1) along leg ``leg`` (from ``points[leg]`` to ``points[leg + 1]``)
    of a uniform Catmull-Rom spline through ``points``; the end points count twice."""
    p1, p2 = points[leg], points[leg + 1]
    p0 = points[leg - 1] if leg > 0 else p1
    p3 = points[leg + 2] if leg + 2 < len(points) else p2
    u2, u3 = u * u, u * u * u
    return 0.5 * (
        2 * p1
        + (p2 - p0) * u
        + (2 * p0 - 5 * p1 + 4 * p2 - p3) * u2
        + (3 * p1 - p0 - 3 * p2 + p3) * u3
    )


def video_projection(keys: Sequence[Camera]) -> str:
    return (
        "orthographic"
        if keys and all(k.projection == "orthographic" for k in keys)
        else ("perspective")
    )


def pose(camera: Camera, projection: str) -> Pose:
    """The pose of a key camera in a video of ``projection``."""
    position = np.asarray(camera.position, dtype=float)
    target = np.asarray(camera.target, dtype=float)
    forward = target - position
    distance = float(np.linalg.norm(forward)) or 1.0
    rotation = quaternion(basis(forward, np.asarray(camera.up, dtype=float)))
    if projection == "orthographic":
        return Pose(position, rotation, distance, float(camera.ortho_scale or 1.0))
    if camera.projection == "orthographic":
        # The perspective camera that shows the same height at the target.
        half = math.radians(CONVERTED_FOV_DEG) / 2
        distance = float(camera.ortho_scale or 1.0) / 2 / math.tan(half)
        position = target - _unit(forward) * distance
        return Pose(position, rotation, distance, CONVERTED_FOV_DEG)
    return Pose(position, rotation, distance, float(camera.fov_deg or 45.0))


def camera_of(p: Pose, projection: str) -> Camera:
    matrix = rotation_matrix(p.rotation)
    forward, up = -matrix[:, 2], matrix[:, 1]
    target = p.position + forward * p.distance
    if projection == "orthographic":
        return Camera(projection, as_triple(p.position), as_triple(target), as_triple(up), None,
                      p.lens)  # fmt: skip
    return Camera(projection, as_triple(p.position), as_triple(target), as_triple(up), p.lens)


def between(poses: Sequence[Pose], leg: int, u: float, projection: str) -> Camera:
    """The camera at eased time ``u`` (0..1, not yet eased) of the leg from key ``leg`` to the
    next one."""
    s = ease(u)
    a, b = poses[leg], poses[leg + 1]
    position = catmull_rom([p.position for p in poses], leg, s)
    rotation = slerp(a.rotation, b.rotation, s)
    # Distances and view heights change by ratios, so they blend on a log scale.
    distance = math.exp((1 - s) * math.log(a.distance) + s * math.log(b.distance))
    lens = math.exp((1 - s) * math.log(a.lens) + s * math.log(b.lens))
    return camera_of(Pose(position, rotation, distance, lens), projection)


def orbit_camera(start: Camera, centre: np.ndarray, up: np.ndarray, fraction: float) -> Camera:
    """``start`` turned about the vertical line through ``centre`` by ``fraction`` of a full
    turn, eased at both ends, looking at the same height on that line."""
    angle = 2 * math.pi * ease(fraction)
    up = _unit(np.asarray(up, dtype=float))
    centre = np.asarray(centre, dtype=float)
    target = np.asarray(start.target, dtype=float)
    axis_point = centre + up * float((target - centre) @ up)

    def turn(v: np.ndarray) -> np.ndarray:  # Rodrigues' rotation about ``up``
        return (
            v * math.cos(angle)
            + np.cross(up, v) * math.sin(angle)
            + up * float(up @ v) * (1 - math.cos(angle))
        )

    position = axis_point + turn(np.asarray(start.position, dtype=float) - axis_point)
    new_target = axis_point + turn(target - axis_point)
    return Camera(
        start.projection,
        as_triple(position),
        as_triple(new_target),
        as_triple(turn(np.asarray(start.up, dtype=float))),
        start.fov_deg,
        start.ortho_scale,
    )
