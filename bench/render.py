"""Benchmark: a court-grade still with full overlays versus a bare pyvista screenshot.

Not a test. Run from the repository root, e.g.::

    VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow python bench/render.py [--faces N]
        [--repeat N] [--json] [--save PATH] [--shadows-only]

It builds (deterministically, in memory) the landmark-like mesh of ``bench/ingest.py`` -- a
terrain heightfield in millimetres, Z up, north +Y, with box buildings and a domed landmark --
as ``MeshArrays`` (float64 vertices, int64 faces), and a scene layer on it: 50 markers of every
type (a few with Chinese labels), 10 paths of 4 to 6 points, 10 measurements and 6 sightlines
(half visible, half blocked with an occluder). Then, for the sizes 1920x1080 and 4k and the
cameras "plan" (orthographic, top-down) and "iso" (perspective) of ``geometry.preset_camera``,
it times in this one process:

* ours: ``stills.render_still`` with all overlays on (markers, labels, paths, measurements,
  sightlines, scale bar, north arrow, legend, a 4-line caption), PNG encoding included;
* bare: a plain pyvista off-screen screenshot of the same mesh with the same camera
  (``Plotter``, ``add_mesh(PolyData.from_regular_faces(...))``, camera position, focal point,
  view up, parallel scale or view angle, ``screenshot(return_img=True)``), then the pixels
  encoded as PNG with PIL. Both sides pay PNG encoding; the ratio against the bare screenshot
  without encoding is printed too.

Each side runs once untimed per size and camera first (imports, EGL start-up, font loading),
then ``--repeat`` times, alternating which side goes first; the ratio is median(ours) /
median(bare), and the target is ours <= 1.30 x bare for each size and camera. Also printed:
min/min, and the ratio of median CPU seconds of the process (all threads, llvmpipe's included),
which other load on a small machine disturbs less than wall time. A breakdown of ours
is measured from the outside: ``stills._render_model`` timed alone on the camera render_still
uses, ``render_still`` timed with ``_render_model`` swapped for one returning those pixels
(overlays + PNG), and ``render.png_bytes`` timed alone on a finished still's pixels; a bare
screenshot is taken right before each ``_render_model`` so the two renders compare back to back.
Then, for the same sizes and cameras, ours lit by a fixed afternoon sun with shadows
(``sunlight.Sunlight``) against ours with the neutral lighting, alternating; the target is
shadows <= 1.50 x plain (``--shadows-only`` runs this comparison alone).
Only one file is written: ours' 4k plan still (``--save``), to look at the label layout.
Peak RSS (``getrusage``) is printed at the end and after each size and camera.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import numpy as np
from _common import MiB, alternate, code_version, machine, peak_rss_mib, source_sha, timed
from ingest import landmark_mesh
from PIL import Image

from bsu_models.ingest.geometry import preset_camera
from bsu_models.ingest.meshdata import MeshArrays
from bsu_models.render import stills, sunlight
from bsu_models.render.offscreen import png_bytes
from bsu_models.render.overlay import Overlays
from bsu_models.render.overlay_furniture import caption_height

try:
    from bsu_models.scenes.scene_layer import Marker, MeasureLine, PathLine, SceneLayer, SightLine
except ImportError:  # before the layer's types moved out of overlay.py
    from bsu_models.render.overlay import (  # type: ignore[attr-defined,no-redef]
        Marker,
        MeasureLine,
        PathLine,
        SceneLayer,
        SightLine,
    )

TARGET_RATIO = 1.30
SHADOW_TARGET_RATIO = 1.50
SEED = 20260144
METRES_PER_UNIT = 0.05  # a 1:50 model in millimetres: 1 mm is 5 cm of the scene
NORTH = (0.0, 1.0, 0.0)
BENCH_SIZES = ("1920x1080", "4k")
CAMERAS = ("plan", "iso")
CAPTION = [
    "Case HKPF-2026-0143 — scene reconstruction, Nathan Road junction",
    "Model v3 of landmark.ply (sha256 5ce4e0…), 1:50, millimetres, Z up, north +Y",
    "Rendered 2026-01-14 10:32 HKT by bench/render.py; positions ± 0.25 m",
    "現場重組圖 — 只供法庭使用 (for court use only)",
]
# (type, label prefix, count); 50 in all. A few labels carry Chinese text (see CJK_LABELS).
MARKER_PLAN = (
    ("witness", "W", 14),
    ("victim", "V", 4),
    ("suspect", "S", 5),
    ("officer", "P", 8),
    ("vehicle", "C", 6),
    ("evidence", "E", 7),
    ("camera", "CCTV", 4),
    ("other", "X", 2),
)
CJK_LABELS = {
    "W3": "證人 W3",
    "W11": "證人 W11 (陳先生)",
    "C2": "私家車 HK-1234",
    "E5": "證物 E5 刀",
    "CCTV1": "閉路電視 CCTV1",
}


# -- the mesh and the scene --------------------------------------------------------------------


def build_mesh(target_faces: int) -> MeshArrays:
    vertices, faces = landmark_mesh(target_faces)
    return MeshArrays(
        vertices=np.ascontiguousarray(vertices, dtype=np.float64),
        faces=np.ascontiguousarray(faces, dtype=np.int64),
    )


def _colours(count: int) -> list[str]:
    """``count`` distinct saturated colours (golden-ratio hues), as #rrggbb."""
    import colorsys

    out = []
    for i in range(count):
        hue = (0.07 + i * 0.618033988749895) % 1.0
        value = 0.78 if i % 2 else 0.62
        r, g, b = colorsys.hsv_to_rgb(hue, 0.85, value)
        out.append(f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}")
    return out


