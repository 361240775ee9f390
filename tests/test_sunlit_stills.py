"""Stills lit by the sun where and when the incident happened: shadows fall away from the sun,
faces turned from it are darker, the caption says where the sun was (or that it had set)."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh
from PIL import Image

import bsu_models
from bsu_models import Step
from bsu_models.core.errors import InvalidInput
from bsu_models.ingest.geometry import preset_camera
from bsu_models.render.overlay import Overlays
from bsu_models.render.still_service import sun_caption, sunlight, version_mesh
from bsu_models.render.stills import (
    _RENDER_LOCK,
    Camera,
    _projector,
    _pyvista,
    _render_model,
    model_plotter,
    shoot,
)
from bsu_models.scenes.sun import parse_moment, sun_position
from tests.conftest import make_settings

pytestmark = pytest.mark.render

HKO = (22.302, 114.174)
#: Sun low in the west (azimuth about 288°, elevation about 20°) and low in the east.
EVENING = "2026-06-21T17:30"
MORNING = "2026-06-21T07:30"
BOX = 100.0  # mm: a 10 m block at 1:100


def _block_on_ground(path: Path) -> Path:
    """A 1000 x 600 mm ground slab (top at z=0) with a 100 mm cube standing on its middle."""
    ground = trimesh.creation.box(extents=(1000, 600, 10))
    ground.apply_translation((0, 0, -5))
    block = trimesh.creation.box(extents=(BOX, BOX, BOX))
    block.apply_translation((0, 0, BOX / 2))
    trimesh.util.concatenate([ground, block]).export(path)
    return path


def located_and_not(system, mesh: Path, case: str, name: str) -> tuple[Any, Any]:
    """Two versions of ``mesh`` (mm, 1:100) in ``case``: one at the Hong Kong Observatory, one
    with no place on Earth."""
    upload = [bsu_models.UploadFile(mesh.name, mesh.read_bytes())]
    return tuple(  # type: ignore[return-value]
        system.import_model(
            upload, case=case, name=title, units="mm", scale="1:100", **place
        ).version
        for title, place in (
            (name, {"latitude": HKO[0], "longitude": HKO[1]}),
            (f"{name} elsewhere", {}),
        )
    )


@pytest.fixture(scope="module")
def block(tmp_path_factory):
    root = tmp_path_factory.mktemp("sunlit")
    system = bsu_models.open_catalogue(make_settings(root / "data"))
    mesh = _block_on_ground(root / "block.ply")
    system.add_case("KC-SUNLIT", "Sunlit")
    located, unlocated = located_and_not(system, mesh, "KC-SUNLIT", "Block")
    yield system, located, unlocated
    system.close()


def _pixels(still) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(still.png)).convert("L"), dtype=float)


BARE = Overlays(caption=False, legend=False, north_arrow=False, scale_bar=False)


def _plan(system, version, sun_at: str | None) -> np.ndarray:
    still = system.render_still(
        version.version_id, preset="plan", overlays=BARE, sun_at=sun_at, date_text="x"
    )
    return _pixels(still)


def _at(image: np.ndarray, version, x: float, y: float) -> float:
    """Mean grey of a 9 x 9 patch around model point (x, y) on the ground in a plan still
    (orthographic, north up, centred on the model's box; no caption band)."""
    low, high = (np.array(b) for b in version.bounds)
    centre = (low + high) / 2
    height, width = image.shape
    size = high - low
    units_per_pixel = max(size[1], size[0] * 9 / 16) * 1.1 / height
    column = round(width / 2 + (x - centre[0]) / units_per_pixel)
    row = round(height / 2 - (y - centre[1]) / units_per_pixel)
    return float(image[row - 4 : row + 5, column - 4 : column + 5].mean())


def test_shadow_falls_away_from_a_low_western_sun(block):
    system, version, _unlocated = block
    sun = sun_position(*HKO, parse_moment(EVENING))
    assert 280 < sun.azimuth_deg < 295 and 15 < sun.elevation_deg < 25
    evening = _plan(system, version, EVENING)
    east_of_block = _at(evening, version, BOX / 2 + BOX, 0)  # in the block's shadow
    west_of_block = _at(evening, version, -BOX / 2 - BOX, 0)  # open ground in the sun
    assert west_of_block - east_of_block > 25, (west_of_block, east_of_block)
    # In the morning the sun is in the east: the shadow changes sides.
    morning = _plan(system, version, MORNING)
    assert _at(morning, version, BOX / 2 + BOX, 0) - _at(morning, version, -BOX / 2 - BOX, 0) > 25
    # Far from the block the ground is sunlit either way: the shadow map covers the whole model.
    for image in (evening, morning):
        corners = [_at(image, version, x, y) for x in (-450, 450) for y in (-250, 250)]
        assert max(corners) - min(corners) < 6, corners


def test_east_face_is_darker_with_the_sun_low_in_the_west(block):
    """The east elevation looks straight at the block's east face (the middle of the still)."""
    system, version, _unlocated = block

    def east_face(sun_at: str) -> float:
        still = system.render_still(
            version.version_id, preset="east", overlays=BARE, sun_at=sun_at, date_text="x"
        )
        image = _pixels(still)
        height, width = image.shape
        # The face spans the middle; the cube is 100 mm of the 600 mm-wide view's height.
        return float(
            image[height // 2 - 40 : height // 2 - 10, width // 2 - 15 : width // 2 + 15].mean()
        )

    evening, morning = east_face(EVENING), east_face(MORNING)
    assert morning - evening > 40, (morning, evening)
    assert evening > 60  # in shadow, yet readable: the sky still lights it


def test_sun_by_default_from_the_scene_date_and_step_time(block):
    system, version, _unlocated = block
    scene = system.scenes.create(version.version_id, "Evening")
    doc = system.scenes.document(scene.scene_id).with_step(Step("s1", "Arrives", "17:30"))
    system.scenes.save(
        scene.scene_id, bsu_models.SceneDoc(**{**doc.__dict__, "date": "2026-06-21"}), 1
    )
    still = system.render_still(
        version.version_id, scene_id=scene.scene_id, step=1, preset="plan", date_text="x"
    )
    assert still.sun is not None
    assert still.sun.at.isoformat() == "2026-06-21T17:30:00+08:00"
    text = Image.open(io.BytesIO(still.png)).text  # type: ignore[attr-defined]
    assert text["sun"].startswith("2026-06-21T17:30:00+08:00 azimuth 28")
    # Without a date the scene's steps are not in real time: no sun.
    plain = system.render_still(version.version_id, preset="plan", date_text="x")
    assert plain.sun is None


def test_an_unlocated_version_refuses_the_sun_in_one_sentence(block):
    system, _version, unlocated = block
    with pytest.raises(InvalidInput, match="has no place on Earth") as caught:
        system.render_still(unlocated.version_id, preset="plan", sun_at=EVENING)
    assert "version locate" in str(caught.value) and "\n" not in str(caught.value)


def test_caption_states_the_sun_or_that_it_has_set():
    up = sun_position(*HKO, parse_moment(EVENING))
    line = sun_caption(up, None, lambda text: text)
    assert "azimuth 287.7° from true north, elevation 20.7°" in line
    night = sun_position(*HKO, parse_moment("2026-06-21T21:00"))
    assert "after sunset" in sun_caption(night, None, lambda text: text)
    dawn = sun_position(*HKO, parse_moment("2026-06-21T04:30"))
    assert "before sunrise" in sun_caption(dawn, None, lambda text: text)
    # The night lighting is not the scene's: the caption says what it is for.
    assert sun_caption(night, None, lambda text: text).endswith(": no sunlight; lit for legibility")


NIGHT = "2026-06-21T21:00"


def _iso_faces(system, version, sun_at: str) -> tuple[np.ndarray, dict[str, float]]:
    """An isometric picture of the block (from above the south-east) lit by the sun at
    ``sun_at``, and the mean grey of its top, east and south faces."""
    mesh = version_mesh(system.ctx, version)
    camera = Camera(**preset_camera("iso", np.array(version.bounds), "+z", "+y"))
    size = (640, 360)
    light = sunlight(version, sun_position(*HKO, parse_moment(sun_at)))
    pixels, world_to_clip = _render_model(mesh, camera, size, sun=light)
    grey = np.asarray(Image.fromarray(pixels).convert("L"), dtype=float)
    centres = {
        "top": (0.0, 0.0, BOX),
        "east": (BOX / 2, 0.0, BOX / 2),
        "south": (0.0, -BOX / 2, BOX / 2),
    }
    shown = _projector(world_to_clip, size)(np.array(list(centres.values())))
    faces = {
        name: float(grey[round(y) - 2 : round(y) + 3, round(x) - 2 : round(x) + 3].mean())
        for name, (x, y) in zip(centres, shown, strict=True)
    }
    return pixels, faces


def test_a_night_still_is_lit_for_legibility_without_shadows(block, tmp_path):
    system, version, _unlocated = block
    pixels, night = _iso_faces(system, version, NIGHT)
    Image.fromarray(pixels).save(tmp_path / "night-iso.png")
    # Every face readable, and the faces turned different ways apart (a light from the camera
    # alone lights the east and south faces alike).
    assert min(night.values()) > 50, night
    values = sorted(night.values())
    assert min(b - a for a, b in itertools.pairwise(values)) > 8, night
    # No sunlight, so no shadow: the ground either side of the block is alike.
    plan = _plan(system, version, NIGHT)
    assert abs(_at(plan, version, BOX / 2 + BOX, 0) - _at(plan, version, -BOX / 2 - BOX, 0)) < 6
    # Not the daylight picture: the evening sun lights the (western) top and south unlike this.
    _pixels_day, evening = _iso_faces(system, version, EVENING)
    assert evening != pytest.approx(night, abs=5)


def test_see_through_figures_stay_see_through_in_sunlight(block):
    """A camera's see-through cone is blended over the sunlit model, not painted over by the
    shadow pass (nor left out of it)."""
    system, version, _unlocated = block
    mesh = version_mesh(system.ctx, version)
    camera = Camera(**preset_camera("plan", np.array(version.bounds), "+z", "+y"))
    size = (480, 270)
    light = sunlight(version, sun_position(*HKO, parse_moment(EVENING)))
    pv = _pyvista()
    with _RENDER_LOCK:
        plotter = model_plotter(mesh, size, sun=light)
        try:
            # A red see-through sheet over the ground west of the block (as figures are added).
            sheet = pv.Box((-400.0, -200.0, -100.0, 100.0, 30.0, 31.0))
            plotter.add_mesh(sheet, color="#ff0000", opacity=0.25, ambient=0.35)
            pixels, world_to_clip = shoot(plotter, camera, size)
        finally:
            plotter.close()
    (x, y), (bx, by) = _projector(world_to_clip, size)(np.array([[-300.0, 0, 0], [300.0, 0, 0]]))
    under = pixels[round(y) - 2 : round(y) + 3, round(x) - 2 : round(x) + 3].reshape(-1, 3)
    bare = pixels[round(by) - 2 : round(by) + 3, round(bx) - 2 : round(bx) + 3].reshape(-1, 3)
    red, green, _blue = under.mean(axis=0).astype(float)
    assert red - green > 25, under.mean(axis=0)  # the sheet shows...
    assert green > 0.5 * bare.mean(axis=0)[1]  # ...and the ground through it
