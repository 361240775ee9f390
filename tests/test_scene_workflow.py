"""A day in the editor: positions carried to a new step, and what the scene's record says."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import trimesh

import bsu_models
from bsu_models import (
    Anchor,
    Entity,
    Measurement,
    Position,
    Provenance,
    SceneDoc,
    Sightline,
    Step,
)
from bsu_models.cli.commands import main
from tests.conftest import upload


@pytest.fixture
def ground_version(catalogue, case_reference, tmp_path) -> bsu_models.VersionInfo:
    """A 1:100 model in mm: a 1000 x 1000 ground slab (10 m x 10 m on site)."""
    ground = trimesh.creation.box(extents=(1000, 1000, 10))
    ground.apply_translation((0, 0, -5))
    path = tmp_path / "ground.ply"
    ground.export(path)
    return catalogue.import_model(
        upload(path), case=case_reference, name="Ground", units="mm", scale="1:100"
    ).version


def _two_people() -> SceneDoc:
    doc = SceneDoc("Sequence")
    doc = doc.with_entity(Entity("w1", "W1", "witness")).with_entity(Entity("v1", "V1", "victim"))
    doc = doc.with_step(Step("s1", "Arrives", "21:03"))
    doc = doc.with_position(
        Position("w1", "s1", (0, -300, 0), provenance=Provenance("witness_statement", "WS-14 p.2"))
    )
    return doc.with_position(Position("v1", "s1", (0, 300, 0)))


def test_a_new_step_carries_everyone_until_they_are_placed_again():
    doc = _two_people().with_new_step(Step("s2", "Crosses", "21:04"))
    carried = doc.position("w1", "s2")
    assert carried is not None and carried.carried and carried.carried_from == "s1"
    assert carried.point == (0, -300, 0)
    assert carried.provenance == Provenance("witness_statement", "WS-14 p.2")
    # A third step still names the step where the placement was made.
    doc = doc.with_new_step(Step("s3", "Leaves", "21:05"))
    assert doc.position("w1", "s3").carried_from == "s1"
    # Moving W1 at step 1 moves the steps that repeat it; V1 is not touched.
    doc = doc.with_position(doc.position("w1", "s1").edited(point=(10, -300, 0)))
    assert doc.position("w1", "s2").point == doc.position("w1", "s3").point == (10, -300, 0)
    assert doc.position("v1", "s3").point == (0, 300, 0)
    # Placed at step 2 by hand: its own from then on, and step 3 now repeats step 2.
    placed = doc.position("w1", "s2").edited(point=(50, 0, 0), provenance=Provenance())
    doc = doc.with_position(placed)
    assert not doc.position("w1", "s2").carried
    assert doc.position("w1", "s3").carried_from == "s2"
    assert doc.position("w1", "s3").point == (50, 0, 0)
    assert doc.position("w1", "s1").point == (10, -300, 0)
    # A first step has nothing before it to carry.
    first = (
        SceneDoc("Empty")
        .with_entity(Entity("w1", "W1", "witness"))
        .with_new_step(Step("s1", "One"))
    )
    assert first.positions == ()
    # Removing the step carried from leaves the later positions where they are, as their own.
    gone = doc.without("s1")
    assert gone.position("v1", "s2").point == (0, 300, 0) and not gone.position("v1", "s2").carried
    with pytest.raises(bsu_models.InvalidInput, match="not an earlier step"):
        SceneDoc(
            "Bad",
            entities=(Entity("w1", "W1", "witness"),),
            steps=(Step("s1", "One"),),
            positions=(Position("w1", "s1", (0, 0, 0), carried_from="s1"),),
        )


def test_carried_positions_reach_json_and_older_revisions_hash_the_same(catalogue, ground_version):
    scene = catalogue.scenes.create(ground_version.version_id, "Carry")
    older = catalogue.scenes.save(scene.scene_id, _two_people(), scene.revision)
    # A document as stored before positions could be carried (no carried_from key) reads
    # back and writes out byte for byte the same, so its recorded SHA-256 still holds.
    stored = {
        "schema": "bsu-scene/1",
        "scene": {"name": "Old"},
        "entities": [
            {
                "id": "w1",
                "label": "W1",
                "type": "witness",
                "colour": "#1f77b4",
                "notes": "",
                "sensitive": False,
            }
        ],
        "steps": [{"id": "s1", "title": "One", "clock": None, "narrative": ""}],
        "positions": [
            {
                "entity": "w1",
                "step": "s1",
                "point": [0.0, 1.0, 2.0],
                "snapped": True,
                "heading_deg": None,
                "eye_height_m": None,
                "provenance": {"kind": "assumption", "reference": ""},
            }
        ],
        "measurements": [],
        "sightlines": [],
        "views": [],
    }
    canonical = json.dumps(stored, sort_keys=True, separators=(",", ":"))
    again = bsu_models.scene_to_json(bsu_models.scene_from_json(json.loads(canonical)))
    assert json.dumps(again, sort_keys=True, separators=(",", ":")) == canonical
    exported = catalogue.scenes.export_json(scene.scene_id)
    assert all("carried_from" not in p for p in exported["positions"])

    doc = catalogue.scenes.document(scene.scene_id).with_new_step(Step("s2", "Crosses", "21:04"))
    scene = catalogue.scenes.save(scene.scene_id, doc, older.revision)
    exported = catalogue.scenes.export_json(scene.scene_id)
    carried = [p for p in exported["positions"] if p["step"] == "s2"]
    assert [p["carried_from"] for p in carried] == ["s1", "s1"]
    assert bsu_models.scene_from_json(exported) == doc
    layer = catalogue.scenes.layer(scene.scene_id, doc, doc.steps[1]).to_json()
    assert [e["carried"] for e in layer["entities"]] == [True, True]
    assert catalogue.verify().ok


def test_an_older_revision_is_drawn_with_its_own_measurements_and_sightlines(
    catalogue, ground_version
):
    scene = catalogue.scenes.create(ground_version.version_id, "Sequence")
    doc = _two_people().with_measurement(
        Measurement(
            "m1", "distance", "W1 to V1", "s1", a=Anchor(entity="w1"), b=Anchor(entity="v1")
        )
    )
    doc = doc.with_sightline(Sightline("l1", "w1", Anchor(entity="v1"), "s1"))
    first = catalogue.scenes.save(scene.scene_id, doc, scene.revision)
    moved = doc.with_position(Position("v1", "s1", (0, 100, 0)))
    catalogue.scenes.save(scene.scene_id, moved, first.revision)

    older = catalogue.scenes.document(scene.scene_id, first.revision)
    layer = catalogue.scenes.layer(scene.scene_id, older, older.steps[0])
    # 600 mm on a 1:100 model is 60 m; the current revision's V1 stands 40 m from W1.
    [line] = layer.measurements
    assert line.text.startswith("60.00 m") and line.b == (0, 300, 0)
    [sight] = layer.sightlines
    assert sight.target[1] == 300
    current = catalogue.scenes.layer(scene.scene_id, moved, moved.steps[0])
    assert (
        current.measurements[0].text.startswith("40.00 m")
        and current.sightlines[0].target[1] == 100
    )


def test_comparisons_without_units_are_plain_model_units(catalogue, case_reference, tmp_path):
    ground = trimesh.creation.box(extents=(2.0, 2.0, 0.01))
    path = tmp_path / "ground.ply"
    ground.export(path)
    version = catalogue.import_model(upload(path), case=case_reference, name="No units").version
    scene = catalogue.scenes.create(version.version_id, "Units")
    doc = SceneDoc("Units").with_entity(Entity("w1", "W1", "witness"))
    doc = doc.with_step(Step("s1", "One")).with_position(Position("w1", "s1", (6.65e-15, 0.5, 0)))
    scene = catalogue.scenes.save(scene.scene_id, doc, scene.revision)
    moved = doc.with_position(doc.position("w1", "s1").edited(point=(0.25, 0.5, 0)))
    scene = catalogue.scenes.save(scene.scene_id, moved, scene.revision)
    [change] = catalogue.scenes.compare(scene.scene_id, scene.revision - 1)
    assert change == (
        "position of 'W1' at step 'One' moved from (0, 0.5, 0) to (0.25, 0.5, 0) (0.25 model units)"
    )
    assert "e-" not in catalogue.scenes.compare(scene.scene_id, 1)[-1]


def test_scenes_are_renamed_copied_and_archived_never_deleted(
    catalogue, ground_version, capsys, monkeypatch
):
    version = ground_version.version_id
    scene = catalogue.scenes.create(version, "Sequence", actor="inv-a")
    with pytest.raises(bsu_models.Conflict, match="already called 'Sequence'"):
        catalogue.scenes.create(version, "Sequence")
    doc = _two_people()
    scene = catalogue.scenes.save(scene.scene_id, doc, scene.revision)
    # The same sightline or measurement, asked for twice, is stored once.
    line = bsu_models.Sightline("l1", "w1", bsu_models.Anchor(entity="v1"), "s1")
    once = doc.with_sightline(line)
    assert once.with_sightline(bsu_models.Sightline("l2", "w1", line.target, "s1")) == once
    m = bsu_models.Measurement(
        "m1", "distance", step="s1", a=bsu_models.Anchor(entity="w1"), b=line.target
    )
    once = once.with_measurement(m)
    assert once.with_measurement(replace(m, id="m2", label="again")) == once

    renamed = catalogue.scenes.rename(scene.scene_id, "Prosecution", actor="inv-a")
    assert (renamed.name, renamed.revision) == ("Prosecution", scene.revision + 1)
    assert catalogue.scenes.document(scene.scene_id).name == "Prosecution"
    copy = catalogue.scenes.copy(scene.scene_id, "Defence")
    with pytest.raises(bsu_models.Conflict, match="already called 'Defence'"):
        catalogue.scenes.rename(scene.scene_id, "Defence")

    archived = catalogue.scenes.set_archived(copy.scene_id, True, actor="inv-a")
    assert archived.archived
    assert [s.scene_id for s in catalogue.scenes.list_scenes(version)] == [scene.scene_id]
    everything = catalogue.scenes.list_scenes(version, include_archived=True)
    assert [s.scene_id for s in everything] == [scene.scene_id, copy.scene_id]
    assert catalogue.scenes.document(copy.scene_id).name == "Defence"  # still there, readable
    with pytest.raises(bsu_models.Conflict, match="is archived; restore it"):
        catalogue.scenes.rename(copy.scene_id, "Other")
    with pytest.raises(bsu_models.Conflict, match="already archived"):
        catalogue.scenes.set_archived(copy.scene_id, True)
    event = catalogue.audit_events(limit=1)[0]
    assert (event.action, event.actor, event.object_id) == (
        "scene.archive",
        "inv-a",
        str(copy.scene_id),
    )
    # The command line: restore, and the list says which are archived.
    monkeypatch.setenv("BSU_DATA_DIR", str(catalogue.settings.data_dir))
    monkeypatch.setenv("BSU_DATABASE_URL", catalogue.settings.database_url)
    monkeypatch.setenv("BSU_ACTOR", "inv-a")
    assert main(["scene", "list", "--archived", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [s["archived"] for s in listed] == [False, True]
    assert main(["scene", "restore", str(copy.scene_id)]) == 0
    capsys.readouterr()
    assert not catalogue.scenes.info(copy.scene_id).archived
    assert catalogue.audit_events(limit=1)[0].action == "scene.restore"
    assert catalogue.verify().ok
