"""Court-grade stills: a model version rendered off-screen with pyvista, with overlays.

``render_still`` takes validated mesh arrays (``MeshArrays``; pyvista never reads a file), a
``Camera`` and a picture size, renders the model, projects the scene's 3D points to pixels with the
renderer's own camera matrix, and draws the overlays on top (the scene marks of
``bsu_models.render.overlay``, the furniture of ``bsu_models.render.overlay_furniture``). The same
inputs give the same pixels: nothing random, no clock read here (the caption's date comes in as
text). The overlays' fixed words (legend, scale bar, north letter) are in ``lang``.
"""

from __future__ import annotations

import functools
import io
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from bsu_models.core.errors import InvalidInput
from bsu_models.ingest.geometry import as_triple, preset_camera
from bsu_models.ingest.meshdata import MeshArrays
from bsu_models.render.figures import add_figures
from bsu_models.render.offscreen import (
    _RENDER_LOCK,
    MODEL_ACTOR,
    THUMBNAIL_FACE_BUDGET,
    _polydata,
    _pyvista,
    png_bytes,
    reduced_polydata,
)
from bsu_models.render.overlay import Overlays, Project, draw_scene
from bsu_models.render.overlay_canvas import new_canvas
from bsu_models.render.overlay_furniture import (
    ScaleBar,
    caption_height,
    draw_caption,
    draw_legend,
    draw_north_arrow,
    draw_scale_bar,
    draw_watermark,
)
from bsu_models.render.sunlight import Sunlight, light_by_sun
from bsu_models.scenes.scene_items import Section, camera_json
from bsu_models.scenes.scene_layer import SceneLayer
from bsu_models.scenes.sun import SunPosition

if TYPE_CHECKING:
    from bsu_models.render.stereo import Stereo

SIZES: dict[str, tuple[int, int]] = {
    "1920x1080": (1920, 1080),
    "4k": (3840, 2160),
    "a4": (3508, 2480),  # landscape at 300 dpi
    "a3": (4961, 3508),
}
# Small pictures not offered as a still size: the storyboard strip's step thumbnails.
THUMBNAIL_SIZES: dict[str, tuple[int, int]] = {"storyboard": (320, 180)}
PRINT_DPI = 300
BACKGROUND = (0.96, 0.96, 0.95)
MODEL_COLOUR = (0.83, 0.81, 0.77)


def picture_size(name: str) -> tuple[int, int]:
    if name in THUMBNAIL_SIZES:
        return THUMBNAIL_SIZES[name]
    if name not in SIZES:
        raise InvalidInput(
            "Size {size!r} is not one of {choices}.", size=name, choices=", ".join(SIZES)
        )
    return SIZES[name]


@dataclass(frozen=True)
class Camera:
    projection: str  # perspective | orthographic
    position: tuple[float, float, float]
    target: tuple[float, float, float]
    up: tuple[float, float, float]
    fov_deg: float | None = 45.0
    ortho_scale: float | None = None  # height of the view in model units
    #: Where the line of sight meets the picture, in the picture's -1..1 coordinates (0, 0:
    #: its middle); an eye of a stereo pair looks off-centre (``bsu_models.render.stereo``).
    window_center: tuple[float, float] = (0.0, 0.0)
    #: A saved view's section box (``scene_items.Section``): the model is drawn only inside it.
    section: Section | None = None

    def camera_json(self) -> dict[str, Any]:
        """The camera as the browser viewers take a saved view (``scene_items.camera_json``)."""
        return camera_json(self)


@dataclass(frozen=True)
class Still:
    png: bytes = field(repr=False)
    size: tuple[int, int]
    metres_per_pixel: float | None  # None for perspective views or unknown units
    scale_bar: ScaleBar | None
    sun: SunPosition | None = None  # where the sun was, when the picture is lit by it


