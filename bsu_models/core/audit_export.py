"""Reading the audit log for people: filtering events and writing them as CSV.

Works on ``AuditEvent`` records (newest first, as ``Catalogue.audit_events`` returns them).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass

from bsu_models.core.records import AuditEvent

CSV_COLUMNS = (
    "event_id",
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object_sha256",
    "outcome",
    "details",
    "hash",
)


@dataclass(frozen=True)
class AuditFilter:
    """Which events to keep; empty fields keep everything. Text matches are exact, except
    ``action``, which also matches its prefix (``post`` keeps ``post.request``)."""

    actor: str = ""
    action: str = ""
    object_id: str = ""
    outcome: str = ""
    since: str = ""  # ISO date or time, UTC: events at or after it
    until: str = ""  # events before it

    def keeps(self, event: AuditEvent) -> bool:
        return (
            (not self.actor or event.actor == self.actor)
            and (
                not self.action
                or event.action == self.action
                or event.action.startswith(self.action + ".")
            )
            and (not self.object_id or event.object_id == self.object_id)
            and (not self.outcome or event.outcome == self.outcome)
            and (not self.since or event.at >= self.since)
            and (not self.until or event.at < self.until)
        )


def filter_events(events: Iterable[AuditEvent], wanted: AuditFilter) -> list[AuditEvent]:
    return [e for e in events if wanted.keeps(e)]


# A cell starting with one of these is a formula to a spreadsheet (``=HYPERLINK(...)``,
# ``+cmd|...``, ``@SUM(...)``; tab and carriage return hide one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text (OWASP "CSV injection"): one that would start a
    formula gets a single quote in front; the writer quotes every cell."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def events_csv(events: Iterable[AuditEvent]) -> bytes:
    """The events as UTF-8 CSV with a header row (with a BOM, so spreadsheets read Chinese).

    Every cell is quoted, and cells that a spreadsheet would take for a formula are neutralised
    (``neutral_cell``): actors, object ids and details hold text that users typed.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    for e in events:
        writer.writerow(
            neutral_cell(cell)
            for cell in [
                e.event_id,
                e.at,
                e.actor,
                e.action,
                e.object_type,
                e.object_id,
                e.object_sha256 or "",
                e.outcome,
                json.dumps(e.details, ensure_ascii=False, sort_keys=True),
                e.hash,
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