class _Surface:
    """Random points on the mesh: vertices, picked inside the footprint's inner part."""

    def __init__(self, mesh: MeshArrays, rng: np.random.Generator) -> None:
        self.vertices = mesh.vertices
        self.rng = rng
        low, high = mesh.bounds
        self.low, self.high = low, high
        span = high - low
        inner = np.all(
            (mesh.vertices[:, :2] > low[:2] + 0.1 * span[:2])
            & (mesh.vertices[:, :2] < high[:2] - 0.1 * span[:2]),
            axis=1,
        )
        self.inner = np.flatnonzero(inner)
        self.lift = 0.002 * float(span[2])

    def anywhere(self) -> np.ndarray:
        return self.vertices[self.rng.choice(self.inner)] + [0.0, 0.0, self.lift]

    def near(self, centre: np.ndarray, low: float, high: float) -> np.ndarray:
        """A vertex ``low`` to ``high`` mm away from ``centre`` in plan, inside the footprint."""
        xy = self.vertices[self.inner, :2]
        distance = np.hypot(xy[:, 0] - centre[0], xy[:, 1] - centre[1])
        pool = self.inner[(distance >= low) & (distance <= high)]
        if len(pool) == 0:
            return self.anywhere()
        return self.vertices[self.rng.choice(pool)] + [0.0, 0.0, self.lift]


def _triple(point: np.ndarray) -> tuple[float, float, float]:
    return float(point[0]), float(point[1]), float(point[2])


