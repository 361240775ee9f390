"""Benchmark: a fly-through video with its overlays versus a bare pyvista loop.

Not a test. Run from the repository root, e.g.::

    VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow python bench/video.py [--faces N ...]
        [--frames N] [--size 1920x1080] [--json]

For each mesh size (default 100k and 1.3M faces) it builds the landmark-like mesh of
``bench/ingest.py`` (as ``bench/render.py`` does) with a four-step scene of that bench's kind
of markers (30, each moved and turned a little from step to step; people, vehicles and
cameras with their figures at true size, the model taken as 100 m across), four saved views
(iso, plan, south, iso again) and times, in this one process:

* ours: ``render.video.render_video``: one plotter, the camera path between the views, entities
  moving (their figures too), labels, markers, paths, the caption band, the watermark, title
  and end cards, encoded by ``render.video_encode`` (libx264 through imageio-ffmpeg's ffmpeg);
* bare: a plain pyvista loop over the very same cameras (``Plotter``, ``add_mesh``, camera
  position, focal point, view up, view angle or parallel scale, ``render``, ``screenshot``)
  writing the pixels to the same ffmpeg command, without overlays; for ours' title and end
  cards it writes as many still frames.

Both sides write the same number of frames. The ratio is seconds per frame of ours over bare;
the target is ours <= 1.30 x bare. Frames per second of both are printed too.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import numpy as np

from bsu_models.ingest.geometry import preset_camera
from bsu_models.ingest.meshdata import MeshArrays
from bsu_models.render import video, video_camera
from bsu_models.render.stills import Camera, _frame_above
from bsu_models.render.video_encode import mp4_writer, write_frame
from bsu_models.scenes.scene_figures import entity_figure
from bsu_models.scenes.scene_items import Entity, Position
from bsu_models.scenes.scene_layer import Marker
from bsu_models.scenes.site_frame import SiteFrame

TARGET_RATIO = 1.30
STEPS = 4
VIEWS = ("iso", "plan", "south", "iso")


def _bench_module(name: str) -> Any:
    path = Path(__file__).resolve().with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_mesh(faces: int) -> MeshArrays:
    """The landmark-like mesh of ``bench/ingest.py``, as ``bench/render.py`` builds it."""
    vertices, triangles = _bench_module("ingest").landmark_mesh(faces)
    return MeshArrays(
        np.ascontiguousarray(vertices, dtype=np.float64),
        np.ascontiguousarray(triangles, dtype=np.int64),
    )


def build_steps(mesh: MeshArrays) -> list[video.VideoStep]:
    """Four steps of 30 markers of every type (some labels Chinese), each moving a little
    from step to step, seen from the iso, plan, south and iso views."""
    rng = np.random.default_rng(20261205)
    kinds = ("witness", "victim", "suspect", "officer", "vehicle", "evidence", "camera", "other")
    span = float(np.linalg.norm(mesh.bounds[1] - mesh.bounds[0]))
    start = mesh.vertices[rng.choice(len(mesh.vertices), 30)]
    frame = SiteFrame((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), 0.0, 100.0 / span)
    steps = []
    for number in range(STEPS):
        points = start + rng.normal(0, span * 0.01, start.shape) * number
        markers = []
        for i, p in enumerate(points):
            point = (float(p[0]), float(p[1]), float(p[2]))
            colour = f"#{(37 * i) % 256:02x}{(91 * i) % 256:02x}{(53 * i) % 256:02x}"
            entity = Entity(f"e{i}", f"E{i}", kinds[i % len(kinds)], colour)
            heading = (37.0 * i + 30 * number) % 360
            at = Position(entity.id, f"s{number}", point, heading_deg=heading)
            label = f"證人 W{i}" if i % 7 == 0 else f"E{i}"
            figure = entity_figure(entity, at, frame)
            markers.append(Marker(label, entity.type, colour, point, entity.id, figure=figure))
        camera = Camera(**preset_camera(VIEWS[number], mesh.bounds, "+z", "+y"))
        steps.append(
            video.VideoStep(
                f"Scene: bench (revision 1) · step {number + 1} of {STEPS}: 現場 step",
                tuple(markers),
                camera=camera,
            )
        )
    return steps


def settings_for(size: tuple[int, int], fps: int, seconds_per_step: float) -> video.VideoSettings:
    return video.VideoSettings(
        size=size,
        fps=fps,
        seconds_per_step=seconds_per_step,
        heading="HKPF-2026-0143 · Exhibit BSU/7",
        title_lines=("Bench scene 天橋", "HKPF-2026-0143", "Rendered 5 Dec 2026 by BSU Models"),
        end_lines=("Illustrative re-enactment; positions as stated in the exhibit book",),
        font_file="",
        watermark_text="Illustrative re-enactment",
        metadata=(("comment", "bench"),),
    )


def cameras_of(steps: list[video.VideoStep], settings: video.VideoSettings) -> list[Camera]:
    """The cameras ours uses for the steps part, band framing included."""
    path = video_camera.Cameras(steps, settings)
    plan = video.step_frames(len(steps), settings.fps, settings.seconds_per_step, path.orbit)
    band = video._Bands(settings)
    out = []
    for frame in plan:
        step = steps[frame.b]
        line = step.caption if frame.a == frame.b else f"→ {step.caption}"
        _pixels, top = band.get((settings.heading, line))
        out.append(_frame_above(path.at(frame), 1 - top / settings.size[1]))
    return out


def run_bare(mesh: MeshArrays, cameras: list[Camera], settings: video.VideoSettings,
             frames: int, out: Path) -> float:  # fmt: skip
    pv: Any = __import__("pyvista")
    start = time.perf_counter()
    plotter = pv.Plotter(off_screen=True, window_size=list(settings.size))
    try:
        plotter.add_mesh(pv.PolyData.from_regular_faces(mesh.vertices, mesh.faces))
        with mp4_writer(out, settings.size, settings.fps, dict(settings.metadata)) as stream:
            # Ours shows still title and end cards; bare writes as many still frames.
            still = np.full((settings.size[1], settings.size[0], 3), 40, np.uint8)
            for _ in range(frames - len(cameras)):
                write_frame(stream, still)
            for camera in cameras:
                plotter.camera_position = [camera.position, camera.target, camera.up]
                if camera.projection == "orthographic":
                    plotter.enable_parallel_projection()
                    plotter.camera.parallel_scale = float(camera.ortho_scale or 1.0) / 2
                else:
                    plotter.camera.view_angle = float(camera.fov_deg or 45.0)
                plotter.renderer.ResetCameraClippingRange()
                plotter.render()
                write_frame(stream, plotter.screenshot(return_img=True)[:, :, :3])
    finally:
        plotter.close()
    return time.perf_counter() - start


def measure(faces: int, size: tuple[int, int], fps: int, seconds_per_step: float,
            repeat: int, say: Any) -> dict[str, Any]:  # fmt: skip
    mesh = build_mesh(faces)
    steps = build_steps(mesh)
    settings = settings_for(size, fps, seconds_per_step)
    cameras = cameras_of(steps, settings)
    total = video.frame_count(len(steps), settings, orbit=False)
    ours_runs, bare_runs = [], []
    with tempfile.TemporaryDirectory(prefix="bench-video-") as folder:
        for rep in range(repeat):
            for side in ("ours", "bare") if rep % 2 == 0 else ("bare", "ours"):
                out = Path(folder) / f"{side}-{rep}.mp4"
                if side == "ours":
                    t = time.perf_counter()
                    written = video.render_video(mesh, steps, settings, out)
                    ours_runs.append(time.perf_counter() - t)
                    assert written == total
                else:
                    bare_runs.append(run_bare(mesh, cameras, settings, total, out))
    ours, bare = min(ours_runs) / total, min(bare_runs) / total
    result = {
        "faces": len(mesh.faces),
        "size": f"{size[0]}x{size[1]}",
        "frames": total,
        "ours_s_per_frame": ours,
        "bare_s_per_frame": bare,
        "ours_fps": 1 / ours,
        "bare_fps": 1 / bare,
        "ratio": ours / bare,
        "meets_target": ours / bare <= TARGET_RATIO,
        "ours_runs_s": ours_runs,
        "bare_runs_s": bare_runs,
    }
    say(
        f"{len(mesh.faces):>9,} faces {result['size']}: {total} frames; ours "
        f"{ours:.3f} s/frame ({1 / ours:.1f} fps), bare {bare:.3f} s/frame ({1 / bare:.1f} fps), "
        f"ratio {ours / bare:.2f} {'OK' if result['meets_target'] else 'OVER'}"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faces", type=int, nargs="+", default=[100_000, 1_300_000])
    parser.add_argument("--size", default="1920x1080", choices=video.VIDEO_SIZES)
    parser.add_argument("--fps", type=int, default=10)
    parser.add_argument("--seconds-per-step", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side (best is kept)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        if not args.json:
            print(line, flush=True)

    say(
        f"{sys.platform}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs; target ours "
        f"<= {TARGET_RATIO:.2f} x bare (seconds per frame, best of {args.repeat})"
    )
    size = video.VIDEO_SIZES[args.size]
    runs = [
        measure(faces, size, args.fps, args.seconds_per_step, args.repeat, say)
        for faces in args.faces
    ]
    if args.json:
        print(json.dumps({"target_ratio": TARGET_RATIO, "runs": runs}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
