"""Court exhibits: freezing a scene revision, the BagIt package of a frozen scene on a real mesh,
checking it with standard tools (``sha256sum -c``, the ``bagit`` validator) and with
``exhibit-verify``, and the PDF exhibit book inside it."""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import zipfile
from importlib import metadata
from pathlib import Path

import bagit
import numpy as np
import pytest
from pypdf import PdfReader

import bsu_models
from bsu_models import Anchor, Entity, Measurement, Position, Provenance, SavedView, Sightline, Step
from bsu_models.core import software
from tests.conftest import REPO, approve_for_court_cli, make_settings, upload
from tests.test_cli import run_cli
from tests.test_offline_viewer import _canvas_pixels, _shot, chromium, open_offline

pytestmark = pytest.mark.render
CASE = "KC-2026-0142"
EXHIBIT = "BSU/7"
FINDINGS = {
    "positions": "W1 and P7 agree with the survey; V1 with CAM-3 and WS-12",
    "measurements": "W1 to V1 checked on the model",
    "views": "Plan view shows the whole yard",
    "captions": "Times agree with CAM-3",
}


def _scene_on_fandisk(cat: bsu_models.Catalogue, testdata: Path) -> tuple[int, int]:
    """A two-step scene with Chinese labels on fandisk.obj (read as mm of a 1:100 model)."""
    cat.add_case(CASE, "旺角 Mong Kok assault")
    version = cat.import_model(
        upload(testdata / "fandisk.obj"), case=CASE, name="Fandisk yard", units="mm", scale="1:100"
    ).version
    lo, hi = (np.asarray(c) for c in version.bounds)
    centre, span = (lo + hi) / 2, hi - lo
    above = [
        centre + span * (dx, dy, 0) + (0, 0, span[2])
        for dx, dy in [(-0.2, -0.1), (0.2, 0.1), (0.0, 0.25), (0.1, -0.2)]
    ]
    w1, v1, c1, p7 = (tuple(p) for p in cat.scenes.snap(version.version_id, np.array(above)))
    scene = cat.scenes.create(version.version_id, "天橋 re-enactment")
    doc = cat.scenes.document(scene.scene_id)
    for entity in (
        Entity("w1", "證人 W1", "witness", "#2a9d8f"),
        Entity("v1", "V1", "victim", "#e63946"),
        Entity("c1", "私家車 HK-1234", "vehicle", "#f4a261"),
        Entity("p7", "證物 P7 (刀)", "evidence", "#6a4c93", sensitive=True),
    ):
        doc = doc.with_entity(entity)
    doc = doc.with_step(
        Step("s1", "Approach", "21:03", "V1 walks east past the car; W1 watches from the stairs.")
    ).with_step(Step("s2", "Attack", "21:04", "V1 falls near the knife (證物 P7)."))
    doc = doc.with_position(Position("w1", "s1", w1, provenance=Provenance("measured")))
    doc = doc.with_position(
        Position("v1", "s1", v1, provenance=Provenance("cctv", "CAM-3 21:03:12"))
    )
    doc = doc.with_position(Position("c1", "s1", c1))
    doc = doc.with_position(Position("w1", "s2", w1, provenance=Provenance("measured")))
    doc = doc.with_position(
        Position("v1", "s2", p7, provenance=Provenance("witness_statement", "WS-12 p.3"))
    )
    doc = doc.with_position(Position("p7", "s2", p7, provenance=Provenance("measured")))
    doc = doc.with_measurement(
        Measurement(
            "m1", "distance", "W1 to V1", "s2", a=Anchor(entity="w1"), b=Anchor(entity="v1")
        )
    )
    doc = doc.with_measurement(Measurement("m2", "path_length", "V1 route", entity="v1"))
    doc = doc.with_sightline(Sightline("l1", "w1", Anchor(entity="v1"), "s2"))
    plan = cat.scenes.preset_view(version.version_id, "plan")
    doc = doc.with_view(
        SavedView(**{**plan.__dict__, "id": "v-plan", "name": "Plan for step 1", "steps": ("s1",)})
    )
    info = cat.scenes.save(scene.scene_id, doc, scene.revision, "placed everyone")
    return info.scene_id, version.version_id


