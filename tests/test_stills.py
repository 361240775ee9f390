"""Court-grade stills: sizes, content, determinism, overlays on and off, an honest scale bar,
and text in Chinese drawn with real glyphs."""

from __future__ import annotations

import io
from dataclasses import fields

import numpy as np
import pytest
import trimesh
from PIL import Image, ImageFont

import bsu_models
from bsu_models import Anchor, Entity, Measurement, Position, Provenance, Sightline, Step
from bsu_models.render.overlay import Overlays
from tests.conftest import upload

pytestmark = pytest.mark.render
BACKGROUND = np.array([245, 245, 242])  # the renderer's background, (0.96, 0.96, 0.95)


@pytest.fixture
def yard(sqlite_catalogue, tmp_path):
    """A 1:100 model in mm of a 1000 x 600 yard with a wall, and a scene with people on it."""
    cat = sqlite_catalogue
    cat.add_case("KC-2026-0142", "旺角 Mong Kok")
    ground = trimesh.creation.box(extents=(1000, 600, 10))
    ground.apply_translation((0, 0, -5))
    wall = trimesh.creation.box(extents=(20, 400, 300))
    path = tmp_path / "yard.ply"
    trimesh.util.concatenate([ground, wall.apply_translation((0, 0, 150))]).export(path)
    version = cat.import_model(
        upload(path), case="KC-2026-0142", name="Yard", units="mm", scale="1:100"
    ).version
    scene = cat.scenes.create(version.version_id, "Prosecution sequence")
    doc = cat.scenes.document(scene.scene_id)
    for entity in (
        Entity("w1", "證人 W1", "witness", "#2a9d8f"),
        Entity("v1", "V1", "victim", "#e63946"),
        Entity("c1", "私家車 HK-1234", "vehicle", "#f4a261"),
        Entity("p7", "證物 P7 (刀)", "evidence", "#264653"),
    ):
        doc = doc.with_entity(entity)
    doc = doc.with_step(Step("s1", "Approach", "21:03")).with_step(Step("s2", "Attack", "21:04"))
    spots = {"w1": (-300, 0, 0), "v1": (300, 100, 0), "c1": (300, -200, 0), "p7": (200, 150, 0)}
    for entity_id, point in spots.items():
        doc = doc.with_position(Position(entity_id, "s1", point, provenance=Provenance("measured")))
    doc = doc.with_position(Position("v1", "s2", (150, 120, 0)))
    doc = doc.with_measurement(
        Measurement(
            "m1", "distance", step="s2", a=Anchor(entity="v1"), b=Anchor(point=(-300, 0, 0))
        )
    )
    doc = doc.with_sightline(Sightline("l1", "w1", Anchor(entity="v1"), "s2"))
    doc = doc.with_position(Position("w1", "s2", (-300, 0, 0)))
    cat.scenes.save(scene.scene_id, doc, scene.revision)
    return cat, version, scene.scene_id


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def _render(yard, **options):
    cat, version, scene_id = yard
    options.setdefault("date_text", "25 Nov 2026")
    return cat.render_still(version.version_id, scene_id=scene_id, step=2, **options)


def test_sizes_and_content(yard):
    screen = _render(yard, preset="iso")
    assert screen.size == (1920, 1080)
    image = _pixels(screen.png)
    assert image.shape == (1080, 1920, 3) and image.std() > 20
    print_size = _render(yard, preset="plan", size="a4")
    assert Image.open(io.BytesIO(print_size.png)).size == (3508, 2480)
    with pytest.raises(bsu_models.InvalidInput, match="Size 'a5' is not one of"):
        _render(yard, preset="plan", size="a5")


def test_same_inputs_give_the_same_pixels(yard):
    assert _render(yard, preset="plan").png == _render(yard, preset="plan").png


