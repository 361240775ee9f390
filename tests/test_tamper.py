"""State rows edited behind the catalogue's back are named by ``verify``.

One catalogue is built once (a model, a scene frozen for court, a second scene with a sensitive
witness, a public post, an account and a membership); each test tampers with a copy of it the
way someone with the database file would, with plain SQL, and expects ``verify`` to name the
row. Court output built afterwards is refused. A couple of the same edits run on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trimesh
from sqlalchemy import text

import bsu_models
from bsu_models import Entity, Position, Step
from bsu_models.cli.commands import main as cli_main
from tests.conftest import approve_for_court, make_settings

PASSWORD = "tamper-test-2026"


def _yard(path: Path) -> Path:
    ground = trimesh.creation.box(extents=(1000, 600, 10))
    ground.apply_translation((0, 0, -5))
    ground.export(path)
    return path


def _build(catalogue: bsu_models.Catalogue, mesh: Path) -> dict[str, int]:
    catalogue.add_case("KC-T-1", "Tamper case")
    version = catalogue.import_model(
        [bsu_models.UploadFile(mesh.name, mesh.read_bytes())],
        case="KC-T-1",
        name="Yard",
        units="mm",
        scale="1:100",
    ).version
    frozen = catalogue.scenes.create(version.version_id, "For court")
    doc = (
        catalogue.scenes.document(frozen.scene_id)
        .with_entity(Entity("s1", "Suspect", "suspect"))
        .with_step(Step("st1", "Arrives", "21:03"))
        .with_position(Position("s1", "st1", (10.0, 20.0, 0.0)))
    )
    catalogue.scenes.save(frozen.scene_id, doc, frozen.revision)
    approve_for_court(catalogue, frozen.scene_id)
    catalogue.scenes.freeze(frozen.scene_id)
    public = catalogue.scenes.create(version.version_id, "For the public")
    doc = (
        catalogue.scenes.document(public.scene_id)
        .with_entity(Entity("w1", "Protected witness", "witness", sensitive=True))
        .with_entity(Entity("s1", "Suspect", "suspect"))
        .with_step(Step("st1", "Arrives", "21:03"))
        .with_position(Position("w1", "st1", (0.0, 0.0, 0.0)))
        .with_position(Position("s1", "st1", (30.0, 0.0, 0.0)))
    )
    catalogue.scenes.save(public.scene_id, doc, public.revision)
    catalogue.accounts.add_user("media-t", PASSWORD, ["media_officer"])
    catalogue.accounts.add_member("KC-T-1", "media-t")
    media = catalogue.as_user(catalogue.accounts.principal("media-t"))
    post = media.posts.request(public.scene_id, 1, "square", "Appeal for witnesses")
    return {
        "version": version.version_id,
        "frozen": frozen.scene_id,
        "public": public.scene_id,
        "post": post.post_id,
    }


@pytest.fixture(scope="module")
def built_catalogue(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """A data folder (SQLite + blobs + head file) holding the catalogue above, and its ids."""
    root = tmp_path_factory.mktemp("tamper")
    catalogue = bsu_models.open_catalogue(make_settings(root / "data"))
    ids = _build(catalogue, _yard(root / "yard.ply"))
    assert catalogue.verify().ok
    catalogue.close()
    return root / "data", ids


@pytest.fixture
def tampered(built_catalogue, tmp_path) -> Iterator[tuple[bsu_models.Catalogue, dict[str, int]]]:
    """A fresh copy of the built catalogue, open."""
    source, ids = built_catalogue
    shutil.copytree(source, tmp_path / "data")
    catalogue = bsu_models.open_catalogue(make_settings(tmp_path / "data"))
    yield catalogue, ids
    catalogue.close()


def _sql(catalogue: bsu_models.Catalogue, statement: str, **params: Any) -> None:
    with catalogue.engine.begin() as conn:
        conn.execute(text(statement), params)


def _scalar(catalogue: bsu_models.Catalogue, statement: str, **params: Any) -> Any:
    with catalogue.engine.connect() as conn:
        return conn.execute(text(statement), params).scalar()


def _rewrite_revision(catalogue: bsu_models.Catalogue, scene_id: int, edit: Callable) -> None:
    """Change a revision's document and its sha256 column together, as a careful forger would."""
    number = _scalar(catalogue, "SELECT current_revision FROM scenes WHERE id = :s", s=scene_id)
    document = json.loads(
        _scalar(
            catalogue,
            "SELECT document FROM scene_revisions WHERE scene_id = :s AND number = :n",
            s=scene_id,
            n=number,
        )
    )
    edit(document)
    body = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    _sql(
        catalogue,
        "UPDATE scene_revisions SET document = :d, sha256 = :h WHERE scene_id = :s AND number = :n",
        d=body,
        h=hashlib.sha256(body.encode()).hexdigest(),
        s=scene_id,
        n=number,
    )


def _move_everyone(document: dict) -> None:
    for position in document["positions"]:
        position["point"] = [v + 1.0 for v in position["point"]]


def _clear_sensitive(document: dict) -> None:
    for entity in document["entities"]:
        entity["sensitive"] = False


