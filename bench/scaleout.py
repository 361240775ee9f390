"""Benchmark: several machines' parts on one. Imports per minute with one and with two job
workers, and the S3 store's overhead for one import against the local folder.

Not a test. Run from the repository root (it starts its own Redis and SeaweedFS on loopback)::

    python bench/scaleout.py [--imports N] [--repeat N] [--json]

* Workers: a new SQLite catalogue whose jobs go to a Redis queue; ``N`` imports of the Stanford
  bunny (each with different bytes), each followed by its web levels asked for as a job; the
  clock stops when the last job is done. Run with 1 and then 2 ``bsu-models worker`` processes;
  printed are imports per minute and the ratio two / one (on 2 cores the import itself, in this
  process, competes with the workers).
* S3: one import of the bunny into a catalogue on the local folder and one on a SeaweedFS
  bucket, alternating, ``--repeat`` times; printed are the medians and the ratio S3 / local
  (target 1.2 or less).
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

import trimesh
from _common import REPO, alternate, code_version, machine, timed
from _servers import running_redis, running_seaweedfs

import bsu_models

TARGET_S3_RATIO = 1.2
CASE = "KC-2026-0900"


def _testdata() -> Path:
    for folder in (REPO.parent / "shared" / "testdata", Path(os.environ.get("TESTDATA_DIR", ""))):
        if (folder / "stanford-bunny.obj").is_file():
            return folder
    raise SystemExit("stanford-bunny.obj not found: set TESTDATA_DIR to the shared testdata.")


def _bunnies(count: int) -> list[bytes]:
    """``count`` PLY copies of the bunny, each a little larger, so each is a new original."""
    bunny = trimesh.load(_testdata() / "stanford-bunny.obj", force="mesh", process=False)
    copies = []
    for n in range(count):
        copy = bunny.copy()
        copy.apply_scale(1.0 + 0.001 * (n + 1))
        copies.append(bytes(copy.export(file_type="ply")))
    return copies


def _settings(folder: Path, **values: Any) -> bsu_models.Settings:
    env = {"BSU_DATA_DIR": str(folder), "BSU_ACTOR": "bench"}
    env.update({f"BSU_{k.upper()}": str(v) for k, v in values.items()})
    return bsu_models.load_settings(env)


def _catalogue(settings: bsu_models.Settings) -> bsu_models.Catalogue:
    cat = bsu_models.open_catalogue(settings)
    if not any(c.reference == CASE for c in cat.list_cases()):
        cat.add_case(CASE, "Scale-out")
    return cat


def _imports_per_minute(redis_url: str, db: int, workers: int, meshes: list[bytes]) -> float:
    folder = Path(tempfile.mkdtemp(prefix=f"bsu-scale-{workers}-"))
    settings = _settings(folder, queue_url=f"{redis_url}{db}", queue_heartbeat_s=5)
    cat = _catalogue(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BSU_")}
    env.update({"BSU_DATA_DIR": str(folder), "BSU_ACTOR": "bench",
                "BSU_QUEUE_URL": settings.queue_url, "BSU_QUEUE_HEARTBEAT_S": "5"})  # fmt: skip
    started = [
        subprocess.Popen([sys.executable, "-m", "bsu_models.cli", "worker", "--processes", "1"],
                         cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]  # fmt: skip
    try:
        time.sleep(2)  # the workers connect to the queue
        start = time.perf_counter()
        jobs = []
        for n, data in enumerate(meshes):
            version = cat.import_model(
                [bsu_models.UploadFile(f"bunny-{n}.ply", data)], case=CASE, name=f"Bunny {n}",
                units="mm",
            ).version  # fmt: skip
            jobs.append(cat.derive_levels_later(version.version_id).job_id)
        while True:
            states = [cat.job(j).status for j in jobs]
            if "failed" in states:
                raise SystemExit(f"a levels job failed: {states}")
            if all(s == "done" for s in states):
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - start
    finally:
        for worker in started:
            worker.terminate()
        for worker in started:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        cat.close()
    return len(meshes) / elapsed * 60


def _s3_overhead(repeat: int, mesh: bytes) -> dict[str, float]:
    with running_seaweedfs() as s3:
        os.environ.update(s3.env())
        bucket = s3.new_bucket()
        local = _catalogue(_settings(Path(tempfile.mkdtemp(prefix="bsu-local-"))))
        remote = _catalogue(_settings(Path(tempfile.mkdtemp(prefix="bsu-s3-")),
                                      blob_store=f"s3://{bucket}/bench",
                                      s3_endpoint_url=s3.endpoint_url))  # fmt: skip
        numbers = iter(range(10_000))

        def importer(cat: bsu_models.Catalogue) -> Any:
            def run() -> float:
                n = next(numbers)
                files = [bsu_models.UploadFile("bunny.ply", mesh)]
                seconds, _ = timed(lambda: cat.import_model(files, case=CASE, name=f"B{n}",
                                                            units="mm"))  # fmt: skip
                return seconds

            return run

        importer(local)(), importer(remote)()  # caches warm; the bytes are stored from now on
        ours, bare = alternate(repeat, importer(remote), importer(local))
        local.close()
        remote.close()
    return {"s3_s": statistics.median(ours), "local_s": statistics.median(bare)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--imports", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    meshes = _bunnies(2 * args.imports + 1)
    with running_redis() as redis_url:
        one = _imports_per_minute(redis_url, 1, 1, meshes[: args.imports])
        two = _imports_per_minute(redis_url, 2, 2, meshes[args.imports : 2 * args.imports])
    s3 = _s3_overhead(args.repeat, meshes[-1])
    result = {
        "code": code_version("bsu_models"),
        "machine": machine(),
        "imports": args.imports,
        "imports_per_minute": {"1_worker": one, "2_workers": two},
        "ratio_2_over_1": two / one,
        "import_s": s3,
        "ratio_s3_over_local": s3["s3_s"] / s3["local_s"],
        "target_s3_ratio": TARGET_S3_RATIO,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['code']} · {result['machine']}")
    print(f"imports per minute (each with its web levels as a job): 1 worker {one:.1f}, "
          f"2 workers {two:.1f}, ratio {two / one:.2f}")  # fmt: skip
    print(f"one import: local {s3['local_s']:.2f} s, S3 {s3['s3_s']:.2f} s, ratio "
          f"{result['ratio_s3_over_local']:.2f} (target ≤ {TARGET_S3_RATIO})")  # fmt: skip


if __name__ == "__main__":
    main()
