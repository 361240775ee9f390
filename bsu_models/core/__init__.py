"""The base every other part stands on: settings, errors, messages and their translation, text
and unit checks, the largest values (``limits``), the database engine and ORM tables with their
schema migrations (``migrations/``, ``schema``, ``upgrade``), the blob store, the audit chain
with its head and export, the state ledger, integrity checks and blob garbage collection, roles
and access (``access``, the one definition of who may do what), the context every service
receives (``context``), reading cases and model versions (``cases``, ``versions``), and the
frozen records that cross the package boundary.

May import: the standard library and third-party libraries only; no other ``bsu_models``
subpackage (an import-linter contract in ``pyproject.toml``).
"""
