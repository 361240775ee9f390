"""Who may do what: roles, the actions each role allows, and case membership.

Every service method that reads or changes case material asks ``AccessControl.require`` first,
so the web pages, the command line and any direct address go through the same check. A refusal
is an audit event (outcome ``refused``) and raises ``AccessDenied``.

Rules: an action is allowed when one of the user's roles grants it (``PERMISSIONS``, the one
role table; ``role_table_markdown`` renders it for the README) and, for case material, the user
is a member of that case (for granting membership: a member who leads it). Being an admin
grants user management only, and case membership only with a second admin's approval, never the
evidence itself. The *system* principal (the set-up and maintenance
identity used by the start script, the demo loader and tests, and by the command line before any
account exists) passes every check and is recorded under its own name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from bsu_models.core.audit import record_event
from bsu_models.core.db import read_session
from bsu_models.core.errors import AccessDenied, Message
from bsu_models.core.orm import CaseLeadRow, CaseMemberRow

ROLES: dict[str, str] = {
    "modeller": "Modeller: uploads and manages models",
    "investigator": "Investigator: scenes on cases they are members of",
    "presenter": "Presenter: presentation and court exhibits",
    "media_officer": "Media officer: requests public posts",
    "approver": "Approver: approves or rejects public posts",
    "auditor": "Auditor: reads the audit log only",
    "admin": "Admin: users and case membership (no access to evidence)",
    "reviewer": "Reviewer: technical review of scene revisions before they are frozen",
}
#: Roles that read whole scenes (sensitive entities and history included) of member cases.
_SCENE_READERS = frozenset({"modeller", "investigator", "presenter", "approver", "reviewer"})
#: Roles that may be members of a case and see its models.
_CASE_READERS = _SCENE_READERS | {"media_officer"}

#: The membership an action needs: none, membership of the case, or leading the case.
ANY, MEMBER, LEAD = False, True, "lead"

#: The one role table: action -> (roles that may do it, the case membership it needs).
#: ``MEMBER`` and ``LEAD`` actions are about one case's material: the user must be a member
#: (``LEAD``: a member who leads it) of that case as well as hold one of the roles.
PERMISSIONS: dict[str, tuple[frozenset[str], bool | str]] = {
    "case.create": (frozenset({"modeller", "admin"}), ANY),
    "case.view": (_CASE_READERS, MEMBER),
    "model.import": (frozenset({"modeller"}), MEMBER),
    "model.download": (frozenset({"modeller", "investigator", "presenter"}), MEMBER),
    "scene.view": (_SCENE_READERS, MEMBER),
    "scene.view_public": (frozenset({"media_officer"}), MEMBER),
    "scene.edit": (frozenset({"investigator"}), MEMBER),
    "scene.export": (frozenset({"investigator", "presenter"}), MEMBER),
    "scene.freeze": (frozenset({"presenter"}), MEMBER),
    "render": (frozenset({"modeller", "investigator", "presenter"}), MEMBER),
    "exhibit.export": (frozenset({"presenter"}), MEMBER),
    "post.request": (frozenset({"media_officer"}), MEMBER),
    "post.decide": (frozenset({"approver"}), MEMBER),
    "post.download": (frozenset({"media_officer", "approver"}), MEMBER),
    "audit.read": (frozenset({"auditor"}), ANY),
    "integrity.verify": (frozenset({"auditor", "admin"}), ANY),
    "integrity.gc": (frozenset({"admin"}), ANY),
    "user.manage": (frozenset({"admin"}), ANY),
    "case.members": (frozenset({"admin"}), ANY),
    "case.lead": (_CASE_READERS, LEAD),
    "model.print": (frozenset({"modeller", "investigator", "presenter"}), MEMBER),
    "scene.review": (frozenset({"reviewer"}), MEMBER),
    "db.upgrade": (frozenset({"admin"}), ANY),
}


@dataclass(frozen=True)
class Principal:
    """The person (or the system) on whose behalf the catalogue acts.

    ``must_change_password``: an admin reset the password; until the person chooses a new one
    they may do nothing else.
    """

    username: str
    display_name: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)
    language: str = ""
    system: bool = False
    must_change_password: bool = False

    def has_role(self, role: str) -> bool:
        return self.system or role in self.roles

    def may(self, action: str) -> bool:
        """Whether a role allows ``action`` (case membership is checked separately)."""
        return self.refusal(action) is None

    def refusal(self, action: str) -> Message | None:
        """Why the user's roles do not allow ``action`` (a sentence to show beside a control
        they may not use); None when they do (case membership is checked separately)."""
        roles, _membership = PERMISSIONS[action]
        if self.system:
            return None
        if self.must_change_password:
            return Message(
                "{who} must choose a new password before anything else.", who=self.username
            )
        if not self.roles & roles:
            return Message(
                "{who} may not {action}: that needs the role {roles}.",
                who=self.username,
                action=_action_words(action),
                roles=_either(sorted(roles)),
            )
        return None


def system_principal(name: str) -> Principal:
    return Principal(name, "System", frozenset(ROLES), system=True)


#: What each action lets a user do, as the end of a refusal ("alice may not <words>").
_ACTION_WORDS: dict[str, Message] = {
    "case.create": Message("create cases"),
    "case.view": Message("see its models"),
    "model.import": Message("upload models"),
    "model.download": Message("download original files"),
    "scene.view": Message("see its scenes"),
    "scene.view_public": Message("see the public form of its scenes"),
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
    "integrity.gc": Message("remove stored bytes no row refers to"),
    "user.manage": Message("manage users"),
    "case.members": Message("request, approve or end case membership"),
    "case.lead": Message("grant membership of the case"),
    "model.print": Message("export printable physical models"),
    "scene.review": Message("make the technical review of a scene revision for court"),
    "db.upgrade": Message("upgrade the catalogue database to this release"),
}

_MEMBERSHIP_WORDS = {ANY: "yes", MEMBER: "member", LEAD: "lead"}


def role_table_markdown() -> str:
    """The role table as Markdown (what the README shows): one row per action, one column per
    role; a cell says whether the role allows it anywhere (yes), on cases the user is a member
    of (member) or on cases they lead (lead)."""
    roles = list(ROLES)
    lines = [
        "| action | " + " | ".join(r.replace("_", " ") for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for action, (allowed, membership) in PERMISSIONS.items():
        word = _MEMBERSHIP_WORDS[membership]
        cells = [word if role in allowed else "" for role in roles]
        lines.append(f"| {_action_words(action)} (`{action}`) | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


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

    def _leads(self, case_id: int) -> bool:
        with read_session(self.engine) as session:
            return (
                session.scalar(
                    select(CaseLeadRow.id).where(
                        CaseLeadRow.case_id == case_id,
                        CaseLeadRow.username == self.principal.username,
                    )
                )
                is not None
            )

    def refusal(
        self, action: str, case_id: int | None = None, case_label: str = ""
    ) -> Message | None:
        """Why ``action`` (on case ``case_id``) is not allowed; None when it is."""
        reason = self.principal.refusal(action)
        _roles, membership = PERMISSIONS[action]
        if reason is not None or self.principal.system or not membership:
            return reason
        who, case = self.principal.username, case_label or case_id
        # No case (e.g. one that does not exist yet) is nobody's case: refused.
        if case_id is None or case_id not in (self.member_case_ids() or set()):
            return Message(
                "{who} is not a member of case {case}; only its members may {action}.",
                who=who,
                case=case,
                action=_action_words(action),
            )
        if membership == LEAD and not self._leads(case_id):
            return Message(
                "{who} does not lead case {case}; only its leads may {action}.",
                who=who,
                case=case,
                action=_action_words(action),
            )
        return None

    def allowed(self, action: str, case_id: int | None = None) -> bool:
        return self.refusal(action, case_id) is None

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
        refusal = self.refusal(action, case_id, case_label)
        if refusal is None:
            return
        who = self.principal.username
        record_event(
            self.engine,
            actor=who,
            action=action,
            object_type=object_type,
            object_id=object_id or str(case_id or ""),
            outcome="refused",
            details={"reason": str(refusal), "case": case_id},
        )
        raise AccessDenied(refusal)
