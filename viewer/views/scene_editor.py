"""Scene editor: place and move people, vehicles and exhibits on the model step by step,
measure, check sightlines, save views; every change is a new revision of the scene."""

from __future__ import annotations

import time
from dataclasses import replace

import streamlit as st

import bsu_models
from bsu_models import N_
from viewer.scene3d import scene3d
from viewer.scene_cctv import cctv_section
from viewer.scene_editing import Editing
from viewer.scene_forms import (
    edit_entity,
    entity_table,
    move_click,
    new_entity_form,
    new_step_form,
    place_click,
)
from viewer.scene_measure import (
    choose_measure,
    last_measurement,
    measure_click,
    save_view_form,
    sightline_form,
)
from viewer.scene_pairs import model_click as pair_click
from viewer.scene_play import movement, play_camera, played
from viewer.scene_section import section_form
from viewer.scene_tools import scene_controls, undo_redo
from viewer.shared import (
    actor,
    catalogue,
    choose_version,
    datetime_text,
    deep_link_number,
    deep_link_scene,
    error_text,
    kept_choice,
    notices,
    notify,
    nt,
    plain,
    t,
    text_of,
)

# Pages run afresh on every rerun, so these names are in the user's current language.
TOOLS = {
    "navigate": t("Look around"),
    "place": t("Place"),
    "move": t("Move"),
    "measure": t("Measure"),
}
st.title(t("Scene editor"))
cat = catalogue()
version = choose_version(cat, key="editor")
if version is None:
    st.stop()

show_archived = st.sidebar.toggle(t("Show archived scenes"), key="editor_archived")
scenes = cat.scenes.list_scenes(version.version_id, include_archived=show_archived)
# Controls follow the role table: whoever may not change scenes here is not offered to.
edit_refusal = cat.refusal("scene.edit", version.case_reference)
if edit_refusal is None:
    with (
        st.sidebar.expander(t("New scene"), icon=":material/add:", expanded=not scenes),
        st.form("new_scene", clear_on_submit=True),
    ):
        notices("new_scene")
        new_name = st.text_input(t("Scene name"), placeholder=t("Prosecution sequence"))
        if st.form_submit_button(t("Create scene")):
            try:
                created = cat.scenes.create(version.version_id, new_name, actor=actor())
            except bsu_models.BsuError as exc:
                notify("new_scene", error_text(exc), "error")
                st.rerun()
            else:
                st.session_state["editor_scene"] = created.scene_id
                st.rerun()
if not scenes:
    st.info(
        t("This model has no scene yet. Create one under “New scene” in the sidebar.")
        if edit_refusal is None
        else t("This model has no scene yet.")
    )
    st.stop()

by_id = {s.scene_id: s for s in scenes}
if "editor_scene_next" in st.session_state:  # a widget's value can only be set before it is drawn
    st.session_state["editor_scene"] = st.session_state.pop("editor_scene_next")
deep_link_scene(by_id, "editor_scene")
scene_id = st.selectbox(
    t("Scene"),
    list(by_id),
    key=kept_choice("editor_scene"),
    # A label that changed with each revision would reset the selection after every save.
    format_func=lambda i: t("{name} (scene {id})").format(name=by_id[i].name, id=i),
)
scene = by_id[scene_id]
st.query_params["scene"] = str(scene.scene_id)
doc = cat.scenes.document(scene.scene_id)
editing = Editing(cat, scene, doc)
read_only = scene.frozen or scene.archived or edit_refusal is not None
if edit_refusal is None:
    scene_controls(cat, scene)
if scene.archived:
    st.info(
        t("This scene is archived: it is kept as it is and left out of the lists."),
        icon=":material/archive:",
    )
if edit_refusal is not None:
    st.info(
        t("Read-only: {reason}").format(reason=text_of(edit_refusal)), icon=":material/visibility:"
    )

if scene.frozen:
    st.warning(
        t(
            "This scene is frozen for court at revision {revision} (by {who}); it cannot "
            "change. Copy it to go on working."
        ).format(revision=scene.frozen_revision, who=plain(scene.frozen_by)),
        icon=":material/lock:",
    )
    if edit_refusal is None and st.button(t("Copy to a new scene"), icon=":material/content_copy:"):
        try:
            copied = cat.scenes.copy(
                scene.scene_id, t("{name} (copy)").format(name=scene.name), actor=actor()
            )
        except bsu_models.BsuError as exc:
            st.error(error_text(exc))
        else:
            # The scene picker is drawn already: it takes the copy on the next run.
            st.session_state["editor_scene_next"] = copied.scene_id
            st.rerun()

# -- undo and redo ----------------------------------------------------------------------------
if not read_only:
    undo_redo(cat, scene, editing.save)

# -- steps ------------------------------------------------------------------------------------
if not doc.steps:
    st.info(t("Add the first step of the incident below the viewer."))
    step = None
