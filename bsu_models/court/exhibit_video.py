"""The fly-through video of an exhibit package (``data/video/sequence.mp4``), rendered from
the frozen revision by the video service, so it is checked and audited like any video."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bsu_models.core.context import ServiceContext
from bsu_models.core.i18n import N_
from bsu_models.render.video_service import render_scene_video

VIDEO_PATH = "video/sequence.mp4"
#: The package README's line for the video (translated where written).
VIDEO_README = ("video/", N_("the steps as a fly-through video (MP4, H.264)"))


def exhibit_video(
    ctx: ServiceContext,
    scene_id: int,
    revision: int,
    *,
    exhibit: str,
    date_text: str,
    actor: str,
    lang: str,
    options: Mapping[str, Any] | None = None,
) -> bytes:
    """The MP4 bytes of the frozen ``revision``; ``options`` (size, fps, seconds_per_step) as
    ``render_scene_video`` takes them."""
    with tempfile.TemporaryDirectory(prefix="bsu-exhibit-video-") as folder:
        out = Path(folder) / "sequence.mp4"
        render_scene_video(
            ctx,
            scene_id,
            out,
            revision=revision,
            exhibit=exhibit,
            date_text=date_text,
            actor=actor,
            lang=lang,
            **dict(options or {}),
        )
        return out.read_bytes()
