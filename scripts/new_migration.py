"""Write the next schema revision from what ``bsu_models/core/orm.py`` has and the migrations lack.

    python scripts/new_migration.py "Jobs: the job queue's table"

Alembic's autogenerate compares a scratch SQLite database, migrated to the newest revision, with
the tables of ``orm.py``, and writes ``bsu_models/core/migrations/versions/NNNN_<words>.py``
(NNNN: the next number). Read it and correct it before committing (autogenerate does not see
renames or data to move), then ``ruff format`` it; ``tests/test_migrations.py`` checks it on
SQLite and PostgreSQL. Its ``batch_alter_table`` blocks copy the table on SQLite, which cannot
alter most things in place, and are plain ``ALTER TABLE`` statements on PostgreSQL.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bsu_models.core.schema import MIGRATIONS_DIR, alembic_config, head_revision


def main(message: str) -> None:
    number = int(head_revision()) + 1
    slug = "_".join(re.findall(r"[a-z0-9]+", message.lower())[:5])
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/scratch.sqlite3")
        with engine.begin() as connection:
            config = alembic_config(connection)
            config.set_main_option("file_template", "%%(rev)s_" + slug)
            command.upgrade(config, "head")
            command.revision(config, message, autogenerate=True, rev_id=f"{number:04d}")
        engine.dispose()
    print(f"Review {MIGRATIONS_DIR / 'versions'}/{number:04d}_{slug}.py before committing.")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
