"""Sunlight in the off-screen pictures: the sun of a still or a video frame, with its shadows
and sky light, and the night lighting when it is down.

A picture is lit by a ``Sunlight`` (the unit vector from the ground toward the sun in model
axes, and whether the sun is up). ``light_by_sun`` sets the lights and shadow passes of a plotter
made by ``stills.model_plotter``; ``move_sun`` moves them for the frames of a video.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np

from bsu_models.ingest.geometry import as_triple
from bsu_models.ingest.meshdata import MeshArrays
from bsu_models.render.offscreen import model_actor


@dataclass(frozen=True)
class Sunlight:
    """The sun lighting a picture: the unit vector from the ground toward the sun in model axes,
    and whether it is above the horizon (below it, the picture gets the night lighting)."""

    direction: tuple[float, float, float]
    up: bool = True


#: Sunlit pictures: the sun's share of the light and the sky's (ambient, plus a faint light
#: from the camera that casts no shadow), so that faces in shadow stay readable.
SUN_INTENSITY = 1.0
SUN_DIFFUSE = 0.75  # the model's diffuse share while lit by the sun or the night lamp
SUN_COLOUR = (1.0, 0.97, 0.92)
SKY_AMBIENT = 0.38
SKY_FILL = 0.22
#: With the sun down there is no sunlight to show, and sky light alone leaves the model flat:
#: it is lit for legibility (its caption says so) by dim ambient light, the headlight, and a
#: cool lamp far above and to the left of the camera, so that faces turned different ways keep
#: apart. The lamp is a point light, which VTK's shadow maps leave alone, as they leave the
#: headlight: nothing casts a shadow at night.
NIGHT_AMBIENT = 0.15
NIGHT_FILL = 0.3
NIGHT_LAMP = 0.75
NIGHT_COLOUR = (0.86, 0.9, 1.0)
#: The lamp's place in the camera's frame (the camera at (0, 0, 1) looking at the origin, its
#: distance the unit): far enough that its light falls on the model almost in parallel.
NIGHT_LAMP_PLACE = (-6.0, 8.0, 10.0)
#: Most texels of a side of the shadow map (it covers the model's box as the sun sees it): a
#: 4k still's shadows are baked as finely as a full-HD still's. Baking 3840 texels a side
#: instead cost a tenth of a 4k sunlit still and moved only shadow edges, by a pixel.
SHADOW_MAP_MAX = 2048
#: A frame of a sunlit video whose step has no time has no known sun, and is not night either:
#: it is lit neutrally, as a still without a time is, by the headlight alone (which casts no
#: shadow), about as bright on a face turned to the camera as a still's light kit, with the
#: model's own surface as it has in such a still.
NEUTRAL_FILL = 0.73

#: The model's surface (ambient, diffuse, specular) as ``model_plotter`` gave it, before the sun
#: changed it: a video's steps without a time get it back.
_STILL_SURFACE: WeakKeyDictionary[Any, tuple[float, float, float]] = WeakKeyDictionary()


def light_by_sun(pv: Any, plotter: Any, mesh: MeshArrays, sun: Sunlight, side: int) -> None:
    """A directional sun casting shadows, and sky light: ambient on every surface and a faint
    headlight (which VTK's shadow maps leave alone) so that faces in shadow keep their shape;
    and the night lamp, switched on while the sun is down (``move_sun``). The shadow passes
    are set up only for a sun above the horizon."""
    prop = model_actor(plotter).GetProperty()
    _STILL_SURFACE[plotter] = (prop.GetAmbient(), prop.GetDiffuse(), prop.GetSpecular())
    position, centre = _sun_place(mesh, sun)
    light = pv.Light(
        position=position,
        focal_point=centre,
        color=SUN_COLOUR,
        intensity=SUN_INTENSITY,
        light_type="scene light",
    )
    light.positional = False
    plotter.add_light(light)
    plotter.add_light(pv.Light(light_type="headlight", intensity=SKY_FILL))
    lamp = pv.Light(
        position=NIGHT_LAMP_PLACE,
        focal_point=(0.0, 0.0, 0.0),
        color=NIGHT_COLOUR,
        intensity=NIGHT_LAMP,
        light_type="camera light",
    )
    lamp.positional = True
    lamp.cone_angle = 180.0  # a point light, not a spot: no shadow map
    plotter.add_light(lamp)
    move_sun(plotter, mesh, sun)
    if not sun.up:
        return
    passes = plotter.renderer._render_passes
    shadows = passes.enable_shadow_pass()
    shadows.GetShadowMapBakerPass().SetResolution(min(SHADOW_MAP_MAX, side))
    _shadow_passes_only(passes)


def _shadow_passes_only(passes: Any) -> None:
    """Drop pyvista's ordinary render steps from a plotter with a shadow pass, keeping the
    shadow map, the shadowed opaque pass and a translucent pass after them.

    pyvista runs its ordinary steps first and the shadow passes after them: every opaque face
    is drawn twice (a third time into the shadow map), and the shadowed pass paints over the
    see-through cones of camera figures wherever the model lies behind them. Without the first
    pass the opaque pixels are the same and the cones are blended over the shadowed model."""
    from vtkmodules.vtkRenderingOpenGL2 import vtkTranslucentPass

    collection = passes._pass_collection
    collection.InitTraversal()
    for _ in range(collection.GetNumberOfItems()):
        step = collection.GetNextRenderPass()
        if step.IsA("vtkRenderStepsPass"):
            collection.RemoveItem(step)
            break
    collection.AddItem(vtkTranslucentPass())
    passes._update_passes()


def _sun_place(
    mesh: MeshArrays, sun: Sunlight
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Where the sun light stands and what it looks at: the model's middle, from the sun."""
    low, high = mesh.bounds
    centre = (np.asarray(low) + np.asarray(high)) / 2
    reach = float(np.linalg.norm(np.asarray(high) - np.asarray(low))) or 1.0
    direction = np.asarray(sun.direction, dtype=float)
    return as_triple(centre + direction * reach), as_triple(centre)


def move_sun(plotter: Any, mesh: MeshArrays, sun: Sunlight | None) -> None:
    """Put the sun of a plotter lit by it (``model_plotter``) where ``sun`` says, for the
    frames of a video whose steps happen at different times; a sun below the horizon is
    switched off (no light, no shadow map) and the night lamp on; no sun (a step without a
    time) is neutral light (``NEUTRAL_FILL``). Call it while holding ``_RENDER_LOCK``. Only the
    model's surface changes: figures keep the light they were added with, as in a still,
    whether or not they were put in again since."""
    up = sun is not None and sun.up
    for light in plotter.renderer.lights:
        if light.light_type == light.SCENE_LIGHT and not light.positional:
            if sun is not None:
                light.position, light.focal_point = _sun_place(mesh, sun)
            light.SetSwitch(up)
        elif light.light_type == light.HEADLIGHT:
            light.intensity = NEUTRAL_FILL if sun is None else SKY_FILL if up else NIGHT_FILL
        elif light.light_type == light.CAMERA_LIGHT:
            light.SetSwitch(sun is not None and not sun.up)
    ambient, diffuse, specular = (
        _STILL_SURFACE[plotter]
        if sun is None
        else (SKY_AMBIENT if up else NIGHT_AMBIENT, SUN_DIFFUSE, 0.0)
    )
    prop = model_actor(plotter).GetProperty()
    prop.SetAmbient(ambient)
    prop.SetDiffuse(diffuse)
    prop.SetSpecular(specular)
