"""Reading places and heights off a CCTV frame with a solved camera (reverse projection).

A pixel's line of sight (``CameraSolution.ray``) meets the model at the place shown there: for
a person's feet, where they stood. With head and feet clicked, the height is how far up the
vertical through the feet the head's line of sight passes closest.

Each result carries a ± propagated, not guessed: the solve's covariance (from its residuals)
and the click precision (a standard deviation in pixels, given by whoever clicks) are carried
through the same computation by its derivatives (first order), and the ± given is two standard
deviations (about 95 %). The feet's surface is taken as the plane of the face their line of
sight hits, so that small changes of the camera move the point smoothly along it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bsu_models.core.errors import InvalidInput
from bsu_models.ingest.geometry import MeshGeometry, first_faces, first_hits
from bsu_models.scenes.camera_solve import CameraSolution, numeric_jacobian, ray_from_params

#: The ± given is this many standard deviations (about 95 % for a normal error).
COVERAGE = 2.0


@dataclass(frozen=True)
class Reading:
    """A value read off the frame (a point or a height) with its standard deviation."""

    value: np.ndarray  # (3,) point, or (1,) height; model units
    sd: float  # model units: of the height, or the root of the trace for a point

    @property
    def plus_minus(self) -> float:
        return COVERAGE * self.sd


def _surface_plane(
    solution: CameraSolution, geometry: MeshGeometry, pixel: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """The point where ``pixel``'s line of sight first meets the model and the unit normal of
    the face it meets there."""
    origin, direction = solution.ray(pixel)
    hits, faces = first_hits(geometry, origin[None], direction[None])
    if faces[0] < 0:
        raise InvalidInput(
            "The line of sight through pixel ({u}, {v}) meets no surface of the model.",
            u=f"{pixel[0]:g}",
            v=f"{pixel[1]:g}",
        )
    corners = geometry.mesh.vertices.view(np.ndarray)[
        geometry.mesh.faces.view(np.ndarray)[faces[0]]
    ]
    normal = np.cross(corners[1] - corners[0], corners[2] - corners[0])
    return hits[0], normal / np.linalg.norm(normal)


def _on_plane(
    params: np.ndarray,
    solution: CameraSolution,
    pixel: np.ndarray,
    plane: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    origin, direction = ray_from_params(
        params, (pixel[0], pixel[1]), solution.image_size, solution.solve_k1
    )
    point, normal = plane
    along = float(normal @ direction)
    if abs(along) < 1e-12:
        return np.full(3, np.nan)
    return origin + direction * float(normal @ (point - origin)) / along


def _propagate(
    fun: Callable[[np.ndarray, np.ndarray], np.ndarray],
    params: np.ndarray,
    clicks: np.ndarray,
    solution: CameraSolution,
    click_px: float,
) -> np.ndarray:
    """Covariance of ``fun(params, clicks)`` from the solve's covariance and the clicks'."""
    count = len(solution.covariance)
    by_params = numeric_jacobian(lambda p: fun(p, clicks), params, count)
    by_clicks = numeric_jacobian(lambda c: fun(params, c), clicks, len(clicks))
    covariance = np.array(solution.covariance)
    return by_params @ covariance @ by_params.T + click_px**2 * by_clicks @ by_clicks.T


def _check_click(solution: CameraSolution, pixel: tuple[float, float], click_px: float) -> None:
    width, height = solution.image_size
    if not (0 <= pixel[0] <= width and 0 <= pixel[1] <= height):
        raise InvalidInput(
            "Pixel ({u}, {v}) is outside the {width}×{height} frame.",
            u=f"{pixel[0]:g}",
            v=f"{pixel[1]:g}",
            width=width,
            height=height,
        )
    if not (math.isfinite(click_px) and 0 <= click_px <= 50):
        raise InvalidInput("The click precision must be between 0 and 50 pixels.")


def place_from_frame(
    solution: CameraSolution,
    geometry: MeshGeometry,
    pixel: tuple[float, float],
    click_px: float = 1.0,
) -> Reading:
    """Where the line of sight through ``pixel`` meets the model, with its standard deviation
    (root of the trace of its covariance, model units)."""
    _check_click(solution, pixel, click_px)
    plane = _surface_plane(solution, geometry, pixel)
    params = solution.params()

    def where(p: np.ndarray, clicks: np.ndarray) -> np.ndarray:
        return _on_plane(p, solution, clicks, plane)

    covariance = _propagate(where, params, np.array(pixel, dtype=float), solution, click_px)
    return Reading(plane[0], math.sqrt(max(float(np.trace(covariance)), 0.0)))


def height_from_frame(
    solution: CameraSolution,
    geometry: MeshGeometry,
    head: tuple[float, float],
    feet: tuple[float, float],
    click_px: float = 1.0,
) -> Reading:
    """The height (model units, along the model's up axis) of someone whose head and feet are
    at these pixels, standing where the feet's line of sight meets the model."""
    _check_click(solution, head, click_px)
    _check_click(solution, feet, click_px)
    plane = _surface_plane(solution, geometry, feet)
    up = geometry.up
    params = solution.params()

    def height(p: np.ndarray, clicks: np.ndarray) -> np.ndarray:
        foot = _on_plane(p, solution, clicks[2:], plane)
        origin, direction = ray_from_params(
            p, (clicks[0], clicks[1]), solution.image_size, solution.solve_k1
        )
        # Closest approach of the vertical through the feet and the head's line of sight.
        b = float(up @ direction)
        w0 = foot - origin
        denominator = 1 - b * b
        if denominator < 1e-12:
            return np.array([np.nan])
        return np.array([(b * float(direction @ w0) - float(up @ w0)) / denominator])

    clicks = np.array([*head, *feet], dtype=float)
    value = height(params, clicks)
    if not np.isfinite(value).all():
        raise InvalidInput(
            "The camera looks straight along the vertical; no height can be read off it."
        )
    if value[0] <= 0:
        raise InvalidInput("The head pixel is not above the feet pixel in the model.")
    covariance = _propagate(height, params, clicks, solution, click_px)
    return Reading(value, math.sqrt(max(float(covariance[0, 0]), 0.0)))


def pixel_grid(size: tuple[int, int], stride_px: float) -> np.ndarray:
    """Pixel centres ``(n, 2)`` every ``stride_px`` pixels across a frame of ``size``."""
    us = np.arange(stride_px / 2, size[0], stride_px)
    vs = np.arange(stride_px / 2, size[1], stride_px)
    grid = np.stack(np.meshgrid(us, vs), axis=-1)
    return grid.reshape(-1, 2)


def seen_faces(
    solution: CameraSolution, geometry: MeshGeometry, stride_px: float = 2.0
) -> np.ndarray:
    """Which faces of the model ``(m,) bool`` the camera sees: those that a line of sight
    through a pixel of its frame (every ``stride_px`` pixels) meets first, not hidden behind
    another surface. Which face, not where on it: along an edge the ray caster may name the
    neighbour, which for shading is the same."""
    if not (math.isfinite(stride_px) and 0.5 <= stride_px <= 64):
        raise InvalidInput("The pixel stride must be between 0.5 and 64 pixels.")
    pixels = pixel_grid(solution.image_size, stride_px)
    directions = solution.rays(pixels)
    origins = np.broadcast_to(np.array(solution.position), directions.shape)
    faces = first_faces(geometry, np.ascontiguousarray(origins), directions)
    seen = np.zeros(len(geometry.mesh.faces), dtype=bool)
    seen[faces[faces >= 0]] = True
    return seen
