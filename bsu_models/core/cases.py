"""Cases: opening one and reading those the acting user may see.

Works through a ``ServiceContext``; returns frozen ``CaseInfo`` records.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bsu_models.core.audit import append_event
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import read_session, write_retrying
from bsu_models.core.errors import Conflict, InvalidInput, Message, NotFound
from bsu_models.core.orm import CaseLeadRow, CaseMemberRow, CaseRow, ModelRow
from bsu_models.core.records import CaseInfo
from bsu_models.core.text import clean_line, text_sha256

_CASE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$")
CASE_STATUSES = ("open", "closed", "archived")


def add_case(
    ctx: ServiceContext, reference: str, title: str, status: str = "open", actor: str | None = None
) -> CaseInfo:
    reference = reference.strip()
    if not _CASE_REF.match(reference):
        raise InvalidInput(
            "Case reference {reference!r} must be letters, digits and - / _ . "
            "(e.g. KC-2026-0142).",
            reference=reference,
        )
    title = clean_line(title, Message("Case title"))
    if status not in CASE_STATUSES:
        raise InvalidInput(
            "Case status must be one of {choices}.", choices=", ".join(CASE_STATUSES)
        )
    ctx.access.require("case.create", object_id=reference)
    actor = ctx.actor_name(actor)

    def create(session: Session) -> CaseInfo:
        # Two people opening the same reference at once meet at its unique key; the retry's
        # check then tells the second that the case exists.
        if session.scalar(select(CaseRow.id).where(CaseRow.reference == reference)):
            raise Conflict("Case {reference} already exists.", reference=reference)
        row = CaseRow(reference=reference, title=title, status=status, created_by=actor)
        session.add(row)
        session.flush()
        if not ctx.user.system and ctx.user.may("case.view"):
            # Whoever opens a case works on it and leads it (grants its membership); an
            # admin's case gets members from two admins.
            session.add(CaseMemberRow(case_id=row.id, username=actor, added_by=actor))
            session.add(CaseLeadRow(case_id=row.id, username=actor, added_by=actor))
        append_event(
            session,
            actor=actor,
            action="case.create",
            object_type="case",
            object_id=reference,
            details={"title_sha256": text_sha256(title), "status": status},
        )
        return CaseInfo(row.reference, row.title, row.status, row.created_at, 0)

    return write_retrying(ctx.engine, create)

def list_cases(ctx: ServiceContext) -> list[CaseInfo]:
    """Cases the user may see: members see theirs; admins see every case's reference and
    title (to manage membership), and nothing inside them."""
    visible = None if ctx.user.may("case.members") else ctx.access.member_case_ids()
    if visible is not None and not ctx.user.may("case.view"):
        return []
    with read_session(ctx.engine) as session:
        counts = {
            case_id: count
            for case_id, count in session.execute(
                select(ModelRow.case_id, func.count(ModelRow.id)).group_by(ModelRow.case_id)
            )
        }
        return [
            CaseInfo(c.reference, c.title, c.status, c.created_at, counts.get(c.id, 0))
            for c in session.scalars(select(CaseRow).order_by(CaseRow.reference))
            if visible is None or c.id in visible
        ]

def get_case(ctx: ServiceContext, reference: str) -> CaseInfo:
    for case in list_cases(ctx):
        if case.reference == reference:
            return case
    raise NotFound("There is no case {reference!r}.", reference=reference)
