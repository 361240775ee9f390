"""The blob store on a real S3-compatible server (SeaweedFS on loopback, ``tests/servers.py``):
the protocol, multipart uploads that never leave a key on partial bytes, a catalogue on
PostgreSQL whose every stored byte lands in the bucket, ``verify`` (and ``--sample``) naming an
object changed behind our back, and plain sentences when the store cannot be used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

import bsu_models
from bench._common import free_port
from bsu_models import Step
from bsu_models.core.blob_gc import collect, referenced_keys
from bsu_models.core.blobstore import open_blob_store, sha256_bytes
from bsu_models.core.db import read_session
from bsu_models.core.errors import NotFound, StorageError
from bsu_models.core.orm import ModelRow, StoredFileRow, VersionRow
from bsu_models.core.s3_blobstore import S3AuditHead, S3BlobStore
from bsu_models.core.settings import load_settings
from tests.conftest import _new_postgres_database, make_settings, upload
from tests.servers import S3Server, seaweedfs  # noqa: F401 -- the fixture
from tests.test_cli import run_cli

REPO = Path(__file__).resolve().parents[1]
KiB = 1024
MiB = 1024 * KiB
CASE = "KC-2026-0142"


@pytest.fixture
def s3(seaweedfs: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:  # noqa: F811
    """The session's server, with its credentials in the standard AWS variables."""
    for name, value in seaweedfs.env().items():
        monkeypatch.setenv(name, value)
    return seaweedfs


@pytest.fixture
def store(s3: S3Server) -> S3BlobStore:
    """A store under a prefix of a new bucket; uploads from 6 MiB on go in 5 MiB parts (the
    smallest part but the last that S3, and SeaweedFS, accept)."""
    return S3BlobStore(
        s3.new_bucket(),
        "bsu/blobs",
        endpoint_url=s3.endpoint_url,
        multipart_threshold=6 * MiB,
        part_size=5 * MiB,
    )


def _objects(s3: S3Server, bucket: str) -> list[str]:
    answer = s3.client().list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in answer.get("Contents", []))


def test_protocol_on_a_bucket(store: S3BlobStore, s3: S3Server) -> None:
    data = b"scale model bytes \x00\xff" * 100
    key, created = store.store(data)
    assert (key, created) == (sha256_bytes(data), True)
    assert store.store(data) == (key, False)  # kept once, reused
    assert store.put(data) == key
    assert _objects(s3, store.bucket) == [f"bsu/blobs/{key[:2]}/{key[2:4]}/{key}"]
    assert store.get(key) == data == store.get_verified(key)
    assert store.exists(key) and list(store.keys()) == [key]
    assert store.rehash(key) == key
    assert 0 <= store.age_seconds(key) < 120
    other = sha256_bytes(b"never stored")
    assert not store.exists(other)
    with pytest.raises(NotFound, match="missing from the blob store"):
        store.get(other)
    with pytest.raises(NotFound, match="not a SHA-256"):
        store.get("../../etc/passwd")

    # An object under the prefix that is not a blob is a stray; gc's discard_stray removes it.
    s3.client().put_object(Bucket=store.bucket, Key=f"bsu/blobs/{key[:2]}/junk", Body=b"x")
    assert list(store.stray_files()) == [f"{key[:2]}/junk"]
    assert list(store.keys()) == [key]
    with pytest.raises(NotFound):
        store.discard_stray(f"{key[:2]}/{key[2:4]}/{key}")
    store.discard_stray(f"{key[:2]}/junk")
    assert list(store.stray_files()) == []

    # A failed writer's undo leaves its young blobs (another server may be about to use them);
    # what gc hands over (older than orphan_age_s, unreferenced) goes.
    with store.writing() as hold:
        assert hold.undo([key], lambda _keys: set()) == []
    assert store.exists(key)
    store.orphan_age_s = 0.0
    with store.writing() as hold:
        assert hold.undo([key], lambda keys: set(keys)) == []  # still referenced
        assert hold.undo([key], lambda _keys: set()) == [key]
    assert not store.exists(key) and list(store.keys()) == []


