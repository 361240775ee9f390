"""Reading a BagIt bag's files: a bag folder or zipped bag as ``{path within the bag: size}``.

Each file is read only as a stream (1 MiB at a time), under generous caps on file count, total
size, tag-file size and zip compression ratio, since the bag may not be ours; a zip must hold one
top-level folder (the bag) and no entry that points outside it. Checking the files against the
bag's manifests is ``bsu_models.court.bagit_verify``.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from bsu_models.core.errors import InvalidInput, LimitExceeded, UnsafeArchive
from bsu_models.court.bagit_package import MANIFEST, TAG_MANIFEST, _checked

# Reading a bag for verification: generous caps, since the bag may not be ours.
MAX_BAG_FILES = 10_000
MAX_BAG_BYTES = 8 * 1024**3
MAX_TAG_BYTES = 64 * 1024**2  # a tag file is read whole; the payload is only ever streamed
MAX_ZIP_RATIO = 1000  # deflate tops out near 1032:1, so such an entry is almost pure padding
CHUNK = 1024**2


class _Damaged(Exception):
    """A file of the bag whose bytes cannot be read back (bad CRC, corrupt deflate data)."""


class _BagFiles:
    """The files of a bag as ``{path within the bag: size}``, each read only as a stream."""

    def __init__(self, label: str, sizes: dict[str, int]) -> None:
        self.label = label
        self.sizes = sizes

    def _open(self, name: str) -> IO[bytes]:
        raise NotImplementedError

    def close(self) -> None:
        return None

    def chunks(self, name: str) -> Iterator[bytes]:
        try:
            with self._open(name) as handle:
                while chunk := handle.read(CHUNK):
                    yield chunk
        except (
            zipfile.BadZipFile,
            zlib.error,
            OSError,
            EOFError,
            RuntimeError,
            NotImplementedError,
        ):
            # RuntimeError: an encrypted entry; NotImplementedError: an unknown compression.
            raise _Damaged(name) from None

    def sha256(self, name: str) -> str:
        digest = hashlib.sha256()
        for chunk in self.chunks(name):
            digest.update(chunk)
        return digest.hexdigest()

    def read_tag(self, name: str) -> bytes:
        if self.sizes[name] > MAX_TAG_BYTES:
            raise LimitExceeded(
                "{bag}: {name} is {size:,} bytes; a tag file this tool reads is at most {limit:,}.",
                bag=self.label,
                name=name,
                size=self.sizes[name],
                limit=MAX_TAG_BYTES,
            )
        return b"".join(self.chunks(name))


class _FolderFiles(_BagFiles):
    def __init__(self, folder: Path) -> None:
        sizes: dict[str, int] = {}
        total = 0
        for current, dirs, names in os.walk(folder, followlinks=False):
            for name in [*dirs, *names]:
                full = Path(current) / name
                if full.is_symlink():
                    raise UnsafeArchive(
                        "{path} is a symbolic link; a bag holds plain files.", path=full
                    )
                if name in names and not full.is_file():
                    raise UnsafeArchive(
                        "{path} is not a plain file; a bag holds plain files.", path=full
                    )
            for name in names:
                full = Path(current) / name
                total += full.stat().st_size
                if len(sizes) >= MAX_BAG_FILES or total > MAX_BAG_BYTES:
                    raise LimitExceeded(
                        "{folder} is larger than a bag this tool checks.", folder=folder
                    )
                sizes[full.relative_to(folder).as_posix()] = full.stat().st_size
        super().__init__(str(folder), sizes)
        self.folder = folder

    def _open(self, name: str) -> IO[bytes]:
        return open(self.folder / name, "rb")


class _ZipFiles(_BagFiles):
    def __init__(self, path: Path) -> None:
        try:
            self.archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            raise InvalidInput(
                "{path} is neither a bag folder nor a zip file.", path=path
            ) from None
        try:
            self.entries = self._entries(path)
        except BaseException:
            self.archive.close()
            raise
        super().__init__(str(path), {name: e.file_size for name, e in self.entries.items()})

    def _entries(self, path: Path) -> dict[str, zipfile.ZipInfo]:
        infos = self.archive.infolist()
        seen: set[str] = set()
        for info in infos:
            name = _checked(info.filename).rstrip("/")
            if name in seen:
                raise UnsafeArchive(
                    "{path} holds the entry {entry!r} more than once; a bag zip names "
                    "each file once, so this one is refused.",
                    path=path,
                    entry=info.filename,
                )
            seen.add(name)
        files = [e for e in infos if not e.is_dir()]
        if len(files) > MAX_BAG_FILES:
            raise LimitExceeded(
                "{path} holds {count} files; at most {limit}.",
                path=path,
                count=len(files),
                limit=MAX_BAG_FILES,
            )
        if sum(e.file_size for e in files) > MAX_BAG_BYTES:
            raise LimitExceeded(
                "{path} unpacks to more than {limit:,} bytes.", path=path, limit=MAX_BAG_BYTES
            )
        for entry in files:
            if entry.file_size > CHUNK and entry.file_size > MAX_ZIP_RATIO * max(
                entry.compress_size, 1
            ):
                raise UnsafeArchive(
                    "{path}: entry {entry!r} unpacks {size:,} bytes from {compressed:,} "
                    "(more than {ratio}:1); refused as a zip bomb.",
                    path=path,
                    entry=entry.filename,
                    size=entry.file_size,
                    compressed=entry.compress_size,
                    ratio=MAX_ZIP_RATIO,
                )
        tops = {PurePosixPath(_checked(e.filename)).parts[0] for e in files}
        if len(tops) != 1:
            if not tops:
                raise InvalidInput("{path} is not a BagIt bag (no bagit.txt).", path=path)
            raise InvalidInput(
                "{path} must hold one top-level folder (the bag); it holds {count}.",
                path=path,
                count=len(tops),
            )
        entries = {}
        for entry in files:
            inner = PurePosixPath(*PurePosixPath(_checked(entry.filename)).parts[1:])
            if str(inner) != ".":
                entries[str(inner)] = entry
        return entries

    def _open(self, name: str) -> IO[bytes]:
        return self.archive.open(self.entries[name])

    def close(self) -> None:
        self.archive.close()


def _open_bag(path: Path) -> _BagFiles:
    if path.is_dir():
        files: _BagFiles = _FolderFiles(path)
    elif not path.exists():
        raise InvalidInput("{path}: no such file or folder.", path=path)
    else:
        files = _ZipFiles(path)
    if not any(name in files.sizes for name in ("bagit.txt", MANIFEST, TAG_MANIFEST)):
        files.close()
        raise InvalidInput("{path} is not a BagIt bag (no bagit.txt).", path=path)
    return files


def read_bag(path: Path) -> dict[str, bytes]:
    """The files of a bag folder or zipped bag, as ``{path within the bag: bytes}`` (small bags
    only: checking a bag, ``verify_bag``, streams its files instead)."""
    files = _open_bag(path)
    try:
        return {name: b"".join(files.chunks(name)) for name in sorted(files.sizes)}
    except _Damaged as damaged:
        raise InvalidInput(
            "{path}: {name} is damaged (cannot be read).", path=path, name=str(damaged)
        ) from None
    finally:
        files.close()
