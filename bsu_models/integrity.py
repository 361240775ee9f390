"""The integrity check: every stored file re-hashed, rows and files matched both ways, the audit
chain walked and compared with its head file.

Works on the catalogue's database (file rows, versions, public post images, audit events) and
its blob store; returns a ``VerifyReport`` whose problems are one sentence each.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from bsu_models.audit import check_head_file, verify_chain
from bsu_models.blobstore import LocalBlobStore
from bsu_models.db import read_session
from bsu_models.orm import PublicPostRow, StoredFileRow, VersionRow
from bsu_models.records import VerifyReport


def verify_catalogue(engine: Engine, blobs: LocalBlobStore, head_file: Path) -> VerifyReport:
    """Problems found in the stored files and the audit log, and what was checked."""
    problems: list[str] = []
    with read_session(engine) as session:
        files = session.execute(
            select(
                StoredFileRow.sha256,
                StoredFileRow.version_id,
                StoredFileRow.name,
                StoredFileRow.role,
            )
        ).all()
        originals = session.execute(select(VersionRow.id, VersionRow.original_sha256)).all()
        post_images = set(session.scalars(select(PublicPostRow.image_key)))
        audit_problems, events = verify_chain(session)
    referenced = {sha for sha, _v, _n, _r in files} | post_images
    for sha, version_id, name, _role in files:
        if not blobs.exists(sha):
            problems.append(
                f"missing: version {version_id} file {name!r} ({sha[:12]}) "
                "is not in the blob store."
            )
    on_disk = list(blobs.keys())
    for key in on_disk:
        actual = blobs.rehash(key)
        if actual != key:
            problems.append(f"corrupt: stored file {key[:12]} now hashes to {actual[:12]}.")
        if key not in referenced:
            problems.append(f"orphan: stored file {key[:12]} has no catalogue row.")
    kept = {v for sha, v, _n, role in files if role in ("mesh", "archive")}
    for version_id, _sha in originals:
        if version_id not in kept:
            problems.append(f"missing: version {version_id} has no row for its original.")
    for stray in blobs.stray_files():
        problems.append(
            f"stray: {stray} in the blob store is not a stored file (left by an interrupted write)."
        )
    problems.extend(audit_problems)
    problems.extend(check_head_file(head_file, engine))
    return VerifyReport(tuple(problems), len(on_disk), len(files), events)
