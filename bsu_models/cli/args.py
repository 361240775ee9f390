"""Python's ``argparse`` in the CLI's language: headings, ``usage:``, ``error:`` and details.

:func:`parser_class` gives an ``ArgumentParser`` subclass whose own words (headings, ``-h``,
the ``error:`` prefix) are in one language; the details of argparse's errors (what is missing or
wrong) come from argparse's module-level lookups, which :func:`argparse_language` redirects.

``argparse`` looks up its own sentences with the module-level ``gettext``/``ngettext`` it imported
from :mod:`gettext`, so they can be translated by our catalogue: the msgids below are argparse's
own (Python 3.11), marked here so the extractor puts them in the catalogue, and
:func:`argparse_language` points argparse's lookups at our translator while a command line is
parsed. A phrase that a later Python words differently simply stays English.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from bsu_models.core.i18n import DEFAULT_LANGUAGE, N_, t, translator

#: The exit status of a usage error (``cli.EXIT_USER_ERROR``).
_USAGE_ERROR = 2

#: argparse's error details (``%``-format placeholders, as argparse fills them).
ARGPARSE_PHRASES: tuple[str, ...] = (
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("unexpected option string: %s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
)


@contextmanager
def argparse_language(lang: str) -> Iterator[None]:
    """While inside, argparse speaks ``lang``; its own lookups are put back afterwards."""
    tr = translator(lang)
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._ = tr.gettext  # type: ignore[attr-defined]
    argparse.ngettext = tr.ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class _Formatter(argparse.HelpFormatter):
    """Help text with the ``usage:`` heading in the parser's language."""

    lang = DEFAULT_LANGUAGE

    def add_usage(
        self,
        usage: str | None,
        actions: Any,
        groups: Any,
        prefix: str | None = None,
    ) -> None:
        super().add_usage(
            usage, actions, groups, t("usage: ", self.lang) if prefix is None else prefix
        )


class _Parser(argparse.ArgumentParser):
    """An argument parser whose own words (headings, ``-h``, ``error:``) are in ``lang``.

    Sub-command parsers are made of the same class (argparse uses ``type(parent)``), so one
    subclass per language carries the language down the whole tree. Argparse's own error
    details (e.g. which arguments are missing) are translated by ``cli_argparse``.
    """

    lang = DEFAULT_LANGUAGE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._positionals.title = t("positional arguments", self.lang)
        self._optionals.title = t("options", self.lang)
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = t("show this help message and exit", self.lang)

    def _get_formatter(self) -> argparse.HelpFormatter:
        formatter = _Formatter(prog=self.prog)
        formatter.lang = self.lang
        return formatter

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(
            _USAGE_ERROR,
            t("{prog}: error: {message}", self.lang).format(prog=self.prog, message=message) + "\n",
        )


def parser_class(lang: str) -> type[_Parser]:
    """The parser class of ``lang``: ``_Parser`` with that language for the whole tree."""
    return type(f"_Parser_{lang}", (_Parser,), {"lang": lang})
