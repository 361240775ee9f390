"""Re-enactment scenes on real meshes, on SQLite and PostgreSQL: snapping, measurements,
sightlines, JSON round trip, revisions, and refusals of bad input."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

import numpy as np
import pytest
import trimesh

import bsu_models
from bsu_models import Anchor, Entity, Measurement, Position, Provenance, SceneDoc, Step
from bsu_models.cli.scene import cmd_compare, cmd_measure
from tests.conftest import upload


@pytest.fixture
def fandisk_version(catalogue, case_reference, testdata) -> bsu_models.VersionInfo:
    """Hoppe's fandisk (a watertight CAD part), recorded as a 1:50 model in millimetres."""
    return catalogue.import_model(
        upload(testdata / "fandisk.obj"),
        case=case_reference,
        name="Fandisk",
        units="mm",
        scale="1:50",
    ).version


@pytest.fixture
def wall_version(catalogue, case_reference, tmp_path) -> bsu_models.VersionInfo:
    """A 1:100 model in mm: a 1000 x 1000 ground slab with a solid wall across its middle."""
    ground = trimesh.creation.box(extents=(1000, 1000, 10))
    ground.apply_translation((0, 0, -5))
    wall = trimesh.creation.box(extents=(1000, 20, 300))
    wall.apply_translation((0, 0, 150))
    path = tmp_path / "wall.ply"
    trimesh.util.concatenate([ground, wall]).export(path)
    return catalogue.import_model(
        upload(path), case=case_reference, name="Wall", units="mm", scale="1:100"
    ).version


def _people(doc: SceneDoc, a: tuple, b: tuple) -> SceneDoc:
    doc = doc.with_entity(Entity("w1", "W1", "witness", "#2a9d8f"))
    doc = doc.with_entity(Entity("v1", "V1", "victim", "#e63946", sensitive=True))
    doc = doc.with_step(Step("s1", "Victim arrives", "21:03:15", "V1 walks in from the east."))
    doc = doc.with_position(
        Position("w1", "s1", a, provenance=Provenance("witness_statement", "WS-14 p.2"))
    )
    return doc.with_position(Position("v1", "s1", b, provenance=Provenance("cctv", "CAM-3 21:03")))


def _distance_to_mesh(mesh: trimesh.Trimesh, point: np.ndarray) -> float:
    """Distance from ``point: (3,)`` to the nearest of all the mesh's triangles.

    Computed at 1000x scale: trimesh's point-triangle routine uses an absolute tolerance that
    misplaces points on the bunny's sub-millimetre triangles at their native (metre) scale.
    """
    triangles = mesh.triangles * 1000.0
    query = np.tile(point * 1000.0, (len(triangles), 1))
    nearest = trimesh.triangles.closest_point(triangles, query)
    return float(np.linalg.norm(nearest - query, axis=1).min()) / 1000.0


def test_snapped_points_land_on_the_real_surface(catalogue, testdata):
    catalogue.add_case("C-1", "snap")
    bunny = testdata / "stanford-bunny.obj"
    version = catalogue.import_model(
        upload(bunny), case="C-1", name="bunny", up_axis="+y", north_axis="-z"
    ).version
    lo, hi = np.array(version.bounds)
    points = lo + np.random.default_rng(7).random((40, 3)) * (hi - lo)
    snapped = catalogue.scenes.snap(version.version_id, points)
    # Checked against the file itself, read independently, triangle by triangle.
    mesh = trimesh.load(bunny, process=False)
    tolerance = 1e-7 * float(np.linalg.norm(hi - lo))
    assert max(_distance_to_mesh(mesh, p) for p in snapped) < tolerance
    # Where there is surface below, snapping moves along the up axis (+y here) only.
    moved_sideways = np.abs(snapped[:, [0, 2]] - points[:, [0, 2]]).max(axis=1)
    assert np.sum(moved_sideways < tolerance) >= 10


def test_measurement_on_a_scaled_model_is_in_metres(catalogue, wall_version):
    scene = catalogue.scenes.create(wall_version.version_id, "Distances")
    # 300 mm apart on a 1:100 model: 30.00 m on site.
    doc = _people(catalogue.scenes.document(scene.scene_id), (-150, -300, 0), (150, -300, 0))
    scene = catalogue.scenes.save(scene.scene_id, doc, scene.revision)
    value = catalogue.scenes.distance_between(scene.scene_id, "W1", "V1", 1)
    assert value.unit == "m" and value.units_known
    assert value.value == pytest.approx(30.0)
    assert 0 < value.uncertainty < 5
    assert value.text.startswith("30.00 m ± ")
    custom = catalogue.scenes.measure(
        scene.scene_id,
        Measurement(
            "m1",
            "distance",
            step="s1",
            a=Anchor(entity="w1"),
            b=Anchor(point=(150, 300, 0)),
            uncertainty_m=0.05,
        ),
    )
    assert custom.value == pytest.approx(np.hypot(300, 600) / 10) and custom.uncertainty == 0.05
    height = catalogue.scenes.measure(
        scene.scene_id, Measurement("m2", "height", a=Anchor(point=(0, 0, 300)))
    )
    assert height.value == pytest.approx(31.0)  # 310 mm above the slab's underside at z = -10


