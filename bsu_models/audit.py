"""The append-only audit log: a SHA-256 hash chain over audit events.

Each event's hash covers its own fields (id, time, actor, action, object, outcome, details) and
the previous event's hash, so editing or removing any row breaks the chain at that row.
Appends take the ``audit_head`` row with ``FOR UPDATE`` (PostgreSQL) or run inside
``BEGIN IMMEDIATE`` (SQLite), so two writers never fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bsu_models import limits
from bsu_models.audit_head import SESSION_KEY, read_head_file
from bsu_models.db import GENESIS_HASH, read_session
from bsu_models.errors import Message
from bsu_models.orm import AuditHeadRow, AuditRow
from bsu_models.records import AuditEvent
from bsu_models.text import fit


def _canonical(details: dict[str, Any]) -> str:
    return json.dumps(
        details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def event_hash(row: AuditRow, prev_hash: str) -> str:
    body = {
        "id": row.id,
        "at": row.at,
        "actor": row.actor,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "object_sha256": row.object_sha256,
        "outcome": row.outcome,
        "details": row.details,
        "prev": prev_hash,
    }
    return hashlib.sha256(_canonical(body).encode("utf-8")).hexdigest()


def append_event(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    outcome: str = "ok",
    object_sha256: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditRow:
    """Add one event to the chain inside the caller's write transaction."""
    head = session.scalars(select(AuditHeadRow).where(AuditHeadRow.id == 1).with_for_update()).one()
    row = AuditRow(
        id=head.last_id + 1,
        at=datetime.now(UTC).isoformat(timespec="microseconds"),
        # What the caller names may come from a user (a typed name, a case reference): it is
        # cut to the column's length here, so recording never fails on PostgreSQL.
        actor=fit(actor, limits.ACTOR),
        action=action,
        object_type=object_type,
        object_id=fit(str(object_id), limits.AUDIT_OBJECT_ID),
        object_sha256=object_sha256,
        outcome=outcome,
        details=_canonical(details or {}),
        prev_hash=head.last_hash,
        hash="",
    )
    row.hash = event_hash(row, head.last_hash)
    session.add(row)
    head.last_id = row.id
    head.last_hash = row.hash
    session.info[SESSION_KEY] = (row.id, row.hash)  # written to the head file after commit
    return row


def verify_chain(session: Session) -> tuple[list[Message], int]:
    """Problems found walking the chain (first broken link named), and events checked."""
    problems: list[Message] = []
    prev_hash = GENESIS_HASH
    expected_id = 1
    count = 0
    for row in session.scalars(select(AuditRow).order_by(AuditRow.id)):
        count += 1
        if row.id != expected_id:
            problems.append(
                Message(
                    "audit: event {event} is missing (next stored event is {next_event}).",
                    event=expected_id,
                    next_event=row.id,
                )
            )
            return problems, count
        if row.prev_hash != prev_hash:
            problems.append(
                Message(
                    "audit: event {event} does not link to event {previous}.",
                    event=row.id,
                    previous=row.id - 1,
                )
            )
            return problems, count
        if event_hash(row, prev_hash) != row.hash:
            problems.append(
                Message(
                    "audit: event {event} ({action}) was altered after it was written.",
                    event=row.id,
                    action=row.action,
                )
            )
            return problems, count
        prev_hash = row.hash
        expected_id += 1
    head = session.get(AuditHeadRow, 1)
    if head is not None and (head.last_id != expected_id - 1 or head.last_hash != prev_hash):
        problems.append(
            Message(
                "audit: the chain ends at event {last} but the head records event {head} "
                "(events were removed from the end).",
                last=expected_id - 1,
                head=head.last_id,
            )
        )
    return problems, count


def check_head_file(path: Path, engine: Engine) -> list[Message]:
    """Problems found comparing the head file with the stored chain."""
    recorded = read_head_file(path)
    if recorded is None:
        return []  # no event written since the file was configured
    event_id, digest = recorded
    if event_id < 0:
        return [
            Message("audit: the head file {path} is not '<event id> <sha256>'.", path=str(path))
        ]
    with read_session(engine) as session:
        row = session.get(AuditRow, event_id)
        last = session.get(AuditHeadRow, 1)
        if row is None:
            return [
                Message(
                    "audit: the head file {path} records event {event}, but the database "
                    "ends at event {stored} (events were removed).",
                    path=str(path),
                    event=event_id,
                    stored=last.last_id if last else 0,
                )
            ]
        if row.hash != digest:
            return [
                Message(
                    "audit: event {event} differs from the one recorded in the head file "
                    "{path} (the chain was rewritten).",
                    event=event_id,
                    path=str(path),
                )
            ]
    return []


def to_record(row: AuditRow) -> AuditEvent:
    return AuditEvent(
        event_id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        object_sha256=row.object_sha256,
        outcome=row.outcome,
        details=json.loads(row.details),
        hash=row.hash,
    )
