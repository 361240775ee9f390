"""Settings from BSU_* variables: defaults, parsing, refusals, and the README table."""

from __future__ import annotations

import dataclasses

import pytest

from bsu_models import SETTINGS_HELP, InvalidSetting, Settings, load_settings
from tests.conftest import REPO


def test_defaults_use_sqlite_in_the_data_dir(tmp_path):
    settings = load_settings({"BSU_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'catalogue.sqlite3'}"
    assert settings.blob_dir == tmp_path / "blobs"


def test_numbers_are_parsed_and_checked():
    assert load_settings({"BSU_MAX_FACES": "10"}).max_faces == 10
    assert load_settings({"BSU_PARSE_TIMEOUT_S": "2.5"}).parse_timeout_s == 2.5
    with pytest.raises(InvalidSetting, match="BSU_MAX_FACES must be a whole number"):
        load_settings({"BSU_MAX_FACES": "many"})
    with pytest.raises(InvalidSetting, match="must be positive"):
        load_settings({"BSU_MAX_UPLOAD_BYTES": "-1"})


def test_unknown_setting_is_refused_with_the_known_names():
    with pytest.raises(InvalidSetting, match="Unknown setting BSU_MAX_FACE;"):
        load_settings({"BSU_MAX_FACE": "10"})


def test_documented_defaults_match_the_code_and_the_readme():
    readme = (REPO / "README.md").read_text()
    defaults = {f.name: f.default for f in dataclasses.fields(Settings)}
    for name, (field_name, shown, _help) in SETTINGS_HELP.items():
        assert f"`{name}`" in readme, name
        if isinstance(defaults[field_name], int | float):
            assert float(shown) == float(defaults[field_name]), name  # type: ignore[arg-type]
            assert f"`{shown}`" in readme, name
