"""The picture of a public social-media post: a scene at a step, with nothing sensitive in it.

Works on a catalogue's model version and one stored revision of a scene on it (a ``SceneDoc``).
``public_document`` (:mod:`bsu_models.scenes.scene_public`) takes every entity marked ``sensitive``
out of the document, with all that refers to it or stands at its positions, and empties every
free-text note; ``render_public_image`` draws a step of that
document at one of the ``PLATFORM_SIZES`` with the officer's caption and the force's watermark
(text and the BSU badge from ``assets/watermark/``), and returns PNG bytes that carry pixels
only: no text, time, size or colour-profile chunks, so no hash, case reference or file name can
ride along unseen. The picture's fixed words (legend, scale, north letter, the default
watermark text) are in the language asked for; the officer's caption is drawn as written.
"""

from __future__ import annotations

import functools
import hashlib
import io
import struct
import zlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bsu_models.core import limits
from bsu_models.core.context import ServiceContext
from bsu_models.core.errors import InvalidInput, Message
from bsu_models.core.i18n import N_, check_language, translator
from bsu_models.core.records import SceneInfo
from bsu_models.core.text import clean_text, text_sha256
from bsu_models.core.versions import get_version
from bsu_models.ingest.geometry import as_triple, axis_vector
from bsu_models.render.fonts import font
from bsu_models.render.stereo import Stereo, draw_stereo
from bsu_models.render.still_service import (
    choose_camera,
    metres_per_unit,
    record_render,
    sunlight,
    version_mesh,
)
from bsu_models.render.stills import draw_picture
from bsu_models.scenes.scene_analysis import SceneAnalysis
from bsu_models.scenes.scene_layer import SceneLayer
from bsu_models.scenes.scene_model import SceneDoc
from bsu_models.scenes.scene_sun import step_sun
from bsu_models.scenes.service import SceneService

if TYPE_CHECKING:
    from bsu_models.ingest.geometry import MeshGeometry

PLATFORM_SIZES: dict[str, tuple[int, int]] = {
    "square": (1080, 1080),
    "landscape": (1200, 630),
    "widescreen": (1600, 900),
    "portrait": (1080, 1350),
}
#: Each platform size in words (English; pages translate them with ``t``).
PLATFORM_NAMES: dict[str, str] = {
    "square": N_("Square 1080×1080 (Instagram, Facebook)"),
    "landscape": N_("Landscape 1200×630 (Facebook/X link)"),
    "widescreen": N_("16:9 1600×900 (X, YouTube)"),
    "portrait": N_("Portrait 1080×1350 (Instagram)"),
}
#: The watermark text under the badge unless another is given (translated where drawn).
PUBLIC_WATERMARK = N_("Hong Kong Police Force · Re-enactment")
BADGE = Path(__file__).resolve().parents[2] / "assets" / "watermark" / "bsu-badge.png"
BAND_COLOUR = (22, 34, 56)  # a dark navy band: white caption text reads on any phone
CAPTION_INK = (255, 255, 255)
WATERMARK_INK = (196, 205, 220)
MAX_CAPTION_LINES = 3
# Only these chunks are written: everything else (tEXt, iTXt, zTXt, eXIf, tIME, pHYs, iCCP...)
# can carry data nobody sees in the picture itself.
KEPT_CHUNKS = (b"IHDR", b"IDAT", b"IEND")


class PublicAnalysis(SceneAnalysis):
    """Scene computations that see only the public document.

    ``SceneAnalysis.layer`` evaluates measurements and sightlines on the document it is given;
    here every other read of the scene (``info``, ``document``) answers the published scene and
    its public document too, so nothing that was taken out can come back through them.
    """

    def __init__(self, ctx: ServiceContext, scene: SceneInfo, doc: SceneDoc) -> None:
        self.ctx = ctx
        self._scenes = SceneService(ctx)
        self._scene = scene
        self._doc = doc

    def info(self, scene_id: int) -> SceneInfo:
        if scene_id != self._scene.scene_id:
            raise InvalidInput(
                "Scene {scene_id} is not the scene being published.", scene_id=scene_id
            )
        return self._scene

    def document(self, scene_id: int, revision: int | None = None) -> SceneDoc:
        self.info(scene_id)
        return self._doc

    def geometry(self, version_id: int) -> MeshGeometry:
        return self._scenes.geometry(version_id)


