"""Off-screen rendering with pyvista of validated mesh arrays (``MeshArrays``).

pyvista only ever receives arrays that passed ``validate_arrays``; it never reads a file.
Headless rendering uses EGL (Debian ``libegl1 libgl1-mesa-dri``), selected before VTK loads.
"""

from __future__ import annotations

import io
import os
import threading
from typing import Any

import numpy as np
from PIL import Image, PngImagePlugin

from bsu_models.geometry import preset_camera
from bsu_models.meshdata import MeshArrays

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

# VTK render windows are not safe to create from several threads at once.
_RENDER_LOCK = threading.Lock()
BACKGROUND = (0.97, 0.97, 0.96)
MESH_COLOUR = (0.80, 0.78, 0.74)


def _pyvista() -> Any:
    import pyvista as pv

    pv.OFF_SCREEN = True
    return pv


# Above this many faces an untextured thumbnail is drawn from a clustered copy: at thumbnail
# size it looks the same and renders several times faster in software OpenGL.
THUMBNAIL_FACE_BUDGET = 400_000


def _polydata(pv: Any, mesh: MeshArrays) -> Any:
    poly = pv.PolyData.from_regular_faces(mesh.vertices, mesh.faces)
    if mesh.uv is not None and mesh.texture_png is not None:
        poly.active_texture_coordinates = mesh.uv
    return poly


def _thumbnail_polydata(pv: Any, mesh: MeshArrays) -> Any:
    poly = _polydata(pv, mesh)
    if len(mesh.faces) <= THUMBNAIL_FACE_BUDGET or mesh.uv is not None or mesh.colours is not None:
        return poly
    from vtkmodules.vtkFiltersCore import vtkQuadricClustering

    clustering = vtkQuadricClustering()
    clustering.SetInputData(poly)
    clustering.SetNumberOfXDivisions(160)
    clustering.SetNumberOfYDivisions(160)
    clustering.SetNumberOfZDivisions(160)
    clustering.AutoAdjustNumberOfDivisionsOn()
    clustering.Update()
    return pv.wrap(clustering.GetOutput())


def png_bytes(pixels: np.ndarray, text: dict[str, str]) -> bytes:
    """Encode ``pixels: (h, w, 3) uint8`` as PNG with ``text`` chunks (e.g. the source hash)."""
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", pnginfo=info, optimize=False)
    return buffer.getvalue()


def render_thumbnail(
    mesh: MeshArrays,
    size: tuple[int, int],
    source_sha256: str,
    up_axis: str = "+z",
    north_axis: str = "+y",
) -> bytes:
    """A shaded view of ``mesh`` from above the south-east as PNG bytes, tagged with the source's
    SHA-256."""
    pv = _pyvista()
    with _RENDER_LOCK:
        plotter = pv.Plotter(off_screen=True, window_size=list(size))
        try:
            plotter.set_background(BACKGROUND)
            poly = _thumbnail_polydata(pv, mesh)
            if mesh.uv is not None and mesh.texture_png is not None:
                image = np.asarray(Image.open(io.BytesIO(mesh.texture_png)).convert("RGB"))
                plotter.add_mesh(poly, texture=pv.Texture(image), smooth_shading=False)
            elif mesh.colours is not None:
                poly.point_data["colours"] = mesh.colours
                plotter.add_mesh(
                    poly, scalars="colours", rgb=True, smooth_shading=False, ambient=0.25
                )
            else:
                plotter.add_mesh(
                    poly, color=MESH_COLOUR, smooth_shading=False, specular=0.15, ambient=0.25
                )
            plotter.enable_lightkit()
            camera = preset_camera("iso", mesh.bounds, up_axis, north_axis)
            plotter.camera_position = [camera["position"], camera["target"], camera["up"]]
            plotter.reset_camera()
            pixels = plotter.screenshot(return_img=True)
        finally:
            plotter.close()
    return png_bytes(
        np.ascontiguousarray(pixels[:, :, :3]),
        {
            "derived-from-sha256": source_sha256,
            "generator": "bsu-models thumbnail",
        },
    )
