"""Entities at true size: a person of a stated 1.80 m stands 1.80 m tall in the layer sent to
the viewers and in a still; a car without measurements is a block of a typical car's size."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import trimesh
from PIL import Image

from bsu_models import Entity, Overlays, Position, SavedView, SceneDoc, Step
from bsu_models.core.errors import InvalidInput
from bsu_models.core.versions import get_version
from bsu_models.render.figures import figure_triangles
from bsu_models.render.still_service import metres_per_unit
from bsu_models.scenes.scene_figures import (
    CAMERA_RANGE_M,
    PERSON_HEIGHT_M,
    VEHICLE_SIZES_M,
    entity_figure,
    travel_heading,
)
from bsu_models.scenes.scene_items import DEFAULT_EYE_HEIGHT_M, EYE_HEIGHT_RATIO, eye_height
from bsu_models.scenes.scene_json import scene_from_json, scene_to_json
from bsu_models.scenes.site_frame import SiteFrame
from tests.conftest import upload

pytestmark = pytest.mark.render
CASE = "KC-2026-0816"
RED, BLUE, TEAL = "#ff0000", "#0000ff", "#00aaaa"


@pytest.fixture
def yard(sqlite_catalogue, tmp_path):
    """A flat yard 40 m x 20 m (mm at 1:100) with a 1.80 m suspect facing east, a car facing
    north and an unnamed-height witness; returns (catalogue, version, scene id, doc, step)."""
    cat = sqlite_catalogue
    cat.add_case(CASE, "Figures case")
    ground = trimesh.creation.box(extents=(400, 200, 10))
    ground.apply_translation((0, 0, -5))
    path = tmp_path / "yard.ply"
    ground.export(path)
    version = cat.import_model(upload(path), case=CASE, name="Yard", units="mm", scale="1:100")
    scene = cat.scenes.create(version.version.version_id, "Figures")
    doc = cat.scenes.document(scene.scene_id)
    doc = doc.with_entity(Entity("s1", "S1", "suspect", RED, height_m=1.80))
    doc = doc.with_entity(Entity("c1", "Car", "vehicle", BLUE))
    doc = doc.with_entity(Entity("w1", "W1", "witness", TEAL))
    doc = doc.with_step(Step("st1", "Arrive", "21:03"))
    doc = doc.with_position(Position("s1", "st1", (0.0, 0.0, 0.0), heading_deg=90.0))
    doc = doc.with_position(Position("c1", "st1", (60.0, 40.0, 0.0), heading_deg=0.0))
    doc = doc.with_position(Position("w1", "st1", (-60.0, 0.0, 0.0)))
    # Looking north at the suspect from the south, level, 4 m across.
    doc = doc.with_view(
        SavedView("side", "Side", "orthographic", (0, -150, 9), (0, 0, 9), (0, 0, 1), None, 40.0)
    )
    scene_id = cat.scenes.save(scene.scene_id, doc, 1, "placed").scene_id
    doc = cat.scenes.document(scene_id)
    return cat, get_version(cat.ctx, version.version.version_id), scene_id, doc, doc.steps[0]


def _extent(figure, axis) -> float:
    vertices, _triangles, _cone = figure_triangles(figure)
    along = vertices @ np.asarray(axis)
    return float(along.max() - along.min())


def test_sizes_reach_the_layer_in_model_units(yard):
    cat, version, scene_id, doc, step = yard
    k = metres_per_unit(version)
    assert k == pytest.approx(0.1)
    layer = cat.scenes.layer(scene_id, doc, step)
    figures = {m.entity_id: m.figure for m in layer.markers}
    person, car, witness = figures["s1"], figures["c1"], figures["w1"]
    assert person.height * k == pytest.approx(1.80)
    assert _extent(person, person.up) * k == pytest.approx(1.80)
    assert _extent(witness, witness.up) * k == pytest.approx(PERSON_HEIGHT_M)
    # No heading given, no direction drawn: the witness has no nose.
    assert len(witness.parts) == len(person.parts) - 1
    # The suspect faces east (+x): the nose sticks out that way.
    assert person.forward == pytest.approx((1.0, 0.0, 0.0))
    length, width, height = VEHICLE_SIZES_M["car"]
    assert car.forward == pytest.approx((0.0, 1.0, 0.0))
    assert _extent(car, car.forward) * k == pytest.approx(length)
    assert _extent(car, car.side) * k == pytest.approx(width)
    assert _extent(car, car.up) * k == pytest.approx(height)
    sent = layer.to_json()["entities"]
    assert {e["id"]: e["figure"]["height"] * k for e in sent}["s1"] == pytest.approx(1.80)


def test_a_still_shows_the_person_at_their_height(yard, tmp_path):
    cat, version, scene_id, _doc, _step = yard
    overlays = Overlays(
        labels=False, legend=False, caption=False, scale_bar=False, north_arrow=False, paths=False
    )
    still = cat.render_still(
        version.version_id, scene_id=scene_id, step=1, view="side", size="1920x1080",
        overlays=overlays,
    )  # fmt: skip
    (tmp_path / "side.png").write_bytes(still.png)
    pixels = np.asarray(Image.open(io.BytesIO(still.png)).convert("RGB")).astype(int)
    red = (pixels[:, :, 0] > 180) & (pixels[:, :, 1] < 80) & (pixels[:, :, 2] < 80)
    rows = np.flatnonzero(red.any(axis=1))
    # The ground's top edge, away from the figure: where the background ends.
    column = pixels[:, 20]
    ground_top = int(np.flatnonzero(np.abs(column - column[0]).sum(axis=1) > 30)[0])
    assert still.metres_per_pixel is not None
    tall = (ground_top - rows.min()) * still.metres_per_pixel
    assert tall == pytest.approx(1.80, abs=2 * still.metres_per_pixel)


def test_sizes_round_trip_and_old_documents_stay_as_they_were(yard):
    _cat, _version, _scene_id, doc, _step = yard
    data = scene_to_json(doc)
    entities = {e["id"]: e for e in data["entities"]}
    assert entities["s1"]["height_m"] == 1.80
    assert "height_m" not in entities["c1"] and "vehicle_kind" not in entities["c1"]
    assert scene_from_json(data) == doc
    van = doc.with_entity(Entity("v2", "Van", "vehicle", BLUE, vehicle_kind="van", length_m=6.0))
    assert scene_from_json(scene_to_json(van)) == van


# -- a vehicle's direction of travel; a camera's field of view (no model needed) --------------

# Model units of 0.1 m (mm at 1:100), z up, y north: the yard's frame.
FRAME = SiteFrame((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), 0.0, 0.1)


def test_a_vehicle_without_a_heading_faces_its_direction_of_travel():
    car = Entity("c1", "Car", "vehicle")
    path = [
        Position("c1", "s1", (0.0, 0.0, 0.0)),
        Position("c1", "s2", (100.0, 0.0, 0.0)),  # 10 m east
        Position("c1", "s3", (100.0, 1.0, 0.0)),  # 10 cm north: standing
    ]
    forwards = [entity_figure(car, p, FRAME, path=path) for p in path]
    # Toward the next step; at the last step, standing, the way it came.
    for figure in forwards:
        assert figure.forward == pytest.approx((1.0, 0.0, 0.0), abs=0.02)
        assert figure.heading_from == "travel"
    assert travel_heading(path[0], path, FRAME) == pytest.approx(90.0)
    # A heading given wins; a car that never moved faces north, as before.
    turned = Position("c1", "s1", (0.0, 0.0, 0.0), heading_deg=180.0)
    given = entity_figure(car, turned, FRAME, path=[turned, path[1]])
    assert given.forward == pytest.approx((0.0, -1.0, 0.0)) and given.heading_from == "given"
    parked = [Position("c1", "s1", (5.0, 5.0, 0.0)), Position("c1", "s2", (6.0, 5.0, 0.0))]
    still = entity_figure(car, parked[0], FRAME, path=parked)
    assert still.forward == pytest.approx((0.0, 1.0, 0.0)) and still.heading_from is None
    assert "heading_from" not in still.to_json()
    # People keep "no heading, no nose": travel turns vehicles only.
    walker = entity_figure(Entity("w1", "W1", "witness"), path[0], FRAME, path=path)
    assert walker.forward == pytest.approx((0.0, 1.0, 0.0))


def test_a_camera_draws_its_own_field_of_view():
    spot = Position("k1", "s1", (0.0, 0.0, 30.0), heading_deg=0.0)
    widths = {}
    for fov in (None, 90.0, 170.0):
        camera = Entity("k1", "Cam", "camera", fov_deg=fov)
        [cone] = [p for p in entity_figure(camera, spot, FRAME).parts if p.kind == "cone"]
        length, radius, _ = cone.size
        widths[fov] = 2 * math.degrees(math.atan2(radius, length))
        assert math.hypot(length, radius) * 0.1 == pytest.approx(CAMERA_RANGE_M)
    assert widths == pytest.approx({None: 60.0, 90.0: 90.0, 170.0: 170.0})
    for wrong in (0.5, 180.0, float("nan"), True, "60"):
        with pytest.raises(InvalidInput, match="field of view"):
            Entity("k1", "Cam", "camera", fov_deg=wrong)
    with pytest.raises(InvalidInput, match="field of view"):
        Entity("c1", "Car", "vehicle", fov_deg=60.0)


def test_true_is_not_a_number_of_a_scene():
    # Python counts True as 1: a JSON true must not become 1 m, 1 degree or a coordinate.
    with pytest.raises(InvalidInput, match="sizes are for people"):
        Entity("s1", "S1", "suspect", height_m=True)
    with pytest.raises(InvalidInput, match="Heading"):
        Position("s1", "s1", (0.0, 0.0, 0.0), heading_deg=True)
    with pytest.raises(InvalidInput, match="Eye height"):
        Position("s1", "s1", (0.0, 0.0, 0.0), eye_height_m=True)
    with pytest.raises(InvalidInput, match="three numbers"):
        Position("s1", "s1", (True, 0.0, 0.0))
    with pytest.raises(InvalidInput, match="field of view"):
        SavedView("v1", "V", "perspective", (0, -9, 0), (0, 0, 0), (0, 0, 1), fov_deg=True)
    with pytest.raises(InvalidInput, match="positive scale"):
        SavedView("v1", "V", "orthographic", (0, -9, 0), (0, 0, 0), (0, 0, 1), ortho_scale=True)


def test_a_field_of_view_is_kept_only_when_set():
    doc = SceneDoc(name="Cameras").with_entity(Entity("k1", "Cam", "camera"))
    plain = scene_to_json(doc)
    assert "fov_deg" not in plain["entities"][0]  # older revisions hash as before
    wide = doc.with_entity(Entity("k1", "Cam", "camera", fov_deg=110.0))
    data = scene_to_json(wide)
    assert data["entities"][0]["fov_deg"] == 110.0
    assert scene_from_json(data) == wide
    data["entities"][0]["fov_deg"] = 200
    with pytest.raises(InvalidInput):
        scene_from_json(data)


def test_eye_height_comes_from_the_stated_height():
    tall = Entity("s1", "S1", "suspect", height_m=1.80)
    stated = (pytest.approx(1.80 * EYE_HEIGHT_RATIO, abs=5e-4), "stated_height")
    assert eye_height(tall, None) == stated
    assert eye_height(Entity("w1", "W1", "witness"), None) == (DEFAULT_EYE_HEIGHT_M, "default")
    crouching = Position("s1", "st1", (0.0, 0.0, 0.0), eye_height_m=1.1)
    assert eye_height(tall, crouching) == (1.1, "step")
    assert eye_height(Entity("k1", "Cam", "camera"), None) is None
