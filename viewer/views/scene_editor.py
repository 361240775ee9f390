"""Scene editor: place and move people, vehicles and exhibits on the model step by step,
measure, check sightlines, save views; every change is a new revision of the scene."""

from __future__ import annotations

import time
from dataclasses import replace

import streamlit as st

import bsu_models
from bsu_models import (
    N_,
    Anchor,
    Entity,
    Measurement,
    Position,
    Provenance,
    SavedView,
    Sightline,
    Step,
)
from viewer.names import provenance_name, type_name
from viewer.scene3d import scene3d
from viewer.scene_tools import scene_controls, undo_redo
from viewer.shared import (
    actor,
    catalogue,
    choose_version,
    datetime_text,
    deep_link_number,
    deep_link_scene,
    done,
    error_text,
    notices,
    notify,
    nt,
    plain,
    t,
    text_of,
)

TYPE_COLOURS = {
    "suspect": "#d62828",
    "victim": "#e76f51",
    "witness": "#2a9d8f",
    "officer": "#1d3557",
    "vehicle": "#f4a261",
    "evidence": "#6a4c93",
    "camera": "#264653",
    "other": "#8d99ae",
}

# Pages run afresh on every rerun, so these names are in the user's current language.
MEASURES = {
    "distance": t("Distance (2 clicks)"),
    "height": t("Height above the base (1 click)"),
    "angle": t("Angle (3 clicks: one end, the corner, the other end)"),
    "path_length": t("Path length of the selected entity"),
}
CLICKS = {"distance": 2, "height": 1, "angle": 3}
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


def provenance_text(provenance: Provenance) -> str:
    kind = provenance_name(provenance.kind)
    return f"{kind} — {provenance.reference}" if provenance.reference else kind


def save(
    doc: bsu_models.SceneDoc, summary: str, at: str, kind: str = "success", **values: object
) -> None:
    """Store ``doc`` as the next revision; errors are shown, nothing half-saved.

    ``summary`` is an ``N_``-marked message with ``{named}`` placeholders: the revision history
    records it in English (one language in the scene's record, whoever edits it); the notice
    shows it in the user's language, at ``at``: the form or button that made the change.
    """
    try:
        saved = cat.scenes.save(
            scene.scene_id, doc, scene.revision, summary.format(**values), actor=actor()
        )
    except bsu_models.BsuError as exc:
        notify(at, error_text(exc), "error")
    else:
        if saved.revision == scene.revision:
            notify(at, t("Nothing changed: this is recorded already."), "info")
            st.rerun()
        # A value that is a message (a measured length) is shown in the user's language too.
        shown = {
            name: text_of(value) if isinstance(value, bsu_models.Message) else value
            for name, value in values.items()
        }
        notify(at, plain(t(summary).format(**shown)), kind)
    st.rerun()


def measure_and_save(
    measurement: Measurement,
    summary: str = N_("measured {value} at step {title!r}"),
    **values: object,
) -> None:
    """Evaluate ``measurement`` on the scene and keep it as the next revision; the value is
    shown under the viewer, where the clicks were made."""
    try:
        value = cat.scenes.measure(scene.scene_id, measurement)
    except bsu_models.BsuError as exc:
        done("viewer", error_text(exc), "error")
    st.session_state["editor_last_measure"] = value.message
    title = step.title if step is not None else ""
    save(
        doc.with_measurement(replace(measurement, label=value.text)),
        summary,
        "viewer",
        value=value.message,
        title=title,
        **values,
    )


