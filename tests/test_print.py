"""Printable physical models: real meshes from the shared test data printed at 1:N, read back
with trimesh's own 3MF and STL readers, checked for closed bodies, true extents, lettering
that is geometry, tiles that put together make the whole, refusals before anything is written,
and the audit event."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

import manifold3d
import numpy as np
import pytest
import trimesh
from pypdf import PdfReader

import bsu_models
from bsu_models.cli.commands import main
from bsu_models.core.software import software_versions
from bsu_models.fabricate import base_plate, file_set, print_report
from tests.conftest import MARKUP, upload

CASE = "KC-2026-0142"


def import_bunny(cat: bsu_models.Catalogue, testdata: Path) -> bsu_models.VersionInfo:
    """The scanned bunny (15 cm) as a 1:1 model in metres, y up and north -z, in case CASE."""
    return cat.import_model(
        upload(testdata / "stanford-bunny.obj"),
        case=CASE,
        name="Bunny",
        units="m",
        scale="1:1",
        up_axis="+y",
        north_axis="-z",
    ).version


@pytest.fixture
def models(sqlite_catalogue, testdata):
    """The bunny as a 1:1 model in metres (y up, north -z) and fandisk as a 1:100 model in cm."""
    cat = sqlite_catalogue
    cat.add_case(CASE, "旺角 Mong Kok")
    bunny = import_bunny(cat, testdata)
    fandisk = cat.import_model(
        upload(testdata / "fandisk.obj"), case=CASE, name="Fandisk", units="cm", scale="1:100"
    ).version
    return cat, bunny, fandisk


def _bodies(path: Path) -> dict[str, trimesh.Trimesh]:
    # STL keeps no shared vertices: readers join equal corners, as slicers do.
    loaded = trimesh.load(path, process=path.suffix == ".stl")
    if isinstance(loaded, trimesh.Scene):
        return {name: g for name, g in loaded.geometry.items()}
    return {path.stem: loaded}


def _solid(mesh: trimesh.Trimesh):  # type: ignore[no-untyped-def]
    return manifold3d.Manifold(
        manifold3d.Mesh64(
            vert_properties=np.array(mesh.vertices, dtype=np.float64),
            tri_verts=np.array(mesh.faces, dtype=np.uint64),
        )
    )


def _latin_words(text: str) -> set[str]:
    """Words of two or more Latin letters in ``text``, SHA-256 digests left out."""
    return set(re.findall(r"[A-Za-z]{2,}", re.sub(r"\b[0-9a-f]{64}\b", "", text)))


def _expected_mm(version: bsu_models.VersionInfo, denominator: float) -> np.ndarray:
    return np.array(version.real_world_size) * 1000 / denominator


def test_bodies_are_closed_and_true_to_scale(models, tmp_path):
    cat, bunny, fandisk = models
    for version, denominator, out in (
        (bunny, 2, tmp_path / "bunny.3mf"),
        (fandisk, 80, tmp_path / "fandisk.stl"),
    ):
        result = cat.print_model(version.version_id, scale=f"1:{denominator}", out=out, base=False)
        bodies = _bodies(out)
        assert list(bodies) == ["model"] if out.suffix == ".3mf" else len(bodies) == 1
        (body,) = bodies.values()
        assert body.is_watertight and body.is_winding_consistent and body.volume > 0
        assert _solid(body).status() == manifold3d.Error.NoError
        size = body.extents
        expected = _expected_mm(version, denominator)
        # East and north as the real world / N; the height too, above the plinth under it.
        assert size[:2] == pytest.approx(expected[:2], rel=0.005)
        assert size[2] - result.plinth_mm == pytest.approx(expected[2], rel=0.005)
        assert result.landmark_size_mm == pytest.approx(tuple(expected), rel=0.005)
        assert result.decimated is None  # every face large enough to print
    # At 1:10 the bunny is 15 mm long: most of its faces are smaller than the nozzle, and the
    # print keeps as many as it can show, still closed and true to scale.
    out = tmp_path / "small-bunny.stl"
    result = cat.print_model(bunny.version_id, scale="1:10", out=out, base=False, min_wall=0)
    before, after, nozzle = result.decimated
    assert nozzle == 0.4 and after < before / 4
    (body,) = _bodies(out).values()
    assert body.is_watertight and body.volume > 0
    expected = _expected_mm(bunny, 10)
    assert body.extents[:2] == pytest.approx(expected[:2], rel=0.005)
    assert body.extents[2] - result.plinth_mm == pytest.approx(expected[2], rel=0.005)
    assert f"{after} of {before} faces kept" in Path(result.report).read_text()


def test_base_plate_lettering_is_geometry(models, tmp_path):
    """The reference line stands in relief: the plate's section halfway up the relief holds
    the same shapes as the font's outlines of the line (drawn here by matplotlib)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    from bsu_models.render.fonts import font_path

    cat, bunny, _fandisk = models
    out = tmp_path / "bunny.3mf"
    result = cat.print_model(bunny.version_id, scale="1:2", out=out)
    (body,) = _bodies(out).values()
    assert body.is_watertight
    solid = _solid(body)
    x0, y0 = body.bounds[0][:2]
    # The reference line starts at the model's west edge, 9 mm above the band's margin.
    left = x0 + base_plate.MARGIN
    baseline = y0 + base_plate.MARGIN + 9.0
    line = base_plate.reference_line(CASE, 2)
    path = TextPath(
        (0, 0), line, size=base_plate.TEXT_HEIGHT, prop=FontProperties(fname=font_path()[0])
    )
    expected = manifold3d.CrossSection(
        [np.asarray(p) for p in path.to_polygons()], manifold3d.FillRule.EvenOdd
    )
    ex0, ey0, ex1, ey1 = expected.bounds()
    window = manifold3d.CrossSection.square((ex1 - ex0 + 2, ey1 - ey0 + 2)).translate(
        (left + ex0 - 1, baseline + ey0 - 1)
    )
    found = solid.slice(base_plate.THICKNESS + base_plate.RELIEF / 2) ^ window
    assert found.area() == pytest.approx(expected.area(), rel=0.03)
    # One shape per glyph piece: letters, digits, hyphens, the colon's two dots.
    assert found.num_contour() == pytest.approx(expected.num_contour(), abs=2)
    # Above the relief there is nothing of the band.
    assert (solid.slice(base_plate.THICKNESS + base_plate.RELIEF + 0.05) ^ window).is_empty()
    assert result.size_mm[0] > result.landmark_size_mm[0]


