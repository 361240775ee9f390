"""Scene editor: pairing points of a CCTV frame with points of the model, and solving the camera.

With the Pair tool, a click on the frame and a click on the model (in either order) make one
pair; the pairs are listed, any can be removed, and with six or more “Solve camera” stores the
pairs and the solve with the camera entity as the scene's next revision (the camera service's
``match``, which refuses degenerate pairs with a sentence). The list starts from the camera's
stored pairs, so a match can be corrected and solved again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

import bsu_models
from viewer.shared import actor, done, error_text, notices, t

_STATIC = Path(__file__).resolve().parent / "components" / "frame_click" / "static"
_FRAME_CLICK = components.declare_component("frame_click", path=str(_STATIC))
MIN_PAIRS = 6


def model_click(point: tuple[float, ...]) -> None:
    """The model half of the next pair (the Pair tool's click in the 3D view)."""
    st.session_state["editor_pair_point"] = [float(c) for c in point]


def _pairs(scene_id: int, match: bsu_models.CameraMatch | None, camera: str) -> list[list[float]]:
    """This session's pairs for the camera: at first those of its stored match, if any."""
    every = st.session_state.setdefault("editor_pairs", {})
    key = f"{scene_id}/{camera}"
    if key not in every:
        every[key] = [[p.u, p.v, p.x, p.y, p.z] for p in match.pairs] if match else []
    return every[key]


def pairs_section(
    cat: bsu_models.Catalogue,
    scene: bsu_models.SceneInfo,
    match: bsu_models.CameraMatch | None,
    camera: str,
    frame: bsu_models.FrameInfo,
    frame_png: bytes,
    on_click: Callable[[tuple[float, float]], None] | None = None,
) -> None:
    """The frame to click, the pairs so far with removal, and “Solve camera”; with
    ``on_click``, a click on the frame goes there instead of making a pair (a reading off a
    matched camera's frame, ``scene_frame_tools``)."""
    st.subheader(t("Point pairs"), anchor=False)
    st.caption(
        t(
            "Choose the tool “Pair with frame”, then click a point on the frame and the same "
            "place on the model (either first). At least {count} pairs, spread over the frame "
            "and not all on one plane."
        ).format(count=MIN_PAIRS)
    )
    pairs = _pairs(scene.scene_id, match, camera)
    # A frame point chosen on another camera's frame (or another scene's) is not this one's.
    here = f"{scene.scene_id}/{camera}"
    if st.session_state.get("editor_pair_frame") != here:
        st.session_state.pop("editor_pair_pixel", None)
    pixel = st.session_state.get("editor_pair_pixel")
    marks = [[p[0], p[1], str(i)] for i, p in enumerate(pairs, start=1)]
    if pixel is not None:
        marks.append([pixel[0], pixel[1], "?"])
    value = _FRAME_CLICK(
        image=frame_png,
        width=frame.width,
        height=frame.height,
        marks=marks,
        frame=frame.sha256,  # a new frame's picture replaces the one shown
        key="editor_frame_click",
        default=None,
    )
    if isinstance(value, dict) and value.get("nonce") != st.session_state.get("editor_pair_seen"):
        st.session_state["editor_pair_seen"] = value.get("nonce")
        if on_click is not None:
            on_click((float(value["u"]), float(value["v"])))
            return
        st.session_state["editor_pair_pixel"] = [float(value["u"]), float(value["v"])]
        st.session_state["editor_pair_frame"] = here
    pixel = st.session_state.get("editor_pair_pixel")
    point = st.session_state.get("editor_pair_point")
    if pixel is not None and point is not None:
        pairs.append([*pixel, *point])
        del st.session_state["editor_pair_pixel"], st.session_state["editor_pair_point"]
        st.rerun()  # the frame shows the new pair's number
    if pixel is not None:
        st.info(t("Frame point chosen: now click the same place on the model."))
    elif point is not None:
        st.info(t("Model point chosen: now click the same place on the frame."))

    if pairs:
        st.table(
            [
                {
                    t("Pair"): i,
                    "u": f"{p[0]:.1f}",
                    "v": f"{p[1]:.1f}",
                    "x": f"{p[2]:.4g}",
                    "y": f"{p[3]:.4g}",
                    "z": f"{p[4]:.4g}",
                }
                for i, p in enumerate(pairs, start=1)
            ],
            hide_index=True,
        )
        gone_col, remove_col = st.columns([3, 1], vertical_alignment="bottom")
        gone = gone_col.selectbox(
            t("Pair to remove"), range(1, len(pairs) + 1), key="editor_pair_remove"
        )
        if remove_col.button(t("Remove pair"), width="stretch"):
            del pairs[gone - 1]
            st.rerun()
    notices("pairs")
    solve_k1 = st.checkbox(
        t("Also solve radial distortion (k1)"),
        value=bool(match and match.solution.solve_k1),
        key="editor_pairs_k1",
        help=t(
            "For wide-angle CCTV lenses whose straight lines bow; needs pairs near the frame's "
            "edges as well as its middle."
        ),
    )
    if st.button(
        t("Solve camera"),
        icon=":material/photo_camera:",
        disabled=len(pairs) < MIN_PAIRS,
        help=t("At least {count} pairs.").format(count=MIN_PAIRS),
    ):
        try:
            _info, solution = cat.cameras.match(
                scene.scene_id,
                camera,
                tuple(bsu_models.PointPair(*p) for p in pairs),
                frame=frame.sha256,
                solve_k1=solve_k1,
                base_revision=scene.revision,
                actor=actor(),
            )
        except bsu_models.BsuError as exc:
            done("pairs", error_text(exc), "error")
        done(
            "pairs",
            t("Camera solved from {count} pairs: RMS error {rms} px.").format(
                count=len(pairs), rms=f"{solution.rms_px:.2f}"
            )
            + (
                " " + t("Radial distortion k1 = {k1}.").format(k1=f"{solution.k1:.4g}")
                if solution.solve_k1
                else ""
            ),
        )
