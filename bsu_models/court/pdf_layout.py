"""PDF mechanics of the exhibit book: an A4 landscape fpdf2 document and how it sets text.

Works on an ``ExhibitBook`` (``bsu_models.court.exhibit_book``) and plain strings and string tables:
the fpdf2 subclass ``BookPdf`` with its running header, paragraphs, titles and tables (rows that
move to the next page whole, rows taller than a page split), line breaking that also breaks
Chinese text (kinsoku rules), the PDF's fixed creation date, the choice of font with the check
that it has a glyph for every character, and the page footers written once the page count is
known. What goes on which page is in ``bsu_models.court.exhibit_book``.

The book's own words (headings, table headings, notes, footers) are in one language, ``lang`` of
``bsu_models.core.i18n``: ``BookPdf.words`` holds each of them translated, keyed by its English
text, so that the font can be checked for every character the book will draw before drawing any.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF
from fpdf.fonts import FontFace, TTFFont

from bsu_models.core.errors import InvalidSetting
from bsu_models.core.i18n import DEFAULT_LANGUAGE, N_, check_language, translator
from bsu_models.core.line_breaks import is_wide, wrap_text
from bsu_models.render.fonts import font_path

if TYPE_CHECKING:
    from bsu_models.court.exhibit_book import ExhibitBook

INK, MUTED, ACCENT = (33, 37, 41), (96, 104, 114), (24, 54, 99)
RULE, STRIPE, WHITE = (190, 196, 204), (242, 244, 247), (255, 255, 255)
FAMILY = "bookfont"
TEMPLATE_CHARS = "·×°"  # the non-ASCII characters that the book's own wording uses
# Characters of the book's own words drawn as these where the font has no glyph for them (the
# core Helvetica of a Latin-only book): the words stay right, the typography plainer.
FALLBACK = {"—": "-", "√": "sqrt ", "≈": "~"}
PAD = (1.2, 2.0)  # table cell padding, vertical and horizontal (mm)
COLUMNS = {  # relative column widths of the tables
    "Cover": (1, 4),
    "Model": (1, 3),
    "Entities": (3, 2, 3, 1.2, 5),
    "Entities without headings": (3, 2, 3, 5),
    "Measurements over the whole scene": (4, 2, 3),
    "Measurements": (4, 2, 3),
    "Sightlines": (3, 3, 6),
    "Annex": (2, 3),
}
# The words of the running header, the footers and the PDF's properties (see BookPdf.words).
# On every page, as on every still.
NOTICE = N_("Illustrative demonstrative aid — not a recording of the events.")
LAYOUT_WORDS = (
    NOTICE,
    N_("Exhibit {number}"),
    N_("{section} (continued)"),
    N_("scene {scene} revision {revision}"),
    N_("page {page} of {total}"),
    N_("{case_title}: {scene_name}, scene {scene} revision {revision} (SHA-256 {sha256})"),
    N_("BSU Models exhibit book"),
)


def _all_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return "".join(_all_text(item) for item in value)
    if is_dataclass(value) and not isinstance(value, type):
        return "".join(_all_text(getattr(value, field.name)) for field in fields(value))
    return ""


_DATE_START = re.compile(
    r"\s*(\d{1,2} [A-Za-z]+ \d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}"
    r"|\d{4}年\d{1,2}月\d{1,2}日)"
)


def _creation_date(book: ExhibitBook) -> datetime:
    """The production date when it can be read (a time after it, such as "21:03 HKT", is left
    out), else a fixed date: the bytes of the PDF must not depend on the clock of the machine
    that made it."""
    for text in (book.produced_on, book.frozen_on):
        found = _DATE_START.match(text)
        for pattern in ("%d %b %Y", "%d %B %Y", "%Y-%m-%d", "%d/%m/%Y", "%Y年%m月%d日"):
            try:
                return datetime.strptime(found[1] if found else "", pattern).replace(tzinfo=UTC)
            except ValueError:
                continue
    return datetime(1970, 1, 1, tzinfo=UTC)


class BookPdf(FPDF):
    def __init__(
        self, book: ExhibitBook, lang: str = DEFAULT_LANGUAGE, words: Iterable[str] = ()
    ) -> None:
        """A book whose own words are in ``lang``: those of the layout and ``words`` (msgids
        marked with ``N_`` by the caller), translated into ``self.words``."""
        super().__init__(orientation="L", unit="mm", format="A4")
        self.book = book
        self.lang = check_language(lang)
        tr = translator(self.lang)
        self.words = {word: tr.gettext(word) for word in (*LAYOUT_WORDS, *words)}
        self.family = "helvetica"
        self.section = ""
        self.section_page = 0
        self.set_margins(15, 20, 15)
        self.set_auto_page_break(True, margin=17)
        self.c_margin = 0  # paragraphs line up with the left margin and the table borders
        # Page numbers are written once all pages exist (see write_footers), so the alias is
        # switched off: with it on, a "{nb}" in a witness's words would become a number.
        self.alias_nb_pages("")
        self.set_creation_date(_creation_date(book))
        self.set_title(f"{self.exhibit_words()} · {book.case_reference}")
        self.set_author(book.producer)
        self.set_subject(
            self.say(
                "{case_title}: {scene_name}, scene {scene} revision {revision} (SHA-256 {sha256})"
            ).format(
                case_title=book.case_title,
                scene_name=book.scene_name,
                scene=book.scene_id,
                revision=book.revision,
                sha256=book.revision_sha256,
            )
        )
        self.set_creator(self.say("BSU Models exhibit book"))

    def say(self, word: str) -> str:
        """One of the book's own words (an English msgid given to the book) in its language."""
        text = self.words[word]
        for char, plain in FALLBACK.items():
            if char in text and not self.has_glyph(char):
                text = text.replace(char, plain)
        return text

    def has_glyph(self, char: str) -> bool:
        if self.family != FAMILY:
            return ord(char) < 256  # core Helvetica: Latin-1
        face = self.fonts[FAMILY]
        return isinstance(face, TTFFont) and ord(char) in face.cmap

    def exhibit_words(self) -> str:
        """ "Exhibit P12" in the book's language."""
        return self.say("Exhibit {number}").format(number=self.book.exhibit_number)

    def start(self, section: str) -> None:
        """A new page opening a section; its later pages are headed "(continued)"."""
        self.section, self.section_page = section, self.pages_count + 1
        self.add_page()

    def header(self) -> None:
        book, top = self.book, 9.0
        self.set_font(self.family, size=8)
        self.set_text_color(*MUTED)
        self.set_xy(self.l_margin, top)
        left = f"{self.exhibit_words()} · {book.case_reference} · {book.case_title}"
        self.para(left, 4, self.epw * 0.7)
        bottom = self.get_y()
        section = self.section
        if self.page > self.section_page:
            section = self.say("{section} (continued)").format(section=section)
        self.set_xy(self.l_margin + self.epw * 0.7, top)
        self.para(section, 4, self.epw * 0.3, align="R")
        bottom = max(bottom, self.get_y()) + 1.5
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, bottom, self.w - self.r_margin, bottom)
        self.set_xy(self.l_margin, max(bottom + 4, self.t_margin))

    def wrap(self, text: str, width: float) -> str:
        """The text with a line break wherever a line in the current font would pass width."""
        return wrap_text(text, width, self.get_string_width)

    def para(self, text: str, height: float, width: float = 0, align: str = "L") -> None:
        width = width or self.epw
        self.multi_cell(width, height, self.wrap(text, width), align=align, new_x="LMARGIN")

    def title_line(self, text: str, size: float = 16) -> None:
        self.set_font(self.family, size=size)
        self.set_text_color(*ACCENT)
        self.para(text, size * 0.5)
        self.ln(3)

    def listing(
        self,
        title: str,
        headings: tuple[str, ...],
        rows: Sequence[tuple[str, ...]],
        empty: str,
        widths: tuple[float, ...],
        column: tuple[float, float] | None = None,
    ) -> None:
        """A subheading, kept with what follows it, then a table or, without rows, a note.

        ``widths`` are the relative column widths (from ``COLUMNS``); ``column`` is ``(x,
        width)`` of a column beside the still (the caller has made sure that it fits on the
        page); by default the table spans the page."""
        x, width = column or (self.l_margin, self.epw)
        if column is None and self.will_page_break(24 if rows else 14):
            self.add_page()
        self.set_font(self.family, size=11)
        self.set_text_color(*ACCENT)
        self.set_x(x)
        self.para(title, 6, width)
        self.ln(1)
        if rows:
            self.grid(headings, rows, widths, width if column else None)
        else:
            self.set_font(self.family, size=9)
            self.set_text_color(*MUTED)
            self.set_x(x)
            self.para(empty, 5, width)
            self.ln(3)

    def listing_height(
        self,
        headings: tuple[str, ...],
        rows: Sequence[tuple[str, ...]],
        widths: tuple[float, ...],
        width: float,
    ) -> float:
        """How high ``listing`` draws this table in a column ``width`` mm wide."""
        if not rows:
            return 7 + 5 + 3
        self.set_font(self.family, size=9)
        line_height = self.font_size * 1.45
        widths_mm = tuple(w / sum(widths) * width for w in widths)
        height = 7.0 + 4.0
        for values in [headings, *rows]:
            lines = max(
                len(self.wrap(value, w - 2 * PAD[1] - self.line_width).split("\n"))
                for value, w in zip(values, widths_mm, strict=True)
            )
            height += lines * line_height + 2 * PAD[0] + self.line_width
        return height

    def grid(
        self,
        headings: tuple[str, ...],
        rows: Sequence[tuple[str, ...]],
        widths: tuple[float, ...],
        width: float | None = None,
    ) -> None:
        """A table over the page width (or, given ``width``, flush with the right margin);
        its rows move to the next page whole, headings repeated, rather than being cut."""
        total = width or self.epw
        widths_mm = tuple(w / sum(widths) * total for w in widths)
        self.set_font(self.family, size=9)
        self.set_text_color(*INK)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        line_height = self.font_size * 1.45
        most = max(1, int((self.h - self.t_margin - self.b_margin - 30) / line_height))
        heading_style = FontFace(self.family, "", 9, color=WHITE, fill_color=ACCENT)
        with self.table(
            width=total,
            align="RIGHT" if width else "CENTER",
            col_widths=widths_mm,
            headings_style=heading_style,
            first_row_as_headings=bool(headings),
            line_height=line_height,
            padding=PAD,
            text_align="LEFT",
            v_align="TOP",
            borders_layout="HORIZONTAL_LINES",
            cell_fill_color=STRIPE,
            cell_fill_mode="EVEN_ROWS",
        ) as table:
            for values in [headings, *rows] if headings else rows:
                cells = [
                    self.wrap(value, width - 2 * PAD[1] - self.line_width).split("\n")
                    for value, width in zip(values, widths_mm, strict=True)
                ]
                # fpdf2 cannot split a row over two pages (it raises), so a row taller than
                # a page goes in as several rows of at most `most` lines each.
                for start in range(0, max(map(len, cells)), most):
                    row = table.row()
                    for lines in cells:
                        row.cell("\n".join(lines[start : start + most]))
        self.ln(4)


