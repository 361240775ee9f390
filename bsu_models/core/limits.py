"""The longest text each user-written field may hold, and the largest coordinate, declared once.

The service layer checks these before anything reaches the database (``bsu_models.core.text`` and
the checks that call it), so an over-long value gets one plain sentence naming the field and the
limit, the same on SQLite (which would store it) and PostgreSQL (which would refuse it with an
error of its own). The table columns that have a length take it from here too (``orm.py``).
"""

from __future__ import annotations

# Account names: 2-64 lower-case letters, digits, '.', '_' or '-' (accounts.check_username).
USERNAME = 64
# Case references: letters, digits and - / _ . (catalogue.add_case).
CASE_REFERENCE = 64
# A single sign-on account's provider and subject ("issuer|subject").
SSO_SUBJECT = 512
# Who an action is recorded under (a user name, or BSU_ACTOR for set-up actions).
ACTOR = 128
# The object an audit event names (a longer one is cut and keeps a short hash of the whole).
AUDIT_OBJECT_ID = 64
# One line of text: case titles, model names, places, tags, display names, scene and view names,
# entity labels, step titles, provenance references, file names.
LINE = 200
# Free text: descriptions, narratives, notes, reasons for a decision.
TEXT = 20_000
# An uploaded file's name, and the path of an entry in an uploaded zip.
FILE_NAME = 255
ARCHIVE_PATH = 1024
# The caption of a public picture (the only text on it).
CAPTION = 280
# An exhibit number (one line, also part of the package's file name).
EXHIBIT_NUMBER = 40

# Coordinates (mesh vertices, scene positions, cameras) must be finite and at most this far from
# the origin: larger values overflow once scaled to metres, squared or summed for areas.
MAX_COORDINATE = 1e12
# The largest model scale denominator (1:1,000,000 is already a map).
MAX_SCALE_DENOMINATOR = 1_000_000
