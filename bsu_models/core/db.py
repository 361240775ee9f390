"""Engines and transactions for SQLite and PostgreSQL.

SQLite runs in WAL mode with foreign keys on; write transactions start with ``BEGIN IMMEDIATE``
so that concurrent read-then-insert transactions queue for the write lock instead of failing with
"database is locked" at commit. PostgreSQL runs at READ COMMITTED: a service method that checks
something and then writes on the strength of it locks the rows it checked (``FOR NO KEY
UPDATE``), writes with a condition (``UPDATE ... WHERE status = 'requested'``), or inserts and
lets a unique constraint refuse the second of two writers (:func:`write_retrying`).

No database text reaches users: a clash with another writer is a plain ``Conflict``, any other
database failure a plain ``StorageError``; the database's own words (SQL, values) go to the log.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from bsu_models.core.audit_head import SESSION_KEY, write_head_file
from bsu_models.core.errors import BsuError, Conflict, Message, StorageError
from bsu_models.core.orm import AuditHeadRow
from bsu_models.core.schema import GENESIS_HASH, open_schema

# session.info key of the rows a write transaction touched (``bsu_models.core.state_ledger``)
LEDGER_KEY = "bsu_state_ledger"
#: Set in a write session's ``info`` once its transaction has committed (``committed``).
COMMITTED_KEY = "bsu_committed"
#: How often :func:`write_retrying` runs a unit of work that clashed with another writer.
WRITE_ATTEMPTS = 5
# SQLSTATEs of PostgreSQL's transient failures: serialization failure, deadlock detected.
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})
_log = logging.getLogger(__name__)
T = TypeVar("T")

def db_reason(exc: BaseException) -> Message:
    """What went wrong with the database, in words for a person: its kind, never the driver's
    text, the SQL statement or its parameters (user text, password hashes). The details go to
    the server log."""
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


def _shown_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa_exc.ArgumentError:
        return url.split("@")[-1]  # no password, whatever the rest looks like


def make_engine(url: str, *, check_schema: bool = True) -> Engine:
    """Create an engine for ``url``: a new database gets the catalogue's tables, an existing one
    must be at the schema revision of this release (``bsu_models.core.schema``). Without
    ``check_schema`` nothing is read or made (for ``bsu-models db``, which upgrades it)."""
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})
            _configure_sqlite(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        if not check_schema:
            return engine
        open_schema(engine)
        try:
            with Session(engine) as session, session.begin():
                if session.get(AuditHeadRow, 1) is None:
                    session.add(AuditHeadRow(id=1, last_id=0, last_hash=GENESIS_HASH))
        except sa_exc.IntegrityError:
            pass  # another process opening the catalogue wrote the head row first
    except sa_exc.SQLAlchemyError as exc:
        _log.error("Cannot open the catalogue database", exc_info=exc)
        raise StorageError(
            "Cannot open the catalogue database {url!r}: {reason}",
            url=_shown_url(url),
            reason=db_reason(exc),
        ) from exc
    return engine


def _clash(exc: sa_exc.SQLAlchemyError) -> bool:
    """Whether ``exc`` says another transaction got there first (try again to see what)."""
    if isinstance(exc, sa_exc.IntegrityError):
        return True
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) in _RETRY_SQLSTATES:
        return True
    return isinstance(exc, sa_exc.OperationalError) and "database is locked" in str(orig)


def _plain(exc: sa_exc.SQLAlchemyError) -> BsuError:
    """The error a user sees for a database failure; the database's own words are logged."""
    _log.warning("Catalogue database error", exc_info=exc)
    if _clash(exc):
        return Conflict(
            "The change clashed with another one made at the same moment and was not saved; "
            "look again and repeat it."
        )
    return StorageError("Catalogue database error: {reason}", reason=db_reason(exc))


@contextmanager
def read_session(engine: Engine, snapshot: bool = False) -> Iterator[Session]:
    """A session for reading; rolled back on exit.

    With ``snapshot``, every query sees the database as it was at the first one, whatever
    commits meanwhile (PostgreSQL: REPEATABLE READ; SQLite's read transactions always do), for
    reads that compare tables with each other, such as ``verify``.
    """
    if snapshot and engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    try:
        with Session(engine) as session, session.begin():
            yield session
    except sa_exc.SQLAlchemyError as exc:
        raise _plain(exc) from exc


@contextmanager
def _transaction(engine: Engine) -> Iterator[Session]:
    with Session(engine.execution_options(bsu_write=True)) as session:
        session.info[LEDGER_KEY] = set()
        with session.begin():
            yield session
        session.info[COMMITTED_KEY] = True
        write_head_file(engine, session.info.get(SESSION_KEY))


def committed(session: Session | None) -> bool:
    """Whether the transaction of a write session has committed, for a caller whose
    ``write_session`` raised: a failure after the commit (the audit head file) leaves what it
    saved saved."""
    return session is not None and bool(session.info.get(COMMITTED_KEY))


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session for one write transaction, committed on normal exit."""
    try:
        with _transaction(engine) as session:
            yield session
    except sa_exc.SQLAlchemyError as exc:
        raise _plain(exc) from exc


def write_retrying(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run ``work`` in one write transaction and commit it; if it clashes with a concurrent
    transaction (a unique key taken meanwhile, a serialization failure, a deadlock), run it
    again in a new transaction, so that its checks see what the other writer committed.

    For check-then-insert units of work: "no case KC-1 yet, so add it" raises the plain
    ``Conflict`` of its own check on the second run. After ``WRITE_ATTEMPTS`` clashes the
    caller gets a plain ``Conflict``.
    """
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with _transaction(engine) as session:
                return work(session)
        except sa_exc.SQLAlchemyError as exc:
            if attempt == WRITE_ATTEMPTS or not _clash(exc):
                raise _plain(exc) from exc
            _log.info("Write clashed with another (attempt %d); running it again", attempt)
            time.sleep(random.uniform(0, 0.01 * attempt))
    raise AssertionError("unreachable")  # pragma: no cover
