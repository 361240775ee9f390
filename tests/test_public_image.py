"""Public social-media pictures: nothing sensitive in the pixels, the bytes or the document;
platform sizes; pixels-only PNGs; the officer's caption drawn in Chinese; same inputs, same
bytes. One image per platform is saved to ``test-artifacts/screenshots/`` for people to look at.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

import bsu_models
from bsu_models import Anchor, Entity, Measurement, Position, Provenance, Sightline, Step
from bsu_models.render.public_image import PLATFORM_NAMES, PLATFORM_SIZES, render_public_image
from bsu_models.scenes.scene_public import public_document
from tests.conftest import upload

pytestmark = pytest.mark.render
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
CASE = "KC-2026-0142"
SECRET_ID = "prot-w1"
SECRET_LABEL = "證人 W1 protected witness"
SECRET_NOTES = "lives at 12 Nathan Road"
MAGENTA = "#ff00ff"
TEAL = "#2a9d8f"  # the victim: a non-sensitive colour that must still be drawn
CAPTION = "天橋搶劫 重組 Footbridge re-enactment"


def _scene(cat: bsu_models.Catalogue, version: bsu_models.VersionInfo) -> int:
    """A two-step scene: a protected witness (magenta, with notes) who walks between the steps,
    measured to and looking at the victim, and people who may be shown."""
    lo, hi = (np.asarray(c) for c in version.bounds)
    centre, span = (lo + hi) / 2, hi - lo
    above = [
        centre + span * (dx, dy, 0) + (0, 0, span[2])
        for dx, dy in [
            (-0.25, -0.15),
            (-0.1, -0.25),
            (0.2, 0.1),
            (0.05, 0.3),
            (0.25, -0.2),
            (0.3, 0.0),
        ]
    ]
    w1a, w1b, v1, c1, s1a, s1b = (
        tuple(p) for p in cat.scenes.snap(version.version_id, np.array(above))
    )
    scene = cat.scenes.create(version.version_id, "天橋 re-enactment")
    doc = cat.scenes.document(scene.scene_id)
    for entity in (
        Entity(SECRET_ID, SECRET_LABEL, "witness", MAGENTA, notes=SECRET_NOTES, sensitive=True),
        Entity("v1", "V1", "victim", TEAL, notes="treated at Kwong Wah Hospital"),
        Entity("c1", "私家車 HK-1234", "vehicle", "#f4a261"),
        Entity("s1", "S1", "suspect", "#1d4ed8"),
    ):
        doc = doc.with_entity(entity)
    doc = doc.with_step(Step("st1", "Approach", "21:03", "W1 watches from the stairs.")).with_step(
        Step("st2", "Attack", "21:04")
    )
    for entity_id, step, point in (
        (SECRET_ID, "st1", w1a),
        (SECRET_ID, "st2", w1b),
        ("v1", "st1", v1),
        ("v1", "st2", v1),
        ("c1", "st2", c1),
        ("s1", "st1", s1a),
        ("s1", "st2", s1b),
    ):
        provenance = Provenance("witness_statement", "WS-12 p.3 (W1)")
        doc = doc.with_position(Position(entity_id, step, point, provenance=provenance))
    doc = doc.with_measurement(
        Measurement(
            "m1", "distance", "W1 to V1", "st2", a=Anchor(entity=SECRET_ID), b=Anchor(entity="v1")
        )
    )
    doc = doc.with_measurement(
        Measurement(
            "m2", "distance", "V1 to car", "st2", a=Anchor(entity="v1"), b=Anchor(entity="c1")
        )
    )
    doc = doc.with_sightline(Sightline("l1", SECRET_ID, Anchor(entity="v1"), "st2"))
    doc = doc.with_sightline(Sightline("l2", "c1", Anchor(entity="v1"), "st2"))
    return cat.scenes.save(scene.scene_id, doc, scene.revision, "placed everyone").scene_id


@pytest.fixture
def fandisk(sqlite_catalogue, testdata):
    """A real mesh (fandisk.obj, read as mm of a 1:100 model) with the scene on it."""
    cat = sqlite_catalogue
    cat.add_case(CASE, "旺角 Mong Kok")
    version = cat.import_model(
        upload(testdata / "fandisk.obj"), case=CASE, name="Fandisk yard", units="mm", scale="1:100"
    ).version
    return cat, version.version_id, _scene(cat, version)


@pytest.fixture
def yard(sqlite_catalogue, tmp_path):
    """A flat 1000 x 600 yard with a wall (mm, 1:100) with the scene on it."""
    cat = sqlite_catalogue
    cat.add_case(CASE, "旺角 Mong Kok")
    ground = trimesh.creation.box(extents=(1000, 600, 10))
    ground.apply_translation((0, 0, -5))
    wall = trimesh.creation.box(extents=(20, 400, 300))
    path = tmp_path / "yard.ply"
    trimesh.util.concatenate([ground, wall.apply_translation((0, 0, 150))]).export(path)
    version = cat.import_model(
        upload(path), case=CASE, name="Yard", units="mm", scale="1:100"
    ).version
    return cat, version.version_id, _scene(cat, version)


def _public(setup, **options) -> bytes:
    cat, version_id, scene_id = setup
    options.setdefault("platform", "square")
    options.setdefault("caption", CAPTION)
    options.setdefault("preset", "plan")
    return render_public_image(
        cat, version_id, scene_id=scene_id, revision=2, step=2, view=None, **options
    )


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def _magenta(image: np.ndarray) -> int:
    """Pixels of magenta hue, shaded or blended with white included: red and blue both well
    above green and close to each other."""
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    return int(((r - g > 60) & (b - g > 60) & (np.abs(r - b) < 50)).sum())


def _near(image: np.ndarray, colour: str, tolerance: int = 12) -> int:
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(image - rgb).max(axis=2) <= tolerance).sum())


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk, checking the signature, lengths and CRCs."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    found, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind, data = png[offset + 4 : offset + 8], png[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", png[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF, kind
        found.append((kind, data))
        offset += 12 + length
    assert offset == len(png)
    return found


def _only_pixel_chunks(png: bytes) -> None:
    kinds = [k for k, _d in _chunks(png)]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    assert set(kinds) == {b"IHDR", b"IDAT", b"IEND"}, kinds


@pytest.mark.parametrize("mesh", ["fandisk", "yard"])
def test_sensitive_entity_is_in_the_court_still_but_in_no_public_picture(mesh, request):
    setup = request.getfixturevalue(mesh)
    cat, version_id, scene_id = setup
    court = cat.render_still(
        version_id, scene_id=scene_id, step=2, preset="plan", date_text="25 Nov 2026"
    )
    # The test can fail: the court still shows the protected witness, label and all.
    assert _magenta(_pixels(court.png)) > 200
    assert {b"tEXt", b"iTXt", b"zTXt"} & {k for k, _d in _chunks(court.png)}
    for platform, size in PLATFORM_SIZES.items():
        png = _public(setup, platform=platform)
        image = _pixels(png)
        assert Image.open(io.BytesIO(png)).size == size
        assert image.shape == (size[1], size[0], 3)
        assert _magenta(image) == 0, platform
        assert _near(image, TEAL) > 50, f"{platform}: the victim is not drawn"
        _only_pixel_chunks(png)
        for secret in (SECRET_LABEL, SECRET_NOTES, "Nathan", SECRET_ID, "WS-12", CASE):
            assert secret.encode() not in png
        for _kind, data in _chunks(png):
            if _kind == b"IDAT":
                continue
            assert b"Nathan" not in data
        if mesh == "fandisk":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            (SCREENSHOTS / f"public-{platform}.png").write_bytes(png)


def test_public_document_has_no_trace_of_the_sensitive_entity(fandisk):
    cat, _version_id, scene_id = fandisk
    stored = cat.scenes.document(scene_id)
    text = json.dumps(bsu_models.scene_to_json(stored), ensure_ascii=False)
    assert SECRET_ID in text and SECRET_NOTES in text  # so the check below can fail
    public = public_document(stored)
    text = json.dumps(bsu_models.scene_to_json(public), ensure_ascii=False)
    for secret in (SECRET_ID, SECRET_LABEL, SECRET_NOTES, "protected", "WS-12", "stairs"):
        assert secret not in text
    assert [e.id for e in public.entities] == ["v1", "c1", "s1"]
    assert all(not e.notes for e in public.entities)
    assert [m.id for m in public.measurements] == ["m2"]
    assert [s.id for s in public.sightlines] == ["l2"]
    assert not any(p.entity == SECRET_ID for p in public.positions)
    assert public_document(public) == public


def test_the_layer_is_computed_from_the_public_document_only(fandisk, monkeypatch):
    """Nothing re-reads the stored scene to evaluate measurements or sightlines."""
    cat, _version_id, _scene_id = fandisk

    def refuse(*_args, **_kwargs):
        raise AssertionError("the stored, unfiltered scene was read")

    monkeypatch.setattr(cat.scenes, "measure", refuse)
    monkeypatch.setattr(cat.scenes, "sightline", refuse)
    monkeypatch.setattr(cat.scenes, "layer", refuse)
    assert _magenta(_pixels(_public(fandisk))) == 0


def test_chinese_caption_is_drawn_in_the_band_only(yard):
    for platform, (width, height) in PLATFORM_SIZES.items():
        with_caption = _pixels(_public(yard, platform=platform))
        without = _pixels(_public(yard, platform=platform, caption=""))
        changed = (with_caption != without).any(axis=2)
        rows = np.flatnonzero(changed.any(axis=1))
        assert changed.sum() > 1500, f"{platform}: the caption left too little ink"
        # Only in the band along the bottom; the scene above is the same picture.
        assert rows.min() > height * 0.6, platform
        assert (np.flatnonzero(changed.any(axis=0)) < width * 0.75).all()


def test_same_inputs_give_the_same_bytes_and_platforms_are_checked(yard):
    assert _public(yard, platform="landscape") == _public(yard, platform="landscape")
    with pytest.raises(bsu_models.InvalidInput, match="square") as raised:
        _public(yard, platform="tiktok")
    for name in PLATFORM_NAMES:
        assert name in str(raised.value)


def test_each_render_is_an_audit_event(yard):
    cat, version_id, _scene_id = yard
    png = _public(yard, platform="portrait", actor="PC 1234")
    event = cat.audit_events()[0]
    assert (event.action, event.actor, event.object_id) == ("render", "PC 1234", str(version_id))
    assert event.details["public"] is True and event.details["platform"] == "portrait"
    assert event.details["caption_sha256"] == hashlib.sha256(CAPTION.encode()).hexdigest()
    assert event.details["png_sha256"] == hashlib.sha256(png).hexdigest()