@pytest.fixture(scope="module")
def exhibit_setup(tmp_path_factory, testdata):
    """A catalogue with a frozen scene, and its package built by the CLI as a folder."""
    root = tmp_path_factory.mktemp("exhibit")
    cat = bsu_models.open_catalogue(make_settings(root / "data"))
    scene_id, version_id = _scene_on_fandisk(cat, testdata)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BSU_")}
    env.update(BSU_DATA_DIR=str(root / "data"), BSU_ACTOR="presenter-1")
    # The unit's signing key, outside the data folder: every package below is signed.
    (root / "keys").mkdir()
    env["BSU_SIGNING_KEY"] = str(root / "keys" / "unit.pem")
    key = run_cli(env, "keys", "create", "--json")
    assert key.returncode == 0, key.stderr
    refused = run_cli(env, "exhibit", str(scene_id), "--out", str(root / "early"))
    unreviewed = run_cli(env, "scene", "freeze", str(scene_id), "--json")
    review = approve_for_court_cli(env, scene_id, FINDINGS)
    frozen = run_cli(env, "scene", "freeze", str(scene_id), "--json")
    assert frozen.returncode == 0, frozen.stderr
    built = run_cli(
        env, "exhibit", str(scene_id), "--out", str(root / "pkg"), "--number", EXHIBIT, "--json"
    )
    assert built.returncode == 0, built.stderr
    yield {
        "cat": cat,
        "env": env,
        "root": root,
        "scene_id": scene_id,
        "version_id": version_id,
        "refused": refused,
        "unreviewed": unreviewed,
        "review": review,
        "key": json.loads(key.stdout),
        "frozen": json.loads(frozen.stdout),
        "result": json.loads(built.stdout),
        "bag": root / "pkg",
    }
    cat.close()


def test_bag_info_records_the_software_that_made_the_package(exhibit_setup):
    """The versions a court needs to make the stills again, as installed when it was built."""
    info = bagit.Bag(str(exhibit_setup["bag"])).info
    for label, distribution in [
        ("VTK", "vtk"),
        ("pyvista", "pyvista"),
        ("trimesh", "trimesh"),
        ("embreex", "embreex"),
        ("NumPy", "numpy"),
        ("Pillow", "pillow"),
        ("fpdf2", "fpdf2"),
    ]:
        assert info[f"Software-{label}"] == metadata.version(distribution), label
    assert info["Software-Python"] == platform.python_version()
    lock = (REPO / "requirements.lock").read_bytes()
    assert info["Software-Lock-SHA256"] == hashlib.sha256(lock).hexdigest()
    expected = "; ".join(software.lock_mismatches(lock.decode())) or "none"
    assert info["Software-Lock-Mismatches"] == expected


