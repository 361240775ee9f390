"""Presentation: a scene shown step by step for court, read-only; freezing a revision and
building its exhibit package."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import streamlit as st

import bsu_models
from viewer.court_review import review_section
from viewer.names import type_name
from viewer.scene3d import scene3d
from viewer.scene_play import movement, play_camera, played
from viewer.shared import (
    actor,
    catalogue,
    choose_version,
    date_text,
    deep_link_number,
    deep_link_scene,
    error_text,
    kept_choice,
    language,
    plain,
    show_job,
    stereo_choices,
    t,
    text_of,
)

# Provenance symbols are text, so they show the same in the table, the legend and 3D labels.
PROVENANCE = {
    "measured": ("●", t("Measured")),
    "cctv": ("■", t("CCTV")),
    "witness_statement": ("▲", t("Witness statement")),
    "assumption": ("○", t("Assumption")),
}
SHAPES = {
    t("person (suspect, victim, witness, officer)"): t("sphere"),
    t("vehicle"): t("cube"),
    t("evidence"): t("cone"),
    t("camera"): t("octahedron (double pyramid)"),
    t("other"): t("tetrahedron"),
}


def provenance_mark(kind: str, reference: str = "") -> str:
    symbol, words = PROVENANCE[kind]
    return f"{symbol} {words}" + (f" ({reference})" if reference else "")


def account_choice(scene: bsu_models.SceneInfo, others: list[bsu_models.SceneInfo]) -> list[int]:
    """The further accounts (frozen scenes on the same model version) to carry in the package."""
    frozen = {s.scene_id: s for s in others if s.frozen and s.scene_id != scene.scene_id}
    if not frozen:
        st.caption(t("No other frozen account (scene) of this model version to carry."))
        return []
    chosen = st.multiselect(
        t("Other accounts to carry"),
        list(frozen),
        key=kept_choice(f"present_accounts_{scene.scene_id}"),
        format_func=lambda i: t("{name} (scene {id})").format(name=frozen[i].name, id=i),
        help=t(
            "Each account chosen is carried frozen, with the comparison pages in the book: "
            "the two accounts' stills side by side and the table of differences."
        ),
    )
    return list(chosen)


def freeze_controls(
    scene: bsu_models.SceneInfo, others: list[bsu_models.SceneInfo] | None = None
) -> None:
    """Freeze the scene and build the exhibit package; kept in the sidebar, out of the show.
    Each control is offered only to those the role table lets use it; the others see why."""
    with st.sidebar:
        st.subheader(t("For court"), anchor=False)
        action = "exhibit.export" if scene.frozen else "scene.freeze"
        refusal = cat.refusal(action, scene.case_reference)
        if refusal is not None:
            if scene.frozen:
                st.write(t("Frozen at revision {revision}.").format(revision=scene.frozen_revision))
            st.caption(text_of(refusal))
            return
        if not scene.frozen:
            st.write(
                t(
                    "Revision {revision} is not frozen: it can still change. Freeze it "
                    "before it is shown in court or exported as an exhibit."
                ).format(revision=scene.revision)
            )
            approved = [
                r for r in cat.scenes.reviews(scene.scene_id) if r.revision == scene.revision
            ]
            if approved and approved[-1].approved:
                st.caption(
                    t("Technical review: approved by {reviewer}.").format(
                        reviewer=plain(approved[-1].reviewer)
                    )
                )
            else:
                st.caption(
                    t(
                        "Revision {revision} has no approved technical review; a reviewer "
                        "must approve it (Technical review, at the foot of this page) before "
                        "it can be frozen."
                    ).format(revision=scene.revision)
                )
            sure = st.checkbox(
                t("Freeze revision {revision}; no further change to this scene").format(
                    revision=scene.revision
                ),
                key="present_freeze_sure",
            )
            if st.button(t("Freeze for court"), disabled=not sure, icon=":material/lock:"):
                try:
                    cat.scenes.freeze(scene.scene_id, scene.revision, actor=actor())
                except bsu_models.BsuError as exc:
                    st.error(error_text(exc))
                else:
                    st.rerun()
            return
        st.write(t("Frozen at revision {revision}.").format(revision=scene.frozen_revision))
        number = st.text_input(
            t("Exhibit number"),
            placeholder=f"{scene.case_reference}-S{scene.scene_id}",
            max_chars=40,
        )
        accounts = account_choice(scene, others or [])
        if st.button(t("Build exhibit package"), icon=":material/inventory_2:"):
            try:
                job = cat.build_exhibit_later(
                    scene.scene_id,
                    number.strip() or None,
                    actor=actor(),
                    lang=language(),
                    accounts=accounts,
                )
            except bsu_models.BsuError as exc:
                st.error(error_text(exc))
            else:
                carried = [t("scene {id}").format(id=i) for i in accounts]
                st.session_state["present_package"] = (scene.scene_id, job.job_id, carried)
        package = st.session_state.get("present_package")
        if package and package[0] == scene.scene_id:
            _scene_id, job_id, carried = package
            made = job_outcome(job_id, "present_package_download")
            if made is None:
                return
            facts = made[0]["exhibit"]
            payload = sum(1 for f in facts["files"] if f["path"].startswith("data/"))
            st.caption(
                t("{payload} payload files and {tags} tag files; manifest SHA-256").format(
                    payload=payload, tags=len(facts["files"]) - payload
                )
            )
            st.code(facts["manifest_sha256"], language=None, wrap_lines=True)
            if carried:
                st.caption(
                    t("Further accounts carried: {accounts}.").format(accounts=", ".join(carried))
                )


@st.fragment(run_every=1)
def job_progress(job_id: int) -> None:
    """A job's progress, refreshed until it ends; then the page reruns to show its outcome."""
    job = cat.job(job_id)
    show_job(job)
    if job.finished:
        st.rerun()


