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

The PDF mechanics (fpdf2 document, tables, line breaking, fonts, footers) are in
``bsu_models.pdf_layout``; this module decides what goes on each page.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from bsu_models.errors import InvalidInput, InvalidSetting
from bsu_models.fonts import font_path
from bsu_models.pdf_layout import (
    COLUMNS,
    INK,
    MUTED,
    RULE,
    BookPdf,
    choose_font,
    write_footers,
)


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


def _cover(pdf: BookPdf, book: ExhibitBook) -> None:
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
    pdf: BookPdf, png: bytes, name: str, size: tuple[int, int], box: tuple[float, float]
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


def _notes(pdf: BookPdf, entities: Sequence[BookEntity]) -> None:
    """The footnotes of an entity table: what the position numbers are, what Sensitive means."""
    notes = POSITION_NOTE
    if any(e.sensitive for e in entities):
        notes += " " + SENSITIVE_NOTE
    pdf.set_font(pdf.family, size=7.5)
    pdf.set_text_color(*MUTED)
    pdf.ln(-2.5)
    pdf.para(notes, 3.8)
    pdf.ln(3)


def _step(pdf: BookPdf, step: BookStep, count: int) -> None:
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


def _model_page(pdf: BookPdf, book: ExhibitBook) -> None:
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
    pdf = BookPdf(book)
    choose_font(pdf, book, font_file)
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
    write_footers(pdf, book)
    return bytes(pdf.output())