def build_layer(mesh: MeshArrays) -> SceneLayer:
    rng = np.random.default_rng(SEED)
    surface = _Surface(mesh, rng)
    colours = _colours(sum(count for _t, _p, count in MARKER_PLAN))
    markers: list[Marker] = []
    for kind, prefix, count in MARKER_PLAN:
        for number in range(1, count + 1):
            label = f"{prefix}{number}"
            markers.append(
                Marker(
                    label=CJK_LABELS.get(label, label),
                    type=kind,
                    colour=colours[len(markers)],
                    point=_triple(surface.anywhere()),
                )
            )
    paths = []
    for i in range(10):
        points = [surface.anywhere()]
        for _ in range(int(rng.integers(4, 7)) - 1):
            points.append(surface.near(points[-1], 80.0, 220.0))
        paths.append(
            PathLine(colour=colours[(7 * i) % len(colours)], points=tuple(map(_triple, points)))
        )
    measurements = []
    for _ in range(10):
        a = surface.anywhere()
        b = surface.near(a, 120.0, 500.0)
        metres = float(np.linalg.norm(b - a)) * METRES_PER_UNIT
        measurements.append(
            MeasureLine(a=_triple(a), b=_triple(b), text=f"{metres:.2f} m ± 0.25 m")
        )
    eye_lift = np.array([0.0, 0.0, 0.016 * float(surface.high[2] - surface.low[2])])
    sightlines = []
    for i in range(6):
        eye = surface.anywhere() + eye_lift
        target = surface.near(eye, 200.0, 600.0) + eye_lift
        visible = i % 2 == 0
        occluder = None if visible else _triple(surface.near((eye + target) / 2, 0.0, 30.0))
        sightlines.append(
            SightLine(eye=_triple(eye), target=_triple(target), visible=visible, occluder=occluder)
        )
    return SceneLayer(
        markers=tuple(markers),
        paths=tuple(paths),
        measurements=tuple(measurements),
        sightlines=tuple(sightlines),
    )


# -- the two sides -----------------------------------------------------------------------------


def camera_for(mesh: MeshArrays, name: str) -> stills.Camera:
    return stills.Camera(**preset_camera(name, mesh.bounds, "+z", "+y"))


def run_ours(
    mesh: MeshArrays,
    camera: stills.Camera,
    size: tuple[int, int],
    layer: SceneLayer,
    sun: Any = None,
) -> Any:
    return stills.render_still(
        mesh,
        camera,
        size,
        north=NORTH,
        metres_per_unit=METRES_PER_UNIT,
        layer=layer,
        caption=CAPTION,
        overlays=Overlays(),
        sun=sun,
    )


def sun_for_bench() -> Any:
    """An afternoon sun from the west-south-west, 35° up (model axes: +z up, +y north)."""
    azimuth, elevation = np.radians(250.0), np.radians(35.0)
    direction = (
        float(np.cos(elevation) * np.sin(azimuth)),
        float(np.cos(elevation) * np.cos(azimuth)),
        float(np.sin(elevation)),
    )
    return sunlight.Sunlight(direction)


def compare_shadows(
    mesh: MeshArrays, camera: stills.Camera, size: tuple[int, int], layer: SceneLayer, repeat: int
) -> tuple[float, float, float, float]:
    """Median wall and CPU seconds (of the process, llvmpipe's threads included) of the same
    still lit by the sun with shadows and with the neutral lighting, over ``repeat``
    alternating runs after one untimed run of each: (lit, plain, lit CPU, plain CPU)."""
    sun = sun_for_bench()
    run_ours(mesh, camera, size, layer, sun)
    run_ours(mesh, camera, size, layer)

    def side(lighting: Any) -> Callable[[], dict[str, float]]:
        def run() -> dict[str, float]:
            cpu = time.process_time()
            seconds, _ = timed(lambda: run_ours(mesh, camera, size, layer, lighting))
            return {"total": seconds, "cpu": time.process_time() - cpu}

        return run

    lit_runs, plain_runs = alternate(repeat, side(sun), side(None))
    return (
        statistics.median(r["total"] for r in lit_runs),
        statistics.median(r["total"] for r in plain_runs),
        statistics.median(r["cpu"] for r in lit_runs),
        statistics.median(r["cpu"] for r in plain_runs),
    )


