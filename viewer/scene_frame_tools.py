"""Scene editor: a CCTV frame brought in as evidence, and readings off a matched camera's frame.

“Add a CCTV frame” keeps a still (PNG or JPEG) for a camera entity with its source (the CCTV
system's camera, the time on the footage, the exhibit number). Once the camera is matched, a
click on its frame can, instead of pairing a point, place an entity where its feet are seen
(CCTV provenance with the frame's hash and the pixel) or, with two clicks (head, then feet),
read a person's height with its ± and keep it with the camera. Each is the camera service's
own call, so the checks, the audit and the revision are the same as on the command line.
"""

from __future__ import annotations

import streamlit as st

import bsu_models
from viewer.shared import (
    actor,
    done,
    error_text,
    kept_choice,
    notices,
    plain,
    t,
    uploader_words,
)

#: What a click on a matched camera's frame does.
FRAME_USES = ("pair", "place", "height")


def frame_use_names() -> dict[str, str]:
    return {
        "pair": t("pairs a point with the model"),
        "place": t("places an entity where its feet are"),
        "height": t("reads a height (head, then feet)"),
    }


def add_frame_form(
    cat: bsu_models.Catalogue, scene: bsu_models.SceneInfo, doc: bsu_models.SceneDoc
) -> None:
    """Upload a CCTV still for one of the scene's camera entities."""
    cameras = {e.id: e.label for e in doc.entities if e.type == "camera"}
    if not cameras:
        return
    with st.expander(t("Add a CCTV frame"), icon=":material/add_photo_alternate:"):
        notices("frame_add")
        uploader_words()
        with st.form("cctv_frame_add", clear_on_submit=True):
            camera = st.selectbox(
                t("Camera entity"), list(cameras), format_func=lambda i: plain(cameras[i])
            )
            upload = st.file_uploader(
                t("Still from the footage (PNG or JPEG)"),
                type=None,
                help=t("At most {pixels:,} pixels.").format(
                    pixels=cat.settings.max_texture_pixels
                ),
            )
            camera_ref = st.text_input(t("CCTV camera (as the system names it)"))
            recorded_at = st.text_input(t("Time on the footage"), placeholder="2026-11-20T21:03:15")
            exhibit = st.text_input(t("Exhibit number"))
            if st.form_submit_button(t("Keep the frame"), icon=":material/upload:"):
                if upload is None:
                    done("frame_add", t("Choose the still to keep first."), "error")
                try:
                    frame = cat.cameras.add_frame(
                        scene.scene_id,
                        camera,
                        upload.getvalue(),
                        upload.name,
                        camera_ref=camera_ref,
                        recorded_at=recorded_at,
                        exhibit=exhibit,
                        actor=actor(),
                    )
                except bsu_models.BsuError as exc:
                    done("frame_add", error_text(exc), "error")
                done(
                    "frame_add",
                    t("Kept frame {sha} ({width}×{height}) for {camera}.").format(
                        sha=frame.sha256[:12],
                        width=frame.width,
                        height=frame.height,
                        camera=plain(cameras[camera]),
                    ),
                )


def frame_use(matched: bool) -> str:
    """What the next click on the frame does (only a matched camera's frame can be read)."""
    if not matched:
        return "pair"
    names = frame_use_names()
    use: str = st.radio(
        t("A click on the frame"), FRAME_USES, format_func=names.get, horizontal=True,
        key=kept_choice("editor_frame_use"),
    )  # fmt: skip
    return use


def reading_form(
    cat: bsu_models.Catalogue,
    scene: bsu_models.SceneInfo,
    doc: bsu_models.SceneDoc,
    camera: str,
    use: str,
    step_number: int | None,
) -> str | None:
    """The choices a reading needs (who is placed, whose height); returns the entity label or
    the height's label to read for."""
    notices("frame_reading")
    if use == "place":
        if step_number is None:
            st.info(t("Add a step first: a place is read for a step."))
            return None
        people = [e.label for e in doc.entities if e.type != "camera"]
        if not people:
            st.info(t("Add the entity to place first."))
            return None
        st.caption(t("Click the feet of the person (or the foot of the object) on the frame."))
        label: str = st.selectbox(t("Entity to place"), people, format_func=plain,
                                  key="editor_frame_place")  # fmt: skip
        return label
    if use == "height":
        st.caption(t("Click the top of the head, then the feet, on the frame."))
        return st.text_input(t("Whose height"), value=t("Person"), key="editor_frame_height")
    return None


def read_click(
    cat: bsu_models.Catalogue,
    scene: bsu_models.SceneInfo,
    camera: str,
    use: str,
    target: str | None,
    pixel: tuple[float, float],
    step_number: int | None,
) -> None:
    """Act on a click at ``pixel`` of the frame for ``use`` (``place`` or ``height``)."""
    if target is None or not target.strip():
        done("frame_reading", t("Say whom the click is for first."), "error")
    try:
        if use == "place":
            assert step_number is not None
            reading = cat.cameras.place(scene.scene_id, target, step_number, camera, pixel,
                                        base_revision=scene.revision, actor=actor())  # fmt: skip
            done(
                "frame_reading",
                t("Placed {entity} from the frame at pixel {u}, {v} (± {plus_minus})").format(
                    entity=plain(target),
                    u=f"{pixel[0]:.0f}",
                    v=f"{pixel[1]:.0f}",
                    plus_minus=f"{reading.uncertainty:.3g}",
                ),
            )
        head = st.session_state.get("editor_frame_head")
        if head is None or head[0] != (scene.scene_id, camera):
            st.session_state["editor_frame_head"] = ((scene.scene_id, camera), pixel)
            done("frame_reading", t("Head chosen: now click the feet."), "info")
        del st.session_state["editor_frame_head"]
        value = cat.cameras.record_height(scene.scene_id, camera, target, head[1], pixel,
                                          base_revision=scene.revision, actor=actor())  # fmt: skip
    except bsu_models.BsuError as exc:
        done("frame_reading", error_text(exc), "error")
    done(
        "frame_reading",
        t("{label}: {value} ± {plus_minus} {unit}, kept with the camera.").format(
            label=plain(target),
            value=f"{value.value:.2f}",
            plus_minus=f"{value.uncertainty:.2f}",
            unit=t("m") if value.units_known else t("model units"),
        ),
    )
