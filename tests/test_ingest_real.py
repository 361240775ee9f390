"""Importing real meshes made by others: face counts, archives, and formats we refuse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import bsu_models
from bsu_models.ingest.levels import read_glb
from tests.conftest import upload


def _triangles_in_obj(path: Path) -> int:
    """Triangles an OBJ's polygons make, counted straight from its ``f`` lines."""
    count = 0
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("f "):
            count += len(line.split()) - 3
    return count


@pytest.mark.parametrize("name", ["stanford-bunny.obj", "teapot.obj", "fandisk.obj", "beetle.obj"])
def test_real_obj_imports_with_its_face_count(sqlite_catalogue, testdata, name):
    sqlite_catalogue.add_case("KC-2026-0001", "Real meshes")
    path = testdata / name
    result = sqlite_catalogue.import_model(upload(path), case="KC-2026-0001", name=name)
    assert result.version.faces == _triangles_in_obj(path)
    assert (
        result.version.original_sha256
        == __import__("hashlib").sha256(path.read_bytes()).hexdigest()
    )


def test_documented_face_counts(sqlite_catalogue, testdata):
    sqlite_catalogue.add_case("KC-2026-0001", "Real meshes")
    counts = {"stanford-bunny.obj": 69_451, "teapot.obj": 6_320, "fandisk.obj": 12_946}
    for name, faces in counts.items():
        version = sqlite_catalogue.import_model(
            upload(testdata / name), case="KC-2026-0001", name=name
        ).version
        assert version.faces == faces
    assert not sqlite_catalogue.verify().problems


def test_fandisk_is_watertight_and_bunny_is_open(sqlite_catalogue, testdata):
    sqlite_catalogue.add_case("C-1", "Watertightness")
    fandisk = sqlite_catalogue.import_model(
        upload(testdata / "fandisk.obj"), case="C-1", name="fandisk"
    ).version
    bunny = sqlite_catalogue.import_model(
        upload(testdata / "stanford-bunny.obj"), case="C-1", name="bunny"
    ).version
    assert fandisk.watertight and not bunny.watertight


def test_zip_with_macos_junk_imports_the_triangle_strip_ply(sqlite_catalogue, testdata):
    sqlite_catalogue.add_case("C-1", "cow")
    version = sqlite_catalogue.import_model(
        upload(testdata / "cow.zip"), case="C-1", name="cow"
    ).version
    # cow.ply stores its surface as one triangle strip; the classic cow has 5,804 triangles.
    assert (version.vertices, version.faces) == (2_903, 5_804)
    assert version.mesh_member == "cow.ply"
    assert [f.role for f in version.files if f.role == "archive"] == ["archive"]
    assert sqlite_catalogue.verify().ok  # the archive is the stored original


def test_textured_bundle_needs_a_choice_then_warns_about_unlinked_texture(
    sqlite_catalogue, testdata
):
    sqlite_catalogue.add_case("C-1", "spot")
    with pytest.raises(bsu_models.AmbiguousUpload) as refused:
        sqlite_catalogue.import_model(upload(testdata / "spot.zip"), case="C-1", name="spot")
    assert "spot/spot_quadrangulated.obj" in refused.value.candidates
    version = sqlite_catalogue.import_model(
        upload(testdata / "spot.zip"), case="C-1", name="spot", member="spot_quadrangulated.obj"
    ).version
    assert version.faces == 2 * 2_928  # every quad is two triangles
    assert not version.has_texture
    [warning] = sqlite_catalogue.get_version(version.version_id).warnings
    assert "spot_texture.png" in str(warning) and "does not reference" in str(warning)
    # Stored as a message, so it reads in either language.
    chinese = bsu_models.localise(warning, "zh_HK")
    assert "spot_texture.png" in chinese and "does not reference" not in chinese


def test_multi_mesh_archive_without_choice_lists_candidates_and_stores_nothing(
    sqlite_catalogue, testdata
):
    sqlite_catalogue.add_case("C-1", "homer")
    with pytest.raises(bsu_models.AmbiguousUpload) as refused:
        sqlite_catalogue.import_model(upload(testdata / "homer.zip"), case="C-1", name="homer")
    message = str(refused.value)
    assert message.startswith("homer.zip holds 7 meshes")
    assert "homer/homer_35.off" in message
    assert list(sqlite_catalogue.blobs.keys()) == []
    version = sqlite_catalogue.import_model(
        upload(testdata / "homer.zip"), case="C-1", name="homer", member="homer/homer_35.off"
    ).version
    assert version.faces == 9_590