def job_outcome(job_id: int, key: str) -> tuple[dict[str, Any], bytes] | None:
    """A job of this page: its progress while it runs, its sentence if it failed, and once it
    is done the download of its file; returns its result and the file's bytes when done."""
    try:
        job = cat.job(job_id)
    except bsu_models.BsuError as exc:
        st.error(error_text(exc))
        return None
    if not job.finished:
        job_progress(job_id)
        return None
    show_job(job)
    if job.status != "done" or not job.result:
        return None
    # Fetched once (an audit event), then kept for the download button's reruns.
    kept = st.session_state.get(f"{key}_file")
    if not kept or kept[0] != job_id:
        try:
            name, media_type, data = cat.job_file(job_id, actor=actor())
        except bsu_models.BsuError as exc:
            st.error(error_text(exc))
            return None
        kept = st.session_state[f"{key}_file"] = (job_id, name, media_type, data)
    _job_id, name, media_type, data = kept
    download(name, data, media_type, key)
    return job.result, data


@st.cache_data(show_spinner=False, max_entries=256)
def step_thumbnail(
    _cat: bsu_models.Catalogue,
    version_id: int,
    scene_id: int,
    revision: int,
    revision_sha256: str,
    number: int,
    view: str | None,
    size: str,
    lang: str,
    _actor: str,
) -> bytes:
    """A step's storyboard picture, drawn by the stills renderer (which records the render in
    the audit log); kept per scene, revision (by its SHA-256), step and size, so a rerun does
    not draw it again."""
    still = _cat.render_still(
        version_id,
        scene_id=scene_id,
        revision=revision,
        step=number,
        view=view,
        preset=None if view else "iso",
        size=size,
        overlays=bsu_models.Overlays(
            labels=False,
            measurements=False,
            scale_bar=False,
            north_arrow=False,
            legend=False,
            caption=False,
        ),
        lang=lang,
        actor=_actor,
    )
    return still.png


def storyboard(
    scene: bsu_models.SceneInfo, doc: bsu_models.SceneDoc, revision: int, number: int
) -> int | None:
    """A strip of small pictures, one per step, the step shown marked; the step whose button
    was pressed, or None."""
    if cat.refusal("render", scene.case_reference) is not None:
        return None
    try:
        sha = {r.number: r.sha256 for r in cat.scenes.history(scene.scene_id)}[revision]
    except (bsu_models.BsuError, KeyError):
        return None
    chosen = None
    per_row = min(max(len(doc.steps), 4), 6)
    with st.container(key="storyboard", border=True):
        st.caption(t("Storyboard"))
        for start in range(0, len(doc.steps), per_row):
            columns = st.columns(per_row)
            for column, (index, each) in zip(
                columns, enumerate(doc.steps[start : start + per_row], start + 1), strict=False
            ):
                saved = doc.view_for_step(each.id)
                with column:
                    try:
                        png = step_thumbnail(cat, scene.version_id, scene.scene_id, revision,
                                             sha, index, saved.id if saved else None,
                                             "storyboard", language(), actor())  # fmt: skip
                    except bsu_models.BsuError as exc:
                        st.caption(error_text(exc))
                    else:
                        st.image(png, width="stretch")
                    if st.button(
                        f"{index} · {plain(each.title)}",
                        key=f"storyboard_{scene.scene_id}_{index}",
                        type="primary" if index == number else "secondary",
                        width="stretch",
                    ):
                        chosen = index
    return chosen


