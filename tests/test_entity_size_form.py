"""The scene editor's form sets an entity's true size and its heading at the step: a witness's
stated height and where they face, a vehicle's kind, a camera's field of view; each is stored
in the next revision."""

from __future__ import annotations

from tests.test_pages import _app, _by_label, _demo, app_env  # noqa: F401  (fixture)


def test_the_edit_form_sets_height_heading_and_vehicle_kind(app_env):  # noqa: F811
    import bsu_models
    from bsu_models import Entity, Position, Step

    _demo(app_env)
    cat = bsu_models.open_catalogue()
    version = cat.list_models()[0].latest
    scene = cat.scenes.create(version.version_id, "Sizes")
    lo, hi = version.bounds
    centre = tuple((a + b) / 2 for a, b in zip(lo, hi, strict=True))
    doc = (
        cat.scenes.document(scene.scene_id)
        .with_entity(Entity("e1", "W1", "witness"))
        .with_entity(Entity("c1", "Car 1", "vehicle"))
        .with_entity(Entity("k1", "Cam 1", "camera"))
        .with_step(Step("s1", "Arrives", "21:03"))
        .with_position(Position("e1", "s1", centre))
        .with_position(Position("c1", "s1", centre))
        .with_position(Position("k1", "s1", centre))
    )
    cat.scenes.save(scene.scene_id, doc, scene.revision)
    at = _app().run()
    at.switch_page("views/scene_editor.py").run()
    assert not at.exception
    at.selectbox(key="editor_selected").select("e1").run()
    at.number_input(key="edit_height_m_e1").set_value(1.80)
    at.number_input(key="edit_heading_e1").set_value(90.0)
    _by_label(at.button, "Save changes").click().run()
    assert not at.exception
    edited = cat.scenes.document(scene.scene_id)
    assert edited.entity("e1").height_m == 1.80
    assert edited.position("e1", "s1").heading_deg == 90.0
    # The car: a van, 6 m long; its untouched heading stays "not given".
    at.selectbox(key="editor_selected").select("c1").run()
    at.selectbox(key="edit_vehicle_c1").select("van")
    at.number_input(key="edit_length_m_c1").set_value(6.0)
    _by_label(at.button, "Save changes").click().run()
    assert not at.exception
    van = cat.scenes.document(scene.scene_id)
    assert (van.entity("c1").vehicle_kind, van.entity("c1").length_m) == ("van", 6.0)
    assert van.entity("c1").width_m is None
    assert van.position("c1", "s1").heading_deg is None
    assert van.entity("e1").height_m == 1.80
    # The camera: saved untouched, its field of view stays unset (the document as before);
    # then a 90° lens.
    at.selectbox(key="editor_selected").select("k1").run()
    assert at.number_input(key="edit_fov_k1").value == 60.0
    at.text_input(key="edit_label_k1").input("Cam A")
    _by_label(at.button, "Save changes").click().run()
    assert not at.exception
    assert cat.scenes.document(scene.scene_id).entity("k1").fov_deg is None
    at.number_input(key="edit_fov_k1").set_value(90.0)
    _by_label(at.button, "Save changes").click().run()
    assert not at.exception
    assert cat.scenes.document(scene.scene_id).entity("k1").fov_deg == 90.0
