"""The exhibit book: a PDF for court showing one frozen scene revision of a case, step by step.

Works on an ``ExhibitBook``: plain values that the caller has already read from the catalogue
and the scene package (the case, the scene revision with its SHA-256, the model's facts, and for
each step its still PNG, narrative, placed entities, measurements and sightlines, the statement
of method and the package's file list). ``build_exhibit_book`` returns the bytes of an A4
landscape PDF made with fpdf2: cover, model facts, one or more pages per step, statement of
method and an annex of package files.

The book's own words (headings, table headings, notes) are in the language ``lang`` given to
``build_exhibit_book`` (English or Traditional Chinese, Hong Kong); the values of an
``ExhibitBook`` arrive already written in that language by the caller, and user text is never
translated.

Text may be English, Traditional Chinese (Hong Kong) or both. It is drawn with the CJK font of
``bsu_models.render.fonts`` (Noto Sans CJK, HK face), embedded as a subset. Every character must
have a glyph in that font: an exhibit must never show empty boxes. User text is plain text: nothing
in it is read as markup or substituted (not even fpdf2's ``{nb}`` page-count alias). The same input
gives the same bytes.

The PDF mechanics (fpdf2 document, tables, line breaking, fonts, footers) are in
``bsu_models.court.pdf_layout``; this module decides what goes on each page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bsu_models.core.errors import InvalidSetting, Message
from bsu_models.core.i18n import DEFAULT_LANGUAGE, N_
from bsu_models.court.bagit_package import SIGNATURE_FILE
from bsu_models.court.book_accounts import ACCOUNT_WORDS, BookComparison, comparison_pages
from bsu_models.court.book_method import METHOD_WORDS, MethodStatement, method_pages
from bsu_models.court.book_pictures import PRINT_DPI as PRINT_DPI
from bsu_models.court.book_pictures import _picture, _png_size
from bsu_models.court.book_review import REVIEW_WORDS, BookReview, review_page
from bsu_models.court.exhibit_cctv import CCTV_WORDS, BookCamera, cctv_pages
from bsu_models.court.exhibit_words import PROVENANCE_WORDS
from bsu_models.court.pdf_layout import (
    COLUMNS,
    INK,
    MUTED,
    BookPdf,
    choose_font,
    write_footers,
)
from bsu_models.render.fonts import font_path


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
    carried_from: int | None = None  # number of the step whose placement this repeats


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
    # Camera entities matched to CCTV frames: a page each after the steps.
    cameras: tuple[BookCamera, ...] = ()
    # The technical review of the frozen revision (None: frozen before reviews were required).
    review: BookReview | None = None
    # SHA-256 fingerprint of the public key whose signature the package carries ("": unsigned).
    signing_fingerprint: str = ""
    # The statement of method's sections after its paragraphs (sources, software, units,
    # uncertainty, data and assumptions, accounts, review, limitations).
    method_statement: MethodStatement | None = None
    # Further accounts put beside this one, each compared with it step by step.
    comparisons: tuple[BookComparison, ...] = ()

    @property
    def has_sensitive(self) -> bool:
        return any(e.sensitive for step in self.steps for e in step.entities)


# Entity types and measurement kinds the book names in its language; others are shown as given.
TYPE_NAMES = {
    "suspect": N_("suspect"),
    "victim": N_("victim"),
    "witness": N_("witness"),
    "officer": N_("officer"),
    "vehicle": N_("vehicle"),
    "evidence": N_("evidence"),
    "camera": N_("camera"),
    "other": N_("other"),
}
KIND_NAMES = {
    "distance": N_("distance"),
    "path length": N_("path length"),
    "height": N_("height"),
    "angle": N_("angle"),
}
# A step's still takes the left half of its first page, at most 55% of the printable height;
# the narrative, measurements and sightlines go beside it and the entities under it, so that a
# typical step (six entities, three measurements) fits on one page.
STILL_WIDTH = 0.5  # of the page width between the margins
STILL_HEIGHT = 0.55  # of the printable height
GUTTER = 6.0  # mm between the still and the text beside it
POSITION_NOTE = N_(
    "* East and north of the model file's origin (0, 0, 0) and height above the lowest point "
    "of the model, in metres."
)
SENSITIVE_NOTE = N_("Sensitive: never shown in public material.")
SELF_NOTE = N_(
    "The exhibit book itself is listed in manifest-sha256.txt; it cannot list its own hash."
)
# Every word the book writes itself, translated by BookPdf (pdf.say): headings, table headings,
# notes and the names above. Whatever the book draws with pdf.say must be listed here.
BOOK_WORDS = (
    *CCTV_WORDS,
    *ACCOUNT_WORDS,
    *REVIEW_WORDS,
    *METHOD_WORDS,
    *PROVENANCE_WORDS.values(),
    *TYPE_NAMES.values(),
    *KIND_NAMES.values(),
    POSITION_NOTE,
    SENSITIVE_NOTE,
    SELF_NOTE,
    N_("Cover"),
    N_("Scene"),
    N_("{name} (scene {id})"),
    N_("Scene revision"),
    N_("{revision}, frozen for court by {who} on {date}"),
    N_("Revision SHA-256"),
    N_("Steps"),
    N_("Produced by"),
    N_("Signed"),
    N_("by the unit's key {fingerprint} (Ed25519; {file})"),
    N_("not signed"),
    N_("Date"),
    N_("Handling"),
    N_(
        "Contains sensitive material (entities marked Sensitive): for the court only, never "
        "to be published."
    ),
    N_("Printed at {dpi} dpi; full resolution ({width} × {height} px) in {name} of the package"),
    N_("not placed"),
    N_("{point} model units"),
    N_("{provenance}: {reference}"),
    N_("{source} (carried from step {number})"),
    N_("Sensitive"),
    N_("Label"),
    N_("Type"),
    N_("Position E / N / height (m) *"),
    N_("Heading"),
    N_("Source"),
    N_("Step {number} of {count}"),
    N_("Measurements"),
    N_("Measurement"),
    N_("Kind"),
    N_("Value"),
    N_("No measurements at this step."),
    N_("Sightlines"),
    N_("Observer"),
    N_("Target"),
    N_("Verdict"),
    N_("No sightlines at this step."),
    N_("Entities"),
    N_("No entities are placed at this step."),
    N_("Model"),
    N_("The model"),
    N_("Fact"),
    N_("Measurements over the whole scene"),
    N_("Statement of method"),
    N_("Annex: package files"),
    N_("Annex: files of the exhibit package"),
    N_("Path"),
)


def _cover(pdf: BookPdf, book: ExhibitBook) -> None:
    say = pdf.say
    pdf.start(say("Cover"))
    pdf.set_y(42)
    pdf.title_line(pdf.exhibit_words(), 30)
    pdf.set_font(pdf.family, size=13)
    pdf.set_text_color(*MUTED)
    pdf.para(book.case_reference, 7)
    pdf.set_font(pdf.family, size=18)
    pdf.set_text_color(*INK)
    pdf.para(book.case_title, 9)
    pdf.ln(10)
    frozen = say("{revision}, frozen for court by {who} on {date}").format(
        revision=book.revision, who=book.frozen_by, date=book.frozen_on
    )
    rows = [
        (say("Scene"), say("{name} (scene {id})").format(name=book.scene_name, id=book.scene_id)),
        (say("Scene revision"), frozen),
        (say("Revision SHA-256"), book.revision_sha256),
        (say("Steps"), str(len(book.steps))),
        (say("Produced by"), book.producer),
        (say("Date"), book.produced_on),
        (
            say("Signed"),
            say("by the unit's key {fingerprint} (Ed25519; {file})").format(
                fingerprint=book.signing_fingerprint, file=SIGNATURE_FILE
            )
            if book.signing_fingerprint
            else say("not signed"),
        ),
    ]
    if book.has_sensitive:
        rows.append(
            (
                say("Handling"),
                say(
                    "Contains sensitive material (entities marked Sensitive): for the court "
                    "only, never to be published."
                ),
            )
        )
    pdf.grid((), rows, COLUMNS["Cover"])


def _named(pdf: BookPdf, names: dict[str, str], key: str) -> str:
    """The name of ``key`` in the book's language when the book knows it, else ``key``."""
    return pdf.say(names[key]) if key in names else key