# Court mode: no sidebar or Streamlit chrome, the page full width and its words large enough to
# read across a courtroom. Static CSS only; Streamlit has no setting for any of it.
COURT_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], #MainMenu, footer {
  display: none !important;
}
[data-testid="stMainBlockContainer"] { max-width: 100%; padding: 1rem 2rem; }
[data-testid="stMain"] h3 { font-size: 2.6rem; }
[data-testid="stMain"] [data-testid="stText"], [data-testid="stMain"] .stMarkdown p {
  font-size: 1.5rem;
}
[data-testid="stMain"] [data-testid="stTable"] td,
[data-testid="stMain"] [data-testid="stTable"] th { font-size: 1.35rem; }
</style>"""


def court_mode() -> bool:
    """The Court mode switch, carried in the address (``&court=1``) so a reload keeps it."""
    if "present_court" not in st.session_state:
        st.session_state["present_court"] = st.query_params.get("court") == "1"
    on = st.toggle(
        t("Court mode"),
        key="present_court",
        help=t("Full screen for the courtroom: no sidebar, large words and labels."),
    )
    if on:
        st.query_params["court"] = "1"
        st.html(COURT_CSS)
    elif "court" in st.query_params:
        del st.query_params["court"]
    return on


def render_section(title: str, scene: bsu_models.SceneInfo) -> bool:
    """A sidebar section's heading; False, with why, for those who may not render."""
    st.subheader(title, anchor=False)
    refusal = cat.refusal("render", scene.case_reference)
    if refusal is not None:
        st.caption(text_of(refusal))
    return refusal is None


def download(name: str, data: bytes, mime: str, key: str) -> None:
    st.download_button(
        t("Download {name}").format(name=plain(name)),
        data,
        file_name=name,
        mime=mime,
        icon=":material/download:",
        key=key,
    )


def video_controls(scene: bsu_models.SceneInfo, revision: int) -> None:
    """Render the fly-through video of the revision shown and offer it as a download; in the
    sidebar with the court controls, for those who may render."""
    with st.sidebar:
        if not render_section(t("Fly-through video"), scene):
            return
        sizes = bsu_models.VIDEO_SIZES
        size = st.selectbox(
            t("Video size"),
            list(sizes),
            key="present_video_size",
            format_func=lambda s: f"{s} ({sizes[s][0]}×{sizes[s][1]})",
        )
        seconds = st.number_input(
            t("Seconds per step"), 0.5, 60.0, 4.0, 0.5, key="present_video_seconds"
        )
        fps = st.number_input(t("Frames per second"), 1, 60, 30, key="present_video_fps")
        sun_at = st.text_input(
            t("Sun time (optional)"),
            key="present_video_sun",
            placeholder="2026-06-21T17:00",
            help=t(
                "light the model by the sun at this date and time, with shadows "
                "(default: the scene's date and the step's time, when the version is located)"
            ),
        ).strip()
        if st.button(t("Render video of revision {revision}").format(revision=revision),
                     icon=":material/movie:", key="present_video_render"):  # fmt: skip
            try:
                job = cat.render_video_later(
                    scene.scene_id,
                    revision=revision,
                    size=size,
                    fps=int(fps),
                    seconds_per_step=float(seconds),
                    lang=language(),
                    actor=actor(),
                    **({"sun_at": sun_at} if sun_at else {}),
                )
            except bsu_models.BsuError as exc:
                st.error(error_text(exc))
            else:
                st.session_state["present_video"] = (scene.scene_id, revision, job.job_id)
        video = st.session_state.get("present_video")
        if video and video[:2] == (scene.scene_id, revision):
            video_job(video[2])


def video_job(job_id: int) -> None:
    """The video job of the revision shown: its progress, or its sentence, or its download."""
    made = job_outcome(job_id, "present_video_download")
    if made is None:
        return
    facts = made[0]["video"]
    st.caption(
        t("{width}×{height}, {seconds} s, {frames} frames; SHA-256").format(
            width=facts["width"],
            height=facts["height"],
            seconds=f"{facts['seconds']:.1f}",
            frames=facts["frames"],
        )
    )
    st.code(facts["sha256"], language=None, wrap_lines=True)


