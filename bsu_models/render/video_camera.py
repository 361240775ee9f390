"""The camera of a fly-through video, and of the browser's Play that flies as it does: from one
step's saved view to the next along ``bsu_models.render.camera_path``, or around the model when
there is nothing to fly between.

A section box is not blended between two steps: a box half way between two saved ones (or
between one and none) would show a cut nobody chose. The box of the step flown to is put on as
the camera leaves, so it flies into an interior through the cut-away roof rather than through a
wall, and one flown away from stays until the camera arrives (``section_between``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from bsu_models.core.errors import InvalidInput
from bsu_models.render.camera_path import (
    Pose,
    between,
    camera_of,
    orbit_camera,
    pose,
    video_projection,
)
from bsu_models.render.stills import Camera
from bsu_models.scenes.scene_items import Section

if TYPE_CHECKING:
    from bsu_models.render.video import Frame, VideoSettings, VideoStep


def moments(count: int) -> list[float]:
    """The ``u`` of the ``count`` frames of a move between two steps (as
    ``video.step_frames`` has them), then 1: landed."""
    if count < 1:
        raise InvalidInput("The number of moments must be at least {minimum}.", minimum=1)
    return [(j + 1) / (count + 1) for j in range(count)] + [1.0]


def section_between(sections: Sequence[Section | None], a: int, b: int) -> Section | None:
    """The box the model is cut by while the camera flies from step ``a`` to step ``b``: the
    box of the step flown to, else the one flown from."""
    return sections[b] if sections[b] is not None else sections[a]


def flight_samples(keys: Sequence[Camera | None], leg: int, count: int) -> list[Camera] | None:
    """The camera at the moments of ``movement_samples`` on the way from step ``leg`` (from 0)
    to the next, as a video flies it between the steps' saved views ``keys`` (one per step, None
    where none is saved), each with the section box the video shows then: landed, the next
    step's own. None where either of the two steps has no saved view: a viewer then keeps its
    own camera."""
    if not 0 <= leg < len(keys) - 1 or keys[leg] is None or keys[leg + 1] is None:
        return None
    filled = _filled(keys)
    projection, poses = _key_poses(filled)
    moving = section_between([k.section for k in filled], leg, leg + 1)
    return [
        replace(
            between(poses, leg, u, projection),
            section=moving if u < 1 else filled[leg + 1].section,
        )
        for u in moments(count)
    ]


def _filled(keys: Sequence[Camera | None]) -> list[Camera]:
    """Each step's view: a step without a saved view keeps the view of the step before it
    (else after it), its section box included; empty when none has a view."""
    known = [k for k in keys if k is not None]
    filled: list[Camera] = []
    for k in keys if known else ():
        filled.append(k if k is not None else (filled[-1] if filled else known[0]))
    return filled


def _key_poses(filled: Sequence[Camera]) -> tuple[str, list[Pose]]:
    """The projection of a video flying between the steps' views ``filled`` and each pose."""
    projection = video_projection(filled)
    return projection, [pose(k, projection) for k in filled]


def filled_cameras(steps: Sequence[VideoStep]) -> list[Camera]:
    """The view each step is shown from: a step without a saved view keeps the view of the
    step before it (else after it), its section box included; empty when none has a view."""
    return _filled([s.camera for s in steps])


class Cameras:
    """The camera of each frame: between the steps' views, or circling the model."""

    def __init__(self, steps: Sequence[VideoStep], settings: VideoSettings) -> None:
        keys = [s.camera for s in steps]
        known = [k for k in keys if k is not None]
        self.orbit = not known or len(steps) == 1
        if self.orbit:
            start = known[0] if known else settings.orbit_start
            if start is None:
                raise InvalidInput("A video of a scene without views needs a camera to start.")
            self.start = start
            self.centre = np.asarray(start.target, dtype=float)
            self.up = np.asarray(settings.up, dtype=float)
            return
        filled = _filled(keys)
        self.projection, self.poses = _key_poses(filled)
        self.sections = [k.section for k in filled]

    def at(self, frame: Frame) -> Camera:
        """The camera of ``frame``, with the section box the model is cut by."""
        if self.orbit:
            camera = orbit_camera(self.start, self.centre, self.up, frame.orbit)
            return replace(camera, section=self.start.section)
        if frame.a == frame.b:
            camera = camera_of(self.poses[frame.a], self.projection)
            return replace(camera, section=self.sections[frame.a])
        camera = between(self.poses, frame.a, frame.u, self.projection)
        return replace(camera, section=section_between(self.sections, frame.a, frame.b))
