"""Shared pieces of off-screen rendering with pyvista of validated mesh arrays (``MeshArrays``);
the pictures themselves (stills and catalogue thumbnails) are made by ``bsu_models.render.stills``.

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

from bsu_models.ingest.meshdata import MeshArrays

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

# VTK render windows are not safe to create from several threads at once.
_RENDER_LOCK = threading.Lock()


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


def reduced_polydata(pv: Any, mesh: MeshArrays, face_budget: int) -> Any:
    """``mesh`` as PolyData, clustered down when over ``face_budget`` faces and untextured."""
    poly = _polydata(pv, mesh)
    if len(mesh.faces) <= face_budget or mesh.uv is not None or mesh.colours is not None:
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


def png_bytes(pixels: np.ndarray, text: dict[str, str], dpi: int | None = None) -> bytes:
    """Encode ``pixels: (h, w, 3) uint8`` as PNG with ``text`` chunks (e.g. the source hash)
    and, for print sizes, the resolution they are meant to print at."""
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    extra = {"dpi": (dpi, dpi)} if dpi else {}
    Image.fromarray(pixels).save(buffer, format="PNG", pnginfo=info, optimize=False, **extra)
    return buffer.getvalue()


MODEL_ACTOR = "model"  # the name of the model's actor in a ``stills.model_plotter``


def model_actor(plotter: Any) -> Any:
    """The model's actor in a plotter made by ``stills.model_plotter``: the one that is cut and
    lit by the sun, where figures added later (``figures.add_figures``) keep their own light."""
    return plotter.actors[MODEL_ACTOR]
