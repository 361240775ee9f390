"""Removing bytes that no row refers to: what an interrupted import leaves behind.

Imports write blobs first and rows after, so a killed import can leave blobs without rows
(``orphan``) and temporaries (``stray``). ``verify`` lists them as cleanable; ``collect`` removes
those older than ``MIN_AGE_S``, so bytes an import is writing right now (or has just reused, which
refreshes their time) are never taken. Each run that removes something is an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bsu_models.core.audit import record_event
from bsu_models.core.blobstore import BlobStore
from bsu_models.core.db import read_session
from bsu_models.core.orm import CctvFrameRow, JobRow, PublicPostRow, StoredFileRow, WebLevelRow

MIN_AGE_S = 3600.0


@dataclass(frozen=True)
class GcResult:
    """Blobs (keys) and stray files (paths) removed, or that would be with ``dry_run``."""

    blobs: tuple[str, ...]
    strays: tuple[str, ...]
    kept_young: int  # unreferenced but younger than MIN_AGE_S
    dry_run: bool

    def to_json(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "blobs": list(self.blobs),
            "strays": list(self.strays),
            "kept_young": self.kept_young,
        }


def referenced_keys(engine: Engine) -> set[str]:
    """Every blob key a catalogue row refers to."""
    with read_session(engine) as session:
        files = set(session.scalars(select(StoredFileRow.sha256)))
        posts = set(session.scalars(select(PublicPostRow.image_key)))
        frames = set(session.scalars(select(CctvFrameRow.sha256)))
        levels = set(
            session.scalars(select(WebLevelRow.sha256).where(WebLevelRow.sha256.is_not(None)))
        )
        made = job_result_keys(session)
    return files | posts | frames | made | {key for key in levels if key}


def job_result_keys(session: Session) -> set[str]:
    """The blobs finished jobs made (a video's MP4), named in their result's ``blobs``."""
    results = session.scalars(select(JobRow.result).where(JobRow.status == "done"))
    return {str(key) for result in results if result for key in result.get("blobs", ()) if key}


def collect(
    engine: Engine,
    blobs: BlobStore,
    actor: str,
    *,
    dry_run: bool,
    min_age_s: float = MIN_AGE_S,
) -> GcResult:
    referenced = referenced_keys(engine)
    old_blobs: list[str] = []
    old_strays: list[str] = []
    young = 0
    for key in blobs.keys():  # noqa: SIM118 -- a blob store, not a dict
        if key in referenced:
            continue
        if blobs.age_seconds(key) >= min_age_s:
            old_blobs.append(key)
        else:
            young += 1
    for stray in blobs.stray_files():
        if blobs.age_seconds(stray) >= min_age_s:
            old_strays.append(stray)
        else:
            young += 1
    if not dry_run and (old_blobs or old_strays):
        # Removed only while no import is in flight (the writers' lock taken alone), and
        # checked against the rows again under it: an import may have committed meanwhile.
        # (An import holds it from its first blob until its rows commit.) A temporary file
        # an hour old belongs to no live writer.
        with blobs.writing() as hold:
            old_blobs = hold.undo(
                [k for k in old_blobs if blobs.age_seconds(k) >= min_age_s],
                lambda keys: set(keys) & referenced_keys(engine),
            )
        for stray in old_strays:
            blobs.discard_stray(stray)
        record_event(
            engine,
            actor=actor,
            action="blobs.gc",
            object_type="blob_store",
            object_id="",
            details={
                "blobs_removed": len(old_blobs),
                "strays_removed": len(old_strays),
                "keys": old_blobs[:200],
            },
        )
    return GcResult(tuple(old_blobs), tuple(old_strays), young, dry_run)
