"""Benchmark: importing a large mesh through the catalogue versus doing the bare minimum.

Not a test. Run from the repository root, e.g.::

    VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow python bench/ingest.py [--faces N] [--repeat N]
        [--json] [--detail]

It generates (deterministically, in a temporary folder) a binary little-endian PLY of a
landmark-like surface -- a terrain heightfield with box buildings and a domed landmark -- and
times, in this one process:

* bare: ``trimesh.load(path)`` + ``export_glb`` + one pyvista off-screen screenshot at the
  catalogue's thumbnail size;
* ours: ``Catalogue.import_model`` end to end on a fresh SQLite catalogue (hash, sandboxed parse,
  validation, GLB, thumbnail, blobs with fsync, rows and audit event).

Each side runs once untimed first (imports, EGL start-up), then ``--repeat`` times, alternating
which side goes first. A breakdown of our import is measured from the outside by calling the
public functions it is made of on the same input. ``--detail`` adds finer experiments (child
process start-up, the parser's own steps run in-process, the thumbnail's steps), which copy the
package's steps rather than change them.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import numpy as np
from _common import MiB, alternate, code_version, machine, peak_rss_mib, timed, vm_hwm_mib

TARGET_RATIO = 1.30
SEED = 20260142
# run_import reports progress between its steps; a step is named by the messages around it.
# With the package as written (progress messages in parentheses):
#   start .. "Checking the upload"            request validation, case check (db read)
#   "Checking the upload" .. "Parsing X"       prepare_upload + sha256
#   "Parsing X" .. "Rendering the thumbnail"   parse_in_sandbox until the parser hands over the
#                                              mesh's arrays
#   "Rendering the thumbnail" .. "Storing files"   render_thumbnail and the blob puts of all but the
#                                              web copy, while the parser measures the facts and
#                                              makes the web copy; then waiting for it
#   "Storing files" .. "Recording in the catalogue"  the web copy's blob put (fsync)
#   "Recording in the catalogue" .. "Done"     the database transaction (rows, audit event)
#   "Done" .. returned                         get_version


# -- the mesh ----------------------------------------------------------------------------------


def _box_template() -> tuple[np.ndarray, np.ndarray]:
    import trimesh

    box = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    return np.asarray(box.vertices, dtype=np.float64), np.asarray(box.faces, dtype=np.int64)


def landmark_mesh(target_faces: int) -> tuple[np.ndarray, np.ndarray]:
    """(vertices float32 (n, 3), faces int32 (m, 3)) of about ``target_faces`` triangles, in mm.

    A 2 m x 2 m terrain heightfield (hills plus noise), ~1.5 % of the faces as box buildings
    standing on it, ~2 % as a domed landmark (a subdivided icosphere on a drum) in the middle.
    """
    import trimesh

    rng = np.random.default_rng(SEED)
    size = 2000.0

    def height(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (
            30.0 * np.sin(x / 300.0) * np.cos(y / 410.0) + 10.0 * np.sin(x / 57.0 + y / 83.0) + 40.0
        )

    # Landmark: an icosphere dome with as many subdivisions as fit in ~2 % of the faces.
    level = 0
    while 20 * 4 ** (level + 1) <= max(20, target_faces * 0.02):
        level += 1
    dome = trimesh.creation.icosphere(subdivisions=level, radius=150.0)
    dome_v = np.asarray(dome.vertices) * np.array([1.0, 1.0, 0.8])
    dome_v += rng.normal(0.0, 0.3, dome_v.shape)
    dome_v += np.array([size / 2, size / 2, height(np.array(size / 2), np.array(size / 2)) + 180])
    drum = trimesh.creation.cylinder(radius=160.0, height=200.0, sections=64)
    drum_v = np.asarray(drum.vertices) + np.array([size / 2, size / 2, 140.0])
    parts_v = [dome_v, drum_v]
    parts_f = [np.asarray(dome.faces), np.asarray(drum.faces)]

    # Buildings: closed boxes of 12 triangles, ~1.5 % of the faces.
    count = max(1, int(target_faces * 0.015) // 12)
    unit_v, unit_f = _box_template()
    centre = rng.uniform(100.0, size - 100.0, (count, 2))
    away = np.linalg.norm(centre - size / 2, axis=1) > 260.0
    centre = centre[away] if away.any() else centre
    count = len(centre)
    footprint = rng.uniform(20.0, 80.0, (count, 2))
    tall = rng.gamma(2.0, 40.0, count) + 20.0
    base = height(centre[:, 0], centre[:, 1]) - 5.0
    scale = np.column_stack([footprint, tall])
    offset = np.column_stack([centre, base + tall / 2])
    box_v = (unit_v[None, :, :] * scale[:, None, :] + offset[:, None, :]).reshape(-1, 3)
    box_f = (unit_f[None, :, :] + (np.arange(count) * len(unit_v))[:, None, None]).reshape(-1, 3)
    parts_v.append(box_v)
    parts_f.append(box_f)

    # Terrain: whatever faces are left, as a square grid of 2 * n * n triangles.
    used = sum(len(f) for f in parts_f)
    n = max(2, int(np.sqrt(max(8, target_faces - used) / 2)))
    _axis, _heights, terrain_v, terrain_f = terrain(n, size, height, rng)
    parts_v.insert(0, terrain_v)
    parts_f.insert(0, terrain_f)

    offsets = np.cumsum([0] + [len(v) for v in parts_v[:-1]])
    vertices = np.concatenate(parts_v).astype(np.float32)
    faces = np.concatenate([f + o for f, o in zip(parts_f, offsets, strict=True)]).astype(np.int32)
    return vertices, faces


def terrain(
    n: int,
    size: float,
    height: Callable[[np.ndarray, np.ndarray], np.ndarray],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A heightfield over a ``size`` square as (n + 1) x (n + 1) vertices with 0.4 mm of noise
    and 2 * n * n triangles: (grid coordinates along x and along y, heights[iy, ix], vertices,
    faces)."""
    axis = np.linspace(0.0, size, n + 1)
    gx, gy = np.meshgrid(axis, axis, indexing="xy")
    heights = height(gx, gy) + rng.normal(0.0, 0.4, gx.shape)
    vertices = np.column_stack([gx.ravel(), gy.ravel(), heights.ravel()])
    idx = np.arange((n + 1) * (n + 1)).reshape(n + 1, n + 1)
    a, b = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel()
    c, d = idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
    faces = np.concatenate([np.column_stack([a, b, d]), np.column_stack([a, d, c])])
    return axis, heights, vertices, faces


