"""Case membership under separation of duties: who may give whom access to a case.

An admin manages accounts but cannot alone give anyone access to a case's contents. Membership
is granted either by a *lead* of the case (a member who leads it: whoever opened the case is its
first lead, and a lead may add members and make other leads), or by one admin's request that a
second admin approves. Nobody grants or approves their own membership. Ending a membership (or
a lead) gives nobody access, so a lead or one admin may do it alone. Every step is an audit
event; decisions on requests are conditional updates, so two admins deciding at once get one
decision and one ``Conflict``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bsu_models.core.audit import append_event
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import read_session, write_retrying, write_session
from bsu_models.core.errors import AccessDenied, Conflict, Message, NotFound
from bsu_models.core.orm import (
    AuditRow,
    CaseLeadRow,
    CaseMemberRow,
    CaseRow,
    MembershipRequestRow,
    UserRow,
)

REQUEST_STATUSES = ("pending", "approved", "rejected")
# What one admin can do to another account that would let them act in its name.
_ACCOUNT_SHAPING = ("user.create", "user.roles", "user.password_reset")


@dataclass(frozen=True)
class MembershipRequest:
    """An admin's request to make someone a member (``lead``: and a lead) of a case."""

    request_id: int
    case_reference: str
    username: str
    lead: bool
    requested_by: str
    requested_at: datetime
    status: str
    decided_by: str
    decided_at: datetime | None


@dataclass(frozen=True)
class CaseMember:
    """A member of a case and whether they lead it."""

    username: str
    display_name: str
    lead: bool


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _record(row: MembershipRequestRow, reference: str) -> MembershipRequest:
    requested_at = _aware(row.requested_at)
    assert requested_at is not None
    return MembershipRequest(
        row.id, reference, row.username, row.lead, row.requested_by, requested_at, row.status,
        row.decided_by, _aware(row.decided_at),
    )  # fmt: skip


def not_self(ctx: ServiceContext, username: str, what: Message) -> None:
    """Refuse a change of the user's own ``what`` (roles, case membership): another must."""
    user = ctx.user
    if not user.system and user.username == username:
        raise AccessDenied(
            "{username} may not change their own {what}; another admin must.",
            username=username,
            what=what,
        )


