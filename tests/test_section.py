"""Section views: a box that cuts the model open, set in metres along east, north and height,
kept with a saved view in the scene document, and cutting the stills exactly where the browser
cuts (the planes of ``Section.planes``)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import trimesh
from PIL import Image

import bsu_models
from bsu_models import SavedView, Section, Step
from tests.conftest import upload

pytestmark = pytest.mark.render


@pytest.fixture
def room(sqlite_catalogue, tmp_path):
    """A closed room 8 m x 6 m x 3 m (a 1:1 model in mm, z up) with a pillar inside, and a
    scene with one step."""
    cat = sqlite_catalogue
    cat.add_case("KC-2026-0810", "Section")
    parts = []
    for extents, centre in (
        ((8000, 6000, 100), (0, 0, -50)),  # floor
        ((8000, 6000, 100), (0, 0, 3050)),  # roof
        ((100, 6000, 3000), (-3950, 0, 1500)),
        ((100, 6000, 3000), (3950, 0, 1500)),
        ((8000, 100, 3000), (0, -2950, 1500)),
        ((8000, 100, 3000), (0, 2950, 1500)),
        ((600, 600, 3000), (1500, 1000, 1500)),  # a pillar
    ):
        box = trimesh.creation.box(extents=extents)
        box.apply_translation(centre)
        parts.append(box)
    path = tmp_path / "room.ply"
    trimesh.util.concatenate(parts).export(path)
    version = cat.import_model(
        upload(path), case="KC-2026-0810", name="Room", units="mm", scale="1:1"
    ).version
    scene = cat.scenes.create(version.version_id, "Inside")
    doc = cat.scenes.document(scene.scene_id).with_step(Step("s1", "Waiting"))
    saved = cat.scenes.save(scene.scene_id, doc, scene.revision)
    return cat, version, saved


def test_ranges_in_metres_make_a_box_and_come_back(room):
    cat, version, _scene = room
    extent = cat.scenes.section_extent(version.version_id)
    assert extent.metres
    assert (extent.east, extent.north, extent.up) == pytest.approx((8.0, 6.0, 3.2), abs=0.01)
    # Nothing cut away: no box at all.
    assert cat.scenes.section_box(version.version_id, {"up": (0.0, extent.up)}) is None
    box = cat.scenes.section_box(version.version_id, {"up": (0.0, 2.0), "east": (1.0, 8.0)})
    assert box is not None
    assert box.high[2] == pytest.approx(-100 + 2000)  # 2 m above the lowest point, in mm
    assert box.low[0] == pytest.approx(-4000 + 1000)  # 1 m in from the west side
    assert box.low[2] < -100 and box.high[0] > 4000  # the sides not cut lie just outside
    back = cat.scenes.section_ranges(version.version_id, box)
    assert back["up"] == pytest.approx((0.0, 2.0), abs=0.01)
    assert back["east"] == pytest.approx((1.0, 8.0), abs=0.01)
    with pytest.raises(bsu_models.InvalidInput):
        cat.scenes.section_box(version.version_id, {"up": (2.0, 2.0)})
    with pytest.raises(bsu_models.InvalidInput):
        cat.scenes.section_box(version.version_id, {"sideways": (0.0, 1.0)})
    with pytest.raises(bsu_models.InvalidInput):
        Section((0.0, 0.0, 5.0), (1.0, 1.0, 4.0))


def test_a_view_keeps_its_section_and_old_views_keep_their_json(room):
    cat, _version, scene = room
    doc = cat.scenes.document(scene.scene_id)
    plain_view = SavedView("v1", "Whole", "perspective", (0, -9000, 9000), (0, 0, 0), (0, 0, 1),
                           steps=("s1",))  # fmt: skip
    assert "section" not in bsu_models.scene_to_json(doc.with_view(plain_view))["views"][0]
    cut = Section((-5000.0, -4000.0, -200.0), (5000.0, 4000.0, 2000.0))
    doc = doc.with_view(SavedView("v2", "Inside", "perspective", (0, -9000, 9000), (0, 0, 0),
                                  (0, 0, 1), steps=("s1",), section=cut))  # fmt: skip
    data = bsu_models.scene_to_json(doc)
    assert data["views"][0]["section"] == {"low": list(cut.low), "high": list(cut.high)}
    assert bsu_models.scene_from_json(data).views[0].section == cut
    # The browser gets the cutting planes themselves, the same the stills use.
    planes = doc.views[0].camera_json()["section"]["planes"]
    assert len(planes) == 6 and [[-5000.0, -4000.0, -200.0], [1.0, 0.0, 0.0]] in planes


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_a_still_of_a_view_with_a_section_looks_inside(room):
    cat, version, scene = room
    doc = cat.scenes.document(scene.scene_id)
    camera = dict(projection="perspective", position=(7000, -11000, 13000), target=(0, 0, 1000),
                  up=(0, 0, 1))  # fmt: skip
    cut = cat.scenes.section_box(version.version_id, {"up": (0.0, 2.0)})
    doc = doc.with_view(SavedView("v1", "Roof", steps=(), **camera))
    doc = doc.with_view(SavedView("v2", "Inside", steps=("s1",), section=cut, **camera))
    saved = cat.scenes.save(scene.scene_id, doc, scene.revision)

    def still(view: str) -> bytes:
        return cat.render_still(version.version_id, scene_id=saved.scene_id, step=1, view=view,
                                size="1920x1080", date_text="5 Dec 2026").png  # fmt: skip

    roof, inside = _pixels(still("Roof")), _pixels(still("Inside"))
    # With the roof cut away the inner faces of the walls and the pillar show.
    changed = np.abs(inside - roof).max(axis=2) > 25
    assert changed.mean() > 0.03
    # The picture records the box it was cut with (its caption says so too).
    assert "section" not in Image.open(io.BytesIO(still("Roof"))).text
    recorded = json.loads(Image.open(io.BytesIO(still("Inside"))).text["section"])
    assert recorded == {"low": list(cut.low), "high": list(cut.high)}