def run_bare(mesh: MeshArrays, camera: stills.Camera, size: tuple[int, int]) -> dict[str, float]:
    """Plain off-screen screenshot with the same camera, then PIL PNG; seconds per part, and
    CPU seconds of this process (all threads, llvmpipe's included) in all."""
    pv: Any = importlib.import_module("pyvista")

    c0, t0 = time.process_time(), time.perf_counter()
    plotter = pv.Plotter(off_screen=True, window_size=list(size))
    try:
        plotter.add_mesh(pv.PolyData.from_regular_faces(mesh.vertices, mesh.faces))
        plotter.camera_position = [camera.position, camera.target, camera.up]
        if camera.projection == "orthographic":
            plotter.enable_parallel_projection()
            plotter.camera.parallel_scale = float(camera.ortho_scale or 1.0) / 2
        else:
            plotter.camera.view_angle = float(camera.fov_deg or 45.0)
        plotter.renderer.ResetCameraClippingRange()
        pixels = plotter.screenshot(return_img=True)
    finally:
        plotter.close()
    t1 = time.perf_counter()
    buffer = io.BytesIO()
    Image.fromarray(pixels[:, :, :3]).save(buffer, format="PNG")
    t2, c2 = time.perf_counter(), time.process_time()
    assert pixels.shape[:2] == (size[1], size[0]) and buffer.tell() > 0
    return {"total": t2 - t0, "screenshot": t1 - t0, "png": t2 - t1, "cpu": c2 - c0}


@contextlib.contextmanager
def _model_pixels(pixels: np.ndarray, world_to_clip: np.ndarray) -> Iterator[None]:
    """``stills._render_model`` answering with ready pixels, so render_still does the rest."""
    real = stills._render_model
    stills._render_model = lambda *_a, **_k: (pixels.copy(), world_to_clip)
    try:
        yield
    finally:
        stills._render_model = real


def breakdown(
    mesh: MeshArrays, camera: stills.Camera, size: tuple[int, int], layer: SceneLayer
) -> dict[str, float]:
    """Seconds of ours' parts, each measured on its own: the model render (on the camera
    render_still uses, widened above the caption) right after a bare screenshot, everything
    after it (overlays + PNG), and the PNG encoding of a finished still."""
    framed = stills._frame_above(camera, caption_height(len(CAPTION), size[1]) / size[1])
    bare_s = run_bare(mesh, camera, size)["screenshot"]
    render_s, (pixels, world_to_clip) = timed(lambda: stills._render_model(mesh, framed, size))
    with _model_pixels(pixels, world_to_clip):
        after_s, still = timed(lambda: run_ours(mesh, camera, size, layer))
    finished = np.asarray(Image.open(io.BytesIO(still.png)).convert("RGB"))
    png_s, _ = timed(lambda: png_bytes(finished, {}))
    return {
        "render_model": render_s,
        "overlays": after_s - png_s,
        "png_encode": png_s,
        "overlays_and_png": after_s,
        "bare_screenshot": bare_s,
    }


# -- timing ------------------------------------------------------------------------------------


def compare(
    mesh: MeshArrays, camera: stills.Camera, size: tuple[int, int], layer: SceneLayer, repeat: int
) -> tuple[list[dict[str, float]], list[dict[str, float]], Any]:
    """Wall and CPU seconds of ours and of bare's parts over ``repeat`` alternating runs after
    one untimed run of each, and ours' last still."""
    still = run_ours(mesh, camera, size, layer)
    run_bare(mesh, camera, size)

    def ours() -> dict[str, float]:
        nonlocal still
        cpu = time.process_time()
        seconds, still = timed(lambda: run_ours(mesh, camera, size, layer))
        return {"total": seconds, "cpu": time.process_time() - cpu}

    ours_runs, bare_runs = alternate(repeat, ours, lambda: run_bare(mesh, camera, size))
    return ours_runs, bare_runs, still


def _renderer() -> str:
    """The OpenGL renderer string of an off-screen window (llvmpipe = software rendering)."""
    pv: Any = importlib.import_module("pyvista")

    plotter = pv.Plotter(off_screen=True, window_size=[64, 64])
    try:
        plotter.screenshot(return_img=True)
        report = plotter.render_window.ReportCapabilities()
    finally:
        plotter.close()
    for line in report.splitlines():
        if "renderer" in line.lower():
            return line.split(":", 1)[-1].strip()
    return "unknown"


