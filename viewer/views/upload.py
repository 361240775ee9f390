"""Upload page: one mesh, a mesh with its MTL and textures, or a zip; checked, then stored."""

from __future__ import annotations

import streamlit as st

import bsu_models
from viewer.shared import catalogue, show_facts

AXES = ["+z", "+y", "+x", "-z", "-y", "-x"]

st.title("Upload a landmark model")
cat = catalogue()

# The report of the last import sits at the top, where the eye is after clicking Import.
report_area = st.container()

try:
    cases = cat.list_cases()
except bsu_models.BsuError as exc:
    st.error(str(exc))
    st.stop()
if not cases:
    st.info("Add a case on the Catalogue page first (“New case” in the sidebar).")
    st.stop()

st.caption(
    f"Accepted: {bsu_models.supported_list()} — one file, the mesh with its MTL and texture "
    "images, or a zip of them. Each upload is checked in a separate, locked-down process "
    "before anything is stored, and the original is kept exactly as uploaded."
)

case_labels = {f"{c.reference} — {c.title}": c.reference for c in cases}
case_label = st.selectbox("Case", list(case_labels), key="upload_case")
files = st.file_uploader(
    "Mesh file(s) or a zip",
    accept_multiple_files=True,
    # A fresh uploader after each stored import: the same files are not imported twice.
    key=f"upload_files_{st.session_state.get('upload_round', 0)}",
    help="Several files: the mesh plus its MTL and texture images.",
)
name = st.text_input(
    "Landmark model name",
    key="upload_name",
    help="An existing name in this case adds a new version of that model.",
)
location = st.text_input("District / location", key="upload_location")
description = st.text_area("Description", key="upload_description", height=80)
tags = st.text_input("Tags (comma-separated)", key="upload_tags")
c1, c2, c3, c4 = st.columns(4)
units = c1.selectbox(
    "Units of the file",
    bsu_models.UNITS,
    index=len(bsu_models.UNITS) - 1,
    key="upload_units",
    help="The unit one coordinate step of the file means.",
)
scale = c2.text_input(
    "Model scale (e.g. 1:50)",
    key="upload_scale",
    help="Scale of the physical model; leave empty if unknown.",
)
up_axis = c3.selectbox(
    "Up axis",
    AXES,
    key="upload_up",
    help="Scanners often use +y; check the thumbnail after import.",
)
north_axis = c4.selectbox("North axis", AXES, index=1, key="upload_north")

candidates = st.session_state.get("upload_candidates")
member = None
if candidates:
    member = st.selectbox(
        "The upload holds several meshes. Which one is the model?",
        candidates,
        index=None,
        placeholder="Choose the mesh",
        key="upload_member",
    )

if st.button("Import", type="primary", disabled=not files):
    uploads = [bsu_models.UploadFile(f.name, f.getvalue()) for f in files or []]
    bar = report_area.progress(0.0, text="Starting")
    try:
        result = cat.import_model(
            uploads,
            case=case_labels[case_label],
            name=name,
            units=units,
            scale=scale or None,
            member=member,
            location=location,
            description=description,
            tags=[tags] if tags else [],
            up_axis=up_axis,
            north_axis=north_axis,
            progress=lambda fraction, message: bar.progress(fraction, text=message),
        )
    except bsu_models.AmbiguousUpload as exc:
        st.session_state["upload_candidates"] = exc.candidates
        st.session_state["upload_notice"] = str(exc).replace("with --member", "below")
        st.rerun()
    except bsu_models.BsuError as exc:
        bar.empty()
        report_area.error(str(exc))
    else:
        bar.empty()
        st.session_state.pop("upload_candidates", None)
        st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
        version = result.version
        with report_area:
            st.success(f"Stored {version.model_name}, version {version.number}.")
            st.subheader("Validation report", anchor=False)
            left, right = st.columns([2, 3])
            left.image(cat.thumbnail_png(version.version_id), width="stretch")
            left.caption("If the model lies on its side, import it again with the right up axis.")
            with right:
                show_facts(version)
            for warning in version.warnings:
                st.warning(warning)

notice = st.session_state.pop("upload_notice", None)
if notice:
    report_area.warning(notice)
