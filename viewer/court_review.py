"""The technical review on the Presentation page: the scene's reviews, and the review form for a
reviewer who may review the revision shown (a finding per checklist item, then approve or
reject). Those who may not see one sentence saying why, from ``bsu_models``."""

from __future__ import annotations

import streamlit as st

import bsu_models
from viewer.shared import (
    actor,
    datetime_text,
    done,
    error_text,
    notices,
    plain,
    t,
    text_of,
)

PLACE = "present_review"


def _decision_text(review: bsu_models.ReviewInfo) -> str:
    return t(bsu_models.REVIEW_DECISION_WORDS.get(review.decision, review.decision))


def review_list(reviews: list[bsu_models.ReviewInfo]) -> None:
    """Every review of the scene, newest first, each with its findings."""
    if not reviews:
        st.caption(t("Nobody has reviewed this scene yet."))
        return
    checklist = bsu_models.REVIEW_CHECKLIST
    for review in reversed(reviews):
        title = t("Revision {revision}: {decision} by {reviewer}, {when}").format(
            revision=review.revision,
            decision=_decision_text(review),
            reviewer=plain(review.reviewer),
            when=datetime_text(review.reviewed_at),
        )
        icon = ":material/verified:" if review.approved else ":material/block:"
        with st.expander(title, icon=icon):
            st.table(
                {
                    t("Checked"): [
                        t(checklist[item]) if item in checklist else item
                        for item, _finding in review.checklist
                    ],
                    t("Finding"): [finding for _item, finding in review.checklist],
                },
                hide_index=True,
            )
            st.caption(t("SHA-256 of the revision reviewed"))
            st.code(review.revision_sha256, language=None, wrap_lines=True)


def _why_not(cat: bsu_models.Catalogue, scene: bsu_models.SceneInfo, revision: int) -> str | None:
    """Why the user may not review ``revision`` of the scene here, or None."""
    refusal = cat.refusal("scene.review", scene.case_reference)
    if refusal is not None:
        return text_of(refusal)
    if revision != scene.revision and not scene.frozen:
        return t(
            "Revision {revision} is shown; only the current revision ({current}) can be reviewed."
        ).format(revision=revision, current=scene.revision)
    refusal = cat.scenes.review_refusal(scene.scene_id, actor=actor())
    return None if refusal is None else text_of(refusal)


def review_form(cat: bsu_models.Catalogue, scene: bsu_models.SceneInfo) -> None:
    """A finding for each checklist item, then Approve or Reject the current revision."""
    # A new round after each recorded review gives empty fields for the next one.
    round_key = f"{PLACE}_round_{scene.scene_id}"
    round_ = st.session_state.get(round_key, 0)
    with st.form(f"{PLACE}_{scene.scene_id}_{scene.revision}_{round_}"):
        st.markdown(
            t(
                "**Review revision {revision}**: write what you checked and found for each item."
            ).format(revision=scene.revision)
        )
        findings = {
            item: st.text_area(t(words), key=f"{PLACE}_{item}_{round_}", height=80)
            for item, words in bsu_models.REVIEW_CHECKLIST.items()
        }
        approve_col, reject_col = st.columns(2)
        approve = approve_col.form_submit_button(
            t("Approve revision {revision}").format(revision=scene.revision),
            type="primary",
            icon=":material/verified:",
        )
        reject = reject_col.form_submit_button(
            t("Reject revision {revision}").format(revision=scene.revision),
            icon=":material/block:",
        )
    notices(PLACE)
    if not (approve or reject):
        return
    try:
        review = cat.scenes.review(
            scene.scene_id,
            "approved" if approve else "rejected",
            findings,
            revision=scene.revision,
            actor=actor(),
        )
    except bsu_models.BsuError as exc:
        st.error(error_text(exc))
        return
    st.session_state[round_key] = round_ + 1
    done(
        PLACE,
        t("Revision {revision} {decision} in review.").format(
            revision=review.revision, decision=_decision_text(review)
        ),
        "success" if review.approved else "warning",
    )


def review_section(cat: bsu_models.Catalogue, scene: bsu_models.SceneInfo, revision: int) -> None:
    """The scene's reviews and, for a reviewer who may, the form; else why not."""
    st.subheader(t("Technical review"), anchor=False)
    review_list(cat.scenes.reviews(scene.scene_id))
    why_not = _why_not(cat, scene, revision)
    if why_not is not None:
        notices(PLACE)
        st.caption(why_not)
        return
    review_form(cat, scene)
