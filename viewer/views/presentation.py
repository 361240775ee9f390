"""Presentation: a scene shown step by step for court, read-only; freezing a revision and
building its exhibit package."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

import bsu_models
from viewer.scene3d import scene3d
from viewer.shared import actor, catalogue, choose_version

# Provenance symbols are text, so they show the same in the table, the legend and 3D labels.
PROVENANCE = {
    "measured": ("●", "Measured"),
    "cctv": ("■", "CCTV"),
    "witness_statement": ("▲", "Witness statement"),
    "assumption": ("○", "Assumption"),
}
SHAPES = {
    "person (suspect, victim, witness, officer)": "sphere",
    "vehicle": "cube",
    "evidence": "cone",
    "camera": "octahedron (double pyramid)",
    "other": "tetrahedron",
}


def provenance_mark(kind: str, reference: str = "") -> str:
    symbol, words = PROVENANCE[kind]
    return f"{symbol} {words}" + (f" ({reference})" if reference else "")


def freeze_controls(scene: bsu_models.SceneInfo) -> None:
    """Freeze the scene and build the exhibit package; kept in the sidebar, out of the show."""
    with st.sidebar:
        st.subheader("For court", anchor=False)
        if not scene.frozen:
            st.write(
                f"Revision {scene.revision} is not frozen: it can still change. Freeze it "
                "before it is shown in court or exported as an exhibit."
            )
            sure = st.checkbox(
                f"Freeze revision {scene.revision}; no further change to this scene",
                key="present_freeze_sure",
            )
            if st.button("Freeze for court", disabled=not sure, icon=":material/lock:"):
                try:
                    cat.scenes.freeze(scene.scene_id, scene.revision, actor=actor())
                except bsu_models.BsuError as exc:
                    st.error(str(exc))
                else:
                    st.rerun()
            return
        st.write(f"Frozen at revision {scene.frozen_revision}.")
        number = st.text_input(
            "Exhibit number", placeholder=f"{scene.case_reference}-S{scene.scene_id}", max_chars=64
        )
        if st.button("Build exhibit package", icon=":material/inventory_2:"):
            with st.spinner("Rendering print stills, the exhibit book and the offline viewer…"):
                try:
                    name, data, result = cat.exhibit_zip(
                        scene.scene_id, number.strip() or None, actor=actor()
                    )
                except bsu_models.BsuError as exc:
                    st.error(str(exc))
                else:
                    st.session_state["present_package"] = (scene.scene_id, name, data, result)
        package = st.session_state.get("present_package")
        if package and package[0] == scene.scene_id:
            _scene_id, name, data, result = package
            st.download_button(
                f"Download {name}",
                data,
                file_name=name,
                mime="application/zip",
                icon=":material/download:",
            )
            st.caption(f"{len(result.files)} files; manifest SHA-256")
            st.code(result.manifest_sha256, language=None, wrap_lines=True)


st.title("Presentation")
cat = catalogue()
version = choose_version(cat, key="present")
if version is None:
    st.stop()
scenes = cat.scenes.list_scenes(version.version_id)
if not scenes:
    st.info("This model has no scene yet. Make one on the Scene editor page.")
    st.stop()
by_id = {s.scene_id: s for s in scenes}
scene = by_id[
    st.selectbox(
        "Scene",
        list(by_id),
        key="present_scene",
        format_func=lambda i: (
            f"{by_id[i].name} (scene {i})" + (" — frozen" if by_id[i].frozen else "")
        ),
    )
]
freeze_controls(scene)
revision = scene.frozen_revision or scene.revision
doc = cat.scenes.document(scene.scene_id, revision)
if scene.frozen:
    st.success(
        f"Frozen for court: revision {revision} of scene {scene.scene_id}, frozen by "
        f"{scene.frozen_by}" + (f" on {scene.frozen_at:%d %b %Y}" if scene.frozen_at else "") + ".",
        icon=":material/lock:",
    )
else:
    st.warning(
        f"Revision {revision}, not frozen: this scene can still change.", icon=":material/edit:"
    )

if not doc.steps:
    st.info("This scene has no steps to present.")
    st.stop()

count = len(doc.steps)
number = min(st.session_state.get("present_step", 1), count)
prev_col, title_col, next_col = st.columns([1, 6, 1], vertical_alignment="center")
# Arrow keys step through; the buttons say so, so a presenter never needs the mouse.
if prev_col.button(
    "◀ Previous", shortcut="Left", disabled=number <= 1, width="stretch", type="secondary"
):
    number -= 1
if next_col.button("Next ▶", shortcut="Right", disabled=number >= count, width="stretch"):
    number += 1
st.session_state["present_step"] = number
step = doc.step_at(number)
clock = f" · {step.clock}" if step.clock else ""
title_col.markdown(f"### Step {number} of {count}{clock}")
title_col.text(step.title)

layer = cat.scenes.layer(scene.scene_id, doc, step)
# 3D labels carry the provenance symbol, so how a position is known is seen on the model too.
marks = {
    e.id: PROVENANCE[pos.provenance.kind][0]
    for e in doc.entities
    if (pos := doc.position(e.id, step.id)) is not None
}
layer = replace(
    layer,
    markers=tuple(
        replace(m, label=f"{marks.get(m.entity_id, '')} {m.label}".strip()) for m in layer.markers
    ),
)
view = doc.view_for_step(step.id)
nonce = f"{scene.scene_id}-{revision}-{step.id}"
camera = {"nonce": nonce, **({"view": view.camera_json()} if view else {"preset": "fit"})}
scene3d(
    cat,
    version,
    key=f"present3d-{version.version_id}",
    actor=actor(),
    layer=layer,
    camera=camera,
    tool="navigate",
    height=600,
)

story, people = st.columns([3, 4])
with story:
    st.markdown("**What happened**")
    st.text(step.narrative or "(no narrative for this step)")
    if view is not None:
        st.caption(f"View: {view.name}")
with people:
    st.markdown("**At this step**")
    rows = []
    for entity in doc.entities:
        pos = doc.position(entity.id, step.id)
        if pos is None:
            continue
        rows.append(
            {
                "Label": entity.label,
                "Type": entity.type,
                "How the position is known": provenance_mark(
                    pos.provenance.kind, pos.provenance.reference
                ),
            }
        )
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.text("Nobody is placed at this step.")

with st.expander("Legend", expanded=True):
    left, right = st.columns(2)
    left.markdown("**How a position is known** (symbol before each label)")
    left.table(
        {
            "Symbol": [s for s, _ in PROVENANCE.values()],
            "Meaning": [w for _, w in PROVENANCE.values()],
        },
        hide_index=True,
    )
    right.markdown("**Marker shapes**")
    right.table({"Entity": list(SHAPES), "Shape": list(SHAPES.values())}, hide_index=True)
    right.caption(
        "Lines: a path joins an entity's positions up to this step; measurements are labelled "
        "with their value and ±; sightlines are green when clear and red when blocked."
    )
