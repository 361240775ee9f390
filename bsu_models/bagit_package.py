"""BagIt bags (RFC 8493): writing an exhibit's files as a bag, and checking one.

A bag is a folder holding ``bagit.txt``, ``bag-info.txt``, ``manifest-sha256.txt`` (every payload
file under ``data/`` with its SHA-256) and ``tagmanifest-sha256.txt`` (the same for the tag
files). Anyone can check it without this software: ``sha256sum -c manifest-sha256.txt`` in the
bag's folder, or the Library of Congress ``bagit`` validator. Serialised as zip, the bag sits in
one top-level folder named after it (RFC 8493 section 4.2).

Files are handled as ``{relative path: bytes}``; paths use ``/`` and are checked so that no
entry of a bag being read can point outside it.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from bsu_models.errors import InvalidInput, LimitExceeded, Message, StorageError, UnsafeArchive
from bsu_models.i18n import localise

BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
MANIFEST = "manifest-sha256.txt"
TAG_MANIFEST = "tagmanifest-sha256.txt"
# Reading a bag for verification: generous caps, since the bag may not be ours.
MAX_BAG_FILES = 10_000
MAX_BAG_BYTES = 8 * 1024**3
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # fixed, so the same bag always zips to the same bytes


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest(files: Mapping[str, bytes]) -> str:
    return "".join(f"{sha256_hex(files[name])}  {name}\n" for name in sorted(files))


def _info_text(info: Mapping[str, str]) -> str:
    lines = []
    for label, value in info.items():
        # Values are single lines: a newline would start a new (forged) label.
        one_line = " ".join(str(value).split())
        lines.append(f"{label}: {one_line}\n")
    return "".join(lines)


def make_bag(payload: Mapping[str, bytes], info: Mapping[str, str]) -> dict[str, bytes]:
    """The whole bag as ``{path: bytes}``: ``payload`` under ``data/`` plus the tag files.

    ``payload`` keys are relative paths (``stills/step-01.png``); ``info`` becomes
    ``bag-info.txt`` after the Payload-Oxum and Bagging-Date that every bag carries.
    """
    files = {f"data/{_checked(name)}": data for name, data in payload.items()}
    oxum = f"{sum(len(d) for d in files.values())}.{len(files)}"
    tags = {
        "bagit.txt": BAGIT_TXT.encode(),
        "bag-info.txt": _info_text({**info, "Payload-Oxum": oxum}).encode(),
        MANIFEST: _manifest(files).encode(),
    }
    tags[TAG_MANIFEST] = _manifest(tags).encode()
    return {**files, **tags}


def _checked(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in name:
        raise UnsafeArchive("Bag entry {name!r} is not a plain relative path.", name=name)
    return str(path)


def write_bag_dir(bag: Mapping[str, bytes], folder: Path) -> None:
    """Write the bag into ``folder``, which must not exist or be empty."""
    try:
        if folder.exists() and any(folder.iterdir()):
            raise InvalidInput(
                "{folder} is not empty; name a new folder for the exhibit.", folder=folder
            )
        for name, data in bag.items():
            target = folder / _checked(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
    except NotADirectoryError:
        raise InvalidInput(
            "{folder} is a file; name a folder or a .zip file.", folder=folder
        ) from None
    except OSError as exc:
        raise StorageError(
            "Cannot write the exhibit to {folder}: {reason}.", folder=folder, reason=exc.strerror
        ) from None


def bag_zip(bag: Mapping[str, bytes], top: str) -> bytes:
    """The bag as a zip under one top-level folder ``top`` (same bag, same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(bag):
            entry = zipfile.ZipInfo(f"{top}/{_checked(name)}", date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, bag[name])
    return buffer.getvalue()


# -- reading and checking ------------------------------------------------------------------------

TAG_FILES = ("bagit.txt", "bag-info.txt", MANIFEST, TAG_MANIFEST)  # every bag we make has these
MAX_TAG_BYTES = 64 * 1024**2  # a tag file is read whole; the payload is only ever streamed
MAX_ZIP_RATIO = 1000  # deflate tops out near 1032:1, so such an entry is almost pure padding
CHUNK = 1024**2


@dataclass(frozen=True)
class BagReport:
    """What checking a bag found; ``valid`` when every list is empty."""

    bag: str
    files: int = 0  # payload files listed in the manifest
    changed: tuple[str, ...] = ()  # listed, present, different SHA-256
    missing: tuple[str, ...] = ()  # listed, absent
    unlisted: tuple[str, ...] = ()  # present under data/, not in the manifest
    problems: tuple[str, ...] = ()  # structure: tag files, Payload-Oxum, manifest syntax
    info: dict[str, str] = field(default_factory=dict)
    damaged: tuple[str, ...] = ()  # present, but its bytes cannot be read (a damaged zip entry)
    unexpected: tuple[str, ...] = ()  # outside data/, neither a bag tag file nor tag-listed
    tag_files: int = 0  # tag files present and checked (the tag manifest itself included)
    manifest_sha256: str = ""  # SHA-256 of manifest-sha256.txt as found ("" when missing)
    tagmanifest_sha256: str = ""  # SHA-256 of tagmanifest-sha256.txt as found
    findings: tuple[Message, ...] = ()  # ``problems`` as messages, in the same order

    @property
    def payload_files(self) -> int:
        return self.files

    @property
    def valid(self) -> bool:
        return not (
            self.changed
            or self.missing
            or self.unlisted
            or self.problems
            or self.damaged
            or self.unexpected
        )

    def messages(self) -> list[Message | str]:
        """One message per thing found wrong (empty when ``valid``)."""
        lines: list[Message | str] = [
            Message("{name} has changed: its SHA-256 is not the one in the manifest.", name=name)
            for name in self.changed
        ]
        lines += [
            Message("{name} is damaged (cannot be read).", name=name) for name in self.damaged
        ]
        lines += [
            Message("{name} is listed in the manifest but missing.", name=name)
            for name in self.missing
        ]
        lines += [
            Message("{name} is in the bag but not in the manifest.", name=name)
            for name in self.unlisted
        ]
        lines += [
            Message(
                "{name} should not be in the bag: it is outside data/ and not listed in "
                "{tag_manifest}.",
                name=name,
                tag_manifest=TAG_MANIFEST,
            )
            for name in self.unexpected
        ]
        # A report made without ``findings`` has only the English sentences of its problems.
        parallel = len(self.findings) == len(self.problems)
        return lines + list(self.findings if parallel else self.problems)

    def sentences(self, lang: str = "en") -> list[str]:
        """One sentence per thing found wrong, in ``lang`` (file names as they are)."""
        return [localise(message, lang) for message in self.messages()]


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


def _parse_manifest(text: str, name: str, problems: list[Message]) -> dict[str, str]:
    listed: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest, _, file_name = line.partition(" ")
        file_name = file_name.lstrip(" *")
        if len(digest) != 64 or not file_name:
            problems.append(
                Message("{name} line {number} is not '<sha256>  <path>'.", name=name, number=number)
            )
            continue
        listed[file_name] = digest.lower()
    return listed


class _Checker:
    def __init__(self, files: _BagFiles) -> None:
        self.files = files
        self.problems: list[Message] = []
        self.damaged: dict[str, None] = {}  # ordered set
        self.digests: dict[str, str | None] = {}

    def digest(self, name: str) -> str | None:
        if name not in self.digests:
            try:
                self.digests[name] = self.files.sha256(name)
            except _Damaged:
                self.damaged[name] = None
                self.digests[name] = None
        return self.digests[name]

    def tag(self, name: str) -> bytes | None:
        if name not in self.files.sizes:
            return None
        try:
            data = self.files.read_tag(name)
        except _Damaged:
            self.damaged[name] = None
            self.digests[name] = None
            return None
        self.digests[name] = sha256_hex(data)
        return data

    def compare(self, listed: Mapping[str, str], changed: list[str], missing: list[str]) -> None:
        for name, digest in sorted(listed.items()):
            if name not in self.files.sizes:
                if name not in TAG_FILES:  # a missing tag file is reported once, as a problem
                    missing.append(name)
                continue
            found = self.digest(name)
            if found is not None and found != digest:
                changed.append(name)


def _check(files: _BagFiles) -> BagReport:
    check = _Checker(files)
    sizes = files.sizes
    raw = {name: check.tag(name) for name in TAG_FILES}
    for name in TAG_FILES:
        if name not in sizes:
            check.problems.append(
                Message("{name} is missing, so this is not a complete BagIt bag.", name=name)
            )
    problems = check.problems
    listed = _parse_manifest((raw[MANIFEST] or b"").decode("utf-8", "replace"), MANIFEST, problems)
    tags = _parse_manifest(
        (raw[TAG_MANIFEST] or b"").decode("utf-8", "replace"), TAG_MANIFEST, problems
    )
    for name in [*listed, *tags]:
        try:
            _checked(name)
        except UnsafeArchive:
            problems.append(
                Message(
                    "The manifests list {name!r}, which is not a path inside the bag.", name=name
                )
            )
    listed = {n: d for n, d in listed.items() if _is_inside(n)}
    tags = {n: d for n, d in tags.items() if _is_inside(n)}
    changed: list[str] = []
    missing: list[str] = []
    check.compare(listed, changed, missing)
    check.compare(tags, changed, missing)
    # A damaged manifest lists nothing: that is reported once, not as every file unlisted.
    unlisted = sorted(
        n
        for n in sizes
        if n.startswith("data/") and n not in listed and MANIFEST not in check.damaged
    )
    unexpected = sorted(
        n
        for n in sizes
        if not n.startswith("data/")
        and n not in TAG_FILES
        and n not in tags
        and TAG_MANIFEST not in check.damaged
    )
    info = _parse_info(raw["bag-info.txt"] or b"")
    oxum = info.get("Payload-Oxum")
    payload = [size for name, size in sizes.items() if name.startswith("data/")]
    if oxum and oxum != f"{sum(payload)}.{len(payload)}":
        problems.append(
            Message(
                "Payload-Oxum says {oxum} (bytes.files) but the bag holds {found}.",
                oxum=oxum,
                found=f"{sum(payload)}.{len(payload)}",
            )
        )
    tag_files = sum(1 for n in sizes if not n.startswith("data/") and n not in unexpected)
    return BagReport(
        bag=files.label,
        files=len(listed),
        changed=tuple(changed),
        missing=tuple(missing),
        unlisted=tuple(unlisted),
        problems=tuple(str(problem) for problem in problems),
        info=info,
        damaged=tuple(sorted(check.damaged)),
        unexpected=tuple(unexpected),
        tag_files=tag_files,
        manifest_sha256=check.digests.get(MANIFEST) or "",
        tagmanifest_sha256=check.digests.get(TAG_MANIFEST) or "",
        findings=tuple(problems),
    )


def _is_inside(name: str) -> bool:
    try:
        _checked(name)
    except UnsafeArchive:
        return False
    return True


def _parse_info(raw: bytes) -> dict[str, str]:
    info: dict[str, str] = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        label, sep, value = line.partition(":")
        if sep and not line[:1].isspace():
            info[label.strip()] = value.strip()
    return info


def verify_bag(path: Path) -> BagReport:
    """Check the bag at ``path`` (folder or zip) against its manifests, streaming each file
    (1 MiB at a time) so that memory does not grow with the bag; name every file that differs."""
    files = _open_bag(path)
    try:
        return _check(files)
    finally:
        files.close()
