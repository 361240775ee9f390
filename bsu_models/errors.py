"""The one tree of errors that ``bsu_models`` raises.

Library errors (trimesh, SQLAlchemy, the operating system) are translated into these at the
boundary where they happen, so callers -- the CLI and the web pages -- catch ``BsuError`` and show
its message, which is one plain sentence naming the file or object and the problem::

    BsuError (Exception)
    ├── InvalidInput (ValueError)          the caller gave something unusable
    │   ├── UnsupportedFormat              bytes are not a mesh format we read
    │   ├── InvalidMesh                    a mesh parsed but failed validation
    │   ├── UnsafeArchive                  traversal, links, bombs, too many entries
    │   ├── AmbiguousUpload                several candidate meshes and no choice made
    │   └── InvalidSetting                 a BSU_* setting has an unusable value
    ├── LimitExceeded (ValueError)         an upload is over a configured size/face/time limit
    ├── NotFound (LookupError)             no case/model/version with that reference
    ├── Conflict (ValueError)              the change clashes with what is stored (duplicate ref)
    ├── AccessDenied (PermissionError)     the user's roles or case membership do not allow it
    │   └── LoginFailed                    wrong name or password, or a locked or closed account
    ├── ParseFailed (RuntimeError)         the sandboxed parser crashed or ran out of time/memory
    └── StorageError (OSError)             the blob store or database could not do its work
        └── IntegrityError                 stored bytes do not match their recorded hash
"""

from __future__ import annotations


class BsuError(Exception):
    """Root of every error that bsu_models raises on purpose."""


class InvalidInput(BsuError, ValueError):
    """The caller gave something that cannot be used."""


class UnsupportedFormat(InvalidInput):
    """The bytes are not in a mesh format that the catalogue reads."""


class InvalidMesh(InvalidInput):
    """The file parsed, but the mesh in it failed validation."""


class UnsafeArchive(InvalidInput):
    """An archive tried path traversal, links, or exceeded an unpacking cap."""


class AmbiguousUpload(InvalidInput):
    """An upload holds several candidate meshes and the caller chose none."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


class InvalidSetting(InvalidInput):
    """A BSU_* environment setting has a value that cannot be used."""


class LimitExceeded(BsuError, ValueError):
    """An upload is over one of the configured limits."""


class NotFound(BsuError, LookupError):
    """No object with that identifier exists."""


class Conflict(BsuError, ValueError):
    """The change clashes with something already stored."""


class AccessDenied(BsuError, PermissionError):
    """The user's roles or case membership do not allow the action."""


class LoginFailed(AccessDenied):
    """The name and password did not match, or the account is locked or closed."""


class ParseFailed(BsuError, RuntimeError):
    """The sandboxed parser crashed, or ran out of time or memory."""


class StorageError(BsuError, OSError):
    """The blob store or the database could not complete the operation."""


class IntegrityError(StorageError):
    """Stored bytes do not match the SHA-256 recorded for them."""
