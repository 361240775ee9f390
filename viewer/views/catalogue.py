"""Catalogue page: cases and their landmark models, with thumbnails, facts and search."""

from __future__ import annotations

import streamlit as st

import bsu_models
from viewer.shared import catalogue, real_world_text, show_facts

PAGE_SIZE = 12
ALL_CASES = "All cases"

st.title("Catalogue")
cat = catalogue()

try:
    cases = cat.list_cases()
except bsu_models.BsuError as exc:
    st.error(str(exc))
    st.stop()

with (
    st.sidebar.expander("New case", icon=":material/create_new_folder:"),
    st.form("new_case", clear_on_submit=True),
):
    reference = st.text_input(
        "Case reference", placeholder="KC-2026-0142", key="new_case_reference"
    )
    title = st.text_input("Title", key="new_case_title")
    if st.form_submit_button("Add case"):
        try:
            cat.add_case(reference, title)
        except bsu_models.BsuError as exc:
            st.error(str(exc))
        else:
            st.success(f"Case {reference.strip()} added.")
            st.rerun()

if not cases:
    st.info(
        "No cases yet. Add one under “New case” in the sidebar, then upload a model on the "
        "Upload page."
    )
    st.stop()

titles = {c.reference: c.title for c in cases}
left, right = st.columns([1, 2])
labels = {ALL_CASES: None} | {f"{c.reference} — {c.title}": c.reference for c in cases}
choice = left.selectbox("Case", list(labels), key="catalogue_case")
query = right.text_input("Search names, places and tags", key="catalogue_query")

try:
    models = cat.list_models(case=labels[choice], query=query or None)
except bsu_models.BsuError as exc:
    st.error(str(exc))
    st.stop()

if not models:
    st.info("No models match." if query else "No models in this case yet.")
    st.stop()

pages = max(1, -(-len(models) // PAGE_SIZE))
page = 1
if pages > 1:
    page = int(st.number_input(f"Page (of {pages})", 1, pages, 1, key="catalogue_page"))
shown = models[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
st.caption(f"{len(models)} model{'s' if len(models) != 1 else ''}")

for row_start in range(0, len(shown), 3):
    for column, model in zip(st.columns(3), shown[row_start : row_start + 3], strict=False):
        latest = model.latest
        with column.container(border=True):
            try:
                st.image(cat.thumbnail_png(latest.version_id), width="stretch")
            except bsu_models.BsuError as exc:
                st.warning(str(exc))
            st.subheader(model.name, anchor=False)
            st.text(
                f"{model.case_reference} — {titles.get(model.case_reference, '')}\n"
                f"{model.location or 'Location not given'}"
            )
            st.text(f"{latest.faces:,} faces · {latest.format.upper()} · v{latest.number}")
            st.text(real_world_text(latest))
            if model.tags:
                st.text("Tags: " + ", ".join(model.tags))
            open_col, edit_col = st.columns(2)
            open_col.page_link(
                "views/model.py",
                label="Open in 3D",
                icon=":material/view_in_ar:",
                query_params={"model": str(model.model_id)},
            )
            edit_col.page_link(
                "views/scene_editor.py",
                label="Scenes",
                icon=":material/edit_location:",
                query_params={"model": str(model.model_id)},
            )
            with st.popover("Facts and hash", width="stretch"):
                show_facts(latest)
                for warning in latest.warnings:
                    st.warning(warning)
