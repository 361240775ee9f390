"""A scan of the size the unit receives: 1.3M faces and an 8192 px photographic texture,
imported through the catalogue without raising any upload limit and its web levels built as
``derive`` builds them. Both levels keep their budgets, are stored whole and compressed (meshopt
geometry, KTX2 textures that stay compressed in GPU memory), and a click on ``low`` comes back
as a point on the full-resolution surface.

The low level is decoded here with the vendored ``MeshoptDecoder`` the browser uses (run by
Node, which comes with the npm that scripts/setup.sh installs), so the click starts from the
surface the browser shows.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import struct
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import trimesh
from sqlalchemy import select

import bsu_models
from bench._common import textured_grid, wavy_grid
from bsu_models.core.orm import WebLevelRow
from bsu_models.ingest.levels import read_glb
from tests.conftest import REPO, make_settings

pytestmark = pytest.mark.slow

CELLS = 806  # 2 * 806**2 = 1,299,272 faces
TEXTURE_PX = 8192
RESOLUTION = 1 / CELLS  # the grid's edge: the full mesh's resolution
DECODER = REPO / "viewer/components/scene3d/static/vendor/addons/libs/meshopt_decoder.module.js"


@dataclass(frozen=True)
class BigScan:
    cat: bsu_models.Catalogue
    version: bsu_models.VersionInfo
    original_sha256: str
    levels: dict[str, bsu_models.LevelInfo]


@pytest.fixture(scope="module")
def big_scan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigScan]:
    # The upload limits of the tests' catalogues (64 MiB, 5M faces) and the default texture
    # limit (8192 × 8192): the scan (36 MB) is within all of them.
    cat = bsu_models.open_catalogue(make_settings(tmp_path_factory.mktemp("big") / "data"))
    try:
        cat.add_case("KC-1", "big scan")
        glb = textured_grid(CELLS, TEXTURE_PX, grain=32)
        version = cat.import_model(
            [bsu_models.UploadFile("scan.glb", glb)], case="KC-1", name="Scan"
        ).version
        assert version.faces == 2 * CELLS**2
        levels = {level.level: level for level in cat.derive_levels(version.version_id)}
        yield BigScan(cat, version, hashlib.sha256(glb).hexdigest(), levels)
    finally:
        cat.close()


def test_levels_keep_their_budgets_and_are_stored_whole(big_scan: BigScan) -> None:
    cat, version, levels = big_scan.cat, big_scan.version, big_scan.levels
    assert version.original_sha256 == big_scan.original_sha256
    assert list(levels) == ["low", "high"]
    low, high = levels["low"], levels["high"]
    assert 100_000 < low.faces <= 150_000 and low.texture_px == 1024
    assert 400_000 < high.faces <= 500_000 and high.texture_px == 4096
    for level in levels.values():
        assert level.status == "ready" and level.warning is None
        assert level.texture_format == "ktx2"
        assert level.sha256 is not None
        data = cat.blobs.get(level.sha256)
        assert hashlib.sha256(data).hexdigest() == level.sha256 and len(data) == level.bytes
        doc, _binary = read_glb(data)
        assert doc["asset"]["extras"]["derived_from_sha256"] == version.original_sha256
    with cat.engine.connect() as connection:
        recorded = connection.execute(
            select(WebLevelRow.level, WebLevelRow.original_sha256).where(
                WebLevelRow.version_id == version.version_id
            )
        ).all()
    assert {level: sha for level, sha in recorded if level in levels} == {
        "low": version.original_sha256,
        "high": version.original_sha256,
    }
    # The web copy keeps the photograph as the very JPEG it came as (not encoded again, which
    # loses detail); the first frame's bytes are a small part of it.
    web = cat.web_glb(version.version_id)
    assert [image["mimeType"] for image in read_glb(web)[0]["images"]] == ["image/jpeg"]
    assert _images(web) == _images(cat.blobs.get(version.original_sha256))
    assert low.bytes * 8 <= len(web)


def _images(glb: bytes) -> list[bytes]:
    doc, binary = read_glb(glb)
    views = [doc["bufferViews"][image["bufferView"]] for image in doc["images"]]
    starts = [view.get("byteOffset", 0) for view in views]
    return [binary[a : a + view["byteLength"]] for a, view in zip(starts, views, strict=True)]


def _ktx2_gpu_bytes(ktx: bytes) -> tuple[int, int]:
    """(bytes the texture takes in GPU memory once transcoded, its full mipmap chain
    included; bytes of the same image as uncompressed RGBA without mipmaps), read from the
    KTX2 header and data format descriptor: ETC1S transcodes to 8-byte 4×4 blocks (ETC1,
    BC1), UASTC to 16-byte blocks (BC7, ASTC)."""
    assert ktx.startswith(b"\xabKTX 20\xbb\r\n\x1a\n")
    width, height = struct.unpack_from("<II", ktx, 20)
    (dfd_offset,) = struct.unpack_from("<I", ktx, 48)
    colour_model = ktx[dfd_offset + 12]
    block_bytes = {163: 8, 166: 16}[colour_model]  # KHR_DF_MODEL_ETC1S, KHR_DF_MODEL_UASTC
    gpu, w, h = 0, width, height
    while True:
        gpu += -(-w // 4) * -(-h // 4) * block_bytes
        if w == h == 1:
            return gpu, width * height * 4
        w, h = max(1, w // 2), max(1, h // 2)


def test_levels_are_compressed_for_the_gpu(big_scan: BigScan) -> None:
    for level in big_scan.levels.values():
        assert level.sha256 is not None
        doc, binary = read_glb(big_scan.cat.blobs.get(level.sha256))
        assert {"EXT_meshopt_compression", "KHR_mesh_quantization", "KHR_texture_basisu"} <= set(
            doc["extensionsUsed"]
        )
        (image,) = doc["images"]
        assert image["mimeType"] == "image/ktx2"
        view = doc["bufferViews"][image["bufferView"]]
        start = view.get("byteOffset", 0)
        ktx = binary[start : start + view["byteLength"]]
        assert struct.unpack_from("<II", ktx, 20) == (level.texture_px, level.texture_px)
        gpu, rgba = _ktx2_gpu_bytes(ktx)
        assert gpu <= rgba / 4, (level.level, gpu, rgba)


_DECODE = """
import fs from 'node:fs';
const [decoder, glb] = process.argv.slice(1);
const source = fs.readFileSync(decoder, 'utf8');
const { MeshoptDecoder } = await import(
  'data:text/javascript;base64,' + Buffer.from(source).toString('base64'));
