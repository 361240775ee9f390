"""Looking through a matched CCTV camera, and what it sees.

The model drawn from the solved camera with the frame over it lets anyone judge the fit.

The model is drawn by the stills renderer (``draw_picture``) from the solve's centre, line of
sight, up direction and field of view, at the frame's own size, with the scene's marks at the
step; the frame is laid over it at ``opacity`` (0: model only, 1: frame only). Each pair is
marked where it was clicked (a cross) and where the solved camera puts its model point (a ring),
joined by its residual. A band under the picture says what it is: the case, scene and revision,
the camera, the frame's SHA-256, the RMS error and the opacity. The radial term (``k1``), where
solved, is not drawn: the model is a pinhole picture, so a bent frame shows its bend.

``render_coverage_still`` draws the scene from any view with the faces the camera sees (the
first surface met by a line of sight through its frame's pixels) shaded.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from bsu_models.core.context import ServiceContext
from bsu_models.core.errors import InvalidInput
from bsu_models.core.i18n import check_language, translator
from bsu_models.core.versions import get_version
from bsu_models.ingest.frames import frame_pixels
from bsu_models.ingest.geometry import as_triple, axis_vector
from bsu_models.ingest.meshdata import MeshArrays
from bsu_models.render.offscreen import png_bytes
from bsu_models.render.overlay import Overlays
from bsu_models.render.overlay_canvas import new_canvas
from bsu_models.render.overlay_furniture import caption_height, draw_caption
from bsu_models.render.still_service import (
    choose_camera,
    metres_per_unit,
    record_render,
    version_mesh,
)
from bsu_models.render.stills import Camera, Still, draw_picture, picture_size
from bsu_models.scenes.camera_reading import seen_faces
from bsu_models.scenes.camera_service import CameraService
from bsu_models.scenes.camera_solve import CameraSolution
from bsu_models.scenes.scene_camera import PointPair, pair_arrays

CLICKED = (255, 214, 0)
REPROJECTED = (230, 0, 160)
MIN_WIDTH = 1600


def solved_camera(solution: CameraSolution) -> Camera:
    """The stills renderer's camera for a solve: same centre, line of sight, up and (vertical)
    field of view."""
    position = np.array(solution.position)
    return Camera(
        "perspective",
        solution.position,
        as_triple(position + solution.forward),
        as_triple(solution.up),
        solution.fov_deg,
    )


def render_camera_still(
    ctx: ServiceContext,
    scene_id: int,
    camera: str,
    *,
    step: int | None = None,
    opacity: float = 0.5,
    revision: int | None = None,
    actor: str | None = None,
    lang: str = "en",
) -> Still:
    """The scene at ``step`` (default: the first) seen through matched camera ``camera`` with
    its frame laid over at ``opacity``, its pairs and residuals marked."""
    _ = translator(check_language(lang)).gettext
    if not (math.isfinite(opacity) and 0 <= opacity <= 1):
        raise InvalidInput("The frame's opacity must be between 0 and 1.")
    cameras = CameraService(ctx)
    scenes = cameras.scenes
    info = scenes.info(scene_id)
    version = get_version(ctx, info.version_id)
    ctx.require_case("render", version.case_reference, "version", str(version.version_id))
    number = info.revision if revision is None else revision
    doc = scenes.document(scene_id, number)
    match = cameras.solution(scene_id, camera, number)
    frame = cameras.frame(scene_id, match.frame_sha256)
    frame_data = cameras.frame_bytes(scene_id, match.frame_sha256, actor=actor)
    solution = match.solution
    size = solution.image_size
    layer = None
    if doc.steps:
        layer = scenes.layer(scene_id, doc, doc.step_at(step or 1))
    picture = draw_picture(
        version_mesh(ctx, version),
        solved_camera(solution),
        size,
        north=as_triple(axis_vector(version.north_axis)),
        metres_per_unit=metres_per_unit(version),
        layer=layer,
        overlays=Overlays(
            frustums=False, scale_bar=False, north_arrow=False, legend=False, caption=False
        ),
        font_file=ctx.settings.font_file,
        lang=lang,
    )
    overlay = Image.fromarray(frame_pixels(frame_data, ctx.settings.max_texture_pixels))
    blended = Image.blend(picture.image.convert("RGB"), overlay, opacity)
    # Small frames are enlarged (each pixel a block, none invented) so the band's words fit.
    scale = max(1, math.ceil(MIN_WIDTH / size[0]))
    if scale > 1:
        blended = blended.resize((size[0] * scale, size[1] * scale), Image.Resampling.NEAREST)
    _mark_pairs(blended, match.pairs, solution, scale)
    label = doc.entity(match.entity).label
    lines = [
        _("{case} · scene {scene} (revision {revision}) · seen through camera {camera}").format(
            case=version.case_reference, scene=doc.name, revision=number, camera=label
        ),
        _("CCTV frame {camera_id}, {time}, exhibit {exhibit}").format(
            camera_id=frame.camera_ref, time=frame.recorded_at, exhibit=frame.exhibit
        ),
        _("Frame SHA-256 {sha}").format(sha=frame.sha256),
        _(
            "Frame over the model at {opacity}% · {count} pairs: + clicked, o model point as "
            "the camera sees it · RMS error {rms} px"
        ).format(
            opacity=round(opacity * 100),
            count=len(match.pairs),
            rms=f"{solution.rms_px:.2f}",
        ),
    ]
    # The band is sized by the whole sheet's height (caption_height): solve for that height.
    share = caption_height(len(lines), 1080) / 1080
    width, height = blended.size
    sheet = Image.new("RGB", (width, math.ceil(height / (1 - share))), (255, 255, 255))
    sheet.paste(blended, (0, 0))
    canvas = new_canvas(sheet, ctx.settings.font_file, lang)
    draw_caption(canvas, lines)
    png = png_bytes(
        np.asarray(canvas.image.convert("RGB")),
        {
            "derived-from-sha256": version.original_sha256,
            "frame-sha256": frame.sha256,
            "scene": f"{scene_id}@r{number}",
            "generator": "bsu-models camera still",
        },
    )
    record_render(
        ctx,
        version,
        actor,
        {
            "scene": scene_id,
            "revision": number,
            "step": step,
            "view": f"camera {match.entity}",
            "frame_sha256": frame.sha256,
            "opacity": opacity,
            "language": lang,
        },
    )
    return Still(png=png, size=canvas.image.size, metres_per_pixel=None, scale_bar=None)


def _mark_pairs(
    image: Image.Image, pairs: tuple[PointPair, ...], solution: CameraSolution, scale: int
) -> None:
    pixels, points = pair_arrays(pairs)
    projected, _depth = solution.project(points)
    pixels, projected = pixels * scale, projected * scale
    draw = ImageDraw.Draw(image)
    r = max(4.0, image.size[1] / 160)
    width = max(1, round(r / 3))
    for (u, v), (x, y) in zip(pixels, projected, strict=True):
        draw.line([(u, v), (x, y)], fill=REPROJECTED, width=width)
        draw.line([(u - r, v), (u + r, v)], fill=CLICKED, width=width)
        draw.line([(u, v - r), (u, v + r)], fill=CLICKED, width=width)
        draw.ellipse((x - r, y - r, x + r, y + r), outline=REPROJECTED, width=width)


SEEN = np.array([236, 186, 60], dtype=np.uint8)  # what the camera sees
UNSEEN = np.array([200, 196, 188], dtype=np.uint8)


def render_coverage_still(
    ctx: ServiceContext,
    scene_id: int,
    camera: str,
    *,
    view: str | None = None,
    preset: str | None = None,
    size: str = "1920x1080",
    step: int | None = None,
    stride_px: float = 2.0,
    actor: str | None = None,
    lang: str = "en",
) -> Still:
    """The scene from a saved view or preset with the part of the model that matched camera
    ``camera`` sees (not hidden behind other surfaces) shaded, and its frustum."""
    _ = translator(check_language(lang)).gettext
    cameras = CameraService(ctx)
    scenes = cameras.scenes
    info = scenes.info(scene_id)
    version = get_version(ctx, info.version_id)
    ctx.require_case("render", version.case_reference, "version", str(version.version_id))
    doc = scenes.document(scene_id)
    match = cameras.solution(scene_id, camera)
    geometry = scenes.geometry(version.version_id)
    seen = seen_faces(match.solution, geometry, stride_px)
    vertices = np.asarray(geometry.mesh.vertices)
    faces = np.asarray(geometry.mesh.faces)
    lit = np.zeros(len(vertices), dtype=bool)
    lit[faces[seen].ravel()] = True
    colours = np.where(lit[:, None], SEEN, UNSEEN)
    shot, _saved = choose_camera(scenes, version, doc, view, preset, scene_id)
    layer = scenes.layer(scene_id, doc, doc.step_at(step or 1)) if doc.steps else None
    label = doc.entity(match.entity).label
    share = float(seen.mean())
    caption = [
        _("{case} · scene {scene} (revision {revision})").format(
            case=version.case_reference, scene=doc.name, revision=info.revision
        ),
        _(
            "Shaded: what camera {camera} sees, not hidden behind other surfaces "
            "({share}% of the model's faces; a line of sight every {stride} px of its frame)"
        ).format(camera=label, share=f"{share * 100:.1f}", stride=f"{stride_px:g}"),
        _("Made from model version {sha}; CCTV frame SHA-256 {frame}").format(
            sha=version.original_sha256[:12], frame=match.frame_sha256
        ),
    ]
    picture = draw_picture(
        MeshArrays(vertices, faces, colours=colours),
        shot,
        picture_size(size),
        north=as_triple(axis_vector(version.north_axis)),
        metres_per_unit=metres_per_unit(version),
        layer=layer,
        caption=caption,
        font_file=ctx.settings.font_file,
        lang=lang,
    )
    png = png_bytes(
        np.asarray(picture.image.convert("RGB")),
        {
            "derived-from-sha256": version.original_sha256,
            "frame-sha256": match.frame_sha256,
            "scene": f"{scene_id}@r{info.revision}",
            "generator": "bsu-models camera coverage",
        },
    )
    record_render(
        ctx,
        version,
        actor,
        {
            "scene": scene_id,
            "revision": info.revision,
            "view": view or preset or "iso",
            "coverage_of": match.entity,
            "frame_sha256": match.frame_sha256,
            "size": size,
            "language": lang,
        },
    )
    return Still(
        png=png,
        size=picture.image.size,
        metres_per_pixel=picture.metres_per_pixel,
        scale_bar=picture.scale_bar,
    )