def test_a_reused_blob_is_made_young_again_so_gc_leaves_it(store: S3BlobStore) -> None:
    """A writer finding a blob stored long ago refreshes its time: gc takes only old orphans,
    and this one is about to get a row."""
    store.orphan_age_s = 4.0  # reuse refreshes blobs older than a quarter of it: one second
    key = store.put(b"reused bytes")
    time.sleep(2.1)
    aged = store.age_seconds(key)
    assert aged >= 1.0
    assert store.store(b"reused bytes") == (key, False)
    assert store.age_seconds(key) < aged - 1.0
    assert store.get(key) == b"reused bytes"


def test_the_audit_head_in_the_bucket_never_moves_back(store: S3BlobStore) -> None:
    head = S3AuditHead(store)
    assert head.read() is None and str(head) == f"s3://{store.bucket}/bsu/blobs/audit-head.txt"
    head.write((5, "e" * 64))
    head.write((3, "c" * 64))  # a slower server's earlier event
    assert head.read() == (5, "e" * 64)
    head.write((6, "f" * 64))
    assert head.read() == (6, "f" * 64)
    assert list(store.stray_files()) == [] and list(store.keys()) == []


def test_multipart_object_reads_back_byte_identical(store: S3BlobStore, s3: S3Server) -> None:
    data = os.urandom(11 * MiB + 17)
    key, created = store.store(data)
    assert created
    head = s3.client().head_object(Bucket=store.bucket, Key=f"bsu/blobs/{key[:2]}/{key[2:4]}/{key}")
    assert head["ETag"].strip('"').endswith("-3")  # 5 + 5 + 1 MiB: a multipart upload
    assert store.get(key) == data
    assert store.rehash(key) == key
    assert list(store.stray_files()) == []  # the upload is complete, nothing left open


_KILLED_WRITER = """
import os, sys, time
import boto3
from bsu_models.core.s3_blobstore import S3AuditHead, S3BlobStore

client = boto3.client("s3", endpoint_url=sys.argv[2])
sent = []

def after_part(**_kwargs):
    sent.append(1)
    if len(sent) == 3:
        print("three parts sent", flush=True)
        time.sleep(600)

client.meta.events.register("after-call.s3.UploadPart", after_part)
store = S3BlobStore(sys.argv[1], "bsu", client=client, multipart_threshold=1, part_size=64 * 1024)
store.store(os.urandom(1024 * 1024))
"""


def test_a_writer_killed_mid_upload_leaves_no_key_and_gc_aborts_its_upload(
    s3: S3Server, tmp_path: Path
) -> None:
    bucket = s3.new_bucket()
    writer = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, bucket, s3.endpoint_url],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "three parts sent"
    finally:
        writer.kill()  # SIGKILL: no handler runs, the upload is never aborted by the writer
        writer.wait(10)
    settings = make_settings(
        tmp_path / "data", blob_store=f"s3://{bucket}/bsu", s3_endpoint_url=s3.endpoint_url
    )
    cat = bsu_models.open_catalogue(settings)
    try:
        assert list(cat.blobs.keys()) == []
        assert _objects(s3, bucket) == []
        strays = list(cat.blobs.stray_files())
        assert len(strays) == 1 and "(incomplete upload " in strays[0]
        report = cat.verify()
        assert report.ok and any("incomplete upload" in item for item in report.cleanable)
        assert cat.collect_garbage(dry_run=False).strays == ()  # younger than an hour: kept
        swept = collect(cat.engine, cat.blobs, "test", dry_run=False, min_age_s=0.0)
        assert swept.strays == tuple(strays)
        assert list(cat.blobs.stray_files()) == []
        assert s3.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    finally:
        cat.close()


@pytest.fixture
def s3_catalogue(
    s3: S3Server, postgres_server: str, tmp_path: Path
) -> Iterator[bsu_models.Catalogue]:
    """A catalogue on PostgreSQL whose blob store is a new bucket."""
    bucket = s3.new_bucket()
    settings = make_settings(
        tmp_path / "data",
        _new_postgres_database(postgres_server),
        blob_store=f"s3://{bucket}/bsu",
        s3_endpoint_url=s3.endpoint_url,
    )
    cat = bsu_models.open_catalogue(settings)
    yield cat
    cat.close()


def _cli_env(cat: bsu_models.Catalogue, s3: S3Server) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BSU_")}
    settings = cat.settings
    env.update(
        s3.env(),
        BSU_DATA_DIR=str(settings.data_dir),
        BSU_DATABASE_URL=settings.database_url,
        BSU_BLOB_STORE=settings.blob_store,
        BSU_S3_ENDPOINT_URL=settings.s3_endpoint_url,
        BSU_ACTOR="cli-test",
    )
    return env


