"""The scene's entities at true size in a still: the parts of each ``scene_figures.Figure``
as triangles, added to the model before it is shot, so they are hidden by walls like the
model itself. The browser viewers build the same boxes and cones from the same parts."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bsu_models.scenes.scene_figures import Figure
from bsu_models.scenes.scene_layer import SceneLayer

CONE_SIDES = 24
CONE_OPACITY = 0.25
# Corners of a unit box as signs along forward, side, up, and its six faces as quads.
_CORNERS = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=float)
_QUADS = ((0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3))


def figure_triangles(figure: Figure) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(vertices (n, 3), triangles (m, 3) int, cone (m,) bool)`` of the figure in model
    coordinates; ``cone`` marks the see-through field-of-view triangles."""
    axes = np.array([figure.forward, figure.side, figure.up], dtype=float)
    vertices: list[np.ndarray] = []
    triangles: list[tuple[int, int, int]] = []
    cone: list[bool] = []
    for part in figure.parts:
        start = sum(len(v) for v in vertices)
        centre = np.asarray(part.centre, dtype=float)
        if part.kind == "box":
            half = np.asarray(part.size, dtype=float) / 2
            vertices.append(centre + (_CORNERS * half) @ axes)
            for a, b, c, d in _QUADS:
                triangles += [(start + a, start + b, start + c), (start + a, start + c, start + d)]
                cone += [False, False]
        else:
            length, radius = part.size[0], part.size[1]
            turns = [2 * math.pi * i / CONE_SIDES for i in range(CONE_SIDES)]
            ring = [
                centre + axes[0] * length + radius * (axes[1] * math.cos(t) + axes[2] * math.sin(t))
                for t in turns
            ]
            vertices.append(np.array([centre, *ring]))
            for i in range(CONE_SIDES):
                triangles.append((start, start + 1 + i, start + 1 + (i + 1) % CONE_SIDES))
                cone.append(True)
    return np.concatenate(vertices), np.array(triangles, dtype=np.int64), np.array(cone)


def add_figures(pv: Any, plotter: Any, layer: SceneLayer) -> None:
    """Add each marker's figure to ``plotter`` in the marker's colour."""
    for marker in layer.markers:
        if marker.figure is None:
            continue
        vertices, triangles, cone = figure_triangles(marker.figure)
        for see_through in (False, True):
            chosen = triangles[cone == see_through]
            if not len(chosen):
                continue
            faces = np.hstack([np.full((len(chosen), 1), 3), chosen]).ravel()
            plotter.add_mesh(
                pv.PolyData(vertices, faces),
                color=marker.colour,
                opacity=CONE_OPACITY if see_through else 1.0,
                ambient=0.35,
            )
