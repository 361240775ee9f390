"""State rows bound into the audit chain, so that an edit outside the catalogue is named.

The audit chain proves that its events are unchanged; this module makes it also prove the
*state* the events describe. Every write transaction records, in its last audit event, the
content hash of each row it added, changed or deleted::

    details["state"] = {"scene_revisions:12": [None, "<sha256 of the row's columns>"],
                        "scenes:3": ["<before>", "<after>"],
                        "case_members:4": ["<before>", None]}   # None: absent

Each record holds the row as the transaction found it (read, locked, before its first change)
and as it left it. ``verify`` replays those records from the start of the chain and compares the
result with every row now stored: a row whose columns differ (a version's scale, a revision
rewritten with its ``sha256`` column, a post set to approved, a file row pointed at another
blob), a row that is gone (a freeze, a revision) and a row that no event recorded (inserted by
hand) are each named. A record whose *before* differs from the chain's previous *after* names a
row that was changed by hand and then touched by an ordinary change, which cannot launder it.
Tables are tracked unless listed in ``UNTRACKED_TABLES``, so a new table is covered from its
first row.

A catalogue made before this ledger existed gets one ``state.baseline`` event recording all of
its rows when it is first opened; what was changed before that moment cannot be told apart.

Rows:
    key: ``"<table>:<id>"``; fingerprint: SHA-256 hex of the row's canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table, event, or_, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from bsu_models.core.audit import SESSION_LAST_EVENT, append_event, attach_state, event_hash
from bsu_models.core.db import LEDGER_KEY, read_session, write_session
from bsu_models.core.errors import Message
from bsu_models.core.orm import AuditRow, Base

UNTRACKED_TABLES = frozenset({"audit_events", "audit_head"})
# Columns that decide nothing and change without an audit event of their own: a job's progress
# (its start and end are audited; the lockout counters are evidence of a guessing attack, and
# sign-ins are audited).
VOLATILE_COLUMNS: Mapping[str, frozenset[str]] = {"jobs": frozenset({"progress", "stage"})}
BASELINE = "state.baseline"
BEFORE_KEY = "bsu_state_before"  # session.info: key -> fingerprint as the transaction found it

# What each table's rows are called in a finding.
ROW_NAMES: Mapping[str, Message] = {
    "cases": Message("case row"),
    "landmark_models": Message("model row"),
    "model_versions": Message("model version row"),
    "stored_files": Message("stored file row"),
    "scenes": Message("scene row"),
    "scene_revisions": Message("scene revision row"),
    "scene_freezes": Message("scene freeze row"),
    "scene_reviews": Message("scene review row"),
    "users": Message("account row"),
    "case_members": Message("case membership row"),
    "public_posts": Message("public post row"),
    "public_post_videos": Message("public post video row"),
    "jobs": Message("job row"),
}


def tracked_tables() -> dict[str, Table]:
    return {
        name: table for name, table in Base.metadata.tables.items() if name not in UNTRACKED_TABLES
    }


def _plain(value: Any) -> Any:
    """A JSON value that reads the same whichever database returned it."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return value


