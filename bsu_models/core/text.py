"""Checking user-written text (names, titles, tags, descriptions) before it is stored.

Text is kept as text: any script (English, Traditional Chinese, mixed) is accepted and stored
in Unicode NFC; control characters are refused, since they hide or reorder what a reader sees.
"""

from __future__ import annotations

import hashlib
import unicodedata

from bsu_models.core import limits
from bsu_models.core.errors import InvalidInput, Message

MAX_LINE = limits.LINE
MAX_TEXT = limits.TEXT


def _controls(value: str, allowed: str = "") -> list[str]:
    return [
        c
        for c in value
        if c not in allowed
        and unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co")
        and c != "\u200d"  # zero-width joiner is part of some legitimate text
    ]


def check_length(text: str, what: str | Message, limit: int) -> str:
    """``text`` when it is at most ``limit`` characters long (``bsu_models.core.limits``)."""
    if len(text) > limit:
        raise InvalidInput(
            "{what} is {length} characters long; at most {limit} allowed.",
            what=what,
            length=len(text),
            limit=limit,
        )
    return text


def fit(value: str, limit: int) -> str:
    """``value`` if it is at most ``limit`` long, else cut to fit with ``…#`` and the first 12
    hex digits of the whole value's SHA-256, so that different long values stay apart."""
    if len(value) <= limit:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return value[: limit - 14] + "…#" + digest


def clean_line(
    value: str | None, what: str | Message, *, allow_empty: bool = False, limit: int = MAX_LINE
) -> str:
    """One line of text: trimmed, NFC, no control characters, at most ``limit`` long.

    ``what`` names the field in the error (a :class:`Message`, so that it is translated).
    """
    text = unicodedata.normalize("NFC", (value or "").strip())
    if not text and not allow_empty:
        raise InvalidInput("{what} must not be empty.", what=what)
    check_length(text, what, limit)
    bad = _controls(text)
    if bad:
        raise InvalidInput(
            "{what} contains a control character (U+{code:04X}).", what=what, code=ord(bad[0])
        )
    return text


def clean_text(value: str | None, what: str | Message, *, limit: int = MAX_TEXT) -> str:
    """Free text (may span lines): NFC, no control characters but newline and tab."""
    text = unicodedata.normalize("NFC", (value or "").strip())
    check_length(text, what, limit)
    bad = _controls(text, allowed="\n\t\r")
    if bad:
        raise InvalidInput(
            "{what} contains a control character (U+{code:04X}).", what=what, code=ord(bad[0])
        )
    return text


def clean_tags(tags: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    cleaned: list[str] = []
    for tag in tags:
        for part in tag.split(","):
            if part.strip():
                value = clean_line(part, Message("A tag"))
                if value not in cleaned:
                    cleaned.append(value)
    return tuple(cleaned)


def casefold_search(value: str) -> str:
    """Form used for search: case-insensitive for Latin script, unchanged for CJK."""
    return unicodedata.normalize("NFKC", value).casefold()


def text_sha256(value: str) -> str | None:
    """SHA-256 (hex) of user text as UTF-8, None for no text: how audit details refer to case
    text (names, captions, summaries, reasons) without carrying it to people who may not read
    the case, while anyone who holds the text can still match it."""
    return hashlib.sha256(value.encode()).hexdigest() if value else None
