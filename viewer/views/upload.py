"""Upload page: one mesh, a mesh with its MTL and textures, or a zip; checked, then stored."""

from __future__ import annotations

import streamlit as st

import bsu_models
from viewer.shared import (
    actor,
    catalogue,
    done,
    error_text,
    notices,
    nt,
    plain,
    show_facts,
    size_text,
    t,
    text_of,
    uploader_words,
)

AXES = ["+z", "+y", "+x", "-z", "-y", "-x"]
# The form's typed fields, emptied after a stored import so that the next upload starts afresh.
# The case, units and axes stay: a series of uploads is usually one case from one scanner.
TEXT_KEYS = (
    "upload_name",
    "upload_location",
    "upload_description",
    "upload_tags",
    "upload_scale",
    "upload_lat",
    "upload_lon",
)


def show_report(version: bsu_models.VersionInfo) -> None:
    """What was stored: the thumbnail, the version's facts and the checks' warnings."""
    st.success(
        t("Stored {name}, version {number}.").format(
            name=plain(version.model_name), number=version.number
        )
    )
    st.subheader(t("Validation report"), anchor=False)
    left, right = st.columns([2, 3])
    left.image(cat.thumbnail_png(version.version_id), width="stretch")
    left.caption(t("If the model lies on its side, import it again with the right up axis."))
    with right:
        show_facts(version)
    for warning in version.warnings:
        st.warning(plain(text_of(warning)))


st.title(t("Upload a landmark model"))
if st.session_state.pop("upload_reset", False):
    # Dropping a field's key would leave the browser showing the old text; a value set before
    # the field is drawn again replaces it there too.
    for key in TEXT_KEYS:
        st.session_state[key] = ""
cat = catalogue()

try:
    cases = cat.list_cases()
except bsu_models.BsuError as exc:
    st.error(error_text(exc))
    st.stop()
if not cases:
    st.info(t("Add a case on the Catalogue page first (“New case” in the sidebar)."))
    st.stop()

st.caption(
    t(
        "Accepted: {formats} — one file, the mesh with its MTL and texture images, or a zip of "
        "them. Each upload is checked in a separate, locked-down process before anything is "
        "stored, and the original is kept exactly as uploaded."
    ).format(formats=bsu_models.supported_list())
)

case_labels = {f"{c.reference} — {c.title}": c.reference for c in cases}
case_label = st.selectbox(t("Case"), list(case_labels), key="upload_case")
# The uploader's words are styled before it is drawn, so it never shows Streamlit's own.
uploader_words()
files = st.file_uploader(
    t("Mesh file(s) or a zip"),
    accept_multiple_files=True,
    # A fresh uploader after each stored import: the same files are not imported twice.
    key=f"upload_files_{st.session_state.get('upload_round', 0)}",
    help=t("Several files: the mesh plus its MTL and texture images."),
)
st.caption(
    t("Drop the files here or choose them; up to {size} in all per import.").format(
        size=size_text(cat.settings.max_upload_bytes)
    )
)
name = st.text_input(
    t("Landmark model name"),
    key="upload_name",
    help=t("An existing name in this case adds a new version of that model."),
)
location = st.text_input(t("District / location"), key="upload_location")
description = st.text_area(t("Description"), key="upload_description", height=80)
tags = st.text_input(t("Tags (comma-separated)"), key="upload_tags")
c1, c2, c3, c4 = st.columns(4)
units = c1.selectbox(
    t("Units of the file"),
    bsu_models.UNITS,
    index=len(bsu_models.UNITS) - 1,
    # The stored values are unit symbols (m, cm, mm, ...); only "unknown" is a word.
    format_func=lambda u: t("unknown") if u == "unknown" else u,
    key="upload_units",
    help=t("The unit one coordinate step of the file means."),
)
scale = c2.text_input(
    t("Model scale (e.g. 1:50)"),
    key="upload_scale",
    help=t("Scale of the physical model; leave empty if unknown."),
)
up_axis = c3.selectbox(
    t("Up axis"),
    AXES,
    key="upload_up",
    help=t("Scanners often use +y; check the thumbnail after import."),
)
north_axis = c4.selectbox(t("North axis"), AXES, index=1, key="upload_north")
# Optional, as text: what is typed goes to the import as it is, so that a bad value gets the
# service's own sentence (the same check as ``version locate`` and the Model page).
place_help = t(
    "WGS84 latitude and longitude of the model's origin: with its north axis, this puts the sun "
    "where it was at the incident's time."
)
p1, p2 = st.columns(2)
latitude = p1.text_input(t("Latitude (degrees, north +)"), key="upload_lat", help=place_help)
longitude = p2.text_input(t("Longitude (degrees, east +)"), key="upload_lon", help=place_help)

candidates = st.session_state.get("upload_candidates")
member = None
if candidates:
    member = st.selectbox(
        t("The upload holds several meshes. Which one is the model?"),
        candidates,
        index=None,
        placeholder=t("Choose the mesh"),
        key="upload_member",
    )

clicked = st.button(t("Import"), type="primary", disabled=not files)
# The progress and the report of an import sit right under its button, where the eye is.
report_area = st.container()
notices("upload", report_area)
stored = st.session_state.pop("upload_stored", None)
if stored is not None:
    with report_area:
        show_report(cat.get_version(stored))
if clicked:
    uploads = [bsu_models.UploadFile(f.name, f.getvalue()) for f in files or []]
    bar = report_area.progress(0.0, text=t("Starting"))
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
            latitude=latitude.strip() or None,
            longitude=longitude.strip() or None,
            progress=lambda fraction, message: bar.progress(fraction, text=plain(text_of(message))),
        )
    except bsu_models.AmbiguousUpload as exc:
        st.session_state["upload_candidates"] = exc.candidates
        done(
            "upload",
            nt(
                "The upload holds {count} mesh; choose it below.",
                "The upload holds {count} meshes; choose one below.",
                len(exc.candidates),
            ).format(count=len(exc.candidates)),
            "warning",
        )
    except bsu_models.BsuError as exc:
        bar.empty()
        report_area.error(error_text(exc))
    else:
        # The browser's smaller, compressed levels are made after the import has returned.
        try:
            cat.derive_levels_later(result.version.version_id, actor=actor())
        except bsu_models.BsuError as exc:
            report_area.warning(error_text(exc))
        st.session_state.pop("upload_candidates", None)
        # A fresh uploader and empty fields: the same files are not imported twice, and the
        # next model's name is not this one's. The report shows on the run that follows.
        st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
        st.session_state["upload_reset"] = True
        st.session_state["upload_stored"] = result.version.version_id
        st.rerun()
