"""Several machines' worth of BSU Models on one: two app servers behind Debian's haproxy (with the
deployment's own ``docs/deploy/haproxy.cfg``) sharing one PostgreSQL catalogue and one bucket of a
real S3 server (SeaweedFS), soaked by eight concurrent clients doing imports and scene edits for a
bounded time.

Six clients are processes using the public API, two are headless Chromium sessions uploading
through the load balancer's address. Afterwards every write a client was told was saved is in
the catalogue, every byte is in the bucket and none on the servers' disk, nobody saw a raw
error, and ``verify`` finds the audit chain intact.
"""

from __future__ import annotations

import multiprocessing
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import trimesh

import bsu_models
from bench._common import app_env, load_balanced_app
from tests import soak_clients
from tests.conftest import _new_postgres_database, make_settings
from tests.processes import start_processes
from tests.servers import S3Server, seaweedfs

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.slow]
__all__ = ["seaweedfs"]  # a fixture, used by name

CASE, TITLE = "KC-2026-0700", "Soak"
USER, PASSWORD = "soak-user", "soak-password-2026"
API_CLIENTS, BROWSER_CLIENTS = 6, 2
SOAK_S = 25.0
RAW = re.compile(
    r"Traceback|SQL|psycopg|sqlite|IntegrityError|OperationalError|botocore|redis|Errno",
    re.IGNORECASE,
)
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["tests.soak_clients"])


def _start_all(clients: list[tuple[Any, tuple[Any, ...]]]) -> list[tuple[str, list[Any]]]:
    results = _CONTEXT.Queue()
    processes = [_CONTEXT.Process(target=target, args=(*args, results)) for target, args in clients]
    start_processes(processes)
    collected = [results.get(timeout=SOAK_S + 300) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    return collected


def test_two_app_servers_and_eight_clients_lose_no_write(
    postgres_server: str, seaweedfs: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _new_postgres_database(postgres_server)
    bucket = seaweedfs.new_bucket()
    store = {"BSU_BLOB_STORE": f"s3://{bucket}/bsu", "BSU_S3_ENDPOINT_URL": seaweedfs.endpoint_url}
    for name, value in seaweedfs.env().items():
        monkeypatch.setenv(name, value)  # this process's own catalogue
    data_dir = tmp_path / "data"
    settings = make_settings(
        data_dir, url, blob_store=store["BSU_BLOB_STORE"], s3_endpoint_url=seaweedfs.endpoint_url
    )
    system = bsu_models.open_catalogue(settings)
    system.add_case(CASE, TITLE)
    box = trimesh.creation.box(extents=(2000, 1200, 20))
    version = system.import_model(
        [bsu_models.UploadFile("floor.ply", bytes(box.export(file_type="ply")))],
        case=CASE, name="Soak floor", units="mm",
    ).version  # fmt: skip
    scene_id = system.scenes.create(version.version_id, "Soak scene").scene_id
    system.accounts.add_user(USER, PASSWORD, ["modeller", "investigator"])
    system.accounts.add_member(CASE, USER)

    env = {**app_env(data_dir, USER), "BSU_DATABASE_URL": url, **store, **seaweedfs.env()}
    with load_balanced_app(env, tmp_path, 60) as lb:
        deadline = time.time() + SOAK_S
        api = [
            (
                soak_clients.api_client,
                (settings, seaweedfs.env(), USER, n, deadline, CASE, scene_id),
            )
            for n in range(API_CLIENTS)
        ]
        browsers = [
            (soak_clients.browser_client,
             (lb.base_url, USER, PASSWORD, n, deadline, f"{CASE} — {TITLE}", tmp_path))
            for n in range(BROWSER_CLIENTS)
        ]  # fmt: skip
        outcomes = _start_all(api + browsers)
        served = [(app.base_url, app.log.read_text(errors="replace")) for app in lb.servers]

    counts = Counter(kind for _client, done in outcomes for kind, _value in done)
    raw = [value for _c, done in outcomes for kind, value in done if kind == "raw"]
    raw += [value for _c, done in outcomes for kind, value in done
            if kind == "conflict" and RAW.search(value)]  # fmt: skip
    imported = {value for _c, done in outcomes for kind, value in done if kind == "import"}
    steps = {value for _c, done in outcomes for kind, value in done if kind == "step"}
    pinned = {value for _c, done in outcomes for kind, value in done if kind == "server"}
    print(f"\nsoak {SOAK_S:.0f} s, {API_CLIENTS} API + {BROWSER_CLIENTS} browser clients: "
          f"{dict(counts)}")  # fmt: skip

    assert raw == []
    # Each browser session stayed on one server, and the two sessions used both.
    assert pinned == {"app1", "app2"}
    assert all("Traceback" not in log for _url, log in served)
    browser_imports = {name for name in imported if name.startswith("Soak browser box")}
    assert browser_imports, "no browser client finished an import within the soak"
    assert steps and len(imported - browser_imports) > 0

    # 0 lost writes: every import and every step the app confirmed is there.
    stored = {summary.name for summary in system.list_models(CASE)}
    assert imported - stored == set()
    final = system.scenes.document(scene_id, system.scenes.info(scene_id).revision)
    assert steps - {step.id for step in final.steps} == set()
    report = system.verify()
    assert list(report.problems) == []
    # Every stored byte went to the bucket; the servers' data folder holds no blob.
    keys = {o["Key"] for page in seaweedfs.client().get_paginator("list_objects_v2").paginate(
        Bucket=bucket) for o in page.get("Contents", [])}  # fmt: skip
    stored_keys = {k.rsplit("/", 1)[-1] for k in keys}
    assert set(system.blobs.keys()) <= stored_keys and len(stored_keys) > len(imported)
    assert not (data_dir / "blobs").exists() or not any((data_dir / "blobs").rglob("*"))
    system.close()
