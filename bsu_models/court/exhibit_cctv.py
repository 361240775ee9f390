"""The CCTV part of a court exhibit: each matched camera's frame, fit and readings.

For each camera entity of the frozen revision that is matched to a CCTV frame, the package
holds the frame exactly as kept (``cctv/<camera>-frame.png|jpg``, its SHA-256 in the manifest
and in the book) and the scene seen through the solved camera with the frame over it
(``cctv/<camera>-through-camera.png``). The book gives a page per camera: that picture, the
frame's source and SHA-256, the solve (position, focal length, RMS error), every pair with its
residual, the heights read off the frame with their ±, and the positions placed from it.
``gather_cameras`` reads all this from the catalogue; ``cctv_pages`` draws the pages.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from bsu_models.core.context import ServiceContext
from bsu_models.core.errors import InvalidInput
from bsu_models.core.i18n import N_, error_text, translator
from bsu_models.core.records import VersionInfo
from bsu_models.court.exhibit_facts import _frame
from bsu_models.court.pdf_layout import INK, BookPdf
from bsu_models.render.camera_view import render_camera_still
from bsu_models.scenes.camera_service import CameraService
from bsu_models.scenes.scene_model import SceneDoc

THROUGH_OPACITY = 0.5


@dataclass(frozen=True)
class BookCamera:
    """One matched camera, as the book shows it (values already in the book's language)."""

    label: str
    still_png: bytes
    still_name: str
    facts: tuple[tuple[str, str], ...]
    pairs: tuple[tuple[str, ...], ...]  # number, pixel, model point, residual
    heights: tuple[tuple[str, str], ...]  # label, value with ±
    placed: tuple[tuple[str, ...], ...]  # entity, step, pixel, position


CCTV_WORDS = (
    N_("CCTV camera {label}"),
    N_("Fact"),
    N_("Value"),
    N_("Point pairs"),
    N_("Pair"),
    N_("Pixel (u, v)"),
    N_("Model point (x, y, z)"),
    N_("Residual (px)"),
    N_("Heights read off the frame"),
    N_("Height"),
    N_("No heights were read off this frame."),
    N_("Positions read off the frame"),
    N_("Entity"),
    N_("Step"),
    N_("Position E / N / height (m) *"),
    N_("No positions were placed from this frame."),
)


def _point_text(point: np.ndarray, version: VersionInfo) -> str:
    east, north, up, factor = _frame(version)
    if factor is None:
        return " / ".join(f"{c:.4g}" for c in point)
    base = min(float(np.asarray(corner) @ up) for corner in version.bounds)
    return " / ".join(
        f"{v:.2f}"
        for v in (point @ east * factor, point @ north * factor, (point @ up - base) * factor)
    )


def gather_cameras(
    ctx: ServiceContext,
    scene_id: int,
    doc: SceneDoc,
    revision: int,
    version: VersionInfo,
    actor: str,
    lang: str,
) -> tuple[dict[str, bytes], tuple[BookCamera, ...]]:
    """The package files and book pages of the scene's matched cameras."""
    _ = translator(lang).gettext
    cameras = CameraService(ctx)
    payload: dict[str, bytes] = {}
    pages = []
    for match in doc.cameras:
        entity = doc.entity(match.entity)
        frame = cameras.frame(scene_id, match.frame_sha256)
        extension = "jpg" if frame.media_type == "image/jpeg" else "png"
        frame_name = f"cctv/{match.entity}-frame.{extension}"
        still_name = f"cctv/{match.entity}-through-camera.png"
        payload[frame_name] = cameras.frame_bytes(scene_id, frame.sha256, actor=actor)
        still = render_camera_still(
            ctx,
            scene_id,
            match.entity,
            opacity=THROUGH_OPACITY,
            revision=revision,
            actor=actor,
            lang=lang,
        )
        payload[still_name] = still.png
        s = match.solution
        facts = (
            (_("CCTV camera"), frame.camera_ref),
            (_("Time on the footage"), frame.recorded_at),
            (_("Exhibit of the footage"), frame.exhibit),
            (
                _("Frame"),
                _("{name} in the package ({width} × {height} px)").format(
                    name=frame_name, width=frame.width, height=frame.height
                ),
            ),
            (_("Frame SHA-256"), frame.sha256),
            (_("Camera position E / N / height (m) *"), _point_text(np.array(s.position), version)),
            (
                _("Focal length"),
                _("{focal} px ± {sd} px (field of view {fov}°)").format(
                    focal=f"{s.focal_px:.1f}", sd=f"{s.focal_sd_px:.1f}", fov=f"{s.fov_deg:.1f}"
                ),
            ),
            (_("Radial distortion k1"), f"{s.k1:.4f}" if s.solve_k1 else _("not solved")),
            (
                _("RMS reprojection error"),
                _("{rms} px over {count} pairs").format(
                    rms=f"{s.rms_px:.2f}", count=len(match.pairs)
                ),
            ),
            (
                _("Picture"),
                _(
                    "{name}: the frame at {opacity}% over the model drawn from the solved camera"
                ).format(name=still_name, opacity=round(THROUGH_OPACITY * 100)),
            ),
        )
        pairs = tuple(
            (
                str(number),
                f"{p.u:.1f}, {p.v:.1f}",
                f"{p.x:.4g}, {p.y:.4g}, {p.z:.4g}",
                f"{length:.2f}",
            )
            for number, (p, length) in enumerate(
                zip(match.pairs, s.residual_lengths, strict=True), 1
            )
        )
        heights = []
        for height in match.heights:
            try:
                value = cameras.height(
                    scene_id, match.entity, height.head, height.feet, click_px=height.click_px
                )
                text = value.text_in(lang)
            except InvalidInput as exc:
                text = _("not available: {reason}").format(reason=error_text(exc, lang))
            heights.append((height.label, text))
        titles = {st.id: st.title for st in doc.steps}
        placed = tuple(
            (
                doc.entity(p.entity).label,
                titles[p.step],
                f"{p.provenance.pixel[0]:.1f}, {p.provenance.pixel[1]:.1f}",
                _point_text(np.array(p.point), version),
            )
            for p in doc.positions
            if p.provenance.frame_sha256 == frame.sha256 and p.provenance.pixel is not None
        )
        pages.append(
            BookCamera(entity.label, still.png, still_name, facts, pairs, tuple(heights), placed)
        )
    return payload, tuple(pages)


def cctv_pages(
    pdf: BookPdf,
    cameras: tuple[BookCamera, ...],
    picture: Callable[[BookPdf, bytes, str, tuple[int, int], tuple[float, float]], float],
) -> None:
    """A page (or more) per matched camera; ``picture`` draws a still as the step pages do."""
    say = pdf.say
    for camera in cameras:
        title = say("CCTV camera {label}").format(label=camera.label)
        pdf.start(title)
        pdf.title_line(title, 14)
        with Image.open(io.BytesIO(camera.still_png)) as still:
            size = still.size
        picture(pdf, camera.still_png, camera.still_name, size, (pdf.epw * 0.62, pdf.eph * 0.5))
        pdf.ln(2)
        pdf.set_text_color(*INK)
        pdf.grid((say("Fact"), say("Value")), camera.facts, (1, 3))
        pdf.listing(
            say("Point pairs"),
            (say("Pair"), say("Pixel (u, v)"), say("Model point (x, y, z)"), say("Residual (px)")),
            camera.pairs,
            "",
            (1, 3, 5, 2),
        )
        pdf.listing(
            say("Heights read off the frame"),
            (say("Height"), say("Value")),
            camera.heights,
            say("No heights were read off this frame."),
            (3, 4),
        )
        pdf.listing(
            say("Positions read off the frame"),
            (say("Entity"), say("Step"), say("Pixel (u, v)"), say("Position E / N / height (m) *")),
            camera.placed,
            say("No positions were placed from this frame."),
            (3, 3, 2, 3),
        )
