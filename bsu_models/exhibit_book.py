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
import re
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
    sensitive: bool = False  # the court sees it; public material never does


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
    # Measurements not tied to a step (a path length over the whole scene): once, on the
    # model page, not repeated on every step.
    scene_measurements: tuple[BookMeasurement, ...] = ()
    # A scene without steps still has a picture of the model: shown on the model page.
    model_still_png: bytes = b""
    model_still_name: str = ""

    @property
    def has_sensitive(self) -> bool:
        return any(e.sensitive for step in self.steps for e in step.entities)


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
# A step's still takes the left half of its first page, at most 55% of the printable height;
# the narrative, measurements and sightlines go beside it and the entities under it, so that a
# typical step (six entities, three measurements) fits on one page.
STILL_WIDTH = 0.5  # of the page width between the margins
STILL_HEIGHT = 0.55  # of the printable height
GUTTER = 6.0  # mm between the still and the text beside it
POSITION_NOTE = (
    "* East and north of the model file's origin (0, 0, 0) and height above the lowest point "
    "of the model, in metres."
)
SENSITIVE_NOTE = "Sensitive: never shown in public material."
SELF_NOTE = "The exhibit book itself is listed in manifest-sha256.txt; it cannot list its own hash."
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


_DATE_START = re.compile(r"\s*(\d{1,2} [A-Za-z]+ \d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})")


def _creation_date(book: ExhibitBook) -> datetime:
    """The production date when it can be read (a time after it, such as "21:03 HKT", is left
    out), else a fixed date: the bytes of the PDF must not depend on the clock of the machine
    that made it."""
    for text in (book.produced_on, book.frozen_on):
        found = _DATE_START.match(text)
        for pattern in ("%d %b %Y", "%d %B %Y", "%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(found[1] if found else "", pattern).replace(tzinfo=UTC)
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
        self,
        title: str,
        headings: tuple[str, ...],
        rows: Sequence[tuple[str, ...]],
        empty: str,
        widths: tuple[float, ...] | None = None,
        column: tuple[float, float] | None = None,
    ) -> None:
        """A subheading, kept with what follows it, then a table or, without rows, a note.

        ``column`` is ``(x, width)`` of a column beside the still (the caller has made sure
        that it fits on the page); by default the table spans the page."""
        x, width = column or (self.l_margin, self.epw)
        if column is None and self.will_page_break(24 if rows else 14):
            self.add_page()
        self.set_font(self.family, size=11)
        self.set_text_color(*ACCENT)
        self.set_x(x)
        self.para(title, 6, width)
        self.ln(1)
        if rows:
            self.grid(headings, rows, widths or COLUMNS[title], width if column else None)
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
    if book.has_sensitive:
        rows.append(
            (
                "Handling",
                "Contains sensitive material (entities marked Sensitive): for the court only, "
                "never to be published.",
            )
        )
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


def _png_size(png: bytes, name: str, what: str) -> tuple[int, int]:
    try:
        with Image.open(io.BytesIO(png)) as still:
            return still.size
    except (OSError, UnidentifiedImageError) as error:
        raise InvalidInput(f"The still {name} of {what} is not a PNG.") from error


def _picture(
    pdf: _Book, png: bytes, name: str, size: tuple[int, int], box: tuple[float, float]
) -> float:
    """The still at the top left of the page's current position, fitted in ``box`` (width,
    height in mm), framed and captioned; returns the y under the caption."""
    top, left = pdf.get_y(), pdf.l_margin
    scale = min(box[0] / size[0], box[1] / size[1])
    width, height = size[0] * scale, size[1] * scale
    pdf.image(_print_copy(png, width), x=left, y=top, w=width, h=height)
    pdf.set_draw_color(*RULE)
    pdf.rect(left, top, width, height)
    pdf.set_xy(left, top + height + 1.2)
    pdf.set_font(pdf.family, size=7)
    pdf.set_text_color(*MUTED)
    pdf.para(
        f"Printed at {PRINT_DPI} dpi; full resolution ({size[0]} × {size[1]} px) in "
        f"{name} of the package",
        3.6,
        width,
    )
    return pdf.get_y()


def _entity_rows(
    entities: Sequence[BookEntity],
) -> tuple[tuple[str, ...], list[tuple[str, ...]], tuple[float, ...]]:
    """Headings, rows and column widths of an entity table; the Heading column only when
    some entity has a heading."""
    headed = any(e.heading_deg is not None for e in entities)
    rows: list[tuple[str, ...]] = []
    for entity in entities:
        where = "not placed"
        if entity.position_m is not None:
            where = " / ".join(f"{value:.2f}" for value in entity.position_m)
        elif entity.model_point is not None:
            # Units or scale unknown: the point as stored, never passed off as metres.
            where = " / ".join(f"{value:.4g}" for value in entity.model_point) + " model units"
        heading = "" if entity.heading_deg is None else f"{entity.heading_deg:.0f}°"
        source = PROVENANCE.get(entity.provenance, entity.provenance)
        source += f": {entity.reference}" if entity.reference else ""
        kind = entity.type + ("\nSensitive" if entity.sensitive else "")
        row = (entity.label, kind, where, heading, source)
        rows.append(row if headed else row[:3] + row[4:])
    head: tuple[str, ...] = ("Label", "Type", "Position E / N / height (m) *", "Heading", "Source")
    widths: tuple[float, ...] = COLUMNS["Entities"]
    if not headed:
        head, widths = head[:3] + head[4:], COLUMNS["Entities without headings"]
    return head, rows, widths


