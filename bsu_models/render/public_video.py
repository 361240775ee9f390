"""The video of a public social-media post: a scene's fly-through with nothing sensitive in it.

Drawn as the court video is (``bsu_models.render.video``), but from the public document of the
revision (``public_image.public_scene``: sensitive entities taken out with all that refers to
them, notes emptied), its marks evaluated by ``public_image.PublicAnalysis`` so that nothing
re-reads the stored scene. Every frame, the cards included, carries the band of public pictures
(``public_image.public_band``: the officer's caption, the BSU badge and the watermark text) and
nothing else in words: no case reference, scene name, step title or hash. The MP4 is written
with ``public=True``: no tags and no encoder settings message (see ``video_encode``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bsu_models.core import limits
from bsu_models.core.context import ServiceContext
from bsu_models.core.errors import Message
from bsu_models.core.i18n import N_, check_language, translator
from bsu_models.core.text import clean_text, text_sha256
from bsu_models.core.versions import get_version
from bsu_models.render.public_image import (
    PLATFORM_NAMES,
    PUBLIC_WATERMARK,
    PublicAnalysis,
    public_band,
    public_scene,
)
from bsu_models.render.still_service import record_render, sunlight, version_mesh
from bsu_models.render.video import (
    Progress,
    VideoSettings,
    VideoStep,
    check_timing,
    render_video,
    video_size,
)
from bsu_models.render.video_service import (
    WATERMARK,
    model_frame,
    rendered_bytes,
    step_sections,
    step_suns,
    video_steps,
)
from bsu_models.scenes.service import SceneService

#: The sizes a public video comes in, each in words (English; pages translate them with ``t``).
PUBLIC_VIDEO_NAMES: dict[str, str] = {
    "square": PLATFORM_NAMES["square"],
    "portrait": PLATFORM_NAMES["portrait"],
    "story": N_("Story 1080×1920 (Instagram, Facebook, TikTok)"),
}
PUBLIC_VIDEO_SIZES: dict[str, tuple[int, int]] = {
    name: video_size(name) for name in PUBLIC_VIDEO_NAMES
}


@dataclass(frozen=True)
class PublicVideo:
    mp4: bytes
    sha256: str
    frames: int


def check_public_size(size: str) -> tuple[int, int]:
    return video_size(size, PUBLIC_VIDEO_SIZES)


def render_public_video(
    ctx: ServiceContext,
    version_id: int,
    *,
    scene_id: int,
    revision: int,
    size: str,
    caption: str,
    fps: int = 30,
    seconds_per_step: float = 4.0,
    watermark_text: str | None = None,
    actor: str | None = None,
    lang: str = "en",
    progress: Progress | None = None,
) -> PublicVideo:
    """MP4 bytes: every step of the revision's public document, the band of public pictures on
    every frame, and no metadata. The cards' words and the default watermark text are in
    ``lang``; the caption is drawn as written."""
    _ = translator(check_language(lang)).gettext
    pixels = check_public_size(size)
    check_timing(fps, seconds_per_step)
    caption = clean_text(caption, Message("Caption"), limit=limits.CAPTION)
    if watermark_text is None:
        watermark_text = _(PUBLIC_WATERMARK)
    version = get_version(ctx, version_id)
    info, _stored, doc = public_scene(ctx, version_id, scene_id, revision)
    analysis = PublicAnalysis(ctx, info, doc)
    suns = step_suns(version, doc)
    steps = video_steps(
        doc,
        lambda step: analysis.layer(scene_id, doc, step),
        sun_of=lambda step: sunlight(version, suns[step.id]) if step.id in suns else None,
    ) or [VideoStep("")]
    band, _height = public_band(pixels, caption, watermark_text, ctx.settings.font_file)
    settings = VideoSettings(
        size=pixels,
        fps=fps,
        seconds_per_step=seconds_per_step,
        title_lines=(watermark_text,),
        end_lines=(_(WATERMARK),),
        font_file=ctx.settings.font_file,
        lang=lang,
        public=True,
        band=band,
        **model_frame(SceneService(ctx), version),
    )
    frames, mp4 = rendered_bytes(
        lambda out: render_video(version_mesh(ctx, version), steps, settings, out, progress)
    )
    digest = hashlib.sha256(mp4).hexdigest()
    record_render(
        ctx,
        version,
        actor,
        {
            "public": True,
            "video": True,
            "size": size,
            "scene": scene_id,
            "revision": revision,
            "fps": fps,
            "seconds_per_step": seconds_per_step,
            "frames": frames,
            "caption_sha256": text_sha256(caption),
            "mp4_sha256": digest,
            "language": lang,
            "figures": settings.figures,
            **(
                {"section": [c.json() if c else None for c in cuts]}
                if (cuts := step_sections(steps))
                else {}
            ),
            **(
                {"sun_at": [suns[s.id].at.isoformat() for s in doc.steps if s.id in suns]}
                if suns
                else {}
            ),
        },
    )
    return PublicVideo(mp4, digest, frames)