# -- report ------------------------------------------------------------------------------------


def measure(
    faces: int,
    repeat: int,
    save: Path | None,
    say: Callable[[str], None],
    shadows_only: bool = False,
) -> dict[str, Any]:
    from bsu_models.render import overlay, overlay_canvas, overlay_furniture

    t = time.perf_counter()
    mesh = build_mesh(faces)
    layer = build_layer(mesh)
    rss_mesh = peak_rss_mib()
    out: dict[str, Any] = {
        "code": code_version("bsu_models"),
        "stills_py_sha256": source_sha(stills),
        "overlay_py_sha256": source_sha(overlay),
        # The overlay's drawing surface and its legend, scale bar and caption live beside it.
        "overlay_canvas_py_sha256": source_sha(overlay_canvas),
        "overlay_furniture_py_sha256": source_sha(overlay_furniture),
        "mesh": {
            "faces": len(mesh.faces),
            "vertices": len(mesh.vertices),
            "generate_s": time.perf_counter() - t,
        },
        "layer": {
            "markers": len(layer.markers),
            "paths": len(layer.paths),
            "path_points": sum(len(p.points) for p in layer.paths),
            "measurements": len(layer.measurements),
            "sightlines": len(layer.sightlines),
        },
        "repeat": repeat,
        "platform": machine(),
        "gl_renderer": _renderer(),
        "target_ratio": TARGET_RATIO,
        "runs": {},
    }
    say(
        f"bsu_models at {out['code']} (stills.py {out['stills_py_sha256']}, "
        f"overlay.py {out['overlay_py_sha256']})"
    )
    say(
        f"mesh: {out['mesh']['faces']:,} faces, {out['mesh']['vertices']:,} vertices "
        f"(generated in {out['mesh']['generate_s']:.2f} s); layer: {len(layer.markers)} markers, "
        f"{len(layer.paths)} paths ({out['layer']['path_points']} points), "
        f"{len(layer.measurements)} measurements, {len(layer.sightlines)} sightlines"
    )
    say(f"{out['platform']}; OpenGL renderer: {out['gl_renderer']}")
    say(f"median of {repeat} alternating runs after one untimed run of each side:")
    for size_name in () if shadows_only else BENCH_SIZES:
        size = stills.picture_size(size_name)
        for camera_name in CAMERAS:
            camera = camera_for(mesh, camera_name)
            ours_runs, bare_runs, still = compare(mesh, camera, size, layer, repeat)
            parts = [breakdown(mesh, camera, size, layer) for _ in range(repeat)]
            ours = statistics.median(r["total"] for r in ours_runs)
            bare = statistics.median(r["total"] for r in bare_runs)
            ratio_min = min(r["total"] for r in ours_runs) / min(r["total"] for r in bare_runs)
            ratio_cpu = statistics.median(r["cpu"] for r in ours_runs) / statistics.median(
                r["cpu"] for r in bare_runs
            )
            bare_shot = statistics.median(r["screenshot"] for r in bare_runs)
            bare_png = statistics.median(r["png"] for r in bare_runs)
            split = {k: statistics.median(p[k] for p in parts) for k in parts[0]}
            key = f"{size_name} {camera_name}"
            out["runs"][key] = {
                "ours_s": ours,
                "ours_runs_s": [r["total"] for r in ours_runs],
                "bare_s": bare,
                "bare_runs_s": [r["total"] for r in bare_runs],
                "bare_screenshot_s": bare_shot,
                "bare_png_s": bare_png,
                "ratio": ours / bare,
                "ratio_min_over_min": ratio_min,
                "ratio_cpu_seconds": ratio_cpu,
                "ratio_vs_bare_without_png": ours / bare_shot,
                "meets_target": ours / bare <= TARGET_RATIO,
                "ours_breakdown_s": split,
                "png_mib": len(still.png) / MiB,
                "peak_rss_after_mib": peak_rss_mib(),
            }
            r = out["runs"][key]
            say(
                f"  {key:<15} ours {ours:6.3f} s  bare {bare:6.3f} s (screenshot {bare_shot:.3f}"
                f" + PNG {bare_png:.3f})  ratio {r['ratio']:.3f} "
                f"{'OK' if r['meets_target'] else 'OVER'}"
            )
            say(
                f"  {'':<15} other ratios: min/min {ratio_min:.2f}, CPU seconds {ratio_cpu:.2f}, "
                f"vs bare without PNG {r['ratio_vs_bare_without_png']:.2f}"
            )
            say(
                f"  {'':<15} ours = render_model {split['render_model']:.3f} s + overlays "
                f"{split['overlays']:.3f} s + PNG encode {split['png_encode']:.3f} s "
                f"= {split['render_model'] + split['overlays_and_png']:.3f} s "
                f"({len(still.png) / MiB:.1f} MiB PNG)"
            )
            say(
                f"  {'':<15} render_model / bare screenshot, back to back: "
                f"{split['render_model']:.3f} / {split['bare_screenshot']:.3f} s = "
                f"{split['render_model'] / split['bare_screenshot']:.2f}"
            )
            if save is not None and size_name == "4k" and camera_name == "plan":
                save.write_bytes(still.png)
                out["saved"] = str(save)
    if not shadows_only:
        say(
            f"target <= {TARGET_RATIO:.2f} (ours / bare, each size and camera; both sides encode "
            "PNG, bare with PIL defaults, ours with render.png_bytes)"
        )
    say(
        "the same still lit by the sun with shadows / with the neutral lighting (load average "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        + "):"
    )
    out["shadows"] = {}
    for size_name in BENCH_SIZES:
        size = stills.picture_size(size_name)
        for camera_name in CAMERAS:
            lit, plain, lit_cpu, plain_cpu = compare_shadows(
                mesh, camera_for(mesh, camera_name), size, layer, repeat
            )
            key = f"{size_name} {camera_name}"
            out["shadows"][key] = {
                "shadows_s": lit,
                "plain_s": plain,
                "ratio": lit / plain,
                "ratio_cpu_seconds": lit_cpu / plain_cpu,
                "meets_target": lit / plain <= SHADOW_TARGET_RATIO,
            }
            say(
                f"  {key:<15} shadows {lit:6.3f} s  plain {plain:6.3f} s  ratio "
                f"{lit / plain:.3f} {'OK' if lit / plain <= SHADOW_TARGET_RATIO else 'OVER'}"
                f"  (CPU seconds {lit_cpu:.2f} / {plain_cpu:.2f} = {lit_cpu / plain_cpu:.2f})"
            )
    say(f"target <= {SHADOW_TARGET_RATIO:.2f} (shadows / plain, each size and camera)")
    out["load_average"] = os.getloadavg()
    say(
        "load average (1, 5, 15 min) at the end: "
        + ", ".join(f"{x:.2f}" for x in out["load_average"])
    )
    out["peak_rss_mib"] = peak_rss_mib()
    after = ", ".join(f"{k} {v['peak_rss_after_mib']:.0f}" for k, v in out["runs"].items())
    after = f"; after {after}" if after else ""
    say(f"peak RSS: {out['peak_rss_mib']:.0f} MiB (after the mesh {rss_mesh:.0f}{after})")
    if "saved" in out:
        say(f"saved the 4k plan still of ours to {out['saved']}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faces", type=int, default=1_300_000, help="target triangle count")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each side")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument(
        "--save",
        type=Path,
        default=Path("/tmp/bench-render-4k-plan.png"),
        help="where to write the 4k plan still of ours",
    )
    parser.add_argument(
        "--shadows-only",
        action="store_true",
        help="only the sunlit still with shadows against the same still with neutral lighting",
    )
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        if not args.json:
            print(line, flush=True)

    report = measure(args.faces, args.repeat, args.save, say, args.shadows_only)
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
