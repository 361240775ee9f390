"""Turning what a user uploaded (one file, several files, or a zip) into one mesh to parse.

Works on ``UploadFile`` values -- a name as the user gave it and its bytes -- entirely in memory:
nothing here writes to disk or to the catalogue. Zips are unpacked under caps on entry count,
unpacked size and compression ratio; traversal names, absolute names and links are refused;
macOS resource forks and dot-files are skipped.
"""

from __future__ import annotations

import io
import posixpath
import stat
import zipfile
import zlib
from dataclasses import dataclass, field

from bsu_models.core import limits
from bsu_models.core.errors import (
    AmbiguousUpload,
    LimitExceeded,
    Message,
    UnsafeArchive,
    UnsupportedFormat,
)
from bsu_models.core.settings import Settings
from bsu_models.core.text import check_length
from bsu_models.ingest.formats import FORMATS, describe_unknown, sniff, supported_list


@dataclass(frozen=True)
class UploadFile:
    """One file as the user uploaded it."""

    name: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class PreparedUpload:
    """The mesh chosen for parsing, the files it may reference, and the originals to keep."""

    upload_label: str  # how the upload is named in messages, e.g. "homer.zip"
    mesh_name: str  # path of the chosen mesh inside the upload
    mesh_format: str
    mesh_data: bytes = field(repr=False)
    companions: dict[str, bytes] = field(repr=False)  # relative path -> bytes (MTL, textures)
    originals: tuple[UploadFile, ...] = field(repr=False)  # exactly what was uploaded
    notes: tuple[str, ...] = ()


def _is_junk(path: str) -> bool:
    parts = path.split("/")
    return parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts if p)


def _check_entry_name(archive: str, raw: str) -> str:
    check_length(raw, Message("An entry name of {archive}", archive=archive), limits.ARCHIVE_PATH)
    name = raw.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchive(
            "{archive}: entry {entry!r} has an absolute path; refused.", archive=archive, entry=raw
        )
    if ".." in name.split("/"):
        raise UnsafeArchive(
            "{archive}: entry {entry!r} points outside the archive (..); refused.",
            archive=archive,
            entry=raw,
        )
    if any(ord(c) < 32 for c in name):
        raise UnsafeArchive(
            "{archive}: entry {entry!r} has control characters in its name.",
            archive=archive,
            entry=raw,
        )
    return posixpath.normpath(name)