def test_tiles_put_together_make_the_whole(models, tmp_path):
    cat, bunny, _fandisk = models
    out = tmp_path / "tiles.3mf"
    bed = (120.0, 120.0, 220.0)
    result = cat.print_model(bunny.version_id, scale="1:1.5", out=out, bed=bed)
    bodies = _bodies(out)
    tiles = [b for name, b in bodies.items() if name.startswith("tile-")]
    pins = [b for name, b in bodies.items() if name.startswith("pin-")]
    assert len(tiles) >= 2 and len(tiles) == result.tiles[0] * result.tiles[1]
    assert pins and len(pins) == result.pins
    for body in bodies.values():
        assert body.is_watertight and body.volume > 0
    for tile in tiles:
        assert (tile.extents[:2] <= np.array(bed[:2])).all()
    union = manifold3d.Manifold.batch_boolean([_solid(t) for t in tiles], manifold3d.OpType.Add)
    assert union.volume() == pytest.approx(result.volume_mm3, rel=0.01)
    # Each pin fits its holes: the tiles leave room where each pin goes.
    for pin in pins:
        assert (_solid(pin) ^ union).volume() < 0.01 * pin.volume


def yard_with_posts(path: Path) -> Path:
    """A 200 mm yard with three lamp posts 4 mm across: 0.8 mm at 1:500 of a 1:100 model."""
    ground = trimesh.creation.box(extents=(200, 200, 40))
    posts = [trimesh.creation.cylinder(radius=2, height=200, sections=16) for _ in range(3)]
    for number, post in enumerate(posts):
        post.apply_translation((-60 + 60 * number, 0, 110))
    trimesh.util.concatenate([ground, *posts]).export(path)
    return path


