"""Competing accounts side by side: two scenes on the demo footbridge compared step by step, the
difference table checked against the documents themselves, and refused across model versions."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace

import bagit
import numpy as np
import pytest

import bsu_models
from bsu_models import Entity, InvalidInput
from bsu_models.court.exhibit_rerender import rerender_package
from bsu_models.demo import DEMO_DIR
from tests.conftest import REPO, approve_for_court, make_settings
from tests.test_cli import run_cli

CASE = "KC-2026-0142"
FOOTBRIDGE = ("footbridge.obj", "footbridge.mtl", "footbridge.png")
METRES_PER_UNIT = 0.001 * 50  # mm at 1:50


def _upload() -> list[bsu_models.UploadFile]:
    return [bsu_models.UploadFile(n, (DEMO_DIR / n).read_bytes()) for n in FOOTBRIDGE]


def defence_account(doc: bsu_models.SceneDoc) -> bsu_models.SceneDoc:
    """The defence's account of the demo scene: the suspect 2 m further east at step 2, the
    witness re-entered (a new id, the same label), the handbag not placed at all."""
    witness = doc.entity("w1")
    entities = tuple(
        Entity("wit", witness.label, witness.type, witness.colour) if e.id == "w1" else e
        for e in doc.entities
        if e.id != "p7"
    )
    positions = []
    for pos in doc.positions:
        if pos.entity == "p7":
            continue
        if pos.entity == "w1":
            pos = replace(pos, entity="wit")
        if pos.entity == "s1" and pos.step == "s2":
            x, y, z = pos.point
            pos = replace(pos, point=(x + 2.0 / METRES_PER_UNIT, y, z))
        positions.append(pos)
    return replace(
        doc,
        name="Defence account",
        entities=entities,
        positions=tuple(positions),
        measurements=(),
        sightlines=(),
    )


@pytest.fixture(scope="module")
def accounts(tmp_path_factory):
    root = tmp_path_factory.mktemp("accounts")
    cat = bsu_models.open_catalogue(make_settings(root / "data"))
    cat.add_case(CASE, "Accounts")
    version = cat.import_model(
        _upload(), case=CASE, name="Footbridge", units="mm", scale="1:50"
    ).version
    data = json.loads((DEMO_DIR / "footbridge-scene.json").read_text(encoding="utf-8"))
    prosecution = cat.scenes.import_json(data, version.version_id, actor="investigator-1")
    doc = cat.scenes.document(prosecution.scene_id)
    defence = cat.scenes.create(
        version.version_id, "Defence account", "investigator-2", document=defence_account(doc)
    )
    yield {
        "root": root,
        "cat": cat,
        "version": version,
        "a": prosecution.scene_id,
        "b": defence.scene_id,
    }
    cat.close()


def test_difference_table_matches_the_documents(accounts):
    cat, a, b = accounts["cat"], accounts["a"], accounts["b"]
    result = cat.scenes.compare_accounts(a, b)
    doc_a, doc_b = cat.scenes.document(a), cat.scenes.document(b)
    assert (result.name_a, result.name_b) == (doc_a.name, "Defence account")
    assert result.sha256_a == cat.scenes.history(a)[-1].sha256
    checked = 0
    for row in result.rows:
        step_a, step_b = doc_a.step_at(row.step), doc_b.step_at(row.step)
        if row.distance is None:
            continue
        ea = doc_a.entity_by_label(row.label_a)
        eb = doc_b.entity_by_label(row.label_b)
        pa = np.asarray(doc_a.position(ea.id, step_a.id).point)
        pb = np.asarray(doc_b.position(eb.id, step_b.id).point)
        assert row.distance.value == pytest.approx(np.linalg.norm(pa - pb) * METRES_PER_UNIT)
        assert row.distance.unit == "m" and row.distance.uncertainty > 0
        checked += 1
    assert checked >= 8
    by = {(r.step, r.label_a or r.label_b): r for r in result.rows}
    suspect = "疑犯 S1 / Suspect S1"
    assert by[(2, suspect)].distance.value == pytest.approx(2.0)
    assert by[(1, suspect)].distance.value == pytest.approx(0.0)
    assert by[(2, suspect)].matched_by == "id"
    witness = by[(1, "證人 W1 / Witness W1")]
    assert witness.matched_by == "label" and witness.distance.value == pytest.approx(0.0)
    handbag = [r for r in result.rows if r.label_a.startswith("證物 P7")]
    assert handbag and all(r.matched_by == "" and r.distance is None for r in handbag)
    assert not any(r.label_b and not r.label_a for r in result.rows)
    event = cat.audit_events(1)[0]
    assert event.action == "scene.compare_accounts" and event.details["other_scene"] == b


def test_accounts_on_different_versions_are_refused(accounts):
    cat = accounts["cat"]
    second = cat.import_model(
        _upload()[:1], case=CASE, name="Footbridge", units="mm", scale="1:50"
    ).version
    other = cat.scenes.create(second.version_id, "On another version")
    with pytest.raises(InvalidInput, match="compared only on the same model version"):
        cat.scenes.compare_accounts(accounts["a"], other.scene_id)
    with pytest.raises(InvalidInput, match="two different scenes"):
        cat.scenes.compare_accounts(accounts["a"], accounts["a"])


def test_compare_accounts_from_the_command_line(accounts):
    settings = accounts["cat"].settings
    env = {
        "BSU_DATA_DIR": str(settings.data_dir),
        "BSU_DATABASE_URL": settings.database_url,
        "BSU_ACTOR": "analyst",
        "PATH": "/usr/bin:/bin",
    }
    a, b = str(accounts["a"]), str(accounts["b"])
    out = run_cli(env, "scene", "compare-accounts", a, b, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["scene_a"]["scene_id"] == accounts["a"] and data["version_id"]
    assert data["entities_matched_by"] == "id, else label"
    moved = [r for r in data["rows"] if r["step"] == 2 and r["entity_a"].startswith("疑犯")]
    assert moved[0]["distance"]["value"] == pytest.approx(2.0)
    assert moved[0]["distance"]["unit"] == "m" and moved[0]["matched_by"] == "id"
    text = run_cli(env, "scene", "compare-accounts", a, b)
    assert text.returncode == 0, text.stderr
    assert "2.00 m ±" in text.stdout and "by label" in text.stdout
    assert "only in account A" in text.stdout


def _first_steps(doc: bsu_models.SceneDoc, count: int, name: str) -> bsu_models.SceneDoc:
    """``doc`` cut to its first ``count`` steps (a smaller exhibit to render)."""
    kept = {s.id for s in doc.steps[:count]}
    return replace(
        doc,
        name=name,
        steps=doc.steps[:count],
        positions=tuple(p for p in doc.positions if p.step in kept),
        measurements=tuple(m for m in doc.measurements if m.step in kept | {None}),
        sightlines=tuple(s for s in doc.sightlines if s.step in kept),
        views=tuple(
            replace(v, steps=tuple(s for s in v.steps if s in kept))
            for v in doc.views
            if not v.steps or set(v.steps) & kept
        ),
    )


def _review_and_freeze(cat: bsu_models.Catalogue, scene_id: int) -> None:
    approve_for_court(cat, scene_id)
    cat.scenes.freeze(scene_id, actor="presenter-1")


@pytest.mark.render
def test_exhibit_carries_both_accounts_and_re_renders_them(accounts, tmp_path):
    cat, version = accounts["cat"], accounts["version"].version_id
    prosecution = cat.scenes.create(
        version,
        "",
        "investigator-1",
        document=_first_steps(
            cat.scenes.document(accounts["a"]), 2, "Prosecution sequence, steps 1-2"
        ),
    )
    defence = cat.scenes.create(
        version,
        "",
        "investigator-2",
        document=_first_steps(cat.scenes.document(accounts["b"]), 2, "Defence account, steps 1-2"),
    )
    _review_and_freeze(cat, prosecution.scene_id)
    with pytest.raises(bsu_models.Conflict, match="not frozen for court"):
        cat.build_exhibit(prosecution.scene_id, tmp_path / "early", accounts=[defence.scene_id])
    _review_and_freeze(cat, defence.scene_id)
    out = tmp_path / "pkg"
    result = cat.build_exhibit(prosecution.scene_id, out, "BSU/9", accounts=[defence.scene_id])
    folder = f"accounts/scene-{defence.scene_id}"
    names = {name for name, _sha, _size in result.files}
    for name in ("scene.json", "stills/step-01.png", "stills/step-02.json"):
        assert f"data/{folder}/{name}" in names
    info = bagit.Bag(str(out)).info
    named = f"scene {defence.scene_id} (Defence account, steps 1-2) revision"
    assert named in info["BSU-Account-2"]
    assert info["BSU-Account-2-Review"].startswith("approved by reviewer-1")
    text = subprocess.run(
        ["pdftotext", "-layout", str(out / "data" / "exhibit-book.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Accounts compared · step 2" in text
    assert "Account B: Defence account" in text
    assert "2.00 m ±" in text and "by label" in text
    assert "Illustrative demonstrative aid" in text
    # The offline viewer carries the further account as its stills were drawn from it.
    viewer = (out / "data" / "viewer.html").read_text(encoding="utf-8")
    embedded = re.search(r'<script type="application/json" id="bsu-data">(.*?)</script>', viewer)
    assert embedded is not None
    shown = json.loads(embedded.group(1))
    [account] = shown["accounts"]
    assert account["title"] == "Defence account, steps 1-2"
    assert str(defence.scene_id) in account["subtitle"]
    defence_doc = cat.scenes.document(defence.scene_id)
    assert [s["title"] for s in account["steps"]] == [s.title for s in defence_doc.steps]
    assert [s["title"] for s in shown["steps"]] == [
        s.title for s in cat.scenes.document(prosecution.scene_id).steps
    ]
    report = rerender_package(out, cat.settings)
    assert report.ok, report.differing
    assert {c.still for c in report.checks} >= {f"{folder}/stills/step-02.png"}
    shots = tmp_path / "pages"
    shots.mkdir()
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(out / "data" / "exhibit-book.pdf"),
                    str(shots / "page")], check=True)  # fmt: skip
    keep = REPO / "test-artifacts" / "accounts"
    keep.mkdir(parents=True, exist_ok=True)
    for page in shots.glob("*.png"):
        shutil.copy(page, keep / page.name)