await MeshoptDecoder.ready;
const data = fs.readFileSync(glb);
const jsonLength = data.readUInt32LE(12);
const doc = JSON.parse(data.subarray(20, 20 + jsonLength).toString());
const bin = data.subarray(20 + jsonLength + 8);
const out = {};
doc.bufferViews.forEach((view, index) => {
  const ext = (view.extensions || {}).EXT_meshopt_compression;
  if (!ext) return;
  const start = ext.byteOffset || 0;
  const target = new Uint8Array(ext.count * ext.byteStride);
  MeshoptDecoder.decodeGltfBuffer(target, ext.count, ext.byteStride,
    bin.subarray(start, start + ext.byteLength), ext.mode, ext.filter || 'NONE');
  out[index] = Buffer.from(target).toString('base64');
});
process.stdout.write(JSON.stringify(out));
"""

_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
_TYPES = {5120: "i1", 5121: "u1", 5122: "<i2", 5123: "<u2", 5125: "<u4", 5126: "<f4"}


def _decoded_surface(glb: bytes, work: Path) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (in the scene's coordinates) and faces of a meshopt-compressed GLB, as the
    browser decodes them."""
    node = shutil.which("node")
    assert node, "node is missing; `scripts/setup.sh` installs it with npm"
    (work / "level.glb").write_bytes(glb)
    done = subprocess.run(
        [node, "--input-type=module", "-e", _DECODE, str(DECODER), str(work / "level.glb")],
        capture_output=True,
        check=True,
        timeout=60,
    )
    decoded = {int(k): base64.b64decode(v) for k, v in json.loads(done.stdout).items()}
    doc, binary = read_glb(glb)

    def accessor(index: int) -> np.ndarray:
        acc = doc["accessors"][index]
        view = doc["bufferViews"][acc["bufferView"]]
        data = decoded.get(acc["bufferView"])
        if data is None:
            start = view.get("byteOffset", 0)
            data = binary[start : start + view["byteLength"]]
        dtype = np.dtype(_TYPES[acc["componentType"]])
        width = _COMPONENTS[acc["type"]]
        stride = view.get("byteStride", dtype.itemsize * width)
        values = np.ndarray(
            (acc["count"], width), dtype, data, acc.get("byteOffset", 0), (stride, dtype.itemsize)
        ).astype(np.float64)
        if acc.get("normalized"):
            values /= float(np.iinfo(dtype).max)
        return values

    def matrix(node: dict) -> np.ndarray:
        if "matrix" in node:
            return np.array(node["matrix"], dtype=float).reshape(4, 4).T
        x, y, z, w = node.get("rotation", (0, 0, 0, 1))
        rotation = trimesh.transformations.quaternion_matrix((w, x, y, z))
        scale = np.diag([*node.get("scale", (1, 1, 1)), 1.0])
        move = trimesh.transformations.translation_matrix(node.get("translation", (0, 0, 0)))
        return np.asarray(move @ rotation @ scale)

    vertices: list[np.ndarray] = []
    faces: list[np.ndarray] = []

    def walk(index: int, parent: np.ndarray) -> None:
        node = doc["nodes"][index]
        world = parent @ matrix(node)
        for primitive in doc["meshes"][node["mesh"]]["primitives"] if "mesh" in node else ():
            points = accessor(primitive["attributes"]["POSITION"])
            corners = accessor(primitive["indices"]).astype(np.int64).reshape(-1, 3)
            faces.append(corners + sum(len(v) for v in vertices))
            vertices.append(points @ world[:3, :3].T + world[:3, 3])
        for child in node.get("children", ()):
            walk(child, world)

    for root in doc["scenes"][doc.get("scene", 0)]["nodes"]:
        walk(root, np.eye(4))
    return np.concatenate(vertices), np.concatenate(faces)


