"""Running the parser (``bsu_models.ingest.parse_worker``) in a child process with hard limits.

The child gets an address-space limit, a CPU-time limit and a wall-clock timeout; whatever
happens inside it (a MemoryError, a segfault in a native library, an endless loop), this process
survives and the caller gets one ``BsuError``. Results come back as files in a private
temporary folder and are validated again here before use.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bsu_models.core import errors
from bsu_models.core.settings import Settings
from bsu_models.ingest.meshdata import MESH_READY, MeshArrays, validate_arrays
from bsu_models.ingest.textures import check_texture, check_textures
from bsu_models.ingest.upload import PreparedUpload


@dataclass(frozen=True)
class ParsedUpload:
    """What the parser measured and made for one upload."""

    mesh: MeshArrays = field(repr=False)
    web_glb: bytes = field(repr=False)
    facts: dict[str, Any]


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BSU_")}
    # One thread each: the limits are per process, and BLAS thread pools reserve address space.
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


class WorkerPool:
    """One spare parser process, started ahead of need so an import does not wait for Python,
    numpy and trimesh to load. The spare applies its limits before loading anything and waits
    for one work folder on standard input; each process parses one upload and exits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spare: subprocess.Popen[bytes] | None = None
        self._limits: tuple[int, int] | None = None

    @staticmethod
    def _limits_of(settings: Settings) -> tuple[int, int]:
        # CPU seconds: the wall-clock timeout plus what loading the libraries costs.
        return settings.parse_memory_bytes, int(settings.parse_timeout_s) + 10

    @staticmethod
    def _start(limits: tuple[int, int]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "bsu_models.ingest.parse_worker", "--serve", *map(str, limits)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,  # one line: the arrays are ready
            stderr=subprocess.PIPE,
            env=_child_env(),
            # The child sets its own rlimits first thing: preexec_fn is unsafe in threaded
            # servers such as Streamlit's. Its own session lets a timeout kill all it started.
            start_new_session=True,
        )

    def prepare(self, settings: Settings) -> None:
        """Make sure a spare worker with these settings' limits is starting or waiting."""
        limits = self._limits_of(settings)
        with self._lock:
            if self._spare is not None and (
                self._spare.poll() is not None or self._limits != limits
            ):
                self._discard(self._spare)
                self._spare = None
            if self._spare is None:
                self._spare, self._limits = self._start(limits), limits

    def take(self, settings: Settings) -> subprocess.Popen[bytes]:
        """A worker for one parse: the spare if it is ready and fits, else a new one."""
        self.prepare(settings)
        with self._lock:
            worker, self._spare = self._spare, None
        assert worker is not None
        return worker

    @staticmethod
    def _discard(worker: subprocess.Popen[bytes]) -> None:
        if worker.poll() is None:
            worker.kill()
        worker.wait()
        _close_pipes(worker)

    def close(self) -> None:
        with self._lock:
            if self._spare is not None:
                self._discard(self._spare)
                self._spare = None