def _copy(bag: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(bag, target)
    return target


def _flip_byte(path: Path, offset: int = 100) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_exhibit_needs_a_frozen_scene_and_freezing_stops_changes(exhibit_setup):
    setup = exhibit_setup
    assert setup["refused"].returncode == 2
    assert "not frozen" in setup["refused"].stderr
    assert not (setup["root"] / "early").exists()
    assert setup["unreviewed"].returncode == 2
    assert "has no technical review" in setup["unreviewed"].stderr
    assert setup["frozen"]["frozen_revision"] == 2
    cat, scene_id = setup["cat"], setup["scene_id"]
    info = cat.scenes.info(scene_id)
    assert info.frozen and info.frozen_by == "presenter-1"
    doc = cat.scenes.document(scene_id)
    with pytest.raises(bsu_models.Conflict, match="frozen for court at revision 2"):
        cat.scenes.save(scene_id, doc.with_step(Step("s3", "Later")), info.revision)
    with pytest.raises(bsu_models.Conflict, match="frozen"):
        cat.scenes.freeze(scene_id)
    copy = cat.scenes.copy(scene_id, "Working copy")
    assert not copy.frozen and cat.scenes.document(copy.scene_id).steps == doc.steps
    actions = [e.action for e in cat.audit_events(100)]
    assert "scene.freeze" in actions


def test_package_is_a_valid_bag_with_every_part(exhibit_setup):
    bag_dir = exhibit_setup["bag"]
    bag = bagit.Bag(str(bag_dir))
    bag.validate()  # raises BagValidationError on any problem
    payload = sorted(
        p.relative_to(bag_dir / "data").as_posix()
        for p in (bag_dir / "data").rglob("*")
        if p.is_file()
    )
    assert payload == [
        "README.txt",
        "exhibit-book.pdf",
        "model.glb",
        "model/fandisk.obj",
        "scene.json",
        "stills/step-01.json",
        "stills/step-01.png",
        "stills/step-02.json",
        "stills/step-02.png",
        "viewer.html",
    ]
    model = (bag_dir / "data" / "model" / "fandisk.obj").read_bytes()
    assert hashlib.sha256(model).hexdigest() == bag.info["BSU-Source-SHA256"]
    settings = json.loads((bag_dir / "data" / "stills" / "step-01.json").read_text())
    assert settings["scene_file"] == "scene.json" and settings["step"] == 1
    assert settings["view"] == "v-plan" and settings["size"] == "a4"
    step_one = (bag_dir / "data" / "stills" / "step-01.png").read_bytes()
    assert settings["still_sha256"] == hashlib.sha256(step_one).hexdigest()
    info = bag.info
    version = exhibit_setup["cat"].get_version(exhibit_setup["version_id"])
    assert info["BSU-Source-SHA256"] == version.original_sha256
    assert info["BSU-Scene-Revision"] == "2"
    assert info["External-Identifier"] == EXHIBIT
    assert info["Exhibit-Language"] == "en"
    review = exhibit_setup["review"]
    assert info["BSU-Review"] == "approved" and info["BSU-Reviewed-By"] == "reviewer-1"
    assert info["BSU-Review-Revision-SHA256"] == review["revision_sha256"]
    assert info["BSU-Review-Revision-SHA256"] == info["BSU-Scene-Revision-SHA256"]
    assert info["BSU-Review-Finding-Positions"] == FINDINGS["positions"]
    scene = json.loads((bag_dir / "data" / "scene.json").read_text())
    assert scene["scene"]["revision"] == 2
    assert scene["scene"]["model_version"]["sha256"] == version.original_sha256
    glb = (bag_dir / "data" / "model.glb").read_bytes()
    assert glb == exhibit_setup["cat"].web_glb(version.version_id)
    from PIL import Image

    still = Image.open(bag_dir / "data" / "stills" / "step-01.png")
    assert still.size == (3508, 2480)
    assert tuple(round(d) for d in still.info["dpi"]) == (300, 300)
    assert still.text.get("derived-from-sha256") == version.original_sha256


def test_standard_tools_verify_and_name_a_changed_file(exhibit_setup, tmp_path):
    bag_dir = exhibit_setup["bag"]
    ok = subprocess.run(
        ["sha256sum", "-c", "manifest-sha256.txt"], cwd=bag_dir, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.count(": OK") == 10
    tampered = _copy(bag_dir, tmp_path)
    _flip_byte(tampered / "data" / "scene.json", 40)
    bad = subprocess.run(
        ["sha256sum", "-c", "manifest-sha256.txt"], cwd=tampered, capture_output=True, text=True
    )
    assert bad.returncode != 0
    assert "data/scene.json: FAILED" in bad.stdout
    assert bad.stdout.count(": OK") == 9
    with pytest.raises(bagit.BagValidationError) as caught:
        bagit.Bag(str(tampered)).validate()
    assert "data/scene.json" in str(caught.value)


def test_exhibit_verify_names_the_changed_file(exhibit_setup, tmp_path):
    env, bag_dir = exhibit_setup["env"], exhibit_setup["bag"]
    good = run_cli(env, "exhibit-verify", str(bag_dir), "--json")
    assert good.returncode == 0, good.stderr
    report = json.loads(good.stdout)
    assert report["valid"] is True and report["files"] == 10
    assert report["exhibit"] == EXHIBIT and report["scene_revision"] == "2"

    tampered = _copy(bag_dir, tmp_path)
    _flip_byte(tampered / "data" / "stills" / "step-02.png", 5000)
    bad = run_cli(env, "exhibit-verify", str(tampered))
    assert bad.returncode == 1
    assert "data/stills/step-02.png has changed" in bad.stdout
    assert "step-01" not in bad.stdout

    (tampered / "data" / "viewer.html").unlink()
    (tampered / "data" / "extra.txt").write_text("added later")
    report = json.loads(run_cli(env, "exhibit-verify", str(tampered), "--json").stdout)
    assert report["valid"] is False
    assert report["changed"] == ["data/stills/step-02.png"]
    assert report["missing"] == ["data/viewer.html"]
    assert report["unlisted"] == ["data/extra.txt"]

    # The manifest itself edited to match a changed file: the tag manifest gives it away.
    forged = _copy(bag_dir, tmp_path / "forged")
    _flip_byte(forged / "data" / "scene.json", 40)
    new_hash = hashlib.sha256((forged / "data" / "scene.json").read_bytes()).hexdigest()
    manifest = forged / "manifest-sha256.txt"
    lines = [
        f"{new_hash}  data/scene.json" if line.endswith("data/scene.json") else line
        for line in manifest.read_text().splitlines()
    ]
    manifest.write_text("\n".join(lines) + "\n")
    report = json.loads(run_cli(env, "exhibit-verify", str(forged), "--json").stdout)
    assert report["changed"] == ["manifest-sha256.txt"]


def test_zip_package_verifies_and_is_audited(exhibit_setup, tmp_path):
    cat, scene_id = exhibit_setup["cat"], exhibit_setup["scene_id"]
    # Chinese letters of the exhibit number are kept in the file and top folder names.
    name, data, result = cat.exhibit_zip(scene_id, "BSU/證物 8", actor="presenter-2")
    assert name == "BSU-證物-8.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert all(n.startswith("BSU-證物-8/") for n in names)
        manifest = archive.read("BSU-證物-8/manifest-sha256.txt")
        archive.extractall(tmp_path / "unzipped")
    assert result.manifest_sha256 == hashlib.sha256(manifest).hexdigest()
    bagit.Bag(str(tmp_path / "unzipped" / "BSU-證物-8")).validate()
    path = tmp_path / "BSU-8.zip"
    path.write_bytes(data)
    assert bsu_models.verify_exhibit(path).valid
    event = next(e for e in cat.audit_events(50) if e.action == "exhibit.export")
    assert event.actor == "presenter-2"
    assert event.object_sha256 == result.manifest_sha256
    assert event.details["revision"] == 2 and event.details["exhibit"] == "BSU/證物 8"
    # The CLI's package was audited too, with the hash of the manifest on disk.
    on_disk = hashlib.sha256((exhibit_setup["bag"] / "manifest-sha256.txt").read_bytes())
    assert on_disk.hexdigest() in {
        e.object_sha256 for e in cat.audit_events(100) if e.action == "exhibit.export"
    }
    assert cat.verify().ok


def test_exhibit_book_pages_and_text(exhibit_setup):
    path = exhibit_setup["bag"] / "data" / "exhibit-book.pdf"
    reader = PdfReader(path)
    assert reader.metadata.title == f"Exhibit {EXHIBIT} · {CASE}"
    pages = len(reader.pages)
    assert pages >= 6  # cover, model, one per step, method, annex (a step may overflow)
    # poppler's pdftotext reads the text as a court's PDF reader would.
    text = [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, pages + 1)
    ]
    whole = "".join("".join(t.split()) for t in text)
    assert f"Exhibit{EXHIBIT}" in whole
    assert "天橋re-enactment" in whole
    version = exhibit_setup["cat"].get_version(exhibit_setup["version_id"])
    assert version.original_sha256 in whole
    for label in ("證人W1", "私家車HK-1234", "證物P7(刀)"):
        assert label in whole
    step_pages = [t for t in text if "Step 1 of 2" in t or "Step 2 of 2" in t]
    assert len(step_pages) >= 2
    assert "CCTV" in whole and "CAM-321:03:12" in whole and "WS-12p.3" in whole
    assert " m ± " in "".join(text)  # the measurement with its uncertainty
    assert any("method" in t.lower() for t in text)
    review = next(t for t in text if "Technical review" in t)
    assert "reviewer-1" in review and "approved" in review
    assert "".join(FINDINGS["measurements"].split()) in "".join(review.split())


def test_refusals_leave_nothing_behind(exhibit_setup, tmp_path):
    env, scene_id = exhibit_setup["env"], exhibit_setup["scene_id"]
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("someone else's file")
    refused = run_cli(env, "exhibit", str(scene_id), "--out", str(occupied))
    assert refused.returncode == 2 and "already exists" in refused.stderr
    assert [p.name for p in occupied.iterdir()] == ["keep.txt"]
    missing = run_cli(env, "exhibit-verify", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    not_a_bag = tmp_path / "plain.zip"
    with zipfile.ZipFile(not_a_bag, "w") as archive:
        archive.writestr("../evil.txt", "x")
    hostile = run_cli(env, "exhibit-verify", str(not_a_bag))
    assert hostile.returncode == 2 and "plain relative path" in hostile.stderr
    assert not list(tmp_path.glob(".exhibit-*"))


@pytest.mark.browser
def test_package_viewer_opens_offline_from_the_stick(exhibit_setup, tmp_path, open_offline):
    """The package's own viewer.html, copied away from everything else, opened from file://
    with no network: the model and the scene's steps are drawn."""
    from playwright.sync_api import expect

    stick = tmp_path / "usb"
    stick.mkdir()
    shutil.copy(exhibit_setup["bag"] / "data" / "viewer.html", stick / "viewer.html")
    opened = open_offline(stick / "viewer.html")
    page = opened.page
    page.locator('body[data-ready="1"]').wait_for(state="attached", timeout=120_000)
    expect(page.locator("#step-heading")).to_have_text("Step 1 of 2 · 21:03 · Approach")
    expect(page.get_by_text("證人 W1").first).to_be_visible()
    page.keyboard.press("ArrowRight")
    expect(page.locator("body")).to_have_attribute("data-step", "2")
    # The sensitive knife is marked, as README.txt says: a badge in the table, its own label.
    row = page.locator("#entity-rows tr", has_text="證物 P7")
    expect(row.locator(".badge.sensitive")).to_have_text("Sensitive")
    expect(page.locator("#entity-rows .badge")).to_have_count(1)
    expect(page.locator(".labels .label.sensitive")).to_have_text("證物 P7 (刀) · Sensitive")
    expect(page.locator(".labels .label.sensitive")).to_have_count(1)
    expect(page.locator(".labels .label.sensitive")).to_have_css("border-top-style", "dashed")
    picture = _shot(page, "exhibit-package-viewer.png")
    pixels = _canvas_pixels(page, picture)
    background = np.median(pixels, axis=0)
    drawn = np.abs(pixels.astype(int) - background).sum(axis=1) > 40
    assert drawn.mean() > 0.05, "the model is not drawn"
    assert opened.outside == [] and opened.problems == []


# -- review fixes --------------------------------------------------------------------------------


def _zip_bag(bag_dir: Path, path: Path, stored: tuple[str, ...] = (), top: str = "BSU-7") -> Path:
    """The bag folder zipped by hand, ``stored`` entries uncompressed."""
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(p for p in bag_dir.rglob("*") if p.is_file()):
            name = file.relative_to(bag_dir).as_posix()
            method = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            archive.writestr(f"{top}/{name}", file.read_bytes(), method)
    return path


def _entry_data_offset(path: Path, name: str) -> int:
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    data = path.read_bytes()
    start = info.header_offset
    name_len = int.from_bytes(data[start + 26 : start + 28], "little")
    extra_len = int.from_bytes(data[start + 28 : start + 30], "little")
    return start + 30 + name_len + extra_len


def test_a_damaged_zip_entry_is_named_not_a_traceback(exhibit_setup, tmp_path):
    env, bag_dir = exhibit_setup["env"], exhibit_setup["bag"]
    # A stored entry with a flipped byte: its CRC no longer matches (zipfile.BadZipFile).
    bad_crc = _zip_bag(bag_dir, tmp_path / "crc.zip", stored=("data/scene.json",))
    _flip_byte(bad_crc, _entry_data_offset(bad_crc, "BSU-7/data/scene.json") + 10)
    # A deflated entry whose data starts with a reserved block type (zlib.error).
    bad_deflate = _zip_bag(bag_dir, tmp_path / "deflate.zip")
    offset = _entry_data_offset(bad_deflate, "BSU-7/data/README.txt")
    data = bytearray(bad_deflate.read_bytes())
    data[offset] = 0xFF
    bad_deflate.write_bytes(bytes(data))
    for path, name in ((bad_crc, "data/scene.json"), (bad_deflate, "data/README.txt")):
        checked = run_cli(env, "exhibit-verify", str(path))
        assert checked.returncode == 1, checked.stderr
        assert "Traceback" not in checked.stderr
        assert f"{name} is damaged (cannot be read)." in checked.stdout
        assert checked.stdout.count("damaged") == 1
        report = json.loads(run_cli(env, "exhibit-verify", str(path), "--json").stdout)
        assert report["valid"] is False and report["damaged"] == [name]


def test_a_zip_with_an_entry_twice_is_refused(exhibit_setup, tmp_path):
    env, bag_dir = exhibit_setup["env"], exhibit_setup["bag"]
    path = tmp_path / "twice.zip"
    with (
        pytest.warns(UserWarning, match="Duplicate name"),
        zipfile.ZipFile(path, "w") as archive,
    ):
        archive.writestr("BSU-7/data/scene.json", b'{"forged": true}')  # seen by some tools
        for file in sorted(p for p in bag_dir.rglob("*") if p.is_file()):
            archive.writestr(f"BSU-7/{file.relative_to(bag_dir).as_posix()}", file.read_bytes())
    refused = run_cli(env, "exhibit-verify", str(path))
    assert refused.returncode == 2, refused.stdout
    assert refused.stderr.startswith("error: ") and refused.stderr.count("\n") == 1
    assert "'BSU-7/data/scene.json' more than once" in refused.stderr


def test_exhibit_numbers_are_checked(exhibit_setup, tmp_path):
    cat, env, scene_id = exhibit_setup["cat"], exhibit_setup["env"], exhibit_setup["scene_id"]
    for number, reason in (
        ("BSU\n7", "control character"),
        ("   ", "must not be empty"),
        ("7" * 300, "at most"),
        ("<b>7</b>", "markup"),
    ):
        with pytest.raises(bsu_models.InvalidInput, match=reason):
            cat.build_exhibit(scene_id, tmp_path / "pkg", number)
        with pytest.raises(bsu_models.InvalidInput, match=reason):
            cat.exhibit_zip(scene_id, number)
    refused = run_cli(env, "exhibit", str(scene_id), "--out", str(tmp_path / "p"), "--number", "")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "exhibit number" in refused.stderr
    assert not (tmp_path / "p").exists() and not (tmp_path / "pkg").exists()
    from bsu_models.court.exhibit import check_exhibit_number, safe_name

    assert check_exhibit_number("  BSU/7 ") == "BSU/7"
    assert safe_name("BSU/證物 7") == "BSU-證物-7"
    assert safe_name("../..") == "exhibit"
    assert len(safe_name("證" * 300)) <= 60


def test_output_location_is_checked_before_building(exhibit_setup, tmp_path):
    cat, env, scene_id = exhibit_setup["cat"], exhibit_setup["env"], exhibit_setup["scene_id"]
    before = max(e.event_id for e in cat.audit_events(5))
    missing = run_cli(env, "exhibit", str(scene_id), "--out", str(tmp_path / "nope" / "pkg"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    under_file = run_cli(env, "exhibit", str(scene_id), "--out", str(a_file / "pkg.zip"))
    assert under_file.returncode == 2 and "not a folder" in under_file.stderr
    taken = run_cli(env, "exhibit", str(scene_id), "--out", str(a_file))
    assert taken.returncode == 2 and "already exists" in taken.stderr
    # Nothing was rendered or read for these: no audit events at all.
    assert max(e.event_id for e in cat.audit_events(5)) == before


def test_freeze_revision_must_be_positive(exhibit_setup):
    env, scene_id = exhibit_setup["env"], exhibit_setup["scene_id"]
    for value in ("0", "-1"):
        refused = run_cli(env, "scene", "freeze", str(scene_id), "--revision", value)
        assert refused.returncode == 2 and "--revision must be 1 or more" in refused.stderr


def test_verify_streams_and_refuses_a_zip_bomb(exhibit_setup, tmp_path, monkeypatch):
    env, bag_dir = exhibit_setup["env"], exhibit_setup["bag"]
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("bomb/bagit.txt", "BagIt-Version: 1.0\n")
        archive.writestr("bomb/data/zeros.bin", bytes(64 * 1024**2))
    refused = run_cli(env, "exhibit-verify", str(bomb))
    assert refused.returncode == 2 and "zip bomb" in refused.stderr
    assert "'bomb/data/zeros.bin'" in refused.stderr
    # Files are hashed as streams: neither a whole file nor a whole entry is read at once.
    zipped = _zip_bag(bag_dir, tmp_path / "pkg.zip")

    def whole(*_args, **_kwargs):
        raise AssertionError("read whole")

    monkeypatch.setattr(Path, "read_bytes", whole)
    monkeypatch.setattr(zipfile.ZipFile, "read", whole)
    assert bsu_models.verify_exhibit(bag_dir).valid
    assert bsu_models.verify_exhibit(zipped).valid


def test_verify_prints_the_manifest_hashes_and_counts_files(exhibit_setup, tmp_path):
    env, bag_dir, built = exhibit_setup["env"], exhibit_setup["bag"], exhibit_setup["result"]
    # Payload: book, README, GLB, the model file, scene, viewer, two stills and their settings;
    # tag files: the four of every bag and the signature.
    assert built["payload_files"] == 10 and built["tag_files"] == 5 and len(built["files"]) == 15
    tag_sha = hashlib.sha256((bag_dir / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
    good = run_cli(env, "exhibit-verify", str(bag_dir))
    assert good.returncode == 0
    assert "all 10 payload files and 5 tag files" in good.stdout
    assert f"manifest-sha256.txt SHA-256 {built['manifest_sha256']}" in good.stdout
    assert f"tagmanifest-sha256.txt SHA-256 {tag_sha}" in good.stdout
    report = json.loads(run_cli(env, "exhibit-verify", str(bag_dir), "--json").stdout)
    assert report["manifest_sha256"] == built["manifest_sha256"]
    assert report["tagmanifest_sha256"] == tag_sha
    assert (report["payload_files"], report["tag_files"]) == (10, 5)
    broken = _copy(bag_dir, tmp_path)
    for name in ("bagit.txt", "bag-info.txt", "tagmanifest-sha256.txt"):
        (broken / name).unlink()
    (broken / "notes.txt").write_text("added later")
    bad = run_cli(env, "exhibit-verify", str(broken))
    assert bad.returncode == 1
    assert bad.stdout.count("bagit.txt") == 1  # reported once
    assert "bag-info.txt is missing" in bad.stdout
    assert "tagmanifest-sha256.txt is missing" in bad.stdout
    assert "notes.txt should not be in the bag" in bad.stdout
    assert f"manifest-sha256.txt SHA-256 {built['manifest_sha256']}" in bad.stdout

    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "photo.jpg").write_bytes(b"x")
    for folder in (empty, tmp_path / "plain"):
        refused = run_cli(env, "exhibit-verify", str(folder))
        assert refused.returncode == 2
        assert f"{folder} is not a BagIt bag (no bagit.txt)" in refused.stderr


def test_book_marks_sensitive_entities_and_shows_scene_wide_measurements_once(exhibit_setup):
    bag_dir = exhibit_setup["bag"]
    path = bag_dir / "data" / "exhibit-book.pdf"
    pages = [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, len(PdfReader(path).pages) + 1)
    ]
    # cover, model, one page per step, review, method (its sections go on), annex: a typical
    # step fits on one page
    assert len(pages) >= 7 and not any("(continued)" in page for page in pages[:5])
    assert "Technical review" in pages[4]
    step_pages = pages[2:4]
    assert "Sensitive" in step_pages[1] and "never shown in public material" in step_pages[1]
    assert not any("Heading" in page for page in step_pages)  # no entity has a heading
    assert "Measurements over the whole scene" in pages[1] and "V1 route" in pages[1]
    assert not any("V1 route" in page for page in step_pages)
    assert "HKT (UTC+8)" in pages[0]
    method = "".join(next(p for p in pages if "Statement of method" in p).split())
    assert "themodelfile'sorigin(0,0,0)" in method and "lowestpointofthemodel" in method
    assert "cannotlistitsownhash" in "".join(pages[-1].split())
    # Every page says what the pictures are.
    assert all(
        "Illustrative demonstrative aid — not a recording of the events." in p for p in pages
    )
    readme = (bag_dir / "data" / "README.txt").read_text()
    assert "sensitive material" in readme and "must not be published" in readme


def test_blocked_sightline_is_given_in_metres(exhibit_setup):
    from bsu_models.court.exhibit import ExhibitBuilder

    cat, scene_id = exhibit_setup["cat"], exhibit_setup["scene_id"]
    builder = ExhibitBuilder(cat, scene_id, "presenter-1")
    version = builder.version
    lo = np.asarray(version.bounds[0], dtype=float)
    eye = tuple(float(c) for c in lo)
    point = tuple(float(c) for c in lo + np.array([100.0, 0.0, 0.0]))  # 1:100 mm model: 10 m
    verdict = builder._blocked(eye, point, "30.00 m ± 0.05 m")
    assert "model units" not in verdict
    assert verdict.startswith("blocked by the model 10.00 m from the eye, at E / N / height ")
    assert verdict.endswith(" m; the target is 30.00 m ± 0.05 m away")
    # Each sightline says the eye and face heights it was drawn at.
    [row] = builder._sightlines(2, builder.doc.steps[1])
    assert row.verdict.endswith(
        ". Eye height 1.60 m (the default for a person of unstated height); aimed at the "
        "target's face, 1.60 m up (the default for a person of unstated height)."
    )


def test_build_says_what_its_file_count_counts(capsys):
    import argparse
    from types import SimpleNamespace

    from bsu_models.cli.exhibit import cmd_exhibit
    from bsu_models.court.exhibit import ExhibitResult

    files = tuple((n, "0" * 64, 1) for n in ("data/a", "data/b", "bagit.txt", "bag-info.txt"))
    result = ExhibitResult("BSU/7", 3, 2, "pkg", "f" * 64, files, "e" * 64)
    asked: list[str] = []

    def build(
        *_args: object, lang: str, accounts: object = (), video: object = False
    ) -> ExhibitResult:
        asked.append(lang)
        return result

    cat = SimpleNamespace(build_exhibit=build)
    args = argparse.Namespace(scene_id=3, out="pkg", number="BSU/7", json=False)
    assert cmd_exhibit(cat, args) == 0  # type: ignore[arg-type]
    assert "2 payload files, 2 tag files written to pkg" in capsys.readouterr().out
    assert result.to_json()["payload_files"] == 2 and result.to_json()["tag_files"] == 2
    # The package's language: --language, else the command line's (BSU_LANGUAGE).
    for ui_lang, language in (("zh_HK", None), ("zh_HK", "en"), ("en", "zh_HK")):
        args = argparse.Namespace(
            scene_id=3, out="pkg", number=None, json=True, ui_lang=ui_lang, language=language
        )
        assert cmd_exhibit(cat, args) == 0  # type: ignore[arg-type]
    assert asked == ["en", "zh_HK", "en", "zh_HK"]


def test_package_in_traditional_chinese(exhibit_setup):
    """One package with its own words in Chinese (``--language zh_HK``): book, viewer, README and
    stills; bag-info records the language and the bag is valid as ever."""
    env, root, scene_id = exhibit_setup["env"], exhibit_setup["root"], exhibit_setup["scene_id"]
    bag_dir = root / "pkg-zh"
    built = run_cli(
        env, "exhibit", str(scene_id), "--out", str(bag_dir), "--language", "zh_HK", "--json"
    )
    assert built.returncode == 0, built.stderr
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    assert bag.info["Exhibit-Language"] == "zh_HK"
    assert bag.info["BSU-Scene-Revision"] == "2"  # the other fields as in English
    path = bag_dir / "data" / "exhibit-book.pdf"
    reader = PdfReader(path)
    meta = reader.metadata
    assert meta is not None and str(meta.title).startswith("證物 KC-2026-0142-S")
    assert meta["/CreationDate"] != "D:19700101000000Z"  # read from a Chinese date
    pages = [
        "".join(
            subprocess.run(
                ["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
        )
        for n in range(1, len(reader.pages) + 1)
    ]
    assert "封面" in pages[0] and "場景修訂" in pages[0] and "香港時間（UTC+8）" in pages[0]
    assert "模型" in pages[1] and "原始檔案SHA-256雜湊值" in pages[1]
    assert "步驟1／2·21:03·Approach" in pages[2]  # user text (the step title) as written
    assert "位置東／北／高（米）*" in pages[2] and "證人W1" in pages[2]
    assert "方法說明" in pages[-2] and "附件：證物檔案包內的檔案" in pages[-1]
    assert all("第" in page and "頁，共" in page for page in pages)  # footers
    assert not any(
        english in "".join(pages)
        for english in ("Statement of method", "Scene revision", "Measurements", "Step 1 of 2")
    )
    viewer = (bag_dir / "data" / "viewer.html").read_text(encoding="utf-8")
    assert '<html lang="zh-Hant-HK">' in viewer
    assert ">上一步</button>" in viewer and ">下一步</button>" in viewer
    assert ">重設視圖</button>" in viewer
    readme = (bag_dir / "data" / "README.txt").read_text(encoding="utf-8")
    assert readme.startswith("證物 KC-2026-0142-S") and "核對檔案包" in readme
    assert "sha256sum -c manifest-sha256.txt" in readme and "敏感資料" in readme


def test_book_states_each_uncertainty_at_k_2_with_matching_figures(exhibit_setup):
    """The statement of method: U = k·u at k = 2, U to two significant figures and the value
    to the same decimal place; data and assumed positions counted, each assumption listed."""
    import re

    text = subprocess.run(
        ["pdftotext", "-layout", str(exhibit_setup["bag"] / "data" / "exhibit-book.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.findall(r"(\d+(?:\.\d+)?) m ± (\d+(?:\.\d+)?) m \(k = 2, about 95 %\)", text)
    assert len(found) >= 2  # W1 to V1 at step 2, V1's route over the whole scene
    for value, spread in found:
        places = len(spread.partition(".")[2])
        assert len(value.partition(".")[2]) == places, (value, spread)
        digits = spread.replace(".", "").lstrip("0")
        assert len(digits) == 2, spread
    cat = exhibit_setup["cat"]
    doc = cat.scenes.document(exhibit_setup["scene_id"])
    m1 = cat.scenes.measure(exhibit_setup["scene_id"], doc.measurements[0])
    expanded = 2 * m1.uncertainty / 3**0.5
    value, spread = next((v, s) for v, s in found if abs(float(v) - m1.value) < 0.05)
    assert float(spread) == pytest.approx(expanded, rel=0.05)
    flat = " ".join(text.split())
    # Six positions: five from the survey, CCTV or a statement; the car (C1) assumed.
    assert "Positions placed: 6; resting on data" in flat and "): 5; assumptions: 1." in flat
    assert "私家車 HK-1234" in flat.split("Assumed positions (each listed)")[1]
    assert "Only this account is in this exhibit" in flat
    assert "Software-VTK" not in flat and "VTK" in flat  # the versions, named plainly
    assert "The pictures are not lit by the sun (the model version has no place on Earth)" in flat
