"""The ``jobs`` table: asking for a job, reading jobs as records, reporting progress."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bsu_models.core.audit import append_event
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import read_session, write_retrying, write_session
from bsu_models.core.errors import Message, NotFound
from bsu_models.core.orm import CaseRow, JobRow
from bsu_models.core.records import JobInfo

STATUSES = ("queued", "running", "done", "failed")


def idempotency_key(kind: str, parameters: Mapping[str, Any], inputs: Sequence[str]) -> str:
    """SHA-256 of the kind, its parameters and the SHA-256 of every input it reads."""
    text = json.dumps(
        {"kind": kind, "parameters": parameters, "inputs": sorted(inputs)},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def this_runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def to_record(row: JobRow, case_reference: str | None) -> JobInfo:
    return JobInfo(
        job_id=row.id,
        kind=row.kind,
        parameters=dict(row.parameters or {}),
        actor=row.actor,
        case_reference=case_reference,
        status=row.status,
        progress=float(row.progress or 0.0),
        stage=Message.from_json(row.stage) if row.stage else None,
        attempts=row.attempts,
        result=row.result,
        error=Message.from_json(row.error) if row.error else None,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def submit(
    ctx: ServiceContext,
    kind: str,
    parameters: dict[str, Any],
    inputs: Sequence[str],
    case_reference: str,
    actor: str | None = None,
) -> tuple[JobInfo, bool]:
    """The job doing this work: the one already asked for (queued, running or done), or a new
    or failed one (re)queued. Returns it and whether it needs to be run now."""
    key = idempotency_key(kind, parameters, inputs)
    who = ctx.actor_name(actor)
    case_id = ctx.case_id(case_reference)

    def work(session: Session) -> tuple[JobInfo, bool]:
        row = session.scalars(
            select(JobRow).where(JobRow.idempotency_key == key).with_for_update()
        ).one_or_none()
        if row is not None and row.status != "failed":
            return to_record(row, case_reference), False
        if row is None:
            row = JobRow(
                kind=kind,
                parameters=parameters,
                idempotency_key=key,
                actor=who,
                actor_system=ctx.user.system,
                case_id=case_id,
                attempts=0,
            )
            session.add(row)
        row.status, row.progress, row.stage, row.error = "queued", 0.0, None, None
        row.result, row.finished_at, row.runner = None, None, None
        session.flush()
        append_event(
            session,
            actor=who,
            action="job.submit",
            object_type="job",
            object_id=str(row.id),
            object_sha256=key,
            details={"kind": kind, "parameters": parameters, "inputs": sorted(inputs)},
        )
        return to_record(row, case_reference), True

    return write_retrying(ctx.engine, work)


def get_job(ctx: ServiceContext, job_id: int) -> JobInfo:
    """Job ``job_id``, for whoever may see its case."""
    with read_session(ctx.engine) as session:
        found = session.execute(
            select(JobRow, CaseRow.reference)
            .outerjoin(CaseRow, CaseRow.id == JobRow.case_id)
            .where(JobRow.id == job_id)
        ).one_or_none()
        if found is None:
            raise NotFound("There is no job {job}.", job=job_id)
        row, reference = found
        case_id, job = row.case_id, to_record(row, reference)
    ctx.access.require(
        "case.view", case_id, object_type="job", object_id=str(job_id), case_label=reference
    )
    return job


def list_jobs(
    ctx: ServiceContext,
    case: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[JobInfo]:
    """Jobs of the cases the user may see, newest first."""
    if case is not None:
        ctx.require_case("case.view", case)
    elif ctx.user.refusal("case.view") is not None:
        ctx.access.require("case.view", object_type="job")  # records the refusal and raises
    allowed = ctx.access.member_case_ids()  # None: every case
    stmt = (
        select(JobRow, CaseRow.reference)
        .outerjoin(CaseRow, CaseRow.id == JobRow.case_id)
        .order_by(JobRow.id.desc())
        .limit(limit)
    )
    if case is not None:
        stmt = stmt.where(CaseRow.reference == case)
    if kind is not None:
        stmt = stmt.where(JobRow.kind == kind)
    if status is not None:
        stmt = stmt.where(JobRow.status == status)
    if allowed is not None:
        stmt = stmt.where(JobRow.case_id.in_(allowed))
    with read_session(ctx.engine) as session:
        return [to_record(row, reference) for row, reference in session.execute(stmt).all()]


def report_progress(ctx: ServiceContext, job_id: int, fraction: float, stage: Message) -> None:
    """Record how far a running job is (not audited: its start and end are)."""
    with write_session(ctx.engine) as session:
        session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status == "running")
            .values(progress=max(0.0, min(1.0, float(fraction))), stage=stage.to_json())
        )


def now() -> datetime:
    return datetime.now(UTC)


def runner_of(ctx: ServiceContext, job_id: int) -> str | None:
    """Which process (host:pid) last claimed job ``job_id``."""
    with read_session(ctx.engine) as session:
        return session.scalar(select(JobRow.runner).where(JobRow.id == job_id))
