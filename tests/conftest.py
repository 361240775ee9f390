"""Shared fixtures: real catalogues on SQLite and on a throwaway PostgreSQL cluster.

Fixtures are named after what they return. The PostgreSQL cluster is started once per test
session with ``initdb`` + ``pg_ctl`` on a free loopback port (binaries from Debian's
``postgresql`` package, installed by ``scripts/setup.sh --test``); each test gets a new database.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import bsu_models
from bench._common import free_port
from bsu_models import Settings
from bsu_models.core.records import ReviewInfo

REPO = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024


def _testdata_dir() -> Path:
    override = os.environ.get("TESTDATA_DIR")
    return Path(override) if override else REPO.parent / "shared" / "testdata"


@pytest.fixture(scope="session")
def testdata() -> Path:
    """Folder of real meshes made by others (see its SOURCES.md)."""
    path = _testdata_dir()
    if not (path / "SOURCES.md").exists():
        pytest.fail(f"Test meshes not found at {path}; set TESTDATA_DIR to the shared testdata.")
    return path


def make_settings(data_dir: Path, database_url: str | None = None, **limits: object) -> Settings:
    """Settings for a test catalogue: the README defaults with limits small enough to test."""
    values: dict[str, object] = dict(
        max_upload_bytes=64 * MiB,
        max_faces=5_000_000,
        max_archive_entries=1_000,
        max_unpacked_bytes=256 * MiB,
        max_compression_ratio=100,
        parse_timeout_s=60.0,
        parse_memory_bytes=3072 * MiB,
    )
    values.update(limits)
    return Settings(
        data_dir=data_dir,
        database_url=database_url or f"sqlite:///{data_dir / 'catalogue.sqlite3'}",
        actor="test-modeller",
        **values,  # type: ignore[arg-type]
    )


# -- PostgreSQL ---------------------------------------------------------------------------------


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL binaries are missing; scripts/setup.sh --test installs them.")
    return Path(found[-1]).parent


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb refuses to run as root; Debian's package creates the postgres user.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL prefix of a throwaway PostgreSQL cluster, e.g. postgresql+psycopg://postgres@h:p/."""
    bindir = _pg_bin()
    root = Path(tempfile.mkdtemp(prefix="bsu-pg-"))
    data, sock = root / "data", root / "sock"
    data.mkdir()
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
        shutil.chown(sock, "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off"
    subprocess.run(
        _as_postgres(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-w",
                "-o",
                options,
                "-l",
                str(root / "log"),
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/"
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def _new_postgres_database(server: str) -> str:
    import sqlalchemy

    name = f"bsu_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(server + "postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return server + name


# -- catalogues ---------------------------------------------------------------------------------


@pytest.fixture
def sqlite_catalogue(tmp_path: Path) -> Iterator[bsu_models.Catalogue]:
    """A real catalogue on SQLite and a local blob folder."""
    catalogue = bsu_models.open_catalogue(make_settings(tmp_path / "data"))
    yield catalogue
    catalogue.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def catalogue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[bsu_models.Catalogue]:
    """A real catalogue, once on SQLite and once on PostgreSQL."""
    url = None
    if request.param == "postgresql":
        url = _new_postgres_database(request.getfixturevalue("postgres_server"))
    catalogue = bsu_models.open_catalogue(make_settings(tmp_path / "data", url))
    yield catalogue
    catalogue.close()


@pytest.fixture
def case_reference(catalogue: bsu_models.Catalogue) -> str:
    """A case that exists in ``catalogue``."""
    return catalogue.add_case("KC-2026-0142", "Mong Kok assault re-enactment").reference


def upload(path: Path) -> list[bsu_models.UploadFile]:
    return [bsu_models.UploadFile(path.name, path.read_bytes())]


# -- free text ---------------------------------------------------------------------------------

#: Free text that would be markup if any page, book, picture or terminal read it as such.
MARKUP = "<script>alert(1)</script> **bold** [x](javascript:alert(1)) $x$"


# -- the technical review that must come before freezing for court ------------------------------

#: A finding for every checklist item of the technical review.
CHECKED = {item: "Checked" for item in ("positions", "measurements", "views", "captions")}


def approve_for_court(
    catalogue: bsu_models.Catalogue,
    scene_id: int,
    findings: dict[str, str] | None = None,
    actor: str = "reviewer-1",
) -> ReviewInfo:
    """Approve the scene's current revision in a technical review by ``actor`` (who must not
    have authored it), so that it can be frozen for court."""
    return catalogue.scenes.review(scene_id, "approved", findings or CHECKED, actor=actor)


def approve_for_court_cli(
    env: dict[str, str],
    scene_id: int,
    findings: dict[str, str] | None = None,
    actor: str = "reviewer-1",
) -> dict[str, object]:
    """``approve_for_court`` through ``bsu-models scene review --approve``; its --json answer."""
    from tests.test_cli import run_cli

    checks = (f"--{item}={text}" for item, text in (findings or CHECKED).items())
    reviewed = run_cli(
        {**env, "BSU_ACTOR": actor},
        "scene",
        "review",
        str(scene_id),
        "--approve",
        *checks,
        "--json",
    )
    assert reviewed.returncode == 0, reviewed.stderr
    result: dict[str, object] = json.loads(reviewed.stdout)
    return result
