"""Accounts: local users with argon2id password hashes, roles, lockout and case membership.

Passwords are never stored, only argon2id hashes (``argon2-cffi``'s defaults, re-hashed when
those defaults grow). After ``LOCKOUT_FAILURES`` wrong passwords in a row an account is locked
for ``LOCKOUT_MINUTES``. Every sign-in, failed or not, is an audit event. Users, roles and
memberships are managed by admins; single sign-on maps the provider's group claims to roles.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bsu_models.core import limits
from bsu_models.core.access import ROLES, Principal
from bsu_models.core.audit import append_event
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import read_session, write_retrying, write_session
from bsu_models.core.errors import (
    Conflict,
    InvalidInput,
    LoginFailed,
    Message,
    NotFound,
)
from bsu_models.core.i18n import LANGUAGES
from bsu_models.core.orm import CaseLeadRow, CaseMemberRow, CaseRow, PasswordResetRow, UserRow
from bsu_models.core.text import check_length, clean_line
from bsu_models.people.membership import MembershipRequest, MembershipService, not_self
from bsu_models.people.password_reset import PasswordResets, last_reset, signed_in_principal

LOGIN_FAILED = Message(
    "The name or password is wrong, or the account is locked for a while after repeated "
    "failures; an admin can unlock it by resetting the password."
)
LOCKOUT_FAILURES = 5
LOCKOUT_MINUTES = 15
IDLE_MINUTES = 30
MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(rf"^[a-z0-9][a-z0-9._-]{{1,{limits.USERNAME - 1}}}$")
# What the audit log records for a name typed at sign-in that belongs to no account: it may be
# a password typed in the wrong box, or text meant for whoever reads the log.
UNKNOWN_NAME = "(unknown name)"
_HASHER = PasswordHasher()  # argon2id


@cache
def _dummy_hash() -> str:
    # Checked against when the name is unknown, so a wrong name costs as long as a wrong password.
    return _HASHER.hash("not a password of anyone")


@dataclass(frozen=True)
class UserInfo:
    username: str
    display_name: str
    roles: tuple[str, ...]
    language: str
    active: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    cases: tuple[str, ...]
    lead_cases: tuple[str, ...] = ()


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise InvalidInput(
            "User name {username!r} must be 2-64 lower-case letters, digits, '.', '_' or '-'.",
            username=username,
        )
    return name


def check_roles(roles: Iterable[str]) -> list[str]:
    chosen = sorted(set(roles))
    unknown = [r for r in chosen if r not in ROLES]
    if unknown:
        raise InvalidInput(
            "Role {role!r} is not one of {roles}.", role=unknown[0], roles=", ".join(ROLES)
        )
    return chosen


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            "A password needs at least {minimum} characters; this one has {length}.",
            minimum=MIN_PASSWORD_LENGTH,
            length=len(password),
        )
    return password


def idle_expired(last_seen: datetime, now: datetime | None = None) -> bool:
    """Whether a web session last active at ``last_seen`` has been idle too long."""
    now = now or datetime.now(UTC)
    return now - last_seen > timedelta(minutes=IDLE_MINUTES)


def roles_from_groups(groups: Iterable[str], mapping: Mapping[str, str]) -> list[str]:
    """Roles for a single-sign-on user from the provider's group claim (``group -> role``)."""
    return check_roles(mapping[g] for g in groups if g in mapping)