def test_vrml_archive_is_refused_by_name(sqlite_catalogue, testdata):
    sqlite_catalogue.add_case("C-1", "ogre")
    with pytest.raises(bsu_models.UnsupportedFormat, match=r"ogre\.zip.*VRML"):
        sqlite_catalogue.import_model(upload(testdata / "ogre.zip"), case="C-1", name="ogre")
    assert list(sqlite_catalogue.blobs.keys()) == []
    assert sqlite_catalogue.list_models() == []


def _pyvista_examples() -> list[Path]:
    import pyvista

    return sorted((Path(pyvista.__file__).parent / "examples").glob("*.ply"))


def _ply_header_faces(path: Path) -> int:
    header = path.read_bytes().split(b"end_header")[0]
    for line in header.splitlines():
        if line.startswith(b"element face"):
            return int(line.split()[2])
    raise AssertionError(f"{path.name} has no face element")


@pytest.mark.parametrize("path", _pyvista_examples(), ids=lambda p: p.name)
def test_pyvista_sample_ply_imports(sqlite_catalogue, path):
    sqlite_catalogue.add_case("C-1", "pyvista samples")
    version = sqlite_catalogue.import_model(upload(path), case="C-1", name=path.stem).version
    assert version.faces == _ply_header_faces(path)


def test_obj_with_mtl_and_texture_keeps_its_texture(sqlite_catalogue, tmp_path):
    from PIL import Image

    image = tmp_path / "paving.jpg"
    noise = np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(image, quality=95)
    (tmp_path / "deck.mtl").write_text("newmtl deck\nmap_Kd paving.jpg\n")
    (tmp_path / "deck.obj").write_text(
        "mtllib deck.mtl\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\n"
        "vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nusemtl deck\nf 1/1 2/2 3/3 4/4\n"
    )
    sqlite_catalogue.add_case("C-1", "textured")
    files = [
        bsu_models.UploadFile(p.name, p.read_bytes())
        for p in (tmp_path / "deck.obj", tmp_path / "deck.mtl", image)
    ]
    version = sqlite_catalogue.import_model(files, case="C-1", name="deck").version
    assert version.has_texture and version.faces == 2
    assert {f.name for f in version.files if f.role in ("mesh", "companion")} == {
        "deck.obj",
        "deck.mtl",
        "paving.jpg",
    }
    glb = sqlite_catalogue.web_glb(version.version_id)
    # The photograph goes into the web copy as the very file uploaded, not encoded again.
    doc, binary = read_glb(glb)
    (stored,) = doc["images"]
    view = doc["bufferViews"][stored["bufferView"]]
    start = view.get("byteOffset", 0)
    assert stored["mimeType"] == "image/jpeg"
    kept, uploaded = binary[start : start + view["byteLength"]], image.read_bytes()
    assert kept == uploaded + b"\0" * (len(kept) - len(uploaded))  # padded to 4 bytes
    assert len(kept) - len(uploaded) < 4


def test_obj_with_two_textured_materials_keeps_both_in_the_web_copy(sqlite_catalogue, tmp_path):
    import io

    import trimesh
    from PIL import Image

    for name, colour in (("a.png", (200, 30, 30)), ("b.png", (30, 30, 200))):
        Image.new("RGB", (8, 8), colour).save(tmp_path / name)
    (tmp_path / "two.mtl").write_text("newmtl A\nmap_Kd a.png\nnewmtl B\nmap_Kd b.png\n")
    (tmp_path / "two.obj").write_text(
        "mtllib two.mtl\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 2 0 0\nv 2 1 0\n"
        "vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nusemtl A\nf 1/1 2/2 3/3 4/4\nusemtl B\nf 2/1 5/2 6/3 3/4\n"
    )
    sqlite_catalogue.add_case("C-1", "two materials")
    files = [
        bsu_models.UploadFile(n, (tmp_path / n).read_bytes())
        for n in ("two.obj", "two.mtl", "a.png", "b.png")
    ]
    version = sqlite_catalogue.import_model(files, case="C-1", name="two").version
    assert version.faces == 4 and version.has_texture and version.warnings == ()
    web = trimesh.load(io.BytesIO(sqlite_catalogue.web_glb(version.version_id)), file_type="glb")
    assert [g.visual.kind for g in web.geometry.values()] == ["texture", "texture"]
    still = sqlite_catalogue.render_still(
        version.version_id, preset="plan", date_text="25 Nov 2026"
    )
    assert still.size == (1920, 1080)
