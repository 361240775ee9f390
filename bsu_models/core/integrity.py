"""The integrity check: every stored file re-hashed, rows and files matched both ways, the audit
chain walked and compared with its head file, and every state row compared with the state the
chain records (``bsu_models.core.state_ledger``).

Works on the catalogue's database (file rows, versions, public post images, audit events) and
its blob store; returns a ``VerifyReport`` whose problems are one sentence each (in English,
and as messages to show in the user's language).
"""

from __future__ import annotations

import random

from sqlalchemy import Engine, select

from bsu_models.core.audit import head_file_problems, verify_chain
from bsu_models.core.audit_head import HeadPlace, read_head_file
from bsu_models.core.blob_gc import job_result_keys
from bsu_models.core.blobstore import BlobStore
from bsu_models.core.db import read_session
from bsu_models.core.errors import InvalidInput, Message
from bsu_models.core.orm import (
    CctvFrameRow,
    PublicPostRow,
    StoredFileRow,
    VersionRow,
    WebLevelRow,
)
from bsu_models.core.records import VerifyReport
from bsu_models.core.state_ledger import StateReplay, all_rows, compare


def verify_catalogue(
    engine: Engine, blobs: BlobStore, head_file: HeadPlace, sample: int | None = None
) -> VerifyReport:
    """Problems found in the stored files and the audit log, and what was checked.

    Every referenced key is looked up in one listing of the store; with ``sample`` only that
    many stored files, chosen at random, are re-hashed (a spot check of a very big store)."""
    if sample is not None and sample < 1:
        raise InvalidInput(
            "The sample must be at least one stored file, got {sample}.", sample=sample
        )
    problems: list[Message] = []
    # The head file is read before the snapshot: written after each commit, it can then be
    # older than the snapshot (checked again below) but never newer.
    head_recorded = read_head_file(head_file)
    with read_session(engine, snapshot=True) as session:
        files = list(
            session.execute(
                select(
                    StoredFileRow.sha256,
                    StoredFileRow.version_id,
                    StoredFileRow.name,
                    StoredFileRow.role,
                )
            ).all()
        )
        # A ready web level is a stored file of its version like any other.
        files += session.execute(
            select(
                WebLevelRow.sha256,
                WebLevelRow.version_id,
                WebLevelRow.level,
                WebLevelRow.status,
            ).where(WebLevelRow.sha256.is_not(None))
        ).all()  # type: ignore[arg-type]
        originals = session.execute(select(VersionRow.id, VersionRow.original_sha256)).all()
        post_images = set(session.scalars(select(PublicPostRow.image_key)))
        frames = session.execute(select(CctvFrameRow.sha256, CctvFrameRow.scene_id)).all()
        made = job_result_keys(session)
        replay = StateReplay()
        audit_problems, events = verify_chain(session, replay.visit)
        head_problems = head_file_problems(head_file, session, recorded=head_recorded)
        # A broken chain already says the record cannot be trusted; comparing rows with half
        # of it would only add noise.
        state_problems = (
            []
            if audit_problems
            else [*replay.problems, *compare(replay.recorded, all_rows(session))]
        )
    referenced = {sha for sha, _v, _n, _r in files} | post_images | {sha for sha, _s in frames}
    on_disk = list(blobs.keys())
    stored = set(on_disk)
    referenced |= made
    for sha, scene_id in frames:
        if sha not in stored:
            problems.append(
                Message(
                    "missing: CCTV frame {sha} of scene {scene} is not in the blob store.",
                    sha=sha[:12],
                    scene=scene_id,
                )
            )
    for sha, version_id, name, _role in files:
        if sha not in stored:
            problems.append(
                Message(
                    "missing: version {version} file {name!r} ({sha}) is not in the blob store.",
                    version=version_id,
                    name=name,
                    sha=sha[:12],
                )
            )
    cleanable: list[Message] = []
    rehashed = set(on_disk)
    if sample is not None and sample < len(on_disk):
        rehashed = set(random.SystemRandom().sample(on_disk, sample))
    for key in on_disk:
        actual = blobs.rehash(key) if key in rehashed else key
        if actual != key:
            problems.append(
                Message(
                    "corrupt: stored file {key} now hashes to {actual}.",
                    key=key[:12],
                    actual=actual[:12],
                )
            )
        if key not in referenced:
            cleanable.append(
                Message("orphan: stored file {key} has no catalogue row.", key=key[:12])
            )
    kept = {v for sha, v, _n, role in files if role in ("mesh", "archive")}
    for version_id, _sha in originals:
        if version_id not in kept:
            problems.append(
                Message(
                    "missing: version {version} has no row for its original.", version=version_id
                )
            )
    for stray in blobs.stray_files():
        cleanable.append(
            Message(
                "stray: {path} in the blob store is not a stored file "
                "(left by an interrupted write).",
                path=str(stray),
            )
        )
    problems.extend(audit_problems)
    problems.extend(head_problems)
    problems.extend(state_problems)
    return VerifyReport(
        tuple(str(problem) for problem in problems),
        len(on_disk),
        len(files),
        events,
        findings=tuple(problems),
        cleanable=tuple(str(item) for item in cleanable),
        cleanable_findings=tuple(cleanable),
        blobs_rehashed=len(rehashed),
    )