def choose_font(pdf: BookPdf, book: ExhibitBook, font_file: Path | None) -> None:
    """Draw with ``font_file``, once it is known to have a glyph for every character of the
    book: its text and its own words in its language."""
    words = "".join(pdf.words.values())
    text = _all_text(book) + TEMPLATE_CHARS + "".join(c for c in words if c not in FALLBACK)
    if font_file is None:
        beyond = [char for char in text if ord(char) > 255]
        if beyond:
            raise InvalidSetting(
                "The exhibit book has text outside Latin-1 (such as {char!r}): Chinese text "
                "needs a CJK font file; install fonts-noto-cjk or set BSU_FONT_FILE.",
                char=beyond[0],
            )
        return  # core Helvetica covers Latin-1
    path, index = font_path(str(font_file))
    try:
        pdf.add_font(FAMILY, fname=path, collection_font_number=index)
    except Exception as error:  # fontTools raises assorted types for a file it cannot read
        raise InvalidSetting(
            "The font file {path} could not be read ({reason}).", path=path, reason=str(error)
        ) from error
    face = pdf.fonts[FAMILY]
    assert isinstance(face, TTFFont)
    missing = list(dict.fromkeys(c for c in text if c not in "\n\r\t" and ord(c) not in face.cmap))
    if missing:
        shown = " ".join(missing[:12]) + (" …" if len(missing) > 12 else "")
        raise InvalidSetting(
            "The font file {path} has no glyphs for {count} characters of the exhibit "
            "book ({characters}); CJK text needs a font that covers it, such as Noto Sans CJK: "
            "set BSU_FONT_FILE to one.",
            path=path,
            count=len(missing),
            characters=shown,
        )
    pdf.family = FAMILY
    chinese = pdf.lang == "zh_HK" or any(is_wide(c) for c in _all_text(book))
    pdf.set_lang("zh-HK" if chinese else "en-GB")


