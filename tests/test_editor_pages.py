"""The scene editor under Streamlit's AppTest: undo and redo over several changes, each a
revision, on a real catalogue."""

from __future__ import annotations

import trimesh

from tests.conftest import upload
from tests.test_pages import _app, _by_label, app_env


def test_undo_and_redo_walk_back_and_forth_each_a_revision(app_env, tmp_path):
    import bsu_models
    from bsu_models import Entity, Position, Step

    cat = bsu_models.open_catalogue()
    cat.add_case("KC-UNDO", "Undo")
    path = tmp_path / "slab.ply"
    trimesh.creation.box(extents=(1000, 1000, 10)).export(path)
    version = cat.import_model(upload(path), case="KC-UNDO", name="Slab", units="mm").version
    scene = cat.scenes.create(version.version_id, "Undo walk")
    doc = cat.scenes.document(scene.scene_id).with_entity(Entity("w1", "W1", "witness"))
    doc = doc.with_step(Step("s1", "One"))
    for x in (0, 100, 200):  # revisions 2, 3, 4: W1 at x = 0, 100, 200
        doc = doc.with_position(Position("w1", "s1", (x, 0, 5)))
        scene = cat.scenes.save(scene.scene_id, doc, scene.revision)
    at = _app().run()
    at.switch_page("views/scene_editor.py").run()
    assert not at.exception

    def x_now() -> float:
        return cat.scenes.document(scene.scene_id).position("w1", "s1").point[0]

    for expected in (100, 0):  # two undos: back through revisions 3 and 2
        _by_label(at.button, "Undo").click().run()
        assert not at.exception
        assert x_now() == expected
    assert "undid revision 3 (back to revision 2)" in [s.value for s in at.success]
    for expected in (100, 200):  # and forward again
        _by_label(at.button, "Redo").click().run()
        assert x_now() == expected
    assert _by_label(at.button, "Redo").disabled
    history = cat.scenes.history(scene.scene_id)
    assert [r.number for r in history] == list(range(1, 9))
    assert history[-1].summary == "redid revision 4"
    cat.close()
