"""The catalogue database's schema migrations (Alembic), shipped inside the package.

``env.py`` is run by Alembic with a connection made by ``bsu_models.core.schema``; no
``alembic.ini`` is read. Each file in ``versions/`` is one revision; ``0001_baseline`` is the
schema of the first release with migrations, written out table by table.
"""
