"""Packages that re-render themselves: every still made again from the package's own model file,
scene JSON and render settings matches the stored one pixel for pixel; a scene.json edited with
the manifests rewritten (a valid bag) is caught, naming the step; a package without its model
file is refused plainly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import bagit
import pytest

from bsu_models import InvalidInput
from bsu_models.core.settings import load_settings
from bsu_models.court.exhibit_rerender import rerender_package
from tests.test_cli import run_cli
from tests.test_exhibit import exhibit_setup  # noqa: F401  (the package, built once)

pytestmark = pytest.mark.render


def _copy(bag: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(bag, target)
    return target


def _rewrite_manifests(folder: Path) -> None:
    """What a forger would do: make the bag valid again after an edit."""
    bag = bagit.Bag(str(folder))
    bag.save(manifests=True)
    bagit.Bag(str(folder)).validate()


def test_package_re_renders_to_its_own_stills(exhibit_setup):  # noqa: F811
    done = run_cli(
        exhibit_setup["env"], "exhibit-verify", str(exhibit_setup["bag"]), "--rerender", "--json"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)["rerender"]
    assert report["ok"] and report["software_matches"]
    assert [s["step"] for s in report["stills"]] == [1, 2]
    assert all(s["identical"] and s["differing_pixels"] == 0 for s in report["stills"])


def test_an_edited_scene_with_rewritten_manifests_is_caught(exhibit_setup, tmp_path):  # noqa: F811
    copy = _copy(exhibit_setup["bag"], tmp_path)
    scene_file = copy / "data" / "scene.json"
    scene = json.loads(scene_file.read_text())
    # V1 moved at step 2 (witness statement WS-12): to where W1 stands.
    w1 = next(p for p in scene["positions"] if p["entity"] == "w1" and p["step"] == "s2")
    v1 = next(p for p in scene["positions"] if p["entity"] == "v1" and p["step"] == "s2")
    v1["point"] = [w1["point"][0] + 0.5, w1["point"][1], w1["point"][2]]
    scene_file.write_text(json.dumps(scene, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    _rewrite_manifests(copy)
    checked = run_cli(exhibit_setup["env"], "exhibit-verify", str(copy), "--rerender")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "DIFFERS: stills/step-02.png (step 2, from scene.json)" in checked.stdout
    assert "OK: stills/step-01.png (step 1)" in checked.stdout


def test_a_package_without_its_model_file_is_refused(exhibit_setup, tmp_path):  # noqa: F811
    copy = _copy(exhibit_setup["bag"], tmp_path)
    shutil.rmtree(copy / "data" / "model")
    _rewrite_manifests(copy)
    refused = run_cli(exhibit_setup["env"], "exhibit-verify", str(copy), "--rerender")
    assert refused.returncode == 2
    assert "holds no model file (data/model/)" in refused.stderr


def test_a_swapped_model_file_is_named(exhibit_setup, tmp_path):  # noqa: F811
    copy = _copy(exhibit_setup["bag"], tmp_path)
    model = copy / "data" / "model" / "fandisk.obj"
    model.write_bytes(model.read_bytes() + b"# one more line\n")
    _rewrite_manifests(copy)
    with pytest.raises(Exception, match="but its stills were made from"):
        rerender_package(copy, load_settings())


def _nudge_still(path: Path, levels: int) -> None:
    """The small, even change another graphics driver makes: every channel off by ``levels``."""
    import numpy as np
    from PIL import Image

    with Image.open(path) as picture:
        pixels = np.asarray(picture.convert("RGB"), dtype=np.int16)
    nudged = np.clip(pixels + np.where(pixels < 128, levels, -levels), 0, 255).astype(np.uint8)
    Image.fromarray(nudged).save(path)


def test_other_software_is_held_to_the_stated_tolerance_and_the_same_software_to_identity(
    exhibit_setup, tmp_path  # noqa: F811
):
    # The same software: a still off by a few levels no longer matches.
    same = _copy(exhibit_setup["bag"], tmp_path / "same")
    _nudge_still(same / "data" / "stills" / "step-01.png", 3)
    _rewrite_manifests(same)
    checked = run_cli(exhibit_setup["env"], "exhibit-verify", str(same), "--rerender", "--json")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)["rerender"]
    assert report["software_matches"] and not report["ok"]

    # Made elsewhere (another VTK): the same few levels are within the tolerance, and the report
    # names what differs; a marker moved would still differ by far more (the edited-scene test).
    other = _copy(exhibit_setup["bag"], tmp_path / "other")
    _nudge_still(other / "data" / "stills" / "step-01.png", 3)
    info = other / "bag-info.txt"
    lines = info.read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("Software-VTK: ") for line in lines)
    info.write_text(
        "\n".join(
            "Software-VTK: 9.0.0" if line.startswith("Software-VTK: ") else line for line in lines
        )
        + "\n",
        encoding="utf-8",
    )
    _rewrite_manifests(other)
    checked = run_cli(exhibit_setup["env"], "exhibit-verify", str(other), "--rerender", "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)["rerender"]
    assert not report["software_matches"] and report["ok"]
    assert any("Software-VTK" in d and "9.0.0" in d for d in report["software_differences"])
    [first] = [s for s in report["stills"] if s["step"] == 1]
    assert first["matches"] and not first["identical"] and first["within_tolerance"]


def test_the_figures_setting_is_kept_and_an_older_package_is_redrawn_without_figures(
    exhibit_setup, tmp_path  # noqa: F811
):
    from bsu_models.court.exhibit_stills import StillSettings

    copy = _copy(exhibit_setup["bag"], tmp_path)
    settings_file = copy / "data" / "stills" / "step-01.json"
    recorded = json.loads(settings_file.read_text())
    assert recorded["figures"] is True  # this package's stills show people at true size
    # A package made before figures existed has no such key: its stills had plain markers.
    del recorded["figures"]
    older = json.dumps(recorded).encode()
    assert StillSettings.from_bytes("step-01.json", older).figures is False
    with pytest.raises(InvalidInput, match="not a still's render settings"):
        StillSettings.from_bytes("step-01.json", json.dumps({**recorded, "figures": 1}).encode())
    # Drawn again the older way, the still no longer matches one drawn with figures.
    settings_file.write_bytes(older)
    _rewrite_manifests(copy)
    checked = run_cli(exhibit_setup["env"], "exhibit-verify", str(copy), "--rerender")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "DIFFERS: stills/step-01.png (step 1" in checked.stdout
    assert "OK: stills/step-02.png (step 2)" in checked.stdout
