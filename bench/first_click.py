"""Benchmark: the first click on a big model in a fresh process, with the click index stored at
import against loading the mesh and its ray tree first (the path without one).

Not a test. Run from the repository root, e.g.::

    python bench/first_click.py [--cells 806] [--repeat 3] [--json]

It imports a generated wavy square of ``2 * cells**2`` faces (806 cells: 1.3M faces) into a new
SQLite catalogue, builds its levels and click index with ``derive``, then starts fresh Python
processes (bsu_models and trimesh imported, the catalogue open, before the clock starts), in
turn, each timing its first click:

* ours: ``scenes.pick`` (the stored click index read, the ray cast on its cells);
* ours while warming: ``scenes.warm`` (the mesh and its ray tree loading in a thread, as the 3D
  view does when it opens) and at once ``scenes.pick``;
* bare: ``geometry.pick_on_surface`` on ``scenes.geometry`` (the mesh and ray tree loaded first:
  every click's path before the index, and the fallback when an index is missing or changed).

Printed are the medians in seconds, bare / ours, and whether all answered the same point.
Target: ours under one second.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, code_version, machine, print_result, textured_grid

sys.path.insert(0, str(REPO))

RAY = ([0.4123, 0.5871, 1.0], [0.05, -0.02, -1.0], [0.4123, 0.5871, 0.0])
MODES = ("ours", "ours_warming", "bare")


def _settings(data_dir: Path):
    from bsu_models import Settings

    return Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'catalogue.sqlite3'}",
        actor="bench",
        max_faces=5_000_000,
    )


def child(mode: str, data_dir: Path, version_id: int) -> None:
    """One fresh process's first click, printed as JSON."""
    import trimesh  # noqa: F401 -- loaded before the clock, as in the running app

    from bsu_models import open_catalogue
    from bsu_models.ingest.geometry import pick_on_surface

    cat = open_catalogue(_settings(data_dir))
    cat.get_version(version_id)
    start = time.perf_counter()
    if mode == "bare":
        point = tuple(pick_on_surface(cat.scenes.geometry(version_id), *map(_array, RAY))[0])
    else:
        if mode == "ours_warming":
            cat.scenes.warm(version_id)
        point = cat.scenes.pick(version_id, *RAY)[0]
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "point": [float(x) for x in point]}))


def _array(values: list[float]):
    import numpy as np

    return np.asarray(values, dtype=float)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=806)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]), int(args.child[2]))
        return 0

    from bsu_models import UploadFile, open_catalogue

    root = Path(tempfile.mkdtemp(prefix="bsu-first-click-"))
    try:
        data_dir = root / "data"
        cat = open_catalogue(_settings(data_dir))
        cat.add_case("BENCH-1", "Benchmark case")
        glb = textured_grid(args.cells, 256)
        version = cat.import_model(
            [UploadFile("scan.glb", glb)], case="BENCH-1", name="Scan"
        ).version
        start = time.perf_counter()
        cat.derive_levels(version.version_id)
        derive_s = time.perf_counter() - start
        from bsu_models.ingest.level_jobs import snap_key

        index = snap_key(cat.ctx, cat.get_version(version.version_id))
        index_bytes = len(cat.blobs.get(index)) if index else 0
        cat.close()

        runs: dict[str, list[float]] = {mode: [] for mode in MODES}
        points = set()
        for rep in range(args.repeat):
            order = MODES if rep % 2 == 0 else MODES[::-1]
            for mode in order:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", mode, str(data_dir),
                     str(version.version_id)],
                    check=True, capture_output=True, text=True,
                )  # fmt: skip
                answer = json.loads(out.stdout.strip().splitlines()[-1])
                runs[mode].append(answer["seconds"])
                points.add(tuple(answer["point"]))
        medians = {mode: statistics.median(values) for mode, values in runs.items()}
        result = {
            "machine": machine(),
            "code": code_version("bsu_models", "bench"),
            "faces": version.faces,
            "click_index_bytes": index_bytes,
            "derive_s": round(derive_s, 2),
            "repeat": args.repeat,
            "first_click_s": {mode: round(value, 3) for mode, value in medians.items()},
            "runs_s": {mode: [round(v, 3) for v in values] for mode, values in runs.items()},
            "bare_over_ours": round(medians["bare"] / medians["ours"], 1),
            "same_point": len(points) == 1,
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print_result(result, args.json, "target: first_click_s.ours < 1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
