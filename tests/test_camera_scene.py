"""CCTV frames in a scene: kept as evidence, a camera matched on one, places and heights read
off it. The frame is the fandisk rendered by the stills renderer from a known camera; the pairs
are visible vertices projected with that camera's own matrix plus 0.5 px of noise."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import subprocess
import zlib

import numpy as np
import pytest
from PIL import Image

import bsu_models
from bsu_models import Entity, InvalidInput, Step
from bsu_models.cli.commands import main
from bsu_models.core.blob_gc import collect
from bsu_models.ingest.meshdata import MeshArrays
from bsu_models.render.stills import _projector, _render_model
from bsu_models.scenes.camera_service import pairs_from_arrays
from bsu_models.scenes.scene_json import scene_from_json, scene_to_json, validate_scene_json
from tests.conftest import MARKUP, approve_for_court, upload
from tests.test_camera_solve import SIZE, frame_and_pairs, known_camera

pytestmark = pytest.mark.render
CASE = "KC-2026-0142"
MARKER_M = 1.2  # a vertical marker of this height stands on the fandisk's top face


def _setup(cat, testdata):
    cat.add_case(CASE, "Camera matching")
    version = cat.import_model(
        upload(testdata / "fandisk.obj"), case=CASE, name="Fandisk", units="m", scale="1:1"
    ).version
    scene = cat.scenes.create(version.version_id, "CCTV sequence")
    doc = (
        cat.scenes.document(scene.scene_id)
        .with_entity(Entity("c1", "CAM 7", "camera"))
        .with_entity(Entity("w1", "W1", "witness"))
        .with_step(Step("s1", "Arrives", "21:03"))
    )
    cat.scenes.save(scene.scene_id, doc, scene.revision)
    geometry = cat.scenes.geometry(version.version_id)
    mesh = MeshArrays(np.asarray(geometry.mesh.vertices), np.asarray(geometry.mesh.faces))
    return version, scene.scene_id, mesh, geometry


def _marker(geometry, camera, mesh):
    """Feet on the top face near the model's middle, head MARKER_M above; and their pixels."""
    top = float(geometry.bounds[1][2])
    centre = geometry.bounds.mean(axis=0)
    hits, _faces = bsu_models.ingest.geometry.first_hits(
        geometry,
        np.array([[centre[0], centre[1], top + 1.0]]),
        np.array([[0.0, 0.0, -1.0]]),
    )
    feet = hits[0]
    head = feet + np.array([0.0, 0.0, MARKER_M])
    _pixels, world_to_clip = _render_model(mesh, camera, SIZE)
    project = _projector(world_to_clip, SIZE)
    return feet, head, project(np.array([head, feet]))


