"""Catalogue page: cases and their landmark models, with thumbnails, facts and search."""

from __future__ import annotations

import streamlit as st

import bsu_models
from viewer.shared import (
    catalogue,
    date_text,
    done,
    error_text,
    notices,
    nt,
    plain,
    real_world_text,
    show_facts,
    t,
    text_of,
)

PAGE_SIZE = 12

st.title(t("Catalogue"))
cat = catalogue()

try:
    cases = cat.list_cases()
except bsu_models.BsuError as exc:
    st.error(error_text(exc))
    st.stop()

if cat.user.may("case.create"):
    with (
        st.sidebar.expander(t("New case"), icon=":material/create_new_folder:"),
        st.form("new_case", clear_on_submit=True),
    ):
        notices("new_case")
        reference = st.text_input(
            t("Case reference"), placeholder="KC-2026-0142", key="new_case_reference"
        )
        title = st.text_input(t("Title"), key="new_case_title")
        if st.form_submit_button(t("Add case")):
            try:
                cat.add_case(reference, title)
            except bsu_models.BsuError as exc:
                st.error(error_text(exc))
            else:
                done(
                    "new_case",
                    t("Case {reference} added.").format(reference=plain(reference.strip())),
                )

if not cases:
    st.info(
        t(
            "No cases yet. Add one under “New case” in the sidebar, then upload a model on the "
            "Upload page."
        )
    )
    st.stop()

titles = {c.reference: c.title for c in cases}
left, right = st.columns([1, 2])
# Options are case references (None: all cases) so that the choice survives a language switch.
labels: dict[str | None, str] = {None: t("All cases")} | {
    c.reference: f"{c.reference} — {c.title}" for c in cases
}
choice = left.selectbox(
    t("Case"), list(labels), format_func=labels.__getitem__, key="catalogue_case"
)
query = right.text_input(t("Search names, places and tags"), key="catalogue_query")

try:
    models = cat.list_models(case=choice, query=query or None)
except bsu_models.BsuError as exc:
    st.error(error_text(exc))
    st.stop()

if not models:
    st.info(t("No models match.") if query else t("No models in this case yet."))
    st.stop()

pages = max(1, -(-len(models) // PAGE_SIZE))
page = 1
if pages > 1:
    page = int(
        st.number_input(
            t("Page (of {pages})").format(pages=pages), 1, pages, 1, key="catalogue_page"
        )
    )
shown = models[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
st.caption(nt("{count} model", "{count} models", len(models)).format(count=len(models)))

for row_start in range(0, len(shown), 3):
    for column, model in zip(st.columns(3), shown[row_start : row_start + 3], strict=False):
        latest = model.latest
        with column.container(border=True):
            try:
                st.image(cat.thumbnail_png(latest.version_id), width="stretch")
            except bsu_models.BsuError as exc:
                st.warning(error_text(exc))
            st.subheader(plain(model.name), anchor=False)
            st.text(
                f"{model.case_reference} — {titles.get(model.case_reference, '')}\n"
                f"{model.location or t('Location not given')}"
            )
            st.text(
                t("{faces} faces · {format} · v{number} · {date}").format(
                    faces=f"{latest.faces:,}",
                    format=latest.format.upper(),
                    number=latest.number,
                    date=date_text(latest.uploaded_at),
                )
            )
            st.text(real_world_text(latest))
            if model.tags:
                st.text(t("Tags: {tags}").format(tags=", ".join(model.tags)))
            open_col, edit_col = st.columns(2)
            open_col.page_link(
                "views/model.py",
                label=t("Open in 3D"),
                icon=":material/view_in_ar:",
                query_params={"model": str(model.model_id)},
            )
            if cat.user.may("scene.view"):  # the Scene editor is offered to scene readers
                edit_col.page_link(
                    "views/scene_editor.py",
                    label=t("Scenes"),
                    icon=":material/edit_location:",
                    query_params={"model": str(model.model_id)},
                )
            with st.popover(t("Facts and hash"), width="stretch"):
                show_facts(latest)
                for warning in latest.warnings:
                    st.warning(plain(text_of(warning)))
