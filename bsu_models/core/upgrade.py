"""``bsu-models db``: where a catalogue's schema stands, and upgrading it, by whom and audited.

The catalogue itself refuses to open on an older schema, so this service works on the bare
database: it reads the acting account from the ``users`` table of the first revision (the
columns every revision keeps), checks the role table like every other service, and records the
upgrade (the revisions from and to) in the audit chain once the schema is the newest.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, inspect, select
from sqlalchemy import exc as sa_exc

from bsu_models.core.access import AccessControl, Principal, system_principal
from bsu_models.core.audit import record_event
from bsu_models.core.audit_head import register_head_file
from bsu_models.core.db import db_reason, make_engine
from bsu_models.core.errors import LoginFailed, StorageError
from bsu_models.core.orm import UserRow
from bsu_models.core.schema import SchemaState, schema_state, upgrade_schema
from bsu_models.core.settings import Settings

UPGRADE_ACTION = "db.upgrade"


@contextmanager
def _plain_errors() -> Iterator[None]:
    """The database's own words go to the log (``db.db_reason``); the user gets a sentence."""
    try:
        yield
    except sa_exc.SQLAlchemyError as exc:
        raise StorageError("Catalogue database error: {reason}", reason=db_reason(exc)) from exc


def acting_principal(engine: Engine, name: str) -> Principal:
    """Who the command line acts as: the system while no account exists (set-up), else the
    active account ``name`` (as ``bsu-models`` does for every other command)."""
    with _plain_errors(), engine.connect() as connection:
        if UserRow.__tablename__ not in inspect(connection).get_table_names():
            return system_principal(name)
        if connection.execute(select(UserRow.id).limit(1)).first() is None:
            return system_principal(name)
        row = connection.execute(
            select(UserRow.username, UserRow.display_name, UserRow.roles, UserRow.active).where(
                UserRow.username == name
            )
        ).first()
    if row is None or not row.active:
        raise LoginFailed(
            "Accounts exist, so the command line acts as the account named by BSU_ACTOR; "
            "{name!r} is not an active account.",
            name=name,
        )
    return Principal(row.username, row.display_name, frozenset(row.roles))


class SchemaService:
    """Status and upgrade of one catalogue database's schema, for one principal."""

    def __init__(self, engine: Engine, principal: Principal) -> None:
        self.engine = engine
        self.access = AccessControl(engine, principal)

    def close(self) -> None:
        self.engine.dispose()

    def status(self) -> SchemaState:
        """The schema revision stored, the newest this release knows, and whether an upgrade
        is needed (auditors and admins, like ``verify``)."""
        self.access.require("integrity.verify", object_type="catalogue", object_id="schema")
        with _plain_errors(), self.engine.connect() as connection:
            return schema_state(connection)

    def upgrade(self) -> tuple[SchemaState, SchemaState]:
        """Run the migrations up to the newest revision (admins; ``schema.upgrade_schema``) and
        record it: the revisions before and after."""
        self.access.require(UPGRADE_ACTION, object_type="catalogue", object_id="schema")
        with _plain_errors():
            before, after = upgrade_schema(self.engine)
        record_event(
            self.engine,
            actor=self.access.principal.username,
            action=UPGRADE_ACTION,
            object_type="catalogue",
            object_id="schema",
            details={"from": before.current, "from_state": before.state, "to": after.current},
        )
        return before, after


def open_schema_service(settings: Settings) -> SchemaService:
    """The schema service of the catalogue database that ``settings`` names, acting as
    ``BSU_ACTOR``; the database is opened as it is, whatever its revision."""
    engine = make_engine(settings.database_url, check_schema=False)
    register_head_file(engine, settings.audit_head_file)
    try:
        return SchemaService(engine, acting_principal(engine, settings.actor))
    except BaseException:
        engine.dispose()
        raise
