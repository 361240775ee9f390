"""The fly-through video of an exhibit package (``data/video/sequence.mp4``), rendered from
the frozen revision through the catalogue, so it is checked and audited like any video."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bsu_models.core.i18n import N_

if TYPE_CHECKING:
    from bsu_models.catalogue import Catalogue

VIDEO_PATH = "video/sequence.mp4"
#: The package README's line for the video (translated where written).
VIDEO_README = ("video/", N_("the steps as a fly-through video (MP4, H.264)"))


def exhibit_video(
    catalogue: Catalogue,
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
    ``Catalogue.render_video`` takes them."""
    with tempfile.TemporaryDirectory(prefix="bsu-exhibit-video-") as folder:
        out = Path(folder) / "sequence.mp4"
        catalogue.render_video(
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
