"""Accounts side by side: two scenes of one model version (e.g. the prosecution's sequence and the
defence's account, or witness A and witness B) in two 3D views whose cameras are linked, their
steps paired by number, with the table of differences of ``SceneService.compare_accounts``."""

from __future__ import annotations

from typing import Any

import streamlit as st

import bsu_models
from viewer.scene3d import scene3d
from viewer.shared import (
    actor,
    choose_version,
    deep_link_number,
    error_text,
    kept_choice,
    language,
    plain,
    t,
)
from viewer.shared import catalogue as open_catalogue


def _scene_label(scene: bsu_models.SceneInfo) -> str:
    return (t("{name} (scene {id}) — frozen") if scene.frozen else t("{name} (scene {id})")).format(
        name=scene.name, id=scene.scene_id
    )


def _pick(label: str, key: str, by_id: dict[int, bsu_models.SceneInfo], default: int) -> int:
    wanted = st.query_params.get(key[-1])  # ?a=ID&b=ID
    if key not in st.session_state:
        linked = int(wanted) if wanted and wanted.isdigit() else None
        st.session_state[key] = linked if linked in by_id else default
    return int(
        st.selectbox(
            label, list(by_id), key=kept_choice(key), format_func=lambda i: _scene_label(by_id[i])
        )
    )


def _comparison(a: int, b: int, revisions: tuple[int, int]) -> bsu_models.AccountsComparison:
    """The comparison of the two accounts at these revisions, made (and audited) once."""
    key = ("accounts_comparison", a, b, revisions)
    kept = st.session_state.get("accounts_comparison")
    if kept is None or kept[0] != key:
        kept = (key, cat.scenes.compare_accounts(a, b, actor=actor()))
        st.session_state["accounts_comparison"] = kept
    return kept[1]


def _account_view(
    column: Any,
    scene: bsu_models.SceneInfo,
    doc: bsu_models.SceneDoc,
    number: int,
    camera: dict,
    side: str,
) -> None:
    """One account at step ``number``, in its own 3D view (its camera linked to the other's)."""
    with column:
        st.subheader(plain(doc.name), anchor=False)
        st.caption(
            t("Scene {scene}, revision {revision}").format(
                scene=scene.scene_id, revision=scene.revision
            )
        )
        step = doc.steps[number - 1] if number <= len(doc.steps) else None
        if step is None:
            st.info(t("This account has no step {number}.").format(number=number))
            return
        clock = " · " + plain(step.clock) if step.clock else ""
        st.markdown(
            "**"
            + t("Step {number} of {count}").format(number=number, count=len(doc.steps))
            + clock
            + "**"
        )
        st.text(step.title)
        scene3d(
            cat,
            version,
            key=f"accounts3d-{side}-{version.version_id}",
            actor=actor(),
            layer=cat.scenes.layer(scene.scene_id, doc, step),
            camera=camera,
            tool="present",
            height=460,
            scene=(scene.scene_id, scene.revision),
        )
        st.text(step.narrative or t("(no narrative for this step)"))


st.title(t("Accounts side by side"))
cat = open_catalogue()
version = choose_version(cat, key="accounts")
if version is None:
    st.stop()
scenes = {s.scene_id: s for s in cat.scenes.list_scenes(version.version_id)}
if len(scenes) < 2:
    st.info(
        t(
            "Accounts are compared on one model version: this one has fewer than two scenes. "
            "Make another on the Scene editor page (e.g. a copy to hold the other account)."
        )
    )
    st.stop()
ids = list(scenes)
left, right = st.columns(2)
with left:
    a = _pick(t("Account A"), "accounts_a", scenes, ids[0])
with right:
    b = _pick(t("Account B"), "accounts_b", scenes, ids[1] if ids[0] == a else ids[0])
st.query_params["a"], st.query_params["b"] = str(a), str(b)
if a == b:
    st.warning(t("Choose two different scenes to compare."))
    st.stop()
info_a, info_b = scenes[a], scenes[b]
doc_a, doc_b = cat.scenes.document(a), cat.scenes.document(b)
count = max(len(doc_a.steps), len(doc_b.steps))
if count == 0:
    st.info(t("Neither account has a step yet."))
    st.stop()

step_key = f"accounts_step_{a}_{b}"
deep_link_number("step", step_key, count)
number = min(st.session_state.get(step_key, 1), count)
prev_col, title_col, next_col = st.columns([1, 6, 1], vertical_alignment="center")
if prev_col.button(t("◀ Previous"), disabled=number <= 1, width="stretch", key="accounts_prev"):
    number -= 1
if next_col.button(t("Next ▶"), disabled=number >= count, width="stretch", key="accounts_next"):
    number += 1
st.session_state[step_key] = number
st.query_params["step"] = str(number)
title_col.markdown(
    "### "
    + t("Step {number} of both accounts ({count} at most)").format(number=number, count=count)
)
st.caption(
    t(
        "Steps are paired by their number in each account. The two views move together: "
        "turning, panning or zooming one does the same in the other."
    )
)

# Both views start from the same camera: account A's saved view of the step, else the whole
# model; the link keeps them together after that.
step_a = doc_a.steps[number - 1] if number <= len(doc_a.steps) else None
view = doc_a.view_for_step(step_a.id) if step_a else None
camera = {
    "nonce": f"{a}-{info_a.revision}-{b}-{info_b.revision}-{number}",
    "link": f"accounts-{version.version_id}-{a}-{b}",
    **({"view": view.camera_json()} if view else {"preset": "fit"}),
}
view_a, view_b = st.columns(2)
_account_view(view_a, info_a, doc_a, number, camera, "a")
_account_view(view_b, info_b, doc_b, number, camera, "b")

st.subheader(t("Differences at this step"), anchor=False)
try:
    comparison = _comparison(a, b, (info_a.revision, info_b.revision))
except bsu_models.BsuError as exc:
    st.error(error_text(exc))
    st.stop()


def _rows(rows: list[Any]) -> list[dict[str, object]]:
    return [
        {
            t("Step"): r.step,
            t("Entity in A"): r.label_a,
            t("Entity in B"): r.label_b,
            t("Matched"): t(bsu_models.ACCOUNT_MATCH_WORDS[r.matched_by]),
            t("Distance between the accounts"): bsu_models.account_text(r, language()),
        }
        for r in rows
    ]


here = [r for r in comparison.rows if r.step == number]
if here:
    st.dataframe(_rows(here), hide_index=True, width="stretch")
else:
    st.text(t("Neither account places anyone at this step."))
with st.expander(t("Every step")):
    st.dataframe(_rows(list(comparison.rows)), hide_index=True, width="stretch")
