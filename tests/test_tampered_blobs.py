"""Stored bytes changed on disk behind the catalogue's back are refused where they are read for
a scene, a picture, a print or the browser, with the integrity error's plain sentence, never
used: each read checks the bytes against the SHA-256 they are stored under."""

from __future__ import annotations

from pathlib import Path

import pytest
import trimesh

import bsu_models
from bsu_models.core.i18n import error_text
from tests.conftest import upload

CHANGED = "no longer matches its SHA-256"


def _tamper(cat: bsu_models.Catalogue, key: str, offset: int) -> None:
    """One bit of the stored file flipped, its layout kept (a geometry's vertex stays a number)."""
    path: Path = cat.blobs._path(key)  # type: ignore[attr-defined]
    data = bytearray(path.read_bytes())
    data[offset] ^= 1
    path.chmod(0o644)
    path.write_bytes(bytes(data))


def test_changed_stored_files_are_refused_not_used(sqlite_catalogue, tmp_path):
    cat = sqlite_catalogue
    cat.add_case("KC-B-1", "Blob case")
    # A size no other test uses: no process cache holds its geometry already.
    block = trimesh.creation.box(extents=(17.3, 11.9, 4.1))
    path = tmp_path / "block.ply"
    block.export(path)
    version = cat.import_model(
        upload(path), case="KC-B-1", name="Block", units="m", scale="1:1"
    ).version
    stored = {f.role: f.sha256 for f in version.files}
    _tamper(cat, stored["geometry"], 24)  # the lowest byte of the first vertex's x
    scene = cat.scenes.create(version.version_id, "Sequence")
    with pytest.raises(bsu_models.IntegrityError, match=CHANGED) as refused:
        cat.scenes.snap(version.version_id, [(0.0, 0.0, 10.0)])
    assert error_text(refused.value) == (
        f"Stored file {stored['geometry'][:12]} no longer matches its SHA-256."
    )
    with pytest.raises(bsu_models.IntegrityError, match=CHANGED):
        cat.scenes.preset_view(version.version_id, "plan")
    with pytest.raises(bsu_models.IntegrityError, match=CHANGED):
        cat.render_still(version.version_id, scene_id=scene.scene_id, size="storyboard")
    out = tmp_path / "prints" / "block.stl"
    out.parent.mkdir()
    with pytest.raises(bsu_models.IntegrityError, match=CHANGED):
        cat.print_model(version.version_id, scale="1:500", out=out, base=False)
    assert list(out.parent.iterdir()) == []
    for role in ("web_glb", "thumbnail"):
        _tamper(cat, stored[role], -1)
    with pytest.raises(bsu_models.IntegrityError, match=CHANGED):
        cat.web_glb(version.version_id)
    with pytest.raises(bsu_models.IntegrityError, match=CHANGED):
        cat.thumbnail_png(version.version_id)


def test_a_changed_web_copy_is_refused_for_a_textured_still(sqlite_catalogue, tmp_path):
    """A textured model's pictures take their texture from the web copy: changed on disk, the
    still is refused rather than drawn from it."""
    from PIL import Image

    cat = sqlite_catalogue
    cat.add_case("KC-B-2", "Textured blob case")
    Image.new("RGB", (16, 16), (190, 60, 40)).save(tmp_path / "tiles.png")
    (tmp_path / "deck.mtl").write_text("newmtl deck\nmap_Kd tiles.png\n")
    (tmp_path / "deck.obj").write_text(
        "mtllib deck.mtl\nv 0 0 0\nv 13.1 0 0\nv 13.1 7.3 0\nv 0 7.3 0\n"
        "vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nusemtl deck\nf 1/1 2/2 3/3 4/4\n"
    )
    files = [
        bsu_models.UploadFile(name, (tmp_path / name).read_bytes())
        for name in ("deck.obj", "deck.mtl", "tiles.png")
    ]
    version = cat.import_model(files, case="KC-B-2", name="Deck", units="m", scale="1:1").version
    assert version.has_texture
    web = next(f.sha256 for f in version.files if f.role == "web_glb")
    _tamper(cat, web, -1)
    with pytest.raises(bsu_models.IntegrityError, match=CHANGED):
        cat.render_still(version.version_id, size="storyboard")
