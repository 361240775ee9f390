"""Technical review of a scene revision before it is frozen for court.

A second person with the reviewer right (``scene.review``) checks one revision against a fixed
checklist (``CHECKLIST``: positions against their provenance, measurements, saved views,
captions), writes a finding for each item and approves or rejects it. The reviewer may not be
anyone who authored a revision of the scene (the scene's creator included): a review is by a
person other than the author, whoever runs the command, the system principal too. A review is
a row of its own (``scene_reviews``) holding the revision's number and SHA-256, and an audit
event. Freezing needs the latest review of exactly the revision frozen to be an approval whose
SHA-256 is that revision's (``require_approved_review``); a later rejection withdraws an earlier
approval.

``SceneReviewing`` is mixed into ``SceneService``, which provides the look-ups.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bsu_models.core import limits
from bsu_models.core.audit import append_event
from bsu_models.core.db import read_session, write_session
from bsu_models.core.errors import AccessDenied, Conflict, InvalidInput, Message
from bsu_models.core.i18n import N_
from bsu_models.core.orm import SceneReviewRow, SceneRow
from bsu_models.core.records import ReviewInfo
from bsu_models.core.text import clean_line, text_sha256

#: The checklist: item -> what the reviewer checks (English; translated where shown).
CHECKLIST: dict[str, str] = {
    "positions": N_("Positions against their provenance (measured, CCTV, statement, assumption)"),
    "measurements": N_("Measurements and their uncertainty"),
    "views": N_("Saved views: each shows what its steps need, nothing misleading"),
    "captions": N_("Step titles, times, narratives and captions against the sources"),
}
DECISION_WORDS = {"approved": N_("approved"), "rejected": N_("rejected")}
DECISIONS = tuple(DECISION_WORDS)
#: The same, under the names the package exports (``bsu_models.REVIEW_CHECKLIST``).
REVIEW_CHECKLIST = CHECKLIST
REVIEW_DECISION_WORDS = DECISION_WORDS


def review_info(row: SceneReviewRow) -> ReviewInfo:
    return ReviewInfo(
        review_id=row.id,
        scene_id=row.scene_id,
        revision=row.revision,
        revision_sha256=row.revision_sha256,
        reviewer=row.reviewer,
        checklist=tuple((str(c["item"]), str(c["finding"])) for c in row.checklist),
        decision=row.decision,
        reviewed_at=row.reviewed_at,
    )


def _reviews_of(session: Session, scene_id: int) -> list[SceneReviewRow]:
    return list(
        session.scalars(
            select(SceneReviewRow)
            .where(SceneReviewRow.scene_id == scene_id)
            .order_by(SceneReviewRow.id)
        )
    )


def review_row_ids(session: Session, scene_id: int) -> list[int]:
    """Ids of the scene's review rows (confirmed against the audit chain before court use)."""
    return [r.id for r in _reviews_of(session, scene_id)]


def decisive_review(session: Session, row: SceneRow) -> SceneReviewRow | None:
    """The latest review of the scene's current revision, or None."""
    current = row.revisions[-1]
    found = [r for r in _reviews_of(session, row.id) if r.revision == current.number]
    return found[-1] if found else None


def require_approved_review(session: Session, row: SceneRow) -> SceneReviewRow:
    """The approval that lets the current revision be frozen; ``Conflict`` when there is none,
    when the latest review rejected it, or when its SHA-256 is not the revision's."""
    current = row.revisions[-1]
    review = decisive_review(session, row)
    if review is None:
        raise Conflict(
            "Scene {scene_id} revision {revision} has no technical review; a reviewer must "
            "approve it before it is frozen (bsu-models scene review {scene_id}).",
            scene_id=row.id,
            revision=current.number,
        )
    if review.decision != "approved":
        raise Conflict(
            "Scene {scene_id} revision {revision} was rejected in review by {reviewer}; "
            "correct it and have the new revision reviewed.",
            scene_id=row.id,
            revision=current.number,
            reviewer=review.reviewer,
        )
    if review.revision_sha256 != current.sha256:
        raise Conflict(
            "The review of scene {scene_id} revision {revision} was of a document with "
            "another SHA-256; it does not approve this revision.",
            scene_id=row.id,
            revision=current.number,
        )
    return review


def _check_findings(findings: Mapping[str, str]) -> list[dict[str, str]]:
    unknown = sorted(set(findings) - set(CHECKLIST))
    if unknown:
        raise InvalidInput(
            "{item!r} is not a checklist item (items: {items}).",
            item=unknown[0],
            items=", ".join(CHECKLIST),
        )
    rows = []
    for item in CHECKLIST:
        finding = " ".join(str(findings.get(item, "")).split())
        if not finding:
            raise InvalidInput(
                "The review has no finding for {item!r}; every checklist item needs one "
                "(items: {items}).",
                item=item,
                items=", ".join(CHECKLIST),
            )
        # Printed in terminals, bag-info.txt and the book: no escape sequence or NUL gets in.
        finding = clean_line(finding, Message("A review finding"), limit=limits.TEXT)
        rows.append({"item": item, "finding": finding})
    return rows