@pytest.mark.postgres
@pytest.mark.render
def test_catalogue_on_postgresql_and_s3_keeps_every_byte_in_the_bucket(
    s3_catalogue: bsu_models.Catalogue, s3: S3Server, testdata: Path
) -> None:
    cat = s3_catalogue
    cat.add_case(CASE, "旺角 Mong Kok")
    version = cat.import_model(
        upload(testdata / "teapot.obj"), case=CASE, name="Teapot yard"
    ).version
    scene = cat.scenes.create(version.version_id, "Footbridge re-enactment")
    doc = cat.scenes.document(scene.scene_id).with_step(Step("st1", "Approach", "21:03"))
    cat.scenes.save(scene.scene_id, doc, scene.revision, "one step")
    post = cat.posts.request(scene.scene_id, 1, "square", "Appeal for witnesses 呼籲證人")

    referenced = referenced_keys(cat.engine)
    assert post.image_sha256 in referenced
    assert len(referenced) >= 5  # original, web copy, thumbnail, geometry, post image
    bucket = cat.settings.s3_location[0]  # type: ignore[index]
    names = set(_objects(s3, bucket))
    # The audit chain's head is kept beside the blobs, where every app server writes it.
    names.remove("bsu/audit-head.txt")
    head = cat.audit_head()
    stored_head = s3.client().get_object(Bucket=bucket, Key="bsu/audit-head.txt")["Body"].read()
    assert stored_head == f"{head.event_id} {head.hash}\n".encode()
    assert {f"bsu/{k[:2]}/{k[2:4]}/{k}" for k in referenced} == names
    assert sorted(cat.settings.data_dir.iterdir()) == []  # nothing stays on this server's disk
    report = cat.verify()
    assert report.ok, report.problems
    assert report.blobs_checked == report.blobs_rehashed == len(names)
    assert report.cleanable == ()

    # Different bytes put under a key behind the catalogue's back: verify names that key.
    victim = sorted(referenced)[0]
    s3.client().put_object(
        Bucket=bucket, Key=f"bsu/{victim[:2]}/{victim[2:4]}/{victim}", Body=b"not the model"
    )
    corrupt = [
        f"corrupt: stored file {victim[:12]} now hashes to {sha256_bytes(b'not the model')[:12]}."
    ]
    assert list(cat.verify().problems) == corrupt
    whole = cat.verify(sample=len(names))
    assert whole.blobs_rehashed == len(names) and list(whole.problems) == corrupt

    env = _cli_env(cat, s3)
    sampled = run_cli(env, "verify", "--sample", "1", "--json")
    payload = json.loads(sampled.stdout)
    assert payload["blobs_rehashed"] == 1 and payload["blobs_checked"] == len(names)
    assert payload["problems"] in ([], corrupt)  # the one chosen may or may not be it
    assert sampled.returncode == (0 if payload["ok"] else 1)
    text = run_cli(env, "verify", "--sample", "2").stdout
    assert f"Re-hashed 2 of {len(names)} stored files, chosen at random." in text

    # A head put back to an earlier event (a chain cut short would need it) is a finding.
    first = cat.audit_events(limit=None)[-1]
    s3.client().put_object(
        Bucket=bucket, Key="bsu/audit-head.txt", Body=f"{first.event_id} {first.hash}\n".encode()
    )
    problems = cat.verify().problems
    assert any(f"s3://{bucket}/bsu/audit-head.txt" in p and "older" in p for p in problems)


def _counts(cat: bsu_models.Catalogue) -> tuple[int, int, int]:
    with read_session(cat.engine) as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(table))
            for table in (ModelRow, VersionRow, StoredFileRow)
        )


