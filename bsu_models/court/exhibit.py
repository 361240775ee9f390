"""Court exhibit packages of a frozen scene revision, and checking them.

A package is a BagIt bag (``bsu_models.court.bagit_package``) whose payload is: the PDF exhibit
book, one print-resolution still per step, the scene as JSON (schema ``bsu-scene/1``), the model's
web GLB, a self-contained offline viewer and a plain-text note on how to check the package.
``bag-info.txt`` records the case, the exhibit number, the scene revision and its SHA-256, and
the SHA-256 of the original model file everything was made from, and ``Exhibit-Language`` the
language (``en`` or ``zh_HK``) its own words are written in. Building a package is an audit
event carrying the SHA-256 of its manifest.

The content of a package (stills, scene, viewer, book) is assembled by
``bsu_models.court.exhibit_content`` (its fixed words in ``bsu_models.court.exhibit_words``); this
module checks what is asked for, packages the content as a bag, writes it atomically, records the
export in the audit log and checks packages.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bsu_models.core import limits
from bsu_models.core.audit import record_event
from bsu_models.core.context import ServiceContext
from bsu_models.core.errors import BsuError, InvalidInput, Message, StorageError
from bsu_models.core.i18n import DEFAULT_LANGUAGE, check_language
from bsu_models.core.records import SceneInfo
from bsu_models.court.bagit_package import (
    MANIFEST,
    SIGNATURE_FILE,
    TAG_MANIFEST,
    bag_zip,
    make_bag,
    sha256_hex,
    write_bag_dir,
)
from bsu_models.court.bagit_verify import BagReport, verify_bag
from bsu_models.court.exhibit_content import STILL_SIZE as STILL_SIZE
from bsu_models.court.exhibit_content import ExhibitBuilder
from bsu_models.court.exhibit_signing import signature_file
from bsu_models.court.exhibit_words import METHOD as METHOD
from bsu_models.court.exhibit_words import PROVENANCE_WORDS as PROVENANCE_WORDS
from bsu_models.court.exhibit_words import TIME_ZONE as TIME_ZONE
from bsu_models.scenes.scene_items import check_label

MAX_EXHIBIT_NUMBER = limits.EXHIBIT_NUMBER
MAX_SAFE_NAME = 60


@dataclass(frozen=True)
class ExhibitResult:
    """A package built: where, what it holds and the hash the audit log records."""

    exhibit_number: str
    scene_id: int
    revision: int
    out: str
    manifest_sha256: str
    files: tuple[tuple[str, str, int], ...]  # (path in the bag, sha256, bytes)
    source_sha256: str

    @property
    def payload_files(self) -> int:
        return sum(1 for name, _, _ in self.files if name.startswith("data/"))

    @property
    def tag_files(self) -> int:
        return len(self.files) - self.payload_files

    def to_json(self) -> dict[str, Any]:
        return {
            "exhibit": self.exhibit_number,
            "payload_files": self.payload_files,
            "tag_files": self.tag_files,
            "scene_id": self.scene_id,
            "revision": self.revision,
            "out": self.out,
            "manifest_sha256": self.manifest_sha256,
            "source_sha256": self.source_sha256,
            "files": [{"path": p, "sha256": h, "bytes": n} for p, h, n in self.files],
        }


def check_exhibit_number(value: str) -> str:
    """An exhibit number as typed: one line of plain text, 1 to 40 characters, trimmed."""
    number = check_label(value if isinstance(value, str) else "", Message("The exhibit number"))
    if len(number) > MAX_EXHIBIT_NUMBER:
        raise InvalidInput(
            "The exhibit number is {length} characters long; at most {limit} allowed.",
            length=len(number),
            limit=MAX_EXHIBIT_NUMBER,
        )
    return number


def safe_name(text: str) -> str:
    """A file or folder name made from ``text``: letters and digits of any script (Chinese
    included), ``-``, ``_`` and ``.`` kept, anything else (``/``, spaces) a single ``-``."""
    kept = "".join(c if c.isalnum() or c in "-_." else "-" for c in text)
    while "--" in kept:
        kept = kept.replace("--", "-")
    return kept[:MAX_SAFE_NAME].strip("-.") or "exhibit"


def default_exhibit_number(info: SceneInfo) -> str:
    revision = info.frozen_revision or info.revision
    return f"{info.case_reference}-S{info.scene_id}-R{revision}"


def _audit_export(
    ctx: ServiceContext, builder: ExhibitBuilder, exhibit: str, bag: dict[str, bytes], out: str
) -> ExhibitResult:
    manifest_sha = sha256_hex(bag[MANIFEST])
    files = tuple((name, sha256_hex(data), len(data)) for name, data in sorted(bag.items()))
    record_event(
        ctx.engine,
        actor=builder.actor,
        action="exhibit.export",
        object_type="scene",
        object_id=str(builder.info.scene_id),
        object_sha256=manifest_sha,
        details={
            "exhibit": exhibit,
            "revision": builder.revision,
            "revision_sha256": builder.revision_sha256,
            "source_sha256": builder.version.original_sha256,
            "manifest": MANIFEST,
            "files": len(files),
            "out": out,
            "language": builder.lang,
            "signed_by_key": builder.fingerprint,
            "accounts": [
                {"scene": a.info.scene_id, "revision": a.revision, "sha256": a.sha256}
                for a in builder.accounts
            ],
        },
    )
    return ExhibitResult(
        exhibit,
        builder.info.scene_id,
        builder.revision,
        out,
        manifest_sha,
        files,
        builder.version.original_sha256,
    )


def _package(
    ctx: ServiceContext,
    scene_id: int,
    exhibit_number: str | None,
    actor: str | None,
    lang: str = DEFAULT_LANGUAGE,
    video: bool | Mapping[str, Any] = False,
    accounts: Sequence[int] = (),
) -> tuple[ExhibitBuilder, str, dict[str, bytes]]:
    if exhibit_number is not None:
        exhibit_number = check_exhibit_number(exhibit_number)
    builder = ExhibitBuilder(
        ctx, scene_id, ctx.actor_name(actor), lang, video=video, accounts=accounts
    )
    exhibit = exhibit_number or default_exhibit_number(builder.info)
    payload, info = builder.build(exhibit)
    bag = make_bag(payload, info)
    if builder.signing_key is not None:
        bag[SIGNATURE_FILE] = signature_file(builder.signing_key, bag[TAG_MANIFEST])
    return builder, exhibit, bag


def _bag_name(exhibit: str) -> str:
    return safe_name(exhibit)


def check_out(out: Path) -> None:
    """Refuse, before anything is built, an ``out`` the package cannot be written to: its
    folder must exist and be writable, and ``out`` must be new (or an empty folder)."""
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.exists():
        raise InvalidInput(
            "The folder {folder} does not exist; create it or name another one.", folder=parent
        )
    if not parent.is_dir():
        raise InvalidInput(
            "{folder} is not a folder; the exhibit cannot be written there.", folder=parent
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InvalidInput("The folder {folder} is not writable; name another one.", folder=parent)
    if out.is_symlink() or (out.exists() and (not out.is_dir() or any(out.iterdir()))):
        raise InvalidInput("{out} already exists; name a new folder or zip file.", out=out)


def build_exhibit(
    ctx: ServiceContext,
    scene_id: int,
    out: Path,
    exhibit_number: str | None = None,
    actor: str | None = None,
    lang: str = DEFAULT_LANGUAGE,
    video: bool | Mapping[str, Any] = False,
    accounts: Sequence[int] = (),
) -> ExhibitResult:
    """Write the package of scene ``scene_id`` to folder ``out`` or, for ``*.zip``, a zip file,
    its own words (book, viewer, stills, README) in ``lang``; with ``video`` (True, or the
    video's options), with the fly-through video too; ``accounts`` are further frozen scenes on
    the same model version, carried beside it and compared with it.

    The package appears whole or not at all: it is written next to ``out`` under a temporary
    name and renamed into place.
    """
    check_language(lang)
    if exhibit_number is not None:
        exhibit_number = check_exhibit_number(exhibit_number)
    check_out(out)
    builder, exhibit, bag = _package(ctx, scene_id, exhibit_number, actor, lang, video, accounts)
    _write_atomically(bag, out, _bag_name(exhibit))
    return _audit_export(ctx, builder, exhibit, bag, out.name)


def exhibit_zip(
    ctx: ServiceContext,
    scene_id: int,
    exhibit_number: str | None = None,
    actor: str | None = None,
    lang: str = DEFAULT_LANGUAGE,
    accounts: Sequence[int] = (),
) -> tuple[str, bytes, ExhibitResult]:
    """The package as zip bytes with its file name (for a download in the web app), its own
    words in ``lang``."""
    check_language(lang)
    builder, exhibit, bag = _package(
        ctx, scene_id, exhibit_number, actor, lang, accounts=accounts
    )
    name = f"{_bag_name(exhibit)}.zip"
    data = bag_zip(bag, _bag_name(exhibit))
    return name, data, _audit_export(ctx, builder, exhibit, bag, name)


def _write_atomically(bag: dict[str, bytes], out: Path, top: str) -> None:
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise InvalidInput(
            "{folder} is not a folder; the exhibit cannot be written there.", folder=parent
        )
    try:
        staging = Path(tempfile.mkdtemp(prefix=".exhibit-", dir=parent))
    except OSError as exc:
        raise StorageError(
            "Cannot write in {folder}: {reason}.", folder=parent, reason=exc.strerror
        ) from None
    try:
        if out.suffix.lower() == ".zip":
            temp = staging / "bag.zip"
            with open(temp, "wb") as handle:
                handle.write(bag_zip(bag, top))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, out)
        else:
            write_bag_dir(bag, staging / "bag")
            if out.exists():
                out.rmdir()  # empty: checked before building
            os.replace(staging / "bag", out)
    except BsuError:
        raise
    except OSError as exc:
        raise StorageError(
            "Cannot write the exhibit to {folder}: {reason}.", folder=out, reason=exc.strerror
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def verify_exhibit(path: Path) -> BagReport:
    """Check a package (folder or zip) against its manifests; names any file that changed."""
    return verify_bag(path)