def edit_entity(doc: bsu_models.SceneDoc, entity: Entity, step: Step | None) -> None:
    """Edit the selected entity, and how its position at this step is known."""
    position = doc.position(entity.id, step.id) if step is not None else None
    with st.form(f"edit_{entity.id}"):
        st.write(t("**Edit {label}**").format(label=plain(entity.label)))
        label = st.text_input(t("Label"), entity.label, key=f"edit_label_{entity.id}")
        kind = st.selectbox(
            t("Type"),
            bsu_models.ENTITY_TYPES,
            index=bsu_models.ENTITY_TYPES.index(entity.type),
            format_func=type_name,
            key=f"edit_type_{entity.id}",
        )
        colour = st.color_picker(t("Colour"), entity.colour, key=f"edit_colour_{entity.id}")
        sensitive = st.checkbox(
            t("Sensitive (never in public output)"),
            entity.sensitive,
            key=f"edit_sensitive_{entity.id}",
        )
        notes = st.text_area(t("Notes"), entity.notes, height=68, key=f"edit_notes_{entity.id}")
        provenance = reference = None
        if position is not None:
            provenance = st.selectbox(
                t("How its position at this step is known"),
                bsu_models.PROVENANCE_KINDS,
                index=bsu_models.PROVENANCE_KINDS.index(position.provenance.kind),
                format_func=provenance_name,
                key=f"edit_prov_{entity.id}",
            )
            reference = st.text_input(
                t("Reference"), position.provenance.reference, key=f"edit_ref_{entity.id}"
            )
        if st.form_submit_button(t("Save changes")):
            try:
                changed = doc.with_entity(
                    replace(
                        entity,
                        label=label,
                        type=kind,
                        colour=colour,
                        sensitive=sensitive,
                        notes=notes,
                    )
                )
                chosen = Provenance(provenance or "assumption", reference or "")
                if (
                    position is not None
                    and provenance is not None
                    and (chosen != position.provenance)
                ):
                    changed = changed.with_position(position.edited(provenance=chosen))
            except bsu_models.BsuError as exc:
                st.error(error_text(exc))
            else:
                save(changed, N_("edited {label}"), "entity", label=label)


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
    key="editor_scene",
    # A label that changed with each revision would reset the selection after every save.
    format_func=lambda i: t("{name} (scene {id})").format(name=by_id[i].name, id=i),
)
scene = by_id[scene_id]
st.query_params["scene"] = str(scene.scene_id)
doc = cat.scenes.document(scene.scene_id)
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
    undo_redo(cat, scene, save)

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
        playing = not playing
        st.session_state["editor_playing"] = playing
        if playing and number >= count:
            number = 1
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
        key="editor_tool",
        disabled=step is None or scene.frozen,
    )
)
measure_kind = "distance"
if tool == "measure" and step is not None:
    measure_kind = st.radio(
        t("What to measure"),
        list(MEASURES),
        format_func=MEASURES.get,
        horizontal=True,
        key="editor_measure_kind",
    )
    if measure_kind == "path_length":
        walker = st.session_state.get("editor_selected")
        if st.button(
            t("Measure the path of the selected entity"),
            disabled=walker is None,
            key="editor_measure_path",
        ):
            measure_and_save(
                Measurement(doc.next_id("m"), "path_length", entity=walker),
                N_("measured the path of {label}: {value}"),
                label=doc.entity(walker).label if walker else "",
            )
layer = cat.scenes.layer(scene.scene_id, doc, step) if step is not None else None
event = scene3d(
    cat,
    version,
    key=f"editor3d-{version.version_id}",
    actor=actor(),
    layer=layer,
    tool=tool if step is not None and not read_only else "navigate",
    scene=(scene.scene_id, scene.revision),
    sun=bsu_models.sun_track(version, doc, step) if step is not None else None,
)

