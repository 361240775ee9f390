"""Schema migrations, on SQLite and PostgreSQL: the migrations give exactly the tables of
``orm.py``; a catalogue made at the first revision, holding real data, is upgraded to the newest
by ``bsu-models db upgrade`` and passes ``verify``; a catalogue made before migrations is
refused until upgraded; one made by a newer release is refused.

The first test is what keeps later tables honest: a table added to ``orm.py`` without a
migration (or a migration that differs from it) fails it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, select, text
from streamlit.testing.v1 import AppTest

import bsu_models
from bsu_models.catalogue import Catalogue
from bsu_models.cli.commands import main
from bsu_models.core.access import system_principal
from bsu_models.core.audit_head import register_head_file
from bsu_models.core.blobstore import LocalBlobStore
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import make_engine
from bsu_models.core.errors import SchemaOutdated, SchemaTooNew, StorageError
from bsu_models.core.orm import AuditHeadRow, AuditRow, Base
from bsu_models.core.schema import (
    BASELINE_REVISION,
    GENESIS_HASH,
    VERSION_TABLE,
    alembic_config,
    head_revision,
)
from bsu_models.core.settings import Settings
from tests.conftest import _new_postgres_database, make_settings, upload
from tests.test_pages import APP

OUTDATED = (
    "This catalogue's database was made by an older release of BSU Models; back it up, then "
    "run bsu-models db upgrade."
)
PASSWORD = "correct horse battery"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings of a catalogue not made yet, once on SQLite and once on PostgreSQL."""
    url = None
    if request.param == "postgresql":
        url = _new_postgres_database(request.getfixturevalue("postgres_server"))
    (tmp_path / "data").mkdir()
    return make_settings(tmp_path / "data", url)


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """``bsu-models ARGS...`` on the catalogue of ``settings`` as ``actor``: (exit status,
    stdout, stderr)."""
    monkeypatch.setenv("BSU_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BSU_DATABASE_URL", settings.database_url)
    monkeypatch.delenv("BSU_LANGUAGE", raising=False)

    def run(*args: str, actor: str = "test-modeller") -> tuple[int, str, str]:
        monkeypatch.setenv("BSU_ACTOR", actor)
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def bare(settings: Settings) -> Iterator[Engine]:
    """The catalogue's database as it is, with no schema made or checked."""
    engine = make_engine(settings.database_url, check_schema=False)
    yield engine
    engine.dispose()


def _migrate(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def _revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def test_migrations_give_exactly_the_tables_of_orm(settings: Settings, bare: Engine):
    """Migrated from nothing, the database is what ``create_all`` makes (alembic's own
    comparison: tables, columns, types, nullability, indexes, unique constraints)."""
    _migrate(bare, "head")
    assert _differences(bare) == []
    assert _revision(bare) == head_revision()
    # A new catalogue, made by create_all and stamped, compares the same and opens.
    fresh = make_settings(settings.data_dir / "fresh")
    fresh.data_dir.mkdir()
    if settings.database_url.startswith("postgresql"):
        server = settings.database_url.rsplit("/", 1)[0] + "/"
        fresh = make_settings(fresh.data_dir, _new_postgres_database(server))
    bsu_models.open_catalogue(fresh).close()
    engine = make_engine(fresh.database_url, check_schema=False)
    try:
        assert _differences(engine) == []
        assert _revision(engine) == head_revision()
    finally:
        engine.dispose()
    # Every revision can be undone, to nothing.
    with bare.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(bare).get_table_names()) <= {VERSION_TABLE}


def _at_first_revision(settings: Settings) -> Catalogue:
    """A catalogue made as the first release with migrations made it: its tables at the first
    revision, then used through the app's own code (which, for what this test does, touches
    only the first revision's tables)."""
    engine = make_engine(settings.database_url, check_schema=False)
    _migrate(engine, BASELINE_REVISION)
    with engine.begin() as connection:
        connection.execute(
            AuditHeadRow.__table__.insert().values(id=1, last_id=0, last_hash=GENESIS_HASH)
        )
    register_head_file(engine, settings.audit_head_file)
    catalogue = object.__new__(Catalogue)
    catalogue._compose(
        ServiceContext(
            engine, LocalBlobStore(settings.blob_dir), settings, system_principal(settings.actor)
        )
    )
    return catalogue


