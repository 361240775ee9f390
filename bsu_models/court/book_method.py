"""The statement of method of an exhibit book, to the standard a court asks of a demonstrative
aid: source data and their hashes, the software and locked library versions, the scale and
units chain, whether and how the pictures are lit by the sun, each measurement with its expanded
uncertainty, which positions are data and which are assumptions (counted, each listed), the
accounts considered, the review and the limitations.

Uncertainty. The ± a measurement carries on a step page (``MeasuredValue.uncertainty``) is the
half-width *a* of the interval its value can lie in (from the mesh resolution, or as entered).
Read as a rectangular distribution, its standard uncertainty is u = a / √3; the book states the
expanded uncertainty U = k · u with coverage factor k = 2 (about 95 %), rounded to two
significant figures, and the value rounded to the same decimal place (``expanded``).

Works on plain values (``MethodStatement``) that the caller has read; ``method_pages`` draws them
in the book's language.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bsu_models.core.i18n import N_
from bsu_models.court.pdf_layout import INK, BookPdf

COVERAGE = 2  # k
DATA_KINDS = ("measured", "cctv", "witness_statement")
LIMITATIONS = (
    N_(
        "The pictures are illustrations of the positions recorded, not recordings of the "
        "events: lighting, weather, visibility, movement between steps and the appearance of "
        "people and vehicles are not shown as they were."
    ),
    N_(
        "The model holds only what was modelled: trees, vehicles, people or temporary objects "
        "not in the model do not appear in the pictures and block no sightline."
    ),
    N_(
        "Positions from witness statements and assumed positions are only as exact as their "
        "sources; a position's marker shows where it was placed, not how certain it is."
    ),
    N_(
        "Perspective pictures are not to scale; only orthographic (plan and elevation) "
        "pictures carry a scale bar. Measurements are made on the model, not on the pictures."
    ),
)
METHOD_WORDS = (
    *LIMITATIONS,
    N_("Source data"),
    N_("Item"),
    N_("SHA-256"),
    N_("Software"),
    N_("Component"),
    N_("Version"),
    N_("Scale and units"),
    N_("Measurement uncertainty"),
    N_(
        "Each ± on the step pages is the half-width a of the interval the value can lie in. "
        "Read as a rectangular distribution its standard uncertainty is u = a / √3; below, "
        "each measurement is given with its expanded uncertainty U = k · u, coverage factor "
        "k = 2 (about 95 %), rounded to two significant figures, and its value rounded to "
        "the same decimal place."
    ),
    N_("Step"),
    N_("Measurement"),
    N_("Value and expanded uncertainty"),
    N_("{value} {unit} ± {expanded} {unit} (k = 2, about 95 %)"),
    N_("whole scene"),
    N_("No measurements in this scene."),
    N_("Positions: data and assumptions"),
    N_(
        "Positions placed: {total}; resting on data (measured on site, CCTV or a witness "
        "statement): {data}; assumptions: {assumed}."
    ),
    N_("Assumed positions (each listed)"),
    N_("No position is an assumption."),
    N_("Entity"),
    N_("Source"),
    N_("Accounts considered"),
    N_("Account of events"),
    N_("Scene revision and SHA-256"),
    N_(
        "Only this account is in this exhibit; no alternative account was placed on the model "
        "for it."
    ),
    N_("Review"),
    N_("Limitations"),
    N_("Sunlight"),
    N_("Sun"),
)


def expanded(value: float, half_width: float) -> tuple[str, str]:
    """``(value, U)`` as text: U = k · a / √3 to two significant figures, the value to the
    same decimal place."""
    u = COVERAGE * half_width / math.sqrt(3)
    if u <= 0 or not math.isfinite(u):
        return f"{value:.2f}", "0"
    place = 1 - math.floor(math.log10(u))  # decimals that keep two significant figures
    rounded = round(u, place)
    if rounded >= 10 ** (2 - place):  # 0.0996 -> 0.10: one place fewer
        place -= 1
        rounded = round(u, place)
    if place > 0:
        return f"{value:.{place}f}", f"{rounded:.{place}f}"
    return f"{round(value, place):.0f}", f"{rounded:.0f}"


@dataclass(frozen=True)
class MethodMeasurement:
    step: str  # the step's title, "" for the whole scene
    label: str
    value: float
    half_width: float
    unit: str  # "m", "°" or "model units"


@dataclass(frozen=True)
class MethodAccount:
    name: str
    scene_id: int
    revision: int
    sha256: str


@dataclass(frozen=True)
class MethodStatement:
    sources: tuple[tuple[str, str], ...]  # (item, SHA-256)
    software: tuple[tuple[str, str], ...]  # (component, version)
    scale_chain: tuple[str, ...]  # sentences, already in the book's language
    measurements: tuple[MethodMeasurement, ...]
    positions_total: int
    positions_data: int
    assumptions: tuple[tuple[str, str, str], ...]  # (step, entity, reference)
    accounts: tuple[MethodAccount, ...]  # this scene first
    review_line: str  # already in the book's language
    #: Whether and how the pictures are lit by the sun, already in the book's language, and
    #: the sun of each step that has one: (step, the sun as its caption states it).
    sunlight: tuple[str, ...] = ()
    sun_steps: tuple[tuple[str, str], ...] = ()


def method_pages(pdf: BookPdf, method: MethodStatement) -> None:
    """The sections of the statement after its opening paragraphs."""
    say = pdf.say

    def heading(text: str) -> None:
        pdf.ln(2)
        pdf.title_line(text, 12)
        pdf.set_font(pdf.family, size=10)
        pdf.set_text_color(*INK)

    pdf.listing(say("Source data"), (say("Item"), say("SHA-256")), method.sources, "", (2, 3))
    pdf.listing(say("Software"), (say("Component"), say("Version")), method.software, "", (1, 2))
    heading(say("Scale and units"))
    for line in method.scale_chain:
        pdf.para(line, 5.4)
    if method.sunlight:
        if pdf.will_page_break(30):  # the heading with its first lines
            pdf.add_page()
        heading(say("Sunlight"))
        for line in method.sunlight:
            pdf.para(line, 5.4)
        if method.sun_steps:
            pdf.ln(1)
            pdf.grid((say("Step"), say("Sun")), method.sun_steps, (2, 5))
    pdf.ln(2)
    heading(say("Measurement uncertainty"))
    pdf.para(
        say(
            "Each ± on the step pages is the half-width a of the interval the value can lie "
            "in. Read as a rectangular distribution its standard uncertainty is u = a / √3; "
            "below, each measurement is given with its expanded uncertainty U = k · u, "
            "coverage factor k = 2 (about 95 %), rounded to two significant figures, and its "
            "value rounded to the same decimal place."
        ),
        5.4,
    )
    pdf.ln(2)
    rows = []
    for m in method.measurements:
        value, spread = expanded(m.value, m.half_width)
        text = say("{value} {unit} ± {expanded} {unit} (k = 2, about 95 %)").format(
            value=value, expanded=spread, unit=m.unit
        )
        rows.append((m.step or say("whole scene"), m.label, text))
    if rows:
        heads = (say("Step"), say("Measurement"), say("Value and expanded uncertainty"))
        pdf.grid(heads, rows, (2, 3, 4))
    else:
        pdf.para(say("No measurements in this scene."), 5.4)
    heading(say("Positions: data and assumptions"))
    pdf.para(
        say(
            "Positions placed: {total}; resting on data (measured on site, CCTV or a witness "
            "statement): {data}; assumptions: {assumed}."
        ).format(
            total=method.positions_total,
            data=method.positions_data,
            assumed=len(method.assumptions),
        ),
        5.4,
    )
    pdf.ln(2)
    pdf.listing(
        say("Assumed positions (each listed)"),
        (say("Step"), say("Entity"), say("Source")),
        method.assumptions,
        say("No position is an assumption."),
        (2, 3, 3),
    )
    pdf.listing(
        say("Accounts considered"),
        (say("Account of events"), say("Scene revision and SHA-256")),
        [(a.name, f"{a.scene_id} r{a.revision} · {a.sha256}") for a in method.accounts],
        "",
        (2, 3),
    )
    if len(method.accounts) < 2:
        pdf.para(
            say(
                "Only this account is in this exhibit; no alternative account was placed on "
                "the model for it."
            ),
            5.4,
        )
    heading(say("Review"))
    pdf.para(method.review_line, 5.4)
    heading(say("Limitations"))
    for paragraph in LIMITATIONS:
        pdf.para(say(paragraph), 5.4)
        pdf.ln(1.5)
