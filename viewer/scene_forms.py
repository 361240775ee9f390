"""The scene editor's entities, positions and steps: the table of who is where, placing and
moving by a click on the model, editing an entity and how its position is known, and adding a
step."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

import bsu_models
from bsu_models import N_, Entity, Position, Provenance, Step
from viewer.names import provenance_name, type_name
from viewer.scene_editing import Editing
from viewer.shared import error_text, kept_choice, notices, plain, t

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


def provenance_text(provenance: Provenance) -> str:
    kind = provenance_name(provenance.kind)
    return f"{kind} — {provenance.reference}" if provenance.reference else kind


def entity_table(doc: bsu_models.SceneDoc, step: Step | None) -> None:
    """Every entity, and where it is at the step: placed, carried or nowhere."""
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


def place_click(editing: Editing, point: tuple[float, float, float]) -> None:
    """Place the entity of the "Place" form where the model was clicked."""
    doc, step = editing.doc, editing.step
    assert step is not None
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
        editing.save(
            placed,
            N_("placed {label} at step {title!r}"),
            "viewer",
            label=entity.label,
            title=step.title,
        )


def move_click(editing: Editing, point: tuple[float, float, float]) -> None:
    """Move the selected entity, at this step, to where the model was clicked."""
    doc, step = editing.doc, editing.step
    assert step is not None
    target = st.session_state.get("editor_selected")
    if target is None:
        st.warning(t("Choose the entity to move in the list first."))
        return
    current = doc.position(target, step.id)
    # A point placed by hand rests on no statement or survey until someone says so.
    moved = (
        current.edited(point=point, provenance=Provenance())
        if current is not None
        else Position(target, step.id, point)
    )
    editing.save(
        doc.with_position(moved),
        N_("moved {label} at step {title!r}"),
        "viewer",
        label=doc.entity(target).label,
        title=step.title,
    )


def edit_entity(editing: Editing, entity: Entity) -> None:
    """Edit the selected entity, and how its position at this step is known."""
    doc, step = editing.doc, editing.step
    position = doc.position(entity.id, step.id) if step is not None else None
    with st.form(f"edit_{entity.id}"):
        st.write(t("**Edit {label}**").format(label=plain(entity.label)))
        label = st.text_input(t("Label"), entity.label, key=f"edit_label_{entity.id}")
        kind = st.selectbox(
            t("Type"),
            bsu_models.ENTITY_TYPES,
            index=bsu_models.ENTITY_TYPES.index(entity.type),
            format_func=type_name,
            key=kept_choice(f"edit_type_{entity.id}"),
        )
        colour = st.color_picker(t("Colour"), entity.colour, key=f"edit_colour_{entity.id}")
        sensitive = st.checkbox(
            t("Sensitive (never in public output)"),
            entity.sensitive,
            key=f"edit_sensitive_{entity.id}",
        )
        notes = st.text_area(t("Notes"), entity.notes, height=68, key=f"edit_notes_{entity.id}")
        size = size_fields(entity)
        heading = None
        if position is not None and entity.type in (*bsu_models.SIZED_TYPES, "camera"):
            heading = st.number_input(
                t("Heading at this step (degrees from north, clockwise)"),
                0.0,
                359.9,
                float(position.heading_deg or 0.0),
                step=5.0,
                key=f"edit_heading_{entity.id}",
            )
        provenance = reference = None
        if position is not None:
            provenance = st.selectbox(
                t("How its position at this step is known"),
                bsu_models.PROVENANCE_KINDS,
                index=bsu_models.PROVENANCE_KINDS.index(position.provenance.kind),
                format_func=provenance_name,
                key=kept_choice(f"edit_prov_{entity.id}"),
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
                        **sizes_for(kind, size, entity),
                    )
                )
                chosen = Provenance(provenance or "assumption", reference or "")
                if (
                    position is not None
                    and provenance is not None
                    and (chosen != position.provenance)
                ):
                    changed = changed.with_position(position.edited(provenance=chosen))
                turned = changed.position(entity.id, step.id) if step is not None else None
                # An untouched 0 leaves "no heading given" as it was.
                if (
                    turned is not None
                    and heading is not None
                    and heading != (turned.heading_deg or 0.0)
                ):
                    changed = changed.with_position(turned.edited(heading_deg=heading))
            except bsu_models.BsuError as exc:
                st.error(error_text(exc))
            else:
                editing.save(changed, N_("edited {label}"), "entity", label=label)


def size_fields(entity: Entity) -> dict[str, object]:
    """The true-size fields of a person (height) or vehicle (kind, length, width, height);
    0 stands for "typical"; a camera's field of view."""
    key = entity.id
    if entity.type == "camera":
        fov = entity.fov_deg if entity.fov_deg is not None else bsu_models.DEFAULT_CAMERA_FOV_DEG
        return {
            "fov_deg": st.number_input(
                t("Field of view (degrees, horizontal)"),
                1.0,
                179.0,
                float(fov),
                step=1.0,
                key=f"edit_fov_{key}",
            )
        }
    if entity.type not in bsu_models.SIZED_TYPES:
        return {}
    fields: dict[str, object] = {}
    if entity.type == "vehicle":
        kinds = bsu_models.VEHICLE_KINDS
        fields["vehicle_kind"] = st.selectbox(
            t("Vehicle kind"),
            kinds,
            index=kinds.index(entity.vehicle_kind or "car"),
            format_func=lambda k: t(bsu_models.VEHICLE_KIND_NAMES[k]),
            key=kept_choice(f"edit_vehicle_{key}"),
        )
    measures = [("height_m", t("Height (m), 0: typical"))]
    if entity.type == "vehicle":
        measures = [
            ("length_m", t("Length (m), 0: typical")),
            ("width_m", t("Width (m), 0: typical")),
            *measures,
        ]
    for name, label in measures:
        fields[name] = st.number_input(
            label,
            0.0,
            30.0,
            float(getattr(entity, name) or 0.0),
            step=0.01,
            key=f"edit_{name}_{key}",
        )
    return fields


def sizes_for(
    kind: str, fields: dict[str, object], before: Entity | None = None
) -> dict[str, object]:
    """The entity's size fields for its (perhaps changed) ``kind``: none that do not apply. A
    camera's untouched default field of view stays unset, so its scene document is unchanged."""
    person = kind in bsu_models.SIZED_TYPES and kind != "vehicle"
    sizes: dict[str, object] = {
        "height_m": None,
        "vehicle_kind": None,
        "length_m": None,
        "width_m": None,
        "fov_deg": None,
    }
    fov = fields.get("fov_deg")
    if kind == "camera" and fov is not None:
        unset = before is None or before.fov_deg is None
        if not (unset and fov == bsu_models.DEFAULT_CAMERA_FOV_DEG):
            sizes["fov_deg"] = fov
    if kind == "vehicle" or person:
        sizes["height_m"] = fields.get("height_m") or None
    if kind == "vehicle":
        sizes["vehicle_kind"] = fields.get("vehicle_kind") or None
        sizes["length_m"] = fields.get("length_m") or None
        sizes["width_m"] = fields.get("width_m") or None
    return sizes


def new_entity_form() -> None:
    """Who or what the next click on the model places."""
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


def new_step_form(editing: Editing) -> None:
    """Add a step after the last; everyone is carried to it from the step before."""
    doc = editing.doc
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
                editing.save(added, N_("added step {title!r}"), "step", title=title)
