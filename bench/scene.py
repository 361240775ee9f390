"""Benchmark: snapping points onto a scene's mesh and casting sightlines, ours versus bare trimesh.

Not a test. Run from the repository root, e.g.::

    python bench/scene.py [--faces N] [--points N] [--repeat N] [--json]

It builds (deterministically, in memory) a landmark-like mesh in millimetres, Z up -- a terrain
heightfield with box buildings standing on it -- loads it the way the catalogue does
(``geometry.load_geometry`` over ``geometry.pack_geometry`` bytes, which builds the Embree BVH),
and times, in this one process and on the same ``trimesh.Trimesh``:

* ours: ``geometry.snap_down`` on random points inside the footprint at random heights, and
  ``geometry.sightlines`` on random eye/target pairs (eyes 1.6 % of the model's height above
  snapped points, targets as high above snapped points 2 % to 25 % of the footprint away);
* bare: the same rays through trimesh's own ``mesh.ray.intersects_location(...,
  multiple_hits=False)``, including the few array operations that turn the inputs into rays.

Each side runs once untimed first, then ``--repeat`` times, alternating which side goes first; the
ratio is median(ours) / median(bare). The target is ours <= 1.20 x bare for both queries. Each
timed call ends by settling trimesh's content hash of the mesh, so a call that marks the mesh's
arrays as changed pays the rehash it would otherwise leave to the next query (shown separately).

It also reports the closest-point fallback of ``snap_down`` (not a ray query): how many of the
points needed it (none should, as they are all inside the footprint) and what it costs on points
just outside the footprint: the first call (which builds trimesh's triangle R-tree), then later
calls as a fixed cost per call plus a cost per point.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from _common import alternate, peak_rss_mib, source_sha, timed
from ingest import terrain

from bsu_models.ingest import geometry as geo

TARGET_RATIO = 1.20
SEED = 20260143
SIZE_MM = 2000.0
EYE_FRACTION = 0.016  # eye height as a fraction of the model's height
FALLBACK_PROBE_POINTS = 100
KEY = "5ce4e" + "0" * 59  # any 64-hex blob key will do; nothing is read from a store


# -- the mesh ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Landmark:
    """The mesh's arrays and its terrain grid (for the ground height under a point)."""

    vertices: np.ndarray  # (n, 3) float64
    faces: np.ndarray  # (m, 3) int64
    axis: np.ndarray  # (k,) grid coordinates along x and along y
    ground: np.ndarray  # (k, k) terrain heights, ground[iy, ix]


