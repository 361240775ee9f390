"""Scene editor tools that act on the scene as a whole: rename, duplicate, archive or restore
it (sidebar), and undo and redo over several changes. Each change is a new revision (archiving
is a recorded state); each result shows where it was asked for."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

import bsu_models
from bsu_models import N_
from viewer.shared import actor, done, error_text, notices, plain, t


def scene_controls(cat: bsu_models.Catalogue, scene: bsu_models.SceneInfo) -> None:
    """Rename, duplicate, archive or restore the scene (sidebar); each result shown there."""
    with st.sidebar.expander(t("This scene"), icon=":material/settings:"):
        notices("scene")
        if not scene.frozen and not scene.archived:
            with st.form("rename_scene", clear_on_submit=True):
                name = st.text_input(t("New name"), placeholder=scene.name)
                if st.form_submit_button(t("Rename")):
                    try:
                        cat.scenes.rename(scene.scene_id, name, actor=actor())
                    except bsu_models.BsuError as exc:
                        done("scene", error_text(exc), "error")
                    done("scene", t("Renamed to {name}.").format(name=plain(name.strip())))
        with st.form("copy_scene", clear_on_submit=True):
            name = st.text_input(
                t("Name of the duplicate"), placeholder=t("{name} (copy)").format(name=scene.name)
            )
            if st.form_submit_button(t("Duplicate")):
                try:
                    copied = cat.scenes.copy(
                        scene.scene_id,
                        name or t("{name} (copy)").format(name=scene.name),
                        actor=actor(),
                    )
                except bsu_models.BsuError as exc:
                    done("scene", error_text(exc), "error")
                st.session_state["editor_scene_next"] = copied.scene_id
                done("scene", t("Duplicated as {name}.").format(name=plain(copied.name)))
        if st.button(
            t("Restore") if scene.archived else t("Archive"),
            icon=":material/unarchive:" if scene.archived else ":material/archive:",
            help=t("Archived scenes are kept, never deleted; they leave the lists."),
            key="archive_scene",
        ):
            try:
                cat.scenes.set_archived(scene.scene_id, not scene.archived, actor=actor())
            except bsu_models.BsuError as exc:
                done("scene", error_text(exc), "error")
            done(
                "scene",
                t("Restored.")
                if scene.archived
                else t("Archived; “Show archived scenes” lists it."),
            )


def undo_redo(
    cat: bsu_models.Catalogue,
    scene: bsu_models.SceneInfo,
    save: Callable[..., None],
) -> None:
    """Undo and Redo buttons: each stores an earlier revision's document as the next revision.

    Per scene, this session's place in its own undo history: the revision the undo or redo made
    ("at"), the revision whose document it shows ("shows") and what redo brings back. Any other
    change (here or by someone else) moves the scene past "at" and starts afresh. ``save`` is the
    page's ``save(doc, summary, place, **values)``.
    """
    undo_state = st.session_state.setdefault("editor_undo", {}).get(scene.scene_id)
    if undo_state is not None and undo_state["at"] != scene.revision:
        undo_state = None
    shows = undo_state["shows"] if undo_state else scene.revision
    redo = list(undo_state["redo"]) if undo_state else []
    undo_col, redo_col, _rest = st.columns([1, 1, 4])
    if undo_col.button(
        t("Undo"),
        icon=":material/undo:",
        disabled=shows <= 1,
        width="stretch",
        help=t("Back to the revision before"),
    ):
        st.session_state["editor_undo"][scene.scene_id] = {
            "at": scene.revision + 1,
            "shows": shows - 1,
            "redo": [shows, *redo],
        }
        save(
            cat.scenes.document(scene.scene_id, shows - 1),
            N_("undid revision {number} (back to revision {back})"),
            "undo",
            number=shows,
            back=shows - 1,
        )
    if redo_col.button(t("Redo"), icon=":material/redo:", disabled=not redo, width="stretch"):
        st.session_state["editor_undo"][scene.scene_id] = {
            "at": scene.revision + 1,
            "shows": redo[0],
            "redo": redo[1:],
        }
        save(
            cat.scenes.document(scene.scene_id, redo[0]),
            N_("redid revision {number}"),
            "undo",
            number=redo[0],
        )
    notices("undo")
