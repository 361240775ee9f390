"""Alembic's entry point: runs the migrations on the connection ``bsu_models.core.schema`` gives.

The connection arrives in ``config.attributes["connection"]``, already inside the transaction
(and, on PostgreSQL, the advisory lock) of the caller, so an upgrade is one transaction where the
database allows it. SQLite alters tables by copying them (``render_as_batch``).
"""

from __future__ import annotations

from alembic import context

from bsu_models.core.orm import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("bsu_models.core.schema runs the migrations with a connection of its own")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