def _closed(row: SceneRow) -> Message:
    return Message(
        "Scene {scene_id} is frozen for court already; its review is closed.", scene_id=row.id
    )


def _own_work(row: SceneRow, reviewer: str) -> Message | None:
    """Why ``reviewer`` may not review the scene: they made it or one of its revisions."""
    if reviewer not in {row.created_by, *(r.author for r in row.revisions)}:
        return None
    return Message(
        "{who} authored scene {scene_id} (or one of its revisions) and may not review it; "
        "the review must be by someone else.",
        who=reviewer,
        scene_id=row.id,
    )


class SceneReviewing:
    """Reviews of scene revisions; mixed into ``SceneService``, which provides the look-ups."""

    @property
    def _engine(self) -> Engine:
        raise NotImplementedError

    def require(self, scene_id: int, action: str) -> None:
        raise NotImplementedError

    def _actor(self, actor: str | None) -> str:
        raise NotImplementedError

    def _row(self, session: Session, scene_id: int, lock: bool = False) -> SceneRow:
        raise NotImplementedError

    def review(
        self,
        scene_id: int,
        decision: str,
        findings: Mapping[str, str],
        revision: int | None = None,
        actor: str | None = None,
    ) -> ReviewInfo:
        """Record the review of the scene's current revision (``revision``, when given, must be
        it): a finding for every checklist item and ``approved`` or ``rejected``."""
        self.require(scene_id, "scene.review")
        if decision not in DECISIONS:
            raise InvalidInput(
                "The decision must be one of {choices}, not {decision!r}.",
                choices=", ".join(DECISIONS),
                decision=decision,
            )
        checklist = _check_findings(findings)
        reviewer = self._actor(actor)
        with read_session(self._engine) as session:
            row = self._row(session, scene_id)
            refusal = _own_work(row, reviewer)
            number = row.current_revision
        if refusal is not None:
            with write_session(self._engine) as session:
                append_event(
                    session,
                    actor=reviewer,
                    action="scene.review",
                    object_type="scene",
                    object_id=str(scene_id),
                    outcome="refused",
                    details={"reason": str(refusal), "revision": number},
                )
            raise AccessDenied(refusal)
        with write_session(self._engine) as session:
            row = self._row(session, scene_id, lock=True)
            current = row.revisions[-1]
            if revision is not None and revision != current.number:
                raise InvalidInput(
                    "Scene {scene_id} is at revision {current}; only the current revision can "
                    "be reviewed (asked for {revision}).",
                    scene_id=scene_id,
                    current=current.number,
                    revision=revision,
                )
            if row.freeze is not None:
                closed = _closed(row)
                raise Conflict(closed)
            refusal = _own_work(row, reviewer)
            if refusal is not None:  # a revision saved since the check above
                raise AccessDenied(refusal)
            review = SceneReviewRow(
                scene_id=row.id,
                revision=current.number,
                revision_sha256=current.sha256,
                reviewer=reviewer,
                checklist=checklist,
                decision=decision,
            )
            session.add(review)
            session.flush()
            append_event(
                session,
                actor=reviewer,
                action="scene.review",
                object_type="scene",
                object_id=str(scene_id),
                object_sha256=current.sha256,
                details={
                    "review": review.id,
                    "revision": current.number,
                    "decision": decision,
                    # References only: auditors who may not read the case read these details.
                    "findings_sha256": {c["item"]: text_sha256(c["finding"]) for c in checklist},
                },
            )
            return review_info(review)

    def reviews(self, scene_id: int) -> list[ReviewInfo]:
        """Every review of the scene, oldest first (whole-scene readers only)."""
        self.require(scene_id, "scene.view")
        with read_session(self._engine) as session:
            return [review_info(r) for r in _reviews_of(session, scene_id)]

    def review_refusal(self, scene_id: int, actor: str | None = None) -> Message | None:
        """Why ``actor`` (the user) may not review the scene's current revision, as a sentence
        to show in place of the review form: they authored the scene or one of its revisions,
        or it is frozen; None when nothing about the scene stands in the way (the reviewer
        right is ``Catalogue.refusal("scene.review", case)``). Records nothing."""
        self.require(scene_id, "scene.view")
        with read_session(self._engine) as session:
            row = self._row(session, scene_id)
            return _own_work(row, self._actor(actor)) or (
                _closed(row) if row.freeze is not None else None
            )
