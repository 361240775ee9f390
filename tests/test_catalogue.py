"""The catalogue service on SQLite and PostgreSQL: cases, versions, search, sizes, verify."""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

import bsu_models
from bsu_models.cli.commands import cmd_verify
from tests.conftest import make_settings, upload


def test_cases_are_added_listed_and_unique(catalogue):
    catalogue.add_case("KC-2026-0142", "Mong Kok assault")
    catalogue.add_case("KC-2026-0007", "旺角襲擊案 重演")
    assert [c.reference for c in catalogue.list_cases()] == ["KC-2026-0007", "KC-2026-0142"]
    with pytest.raises(bsu_models.Conflict, match="KC-2026-0142 already exists"):
        catalogue.add_case("KC-2026-0142", "again")
    with pytest.raises(bsu_models.InvalidInput):
        catalogue.add_case("../etc", "bad reference")
    with pytest.raises(bsu_models.InvalidInput, match="control character"):
        catalogue.add_case("KC-1", "title\x1b[31m")


def test_import_into_unknown_case_is_refused_before_parsing(catalogue, testdata):
    with pytest.raises(bsu_models.NotFound, match="KC-0000"):
        catalogue.import_model(upload(testdata / "teapot.obj"), case="KC-0000", name="teapot")
    assert list(catalogue.blobs.keys()) == []


def test_same_name_adds_immutable_versions(catalogue, case_reference, testdata):
    first = catalogue.import_model(
        upload(testdata / "teapot.obj"),
        case=case_reference,
        name="Bus shelter",
        units="mm",
        scale="1:50",
    )
    second = catalogue.import_model(
        upload(testdata / "fandisk.obj"),
        case=case_reference,
        name="Bus shelter",
        units="mm",
        scale="1:50",
    )
    assert first.created_model and not second.created_model
    assert (first.version.number, second.version.number) == (1, 2)
    assert first.version.model_id == second.version.model_id
    history = catalogue.versions_of(first.version.model_id)
    assert [v.original_name for v in history] == ["teapot.obj", "fandisk.obj"]
    assert catalogue.get_version(first.version.version_id).faces == 6_320
    [summary] = catalogue.list_models(case=case_reference)
    assert summary.version_count == 2 and summary.latest.version_id == second.version.version_id


def test_real_world_size_from_units_and_scale(catalogue, case_reference, tmp_path):
    # A 300 mm x 100 mm x 50 mm box on a 1:50 model is 15 m x 5 m x 2.5 m on site.
    import trimesh

    path = tmp_path / "block.stl"
    trimesh.creation.box(extents=(300, 100, 50)).export(path)
    version = catalogue.import_model(
        upload(path), case=case_reference, name="Block", units="mm", scale="1:50"
    ).version
    assert version.real_world_extent_m == pytest.approx((15.0, 5.0, 2.5))
    unknown = catalogue.import_model(upload(path), case=case_reference, name="Unscaled").version
    assert unknown.real_world_extent_m is None and unknown.units == "unknown"


def test_search_finds_latin_case_insensitively_and_chinese_exactly(
    catalogue, case_reference, testdata
):
    catalogue.import_model(
        upload(testdata / "teapot.obj"),
        case=case_reference,
        name="彌敦道天橋 Nathan Road footbridge",
        location="旺角 Mong Kok",
        tags=["footbridge"],
    )
    catalogue.import_model(
        upload(testdata / "beetle.obj"), case=case_reference, name="Car park", location="Kwun Tong"
    )
    assert [m.name for m in catalogue.list_models(query="NATHAN")] == [
        "彌敦道天橋 Nathan Road footbridge"
    ]
    assert len(catalogue.list_models(query="天橋")) == 1
    assert len(catalogue.list_models(query="mong kok")) == 1
    assert len(catalogue.list_models(query="kwun")) == 1
    assert catalogue.list_models(query="天台") == []


def test_stored_files_are_content_addressed_and_derived_files_name_their_source(
    catalogue, case_reference, testdata
):
    version = catalogue.import_model(
        upload(testdata / "teapot.obj"), case=case_reference, name="teapot"
    ).version
    roles = {f.role: f for f in version.files}
    assert set(roles) == {"mesh", "web_glb", "thumbnail", "geometry"}
    assert roles["mesh"].sha256 == version.original_sha256
    assert roles["web_glb"].derived_from_sha256 == version.original_sha256
    assert roles["thumbnail"].derived_from_sha256 == version.original_sha256
    assert version.original_sha256.encode() in catalogue.web_glb(version.version_id)
    [(name, data)] = catalogue.original_files(version.version_id)
    assert (name, data) == ("teapot.obj", (testdata / "teapot.obj").read_bytes())
    assert catalogue.audit_events(limit=1)[0].action == "model.download"


def test_verify_is_clean_after_imports(catalogue, case_reference, testdata):
    catalogue.import_model(upload(testdata / "teapot.obj"), case=case_reference, name="teapot")
    report = catalogue.verify()
    assert report.ok, report.problems
    assert report.blobs_checked == 4 and report.audit_events_checked == 2


def _imported(catalogue, case_reference, testdata):
    return catalogue.import_model(
        upload(testdata / "teapot.obj"), case=case_reference, name="teapot"
    ).version