def test_refusals_come_before_anything_is_written(models, tmp_path, testdata):
    cat, bunny, _fandisk = models
    teapot = cat.import_model(upload(testdata / "teapot.obj"), case=CASE, name="Teapot").version
    out = tmp_path / "out" / "print.3mf"
    out.parent.mkdir()
    with pytest.raises(bsu_models.InvalidInput, match="unknown units or scale"):
        cat.print_model(teapot.version_id, scale="1:100", out=out)
    with pytest.raises(bsu_models.InvalidInput, match="tiles are not allowed"):
        cat.print_model(bunny.version_id, scale="1:1", out=out, bed=(120, 120, 220), tiles=False)
    with pytest.raises(bsu_models.InvalidInput, match="more than the bed's"):
        cat.print_model(bunny.version_id, scale="1:0.5", out=out)
    with pytest.raises(bsu_models.InvalidInput, match=r"as \.3mf or \.stl"):
        cat.print_model(bunny.version_id, scale="1:2", out=out.with_suffix(".obj"))
    path = yard_with_posts(tmp_path / "yard.ply")
    yard = cat.import_model(upload(path), case=CASE, name="Yard", units="mm", scale="1:100").version
    with pytest.raises(bsu_models.InvalidInput, match=r"thinner than the minimum wall of 1\.2 mm"):
        cat.print_model(yard.version_id, scale="1:500", out=out, base=False)
    assert not any(out.parent.iterdir())
    # Without the check it prints.
    cat.print_model(yard.version_id, scale="1:500", out=out, base=False, min_wall=0)
    assert out.exists()


def test_a_failing_report_leaves_no_files_and_no_event(models, tmp_path):
    """A font file that cannot be read fails the PDF report, the last thing made: no print and
    no text report are left behind without their PDF and audit event."""
    cat, _bunny, fandisk = models
    not_a_font = tmp_path / "broken.ttf"
    not_a_font.write_bytes(b"not a font")
    broken = cat.__class__(replace(cat.settings, font_file=str(not_a_font)))
    out = tmp_path / "out" / "fandisk.stl"
    out.parent.mkdir()
    before = cat.audit_events(limit=None)
    try:
        with pytest.raises(bsu_models.InvalidSetting, match="not a font that can be read"):
            broken.print_model(fandisk.version_id, scale="1:80", out=out, base=False)
    finally:
        broken.close()
    assert list(out.parent.iterdir()) == []
    assert [e for e in cat.audit_events(limit=None) if e.action == "model.print"] == [
        e for e in before if e.action == "model.print"
    ]