@pytest.mark.render
def test_an_unreachable_store_is_one_sentence_and_records_nothing(
    s3: S3Server, tmp_path: Path, testdata: Path
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(
        tmp_path / "data", blob_store="s3://nowhere/bsu", s3_endpoint_url=closed
    )
    cat = bsu_models.open_catalogue(settings)
    try:
        cat.add_case(CASE, "旺角 Mong Kok")
        with pytest.raises(StorageError) as raised:
            cat.import_model(upload(testdata / "teapot.obj"), case=CASE, name="Teapot")
        assert str(raised.value) == f"Cannot reach the object store at {closed}."
        assert _counts(cat) == (0, 0, 0)
        assert not (settings.data_dir / "blobs").exists()
    finally:
        cat.close()


def test_missing_bucket_and_refused_credentials_are_plain_sentences(
    s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = S3BlobStore("no-such-bucket", "bsu", endpoint_url=s3.endpoint_url)
    with pytest.raises(StorageError) as raised:
        missing.put(b"bytes")
    assert str(raised.value) == "The object store has no bucket 'no-such-bucket'."
    with pytest.raises(StorageError, match="no bucket"):
        list(missing.keys())

    bucket = s3.new_bucket()
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    refused = S3BlobStore(bucket, "bsu", endpoint_url=s3.endpoint_url)
    with pytest.raises(StorageError) as raised:
        list(refused.keys())
    assert str(raised.value) == (
        f"The object store refused the credentials for bucket {bucket!r} "
        "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)."
    )
    with pytest.raises(StorageError, match="refused the credentials"):
        refused.put(b"bytes")

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no cloud instance to ask
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    anonymous = S3BlobStore(bucket, "bsu", endpoint_url=s3.endpoint_url)
    with pytest.raises(StorageError) as raised:
        anonymous.put(b"bytes")
    assert str(raised.value) == (
        "The object store needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
    )


def test_blob_store_setting() -> None:
    assert load_settings({"BSU_DATA_DIR": "/tmp/x"}).s3_location is None
    chosen = load_settings({"BSU_BLOB_STORE": "s3://evidence/bsu/blobs/"})
    assert chosen.s3_location == ("evidence", "bsu/blobs")
    assert load_settings({"BSU_BLOB_STORE": "s3://evidence"}).s3_location == ("evidence", "")
    for wrong in ("/srv/blobs", "s3://", "gs://evidence/bsu", "evidence"):
        with pytest.raises(bsu_models.InvalidSetting, match="BSU_BLOB_STORE must be"):
            load_settings({"BSU_BLOB_STORE": wrong})
    local = open_blob_store(make_settings(Path("/tmp/bsu-unused")))
    assert type(local).__name__ == "LocalBlobStore"


@pytest.mark.render
def test_a_failed_import_leaves_its_blobs_as_orphans_for_gc_and_no_rows(
    s3: S3Server, tmp_path: Path, testdata: Path
) -> None:
    """Undo on a bucket keeps the blobs (another server may be about to refer to them): verify
    lists them as cleanable, and gc takes them once old enough."""
    bucket = s3.new_bucket()
    settings = make_settings(
        tmp_path / "data", blob_store=f"s3://{bucket}/bsu", s3_endpoint_url=s3.endpoint_url
    )
    cat = bsu_models.open_catalogue(settings)

    def interrupted(fraction: float, _message: object) -> None:
        if fraction >= 0.95:  # the blobs are stored; the rows are next
            raise StorageError("The connection to the browser was lost.")

    try:
        cat.add_case(CASE, "旺角 Mong Kok")
        with pytest.raises(StorageError, match="browser was lost"):
            cat.import_model(
                upload(testdata / "teapot.obj"), case=CASE, name="Teapot", progress=interrupted
            )
        assert _counts(cat) == (0, 0, 0)
        stored = list(cat.blobs.keys())
        assert len(stored) == 4  # original, web copy, thumbnail, geometry
        report = cat.verify()
        assert report.ok and len(report.cleanable) == 4
        assert all(item.startswith("orphan:") for item in report.cleanable)
        assert cat.collect_garbage(dry_run=False).blobs == ()  # younger than an hour
        swept = collect(cat.engine, cat.blobs, "test", dry_run=False, min_age_s=0.0)
        assert swept.blobs == ()  # the store's own orphan age (an hour) still holds them
        cat.blobs.orphan_age_s = 0.0  # type: ignore[attr-defined]
        swept = collect(cat.engine, cat.blobs, "test", dry_run=False, min_age_s=0.0)
        assert sorted(swept.blobs) == sorted(stored)
        assert _objects(s3, bucket) == ["bsu/audit-head.txt"]
    finally:
        cat.close()