def write_ply(path: Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    """Binary little-endian PLY: float32 x y z, ``list uchar int vertex_indices``."""
    header = (
        "ply\nformat binary_little_endian 1.0\ncomment bsu-models bench landmark (mm)\n"
        f"element vertex {len(vertices)}\nproperty float x\nproperty float y\nproperty float z\n"
        f"element face {len(faces)}\nproperty list uchar int vertex_indices\nend_header\n"
    ).encode("ascii")
    record = np.dtype([("n", "u1"), ("v", "<i4", (3,))])
    packed = np.empty(len(faces), dtype=record)
    packed["n"] = 3
    packed["v"] = faces
    with path.open("wb") as out:
        out.write(header)
        out.write(np.ascontiguousarray(vertices, dtype="<f4").tobytes())
        out.write(packed.tobytes())


# -- the two sides -----------------------------------------------------------------------------


def run_bare(path: Path, size: tuple[int, int]) -> dict[str, float]:
    """trimesh.load + export_glb + one off-screen screenshot; seconds per step and in total."""
    import pyvista as pv
    import trimesh

    t0 = time.perf_counter()
    mesh = trimesh.load(path)
    t1 = time.perf_counter()
    glb = trimesh.exchange.gltf.export_glb(mesh)
    t2 = time.perf_counter()
    plotter = pv.Plotter(off_screen=True, window_size=list(size))
    try:
        with warnings.catch_warnings():  # pyvista cannot keep trimesh's '_ply_raw' metadata
            warnings.simplefilter("ignore", UserWarning)
            polydata = pv.wrap(mesh)
        plotter.add_mesh(polydata)
        pixels = plotter.screenshot(return_img=True)
    finally:
        plotter.close()
    t3 = time.perf_counter()
    assert len(glb) > 0 and pixels.shape[:2] == (size[1], size[0])
    return {"total": t3 - t0, "load": t1 - t0, "export_glb": t2 - t1, "screenshot": t3 - t2}


class ParserPeakWatcher:
    """Samples VmHWM of this process's ``bsu_models.ingest.parse_worker`` children from /proc.

    ``RUSAGE_CHILDREN.ru_maxrss`` is no measure of the parser alone on Linux: a child spawned
    with fork/vfork carries the parent's high-water mark through ``exec``, so it reports at least
    this process's RSS at spawn time. VmHWM read after ``exec`` is the child's own.
    """

    def __init__(self, interval_s: float = 0.005) -> None:
        self.interval_s = interval_s
        self.peaks: dict[int, float] = {}  # MiB by pid
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> ParserPeakWatcher:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _children() -> set[int]:
        pids: set[int] = set()
        for task in Path("/proc/self/task").iterdir():
            try:
                pids.update(int(p) for p in (task / "children").read_text().split())
            except OSError:
                continue
        return pids

    def _watch(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                children = self._children()
            except OSError:
                return  # not Linux /proc: nothing to report
            for pid in children:
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"bsu_models.ingest.parse_worker" not in cmdline:
                    continue  # not exec'd yet, or some other child
                mib = vm_hwm_mib(pid)
                if mib is not None:
                    self.peaks[pid] = max(self.peaks.get(pid, 0.0), mib)

    @property
    def peak_mib(self) -> float:
        return max(self.peaks.values(), default=0.0)


class Ours:
    """A fresh SQLite catalogue per import, so every blob is really written (and fsynced)."""

    def __init__(self, root: Path, name: str, data: bytes) -> None:
        self.root = root
        self.name = name
        self.data = data
        self.count = 0

    def settings(self, data_dir: Path) -> Any:
        from bsu_models import Settings

        return Settings(
            data_dir=data_dir,
            database_url=f"sqlite:///{data_dir / 'catalogue.sqlite3'}",
            actor="bench",
        )

    def run(self) -> dict[str, float]:
        from bsu_models import UploadFile, open_catalogue

        self.count += 1
        data_dir = self.root / f"catalogue-{self.count}"
        catalogue = open_catalogue(self.settings(data_dir))
        try:
            catalogue.add_case("BENCH-1", "Benchmark case")
            upload = [UploadFile(self.name, self.data)]
            marks: list[tuple[str, float]] = []
            t0 = time.perf_counter()
            result = catalogue.import_model(
                upload,
                case="BENCH-1",
                name="Landmark",
                units="mm",
                scale="1:100",
                progress=lambda _fraction, message: marks.append((message, time.perf_counter())),
            )
            t1 = time.perf_counter()
            assert result.version.faces > 0
        finally:
            catalogue.close()
            shutil.rmtree(data_dir, ignore_errors=True)
        times = {"total": t1 - t0}
        previous, since = "start", t0
        for message, stamp in [*marks, ("returned", t1)]:
            times[f"{previous} .. {message}"] = stamp - since
            previous, since = message, stamp
        return times


def stage_breakdown(root: Path, name: str, data: bytes, settings: Any) -> dict[str, float]:
    """Our import's parts, each timed by calling the public function on the same input."""
    from bsu_models.core.blobstore import LocalBlobStore
    from bsu_models.ingest.sandbox import parse_in_sandbox
    from bsu_models.ingest.upload import UploadFile, prepare_upload
    from bsu_models.render.stills import render_thumbnail

    times: dict[str, float] = {}
    t = time.perf_counter()
    prepared = prepare_upload([UploadFile(name, data)], settings)
    times["prepare_upload"] = time.perf_counter() - t
    t = time.perf_counter()
    sha = hashlib.sha256(prepared.mesh_data).hexdigest()
    times["sha256"] = time.perf_counter() - t
    t = time.perf_counter()
    parsed = parse_in_sandbox(prepared, sha, settings)
    times["parse_in_sandbox"] = time.perf_counter() - t
    t = time.perf_counter()
    png = render_thumbnail(parsed.mesh, settings.thumbnail_size, sha)
    times["render_thumbnail"] = time.perf_counter() - t
    derived = [parsed.web_glb, png]
    try:  # newer packages also store the validated arrays as a "geometry" blob
        from bsu_models.ingest.geometry import pack_geometry
    except ImportError:
        pass
    else:
        t = time.perf_counter()
        derived.append(pack_geometry(parsed.mesh.vertices, parsed.mesh.faces))
        times["pack_geometry"] = time.perf_counter() - t
    store_dir = root / "blobs-breakdown"
    try:  # newer packages store where the settings say (a bucket with BSU_BLOB_STORE)
        from bsu_models.core.blobstore import open_blob_store
    except ImportError:
        blobs = LocalBlobStore(store_dir)
    else:
        blobs = open_blob_store(dataclasses.replace(settings, data_dir=store_dir))
    t = time.perf_counter()
    for blob in (data, *derived):
        blobs.put(blob)
    times[
        f"blob puts x{1 + len(derived)} (fsync), {sum(map(len, (data, *derived))) / MiB:.0f} MiB"
    ] = time.perf_counter() - t
    shutil.rmtree(store_dir, ignore_errors=True)
    return times


# -- finer experiments (--detail) --------------------------------------------------------------


def _edges_twice(faces: np.ndarray, vertex_count: int) -> bool:
    """trimesh's ``is_watertight``: every undirected edge is used by exactly two faces."""
    edges = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2).astype(np.int64)
    keys = np.sort(edges.min(axis=1) * vertex_count + edges.max(axis=1))
    if len(keys) % 2:
        return False
    return bool((keys[0::2] == keys[1::2]).all() and (keys[1:-1:2] != keys[2::2]).all())


def _area(vertices: np.ndarray, faces: np.ndarray) -> float:
    a = vertices[faces[:, 0]]
    cross = np.cross(vertices[faces[:, 1]] - a, vertices[faces[:, 2]] - a)
    return float(0.5 * np.sqrt((cross * cross).sum(axis=1)).sum())


def detail_experiments(
    root: Path, name: str, data: bytes, settings: Any, repeat: int
) -> dict[str, dict[str, float]]:
    """Where the time inside the sandbox and the thumbnail goes (medians of ``repeat`` runs)."""
    runs: dict[str, list[float]] = {}
    for _ in range(repeat):
        for key, seconds in _detail_once(root, name, data, settings).items():
            runs.setdefault(key, []).append(seconds)
    return {key: {"median": statistics.median(v), "min": min(v)} for key, v in runs.items()}


def _detail_once(root: Path, name: str, data: bytes, settings: Any) -> dict[str, float]:
    import pyvista as pv
    import trimesh

    from bsu_models.ingest import geometry, parse_worker
    from bsu_models.ingest.meshdata import MeshArrays, validate_arrays
    from bsu_models.ingest.sandbox import _child_env
    from bsu_models.render import offscreen as render
    from bsu_models.render import stills

    times: dict[str, float] = {}
    sha = hashlib.sha256(data).hexdigest()

    # 1. Child start-up: a bare interpreter, and one that imports what the parser imports.
    env = _child_env()
    times["child: python -c pass"] = timed(
        lambda: subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
    )[0]
    times["child: python + import trimesh, parse_worker"] = timed(
        lambda: subprocess.run(
            [
                sys.executable,
                "-c",
                "import trimesh, trimesh.exchange.gltf, bsu_models.ingest.parse_worker",
            ],
            env=env,
            check=True,
        )
    )[0]

    # 2. The parser's own work, run in this process on the same bytes.
    work = Path(tempfile.mkdtemp(dir=root, prefix="detail-"))
    (work / "out").mkdir()
    times["parent: write input file"] = timed(lambda: (work / "input").write_bytes(data))[0]
    times["child: read input file"] = timed(lambda: (work / "input").read_bytes())[0]
    request = {
        "label": name,
        "mesh_name": name,
        "format": "ply",
        "files": [name],
        "max_faces": settings.max_faces,
        "source_sha256": sha,
    }
    times["child: parse_upload in-process (all its work)"] = timed(
        lambda: parse_worker.parse_upload(request, {name: data}, work / "out")
    )[0]
    loaded: Any  # a PLY loads as one Trimesh, which trimesh's annotations do not say
    seconds, loaded = timed(
        lambda: trimesh.load(io.BytesIO(data), file_type="ply", process=False, force=None)
    )
    times["  trimesh.load(process=False)"] = seconds
    seconds, (v, f, _) = timed(
        lambda: validate_arrays(name, loaded.vertices, loaded.faces, settings.max_faces)
    )
    times["  validate_arrays (child)"] = seconds
    seconds, mesh = timed(
        lambda: trimesh.Trimesh(vertices=v, faces=f, process=False, validate=False)
    )
    times["  Trimesh(process=False)"] = seconds
    # parse_upload judges watertightness on merged positions and exports the merged mesh.
    times["  merge_vertices"] = timed(mesh.merge_vertices)[0]
    merged_faces = np.asarray(mesh.faces)
    merged_count = len(mesh.vertices)
    seconds, glb = timed(lambda: trimesh.exchange.gltf.export_glb(trimesh.Scene(mesh)))
    times["  export_glb"] = seconds
    times["  np.savez mesh.npz"] = timed(lambda: np.savez(work / "m.npz", vertices=v, faces=f))[0]
    times["  write web.glb"] = timed(lambda: (work / "w.glb").write_bytes(glb))[0]
    seconds, watertight = timed(lambda: mesh.is_watertight)
    times["  is_watertight (trimesh)"] = seconds
    seconds, area = timed(lambda: mesh.area)
    times["  area (trimesh)"] = seconds
    times["  bounds"] = timed(lambda: [v.min(axis=0), v.max(axis=0)])[0]
    # Alternatives, same answers (checked below): one sort of edge keys; one cross product.
    seconds, np_watertight = timed(lambda: _edges_twice(merged_faces, merged_count))
    times["  alt: is_watertight by sorting edge keys (numpy)"] = seconds
    seconds, np_area = timed(lambda: _area(np.asarray(mesh.vertices), merged_faces))
    times["  alt: area by one cross product (numpy)"] = seconds
    assert np_watertight == watertight and abs(np_area - area) <= 1e-9 * max(area, 1.0)
    times["  alt: np.savez float32/int32"] = timed(
        lambda: np.savez(work / "m32.npz", vertices=v.astype(np.float32), faces=f.astype(np.int32))
    )[0]
    npz_bytes = (work / "m.npz").stat().st_size
    times["  (npz MiB)"] = npz_bytes / MiB
    times["  (glb MiB)"] = len(glb) / MiB

    # 3. The parent's side of the hand-over.
    def collect() -> MeshArrays:
        with np.load(work / "m.npz", allow_pickle=False) as arrays:
            vv, ff = arrays["vertices"], arrays["faces"]
        vv, ff, _ = validate_arrays(name, vv, ff, settings.max_faces)
        (work / "w.glb").read_bytes()
        return MeshArrays(vertices=vv, faces=ff)

    seconds, arrays = timed(collect)
    times["parent: np.load + validate + read glb"] = seconds
    times["bare-style trimesh.load(path), process=True"] = timed(
        lambda: trimesh.load(work / "input", file_type="ply")
    )[0]
    shutil.rmtree(work, ignore_errors=True)

    # 4. The thumbnail's steps (as render_thumbnail does them) and cheaper alternatives.
    size = list(settings.thumbnail_size)
    seconds, poly = timed(lambda: render._polydata(pv, arrays))
    times["thumb: _polydata (from_regular_faces)"] = seconds
    times["thumb: PolyData.from_regular_faces"] = timed(
        lambda: pv.PolyData.from_regular_faces(arrays.vertices, arrays.faces)
    )[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        times["thumb: pv.wrap(trimesh) (as bare)"] = timed(lambda: pv.wrap(mesh))[0]

    def shot(polydata: Any, lightkit: bool, styled: bool) -> float:
        plotter = pv.Plotter(off_screen=True, window_size=size)
        try:
            t = time.perf_counter()
            if styled:
                plotter.set_background(stills.BACKGROUND)
                plotter.add_mesh(
                    polydata,
                    color=stills.MODEL_COLOUR,
                    smooth_shading=False,
                    specular=0.15,
                    ambient=0.25,
                )
            else:
                plotter.add_mesh(polydata)
            if lightkit:
                plotter.enable_lightkit()
            camera = geometry.preset_camera("iso", arrays.bounds, "+z", "+y")
            plotter.camera_position = [camera["position"], camera["target"], camera["up"]]
            plotter.reset_camera()
            plotter.camera.zoom(1.2)
            plotter.screenshot(return_img=True)
            return time.perf_counter() - t
        finally:
            plotter.close()

    times["thumb: add_mesh..screenshot as ours (lightkit, specular)"] = shot(poly, True, True)
    times["thumb: add_mesh..screenshot, no lightkit"] = shot(poly, False, True)
    times["thumb: add_mesh..screenshot, plain add_mesh, no lightkit"] = shot(poly, False, False)
    pixels = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    times["thumb: png_bytes"] = timed(lambda: render.png_bytes(pixels, {"k": "v"}))[0]
    times["thumb: render_thumbnail (all)"] = timed(
        lambda: stills.render_thumbnail(arrays, settings.thumbnail_size, sha)
    )[0]

    # 5. Durability: one fsynced write of a GLB-sized file.
    target = root / "fsync-probe"
    t = time.perf_counter()
    with target.open("wb") as out:
        out.write(glb)
        out.flush()
        os.fsync(out.fileno())
    times["fsync write of web.glb-sized file"] = time.perf_counter() - t
    target.unlink()
    return times


# -- reporting ---------------------------------------------------------------------------------


def _summary(values: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(values), "min": min(values), "runs": values}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faces", type=int, default=1_300_000, help="target triangle count")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions of each side")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument(
        "--detail",
        action="store_true",
        help="also run the finer experiments (child start, parser steps, ...)",
    )
    args = parser.parse_args(argv)
    out: dict[str, Any] = {"target_ratio": TARGET_RATIO}

    def say(line: str = "") -> None:
        if not args.json:
            print(line, flush=True)

    from bsu_models import Settings

    out["code"] = code_version("bsu_models")
    say(f"bsu_models at {out['code']}")
    with tempfile.TemporaryDirectory(prefix="bsu-bench-") as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        vertices, faces = landmark_mesh(args.faces)
        path = root / "landmark.ply"
        write_ply(path, vertices, faces)
        data = path.read_bytes()
        out["mesh"] = {
            "faces": len(faces),
            "vertices": len(vertices),
            "bytes": len(data),
            "generate_s": time.perf_counter() - t,
        }
        del vertices, faces
        say(
            f"mesh: {out['mesh']['faces']:,} faces, {out['mesh']['vertices']:,} vertices, "
            f"{len(data) / MiB:.1f} MiB binary PLY "
            f"(generated in {out['mesh']['generate_s']:.2f} s)"
        )

        settings = Settings(data_dir=root / "unused", database_url="sqlite://", actor="bench")
        size = settings.thumbnail_size
        ours = Ours(root, path.name, data)
        say(f"thumbnail size {size[0]}x{size[1]}; platform {machine()}")

        rss: dict[str, float] = {"after_generate": peak_rss_mib()}
        watcher = ParserPeakWatcher().__enter__()
        say("warm-up (untimed): bare ...")
        run_bare(path, size)
        rss["after_bare_warmup"] = peak_rss_mib()
        say("warm-up (untimed): ours ...")
        ours.run()
        rss["after_ours_warmup"] = peak_rss_mib()

        Runs = list[dict[str, float]]

        def progress(rep: int, order: tuple[str, str], mine: Runs, bare: Runs) -> None:
            say(
                f"  rep {rep + 1}/{args.repeat} ({' then '.join(order)}): "
                f"bare {bare[-1]['total']:.3f} s, ours {mine[-1]['total']:.3f} s"
            )

        ours_steps, bare_runs = alternate(
            args.repeat, ours.run, lambda: run_bare(path, size), bare_first=True, after=progress
        )
        ours_runs = [timing.pop("total") for timing in ours_steps]

        bare = _summary([r["total"] for r in bare_runs])
        bare_parts = {
            k: statistics.median(r[k] for r in bare_runs)
            for k in ("load", "export_glb", "screenshot")
        }
        mine = _summary(ours_runs)
        ratio = mine["median"] / bare["median"]
        out.update(
            bare=bare,
            bare_parts_median=bare_parts,
            ours=mine,
            ratio_median=ratio,
            ratio_min=mine["min"] / bare["min"],
            meets_target=ratio <= TARGET_RATIO,
        )
        say()
        say(
            f"bare  median {bare['median']:.3f} s  min {bare['min']:.3f} s   "
            f"(load {bare_parts['load']:.3f}, export_glb {bare_parts['export_glb']:.3f}, "
            f"screenshot {bare_parts['screenshot']:.3f})"
        )
        say(f"ours  median {mine['median']:.3f} s  min {mine['min']:.3f} s")
        say(
            f"ratio ours/bare (median) {ratio:.2f}   (min/min {out['ratio_min']:.2f})   "
            f"target <= {TARGET_RATIO:.2f}   {'MET' if ratio <= TARGET_RATIO else 'NOT MET'}"
        )

        say()
        steps = {k: statistics.median(r[k] for r in ours_steps) for k in ours_steps[0]}
        out["ours_steps_median"] = steps
        say(f"steps inside the timed imports (progress callback), median of {args.repeat}:")
        for key, seconds in steps.items():
            say(f"  {key:<50} {seconds:7.3f} s  {100 * seconds / mine['median']:5.1f} %")
        say()
        say(
            "breakdown of our import (public functions called separately, same input, median of "
            f"{args.repeat}):"
        )
        stage_runs = [stage_breakdown(root, path.name, data, settings) for _ in range(args.repeat)]
        stages = {k: statistics.median(r[k] for r in stage_runs) for k in stage_runs[0]}
        stages["ours median minus the above"] = mine["median"] - sum(stages.values())
        out["stages_median"] = stages
        for key, seconds in stages.items():
            say(f"  {key:<50} {seconds:7.3f} s  {100 * seconds / mine['median']:5.1f} %")

        if args.detail:
            say()
            say(f"detail experiments (median/min of {args.repeat}):")
            detail = detail_experiments(root, path.name, data, settings, args.repeat)
            out["detail"] = detail
            for key, value in detail.items():
                unit = "MiB" if "MiB" in key else "s"
                say(f"  {key:<58} {value['median']:7.3f} {unit:<3}  (min {value['min']:.3f})")

        rss["peak_self"] = peak_rss_mib()
        rss["peak_children"] = peak_rss_mib(children=True)
        watcher.__exit__()
        rss["peak_parser_child_vmhwm"] = watcher.peak_mib
        rss["parser_children_seen"] = len(watcher.peaks)
        out["peak_rss_mib"] = rss
        say()
        say(
            f"peak RSS: this process {rss['peak_self']:.0f} MiB "
            f"(after generating {rss['after_generate']:.0f}, after bare warm-up "
            f"{rss['after_bare_warmup']:.0f}, after ours warm-up {rss['after_ours_warmup']:.0f})"
        )
        say(
            f"peak RSS of children (RUSAGE_CHILDREN) {rss['peak_children']:.0f} MiB -- on Linux "
            "this includes the parent's RSS at spawn time, so it is an upper bound"
        )
        say(
            f"peak of the parser children themselves (VmHWM sampled every 5 ms, "
            f"{rss['parser_children_seen']:.0f} children) {rss['peak_parser_child_vmhwm']:.0f} MiB"
        )

    if args.json:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