def test_frame_match_place_and_height(catalogue, testdata, tmp_path):
    version, scene_id, mesh, geometry = _setup(catalogue, testdata)
    camera = known_camera(mesh)
    png, pixels, points, _image = frame_and_pairs(mesh, camera, 16)

    frame = catalogue.cameras.add_frame(
        scene_id, "CAM 7", png, "cam7-210315.png",
        camera_ref="NTN-RD-07", recorded_at="2026-11-20T21:03:15", exhibit="JL/12",
    )  # fmt: skip
    assert frame.sha256 == hashlib.sha256(png).hexdigest()
    assert (frame.width, frame.height, frame.media_type) == (*SIZE, "image/png")
    assert catalogue.cameras.frame_bytes(scene_id, frame.sha256[:12]) == png
    assert [f.sha256 for f in catalogue.cameras.frames(scene_id, "CAM 7")] == [frame.sha256]
    with pytest.raises(bsu_models.Conflict):
        catalogue.cameras.add_frame(
            scene_id, "c1", png, "again.png",
            camera_ref="NTN-RD-07", recorded_at="2026-11-20 21:03", exhibit="JL/12",
        )  # fmt: skip

    before = catalogue.scenes.current_revision(scene_id)[0]
    info, solution = catalogue.cameras.match(scene_id, "CAM 7", pairs_from_arrays(pixels, points))
    assert info.revision == before + 1
    assert solution.rms_px < 2
    diagonal = float(np.linalg.norm(geometry.bounds[1] - geometry.bounds[0]))
    assert np.linalg.norm(np.subtract(solution.position, camera.position)) < 0.01 * diagonal
    doc = catalogue.scenes.document(scene_id)
    stored = doc.camera("c1")
    assert stored is not None and stored.frame_sha256 == frame.sha256
    assert stored.solution == solution and len(stored.pairs) == 16
    data = scene_to_json(doc)
    validate_scene_json(data)
    assert scene_from_json(json.loads(json.dumps(data))) == doc
    tampered = json.loads(json.dumps(data))
    tampered["cameras"][0]["pairs"][3][0] += 5.0  # a pair moved after the solve
    with pytest.raises(InvalidInput, match="does not belong to its point pairs"):
        scene_from_json(tampered)

    # A marker of known height: the feet place the witness, head and feet give the height.
    feet, _head, (head_px, feet_px) = _marker(geometry, camera, mesh)
    rng = np.random.default_rng(2)
    head_px = head_px + rng.normal(0, 0.5, 2)
    feet_px = feet_px + rng.normal(0, 0.5, 2)
    height = catalogue.cameras.height(scene_id, "CAM 7", tuple(head_px), tuple(feet_px))
    assert height.unit == "m" and height.units_known
    assert 0 < height.uncertainty < 0.2
    assert abs(height.value - MARKER_M) <= height.uncertainty
    reading = catalogue.cameras.place(scene_id, "W1", 1, "CAM 7", tuple(feet_px))
    assert np.linalg.norm(np.subtract(reading.point, feet)) <= max(reading.uncertainty, 1e-9)
    placed = catalogue.scenes.document(scene_id).position("w1", "s1")
    assert placed is not None and placed.provenance.kind == "cctv"
    assert placed.provenance.frame_sha256 == frame.sha256
    assert placed.provenance.pixel == pytest.approx(tuple(feet_px))
    assert "NTN-RD-07" in placed.provenance.reference
    assert reading.revision == catalogue.scenes.current_revision(scene_id)[0]

    # The frame is referenced: even with no age limit, gc would not take it.
    swept = collect(catalogue.engine, catalogue.blobs, "test", dry_run=True, min_age_s=0.0)
    assert frame.sha256 not in swept.blobs
    actions = [e.action for e in catalogue.audit_events(50)]
    assert {"cctv.frame_add", "cctv.frame_read", "scene.change"} <= set(actions)
    assert catalogue.verify().ok

    # The public form keeps no trace of the frame.
    public = catalogue.scenes.public_form(catalogue.scenes.document(scene_id), version.version_id)
    assert public.cameras == ()
    assert all(p.provenance.frame_sha256 is None for p in public.positions)


def test_scenes_without_cameras_keep_their_exact_document():
    """A scene of every other kind of item serialises to the very bytes (and SHA-256) it did
    before cameras could be matched."""
    doc = (
        bsu_models.SceneDoc(name="Old scene")
        .with_entity(Entity("w1", "W1", "witness"))
        .with_step(Step("s1", "Arrives", "21:03"))
        .with_position(
            bsu_models.Position(
                "w1", "s1", (1.0, 2.0, 0.5), provenance=bsu_models.Provenance("cctv", "CAM 7 21:03")
            )
        )
    )
    text = json.dumps(scene_to_json(doc), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Computed with the scene code before this change.
    assert hashlib.sha256(text.encode()).hexdigest() == OLD_SHA256


OLD_SHA256 = "9802c74b88f3414c11aa705f6bee6e54f00db75827ad343cfe89ba739c5cf03a"


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    )


