"""The user's side of an admin's password reset.

A reset (``AccountService.reset_password``) is a ``password_resets`` row: web sessions signed in
before it end (``AccountService.principal`` with ``signed_in_at``), and until the person chooses
a password of their own (``change_password``) their principal may do nothing else
(``Principal.must_change_password``); at that sign-in they are told who reset it and when
(``pending_reset``). Every change is an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bsu_models.core.access import Principal
from bsu_models.core.audit import append_event
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import read_session, write_session
from bsu_models.core.errors import AccessDenied, InvalidInput, LoginFailed
from bsu_models.core.orm import PasswordResetRow, UserRow


@dataclass(frozen=True)
class PasswordReset:
    """An admin's reset of a user's password that the user has not yet followed by choosing
    their own (shown to them at their next sign-in)."""

    username: str
    reset_by: str
    reset_at: datetime


def last_reset(session: Any, username: str) -> PasswordResetRow | None:
    """The user's latest password reset, if any."""
    return session.scalars(
        select(PasswordResetRow)
        .where(PasswordResetRow.username == username)
        .order_by(PasswordResetRow.id.desc())
        .limit(1)
    ).first()


def signed_in_principal(row: UserRow, last: PasswordResetRow | None) -> Principal:
    """The principal of a signed-in person: until they follow a reset with a password of their
    own, they must change it before anything else."""
    return Principal(
        row.username,
        row.display_name,
        frozenset(row.roles),
        row.language,
        must_change_password=last is not None and last.changed_at is None,
    )


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class PasswordResets:
    """Mixed into ``AccountService``, which provides the catalogue and the hashing."""

    ctx: ServiceContext

    @property
    def _engine(self) -> Any:
        return self.ctx.engine

    def _admin(self) -> str:
        raise NotImplementedError

    def _new_hash(self, password: str) -> str:
        raise NotImplementedError

    @staticmethod
    def _password_ok(row: UserRow, password: str) -> bool:
        raise NotImplementedError

    def pending_reset(self, username: str) -> PasswordReset | None:
        """The admin's reset the user has not yet followed with a password of their own (who
        and when, to show at their sign-in); the user themself or an admin."""
        if self.ctx.user.username != username:
            self._admin()
        with read_session(self._engine) as session:
            last = last_reset(session, username)
            if last is None or last.changed_at is not None:
                return None
            return PasswordReset(username, last.reset_by, _aware(last.reset_at))

    def change_password(self, username: str, current: str, new: str) -> None:
        """The user chooses a new password (after an admin's reset: before anything else)."""
        user = self.ctx.user
        if user.system or user.username != username:
            raise AccessDenied("{who} may change only their own password.", who=user.username)
        hashed = self._new_hash(new)
        if new == current:
            raise InvalidInput("Choose a password other than the one the admin gave you.")
        with write_session(self._engine) as session:
            row = session.scalars(
                select(UserRow).where(UserRow.username == username).with_for_update()
            ).first()
            ok = row is not None and bool(row.password_hash) and self._password_ok(row, current)
            if ok:
                assert row is not None
                row.password_hash = hashed
                now = datetime.now(UTC)
                for reset in session.scalars(
                    select(PasswordResetRow).where(
                        PasswordResetRow.username == username, PasswordResetRow.changed_at.is_(None)
                    )
                ):
                    reset.changed_at = now
            append_event(
                session,
                actor=username,
                action="user.password_change",
                object_type="user",
                object_id=username,
                outcome="ok" if ok else "failed",
                details={},
            )
        if not ok:
            raise LoginFailed("The current password is wrong.")
