"""Scene editor: looking through the scene's CCTV cameras.

A matched camera shows the model drawn from its solve with its frame laid over it at the opacity
the slider sets (the stills renderer's look-through picture, with each pair and its residual),
so that anyone can judge the fit. Where the scene may change, its frame follows, to pair points
on (``scene_pairs``); otherwise a camera with a frame but no match yet shows its frame alone.
Each picture is an audited render or frame read, so the page keeps the last one it showed and
draws it again only when the scene, the step, the camera or the opacity change.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

import bsu_models
from viewer.scene_frame_tools import add_frame_form, frame_use, read_click, reading_form
from viewer.scene_pairs import pairs_section
from viewer.shared import actor, error_text, language, plain, t, text_of


def _once(slot: str, key: tuple[object, ...], make: Callable[[], bytes]) -> bytes:
    """The picture in ``slot`` for ``key``: the one shown last when it is the same, else
    ``make()``."""
    kept = st.session_state.get(f"editor_cctv_{slot}")
    if kept is not None and kept[0] == key:
        return kept[1]
    png = make()
    st.session_state[f"editor_cctv_{slot}"] = (key, png)
    return png


def cctv_section(
    cat: bsu_models.Catalogue,
    scene: bsu_models.SceneInfo,
    doc: bsu_models.SceneDoc,
    step_number: int | None,
    editable: bool,
) -> None:
    """The chosen CCTV camera's frame over the model (or alone), with an opacity slider; where
    the scene may change, the frame to pair points on (``scene_pairs``)."""
    frames = cat.cameras.frames(scene.scene_id)
    matched = {m.entity for m in doc.cameras}
    ids = [
        i
        for i in dict.fromkeys([*(m.entity for m in doc.cameras), *(f.entity_id for f in frames)])
        if doc.entity(i) is not None
    ]
    has_cameras = any(e.type == "camera" for e in doc.entities)
    if not ids and not (editable and has_cameras):
        return
    st.subheader(t("CCTV cameras"), anchor=False)
    if editable:
        add_frame_form(cat, scene, doc)
    if not ids:
        return
    labels = {i: doc.entity(i).label for i in ids}
    chosen = ids[0]
    if len(ids) > 1:
        chosen = st.selectbox(
            t("Camera"), ids, format_func=lambda i: plain(labels[i]), key="editor_cctv_camera"
        )
    match = doc.camera(chosen)
    own = [f for f in frames if f.entity_id == chosen]
    try:
        if chosen in matched:
            _look_through(cat, scene, chosen, step_number)
        if not own:
            return
        frame = next((f for f in own if match and f.sha256 == match.frame_sha256), own[-1])
        png = _once(
            "frame",
            (scene.scene_id, frame.sha256),
            lambda: cat.cameras.frame_bytes(scene.scene_id, frame.sha256, actor=actor()),
        )
        if editable:
            # One block whatever it holds, so the frame below keeps its place on the page
            # (a component that moves is drawn afresh, without its picture).
            with st.container():
                use = frame_use(chosen in matched)
                on_click = None
                if use != "pair":
                    target = reading_form(cat, scene, doc, chosen, use, step_number)
                    on_click = partial(read_click, cat, scene, chosen, use, target,
                                       step_number=step_number)  # fmt: skip
            pairs_section(cat, scene, match, chosen, frame, png, on_click=on_click)
        elif chosen not in matched:
            st.image(png, width="stretch")
            st.caption(
                t("{camera} is not matched yet: its frame {sha} alone.").format(
                    camera=plain(labels[chosen]), sha=frame.sha256[:12]
                )
            )
    except bsu_models.BsuError as exc:
        st.error(error_text(exc))


def _look_through(
    cat: bsu_models.Catalogue, scene: bsu_models.SceneInfo, camera: str, step_number: int | None
) -> None:
    refusal = cat.refusal("render", scene.case_reference)
    if refusal is not None:
        st.info(text_of(refusal), icon=":material/visibility_off:")
        return
    opacity = st.slider(
        t("Frame over the model (%)"),
        0,
        100,
        50,
        step=5,
        key="editor_cctv_opacity",
        help=t("0: the model alone, as the solved camera sees it; 100: the frame alone."),
    )
    lang = language()
    png = _once(
        "look",
        (scene.scene_id, scene.revision, camera, step_number, opacity, lang),
        lambda: (
            cat.camera_still(
                scene.scene_id,
                camera,
                step=step_number,
                opacity=opacity / 100,
                actor=actor(),
                lang=lang,
            ).png
        ),
    )
    st.image(png, width="stretch")
