"""Checking a BagIt bag against its manifests, and the ``BagReport`` of what that found.

Works on the files of a bag folder or zipped bag (``bsu_models.court.bagit_read``): every payload
and tag file's SHA-256 against ``manifest-sha256.txt`` and ``tagmanifest-sha256.txt``, plus the tag
files every bag carries, manifest syntax and ``Payload-Oxum``. The report names every file that
changed, is missing, damaged, unlisted or unexpected, as messages in the user's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bsu_models.core.errors import Message, UnsafeArchive
from bsu_models.core.i18n import localise
from bsu_models.court.bagit_package import (
    MANIFEST,
    SIGNATURE_FILE,
    TAG_MANIFEST,
    _checked,
    sha256_hex,
)
from bsu_models.court.bagit_read import _BagFiles, _Damaged, _open_bag

TAG_FILES = ("bagit.txt", "bag-info.txt", MANIFEST, TAG_MANIFEST)  # every bag we make has these


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
        and n != SIGNATURE_FILE
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