def still_controls(
    scene: bsu_models.SceneInfo, revision: int, number: int, view: bsu_models.SavedView | None
) -> None:
    """Render a court still of the step shown (its saved view, else the isometric one), flat
    or as a stereo pair as ``render --stereo --interocular`` makes it, for download."""
    with st.sidebar:
        if not render_section(t("Still of this step"), scene):
            return
        size = st.selectbox(t("Picture size"), list(bsu_models.SIZES), key="present_still_size")
        choices = stereo_choices()
        stereo = st.selectbox(
            t("Stereo"),
            list(choices),
            format_func=lambda mode: choices[mode],
            key=kept_choice("present_still_stereo"),
            help=t("Stereo for 3D glasses and displays: off, red-cyan anaglyph, side by side"),
        )
        eyes = st.text_input(
            t("Distance between the eyes (real world)"),
            "65mm",
            key="present_still_eyes",
            disabled=stereo is None,
            help=t("distance between the eyes in the real world (default 65mm)"),
        )
        if st.button(t("Render still of step {number}").format(number=number),
                     icon=":material/photo_camera:", key="present_still_render"):  # fmt: skip
            try:
                job = cat.render_still_later(
                    scene.version_id,
                    scene_id=scene.scene_id,
                    revision=revision,
                    step=number,
                    view=view.id if view else None,
                    preset=None if view else "iso",
                    size=size,
                    lang=language(),
                    actor=actor(),
                    stereo=stereo,
                    interocular_m=bsu_models.parse_interocular(eyes) if stereo else None,
                )
            except bsu_models.BsuError as exc:
                st.error(error_text(exc))
            else:
                st.session_state["present_still"] = (scene.scene_id, revision, number, job.job_id)
        shown = st.session_state.get("present_still")
        if shown and shown[:3] == (scene.scene_id, revision, number):
            made = job_outcome(shown[3], "present_still_download")
            if made is not None:
                st.image(made[1], width="stretch")


st.title(t("Presentation"))
court = court_mode()
cat = catalogue()
version = choose_version(cat, key="present")
if version is None:
    st.stop()
scenes = cat.scenes.list_scenes(version.version_id)
if not scenes:
    st.info(t("This model has no scene yet. Make one on the Scene editor page."))
    st.stop()
by_id = {s.scene_id: s for s in scenes}
deep_link_scene(by_id, "present_scene")
scene = by_id[
    st.selectbox(
        t("Scene"),
        list(by_id),
        key=kept_choice("present_scene"),
        format_func=lambda i: (
            t("{name} (scene {id}) — frozen") if by_id[i].frozen else t("{name} (scene {id})")
        ).format(name=by_id[i].name, id=i),
    )
]
st.query_params["scene"] = str(scene.scene_id)
freeze_controls(scene, scenes)
revision_key = f"present_revision_{scene.scene_id}"
deep_link_number("revision", revision_key, scene.revision)
# A linked older revision is shown as asked; otherwise the frozen one, else the latest.
revision = st.session_state.get(revision_key) or scene.frozen_revision or scene.revision
st.query_params["revision"] = str(revision)
video_controls(scene, revision)
doc = cat.scenes.document(scene.scene_id, revision)
if scene.frozen and revision == scene.frozen_revision:
    st.success(
        (
            t("Frozen for court: revision {revision} of scene {scene}, frozen by {who} on {date}.")
            if scene.frozen_at
            else t("Frozen for court: revision {revision} of scene {scene}, frozen by {who}.")
        ).format(
            revision=revision,
            scene=scene.scene_id,
            who=plain(scene.frozen_by),
            date=date_text(scene.frozen_at) if scene.frozen_at else "",
        ),
        icon=":material/lock:",
    )
else:
    st.warning(
        t("Revision {revision}, not frozen: this scene can still change.").format(
            revision=revision
        ),
        icon=":material/edit:",
    )

if not doc.steps:
    st.info(t("This scene has no steps to present."))
    st.stop()

