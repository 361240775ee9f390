"""Killing an import at any point leaves no catalogue row without its file.

The CLI runs in a child process that SIGKILLs itself at a chosen point: before the n-th blob
write, between a blob's temporary file and its rename, or inside the database transaction.
Afterwards ``verify`` may report orphan or stray files (bytes without a row) but never a row
without its bytes, and the audit chain stays whole.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import bsu_models
from tests.conftest import REPO, make_settings

pytestmark = pytest.mark.slow

KILLER = r"""
import os, signal, sys
from bsu_models.cli import commands as cli
from bsu_models.core import blobstore
from bsu_models.ingest import service as ingest

point, n = sys.argv[1], int(sys.argv[2])
calls = 0

def maybe_die():
    global calls
    calls += 1
    if calls == n:
        os.kill(os.getpid(), signal.SIGKILL)

if point == "before_put":
    original_store = blobstore.LocalBlobStore.store
    def store(self, data):
        maybe_die()
        return original_store(self, data)
    blobstore.LocalBlobStore.store = store
elif point == "before_rename":
    original_replace = os.replace
    def replace(src, dst):
        maybe_die()
        return original_replace(src, dst)
    blobstore.os.replace = replace
elif point == "in_transaction":
    original_append = ingest.append_event
    def append_event(*args, **kwargs):
        row = original_append(*args, **kwargs)
        maybe_die()
        return row
    ingest.append_event = append_event
sys.exit(cli.main(sys.argv[3:]))
"""

KILL_POINTS = [
    ("before_put", 1),
    ("before_put", 3),
    ("before_put", 6),
    ("before_rename", 1),
    ("before_rename", 4),
    ("in_transaction", 1),
]


@pytest.mark.parametrize("point, n", KILL_POINTS, ids=lambda v: str(v))
def test_killed_import_leaves_no_row_without_its_file(tmp_path: Path, point: str, n: int):
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BSU_")}
    env["BSU_DATA_DIR"] = str(data_dir)
    catalogue = bsu_models.open_catalogue(make_settings(data_dir))
    catalogue.add_case("KC-1", "crash")
    files = [
        REPO / "assets" / "demo" / n for n in ("footbridge.obj", "footbridge.mtl", "footbridge.png")
    ]
    args = ["import", *map(str, files), "--case", "KC-1", "--name", "bridge"]

    killed = subprocess.run(
        [sys.executable, "-c", KILLER, point, str(n), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    problems = catalogue.verify().problems
    assert not [p for p in problems if not p.startswith(("orphan:", "stray:"))], problems
    assert catalogue.list_models() == []

    # The same import, uninterrupted, stores its version; bytes orphaned above are the same
    # bytes and now have their rows. Only an interrupted temporary file may remain reported.
    catalogue.import_model(
        [bsu_models.UploadFile(p.name, p.read_bytes()) for p in files], case="KC-1", name="bridge"
    )
    problems = catalogue.verify().problems
    assert all(p.startswith("stray:") for p in problems), problems
    assert len(catalogue.list_models()) == 1
    catalogue.close()
