"""BagIt bags (RFC 8493): writing an exhibit's files as a bag (folder or zip).

A bag is a folder holding ``bagit.txt``, ``bag-info.txt``, ``manifest-sha256.txt`` (every payload
file under ``data/`` with its SHA-256) and ``tagmanifest-sha256.txt`` (the same for the tag
files). Anyone can check it without this software: ``sha256sum -c manifest-sha256.txt`` in the
bag's folder, or the Library of Congress ``bagit`` validator. Serialised as zip, the bag sits in
one top-level folder named after it (RFC 8493 section 4.2).

Files are handled as ``{relative path: bytes}``; paths use ``/`` and are checked so that no
entry of a bag can point outside it. Reading a bag back is ``bsu_models.court.bagit_read``; checking
one against its manifests is ``bsu_models.court.bagit_verify``.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from bsu_models.core.errors import InvalidInput, StorageError, UnsafeArchive

BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
MANIFEST = "manifest-sha256.txt"
TAG_MANIFEST = "tagmanifest-sha256.txt"
# The signature of the tag manifest (bsu_models.court.exhibit_signing): a tag file that the tag
# manifest cannot list, which BagIt validators and sha256sum ignore.
SIGNATURE_FILE = f"{TAG_MANIFEST}.sig"
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