TAMPERS: dict[str, tuple[Callable[[bsu_models.Catalogue, dict[str, int]], None], str]] = {
    "version scale halved": (
        lambda c, ids: _sql(c, "UPDATE model_versions SET scale_denominator = 200"),
        "state: model version row 1 was changed outside the catalogue",
    ),
    "freeze row deleted": (
        lambda c, ids: _sql(c, "DELETE FROM scene_freezes"),
        "state: scene freeze row 1 was deleted outside the catalogue",
    ),
    "frozen revision rewritten with its hash": (
        lambda c, ids: _rewrite_revision(c, ids["frozen"], _move_everyone),
        "state: scene revision row 2 was changed outside the catalogue",
    ),
    "revision deleted": (
        lambda c, ids: _sql(
            c, "DELETE FROM scene_revisions WHERE scene_id = :s AND number = 1", s=ids["public"]
        ),
        "state: scene revision row 3 was deleted outside the catalogue",
    ),
    "sensitive flags cleared": (
        lambda c, ids: _rewrite_revision(c, ids["public"], _clear_sensitive),
        "state: scene revision row 4 was changed outside the catalogue",
    ),
    "file row pointed at another blob": (
        lambda c, ids: _sql(
            c,
            "UPDATE stored_files SET sha256 = (SELECT image_key FROM public_posts LIMIT 1) "
            "WHERE role = 'thumbnail'",
        ),
        "was changed outside the catalogue",
    ),
    "post set to approved": (
        lambda c, ids: _sql(
            c, "UPDATE public_posts SET status = 'approved', decided_by = 'nobody', reason = 'ok'"
        ),
        "state: public post row 1 was changed outside the catalogue",
    ),
    "membership added by hand": (
        lambda c, ids: _sql(
            c,
            "INSERT INTO case_members (case_id, username, added_by, added_at) "
            "VALUES (1, 'intruder', 'nobody', '2026-01-01 00:00:00')",
        ),
        "state: case membership row 2 was added outside the catalogue",
    ),
    "roles changed by hand": (
        lambda c, ids: _sql(c, """UPDATE users SET roles = '["approver"]'"""),
        "state: account row 1 was changed outside the catalogue",
    ),
    "head file deleted": (
        lambda c, ids: c.settings.audit_head_file.unlink(),
        "is missing, though the chain has",
    ),
    "head file replaced by an older copy": (
        lambda c, ids: c.settings.audit_head_file.write_text(
            "3 " + _scalar(c, "SELECT hash FROM audit_events WHERE id = 3") + "\n"
        ),
        "an older head than the chain's last event",
    ),
}


@pytest.mark.parametrize("kind", list(TAMPERS))
def test_verify_names_every_kind_of_tampered_state(tampered, kind):
    catalogue, ids = tampered
    assert catalogue.verify().ok
    tamper, expected = TAMPERS[kind]
    tamper(catalogue, ids)
    report = catalogue.verify()
    assert not report.ok
    assert any(expected in problem for problem in report.problems), report.problems


