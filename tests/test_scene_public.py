"""The public derivative of a scene drops everything derived from a sensitive entity, by
reference and by coordinates; audit details carry no case text.

The scene: a protected witness (magenta) with a measurement ending exactly at the witness's
coordinates (a point, not the entity), sightlines to the witness and to its coordinates, a
suspect whose path goes through where the witness stands, and a saved view aimed at the witness.
The public picture of that scene must be the very same pixels as the public picture of the scene
made without any of it.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh

import bsu_models
from bsu_models import Anchor, Entity, Measurement, Position, SavedView, Sightline, Step
from bsu_models.render.public_image import render_public_image
from bsu_models.scenes.scene_public import public_document, public_tolerance
from tests.conftest import upload
from tests.test_public_image import _magenta, _pixels

pytestmark = pytest.mark.render
CASE = "KC-2026-0777"
SECRET_LABEL = "Zyx-protected-證人"
SECRET_NOTES = "stays at 7 Shanghai Street"
SECRET_NARRATIVE = "Zyx watches from the doorway"
SECRET_SCENE = "Zyx account 現場"
MAGENTA = "#ff00ff"


def _doc_with(doc: bsu_models.SceneDoc, points: dict[str, tuple[float, ...]], *, secret: bool):
    """The scene; with ``secret`` the witness and everything derived from it are added."""
    doc = doc.with_entity(Entity("v1", "V1", "victim", "#2a9d8f"))
    doc = doc.with_entity(Entity("c1", "Car", "vehicle", "#f4a261"))
    doc = doc.with_entity(Entity("s1", "S1", "suspect", "#1d4ed8"))
    doc = doc.with_step(Step("st1", "Approach", "21:03", SECRET_NARRATIVE))
    doc = doc.with_step(Step("st2", "Attack", "21:04"))
    doc = doc.with_step(Step("st3", "Escape", "21:05"))
    for entity, step, where in (
        ("v1", "st1", "v"),
        ("v1", "st2", "v"),
        ("v1", "st3", "v"),
        ("c1", "st2", "c"),
        ("s1", "st1", "s1"),
        ("s1", "st3", "s3"),
    ):
        doc = doc.with_position(Position(entity, step, points[where]))
    doc = doc.with_measurement(
        Measurement("m1", "distance", "V1 to car", "st2", a=Anchor(entity="v1"), b=Anchor("c1"))
    )
    if not secret:
        return doc
    w = points["w"]
    doc = doc.with_entity(
        Entity("w1", SECRET_LABEL, "witness", MAGENTA, notes=SECRET_NOTES, sensitive=True)
    )
    for step in ("st1", "st2", "st3"):
        doc = doc.with_position(Position("w1", step, w))
    # The suspect's path goes through the witness's place at step 2.
    doc = doc.with_position(Position("s1", "st2", w))
    doc = doc.with_measurement(
        Measurement("m2", "distance", "to the doorway", "st2", a=Anchor(point=w), b=Anchor("v1"))
    )
    doc = doc.with_measurement(
        Measurement("m3", "height", "doorway height", "st2", a=Anchor(point=w))
    )
    doc = doc.with_measurement(Measurement("m4", "path_length", "S1 walk", entity="s1"))
    doc = doc.with_sightline(Sightline("l1", "v1", Anchor(entity="w1"), "st2"))
    doc = doc.with_sightline(Sightline("l2", "v1", Anchor(point=w), "st2"))
    doc = doc.with_sightline(Sightline("l3", "c1", Anchor(entity="s1"), "st2"))
    lo, hi = points["lo"], points["hi"]
    doc = doc.with_view(
        SavedView(
            "vw1",
            "Doorway",
            "orthographic",
            (w[0], w[1], w[2] + 2000),
            w,
            (0, 1, 0),
            None,
            float(hi[0] - lo[0]) / 4,
            steps=("st2",),
        )
    )
    return doc


@pytest.fixture
def yard(sqlite_catalogue, tmp_path):
    """Two scenes on a flat yard (mm, 1:100): one with the witness and all derived from it,
    one without; returns (catalogue, version id, secret scene, plain scene, points)."""
    cat = sqlite_catalogue
    cat.add_case(CASE, "Yau Ma Tei 油麻地 Zyx case")
    ground = trimesh.creation.box(extents=(1000, 600, 10))
    ground.apply_translation((0, 0, -5))
    path = tmp_path / "yard.ply"
    ground.subdivide().subdivide().export(path)
    version = cat.import_model(
        upload(path), case=CASE, name="Zyx yard", units="mm", scale="1:100"
    ).version
    lo, hi = (np.asarray(c) for c in version.bounds)
    above = {
        "w": (80.0, 40.0),
        "v": (-250.0, -150.0),
        "c": (250.0, 150.0),
        "s1": (-300.0, 200.0),
        "s3": (300.0, -200.0),
    }
    snapped = cat.scenes.snap(
        version.version_id, np.array([(x, y, 50.0) for x, y in above.values()])
    )
    points: dict[str, tuple[float, ...]] = {
        k: tuple(float(c) for c in p) for k, p in zip(above, snapped, strict=True)
    }
    points["lo"], points["hi"] = tuple(lo), tuple(hi)
    ids = []
    for secret in (True, False):
        scene = cat.scenes.create(version.version_id, SECRET_SCENE if secret else "Plain")
        doc = _doc_with(cat.scenes.document(scene.scene_id), points, secret=secret)
        summary = f"placed {SECRET_LABEL}" if secret else ""
        ids.append(cat.scenes.save(scene.scene_id, doc, 1, summary).scene_id)
    return cat, version.version_id, ids[0], ids[1], points


def _near(points, w, tolerance) -> bool:
    return any(np.linalg.norm(np.asarray(p) - np.asarray(w)) <= tolerance for p in points)


def test_nothing_anchored_at_the_witness_or_its_place_is_public(yard):
    cat, version_id, secret_id, _plain_id, points = yard
    stored = cat.scenes.document(secret_id)
    tolerance = public_tolerance(cat.scenes.geometry(version_id))
    assert 0 < tolerance < 0.02 * np.linalg.norm(np.subtract(points["hi"], points["lo"]))
    public = public_document(stored, tolerance)
    assert [e.id for e in public.entities] == ["v1", "c1", "s1"]
    assert [m.id for m in public.measurements] == ["m1"]
    assert [s.id for s in public.sightlines] == []  # l3 looks at S1 where W1 stands
    assert public.views == ()
    assert public.position("s1", "st2") is None
    assert public.position("s1", "st1") is not None and public.position("s1", "st3") is not None
    text = json.dumps(bsu_models.scene_to_json(public), ensure_ascii=False)
    for secret in (SECRET_LABEL, SECRET_NOTES, SECRET_NARRATIVE, "doorway", "Doorway", "w1"):
        assert secret not in text
    # The default tolerance (from the document's own extent) finds the same, and it is stable.
    assert public_document(stored) == public
    assert public_document(public) == public
    w = points["w"]
    for step in public.steps:
        layer = cat.scenes.layer(secret_id, public, step)
        shown = [m.point for m in layer.markers]
        shown += [p for line in layer.paths for p in line.points]
        shown += [p for m in layer.measurements for p in (m.a, m.b)]
        shown += [p for s in layer.sightlines for p in (s.eye, s.target)]
        assert not _near(shown, w, tolerance), step.id
        assert SECRET_LABEL not in {m.label for m in layer.markers}


def test_the_public_picture_shows_nothing_derived_from_the_witness(yard):
    cat, version_id, secret_id, plain_id, _points = yard
    court = cat.render_still(
        version_id, scene_id=secret_id, step=2, preset="plan", date_text="25 Nov 2026"
    )
    assert _magenta(_pixels(court.png)) > 100  # the test can fail: the court sees the witness

    def public(scene_id: int) -> bytes:
        return render_public_image(
            cat,
            version_id,
            scene_id=scene_id,
            revision=2,
            step=2,
            view=None,
            preset="plan",
            platform="square",
            caption="Yard",
        )

    secret_png = public(secret_id)
    assert _magenta(_pixels(secret_png)) == 0
    # Pixel for pixel what the scene shows without the witness and all derived from it.
    assert np.array_equal(_pixels(secret_png), _pixels(public(plain_id)))
    with pytest.raises(bsu_models.InvalidInput, match="aimed at where a sensitive entity is"):
        render_public_image(
            cat,
            version_id,
            scene_id=secret_id,
            revision=2,
            step=2,
            view="Doorway",
            preset=None,
            platform="square",
            caption="",
        )


def test_audit_details_carry_no_case_text(yard):
    cat, version_id, secret_id, _plain_id, points = yard
    doc = cat.scenes.document(secret_id)
    moved = doc.with_position(Position("w1", "st3", points["c"]))
    cat.scenes.save(secret_id, moved.without("vw1"), 2, f"moved {SECRET_LABEL}")
    render_public_image(
        cat,
        version_id,
        scene_id=secret_id,
        revision=3,
        step=1,
        view=None,
        preset="plan",
        platform="landscape",
        caption=f"Appeal 呼籲 {SECRET_LABEL}",
    )
    events = cat.audit_events()
    assert {"scene.create", "scene.change", "render", "case.create", "model.import"} <= {
        e.action for e in events
    }
    change = next(e for e in events if e.action == "scene.change")
    assert "position w1@st3 changed" in change.details["changes"]
    for event in events:
        text = json.dumps(event.details, ensure_ascii=False)
        for secret in (SECRET_LABEL, SECRET_NOTES, SECRET_NARRATIVE, "Zyx", "yard.ply"):
            assert secret not in text, (event.action, text)
        assert f"{points['c'][0]:.4g}" not in text


def test_a_path_drawn_through_the_witness_place_goes_too():
    """No mesh needed: the default tolerance comes from the document's own extent."""
    doc = bsu_models.SceneDoc("Walk")
    for entity in (
        Entity("w1", "W1", "witness", MAGENTA, sensitive=True),
        Entity("s1", "S1", "suspect"),
        Entity("v1", "V1", "victim"),
    ):
        doc = doc.with_entity(entity)
    for step in ("st1", "st2", "st3", "st4"):
        doc = doc.with_step(Step(step, step))
    for entity, step, point in (
        ("w1", "st2", (500.0, 0.0, 0.0)),
        # S1 walks straight past the witness between steps 1 and 3 (no position at the spot).
        ("s1", "st1", (0.0, 0.0, 0.0)),
        ("s1", "st3", (1000.0, 0.0, 0.0)),
        ("s1", "st4", (1000.0, 800.0, 0.0)),
        # V1's path stays well away.
        ("v1", "st1", (0.0, 600.0, 0.0)),
        ("v1", "st4", (900.0, 600.0, 0.0)),
    ):
        doc = doc.with_position(Position(entity, step, point))
    # What used the positions that go, goes with them; the rest stays.
    doc = doc.with_measurement(
        Measurement("m1", "distance", step="st1", a=Anchor("s1"), b=Anchor("v1"))
    )
    doc = doc.with_measurement(Measurement("m2", "path_length", entity="s1"))
    doc = doc.with_measurement(
        Measurement("m3", "distance", step="st1", a=Anchor("v1"), b=Anchor(point=(0, 900, 0)))
    )
    doc = doc.with_sightline(Sightline("l1", "s1", Anchor("v1"), "st3"))
    doc = doc.with_sightline(Sightline("l2", "v1", Anchor("s1"), "st4"))
    public = public_document(doc)
    assert [(p.entity, p.step) for p in public.positions] == [("s1", "st4"), ("v1", "st1"),
                                                               ("v1", "st4")]  # fmt: skip
    assert [m.id for m in public.measurements] == ["m3"]
    assert [s.id for s in public.sightlines] == ["l2"]


def test_a_media_officer_reads_the_scene_filtered_at_the_mesh_resolution(yard):
    """A point within the mesh resolution of the witness, but further than the document's own
    default reach, counts as the witness's place for the media officer's read and picture."""
    cat, version_id, secret_id, _plain_id, points = yard
    tolerance = public_tolerance(cat.scenes.geometry(version_id))
    x, y, z = points["w"]
    near = (x + 0.8 * tolerance, y, z)
    doc = cat.scenes.document(secret_id).with_measurement(
        Measurement("m9", "distance", "near", "st2", a=Anchor(point=near), b=Anchor("v1"))
    )
    info = cat.scenes.save(secret_id, doc, cat.scenes.info(secret_id).revision)
    cat.accounts.add_user("media-zyx", "media-password-2026", ["media_officer"])
    cat.accounts.add_member(CASE, "media-zyx")
    media = cat.as_user(cat.accounts.principal("media-zyx"))
    seen = media.scenes.document(secret_id)
    assert "m9" not in {m.id for m in seen.measurements}
    assert "m9" in {m.id for m in cat.scenes.document(secret_id).measurements}
    assert info.revision == media.scenes.current_revision(secret_id)[0]
