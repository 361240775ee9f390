"""Benchmark: the web levels of a big textured scan against the plain web copy and bare tools.

Not a test. Run from the repository root, e.g.::

    python bench/levels.py [--cells 806] [--texture 4096] [--json]

It generates a textured wavy square of ``2 * cells**2`` faces (806 cells: 1.3M faces) with a
square texture, then, in this one process:

* ours: the web copy loaded once (``load_parts``) and ``build_level`` for low and high from it
  (simplify keeping UVs, resize the texture, gltfpack, basisu, the GLB put together), as
  ``bsu-models derive`` runs them, without the database;
* bare: the same tools called directly once per level: trimesh load, fast-simplification,
  trimesh export, ``gltfpack -cc``, ``basisu`` on the resized texture.

After one untimed run of each side, each runs ``--repeat`` times, alternating which goes first
(``_common.alternate``). It prints the bytes the browser receives before its first frame (the
low level) against the plain uncompressed GLB of the full mesh (target: at least 8x smaller),
the GPU memory of high's textures (KTX2 transcoded to a 4 bit/px format, with mipmaps) against
the same images as uncompressed RGBA (target: at most a quarter), and the median time of ours
against the median of bare (target: at most 1.3).
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, alternate, code_version, machine, print_result, textured_grid

sys.path.insert(0, str(REPO))

from bsu_models.ingest.levels import (
    LEVELS,
    BuiltLevel,
    basisu_path,
    build_level,
    ktx2_gpu_bytes,
    load_parts,
    tool_versions,
)


def bare(glb: bytes) -> float:
    """Seconds for the tools alone: one load, then per level simplify, export, pack, encode."""
    import fast_simplification
    import numpy as np
    import trimesh

    start = time.perf_counter()
    mesh = trimesh.load(io.BytesIO(glb), file_type="glb", force="mesh", process=False)
    image = mesh.visual.material.baseColorTexture
    with tempfile.TemporaryDirectory() as tmp:
        for spec in LEVELS:
            points, faces = np.asarray(mesh.vertices), np.asarray(mesh.faces)
            if len(faces) > spec.max_faces:
                points, faces = fast_simplification.simplify(
                    points, faces, target_count=spec.max_faces
                )
            side = min(spec.max_texture_px, max(image.size))
            small = image.resize((side, side))
            simple = trimesh.Trimesh(points, faces, process=False)
            Path(tmp, "in.glb").write_bytes(simple.export(file_type="glb"))
            subprocess.run(
                ["gltfpack", "-i", f"{tmp}/in.glb", "-o", f"{tmp}/out.glb", "-cc"],
                check=True,
                capture_output=True,
            )
            small.save(f"{tmp}/t.png")
            subprocess.run(
                [str(basisu_path()), "-ktx2", "-mipmap", "-comp_level", "0", "-no_selector_rdo",
                 "-no_endpoint_rdo", "-file", f"{tmp}/t.png", "-output_file", f"{tmp}/t.ktx2"],
                check=True, capture_output=True,
            )  # fmt: skip
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=806)
    parser.add_argument("--texture", type=int, default=4096)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    glb = textured_grid(args.cells, args.texture)
    built: dict[str, BuiltLevel] = {}

    def ours_run() -> float:
        start = time.perf_counter()
        parts = load_parts(glb)  # once for every level, as derive does
        built.update({spec.name: build_level(parts, spec, "0" * 64) for spec in LEVELS})
        return time.perf_counter() - start

    ours_run(), bare(glb)  # untimed: imports, the tools' first start, the page cache
    ours_runs, bare_runs = alternate(args.repeat, ours_run, lambda: bare(glb))
    ours, bare_s = statistics.median(ours_runs), statistics.median(bare_runs)
    gpu, rgba = ktx2_gpu_bytes(built["high"].data)
    result = {
        "machine": machine(),
        "code": code_version("bsu_models", "bench"),
        "faces": 2 * args.cells**2,
        "texture_px": args.texture,
        "plain_glb_bytes": len(glb),
        "levels": {
            name: {"faces": b.faces, "bytes": len(b.data), "texture_px": b.texture_px}
            for name, b in built.items()
        },
        "first_frame_bytes_ratio": round(len(glb) / len(built["low"].data), 1),
        "ours_s": round(ours, 2),
        "bare_s": round(bare_s, 2),
        "ours_over_bare": round(ours / bare_s, 2),
        "high_texture_gpu_over_rgba": round(gpu / rgba, 3) if rgba else None,
        "tools": tool_versions(),
    }
    print_result(
        result,
        args.json,
        "targets: first_frame_bytes_ratio >= 8, high_texture_gpu_over_rgba <= 0.25, "
        "ours_over_bare <= 1.3 (medians)",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
