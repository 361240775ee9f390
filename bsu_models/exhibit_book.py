"""The exhibit book: a PDF for court showing one frozen scene revision of a case, step by step.

Works on an ``ExhibitBook``: plain values that the caller has already read from the catalogue
and the scene package (the case, the scene revision with its SHA-256, the model's facts, and for
each step its still PNG, narrative, placed entities, measurements and sightlines, the statement
of method and the package's file list). ``build_exhibit_book`` returns the bytes of an A4
landscape PDF made with fpdf2: cover, model facts, one or more pages per step, statement of
method and an annex of package files.

Text may be English, Traditional Chinese (Hong Kong) or both. It is drawn with the CJK font of
``bsu_models.fonts`` (Noto Sans CJK, HK face), embedded as a subset. Every character must have a
glyph in that font: an exhibit must never show empty boxes. User text is plain text: nothing in
it is read as markup or substituted (not even fpdf2's ``{nb}`` page-count alias). The same input
gives the same bytes.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace, TTFFont
from PIL import Image, UnidentifiedImageError

from bsu_models.errors import InvalidInput, InvalidSetting
from bsu_models.fonts import font_path


@dataclass(frozen=True)
class BookEntity:
    label: str
    type: str
    provenance: str  # "measured" | "cctv" | "witness_statement" | "assumption"
    reference: str
    position_m: tuple[float, float, float] | None  # east, north, height above model base (m)
    model_point: tuple[float, float, float] | None  # model coordinates (file units)
    heading_deg: float | None


@dataclass(frozen=True)
class BookMeasurement:
    label: str
    kind: str
    value: str  # already formatted with unit and ±, e.g. "30.00 m ± 0.05 m"


@dataclass(frozen=True)
class BookSightline:
    observer: str
    target: str
    verdict: str  # e.g. "clear" / "blocked at (…)"


@dataclass(frozen=True)
class BookStep:
    number: int
    title: str
    clock: str | None
    narrative: str
    still_png: bytes
    still_name: str  # the PNG's path in the package, e.g. "stills/step-01.png"
    entities: tuple[BookEntity, ...]
    measurements: tuple[BookMeasurement, ...]
    sightlines: tuple[BookSightline, ...]


@dataclass(frozen=True)
class ExhibitBook:
    case_reference: str
    case_title: str
    exhibit_number: str
    producer: str
    produced_on: str  # already formatted
    scene_name: str
    scene_id: int
    revision: int
    revision_sha256: str
    frozen_by: str
    frozen_on: str
    model_facts: tuple[tuple[str, str], ...]  # (name, value)
    steps: tuple[BookStep, ...]
    method: tuple[str, ...]  # paragraphs of the statement of method
    package_files: tuple[tuple[str, str], ...] = ()  # (path, sha256); an annex page if given


PROVENANCE = {
    "measured": "Measured",
    "cctv": "CCTV",
    "witness_statement": "Witness statement",
    "assumption": "Assumption",
}
INK, MUTED, ACCENT = (33, 37, 41), (96, 104, 114), (24, 54, 99)
RULE, STRIPE, WHITE = (190, 196, 204), (242, 244, 247), (255, 255, 255)
FAMILY = "bookfont"
TEMPLATE_CHARS = "·×°"  # the non-ASCII characters that this module's own wording uses
STILL_HEIGHT = 100.0  # mm of the first step page given to the still; text goes under it
PAD = (1.2, 2.0)  # table cell padding, vertical and horizontal (mm)
COLUMNS = {  # relative column widths of the tables
    "Cover": (1, 4),
    "Model": (1, 3),
    "Entities": (3, 2, 3, 1.2, 5),
    "Measurements": (4, 2, 3),
    "Sightlines": (3, 3, 6),
    "Annex": (2, 3),
}
# Line-breaking rules for Chinese (kinsoku): these never start, respectively end, a line.
NO_START = frozenset("，。、；：？！）」』】》〉〕”’…,.;:?!)]}%")
NO_END = frozenset("（「『【《〈〔“‘([{")


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _segments(paragraph: str) -> list[str]:
    """Pieces between which a line may break: at spaces, and around Chinese characters, which
    are written without spaces (fpdf2 only breaks at spaces, so it would push a whole Chinese
    clause to the next line)."""
    pieces: list[str] = []
    for index, char in enumerate(paragraph):
        prev = paragraph[index - 1] if index else ""
        breakable = (
            bool(prev)
            and not char.isspace()
            and char not in NO_START
            and prev not in NO_END
            and (prev.isspace() or _wide(prev) or _wide(char))
        )
        if breakable or not pieces:
            pieces.append(char)
        else:
            pieces[-1] += char
    return pieces


def _all_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return "".join(_all_text(item) for item in value)
    if is_dataclass(value) and not isinstance(value, type):
        return "".join(_all_text(getattr(value, field.name)) for field in fields(value))
    return ""


def _creation_date(book: ExhibitBook) -> datetime:
    """The production date when it can be read, else a fixed date: the bytes of the PDF must not
    depend on the clock of the machine that made it."""
    for text in (book.produced_on, book.frozen_on):
        for pattern in ("%d %b %Y", "%d %B %Y", "%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(text.strip(), pattern).replace(tzinfo=UTC)
            except ValueError:
                continue
    return datetime(1970, 1, 1, tzinfo=UTC)


class _Book(FPDF):
    def __init__(self, book: ExhibitBook) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.book = book
        self.family = "helvetica"
        self.section = ""
        self.section_page = 0
        self.set_margins(15, 20, 15)
        self.set_auto_page_break(True, margin=17)
        self.c_margin = 0  # paragraphs line up with the left margin and the table borders
        # Page numbers are written once all pages exist (see _footers), so the alias is
        # switched off: with it on, a "{nb}" in a witness's words would become a number.
        self.alias_nb_pages("")
        self.set_creation_date(_creation_date(book))
        self.set_title(f"Exhibit {book.exhibit_number} · {book.case_reference}")
        self.set_author(book.producer)
        self.set_subject(
            f"{book.case_title}: {book.scene_name}, scene {book.scene_id} revision "
            f"{book.revision} (SHA-256 {book.revision_sha256})"
        )
        self.set_creator("BSU Models exhibit book")

    def start(self, section: str) -> None:
        """A new page opening a section; its later pages are headed "(continued)"."""
        self.section, self.section_page = section, self.pages_count + 1
        self.add_page()

    def header(self) -> None:
        book, top = self.book, 9.0
        self.set_font(self.family, size=8)
        self.set_text_color(*MUTED)
        self.set_xy(self.l_margin, top)
        left = f"Exhibit {book.exhibit_number} · {book.case_reference} · {book.case_title}"
        self.para(left, 4, self.epw * 0.7)
        bottom = self.get_y()
        more = " (continued)" if self.page > self.section_page else ""
        self.set_xy(self.l_margin + self.epw * 0.7, top)
        self.para(self.section + more, 4, self.epw * 0.3, align="R")
        bottom = max(bottom, self.get_y()) + 1.5
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, bottom, self.w - self.r_margin, bottom)
        self.set_xy(self.l_margin, max(bottom + 4, self.t_margin))

    def wrap(self, text: str, width: float) -> str:
        """The text with a line break wherever a line in the current font would pass width."""
        width -= 0.3  # so that fpdf2's own line breaker never breaks these lines again
        lines = []
        for paragraph in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            line, used = "", 0.0
            for piece in _segments(paragraph):
                if line and used + self.get_string_width(piece.rstrip()) > width:
                    lines.append(line.rstrip())
                    line, used = "", 0.0
                # A piece wider than a line (a SHA-256, a long code) is cut anywhere.
                while len(piece) > 1 and self.get_string_width(piece.rstrip()) > width:
                    cut = 1
                    while self.get_string_width(piece[: cut + 1]) <= width:
                        cut += 1
                    lines.append(piece[:cut])
                    piece = piece[cut:]
                line += piece
                used += self.get_string_width(piece)
            lines.append(line.rstrip())
        return "\n".join(lines)

    def para(self, text: str, height: float, width: float = 0, align: str = "L") -> None:
        width = width or self.epw
        self.multi_cell(width, height, self.wrap(text, width), align=align, new_x="LMARGIN")

    def title_line(self, text: str, size: float = 16) -> None:
        self.set_font(self.family, size=size)
        self.set_text_color(*ACCENT)
        self.para(text, size * 0.5)
        self.ln(3)

    def listing(
        self, title: str, headings: tuple[str, ...], rows: Sequence[tuple[str, ...]], empty: str
    ) -> None:
        """A subheading, kept with what follows it, then a table or, without rows, a note."""
        if self.will_page_break(24 if rows else 14):
            self.add_page()
        self.set_font(self.family, size=11)
        self.set_text_color(*ACCENT)
        self.para(title, 6)
        self.ln(1)
        if rows:
            self.grid(headings, rows, COLUMNS[title])
        else:
            self.set_font(self.family, size=9)
            self.set_text_color(*MUTED)
            self.para(empty, 5)
            self.ln(3)

    def grid(
        self, headings: tuple[str, ...], rows: Sequence[tuple[str, ...]], widths: tuple[float, ...]
    ) -> None:
        """A table over the page width; its rows move to the next page whole, headings
        repeated, rather than being cut."""
        widths_mm = tuple(width / sum(widths) * self.epw for width in widths)
        self.set_font(self.family, size=9)
        self.set_text_color(*INK)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        line_height = self.font_size * 1.45
        most = max(1, int((self.h - self.t_margin - self.b_margin - 30) / line_height))
        heading_style = FontFace(self.family, "", 9, color=WHITE, fill_color=ACCENT)
        with self.table(
            width=self.epw,
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


def _choose_font(pdf: _Book, book: ExhibitBook, font_file: Path | None) -> None:
    text = _all_text(book) + TEMPLATE_CHARS
    if font_file is None:
        beyond = [char for char in text if ord(char) > 255]
        if beyond:
            raise InvalidSetting(
                f"The exhibit book has text outside Latin-1 (such as {beyond[0]!r}): Chinese text "
                "needs a CJK font file; install fonts-noto-cjk or set BSU_FONT_FILE."
            )
        return  # core Helvetica covers Latin-1
    path, index = font_path(str(font_file))
    try:
        pdf.add_font(FAMILY, fname=path, collection_font_number=index)
    except Exception as error:  # fontTools raises assorted types for a file it cannot read
        raise InvalidSetting(f"The font file {path} could not be read ({error}).") from error
    face = pdf.fonts[FAMILY]
    assert isinstance(face, TTFFont)
    missing = list(dict.fromkeys(c for c in text if c not in "\n\r\t" and ord(c) not in face.cmap))
    if missing:
        shown = " ".join(missing[:12]) + (" …" if len(missing) > 12 else "")
        raise InvalidSetting(
            f"The font file {path} has no glyphs for {len(missing)} characters of the exhibit "
            f"book ({shown}); CJK text needs a font that covers it, such as Noto Sans CJK: "
            "set BSU_FONT_FILE to one."
        )
    pdf.family = FAMILY
    pdf.set_lang("zh-HK" if any(_wide(c) for c in text) else "en-GB")


def _cover(pdf: _Book, book: ExhibitBook) -> None:
    pdf.start("Cover")
    pdf.set_y(42)
    pdf.title_line(f"Exhibit {book.exhibit_number}", 30)
    pdf.set_font(pdf.family, size=13)
    pdf.set_text_color(*MUTED)
    pdf.para(book.case_reference, 7)
    pdf.set_font(pdf.family, size=18)
    pdf.set_text_color(*INK)
    pdf.para(book.case_title, 9)
    pdf.ln(10)
    frozen = f"{book.revision}, frozen for court by {book.frozen_by} on {book.frozen_on}"
    rows = [
        ("Scene", f"{book.scene_name} (scene {book.scene_id})"),
        ("Scene revision", frozen),
        ("Revision SHA-256", book.revision_sha256),
        ("Steps", str(len(book.steps))),
        ("Produced by", book.producer),
        ("Date", book.produced_on),
    ]
    pdf.grid((), rows, COLUMNS["Cover"])


PRINT_DPI = 300


def _print_copy(png: bytes, width_mm: float) -> io.BytesIO:
    """The still at the book's print resolution. fpdf2 re-encodes pixels, so a textured
    3508-px still would otherwise add tens of megabytes per page for detail no printer shows;
    the full-resolution PNG is in the package beside the book."""
    target = round(width_mm / 25.4 * PRINT_DPI)
    with Image.open(io.BytesIO(png)) as still:
        if still.width <= target:
            return io.BytesIO(png)
        height = round(still.height * target / still.width)
        smaller = still.convert("RGB").resize((target, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    smaller.save(buffer, format="PNG")
    return buffer


def _step(pdf: _Book, step: BookStep, count: int) -> None:
    try:
        with Image.open(io.BytesIO(step.still_png)) as still:
            size = still.size
    except (OSError, UnidentifiedImageError) as error:
        raise InvalidInput(
            f"The still {step.still_name} of step {step.number} is not a PNG."
        ) from error
    pdf.start(f"Step {step.number} of {count}")
    top = pdf.get_y()
    scale = min(pdf.epw / size[0], STILL_HEIGHT / size[1])
    width, height = size[0] * scale, size[1] * scale
    left = pdf.l_margin + (pdf.epw - width) / 2
    pdf.image(_print_copy(step.still_png, width), x=left, y=top, w=width, h=height)
    pdf.set_draw_color(*RULE)
    pdf.rect(left, top, width, height)
    pdf.set_y(top + height + 1.5)
    pdf.set_font(pdf.family, size=7.5)
    pdf.set_text_color(*MUTED)
    pdf.para(
        f"Printed at {PRINT_DPI} dpi; full resolution ({size[0]} × {size[1]} px) in "
        f"{step.still_name} of the package",
        4,
        align="C",
    )
    pdf.ln(2)
    clock = f" · {step.clock}" if step.clock else ""
    pdf.title_line(f"Step {step.number} of {count}{clock} · {step.title}", 14)
    pdf.set_font(pdf.family, size=10)
    pdf.set_text_color(*INK)
    pdf.para(step.narrative, 5.4)
    pdf.ln(4)

    rows = []
    for entity in step.entities:
        where = "not placed"
        if entity.position_m is not None:
            where = " / ".join(f"{value:.2f}" for value in entity.position_m)
        elif entity.model_point is not None:
            # Units or scale unknown: the point as stored, never passed off as metres.
            where = " / ".join(f"{value:.4g}" for value in entity.model_point) + " model units"
        heading = "" if entity.heading_deg is None else f"{entity.heading_deg:.0f}°"
        source = PROVENANCE.get(entity.provenance, entity.provenance)
        source += f": {entity.reference}" if entity.reference else ""
        rows.append((entity.label, entity.type, where, heading, source))
    head: tuple[str, ...] = ("Label", "Type", "Position E / N / height (m)", "Heading", "Source")
    pdf.listing("Entities", head, rows, "No entities are placed at this step.")
    measured = [(m.label, m.kind, m.value) for m in step.measurements]
    head = ("Measurement", "Kind", "Value")
    pdf.listing("Measurements", head, measured, "No measurements at this step.")
    lines = [(s.observer, s.target, s.verdict) for s in step.sightlines]
    head = ("Observer", "Target", "Verdict")
    pdf.listing("Sightlines", head, lines, "No sightlines at this step.")


def _footers(pdf: _Book, book: ExhibitBook) -> None:
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
        pdf.line(pdf.l_margin, pdf.h - 13, pdf.w - pdf.r_margin, pdf.h - 13)
        pdf.set_xy(pdf.l_margin, pdf.h - 11.5)
        pdf.set_font(pdf.family, size=8)
        pdf.set_text_color(*MUTED)
        pdf.para(
            f"{book.case_reference} · Exhibit {book.exhibit_number} · scene {book.scene_id} "
            f"revision {book.revision} · page {number} of {total}",
            4,
            align="C",
        )


def book_font(configured: str) -> Path | None:
    """The font file to pass to ``build_exhibit_book``: ``BSU_FONT_FILE`` when set (it must
    exist), else the installed Noto Sans CJK, else None (then only Latin-1 text can be drawn)."""
    try:
        return Path(font_path(configured)[0])
    except InvalidSetting:
        if configured:
            raise
        return None


def build_exhibit_book(book: ExhibitBook, font_file: Path | None) -> bytes:
    """The exhibit book as PDF bytes.

    ``font_file`` is the CJK font to draw with (``bsu_models.fonts.font_path`` finds the face of
    a collection); ``None`` means there is none, which is only allowed when all text is Latin-1.
    Raises ``InvalidSetting`` when the font cannot draw the text, ``InvalidInput`` for a still
    that is not a picture.
    """
    pdf = _Book(book)
    _choose_font(pdf, book, font_file)
    _cover(pdf, book)
    pdf.start("Model")
    pdf.title_line("The model")
    pdf.grid(("Fact", "Value"), book.model_facts, COLUMNS["Model"])
    for step in book.steps:
        _step(pdf, step, len(book.steps))
    pdf.start("Statement of method")
    pdf.title_line("Statement of method")
    pdf.set_font(pdf.family, size=10)
    pdf.set_text_color(*INK)
    for paragraph in book.method:
        pdf.para(paragraph, 5.4)
        pdf.ln(3)
    if book.package_files:
        pdf.start("Annex: package files")
        pdf.title_line("Annex: files of the exhibit package")
        pdf.grid(("Path", "SHA-256"), book.package_files, COLUMNS["Annex"])
    _footers(pdf, book)
    return bytes(pdf.output())
