"""Camera matching (reverse projection): a CCTV camera's pose and lens from point pairs.

A pair joins a pixel of the frame (``u`` column and ``v`` row, continuous coordinates from the
frame's top-left corner, ``v`` downwards: the centre of the top-left pixel is (0.5, 0.5)) to a
point of the model (``x, y, z`` in the units of the model version's file). The camera is a
pinhole with its principal point at the frame's centre, square pixels, an unknown focal length
and, optionally, one radial distortion term ``k1`` on normalised coordinates. Camera axes are
x right, y down, z forward (the line of sight).

``solve_camera`` starts from the direct linear transform (which needs at least six pairs not all
on one plane) and refines pose and focal length by robust least squares (``scipy.optimize``,
soft-L1 loss, so one badly clicked pair pulls less than its square). It reports the RMS and
per-pair reprojection error in pixels and the covariance of the parameters from the residuals,
which heights and positions read off the frame propagate (``CameraSolution.ray``). Inputs from
which the camera cannot be determined are refused with one sentence.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bsu_models.core.errors import InvalidInput

MIN_PAIRS = 6
#: Below this ratio of the thinnest to the widest spread, points count as on a line or a plane.
_FLAT = 1e-2
_LINE = 1e-3
#: The soft-L1 loss treats residuals beyond this many pixels as outliers.
_ROBUST_SCALE_PX = 2.0


def _rodrigues(omega: np.ndarray) -> np.ndarray:
    """The rotation matrix of rotation vector ``omega: (3,)``."""
    angle = float(np.linalg.norm(omega))
    if angle < 1e-15:
        return np.eye(3)
    k = omega / angle
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + math.sin(angle) * cross + (1 - math.cos(angle)) * cross @ cross


def project_points(
    points: np.ndarray,
    rotation: np.ndarray,
    centre: np.ndarray,
    focal_px: float,
    k1: float,
    size: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Pixels ``(n, 2)`` of model points ``(n, 3)`` and their depths ``(n,)`` along the line of
    sight (negative: behind the camera)."""
    camera = (np.asarray(points, dtype=float).reshape(-1, 3) - centre) @ rotation.T
    depth = camera[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        normalised = camera[:, :2] / depth[:, None]
    radial = 1 + k1 * np.sum(normalised**2, axis=1)
    pixels = np.array([size[0] / 2, size[1] / 2]) + focal_px * normalised * radial[:, None]
    return pixels, depth


@dataclass(frozen=True)
class CameraSolution:
    """A solved camera: where it stands, where it looks, its lens, and how well it fits."""

    position: tuple[float, float, float]  # camera centre, model coordinates
    rotation: tuple[tuple[float, float, float], ...]  # rows: model -> camera axes
    focal_px: float
    k1: float  # 0.0 where the radial term was not solved
    image_size: tuple[int, int]  # (width, height) of the frame, pixels
    rms_px: float
    residuals_px: tuple[tuple[float, float], ...]  # per pair: observed - reprojected (du, dv)
    # Covariance of (rotation increment (3, radians), centre (3), focal (1)[, k1 (1)]) from the
    # residuals; rows of floats.
    covariance: tuple[tuple[float, ...], ...] = field(repr=False)
    solve_k1: bool = False

    @property
    def residual_lengths(self) -> tuple[float, ...]:
        return tuple(math.hypot(du, dv) for du, dv in self.residuals_px)

    @property
    def focal_sd_px(self) -> float:
        return math.sqrt(max(self.covariance[6][6], 0.0))

    @property
    def position_sd(self) -> tuple[float, float, float]:
        """Standard deviation of the camera centre along each model axis, model units."""
        c = self.covariance
        return (
            math.sqrt(max(c[3][3], 0.0)),
            math.sqrt(max(c[4][4], 0.0)),
            math.sqrt(max(c[5][5], 0.0)),
        )

    @property
    def fov_deg(self) -> float:
        """Vertical field of view, degrees (what the stills renderer takes)."""
        return math.degrees(2 * math.atan(self.image_size[1] / 2 / self.focal_px))

    @property
    def forward(self) -> np.ndarray:
        return np.array(self.rotation[2], dtype=float)

    @property
    def up(self) -> np.ndarray:
        """The frame's upward direction in model coordinates (camera y points down)."""
        return -np.array(self.rotation[1], dtype=float)

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixels ``(n, 2)`` and depths ``(n,)`` of model points ``(n, 3)``."""
        return project_points(
            points,
            np.array(self.rotation),
            np.array(self.position),
            self.focal_px,
            self.k1,
            self.image_size,
        )

    def ray(self, pixel: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
        """Origin ``(3,)`` and unit direction ``(3,)`` in model coordinates of the line of
        sight through ``pixel``."""
        return ray_from_params(self.params(), pixel, self.image_size, self.solve_k1)

    def rays(self, pixels: np.ndarray) -> np.ndarray:
        """Unit directions ``(n, 3)`` in model coordinates of the lines of sight through
        ``pixels (n, 2)`` (all from ``position``)."""
        centre = np.array([self.image_size[0] / 2, self.image_size[1] / 2])
        distorted = (np.asarray(pixels, dtype=float).reshape(-1, 2) - centre) / self.focal_px
        normalised = distorted.copy()
        for _ in range(20 if self.k1 else 0):
            normalised = distorted / (1 + self.k1 * np.sum(normalised**2, axis=1))[:, None]
        directions = np.c_[normalised, np.ones(len(normalised))] @ np.array(self.rotation)
        return directions / np.linalg.norm(directions, axis=1)[:, None]

    def params(self) -> np.ndarray:
        """The parameter vector the covariance refers to, at the solution (rotation increment
        zero; rotations are applied on the left of ``rotation``)."""
        values = [0.0, 0.0, 0.0, *self.position, self.focal_px]
        if self.solve_k1:
            values.append(self.k1)
        return np.array(values + list(np.array(self.rotation).ravel()))


def _unpack(params: np.ndarray, solve_k1: bool) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Rotation, centre, focal and k1 from ``params`` (increment, centre, focal[, k1], R0)."""
    count = 8 if solve_k1 else 7
    base = params[count : count + 9].reshape(3, 3)
    rotation = base @ _rodrigues(params[:3]).T
    return rotation, params[3:6], float(params[6]), float(params[7]) if solve_k1 else 0.0


def ray_from_params(
    params: np.ndarray, pixel: tuple[float, float], size: tuple[int, int], solve_k1: bool
) -> tuple[np.ndarray, np.ndarray]:
    rotation, centre, focal, k1 = _unpack(params, solve_k1)
    distorted = (np.asarray(pixel, dtype=float) - np.array([size[0] / 2, size[1] / 2])) / focal
    normalised = distorted.copy()
    for _ in range(20):  # undo the radial term (a fixed point; k1 is small)
        normalised = distorted / (1 + k1 * float(normalised @ normalised))
    direction = rotation.T @ np.array([normalised[0], normalised[1], 1.0])
    return centre.copy(), direction / np.linalg.norm(direction)


def _spread(points: np.ndarray) -> np.ndarray:
    """Singular values of the centred points: how far they spread along their main axes."""
    return np.linalg.svd(points - points.mean(axis=0), compute_uv=False)


def check_pairs(pixels: np.ndarray, points: np.ndarray, size: tuple[int, int]) -> None:
    """Refuse pairs from which a camera with unknown focal length cannot be determined."""
    count = len(pixels)
    if count < MIN_PAIRS:
        raise InvalidInput(
            "Camera matching needs at least {minimum} point pairs; {count} given.",
            minimum=MIN_PAIRS,
            count=count,
        )
    if not (np.isfinite(pixels).all() and np.isfinite(points).all()):
        raise InvalidInput("A point pair has a coordinate that is not a finite number.")
    width, height = size
    for number, (u, v) in enumerate(pixels, 1):
        if not (0 <= u <= width and 0 <= v <= height):
            raise InvalidInput(
                "Pair {number}: pixel ({u}, {v}) is outside the {width}×{height} frame.",
                number=number,
                u=f"{u:g}",
                v=f"{v:g}",
                width=width,
                height=height,
            )
    distinct = len({tuple(p) for p in np.round(points, 9).tolist()})
    if distinct < MIN_PAIRS:
        raise InvalidInput(
            "Camera matching needs at least {minimum} different model points; {count} of the "
            "pairs name different points.",
            minimum=MIN_PAIRS,
            count=distinct,
        )
    model = _spread(points)
    if model[1] < _LINE * model[0]:
        raise InvalidInput(
            "The model points of the pairs lie on one line; the camera cannot be solved. "
            "Pick points spread across the view."
        )
    if model[2] < _FLAT * model[0]:
        raise InvalidInput(
            "The model points of the pairs all lie on one plane; with the focal length unknown "
            "the camera cannot be solved. Add points off that plane (a kerb, a wall, a post)."
        )
    frame = _spread(pixels)
    if frame[1] < _LINE * max(frame[0], 1.0):
        raise InvalidInput(
            "The pixels of the pairs lie on one line in the frame; the camera cannot be solved. "
            "Pick points spread across the frame."
        )


def _normaliser(points: np.ndarray) -> np.ndarray:
    """A similarity that moves ``points (n, d)`` to mean 0 and mean distance sqrt(d)."""
    d = points.shape[1]
    mean = points.mean(axis=0)
    scale = math.sqrt(d) / max(float(np.mean(np.linalg.norm(points - mean, axis=1))), 1e-300)
    transform = np.eye(d + 1)
    transform[:d, :d] *= scale
    transform[:d, d] = -scale * mean
    return transform


def _dlt(pixels: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """A first camera (rotation, centre, focal) from the direct linear transform."""
    from scipy.linalg import rq

    t2, t3 = _normaliser(pixels), _normaliser(points)
    uv = (np.c_[pixels, np.ones(len(pixels))] @ t2.T)[:, :2]
    xyz = np.c_[points, np.ones(len(points))] @ t3.T
    rows = []
    for (u, v), X in zip(uv, xyz, strict=True):
        rows.append(np.r_[X, np.zeros(4), -u * X])
        rows.append(np.r_[np.zeros(4), X, -v * X])
    _u, _s, vt = np.linalg.svd(np.array(rows), full_matrices=False)
    matrix = np.linalg.inv(t2) @ vt[-1].reshape(3, 4) @ t3
    left = matrix[:, :3]
    if np.linalg.det(left) < 0:
        matrix, left = -matrix, -left
    centre = -np.linalg.solve(left, matrix[:, 3])
    k, rotation = rq(left)
    signs = np.diag(np.sign(np.diag(k)))
    k, rotation = k @ signs, signs @ rotation
    if np.linalg.det(rotation) < 0:
        rotation = -rotation
        k = -k
    focal = float((abs(k[0, 0]) + abs(k[1, 1])) / 2 / abs(k[2, 2]))
    return rotation, centre, focal


def numeric_jacobian(
    fun: Callable[[np.ndarray], np.ndarray], x: np.ndarray, count: int
) -> np.ndarray:
    """Central differences of ``fun`` in the first ``count`` entries of ``x``."""
    columns = []
    for i in range(count):
        step = 1e-6 * max(abs(x[i]), 1.0)
        up, down = x.copy(), x.copy()
        up[i] += step
        down[i] -= step
        columns.append((fun(up) - fun(down)) / (2 * step))
    return np.array(columns).T


def solve_camera(
    pixels: np.ndarray, points: np.ndarray, size: tuple[int, int], *, solve_k1: bool = False
) -> CameraSolution:
    """The camera that sees model ``points (n, 3)`` at ``pixels (n, 2)`` of a frame of
    ``size`` (width, height); with ``solve_k1`` also one radial distortion term."""
    from scipy.optimize import least_squares

    pixels = np.asarray(pixels, dtype=float).reshape(-1, 2)
    points = np.asarray(points, dtype=float).reshape(-1, 3)
    if len(pixels) != len(points):
        raise InvalidInput("Each pixel needs one model point.")
    check_pairs(pixels, points, size)
    rotation0, centre0, focal0 = _dlt(pixels, points)
    if not (math.isfinite(focal0) and focal0 > 0):
        raise InvalidInput(
            "The point pairs do not fit any camera; check that each pixel and model point "
            "show the same place."
        )
    count = 8 if solve_k1 else 7
    start = [0.0, 0.0, 0.0, *centre0, focal0] + ([0.0] if solve_k1 else [])
    fixed = rotation0.ravel()

    def residuals(free: np.ndarray) -> np.ndarray:
        rotation, centre, focal, k1 = _unpack(np.r_[free, fixed], solve_k1)
        projected, _depth = project_points(points, rotation, centre, focal, k1, size)
        return (pixels - projected).ravel()

    found = least_squares(
        residuals,
        np.array(start),
        loss="soft_l1",
        f_scale=_ROBUST_SCALE_PX,
        x_scale="jac",
        max_nfev=2000,
    )
    free = found.x
    rotation, centre, focal, k1 = _unpack(np.r_[free, fixed], solve_k1)
    projected, depth = project_points(points, rotation, centre, focal, k1, size)
    if not (focal > 0 and (depth > 0).all() and np.isfinite(projected).all()):
        raise InvalidInput(
            "The point pairs do not fit any camera; check that each pixel and model point "
            "show the same place."
        )
    error = pixels - projected
    # The covariance at the solution, with the rotation increment reset to zero.
    at = np.r_[np.zeros(3), centre, focal, [k1] if solve_k1 else []]
    rotation_fixed = rotation.ravel()

    def residuals_at(free: np.ndarray) -> np.ndarray:
        r, c, f, kk = _unpack(np.r_[free, rotation_fixed], solve_k1)
        projected, _depth = project_points(points, r, c, f, kk, size)
        return (pixels - projected).ravel()

    jacobian = numeric_jacobian(residuals_at, at, count)
    dof = max(2 * len(pixels) - count, 1)
    variance = float(np.sum(error**2)) / dof
    normal = jacobian.T @ jacobian
    if np.linalg.cond(normal) > 1e15:
        raise InvalidInput(
            "The point pairs leave the camera undetermined; pick points spread across the "
            "frame and at different depths."
        )
    covariance = variance * np.linalg.inv(normal)
    return CameraSolution(
        position=(float(centre[0]), float(centre[1]), float(centre[2])),
        rotation=tuple(tuple(float(c) for c in row) for row in rotation),  # type: ignore[misc]
        focal_px=focal,
        k1=k1,
        image_size=(int(size[0]), int(size[1])),
        rms_px=float(np.sqrt(np.mean(np.sum(error**2, axis=1)))),
        residuals_px=tuple((float(du), float(dv)) for du, dv in error),
        covariance=tuple(tuple(float(c) for c in row) for row in covariance),
        solve_k1=solve_k1,
    )