count = len(doc.steps)
# The step belongs to the scene shown: another scene starts at its first step.
step_key = f"present_step_{scene.scene_id}"
deep_link_number("step", step_key, count)
number = min(st.session_state.get(step_key, 1), count)
prev_col, title_col, next_col, play_col = st.columns([1, 5, 1, 1], vertical_alignment="center")
playing_key = f"present_playing_{scene.scene_id}"
play_id = st.session_state.get(playing_key)
if play_col.button(
    t("Pause") if play_id else t("Play"),
    width="stretch",
    icon=":material/pause:" if play_id else ":material/play_arrow:",
    disabled=count < 2,
    help=t("Move the entities from step to step along their paths, as the video does"),
    key=f"present_play_{scene.scene_id}",
):
    st.session_state[playing_key] = None if play_id else str(time.time_ns())
    if not play_id and number >= count:
        st.session_state[step_key] = 1
    st.rerun()  # the button was drawn with its old word
# Arrow keys step through; the buttons say so, so a presenter never needs the mouse.
if prev_col.button(
    t("◀ Previous"), shortcut="Left", disabled=number <= 1, width="stretch", type="secondary"
):
    number -= 1
if next_col.button(t("Next ▶"), shortcut="Right", disabled=number >= count, width="stretch"):
    number += 1
st.session_state[step_key] = number
st.query_params["step"] = str(number)
step = doc.step_at(number)
clock = f" · {step.clock}" if step.clock else ""
title_col.markdown(
    "### " + t("Step {number} of {count}").format(number=number, count=count) + clock
)
title_col.text(step.title)
with st.spinner(t("Drawing the storyboard…")):
    picked = storyboard(scene, doc, revision, number)
if picked is not None and picked != number:
    st.session_state[step_key] = picked
    st.query_params["step"] = str(picked)
    st.rerun()

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
still_controls(scene, revision, number, view)
# Play and Pause show a step's saved view afresh: the flight starts from it, and a pause
# mid-flight puts the camera back on the view of the step the page shows.
move = movement(cat, scene.scene_id, doc, number, play_id) if play_id else None
camera = (play_camera(doc, number, play_id) if play_id else None) or {
    "nonce": f"{scene.scene_id}-{revision}-{step.id}",
    **({"view": view.camera_json()} if view else {"preset": "fit"}),
}
event = scene3d(
    cat,
    version,
    key=f"present3d-{version.version_id}",
    actor=actor(),
    layer=layer,
    camera=camera,
    tool="present",
    height=760 if court else 600,
    scene=(scene.scene_id, revision),
    sun=bsu_models.sun_track(version, doc, step),
    large_labels=court,
    movement=move,
)
if played(event, move):
    st.session_state[step_key] = number + 1
    st.rerun()
if play_id and move is None:  # the last step: nowhere further to go
    st.session_state[playing_key] = None
    st.rerun()
if event and event.get("type") == "step":
    # An arrow key pressed while the 3D view had the focus.
    st.session_state[step_key] = min(max(number + int(event.get("delta", 0)), 1), count)
    st.rerun()

story, people = st.columns([3, 4])
with story:
    st.markdown(t("**What happened**"))
    st.text(step.narrative or t("(no narrative for this step)"))
    if view is not None:
        st.caption(t("View: {name}").format(name=plain(view.name)))
with people:
    st.markdown(t("**At this step**"))
    rows = []
    for entity in doc.entities:
        pos = doc.position(entity.id, step.id)
        if pos is None:
            continue
        rows.append(
            {
                t("Label"): entity.label,
                t("Type"): type_name(entity.type),
                t("How the position is known"): provenance_mark(
                    pos.provenance.kind, pos.provenance.reference
                ),
            }
        )
    if rows and court:
        st.table(rows, hide_index=True)  # a grid's canvas text cannot be made larger
    elif rows:
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.text(t("Nobody is placed at this step."))

with st.expander(t("Legend"), expanded=True):
    left, right = st.columns(2)
    left.markdown(t("**How a position is known** (symbol before each label)"))
    left.table(
        {
            t("Symbol"): [s for s, _ in PROVENANCE.values()],
            t("Meaning"): [w for _, w in PROVENANCE.values()],
        },
        hide_index=True,
    )
    right.markdown(t("**Marker shapes**"))
    right.table({t("Entity"): list(SHAPES), t("Shape"): list(SHAPES.values())}, hide_index=True)
    right.caption(
        t(
            "Lines: a path joins an entity's positions up to this step; measurements are "
            "labelled with their value and ±; sightlines are green when clear and red when "
            "blocked."
        )
    )

review_section(cat, scene, revision)
