"""Camera matching on synthetic ground truth: a real mesh rendered by the stills renderer from a
known camera is the "CCTV frame"; pairs come from visible vertices projected with that camera's
own matrix, with 0.5 px of noise; the solve must give the camera back."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import trimesh
from PIL import Image

from bsu_models import InvalidInput
from bsu_models.ingest.meshdata import MeshArrays
from bsu_models.render.stills import BACKGROUND, Camera, _projector, _render_model
from bsu_models.scenes.camera_solve import solve_camera

pytestmark = pytest.mark.render
SIZE = (640, 480)
FOV = 50.0


def true_focal() -> float:
    return SIZE[1] / 2 / math.tan(math.radians(FOV) / 2)


@pytest.fixture(scope="module")
def fandisk(testdata):
    mesh = trimesh.load(testdata / "fandisk.obj", process=False, force="mesh")
    return MeshArrays(np.asarray(mesh.vertices, float), np.asarray(mesh.faces, np.int64))


def known_camera(mesh: MeshArrays) -> Camera:
    low, high = mesh.bounds
    centre = (low + high) / 2
    diagonal = float(np.linalg.norm(high - low))
    eye = centre + np.array([0.9, -1.1, 0.7]) * 0.5 * diagonal
    return Camera("perspective", tuple(eye), tuple(centre), (0.0, 0.0, 1.0), FOV)


def frame_and_pairs(mesh: MeshArrays, camera: Camera, count: int, seed: int = 7):
    """The rendered frame (PNG bytes), and ``count`` pairs from visible vertices: noisy pixels
    ``(count, 2)`` and the vertices ``(count, 3)``."""
    pixels, world_to_clip = _render_model(mesh, camera, SIZE)
    project = _projector(world_to_clip, SIZE)
    surface = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)
    eye = np.array(camera.position)
    uv = project(mesh.vertices)
    inside = (uv[:, 0] > 5) & (uv[:, 0] < SIZE[0] - 5) & (uv[:, 1] > 5) & (uv[:, 1] < SIZE[1] - 5)
    candidates = np.flatnonzero(inside)
    directions = mesh.vertices[candidates] - eye
    distance = np.linalg.norm(directions, axis=1)
    hits, rays, _ = surface.ray.intersects_location(
        np.tile(eye, (len(candidates), 1)), directions / distance[:, None], multiple_hits=False
    )
    first = np.full(len(candidates), np.inf)
    first[rays] = np.linalg.norm(hits - eye, axis=1)
    visible = candidates[first > distance - 1e-4 * distance.max()]
    rng = np.random.default_rng(seed)
    # Spread across the frame, as someone matching a camera picks them: each next vertex the
    # one farthest from those already chosen.
    chosen = [int(rng.choice(visible))]
    gap = np.linalg.norm(uv[visible] - uv[chosen[0]], axis=1)
    while len(chosen) < count:
        chosen.append(int(visible[np.argmax(gap)]))
        gap = np.minimum(gap, np.linalg.norm(uv[visible] - uv[chosen[-1]], axis=1))
    noisy = uv[chosen] + rng.normal(0, 0.5, (count, 2))
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue(), noisy, mesh.vertices[chosen], pixels


@pytest.mark.parametrize("count", [10, 20])
def test_solve_gives_the_known_camera_back(fandisk, count):
    camera = known_camera(fandisk)
    png, pixels, points, image = frame_and_pairs(fandisk, camera, count)
    assert Image.open(io.BytesIO(png)).size == SIZE
    # The pairs' pixels are on the model in the frame (within a pixel), not on the background.
    background = np.round(np.array(BACKGROUND) * 255)
    model = np.abs(image.astype(float) - background).sum(axis=2) > 6
    for u, v in pixels.astype(int):
        assert model[v - 1 : v + 2, u - 1 : u + 2].any()
    solved = solve_camera(pixels, points, SIZE)
    diagonal = float(np.linalg.norm(np.subtract(*fandisk.bounds[::-1])))
    assert np.linalg.norm(np.subtract(solved.position, camera.position)) < 0.01 * diagonal
    assert abs(solved.focal_px / true_focal() - 1) < 0.02
    assert solved.rms_px < 2.0
    assert len(solved.residuals_px) == count
    assert solved.fov_deg == pytest.approx(FOV, rel=0.02)
    forward = np.subtract(camera.target, camera.position)
    assert solved.forward @ forward / np.linalg.norm(forward) > 0.9999


def test_solve_with_radial_term_and_an_outlier(fandisk):
    camera = known_camera(fandisk)
    _png, pixels, points, _image = frame_and_pairs(fandisk, camera, 20, seed=3)
    pixels[4] += (25.0, -18.0)  # one pair clicked on the wrong corner
    solved = solve_camera(pixels, points, SIZE, solve_k1=True)
    diagonal = float(np.linalg.norm(np.subtract(*fandisk.bounds[::-1])))
    assert np.linalg.norm(np.subtract(solved.position, camera.position)) < 0.01 * diagonal
    assert abs(solved.focal_px / true_focal() - 1) < 0.02
    assert abs(solved.k1) < 0.02
    # The bad pair stands out in the residuals.
    lengths = solved.residual_lengths
    assert int(np.argmax(lengths)) == 4 and lengths[4] > 10


def test_rays_go_back_through_the_points(fandisk):
    camera = known_camera(fandisk)
    _png, pixels, points, _image = frame_and_pairs(fandisk, camera, 12, seed=5)
    solved = solve_camera(pixels, points, SIZE)
    projected, depth = solved.project(points)
    assert (depth > 0).all()
    origin, direction = solved.ray(tuple(projected[0]))
    offset = points[0] - origin
    miss = np.linalg.norm(offset - (offset @ direction) * direction)
    assert miss < 1e-6 * np.linalg.norm(offset)


def test_degenerate_inputs_are_refused(fandisk):
    camera = known_camera(fandisk)
    _png, pixels, points, _image = frame_and_pairs(fandisk, camera, 12, seed=11)
    with pytest.raises(InvalidInput, match="at least 6 point pairs; 5 given"):
        solve_camera(pixels[:5], points[:5], SIZE)
    line = np.outer(np.linspace(0, 1, 8), [1.0, 2.0, 0.5])
    with pytest.raises(InvalidInput, match="lie on one line"):
        solve_camera(pixels[:8], line, SIZE)
    plane = points[:8].copy()
    plane[:, 2] = 0.25
    with pytest.raises(InvalidInput, match="all lie on one plane"):
        solve_camera(pixels[:8], plane, SIZE)
    repeated = np.repeat(points[:3], 3, axis=0)
    with pytest.raises(InvalidInput, match="different model points"):
        solve_camera(pixels[:9], repeated, SIZE)
    outside = pixels[:8].copy()
    outside[2] = (700.0, 10.0)
    with pytest.raises(InvalidInput, match="outside the 640×480 frame"):
        solve_camera(outside, points[:8], SIZE)
    flat_pixels = np.c_[np.linspace(10, 600, 8), np.full(8, 240.0)]
    with pytest.raises(InvalidInput, match="one line in the frame"):
        solve_camera(flat_pixels, points[:8], SIZE)