def test_frames_are_checked_like_untrusted_uploads(sqlite_catalogue, testdata):
    cat = sqlite_catalogue
    _version, scene_id, _mesh, _geometry = _setup(cat, testdata)
    source = dict(camera_ref="NTN-RD-07", recorded_at="2026-11-20T21:03:15", exhibit="JL/12")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 90)).save(buffer, format="GIF")
    with pytest.raises(InvalidInput, match="must be a PNG or JPEG"):
        cat.cameras.add_frame(scene_id, "CAM 7", buffer.getvalue(), "frame.png", **source)
    # A header claiming 100000×100000 pixels is refused before anything decodes it.
    with pytest.raises(bsu_models.LimitExceeded, match="100000×100000"):
        cat.cameras.add_frame(scene_id, "CAM 7", _png_header(100_000, 100_000), "big.png", **source)
    with pytest.raises(InvalidInput, match="cannot be decoded"):
        cat.cameras.add_frame(scene_id, "CAM 7", _png_header(64, 48), "cut.png", **source)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 90)).save(buffer, format="JPEG")
    with pytest.raises(InvalidInput, match="not a camera"):
        cat.cameras.add_frame(scene_id, "W1", buffer.getvalue(), "f.jpg", **source)
    with pytest.raises(InvalidInput, match="2026-11-20T21:03:15"):
        cat.cameras.add_frame(
            scene_id, "CAM 7", buffer.getvalue(), "f.jpg", **{**source, "recorded_at": "soon"}
        )
    jpeg = cat.cameras.add_frame(scene_id, "CAM 7", buffer.getvalue(), "f.jpg", **source)
    assert jpeg.media_type == "image/jpeg"
    with pytest.raises(InvalidInput, match="at least 6 point pairs"):
        cat.cameras.match(scene_id, "CAM 7", pairs_from_arrays([[1, 1]] * 5, [[0, 0, 0]] * 5))
    assert cat.verify().ok


def test_frame_sources_are_shown_as_typed(
    sqlite_catalogue, testdata, tmp_path, monkeypatch, capsys
):
    cat = sqlite_catalogue
    _version, scene_id, _mesh, _geometry = _setup(cat, testdata)
    image = tmp_path / "**bold** $x$.png"
    Image.new("RGB", (64, 48), (90, 90, 90)).save(image)
    monkeypatch.setenv("BSU_DATA_DIR", str(cat.settings.data_dir))
    monkeypatch.setenv("BSU_DATABASE_URL", cat.settings.database_url)
    add = ["camera", "frame", "add", str(scene_id), "--camera", "CAM 7", "--image", str(image),
           "--time", "2026-11-20T21:03:15", "--exhibit", "JL/12 **bold** $x$"]  # fmt: skip
    code = main([*add, "--camera-id", "NTN \x1b[2J RD"])
    err = capsys.readouterr().err
    assert code == 2 and "contains a control character" in err and "\x1b" not in err
    assert main([*add, "--camera-id", MARKUP, "--json"]) == 0, capsys.readouterr().err
    kept = json.loads(capsys.readouterr().out)
    assert (kept["camera_id"], kept["exhibit"]) == (MARKUP, "JL/12 **bold** $x$")
    assert kept["name"] == "**bold** $x$.png"
    assert main(["camera", "frame", "list", str(scene_id)]) == 0
    listed = capsys.readouterr().out
    assert f"{MARKUP}  2026-11-20T21:03:15  JL/12 **bold** $x$" in listed, listed
    assert main(["camera", "frame", "list", str(scene_id), "--json"]) == 0
    [frame] = json.loads(capsys.readouterr().out)
    assert (frame["camera_id"], frame["exhibit"], frame["name"]) == (
        kept["camera_id"],
        kept["exhibit"],
        kept["name"],
    )