def public_scene(
    ctx: ServiceContext, version_id: int, scene_id: int, revision: int
) -> tuple[SceneInfo, SceneDoc, SceneDoc]:
    """The scene, its stored revision and that revision's public document.

    Filtered once, here, to the mesh's resolution; from then on only the public document may
    be read (through ``PublicAnalysis``)."""
    scenes = SceneService(ctx)
    info = scenes.info_on(scene_id, version_id)
    stored = scenes.document(scene_id, revision)
    return info, stored, scenes.public_form(stored, version_id)


def _view_reference(doc: SceneDoc, view: str) -> str:
    """A saved view named in the audit trail by its id, never by its name."""
    return next(f"view {v.id}" for v in doc.views if view in (v.name, v.id))


@cache
def _badge() -> Image.Image:
    return Image.open(BADGE).convert("RGBA")


def _wrap(text: str, face: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """``text`` broken into lines no wider than ``width``: at spaces where there are any, and
    between any two characters in Chinese, which has no spaces between words."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if face.getlength(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for char in word:
                if face.getlength(line + char) > width and line:
                    lines.append(line)
                    line = ""
                line += char
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def public_band(
    size: tuple[int, int], caption: str, watermark_text: str, font_file: str
) -> tuple[Image.Image, int]:
    """The band along the bottom: the caption on the left, the badge and watermark text on the
    right. Its height fits two caption lines at least, so a short caption or none leaves the
    scene above it exactly as it is; a longer one (up to three lines) makes it taller."""
    width, height = size
    unit = min(width, height) / 1080  # type sized to the short side: read on a phone
    margin = round(36 * unit)
    caption_face = font(max(12, round(34 * unit)), font_file, True)
    mark_face = font(max(10, round(19 * unit)), font_file, False)
    badge = _badge()
    badge_h = round(78 * unit)
    badge_w = round(badge.width * badge_h / badge.height)
    mark_w = max(badge_w, round(mark_face.getlength(watermark_text)))
    text_w = width - 3 * margin - mark_w
    lines = _wrap(caption, caption_face, text_w)
    if len(lines) > MAX_CAPTION_LINES:
        raise InvalidInput(
            "The caption needs {lines} lines at this size; shorten it to {limit} lines or fewer.",
            lines=len(lines),
            limit=MAX_CAPTION_LINES,
        )
    line_h = round(46 * unit)
    mark_h = badge_h + round(10 * unit) + round(26 * unit)
    band_h = max(2 * margin + max(len(lines), 2) * line_h, 2 * round(24 * unit) + mark_h)
    band = Image.new("RGB", (width, band_h), BAND_COLOUR)
    draw = ImageDraw.Draw(band)
    top = (band_h - len(lines) * line_h) / 2
    for index, line in enumerate(lines):
        draw.text(
            (margin, top + (index + 0.5) * line_h),
            line,
            fill=CAPTION_INK,
            font=caption_face,
            anchor="lm",
        )
    right = width - margin
    mark_top = (band_h - mark_h) // 2
    logo = badge.resize((badge_w, badge_h), Image.Resampling.LANCZOS)
    band.paste(logo, (right - (mark_w + badge_w) // 2, mark_top), logo)
    draw.text(
        (right - mark_w / 2, mark_top + mark_h),
        watermark_text,
        fill=WATERMARK_INK,
        font=mark_face,
        anchor="md",
    )
    return band, band_h


def _png_pixels_only(pixels: np.ndarray) -> bytes:
    """PNG of ``pixels: (h, w, 3) uint8`` with IHDR, IDAT and IEND chunks only.

    Pillow compresses the pixels (its filters make files a third the size of plain zlib);
    then the file is rebuilt from the chunks we allow, so whatever an encoder version might add
    by default never reaches the post.
    """
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, format="PNG", optimize=False)
    data = buffer.getvalue()
    signature = data[:8]
    out = [signature]
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind in KEPT_CHUNKS:
            crc = zlib.crc32(kind + body) & 0xFFFFFFFF
            out.append(struct.pack(">I", length) + kind + body + struct.pack(">I", crc))
        offset += 12 + length
    return b"".join(out)


def render_public_image(
    ctx: ServiceContext,
    version_id: int,
    *,
    scene_id: int,
    revision: int,
    step: int,
    view: str | None,
    preset: str | None,
    platform: str,
    caption: str,
    watermark_text: str | None = None,
    actor: str | None = None,
    lang: str = "en",
    stereo: Stereo | None = None,
) -> bytes:
    """PNG bytes: the step drawn from the public document, at the platform size, watermarked
    (text + the BSU badge), with the officer's caption only, and no metadata at all; with
    ``stereo``, the scene part is a stereo pair (``render.stereo``) as court stills make it.

    The legend, scale, north letter and the watermark text (``PUBLIC_WATERMARK`` unless
    ``watermark_text`` is given) are in ``lang``; the caption is drawn as written."""
    tr = translator(check_language(lang))
    if watermark_text is None:
        watermark_text = tr.gettext(PUBLIC_WATERMARK)
    if platform not in PLATFORM_SIZES:
        choices = ", ".join(f"{k} ({v})" for k, v in PLATFORM_NAMES.items())
        raise InvalidInput(
            "Platform {platform!r} is not one of {choices}.", platform=platform, choices=choices
        )
    caption = clean_text(caption, Message("Caption"), limit=limits.CAPTION)
    version = get_version(ctx, version_id)
    scenes = SceneService(ctx)
    info, stored, doc = public_scene(ctx, version_id, scene_id, revision)
    withheld = {v.name for v in stored.views} | {v.id for v in stored.views}
    if view in withheld - {v.name for v in doc.views} - {v.id for v in doc.views}:
        raise InvalidInput(
            "View {view!r} is aimed at where a sensitive entity is, so public pictures cannot "
            "use it; choose another view or none.",
            view=view,
        )
    current = doc.step_at(step)
    layer: SceneLayer = PublicAnalysis(ctx, info, doc).layer(scene_id, doc, current)
    camera, _saved = choose_camera(scenes, version, doc, view, preset, scene_id)
    size = PLATFORM_SIZES[platform]
    font_file = ctx.settings.font_file
    band, band_h = public_band(size, caption, watermark_text, font_file)
    scene_size = (size[0], size[1] - band_h)
    # Lit as at the step's time, like the stills, when the scene has a date and the version a place.
    sun = step_sun(version, doc, current)
    draw = functools.partial(
        draw_picture,
        version_mesh(ctx, version),
        north=as_triple(axis_vector(version.north_axis)),
        metres_per_unit=metres_per_unit(version),
        layer=layer,
        font_file=font_file,
        lang=lang,
        sizing="area",
        scale_note=False,  # a perspective view's "not to scale" means nothing to the public
        sun=sunlight(version, sun) if sun is not None else None,
    )
    if stereo is None:
        scene = draw(camera, scene_size).image
    else:
        scene, _left = draw_stereo(draw, camera, scene_size, stereo, metres_per_unit(version))
    picture = Image.new("RGB", size)
    picture.paste(scene, (0, 0))
    picture.paste(band, (0, scene_size[1]))
    png = _png_pixels_only(np.asarray(picture))
    record_render(
        ctx,
        version,
        actor,
        {
            "public": True,
            "platform": platform,
            "size": f"{size[0]}x{size[1]}",
            "scene": scene_id,
            "revision": revision,
            "step": step,
            "view": _view_reference(doc, view) if view else preset or "iso",
            "caption_sha256": text_sha256(caption),
            "png_sha256": hashlib.sha256(png).hexdigest(),
            "language": lang,
            **({"sun_at": sun.at.isoformat()} if sun is not None else {}),
            **(
                {"stereo": stereo.mode, "interocular_m": stereo.interocular_m}
                if stereo is not None
                else {}
            ),
        },
    )
    return png