def fingerprint(table: str, row: Mapping[str, Any]) -> str:
    """SHA-256 of a row's columns (less the volatile ones) as canonical JSON."""
    skip = VOLATILE_COLUMNS.get(table, frozenset())
    body = {name: _plain(value) for name, value in row.items() if name not in skip}
    text = json.dumps(
        {"table": table, "row": body},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def row_key(table: str, row_id: Any) -> str:
    return f"{table}:{row_id}"


def split_key(key: str) -> tuple[str, str]:
    table, _, row_id = key.partition(":")
    return table, row_id


def current_state(
    session: Session, keys: Iterable[str], lock: bool = False
) -> dict[str, str | None]:
    """Fingerprints of the rows named by ``keys`` as the transaction sees them (None: absent);
    with ``lock``, the rows stay locked until the transaction ends (PostgreSQL)."""
    tables = tracked_tables()
    by_table: dict[str, list[str]] = {}
    for key in keys:
        name, row_id = split_key(key)
        if name in tables:
            by_table.setdefault(name, []).append(row_id)
    state: dict[str, str | None] = {}
    for table_name, ids in by_table.items():
        table = tables[table_name]
        wanted = {int(i) for i in ids}
        found: dict[int, str] = {}
        for chunk in _chunks(sorted(wanted), 500):
            query = select(table).where(table.c.id.in_(chunk))
            if lock:
                query = query.with_for_update()
            for row in session.execute(query).mappings():
                found[row["id"]] = fingerprint(table_name, dict(row))
        for number in wanted:
            state[row_key(table_name, number)] = found.get(number)
    return state


def all_rows(session: Session) -> dict[str, str]:
    """Fingerprints of every tracked row now stored."""
    state: dict[str, str] = {}
    for table_name, table in tracked_tables().items():
        for row in session.execute(select(table)).mappings():
            state[row_key(table_name, row["id"])] = fingerprint(table_name, dict(row))
    return state


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def touch(session: Session, table: str, row_id: Any) -> None:
    """Record that this write session changed a row behind the ORM's back."""
    touched = session.info.get(LEDGER_KEY)
    if touched is not None:
        touched.add(row_key(table, row_id))


def recorded_state(details_text: str) -> Mapping[str, tuple[str | None, str | None]]:
    """The state record carried by one audit event's details: key -> (before, after)."""
    if '"state":' not in details_text:
        return {}
    try:
        state = json.loads(details_text).get("state")
    except (ValueError, AttributeError):
        return {}
    if not isinstance(state, dict):
        return {}
    return {
        key: (value[0], value[1])
        for key, value in state.items()
        if isinstance(value, list) and len(value) == 2
    }


class StateReplay:
    """The state the chain records, replayed event by event (``verify`` visits each event).

    ``recorded`` maps each key to its last recorded fingerprint and that event's id;
    ``problems`` names each record whose *before* is not the previous record's *after*.
    """

    def __init__(self) -> None:
        self.recorded: dict[str, tuple[str | None, int]] = {}
        self.problems: list[Message] = []

    def visit(self, event_row: AuditRow) -> None:
        for key, (before, after) in recorded_state(event_row.details).items():
            expected = self.recorded.get(key, (None, 0))[0]
            if before != expected:
                self.problems.append(_changed_before(key, event_row.id))
            self.recorded[key] = (after, event_row.id)


def _changed_before(key: str, event_id: int) -> Message:
    table, row_id = split_key(key)
    return Message(
        "state: {what} {row} was changed outside the catalogue before audit event {event} "
        "changed it.",
        what=ROW_NAMES.get(table, Message("{table} row", table=table)),
        row=row_id,
        event=event_id,
    )


def compare(
    recorded: Mapping[str, tuple[str | None, int]], stored: Mapping[str, str]
) -> list[Message]:
    """Findings from the state replayed off the chain against the rows now stored.

    ``recorded`` maps each key to its last recorded fingerprint and that event's id.
    """
    problems: list[Message] = []
    for key in sorted(set(recorded) | set(stored), key=_sort_key):
        expected, event_id = recorded.get(key, (None, 0))
        actual = stored.get(key)
        if key not in recorded or expected != actual:
            problems.append(_finding(key, key in recorded, expected, actual, event_id))
    return problems


def _finding(
    key: str, was_recorded: bool, expected: str | None, actual: str | None, event_id: int
) -> Message:
    """One sentence for a row that differs from its last record (``event_id``)."""
    table, row_id = split_key(key)
    what = ROW_NAMES.get(table, Message("{table} row", table=table))
    if not was_recorded:
        return Message(
            "state: {what} {row} was added outside the catalogue (no audit event records it).",
            what=what,
            row=row_id,
        )
    if actual is None:
        return Message(
            "state: {what} {row} was deleted outside the catalogue "
            "(audit event {event} records it).",
            what=what,
            row=row_id,
            event=event_id,
        )
    if expected is None:
        return Message(
            "state: {what} {row} was put back outside the catalogue "
            "(audit event {event} records its deletion).",
            what=what,
            row=row_id,
            event=event_id,
        )
    return Message(
        "state: {what} {row} was changed outside the catalogue "
        "(it differs from what audit event {event} records).",
        what=what,
        row=row_id,
        event=event_id,
    )


def _sort_key(key: str) -> tuple[str, int]:
    table, row_id = split_key(key)
    return table, int(row_id) if row_id.isdigit() else 0


# -- recording --------------------------------------------------------------------------------


def _tracked_name(obj: Any) -> str | None:
    table = getattr(obj, "__table__", None)
    name = getattr(table, "name", None)
    return name if name and name not in UNTRACKED_TABLES else None


def _before(session: Session) -> dict[str, str | None]:
    """The transaction's rows as it found them, each read (and locked) before its first change."""
    before: dict[str, str | None] = session.info.setdefault(BEFORE_KEY, {})
    return before


@event.listens_for(Session, "before_flush")
def _capture_before(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    if session.info.get(LEDGER_KEY) is None:
        return
    before = _before(session)
    keys = set()
    for obj in (*session.dirty, *session.deleted):
        name = _tracked_name(obj)
        row_id = getattr(obj, "id", None)
        if name and row_id is not None and row_key(name, row_id) not in before:
            keys.add(row_key(name, row_id))
    if keys:
        # Locked, so that on PostgreSQL a concurrent writer's change is either wholly before
        # this read or waits for this transaction.
        before.update(current_state(session, keys, lock=True))


@event.listens_for(Session, "after_flush")
def _collect_flushed(session: Session, _context: UOWTransaction) -> None:
    touched = session.info.get(LEDGER_KEY)
    if touched is None:
        return
    before = _before(session)
    for obj in session.new:
        name = _tracked_name(obj)
        row_id = getattr(obj, "id", None)
        if name and row_id is not None:
            before.setdefault(row_key(name, row_id), None)  # made by this transaction
    for obj in (*session.new, *session.dirty, *session.deleted):
        name = _tracked_name(obj)
        row_id = getattr(obj, "id", None)
        if name and row_id is not None:
            touched.add(row_key(name, row_id))


@event.listens_for(Session, "do_orm_execute")
def _collect_bulk(state: ORMExecuteState) -> None:
    """Bulk UPDATE/DELETE statements bypass the flush: read the rows they are about to hit."""
    session = state.session
    touched = session.info.get(LEDGER_KEY)
    if touched is None or not (state.is_update or state.is_delete):
        return
    name = getattr(getattr(state.statement, "table", None), "name", None)
    if not name or name in UNTRACKED_TABLES:
        return
    table = tracked_tables()[name]  # the plain table: its rows come back as columns
    where = getattr(state.statement, "whereclause", None)
    query = select(table).with_for_update()
    if where is not None:
        query = query.where(where)
    before = _before(session)
    with session.no_autoflush:
        for row in session.execute(query).mappings():
            key = row_key(name, row["id"])
            before.setdefault(key, fingerprint(name, dict(row)))
            touched.add(key)


@event.listens_for(Session, "before_commit")
def _record_state(session: Session) -> None:
    touched = session.info.get(LEDGER_KEY)
    if touched is None:
        return
    session.flush()
    if not touched:
        return
    keys = set(touched)
    touched.clear()
    before = _before(session)
    state = {
        key: [before.get(key), after]
        for key, after in current_state(session, keys).items()
        if before.get(key) != after
    }
    if not state:
        return
    last = session.info.get(SESSION_LAST_EVENT)
    if last is None:
        last = append_event(
            session,
            actor="system",
            action="state.change",
            object_type="catalogue",
            object_id="",
        )
    attach_state(session, last, state)
    session.flush()


def ensure_baseline(engine: Engine) -> None:
    """Record every row once on a catalogue made before its chain recorded state.

    Nothing is recorded on a new catalogue (no rows yet) or on one whose chain already records
    state: deleting rows or a marker can never make the catalogue re-baseline tampered rows.
    """
    with read_session(engine) as session:
        if session.scalar(select(AuditRow.id).where(AuditRow.action == BASELINE).limit(1)):
            return
        if not any(
            session.scalar(select(table.c.id).limit(1)) is not None
            for table in tracked_tables().values()
        ):
            return
        carrying = AuditRow.details.like('%"state":%')
        if session.scalar(select(AuditRow.id).where(carrying).limit(1)):
            return
    with write_session(engine) as session:
        if session.scalar(select(AuditRow.id).where(AuditRow.action == BASELINE).limit(1)):
            return
        rows = all_rows(session)
        append_event(
            session,
            actor="system",
            action=BASELINE,
            object_type="catalogue",
            object_id="",
            details={"rows": len(rows)},
        )
        session.info[LEDGER_KEY].update(rows)


def confirm_rows(session: Session, keys: Iterable[str]) -> list[Message]:
    """A point check of some rows against their last record in the chain.

    For each row, the newest event recording it must be intact (its own hash, and the next
    event's link to it) and record the row's present fingerprint. Used before a court or public
    output is built from those rows; ``verify`` does the same for every row and every event.
    """
    wanted = sorted(set(keys), key=_sort_key)
    if not wanted:
        return []
    current = current_state(session, wanted)
    problems: list[Message] = []
    # The two newest records of each row, from one pass over the events that mention any of
    # them ("_" in a pattern matches any one character; the JSON check is exact).
    newest: dict[str, list[tuple[AuditRow, str | None, str | None]]] = {k: [] for k in wanted}
    mentioning = or_(*(AuditRow.details.like(f'%"{key}":%') for key in wanted))
    for event_row in session.scalars(
        select(AuditRow).where(mentioning).order_by(AuditRow.id.desc())
    ):
        state = recorded_state(event_row.details)
        for key, found_records in newest.items():
            if key in state and len(found_records) < 2:
                found_records.append((event_row, *state[key]))
        if all(len(found_records) == 2 for found_records in newest.values()):
            break
    for key in wanted:
        records = newest[key]
        if not records:
            if current[key] is not None:
                problems.append(_finding(key, False, None, current[key], 0))
            continue
        found, before, after = records[0]
        previous_after = records[1][2] if len(records) == 2 else None
        following = session.get(AuditRow, found.id + 1)
        if event_hash(found, found.prev_hash) != found.hash or (
            following is not None and following.prev_hash != found.hash
        ):
            problems.append(
                Message(
                    "audit: event {event} ({action}) was altered after it was written.",
                    event=found.id,
                    action=found.action,
                )
            )
        elif before != previous_after:
            problems.append(_changed_before(key, found.id))
        elif after != current[key]:
            problems.append(_finding(key, True, after, current[key], found.id))
    return problems
