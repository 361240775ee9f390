"""User text and input limits on SQLite and PostgreSQL: every length limit is checked before the
database with a plain sentence; sign-in names nobody has stay out of the audit log; audit CSV
cells never start a formula; database errors carry no SQL; non-finite or huge coordinates, and
texture and zip bombs under the README's default limits, are refused with nothing stored."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import text

import bsu_models
from bsu_models.core import limits
from bsu_models.core.audit_export import FORMULA_STARTS
from bsu_models.core.db import read_session
from bsu_models.core.settings import MiB
from tests.conftest import make_settings
from tests.hostile_corpus import (
    TEXTURED_MTL,
    TEXTURED_OBJ,
    small_entries_bomb,
    texture_bomb_png,
)

TRIANGLE = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"
FORMULAS = (
    '=HYPERLINK("http://127.0.0.1:9/steal","Click")',
    "+1+1",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
)


def _nothing_stored(cat: bsu_models.Catalogue) -> None:
    assert cat.list_models() == []
    assert list(cat.blobs.keys()) == []
    assert list(cat.blobs.stray_files()) == []


def _refusal(exc: pytest.ExceptionInfo[bsu_models.BsuError]) -> str:
    """The sentence of a refusal, checked to be one plain line (no SQL, no traceback)."""
    message = str(exc.value)
    assert "\n" not in message and "Traceback" not in message and "[SQL" not in message
    assert "INSERT" not in message and "SELECT" not in message
    return message


# -- lengths ------------------------------------------------------------------------------------


def test_every_length_limit_is_a_plain_sentence_before_the_database(catalogue, case_reference):
    line, long_name = "x" * (limits.LINE + 1), "n" * (limits.FILE_NAME + 1)
    with pytest.raises(bsu_models.InvalidInput) as refused:
        catalogue.add_case("KC-2026-0001", line)
    assert (
        _refusal(refused)
        == f"Case title is {limits.LINE + 1} characters long; at most 200 allowed."
    )
    with pytest.raises(bsu_models.InvalidInput) as refused:
        catalogue.add_case("K" * (limits.CASE_REFERENCE + 1), "Too long a reference")
    assert "must be letters, digits" in _refusal(refused)
    with pytest.raises(bsu_models.InvalidInput) as refused:
        catalogue.accounts.add_user("u" * (limits.USERNAME + 1), "long-enough-pw", ["auditor"])
    assert "2-64" in _refusal(refused)
    with pytest.raises(bsu_models.InvalidInput) as refused:
        catalogue.accounts.add_user("chan.tm", "long-enough-pw", ["auditor"], display_name=line)
    assert _refusal(refused).startswith("Display name is 201 characters long; at most 200")
    with pytest.raises(bsu_models.InvalidInput) as refused:
        catalogue.add_case("KC-2026-0002", "Set-up", actor="a" * (limits.ACTOR + 1))
    assert _refusal(refused) == "The actor name is 129 characters long; at most 128 allowed."
    upload = [bsu_models.UploadFile("triangle.obj", TRIANGLE)]
    for field, values in (
        ("Model name", dict(name=line)),
        ("Location", dict(name="Corner", location=line)),
        ("A tag", dict(name="Corner", tags=[line])),
        ("Description", dict(name="Corner", description="d" * (limits.TEXT + 1))),
    ):
        with pytest.raises(bsu_models.InvalidInput) as refused:
            catalogue.import_model(upload, case=case_reference, **values)  # type: ignore[arg-type]
        assert _refusal(refused).startswith(f"{field} is "), field
    with pytest.raises(bsu_models.InvalidInput) as refused:
        catalogue.import_model(
            [bsu_models.UploadFile(long_name + ".obj", TRIANGLE)], case=case_reference, name="C"
        )
    assert _refusal(refused) == "A file name is 260 characters long; at most 255 allowed."
    _nothing_stored(catalogue)
    # Scene text: checked where the values are made, whatever the database.
    for make, field in (
        (lambda: bsu_models.Step("s1", line), "Step title"),
        (lambda: bsu_models.Step("s1", "ok", None, "n" * (limits.TEXT + 1)), "Step narrative"),
        (lambda: bsu_models.Provenance("witness_statement", line), "Provenance reference"),
        (lambda: bsu_models.Entity("e1", line, "witness"), "Entity label"),
    ):
        with pytest.raises(bsu_models.InvalidInput) as refused:
            make()
        assert field in _refusal(refused) and "at most" in _refusal(refused), field


def test_a_caption_over_its_limit_is_refused_before_rendering(catalogue, case_reference):
    version = catalogue.import_model(
        [bsu_models.UploadFile("triangle.obj", TRIANGLE)], case=case_reference, name="Corner"
    ).version
    scene = catalogue.scenes.create(version.version_id, "Sequence")
    doc = catalogue.scenes.document(scene.scene_id).with_step(bsu_models.Step("s1", "Start"))
    catalogue.scenes.save(scene.scene_id, doc, scene.revision, "added a step")
    with pytest.raises(bsu_models.InvalidInput) as refused:
        catalogue.posts.request(scene.scene_id, 1, "square", "c" * (limits.CAPTION + 1))
    assert _refusal(refused) == "Caption is 281 characters long; at most 280 allowed."


# -- signing in ---------------------------------------------------------------------------------


def test_a_sign_in_name_nobody_has_is_an_ordinary_failure_and_never_stored(catalogue):
    catalogue.accounts.add_user("chan.tm", "long-enough-pw", ["investigator"])
    typed = ["x" * 65, "y" * 500, *FORMULAS, "![x](http://127.0.0.1:9/p.png)", ""]
    for name in typed:
        with pytest.raises(bsu_models.LoginFailed) as refused:
            catalogue.accounts.authenticate(name, "some password")
        assert _refusal(refused).startswith("The name or password is wrong")
    events = [e for e in catalogue.audit_events(None) if e.action == "login"]
    assert len(events) == len(typed)  # every try is audited
    for event in events:
        assert (event.actor, event.object_id, event.outcome) == (
            "(unknown name)",
            "(unknown name)",
            "failed",
        )
        assert len(event.details["name_sha256"]) == 16
    everything = repr([(e.actor, e.object_id, e.details) for e in events])
    assert "xxxxxxxxxx" not in everything and "HYPERLINK" not in everything
    assert "127.0.0.1" not in everything
    # Tries of the same name (as the sign-in reads it) can be told apart from a different one.
    assert len({e.details["name_sha256"] for e in events}) == len(
        {name.strip().lower() for name in typed}
    )
    # A real account's wrong password is still recorded under its name.
    with pytest.raises(bsu_models.LoginFailed):
        catalogue.accounts.authenticate("chan.tm", "wrong password")
    assert catalogue.audit_events(limit=1)[0].actor == "chan.tm"


# -- audit CSV ----------------------------------------------------------------------------------


def test_audit_csv_cells_never_start_a_formula(catalogue):
    for index, formula in enumerate(FORMULAS):
        # Set-up actions are recorded under whatever name BSU_ACTOR (or the caller) gives.
        catalogue.add_case(f"KC-2026-{index:04d}", formula.strip() or "title", actor=formula)
        with pytest.raises(bsu_models.LoginFailed):
            catalogue.accounts.authenticate(formula, "some password")
    # A case reference typed by someone who may not use it is recorded as the refused object.
    catalogue.accounts.add_user("inv.one", "long-enough-pw", ["investigator"])
    someone = catalogue.as_user(catalogue.accounts.principal("inv.one"))
    for formula in FORMULAS:
        with pytest.raises(bsu_models.AccessDenied):
            someone.import_model([bsu_models.UploadFile("a.obj", TRIANGLE)], case=formula, name="x")
    data = catalogue.audit_csv(bsu_models.AuditFilter())
    body = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "event_id" and len(rows) == 1 + 3 * len(FORMULAS) + 1  # + the user
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), (row, cell)
    actors, objects = {row[2] for row in rows[1:]}, {row[5] for row in rows[1:]}
    assert {"'" + formula for formula in FORMULAS} <= actors
    assert {"'" + formula.strip() for formula in FORMULAS} <= objects
    # OWASP: every cell is quoted as well (the file is nothing but quoted fields).
    assert re.fullmatch(r'(?:"(?:[^"]|"")*"[,\n])+', body)


# -- database errors ----------------------------------------------------------------------------


def test_a_database_error_names_no_sql_and_no_parameters(catalogue):
    with (
        pytest.raises(bsu_models.StorageError) as failed,
        read_session(catalogue.engine) as session,
    ):
        session.execute(
            text("SELECT secret_column FROM no_such_table WHERE name = :name"),
            {"name": "parameter-value-42"},
        )
    message = _refusal(failed)
    assert message in (
        "Catalogue database error: the database does not have the expected tables",  # PostgreSQL
        "Catalogue database error: the database cannot be reached or refused the operation",
    )
    assert "secret_column" not in message and "no_such_table" not in message
    assert "parameter-value-42" not in message and "WHERE" not in message


# -- geometry -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "coordinate", ["1e308", "-1e308", "1e13", "nan", "inf"], ids=lambda c: f"x={c}"
)
def test_non_finite_or_huge_coordinates_are_refused_at_validation(
    catalogue, case_reference, coordinate
):
    mesh = f"v {coordinate} 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\nf 1 3 4\n".encode()
    with pytest.raises(bsu_models.InvalidMesh) as refused:
        catalogue.import_model(
            [bsu_models.UploadFile("far.obj", mesh)], case=case_reference, name="Far", scale="1:50"
        )
    message = _refusal(refused)
    assert message.startswith("far.obj: ") and "vert" in message
    _nothing_stored(catalogue)


def test_scene_coordinates_must_be_finite_and_of_sane_size(catalogue, case_reference):
    version = catalogue.import_model(
        [bsu_models.UploadFile("triangle.obj", TRIANGLE)], case=case_reference, name="Corner"
    ).version
    scene = catalogue.scenes.create(version.version_id, "Sequence")
    for point in ((1e308, 0.0, 0.0), (float("nan"), 0.0, 0.0), (0.0, float("-inf"), 0.0)):
        with pytest.raises(bsu_models.InvalidInput) as refused:
            bsu_models.Position("e1", "s1", point)
        assert "Position has a coordinate" in _refusal(refused)
    with pytest.raises(bsu_models.InvalidInput):
        bsu_models.SavedView(
            "v1", "Far", "orthographic", (0, 0, 1), (0, 0, 0), (0, 1, 0), ortho_scale=1e308
        )
    # The same through the scene file a person may import.
    doc = (
        catalogue.scenes.document(scene.scene_id)
        .with_step(bsu_models.Step("s1", "Start"))
        .with_entity(bsu_models.Entity("e1", "W1", "witness"))
        .with_position(bsu_models.Position("e1", "s1", (0.1, 0.1, 0.0)))
    )
    catalogue.scenes.save(scene.scene_id, doc, scene.revision, "placed W1")
    exported = catalogue.scenes.export_json(scene.scene_id)
    exported["positions"][0]["point"] = [1e308, 0.0, 0.0]
    with pytest.raises(bsu_models.InvalidInput) as refused:
        catalogue.scenes.import_json(exported)
    assert "coordinate" in _refusal(refused)
    assert catalogue.scenes.info(scene.scene_id).revision == 2
    with pytest.raises(bsu_models.InvalidInput):
        catalogue.import_model(
            [bsu_models.UploadFile("triangle.obj", TRIANGLE)],
            case=case_reference,
            name="Corner 2",
            scale="1:" + "9" * 400,
        )


# -- image and archive budgets (the README's default limits) ------------------------------------


@pytest.fixture
def default_limits_catalogue(tmp_path: Path):
    cat = bsu_models.open_catalogue(
        make_settings(
            tmp_path / "data",
            max_upload_bytes=512 * MiB,
            max_unpacked_bytes=2048 * MiB,
            max_compression_ratio=200,
        )
    )
    cat.add_case("KC-2026-0666", "Bombs")
    yield cat
    cat.close()


def test_a_texture_bomb_is_refused_from_its_header(default_limits_catalogue):
    bomb = texture_bomb_png()
    assert len(bomb) < 20_000
    files = [("model.obj", TEXTURED_OBJ), ("model.mtl", TEXTURED_MTL), ("bomb.png", bomb)]
    with pytest.raises(bsu_models.LimitExceeded) as refused:
        default_limits_catalogue.import_model(
            [bsu_models.UploadFile(n, d) for n, d in files], case="KC-2026-0666", name="Bomb"
        )
    assert _refusal(refused).endswith(
        "the texture image 'bomb.png' is 12000×12000 pixels (144,000,000); at most 67,108,864 "
        "pixels are allowed (BSU_MAX_TEXTURE_PIXELS)."
    )
    _nothing_stored(default_limits_catalogue)
    # The same files with a texture of a decent size are a textured model.
    small = texture_bomb_png(64)
    result = default_limits_catalogue.import_model(
        [bsu_models.UploadFile(n, d) for n, d in [*files[:2], ("bomb.png", small)]],
        case="KC-2026-0666",
        name="Fine",
    )
    assert result.version.has_texture


def test_a_zip_of_many_small_entries_is_refused_before_unpacking(default_limits_catalogue):
    bomb = small_entries_bomb()
    assert len(bomb) < 1_200_000
    with pytest.raises(bsu_models.UnsafeArchive) as refused:
        default_limits_catalogue.import_model(
            [bsu_models.UploadFile("upload.zip", bomb)], case="KC-2026-0666", name="Bomb"
        )
    assert "at most 200-fold is allowed (possible zip bomb)" in _refusal(refused)
    _nothing_stored(default_limits_catalogue)
