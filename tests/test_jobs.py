"""Jobs on a real Redis queue with real ``bsu-models worker`` processes, against PostgreSQL and
a local blob folder: web levels made by the workers, audited with who asked, done once when
asked twice, and finished on retry after a worker is killed mid-job with nothing half-stored.
The embedded default (jobs in-process) is covered by test_web_levels.py and test_video.py."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

import bsu_models
from bench._common import textured_grid
from bsu_models.cli import main
from bsu_models.ingest.level_jobs import snap_key
from tests.conftest import REPO, _new_postgres_database, make_settings, upload
from tests.servers import S3Server, redis_server, seaweedfs  # noqa: F401 -- fixtures

PASSWORD = "correct horse battery staple"
HEARTBEAT_S = 2.0
VIDEO = {"size": "square", "fps": 2, "seconds_per_step": 0.5, "date_text": "25 Nov 2026"}


class Queue:
    """A catalogue on PostgreSQL whose jobs go to a Redis queue, and its worker processes."""

    def __init__(self, settings: bsu_models.Settings, logs: Path) -> None:
        self.settings = settings
        self.logs = logs
        self.cat = bsu_models.open_catalogue(settings)
        self.workers: list[subprocess.Popen[bytes]] = []

    def env(self) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("BSU_")}
        return {
            **clean,
            "PYTHONPATH": str(REPO),
            "BSU_DATA_DIR": str(self.settings.data_dir),
            "BSU_DATABASE_URL": self.settings.database_url,
            "BSU_QUEUE_URL": self.settings.queue_url,
            "BSU_QUEUE_HEARTBEAT_S": str(self.settings.queue_heartbeat_s),
            "BSU_ACTOR": "worker-host",
            **({"BSU_BLOB_STORE": self.settings.blob_store} if self.settings.blob_store else {}),
            **(
                {"BSU_S3_ENDPOINT_URL": self.settings.s3_endpoint_url}
                if self.settings.s3_endpoint_url
                else {}
            ),
        }

    def start_worker(self) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"worker-{len(self.workers)}.log", "wb")  # noqa: SIM115
        worker = subprocess.Popen(
            [sys.executable, "-m", "bsu_models.cli", "worker", "--processes", "1"],
            env=self.env(),
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in self.workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        self.cat.close()


def _queue_settings(request: pytest.FixtureRequest, redis_url: str, tmp_path: Path,
                    **store: str) -> bsu_models.Settings:  # fmt: skip
    """Settings for a fresh PostgreSQL catalogue with its own Redis database, so no message
    outlives its catalogue; ``store`` names a bucket instead of the data folder."""
    database = _new_postgres_database(request.getfixturevalue("postgres_server"))
    number = 1 + sum(map(ord, request.node.name)) % 15
    return replace(
        make_settings(tmp_path / "data", database),
        queue_url=f"{redis_url}{number}",
        queue_heartbeat_s=HEARTBEAT_S,
        **store,
    )


@pytest.fixture
def queue(
    request: pytest.FixtureRequest,
    redis_server: str,  # noqa: F811 -- the fixture imported above
    tmp_path: Path,
) -> Iterator[Queue]:
    found = Queue(_queue_settings(request, redis_server, tmp_path), tmp_path)
    yield found
    found.stop()


@pytest.fixture
def bucket_queue(
    request: pytest.FixtureRequest,
    redis_server: str,  # noqa: F811 -- the fixture imported above
    seaweedfs: S3Server,  # noqa: F811 -- the fixture imported above
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Queue, S3Server, str]]:
    """As ``queue``, with every byte in a bucket of a real S3 server (SeaweedFS): the parts of
    a deployment on several machines, all on loopback."""
    for name, value in seaweedfs.env().items():
        monkeypatch.setenv(name, value)  # this process and the workers it starts
    bucket = seaweedfs.new_bucket()
    settings = _queue_settings(
        request, redis_server, tmp_path,
        blob_store=f"s3://{bucket}/bsu", s3_endpoint_url=seaweedfs.endpoint_url,
    )  # fmt: skip
    found = Queue(settings, tmp_path)
    yield found, seaweedfs, bucket
    found.stop()


def wait_for(
    cat: bsu_models.Catalogue, job_id: int, done: Callable[[bsu_models.JobInfo], bool]
) -> bsu_models.JobInfo:
    deadline = time.monotonic() + 90
    while True:
        job = cat.job(job_id)
        if done(job):
            return job
        assert time.monotonic() < deadline, f"job {job_id} stayed {job.status}"
        time.sleep(0.02)


def job_events(cat: bsu_models.Catalogue, job_id: int) -> list[bsu_models.AuditEvent]:
    return [
        e
        for e in reversed(cat.audit_events(limit=None))
        if e.object_type == "job" and e.object_id == str(job_id)
    ]


def modeller(cat: bsu_models.Catalogue, case: str) -> bsu_models.Catalogue:
    cat.accounts.add_user("alice", PASSWORD, ["modeller"])
    cat.accounts.add_member(case, "alice")
    return cat.as_user(cat.accounts.principal("alice"))


@pytest.mark.postgres
@pytest.mark.render
def test_two_workers_make_levels_and_a_video_once_audited_with_who_asked(
    bucket_queue: tuple[Queue, S3Server, str], testdata: Path
) -> None:
    queue, s3, bucket = bucket_queue
    queue.start_worker()
    queue.start_worker()
    cat = queue.cat
    cat.add_case("KC-1", "t")
    alice = modeller(cat, "KC-1")
    version = alice.import_model(
        upload(testdata / "stanford-bunny.obj"), case="KC-1", name="Bunny"
    ).version
    scene = cat.scenes.create(version.version_id, "Around the bunny")
    job = alice.derive_levels_later(version.version_id)
    assert job.status == "queued" and job.actor == "alice" and job.case_reference == "KC-1"
    video = alice.render_video_later(scene.scene_id, **VIDEO)
    done = wait_for(cat, job.job_id, lambda j: j.finished)
    assert done.status == "done", done.error
    assert done.attempts == 1 and done.progress == 1.0
    levels = cat.get_version(version.version_id).web_levels
    assert [level.status for level in levels] == ["ready", "ready"]
    snap = snap_key(cat.ctx, cat.get_version(version.version_id))  # the click index
    assert done.result == {
        "levels": {"low": "ready", "high": "ready", "snap": "ready"},
        "keys": {**{level.level: level.sha256 for level in levels}, "snap": snap},
        "blobs": [*(level.sha256 for level in levels), snap],
    }
    events = job_events(cat, job.job_id)
    assert [(e.action, e.outcome, e.actor) for e in events] == [
        ("job.submit", "ok", "alice"),
        ("job.start", "ok", "alice"),
        ("job.end", "ok", "alice"),
    ]
    # Run by a worker, not by this process.
    runner_pid = int(events[1].details["runner"].rpartition(":")[2])
    assert runner_pid in {w.pid for w in queue.workers}

    # Asked again (the same version, the same inputs): the same job, not run again.
    again = alice.derive_levels_later(version.version_id)
    assert again.job_id == job.job_id and again.status == "done"

    # The video, made by a worker as alice, kept by its job's row.
    made = wait_for(cat, video.job_id, lambda j: j.finished)
    assert made.status == "done", made.error
    name, media_type, data = alice.job_file(video.job_id)
    assert name == made.result["name"] and name.endswith("-r1-1080x1080.mp4")
    assert media_type == "video/mp4" and b"ftyp" in data[:16]
    assert hashlib.sha256(data).hexdigest() == made.result["file"] == made.result["video"]["sha256"]
    [render] = [e for e in cat.audit_events(limit=None) if e.action == "render"]
    assert render.actor == "alice" and render.details["mp4_sha256"] == made.result["file"]
    assert alice.render_video_later(scene.scene_id, **VIDEO).job_id == video.job_id
    assert [e.action for e in job_events(cat, video.job_id)] == [
        "job.submit",
        "job.start",
        "job.end",
        "job.download",
    ]

    assert len(job_events(cat, job.job_id)) == 3
    assert cat.get_version(version.version_id).web_levels == levels
    assert {j.job_id for j in alice.jobs(case="KC-1")} == {job.job_id, video.job_id}
    # What the jobs made is referenced by their rows: gc keeps it and verify counts it.
    garbage = cat.collect_garbage(dry_run=True)
    assert garbage.blobs == () and garbage.kept_young == 0
    report = cat.verify()
    assert report.ok and not report.cleanable, report
    # Everything the app and the workers stored is in the bucket; nothing on this disk.
    listed = {
        o["Key"].rsplit("/", 1)[-1]
        for page in s3.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
    }
    stored = set(cat.blobs.keys())
    assert {level.sha256 for level in levels} | {made.result["file"]} <= stored <= listed
    assert not (queue.settings.data_dir / "blobs").exists()


@pytest.mark.postgres
def test_a_worker_killed_mid_job_leaves_nothing_and_the_job_finishes_on_retry(
    queue: Queue,
) -> None:
    first, second = queue.start_worker(), queue.start_worker()
    cat = queue.cat
    cat.add_case("KC-1", "t")
    # Big enough (a 2048-pixel texture to compress twice) that the kill lands mid-job.
    version = cat.import_model(
        [bsu_models.UploadFile("scan.glb", textured_grid(200, 2048))], case="KC-1", name="S"
    ).version
    job = cat.derive_levels_later(version.version_id)
    running = wait_for(cat, job.job_id, lambda j: j.status == "running")
    assert running.attempts == 1
    [start] = [e for e in job_events(cat, job.job_id) if e.action == "job.start"]
    pid = int(start.details["runner"].rpartition(":")[2])
    killed, other = (first, second) if pid == first.pid else (second, first)
    assert killed.pid == pid
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=10)
    after_kill = cat.job(job.job_id)
    assert after_kill.status == "running" and after_kill.result is None
    # Nothing of the job's result is recorded: no level row, and the catalogue verifies.
    assert [level.status for level in cat.get_version(version.version_id).web_levels] == [
        "pending",
        "pending",
    ]
    assert cat.verify().ok
    assert [e.action for e in job_events(cat, job.job_id)] == ["job.submit", "job.start"]

    # The other worker gets the job once the dead one's heartbeat has run out.
    done = wait_for(cat, job.job_id, lambda j: j.finished)
    assert done.status == "done", done.error
    assert done.attempts == 2
    [_first, restart] = [e for e in job_events(cat, job.job_id) if e.action == "job.start"]
    assert int(restart.details["runner"].rpartition(":")[2]) == other.pid
    levels = cat.get_version(version.version_id).web_levels
    assert [level.status for level in levels] == ["ready", "ready"]
    assert [(e.action, e.details.get("attempt")) for e in job_events(cat, job.job_id)] == [
        ("job.submit", None),
        ("job.start", 1),
        ("job.start", 2),
        ("job.end", 2),
    ]
    report = cat.verify()
    assert report.ok, report.problems


def test_the_worker_says_plainly_when_there_is_no_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [k for k in os.environ if k.startswith("BSU_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("BSU_DATA_DIR", str(tmp_path / "data"))
    assert main(["worker"]) == 2
    assert capsys.readouterr().err.startswith("error: No job queue is configured")
    monkeypatch.setenv("BSU_QUEUE_URL", "redis://127.0.0.1:1/0")
    assert main(["worker"]) == 2
    said = capsys.readouterr().err
    assert said.startswith("error: The job queue at redis://127.0.0.1:1/0 cannot be reached")
    assert "Traceback" not in said and said.count("\n") == 1


@pytest.mark.render
def test_without_a_queue_the_job_runs_in_process_for_members_to_see(
    sqlite_catalogue: bsu_models.Catalogue, testdata: Path
) -> None:
    cat = sqlite_catalogue
    cat.add_case("KC-1", "t")
    cat.add_case("KC-2", "other")
    alice = modeller(cat, "KC-1")
    version = alice.import_model(upload(testdata / "teapot.obj"), case="KC-1", name="Pot").version
    job = alice.derive_levels_later(version.version_id)
    done = wait_for(cat, job.job_id, lambda j: j.finished)
    assert done.status == "done" and done.actor == "alice"
    assert int(job_events(cat, job.job_id)[1].details["runner"].rpartition(":")[2]) == os.getpid()
    assert all(level.status == "ready" for level in cat.get_version(version.version_id).web_levels)
    # A print still at A3, made as a job; its PNG is what the job's row names.
    still = alice.render_still_later(version.version_id, preset="plan", size="a3")
    drawn = wait_for(cat, still.job_id, lambda j: j.finished)
    assert drawn.status == "done", drawn.error
    name, media_type, png = alice.job_file(still.job_id)
    assert (name, media_type) == (f"version-{version.version_id}-a3.png", "image/png")
    assert (
        Image.open(io.BytesIO(png)).size
        == (4961, 3508)
        == (
            drawn.result["still"]["width"],
            drawn.result["still"]["height"],
        )
    )
    assert hashlib.sha256(png).hexdigest() == drawn.result["file"]
    # Whoever may see the case sees its jobs; others are refused, and see none listed.
    cat.accounts.add_user("bob", PASSWORD, ["investigator"])
    cat.accounts.add_member("KC-2", "bob")
    bob = cat.as_user(cat.accounts.principal("bob"))
    with pytest.raises(bsu_models.AccessDenied):
        bob.job(job.job_id)
    assert bob.jobs() == []
    assert [j.job_id for j in alice.jobs()] == [still.job_id, job.job_id]


def test_a_job_that_cannot_be_done_fails_with_its_plain_sentence(
    sqlite_catalogue: bsu_models.Catalogue, testdata: Path
) -> None:
    cat = sqlite_catalogue
    cat.add_case("KC-1", "t")
    version = cat.import_model(upload(testdata / "teapot.obj"), case="KC-1", name="Pot").version
    scene = cat.scenes.create(version.version_id, "Not frozen yet")
    job = cat.build_exhibit_later(scene.scene_id, "BSU/1")
    failed = wait_for(cat, job.job_id, lambda j: j.finished)
    assert failed.status == "failed" and failed.result is None
    assert failed.error is not None and "frozen" in str(failed.error)
    assert bsu_models.localise(failed.error, "zh_HK") != str(failed.error)  # translated
    end = job_events(cat, job.job_id)[-1]
    assert (end.action, end.outcome, end.details["reason"]) == (
        "job.end",
        "failed",
        str(failed.error),
    )
    with pytest.raises(bsu_models.InvalidInput):
        cat.job_file(job.job_id)
