"""Real servers the tests start on loopback, once per session (``bench/_servers.py`` starts
them): SeaweedFS for S3-compatible object storage, Redis for the job queue."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench._servers import S3Server, running_redis, running_seaweedfs

__all__ = ["S3Server", "redis_server", "seaweedfs"]


@pytest.fixture(scope="session")
def seaweedfs() -> Iterator[S3Server]:
    """A real SeaweedFS (master, volume, filer and S3 gateway in one process) for the session."""
    try:
        with running_seaweedfs() as server:
            yield server
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """URL prefix of a running Redis server, e.g. redis://127.0.0.1:PORT/ (add a db number)."""
    try:
        with running_redis() as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))