def test_cli_verify_exits_1_on_tampered_state(tampered, monkeypatch, capsys):
    catalogue, _ids = tampered
    _sql(catalogue, "UPDATE model_versions SET units = 'cm'")
    monkeypatch.setenv("BSU_DATA_DIR", str(catalogue.settings.data_dir))
    monkeypatch.setenv("BSU_ACTOR", "nobody-here")
    monkeypatch.setenv("BSU_LANGUAGE", "en")
    # accounts exist, so the command line acts as BSU_ACTOR: an unknown one is refused
    assert cli_main(["verify", "--json"]) == 2
    capsys.readouterr()
    catalogue.accounts.add_user("auditor-t", PASSWORD, ["auditor"])
    monkeypatch.setenv("BSU_ACTOR", "auditor-t")
    assert cli_main(["verify", "--json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert any("model version row 1 was changed" in p for p in payload["problems"])


def test_court_and_public_output_refuse_a_rewritten_revision(tampered, tmp_path):
    catalogue, ids = tampered
    # The forger rewrites the frozen revision and its hash column: the freeze's hash differs.
    _rewrite_revision(catalogue, ids["frozen"], _move_everyone)
    with pytest.raises(bsu_models.IntegrityError, match="no longer matches its recorded SHA-256"):
        catalogue.build_exhibit(ids["frozen"], tmp_path / "exhibit")
    # ... and the freeze row's hash too: only the audit chain's record tells.
    _sql(
        catalogue,
        "UPDATE scene_freezes SET sha256 = (SELECT sha256 FROM scene_revisions "
        "WHERE scene_id = :s AND number = scene_freezes.revision) WHERE scene_id = :s",
        s=ids["frozen"],
    )
    with pytest.raises(bsu_models.IntegrityError, match="cannot be used for court"):
        catalogue.build_exhibit(ids["frozen"], tmp_path / "exhibit")
    assert not (tmp_path / "exhibit").exists()
    # A revision whose document no longer matches its own hash is refused by every reader.
    _sql(
        catalogue,
        "UPDATE scene_revisions SET document = replace(document, 'Suspect', 'Someone') "
        "WHERE scene_id = :s",
        s=ids["public"],
    )
    with pytest.raises(bsu_models.IntegrityError, match="no longer matches its recorded SHA-256"):
        catalogue.scenes.document(ids["public"])
    with pytest.raises(bsu_models.IntegrityError):
        catalogue.render_still(ids["version"], scene_id=ids["public"], step=1, preset="iso")


def test_an_approval_written_by_hand_does_not_release_the_picture(tampered):
    catalogue, ids = tampered
    _sql(catalogue, "UPDATE public_posts SET status = 'approved', decided_by = 'nobody'")
    media = catalogue.as_user(catalogue.accounts.principal("media-t"))
    with pytest.raises(bsu_models.IntegrityError):
        media.posts.download(ids["post"])


def test_catalogue_without_state_records_gets_one_baseline(tampered):
    """A catalogue made before rows were recorded in the chain: simulated by starting its chain
    afresh. Opening it records every row once, and verify is clean."""
    catalogue, _ids = tampered
    _sql(catalogue, "DELETE FROM audit_events")
    _sql(catalogue, "UPDATE audit_head SET last_id = 0, last_hash = :g", g="0" * 64)
    catalogue.settings.audit_head_file.unlink()
    catalogue.close()
    reopened = bsu_models.open_catalogue(catalogue.settings)
    events = reopened.audit_events(None)
    assert [e.action for e in events] == ["state.baseline"]
    assert reopened.verify().ok
    # Opening it again records nothing more.
    reopened.close()
    again = bsu_models.open_catalogue(catalogue.settings)
    assert len(again.audit_events(None)) == 1
    _sql(again, "UPDATE cases SET title = 'Another title'")
    assert not again.verify().ok
    again.close()


def test_audit_head_and_gc(tampered, monkeypatch, capsys):
    catalogue, _ids = tampered
    head = catalogue.audit_head()
    event_id, digest = catalogue.settings.audit_head_file.read_text().split()
    assert (head.event_id, head.hash) == (int(event_id), digest)
    orphan = catalogue.blobs.put(b"left by a killed import")
    report = catalogue.verify()
    assert report.ok and any(orphan[:12] in c for c in report.cleanable)
    # Young orphans are kept: an import may be about to write its rows.
    assert catalogue.collect_garbage(dry_run=False).blobs == ()
    path = catalogue.blobs._path(orphan)
    os.utime(path, (path.stat().st_atime - 7200, path.stat().st_mtime - 7200))
    assert catalogue.collect_garbage(dry_run=True).blobs == (orphan,)
    assert catalogue.blobs.exists(orphan)
    removed = catalogue.collect_garbage(dry_run=False)
    assert removed.blobs == (orphan,) and not catalogue.blobs.exists(orphan)
    last = catalogue.audit_events(1)[0]
    assert last.action == "blobs.gc" and last.details["blobs_removed"] == 1
    report = catalogue.verify()
    assert report.ok and report.cleanable == ()


@pytest.mark.postgres
def test_tampered_state_is_named_on_postgresql(tmp_path, postgres_server, testdata):
    from tests.conftest import _new_postgres_database

    url = _new_postgres_database(postgres_server)
    catalogue = bsu_models.open_catalogue(make_settings(tmp_path / "data", url))
    try:
        ids = _build(catalogue, _yard(tmp_path / "yard.ply"))
        assert catalogue.verify().ok, catalogue.verify().problems
        _sql(catalogue, "UPDATE model_versions SET scale_denominator = 200")
        _sql(catalogue, "DELETE FROM scene_freezes")
        problems = catalogue.verify().problems
        assert any("model version row" in p and "changed" in p for p in problems), problems
        assert any("scene freeze row" in p and "deleted" in p for p in problems), problems
        _rewrite_revision(catalogue, ids["public"], _clear_sensitive)
        assert any("scene revision row" in p for p in catalogue.verify().problems)
    finally:
        catalogue.close()


def test_an_ordinary_change_does_not_launder_a_tampered_row(tampered):
    """Roles and a password hash forged by hand, then a sign-in that writes the same row: the
    sign-in's record starts from the forged row, which is named."""
    from argon2 import PasswordHasher

    catalogue, _ids = tampered
    forged = PasswordHasher().hash("forged-password-2026")
    _sql(
        catalogue,
        """UPDATE users SET roles = '["approver", "media_officer"]', password_hash = :h """
        "WHERE username = 'media-t'",
        h=forged,
    )
    catalogue.accounts.authenticate("media-t", "forged-password-2026")
    problems = catalogue.verify().problems
    assert any(
        "account row 1 was changed outside the catalogue before audit event" in p
        for p in problems
    ), problems
    # A lockout cleared by hand is named too.
    for _ in range(5):
        with pytest.raises(bsu_models.LoginFailed):
            catalogue.accounts.authenticate("media-t", "wrong password!")
    _sql(catalogue, "UPDATE users SET failed_logins = 0, locked_until = NULL")
    assert any("account row 1 was changed" in p for p in catalogue.verify().problems)
