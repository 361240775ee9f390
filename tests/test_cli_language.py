"""The command line in English and Traditional Chinese (Hong Kong), chosen by ``BSU_LANGUAGE``.

Text output, help and the ``error:`` prefix follow the language; ``--json`` output, command names,
flags and exit codes do not.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import pytest

from bsu_models.cli.commands import build_parser, main
from tests.test_cli import cli_env, run_cli  # noqa: F401 - cli_env is a fixture

TEAPOT = Path("/work/shared/testdata/teapot.obj")

#: Phrases each language's text output must show (the model name and case title are user data).
EXPECTED = {
    "en": {
        "case add": "Added case KC-2026-0150: Mong Kok 旺角",
        "case list": "1 model",
        "import": ["— version 1 (version id 1, model id 1)", "faces", "(Hong Kong time) by"],
        "verify": "All well: ",
        "help": ["usage: bsu-models", "BSU Models: catalogue of landmark scale models.", "options"],
        "scene help": ["what changed between two revisions", "usage: bsu-models scene"],
        "error": "error: ",
        "scene listed": "re-enactment scenes on model versions",
    },
    "zh_HK": {
        "case add": "已新增案件 KC-2026-0150：Mong Kok 旺角",
        "case list": "1 個模型",
        "import": ["第 1 版（版本 ID 1，模型 ID 1）", "個面", "（香港時間），上載者：", "年"],
        "verify": "一切正常：",
        "help": ["用法：bsu-models", "BSU Models：地標比例模型目錄。", "選項"],
        "scene help": ["兩次修訂之間的改動", "用法：bsu-models scene", "選項"],
        "error": "錯誤：",
        "scene listed": "模型版本上的重演場景",
    },
}


def _lang_env(cli_env: dict[str, str], tmp_path: Path, lang: str) -> dict[str, str]:  # noqa: F811
    return {**cli_env, "BSU_LANGUAGE": lang, "BSU_DATA_DIR": str(tmp_path / f"data-{lang}")}


def _ok(env: dict[str, str], *args: str) -> str:
    done = run_cli(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _ok_in_process(monkeypatch, capsys, env: dict[str, str], *args: str) -> str:
    """``bsu-models ARGS`` run by ``cli.main`` in this process (no interpreter start per call),
    with exactly the ``BSU_*`` settings of ``env``."""
    for key in [k for k in os.environ if k.startswith("BSU_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith("BSU_"):
            monkeypatch.setenv(key, value)
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def _neutral(value: Any) -> Any:
    """``value`` without its timestamps (which differ from run to run)."""
    if isinstance(value, dict):
        return {k: _neutral(v) for k, v in value.items() if not k.endswith("_at")}
    if isinstance(value, list):
        return [_neutral(v) for v in value]
    return value


@pytest.mark.skipif(not TEAPOT.exists(), reason="shared test data not present")
def test_text_follows_the_language_and_json_does_not(
    cli_env,  # noqa: F811
    tmp_path,
    monkeypatch,
    capsys,
):
    # In this process: the output is what matters here, not the interpreter's start.
    ok = functools.partial(_ok_in_process, monkeypatch, capsys)
    outputs: dict[str, list[Any]] = {}
    for lang, expected in EXPECTED.items():
        env = _lang_env(cli_env, tmp_path, lang)
        added = ok(env, "case", "add", "KC-2026-0150", "--title", "Mong Kok 旺角")
        assert expected["case add"] in added
        imported = ok(
            env,
            "import",
            str(TEAPOT),
            "--case",
            "KC-2026-0150",
            "--name",
            "Teapot",
            "--units",
            "mm",
        )
        for phrase in expected["import"]:
            assert phrase in imported, (lang, phrase, imported)
        shown = ok(env, "show", "1")
        # Only the web levels, finished after the import was reported, may have moved on.
        changed = [
            (before, after)
            for before, after in zip(imported.splitlines(), shown.splitlines(), strict=True)
            if before != after
        ]
        assert changed and all(
            any(level in before for level in ("low", "high")) for before, _ in changed
        ), changed
        assert expected["case list"] in ok(env, "case", "list")
        assert ok(env, "verify").startswith(expected["verify"])
        outputs[lang] = [
            _neutral(json.loads(ok(env, *command, "--json")))
            for command in (
                ("case", "list"),
                ("import", str(TEAPOT), "--case", "KC-2026-0150", "--name", "Pot", "--units", "mm"),
                ("show", "1"),
                ("verify",),
            )
        ]
    assert outputs["en"] == outputs["zh_HK"]
    assert "Chinese" not in json.dumps(outputs["en"])


def test_chinese_text_has_no_english_sentences_left(cli_env, tmp_path):  # noqa: F811
    env = _lang_env(cli_env, tmp_path, "zh_HK")
    assert _ok(env, "case", "list").strip() == "尚未有案件。"
    assert _ok(env, "list").strip() == "沒有符合的模型。"


@pytest.mark.parametrize("lang", EXPECTED)
def test_help_follows_the_language(cli_env, tmp_path, lang):  # noqa: F811
    env = _lang_env(cli_env, tmp_path, lang)
    main_help = _ok(env, "--help")
    for phrase in EXPECTED[lang]["help"]:
        assert phrase in main_help, (lang, phrase, main_help)
    # Command names and flags are the same in every language.
    assert "case" in main_help and "import" in main_help and "--json" in main_help
    assert EXPECTED[lang]["scene listed"] in main_help
    scene_help = _ok(env, "scene", "--help")
    for phrase in EXPECTED[lang]["scene help"]:
        assert phrase in scene_help, (lang, phrase, scene_help)
    assert "sightline" in scene_help


@pytest.mark.parametrize("lang", EXPECTED)
def test_a_user_error_has_the_prefix_of_the_language(cli_env, tmp_path, lang):  # noqa: F811
    env = _lang_env(cli_env, tmp_path, lang)
    _ok(env, "case", "add", "KC-1", "--title", "One")
    refused = run_cli(env, "case", "add", "KC-1", "--title", "Again")
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(EXPECTED[lang]["error"]), lines
    # A usage error from the parser also carries the language's prefix; the exit code is kept.
    bad = run_cli(env, "case", "add")
    assert bad.returncode == 2
    assert f"bsu-models case add: {EXPECTED[lang]['error']}" in bad.stderr.replace(
        "bsu-models case add：", "bsu-models case add: "
    )


def test_an_unknown_language_is_one_english_error(cli_env):  # noqa: F811
    refused = run_cli({**cli_env, "BSU_LANGUAGE": "klingon"}, "case", "list")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "error: BSU_LANGUAGE must be en (English) or zh_HK (Traditional Chinese, Hong Kong), "
        "got 'klingon'."
    )
    assert refused.stdout == ""


def test_build_parser_defaults_to_english_and_keeps_names():
    english = build_parser().format_help()
    chinese = build_parser("zh_HK").format_help()
    assert "catalogue of landmark scale models" in english and "目錄" in chinese
    args = build_parser("zh_HK").parse_args(["case", "list", "--json"])
    assert args.case_command == "list" and args.json is True and args.ui_lang == "zh_HK"


def test_a_domain_error_is_shown_in_the_language(cli_env, tmp_path):  # noqa: F811
    english = "There is no user 'nobody'."
    for lang, sentence in (("zh_HK", "沒有用戶「nobody」。"), ("en", english)):
        refused = run_cli(_lang_env(cli_env, tmp_path, lang), "user", "roles", "nobody")
        assert refused.returncode == 2
        line = refused.stderr.strip()
        assert line.startswith(EXPECTED[lang]["error"]) and sentence in line, (lang, line)
        if lang == "zh_HK":
            assert english not in line


def test_argparse_details_follow_the_language(cli_env, tmp_path):  # noqa: F811
    chinese = run_cli(_lang_env(cli_env, tmp_path, "zh_HK"), "case", "add")
    assert chinese.returncode == 2
    assert "缺少以下必需的參數：" in chinese.stderr and "--title" in chinese.stderr
    assert "the following arguments are required" not in chinese.stderr
    choice = run_cli(_lang_env(cli_env, tmp_path, "zh_HK"), "render", "1", "--size", "huge")
    assert "無效的選擇：'huge'" in choice.stderr, choice.stderr
    english = run_cli(_lang_env(cli_env, tmp_path, "en"), "case", "add")
    assert "the following arguments are required: reference, --title" in english.stderr
