"""Model page: one landmark model in the 3D viewer, with its facts, versions and history."""

from __future__ import annotations

import secrets

import streamlit as st

import bsu_models
from viewer.scene3d import (
    awaiting_first_frame,
    draw_rest_after_first_frame,
    prepare_view,
    scene3d,
)
from viewer.shared import (
    actor,
    catalogue,
    choose_version,
    datetime_text,
    error_text,
    plain,
    show_facts,
    show_job,
    t,
    text_of,
)


def model_view_key(model_id: int | str) -> str:
    # By model, not version: the sign-in form knows the model from the address only. New after
    # each sign-out (which empties the session's state), so that the next sign-in form never
    # gets the frame that showed a model.
    since = st.session_state.setdefault("model3d:since", secrets.token_hex(4))
    return f"model3d-{since}-{model_id}"


st.title(t("Model"))
head = st.container()
left, right = st.columns([3, 2])
linked = st.query_params.get("model", "")
with head:
    # At a model's address the sign-in form starts its view, which loads its code while the
    # name and password are typed; signed in, the page draws the model in that same frame.
    cat = catalogue(
        while_signing_in=(
            (lambda: prepare_view(left, model_view_key(linked))) if linked.isdigit() else None
        )
    )
    version = choose_version(cat, key="model")
if version is None:
    st.stop()

view_key = model_view_key(version.model_id)
with left:
    event = scene3d(cat, version, key=view_key, actor=actor())
    if event and event.get("type") == "click":
        st.session_state["model_clicked"] = event["point"]
    clicked = st.session_state.get("model_clicked")
    if clicked:
        st.text(
            t("Last clicked point (model coordinates): {point}").format(
                point=", ".join(f"{c:.4g}" for c in clicked)
            )
        )
    st.caption(
        t(
            "Drag to turn, right-drag to pan, wheel to zoom; the buttons above the model "
            "give plan, elevations and isometric views; Walk puts you at eye height."
        )
    )

if awaiting_first_frame(view_key):
    # The facts, levels and expanders follow in the rerun that the view's first frame brings:
    # drawn beside it, their code loaded in the same tab and delayed that frame by about a
    # quarter of a second (bench/viewer.py).
    with right:
        draw_rest_after_first_frame()
    st.stop()


def level_lines(levels: tuple[bsu_models.LevelInfo, ...]) -> list[str]:
    lines = []
    for level in levels:
        if level.status == "ready":
            lines.append(
                t("{level}: {faces} faces, {size} MB").format(
                    level=level.level, faces=f"{level.faces:,}", size=f"{level.bytes / 1e6:.1f}"
                )
            )
        elif level.status == "pending":
            lines.append(t("{level}: being made…").format(level=level.level))
        else:
            lines.append(t("{level}: not made (see the warning)").format(level=level.level))
    return lines


def level_job() -> bsu_models.JobInfo | None:
    """The latest job that makes this version's levels, if any."""
    try:
        found = cat.jobs(case=version.case_reference, kind="web_levels")
    except bsu_models.BsuError:
        return None
    return next((j for j in found if j.parameters.get("version_id") == version.version_id), None)


started = level_job()
if started is not None:
    building = not started.finished
else:  # made before levels were jobs, or by `bsu-models derive`
    building = any(level.status == "pending" for level in version.web_levels)


# While levels are being made the list and the job's progress refresh themselves; once they are
# done the page reruns so that the viewer can use them.
@st.fragment(run_every=1 if building else None)
def web_levels() -> None:
    levels = cat.get_version(version.version_id).web_levels
    st.caption(t("Levels for the browser: {levels}").format(levels=" · ".join(level_lines(levels))))
    job = level_job()
    if job is not None and job.status != "done":
        show_job(job)
    pending = any(level.status == "pending" for level in levels)
    if building and (job.finished if job is not None else not pending):  # done: rerun once
        st.rerun()


with right:
    show_facts(version)
    web_levels()
    for warning in version.warnings:
        st.warning(plain(text_of(warning)))
    with st.expander(t("Versions of this model")):
        try:
            versions = cat.versions_of(version.model_id)
        except bsu_models.BsuError as exc:
            st.error(error_text(exc))
        else:
            st.table(
                {
                    t("Version"): [v.number for v in versions],
                    # st.table renders Markdown: file and user names are escaped.
                    t("File"): [plain(v.original_name) for v in versions],
                    "SHA-256": [v.original_sha256[:16] + "…" for v in versions],
                    t("Uploaded"): [
                        plain(
                            t("{when} by {who}").format(
                                when=datetime_text(v.uploaded_at), who=v.uploaded_by
                            )
                        )
                        for v in versions
                    ],
                },
                hide_index=True,
            )
    with st.expander(t("Place on Earth")):
        st.caption(
            t(
                "WGS84 latitude and longitude of the model's origin: with its north axis, "
                "this puts the sun where it was at the incident's time."
            )
        )
        if version.latitude_deg is not None:
            st.text(
                t("Latitude {lat:.6f}°, longitude {lon:.6f}°").format(
                    lat=version.latitude_deg, lon=version.longitude_deg
                )
            )
        else:
            st.text(t("Not located yet."))
        place_refusal = cat.refusal("model.import", version.case_reference)
        if place_refusal is not None:
            st.caption(text_of(place_refusal))
        else:
            latitude = st.number_input(
                t("Latitude (degrees, north +)"),
                value=version.latitude_deg if version.latitude_deg is not None else 22.3,
                format="%.6f",
                key=f"place_lat_{version.version_id}",
            )
            longitude = st.number_input(
                t("Longitude (degrees, east +)"),
                value=version.longitude_deg if version.longitude_deg is not None else 114.17,
                format="%.6f",
                key=f"place_lon_{version.version_id}",
            )
            if st.button(t("Save place"), key="save_place"):
                try:
                    cat.locate_version(version.version_id, latitude, longitude, actor=actor())
                except bsu_models.BsuError as exc:
                    st.error(error_text(exc))
                else:
                    st.success(t("Place saved."))
    with st.expander(t("Download the original")):
        st.caption(
            t(
                "The files exactly as uploaded, checked against their SHA-256. Each download "
                "is recorded in the audit log."
            )
        )
        refusal = cat.refusal("model.download", version.case_reference)
        if refusal is not None:
            st.caption(text_of(refusal))
        elif st.button(t("Prepare download"), key="prepare_original"):
            try:
                files = cat.original_files(version.version_id, actor=actor())
            except bsu_models.BsuError as exc:
                st.error(error_text(exc))
            else:
                for name, data in files:
                    st.download_button(
                        t("Download {name}").format(name=plain(name)),
                        data,
                        file_name=name,
                        key=f"dl-{name}",
                    )