def test_unknown_units_give_model_units_never_metres(catalogue, case_reference, testdata):
    version = catalogue.import_model(
        upload(testdata / "fandisk.obj"), case=case_reference, name="Unscaled"
    ).version
    lo, hi = np.array(version.bounds)
    scene = catalogue.scenes.create(version.version_id, "No units")
    doc = _people(catalogue.scenes.document(scene.scene_id), tuple(lo), tuple(hi))
    scene = catalogue.scenes.save(scene.scene_id, doc, scene.revision)
    value = catalogue.scenes.distance_between(scene.scene_id, "W1", "V1", 1)
    assert not value.units_known and value.unit == "model units"
    assert "units unknown" in value.text and " m " not in value.text
    assert value.value == pytest.approx(float(np.linalg.norm(hi - lo)))
    with pytest.raises(bsu_models.InvalidInput, match="units or scale are unknown"):
        catalogue.scenes.sightline(scene.scene_id, "W1", "V1", 1)


def test_sightline_through_a_solid_wall_is_occluded(catalogue, wall_version):
    scene = catalogue.scenes.create(wall_version.version_id, "Sightlines")
    doc = _people(catalogue.scenes.document(scene.scene_id), (0, -300, 0), (0, 300, 0))
    doc = doc.with_entity(Entity("w2", "W2", "witness"))
    doc = doc.with_position(Position("w2", "s1", (300, 300, 0)))
    scene = catalogue.scenes.save(scene.scene_id, doc, scene.revision)
    blocked = catalogue.scenes.sightline(scene.scene_id, "W1", "V1", 1)
    assert not blocked.visible
    assert blocked.occluder is not None and abs(blocked.occluder[1] + 10) < 1e-6
    assert blocked.eye_point[2] == pytest.approx(16.0)  # 1.6 m eyes on a 1:100 mm model
    clear = catalogue.scenes.sightline(scene.scene_id, "V1", "W2", 1)
    assert clear.visible and clear.occluder is None


def test_json_round_trip_is_lossless_and_import_adds_revisions(catalogue, wall_version):
    scene = catalogue.scenes.create(wall_version.version_id, "Prosecution sequence")
    doc = _people(catalogue.scenes.document(scene.scene_id), (0, -300, 0), (0, 300, 0))
    doc = doc.with_step(Step("s2", "證人看見 Witness sees", "21:04", "私家車 HK-1234 停低。"))
    doc = doc.with_position(
        Position("v1", "s2", (100, 300, 40), snapped=False, heading_deg=90.0, eye_height_m=1.5)
    )
    doc = doc.with_measurement(Measurement("m1", "path_length", label="V1 walk", entity="v1"))
    doc = doc.with_measurement(
        Measurement(
            "m2",
            "angle",
            step="s1",
            a=Anchor(entity="w1"),
            b=Anchor(point=(10, 0, 0)),
            vertex=Anchor(entity="v1"),
        )
    )
    doc = doc.with_view(catalogue.scenes.preset_view(wall_version.version_id, "plan"))
    scene = catalogue.scenes.save(scene.scene_id, doc, scene.revision)

    exported = catalogue.scenes.export_json(scene.scene_id)
    text = json.dumps(exported, ensure_ascii=False)
    assert bsu_models.scene_from_json(json.loads(text)) == doc

    again = catalogue.scenes.import_json(json.loads(text))
    assert again.scene_id == scene.scene_id and again.revision == scene.revision  # no change
    changed = json.loads(text)
    changed["positions"][0]["point"] = [50, -300, 0]
    moved = catalogue.scenes.import_json(changed)
    assert (moved.scene_id, moved.revision) == (scene.scene_id, scene.revision + 1)
    # A new scene from the file needs a name of its own on the version.
    with pytest.raises(bsu_models.Conflict, match="already called 'Prosecution sequence'"):
        catalogue.scenes.import_json(json.loads(text), version_id=wall_version.version_id)
    renamed = json.loads(text)
    renamed["scene"]["name"] = "Defence sequence"
    copy = catalogue.scenes.import_json(renamed, version_id=wall_version.version_id)
    assert copy.scene_id != scene.scene_id
    assert catalogue.scenes.document(copy.scene_id) == replace(doc, name="Defence sequence")


