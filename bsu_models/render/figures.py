"""The scene's entities at true size in a still or a video frame: the parts of each
``scene_figures.Figure`` as triangles, added to the model before it is shot, so they are hidden
by walls like the model itself. The browser viewers build the same boxes and cones from the
same parts. Between two steps of a video a figure moves and turns (``figure_between``)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from bsu_models.render.offscreen import _pyvista
from bsu_models.scenes.scene_figures import Figure
from bsu_models.scenes.scene_items import Point
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


def figure_between(
    start: Figure, start_point: Point, end: Figure, end_point: Point, s: float
) -> Figure:
    """``start`` (standing at ``start_point``) ``s`` (0..1) of the way to where ``end`` stands
    at ``end_point``: its parts carried along the straight line between the two points and
    turned about the vertical the short way from one heading to the other. The parts are those
    of ``start`` (a heading given at one step only keeps its nose or cone until the next)."""
    up = np.asarray(start.up, dtype=float)
    forward_a, side_a = np.asarray(start.forward, dtype=float), np.asarray(start.side, dtype=float)
    forward_b = np.asarray(end.forward, dtype=float)
    angle = math.atan2(float(np.cross(forward_a, forward_b) @ up), float(forward_a @ forward_b))
    turn = s * angle
    forward = forward_a * math.cos(turn) + side_a * math.sin(turn)
    side = np.cross(up, forward)
    old_base, new_base = np.asarray(start_point, dtype=float), np.asarray(end_point, dtype=float)
    base = (1 - s) * old_base + s * new_base
    old_axes, new_axes = np.array([forward_a, side_a, up]), np.array([forward, side, up])
    parts = tuple(
        replace(part, centre=_triple(base + (old_axes @ (np.asarray(part.centre) - old_base))
                                     @ new_axes))
        for part in start.parts
    )  # fmt: skip
    return replace(start, forward=_triple(forward), side=_triple(side), parts=parts)


def _triple(v: np.ndarray) -> Point:
    return (float(v[0]), float(v[1]), float(v[2]))


def _pieces(layer: SceneLayer) -> list[tuple[str, bool, np.ndarray, np.ndarray]]:
    """Each figure of ``layer`` as meshes to draw: ``(colour, see-through, vertices (n, 3),
    faces)``, faces as VTK lists them (3, a, b, c, ...)."""
    pieces = []
    for marker in layer.markers:
        if marker.figure is None:
            continue
        vertices, triangles, cone = figure_triangles(marker.figure)
        for see_through in (False, True):
            chosen = triangles[cone == see_through]
            if len(chosen):
                faces = np.hstack([np.full((len(chosen), 1), 3), chosen]).ravel()
                pieces.append((marker.colour, see_through, vertices, faces))
    return pieces


def _add(pv: Any, plotter: Any, piece: tuple[str, bool, np.ndarray, np.ndarray]) -> Any:
    colour, see_through, vertices, faces = piece
    return plotter.add_mesh(
        pv.PolyData(vertices, faces),
        color=colour,
        opacity=CONE_OPACITY if see_through else 1.0,
        ambient=0.35,
        reset_camera=False,
        render=False,  # a video's plotter would draw the whole model for each part
    )


def add_figures(pv: Any, plotter: Any, layer: SceneLayer) -> list[Any]:
    """Add each marker's figure to ``plotter`` in the marker's colour; the actors added."""
    return [_add(pv, plotter, piece) for piece in _pieces(layer)]


class FigureActors:
    """The figures of a plotter that draws many frames (a video). While the same figures move,
    their meshes' points are moved (adding a mesh costs far more than drawing it); when
    figures come or go, or change shape, they are put in again."""

    def __init__(self, plotter: Any) -> None:
        self.plotter = plotter
        self.shape: list[tuple[str, bool, bytes]] = []
        self.actors: list[Any] = []

    def show(self, layer: SceneLayer) -> None:
        """Show the figures of ``layer``'s markers instead of those shown so far. Call it while
        holding ``offscreen._RENDER_LOCK``."""
        pieces = _pieces(layer)
        shape = [(colour, cone, faces.tobytes()) for colour, cone, _v, faces in pieces]
        if shape == self.shape:
            for actor, (_colour, _cone, vertices, _faces) in zip(self.actors, pieces, strict=True):
                actor.mapper.dataset.points = vertices
            return
        for actor in self.actors:
            self.plotter.remove_actor(actor, render=False)
        pv = _pyvista()
        self.actors = [_add(pv, self.plotter, piece) for piece in pieces]
        self.shape = shape
