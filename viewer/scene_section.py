"""The scene editor's section box: cut the model to a box to look into a car park level or up a
staircase. The box is shown at once in the 3D view and kept with the next saved view."""

from __future__ import annotations

from typing import Any

import streamlit as st

import bsu_models
from viewer.shared import error_text, t


def _direction_names() -> dict[str, str]:
    return {
        "east": t("West to east"),
        "north": t("South to north"),
        "up": t("Height"),
    }


def section_form(
    cat: bsu_models.Catalogue,
    version: bsu_models.VersionInfo,
    doc: bsu_models.SceneDoc,
    step: bsu_models.Step,
) -> dict[str, Any] | None:
    """The section box to show now (the browser's form of ``Section.shown``), or None for the
    whole model. It starts as the step's saved view has it."""
    # A version's geometry never changes, so its extent is read once per session, not on every
    # rerun of the editor.
    extents = st.session_state.setdefault("editor_section_extents", {})
    extent = extents.get(version.version_id)
    if extent is None:
        extent = extents[version.version_id] = cat.scenes.section_extent(version.version_id)
    reach = {"east": extent.east, "north": extent.north, "up": extent.up}
    seeded = st.session_state.get("editor_section_for")
    if seeded != (version.version_id, step.id):
        # A new step (or model): start from the section of the step's saved view, if any.
        st.session_state["editor_section_for"] = (version.version_id, step.id)
        view = doc.view_for_step(step.id)
        ranges: dict[str, tuple[float, float]] = {d: (0.0, r) for d, r in reach.items()}
        if view is not None and view.section is not None:
            ranges = cat.scenes.section_ranges(version.version_id, view.section)
        st.session_state["editor_section_on"] = view is not None and view.section is not None
        for direction, (low, high) in ranges.items():
            st.session_state[f"editor_section_{direction}"] = (round(low, 2), round(high, 2))
    unit = t("m") if extent.metres else t("model units")
    with st.expander(t("Section: look inside"), expanded=st.session_state["editor_section_on"]):
        on = st.toggle(
            t("Cut the model to a box"),
            key="editor_section_on",
            help=t(
                "Only the part of the model inside the box is drawn; people, vehicles and marks "
                "stay whole. Save a view to keep the box with it."
            ),
        )
        chosen = {}
        for direction, name in _direction_names().items():
            top = max(round(reach[direction], 2), 0.01)
            chosen[direction] = st.slider(
                t("{direction} ({unit}, from the lowest side)").format(direction=name, unit=unit)
                if direction == "up"
                else t("{direction} ({unit})").format(direction=name, unit=unit),
                0.0,
                top,
                key=f"editor_section_{direction}",
                step=max(top / 200, 0.01),
                disabled=not on,
            )
    if not on:
        return None
    try:
        section = cat.scenes.section_box(version.version_id, chosen)
    except bsu_models.BsuError as exc:
        st.error(error_text(exc))
        return None
    return section.shown() if section is not None else None