def _close_pipes(worker: subprocess.Popen[bytes]) -> None:
    """Close our ends of a finished worker's pipes (``communicate`` closes them only when it
    runs to the end)."""
    for stream in (worker.stdin, worker.stdout, worker.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


WORKERS = WorkerPool()
atexit.register(WORKERS.close)


def parse_in_sandbox(
    prepared: PreparedUpload,
    source_sha256: str,
    settings: Settings,
    on_mesh: Callable[[MeshArrays], None] | None = None,
) -> ParsedUpload:
    """Parse ``prepared`` in a limited child process; raises a ``BsuError`` on any failure.

    ``on_mesh`` is called here with the validated arrays as soon as the parser has written
    them, while it goes on to measure the facts and make the web copy (the two overlap on two
    cores); it is not called when the parser fails first."""
    label = (
        prepared.upload_label
        if prepared.mesh_name == prepared.upload_label
        else f"{prepared.upload_label} ({prepared.mesh_name})"
    )
    files = {prepared.mesh_name: prepared.mesh_data, **prepared.companions}
    with tempfile.TemporaryDirectory(prefix="bsu-parse-") as tmp:
        workdir = Path(tmp)
        (workdir / "in").mkdir()
        # Inputs are stored under numbers, so no uploaded name ever becomes a path.
        for index, data in enumerate(files.values()):
            (workdir / "in" / f"{index:05d}").write_bytes(data)
        request = {
            "label": label,
            "mesh_name": prepared.mesh_name,
            "format": prepared.mesh_format,
            "files": list(files),
            "max_faces": settings.max_faces,
            "max_texture_pixels": settings.max_texture_pixels,
            "source_sha256": source_sha256,
        }
        (workdir / "request.json").write_text(json.dumps(request))
        timeout = settings.parse_timeout_s
        deadline = time.monotonic() + timeout
        proc = WORKERS.take(settings)
        early: MeshArrays | None = None
        try:
            assert proc.stdin is not None
            proc.stdin.write(f"{workdir}\n".encode())
            proc.stdin.flush()
            if on_mesh is not None and _mesh_ready(proc, deadline):
                early = _arrays(label, workdir / "out", settings)
                began = time.monotonic()
                on_mesh(early)
                # The caller's work (thumbnail, storing originals of up to hundreds of MB)
                # is not the parser's: it must not eat into the parser's allowance.
                deadline += time.monotonic() - began
            _, stderr = proc.communicate(timeout=max(deadline - time.monotonic(), 0.5))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            _close_pipes(proc)
            raise errors.ParseFailed(
                "{label}: parsing took longer than the {seconds:g} s allowed.",
                label=label,
                seconds=timeout,
            ) from None
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            _close_pipes(proc)
            raise
        finally:
            WORKERS.prepare(settings)
        result_path = workdir / "out" / "result.json"
        if proc.returncode != 0 or not result_path.exists():
            return _crash(label, proc.returncode, stderr)
        result = json.loads(result_path.read_text())
        if not result.get("ok"):
            raise _worker_error(result)
        return _collect(label, workdir / "out", result, settings, early)


def _mesh_ready(proc: subprocess.Popen[bytes], deadline: float) -> bool:
    """Wait for the parser's line saying its arrays are written; False when it ended (or
    said anything else) first. Its standard error is left to ``communicate``: the parser
    writes there only when it dies."""
    assert proc.stdout is not None
    line = b""
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired(proc.args, 0)
            if not selector.select(left):
                continue
            chunk = os.read(proc.stdout.fileno(), 64)
            if not chunk:
                return False
            line += chunk
            if len(line) > 64:
                return False
    return line == f"{MESH_READY}\n".encode()


def _worker_error(result: dict[str, Any]) -> errors.BsuError:
    """The error the parser process reported, rebuilt with its msgid and values.

    The child writes ``error_type``, ``template``, ``params`` (``errors.params_to_json``) and the
    English ``message``; an error that cannot be rebuilt keeps the English sentence.
    """
    error_type = getattr(errors, str(result.get("error_type", "")), errors.InvalidMesh)
    if not (
        isinstance(error_type, type)
        and issubclass(error_type, errors.BsuError)
        and not issubclass(error_type, errors.AmbiguousUpload)  # the parser never has several
    ):
        error_type = errors.InvalidMesh
    message = str(result.get("message", ""))
    template = result.get("template")
    if isinstance(template, str):
        try:
            params = errors.params_from_json(result.get("params") or {})
            return error_type(template, **params)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            pass  # a malformed report: fall back to its English sentence
    return error_type(message)


def _crash(label: str, returncode: int | None, stderr: bytes) -> ParsedUpload:
    tail = stderr.decode("utf-8", "replace")
    if returncode is not None and returncode < 0:
        name = signal.Signals(-returncode).name
        if -returncode in (signal.SIGKILL, signal.SIGXCPU):
            raise errors.ParseFailed(
                "{label}: parsing used more CPU time than allowed ({signal}).",
                label=label,
                signal=name,
            )
        raise errors.ParseFailed(
            "{label}: the parser crashed on this file ({signal}).", label=label, signal=name
        )
    if "MemoryError" in tail:
        raise errors.LimitExceeded("{label}: parsing needs more memory than allowed.", label=label)
    raise errors.ParseFailed(
        "{label}: the parser stopped with exit status {status}.", label=label, status=returncode
    )


def _arrays(label: str, out: Path, settings: Settings) -> MeshArrays:
    """The parser's arrays, validated again here; the texture's size read from its header."""

    def array(name: str) -> np.ndarray | None:
        path = out / f"{name}.npy"
        return np.load(path, allow_pickle=False) if path.exists() else None

    vertices, faces, uv, colours = (array(n) for n in ("vertices", "faces", "uv", "colours"))
    if vertices is None or faces is None:
        raise errors.ParseFailed("{label}: the parser left no mesh.", label=label)
    vertices, faces, uv = validate_arrays(label, vertices, faces, settings.max_faces, uv)
    texture_path = out / "texture.png"
    texture = texture_path.read_bytes() if uv is not None and texture_path.exists() else None
    # The parser's images are measured from their headers before this process decodes any (the
    # thumbnail here, stills later from the web copy).
    if texture is not None:
        check_texture(label, "texture.png", texture, settings.max_texture_pixels)
    if colours is not None and (colours.shape != (len(vertices), 3) or colours.dtype != np.uint8):
        colours = None
    return MeshArrays(vertices=vertices, faces=faces, uv=uv, texture_png=texture, colours=colours)


def _collect(
    label: str,
    out: Path,
    result: dict[str, Any],
    settings: Settings,
    mesh: MeshArrays | None = None,
) -> ParsedUpload:
    """What the parser made: its arrays (``mesh`` when already read), web copy and facts."""
    if mesh is None:
        mesh = _arrays(label, out, settings)
    web_glb = (out / "web.glb").read_bytes()
    check_textures(label, "glb", web_glb, {}, settings.max_texture_pixels)
    facts = {k: v for k, v in result.items() if k != "ok"}
    return ParsedUpload(mesh=mesh, web_glb=web_glb, facts=facts)