def test_cli_json_audit_and_same_bytes(models, tmp_path, monkeypatch, capsys):
    cat, _bunny, fandisk = models
    monkeypatch.setenv("BSU_DATA_DIR", str(cat.settings.data_dir))
    monkeypatch.setenv("BSU_DATABASE_URL", cat.settings.database_url)
    outs = [tmp_path / "a.3mf", tmp_path / "b.3mf"]
    reports = []
    for out, language in zip(outs, ("en", "zh_HK"), strict=True):
        code = main(
            ["print", str(fandisk.version_id), "--scale", "1:80", "--out", str(out), "--json",
             "--language", language]
        )  # fmt: skip
        printed, err = capsys.readouterr()
        assert code == 0, err
        reports.append(json.loads(printed))
    payload = json.loads(printed)
    assert payload["scale"] == "1:80" and payload["source_sha256"] == fandisk.original_sha256
    assert payload["files"][0]["sha256"] == hashlib.sha256(outs[1].read_bytes()).hexdigest()
    assert outs[0].read_bytes() == outs[1].read_bytes()
    with zipfile.ZipFile(outs[1]) as archive:
        model = archive.read("3D/3dmodel.model").decode()
    assert 'unit="millimeter"' in model and fandisk.original_sha256 in model
    report = Path(payload["report"]).read_text()
    assert fandisk.original_sha256 in report and "1:80" in report
    assert "manifold3d " in report and "fast-simplification " in report
    # The PDF report: the same facts, in the report's language, with a picture of the print.
    for sent, title in zip(reports, ("Print report", "列印報告"), strict=True):
        pdf = Path(sent["report_pdf"]).read_bytes()
        assert sent["report_pdf_sha256"] == hashlib.sha256(pdf).hexdigest()
        (page,) = PdfReader(io.BytesIO(pdf)).pages
        # poppler's pdftotext reads the text as a court's PDF reader would.
        text = subprocess.run(
            ["pdftotext", sent["report_pdf"], "-"], capture_output=True, text=True, check=True
        ).stdout.replace("\n", " ")
        assert title in text and fandisk.original_sha256 in text and "1:80" in text
        assert sent["files"][0]["sha256"] in text and "manifold3d" in text
        # Latin words stay whole where a Chinese line breaks.
        assert "NumPy" in text
        if title == "列印報告":
            # No English words in the Chinese report: only names, files and software.
            names = [CASE, fandisk.model_name, "SHA-256", "BSU Models", *sent["parts"]]
            names += [Path(f["path"]).name for f in sent["files"]]
            names += [f"{k} {v}" for k, v in software_versions(print_report.PRINT_TOOLS).items()]
            for shown in (text, Path(sent["report"]).read_text()):
                assert _latin_words(shown) <= _latin_words(" ".join(names)), shown
                assert f"{CASE} / {fandisk.model_name}，第 {fandisk.number} 版" in shown
        (picture,) = page.images
        assert picture.image.size == print_report.PICTURE_PX
        # The print stands out of the background: the picture is not one flat colour.
        assert np.asarray(picture.image.convert("L")).std() > 10
    event = cat.audit_events(limit=1)[0]
    assert (event.action, event.object_sha256) == ("model.print", fandisk.original_sha256)
    assert event.details["files"][0]["sha256"] == payload["files"][0]["sha256"]
    assert event.details["report_pdf_sha256"] == payload["report_pdf_sha256"]
    code = main(
        ["print", str(fandisk.version_id), "--scale", "1:80", "--out", "x.3mf", "--bed", "9x9"]
    )
    assert code == 2 and "bed must be three sizes" in capsys.readouterr().err


