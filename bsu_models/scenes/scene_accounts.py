"""Competing accounts side by side: two scenes on the same model version compared step by step.

Each account is a scene (e.g. "Prosecution sequence" and "Defence account", or witness A and
witness B) at its current revision. Steps are paired by their number in each scene's order.
Entities are paired by their id when both scenes hold that id (a copied scene keeps its ids),
else by an identical label; each row says which (``matched_by``), and an entity of one account
only is listed with ``matched_by`` empty. For an entity placed at a step in both accounts the
distance between the two positions is a measurement like any other: in metres where the units
and scale are known, with the ± of two placed points from the mesh resolution
(``SceneAnalysis.measure``). Comparing scenes on different model versions is refused: their
coordinates are not the same space.

``SceneAccounts`` is mixed into ``SceneService``, which provides the look-ups.
"""

from __future__ import annotations

from sqlalchemy import Engine

from bsu_models.core.audit import append_event
from bsu_models.core.db import write_session
from bsu_models.core.errors import InvalidInput
from bsu_models.core.i18n import DEFAULT_LANGUAGE, N_, translator
from bsu_models.core.records import (
    AccountDifference,
    AccountsComparison,
    MeasuredValue,
    RevisionInfo,
    SceneInfo,
)
from bsu_models.scenes.scene_items import Anchor, Entity, Measurement
from bsu_models.scenes.scene_model import SceneDoc

#: How two entities were paired, in words (translated where shown).
MATCH_WORDS = {"id": N_("by id"), "label": N_("by label"), "": N_("unmatched")}
ACCOUNT_MATCH_WORDS = MATCH_WORDS  # the name the package exports


def account_text(row: AccountDifference, lang: str = DEFAULT_LANGUAGE) -> str:
    """The row's distance with its ±, or why there is none, in ``lang``."""
    _ = translator(lang).gettext
    if row.distance is not None:
        return row.distance.text_in(lang)
    if not row.label_b:
        return _("only in account A")
    if not row.label_a:
        return _("only in account B")
    return _("placed only in account A") if row.placed_a else _("placed only in account B")


def require_same_version(a: SceneInfo, b: SceneInfo) -> None:
    """Refuse two accounts on different model versions: their coordinates are not one space."""
    if a.version_id != b.version_id:
        raise InvalidInput(
            "Scene {a} is on model version {version_a} and scene {b} on version "
            "{version_b}; accounts are compared only on the same model version.",
            a=a.scene_id,
            b=b.scene_id,
            version_a=a.version_id,
            version_b=b.version_id,
        )


def pair_entities(a: SceneDoc, b: SceneDoc) -> list[tuple[Entity | None, Entity | None, str]]:
    """``(entity of A, entity of B, "id" | "label" | "")``: by id first, then by label; the
    entities of one account only come last, with ``""``."""
    b_by_id = {e.id: e for e in b.entities}
    taken: set[str] = set()
    pairs: list[tuple[Entity | None, Entity | None, str]] = []
    alone_a = []
    for entity in a.entities:
        if entity.id in b_by_id:
            pairs.append((entity, b_by_id[entity.id], "id"))
            taken.add(entity.id)
        else:
            alone_a.append(entity)
    for entity in alone_a:
        match = next((e for e in b.entities if e.id not in taken and e.label == entity.label), None)
        if match is None:
            pairs.append((entity, None, ""))
        else:
            pairs.append((entity, match, "label"))
            taken.add(match.id)
    pairs += [(None, e, "") for e in b.entities if e.id not in taken]
    return pairs


class SceneAccounts:
    """Accounts compared; mixed into ``SceneService``, which provides the look-ups."""

    @property
    def _engine(self) -> Engine:
        raise NotImplementedError

    def info(self, scene_id: int) -> SceneInfo:
        raise NotImplementedError

    def require(self, scene_id: int, action: str) -> None:
        raise NotImplementedError

    def document(self, scene_id: int, revision: int | None = None) -> SceneDoc:
        raise NotImplementedError

    def history(self, scene_id: int) -> list[RevisionInfo]:
        raise NotImplementedError

    def _actor(self, actor: str | None) -> str:
        raise NotImplementedError

    def measure(
        self, scene_id: int, measurement: Measurement, revision: int | None = None
    ) -> MeasuredValue:
        raise NotImplementedError

    def compare_accounts(
        self, scene_a: int, scene_b: int, actor: str | None = None
    ) -> AccountsComparison:
        """Scenes ``scene_a`` and ``scene_b`` (current revisions) compared step by step."""
        self.require(scene_a, "scene.view")
        self.require(scene_b, "scene.view")
        info_a, info_b = self.info(scene_a), self.info(scene_b)
        if scene_a == scene_b:
            raise InvalidInput("Compare two different scenes (both are {scene}).", scene=scene_a)
        require_same_version(info_a, info_b)
        doc_a, doc_b = self.document(scene_a), self.document(scene_b)
        rows = []
        pairs = pair_entities(doc_a, doc_b)
        for number in range(1, max(len(doc_a.steps), len(doc_b.steps)) + 1):
            step_a = doc_a.steps[number - 1] if number <= len(doc_a.steps) else None
            step_b = doc_b.steps[number - 1] if number <= len(doc_b.steps) else None
            for ea, eb, matched_by in pairs:
                pa = doc_a.position(ea.id, step_a.id) if ea and step_a else None
                pb = doc_b.position(eb.id, step_b.id) if eb and step_b else None
                if pa is None and pb is None:
                    continue
                distance = None
                if pa is not None and pb is not None:
                    distance = self.measure(
                        scene_a,
                        Measurement(
                            "accounts",
                            "distance",
                            f"{ea.label if ea else ''}",
                            a=Anchor(point=pa.point),
                            b=Anchor(point=pb.point),
                        ),
                    )
                rows.append(
                    AccountDifference(
                        step=number,
                        step_a=step_a.title if step_a else "",
                        step_b=step_b.title if step_b else "",
                        label_a=ea.label if ea else "",
                        label_b=eb.label if eb else "",
                        matched_by=matched_by,
                        placed_a=pa is not None,
                        placed_b=pb is not None,
                        distance=distance,
                    )
                )
        sha_a = self.history(scene_a)[-1].sha256
        sha_b = self.history(scene_b)[-1].sha256
        with write_session(self._engine) as session:
            append_event(
                session,
                actor=self._actor(actor),
                action="scene.compare_accounts",
                object_type="scene",
                object_id=str(scene_a),
                object_sha256=sha_a,
                details={
                    "revision": info_a.revision,
                    "other_scene": scene_b,
                    "other_revision": info_b.revision,
                    "other_sha256": sha_b,
                },
            )
        return AccountsComparison(
            scene_a=scene_a,
            scene_b=scene_b,
            name_a=doc_a.name,
            name_b=doc_b.name,
            revision_a=info_a.revision,
            revision_b=info_b.revision,
            sha256_a=sha_a,
            sha256_b=sha_b,
            version_id=info_a.version_id,
            rows=tuple(rows),
        )
