"""Technical review before freezing: a second person who authored no revision approves exactly
the current revision (its SHA-256); without that approval a scene is not frozen."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

import bsu_models
from bsu_models import AccessDenied, Conflict, Entity, IntegrityError, InvalidInput, Position, Step
from tests.conftest import MARKUP, make_settings
from tests.test_access import _box_ply, yard_case
from tests.test_cli import run_cli

PASSWORD = "correct horse battery"
FINDINGS = {
    "positions": "W1 agrees with the survey",
    "measurements": "None in this scene",
    "views": "Isometric only",
    "captions": "21:03 agrees with CAM-3",
}


@pytest.fixture
def reviewed_world(tmp_path):
    root = tmp_path
    system = bsu_models.open_catalogue(make_settings(root / "data"))
    _version, scene = yard_case(system, _box_ply(root / "yard.ply"), "KC-REV")
    doc = (
        system.scenes.document(scene.scene_id)
        .with_entity(Entity("w1", "W1", "witness"))
        .with_step(Step("s1", "Arrives", "21:03"))
        .with_position(Position("w1", "s1", (0.0, 0.0, 0.0)))
    )
    system.accounts.add_user("ivy", PASSWORD, ["investigator"])
    system.accounts.add_user("rex", PASSWORD, ["reviewer"])
    system.accounts.add_user("pam", PASSWORD, ["presenter"])
    for name in ("ivy", "rex", "pam"):
        system.accounts.add_member("KC-REV", name)
    ivy = system.as_user(system.accounts.authenticate("ivy", PASSWORD))
    saved = ivy.scenes.save(scene.scene_id, doc, scene.revision)
    yield {
        "root": root,
        "system": system,
        "scene": saved.scene_id,
        "as": lambda name: system.as_user(system.accounts.authenticate(name, PASSWORD)),
    }
    system.close()


def test_freezing_needs_an_approved_review_of_the_current_revision(reviewed_world):
    w = reviewed_world
    scene, rex, pam, ivy = w["scene"], w["as"]("rex"), w["as"]("pam"), w["as"]("ivy")
    with pytest.raises(Conflict, match="has no technical review"):
        pam.scenes.freeze(scene)
    rejected = rex.scenes.review(scene, "rejected", FINDINGS)
    assert rejected.decision == "rejected" and rejected.reviewer == "rex"
    with pytest.raises(Conflict, match="was rejected in review by rex"):
        pam.scenes.freeze(scene)
    approved = rex.scenes.review(scene, "approved", FINDINGS)
    history = w["system"].scenes.history(scene)
    assert approved.revision == 2 and approved.revision_sha256 == history[-1].sha256
    assert dict(approved.checklist) == FINDINGS
    # A change after the approval: the approval is of another revision.
    doc = ivy.scenes.document(scene)
    ivy.scenes.save(scene, doc.with_step(Step("s2", "Leaves")), 2)
    with pytest.raises(Conflict, match="revision 3 has no technical review"):
        pam.scenes.freeze(scene)
    rex.scenes.review(scene, "approved", FINDINGS)
    frozen = pam.scenes.freeze(scene)
    assert frozen.frozen_revision == 3
    events = [e for e in w["system"].audit_events(None) if e.action == "scene.review"]
    assert [e.details["decision"] for e in events] == ["approved", "approved", "rejected"]
    assert all(e.object_sha256 for e in events)
    freeze = next(e for e in w["system"].audit_events(None) if e.action == "scene.freeze")
    assert freeze.details["review"] == w["system"].scenes.reviews(scene)[-1].review_id
    with pytest.raises(Conflict, match="frozen for court already"):
        rex.scenes.review(scene, "approved", FINDINGS)
    assert w["system"].verify().ok


def test_an_author_may_not_review_and_a_review_needs_every_finding(reviewed_world):
    w = reviewed_world
    scene, system = w["scene"], w["system"]
    # ivy authored revision 2: even with the reviewer role she may not review it.
    system.accounts.set_roles("ivy", ["investigator", "reviewer"])
    with pytest.raises(AccessDenied, match="ivy authored scene"):
        w["as"]("ivy").scenes.review(scene, "approved", FINDINGS)
    refused = system.audit_events(1)[0]
    assert refused.action == "scene.review" and refused.outcome == "refused"
    # The system principal is held to the same rule under the name it records.
    with pytest.raises(AccessDenied, match="test-modeller authored scene"):
        system.scenes.review(scene, "approved", FINDINGS)
    # Presenters and investigators may not review at all.
    with pytest.raises(AccessDenied, match="needs the role reviewer"):
        w["as"]("pam").scenes.review(scene, "approved", FINDINGS)
    rex = w["as"]("rex")
    with pytest.raises(InvalidInput, match="no finding for 'views'"):
        rex.scenes.review(scene, "approved", {**FINDINGS, "views": "  "})
    with pytest.raises(InvalidInput, match="'lighting' is not a checklist item"):
        rex.scenes.review(scene, "approved", {**FINDINGS, "lighting": "Fine"})
    with pytest.raises(InvalidInput, match="decision must be one of"):
        rex.scenes.review(scene, "maybe", FINDINGS)
    with pytest.raises(InvalidInput, match="only the current revision"):
        rex.scenes.review(scene, "approved", FINDINGS, revision=1)
    assert system.scenes.reviews(scene) == []


def test_review_and_freeze_from_the_command_line(reviewed_world, monkeypatch):
    w = reviewed_world
    settings = w["system"].settings
    env = {
        "BSU_DATA_DIR": str(settings.data_dir),
        "BSU_DATABASE_URL": settings.database_url,
        "PATH": "/usr/bin:/bin",
    }
    scene = str(w["scene"])
    refused = run_cli({**env, "BSU_ACTOR": "pam"}, "scene", "freeze", scene)
    assert refused.returncode == 2 and "no technical review" in refused.stderr
    checks = [f"--{item}={text}" for item, text in FINDINGS.items()]
    own = run_cli({**env, "BSU_ACTOR": "ivy"}, "scene", "review", scene, "--approve", *checks)
    assert own.returncode == 2
    missing = run_cli({**env, "BSU_ACTOR": "rex"}, "scene", "review", scene, "--approve")
    assert missing.returncode == 2 and "--positions" in missing.stderr
    done = run_cli(
        {**env, "BSU_ACTOR": "rex"}, "scene", "review", scene, "--approve", *checks, "--json"
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["decision"] == "approved" and record["reviewer"] == "rex"
    assert record["checklist"][0] == {"item": "positions", "finding": FINDINGS["positions"]}
    listed = run_cli({**env, "BSU_ACTOR": "pam"}, "scene", "reviews", scene)
    assert "rex" in listed.stdout and "W1 agrees with the survey" in listed.stdout
    frozen = run_cli({**env, "BSU_ACTOR": "pam"}, "scene", "freeze", scene, "--json")
    assert frozen.returncode == 0, frozen.stderr


def test_findings_are_shown_as_typed_and_control_characters_refused(
    reviewed_world, monkeypatch, capsys
):
    from bsu_models.cli.commands import main

    w = reviewed_world
    settings = w["system"].settings
    monkeypatch.setenv("BSU_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BSU_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BSU_ACTOR", "rex")
    scene = str(w["scene"])
    # A terminal escape or a NUL would act on the reader's terminal or break the database.
    for bad in ("\x1b[2J", "\x00", "\x07"):
        code = main(["scene", "review", scene, "--approve", *(
            f"--{item}=Checked {bad}" for item in FINDINGS
        )])  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2 and "contains a control character" in err, err
        assert bad not in err and len(err.strip().splitlines()) == 1
    findings = [f"--{item}={item} {MARKUP}" for item in FINDINGS]
    assert main(["scene", "review", scene, "--approve", *findings, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["checklist"][1] == {"item": "measurements", "finding": f"measurements {MARKUP}"}
    assert main(["scene", "reviews", scene]) == 0
    listed = capsys.readouterr().out
    for item in FINDINGS:
        assert f"      {item}: {item} {MARKUP}\n" in listed + "\n", listed
    assert [r.checklist[2][1] for r in w["system"].scenes.reviews(w["scene"])] == [
        f"views {MARKUP}"
    ]


def test_a_rejection_turned_into_an_approval_outside_the_catalogue_is_caught(reviewed_world):
    """The review rows are bound into the audit chain like every row: editing a rejection into
    an approval in the database does not let the scene be frozen."""
    w = reviewed_world
    scene, pam = w["scene"], w["as"]("pam")
    w["as"]("rex").scenes.review(scene, "rejected", FINDINGS)
    with w["system"].engine.begin() as conn:
        conn.execute(text("UPDATE scene_reviews SET decision = 'approved'"))
    with pytest.raises(IntegrityError, match="scene review row 1 was changed outside"):
        pam.scenes.freeze(scene)
    assert not w["system"].scenes.info(scene).frozen
    assert any("scene review row 1" in p for p in w["system"].verify().problems)
