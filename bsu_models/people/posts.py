"""Public posts: a media officer's request for a public picture or video of a scene, and a
second person's decision on it.

A request renders the picture (or the video of every step, ``bsu_models.render.public_video``;
its timing kept in ``public_post_videos``) at once from the scene's current revision with
everything sensitive removed (``bsu_models.render.public_image``) and stores it under its
SHA-256; the decision is about exactly those bytes. An approver who did not make the request
approves or rejects it with a reason. Only approved posts can be downloaded, and an approved
post never changes: if the scene changed after the request, approving is refused and a new
request is needed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bsu_models.core import limits
from bsu_models.core.audit import append_event, record_event
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import read_session, write_session
from bsu_models.core.errors import (
    AccessDenied,
    Conflict,
    IntegrityError,
    InvalidInput,
    Message,
    NotFound,
)
from bsu_models.core.orm import PublicPostRow, PublicPostVideoRow, SceneRevisionRow, SceneRow
from bsu_models.core.records import SceneInfo
from bsu_models.core.state_ledger import confirm_rows, row_key
from bsu_models.core.text import clean_text, text_sha256
from bsu_models.scenes.service import SceneService

if TYPE_CHECKING:
    from bsu_models.render.video import Progress

POST_STATUSES = ("requested", "approved", "rejected")
#: A status as a word in a sentence (the stored value stays English).
_STATUS_WORDS: dict[str, Message] = {
    "requested": Message("requested"),
    "approved": Message("approved"),
    "rejected": Message("rejected"),
}


def _status_word(status: str) -> str | Message:
    return _STATUS_WORDS.get(status, status)


@dataclass(frozen=True)
class PostInfo:
    post_id: int
    case_reference: str
    scene_id: int
    scene_name: str
    revision: int
    step: int
    view: str | None
    platform: str
    caption: str
    image_sha256: str
    requested_by: str
    requested_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None
    reason: str
    video: bool = False  # an MP4 of every step (``platform`` is its size; ``step`` is 0)

    @property
    def file_name(self) -> str:
        """A file name that says nothing about the case."""
        suffix = "mp4" if self.video else "png"
        return f"public-post-{self.post_id}-{self.platform}.{suffix}"


def _info(row: PublicPostRow, session: Session) -> PostInfo:
    scene = session.get(SceneRow, row.scene_id)
    assert scene is not None
    video = session.scalar(
        select(PublicPostVideoRow.id).where(PublicPostVideoRow.post_id == row.id)
    )
    return PostInfo(
        row.id,
        scene.version.model.case.reference,
        row.scene_id,
        scene.name,
        row.revision,
        row.step,
        row.view,
        row.platform,
        row.caption,
        row.image_key,
        row.requested_by,
        row.requested_at,
        row.status,
        row.decided_by,
        row.decided_at,
        row.reason,
        video is not None,
    )


class PostService:
    """Public posts of one catalogue; reached as ``catalogue.posts``."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._scenes = SceneService(ctx)

    def _row_case(self, post_id: int) -> tuple[int, int, str]:
        with read_session(self.ctx.engine) as session:
            row = session.get(PublicPostRow, post_id)
            if row is None:
                raise NotFound("There is no public post request {post_id}.", post_id=post_id)
            scene = session.get(SceneRow, row.scene_id)
            assert scene is not None
            case = scene.version.model.case  # the model's case, not a copy kept with the row
            return case.id, row.scene_id, case.reference

    def _require(self, action: str, post_id: int) -> None:
        case_id, _scene, reference = self._row_case(post_id)
        self.ctx.access.require(
            action, case_id, object_type="post", object_id=str(post_id), case_label=reference
        )

    def request(
        self,
        scene_id: int,
        step: int,
        platform: str,
        caption: str,
        view: str | None = None,
        *,
        lang: str = "en",
        stereo: str | None = None,
        interocular_m: float | None = None,
    ) -> PostInfo:
        """Render the public picture of ``step`` (its fixed words in ``lang``; ``stereo``: a
        stereo pair, one of ``render.stereo.STEREO_MODES``, the eyes ``interocular_m`` apart)
        and ask for its approval."""
        # Imported here: rendering libraries are heavy and most users never request a post.
        from bsu_models.render.public_image import PLATFORM_SIZES, render_public_image
        from bsu_models.render.stereo import check_stereo

        pair = None if stereo is None else check_stereo(stereo, interocular_m)

        self._scenes.require(scene_id, "post.request")
        if platform not in PLATFORM_SIZES:
            raise InvalidInput(
                "Platform {platform!r} is not one of {choices}.",
                platform=platform,
                choices=", ".join(PLATFORM_SIZES),
            )
        info, revision_sha256, caption = self._current(scene_id, caption)
        png = render_public_image(
            self.ctx,
            info.version_id,
            scene_id=scene_id,
            revision=info.revision,
            step=step,
            view=view,
            preset=None if view else "iso",
            platform=platform,
            caption=caption,
            lang=lang,
            stereo=pair,
        )
        key = self.ctx.blobs.put(png)
        post_id = self._store_request(
            scene_id, info.revision, revision_sha256, step, view, platform, caption, key
        )
        return self.get(post_id)

    def _current(self, scene_id: int, caption: str) -> tuple[SceneInfo, str, str]:
        """The scene at its current revision, that revision's SHA-256 and the caption cleaned."""
        caption = clean_text(caption, Message("Caption"), limit=limits.CAPTION)
        number, revision_sha256 = self._scenes.current_revision(scene_id)
        info = self._scenes.info(scene_id)
        if info.revision != number:
            raise Conflict(
                "Scene {scene_id} changed just now; request the post again.", scene_id=scene_id
            )
        return info, revision_sha256, caption

    def request_video(
        self,
        scene_id: int,
        size: str,
        caption: str,
        *,
        fps: int = 30,
        seconds_per_step: float = 4.0,
        lang: str = "en",
        progress: Progress | None = None,
    ) -> PostInfo:
        """Render the public video of every step at ``size`` (``PUBLIC_VIDEO_SIZES``; its
        cards' words in ``lang``) and ask for its approval. ``progress`` is told the fraction
        done; an exception it raises stops the render and nothing is stored."""
        from bsu_models.render.public_video import check_public_size, render_public_video

        self._scenes.require(scene_id, "post.request")
        check_public_size(size)
        info, revision_sha256, caption = self._current(scene_id, caption)
        video = render_public_video(
            self.ctx,
            info.version_id,
            scene_id=scene_id,
            revision=info.revision,
            size=size,
            caption=caption,
            fps=fps,
            seconds_per_step=seconds_per_step,
            lang=lang,
            progress=progress,
        )
        key = self.ctx.blobs.put(video.mp4)
        post_id = self._store_request(
            scene_id,
            info.revision,
            revision_sha256,
            0,
            None,
            size,
            caption,
            key,
            PublicPostVideoRow(
                fps=fps, seconds_per_step=seconds_per_step, frames=video.frames, language=lang
            ),
        )
        return self.get(post_id)

    def _store_request(
        self,
        scene_id: int,
        revision: int,
        revision_sha256: str,
        step: int,
        view: str | None,
        platform: str,
        caption: str,
        key: str,
        video: PublicPostVideoRow | None = None,
    ) -> int:
        """The request's row (and its video's) with its audit event; the new post's id."""
        actor = self.ctx.actor_name()
        with write_session(self.ctx.engine) as session:
            scene = session.get(SceneRow, scene_id)
            assert scene is not None
            row = PublicPostRow(
                case_id=scene.case_id,
                scene_id=scene_id,
                revision=revision,
                revision_sha256=revision_sha256,
                step=step,
                view=view,
                platform=platform,
                caption=caption,
                image_key=key,
                requested_by=actor,
            )
            session.add(row)
            session.flush()
            details: dict[str, object] = {
                "scene": scene_id,
                "revision": revision,
                "step": step,
                "platform": platform,
                "caption_sha256": text_sha256(caption),
            }
            if video is not None:
                video.post_id = row.id
                session.add(video)
                details.update(video=True, fps=video.fps, seconds_per_step=video.seconds_per_step)
            append_event(
                session,
                actor=actor,
                action="post.request",
                object_type="post",
                object_id=str(row.id),
                object_sha256=key,
                details=details,
            )
            return row.id

    def get(self, post_id: int) -> PostInfo:
        user = self.ctx.user
        self._require("post.decide" if user.may("post.decide") else "post.request", post_id)
        with read_session(self.ctx.engine) as session:
            row = session.get(PublicPostRow, post_id)
            assert row is not None
            return _info(row, session)

    def list_posts(self, status: str | None = None) -> list[PostInfo]:
        """Requests on the user's cases (newest first), for media officers and approvers."""
        user = self.ctx.user
        if not (user.may("post.request") or user.may("post.decide")):
            return []
        visible = self.ctx.access.member_case_ids()
        with read_session(self.ctx.engine) as session:
            stmt = select(PublicPostRow).order_by(PublicPostRow.id.desc())
            if status:
                stmt = stmt.where(PublicPostRow.status == status)
            posts = []
            for row in session.scalars(stmt):
                scene = session.get(SceneRow, row.scene_id)
                assert scene is not None
                if visible is not None and scene.version.model.case_id not in visible:
                    continue
                posts.append(_info(row, session))
            return posts

    def preview(self, post_id: int) -> bytes:
        """The requested picture, for the requester and the approvers to look at."""
        post = self.get(post_id)
        user = self.ctx.user
        if not (user.may("post.decide") or user.username == post.requested_by):
            self._require("post.decide", post_id)
        return self.ctx.blobs.get_verified(post.image_sha256)

    def decide(self, post_id: int, approve: bool, reason: str) -> PostInfo:
        """Approve or reject a request; never by the person who requested it.

        The decision is one conditional update (``WHERE status = 'requested'``) in the same
        transaction as its audit event, so of two approvers deciding at once exactly one
        succeeds and the other is told who decided first.
        """
        self._require("post.decide", post_id)
        reason = clean_text(reason, Message("Reason"))
        if not reason.strip():
            raise InvalidInput("Give a reason for the decision; it is kept with the post.")
        post = self.get(post_id)
        actor = self.ctx.actor_name()
        action = "post.approve" if approve else "post.reject"
        if post.requested_by == actor:
            refusal = Message(
                "{actor} requested post {post_id} and so may not decide on it; a second "
                "approver must.",
                actor=actor,
                post_id=post_id,
            )
            self._refused(post, action, refusal)
            raise AccessDenied(refusal)
        with write_session(self.ctx.engine) as session:
            conflict = self._decision_conflict(session, post, approve)
            if conflict is None:
                decided = session.execute(
                    update(PublicPostRow)
                    .where(PublicPostRow.id == post_id, PublicPostRow.status == "requested")
                    .values(
                        status="approved" if approve else "rejected",
                        decided_by=actor,
                        decided_at=datetime.now(UTC),
                        reason=reason,
                    )
                    .execution_options(synchronize_session=False)
                )
                if decided.rowcount != 1:  # type: ignore[attr-defined]
                    # Decided by someone else between the check and the update.
                    conflict = self._decision_conflict(session, post, approve)
            append_event(
                session,
                actor=actor,
                action=action,
                object_type="post",
                object_id=str(post_id),
                object_sha256=post.image_sha256,
                outcome="refused" if conflict else "ok",
                # The approver's own words stay with the post; the trail keeps their hash.
                details=(
                    {"reason": str(conflict)}
                    if conflict
                    else {"reason_sha256": text_sha256(reason)}
                ),
            )
        if conflict:
            raise Conflict(conflict)
        return self.get(post_id)

    @staticmethod
    def _decision_conflict(session: Session, post: PostInfo, approve: bool) -> Message | None:
        """Why the post cannot be decided now, read inside the deciding transaction."""
        status, decided_by, revision, requested_sha = session.execute(
            select(
                PublicPostRow.status,
                PublicPostRow.decided_by,
                PublicPostRow.revision,
                PublicPostRow.revision_sha256,
            ).where(PublicPostRow.id == post.post_id)
        ).one()
        if status != "requested":
            return Message(
                "Post {post_id} was already {status} by {decided_by}.",
                post_id=post.post_id,
                status=_status_word(status),
                decided_by=decided_by,
            )
        if approve:
            number, sha256, document = session.execute(
                select(SceneRevisionRow.number, SceneRevisionRow.sha256, SceneRevisionRow.document)
                .where(SceneRevisionRow.scene_id == post.scene_id)
                .order_by(SceneRevisionRow.number.desc())
                .limit(1)
            ).one()
            if hashlib.sha256(document.encode()).hexdigest() != sha256:
                raise IntegrityError(
                    "Scene {scene_id} revision {revision} no longer matches its recorded "
                    "SHA-256 (changed outside the catalogue); nothing is built from it. "
                    "Run verify.",
                    scene_id=post.scene_id,
                    revision=number,
                )
            if (number, sha256) != (revision, requested_sha):
                return Message(
                    "Scene {scene_id} changed after post {post_id} was requested (revision "
                    "{revision}); the picture may no longer match it: request a new post.",
                    scene_id=post.scene_id,
                    post_id=post.post_id,
                    revision=revision,
                )
        return None

    def _refused(self, post: PostInfo, action: str, reason: Message) -> None:
        record_event(
            self.ctx.engine,
            actor=self.ctx.actor_name(),
            action=action,
            object_type="post",
            object_id=str(post.post_id),
            object_sha256=post.image_sha256,
            outcome="refused",
            details={"reason": str(reason)},
        )

    def download(self, post_id: int) -> tuple[str, bytes]:
        """The approved picture and a file name that says nothing about the case."""
        self._require("post.download", post_id)
        post = self.get(post_id)
        if post.status != "approved":
            refusal = Message(
                "Post {post_id} is {status}; only approved posts download.",
                post_id=post_id,
                status=_status_word(post.status),
            )
            self._refused(post, "post.download", refusal)
            raise AccessDenied(refusal)
        data = self.ctx.blobs.get_verified(post.image_sha256)
        with read_session(self.ctx.engine) as session:
            # The approval must be the one the audit chain recorded, not a status set by hand.
            keys = [row_key("public_posts", post_id)]
            video_id = session.scalar(
                select(PublicPostVideoRow.id).where(PublicPostVideoRow.post_id == post_id)
            )
            if video_id is not None:
                keys.append(row_key("public_post_videos", video_id))
            problems = confirm_rows(session, keys)
        if problems:
            raise IntegrityError(
                "Post {post_id} cannot be released: {problem} Run verify.",
                post_id=post_id,
                problem=problems[0],
            )
        record_event(
            self.ctx.engine,
            actor=self.ctx.actor_name(),
            action="post.download",
            object_type="post",
            object_id=str(post_id),
            object_sha256=post.image_sha256,
        )
        return post.file_name, data