def write_footers(pdf: BookPdf, book: ExhibitBook) -> None:
    """Write every page's footer once the page count is known, going back to each page."""
    total = pdf.pages_count
    pdf.set_auto_page_break(False)
    for number in range(1, total + 1):
        pdf.page = number
        # fpdf2 remembers whether the font was set in the current page's stream; it was not
        # set on this page for what follows, so make it emit the font again.
        pdf.current_font_is_set_on_page = False
        pdf.set_draw_color(*RULE)
        pdf.set_fill_color(*WHITE)  # fpdf2 writes the text colour only if it differs
        # The label every page carries, between the page's content and the footer rule.
        pdf.set_xy(pdf.l_margin, pdf.h - 16.4)
        pdf.set_font(pdf.family, size=7)
        pdf.set_text_color(*MUTED)
        pdf.para(pdf.say(NOTICE), 3.2, align="C")
        pdf.line(pdf.l_margin, pdf.h - 13, pdf.w - pdf.r_margin, pdf.h - 13)
        pdf.set_xy(pdf.l_margin, pdf.h - 11.5)
        pdf.set_font(pdf.family, size=8)
        pdf.set_text_color(*MUTED)
        scene = pdf.say("scene {scene} revision {revision}").format(
            scene=book.scene_id, revision=book.revision
        )
        page = pdf.say("page {page} of {total}").format(page=number, total=total)
        pdf.para(f"{book.case_reference} · {pdf.exhibit_words()} · {scene} · {page}", 4, align="C")