def _entity_rows(
    pdf: BookPdf, entities: Sequence[BookEntity]
) -> tuple[tuple[str, ...], list[tuple[str, ...]], tuple[float, ...]]:
    """Headings, rows and column widths of an entity table; the Heading column only when
    some entity has a heading."""
    say = pdf.say
    headed = any(e.heading_deg is not None for e in entities)
    rows: list[tuple[str, ...]] = []
    for entity in entities:
        where = say("not placed")
        if entity.position_m is not None:
            where = " / ".join(f"{value:.2f}" for value in entity.position_m)
        elif entity.model_point is not None:
            # Units or scale unknown: the point as stored, never passed off as metres.
            point = " / ".join(f"{value:.4g}" for value in entity.model_point)
            where = say("{point} model units").format(point=point)
        heading = "" if entity.heading_deg is None else f"{entity.heading_deg:.0f}°"
        source = _named(pdf, PROVENANCE_WORDS, entity.provenance)
        if entity.reference:
            source = say("{provenance}: {reference}").format(
                provenance=source, reference=entity.reference
            )
        if entity.carried_from is not None:
            source = say("{source} (carried from step {number})").format(
                source=source, number=entity.carried_from
            )
        kind = _named(pdf, TYPE_NAMES, entity.type)
        kind += ("\n" + say("Sensitive")) if entity.sensitive else ""
        row = (entity.label, kind, where, heading, source)
        rows.append(row if headed else row[:3] + row[4:])
    head: tuple[str, ...] = (
        say("Label"),
        say("Type"),
        say("Position E / N / height (m) *"),
        say("Heading"),
        say("Source"),
    )
    widths: tuple[float, ...] = COLUMNS["Entities"]
    if not headed:
        head, widths = head[:3] + head[4:], COLUMNS["Entities without headings"]
    return head, rows, widths


