"""Content-addressed storage of file bytes.

Every file (originals as uploaded, derived web copies and thumbnails) is stored once under its
SHA-256. The database stores those keys, never paths. ``LocalBlobStore`` writes to a temporary
file in the same folder, fsyncs it, renames it into place and makes it read-only, so a key
either names complete, correct bytes or nothing.

Two imports of the same bytes share blobs: the second finds them stored and refers to them. So
that undoing a failed import never removes a blob that another import, still in flight, is about
to refer to, every import holds a shared lock (``writing``) from its first blob until its rows are
committed, and a failed one removes its blobs only when it can take that lock alone; otherwise
they stay behind as orphans, which ``verify`` reports.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from bsu_models.core.errors import IntegrityError, NotFound, StorageError

if TYPE_CHECKING:
    from bsu_models.core.audit_head import HeadPlace
    from bsu_models.core.settings import Settings

_KEY = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1024 * 1024


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def checked(key: str, data: bytes) -> bytes:
    """``data``, read from the store under ``key``, if it still hashes to ``key``."""
    if sha256_bytes(data) != key:
        raise IntegrityError("Stored file {key} no longer matches its SHA-256.", key=key[:12])
    return data


def sha256_stream(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


class BlobUndo(Protocol):
    """A writer's hold on a blob store, which can take back the blobs it stored."""

    def undo(self, keys: list[str], referenced: Callable[[list[str]], set[str]]) -> list[str]: ...


class BlobStore(Protocol):
    """Where bytes live. Keys are lower-case hex SHA-256 digests of the content.

    Every service reaches bytes through this interface only (``LocalBlobStore`` is the
    implementation on a local folder, ``s3_blobstore.S3BlobStore`` the one on a bucket;
    ``open_blob_store`` picks one from the settings).
    """

    def put(self, data: bytes) -> str: ...
    def store(self, data: bytes) -> tuple[str, bool]: ...
    def writing(self) -> AbstractContextManager[BlobUndo]: ...
    def get(self, key: str) -> bytes: ...
    def get_verified(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def keys(self) -> Iterator[str]: ...
    def rehash(self, key: str) -> str: ...
    def stray_files(self) -> Iterator[str]: ...
    def discard(self, key: str) -> None: ...
    def age_seconds(self, name: str) -> float: ...
    def discard_stray(self, name: str) -> None: ...


class LocalBlobStore:
    """Blobs as read-only files under ``root/ab/cd/<sha256>``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                "Cannot create the blob folder {folder}: {reason}",
                folder=root,
                reason=exc.strerror,
            ) from exc

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise NotFound("{key!r} is not a SHA-256 blob key.", key=key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        return self.store(data)[0]

    @contextmanager
    def writing(self) -> Iterator[BlobWriting]:
        """Held while storing blobs and recording the rows that refer to them (shared)."""
        lock = self.root.with_name(self.root.name + ".writers.lock")
        try:
            handle = open(lock, "a")  # noqa: SIM115 -- closed below, after the caller's work
        except OSError as exc:
            raise StorageError(
                "Cannot use the blob folder {folder}: {reason}",
                folder=self.root,
                reason=exc.strerror,
            ) from exc
        with handle:
            fcntl.flock(handle, fcntl.LOCK_SH)
            yield BlobWriting(self, handle.fileno())

    def store(self, data: bytes) -> tuple[str, bool]:
        """Store ``data``; returns its key and whether this call wrote it (False: already kept)."""
        key = sha256_bytes(data)
        path = self._path(key)
        if path.exists():
            # A writer reusing bytes makes them young again, so ``gc`` (which removes only old
            # unreferenced blobs) cannot take them before this writer's rows commit.
            with contextlib.suppress(OSError):
                os.utime(path)
            return key, False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(tmp, 0o444)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise StorageError(
                "Cannot store blob {key}: {reason}", key=key[:12], reason=exc.strerror
            ) from exc
        return key, True

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFound(
                "Stored file {key} is missing from the blob store.", key=key[:12]
            ) from None
        except OSError as exc:
            raise StorageError(
                "Cannot read stored file {key}: {reason}", key=key[:12], reason=exc.strerror
            ) from exc

    def get_verified(self, key: str) -> bytes:
        return checked(key, self.get(key))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self) -> Iterator[str]:
        for path in sorted(self.root.glob("??/??/*")):
            if _KEY.match(path.name):
                yield path.name

    def rehash(self, key: str) -> str:
        with self._path(key).open("rb") as stream:
            return sha256_stream(stream)

    def discard(self, key: str) -> None:
        """Remove a blob that no row refers to (only used to undo a failed import)."""
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(
                "Cannot remove stored file {key}: {reason}", key=key[:12], reason=exc.strerror
            ) from exc

    def stray_files(self) -> Iterator[str]:
        """Files in the store that are not blobs, e.g. temporaries left by a killed writer."""
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not _KEY.match(path.name):
                yield str(path.relative_to(self.root))

    def age_seconds(self, name: str) -> float:
        """Seconds since a blob (by key) or a stray file (by relative path) was last written."""
        path = self._path(name) if _KEY.match(name) else self._stray_path(name)
        try:
            return max(0.0, time.time() - path.stat().st_mtime)
        except OSError:
            return 0.0

    def discard_stray(self, name: str) -> None:
        """Remove a stray file named by ``stray_files`` (a temporary left by a killed writer)."""
        try:
            self._stray_path(name).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(
                "Cannot remove {path} from the blob store: {reason}",
                path=name,
                reason=exc.strerror,
            ) from exc

    def _stray_path(self, name: str) -> Path:
        path = (self.root / name).resolve()
        if self.root.resolve() not in path.parents or _KEY.match(path.name):
            raise NotFound("{path} is not a stray file of the blob store.", path=name)
        return path


class BlobWriting:
    """One writer's hold on the blob store (see ``LocalBlobStore.writing``)."""

    def __init__(self, store: LocalBlobStore, lock_fd: int) -> None:
        self._store = store
        self._lock_fd = lock_fd

    def undo(self, keys: list[str], referenced: Callable[[list[str]], set[str]]) -> list[str]:
        """Remove the blobs ``keys`` that this writer stored, unless a row refers to them
        (``referenced`` says which do) or another writer is in flight and may be about to.
        Returns the keys removed."""
        if not keys:
            return []
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return []  # another writer holds the lock: leave them for verify to report
        used = referenced(keys)
        removed = [key for key in keys if key not in used]
        for key in removed:
            self._store.discard(key)
        return removed


def open_blob_store(settings: Settings) -> BlobStore:
    """The blob store ``settings`` name: ``BSU_BLOB_STORE``'s bucket, else ``<data_dir>/blobs``."""
    location = settings.s3_location
    if location is None:
        return LocalBlobStore(settings.blob_dir)
    # boto3 loads only where a bucket is configured: the embedded default never needs it.
    from bsu_models.core.s3_blobstore import S3BlobStore

    bucket, prefix = location
    return S3BlobStore(bucket, prefix, endpoint_url=settings.s3_endpoint_url or None)


def open_audit_head(settings: Settings, blobs: BlobStore) -> HeadPlace:
    """Where the audit chain's head is kept: ``BSU_AUDIT_HEAD_FILE`` when set; else, with blobs
    in a bucket, an object beside them (several app servers share it); else
    ``<data_dir>/audit-head.txt``."""
    if settings.audit_head or settings.s3_location is None:
        return settings.audit_head_file
    from bsu_models.core.s3_blobstore import S3AuditHead, S3BlobStore

    if not isinstance(blobs, S3BlobStore):
        return settings.audit_head_file
    return S3AuditHead(blobs)