# -- what a click or a saved camera means ------------------------------------------------------
if event and event.get("type") == "click" and step is not None and not read_only:
    point = tuple(event["point"])
    if tool == "place":
        form = st.session_state.get("editor_new", {})
        try:
            entity = Entity(
                doc.next_id("e"),
                form.get("label") or doc.next_id("E"),
                form.get("type", "witness"),
                form.get("colour", "#2a9d8f"),
                form.get("notes", ""),
                form.get("sensitive", False),
            )
            placed = doc.with_entity(entity).with_position(
                Position(
                    entity.id,
                    step.id,
                    point,
                    provenance=Provenance(
                        form.get("provenance", "assumption"), form.get("reference", "")
                    ),
                )
            )
        except bsu_models.BsuError as exc:
            st.error(error_text(exc))
        else:
            save(
                placed,
                N_("placed {label} at step {title!r}"),
                "viewer",
                label=entity.label,
                title=step.title,
            )
    elif tool == "move":
        target = st.session_state.get("editor_selected")
        if target is None:
            st.warning(t("Choose the entity to move in the list first."))
        else:
            current = doc.position(target, step.id)
            # A point placed by hand rests on no statement or survey until someone says so.
            moved = (
                current.edited(point=point, provenance=Provenance())
                if current is not None
                else Position(target, step.id, point)
            )
            save(
                doc.with_position(moved),
                N_("moved {label} at step {title!r}"),
                "viewer",
                label=doc.entity(target).label,
                title=step.title,
            )
    elif tool == "measure":
        points = [*st.session_state.pop("editor_measure_points", []), point]
        needed = CLICKS.get(measure_kind, 2)
        if len(points) < needed:
            st.session_state["editor_measure_points"] = points
            st.info(
                t("Point {number} of {count} taken; click the next one.").format(
                    number=len(points), count=needed
                )
            )
        else:
            anchors = [Anchor(point=p) for p in points]
            measure_and_save(
                Measurement(
                    doc.next_id("m"),
                    measure_kind,
                    step=step.id,
                    a=anchors[0],
                    b=anchors[-1] if measure_kind != "height" else None,
                    vertex=anchors[1] if measure_kind == "angle" else None,
                )
            )
if event and event.get("type") == "camera":
    st.session_state["editor_camera"] = event["view"]
notices("viewer")

last = st.session_state.get("editor_last_measure")
if last:
    st.metric(t("Last measurement"), text_of(last))

pending = st.session_state.get("editor_camera")
if pending and step is not None and not read_only:
    with st.form("save_view"):
        st.write(t("Save the current camera as a view of this step."))
        view_name = st.text_input(t("View name"), placeholder=t("From the bus stop"))
        if st.form_submit_button(t("Save view")):
            view = pending
            try:
                saved = SavedView(
                    id=doc.next_id("v"),
                    name=view_name,
                    projection=view["projection"],
                    position=tuple(view["position"]),
                    target=tuple(view["target"]),
                    up=tuple(view["up"]),
                    fov_deg=view.get("fov_deg"),
                    ortho_scale=view.get("ortho_scale"),
                    steps=(step.id,),
                )
            except bsu_models.BsuError as exc:
                st.error(error_text(exc))
            else:
                st.session_state.pop("editor_camera", None)
                save(doc.with_view(saved), N_("saved view {name!r}"), "viewer", name=saved.name)

# -- entities ----------------------------------------------------------------------------------
left, right = st.columns([3, 2])
with left:
    st.subheader(t("Entities"), anchor=False)
    if doc.entities:
        # st.table renders Markdown: user text in its cells is escaped.
        rows = []
        step_numbers = {s.id: n for n, s in enumerate(doc.steps, 1)}
        for entity in doc.entities:
            pos = doc.position(entity.id, step.id) if step is not None else None
            rows.append(
                {
                    t("Label"): plain(entity.label),
                    t("Type"): type_name(entity.type),
                    t("Sensitive"): t("yes") if entity.sensitive else "",
                    t("At this step"): (
                        "—"
                        if pos is None
                        else t("carried from step {number}").format(
                            number=step_numbers.get(pos.carried_from, "?")
                        )
                        if pos.carried
                        else t("placed")
                    ),
                    t("Provenance"): plain(provenance_text(pos.provenance)) if pos else "",
                }
            )
        st.table(rows, hide_index=True)
        labels = {e.id: e.label for e in doc.entities}
        selected = st.selectbox(
            t("Selected entity"), list(labels), format_func=labels.get, key="editor_selected"
        )
        notices("entity")
        if not read_only and st.button(t("Delete selected entity"), disabled=selected is None):
            save(
                doc.without_entity(selected),
                N_("deleted {label}"),
                "entity",
                label=labels[selected],
            )
        if selected is not None and not read_only:
            edit_entity(doc, doc.entity(selected), step)
        if step is not None and len(labels) > 1 and not read_only:
            with st.form("sightline"):
                st.write(t("Could one see the other at this step?"))
                notices("sightline")
                observer = st.selectbox(t("Observer"), list(labels), format_func=labels.get)
                target = st.selectbox(t("Target"), list(labels), format_func=labels.get, index=1)
                if st.form_submit_button(t("Check sightline")):
                    line = Sightline(doc.next_id("l"), observer, Anchor(entity=target), step.id)
                    try:
                        result = cat.scenes.sightline(
                            scene.scene_id, labels[observer], labels[target], number
                        )
                    except bsu_models.BsuError as exc:
                        st.error(error_text(exc))
                    else:
                        save(
                            doc.with_sightline(line),
                            N_("sightline: {observer} can see {target} ({distance})")
                            if result.visible
                            else N_(
                                "sightline: {observer} cannot see (blocked) {target} ({distance})"
                            ),
                            "sightline",
                            kind="success" if result.visible else "warning",
                            observer=result.observer,
                            target=result.target,
                            distance=result.distance.message,
                        )
    else:
        st.caption(t("No entities yet: choose Place, fill in who or what, then click the model."))
