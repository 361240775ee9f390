"""Benchmark: the print export of the landmark at 1:500 versus a bare trimesh/manifold3d repair
and export of the same mesh.

Not a test. Run from the repository root::

    python bench/print.py [--faces N] [--repeat N] [--scale 500] [--json]

It builds the landmark-like mesh of ``bench/ingest.py`` (a terrain heightfield in millimetres,
Z up, north +Y, box buildings and a domed landmark; 1.3M faces by default) once, in a child
process, and saves its arrays. The model is taken as a 1:50 model, so at 1:500 it prints at a
tenth of its size (2 m of model: 200 mm). Then, each in a fresh Python process of its own so
that each side's peak memory is its own, and with trimesh and manifold3d imported before its
clock starts (as in the running service), it times:

* ours: ``fabricate.model_print.make_print`` (a mesh whose faces are mostly smaller than the
  0.4 mm nozzle at 1:500 decimated to its resolution first, where that keeps under half of
  them: this terrain's faces are 0.25 mm apart and would keep 52 %, so it is not; each piece
  made solid, the base plate with its lettering, the wall check, tiles and pins when larger
  than the default bed) and the 3MF written by
  ``fabricate.print_files.threemf_bytes`` to a file (the print report, text and PDF, is
  written by the service and not timed here);
* bare: trimesh's repair of the same arrays scaled to millimetres at 1:500 (``Trimesh`` with
  vertex merging, ``split`` into pieces, ``repair.fill_holes`` of the open ones and
  ``repair.fix_winding``), a ``manifold3d.Manifold`` of each piece that then is one, their
  union, and trimesh's 3MF export of that to a file.

The bare side does less (no plate, lettering, wall check or tiles, and trimesh's hole filling
closes a terrain with a fan across its rim rather than down to a plinth); the ratio says what
the extra work costs. Where trimesh's hole filling cannot close a piece (the landmark's open
terrain, most of its faces), the bare side leaves it out of its print: the bench prints how
many of the input faces it left out, since its time is then that of a much smaller job.
Each side runs ``--repeat`` times, alternating which goes first; printed
are median seconds, the ratio median(ours) / median(bare) against the target of 1.30, and each
process's peak resident memory (the step's own: the peak after loading the arrays is printed
too).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import REPO, alternate, code_version, machine, peak_rss_mib

TARGET_RATIO = 1.30
MM_PER_UNIT_AT_1_50 = 0.05 * 1000  # a 1:50 model in mm: 1 mm of model is 50 mm on site


def _child_mesh(path: Path, faces: int) -> None:
    from ingest import landmark_mesh

    vertices, triangles = landmark_mesh(faces)
    np.savez(path, vertices=vertices.astype(np.float64), faces=triangles.astype(np.int64))


def _child_ours(arrays: Path, out: Path, denominator: float) -> dict[str, Any]:
    # Both sides start with the libraries bare uses already imported, as a running service has
    # them: importing trimesh alone takes about 0.4 s.
    import manifold3d  # noqa: F401
    import trimesh  # noqa: F401

    from bsu_models.fabricate.model_print import PrintOptions, make_print
    from bsu_models.fabricate.print_files import threemf_bytes

    loaded = np.load(arrays)
    vertices, faces = loaded["vertices"], loaded["faces"]
    before = peak_rss_mib()
    start = time.perf_counter()
    job = make_print(
        vertices,
        faces,
        up_axis="+z",
        north_axis="+y",
        mm_per_unit=MM_PER_UNIT_AT_1_50 / denominator,
        options=PrintOptions(denominator),
        case_reference="KC-2026-0142",
    )
    solid_s = time.perf_counter() - start
    out.write_bytes(threemf_bytes(job.parts, {"Title": "bench"}))
    parts: dict[str, Any] = {"parts": [p.name for p in job.parts]}
    if job.resolution is not None:
        parts["decimated"] = [job.resolution.faces_before, job.resolution.faces_after]
    return _figures(start, solid_s, before, out, sum(len(p.faces) for p in job.parts)) | parts


def _child_bare(arrays: Path, out: Path, denominator: float) -> dict[str, Any]:
    import manifold3d
    import trimesh

    loaded = np.load(arrays)
    vertices, faces = loaded["vertices"], loaded["faces"]
    before = peak_rss_mib()
    start = time.perf_counter()
    mesh = trimesh.Trimesh(vertices * (MM_PER_UNIT_AT_1_50 / denominator), faces, process=True)

    def manifold_of(part: trimesh.Trimesh) -> Any:
        return manifold3d.Manifold(
            manifold3d.Mesh(
                vert_properties=np.array(part.vertices, dtype=np.float32),
                tri_verts=np.array(part.faces, dtype=np.uint32),
            )
        )

    # Each piece closed by trimesh's hole filling where it is open, then all joined.
    pieces = []
    dropped = 0  # input faces of the pieces that could not be made solid
    for piece in mesh.split(only_watertight=False):
        faces_in = len(piece.faces)
        if not piece.is_watertight:
            trimesh.repair.fill_holes(piece)
        trimesh.repair.fix_winding(piece)
        if piece.volume < 0:
            piece.invert()
        solid = manifold_of(piece)
        if solid.status() == manifold3d.Error.NoError:
            pieces.append(solid)
        else:
            dropped += faces_in
    solid = manifold3d.Manifold.batch_boolean(pieces, manifold3d.OpType.Add)
    result = solid.to_mesh()
    repaired = trimesh.Trimesh(
        np.asarray(result.vert_properties)[:, :3], np.asarray(result.tri_verts), process=False
    )
    solid_s = time.perf_counter() - start
    repaired.export(out)
    left_out = {"faces_in": len(mesh.faces), "faces_left_out": dropped}
    return _figures(start, solid_s, before, out, len(repaired.faces)) | left_out


def _figures(start: float, solid_s: float, before: float, out: Path, faces: int) -> dict[str, Any]:
    """What a side reports: seconds in all and to the solid, peak memory (and before the
    step), the file's size and the faces written."""
    return {
        "seconds": time.perf_counter() - start,
        "solid_s": solid_s,
        "peak_mib": peak_rss_mib(),
        "loaded_mib": before,
        "bytes": out.stat().st_size,
        "faces_out": faces,
    }