def test_revisions_are_kept_readable_and_comparable(catalogue, wall_version):
    scene = catalogue.scenes.create(wall_version.version_id, "History", actor="inv-a")
    first = _people(catalogue.scenes.document(scene.scene_id), (0, -300, 0), (0, 300, 0))
    scene = catalogue.scenes.save(scene.scene_id, first, 1, actor="inv-a")
    second = first.with_position(replace(first.position("w1", "s1"), point=(0, -200, 0)))
    scene = catalogue.scenes.save(
        scene.scene_id, second, 2, "moved W1 after WS-14 review", actor="inv-b"
    )
    assert [r.number for r in catalogue.scenes.history(scene.scene_id)] == [1, 2, 3]
    assert catalogue.scenes.document(scene.scene_id, 2) == first
    assert catalogue.scenes.document(scene.scene_id) == second
    [change] = catalogue.scenes.compare(scene.scene_id, 2, 3)
    # A 1:100 model in millimetres: the comparison is in metres east, north and height.
    assert change == (
        "position of 'W1' at step 'Victim arrives' moved from (0.00 m E, -30.00 m N, "
        "1.00 m high) to (0.00 m E, -20.00 m N, 1.00 m high) (10.00 m)"
    )
    with pytest.raises(bsu_models.Conflict, match="changed since revision 2"):
        catalogue.scenes.save(scene.scene_id, first.with_step(Step("s9", "late")), 2)
    event = catalogue.audit_events(limit=1)[0]
    assert (event.action, event.actor, event.details["revision"]) == ("scene.change", "inv-b", 3)
    assert event.details["changes"] == ["position w1@s1 changed"]
    assert catalogue.verify().ok


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.with_position(Position("w1", "s1", (0, 9000, 0))), "outside the model"),
        (lambda d: d.with_step(Step("s0", "Earlier", "20:00")), "steps must be in time order"),
        (lambda d: d.with_entity(Entity("x", "<b>W9</b>", "witness")), "looks like markup"),
        (lambda d: d.with_entity(Entity("x", "W9\u202e", "witness")), "control character"),
        (lambda d: d.with_entity(Entity("x", "Dog", "animal")), "type 'animal' is not one of"),
        (lambda d: d.with_entity(Entity("x", "W1", "witness")), "labelled 'W1'"),
        (
            lambda d: d.with_position(
                Position("w1", "s1", (0, 0, 0), provenance=Provenance("cctv"))
            ),
            "needs a reference",
        ),
    ],
)
def test_bad_scene_input_is_refused_clearly(catalogue, wall_version, edit, message):
    scene = catalogue.scenes.create(wall_version.version_id, "Bad input")
    doc = _people(catalogue.scenes.document(scene.scene_id), (0, -300, 0), (0, 300, 0))
    scene = catalogue.scenes.save(scene.scene_id, doc, scene.revision)
    with pytest.raises(bsu_models.InvalidInput, match=message):
        catalogue.scenes.save(scene.scene_id, edit(doc), scene.revision)
    assert catalogue.scenes.info(scene.scene_id).revision == scene.revision


def test_scene_file_errors_name_the_place(catalogue, wall_version):
    base = {
        "schema": "bsu-scene/1",
        "scene": {"name": "x"},
        "entities": [],
        "steps": [],
        "positions": [],
    }
    bad_type = {**base, "entities": [{"id": "e1", "label": "W1", "type": "alien"}]}
    with pytest.raises(bsu_models.InvalidInput, match="at entities/0/type"):
        catalogue.scenes.import_json(bad_type, version_id=wall_version.version_id)
    with pytest.raises(bsu_models.InvalidInput, match="schema 'bsu-scene/9' is not supported"):
        catalogue.scenes.import_json({**base, "schema": "bsu-scene/9"})
    wrong_model = {
        **base,
        "scene": {
            "name": "x",
            "model_version": {"id": wall_version.version_id, "sha256": "0" * 64},
        },
    }
    with pytest.raises(bsu_models.InvalidInput, match="do not match"):
        catalogue.scenes.import_json(wrong_model)
    assert catalogue.scenes.list_scenes() == []