@pytest.mark.render
def test_a_catalogue_of_the_first_revision_is_upgraded_and_verifies(
    settings: Settings, cli, testdata: Path
):
    old = _at_first_revision(settings)
    old.accounts.add_user("admin.wong", PASSWORD, ["admin"], "Wong")
    old.accounts.add_user("chan.tm", PASSWORD, ["investigator", "modeller"], "Chan")
    old.add_case("KC-2026-0001", "Upgrade test")
    old.memberships.add("KC-2026-0001", "chan.tm")
    version = old.import_model(upload(testdata / "teapot.obj"), case="KC-2026-0001", name="Pot")
    scene = old.scenes.create(version.version.version_id, "Sequence")
    old.close()

    code, _out, err = cli("db", "upgrade", actor="chan.tm")
    assert code == 2 and "admin" in err  # only an admin upgrades
    code, out, err = cli("db", "status", "--json", actor="admin.wong")
    assert code == 0, err
    status = json.loads(out)
    assert status["current_revision"] == BASELINE_REVISION
    assert status["head_revision"] == head_revision()
    assert status["upgrade_needed"] is (head_revision() != BASELINE_REVISION)

    code, out, err = cli("db", "upgrade", "--json", actor="admin.wong")
    assert code == 0, err
    assert json.loads(out) == {
        "from_revision": BASELINE_REVISION,
        "to_revision": head_revision(),
        "upgraded": head_revision() != BASELINE_REVISION,
    }

    cat = bsu_models.open_catalogue(settings)
    try:
        got = cat.get_version(version.version.version_id)
        assert got.original_sha256 == version.version.original_sha256
        assert cat.thumbnail_png(got.version_id).startswith(b"\x89PNG")
        assert [c.reference for c in cat.list_cases()] == ["KC-2026-0001"]
        assert [m.username for m in cat.memberships.members("KC-2026-0001")] == ["chan.tm"]
        assert cat.scenes.info(scene.scene_id).name == "Sequence"
        report = cat.verify()
        assert report.ok, report.problems
        with cat.engine.connect() as connection:
            [details] = connection.execute(
                select(AuditRow.details).where(
                    AuditRow.action == "db.upgrade", AuditRow.outcome == "ok"
                )
            ).scalars()
        assert json.loads(details)["from"] == BASELINE_REVISION
        assert json.loads(details)["to"] == head_revision()
        # The upgraded catalogue goes on working, and the ledger still agrees.
        cat.accounts.add_user("lee.kf", PASSWORD, ["auditor"])
        assert cat.verify().ok
    finally:
        cat.close()


def _before_migrations(settings: Settings, used: bool = False) -> None:
    """A catalogue made by the release before migrations: its tables (the first revision's)
    and no ``alembic_version``; if ``used``, with an admin account and a case."""
    if used:
        old = _at_first_revision(settings)
        old.accounts.add_user("admin.wong", PASSWORD, ["admin"], "Wong")
        old.add_case("KC-2026-0003", "Before migrations")
        old.close()
    engine = make_engine(settings.database_url, check_schema=False)
    try:
        if not used:
            _migrate(engine, BASELINE_REVISION)
            with engine.begin() as connection:
                connection.execute(
                    AuditHeadRow.__table__.insert().values(id=1, last_id=0, last_hash=GENESIS_HASH)
                )
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE {VERSION_TABLE}"))
    finally:
        engine.dispose()


def test_a_catalogue_made_before_migrations_is_refused_then_upgraded(settings: Settings, cli):
    _before_migrations(settings, used=True)
    with pytest.raises(SchemaOutdated) as refused:
        bsu_models.open_catalogue(settings)
    assert str(refused.value) == OUTDATED
    assert isinstance(refused.value, StorageError)
    code, _out, err = cli("case", "list")
    assert code == 2 and err == f"error: {OUTDATED}\n"
    code, out, _err = cli("db", "status", "--json", actor="admin.wong")
    assert json.loads(out) == {
        "current_revision": None,
        "head_revision": head_revision(),
        "upgrade_needed": True,
        "state": "unversioned",
    }
    code, _out, err = cli("db", "upgrade", actor="nobody")
    assert code == 2 and "'nobody' is not an active account" in err
    code, out, err = cli("db", "upgrade", actor="admin.wong")
    assert code == 0, err
    made = "Upgraded the catalogue database, made before migrations, to schema {}.\n"
    assert out == made.format(head_revision())
    cat = bsu_models.open_catalogue(settings)
    try:
        assert [c.reference for c in cat.list_cases()] == ["KC-2026-0003"]
        cat.add_case("KC-2026-0002", "After the upgrade")
        assert cat.verify().ok
    finally:
        cat.close()
    code, out, _err = cli("db", "status", "--json", actor="admin.wong")
    assert json.loads(out)["upgrade_needed"] is False