class MembershipService:
    """Case membership of one catalogue; reached as ``catalogue.memberships`` (and through
    ``catalogue.accounts.add_member`` / ``remove_member``)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @property
    def _engine(self) -> Any:
        return self.ctx.engine

    def _leads_or_admin(self, reference: str) -> tuple[int, bool]:
        """The case's id and whether the user leads it (else they are an admin); refuses (and
        records) anyone else, and names an unknown case only to those who may manage it."""
        user, access = self.ctx.user, self.ctx.access
        case_id = self.ctx.case_id(reference)
        if user.system or (case_id is not None and access.allowed("case.lead", case_id)):
            return self._known(case_id, reference), True
        kwargs: dict[str, Any] = {"object_type": "case", "object_id": reference,
                                  "case_label": reference}  # fmt: skip
        if not user.may("case.members"):
            access.require("case.lead", case_id, **kwargs)
        access.require("case.members", **kwargs)
        return self._known(case_id, reference), False

    @staticmethod
    def _known(case_id: int | None, reference: str) -> int:
        if case_id is None:
            raise NotFound("There is no case {reference!r}.", reference=reference)
        return case_id

    def _actor(self) -> str:
        return self.ctx.actor_name()

    # -- granting -------------------------------------------------------------------------------

    def add(
        self, case_reference: str, username: str, lead: bool = False
    ) -> MembershipRequest | None:
        """Make ``username`` a member (``lead``: and a lead) of the case. A lead of the case
        does it at once (None); an admin's addition is a request that waits for a second admin
        (the request is returned)."""
        not_self(self.ctx, username, Message("case membership"))
        case_id, leads = self._leads_or_admin(case_reference)
        actor = self._actor()
        def add_or_request(session: Session) -> MembershipRequest | None:
            self._user_exists(session, username)
            if leads:
                self._grant(session, case_id, case_reference, username, lead, actor)
                return None
            pending = session.scalars(
                select(MembershipRequestRow).where(
                    MembershipRequestRow.case_id == case_id,
                    MembershipRequestRow.username == username,
                    MembershipRequestRow.status == "pending",
                )
            ).first()
            if pending is None:
                pending = MembershipRequestRow(
                    case_id=case_id, username=username, lead=lead, requested_by=actor
                )
                session.add(pending)
                session.flush()
                append_event(
                    session,
                    actor=actor,
                    action="case.member_request",
                    object_type="case",
                    object_id=case_reference,
                    details={"user": username, "lead": lead, "request": pending.id},
                )
            return _record(pending, case_reference)

        # Two additions at once meet at the membership's unique key; the second run finds
        # the first one's row and adds nothing.
        return write_retrying(self._engine, add_or_request)

    @staticmethod
    def _user_exists(session: Session, username: str) -> None:
        if session.scalar(select(UserRow.id).where(UserRow.username == username)) is None:
            raise NotFound("There is no user {username!r}.", username=username)

    @staticmethod
    def _grant(
        session: Session, case_id: int, reference: str, username: str, lead: bool, actor: str,
        **details: Any,
    ) -> None:  # fmt: skip
        member = session.scalars(
            select(CaseMemberRow).where(
                CaseMemberRow.case_id == case_id, CaseMemberRow.username == username
            )
        ).first()
        if member is None:
            session.add(CaseMemberRow(case_id=case_id, username=username, added_by=actor))
            append_event(
                session, actor=actor, action="case.member_add", object_type="case",
                object_id=reference, details={"user": username, **details},
            )  # fmt: skip
        already = session.scalars(
            select(CaseLeadRow).where(
                CaseLeadRow.case_id == case_id, CaseLeadRow.username == username
            )
        ).first()
        if lead and already is None:
            session.add(CaseLeadRow(case_id=case_id, username=username, added_by=actor))
            append_event(
                session, actor=actor, action="case.lead_add", object_type="case",
                object_id=reference, details={"user": username, **details},
            )  # fmt: skip

    def make_lead(self, case_reference: str, username: str) -> MembershipRequest | None:
        """Make ``username`` a member and a lead of the case (as ``add`` with ``lead``)."""
        return self.add(case_reference, username, lead=True)

    # -- second admin ---------------------------------------------------------------------------

    def requests(self, status: str | None = "pending") -> list[MembershipRequest]:
        """Membership requests (default: those waiting), oldest first; admins only."""
        self.ctx.access.require("case.members", object_type="case")
        with read_session(self._engine) as session:
            stmt = (
                select(MembershipRequestRow, CaseRow.reference)
                .join(CaseRow, CaseRow.id == MembershipRequestRow.case_id)
                .order_by(MembershipRequestRow.id)
            )
            if status:
                stmt = stmt.where(MembershipRequestRow.status == status)
            return [_record(row, reference) for row, reference in session.execute(stmt)]

    def _shaped_by(self, requester: str, approver: str) -> bool:
        """Whether ``requester`` made the approver's account, set its roles or its password
        (the audit log says): one admin could then approve their own request in another name."""
        with read_session(self._engine) as session:
            found = session.scalar(
                select(AuditRow.id)
                .where(
                    AuditRow.actor == requester,
                    AuditRow.object_id == approver,
                    AuditRow.action.in_(_ACCOUNT_SHAPING),
                    AuditRow.outcome == "ok",
                )
                .limit(1)
            )
        return found is not None

    def approve(self, case_reference: str, username: str) -> None:
        """A second admin approves the waiting request: ``username`` becomes a member."""
        self._decide(case_reference, username, approve=True)

    def reject(self, case_reference: str, username: str) -> None:
        """An admin (the requester too, to withdraw it) rejects the waiting request."""
        self._decide(case_reference, username, approve=False)

    def _decide(self, case_reference: str, username: str, approve: bool) -> None:
        access = self.ctx.access
        access.require("case.members", object_type="case", object_id=case_reference)
        if approve:
            not_self(self.ctx, username, Message("case membership"))
        actor = self._actor()
        action = "case.member_approve" if approve else "case.member_reject"
        with read_session(self._engine) as session:
            row = session.scalars(
                select(MembershipRequestRow)
                .join(CaseRow, CaseRow.id == MembershipRequestRow.case_id)
                .where(
                    CaseRow.reference == case_reference,
                    MembershipRequestRow.username == username,
                    MembershipRequestRow.status == "pending",
                )
            ).first()
            if row is None:
                raise NotFound(
                    "No request waits to make {username} a member of case {reference}.",
                    username=username,
                    reference=case_reference,
                )
            request = _record(row, case_reference)
            case_id = row.case_id
        refusal: Message | None = None
        if approve and not self.ctx.user.system:
            if request.requested_by == actor:
                refusal = Message(
                    "{actor} requested this membership and so may not approve it; a second "
                    "admin must.",
                    actor=actor,
                )
            elif self._shaped_by(request.requested_by, actor):
                refusal = Message(
                    "{actor}'s account was made, given roles or given a password by "
                    "{requester}, who requested this membership; another admin must approve it.",
                    actor=actor,
                    requester=request.requested_by,
                )
        if refusal is not None:
            with write_session(self._engine) as session:
                append_event(
                    session, actor=actor, action=action, object_type="case",
                    object_id=case_reference, outcome="refused",
                    details={"user": username, "request": request.request_id,
                             "reason": str(refusal)},
                )  # fmt: skip
            raise AccessDenied(refusal)
        with write_session(self._engine) as session:
            decided = session.execute(
                update(MembershipRequestRow)
                .where(
                    MembershipRequestRow.id == request.request_id,
                    MembershipRequestRow.status == "pending",
                )
                .values(
                    status="approved" if approve else "rejected",
                    decided_by=actor,
                    decided_at=datetime.now(UTC),
                )
            )
            if decided.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict(
                    "The request to make {username} a member of case {reference} was decided "
                    "just now by someone else.",
                    username=username,
                    reference=case_reference,
                )
            append_event(
                session, actor=actor, action=action, object_type="case",
                object_id=case_reference,
                details={"user": username, "lead": request.lead, "request": request.request_id,
                         "requested_by": request.requested_by},
            )  # fmt: skip
            if approve:
                self._user_exists(session, username)
                self._grant(
                    session, case_id, case_reference, username, request.lead, actor,
                    request=request.request_id, requested_by=request.requested_by,
                )  # fmt: skip

    # -- ending ---------------------------------------------------------------------------------

    def remove(self, case_reference: str, username: str) -> None:
        """End ``username``'s membership (and lead) of the case: a lead or one admin."""
        self._end(case_reference, username, lead_only=False)

    def end_lead(self, case_reference: str, username: str) -> None:
        """``username`` stays a member of the case but no longer leads it: a lead or one admin."""
        self._end(case_reference, username, lead_only=True)

    def _end(self, case_reference: str, username: str, lead_only: bool) -> None:
        not_self(self.ctx, username, Message("case membership"))
        case_id, _leads = self._leads_or_admin(case_reference)
        tables: tuple[type[CaseLeadRow] | type[CaseMemberRow], ...] = (
            (CaseLeadRow,) if lead_only else (CaseMemberRow, CaseLeadRow)
        )
        with write_session(self._engine) as session:
            rows = [
                row
                for table in tables
                # Locked: of two removals at once the second finds nothing left to remove.
                for row in session.scalars(
                    select(table)
                    .where(table.case_id == case_id, table.username == username)
                    .with_for_update()
                )
            ]
            if not any(isinstance(row, tables[0]) for row in rows):
                missing = (
                    Message(
                        "{username} does not lead case {reference}.",
                        username=username,
                        reference=case_reference,
                    )
                    if lead_only
                    else Message(
                        "{username} is not a member of case {reference}.",
                        username=username,
                        reference=case_reference,
                    )
                )
                raise NotFound(missing)
            for row in rows:
                session.delete(row)
            append_event(
                session, actor=self._actor(), object_type="case", object_id=case_reference,
                action="case.lead_remove" if lead_only else "case.member_remove",
                details={"user": username},
            )  # fmt: skip

    def members(self, case_reference: str) -> list[CaseMember]:
        """The members of a case (and who leads it): for its members and for admins."""
        case_id = self.ctx.case_id(case_reference)
        user, access = self.ctx.user, self.ctx.access
        if not (user.may("case.members") or access.allowed("case.view", case_id)):
            access.require("case.view", case_id, case_label=case_reference)
        case_id = self._known(case_id, case_reference)
        with read_session(self._engine) as session:
            leads = set(
                session.scalars(select(CaseLeadRow.username).where(CaseLeadRow.case_id == case_id))
            )
            rows = session.execute(
                select(CaseMemberRow.username, UserRow.display_name)
                .outerjoin(UserRow, UserRow.username == CaseMemberRow.username)
                .where(CaseMemberRow.case_id == case_id)
                .order_by(CaseMemberRow.username)
            )
            return [CaseMember(name, display or "", name in leads) for name, display in rows]

    def led_cases(self) -> list[str]:
        """References of the cases the user leads (where they may grant membership)."""
        user = self.ctx.user
        if user.system or not user.may("case.lead"):
            return []
        with read_session(self._engine) as session:
            rows = session.scalars(
                select(CaseRow.reference)
                .join(CaseLeadRow, CaseLeadRow.case_id == CaseRow.id)
                .join(
                    CaseMemberRow,
                    (CaseMemberRow.case_id == CaseRow.id)
                    & (CaseMemberRow.username == CaseLeadRow.username),
                )
                .where(CaseLeadRow.username == user.username)
                .order_by(CaseRow.reference)
            )
            return list(rows)