def _run_child(side: str, arrays: Path, out: Path, denominator: float) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    done = subprocess.run(
        [sys.executable, __file__, "--child", side, str(arrays), str(out), str(denominator)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{side} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faces", type=int, default=1_300_000, help="target triangle count")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each side")
    parser.add_argument("--scale", type=float, default=500.0, help="the N of 1:N")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args(argv)

    def say(line: str = "") -> None:
        if not args.json:
            print(line, flush=True)

    out: dict[str, Any] = {"target_ratio": TARGET_RATIO, "code": code_version("bsu_models")}
    say(f"bsu_models at {out['code']}; {machine()}")
    with tempfile.TemporaryDirectory(prefix="bsu-bench-print-") as tmp:
        root = Path(tmp)
        arrays = root / "landmark.npz"
        _run_child("mesh", arrays, Path(str(args.faces)), 0)
        say(f"mesh: about {args.faces:,} faces, printed at 1:{args.scale:g}")

        def ours() -> dict[str, Any]:
            return _run_child("ours", arrays, root / "ours.3mf", args.scale)

        def bare() -> dict[str, Any]:
            return _run_child("bare", arrays, root / "bare.3mf", args.scale)

        def progress(rep: int, order: tuple[str, str], mine: list[Any], plain: list[Any]) -> None:
            say(
                f"  run {rep + 1}/{args.repeat} ({' then '.join(order)}): "
                f"ours {mine[-1]['seconds']:.2f} s, {mine[-1]['peak_mib']:.0f} MiB; "
                f"bare {plain[-1]['seconds']:.2f} s, {plain[-1]['peak_mib']:.0f} MiB"
            )

        mine, plain = alternate(args.repeat, ours, bare, after=progress)
    for name, runs in (("ours", mine), ("bare", plain)):
        out[name] = {
            "median_s": statistics.median(r["seconds"] for r in runs),
            "median_solid_s": statistics.median(r["solid_s"] for r in runs),
            "peak_mib": max(r["peak_mib"] for r in runs),
            "loaded_mib": max(r["loaded_mib"] for r in runs),
            "bytes": runs[-1]["bytes"],
            "faces_out": runs[-1]["faces_out"],
        }
    out["ours"]["parts"] = mine[-1]["parts"]
    out["ours"]["decimated"] = mine[-1].get("decimated")
    out["bare"]["faces_in"] = plain[-1]["faces_in"]
    out["bare"]["faces_left_out"] = plain[-1]["faces_left_out"]
    out["ratio_time"] = out["ours"]["median_s"] / out["bare"]["median_s"]
    out["ratio_peak_memory"] = out["ours"]["peak_mib"] / out["bare"]["peak_mib"]
    out["meets_target"] = out["ratio_time"] <= TARGET_RATIO
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    for name in ("ours", "bare"):
        side = out[name]
        say(
            f"{name}: median {side['median_s']:.2f} s (solid {side['median_solid_s']:.2f} s, "
            f"then the 3MF), peak {side['peak_mib']:.0f} MiB (arrays loaded: "
            f"{side['loaded_mib']:.0f} MiB), {side['faces_out']:,} faces, "
            f"{side['bytes'] / 2**20:.1f} MiB 3MF"
        )
    say(f"ours parts: {', '.join(out['ours']['parts'])}")
    before, after = out["ours"]["decimated"] or (0, 0)
    if after < before:
        say(f"ours decimated the mesh to the nozzle's resolution: {after:,} of {before:,} faces")
    left_out, faces_in = out["bare"]["faces_left_out"], out["bare"]["faces_in"]
    say(
        f"bare left out {left_out:,} of its {faces_in:,} input faces "
        f"({left_out / max(faces_in, 1):.0%}): the pieces trimesh's repair could not close "
        "(the open terrain) are missing from its print, so its time is that of a smaller job"
    )
    say(
        f"ratio ours/bare: time {out['ratio_time']:.2f} (target <= {TARGET_RATIO}), "
        f"peak memory {out['ratio_peak_memory']:.2f}"
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        side, first, second = sys.argv[2], Path(sys.argv[3]), sys.argv[4]
        if side == "mesh":
            _child_mesh(first, int(second))
            print("{}")
        else:
            work = _child_ours if side == "ours" else _child_bare
            print(json.dumps(work(first, Path(second), float(sys.argv[5]))))
        sys.exit(0)
    sys.exit(main())