def test_a_catalogue_made_before_migrations_with_other_tables_is_not_stamped(
    settings: Settings, cli, bare: Engine
):
    _before_migrations(settings)
    with bare.begin() as connection:
        connection.execute(text("DROP TABLE scene_reviews"))
    code, _out, err = cli("db", "upgrade")
    assert code == 2
    assert "table scene_reviews differs" in err
    assert VERSION_TABLE not in inspect(bare).get_table_names()


def test_a_catalogue_of_a_newer_release_is_refused(settings: Settings, cli, bare: Engine):
    bsu_models.open_catalogue(settings).close()
    with bare.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    with pytest.raises(SchemaTooNew) as refused:
        bsu_models.open_catalogue(settings)
    assert "newer release of BSU Models (schema 9999)" in str(refused.value)
    code, _out, err = cli("db", "upgrade")
    assert code == 2 and "newer release" in err
    assert _revision(bare) == "9999"
    code, out, _err = cli("db", "status", "--json")
    assert json.loads(out)["state"] == "newer"
    assert json.loads(out)["upgrade_needed"] is False


def test_the_refusal_is_translated_and_shown_plainly_in_the_app(
    settings: Settings, cli, monkeypatch: pytest.MonkeyPatch
):
    _before_migrations(settings)
    monkeypatch.setenv("BSU_LANGUAGE", "zh_HK")
    _code, _out, err = cli("case", "list")
    assert err == (
        "錯誤：此目錄的資料庫由較舊版本的 BSU Models 建立；"
        "請先備份，然後執行 bsu-models db upgrade。\n"
    )
    monkeypatch.delenv("BSU_LANGUAGE")
    if not settings.database_url.startswith("sqlite"):
        return  # the page is the same whichever database refused
    st.cache_resource.clear()  # the app's catalogue handle is per process
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == [OUTDATED]


def test_opening_a_new_catalogue_stamps_it_once(settings: Settings, bare: Engine):
    """Opened twice, a new catalogue has one revision row and one audit head."""
    bsu_models.open_catalogue(settings).close()
    bsu_models.open_catalogue(settings).close()
    with bare.connect() as connection:
        rows = connection.execute(text(f"SELECT count(*) FROM {VERSION_TABLE}")).scalar()
        heads = connection.execute(select(func.count()).select_from(AuditHeadRow)).scalar()
    assert (rows, heads) == (1, 1)


def test_processes_opening_or_upgrading_at_once_do_it_once(settings: Settings, bare: Engine):
    """Three processes open a new catalogue at once; three upgrade an old one at once."""
    from tests import race_workers
    from tests.test_races import _together

    outcomes = _together(race_workers.open_new, [(settings,)] * 3)
    assert outcomes == [[("ok", None)]] * 3
    assert _revision(bare) == head_revision()
    with bare.begin() as connection:
        # As if made before migrations: the first revision's tables, nothing recorded.
        command.downgrade(alembic_config(connection), BASELINE_REVISION)
        connection.execute(text(f"DROP TABLE {VERSION_TABLE}"))
    outcomes = _together(race_workers.upgrade_schema, [(settings,)] * 3)
    found = sorted(outcome[0][1][0] for outcome in outcomes if outcome[0][0] == "ok")
    assert found == ["current", "current", "unversioned"], outcomes
    with bare.connect() as connection:
        assert connection.execute(text(f"SELECT count(*) FROM {VERSION_TABLE}")).scalar() == 1
    cat = bsu_models.open_catalogue(settings)
    try:
        assert cat.verify().ok
    finally:
        cat.close()
