"""The details of Python's ``argparse`` errors (what is missing or wrong) in the CLI's language.

The parser's headings, ``usage:`` and ``error:`` prefix are set by ``cli._Parser`` itself.

``argparse`` looks up its own sentences with the module-level ``gettext``/``ngettext`` it imported
from :mod:`gettext`, so they can be translated by our catalogue: the msgids below are argparse's
own (Python 3.11), marked here so the extractor puts them in the catalogue, and
:func:`argparse_language` points argparse's lookups at our translator while a command line is
parsed. A phrase that a later Python words differently simply stays English.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from bsu_models.i18n import N_, translator

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
