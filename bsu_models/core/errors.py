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
    │                                      or lost a race with another change made at once
    ├── AccessDenied (PermissionError)     the user's roles or case membership do not allow it
    │   └── LoginFailed                    wrong name or password, or a locked or closed account
    ├── ParseFailed (RuntimeError)         the sandboxed parser crashed or ran out of time/memory
    └── StorageError (OSError)             the blob store or database could not do its work
        ├── IntegrityError                 stored bytes do not match their recorded hash
        ├── SchemaOutdated                 the database is older than this release
        └── SchemaTooNew                   the database was upgraded by a newer release

Messages are gettext msgids with ``{named}`` placeholders, and the values travel beside them, so
one error can be shown in either language of the interface::

    raise NotFound("There is no case {reference!r}.", reference=reference)

``str(error)`` is the English sentence (what logs and the audit trail record);
``bsu_models.core.i18n.error_text(error, lang)`` is the sentence in ``lang``. Each error class name
is an extraction keyword, so the literal first argument lands in the message catalogue; a test
fails when a raise passes anything but a literal. A value that is itself a sentence to translate
(a field name, a nested reason) is passed as a :class:`Message` or as another ``BsuError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    """A translatable sentence or phrase and the values of its placeholders.

    ``str()`` gives the English text; ``bsu_models.core.i18n.localise`` gives it in any language.
    """

    template: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, template: str, /, **params: Any) -> None:
        object.__setattr__(self, "template", template)
        object.__setattr__(self, "params", dict(params))

    def __str__(self) -> str:
        return _fill(self.template, self.params)

    def __hash__(self) -> int:
        # The values may be unhashable (a dict of them is); the English text stands in.
        return hash((self.template, str(self)))

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe form that :meth:`from_json` reads back (to cross a process boundary)."""
        return {"template": self.template, "params": params_to_json(self.params)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Message:
        return cls(str(data["template"]), **params_from_json(data.get("params") or {}))


def _fill(template: str, params: Mapping[str, Any]) -> str:
    return template.format(**params) if params else template


def params_to_json(params: Mapping[str, Any]) -> dict[str, Any]:
    """Placeholder values made JSON-safe; nested messages are kept as messages."""
    safe: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, Message):
            safe[name] = {"message": value.to_json()}
        elif isinstance(value, BsuError):
            safe[name] = {
                "message": {"template": value.template, "params": params_to_json(value.params)}
            }
        elif isinstance(value, bool | int | float | str) or value is None:
            safe[name] = {"value": value}
        else:
            safe[name] = {"value": str(value)}
    return safe


def params_from_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`params_to_json`."""
    return {
        name: Message.from_json(item["message"]) if "message" in item else item["value"]
        for name, item in data.items()
    }


class BsuError(Exception):
    """Root of every error that bsu_models raises on purpose."""

    def __init__(self, message: str | Message, /, **params: Any) -> None:
        if isinstance(message, Message):
            template, params = message.template, {**message.params, **params}
        else:
            template = message
        super().__init__(_fill(template, params))
        #: The msgid, with ``{named}`` placeholders.
        self.template = template
        #: The placeholders' values.
        self.params = params

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.template, self.params))


def _rebuild(cls: type[BsuError], template: str, params: dict[str, Any]) -> BsuError:
    return cls(template, **params)


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

    def __init__(self, message: str | Message, /, *, candidates: list[str], **params: Any) -> None:
        super().__init__(message, **params)
        self.candidates = candidates

    def __reduce__(self) -> Any:
        return (_rebuild_ambiguous, (self.template, self.candidates, self.params))


def _rebuild_ambiguous(template: str, candidates: list[str], params: dict[str, Any]) -> BsuError:
    return AmbiguousUpload(template, candidates=candidates, **params)


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


class SchemaOutdated(StorageError):
    """The catalogue's database is older than this release: ``bsu-models db upgrade`` fixes it."""


class SchemaTooNew(StorageError):
    """The catalogue's database was upgraded by a newer release than this one."""


class DerivationFailed(BsuError, RuntimeError):
    """A derived file (a web level) could not be made; the version stays usable without it."""
