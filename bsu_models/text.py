"""Checking user-written text (names, titles, tags, descriptions) before it is stored.

Text is kept as text: any script (English, Traditional Chinese, mixed) is accepted and stored
in Unicode NFC; control characters are refused, since they hide or reorder what a reader sees.
"""

from __future__ import annotations

import unicodedata

from bsu_models.errors import InvalidInput

MAX_LINE = 200
MAX_TEXT = 20_000


def _controls(value: str, allowed: str = "") -> list[str]:
    return [
        c
        for c in value
        if c not in allowed
        and unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co")
        and c != "\u200d"  # zero-width joiner is part of some legitimate text
    ]


def clean_line(value: str | None, what: str, *, allow_empty: bool = False) -> str:
    """One line of text: trimmed, NFC, no control characters, at most ``MAX_LINE`` long."""
    text = unicodedata.normalize("NFC", (value or "").strip())
    if not text and not allow_empty:
        raise InvalidInput(f"{what} must not be empty.")
    if len(text) > MAX_LINE:
        raise InvalidInput(f"{what} is {len(text)} characters long; at most {MAX_LINE} allowed.")
    bad = _controls(text)
    if bad:
        raise InvalidInput(f"{what} contains a control character (U+{ord(bad[0]):04X}).")
    return text


def clean_text(value: str | None, what: str) -> str:
    """Free text (may span lines): NFC, no control characters but newline and tab."""
    text = unicodedata.normalize("NFC", (value or "").strip())
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{what} is {len(text)} characters long; at most {MAX_TEXT} allowed.")
    bad = _controls(text, allowed="\n\t\r")
    if bad:
        raise InvalidInput(f"{what} contains a control character (U+{ord(bad[0]):04X}).")
    return text


def clean_tags(tags: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    cleaned: list[str] = []
    for tag in tags:
        for part in tag.split(","):
            if part.strip():
                value = clean_line(part, "A tag")
                if value not in cleaned:
                    cleaned.append(value)
    return tuple(cleaned)


def casefold_search(value: str) -> str:
    """Form used for search: case-insensitive for Latin script, unchanged for CJK."""
    return unicodedata.normalize("NFKC", value).casefold()
