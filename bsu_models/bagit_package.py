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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from bsu_models.errors import InvalidInput, LimitExceeded, StorageError, UnsafeArchive

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
        raise UnsafeArchive(f"Bag entry {name!r} is not a plain relative path.")
    return str(path)


def write_bag_dir(bag: Mapping[str, bytes], folder: Path) -> None:
    """Write the bag into ``folder``, which must not exist or be empty."""
    try:
        if folder.exists() and any(folder.iterdir()):
            raise InvalidInput(f"{folder} is not empty; name a new folder for the exhibit.")
        for name, data in bag.items():
            target = folder / _checked(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
    except NotADirectoryError:
        raise InvalidInput(f"{folder} is a file; name a folder or a .zip file.") from None
    except OSError as exc:
        raise StorageError(f"Cannot write the exhibit to {folder}: {exc.strerror}.") from None


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


@dataclass(frozen=True)
class BagReport:
    """What checking a bag found; ``valid`` when every list is empty."""

    bag: str
    files: int = 0
    changed: tuple[str, ...] = ()  # listed, present, different SHA-256
    missing: tuple[str, ...] = ()  # listed, absent
    unlisted: tuple[str, ...] = ()  # present under data/, not in the manifest
    problems: tuple[str, ...] = ()  # structure: tag files, Payload-Oxum, manifest syntax
    info: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not (self.changed or self.missing or self.unlisted or self.problems)

    def sentences(self) -> list[str]:
        lines = [
            f"{name} has changed: its SHA-256 is not the one in the manifest."
            for name in self.changed
        ]
        lines += [f"{name} is listed in the manifest but missing." for name in self.missing]
        lines += [f"{name} is in the bag but not in the manifest." for name in self.unlisted]
        return lines + list(self.problems)


def read_bag(path: Path) -> dict[str, bytes]:
    """The files of a bag folder or zipped bag, as ``{path within the bag: bytes}``."""
    if path.is_dir():
        return _read_dir(path)
    if not path.exists():
        raise InvalidInput(f"{path}: no such file or folder.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise InvalidInput(f"{path} is neither a bag folder nor a zip file.") from None
    with archive:
        entries = [e for e in archive.infolist() if not e.is_dir()]
        if len(entries) > MAX_BAG_FILES:
            raise LimitExceeded(f"{path} holds {len(entries)} files; at most {MAX_BAG_FILES}.")
        if sum(e.file_size for e in entries) > MAX_BAG_BYTES:
            raise LimitExceeded(f"{path} unpacks to more than {MAX_BAG_BYTES:,} bytes.")
        tops = {PurePosixPath(_checked(e.filename)).parts[0] for e in entries}
        if len(tops) != 1:
            raise InvalidInput(
                f"{path} must hold one top-level folder (the bag); it holds {len(tops)}."
            )
        files = {}
        for entry in entries:
            inner = PurePosixPath(*PurePosixPath(entry.filename).parts[1:])
            files[str(inner)] = archive.read(entry)
        return files


def _read_dir(folder: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    for current, _dirs, names in os.walk(folder, followlinks=False):
        for name in names:
            full = Path(current) / name
            if full.is_symlink():
                raise UnsafeArchive(f"{full} is a symbolic link; a bag holds plain files.")
            total += full.stat().st_size
            if len(files) >= MAX_BAG_FILES or total > MAX_BAG_BYTES:
                raise LimitExceeded(f"{folder} is larger than a bag this tool checks.")
            files[full.relative_to(folder).as_posix()] = full.read_bytes()
    return files


def _parse_manifest(text: str, name: str, problems: list[str]) -> dict[str, str]:
    listed: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest, _, file_name = line.partition(" ")
        file_name = file_name.lstrip(" *")
        if len(digest) != 64 or not file_name:
            problems.append(f"{name} line {number} is not '<sha256>  <path>'.")
            continue
        listed[file_name] = digest.lower()
    return listed


def check_bag(files: Mapping[str, bytes], label: str) -> BagReport:
    """Check the bag's files against its manifests; name every file that differs."""
    problems: list[str] = []
    for required in ("bagit.txt", MANIFEST):
        if required not in files:
            problems.append(f"{required} is missing, so this is not a complete BagIt bag.")
    manifest_text = files.get(MANIFEST, b"").decode("utf-8", "replace")
    listed = _parse_manifest(manifest_text, MANIFEST, problems)
    changed, missing = [], []
    for name, digest in sorted(listed.items()):
        if name not in files:
            missing.append(name)
        elif sha256_hex(files[name]) != digest:
            changed.append(name)
    unlisted = sorted(n for n in files if n.startswith("data/") and n not in listed)
    if TAG_MANIFEST in files:
        tags = _parse_manifest(
            files[TAG_MANIFEST].decode("utf-8", "replace"), TAG_MANIFEST, problems
        )
        for name, digest in sorted(tags.items()):
            if name not in files:
                missing.append(name)
            elif sha256_hex(files[name]) != digest:
                changed.append(name)
    info = _parse_info(files.get("bag-info.txt", b""))
    oxum = info.get("Payload-Oxum")
    payload = [d for n, d in files.items() if n.startswith("data/")]
    if oxum and oxum != f"{sum(len(d) for d in payload)}.{len(payload)}":
        problems.append(
            f"Payload-Oxum says {oxum} (bytes.files) but the bag holds "
            f"{sum(len(d) for d in payload)}.{len(payload)}."
        )
    return BagReport(
        bag=label,
        files=len(listed),
        changed=tuple(changed),
        missing=tuple(missing),
        unlisted=tuple(unlisted),
        problems=tuple(problems),
        info=info,
    )


def _parse_info(raw: bytes) -> dict[str, str]:
    info: dict[str, str] = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        label, sep, value = line.partition(":")
        if sep and not line[:1].isspace():
            info[label.strip()] = value.strip()
    return info


def verify_bag(path: Path) -> BagReport:
    """Read the bag at ``path`` (folder or zip) and check it."""
    return check_bag(read_bag(path), str(path))
