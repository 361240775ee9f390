"""Public posts: a media officer requests a public picture of a scene step, or a video of
every step; a second person approves or rejects it; only approved posts can be downloaded."""

from __future__ import annotations

import streamlit as st

import bsu_models
from viewer.shared import (
    catalogue,
    choose_version,
    datetime_text,
    done,
    error_text,
    kept_choice,
    language,
    notices,
    plain,
    progress_bar,
    stereo_choices,
    t,
)

# Plain symbols that Noto Sans CJK draws: closed-network machines often have no colour-emoji
# font, and the CJK font lacks the ballot X and no-entry signs (tests/test_cjk_outputs.py).
STATUS_MARKS = {"requested": "…", "approved": "✓", "rejected": "×"}

st.title(t("Public posts"))
cat = catalogue()
user = cat.user
st.caption(
    t(
        "Pictures for the force's social media. Sensitive entities, their labels and notes are "
        "removed; the picture carries the watermark and no metadata. A second person approves it."
    )
)


def status_text(post: bsu_models.PostInfo) -> str:
    words = {"requested": t("waiting for approval"), "approved": t("approved"),
             "rejected": t("rejected")}  # fmt: skip
    return f"{STATUS_MARKS[post.status]} {words[post.status]}"


def video_request(scene_id: int) -> None:
    """The form asking for a video post: every step of the scene, with a progress bar."""
    with st.form("post_video_request"):
        st.markdown(t("**Video of every step**"))
        sizes = bsu_models.PUBLIC_VIDEO_NAMES
        size = st.selectbox(
            t("Video size"),
            list(sizes),
            format_func=lambda s: t(sizes[s]),
            key=kept_choice("post_video_size"),
        )
        seconds = st.number_input(
            t("Seconds per step"), 0.5, 60.0, 4.0, 0.5, key="post_video_seconds"
        )
        fps = st.number_input(t("Frames per second"), 1, 60, 30, key="post_video_fps")
        caption = st.text_area(
            t("Caption (the only text on the video; no case references)"),
            max_chars=280,
            height=80,
            key="post_video_caption",
        )
        if st.form_submit_button(t("Request approval of the video"), type="primary"):
            report = progress_bar(t("Rendering the public video…"))
            try:
                post = cat.posts.request_video(
                    scene_id,
                    size,
                    caption,
                    fps=int(fps),
                    seconds_per_step=float(seconds),
                    lang=language(),
                    progress=report,
                )
            except bsu_models.BsuError as exc:
                st.error(error_text(exc))
            else:
                st.success(
                    t("Post {id} is waiting for a second person's approval.").format(
                        id=post.post_id
                    )
                )


def size_name(post: bsu_models.PostInfo) -> str:
    names = bsu_models.PUBLIC_VIDEO_NAMES if post.video else bsu_models.PLATFORM_NAMES
    return t(names[post.platform])


if user.may("post.request"):
    with st.expander(t("Request a post"), expanded=True, icon=":material/add_photo_alternate:"):
        version = choose_version(cat, key="posts")
        scenes = cat.scenes.list_scenes(version.version_id) if version else []
        if version is not None and not scenes:
            st.info(t("This model has no scene yet."))
        if version is not None and scenes:
            by_id = {s.scene_id: s for s in scenes}
            scene_id = st.selectbox(
                t("Scene"), list(by_id), format_func=lambda i: by_id[i].name, key="posts_scene"
            )
            doc = cat.scenes.document(scene_id)
            if not doc.steps:
                st.info(t("This scene has no steps."))
            else:
                with st.form("post_request"):
                    step = st.selectbox(
                        t("Step"),
                        range(1, len(doc.steps) + 1),
                        format_func=lambda n: f"{n}. {doc.steps[n - 1].title}",
                    )
                    views = {v.id: v.name for v in doc.views}
                    view = st.selectbox(
                        t("Saved view"),
                        [None, *views],
                        format_func=lambda v: (
                            t("Isometric (no saved view)") if v is None else views[v]
                        ),
                    )
                    platform = st.selectbox(
                        t("Size"),
                        list(bsu_models.PLATFORM_SIZES),
                        format_func=lambda p: t(bsu_models.PLATFORM_NAMES[p]),
                    )
                    caption = st.text_area(
                        t("Caption (the only text on the picture; no case references)"),
                        max_chars=280,
                        height=80,
                    )
                    left_eye, right_eye = st.columns(2)
                    choices = stereo_choices()
                    stereo = left_eye.selectbox(
                        t("Stereo"),
                        list(choices),
                        format_func=lambda mode: choices[mode],
                        help=t(
                            "Stereo for 3D glasses and displays: off, red-cyan anaglyph, side "
                            "by side"
                        ),
                    )
                    eyes = right_eye.text_input(
                        t("Distance between the eyes (real world)"),
                        "65mm",
                        help=t("distance between the eyes in the real world (default 65mm)"),
                    )
                    if st.form_submit_button(t("Request approval"), type="primary"):
                        with st.spinner(t("Rendering the public picture…")):
                            try:
                                post = cat.posts.request(
                                    scene_id,
                                    step,
                                    platform,
                                    caption,
                                    view,
                                    lang=language(),
                                    stereo=stereo,
                                    interocular_m=(
                                        bsu_models.parse_interocular(eyes) if stereo else None
                                    ),
                                )
                            except bsu_models.BsuError as exc:
                                st.error(error_text(exc))
                            else:
                                st.success(
                                    t(
                                        "Post {id} is waiting for a second person's approval."
                                    ).format(id=post.post_id)
                                )
            video_request(scene_id)

