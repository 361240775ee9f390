"""Where lines of mixed English and Chinese text may break, for PDFs set with fpdf2.

fpdf2 breaks lines only at spaces (a whole Chinese clause goes to the next line) or anywhere
(a Latin word such as "NumPy" is split in two). Here a line breaks at spaces and around Chinese
characters, which are written without spaces, and keeps the Chinese line-breaking rules
(kinsoku): closing punctuation never starts a line, opening punctuation never ends one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

# Line-breaking rules for Chinese (kinsoku): these never start, respectively end, a line.
NO_START = frozenset("，。、；：？！）」』】》〉〕”’…,.;:?!)]}%")
NO_END = frozenset("（「『【《〈〔“‘([{")


def is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def line_pieces(paragraph: str) -> list[str]:
    """Pieces between which a line may break: at spaces, and around Chinese characters."""
    pieces: list[str] = []
    for index, char in enumerate(paragraph):
        prev = paragraph[index - 1] if index else ""
        breakable = (
            bool(prev)
            and not char.isspace()
            and char not in NO_START
            and prev not in NO_END
            and (prev.isspace() or is_wide(prev) or is_wide(char))
        )
        if breakable or not pieces:
            pieces.append(char)
        else:
            pieces[-1] += char
    return pieces


def wrap_text(text: str, width: float, measure: Callable[[str], float]) -> str:
    """``text`` with a line break wherever a line would pass ``width`` as ``measure`` (the
    PDF's string width in its current font) measures it."""
    width -= 0.3  # so that fpdf2's own line breaker never breaks these lines again
    lines = []
    for paragraph in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line, used = "", 0.0
        for piece in line_pieces(paragraph):
            if line and used + measure(piece.rstrip()) > width:
                lines.append(line.rstrip())
                line, used = "", 0.0
            # A piece wider than a line (a SHA-256, a long code) is cut anywhere.
            while len(piece) > 1 and measure(piece.rstrip()) > width:
                cut = 1
                while measure(piece[: cut + 1]) <= width:
                    cut += 1
                lines.append(piece[:cut])
                piece = piece[cut:]
            line += piece
            used += measure(piece)
        lines.append(line.rstrip())
    return "\n".join(lines)
