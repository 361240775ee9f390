"""Benchmark: camera matching and what a matched camera sees.

Not a test. Run from the repository root, e.g.::

    python bench/camera.py [--faces N] [--stride PX] [--repeat N] [--json]

On the landmark-like mesh of ``bench/scene.py`` (terrain with box buildings, millimetres, Z up;
about 1.3M faces by default), with a known camera above one corner looking at the middle:

* solve: ``camera_solve.solve_camera`` on 6, 20 and 100 pairs (vertices the camera sees,
  projected with 0.5 px of noise), against its own first step alone (the direct linear
  transform) on the same pairs, and how far the solved camera is from the known one;
* coverage: ``camera_reading.seen_faces`` (a line of sight through every ``--stride``-th pixel
  of a 1280x720 frame, the faces met first marked) against a bare trimesh ray cast of the same
  rays (``mesh.ray.intersects_first``) marking the same faces. Target: ours <= 1.3 x bare.

Each side runs once untimed first, then ``--repeat`` times, alternating which goes first; ratios
are of medians, measured in this one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
from typing import Any

import numpy as np
from _common import alternate, machine, peak_rss_mib, source_sha, timed
from scene import KEY, landmark_mesh, settled

from bsu_models.ingest import geometry as geo
from bsu_models.scenes import camera_reading, camera_solve
from bsu_models.scenes.camera_solve import CameraSolution, _dlt, project_points, solve_camera

TARGET_RATIO = 1.30
SEED = 20260144
FRAME = (1280, 720)
FOCAL_PX = 900.0
PAIR_COUNTS = (6, 20, 100)


def known_camera() -> tuple[np.ndarray, np.ndarray]:
    """Rotation (rows: right, down, forward) and centre of a camera above a corner."""
    eye = np.array([-250.0, -250.0, 700.0])
    aim = np.array([1000.0, 1000.0, 40.0])
    forward = (aim - eye) / np.linalg.norm(aim - eye)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    return np.array([right, np.cross(forward, right), forward]), eye


def visible_pairs(
    g: geo.MeshGeometry, rotation: np.ndarray, eye: np.ndarray, count: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` vertices the camera sees (spread over the frame) and their noisy pixels."""
    rng = np.random.default_rng(seed)
    vertices = g.mesh.vertices.view(np.ndarray)
    roof_tops = np.flatnonzero(vertices[:, 2] > 90.0)
    sample = np.union1d(
        rng.choice(len(vertices), size=min(len(vertices), 20_000), replace=False), roof_tops
    )
    uv, depth = project_points(vertices[sample], rotation, eye, FOCAL_PX, 0.0, FRAME)
    inside = (depth > 0) & (uv[:, 0] > 5) & (uv[:, 0] < FRAME[0] - 5)
    inside &= (uv[:, 1] > 5) & (uv[:, 1] < FRAME[1] - 5)
    candidates = sample[inside]
    offsets = vertices[candidates] - eye
    distance = np.linalg.norm(offsets, axis=1)
    hits, _faces = geo.first_hits(
        g, np.tile(eye, (len(candidates), 1)), offsets / distance[:, None]
    )
    seen = np.linalg.norm(hits - eye, axis=1) > distance - 1e-3 * distance
    # Half of them on the buildings' roofs, as someone matching a street camera picks points
    # at several heights (the terrain alone is too flat to fix the focal length).
    visible = candidates[seen]
    high = vertices[visible, 2] > 90.0
    roofs = rng.choice(visible[high], size=count // 2, replace=False)
    ground = rng.choice(visible[~high], size=count - count // 2, replace=False)
    chosen = np.concatenate([roofs, ground])
    pixels, _depth = project_points(vertices[chosen], rotation, eye, FOCAL_PX, 0.0, FRAME)
    return pixels + rng.normal(0, 0.5, pixels.shape), vertices[chosen]


def solve_figures(g: geo.MeshGeometry, repeat: int) -> dict[str, Any]:
    rotation, eye = known_camera()
    figures: dict[str, Any] = {}
    for count in PAIR_COUNTS:
        pixels, points = visible_pairs(g, rotation, eye, count, SEED + count)
        solved = solve_camera(pixels, points, FRAME)  # untimed first run
        ours, bare = alternate(
            repeat,
            lambda p=pixels, q=points: timed(lambda: solve_camera(p, q, FRAME))[0],
            lambda p=pixels, q=points: timed(lambda: _dlt(p, q))[0],
        )
        figures[str(count)] = {
            "solve_ms": 1e3 * statistics.median(ours),
            "dlt_ms": 1e3 * statistics.median(bare),
            "ratio_to_dlt": statistics.median(ours) / statistics.median(bare),
            "rms_px": solved.rms_px,
            "centre_error_mm": float(np.linalg.norm(np.subtract(solved.position, eye))),
            "focal_error_pct": 100 * abs(solved.focal_px / FOCAL_PX - 1),
        }
    return figures


def coverage_figures(g: geo.MeshGeometry, stride: float, repeat: int) -> dict[str, Any]:
    rotation, eye = known_camera()
    solution = CameraSolution(
        position=(float(eye[0]), float(eye[1]), float(eye[2])),
        rotation=tuple(tuple(float(c) for c in row) for row in rotation),  # type: ignore[misc]
        focal_px=FOCAL_PX,
        k1=0.0,
        image_size=FRAME,
        rms_px=0.0,
        residuals_px=(),
        covariance=((0.0,),),
    )
    pixels = camera_reading.pixel_grid(FRAME, stride)

    def ours() -> np.ndarray:
        return camera_reading.seen_faces(solution, g, stride)

    def bare() -> np.ndarray:
        directions = solution.rays(pixels)
        origins = np.broadcast_to(eye, directions.shape)
        faces = g.mesh.ray.intersects_first(np.ascontiguousarray(origins), directions)
        seen = np.zeros(len(g.mesh.faces), dtype=bool)
        seen[faces[faces >= 0]] = True
        return seen

    ours_seen, bare_seen = ours(), bare()
    ours_runs, bare_runs = alternate(
        repeat,
        lambda: timed(settled(g, ours))[0],
        lambda: timed(settled(g, bare))[0],
    )
    ours_s, bare_s = statistics.median(ours_runs), statistics.median(bare_runs)
    return {
        "rays": len(pixels),
        "stride_px": stride,
        "ours_s": ours_s,
        "bare_s": bare_s,
        "ratio": ours_s / bare_s,
        "seen_faces": int(ours_seen.sum()),
        "agreement": float((ours_seen == bare_seen).mean()),
    }


def measure(faces: int, stride: float, repeat: int) -> dict[str, Any]:
    landmark = landmark_mesh(faces)
    data = geo.pack_geometry(landmark.vertices, landmark.faces)
    load_s, g = timed(lambda: geo.load_geometry(KEY, lambda _key: data, "+z", "+y"))
    return {
        "machine": machine(),
        "camera_solve_py_sha256": source_sha(camera_solve),
        "camera_reading_py_sha256": source_sha(camera_reading),
        "faces": len(landmark.faces),
        "load_s": load_s,
        "repeat": repeat,
        "solve": solve_figures(g, repeat),
        "coverage": coverage_figures(g, stride, repeat),
        "target_ratio": TARGET_RATIO,
        "peak_rss_mib": peak_rss_mib(),
    }


def print_report(r: dict[str, Any]) -> None:
    print(f"{r['machine']}; camera_solve.py {r['camera_solve_py_sha256'][:12]}")
    print(f"mesh: {r['faces']:,} faces (load {r['load_s']:.2f} s); median of {r['repeat']} runs")
    for count, s in r["solve"].items():
        print(
            f"  solve {count:>3} pairs: {s['solve_ms']:7.2f} ms (DLT alone {s['dlt_ms']:.2f} ms, "
            f"x{s['ratio_to_dlt']:.1f}); RMS {s['rms_px']:.2f} px, centre off by "
            f"{s['centre_error_mm']:.1f} mm, focal off by {s['focal_error_pct']:.2f} %"
        )
    c = r["coverage"]
    verdict = "OK" if c["ratio"] <= TARGET_RATIO else "OVER"
    print(
        f"  coverage: {c['rays']:,} rays (every {c['stride_px']:g} px of "
        f"{FRAME[0]}x{FRAME[1]}): ours {c['ours_s']:.3f} s, bare trimesh {c['bare_s']:.3f} s, "
        f"ratio {c['ratio']:.2f} (target <= {TARGET_RATIO}) {verdict}; "
        f"{c['seen_faces']:,} faces seen, sides agree on {100 * c['agreement']:.3f} % of faces"
    )
    print(f"peak RSS: {r['peak_rss_mib']:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=1_300_000, help="mesh size (about)")
    parser.add_argument("--stride", type=float, default=2.0, help="pixels between rays")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each side")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    report = measure(args.faces, args.stride, args.repeat)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)


if __name__ == "__main__":
    main()