def _terrain_height(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return 30.0 * np.sin(x / 300.0) * np.cos(y / 410.0) + 2.0 * np.sin(x / 57.0 + y / 83.0) + 40.0


def _boxes(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` closed boxes (8 vertices, 12 triangles each) standing on the terrain."""
    corners = np.array([[i >> 2 & 1, i >> 1 & 1, i & 1] for i in range(8)], dtype=np.float64)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    unit_f = np.array([t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))], dtype=np.int64)
    low_xy = rng.uniform(50.0, SIZE_MM - 130.0, (count, 2))
    extent_xy = rng.uniform(15.0, 45.0, (count, 2))
    tall = rng.gamma(2.0, 30.0, count) + 10.0
    base = _terrain_height(low_xy[:, 0], low_xy[:, 1]) - 45.0  # sunk well into the terrain
    low = np.column_stack([low_xy, base])
    extent = np.column_stack([extent_xy, tall + 45.0])
    box_v = (corners[None] * extent[:, None] + low[:, None]).reshape(-1, 3)
    box_f = (unit_f[None] + 8 * np.arange(count)[:, None, None]).reshape(-1, 3)
    return box_v, box_f


def landmark_mesh(target_faces: int) -> Landmark:
    """About ``target_faces`` triangles: a 2 m x 2 m terrain grid plus ~1 % of them as boxes."""
    rng = np.random.default_rng(SEED)
    box_v, box_f = _boxes(rng, max(1, int(target_faces * 0.01) // 12))
    n = max(2, int(np.sqrt(max(8, target_faces - len(box_f)) / 2)))
    axis, ground, terrain_v, terrain_f = terrain(n, SIZE_MM, _terrain_height, rng)
    vertices = np.concatenate([terrain_v, box_v]).astype(np.float64)
    faces = np.concatenate([terrain_f, box_f + len(terrain_v)]).astype(np.int64)
    return Landmark(vertices, faces, axis, ground)


def ground_height(landmark: Landmark, xy: np.ndarray) -> np.ndarray:
    """Bilinear terrain height under ``xy: (n, 2)`` (the mesh's triangles differ by << 1 mm)."""
    step = landmark.axis[1] - landmark.axis[0]
    last = len(landmark.axis) - 2
    cell = np.clip((xy / step).astype(np.int64), 0, last)
    fx, fy = (xy[:, 0] / step - cell[:, 0]), (xy[:, 1] / step - cell[:, 1])
    g, ix, iy = landmark.ground, cell[:, 0], cell[:, 1]
    bottom = g[iy, ix] * (1 - fx) + g[iy, ix + 1] * fx
    top = g[iy + 1, ix] * (1 - fx) + g[iy + 1, ix + 1] * fx
    return bottom * (1 - fy) + top * fy


# -- inputs ------------------------------------------------------------------------------------


def _footprint_xy(rng: np.random.Generator, count: int) -> np.ndarray:
    margin = 1e-3 * SIZE_MM
    return rng.uniform(margin, SIZE_MM - margin, (count, 2))


def snap_inputs(
    rng: np.random.Generator, landmark: Landmark, g: geo.MeshGeometry, count: int
) -> np.ndarray:
    """Points inside the footprint, from half the snap's lift under the ground up to the top."""
    xy = _footprint_xy(rng, count)
    low = ground_height(landmark, xy) - 0.5 * 0.01 * g.diagonal
    z = rng.uniform(low, g.bounds[1][2])
    return np.column_stack([xy, z])


def sightline_inputs(
    rng: np.random.Generator, g: geo.MeshGeometry, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Eyes 1.6 % of the model's height above snapped points; targets as high above snapped
    points elsewhere, 2 % to 25 % of the footprint's side away in a random direction."""
    lift = g.up * EYE_FRACTION * float(g.bounds[1][2] - g.bounds[0][2])

    def standing(xy: np.ndarray) -> np.ndarray:
        above = np.column_stack([xy, np.full(len(xy), g.bounds[1][2])])
        return geo.snap_down(g, above)[0] + lift

    here = _footprint_xy(rng, count)
    angle = rng.uniform(0.0, 2 * np.pi, count)
    away = rng.uniform(0.02, 0.25, count) * SIZE_MM
    there = here + np.column_stack([np.cos(angle), np.sin(angle)]) * away[:, None]
    margin = 1e-3 * SIZE_MM
    return standing(here), standing(np.clip(there, margin, SIZE_MM - margin))


# -- the two sides -----------------------------------------------------------------------------


def ours_snap(g: geo.MeshGeometry, points: np.ndarray) -> Any:
    return geo.snap_down(g, points)


def bare_snap(g: geo.MeshGeometry, points: np.ndarray) -> Any:
    origins = points + g.up * (0.01 * g.diagonal)
    directions = np.tile(-g.up, (len(points), 1))
    return g.mesh.ray.intersects_location(origins, directions, multiple_hits=False)


def ours_sightlines(g: geo.MeshGeometry, eyes: np.ndarray, targets: np.ndarray) -> Any:
    # The batch form (arrays out); line_of_sight wraps it in one object per pair for callers
    # that ask about a few sightlines.
    return geo.sightlines(g, eyes, targets)


def sightline_tolerance(g: geo.MeshGeometry) -> float:
    """The ray start offset of ``geometry.line_of_sight`` (older versions: two mesh edges)."""
    return 2.0 * float(getattr(g, "point_uncertainty", g.resolution))


def bare_sightlines(g: geo.MeshGeometry, eyes: np.ndarray, targets: np.ndarray) -> Any:
    offsets = targets - eyes
    directions = offsets / np.linalg.norm(offsets, axis=1)[:, None]
    tolerance = sightline_tolerance(g)
    return g.mesh.ray.intersects_location(
        eyes + directions * tolerance, directions, multiple_hits=False
    )


# -- timing ------------------------------------------------------------------------------------


def settled(g: geo.MeshGeometry, fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` followed by trimesh's content hash of the mesh. The hash is cached and free unless
    ``fn`` marked the mesh's arrays as possibly changed (any slice or fancy index of
    ``mesh.vertices`` or ``mesh.faces`` does); then the next cached query rehashes all of them
    first. Settling here charges that to ``fn`` instead of to whatever runs next."""

    def run() -> Any:
        result = fn()
        hash(g.mesh)
        return result

    return run


def rehash_ms(g: geo.MeshGeometry, fn: Callable[[], Any]) -> float:
    """Milliseconds of the content rehash that one call of ``fn`` leaves to the next query."""
    hash(g.mesh)
    fn()
    return 1e3 * timed(lambda: hash(g.mesh))[0]


def compare(ours: Callable[[], Any], bare: Callable[[], Any], repeat: int) -> dict[str, float]:
    """Median seconds of each side over ``repeat`` alternating runs, after one untimed each."""
    ours(), bare()
    ours_s, bare_s = alternate(repeat, lambda: timed(ours)[0], lambda: timed(bare)[0])
    o, b = statistics.median(ours_s), statistics.median(bare_s)
    return {"ours_s": o, "bare_s": b, "ratio": o / b}


def fallback_figures(g: geo.MeshGeometry, points: np.ndarray) -> dict[str, Any]:
    """How many ``points`` find no surface below (and so take the closest-point fallback), and
    what the fallback costs on points just outside the footprint: first call, then per call and
    per point (from calls with one point and with all of them)."""
    origins = points + g.up * (0.01 * g.diagonal)
    downward = np.ascontiguousarray(np.broadcast_to(-g.up, origins.shape))
    hits, _faces = geo.first_hits(g, origins, downward)
    missing = int(np.isnan(hits[:, 0]).sum())
    rng = np.random.default_rng(SEED + 1)
    outside = np.column_stack(
        [
            rng.uniform(-0.05, 0.0, FALLBACK_PROBE_POINTS) * SIZE_MM,
            rng.uniform(0.0, SIZE_MM, FALLBACK_PROBE_POINTS),
            rng.uniform(g.bounds[0][2], g.bounds[1][2], FALLBACK_PROBE_POINTS),
        ]
    )
    figures: dict[str, Any] = {"fallback_snaps": missing, "fallback_probe_points": len(outside)}
    try:
        cold, _ = timed(lambda: geo.snap_down(g, outside))
        one, _ = timed(lambda: geo.snap_down(g, outside[:1]))
        many, _ = timed(lambda: geo.snap_down(g, outside))
    except ImportError as exc:  # trimesh's closest point needs the rtree package
        figures["fallback_error"] = f"{type(exc).__name__}: {exc}"
        return figures
    per_point = max(0.0, many - one) / (len(outside) - 1)
    figures["fallback_first_call_s"] = cold
    figures["fallback_per_call_s"] = one - per_point
    figures["fallback_per_point_ms"] = 1e3 * per_point
    return figures


# -- report ------------------------------------------------------------------------------------


def measure(faces: int, points: int, repeat: int) -> dict[str, Any]:
    landmark = landmark_mesh(faces)
    data = geo.pack_geometry(landmark.vertices, landmark.faces)
    load_s, g = timed(lambda: geo.load_geometry(KEY, lambda _key: data, "+z", "+y"))
    rng = np.random.default_rng(SEED + 2)
    snap_points = snap_inputs(rng, landmark, g, points)
    first_snap_s, _ = timed(lambda: ours_snap(g, snap_points))
    eyes, targets = sightline_inputs(rng, g, points)
    verdicts = geo.line_of_sight(g, eyes, targets)
    sides = {
        "snap": (lambda: ours_snap(g, snap_points), lambda: bare_snap(g, snap_points)),
        "sightline": (
            lambda: ours_sightlines(g, eyes, targets),
            lambda: bare_sightlines(g, eyes, targets),
        ),
    }
    queries: dict[str, dict[str, float]] = {}
    for name, (ours, bare) in sides.items():
        figures = compare(settled(g, ours), settled(g, bare), repeat)
        figures["points_per_s"] = points / figures["ours_s"]
        figures["ours_rehash_ms"] = rehash_ms(g, ours)
        figures["bare_rehash_ms"] = rehash_ms(g, bare)
        queries[name] = figures
    rss_before_fallback = peak_rss_mib()
    return {
        "geometry_py_sha256": source_sha(geo),
        "faces": len(landmark.faces),
        "vertices": len(landmark.vertices),
        "points": points,
        "repeat": repeat,
        "ray_backend": type(g.mesh.ray).__module__,
        "load_s": load_s,
        "first_snap_after_load_s": first_snap_s,
        "visible_fraction": sum(v.visible for v in verdicts) / len(verdicts),
        **queries,
        "target_ratio": TARGET_RATIO,
        "peak_rss_before_fallback_mib": rss_before_fallback,
        **fallback_figures(g, snap_points),
        "peak_rss_mib": peak_rss_mib(),
    }


def print_report(r: dict[str, Any]) -> None:
    print(f"bsu_models/ingest/geometry.py sha256 {r['geometry_py_sha256']}")
    print(f"mesh: {r['faces']:,} faces, {r['vertices']:,} vertices; rays via {r['ray_backend']}")
    print(f"load_geometry (unpack, Trimesh, BVH build, resolution): {r['load_s']:.3f} s")
    print(f"first snap after load: {r['first_snap_after_load_s']:.3f} s")
    print(f"{r['points']:,} points, median of {r['repeat']} alternating runs:")
    for name in ("snap", "sightline"):
        s = r[name]
        verdict = "OK" if s["ratio"] <= TARGET_RATIO else "OVER"
        print(
            f"  {name:<9} ours {1e3 * s['ours_s']:8.2f} ms ({s['points_per_s']:,.0f} points/s)  "
            f"bare {1e3 * s['bare_s']:8.2f} ms  ratio {s['ratio']:.2f}  {verdict}"
        )
        print(
            f"  {'':<9} content rehash left to the next query: ours "
            f"{s['ours_rehash_ms']:.2f} ms, bare {s['bare_rehash_ms']:.2f} ms (included above)"
        )
    print(f"target <= {TARGET_RATIO:.2f} (ours / bare, each query)")
    print(f"sightlines visible: {100 * r['visible_fraction']:.1f} %")
    missing = r["fallback_snaps"]
    note = "none, as every point is inside the footprint" if missing == 0 else "UNEXPECTED"
    print(f"snaps needing the closest-point fallback: {missing} of {r['points']:,} ({note})")
    if "fallback_error" in r:
        print(f"fallback cost: not measurable ({r['fallback_error']})")
    else:
        print(
            f"fallback cost (points outside the footprint): first call "
            f"{r['fallback_first_call_s']:.2f} s for {r['fallback_probe_points']} points "
            f"(builds the triangle R-tree); then {r['fallback_per_call_s']:.3f} s per call "
            f"+ {r['fallback_per_point_ms']:.3f} ms per point"
        )
    print(
        f"peak RSS: {r['peak_rss_mib']:.0f} MiB "
        f"({r['peak_rss_before_fallback_mib']:.0f} MiB before the fallback probe)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=1_300_000, help="mesh size (about)")
    parser.add_argument("--points", type=int, default=10_000, help="snaps and sightlines")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each side")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    report = measure(args.faces, args.points, args.repeat)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)


if __name__ == "__main__":
    main()
