"""Who may do what: roles, the actions each role allows, and case membership.

Every service method that reads or changes case material asks ``AccessControl.require`` first,
so the web pages, the command line and any direct address go through the same check. A refusal
is an audit event (outcome ``refused``) and raises ``AccessDenied``.

Rules: an action is allowed when one of the user's roles grants it (``PERMISSIONS``) and, for
case material, the user is a member of that case. Being an admin grants user and membership
management only, never the evidence itself. The *system* principal (the set-up and maintenance
identity used by the start script, the demo loader and tests, and by the command line before any
account exists) passes every check and is recorded under its own name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from bsu_models.audit import append_event
from bsu_models.db import read_session, write_session
from bsu_models.errors import AccessDenied, Message
from bsu_models.orm import CaseMemberRow

ROLES: dict[str, str] = {
    "modeller": "Modeller: uploads and manages models",
    "investigator": "Investigator: scenes on cases they are members of",
    "presenter": "Presenter: presentation and court exhibits",
    "media_officer": "Media officer: requests public posts",
    "approver": "Approver: approves or rejects public posts",
    "auditor": "Auditor: reads the audit log only",
    "admin": "Admin: users and case membership (no access to evidence)",
}
_CASE_READERS = frozenset({"modeller", "investigator", "presenter", "media_officer", "approver"})

# action -> (roles that may do it, whether it is about one case's material)
PERMISSIONS: dict[str, tuple[frozenset[str], bool]] = {
    "case.create": (frozenset({"modeller", "admin"}), False),
    "case.view": (_CASE_READERS, True),
    "model.import": (frozenset({"modeller"}), True),
    "model.download": (frozenset({"modeller", "investigator", "presenter"}), True),
    "scene.view": (_CASE_READERS, True),
    "scene.edit": (frozenset({"investigator"}), True),
    "scene.export": (frozenset({"investigator", "presenter"}), True),
    "scene.freeze": (frozenset({"presenter"}), True),
    "render": (frozenset({"modeller", "investigator", "presenter"}), True),
    "exhibit.export": (frozenset({"presenter"}), True),
    "post.request": (frozenset({"media_officer"}), True),
    "post.decide": (frozenset({"approver"}), True),
    "post.download": (frozenset({"media_officer", "approver"}), True),
    "audit.read": (frozenset({"auditor"}), False),
    "integrity.verify": (frozenset({"auditor", "admin"}), False),
    "integrity.gc": (frozenset({"admin"}), False),
    "user.manage": (frozenset({"admin"}), False),
    "case.members": (frozenset({"admin"}), False),
}


@dataclass(frozen=True)
class Principal:
    """The person (or the system) on whose behalf the catalogue acts."""

    username: str
    display_name: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)
    language: str = ""
    system: bool = False

    def has_role(self, role: str) -> bool:
        return self.system or role in self.roles

    def may(self, action: str) -> bool:
        """Whether a role allows ``action`` (case membership is checked separately)."""
        roles, _case_bound = PERMISSIONS[action]
        return self.system or bool(self.roles & roles)


def system_principal(name: str) -> Principal:
    return Principal(name, "System", frozenset(ROLES), system=True)


#: What each action lets a user do, as the end of a refusal ("alice may not <words>").
_ACTION_WORDS: dict[str, Message] = {
    "case.create": Message("create cases"),
    "case.view": Message("see its models"),
    "model.import": Message("upload models"),
    "model.download": Message("download original files"),
    "scene.view": Message("see its scenes"),
    "scene.edit": Message("change scenes"),
    "scene.export": Message("export scenes"),
    "scene.freeze": Message("freeze scenes for court"),
    "render": Message("render pictures"),
    "exhibit.export": Message("make court exhibits"),
    "post.request": Message("request public posts"),
    "post.decide": Message("approve or reject public posts"),
    "post.download": Message("download public posts"),
    "audit.read": Message("read the audit log"),
    "integrity.verify": Message("run the integrity check"),
    "user.manage": Message("manage users"),
    "case.members": Message("manage case membership"),
}


def _action_words(action: str) -> Message:
    return _ACTION_WORDS[action]


def _either(roles: list[str]) -> str | Message:
    """``a or b or c``, with "or" in the reader's language (role names are not translated)."""
    if len(roles) <= 1:
        return "".join(roles)
    return Message("{role} or {others}", role=roles[0], others=_either(roles[1:]))


class AccessControl:
    """Role and membership checks for one principal on one database."""

    def __init__(self, engine: Engine, principal: Principal) -> None:
        self.engine = engine
        self.principal = principal

    def member_case_ids(self) -> set[int] | None:
        """Ids of the cases the principal belongs to; None for the system (all cases)."""
        if self.principal.system:
            return None
        with read_session(self.engine) as session:
            rows = session.scalars(
                select(CaseMemberRow.case_id).where(
                    CaseMemberRow.username == self.principal.username
                )
            )
            return set(rows)

    def allowed(self, action: str, case_id: int | None = None) -> bool:
        roles, case_bound = PERMISSIONS[action]
        if self.principal.system:
            return True
        if not self.principal.roles & roles:
            return False
        if case_bound:
            # No case (e.g. one that does not exist yet) is nobody's case: refused.
            return case_id is not None and case_id in (self.member_case_ids() or set())
        return True

    def require(
        self,
        action: str,
        case_id: int | None = None,
        *,
        object_type: str = "case",
        object_id: str = "",
        case_label: str = "",
    ) -> None:
        """Raise ``AccessDenied`` (and record the refusal) unless ``action`` is allowed."""
        if self.allowed(action, case_id):
            return
        roles, _ = PERMISSIONS[action]
        who = self.principal.username
        if not self.principal.roles & roles:
            refusal = Message(
                "{who} may not {action}: that needs the role {roles}.",
                who=who,
                action=_action_words(action),
                roles=_either(sorted(roles)),
            )
        else:
            refusal = Message(
                "{who} is not a member of case {case}; only its members may {action}.",
                who=who,
                case=case_label or case_id,
                action=_action_words(action),
            )
        with write_session(self.engine) as session:
            append_event(
                session,
                actor=who,
                action=action,
                object_type=object_type,
                object_id=object_id or str(case_id or ""),
                outcome="refused",
                details={"reason": str(refusal), "case": case_id},
            )
        raise AccessDenied(refusal)
