"""Format sniffing from bytes, triangle strips, the blob store, and the thumbnail renderer."""

from __future__ import annotations

import io
import os
import stat

import numpy as np
import pytest
from PIL import Image

from bsu_models.core.blobstore import LocalBlobStore, sha256_bytes
from bsu_models.ingest.formats import sniff
from bsu_models.ingest.meshdata import MeshArrays
from bsu_models.ingest.ply_strips import read_ply_with_strips, triangles_from_strips
from bsu_models.render.stills import render_thumbnail
from tests.conftest import REPO

DEMO = REPO / "assets" / "demo"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("street-corner.ply", "ply"),
        ("footbridge.obj", "obj"),
        ("footbridge.mtl", "mtl"),
        ("footbridge.png", "png"),
        ("bus-shelter.stl", "stl"),
        ("car-park.off", "off"),
    ],
)
def test_formats_are_recognised_from_bytes_whatever_the_name(name, expected):
    assert sniff((DEMO / name).read_bytes()) == expected


def test_real_archives_and_unknown_bytes(testdata):
    assert sniff((testdata / "cow.zip").read_bytes()) == "zip"
    assert sniff(b"#VRML V2.0 utf8\n") == "unknown"
    assert sniff(b"") == "unknown"
    assert sniff(b'{"asset": {"version": "2.0"}}') == "gltf"
    assert sniff(b"solid cube\n facet normal 0 0 1\n") == "stl"


def test_strips_alternate_winding_and_restart():
    tris = triangles_from_strips([np.array([0, 1, 2, 3, -1, 4, 5, 6])])
    assert tris.tolist() == [[0, 1, 2], [2, 1, 3], [4, 5, 6]]
    # The degenerate first window is dropped; the second keeps its odd (flipped) winding.
    assert triangles_from_strips([np.array([0, 0, 1, 2])]).tolist() == [[1, 0, 2]]


def test_binary_strips_of_unequal_length():
    header = (
        b"ply\nformat binary_little_endian 1.0\nelement vertex 5\nproperty float x\n"
        b"property float y\nproperty float z\nelement tristrips 2\n"
        b"property list int int vertex_indices\nend_header\n"
    )
    vertices = np.arange(15, dtype="<f4").tobytes()
    strips = np.array([3, 0, 1, 2], "<i4").tobytes() + np.array([4, 1, 2, 3, 4], "<i4").tobytes()
    points, faces = read_ply_with_strips(header + vertices + strips, "strips.ply")
    assert points.shape == (5, 3) and faces.tolist() == [[0, 1, 2], [1, 2, 3], [3, 2, 4]]


def test_blob_store_writes_once_read_only_and_reports_strays(tmp_path):
    store = LocalBlobStore(tmp_path)
    key = store.put(b"evidence")
    assert key == sha256_bytes(b"evidence") and store.put(b"evidence") == key
    path = store._path(key)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
    assert store.get_verified(key) == b"evidence" and list(store.keys()) == [key]
    (path.parent / ".incoming-abc").write_bytes(b"half")
    assert list(store.stray_files()) == [f"{key[:2]}/{key[2:4]}/.incoming-abc"]


def _box() -> MeshArrays:
    import trimesh

    box = trimesh.creation.box(extents=(3, 2, 1))
    return MeshArrays(np.asarray(box.vertices, dtype=float), np.asarray(box.faces, dtype=np.int64))


@pytest.mark.render
def test_thumbnail_is_deterministic_non_blank_and_names_its_source():
    first = render_thumbnail(_box(), (240, 180), "ab" * 32)
    second = render_thumbnail(_box(), (240, 180), "ab" * 32)
    assert first == second
    image = Image.open(io.BytesIO(first))
    assert image.size == (240, 180) and image.text["derived-from-sha256"] == "ab" * 32
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) > 10  # shaded faces, not one flat colour


def test_surface_facts_match_trimesh_on_closed_open_and_split_meshes():
    import trimesh

    from bsu_models.ingest.meshdata import is_watertight, merge_positions, surface_area

    box = trimesh.creation.box(extents=(2, 3, 4))
    two = trimesh.util.concatenate([box, box.copy().apply_translation((5, 0, 0))])
    holed = trimesh.Trimesh(box.vertices, box.faces[:-1], process=False)
    split = trimesh.Trimesh(
        box.triangles.reshape(-1, 3), np.arange(36).reshape(-1, 3), process=False
    )  # every corner repeated, as STL stores it
    for mesh, closed in ((box, True), (two, True), (holed, False), (split, True)):
        vertices, faces = merge_positions(np.asarray(mesh.vertices), np.asarray(mesh.faces))
        assert is_watertight(faces, len(vertices)) is closed
        assert surface_area(np.asarray(mesh.vertices), np.asarray(mesh.faces)) == pytest.approx(
            mesh.area
        )
    vertices, _faces = merge_positions(np.asarray(split.vertices), np.asarray(split.faces))
    assert len(vertices) == 8
    # An edge shared by three faces is not watertight.
    fin = np.vstack([box.faces, [[0, 1, 7]]])
    assert not is_watertight(fin, 8)