def unpack_zip(archive_name: str, data: bytes, settings: Settings) -> dict[str, bytes]:
    """Unpack a zip in memory under the settings' caps; returns path -> bytes of kept entries."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise UnsafeArchive(
            "{archive}: the zip archive is damaged ({error}).",
            archive=archive_name,
            error=Message("its directory of entries cannot be read"),
        ) from None
    if len(infos) > settings.max_archive_entries:
        raise LimitExceeded(
            "{archive}: the archive has {entries} entries; at most {limit} are allowed.",
            archive=archive_name,
            entries=len(infos),
            limit=settings.max_archive_entries,
        )
    declared = sum(info.file_size for info in infos)
    if declared > settings.max_unpacked_bytes:
        raise LimitExceeded(
            "{archive}: the archive unpacks to {size:,} bytes; at most {limit:,} are allowed.",
            archive=archive_name,
            size=declared,
            limit=settings.max_unpacked_bytes,
        )
    # Many small entries make a bomb as well as one big one: the ratio is judged on the whole
    # archive too (all declared sizes over all compressed sizes), before anything is unpacked.
    packed = sum(info.compress_size for info in infos)
    if declared / max(packed, 1) > settings.max_compression_ratio:
        raise UnsafeArchive(
            "{archive}: the archive expands {ratio:.0f}-fold in all; at most {limit}-fold is "
            "allowed (possible zip bomb).",
            archive=archive_name,
            ratio=declared / max(packed, 1),
            limit=settings.max_compression_ratio,
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > settings.max_compression_ratio:
            raise UnsafeArchive(
                "{archive}: entry {entry!r} expands {ratio:.0f}-fold; at most {limit}-fold is "
                "allowed (possible zip bomb).",
                archive=archive_name,
                entry=info.filename,
                ratio=ratio,
                limit=settings.max_compression_ratio,
            )
    kept: dict[str, bytes] = {}
    total = 0
    for info in infos:
        name = _check_entry_name(archive_name, info.filename)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeArchive(
                "{archive}: entry {entry!r} is a link; refused.",
                archive=archive_name,
                entry=info.filename,
            )
        if info.is_dir() or _is_junk(name):
            continue
        if info.flag_bits & 0x1:
            raise UnsafeArchive(
                "{archive}: entry {entry!r} is encrypted.",
                archive=archive_name,
                entry=info.filename,
            )
        content = bytearray()
        try:
            with archive.open(info) as stream:
                # zipfile stops at the declared size; the check guards against that changing.
                while chunk := stream.read(1 << 20):
                    content += chunk
                    if len(content) > info.file_size:
                        raise UnsafeArchive(
                            "{archive}: entry {entry!r} is larger than it declares.",
                            archive=archive_name,
                            entry=info.filename,
                        )
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, zlib.error):
            raise UnsafeArchive(
                "{archive}: entry {entry!r} cannot be unpacked ({error}).",
                archive=archive_name,
                entry=info.filename,
                error=Message("its data is corrupt or packed in a way not supported"),
            ) from None
        total += len(content)
        if total > settings.max_unpacked_bytes:
            raise LimitExceeded(
                "{archive}: the archive unpacks to more than allowed.", archive=archive_name
            )
        if name in kept:
            raise UnsafeArchive(
                "{archive}: entry {entry!r} appears twice.", archive=archive_name, entry=name
            )
        kept[name] = bytes(content)
    return kept


def _choose_mesh(
    label: str | Message, files: dict[str, bytes], member: str | None
) -> tuple[str, str]:
    formats = {name: sniff(data) for name, data in files.items()}
    candidates = sorted(
        n for n, f in formats.items() if FORMATS.get(f, None) and FORMATS[f].role == "mesh"
    )
    nested = sorted(n for n, f in formats.items() if f == "zip")
    if member is not None:
        matches = [n for n in files if n == member.replace("\\", "/").strip("/")] or [
            n for n in files if posixpath.basename(n) == member
        ]
        if len(matches) != 1:
            raise UnsupportedFormat(
                "{label}: there is no single file named {member!r} in the upload; "
                "candidates: {names}.",
                label=label,
                member=member,
                names=", ".join(candidates) or Message("none"),
            )
        name = matches[0]
        if name not in candidates:
            raise UnsupportedFormat(
                "{label}: {name} is not a mesh in a supported format ({what}).",
                label=label,
                name=name,
                what=describe_unknown(files[name]),
            )
        return name, formats[name]
    if len(candidates) == 1:
        return candidates[0], formats[candidates[0]]
    if len(candidates) > 1:
        raise AmbiguousUpload(
            "{label} holds {count} meshes; choose one with --member: {names}.",
            candidates=candidates,
            label=label,
            count=len(candidates),
            names=", ".join(candidates),
        )
    if nested:
        raise UnsupportedFormat(
            "{label}: nested archives are not unpacked ({name}).", label=label, name=nested[0]
        )
    if not files:
        raise UnsupportedFormat("{label}: there is no usable file in it.", label=label)
    if len(files) == 1:
        ((name, data),) = files.items()
        if name == label:
            raise UnsupportedFormat(
                "{label} is not a mesh we can read: {what} (supported: {formats}).",
                label=label,
                what=describe_unknown(data),
                formats=supported_list(),
            )
        raise UnsupportedFormat(
            "{label}: {name} is not a mesh we can read: {what} (supported: {formats}).",
            label=label,
            name=name,
            what=describe_unknown(data),
            formats=supported_list(),
        )
    # "a.bin (it is empty); b.txt (...)": each piece and each join is a message of its own.
    found: str | Message = ""
    for n, d in sorted(files.items())[:5]:
        item = Message("{name} ({what})", name=n, what=describe_unknown(d))
        found = Message("{earlier}; {later}", earlier=found, later=item) if found else item
    raise UnsupportedFormat(
        "{label} holds no mesh in a supported format ({formats}); found: {found}.",
        label=label,
        formats=supported_list(),
        found=found,
    )


def prepare_upload(
    files: list[UploadFile], settings: Settings, member: str | None = None
) -> PreparedUpload:
    """Check sizes, unpack archives and choose the mesh to parse. Nothing is stored."""
    if not files:
        raise UnsupportedFormat("No file was uploaded.")
    label: str | Message = (
        files[0].name
        if len(files) == 1
        else Message("{name} (+{count} files)", name=files[0].name, count=len(files) - 1)
    )
    total = sum(len(f.data) for f in files)
    if total > settings.max_upload_bytes:
        raise LimitExceeded(
            "{label}: the upload is {size:,} bytes; at most {limit:,} are allowed.",
            label=label,
            size=total,
            limit=settings.max_upload_bytes,
        )
    names = [posixpath.basename(f.name.replace("\\", "/")) for f in files]
    for name in names:
        check_length(name, Message("A file name"), limits.FILE_NAME)
    if len(set(names)) != len(names):
        raise UnsupportedFormat("{label}: two uploaded files have the same name.", label=label)
    notes: list[str] = []
    if len(files) == 1 and sniff(files[0].data) == "zip":
        contents = unpack_zip(files[0].name, files[0].data, settings)
    else:
        if any(sniff(f.data) == "zip" for f in files):
            raise UnsupportedFormat(
                "{label}: upload a zip on its own, not with other files.", label=label
            )
        contents = {n: f.data for n, f in zip(names, files, strict=True) if not _is_junk(n)}
    mesh_name, mesh_format = _choose_mesh(label, contents, member)
    companions = {n: d for n, d in contents.items() if n != mesh_name}
    return PreparedUpload(
        upload_label=str(label),
        mesh_name=mesh_name,
        mesh_format=mesh_format,
        mesh_data=contents[mesh_name],
        companions=companions,
        originals=tuple(UploadFile(n, f.data) for n, f in zip(names, files, strict=True)),
        notes=tuple(notes),
    )