def _notes(pdf: _Book, entities: Sequence[BookEntity]) -> None:
    """The footnotes of an entity table: what the position numbers are, what Sensitive means."""
    notes = POSITION_NOTE
    if any(e.sensitive for e in entities):
        notes += " " + SENSITIVE_NOTE
    pdf.set_font(pdf.family, size=7.5)
    pdf.set_text_color(*MUTED)
    pdf.ln(-2.5)
    pdf.para(notes, 3.8)
    pdf.ln(3)


def _step(pdf: _Book, step: BookStep, count: int) -> None:
    size = _png_size(step.still_png, step.still_name, f"step {step.number}")
    pdf.start(f"Step {step.number} of {count}")
    clock = f" · {step.clock}" if step.clock else ""
    pdf.title_line(f"Step {step.number} of {count}{clock} · {step.title}", 14)
    top = pdf.get_y()
    box = (pdf.epw * STILL_WIDTH, pdf.eph * STILL_HEIGHT)
    under_still = _picture(pdf, step.still_png, step.still_name, size, box)

    # Beside the still: the narrative, then the measurements and sightlines when they fit
    # there; whatever does not fit goes under the still at full width.
    x = pdf.l_margin + box[0] + GUTTER
    width = pdf.w - pdf.r_margin - x
    measured = [(m.label, m.kind, m.value) for m in step.measurements]
    lines = [(s.observer, s.target, s.verdict) for s in step.sightlines]
    tables = (
        (
            "Measurements",
            ("Measurement", "Kind", "Value"),
            measured,
            "No measurements at this step.",
        ),
        ("Sightlines", ("Observer", "Target", "Verdict"), lines, "No sightlines at this step."),
    )
    pdf.set_font(pdf.family, size=10)
    narrative = len(pdf.wrap(step.narrative, width).split("\n")) * 5.4 + 4
    beside = narrative + sum(
        pdf.listing_height(head, rows, COLUMNS[title], width) for title, head, rows, _ in tables
    )
    room = pdf.page_break_trigger - top - 2
    pdf.set_xy(x, top)
    if narrative <= room:
        pdf.set_text_color(*INK)
        pdf.para(step.narrative, 5.4, width)
        pdf.ln(4)
    if narrative <= room and beside <= room:
        for title, head, rows, empty in tables:
            pdf.listing(title, head, rows, empty, column=(x, width))
        pdf.set_y(max(pdf.get_y(), under_still) + 2)
    else:
        pdf.set_y(max(pdf.get_y(), under_still) + 2)
        if narrative > room:
            pdf.set_font(pdf.family, size=10)
            pdf.set_text_color(*INK)
            pdf.para(step.narrative, 5.4)
            pdf.ln(4)
    entity_head, entity_rows, widths = _entity_rows(step.entities)
    pdf.listing(
        "Entities", entity_head, entity_rows, "No entities are placed at this step.", widths
    )
    if entity_rows:
        _notes(pdf, step.entities)
    if not (narrative <= room and beside <= room):
        for title, head, rows, empty in tables:
            pdf.listing(title, head, rows, empty)


def _model_page(pdf: _Book, book: ExhibitBook) -> None:
    pdf.start("Model")
    pdf.title_line("The model")
    pdf.grid(("Fact", "Value"), book.model_facts, COLUMNS["Model"])
    if book.scene_measurements:
        title = "Measurements over the whole scene"
        rows = [(m.label, m.kind, m.value) for m in book.scene_measurements]
        pdf.listing(title, ("Measurement", "Kind", "Value"), rows, "")
    if book.model_still_png:
        name = book.model_still_name or "stills/model.png"
        size = _png_size(book.model_still_png, name, "the model")
        if pdf.will_page_break(70):
            pdf.add_page()
        room = pdf.page_break_trigger - pdf.get_y() - 6
        _picture(pdf, book.model_still_png, name, size, (pdf.epw, min(room, pdf.eph * 0.7)))


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
    _model_page(pdf, book)
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
        pdf.set_font(pdf.family, size=10)
        pdf.set_text_color(*INK)
        pdf.para(SELF_NOTE, 5.4)
        pdf.ln(3)
        pdf.grid(("Path", "SHA-256"), book.package_files, COLUMNS["Annex"])
    _footers(pdf, book)
    return bytes(pdf.output())