def test_markers_of_a_scene_step(models, tmp_path):
    """A witness (eyes at 1.60 m) and a car at a step of a scene on a 20 x 12 m yard, printed
    at 1:100: each a closed part of its own, at the person's height, standing where placed."""
    from bsu_models import Entity, Position, Step
    from bsu_models.fabricate.markers import TAB_THICKNESS

    cat, _bunny, _fandisk = models
    ground = trimesh.creation.box(extents=(200, 120, 10))
    ground.apply_translation((100, 60, 5))
    path = tmp_path / "yard.ply"
    ground.export(path)
    yard = cat.import_model(upload(path), case=CASE, name="Yard", units="mm", scale="1:100").version
    scene = cat.scenes.create(yard.version_id, "Sequence")
    doc = cat.scenes.document(scene.scene_id)
    doc = doc.with_entity(Entity("w1", "證人 W1", "witness", "#2a9d8f"))
    doc = doc.with_entity(Entity("c1", "私家車", "vehicle", "#f4a261"))
    doc = doc.with_step(Step("s1", "Seen")).with_step(Step("s2", "Gone"))
    doc = doc.with_position(Position("w1", "s1", (50.0, 40.0, 10.0), eye_height_m=1.6))
    doc = doc.with_position(Position("c1", "s1", (150.0, 80.0, 10.0), heading_deg=90.0))
    doc = doc.with_position(Position("w1", "s2", (60.0, 40.0, 10.0)))
    cat.scenes.save(scene.scene_id, doc, scene.revision)
    out = tmp_path / "yard.3mf"
    result = cat.print_model(
        yard.version_id, scale="1:100", out=out, scene_id=scene.scene_id, step=1
    )
    bodies = _bodies(out)
    assert {"marker-w1", "marker-c1"} <= set(bodies) and "marker-w1" in result.parts
    for name in ("marker-w1", "marker-c1"):
        assert bodies[name].is_watertight and bodies[name].volume > 0
    model = bodies["model-on-base"]
    witness, car = bodies["marker-w1"], bodies["marker-c1"]
    # 1.72 m (eyes and head) at 1:100, on its tab; the car 1.5 m high, 4.5 m long east-west.
    assert witness.extents[2] - TAB_THICKNESS == pytest.approx(17.2, abs=0.1)
    assert car.extents[2] - TAB_THICKNESS == pytest.approx(15.0, abs=0.1)
    # The witness stands on the ground's top, 50 mm east and 40 mm north of the yard's corner.
    ground_top = model.bounds[1][2]
    assert witness.bounds[0][2] == pytest.approx(ground_top, abs=0.05)
    x0, y0 = model.bounds[0][:2] + base_plate.MARGIN + np.array([0.0, base_plate.BAND])
    section = _solid(witness).slice(ground_top + TAB_THICKNESS + 5.0)
    cx0, cy0, cx1, cy1 = section.bounds()
    assert ((cx0 + cx1) / 2 - x0, (cy0 + cy1) / 2 - y0) == pytest.approx((50.0, 40.0), abs=0.2)
    event = cat.audit_events(limit=1)[0]
    assert event.details["markers"] == ["w1", "c1"] and event.details["step"] == 1
    # The reports name what the markers came from, as the event does.
    revision, sha = cat.scenes.current_revision(scene.scene_id)
    assert event.details["revision_sha256"] == sha
    assert result.to_json()["scene"] == {
        "id": scene.scene_id, "name": "Sequence", "revision": revision,
        "revision_sha256": sha, "step": 1, "step_title": "Seen",
    }  # fmt: skip
    report = Path(result.report).read_text()
    assert f"Scene: Sequence (scene {scene.scene_id}), revision {revision}, SHA-256 {sha}" in report
    assert "Markers at step 1: Seen" in report
    pdf_text = subprocess.run(
        ["pdftotext", result.report_pdf, "-"], capture_output=True, text=True, check=True
    ).stdout
    assert sha in pdf_text and "Markers at step 1: Seen" in pdf_text
    with zipfile.ZipFile(out) as archive:
        assert (
            f"revision {revision} (SHA-256 {sha}) step 1"
            in archive.read("3D/3dmodel.model").decode()
        )


def test_labels_and_names_are_printed_as_typed(sqlite_catalogue, tmp_path, monkeypatch, capsys):
    """A marker's lettering is its label as typed: "**bold** $x$" is wider than "bold" by the
    width of the characters that would be markup elsewhere; the report names the model as typed."""
    from bsu_models import Entity, Position, Step
    from bsu_models.fabricate import relief
    from bsu_models.fabricate.markers import TAB_TEXT

    cat = sqlite_catalogue
    cat.add_case(CASE, MARKUP)
    ground = trimesh.creation.box(extents=(200, 120, 10))
    ground.apply_translation((100, 60, 5))
    path = tmp_path / "yard.ply"
    ground.export(path)
    yard = cat.import_model(upload(path), case=CASE, name=MARKUP, units="mm", scale="1:100").version
    with pytest.raises(bsu_models.InvalidInput, match="looks like markup"):
        Entity("w3", "<script>alert(1)</script>", "witness")
    scene = cat.scenes.create(yard.version_id, "Sequence")
    doc = cat.scenes.document(scene.scene_id).with_step(Step("s1", "Seen"))
    for n, label in ((1, "**bold** $x$"), (2, "bold")):
        doc = doc.with_entity(Entity(f"w{n}", label, "witness"))
        doc = doc.with_position(Position(f"w{n}", "s1", (50.0 * n, 40.0, 10.0)))
    cat.scenes.save(scene.scene_id, doc, scene.revision)
    monkeypatch.setenv("BSU_DATA_DIR", str(cat.settings.data_dir))
    monkeypatch.setenv("BSU_DATABASE_URL", cat.settings.database_url)
    out = tmp_path / "yard.3mf"
    code = main(["print", str(yard.version_id), "--scale", "1:100", "--out", str(out),
                 "--scene", str(scene.scene_id), "--json"])  # fmt: skip
    printed, err = capsys.readouterr()
    assert code == 0, err
    report = Path(json.loads(printed)["report"]).read_text()
    assert f"Model: {CASE} / {MARKUP}, version 1" in report
    bodies = _bodies(out)
    font = cat.settings.font_file
    wider = relief.text_width("**bold** $x$", TAB_TEXT, font) - relief.text_width(
        "bold", TAB_TEXT, font
    )
    assert wider > 5
    grown = bodies["marker-w1"].extents[0] - bodies["marker-w2"].extents[0]
    assert grown == pytest.approx(wider, abs=0.05)