def test_verify_names_a_changed_file(catalogue, case_reference, testdata):
    version = _imported(catalogue, case_reference, testdata)
    path = catalogue.blobs._path(version.original_sha256)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes()[:-1] + b"!")
    problems = catalogue.verify().problems
    assert any(
        p.startswith(f"corrupt: stored file {version.original_sha256[:12]}") for p in problems
    )


def test_verify_names_a_missing_file_and_an_orphan(catalogue, case_reference, testdata):
    version = _imported(catalogue, case_reference, testdata)
    catalogue.blobs._path(version.original_sha256).unlink()
    orphan = catalogue.blobs.put(b"bytes nobody recorded")
    report = catalogue.verify()
    assert any(p.startswith("missing: version") and "teapot.obj" in p for p in report.problems)
    # Bytes without a row are what an interrupted import leaves: cleanable, not corruption.
    assert report.cleanable == (f"orphan: stored file {orphan[:12]} has no catalogue row.",)
    assert not any(p.startswith("orphan:") for p in report.problems)


def test_verify_names_the_first_broken_audit_link(catalogue, case_reference, testdata):
    _imported(catalogue, case_reference, testdata)
    with catalogue.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'someone else' WHERE id = 1"))
    assert catalogue.verify().problems == (
        "audit: event 1 (case.create) was altered after it was written.",
    )


def test_verify_detects_a_removed_audit_event(catalogue, case_reference, testdata):
    _imported(catalogue, case_reference, testdata)
    with catalogue.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = 1"))
    assert catalogue.verify().problems == ("audit: event 1 is missing (next stored event is 2).",)


def test_verify_detects_events_cut_from_the_end(catalogue, case_reference, testdata):
    _imported(catalogue, case_reference, testdata)
    with catalogue.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = 2"))
    in_db, in_file = catalogue.verify().problems
    assert "head records event 2" in in_db
    assert "head file" in in_file and "records event 2" in in_file


def test_head_file_outside_the_database_catches_a_consistent_cut(catalogue, case_reference,
                                                                 testdata):  # fmt: skip
    """Cutting the last event and moving the head row back fools the chain itself; the head
    file written after each commit does not."""
    _imported(catalogue, case_reference, testdata)
    head_file = catalogue.settings.audit_head_file
    last_id, last_hash = head_file.read_text().split()
    assert int(last_id) == 2 and len(last_hash) == 64
    with catalogue.engine.begin() as conn:
        first_hash = conn.execute(text("SELECT hash FROM audit_events WHERE id = 1")).scalar()
        conn.execute(text("DELETE FROM audit_events WHERE id = 2"))
        conn.execute(
            text("UPDATE audit_head SET last_id = 1, last_hash = :h WHERE id = 1"),
            {"h": first_hash},
        )
    problems = catalogue.verify().problems
    assert problems[0] == (
        f"audit: the head file {head_file} records event 2, but the database ends at event 1 "
        "(events were removed)."
    )
    # The rows the cut event recorded are now rows no event records.
    assert any("model version row 1 was added outside the catalogue" in p for p in problems)


def test_verify_findings_are_shown_in_chinese_and_json_stays_english(
    catalogue, case_reference, testdata, capsys
):
    _imported(catalogue, case_reference, testdata)
    orphan = catalogue.blobs.put(b"bytes nobody recorded")
    with catalogue.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'someone else' WHERE id = 1"))
    report = catalogue.verify()
    english = ("audit: event 1 (case.create) was altered after it was written.",)
    assert report.problems == english
    assert tuple(str(finding) for finding in report.findings) == english
    assert report.cleanable == (f"orphan: stored file {orphan[:12]} has no catalogue row.",)
    chinese = ["審計：第 1 項事件（case.create）在寫入後曾被改動。"]
    assert [bsu_models.localise(f, "zh_HK") for f in report.findings] == chinese
    assert bsu_models.localise(report.cleanable_findings[0], "zh_HK") == (
        f"孤立：已儲存檔案 {orphan[:12]} 在目錄中沒有記錄。"
    )
    # `bsu-models verify`: the text in the user's language, --json in English; exit 1.
    assert cmd_verify(catalogue, argparse.Namespace(json=False, ui_lang="zh_HK", sample=None)) == 1
    assert capsys.readouterr().out.startswith("\n".join(chinese) + "\n孤立")
    assert cmd_verify(catalogue, argparse.Namespace(json=False, ui_lang="en", sample=None)) == 1
    assert capsys.readouterr().out.startswith("\n".join(english) + "\norphan:")
    assert cmd_verify(catalogue, argparse.Namespace(json=True, ui_lang="zh_HK", sample=None)) == 1
    assert json.loads(capsys.readouterr().out)["problems"] == list(english)


def test_concurrent_writers_do_not_fail_or_fork_the_audit_chain(catalogue):
    failures: list[BaseException] = []

    def add_cases(worker: int) -> None:
        try:
            for n in range(10):
                catalogue.add_case(f"KC-{worker}-{n}", f"case {worker}/{n}")
        except BaseException as exc:  # collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=add_cases, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(catalogue.list_cases()) == 80
    report = catalogue.verify()
    assert report.ok and report.audit_events_checked == 80


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path):
    cat = bsu_models.open_catalogue(make_settings(tmp_path))
    with cat.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    cat.close()
