"""Running one job: claim it, run its kind as the person who asked, record its end.

The same code runs a job in a thread of the asking process (the embedded default) and on a
queue worker. Claiming and ending are each one transaction with their audit event; a job found
done is not run again, and a job that a killed worker left "running" is claimed afresh (one
more attempt) by whoever gets it next.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bsu_models.core.access import Principal, system_principal
from bsu_models.core.audit import append_event
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import write_retrying
from bsu_models.core.errors import BsuError, Message, params_to_json
from bsu_models.core.orm import JobRow
from bsu_models.jobs.kinds import KINDS, Outcome
from bsu_models.jobs.store import now, report_progress, this_runner
from bsu_models.people.accounts import AccountService

log = logging.getLogger(__name__)

#: Least seconds between two progress writes of one job (the stage changing always writes).
PROGRESS_EVERY_S = 0.5


def execute(ctx: ServiceContext, job_id: int) -> str:
    """Run job ``job_id`` unless it is already done; returns its status after."""
    claimed = _claim(ctx, job_id)
    if claimed is None:
        return "done"
    kind, parameters, actor, system = claimed
    try:
        user = system_principal(actor) if system else _principal(ctx, actor)
        with ctx.blobs.writing():
            outcome = KINDS[kind](ctx.as_user(user), parameters, actor, _reporter(ctx, job_id))
            return _finish(ctx, job_id, outcome)
    except BsuError as exc:
        # The refusal or failure itself, to be shown to the asker in their language.
        reason = Message.from_json({"template": exc.template, "params": params_to_json(exc.params)})
        return _fail(ctx, job_id, reason)
    except Exception:
        log.exception("job %s (%s) failed unexpectedly", job_id, kind)
        return _fail(ctx, job_id, Message("The job stopped on an unexpected error."))


def _principal(ctx: ServiceContext, username: str) -> Principal:
    """The asker as they are now: a closed account or a removed role stops their job."""
    return AccountService(ctx).principal(username)


def _claim(ctx: ServiceContext, job_id: int) -> tuple[str, dict[str, Any], str, bool] | None:
    def work(session: Session) -> tuple[str, dict[str, Any], str, bool] | None:
        row = session.scalars(
            select(JobRow).where(JobRow.id == job_id).with_for_update()
        ).one_or_none()
        if row is None or row.status in ("done", "failed"):
            return None
        row.status, row.attempts, row.runner = "running", row.attempts + 1, this_runner()
        row.started_at, row.progress, row.stage = now(), 0.0, None
        session.flush()
        append_event(
            session,
            actor=row.actor,
            action="job.start",
            object_type="job",
            object_id=str(row.id),
            object_sha256=row.idempotency_key,
            details={
                "kind": row.kind,
                "parameters": row.parameters,
                "attempt": row.attempts,
                "runner": row.runner,
            },
        )
        return row.kind, dict(row.parameters or {}), row.actor, row.actor_system

    return write_retrying(ctx.engine, work)


def _reporter(ctx: ServiceContext, job_id: int) -> Any:
    last: dict[str, Any] = {"at": 0.0, "stage": None}

    def report(fraction: float, stage: Message) -> None:
        moment = time.monotonic()
        if stage.template == last["stage"] and moment - last["at"] < PROGRESS_EVERY_S:
            return
        last.update(at=moment, stage=stage.template)
        try:
            report_progress(ctx, job_id, fraction, stage)
        except BsuError:  # progress is a courtesy: the job goes on
            log.warning("progress of job %s could not be recorded", job_id)

    return report


def _finish(ctx: ServiceContext, job_id: int, outcome: Outcome) -> str:
    def work(session: Session) -> str:
        row = session.scalars(select(JobRow).where(JobRow.id == job_id).with_for_update()).one()
        if row.status == "done":
            return "done"  # another attempt got there first: its result stands
        if outcome.write is not None:
            outcome.write(session)
        row.status, row.progress, row.stage = "done", 1.0, None
        row.result, row.error, row.finished_at = outcome.result, None, now()
        _record_end(session, row, "ok", {"result": outcome.result})
        return "done"

    return write_retrying(ctx.engine, work)


def _record_end(session: Session, row: JobRow, outcome: str, details: dict[str, object]) -> None:
    """The ``job.end`` audit event of ``row``'s attempt, in the transaction that ends it."""
    session.flush()
    append_event(
        session,
        actor=row.actor,
        action="job.end",
        object_type="job",
        object_id=str(row.id),
        object_sha256=row.idempotency_key,
        outcome=outcome,
        details={"kind": row.kind, "attempt": row.attempts, **details},
    )


def _fail(ctx: ServiceContext, job_id: int, reason: Message) -> str:
    def work(session: Session) -> str:
        row = session.scalars(select(JobRow).where(JobRow.id == job_id).with_for_update()).one()
        if row.status == "done":
            return "done"
        row.status, row.stage, row.error, row.finished_at = "failed", None, reason.to_json(), now()
        _record_end(session, row, "failed", {"reason": str(reason)})
        return "failed"

    return write_retrying(ctx.engine, work)
