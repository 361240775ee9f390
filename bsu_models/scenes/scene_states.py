"""Where a scene stands apart from its content: its name, and whether it is archived.

Renaming makes a new revision (the name is part of the document). Archiving is a state, kept in
``scene_states`` (rows only added, each audited): an archived scene leaves the lists and takes
no changes until restored; nothing of it is deleted. Names are unique on a model version.
``SceneStates`` is the half of ``SceneService`` that does this.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bsu_models.core.audit import append_event
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import write_session
from bsu_models.core.errors import Conflict, Message
from bsu_models.core.orm import SceneRow, SceneStateRow
from bsu_models.core.records import SceneInfo
from bsu_models.scenes.scene_items import check_label
from bsu_models.scenes.scene_model import SceneDoc


def refuse_if_archived(row: SceneRow) -> None:
    if row.states and row.states[-1].archived:
        raise Conflict(
            "Scene {scene_id} ({name}) is archived; restore it to change it.",
            scene_id=row.id,
            name=row.name,
        )


def refuse_taken_name(session: Session, version_id: int, name: str, scene_id: int = 0) -> None:
    """One name per scene on a model version (archived scenes keep theirs), so that a list,
    a book or a court reference names one scene."""
    taken = session.scalars(
        select(SceneRow.id).where(
            SceneRow.version_id == version_id, SceneRow.name == name, SceneRow.id != scene_id
        )
    ).first()
    if taken is not None:
        raise Conflict(
            "Scene {scene_id} on this model version is already called {name!r}; choose "
            "another name.",
            scene_id=taken,
            name=name,
        )


class SceneStates:
    """Rename, archive and restore; mixed into ``SceneService``, which provides the rest."""

    ctx: ServiceContext

    def require(self, scene_id: int, action: str) -> None:
        raise NotImplementedError

    def info(self, scene_id: int) -> SceneInfo:
        raise NotImplementedError

    def document(self, scene_id: int, revision: int | None = None) -> SceneDoc:
        raise NotImplementedError

    def save(
        self,
        scene_id: int,
        doc: SceneDoc,
        base_revision: int,
        summary: str = "",
        actor: str | None = None,
    ) -> SceneInfo:
        raise NotImplementedError

    def _actor(self, actor: str | None) -> str:
        raise NotImplementedError

    def _row(self, session: Session, scene_id: int, lock: bool = False) -> SceneRow:
        raise NotImplementedError

    def _written(self, session: Session, scene_id: int) -> SceneInfo:
        raise NotImplementedError

    def rename(self, scene_id: int, name: str, actor: str | None = None) -> SceneInfo:
        """The scene under a new name: the next revision, its document renamed."""
        self.require(scene_id, "scene.edit")
        info = self.info(scene_id)
        doc = self.document(scene_id)
        renamed = SceneDoc(**{**doc.__dict__, "name": check_label(name, Message("Scene name"))})
        return self.save(scene_id, renamed, info.revision, actor=actor)

    def set_archived(self, scene_id: int, archived: bool, actor: str | None = None) -> SceneInfo:
        """Archive a scene (put it aside: out of the lists, no more changes) or restore it.
        Nothing is deleted: revisions, freeze and exhibits stay as they are, and each change
        of state is recorded and audited."""
        self.require(scene_id, "scene.edit")
        actor = self._actor(actor)
        with write_session(self.ctx.engine) as session:
            row = self._row(session, scene_id, lock=True)
            current = bool(row.states) and row.states[-1].archived
            if current and archived:
                raise Conflict(
                    "Scene {scene_id} ({name}) is already archived.",
                    scene_id=scene_id,
                    name=row.name,
                )
            if not current and not archived:
                raise Conflict(
                    "Scene {scene_id} ({name}) is not archived.",
                    scene_id=scene_id,
                    name=row.name,
                )
            session.add(SceneStateRow(scene_id=row.id, archived=archived, changed_by=actor))
            append_event(
                session,
                actor=actor,
                action="scene.archive" if archived else "scene.restore",
                object_type="scene",
                object_id=str(scene_id),
                details={"revision": row.current_revision},
            )
            return self._written(session, scene_id)