def model_plotter(
    mesh: MeshArrays,
    size: tuple[int, int],
    *,
    face_budget: int | None = None,
    sun: Sunlight | None = None,
    section: Section | None = None,
) -> Any:
    """An off-screen plotter holding the model, lit, with no camera set yet; the caller closes
    it. Create it while holding ``_RENDER_LOCK``. The model's actor is ``model_actor(plotter)``.

    ``face_budget`` lets an untextured mesh be clustered down to about that many faces first;
    ``sun`` above the horizon lights it from the sun, casting shadows, with sky light; below
    it, the night lighting (``NIGHT_LAMP``); ``section`` cuts the model to a box
    (``cut_to_section``).
    """
    pv = _pyvista()
    sunlit = sun is not None and sun.up
    # VTK's shadow maps are baked with the window's aspect but read back as if square: on a
    # wide window they cover only part of the model (pyvista's "window size" caveat). Sunlit
    # pictures are therefore drawn square, wide enough for the picture, and cut out of it
    # (``shoot``).
    side = max(size)
    window = (side, side) if sunlit else size
    lighting = {"lighting": "none"} if sun is not None else {}
    plotter = pv.Plotter(off_screen=True, window_size=list(window), **lighting)
    try:
        plotter.set_background(BACKGROUND)
        poly = (
            _polydata(pv, mesh) if face_budget is None else reduced_polydata(pv, mesh, face_budget)
        )
        style: dict[str, Any] = {"color": MODEL_COLOUR, "ambient": 0.22, "diffuse": 0.85}
        if mesh.uv is not None and mesh.texture_png is not None:
            image = np.asarray(Image.open(io.BytesIO(mesh.texture_png)).convert("RGB"))
            style = {"texture": pv.Texture(image), "ambient": 0.2}
        elif mesh.colours is not None:
            poly.point_data["colours"] = mesh.colours
            style = {"scalars": "colours", "rgb": True, "ambient": 0.25}
        else:
            style["specular"] = 0.08
        actor = plotter.add_mesh(poly, name=MODEL_ACTOR, **style)
        if section is not None:
            cut_to_section(actor, section)
        if sun is not None:
            light_by_sun(pv, plotter, mesh, sun, side)
        else:
            plotter.enable_lightkit()
    except BaseException:
        plotter.close()
        raise
    return plotter


def cut_to_section(actor: Any, section: Section) -> None:
    """Draw ``actor`` only inside ``section``: clipping planes in its mapper, so that faces are
    cut where they cross the box, pixel by pixel, as three.js does in the browser."""
    import vtk

    for origin, normal in section.planes():
        plane = vtk.vtkPlane()
        plane.SetOrigin(*origin)
        plane.SetNormal(*normal)
        actor.mapper.AddClippingPlane(plane)


def _aim(plotter: Any, camera: Camera, stretch: float = 1.0) -> None:
    """Point the plotter's camera as ``camera``, its view ``stretch`` times taller."""
    if camera.projection == "orthographic":
        plotter.enable_parallel_projection()
        plotter.camera.parallel_scale = float(camera.ortho_scale or 1.0) / 2 * stretch
    elif stretch == 1.0:
        plotter.camera.view_angle = float(camera.fov_deg or 45.0)
    else:
        fov = math.radians(float(camera.fov_deg or 45.0))
        plotter.camera.view_angle = math.degrees(2 * math.atan(math.tan(fov / 2) * stretch))