class AccountService(PasswordResets):
    """Users and case membership of one catalogue; reached as ``catalogue.accounts``."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._memberships = MembershipService(ctx)

    @property
    def _engine(self) -> Any:
        return self.ctx.engine

    def _admin(self) -> str:
        self.ctx.access.require("user.manage", object_type="user")
        return self.ctx.user.username

    def _new_hash(self, password: str) -> str:
        return _HASHER.hash(check_password(password))

    # -- reading --------------------------------------------------------------------------------

    def any_users(self) -> bool:
        with read_session(self._engine) as session:
            return session.scalar(select(UserRow.id).limit(1)) is not None

    def principal(self, username: str, signed_in_at: datetime | None = None) -> Principal:
        """The principal of an active account (for the command line and sign-on).

        ``signed_in_at``: when a web session signed in. A password reset since then ends that
        session (``LoginFailed``), and until the person has chosen a new password after a reset
        the principal may do nothing else (``must_change_password``). Without it (the command
        line, which trusts the server's own login) neither applies.
        """
        with read_session(self._engine) as session:
            row = session.scalars(select(UserRow).where(UserRow.username == username)).first()
            if row is None or not row.active:
                raise LoginFailed("There is no active account {username!r}.", username=username)
            if signed_in_at is None:
                return Principal(row.username, row.display_name, frozenset(row.roles), row.language)
            last = last_reset(session, username)
            if last is not None and _aware(last.reset_at) > _aware(signed_in_at):  # type: ignore[operator]
                raise LoginFailed(
                    "An admin reset your password, which ended this session; sign in again."
                )
            return signed_in_principal(row, last)

    def list_users(self) -> list[UserInfo]:
        if not self.ctx.user.system and not self.ctx.user.has_role("admin"):
            self.ctx.access.require("user.manage", object_type="user")
        with read_session(self._engine) as session:
            members: dict[str, list[str]] = {}
            for username, reference in session.execute(
                select(CaseMemberRow.username, CaseRow.reference).join(
                    CaseRow, CaseRow.id == CaseMemberRow.case_id
                )
            ):
                members.setdefault(username, []).append(reference)
            leads: dict[str, list[str]] = {}
            for username, reference in session.execute(
                select(CaseLeadRow.username, CaseRow.reference).join(
                    CaseRow, CaseRow.id == CaseLeadRow.case_id
                )
            ):
                leads.setdefault(username, []).append(reference)
            return [
                UserInfo(
                    u.username,
                    u.display_name,
                    tuple(u.roles),
                    u.language,
                    u.active,
                    _aware(u.locked_until),
                    _aware(u.last_login_at),
                    tuple(sorted(members.get(u.username, []))),
                    tuple(sorted(leads.get(u.username, []))),
                )
                for u in session.scalars(select(UserRow).order_by(UserRow.username))
            ]

    # -- managing -------------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        password: str,
        roles: Iterable[str],
        display_name: str = "",
        language: str = "",
    ) -> UserInfo:
        admin = self._admin()
        name = check_username(username)
        chosen = check_roles(roles)
        display = clean_line(display_name or name, Message("Display name"))
        if language and language not in LANGUAGES:
            raise InvalidInput(
                "Language {language!r} is not one of {languages}.",
                language=language,
                languages=", ".join(LANGUAGES),
            )
        hashed = _HASHER.hash(check_password(password))

        def create(session: Session) -> None:
            # A second admin adding the same name at once hits the unique key; the retry's
            # check then names the clash.
            if session.scalars(select(UserRow.id).where(UserRow.username == name)).first():
                raise Conflict("User {username} already exists.", username=name)
            session.add(
                UserRow(
                    username=name,
                    display_name=display,
                    password_hash=hashed,
                    roles=chosen,
                    language=language,
                )
            )
            session.flush()
            append_event(
                session,
                actor=admin,
                action="user.create",
                object_type="user",
                object_id=name,
                details={"roles": chosen},
            )

        write_retrying(self._engine, create)
        return self.user_info(name)

    def user_info(self, username: str) -> UserInfo:
        for user in self.list_users():
            if user.username == username:
                return user
        raise NotFound("There is no user {username!r}.", username=username)

    def _update(self, username: str, action: str, details: dict[str, Any], **values: Any) -> None:
        admin = self._admin()
        with write_session(self._engine) as session:
            row = session.scalars(
                select(UserRow).where(UserRow.username == username).with_for_update()
            ).first()
            if row is None:
                raise NotFound("There is no user {username!r}.", username=username)
            for key, value in values.items():
                setattr(row, key, value)
            append_event(
                session,
                actor=admin,
                action=action,
                object_type="user",
                object_id=username,
                details=details,
            )

    def reset_password(self, username: str, password: str) -> None:
        """Set a new password (admin); also lifts a lockout, ends the user's sessions and makes
        them choose a password of their own at the next sign-in."""
        admin = self._admin()  # before the (slow) hashing, which nobody else may set off
        with read_session(self._engine) as session:
            sso = session.scalar(select(UserRow.sso_subject).where(UserRow.username == username))
        if sso:
            # A password would let whoever knows it sign in as the sign-on person.
            raise InvalidInput(
                "{username} signs in through the force's sign-on; no password.", username=username
            )
        hashed = self._new_hash(password)
        with write_session(self._engine) as session:
            row = session.scalars(select(UserRow).where(UserRow.username == username)).first()
            if row is None:
                raise NotFound("There is no user {username!r}.", username=username)
            row.password_hash, row.failed_logins, row.locked_until = hashed, 0, None
            # Ends the user's sessions and makes them choose a new password at sign-in.
            session.add(PasswordResetRow(username=username, reset_by=admin))
            append_event(
                session,
                actor=admin,
                action="user.password_reset",
                object_type="user",
                object_id=username,
                details={"sessions_ended": True, "must_change_password": True},
            )

    def set_roles(self, username: str, roles: Iterable[str]) -> None:
        not_self(self.ctx, username, Message("roles"))
        chosen = check_roles(roles)
        self._update(username, "user.roles", {"roles": chosen}, roles=chosen)

    def set_active(self, username: str, active: bool) -> None:
        self._update(username, "user.active", {"active": active}, active=active)

    def set_language(self, username: str, language: str) -> None:
        """The user's interface language (the user themself may change it)."""
        if language not in LANGUAGES:
            raise InvalidInput(
                "Language {language!r} is not one of {languages}.",
                language=language,
                languages=", ".join(LANGUAGES),
            )
        if self.ctx.user.username != username:
            self._admin()
        with write_session(self._engine) as session:
            row = session.scalars(select(UserRow).where(UserRow.username == username)).first()
            if row is None:
                raise NotFound("There is no user {username!r}.", username=username)
            row.language = language

    def add_member(
        self, case_reference: str, username: str, lead: bool = False
    ) -> MembershipRequest | None:
        """Make ``username`` a member of the case: at once when a lead of the case asks, as a
        request for a second admin when an admin does (``bsu_models.people.membership``)."""
        return self._memberships.add(case_reference, username, lead)

    def remove_member(self, case_reference: str, username: str) -> None:
        self._memberships.remove(case_reference, username)

    # -- signing in -----------------------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> Principal:
        """The principal for a correct name and password; ``LoginFailed`` otherwise.

        The message is the same whether the name is unknown, the password wrong or the account
        locked, and every path checks a hash, so neither words nor timing tell which.
        """
        name = username.strip().lower()
        now = datetime.now(UTC)
        with write_session(self._engine) as session:
            row = (
                session.scalars(
                    select(UserRow).where(UserRow.username == name).with_for_update()
                ).first()
                if _USERNAME.match(name)  # no account has another name; none is looked up
                else None
            )
            if row is None:
                with contextlib.suppress(VerificationError):
                    _HASHER.verify(_dummy_hash(), password)
                # Not the typed text: a short hash of it tells repeated tries apart.
                digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
                self._login_event(
                    session, UNKNOWN_NAME, "failed", "unknown or closed account", digest
                )
            elif not row.active or not row.password_hash:
                with contextlib.suppress(VerificationError):
                    _HASHER.verify(_dummy_hash(), password)
                self._login_event(session, name, "failed", "unknown or closed account")
            elif (locked := _aware(row.locked_until)) is not None and locked > now:
                with contextlib.suppress(VerificationError):
                    _HASHER.verify(_dummy_hash(), password)
                self._login_event(session, name, "refused", "locked")
            elif not self._password_ok(row, password):
                row.failed_logins += 1
                if row.failed_logins >= LOCKOUT_FAILURES:
                    row.locked_until = now + timedelta(minutes=LOCKOUT_MINUTES)
                    row.failed_logins = 0
                self._login_event(session, name, "failed", "wrong password")
            else:
                row.failed_logins = 0
                row.locked_until = None
                row.last_login_at = now
                self._login_event(session, name, "ok", "password")
                return signed_in_principal(row, last_reset(session, row.username))
        raise LoginFailed(LOGIN_FAILED)

    @staticmethod
    def _password_ok(row: UserRow, password: str) -> bool:
        try:
            _HASHER.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if _HASHER.check_needs_rehash(row.password_hash):
            row.password_hash = _HASHER.hash(password)
        return True

    @staticmethod
    def _login_event(
        session: Any, name: str, outcome: str, how: str, name_sha256: str = ""
    ) -> None:
        details = {"method": how} | ({"name_sha256": name_sha256} if name_sha256 else {})
        append_event(
            session,
            actor=name or "(no name)",
            action="login",
            object_type="user",
            object_id=name,
            outcome=outcome,
            details=details,
        )

    def sign_on(self, claims: Mapping[str, Any], group_roles: Mapping[str, str]) -> Principal:
        """The principal for a user signed in by the force's OpenID Connect provider.

        The account is created or updated from the claims; its roles are those the provider's
        ``groups`` claim maps to, so removing someone from a group removes the role at their
        next sign-in. Case membership is still granted by an admin here.
        """
        subject = f"{claims.get('iss', '')}|{claims.get('sub', '')}"
        if not claims.get("sub"):
            raise LoginFailed("The sign-on provider gave no subject (sub) for this person.")
        check_length(subject, Message("The sign-on subject"), limits.SSO_SUBJECT)
        raw = str(claims.get("preferred_username") or claims.get("email") or "")
        name = check_username(raw.split("@")[0])
        roles = roles_from_groups(claims.get("groups") or (), group_roles)
        display = clean_line(str(claims.get("name") or name), Message("Display name"))

        def sign(session: Session) -> tuple[Principal | None, str | None]:
            # Two first sign-ons at once meet at the unique subject; the retry finds the first.
            row = session.scalars(select(UserRow).where(UserRow.sso_subject == subject)).first()
            clash = None
            if row is None:
                taken = session.scalars(select(UserRow).where(UserRow.username == name)).first()
                if taken is not None:
                    # Never attach a sign-on to an existing account: that would hand over its
                    # cases (and a local account's password would no longer be needed).
                    clash = name
                else:
                    row = UserRow(
                        username=name, display_name=display, password_hash="", roles=roles,
                        active=True, sso_subject=subject,
                    )  # fmt: skip
                    session.add(row)
            if row is None:
                self._login_event(session, name, "refused", "single sign-on, name taken")
            elif not row.active:
                self._login_event(session, name, "refused", "single sign-on, closed account")
            else:
                row.roles, row.display_name = roles, display
                row.last_login_at = datetime.now(UTC)
                self._login_event(session, name, "ok", "single sign-on")
                return Principal(row.username, display, frozenset(roles), row.language), None
            return None, clash

        principal, clash = write_retrying(self._engine, sign)
        if principal is not None:
            return principal
        # Raised after the commit, so the refusal stays in the audit log.
        if clash:
            raise LoginFailed(
                "The name {username} already belongs to another account; an admin must resolve "
                "it before this sign-on can be used.",
                username=clash,
            )
        raise LoginFailed("Account {username} is closed.", username=name)