def _notes(pdf: BookPdf, entities: Sequence[BookEntity]) -> None:
    """The footnotes of an entity table: what the position numbers are, what Sensitive means."""
    notes = pdf.say(POSITION_NOTE)
    if any(e.sensitive for e in entities):
        notes += " " + pdf.say(SENSITIVE_NOTE)
    pdf.set_font(pdf.family, size=7.5)
    pdf.set_text_color(*MUTED)
    pdf.ln(-2.5)
    pdf.para(notes, 3.8)
    pdf.ln(3)


def _step(pdf: BookPdf, step: BookStep, count: int) -> None:
    size = _png_size(step.still_png, step.still_name, Message("step {number}", number=step.number))
    say = pdf.say
    counter = say("Step {number} of {count}").format(number=step.number, count=count)
    pdf.start(counter)
    clock = f" · {step.clock}" if step.clock else ""
    pdf.title_line(f"{counter}{clock} · {step.title}", 14)
    top = pdf.get_y()
    box = (pdf.epw * STILL_WIDTH, pdf.eph * STILL_HEIGHT)
    under_still = _picture(pdf, step.still_png, step.still_name, size, box)

    # Beside the still: the narrative, then the measurements and sightlines when they fit
    # there; whatever does not fit goes under the still at full width.
    x = pdf.l_margin + box[0] + GUTTER
    width = pdf.w - pdf.r_margin - x
    measured = [(m.label, _named(pdf, KIND_NAMES, m.kind), m.value) for m in step.measurements]
    lines = [(s.observer, s.target, s.verdict) for s in step.sightlines]
    tables = (
        (
            say("Measurements"),
            (say("Measurement"), say("Kind"), say("Value")),
            measured,
            say("No measurements at this step."),
            COLUMNS["Measurements"],
        ),
        (
            say("Sightlines"),
            (say("Observer"), say("Target"), say("Verdict")),
            lines,
            say("No sightlines at this step."),
            COLUMNS["Sightlines"],
        ),
    )
    pdf.set_font(pdf.family, size=10)
    narrative = len(pdf.wrap(step.narrative, width).split("\n")) * 5.4 + 4
    beside = narrative + sum(
        pdf.listing_height(head, rows, widths, width) for _, head, rows, _, widths in tables
    )
    room = pdf.page_break_trigger - top - 2
    pdf.set_xy(x, top)
    if narrative <= room:
        pdf.set_text_color(*INK)
        pdf.para(step.narrative, 5.4, width)
        pdf.ln(4)
    if narrative <= room and beside <= room:
        for title, head, rows, empty, widths in tables:
            pdf.listing(title, head, rows, empty, widths, column=(x, width))
        pdf.set_y(max(pdf.get_y(), under_still) + 2)
    else:
        pdf.set_y(max(pdf.get_y(), under_still) + 2)
        if narrative > room:
            pdf.set_font(pdf.family, size=10)
            pdf.set_text_color(*INK)
            pdf.para(step.narrative, 5.4)
            pdf.ln(4)
    entity_head, entity_rows, entity_widths = _entity_rows(pdf, step.entities)
    pdf.listing(
        say("Entities"),
        entity_head,
        entity_rows,
        say("No entities are placed at this step."),
        entity_widths,
    )
    if entity_rows:
        _notes(pdf, step.entities)
    if not (narrative <= room and beside <= room):
        for title, head, rows, empty, widths in tables:
            pdf.listing(title, head, rows, empty, widths)