def _block_version(cat: bsu_models.Catalogue, tmp_path: Path) -> bsu_models.VersionInfo:
    """A 60 x 40 x 20 m block imported into a new case: 120 x 80 x 40 mm at 1:500."""
    cat.add_case(CASE, "Mong Kok")
    path = tmp_path / "block.ply"
    trimesh.creation.box(extents=(60, 40, 20)).export(path)
    return cat.import_model(upload(path), case=CASE, name="Block", units="m", scale="1:1").version


def test_a_print_failing_part_way_leaves_the_earlier_print_as_it_was(sqlite_catalogue, tmp_path):
    """Printing again over an earlier print's files: when the last file cannot be put in place
    (a folder stands where its PDF report goes), the earlier print's files are still there,
    byte for byte, with no temporaries beside them and no event for the failed print."""
    cat = sqlite_catalogue
    version = _block_version(cat, tmp_path)
    out = tmp_path / "prints" / "block.3mf"
    out.parent.mkdir()
    earlier = cat.print_model(version.version_id, scale="1:500", out=out, base=False)
    pdf = Path(earlier.report_pdf)
    pdf.unlink()
    pdf.mkdir()
    before = {p.name: p.read_bytes() for p in out.parent.iterdir() if p.is_file()}
    assert set(before) == {"block.3mf", "block.print-report.txt"}
    events = len(cat.audit_events(limit=None))
    refused = r"block\.print-report\.pdf: cannot be written"
    with pytest.raises(bsu_models.InvalidInput, match=refused):
        cat.print_model(version.version_id, scale="1:400", out=out, base=False)
    after = {p.name: p.read_bytes() for p in out.parent.iterdir() if p.is_file()}
    assert after == before
    assert sorted(p.name for p in out.parent.iterdir()) == sorted([*before, pdf.name])
    assert len(cat.audit_events(limit=None)) == events
    # With the folder gone the same print goes through and replaces the earlier files.
    pdf.rmdir()
    later = cat.print_model(version.version_id, scale="1:400", out=out, base=False)
    assert out.read_bytes() != before["block.3mf"]
    assert hashlib.sha256(out.read_bytes()).hexdigest() == later.files[0][1]
    assert sorted(p.name for p in out.parent.iterdir()) == sorted([*before, pdf.name])


def test_a_refused_export_puts_the_earlier_files_back(tmp_path):
    """An export refused after its files are in place (its audit event not written) undoes
    them: the earlier file is back, the new one that had none is gone; kept, nothing else
    stays beside them."""
    print_file, report = tmp_path / "a.3mf", tmp_path / "a.print-report.txt"
    print_file.write_bytes(b"earlier print")
    placed = file_set.place_files([(print_file, b"new print"), (report, b"new report")])
    assert (print_file.read_bytes(), report.read_bytes()) == (b"new print", b"new report")
    placed.undo()
    assert print_file.read_bytes() == b"earlier print" and list(tmp_path.iterdir()) == [print_file]
    file_set.place_files([(print_file, b"new print"), (report, b"new report")]).keep()
    assert print_file.read_bytes() == b"new print"
    assert sorted(tmp_path.iterdir()) == sorted([print_file, report])


