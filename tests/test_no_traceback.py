"""No traceback reaches a user: Streamlit's error details are off, an error escaping a page is one
translated sentence with an incident id (logged in full), and signing in as a user whose language
was saved earlier works (it used to raise StreamlitWidgetAlreadyInstantiatedError)."""

from __future__ import annotations

import logging
import re
import tomllib

from streamlit.testing.v1 import AppTest

import bsu_models
from tests.conftest import REPO, approve_for_court
from tests.test_pages import APP, _app, _by_label, app_env  # noqa: F401  (fixture)


def test_streamlit_shows_no_error_details():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


def test_signing_in_with_a_saved_language_shows_the_app_in_it(app_env):  # noqa: F811
    cat = bsu_models.open_catalogue()
    cat.accounts.add_user("chan.tm", "chan-password", ["auditor"], "Chan", language="zh_HK")
    cat.close()
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.text_input(key="sign_in_name").input("chan.tm")
    at.text_input(key="sign_in_password").input("chan-password")
    _by_label(at.button, "Sign in").click().run()
    assert not at.exception, at.exception
    assert at.session_state["ui_language"] == "zh_HK"
    assert at.title[0].value == "審計記錄"
    assert [s.value for s in at.selectbox if s.key == "ui_language"] == ["zh_HK"]


def _failing_page() -> None:
    from viewer.shared import guarded

    def page() -> None:
        raise RuntimeError("secret library detail /srv/bsu/catalogue.sqlite3")

    guarded(page)


def test_an_unexpected_error_is_one_sentence_with_an_incident_id(app_env, caplog):  # noqa: F811
    with caplog.at_level(logging.ERROR, logger="viewer.shared"):
        at = AppTest.from_function(_failing_page, default_timeout=60).run()
    assert not at.exception
    [error] = at.error
    match = re.fullmatch(
        r"Something went wrong and the page could not be shown\. Incident ([0-9A-F]{8}) is "
        r"logged; tell the unit's operators if it happens again\.",
        error.value,
    )
    assert match, error.value
    assert "secret" not in error.value and "RuntimeError" not in error.value
    [record] = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert record.exc_info and "secret library detail" in str(record.exc_info[1])
    # In the user's language too.
    chinese = AppTest.from_function(_failing_page, default_timeout=60)
    chinese.session_state["ui_language"] = "zh_HK"
    chinese.run()
    assert not chinese.exception
    assert re.search(r"事故編號 [0-9A-F]{8}", chinese.error[0].value)


def test_copying_a_frozen_scene_opens_the_copy(app_env):  # noqa: F811
    cat = bsu_models.open_catalogue()
    cat.add_case("KC-2026-0142", "Copy test")
    version = cat.import_model(
        [bsu_models.UploadFile("triangle.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")],
        case="KC-2026-0142",
        name="Corner",
    ).version
    scene = cat.scenes.create(version.version_id, "Sequence")
    approve_for_court(cat, scene.scene_id)
    cat.scenes.freeze(scene.scene_id, scene.revision)
    cat.close()
    at = _app().run()
    at.switch_page("views/scene_editor.py").run()
    assert at.selectbox(key="editor_scene").value == scene.scene_id
    _by_label(at.button, "Copy to a new scene").click().run()
    assert not at.exception, at.exception  # the scene picker was written after it was drawn
    assert at.selectbox(key="editor_scene").value != scene.scene_id
