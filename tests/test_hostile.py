"""Hostile and broken uploads: each is refused with one sentence naming the file, the process
survives, and nothing is stored."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import bsu_models
from bench._common import textured_grid
from bsu_models.core.errors import ParseFailed
from bsu_models.ingest.service import ImportRequest, run_import
from bsu_models.render.stills import render_thumbnail
from tests.conftest import make_settings
from tests.hostile_corpus import HostileUpload, hostile_uploads

CORPUS = hostile_uploads()


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 20


@pytest.mark.parametrize("hostile", CORPUS, ids=lambda h: h.case_id)
def test_hostile_upload_is_refused_and_nothing_is_stored(sqlite_catalogue, hostile: HostileUpload):
    sqlite_catalogue.add_case("KC-2026-0666", "Hostile files")
    files = [bsu_models.UploadFile(name, data) for name, data in hostile.files]
    with pytest.raises(bsu_models.BsuError) as refused:
        sqlite_catalogue.import_model(files, case="KC-2026-0666", name="hostile")
    message = str(refused.value)
    assert hostile.files[0][0] in message, message
    assert "\n" not in message and "Traceback" not in message
    assert message.endswith("."), message
    assert list(sqlite_catalogue.blobs.keys()) == []
    assert list(sqlite_catalogue.blobs.stray_files()) == []
    assert sqlite_catalogue.list_models() == []
    refusal = sqlite_catalogue.audit_events(limit=1)[0]
    assert (refusal.action, refusal.outcome) == ("model.import", "refused")
    assert sqlite_catalogue.verify().ok


def _parser_processes() -> list[tuple[int, str]]:
    """This process's parser children (``bsu_models.ingest.parse_worker``): pid and state."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        state, parent = stat.rpartition(")")[2].split()[:2]
        if int(parent) == os.getpid() and b"bsu_models.ingest.parse_worker" in command:
            found.append((int(entry.name), state))
    return found


def test_a_parser_dying_after_handing_over_the_mesh_leaves_nothing(sqlite_catalogue):
    """The thumbnail, geometry and originals are stored while the parser still makes the web
    copy: when it then dies, the import is refused and what it stored is removed."""
    cat = sqlite_catalogue
    cat.add_case("KC-2026-0666", "Hostile files")
    killed: list[tuple[int, str]] = []

    def draw_after_killing_the_parser(*args: Any) -> bytes:
        # 320,000 faces: the parser still has the web copy to make when its arrays are read.
        for pid, state in _parser_processes():
            os.kill(pid, signal.SIGKILL)
            killed.append((pid, state))
        return render_thumbnail(*args)

    scan = bsu_models.UploadFile("scan.glb", textured_grid(400, 64))
    request = ImportRequest("KC-2026-0666", "scan", (scan,))
    with pytest.raises(ParseFailed, match=r"scan\.glb"):
        run_import(cat.engine, cat.blobs, cat.settings, request, "t", draw_after_killing_the_parser)
    assert [state for _pid, state in killed] in (["R"], ["S"], ["D"])  # alive when killed
    assert list(cat.blobs.keys()) == [] and list(cat.blobs.stray_files()) == []
    assert cat.list_models() == []


def test_the_callers_work_on_the_mesh_does_not_count_against_the_parser(tmp_path):
    """While the thumbnail is drawn and the first files stored, the parser may get no CPU at
    all (two cores, both busy): that time is not the parser's, and it is not timed out for it.
    Here it is stopped while the thumbnail takes nearly all its allowance and goes on a second
    after: well within its own time."""
    cat = bsu_models.open_catalogue(make_settings(tmp_path / "data", parse_timeout_s=3.0))
    cat.add_case("KC-2026-0667", "Slow thumbnails")
    stopped: list[tuple[int, str]] = []

    def draw_slowly_with_the_parser_stopped(*args: Any) -> bytes:
        stopped.extend(_parser_processes())
        for pid, _state in stopped:
            os.kill(pid, signal.SIGSTOP)
        began = time.monotonic()
        thumbnail = render_thumbnail(*args)
        time.sleep(max(cat.settings.parse_timeout_s - 0.5 - (time.monotonic() - began), 0))
        for pid, _state in stopped:
            threading.Timer(1.0, os.kill, (pid, signal.SIGCONT)).start()
        return thumbnail

    # 320,000 faces: the parser still has the web copy to make when its arrays are read.
    scan = bsu_models.UploadFile("scan.glb", textured_grid(400, 64))
    request = ImportRequest("KC-2026-0667", "scan", (scan,))
    try:
        version_id = run_import(
            cat.engine, cat.blobs, cat.settings, request, "t", draw_slowly_with_the_parser_stopped
        )
        assert [state for _pid, state in stopped] in (["R"], ["S"], ["D"])  # alive when stopped
        assert cat.get_version(version_id).faces == 320_000
    finally:
        cat.close()
