"""Each page of the web app under Streamlit's AppTest, on a real catalogue in a temp folder."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO

APP = str(REPO / "viewer" / "app.py")


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data folder that the app's catalogue opens; returns the folder."""
    for key in [k for k in os.environ if k.startswith("BSU_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("BSU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BSU_ACTOR", "apptest")
    import streamlit as st

    st.cache_resource.clear()  # the catalogue handle is per process; tests need a fresh one
    return tmp_path / "data"


TESTER_ROLES = ("modeller", "investigator", "presenter", "media_officer", "approver")


def _app(user: str | None = "tester") -> AppTest:
    """The app, signed in as ``user`` (an account with every case role, made a member of every
    case that exists now; cases it opens itself it joins as their creator)."""
    at = AppTest.from_file(APP, default_timeout=120)
    if user is not None:
        import bsu_models

        cat = bsu_models.open_catalogue()
        try:
            cat.accounts.principal(user)
        except bsu_models.LoginFailed:
            cat.accounts.add_user(user, "tester-password", TESTER_ROLES, "Page tester")
        for case in cat.list_cases():
            cat.accounts.add_member(case.reference, user)
        cat.close()
        at.session_state["bsu_user"] = user
    return at


def test_catalogue_page_without_cases_invites_a_new_case(app_env):
    at = _app().run()
    assert not at.exception
    assert at.title[0].value == "Catalogue"
    assert "No cases yet" in at.info[0].value


def test_new_case_form_adds_a_case_and_refuses_a_bad_one(app_env):
    at = _app().run()
    at.text_input(key="new_case_reference").input("KC-2026-0142")
    at.text_input(key="new_case_title").input("旺角 Mong Kok re-enactment")
    _by_label(at.button, "Add case").click().run()
    assert not at.exception
    assert any("KC-2026-0142" in o for o in at.selectbox(key="catalogue_case").options)
    at.text_input(key="new_case_reference").input("KC-2026-0142")
    at.text_input(key="new_case_title").input("duplicate")
    _by_label(at.button, "Add case").click().run()
    assert at.error[0].value == "Case KC-2026-0142 already exists."


def test_catalogue_lists_models_with_thumbnails_and_searches(app_env):
    _demo(app_env)
    at = _app().run()
    assert not at.exception
    names = [h.value for h in at.subheader]
    assert "Footbridge, Tsim Sha Tsui" in names and len(names) == 4
    assert len(at.get("image")) == 4
    at.text_input(key="catalogue_query").input("footbridge").run()
    assert [h.value for h in at.subheader] == ["Footbridge, Tsim Sha Tsui"]
    at.text_input(key="catalogue_query").input("no such landmark").run()
    assert at.info[0].value == "No models match."


def test_upload_page_imports_a_real_mesh_and_shows_the_report(app_env, testdata):
    import bsu_models

    bsu_models.open_catalogue().add_case("KC-1", "Upload test")
    at = _app().run()
    at.switch_page("views/upload.py").run()
    assert at.title[0].value == "Upload a landmark model"
    uploader = at.get("file_uploader")[0]
    assert uploader is not None
    at = _upload(at, "teapot.obj", (testdata / "teapot.obj").read_bytes(), "Teapot landmark")
    assert not at.exception
    assert at.success[0].value == "Stored Teapot landmark, version 1."
    assert "Validation report" in [s.value for s in at.subheader]


def test_upload_page_shows_one_plain_error_for_a_bad_file(app_env):
    import bsu_models

    bsu_models.open_catalogue().add_case("KC-1", "Upload test")
    at = _app().run()
    at.switch_page("views/upload.py").run()
    at = _upload(at, "evidence.stl", b"solid x\nendsolid x\n", "Broken")
    assert not at.exception
    [error] = at.error
    assert error.value.startswith("evidence.stl")
    assert bsu_models.open_catalogue().list_models() == []


def test_upload_page_asks_which_mesh_when_a_zip_holds_several(app_env, testdata):
    import bsu_models

    bsu_models.open_catalogue().add_case("KC-1", "Upload test")
    at = _app().run()
    at.switch_page("views/upload.py").run()
    at = _upload(at, "homer.zip", (testdata / "homer.zip").read_bytes(), "Homer")
    member = at.selectbox(key="upload_member")
    assert "homer/homer_35.off" in member.options
    member.select("homer/homer_35.off")
    at.main.button[0].click().run()
    assert at.success[0].value == "Stored Homer, version 1."


def _upload(at: AppTest, name: str, data: bytes, model_name: str) -> AppTest:
    at.get("file_uploader")[0].upload(name, data)  # type: ignore[attr-defined]
    at.text_input(key="upload_name").input(model_name)
    at.run()
    at.main.button[0].click().run()
    return at


def _demo(app_env) -> None:
    """The demo case in the fresh data folder ``app_env``, as ``load_demo`` leaves it: a copy of
    a folder it was loaded into once in this test session, with the same ``BSU_*`` settings (a
    data folder names nothing by its own path: the database holds blob keys)."""
    assert not app_env.exists(), "the demo is copied into a fresh data folder only"
    others = [(k, v) for k, v in os.environ.items() if k.startswith("BSU_") and k != "BSU_DATA_DIR"]
    shutil.copytree(_loaded_demo(tuple(sorted(others))), app_env)


@functools.cache
def _loaded_demo(settings: tuple[tuple[str, str], ...]) -> Path:
    """A data folder that ``load_demo`` filled with the environment's ``settings`` (the
    ``BSU_*`` variables but the data folder, theirs now); removed when the test session ends."""
    import bsu_models

    root = Path(tempfile.mkdtemp(prefix="bsu-demo-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    folder = root / "data"
    saved = os.environ.get("BSU_DATA_DIR")
    os.environ["BSU_DATA_DIR"] = str(folder)
    try:
        cat = bsu_models.open_catalogue()
        try:
            bsu_models.load_demo(cat)
        finally:
            cat.close()
    finally:
        if saved is None:
            del os.environ["BSU_DATA_DIR"]
        else:
            os.environ["BSU_DATA_DIR"] = saved
    return folder


def _model_page(at: AppTest) -> AppTest:
    """The Model page as a browser gets it: its first run draws the 3D view with its first
    level and holds the rest back; the view's report that the level is on screen reruns it."""
    at.switch_page("views/model.py").run()
    assert not at.exception
    assert at.title[0].value == "Model"
    assert not at.table and not at.expander  # the facts and expanders wait for that rerun
    return at.run()


def test_model_page_shows_viewer_facts_and_versions(app_env):
    _demo(app_env)
    at = _app().run()
    _model_page(at)
    assert not at.exception
    assert at.title[0].value == "Model"
    assert any("SHA-256" in c.value for c in at.caption)
    at.button(key="prepare_original").click().run()
    assert not at.exception
    assert len(at.get("download_button")) >= 1


def test_model_page_sets_the_place_and_refuses_a_bad_one(app_env):
    import bsu_models

    _demo(app_env)
    at = _model_page(_app().run())
    lat = next(n for n in at.number_input if n.key.startswith("place_lat_"))
    lon = next(n for n in at.number_input if n.key.startswith("place_lon_"))
    lat.set_value(22.3193)
    lon.set_value(114.1694)
    at.button(key="save_place").click().run()
    assert not at.exception
    assert at.success[0].value == "Place saved."
    version_id = int(lat.key.rsplit("_", 1)[1])
    located = bsu_models.open_catalogue().get_version(version_id)
    assert (located.latitude_deg, located.longitude_deg) == (22.3193, 114.1694)
    next(n for n in at.number_input if n.key.startswith("place_lat_")).set_value(95.0)
    at.button(key="save_place").click().run()
    assert at.error[0].value.startswith("Latitude 95.0 is out of range")


def test_model_page_lists_the_web_levels(app_env):
    import bsu_models

    _demo(app_env)
    at = _model_page(_app().run())
    assert not at.exception
    levels = [c.value for c in at.caption if c.value.startswith("Levels for the browser")]
    assert levels == ["Levels for the browser: low: being made… · high: being made…"]
    cat = bsu_models.open_catalogue()
    try:
        for model in cat.list_models():
            cat.derive_levels(model.latest.version_id)
    finally:
        cat.close()
    # The view gets the new first level (here nothing reports it on screen: run once more).
    at.run().run()
    levels = [c.value for c in at.caption if c.value.startswith("Levels for the browser")]
    assert len(levels) == 1 and "being made" not in levels[0] and " faces, " in levels[0]


def _by_label(widgets, label: str):  # type: ignore[no-untyped-def]
    return next(w for w in widgets if w.label == label)


def test_scene_editor_creates_a_scene_adds_a_step_and_refuses_a_bad_one(app_env):
    _demo(app_env)
    at = _app().run()
    at.switch_page("views/scene_editor.py").run()
    assert "no scene yet" in at.info[0].value
    at.sidebar.text_input[0].input("Prosecution sequence")
    _by_label(at.sidebar.button, "Create scene").click().run()
    assert not at.exception
    assert "Prosecution sequence (scene " in at.selectbox(key="editor_scene").format_func(
        at.selectbox(key="editor_scene").value
    )
    _by_label(at.text_input, "Title").input("Victim crosses")
    _by_label(at.text_input, "Clock time (24-hour, optional)").input("21:03:15")
    _by_label(at.button, "Add step").click().run()
    assert not at.exception
    assert at.subheader[0].value == "Step 1 of 1: Victim crosses · 21:03:15"
    _by_label(at.text_input, "Title").input("Later")
    _by_label(at.text_input, "Clock time (24-hour, optional)").input("25:99")
    _by_label(at.button, "Add step").click().run()
    assert at.error[0].value.startswith("Clock time '25:99' must look like")


def test_scene_editor_edits_an_entity_and_its_provenance(app_env):
    import bsu_models
    from bsu_models import Entity, Position, Step

    _demo(app_env)
    cat = bsu_models.open_catalogue()
    version = cat.list_models()[0].latest
    scene = cat.scenes.create(version.version_id, "Witness A account")
    lo, hi = version.bounds
    centre = tuple((a + b) / 2 for a, b in zip(lo, hi, strict=True))
    doc = (
        cat.scenes.document(scene.scene_id)
        .with_entity(Entity("e1", "W1", "witness"))
        .with_step(Step("s1", "Arrives", "21:03"))
        .with_position(Position("e1", "s1", centre))
    )
    cat.scenes.save(scene.scene_id, doc, scene.revision)
    at = _app().run()
    at.switch_page("views/scene_editor.py").run()
    assert not at.exception
    at.checkbox(key="edit_sensitive_e1").check()
    at.selectbox(key="edit_prov_e1").select("witness_statement")
    at.text_input(key="edit_ref_e1").input("WS-3 p.1")
    _by_label(at.button, "Save changes").click().run()
    assert not at.exception
    edited = cat.scenes.document(scene.scene_id)
    assert edited.entity("e1").sensitive
    assert edited.position("e1", "s1").provenance == bsu_models.Provenance(
        "witness_statement", "WS-3 p.1"
    )
    # A witness statement without its reference is refused with a plain message.
    at.text_input(key="edit_ref_e1").input("")
    _by_label(at.button, "Save changes").click().run()
    assert "needs a reference" in at.error[0].value


def test_language_choice_is_kept_with_the_account(app_env):
    import bsu_models

    at = _app().run()
    at.selectbox(key="ui_language").select("zh_HK").run()
    assert not at.exception
    assert at.title[0].value != "Catalogue"  # shown in Chinese now
    assert bsu_models.open_catalogue().accounts.principal("tester").language == "zh_HK"
    # The next sign-in starts in the account's language.
    fresh = AppTest.from_file(APP, default_timeout=120)
    fresh.run()
    principal = bsu_models.open_catalogue().accounts.authenticate("tester", "tester-password")
    assert principal.language == "zh_HK"


def test_pages_ask_for_sign_in_and_refuse_wrong_passwords(app_env):
    import bsu_models

    _app()  # creates the tester account, but this session is not signed in
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert [h.value for h in at.subheader] == ["Sign in to BSU Models"]
    at.text_input(key="sign_in_name").input("tester")
    at.text_input(key="sign_in_password").input("not the password")
    _by_label(at.button, "Sign in").click().run()
    assert at.error[0].value.startswith("The name or password is wrong")
    at.text_input(key="sign_in_password").input("tester-password")
    _by_label(at.button, "Sign in").click().run()
    assert not at.exception
    assert at.title[0].value == "Catalogue"
    logins = [
        e.outcome
        for e in bsu_models.open_catalogue().audit_events(None)
        if e.action == "login" and e.object_id == "tester"
    ]
    assert logins == ["ok", "failed"]  # newest first
