"""The scene editor's measuring: what to measure and the clicks it takes, sightlines between
two entities at a step, and saving the viewer's camera as a view of the step."""

from __future__ import annotations

from typing import Any

import streamlit as st

import bsu_models
from bsu_models import N_, Anchor, Measurement, SavedView, Section, Sightline
from viewer.scene_editing import Editing
from viewer.shared import error_text, kept_choice, notices, t, text_of

#: Clicks on the model that each kind of measurement takes (a path length takes none).
CLICKS = {"distance": 2, "height": 1, "angle": 3}


def measure_names() -> dict[str, str]:
    """The kinds of measurement, in the user's current language (asked on every run)."""
    return {
        "distance": t("Distance (2 clicks)"),
        "height": t("Height above the base (1 click)"),
        "angle": t("Angle (3 clicks: one end, the corner, the other end)"),
        "path_length": t("Path length of the selected entity"),
    }


def choose_measure(editing: Editing) -> str:
    """What the next clicks measure; a path length is measured at once, from a button."""
    names = measure_names()
    kind: str = st.radio(
        t("What to measure"),
        list(names),
        format_func=names.get,
        horizontal=True,
        key=kept_choice("editor_measure_kind"),
    )
    if kind == "path_length":
        walker = st.session_state.get("editor_selected")
        if st.button(
            t("Measure the path of the selected entity"),
            disabled=walker is None,
            key="editor_measure_path",
        ):
            doc = editing.doc
            editing.measure_and_save(
                Measurement(doc.next_id("m"), "path_length", entity=walker),
                N_("measured the path of {label}: {value}"),
                label=doc.entity(walker).label if walker else "",
            )
    return kind


def measure_click(editing: Editing, kind: str, point: tuple[float, float, float]) -> None:
    """Take one click of a measurement; the last click measures and saves it."""
    assert editing.step is not None
    points = [*st.session_state.pop("editor_measure_points", []), point]
    needed = CLICKS.get(kind, 2)
    if len(points) < needed:
        st.session_state["editor_measure_points"] = points
        st.info(
            t("Point {number} of {count} taken; click the next one.").format(
                number=len(points), count=needed
            )
        )
        return
    anchors = [Anchor(point=p) for p in points]
    editing.measure_and_save(
        Measurement(
            editing.doc.next_id("m"),
            kind,
            step=editing.step.id,
            a=anchors[0],
            b=anchors[-1] if kind != "height" else None,
            vertex=anchors[1] if kind == "angle" else None,
        )
    )


def last_measurement() -> None:
    last = st.session_state.get("editor_last_measure")
    if last:
        st.metric(t("Last measurement"), text_of(last))


def _section(shown: Any) -> Section | None:
    """The section box the viewer reported with its camera (None: the whole model)."""
    if not isinstance(shown, dict):
        return None
    return Section(low=tuple(shown.get("low") or ()), high=tuple(shown.get("high") or ()))


def save_view_form(editing: Editing, pending: dict[str, Any]) -> None:
    """Keep the camera the viewer reported as a saved view of the step."""
    assert editing.step is not None
    doc = editing.doc
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
                    steps=(editing.step.id,),
                    section=_section(view.get("section")),
                )
            except bsu_models.BsuError as exc:
                st.error(error_text(exc))
            else:
                st.session_state.pop("editor_camera", None)
                editing.save(
                    doc.with_view(saved), N_("saved view {name!r}"), "viewer", name=saved.name
                )


def sightline_form(editing: Editing, labels: dict[str, str], number: int) -> None:
    """Could the observer see the target at step ``number``? The answer is kept in the scene."""
    assert editing.step is not None
    doc = editing.doc
    with st.form("sightline"):
        st.write(t("Could one see the other at this step?"))
        notices("sightline")
        observer = st.selectbox(t("Observer"), list(labels), format_func=labels.get)
        target = st.selectbox(t("Target"), list(labels), format_func=labels.get, index=1)
        if st.form_submit_button(t("Check sightline")):
            line = Sightline(doc.next_id("l"), observer, Anchor(entity=target), editing.step.id)
            try:
                result = editing.cat.scenes.sightline(
                    editing.scene.scene_id, labels[observer], labels[target], number
                )
            except bsu_models.BsuError as exc:
                st.error(error_text(exc))
            else:
                # The eye and face heights it was drawn at go with the verdict, and so into the
                # revision's summary.
                summary = (
                    N_("sightline: {observer} can see {target} ({distance})")
                    if result.visible
                    else N_("sightline: {observer} cannot see (blocked) {target} ({distance})")
                )
                if result.heights_message is not None:
                    summary = (
                        N_("sightline: {observer} can see {target} ({distance}). {heights}")
                        if result.visible
                        else N_(
                            "sightline: {observer} cannot see (blocked) {target} ({distance}). "
                            "{heights}"
                        )
                    )
                editing.save(
                    doc.with_sightline(line),
                    summary,
                    "sightline",
                    kind="success" if result.visible else "warning",
                    observer=result.observer,
                    target=result.target,
                    distance=result.distance.message,
                    **(
                        {"heights": result.heights_message}
                        if result.heights_message is not None
                        else {}
                    ),
                )
