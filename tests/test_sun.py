"""The sun's position, the day's sunrise, sunset and twilight, and the place and time they are
asked for: a version's location, a scene's incident date and zone, and the bad input around them."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

import bsu_models
from bsu_models import Step
from bsu_models.cli.commands import main
from bsu_models.core.errors import InvalidInput
from bsu_models.core.orm import AuditRow, SceneRevisionRow
from bsu_models.scenes.scene_json import scene_from_json, scene_to_json
from bsu_models.scenes.sun import parse_moment, sun_day, sun_position
from tests.conftest import make_settings, upload
from tests.test_access import _box_ply, yard_case

#: The Hong Kong Observatory's position, as its Sun Path Diagram takes it.
HKO = (22.302, 114.174)

#: Hong Kong (HKO) at the 2026 equinoxes and solstices, local time UTC+8:
#: (time, azimuth from north, apparent elevation) as NOAA's Solar Calculator computes them:
#: the equations of NOAA GML's calculator (gml.noaa.gov/grad/solcalc, its spreadsheet
#: NOAA_Solar_Calculations_day.xls, after Meeus' Astronomical Algorithms), evaluated for these
#: inputs, with NOAA's refraction correction, rounded to 0.01°.
NOAA_HONG_KONG = [
    ("2026-03-20T09:00", 106.35, 34.01),
    ("2026-03-20T12:00", 160.50, 66.31),
    ("2026-03-20T16:00", 253.54, 34.43),
    ("2026-06-21T08:00", 74.82, 29.55),
    ("2026-06-21T12:30", 315.19, 88.39),
    ("2026-06-21T17:00", 285.78, 27.35),
    ("2026-09-23T10:00", 119.44, 50.12),
    ("2026-09-23T15:00", 246.33, 44.19),
    ("2026-12-21T09:00", 129.91, 23.08),
    ("2026-12-21T12:30", 182.81, 44.23),
    ("2026-12-21T16:00", 232.75, 19.91),
]

#: Sunrise and sunset at HKO by the same NOAA equations (HH:MM, Hong Kong time).
NOAA_RISE_SET = [
    ("2026-03-20", "06:27", "18:34"),
    ("2026-06-21", "05:40", "19:10"),
    ("2026-09-23", "06:12", "18:19"),
    ("2026-12-21", "06:58", "17:44"),
]


@pytest.mark.parametrize(("at", "azimuth", "elevation"), NOAA_HONG_KONG)
def test_hong_kong_matches_noaa_within_a_tenth_of_a_degree(at, azimuth, elevation):
    sun = sun_position(*HKO, parse_moment(at))
    # Near the zenith (midsummer noon) azimuth turns fast; 0.1° of it is still well inside.
    assert sun.azimuth_deg == pytest.approx(azimuth, abs=0.1)
    assert sun.elevation_deg == pytest.approx(elevation, abs=0.1)
    assert sun.elevation_deg > sun.geometric_elevation_deg  # refraction lifts it


def test_nrel_spa_published_example():
    """Reda & Andreas, Solar Position Algorithm for Solar Radiation Applications (NREL/TP-560-
    34302, rev. 2008), table A5.1: 17 Oct 2003 12:30:30 at UTC-7, 39.742476° N 105.1786° W:
    topocentric zenith 50.11162°, azimuth 194.34024° (at 820 hPa, 11 °C, 1830 m; we use sea
    level and a standard atmosphere, which moves the zenith by under 0.01°)."""
    sun = sun_position(39.742476, -105.1786, parse_moment("2003-10-17T12:30:30-07:00"))
    assert sun.azimuth_deg == pytest.approx(194.34024, abs=0.002)
    assert 90 - sun.elevation_deg == pytest.approx(50.11162, abs=0.01)


#: Output of NOAA's Solar Position Calculator (www.srrb.noaa.gov/highlights/sunrise/azel.html,
#: now gml.noaa.gov/grad/solcalc) at 55° N 10° E, as recorded with that citation in the unit
#: test of BEAM's CHRIS reader (senbox-org/s1tbx, beam-chris-reader, SunPositionCalculatorTest,
#: Brockmann Consult 2010): (moment, solar zenith, azimuth from north), to 0.01°.
NOAA_CALCULATOR = [
    ("2002-07-01T12:00:00Z", 32.59, 195.57),
    ("2004-09-01T14:00:00Z", 56.69, 229.67),
]


@pytest.mark.parametrize(("at", "zenith", "azimuth"), NOAA_CALCULATOR)
def test_noaa_solar_position_calculator_published_output(at, zenith, azimuth):
    sun = sun_position(55.0, 10.0, parse_moment(at))
    assert sun.azimuth_deg == pytest.approx(azimuth, abs=0.1)
    assert 90 - sun.elevation_deg == pytest.approx(zenith, abs=0.1)


@pytest.mark.parametrize(("day", "sunrise", "sunset"), NOAA_RISE_SET)
def test_sunrise_and_sunset_within_a_minute_of_noaa(day, sunrise, sunset):
    found = sun_day(*HKO, date.fromisoformat(day))

    def minutes(text: str) -> int:
        hours, mins = text.split(":")
        return int(hours) * 60 + int(mins)

    assert found.sunrise is not None and found.sunset is not None
    assert abs(found.sunrise.hour * 60 + found.sunrise.minute - minutes(sunrise)) <= 1
    assert abs(found.sunset.hour * 60 + found.sunset.minute - minutes(sunset)) <= 1
    assert found.civil_dawn < found.sunrise < found.sunset < found.civil_dusk
    assert found.polar is None
    # At sunrise the refracted upper limb touches the horizon: geometric centre at -0.833°.
    assert sun_position(*HKO, found.sunrise).geometric_elevation_deg == pytest.approx(
        -0.833, abs=0.01
    )


def test_polar_day_and_night():
    summer = sun_day(78.2, 15.6, date(2026, 6, 21), "Europe/Oslo")
    winter = sun_day(78.2, 15.6, date(2026, 12, 21), "Europe/Oslo")
    assert summer.polar == "day" and summer.sunrise is None and summer.sunset is None
    assert winter.polar == "night" and winter.civil_dawn is None and winter.civil_dusk is None
    # The south pole's winter, in the zone of McMurdo.
    assert sun_day(-77.8, 166.7, date(2026, 6, 21), "Antarctica/McMurdo").polar == "night"


def test_direction_in_model_axes():
    """A sun low in the west points along -east; east is north × up (as the preset views)."""
    import numpy as np

    sun = sun_position(*HKO, parse_moment("2026-06-21T18:45"))
    assert 285 < sun.azimuth_deg < 300 and 0 < sun.elevation_deg < 6
    up, north = np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.0])
    direction = sun.direction(up, north)
    assert direction[0] < -0.9  # toward the west (-x when +y is north and +z up)
    assert direction[2] > 0


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("14:30", "has no date"),
        ("T14:30", "has no date"),
        ("2026-06-21", "date without a time"),
        ("yesterday", "is not a date and time"),
    ],
)
def test_bad_moments_get_one_sentence(text, sentence):
    with pytest.raises(InvalidInput, match=sentence):
        parse_moment(text)


def test_naive_times_are_hong_kong_and_zones_are_kept():
    assert parse_moment("2026-06-21T17:00").utcoffset().total_seconds() == 8 * 3600
    assert parse_moment("2026-06-21T17:00Z").utcoffset().total_seconds() == 0
    assert parse_moment("2026-06-21T17:00", "Europe/London").utcoffset().total_seconds() == 3600


# -- the command line --------------------------------------------------------------------------


def test_sun_command_json(capsys):
    assert (
        main(["sun", "--lat", "22.302", "--lon", "114.174", "--at", "2026-06-21T17:00", "--json"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["azimuth_deg"] == pytest.approx(285.78, abs=0.1)
    assert out["elevation_deg"] == pytest.approx(27.35, abs=0.1)
    assert out["sunrise"].startswith("2026-06-21T05:40")
    assert out["sunset"].startswith("2026-06-21T19:10")
    assert out["civil_dawn"] < out["sunrise"] and out["civil_dusk"] > out["sunset"]
    assert out["polar"] is None and out["up"] is True


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["--lat", "95", "--lon", "114"], "Latitude 95 is out of range"),
        (["--lat", "22", "--lon", "-200"], "Longitude -200 is out of range"),
        (["--lat", "north", "--lon", "114"], "Latitude north is out of range"),
    ],
)
def test_sun_command_refuses_a_bad_place(capsys, args, sentence):
    assert main(["sun", *args, "--at", "2026-06-21T17:00"]) == 2
    err = capsys.readouterr().err
    assert sentence in err and err.count("\n") == 1 and "Traceback" not in err


def test_sun_command_refuses_a_time_without_a_date(capsys):
    assert main(["sun", "--lat", "22", "--lon", "114", "--at", "17:00"]) == 2
    err = capsys.readouterr().err
    assert "has no date" in err and err.count("\n") == 1


# -- a version's place ---------------------------------------------------------------------------


@pytest.fixture
def yard(tmp_path):
    settings = make_settings(tmp_path / "data")
    system = bsu_models.open_catalogue(settings)
    version, scene = yard_case(system, _box_ply(tmp_path / "yard.ply"), "KC-SUN")
    yield system, version, scene, settings, tmp_path
    system.close()


def _cli(monkeypatch, settings, *args: str) -> int:
    monkeypatch.setenv("BSU_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BSU_DATABASE_URL", settings.database_url)
    return main(list(args))


def test_version_locate_is_shown_and_audited(yard, monkeypatch, capsys):
    system, version, _scene, settings, _root = yard
    assert version.latitude_deg is None
    assert _cli(monkeypatch, settings, "show", str(version.version_id), "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["latitude_deg"] is None and shown["longitude_deg"] is None
    args = ("version", "locate", str(version.version_id), "--lat", "22.3193", "--lon", "114.1694")
    assert _cli(monkeypatch, settings, *args) == 0
    capsys.readouterr()
    assert _cli(monkeypatch, settings, "show", str(version.version_id), "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["latitude_deg"], shown["longitude_deg"]) == (22.3193, 114.1694)
    assert _cli(monkeypatch, settings, "show", str(version.version_id)) == 0
    assert "22.319300" in capsys.readouterr().out
    # Moved: the row changes, and each change is an event naming the place only by its hash.
    system.locate_version(version.version_id, 22.3, 114.17)
    with system.engine.connect() as conn:
        events = (
            conn.execute(select(AuditRow.details).where(AuditRow.action == "version.locate"))
            .scalars()
            .all()
        )
    assert len(events) == 2
    assert "22.3" not in events[1] and json.loads(events[1])["previous_place_sha256"]
    assert system.get_version(version.version_id).latitude_deg == 22.3
    assert system.verify().ok


def test_version_locate_refuses_out_of_range(yard, monkeypatch, capsys):
    _system, version, _scene, settings, _root = yard
    args = ("version", "locate", str(version.version_id), "--lat", "-91", "--lon", "114")
    assert _cli(monkeypatch, settings, *args) == 2
    assert "Latitude -91 is out of range" in capsys.readouterr().err


def test_import_with_a_place(yard, monkeypatch, capsys):
    _system, _version, _scene, settings, root = yard
    mesh = str(root / "yard.ply")
    base = ("import", mesh, "--case", "KC-SUN", "--name", "Yard")
    assert _cli(monkeypatch, settings, *base, "--lat", "22.28", "--lon", "114.16", "--json") == 0
    done = json.loads(capsys.readouterr().out)
    assert (done["latitude_deg"], done["longitude_deg"]) == (22.28, 114.16)
    # A bad place stores nothing: checked before the import.
    assert _cli(monkeypatch, settings, *base, "--lat", "22.28", "--lon", "190") == 2
    assert "Longitude 190 is out of range" in capsys.readouterr().err
    assert _cli(monkeypatch, settings, *base, "--lat", "22.28") == 2
    assert "both a latitude and a longitude" in capsys.readouterr().err
    assert _cli(monkeypatch, settings, "list", "--json") == 0
    assert json.loads(capsys.readouterr().out)[0]["versions"] == 2


# -- a scene's incident date and zone ------------------------------------------------------------


def test_scene_date_and_zone_round_trip_and_old_documents_hash_the_same(yard):
    system, _version, scene, _settings, _root = yard
    with system.engine.connect() as conn:
        stored = conn.execute(
            select(SceneRevisionRow.document).where(SceneRevisionRow.scene_id == scene.scene_id)
        ).scalar_one()
    old = json.loads(stored)
    assert "date" not in old["scene"] and "time_zone" not in old["scene"]
    # An older document reads unchanged and writes back byte for byte.
    doc = scene_from_json(old)
    again = json.dumps(
        scene_to_json(doc), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert again == stored
    dated = bsu_models.SceneDoc(
        name="x", steps=(Step("s1", "Arrives", "18:45"),), date="2026-06-21"
    )
    data = scene_to_json(dated)
    assert data["scene"]["date"] == "2026-06-21" and "time_zone" not in data["scene"]
    assert scene_from_json(data) == dated
    moment = dated.step_moment(dated.steps[0])
    assert moment is not None and moment.isoformat() == "2026-06-21T18:45:00+08:00"
    london = bsu_models.SceneDoc(name="x", date="2026-06-21", time_zone="Europe/London")
    assert scene_from_json(scene_to_json(london)).zone_name == "Europe/London"
    # Saved as a revision, the change is named.
    doc = system.scenes.document(scene.scene_id)
    info = system.scenes.save(
        scene.scene_id, bsu_models.SceneDoc(**{**doc.__dict__, "date": "2026-06-21"}), 1
    )
    assert any(
        "incident date" in line for line in system.scenes.compare(scene.scene_id, 1, info.revision)
    )


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"date": "21/06/2026"}, "must look like 2026-06-21"),
        ({"date": "2026-02-30"}, "must look like 2026-06-21"),
        ({"time_zone": "Mars/Olympus"}, "is not known"),
    ],
)
def test_bad_scene_dates_and_zones(changes, sentence):
    with pytest.raises(InvalidInput, match=sentence):
        bsu_models.SceneDoc(name="x", **changes)


def test_schema_refuses_a_malformed_date():
    data = scene_to_json(bsu_models.SceneDoc(name="x"))
    data["scene"]["date"] = "June 21"
    with pytest.raises(InvalidInput, match="Scene file: at scene/date"):
        scene_from_json(data)


def test_place_is_kept_and_verified_on_both_databases(catalogue, case_reference, tmp_path):
    version = catalogue.import_model(
        upload(_box_ply(tmp_path / "yard.ply")),
        case=case_reference,
        name="Yard",
        latitude=-33.8568,
        longitude=151.2153,
    ).version
    assert (version.latitude_deg, version.longitude_deg) == (-33.8568, 151.2153)
    moved = catalogue.locate_version(version.version_id, -33.85, 151.21)
    assert (moved.latitude_deg, moved.longitude_deg) == (-33.85, 151.21)
    assert catalogue.verify().ok