def test_two_sets_of_files_for_one_folder_take_turns(tmp_path):
    """A second print to the same name waits until the first is kept: never one print's file
    beside the other's report."""
    import threading

    print_file, report = tmp_path / "a.3mf", tmp_path / "a.print-report.txt"
    first = file_set.place_files([(print_file, b"first print"), (report, b"first report")])
    second_done = threading.Event()

    def second() -> None:
        file_set.place_files([(print_file, b"second print"), (report, b"second report")]).keep()
        second_done.set()

    waiting = threading.Thread(target=second)
    waiting.start()
    assert not second_done.wait(0.3)  # the first set holds the folder
    assert (print_file.read_bytes(), report.read_bytes()) == (b"first print", b"first report")
    first.keep()
    waiting.join(10)
    assert second_done.is_set()
    assert (print_file.read_bytes(), report.read_bytes()) == (b"second print", b"second report")
    assert sorted(tmp_path.iterdir()) == sorted([print_file, report])


def test_a_print_whose_event_is_saved_keeps_its_files_when_a_later_step_fails(
    sqlite_catalogue, tmp_path
):
    """The audit head file is written after the event commits; if that fails, the files the
    saved event names stay where it says, rather than the earlier print coming back."""
    cat = sqlite_catalogue
    version = _block_version(cat, tmp_path)
    out = tmp_path / "block.3mf"
    cat.print_model(version.version_id, scale="1:500", out=out, base=False)
    head = cat.settings.audit_head_file
    # A folder where the head file's next version is written: only the step after the commit
    # fails.
    (head.parent / f".{head.name}.{os.getpid()}.tmp").mkdir()
    with pytest.raises(OSError):
        cat.print_model(version.version_id, scale="1:400", out=out, base=False)
    (saved,) = cat.audit_events(limit=1)
    assert saved.action == "model.print" and saved.details["scale"] == "1:400"
    assert hashlib.sha256(out.read_bytes()).hexdigest() == saved.details["files"][0]["sha256"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".block")]


def test_an_stl_print_with_fewer_parts_replaces_all_of_the_earlier_parts(
    sqlite_catalogue, tmp_path
):
    """An STL print in tiles, then one in a single piece to the same name: the earlier tiles
    and pins go with the rest of the earlier print (kept while the new one fails)."""
    cat = sqlite_catalogue
    version = _block_version(cat, tmp_path)
    out = tmp_path / "prints" / "block.stl"
    out.parent.mkdir()
    beside = out.parent / "block-notes.stl"  # not a part name: never touched
    beside.write_bytes(b"someone else's file")
    tiled = cat.print_model(
        version.version_id, scale="1:500", out=out, base=False, bed=(100, 100, 220)
    )
    tiled_names = {Path(p).name for p, _sha in tiled.files}
    assert len(tiled_names) >= 3 and "block.stl" not in tiled_names
    reports = {"block.print-report.txt", "block.print-report.pdf"}
    assert {p.name for p in out.parent.iterdir()} == tiled_names | reports | {beside.name}

    # Failing part way (a folder where the PDF goes): the tiles stay, byte for byte.
    before = {p.name: p.read_bytes() for p in out.parent.iterdir() if p.is_file()}
    pdf = out.parent / "block.print-report.pdf"
    pdf.unlink()
    pdf.mkdir()
    with pytest.raises(bsu_models.InvalidInput, match="cannot be written"):
        cat.print_model(version.version_id, scale="1:500", out=out, base=False)
    after = {p.name: p.read_bytes() for p in out.parent.iterdir() if p.is_file()}
    assert after == {k: v for k, v in before.items() if k != pdf.name}
    pdf.rmdir()

    whole = cat.print_model(version.version_id, scale="1:500", out=out, base=False)
    assert [Path(p).name for p, _sha in whole.files] == ["block.stl"]
    assert {p.name for p in out.parent.iterdir()} == {"block.stl", beside.name} | reports
    assert beside.read_bytes() == b"someone else's file"
