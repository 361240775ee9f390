"""What every service receives: the database engine, the blob store, the settings and the
person acting, with their access checks.

Services (scenes, stills, exhibits, accounts, posts) take a ``ServiceContext`` instead of the
``Catalogue`` façade, so nothing below the façade depends on it; the façade builds one context
and hands it to each service it composes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from bsu_models.core import limits
from bsu_models.core.access import AccessControl, Principal
from bsu_models.core.blobstore import BlobStore
from bsu_models.core.db import read_session
from bsu_models.core.errors import Message
from bsu_models.core.orm import CaseRow
from bsu_models.core.settings import Settings
from bsu_models.core.text import check_length


@dataclass(frozen=True)
class ServiceContext:
    """One catalogue's engine, blob store and settings, acting for ``user``."""

    engine: Engine
    blobs: BlobStore
    settings: Settings
    user: Principal
    access: AccessControl = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "access", AccessControl(self.engine, self.user))

    def as_user(self, user: Principal) -> ServiceContext:
        """The same catalogue acting for ``user``."""
        return ServiceContext(self.engine, self.blobs, self.settings, user)

    def actor_name(self, actor: str | None = None) -> str:
        """Who an action is recorded under: the signed-in user, whatever a caller passes;
        for the system, the name given or the configured one."""
        if not self.user.system:
            return self.user.username
        return check_length(actor or self.settings.actor, Message("The actor name"), limits.ACTOR)

    def case_id(self, reference: str) -> int | None:
        """The database id of case ``reference``; None when there is no such case."""
        with read_session(self.engine) as session:
            return session.scalar(select(CaseRow.id).where(CaseRow.reference == reference))

    def require_case(
        self, action: str, reference: str, object_type: str = "case", object_id: str = ""
    ) -> None:
        """Refuse (and record) ``action`` on case ``reference`` unless the user may do it."""
        self.access.require(
            action,
            self.case_id(reference),
            object_type=object_type,
            object_id=object_id or reference,
            case_label=reference,
        )

    def refusal(self, action: str, case: str | None = None) -> Message | None:
        """Why the user may not do ``action`` (on case ``case``), as a sentence to show beside
        a control they may not use; None when they may. Records nothing."""
        return self.access.refusal(action, self.case_id(case) if case else None, case or "")
