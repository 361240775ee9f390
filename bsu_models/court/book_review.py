"""The technical review in a court exhibit: its page of the exhibit book and its
``bag-info.txt`` fields.

Works on a ``BookReview`` (plain values read by the caller from the scene's approved review of
the frozen revision: reviewer, date, the revision's SHA-256 the review was of, the decision and a
finding per checklist item) or on None for a scene frozen before reviews were required, which
the book and ``bag-info.txt`` then say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from bsu_models.core.i18n import N_
from bsu_models.court.exhibit_words import _moment_text
from bsu_models.court.pdf_layout import INK, BookPdf
from bsu_models.scenes.scene_review import CHECKLIST
from bsu_models.scenes.service import SceneService

NO_REVIEW = N_(
    "No technical review is recorded for this revision (it was frozen before a review was "
    "required)."
)
REVIEW_WORDS = (
    NO_REVIEW,
    *CHECKLIST.values(),
    N_("Technical review"),
    N_("Reviewed by"),
    N_("Date"),
    N_("Decision"),
    N_("approved"),
    N_("rejected"),
    N_("Revision reviewed"),
    N_("{revision}, SHA-256 {sha256}"),
    N_("Checklist item"),
    N_("Finding"),
    N_("Checklist and findings"),
    N_(
        "Before the scene was frozen, a second person who did not author any revision of it "
        "checked the revision below against the checklist and recorded a finding for each "
        "item. Freezing requires an approved review of exactly this revision (its SHA-256 "
        "compared)."
    ),
)


@dataclass(frozen=True)
class BookReview:
    reviewer: str
    reviewed_on: str  # already formatted
    reviewed_at_utc: str  # ISO 8601, for bag-info.txt
    decision: str  # approved | rejected
    revision: int
    revision_sha256: str
    findings: tuple[tuple[str, str], ...]  # (checklist item, finding)


def review_page(pdf: BookPdf, review: BookReview | None) -> None:
    say = pdf.say
    pdf.start(say("Technical review"))
    pdf.title_line(say("Technical review"))
    pdf.set_font(pdf.family, size=10)
    pdf.set_text_color(*INK)
    if review is None:
        pdf.para(say(NO_REVIEW), 5.4)
        return
    pdf.para(
        say(
            "Before the scene was frozen, a second person who did not author any revision of "
            "it checked the revision below against the checklist and recorded a finding for "
            "each item. Freezing requires an approved review of exactly this revision (its "
            "SHA-256 compared)."
        ),
        5.4,
    )
    pdf.ln(3)
    rows = [
        (say("Reviewed by"), review.reviewer),
        (say("Date"), review.reviewed_on),
        (say("Decision"), say(review.decision)),
        (
            say("Revision reviewed"),
            say("{revision}, SHA-256 {sha256}").format(
                revision=review.revision, sha256=review.revision_sha256
            ),
        ),
    ]
    pdf.grid((), rows, (1, 3))
    pdf.listing(
        say("Checklist and findings"),
        (say("Checklist item"), say("Finding")),
        [(say(CHECKLIST[item]) if item in CHECKLIST else item, f) for item, f in review.findings],
        "",
        (2, 3),
    )


def review_fields(review: BookReview | None) -> dict[str, str]:
    """The review's ``bag-info.txt`` fields (English, one line each)."""
    if review is None:
        return {"BSU-Review": "none recorded (frozen before a technical review was required)"}
    fields = {
        "BSU-Review": review.decision,
        "BSU-Reviewed-By": review.reviewer,
        "BSU-Reviewed-At": review.reviewed_at_utc,
        "BSU-Review-Revision": str(review.revision),
        "BSU-Review-Revision-SHA256": review.revision_sha256,
    }
    for item, finding in review.findings:
        fields[f"BSU-Review-Finding-{item.capitalize()}"] = finding
    return fields


def frozen_review(
    scenes: SceneService, scene_id: int, revision: int, sha256: str, lang: str
) -> BookReview | None:
    """The approved review of the frozen revision (SHA-256 compared), or None for a scene
    frozen before reviews were required."""
    reviews = [
        r
        for r in scenes.reviews(scene_id)
        if r.revision == revision and r.revision_sha256 == sha256
    ]
    if not reviews or not reviews[-1].approved:
        return None
    last = reviews[-1]
    at = last.reviewed_at if last.reviewed_at.tzinfo else last.reviewed_at.replace(tzinfo=UTC)
    return BookReview(
        reviewer=last.reviewer,
        reviewed_on=_moment_text(at, lang),
        reviewed_at_utc=at.astimezone(UTC).isoformat(timespec="seconds"),
        decision=last.decision,
        revision=last.revision,
        revision_sha256=last.revision_sha256,
        findings=last.checklist,
    )