def test_presets_look_from_the_recorded_axes(catalogue, fandisk_version):
    plan = catalogue.scenes.preset_view(fandisk_version.version_id, "plan")
    assert plan.projection == "orthographic" and plan.up == (0.0, 1.0, 0.0)
    assert plan.position[2] > plan.target[2]
    south = catalogue.scenes.preset_view(fandisk_version.version_id, "south")
    assert south.position[1] < south.target[1] and south.up == (0.0, 0.0, 1.0)
    with pytest.raises(bsu_models.InvalidInput, match="Preset 'top' is not one of"):
        catalogue.scenes.preset_view(fandisk_version.version_id, "top")


# -- the user's language ---------------------------------------------------------------------------


def _scene_args(lang: str, **values: object) -> argparse.Namespace:
    return argparse.Namespace(json=False, ui_lang=lang, **values)


def test_compare_in_chinese_while_json_and_the_record_stay_english(catalogue, wall_version, capsys):
    scene = catalogue.scenes.create(wall_version.version_id, "History", actor="inv-a")
    first = _people(catalogue.scenes.document(scene.scene_id), (0, -300, 0), (0, 300, 0))
    scene = catalogue.scenes.save(scene.scene_id, first, 1, actor="inv-a")
    second = replace(
        first.with_position(replace(first.position("w1", "s1"), point=(0, -200, 0))),
        name="歷史",
    ).with_step(Step("s2", "Victim leaves"))
    scene = catalogue.scenes.save(scene.scene_id, second, 2, actor="inv-b")
    english = [
        "scene renamed from 'History' to '歷史'",
        "step 'Victim leaves' added",
        "position of 'W1' at step 'Victim arrives' moved from (0.00 m E, -30.00 m N, "
        "1.00 m high) to (0.00 m E, -20.00 m N, 1.00 m high) (10.00 m)",
    ]
    assert catalogue.scenes.compare(scene.scene_id, 2, 3) == english
    assert catalogue.scenes.history(scene.scene_id)[-1].summary == "; ".join(english)
    messages = catalogue.scenes.compare_messages(scene.scene_id, 2, 3)
    assert [str(m) for m in messages] == english
    chinese = [
        "場景由「History」改名為「歷史」",
        "已新增步驟「Victim leaves」",
        "「W1」於步驟「Victim arrives」的位置由 （東 0.00 米，北 -30.00 米，高 1.00 米） 移至 "
        "（東 0.00 米，北 -20.00 米，高 1.00 米）（10.00 米）",
    ]
    assert [bsu_models.localise(m, "zh_HK") for m in messages] == chinese
    # `bsu-models scene compare`: text in the user's language, --json in English.
    for lang, expected in (("zh_HK", chinese), ("en", english)):
        args = _scene_args(lang, scene_id=scene.scene_id, old=2, new=None)
        assert cmd_compare(catalogue, args) == 0
        assert capsys.readouterr().out == "\n".join(expected) + "\n"
    args.json = True
    cmd_compare(catalogue, args)
    assert json.loads(capsys.readouterr().out) == {"changes": english}


def test_measured_values_in_chinese_keep_english_text_for_json(catalogue, wall_version, capsys):
    scene = catalogue.scenes.create(wall_version.version_id, "Distances")
    doc = _people(catalogue.scenes.document(scene.scene_id), (-150, -300, 0), (150, -300, 0))
    scene = catalogue.scenes.save(scene.scene_id, doc, scene.revision)
    value = catalogue.scenes.distance_between(scene.scene_id, "W1", "V1", 1)
    assert value.label == "W1 to V1" and value.text.startswith("30.00 m ± ")
    assert value.text_in("en") == value.text and value.label_in("en") == value.label
    assert value.label_in("zh_HK") == "W1 至 V1"
    spread = f"{value.uncertainty:.2f}"
    assert value.text_in("zh_HK") == f"30.00 米 ± {spread} 米"
    args = _scene_args("zh_HK", scene_id=scene.scene_id, from_label="W1", to_label="V1", step=1)
    assert cmd_measure(catalogue, args) == 0
    assert capsys.readouterr().out == f"W1 至 V1: 30.00 米 ± {spread} 米\n"
    args.json = True
    cmd_measure(catalogue, args)
    shown = json.loads(capsys.readouterr().out)
    assert (shown["label"], shown["text"]) == ("W1 to V1", value.text)
    unknown = bsu_models.MeasuredValue("distance", "x", 12.5, 0.25, "model units", False, "")
    assert unknown.text == (
        "12.5 ± 0.25 model units (units unknown: set the version's units and scale for metres)"
    )
    assert unknown.text_in("zh_HK") == (
        "12.5 ± 0.25 個模型單位（單位不詳：請設定此版本的單位及比例，才能以米顯示）"
    )
