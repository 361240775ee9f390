"""The append-only audit log: a SHA-256 hash chain over audit events.

Each event's hash covers its own fields (id, time, actor, action, object, outcome, details) and
the previous event's hash, so editing or removing any row breaks the chain at that row.
Appends take the ``audit_head`` row with ``FOR UPDATE`` (PostgreSQL) or run inside
``BEGIN IMMEDIATE`` (SQLite), so two writers never fork the chain.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bsu_models.core import limits
from bsu_models.core.audit_head import SESSION_KEY, HeadPlace, read_head_file
from bsu_models.core.db import GENESIS_HASH, read_session, write_session
from bsu_models.core.errors import Message
from bsu_models.core.orm import AuditHeadRow, AuditRow
from bsu_models.core.records import AuditEvent
from bsu_models.core.text import fit

SESSION_LAST_EVENT = "bsu_last_event"  # session.info: the last event appended in a transaction


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
    session.info[SESSION_LAST_EVENT] = row
    return row


def record_event(
    engine: Engine,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    outcome: str = "ok",
    object_sha256: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one event in a transaction of its own: for actions that change nothing else
    (reads, exports, renders, refusals)."""
    with write_session(engine) as session:
        append_event(
            session,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            outcome=outcome,
            object_sha256=object_sha256,
            details=details,
        )


def attach_state(session: Session, row: AuditRow, state: dict[str, list[str | None]]) -> None:
    """Add the transaction's state record to ``row``, its last event, and re-seal it.

    Only the transaction's last event is changed, before commit, so no later event links to
    its old hash (``bsu_models.core.state_ledger``).
    """
    details = json.loads(row.details)
    recorded = details.get("state")
    details["state"] = {**(recorded if isinstance(recorded, dict) else {}), **state}
    row.details = _canonical(details)
    row.hash = event_hash(row, row.prev_hash)
    head = session.scalars(select(AuditHeadRow).where(AuditHeadRow.id == 1)).one()
    head.last_hash = row.hash
    session.info[SESSION_KEY] = (row.id, row.hash)


def verify_chain(
    session: Session, visit: Callable[[AuditRow], None] | None = None
) -> tuple[list[Message], int]:
    """Problems found walking the chain (first broken link named), and events checked.

    ``visit`` sees every event whose link and hash held, in order.
    """
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
        if visit is not None:
            visit(row)
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


def check_head_file(path: HeadPlace, engine: Engine) -> list[Message]:
    """Problems found comparing the head file with the stored chain."""
    with read_session(engine) as session:
        return head_file_problems(path, session)


def head_file_problems(
    path: HeadPlace,
    session: Session,
    *,
    allow_older: bool = False,
    recorded: tuple[int, str] | Literal["read"] | None = "read",
) -> list[Message]:
    """Problems found comparing the head file with the chain ``session`` sees.

    A missing file (once events exist) and a file naming an earlier event than the chain's
    last are findings: either may hide a rewritten chain. ``allow_older`` accepts an earlier
    event, for checks made while other writers may be between their commit and the file.
    ``recorded`` is the file's content when the caller read it before its snapshot.
    """
    if recorded == "read":
        recorded = read_head_file(path)
    last = session.get(AuditHeadRow, 1)
    stored_last = last.last_id if last else 0
    if recorded is None:
        if stored_last == 0:
            return []
        return [
            Message(
                "audit: the head file {path} is missing, though the chain has {events} "
                "events (it was deleted or moved).",
                path=str(path),
                events=stored_last,
            )
        ]
    event_id, digest = recorded
    if event_id < 0:
        return [
            Message("audit: the head file {path} is not '<event id> <sha256>'.", path=str(path))
        ]
    row = session.get(AuditRow, event_id)
    if row is None:
        return [
            Message(
                "audit: the head file {path} records event {event}, but the database "
                "ends at event {stored} (events were removed).",
                path=str(path),
                event=event_id,
                stored=stored_last,
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
    if event_id < stored_last and not allow_older and not _head_catches_up(path, stored_last):
        return [
            Message(
                "audit: the head file {path} records event {event}, an older head than "
                "the chain's last event {stored} (an older copy of the file).",
                path=str(path),
                event=event_id,
                stored=stored_last,
            )
        ]
    return []


def _head_catches_up(path: HeadPlace, stored_last: int, wait_s: float = 2.0) -> bool:
    """Whether the head file reaches ``stored_last`` within ``wait_s``: a writer that has just
    committed writes the file a moment later, and that is no finding."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = read_head_file(path)
        if now is not None and now[0] >= stored_last:
            return True
    return False


def head(engine: Engine) -> tuple[int, str, str]:
    """The chain's last event id, its hash and its time (0, genesis, "" on an empty chain)."""
    with read_session(engine) as session:
        last = session.get(AuditHeadRow, 1)
        if last is None or last.last_id == 0:
            return 0, GENESIS_HASH, ""
        row = session.get(AuditRow, last.last_id)
        return last.last_id, last.last_hash, row.at if row else ""


def to_record(row: AuditRow) -> AuditEvent:
    details = json.loads(row.details)
    details.pop("state", None)  # row fingerprints for verify, not for reading
    return AuditEvent(
        event_id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        object_sha256=row.object_sha256,
        outcome=row.outcome,
        details=details,
        hash=row.hash,
    )