else:
    count = len(doc.steps)
    deep_link_number("step", "editor_step", count)
    number = min(st.session_state.get("editor_step", 1), count)
    prev_col, slider_col, next_col, play_col = st.columns([1, 5, 1, 1])
    playing = st.session_state.get("editor_playing", False)
    if play_col.button(
        t("Pause") if playing else t("Play"),
        width="stretch",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        disabled=count < 2,
    ):
        # Each Play its own id: its first step's view is shown again even where it was before.
        st.session_state["editor_playing"] = None if playing else str(time.time_ns())
        if not playing and number >= count:
            st.session_state["editor_step"] = 1
        st.rerun()  # the button was drawn with its old word
    if prev_col.button(t("◀ Previous"), disabled=number <= 1, width="stretch"):
        number -= 1
    if next_col.button(t("Next ▶"), disabled=number >= count, width="stretch"):
        number += 1
    if count > 1:
        number = slider_col.slider(t("Step"), 1, count, number)
    st.session_state["editor_step"] = number
    st.query_params["step"] = str(number)
    step = doc.step_at(number)
    clock = f" · {step.clock}" if step.clock else ""
    heading = t("Step {number} of {count}: {title}").format(
        number=number, count=count, title=plain(step.title)
    )
    st.subheader(heading + clock, anchor=False)
    if step.narrative:
        st.text(step.narrative)
editing = replace(editing, step=step)

if cat.cameras.frames(scene.scene_id):
    # Translators: the tool that pairs a point of a CCTV frame with the same place on the model.
    TOOLS["pair"] = t("Pair with frame")
elif st.session_state.get("editor_tool") == "pair":  # a scene without frames offers no pairing
    st.session_state["editor_tool"] = "navigate"
if "editor_tool_next" in st.session_state:  # a widget's value can only be set before it is drawn
    st.session_state["editor_tool"] = st.session_state.pop("editor_tool_next")
tool = (
    "navigate"
    if edit_refusal is not None
    else st.radio(
        t("Tool"),
        list(TOOLS),
        format_func=TOOLS.get,
        horizontal=True,
        key=kept_choice("editor_tool"),
        disabled=step is None or scene.frozen,
    )
)
measure_kind = "distance"
if tool == "measure" and step is not None:
    measure_kind = choose_measure(editing)
layer = cat.scenes.layer(scene.scene_id, doc, step) if step is not None else None
move = (
    movement(cat, scene.scene_id, doc, number, "editor")
    if step is not None and st.session_state.get("editor_playing")
    else None
)
# Always one block above the viewer, whatever it holds, so the viewer keeps its place on the
# page (a component that moves is mounted afresh and a click in the old one is lost).
with st.container():
    section = section_form(cat, version, doc, step) if step is not None else None
event = scene3d(
    cat,
    version,
    key=f"editor3d-{version.version_id}",
    actor=actor(),
    layer=layer,
    tool=tool if step is not None and not read_only else "navigate",
    scene=(scene.scene_id, scene.revision),
    sun=bsu_models.sun_track(version, doc, step) if step is not None else None,
    movement=move,
    camera=play_camera(doc, number, str(st.session_state["editor_playing"])) if move else None,
    section_form=True,
    section=section,
)
if played(event, move):
    st.session_state["editor_step"] = number + 1
    st.rerun()
if st.session_state.get("editor_playing") and step is not None and move is None:
    st.session_state["editor_playing"] = False  # the last step: nowhere further to go
    st.rerun()

# -- what a click or a saved camera means ------------------------------------------------------
if event and event.get("type") == "click" and step is not None and not read_only:
    point = tuple(event["point"])
    if tool == "place":
        place_click(editing, point)
    elif tool == "move":
        move_click(editing, point)
    elif tool == "measure":
        measure_click(editing, measure_kind, point)
    elif tool == "pair":
        pair_click(point)
if event and event.get("type") == "camera":
    st.session_state["editor_camera"] = event["view"]
notices("viewer")

last_measurement()

pending = st.session_state.get("editor_camera")
if pending and step is not None and not read_only:
    save_view_form(editing, pending)

# -- CCTV cameras: the frame over the model -----------------------------------------------------
cctv_section(cat, scene, doc, number if step is not None else None, not read_only)

# -- entities ----------------------------------------------------------------------------------
left, right = st.columns([3, 2])
with left:
    st.subheader(t("Entities"), anchor=False)
    if doc.entities:
        entity_table(doc, step)
        labels = {e.id: e.label for e in doc.entities}
        selected = st.selectbox(
            t("Selected entity"), list(labels), format_func=labels.get, key="editor_selected"
        )
        notices("entity")
        if not read_only and st.button(t("Delete selected entity"), disabled=selected is None):
            editing.save(
                doc.without_entity(selected),
                N_("deleted {label}"),
                "entity",
                label=labels[selected],
            )
        if selected is not None and not read_only:
            edit_entity(editing, doc.entity(selected))
        if step is not None and len(labels) > 1 and not read_only:
            sightline_form(editing, labels, number)
    else:
        st.caption(t("No entities yet: choose Place, fill in who or what, then click the model."))
if not read_only:
    with right:
        new_entity_form()

# -- steps, undo and history -------------------------------------------------------------------
if not read_only:
    new_step_form(editing)

with st.expander(
    nt(
        "Revision history ({count} revision)",
        "Revision history ({count} revisions)",
        scene.revision,
    ).format(count=scene.revision)
):
    history = cat.scenes.history(scene.scene_id)
    st.table(
        [
            {
                t("Revision"): r.number,
                t("By"): plain(r.author),
                t("At"): datetime_text(r.created_at),
                # What the record says, in the language it was written in.
                t("Change"): plain(r.summary),
            }
            for r in reversed(history)
        ],
        hide_index=True,
    )
    if scene.revision > 1:
        old = st.number_input(t("Compare revision"), 1, scene.revision - 1, scene.revision - 1)
        for change in cat.scenes.compare_messages(scene.scene_id, int(old)):
            st.text(f"• {text_of(change)}")