def test_cli_camera_solve(sqlite_catalogue, testdata, tmp_path, monkeypatch, capsys):
    cat = sqlite_catalogue
    version, _scene_id, mesh, _geometry = _setup(cat, testdata)
    camera = known_camera(mesh)
    png, pixels, points, _image = frame_and_pairs(mesh, camera, 12)
    (tmp_path / "frame.png").write_bytes(png)
    rows = [
        "u,v,x,y,z",
        *(
            ",".join(f"{c!r}" for c in (*p, *q))
            for p, q in zip(pixels.tolist(), points.tolist(), strict=True)
        ),
    ]
    (tmp_path / "pairs.csv").write_text("\n".join(rows) + "\n")
    monkeypatch.setenv("BSU_DATA_DIR", str(cat.settings.data_dir))
    monkeypatch.setenv("BSU_DATABASE_URL", cat.settings.database_url)
    code = main(["camera", "solve", str(version.version_id), "--image", str(tmp_path / "frame.png"),
                 "--points", str(tmp_path / "pairs.csv"), "--json"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    result = json.loads(out)
    diagonal = float(np.linalg.norm(np.subtract(*mesh.bounds[::-1])))
    assert np.linalg.norm(np.subtract(result["position"], camera.position)) < 0.01 * diagonal
    assert result["rms_px"] < 2 and result["focal_px"] > 0
    assert len(result["residuals_px"]) == 12
    assert result["frame_sha256"] == hashlib.sha256(png).hexdigest()
    # A text file called .png is refused with one line, as is a CSV with the wrong header.
    (tmp_path / "fake.png").write_text("not a picture")
    code = main(["camera", "solve", str(version.version_id), "--image", str(tmp_path / "fake.png"),
                 "--points", str(tmp_path / "pairs.csv")])  # fmt: skip
    assert code == 2 and "PNG or JPEG" in capsys.readouterr().err
    (tmp_path / "bad.csv").write_text("x,y,z,u,v\n1,2,3,4,5\n")
    code = main(["camera", "solve", str(version.version_id), "--image", str(tmp_path / "frame.png"),
                 "--points", str(tmp_path / "bad.csv")])  # fmt: skip
    assert code == 2 and "header u,v,x,y,z" in capsys.readouterr().err


def _matched_scene(cat, testdata):
    version, scene_id, mesh, geometry = _setup(cat, testdata)
    camera = known_camera(mesh)
    png, pixels, points, _image = frame_and_pairs(mesh, camera, 12)
    source = dict(camera_ref="NTN-RD-07", recorded_at="2026-11-20T21:03:15", exhibit="JL/12")
    cat.cameras.add_frame(scene_id, "CAM 7", png, "cam7.png", **source)
    cat.cameras.match(scene_id, "CAM 7", pairs_from_arrays(pixels, points))
    _feet, _head, (head_px, feet_px) = _marker(geometry, camera, mesh)
    cat.cameras.place(scene_id, "W1", 1, "CAM 7", tuple(feet_px))
    cat.cameras.record_height(scene_id, "CAM 7", "Marker", tuple(head_px), tuple(feet_px))
    return version, scene_id, png


def test_looking_through_the_camera_and_its_frustum(sqlite_catalogue, testdata, tmp_path):
    cat = sqlite_catalogue
    version, scene_id, png = _matched_scene(cat, testdata)
    frame = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    still = cat.camera_still(scene_id, "CAM 7", opacity=0.5)
    (tmp_path / "through.png").write_bytes(still.png)
    picture = Image.open(io.BytesIO(still.png))
    assert picture.info["frame-sha256"] == hashlib.sha256(png).hexdigest()
    scale = picture.width // SIZE[0]
    assert scale >= 2 and picture.height > SIZE[1] * scale  # the band under the picture
    # Frame only: the picture is the frame again (marks aside), so the fit can be judged.
    only_frame = Image.open(io.BytesIO(cat.camera_still(scene_id, "CAM 7", opacity=1.0).png))
    top = np.asarray(only_frame.convert("RGB"), dtype=float)[: SIZE[1] * scale : scale, ::scale]
    assert np.median(np.abs(top - frame)) < 1.0
    # Model only: the model drawn from the solved camera covers the frame's model pixels.
    only_model = Image.open(io.BytesIO(cat.camera_still(scene_id, "CAM 7", opacity=0.0).png))
    drawn = np.asarray(only_model.convert("RGB"), dtype=float)[: SIZE[1] * scale : scale, ::scale]
    background = frame[2, 2]
    in_frame = np.abs(frame - background).sum(axis=2) > 12
    in_model = np.abs(drawn - drawn[2, 2]).sum(axis=2) > 12
    assert (in_frame == in_model).mean() > 0.97
    # The frustum is drawn in an ordinary still of the scene.
    with_frustum = cat.render_still(version.version_id, scene_id=scene_id, step=1, preset="iso")
    without = cat.render_still(
        version.version_id,
        scene_id=scene_id,
        step=1,
        preset="iso",
        overlays=bsu_models.Overlays(frustums=False),
    )
    (tmp_path / "frustum.png").write_bytes(with_frustum.png)
    a = np.asarray(Image.open(io.BytesIO(with_frustum.png)).convert("RGB"), dtype=int)
    b = np.asarray(Image.open(io.BytesIO(without.png)).convert("RGB"), dtype=int)
    assert (np.abs(a - b).sum(axis=2) > 30).sum() > 500
    layer = cat.scenes.layer(
        scene_id, cat.scenes.document(scene_id), cat.scenes.document(scene_id).steps[0]
    )
    assert layer.frustums[0].apex == cat.cameras.solution(scene_id, "CAM 7").solution.position
    assert "frustums" in layer.to_json()


def test_exhibit_holds_the_frame_its_hash_pairs_and_heights(sqlite_catalogue, testdata, tmp_path):
    cat = sqlite_catalogue
    _version, scene_id, png = _matched_scene(cat, testdata)
    sha = hashlib.sha256(png).hexdigest()
    match = cat.cameras.solution(scene_id, "CAM 7")
    assert [h.label for h in match.heights] == ["Marker"]
    approve_for_court(cat, scene_id)
    cat.scenes.freeze(scene_id)
    result = cat.build_exhibit(scene_id, tmp_path / "exhibit", "JL/99")
    data = tmp_path / "exhibit" / "data"
    assert (data / "cctv" / "c1-frame.png").read_bytes() == png
    through = Image.open(data / "cctv" / "c1-through-camera.png")
    assert through.info["frame-sha256"] == sha
    manifest = (tmp_path / "exhibit" / "manifest-sha256.txt").read_text()
    assert f"{sha}  data/cctv/c1-frame.png" in manifest
    assert "cctv/" in (data / "README.txt").read_text()
    # poppler's pdftotext reads the text as a court's PDF reader would.
    text = subprocess.run(
        ["pdftotext", str(data / "exhibit-book.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = "".join(text.split())
    assert sha in flat
    assert "CCTVcameraCAM7" in flat and "NTN-RD-07" in flat
    assert f"{match.solution.rms_px:.2f}px" in flat
    for length in match.solution.residual_lengths:
        assert f"{length:.2f}" in flat
    height = cat.cameras.height(scene_id, "CAM 7", match.heights[0].head, match.heights[0].feet)
    assert "".join(height.text.split()) in flat
    assert "Marker" in flat and "W1" in flat
    assert bsu_models.verify_exhibit(tmp_path / "exhibit").valid
    assert result is not None


def test_what_the_camera_sees_is_shaded(sqlite_catalogue, testdata, tmp_path):
    from bsu_models.scenes.camera_reading import seen_faces

    cat = sqlite_catalogue
    version, scene_id, _png = _matched_scene(cat, testdata)
    solution = cat.cameras.solution(scene_id, "CAM 7").solution
    geometry = cat.scenes.geometry(version.version_id)
    seen = seen_faces(solution, geometry, stride_px=2)
    mesh = geometry.mesh
    centroids = np.asarray(mesh.triangles_center)
    pixels, depth = solution.project(centroids[seen])
    assert (depth > 0).all()
    assert (pixels[:, 0] > -2).all() and (pixels[:, 0] < SIZE[0] + 2).all()
    # Faces turned away from the camera are never seen (the fandisk is closed).
    away = np.einsum("ij,ij->i", np.asarray(mesh.face_normals), centroids - solution.position) > 0
    big = np.asarray(mesh.area_faces) > np.median(mesh.area_faces)
    assert not (seen & away & big).any()
    assert 0.1 < seen.mean() < 0.7
    still = cat.camera_coverage(scene_id, "CAM 7", preset="iso", size="1920x1080")
    (tmp_path / "coverage.png").write_bytes(still.png)
    plain = cat.render_still(version.version_id, scene_id=scene_id, step=1, preset="iso")
    a = np.asarray(Image.open(io.BytesIO(still.png)).convert("RGB"), dtype=int)
    b = np.asarray(Image.open(io.BytesIO(plain.png)).convert("RGB"), dtype=int)
    assert (np.abs(a - b).sum(axis=2) > 60).mean() > 0.02
