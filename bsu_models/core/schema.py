"""The catalogue database's schema: made at the newest revision, checked at every open, upgraded
by ``bsu-models db upgrade`` (Alembic, with the migrations in ``bsu_models/core/migrations``).

A new, empty database gets every table at once (``create_all``, fast: tests open hundreds) and is
stamped with the newest revision; any other database must already be at the newest revision. One
that is older, or that holds a catalogue made before migrations existed (its tables, no
``alembic_version``), is refused with a sentence naming the command that upgrades it; one that a
newer release has upgraded is refused too, since this code would not know its tables.

Creating and upgrading run in one transaction that only one process holds at a time (PostgreSQL:
an advisory lock; SQLite: ``BEGIN IMMEDIATE``), so two processes opening a new catalogue at once
both find it made, once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, insert, inspect, text

from bsu_models.core.errors import SchemaOutdated, SchemaTooNew, StorageError
from bsu_models.core.orm import AuditHeadRow, Base

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: The first revision: the schema of the last release made with ``create_all``.
BASELINE_REVISION = "0001"
VERSION_TABLE = "alembic_version"
GENESIS_HASH = "0" * 64
#: PostgreSQL advisory lock held while a catalogue's schema is made or upgraded (any number,
#: the same in every process: "BSUM" in ASCII).
_PG_LOCK_KEY = 0x4253554D

#: What a database holds, as :func:`schema_state` finds it.
EMPTY, CURRENT, OLDER, UNVERSIONED, NEWER = "empty", "current", "older", "unversioned", "newer"


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands: its revision (None: none recorded) and the newest."""

    state: str
    current: str | None
    head: str

    @property
    def upgrade_needed(self) -> bool:
        return self.state in (OLDER, UNVERSIONED)


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, made in code: the migrations inside the package, no ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


@functools.cache
def head_revision() -> str:
    head = _script().get_current_head()
    assert head is not None, "the migrations have one head"
    return head


@functools.cache
def known_revisions() -> frozenset[str]:
    return frozenset(script.revision for script in _script().walk_revisions())


def schema_state(connection: Connection) -> SchemaState:
    tables = set(inspect(connection).get_table_names())
    current = None
    if VERSION_TABLE in tables:
        current = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    head = head_revision()
    if current is None:
        ours = tables & set(Base.metadata.tables)
        return SchemaState(UNVERSIONED if ours else EMPTY, None, head)
    if current == head:
        return SchemaState(CURRENT, current, head)
    return SchemaState(OLDER if current in known_revisions() else NEWER, current, head)


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """One write transaction that no other process making or upgrading the schema shares."""
    with engine.execution_options(bsu_write=True).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        yield connection


def refuse(state: SchemaState) -> None:
    """Raise the plain refusal for a database this release may not open as it is."""
    if state.upgrade_needed:
        raise SchemaOutdated(
            "This catalogue's database was made by an older release of BSU Models; back it up, "
            "then run bsu-models db upgrade."
        )
    if state.state == NEWER:
        raise SchemaTooNew(
            "This catalogue's database was upgraded by a newer release of BSU Models (schema "
            "{revision}); use that release or a newer one.",
            revision=state.current,
        )


def _create(connection: Connection) -> None:
    Base.metadata.create_all(connection, checkfirst=False)  # none of them is there
    MigrationContext.configure(connection).stamp(_script(), "head")
    connection.execute(insert(AuditHeadRow).values(id=1, last_id=0, last_hash=GENESIS_HASH))


def open_schema(engine: Engine) -> None:
    """Make a new catalogue's tables, or check that an existing one is at the newest revision."""
    with engine.connect() as connection:
        state = schema_state(connection)
    if state.state == EMPTY:
        with _locked(engine) as connection:
            # Another process may have made it while this one waited for the lock.
            state = schema_state(connection)
            if state.state == EMPTY:
                _create(connection)
                return
    refuse(state)


def _table_columns(connection: Connection) -> dict[str, set[str]]:
    found = inspect(connection)
    return {
        name: {column["name"] for column in found.get_columns(name)}
        for name in found.get_table_names()
        if name != VERSION_TABLE
    }


@functools.cache
def baseline_columns() -> dict[str, frozenset[str]]:
    """Each table of the first revision and its columns (made in a database in memory)."""
    engine = create_engine("sqlite://")
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), BASELINE_REVISION)
            return {name: frozenset(c) for name, c in _table_columns(connection).items()}
    finally:
        engine.dispose()


def _check_baseline(connection: Connection) -> None:
    """Refuse to stamp a catalogue made before migrations unless its tables are the first
    revision's, column for column."""
    found = _table_columns(connection)
    for name, columns in sorted(baseline_columns().items()):
        if set(found.get(name, ())) != columns:
            raise StorageError(
                "The tables of this catalogue are not those of the release before migrations "
                "(table {table} differs), so it cannot be upgraded automatically.",
                table=name,
            )


def upgrade_schema(engine: Engine) -> tuple[SchemaState, SchemaState]:
    """Bring the database to the newest revision; the state before and after.

    A new database is made as :func:`open_schema` makes it; a catalogue made before migrations
    is first stamped with the first revision, once its tables are found to be that revision's.
    """
    with _locked(engine) as connection:
        before = schema_state(connection)
        if before.state == EMPTY:
            _create(connection)
        elif before.state == NEWER:
            refuse(before)
        elif before.upgrade_needed:
            if before.state == UNVERSIONED:
                _check_baseline(connection)
                MigrationContext.configure(connection).stamp(_script(), BASELINE_REVISION)
            command.upgrade(alembic_config(connection), "head")
        after = schema_state(connection)
    return before, after
