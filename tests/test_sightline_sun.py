"""Sightlines in the light of the step's time: is the target in direct sun or in the shadow of
the model, and does the observer look into the sun (glare)?"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trimesh

import bsu_models
from bsu_models import Entity, Position, Step
from bsu_models.cli.commands import main
from bsu_models.core.errors import InvalidInput
from tests.conftest import make_settings
from tests.test_sunlit_stills import located_and_not

#: The March equinox: the sun rises due east and sets due west.
DAY = "2026-03-20"


def _yard_with_wall(path: Path) -> Path:
    """A ground slab (top at z=0, mm) with a wall 6 m high (60 mm at 1:100) running north-south
    at x=-50, just west of where the victim stands."""
    ground = trimesh.creation.box(extents=(1000, 600, 10))
    ground.apply_translation((0, 0, -5))
    wall = trimesh.creation.box(extents=(10, 400, 60))
    wall.apply_translation((-50, 0, 30))
    trimesh.util.concatenate([ground, wall]).export(path)
    return path


@pytest.fixture(scope="module")
def yard(tmp_path_factory):
    root = tmp_path_factory.mktemp("sightsun")
    settings = make_settings(root / "data")
    system = bsu_models.open_catalogue(settings)
    mesh = _yard_with_wall(root / "wall.ply")
    system.add_case("KC-SIGHT", "Sightlines in light")
    located, unlocated = located_and_not(system, mesh, "KC-SIGHT", "Yard")
    scenes = {}
    for version in (located, unlocated):
        scene = system.scenes.create(version.version_id, "Sequence")
        doc = system.scenes.document(scene.scene_id)
        doc = doc.with_entity(Entity("v1", "V1", "victim")).with_entity(
            Entity("w1", "W1", "witness")
        )
        for step_id, clock in (("s1", "07:00"), ("s2", "17:30")):
            doc = (
                doc.with_step(Step(step_id, f"At {clock}", clock))
                .with_position(Position("v1", step_id, (-30.0, 0.0, 0.0)))
                .with_position(Position("w1", step_id, (200.0, 0.0, 0.0)))
            )
        dated = bsu_models.SceneDoc(**{**doc.__dict__, "date": DAY})
        system.scenes.save(scene.scene_id, dated, 1)
        scenes[version.version_id] = scene.scene_id
    yield system, settings, scenes[located.version_id], scenes[unlocated.version_id]
    system.close()


def test_target_behind_a_wall_goes_into_shadow_as_the_sun_moves_west(yard):
    system, _settings, scene, _other = yard
    morning = system.scenes.sightline(scene, "W1", "V1", 1)
    evening = system.scenes.sightline(scene, "W1", "V1", 2)
    assert morning.visible and evening.visible  # nothing stands between them
    assert morning.sun_at is not None and morning.sun_at.isoformat() == f"{DAY}T07:00:00+08:00"
    assert 80 < morning.sun_azimuth_deg < 100 and morning.sun_elevation_deg > 0
    assert 250 < evening.sun_azimuth_deg < 280 and evening.sun_elevation_deg > 5
    assert morning.target_in_sun is True
    assert evening.target_in_sun is False  # the wall is between the victim and the sun
    # The witness looks west at the victim: the morning sun is at their back.
    assert morning.glare is False and morning.angle_to_sun_deg > 150
    # After sunset nobody is in direct sun.
    night = system.scenes.sightline(scene, "W1", "V1", 2, f"{DAY}T20:00")
    assert night.sun_elevation_deg < 0 and night.target_in_sun is False and not night.glare


def test_glare_when_the_observer_looks_into_a_low_sun(yard):
    system, _settings, scene, _other = yard
    # The victim, at the foot of the wall, looks east at the witness into the rising sun.
    facing_sun = system.scenes.sightline(scene, "V1", "W1", 1)
    assert facing_sun.glare is True and facing_sun.angle_to_sun_deg <= 20
    assert facing_sun.target_in_sun is True
    # Later the same morning the sun is higher than 20° above their line of sight.
    later = system.scenes.sightline(scene, "V1", "W1", 1, f"{DAY}T09:30")
    assert later.glare is False and later.angle_to_sun_deg > 20
    # In the evening the sun is behind the wall at their back.
    assert system.scenes.sightline(scene, "V1", "W1", 2).glare is False


def test_without_a_place_the_sun_is_not_guessed(yard):
    system, _settings, _scene, unlocated = yard
    result = system.scenes.sightline(unlocated, "W1", "V1", 2)
    assert result.sun_at is None and result.target_in_sun is None and result.glare is None
    with pytest.raises(InvalidInput, match="has no place on Earth"):
        system.scenes.sightline(unlocated, "W1", "V1", 2, f"{DAY}T17:30")


def test_cli_sightline_reports_light(yard, monkeypatch, capsys):
    _system, settings, scene, _other = yard
    monkeypatch.setenv("BSU_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BSU_DATABASE_URL", settings.database_url)
    args = ["scene", "sightline", str(scene), "--from", "W1", "--to", "V1", "--step", "2"]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["visible"] is True and out["target_in_sun"] is False
    # The witness looks west, toward the victim and the evening sun, which clears the wall.
    assert out["glare"] is True and out["angle_to_sun_deg"] < 20
    assert out["sun_at"] == f"{DAY}T17:30:00+08:00"
    assert main(args) == 0
    assert "Glare: the observer looks within" in capsys.readouterr().out
    assert main([*args, "--sun-at", f"{DAY}T07:00"]) == 0
    assert "the target is in direct sun" in capsys.readouterr().out
    assert main([*args, "--sun-at", "07:00"]) == 2
    assert "has no date" in capsys.readouterr().err


def test_sun_track_for_the_browser_slider(yard):
    system, _settings, scene, unlocated = yard
    doc = system.scenes.document(scene)
    info = system.scenes.info(scene)
    version = system.get_version(info.version_id)
    track = bsu_models.sun_track(version, doc, doc.steps[1])
    assert track is not None and track["zone"] == "Asia/Hong_Kong"
    entries = track["entries"]
    assert len(entries) == 25 and entries[track["index"]]["time"] == "17:30"
    assert [e["offset_min"] for e in entries[:2]] == [-120, -110]
    # Later in the evening the sun sinks, and by 19:30 it has set.
    elevations = [e["elevation_deg"] for e in entries]
    assert elevations == sorted(elevations, reverse=True) and not entries[-1]["up"]
    other = system.scenes.document(unlocated)
    other_version = system.get_version(system.scenes.info(unlocated).version_id)
    assert bsu_models.sun_track(other_version, other, other.steps[1]) is None


def test_eyes_and_faces_at_the_stated_heights(yard, monkeypatch, capsys):
    system, settings, scene, _other = yard
    version_id = system.scenes.info(scene).version_id
    tall = system.scenes.create(version_id, "Heights")
    doc = (
        system.scenes.document(tall.scene_id)
        .with_entity(Entity("w1", "W1", "witness", height_m=1.75))
        .with_entity(Entity("v1", "V1", "victim"))
        .with_step(Step("s1", "Seen"))
        .with_position(Position("w1", "s1", (200.0, 0.0, 0.0)))
        .with_position(Position("v1", "s1", (-30.0, 0.0, 0.0)))
        .with_sightline(bsu_models.Sightline("l1", "w1", bsu_models.Anchor(entity="v1"), "s1"))
    )
    system.scenes.save(tall.scene_id, doc, 1)
    result = system.scenes.sightline(tall.scene_id, "W1", "V1", 1)
    # 0.936 of 1.75 m, in model units of 0.1 m above the ground at z = 0; the victim's face
    # (no height stated) at the default 1.6 m.
    assert (result.eye_height_m, result.eye_height_source) == (1.638, "stated_height")
    assert (result.target_height_m, result.target_height_source) == (1.6, "default")
    assert result.eye_point[2] == pytest.approx(16.38)
    assert result.target_point[2] == pytest.approx(16.0)
    # The stills draw the line from that very eye.
    saved = system.scenes.document(tall.scene_id)
    [line] = system.scenes.layer(tall.scene_id, saved, saved.steps[0]).sightlines
    assert line.eye == pytest.approx(result.eye_point)
    monkeypatch.setenv("BSU_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BSU_DATABASE_URL", settings.database_url)
    args = ["scene", "sightline", str(tall.scene_id), "--from", "W1", "--to", "V1"]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["eye_height_m"] == 1.638 and out["eye_height_source"] == "stated_height"
    assert out["target_height_m"] == 1.6 and out["target_height_source"] == "default"
    assert main(args) == 0
    assert "Eye height 1.64 m (0.936 × the stated height of 1.75 m)" in capsys.readouterr().out
    monkeypatch.setenv("BSU_LANGUAGE", "zh_HK")
    assert main(args) == 0
    assert "眼睛高度 1.64 米（所述身高 1.75 米的 0.936 倍）" in capsys.readouterr().out
