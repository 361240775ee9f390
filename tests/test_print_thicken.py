"""Thin parts thickened to the printer's minimum wall rather than refused: the teapot at twenty
times its size (its thin places: 1 % of the surface under 1.2 mm) and lamp posts 0.8 mm across
print watertight, every wall at least the minimum, the rest of the model where it was, and the
thickening recorded in the report, the audit event and ``--json``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh

import bsu_models
from bsu_models.cli.commands import main
from bsu_models.fabricate.walls import check_walls
from tests.conftest import make_settings, upload
from tests.test_print import yard_with_posts

pytestmark = pytest.mark.render
CASE = "KC-THICK"


@pytest.fixture(scope="module")
def thin(tmp_path_factory, testdata):
    cat = bsu_models.open_catalogue(make_settings(tmp_path_factory.mktemp("thicken") / "d"))
    cat.add_case(CASE, "Thin parts")
    teapot = cat.import_model(
        upload(testdata / "teapot.obj"), case=CASE, name="Teapot", units="mm", scale="1:1",
        up_axis="+y", north_axis="-z",
    ).version  # fmt: skip
    yield cat, teapot
    cat.close()


def _body(path: Path) -> trimesh.Trimesh:
    """The print read back as one mesh: a 3MF keeps its shared corners; an STL's are joined
    where they are equal, as slicers do."""
    mesh = trimesh.load(path, force="mesh", process=False)
    if path.suffix == ".stl":
        mesh.merge_vertices()
    return mesh


def test_teapot_thin_places_are_thickened_not_refused(thin, tmp_path):
    cat, teapot = thin
    refused = tmp_path / "refused.stl"
    with pytest.raises(bsu_models.InvalidInput, match=r"thicken thin parts \(--thicken\)"):
        cat.print_model(teapot.version_id, scale="1:0.05", out=refused, base=False)
    assert not refused.exists()
    # Half that size the spout and handle are too thin for thickening by moving corners: the
    # refusal says so (rather than suggest --thicken again) and where.
    with pytest.raises(bsu_models.InvalidInput, match="could not be thickened") as failed:
        cat.print_model(teapot.version_id, scale="1:0.1", out=refused, base=False, thicken=True)
    assert "--thicken" not in str(failed.value) and "mm east" in str(failed.value)
    assert not refused.exists()

    # 3MF: the teapot's spout and handle touch its body along edges, which STL, keeping no
    # shared corners, cannot tell from an opening (thickened or not).
    out = tmp_path / "teapot.3mf"
    result = cat.print_model(teapot.version_id, scale="1:0.05", out=out, base=False, thicken=True)
    corners, largest = result.thickened
    assert corners > 0 and 0 < largest < 3
    body = _body(out)
    assert body.is_watertight and body.volume > 0
    walls = check_walls(body.vertices, body.faces, 1.2)
    assert walls.ok, walls
    # Only the thin places moved: the teapot is as big as before, give or take the moves.
    assert np.allclose(body.extents, result.landmark_size_mm, atol=2 * largest)
    report = Path(result.report).read_text()
    assert f"{corners} corners moved outwards along their normals" in report
    assert "Thin parts thickened to the minimum wall of 1.2 mm" in report
    event = cat.audit_events(limit=1)[0]
    assert event.details["thickened"] == {"corners_moved": corners, "largest_move_mm": largest}


def test_lamp_posts_thickened_to_the_wall_on_the_plate(thin, tmp_path, monkeypatch, capsys):
    """Posts 4 mm across on a 1:100 yard: 0.8 mm at 1:500, made 1.2 mm; the yard and the
    plate keep their size."""
    cat, _teapot = thin
    path = yard_with_posts(tmp_path / "yard.ply")
    yard = cat.import_model(upload(path), case=CASE, name="Yard", units="mm", scale="1:100").version
    monkeypatch.setenv("BSU_DATA_DIR", str(cat.settings.data_dir))
    monkeypatch.setenv("BSU_DATABASE_URL", cat.settings.database_url)
    out = tmp_path / "yard.stl"
    args = ["print", str(yard.version_id), "--scale", "1:500", "--out", str(out), "--json"]
    assert main([*args, "--no-base"]) == 2
    assert "--thicken" in capsys.readouterr().err
    assert main([*args, "--no-base", "--thicken"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["thickened"]["corners_moved"] > 0
    body = _body(out)
    assert body.is_watertight
    assert check_walls(body.vertices, body.faces, 1.2).ok
    # A slice through the posts' middle: three discs, each now 1.2 mm across or more.
    section = body.section(plane_origin=(0, 0, body.bounds[1][2] - 10), plane_normal=(0, 0, 1))
    discs = section.discrete
    assert len(discs) == 3
    for disc in discs:
        across = min(np.ptp(disc[:, :2], axis=0))
        assert 1.2 <= across < 1.6, across
    assert np.allclose(body.extents[:2], (40, 40), atol=0.01)