def shoot(
    plotter: Any, camera: Camera, size: tuple[int, int], *, fit: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Pixels ``(h, w, 3)`` of ``plotter`` seen from ``camera`` and the 4x4 world-to-clip
    matrix of that camera; ``fit`` moves the camera along its line of sight so the whole model
    fills the picture. A plotter whose window is larger than ``size`` (sunlit: square) is
    drawn with a view widened to match and the picture cut from its middle."""
    window = tuple(plotter.window_size)
    plotter.camera_position = [camera.position, camera.target, camera.up]
    _aim(plotter, camera, window[1] / size[1])
    if camera.window_center != (0.0, 0.0):
        plotter.camera.SetWindowCenter(*camera.window_center)
    if fit:
        plotter.reset_camera()
    plotter.renderer.ResetCameraClippingRange()
    if window != tuple(size):
        # Only the picture's part of the window is drawn (the rest is cut away): VTK's camera
        # scissors its next render to it, shadow maps excepted.
        from vtkmodules.vtkCommonDataModel import vtkRecti

        left, top = (window[0] - size[0]) // 2, (window[1] - size[1]) // 2
        bottom = window[1] - top - size[1]
        plotter.camera.SetScissorRect(vtkRecti(left, bottom, size[0], size[1]))
        plotter.camera.SetUseScissor(True)
    # A plotter's first screenshot renders by itself, later ones return the last render
    # (``render`` does nothing before the first): a video's frames need both.
    plotter.render()
    pixels = plotter.screenshot(return_img=True)[:, :, :3]
    if window != tuple(size):
        left, top = (window[0] - size[0]) // 2, (window[1] - size[1]) // 2
        pixels = pixels[top : top + size[1], left : left + size[0]]
        _aim(plotter, camera)  # the picture's own camera: the matrix that places the overlays
    matrix = plotter.camera.GetCompositeProjectionTransformMatrix(size[0] / size[1], -1, 1)
    world_to_clip = np.array([[matrix.GetElement(i, j) for j in range(4)] for i in range(4)])
    return np.ascontiguousarray(pixels), world_to_clip


def _render_model(
    mesh: MeshArrays,
    camera: Camera,
    size: tuple[int, int],
    *,
    fit: bool = False,
    face_budget: int | None = None,
    sun: Sunlight | None = None,
    layer: SceneLayer | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pixels ``(h, w, 3)`` of the model, with the entities of ``layer`` at true size, and the
    4x4 world-to-clip matrix of the camera (see ``model_plotter`` and ``shoot``)."""
    with _RENDER_LOCK:
        plotter = model_plotter(
            mesh, size, face_budget=face_budget, sun=sun, section=camera.section
        )
        try:
            if layer is not None:
                add_figures(_pyvista(), plotter, layer)
            return shoot(plotter, camera, size, fit=fit)
        finally:
            plotter.close()


def _projector(world_to_clip: np.ndarray, size: tuple[int, int]) -> Project:
    width, height = size

    def project(points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, dtype=float).reshape(-1, 3)
        clip = np.c_[points, np.ones(len(points))] @ world_to_clip.T
        with np.errstate(divide="ignore", invalid="ignore"):
            ndc = clip[:, :3] / clip[:, 3:4]
        pixels = np.c_[(ndc[:, 0] + 1) / 2 * width, (1 - ndc[:, 1]) / 2 * height]
        pixels[clip[:, 3] <= 0] = np.nan  # behind the camera
        return pixels

    return project


def _frame_above(camera: Camera, band: float) -> Camera:
    """An orthographic camera showing the same view in the part of the picture above a band
    covering ``band`` (0..1) of its height: the view widens and moves down by half the band."""
    if camera.projection != "orthographic" or band <= 0:
        return camera
    scale = float(camera.ortho_scale or 1.0) / (1 - band)
    position, target = np.array(camera.position), np.array(camera.target)
    forward = target - position
    forward /= np.linalg.norm(forward)
    up = np.array(camera.up, dtype=float)
    up -= forward * (up @ forward)
    up /= np.linalg.norm(up)
    shift = -up * (band / 2) * scale
    return replace(
        camera, position=as_triple(position + shift), target=as_triple(target + shift),
        ortho_scale=scale,
    )  # fmt: skip


#: How overlays are sized: to the picture's height (stills: screens and prints), or to its area
#: (public pictures: on a 1200 x 630 link picture, sized by height, labels and legend would be
#: 10 pixels tall and unreadable on a phone).
OVERLAY_SIZING = ("height", "area")


@dataclass(frozen=True)
class Picture:
    """A rendered model with its overlays, before watermark and encoding."""

    image: Image.Image = field(repr=False)
    metres_per_pixel: float | None  # None for perspective views or unknown units
    scale_bar: ScaleBar | None


def draw_picture(
    mesh: MeshArrays,
    camera: Camera,
    size: tuple[int, int],
    *,
    north: tuple[float, float, float],
    metres_per_unit: float | None,
    layer: SceneLayer | None = None,
    overlays: Overlays | None = None,
    caption: list[str] | None = None,
    font_file: str = "",
    lang: str = "en",
    sizing: str = "height",
    scale_note: bool = True,
    sun: Sunlight | None = None,
) -> Picture:
    """``mesh`` from ``camera`` at ``size`` with the caption, legend, north arrow, scale bar and
    the scene ``layer`` drawn on it, their fixed words in ``lang``; overlays sized by ``sizing``
    (one of ``OVERLAY_SIZING``). ``scale_note``: where there is no true scale (a perspective
    view, unknown units), say "not to scale" rather than leave the bar out. ``sun``: light the
    model from the sun with shadows (the caller says so in the caption)."""
    overlays = overlays or Overlays()
    if overlays.caption and caption:
        camera = _frame_above(camera, caption_height(len(caption), size[1]) / size[1])
    shown = layer if layer is not None and overlays.markers and overlays.figures else None
    pixels, world_to_clip = _render_model(mesh, camera, size, sun=sun, layer=shown)
    project = _projector(world_to_clip, size)
    image = Image.fromarray(pixels)
    canvas = new_canvas(image, font_file, lang)
    if sizing == "area":
        canvas.unit = min(math.sqrt(size[0] * size[1]), 1.4 * min(size)) / 1080
    bottom = float(size[1])
    if overlays.caption and caption:
        bottom = draw_caption(canvas, caption)
    if overlays.legend and layer is not None:
        draw_legend(canvas, layer)
    if overlays.north_arrow:
        target = np.array(camera.target)
        reach = camera.ortho_scale or float(np.linalg.norm(np.array(camera.position) - target))
        ends = project(np.array([target, target + np.array(north) * 1e-3 * reach]))
        draw_north_arrow(canvas, ends[1] - ends[0])
    metres_per_pixel = None
    if camera.projection == "orthographic" and metres_per_unit is not None:
        metres_per_pixel = float(camera.ortho_scale or 1.0) * metres_per_unit / size[1]
    bar = None
    if overlays.scale_bar and (scale_note or metres_per_pixel is not None):
        bar = draw_scale_bar(canvas, metres_per_pixel, bottom)
    if layer is not None:
        draw_scene(canvas, layer, project, overlays)
    return Picture(image, metres_per_pixel, bar)


def render_still(
    mesh: MeshArrays,
    camera: Camera,
    size: tuple[int, int],
    *,
    north: tuple[float, float, float],
    metres_per_unit: float | None,
    layer: SceneLayer | None = None,
    overlays: Overlays | None = None,
    caption: list[str] | None = None,
    watermark_text: str | None = None,
    watermark_logo: bytes | None = None,
    font_file: str = "",
    png_text: dict[str, str] | None = None,
    lang: str = "en",
    sun: Sunlight | None = None,
    stereo: Stereo | None = None,
) -> Still:
    """Render ``mesh`` from ``camera`` at ``size`` with the scene ``layer`` and overlays, their
    fixed words in ``lang`` (the caption lines are drawn as given), lit by ``sun`` if given;
    ``stereo``: a stereo pair side by side or a red-cyan anaglyph (``bsu_models.render.stereo``)."""
    draw = functools.partial(
        draw_picture,
        mesh,
        north=north,
        metres_per_unit=metres_per_unit,
        layer=layer,
        overlays=overlays,
        caption=caption,
        font_file=font_file,
        lang=lang,
        sun=sun,
    )
    if stereo is None:
        picture = draw(camera, size)
        image = picture.image
    else:
        from bsu_models.render.stereo import draw_stereo

        shown = caption if (overlays or Overlays()).caption else None
        image, picture = draw_stereo(
            draw, camera, size, stereo, metres_per_unit, shown, font_file, lang
        )
        size = image.size
    if watermark_text or watermark_logo:
        logo = Image.open(io.BytesIO(watermark_logo)) if watermark_logo else None
        image = draw_watermark(image, watermark_text or "", font_file, logo)
    # A4 and A3 sizes are 300 dpi prints; the PNG says so, so it prints at the right size.
    dpi = PRINT_DPI if size in (SIZES["a4"], SIZES["a3"]) else None
    png = png_bytes(np.asarray(image), png_text or {}, dpi)
    return Still(
        png=png, size=size, metres_per_pixel=picture.metres_per_pixel, scale_bar=picture.scale_bar
    )


def render_thumbnail(
    mesh: MeshArrays,
    size: tuple[int, int],
    source_sha256: str,
    up_axis: str = "+z",
    north_axis: str = "+y",
) -> bytes:
    """The catalogue's thumbnail: the model from above the south-east, filling the picture, as
    PNG bytes tagged with the SHA-256 of the original it was made from."""
    camera = Camera(**preset_camera("iso", mesh.bounds, up_axis, north_axis))
    pixels, _matrix = _render_model(mesh, camera, size, fit=True, face_budget=THUMBNAIL_FACE_BUDGET)
    return png_bytes(
        pixels, {"derived-from-sha256": source_sha256, "generator": "bsu-models thumbnail"}
    )
