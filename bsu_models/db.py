"""Engines and transactions for SQLite and PostgreSQL.

SQLite runs in WAL mode with foreign keys on; write transactions start with ``BEGIN IMMEDIATE``
so that concurrent read-then-insert transactions queue for the write lock instead of failing with
"database is locked" at commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from bsu_models.audit_head import SESSION_KEY, write_head_file
from bsu_models.errors import Message, StorageError
from bsu_models.orm import AuditHeadRow, Base

GENESIS_HASH = "0" * 64

log = logging.getLogger(__name__)


def db_reason(exc: BaseException) -> Message:
    """What went wrong with the database, in words for a person: its kind, never the driver's
    text, the SQL statement or its parameters (user text, password hashes). The details go to
    the server log."""
    log.warning("database error", exc_info=exc)
    if isinstance(exc, sa_exc.IntegrityError):
        return Message(
            "a value that must be unique is stored already, or what it refers to is gone"
        )
    if isinstance(exc, sa_exc.DataError):
        return Message("a value does not fit the database")
    if isinstance(exc, sa_exc.OperationalError):
        return Message("the database cannot be reached or refused the operation")
    if isinstance(exc, sa_exc.ProgrammingError):
        return Message("the database does not have the expected tables")
    return Message("an unexpected database error (the server log has the details)")


def _shown_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not even a URL: nothing in it to hide
        return url


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get("bsu_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` and make sure the schema exists."""
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})
            _configure_sqlite(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        Base.metadata.create_all(engine)
        with Session(engine) as session, session.begin():
            if session.get(AuditHeadRow, 1) is None:
                session.add(AuditHeadRow(id=1, last_id=0, last_hash=GENESIS_HASH))
    except sa_exc.SQLAlchemyError as exc:
        raise StorageError(
            "Cannot open the catalogue database {url!r}: {reason}",
            url=_shown_url(url),
            reason=db_reason(exc),
        ) from exc
    return engine


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading; rolled back on exit."""
    try:
        with Session(engine) as session, session.begin():
            yield session
    except sa_exc.SQLAlchemyError as exc:
        raise StorageError("Catalogue database error: {reason}", reason=db_reason(exc)) from exc


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session for one write transaction, committed on normal exit."""
    try:
        with Session(engine.execution_options(bsu_write=True)) as session:
            with session.begin():
                yield session
            write_head_file(engine, session.info.get(SESSION_KEY))
    except sa_exc.IntegrityError as exc:
        from bsu_models.errors import Conflict

        raise Conflict(
            "The change clashes with stored data: {reason}", reason=db_reason(exc)
        ) from exc
    except sa_exc.SQLAlchemyError as exc:
        raise StorageError("Catalogue database error: {reason}", reason=db_reason(exc)) from exc