def test_each_overlay_appears_only_when_switched_on(yard):
    names = [f.name for f in fields(Overlays)]
    bare = _pixels(
        _render(yard, preset="plan", overlays=Overlays(**dict.fromkeys(names, False))).png
    )
    full = _pixels(_render(yard, preset="plan").png)
    assert (bare != full).any()
    for name in (
        "markers",
        "labels",
        "measurements",
        "sightlines",
        "scale_bar",
        "legend",
        "north_arrow",
        "caption",
    ):
        only = _pixels(
            _render(yard, preset="plan", overlays=Overlays(**{n: n == name for n in names})).png
        )
        assert (only != bare).any(axis=2).sum() > 50, f"{name} drew nothing"
        without = _pixels(_render(yard, preset="plan", overlays=Overlays(**{name: False})).png)
        assert (without != full).any(axis=2).sum() > 50, f"{name} could not be switched off"


def test_plan_scale_bar_matches_its_label_within_one_percent(yard):
    names = [f.name for f in fields(Overlays)]
    still = _render(
        yard, preset="plan", overlays=Overlays(**{n: n in ("scale_bar", "caption") for n in names})
    )
    image = _pixels(still.png)
    # The yard is 1000 mm wide on a 1:100 model, 100 m on site: its width in pixels, found
    # from the picture, gives metres per pixel independently of the renderer's own figure.
    row = image[image.shape[0] // 3]
    model = np.flatnonzero(np.abs(row - BACKGROUND).sum(axis=1) > 12)
    metres_per_pixel = 100.0 / (model.max() - model.min() + 1)
    bar = still.scale_bar
    assert bar is not None and bar.label == f"{bar.metres:g} m"
    # Find the drawn bar: the dark pixels along its middle row.
    _x0, top, x1, bottom = bar.box
    middle = image[int((top + bottom) / 2), : int(x1) + 20]
    dark = np.flatnonzero(middle.sum(axis=1) < 200)
    drawn = dark.max() - dark.min() + 1
    assert drawn * metres_per_pixel == pytest.approx(bar.metres, rel=0.01)


def test_perspective_view_says_not_to_scale(yard):
    still = _render(yard, preset="iso")
    assert still.scale_bar is None and still.metres_per_pixel is None


def test_chinese_labels_are_drawn_with_real_glyphs():
    """A font without CJK draws the labels differently, and every character leaves ink."""
    from PIL import ImageDraw

    from bsu_models.render.fonts import font

    def drawn(text: str, face) -> np.ndarray:  # type: ignore[no-untyped-def]
        image = Image.new("L", (40 + 70 * len(text), 110), 255)
        ImageDraw.Draw(image).text((20, 20), text, fill=0, font=face)
        return np.asarray(image)

    labels = ("證人 W1", "私家車 HK-1234", "證物 P7 (刀)")
    no_cjk = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 60)
    for label in labels:
        assert (drawn(label, font(60)) != drawn(label, no_cjk)).any(), label
    for char in "".join(labels).replace(" ", "") + "㗎嘅":
        assert (drawn(char, font(60)) < 128).sum() > 30, f"{char} drew no ink"


def test_saved_view_and_audit(yard):
    cat, version, scene_id = yard
    info = cat.scenes.info(scene_id)
    doc = cat.scenes.document(scene_id)
    view = cat.scenes.preset_view(version.version_id, "south")
    doc = doc.with_view(
        bsu_models.SavedView(
            id="v1",
            name="From the bus stop",
            projection=view.projection,
            position=view.position,
            target=view.target,
            up=view.up,
            fov_deg=view.fov_deg,
            ortho_scale=view.ortho_scale,
            steps=("s2",),
        )
    )
    cat.scenes.save(scene_id, doc, info.revision)
    still = cat.render_still(
        version.version_id,
        scene_id=scene_id,
        step=2,
        view="From the bus stop",
        exhibit="P12",
        date_text="25 Nov 2026",
    )
    text = Image.open(io.BytesIO(still.png)).text
    assert text["derived-from-sha256"] == version.original_sha256
    event = cat.audit_events(limit=1)[0]
    assert (event.action, event.details["exhibit"]) == ("render", "P12")
    with pytest.raises(bsu_models.InvalidInput, match="has no view 'Nowhere'"):
        cat.render_still(version.version_id, scene_id=scene_id, view="Nowhere")
