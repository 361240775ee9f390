"""English and Traditional Chinese (Hong Kong): the message catalogue, HK formats, the picker."""

from __future__ import annotations

import importlib.util
import os
import string
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

import bsu_models
from bsu_models import InvalidSetting, format_date, format_datetime, format_metres, load_settings
from bsu_models.core.i18n import LOCALE_DIR, po_path
from tests.conftest import REPO, upload
from tests.test_pages import _app, _by_label, _demo, app_env  # noqa: F401 - app_env is a fixture

POT = LOCALE_DIR / "bsu_models.pot"
FOOTBRIDGE = "KC-2026-0142 — Footbridge, Tsim Sha Tsui"


def _read(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def _extractor() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "extract_messages", REPO / "scripts" / "extract_messages.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ids(catalog: Catalog) -> set[object]:
    return {m.id for m in catalog if m.id}


def _forms(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


# -- the catalogue --------------------------------------------------------------------------------


def test_template_is_up_to_date_with_the_source():
    extracted = _ids(_extractor().extract_template())
    stored = _ids(_read(POT))
    assert not extracted - stored, "run scripts/extract_messages.py: new messages in the source"
    assert not stored - extracted, "run scripts/extract_messages.py: messages gone from the source"
    assert len(stored) > 40


@pytest.mark.parametrize("lang", bsu_models.LANGUAGES)
def test_each_language_has_exactly_the_template_messages(lang):
    assert _ids(_read(po_path(lang), lang)) == _ids(_read(POT))


def test_every_message_has_a_chinese_translation():
    chinese = _read(po_path("zh_HK"), "zh_HK")
    untranslated = [
        m.id
        for m in chinese
        if m.id and (m.fuzzy or not all(form.strip() for form in _forms(m.string)))
    ]
    assert not untranslated, f"translate these in {po_path('zh_HK')}: {untranslated}"


def test_english_leaves_every_msgstr_empty_so_the_msgid_is_shown():
    english = _read(po_path("en"), "en")
    assert all(not any(_forms(m.string)) for m in english if m.id)
    tr = bsu_models.translator("en")
    assert tr.gettext("Catalogue") == "Catalogue"
    assert tr.ngettext("{count} model", "{count} models", 1) == "{count} model"
    assert tr.ngettext("{count} model", "{count} models", 4) == "{count} models"


@pytest.mark.parametrize("lang", bsu_models.LANGUAGES)
def test_translations_keep_the_placeholders_of_their_msgid(lang):
    for message in _read(po_path(lang), lang):
        if not message.id:
            continue
        wanted = set().union(*(_placeholders(i) for i in _forms(message.id)))
        for form in _forms(message.string):
            if form:
                assert _placeholders(form) == wanted, (message.id, form)


def test_chinese_translator_translates_and_falls_back_to_english():
    tr = bsu_models.translator("zh_HK")
    assert tr.gettext("Catalogue") == "模型目錄"
    assert tr.ngettext("{count} model", "{count} models", 3).format(count=3) == "3 個模型"
    assert tr.gettext("A message nobody wrote") == "A message nobody wrote"
    assert bsu_models.translator("zh_HK") is tr  # compiled once per process
    with pytest.raises(bsu_models.InvalidInput, match="Unknown language 'fr'"):
        bsu_models.translator("fr")


# -- Hong Kong formats ----------------------------------------------------------------------------


def test_dates_in_both_languages():
    assert format_date(date(2026, 11, 25), "en") == "25 Nov 2026"
    assert format_date(date(2026, 11, 25), "zh_HK") == "2026年11月25日"
    assert format_date(date(2026, 3, 5), "en") == "5 Mar 2026"
    assert format_date(date(2026, 3, 5), "zh_HK") == "2026年3月5日"


def test_times_are_shown_in_hong_kong_time_on_a_24_hour_clock():
    utc = datetime(2026, 11, 25, 13, 3, 40, tzinfo=UTC)
    assert format_datetime(utc, "en") == "25 Nov 2026 21:03"
    assert format_datetime(utc, "zh_HK") == "2026年11月25日 21:03"
    assert format_datetime(utc, "en", seconds=True) == "25 Nov 2026 21:03:40"
    # Late evening UTC is the next morning in Hong Kong, also for the date alone.
    late = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
    assert format_datetime(late, "zh_HK") == "2026年11月25日 04:00"
    assert format_date(late, "en") == "25 Nov 2026"
    # The database hands back naive datetimes in UTC; another zone is converted.
    assert format_datetime(datetime(2026, 11, 25, 13, 3), "en") == "25 Nov 2026 21:03"
    new_york = timezone(timedelta(hours=-5))
    assert format_datetime(datetime(2026, 11, 25, 8, 3, tzinfo=new_york), "en") == (
        "25 Nov 2026 21:03"
    )


def test_lengths_are_in_metres_in_both_languages():
    assert format_metres(12.345, 0.05, "en") == "12.35 m ± 0.05 m"
    assert format_metres(12.345, 0.05, "zh_HK") == "12.35 米 ± 0.05 米"
    assert format_metres(1234.5, lang="en", digits=1) == "1,234.5 m"


# -- the setting ----------------------------------------------------------------------------------


def test_language_setting_defaults_to_english_and_takes_chinese():
    assert load_settings({}).language == "en"
    assert load_settings({"BSU_LANGUAGE": "zh_HK"}).language == "zh_HK"


def test_an_unknown_language_is_refused_with_a_plain_sentence():
    with pytest.raises(InvalidSetting) as refused:
        load_settings({"BSU_LANGUAGE": "zh-TW"})
    assert str(refused.value) == (
        "BSU_LANGUAGE must be en (English) or zh_HK (Traditional Chinese, Hong Kong), got 'zh-TW'."
    )


@pytest.mark.usefixtures("app_env")
def test_the_app_shows_a_bad_language_setting_as_one_error(monkeypatch):
    monkeypatch.setenv("BSU_LANGUAGE", "klingon")
    at = _app(user=None).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "BSU_LANGUAGE must be en (English) or zh_HK (Traditional Chinese, Hong Kong), "
        "got 'klingon'."
    ]


# -- the Catalogue page ---------------------------------------------------------------------------


@pytest.mark.usefixtures("app_env")
def test_catalogue_page_in_chinese_switches_to_english(monkeypatch):
    monkeypatch.setenv("BSU_LANGUAGE", "zh_HK")
    at = _app().run()
    assert not at.exception
    assert at.selectbox(key="ui_language").value == "zh_HK"
    assert at.title[0].value == "模型目錄"
    assert at.info[0].value.startswith("尚未有案件。")
    assert at.sidebar.text_input(key="new_case_reference").label == "案件編號"
    at.selectbox(key="ui_language").select("en").run()
    assert not at.exception
    assert at.title[0].value == "Catalogue"
    assert at.info[0].value.startswith("No cases yet.")
    assert at.sidebar.text_input(key="new_case_reference").label == "Case reference"


@pytest.mark.usefixtures("app_env")
def test_catalogue_in_chinese_finds_a_model_by_its_chinese_name(monkeypatch, testdata):
    monkeypatch.setenv("BSU_LANGUAGE", "zh_HK")
    cat = bsu_models.open_catalogue()
    bsu_models.load_demo(cat)
    cat.add_case("KC-2026-0150", "尖沙咀行人天橋")
    cat.import_model(
        upload(testdata / "teapot.obj"), case="KC-2026-0150", name="天橋模型", units="mm"
    )
    cat.close()
    at = _app().run()
    assert not at.exception
    assert at.caption[0].value == "5 個模型"
    assert at.selectbox(key="catalogue_case").options[0] == "所有案件"
    at.text_input(key="catalogue_query").input("天橋").run()
    assert not at.exception
    assert [h.value for h in at.subheader] == ["天橋模型"]
    assert at.caption[0].value == "1 個模型"
    card = " ".join(t.value for t in at.text)
    assert "尖沙咀行人天橋" in card  # the case title is user data, shown as entered
    assert "個面" in card and "第 1 版" in card and "年" in card
    at.text_input(key="catalogue_query").input("沒有這個地標").run()
    assert at.info[0].value == "沒有符合的模型。"
    # The case filter keeps its choice when the language changes.
    at.text_input(key="catalogue_query").input("").run()
    at.selectbox(key="catalogue_case").select("KC-2026-0150").run()
    at.selectbox(key="ui_language").select("en").run()
    assert at.selectbox(key="catalogue_case").value == "KC-2026-0150"
    assert [h.value for h in at.subheader] == ["天橋模型"]
    assert at.caption[0].value == "1 model"


# -- the Upload, Model, Scene editor and Presentation pages ---------------------------------------


def _chinese_demo(monkeypatch, page: str):  # type: ignore[no-untyped-def]
    """The demo catalogue's ``page`` in Chinese (``BSU_LANGUAGE=zh_HK``)."""
    monkeypatch.setenv("BSU_LANGUAGE", "zh_HK")
    _demo(Path(os.environ["BSU_DATA_DIR"]))
    at = _app().run()
    at.switch_page(page).run()
    assert not at.exception
    return at


def _to_english(at):  # type: ignore[no-untyped-def]
    at.selectbox(key="ui_language").select("en").run()
    assert not at.exception
    return at


@pytest.mark.usefixtures("app_env")
def test_upload_page_in_chinese_switches_to_english(monkeypatch):
    at = _chinese_demo(monkeypatch, "views/upload.py")
    assert at.title[0].value == "上載地標模型"
    assert at.caption[0].value.startswith("接受格式：")
    assert at.text_input(key="upload_name").label == "地標模型名稱"
    units = at.selectbox(key="upload_units")
    assert units.label == "檔案的單位"
    assert units.value == "unknown" and units.options[-1] == "不詳"  # shown, not stored
    assert _by_label(at.button, "匯入").disabled  # nothing chosen to import yet
    at = _to_english(at)
    assert at.title[0].value == "Upload a landmark model"
    assert at.text_input(key="upload_name").label == "Landmark model name"
    assert at.selectbox(key="upload_units").options[-1] == "unknown"
    assert _by_label(at.button, "Import").disabled


@pytest.mark.usefixtures("app_env")
def test_model_page_in_chinese_switches_to_english(monkeypatch):
    # The rerun that the view's report of its first frame brings draws the rest of the page.
    at = _chinese_demo(monkeypatch, "views/model.py").run()
    assert at.title[0].value == "模型"
    assert "此模型的版本" in [e.label for e in at.expander]
    assert any(c.value.startswith("拖曳可旋轉") for c in at.caption)
    assert at.button(key="prepare_original").label == "準備下載"
    facts = " ".join(str(v) for v in at.table[0].value.iloc[:, 1])
    assert "年" in facts and "香港時間" in facts
    at = _to_english(at)
    assert at.title[0].value == "Model"
    assert "Versions of this model" in [e.label for e in at.expander]
    assert at.button(key="prepare_original").label == "Prepare download"


@pytest.mark.usefixtures("app_env")
def test_scene_editor_in_chinese_switches_to_english(monkeypatch):
    at = _chinese_demo(monkeypatch, "views/scene_editor.py")
    at.selectbox(key="editor_model").select(FOOTBRIDGE).run()
    assert not at.exception
    assert at.title[0].value == "場景編輯"
    # The scene's name is user data, shown as entered.
    assert (
        at.selectbox(key="editor_scene")
        .options[0]
        .startswith("Footbridge handbag snatch 天橋搶劫（場景 ")
    )
    assert at.subheader[0].value.startswith("步驟 1／4：")
    tools = at.radio(key="editor_tool")
    assert tools.label == "工具"
    assert tools.options == ["環視", "放置", "移動", "量度"]
    assert tools.value == "navigate"  # the stored value, whatever the language
    table = at.table[0].value
    assert list(table.columns)[:3] == ["名稱", "類別", "敏感"]
    assert "受害人" in set(table["類別"])
    assert _by_label(at.button, "下一步 ▶")
    at = _to_english(at)
    assert at.title[0].value == "Scene editor"
    assert at.subheader[0].value.startswith("Step 1 of 4: ")
    assert at.radio(key="editor_tool").options == ["Look around", "Place", "Move", "Measure"]
    assert "victim" in set(at.table[0].value["Type"])


@pytest.mark.usefixtures("app_env")
def test_presentation_in_chinese_switches_to_english(monkeypatch):
    at = _chinese_demo(monkeypatch, "views/presentation.py")
    at.selectbox(key="present_model").select(FOOTBRIDGE).run()
    assert not at.exception
    assert at.title[0].value == "展示"
    assert "尚未凍結" in at.warning[0].value
    assert _by_label(at.sidebar.button, "凍結以供法庭使用").disabled
    headings = [m.value for m in at.markdown]
    assert "### 步驟 1／4 · 21:03" in headings and "**經過**" in headings
    table = at.dataframe[0].value
    marks = dict(zip(table["名稱"], table["位置來源"], strict=True))
    assert marks["受害人 V1 / Victim V1"] == "■ 閉路電視 (CAM-3 21:03:40-21:05:10)"
    assert marks["證人 W1 / Witness W1"] == "● 實地量度"
    assert set(table["類別"]) >= {"受害人", "疑犯", "證人"}
    _by_label(at.button, "下一步 ▶").click().run()
    assert not at.exception
    assert "### 步驟 2／4 · 21:04" in [m.value for m in at.markdown]
    at = _to_english(at)
    assert at.title[0].value == "Presentation"
    assert "### Step 2 of 4 · 21:04" in [m.value for m in at.markdown]  # the step is kept
    assert "How the position is known" in at.dataframe[0].value.columns
    assert _by_label(at.button, "◀ Previous")