def _model_page(pdf: BookPdf, book: ExhibitBook) -> None:
    say = pdf.say
    pdf.start(say("Model"))
    pdf.title_line(say("The model"))
    pdf.grid((say("Fact"), say("Value")), book.model_facts, COLUMNS["Model"])
    if book.scene_measurements:
        rows = [
            (m.label, _named(pdf, KIND_NAMES, m.kind), m.value) for m in book.scene_measurements
        ]
        pdf.listing(
            say("Measurements over the whole scene"),
            (say("Measurement"), say("Kind"), say("Value")),
            rows,
            "",
            COLUMNS["Measurements over the whole scene"],
        )
    if book.model_still_png:
        name = book.model_still_name or "stills/model.png"
        size = _png_size(book.model_still_png, name, Message("the model"))
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


def build_exhibit_book(
    book: ExhibitBook, font_file: Path | None, lang: str = DEFAULT_LANGUAGE
) -> bytes:
    """The exhibit book as PDF bytes, its own words in ``lang``.

    ``font_file`` is the CJK font to draw with (``bsu_models.render.fonts.font_path`` finds the face
    of a collection); ``None`` means there is none, which is only allowed when all text is Latin-1.
    Raises ``InvalidSetting`` when the font cannot draw the text, ``InvalidInput`` for a still
    that is not a picture.
    """
    pdf = BookPdf(book, lang, BOOK_WORDS)
    say = pdf.say
    choose_font(pdf, book, font_file)
    _cover(pdf, book)
    _model_page(pdf, book)
    for step in book.steps:
        _step(pdf, step, len(book.steps))
    cctv_pages(pdf, book.cameras, _picture)
    for comparison in book.comparisons:
        comparison_pages(pdf, comparison)
    review_page(pdf, book.review)
    pdf.start(say("Statement of method"))
    pdf.title_line(say("Statement of method"))
    pdf.set_font(pdf.family, size=10)
    pdf.set_text_color(*INK)
    for paragraph in book.method:
        pdf.para(paragraph, 5.4)
        pdf.ln(3)
    if book.method_statement is not None:
        method_pages(pdf, book.method_statement)
    if book.package_files:
        pdf.start(say("Annex: package files"))
        pdf.title_line(say("Annex: files of the exhibit package"))
        pdf.set_font(pdf.family, size=10)
        pdf.set_text_color(*INK)
        pdf.para(say(SELF_NOTE), 5.4)
        pdf.ln(3)
        pdf.grid((say("Path"), "SHA-256"), book.package_files, COLUMNS["Annex"])
    write_footers(pdf, book)
    return bytes(pdf.output())
