"""Views recorded in the audit log wherever the model's bytes came from: sent by the app
(``web_glb``) or shown by the browser from its own cache (``record_view``)."""

from __future__ import annotations

import pytest
import trimesh

import bsu_models
from tests.conftest import upload

PASSWORD = "view-test-password"


@pytest.fixture
def viewers(sqlite_catalogue, tmp_path):
    """A model on one case; an investigator who is a member and one who is not."""
    cat = sqlite_catalogue
    cat.add_case("KC-2026-0500", "Views")
    path = tmp_path / "box.ply"
    trimesh.creation.box(extents=(100, 60, 10)).export(path)
    version = cat.import_model(upload(path), case="KC-2026-0500", name="Box").version
    for name in ("member", "outsider"):
        cat.accounts.add_user(name, PASSWORD, ["investigator"])
    cat.accounts.add_member("KC-2026-0500", "member")
    users = {n: cat.as_user(cat.accounts.authenticate(n, PASSWORD)) for n in ("member", "outsider")}
    glb = next(f.sha256 for f in version.files if f.role == "web_glb")
    return cat, users, version.version_id, glb


def _views(cat: bsu_models.Catalogue, version_id: int) -> list[tuple[str, str, str]]:
    return [
        (e.actor, e.outcome, e.details.get("source", ""))
        for e in reversed(cat.audit_events(limit=100))
        if e.object_id == str(version_id) and e.action == "model.view"
    ]


def test_a_view_from_the_cache_is_recorded_like_one_from_the_app(viewers):
    cat, users, version_id, glb = viewers
    users["member"].web_glb(version_id)
    users["member"].record_view(version_id, glb, "cache")
    assert _views(cat, version_id) == [("member", "ok", "server"), ("member", "ok", "cache")]
    event = cat.audit_events(limit=1)[0]
    assert event.details["web_copy"] == glb


def test_a_cache_view_is_checked_like_any_read(viewers):
    cat, users, version_id, glb = viewers
    with pytest.raises(bsu_models.AccessDenied):
        users["outsider"].record_view(version_id, glb, "cache")
    with pytest.raises(bsu_models.InvalidInput, match="not the web copy"):
        users["member"].record_view(version_id, "0" * 64, "cache")
    with pytest.raises(bsu_models.InvalidInput, match="comes from one of"):
        users["member"].record_view(version_id, glb, "usb")
    assert [v for v in _views(cat, version_id) if v[1] == "ok"] == []


def test_a_view_names_the_scene_drawn_on_the_model(viewers, tmp_path):
    cat, users, version_id, glb = viewers
    scene = cat.scenes.create(version_id, "Sequence")
    users["member"].record_view(version_id, glb, "cache", scene=(scene.scene_id, 1))
    event = cat.audit_events(limit=1)[0]
    assert (event.details["scene"], event.details["revision"]) == (scene.scene_id, 1)
    path = tmp_path / "other.ply"
    trimesh.creation.box(extents=(10, 10, 10)).export(path)
    other = cat.import_model(upload(path), case="KC-2026-0500", name="Other").version
    with pytest.raises(bsu_models.InvalidInput, match="is on model version"):
        users["member"].web_glb(other.version_id, scene=(scene.scene_id, 1))
