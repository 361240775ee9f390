"""The ``bsu-models`` command line as scripts use it: exit codes, one-line errors, --json keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the CLI against a fresh data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BSU_")}
    env.update(
        BSU_DATA_DIR=str(tmp_path / "data"),
        BSU_ACTOR="cli-test",
        BSU_MAX_FACES="5000000",
        BSU_PARSE_TIMEOUT_S="60",
    )
    return env


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bsu_models.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_case_import_list_show_verify_round(cli_env, testdata):
    assert (
        run_cli(cli_env, "case", "add", "KC-2026-0142", "--title", "旺角 Mong Kok").returncode == 0
    )
    cases = json.loads(run_cli(cli_env, "case", "list", "--json").stdout)
    assert [c["reference"] for c in cases] == ["KC-2026-0142"]

    done = run_cli(
        cli_env,
        "import",
        str(testdata / "fandisk.obj"),
        "--case",
        "KC-2026-0142",
        "--name",
        "Fandisk",
        "--units",
        "mm",
        "--scale",
        "1:50",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    for key in (
        "model_id",
        "version_id",
        "sha256",
        "format",
        "vertices",
        "faces",
        "bounds",
        "real_world_extent_m",
    ):
        assert key in result
    assert result["faces"] == 12_946 and result["format"] == "obj"
    assert len(result["real_world_extent_m"]) == 3

    listed = json.loads(run_cli(cli_env, "list", "--query", "fandisk", "--json").stdout)
    assert [m["latest_version_id"] for m in listed] == [result["version_id"]]
    shown = run_cli(cli_env, "show", str(result["version_id"]))
    assert result["sha256"] in shown.stdout and "12,946 faces" in shown.stdout

    verified = run_cli(cli_env, "verify", "--json")
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"] is True


def test_user_error_exits_2_with_one_line_and_stores_nothing(cli_env, tmp_path):
    run_cli(cli_env, "case", "add", "KC-1", "--title", "t")
    bad = tmp_path / "evidence.ply"
    bad.write_bytes(b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\n")
    refused = run_cli(cli_env, "import", str(bad), "--case", "KC-1", "--name", "broken")
    assert refused.returncode == 2
    assert refused.stdout == ""
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: evidence.ply")
    assert "Traceback" not in refused.stderr
    assert json.loads(run_cli(cli_env, "list", "--json").stdout) == []
    blobs = Path(cli_env["BSU_DATA_DIR"]) / "blobs"
    assert not any(p.is_file() for p in blobs.rglob("*"))


@pytest.mark.parametrize(
    "args, expected",
    [
        (
            ["import", "nowhere.obj", "--case", "KC-1", "--name", "x"],
            "error: nowhere.obj: no such file.",
        ),
        (
            [
                "import",
                str(REPO / "assets" / "demo" / "bus-shelter.stl"),
                "--case",
                "KC-1",
                "--name",
                "x",
            ],
            "error: There is no case 'KC-1'.",
        ),
        (["show", "999"], "error: There is no model version 999."),
        (["case", "add", "KC-1", "--title", ""], "error: Case title must not be empty."),
    ],
)
def test_other_user_errors(cli_env, args, expected):
    refused = run_cli(cli_env, *args)
    assert refused.returncode == 2
    assert refused.stderr.strip().startswith(expected)


def test_bad_setting_is_a_user_error(cli_env):
    cli_env["BSU_MAX_FACES"] = "lots"
    refused = run_cli(cli_env, "case", "list")
    assert refused.returncode == 2
    assert refused.stderr.strip() == "error: BSU_MAX_FACES must be a whole number, got 'lots'."


def test_verify_exits_1_with_one_line_per_problem(cli_env, testdata):
    run_cli(cli_env, "case", "add", "KC-1", "--title", "t")
    run_cli(cli_env, "import", str(testdata / "teapot.obj"), "--case", "KC-1", "--name", "pot")
    blobs = [p for p in (Path(cli_env["BSU_DATA_DIR"]) / "blobs").rglob("*") if p.is_file()]
    # The original, web copy, thumbnail and geometry, the web levels (for a mesh this small
    # low and high are the same bytes, stored once) and the click index.
    levels = {
        level["sha256"]
        for level in json.loads(run_cli(cli_env, "show", "1", "--json").stdout)["web_levels"]
    }
    assert len(levels) == 1 and len(blobs) == 6
    next(p for p in blobs if p.name not in levels).unlink()
    checked = run_cli(cli_env, "verify")
    assert checked.returncode == 1
    assert len(checked.stdout.strip().splitlines()) == 1
    assert checked.stdout.startswith("missing: version 1")


def test_member_chooses_from_archive(cli_env, testdata):
    run_cli(cli_env, "case", "add", "KC-1", "--title", "t")
    refused = run_cli(
        cli_env, "import", str(testdata / "homer.zip"), "--case", "KC-1", "--name", "homer"
    )
    assert refused.returncode == 2 and "choose one with --member" in refused.stderr
    chosen = run_cli(
        cli_env,
        "import",
        str(testdata / "homer.zip"),
        "--case",
        "KC-1",
        "--name",
        "homer",
        "--member",
        "homer/homer.off",
        "--json",
    )
    assert chosen.returncode == 0 and json.loads(chosen.stdout)["faces"] == 12_000


def test_scene_commands_round_trip(cli_env, tmp_path):
    demo = REPO / "assets" / "demo"
    run_cli(cli_env, "case", "add", "KC-1", "--title", "t")
    imported = run_cli(
        cli_env,
        "import",
        str(demo / "bus-shelter.stl"),
        "--case",
        "KC-1",
        "--name",
        "Shelter",
        "--units",
        "mm",
        "--scale",
        "1:25",
        "--json",
    )
    version_id = json.loads(imported.stdout)["version_id"]
    created = run_cli(cli_env, "scene", "new", str(version_id), "--name", "Witness A account")
    assert created.returncode == 0 and created.stdout.strip() == "1"

    exported = run_cli(cli_env, "scene", "export", "1")
    data = json.loads(exported.stdout)
    assert data["schema"] == "bsu-scene/1" and data["scene"]["revision"] == 1
    data["entities"] = [
        {"id": "w1", "label": "W1", "type": "witness"},
        {"id": "s1", "label": "S1", "type": "suspect"},
    ]
    data["steps"] = [{"id": "t1", "title": "Approach", "clock": "21:03"}]
    # 160 mm apart on a 1:25 model: 4.00 m on site.
    data["positions"] = [
        {"entity": "w1", "step": "t1", "point": [-80, 0, 0]},
        {"entity": "s1", "step": "t1", "point": [80, 0, 0]},
    ]
    scene_file = tmp_path / "scene.json"
    scene_file.write_text(json.dumps(data))
    revised = run_cli(cli_env, "scene", "import", str(scene_file), "--json")
    assert revised.returncode == 0, revised.stderr
    assert json.loads(revised.stdout)["revision"] == 2

    measured = run_cli(
        cli_env, "scene", "measure", "1", "--from", "W1", "--to", "S1", "--step", "1", "--json"
    )
    value = json.loads(measured.stdout)
    assert value["unit"] == "m" and value["value"] == pytest.approx(4.0)
    assert value["text"].startswith("4.00 m ± ")

    listed = json.loads(
        run_cli(cli_env, "scene", "list", "--version", str(version_id), "--json").stdout
    )
    assert [(s["scene_id"], s["revision"]) for s in listed] == [(1, 2)]
    unknown = run_cli(cli_env, "scene", "measure", "1", "--from", "W1", "--to", "X9")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "error: There is no entity labelled 'X9' in this scene (known: W1, S1)."
    )
    data["steps"][0]["clock"] = "25:00"
    scene_file.write_text(json.dumps(data))
    refused = run_cli(cli_env, "scene", "import", str(scene_file))
    assert refused.returncode == 2 and refused.stderr.startswith("error: Scene file: at steps/0")


def test_render_writes_a_png_of_the_asked_size(cli_env, tmp_path):
    demo = REPO / "assets" / "demo"
    run_cli(cli_env, "case", "add", "KC-1", "--title", "t")
    imported = run_cli(
        cli_env,
        "import",
        str(demo / "car-park.off"),
        "--case",
        "KC-1",
        "--name",
        "Car park",
        "--units",
        "mm",
        "--scale",
        "1:200",
        "--json",
    )
    version_id = json.loads(imported.stdout)["version_id"]
    out = tmp_path / "plan.png"
    done = run_cli(
        cli_env,
        "render",
        str(version_id),
        "--preset",
        "plan",
        "--size",
        "1920x1080",
        "--out",
        str(out),
        "--exhibit",
        "P3",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (report["width"], report["height"]) == (1920, 1080)
    assert report["scale_bar_px"] * report["metres_per_pixel"] == pytest.approx(
        report["scale_bar_m"]
    )
    refused = run_cli(
        cli_env, "render", str(version_id), "--preset", "plan", "--step", "2", "--out", str(out)
    )
    assert refused.returncode == 2 and refused.stderr.strip() == "error: --step needs --scene."


def test_demo_makes_its_models_web_levels_before_it_exits(cli_env):
    """As after an import, nothing else needs to run for the demo models' levels: the Model
    page never shows levels "being made" that nobody makes."""
    loaded = run_cli(cli_env, "demo", "--json")
    assert loaded.returncode == 0, loaded.stderr
    accounts = json.loads(loaded.stdout)["accounts"]
    env = {**cli_env, "BSU_ACTOR": "investigator"}
    assert "investigator" in accounts
    listed = json.loads(run_cli(env, "list", "--json").stdout)
    assert len(listed) == 4
    for model in listed:
        shown = json.loads(run_cli(env, "show", str(model["latest_version_id"]), "--json").stdout)
        levels = {level["level"]: level["status"] for level in shown["web_levels"]}
        assert levels == {"low": "ready", "high": "ready"}, model["name"]
    # Loading it again (now as someone who may open cases) finds nothing left to make.
    again = run_cli({**cli_env, "BSU_ACTOR": "modeller"}, "demo", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["imported"] == []