st.subheader(t("Requests"), anchor=False)
try:
    posts = cat.posts.list_posts()
except bsu_models.BsuError as exc:
    st.error(error_text(exc))
    posts = []
if not posts:
    st.info(t("No post requests yet."))
for post in posts:
    with st.container(border=True):
        left, right = st.columns([2, 3])
        try:
            if post.video:
                left.video(cat.posts.preview(post.post_id), format="video/mp4")
            else:
                left.image(cat.posts.preview(post.post_id), width="stretch")
        except bsu_models.BsuError as exc:
            left.error(error_text(exc))
        right.markdown(f"**{t('Post {id}').format(id=post.post_id)}** · {status_text(post)}")
        notices(f"post_{post.post_id}", right)
        where = {"case": post.case_reference, "scene": post.scene_name,
                 "revision": post.revision, "platform": size_name(post)}  # fmt: skip
        right.text(
            t("{case} · {scene} (revision {revision}) · video of every step · {platform}").format(
                **where
            )
            if post.video
            else t("{case} · {scene} (revision {revision}) · step {step} · {platform}").format(
                step=post.step, **where
            )
        )
        right.text(t("Caption: {caption}").format(caption=post.caption or "—"))
        right.caption(
            t("Requested by {who} on {when}").format(
                who=plain(post.requested_by), when=datetime_text(post.requested_at)
            )
        )
        if post.decided_by and post.decided_at:
            right.caption(
                t("Decided by {who} on {when}: {reason}").format(
                    who=plain(post.decided_by),
                    when=datetime_text(post.decided_at),
                    reason=plain(post.reason),
                )
            )
        if post.status == "requested" and user.may("post.decide"):
            if post.requested_by == user.username:
                right.info(t("You requested this post; another approver must decide."))
            else:
                reason = right.text_input(t("Reason"), key=f"post_reason_{post.post_id}")
                approve, reject = right.columns(2)
                for column, approved, label in (
                    (approve, True, t("Approve")),
                    (reject, False, t("Reject")),
                ):
                    if column.button(label, key=f"post_{approved}_{post.post_id}"):
                        try:
                            cat.posts.decide(post.post_id, approved, reason)
                        except bsu_models.BsuError as exc:
                            right.error(error_text(exc))
                        else:
                            done(
                                f"post_{post.post_id}",
                                t("Approved.") if approved else t("Rejected."),
                            )
        if post.status == "approved" and user.may("post.download"):
            if right.button(t("Prepare download"), key=f"post_prepare_{post.post_id}"):
                try:
                    st.session_state[f"post_file_{post.post_id}"] = cat.posts.download(post.post_id)
                except bsu_models.BsuError as exc:
                    right.error(error_text(exc))
            prepared = st.session_state.get(f"post_file_{post.post_id}")
            if prepared:
                right.download_button(
                    t("Download {name}").format(name=prepared[0]),
                    prepared[1],
                    file_name=prepared[0],
                    mime="video/mp4" if post.video else "image/png",
                    key=f"post_download_{post.post_id}",
                )