if not read_only:
    with right:
        st.subheader(t("Place"), anchor=False)
        with st.form("new_entity"):
            label = st.text_input(t("Label"), placeholder="W1 / 證人 W1")
            kind = st.selectbox(t("Type"), bsu_models.ENTITY_TYPES, format_func=type_name)
            colour = st.color_picker(t("Colour"), TYPE_COLOURS.get(kind, "#2a9d8f"))
            provenance = st.selectbox(
                t("How the position is known"),
                bsu_models.PROVENANCE_KINDS,
                index=len(bsu_models.PROVENANCE_KINDS) - 1,
                format_func=provenance_name,
            )
            reference = st.text_input(t("Reference (statement and page, camera and time)"))
            sensitive = st.checkbox(t("Sensitive (never in public output)"))
            notes = st.text_area(t("Notes"), height=68)
            if st.form_submit_button(t("Use for the next click")):
                st.session_state["editor_new"] = dict(
                    label=label,
                    type=kind,
                    colour=colour,
                    provenance=provenance,
                    reference=reference,
                    sensitive=sensitive,
                    notes=notes,
                )
                st.session_state["editor_tool_next"] = "place"
                st.rerun()
        ready = st.session_state.get("editor_new")
        if ready:
            st.caption(
                t("Next click places: {label} ({type}).").format(
                    label=plain(ready["label"]) or t("(unnamed)"), type=type_name(ready["type"])
                )
            )

# -- steps, undo and history -------------------------------------------------------------------
if not read_only:
    with st.form("new_step", clear_on_submit=True):
        st.write(t("**Add a step**"))
        notices("step")
        title_col, clock_col = st.columns([3, 1])
        title = title_col.text_input(t("Title"), placeholder=t("Victim crosses the road"))
        clock_text = clock_col.text_input(
            t("Clock time (24-hour, optional)"), placeholder="21:03:15"
        )
        narrative = st.text_area(t("Narrative"), height=68)
        if st.form_submit_button(t("Add step")):
            try:
                # Everyone starts where they were at the step before, marked as carried.
                added = doc.with_new_step(
                    Step(doc.next_id("s"), title, clock_text or None, narrative)
                )
            except bsu_models.BsuError as exc:
                st.error(error_text(exc))
            else:
                st.session_state["editor_step"] = len(added.steps)
                save(added, N_("added step {title!r}"), "step", title=title)

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

if doc.steps and st.session_state.get("editor_playing"):
    # Presenting: hold each step a moment, then move on; stop at the last one.
    time.sleep(2.5)
    if st.session_state.get("editor_step", 1) >= len(doc.steps):
        st.session_state["editor_playing"] = False
    else:
        st.session_state["editor_step"] = st.session_state.get("editor_step", 1) + 1
    st.rerun()