def _distance_to_full_surface(point: np.ndarray) -> float:
    """Distance from ``point`` to the generated full-resolution mesh: its triangles in the
    grid cells around the point (beyond them the surface is farther than a cell)."""
    vertices, faces = wavy_grid(CELLS)
    i, j = (np.clip(np.floor(point[:2] * CELLS), 0, CELLS - 1)).astype(int)
    cells = [
        jj * CELLS + ii
        for jj in range(max(j - 1, 0), min(j + 2, CELLS))
        for ii in range(max(i - 1, 0), min(i + 2, CELLS))
    ]
    nearby = faces[np.r_[cells, np.add(cells, CELLS**2)]]
    triangles = vertices[nearby]
    closest = trimesh.triangles.closest_point(triangles, np.repeat([point], len(triangles), 0))
    return float(np.linalg.norm(closest - point, axis=1).min())


def test_a_click_on_low_lands_on_the_full_surface(big_scan: BigScan, tmp_path: Path) -> None:
    cat, version, low = big_scan.cat, big_scan.version, big_scan.levels["low"]
    assert low.sha256 is not None
    vertices, faces = _decoded_surface(cat.blobs.get(low.sha256), tmp_path)
    assert len(faces) == low.faces
    # Where the waves bend most, the simplified surface stands farthest off the full one.
    centroids = vertices[faces].mean(axis=1)
    face = int(np.argmin(np.linalg.norm(centroids[:, :2] - [np.pi / 8, np.pi / 5], axis=1)))
    on_low = centroids[face]
    off = _distance_to_full_surface(on_low)
    assert 1e-6 < off < RESOLUTION  # the browser's point: close to the full surface, not on it

    # The viewer sends the ray it cast and the point it hit; the server re-casts the ray.
    direction = np.array([0.2, -0.1, -1.0])
    origin = on_low - 0.5 * direction
    point, _face = cat.scenes.pick(version.version_id, origin, direction, on_low)
    assert _distance_to_full_surface(np.array(point)) < 1e-7
    assert np.linalg.norm(np.subtract(point, on_low)) < RESOLUTION
