"""Competing accounts in the exhibit book: for each further account, one page per step with the
two accounts' stills as a pair and the table of differences (each entity's distance between the
two accounts' positions, with its ±).

Works on ``BookComparison`` values that the caller has read (``SceneService.compare_accounts``
and the package's stills); steps are paired by number, entities by id, else by label, as the
table says.
"""

from __future__ import annotations

from dataclasses import dataclass

from bsu_models.core.errors import Message
from bsu_models.core.i18n import N_
from bsu_models.court.book_pictures import _picture, _png_size
from bsu_models.court.pdf_layout import INK, BookPdf

GUTTER = 6.0  # mm between the two stills
PAIR_HEIGHT = 0.5  # of the printable height

ACCOUNT_WORDS = (
    N_("Accounts compared"),
    N_("Accounts compared · step {number}"),
    N_("Account A: {name} (scene {scene} revision {revision})"),
    N_("Account B: {name} (scene {scene} revision {revision})"),
    N_("A: {title}"),
    N_("B: {title}"),
    N_("(no such step)"),
    N_("Entity"),
    N_("Paired"),
    N_("Distance between the accounts' positions"),
    N_("Differences at this step"),
    N_("No entity is placed at this step in either account."),
    N_(
        "Steps are paired by their number in each account; entities by their id, else by the "
        "same label (the Paired column says which). A distance is measured on the model "
        "between the two positions, with its ± from the mesh resolution."
    ),
)


@dataclass(frozen=True)
class BookComparisonStep:
    number: int
    title_a: str  # "" when account A has no such step
    title_b: str
    still_a: bytes  # b"" when there is none
    still_a_name: str
    still_b: bytes
    still_b_name: str
    rows: tuple[tuple[str, str, str], ...]  # (entity, paired by, distance or why none)


@dataclass(frozen=True)
class BookComparison:
    name_a: str
    scene_a: int
    revision_a: int
    name_b: str
    scene_b: int
    revision_b: int
    steps: tuple[BookComparisonStep, ...]


def _still(pdf: BookPdf, png: bytes, name: str, x: float, box: tuple[float, float]) -> float:
    if not png:
        pdf.set_xy(x, pdf.get_y())
        pdf.para(pdf.say("(no such step)"), 5, box[0])
        return pdf.get_y()
    pdf.set_x(x)
    left = pdf.l_margin
    pdf.l_margin = x  # _picture draws at the left margin
    try:
        return _picture(pdf, png, name, _png_size(png, name, Message("the account")), box)
    finally:
        pdf.l_margin = left


def comparison_pages(pdf: BookPdf, comparison: BookComparison) -> None:
    say = pdf.say
    heads = (
        say("Account A: {name} (scene {scene} revision {revision})").format(
            name=comparison.name_a, scene=comparison.scene_a, revision=comparison.revision_a
        ),
        say("Account B: {name} (scene {scene} revision {revision})").format(
            name=comparison.name_b, scene=comparison.scene_b, revision=comparison.revision_b
        ),
    )
    for step in comparison.steps:
        pdf.start(say("Accounts compared"))
        pdf.title_line(say("Accounts compared · step {number}").format(number=step.number), 14)
        width = (pdf.epw - GUTTER) / 2
        box = (width, pdf.eph * PAIR_HEIGHT)
        top = pdf.get_y()
        bottoms = []
        for index, (head, title, png, name) in enumerate(
            (
                (
                    heads[0],
                    say("A: {title}").format(title=step.title_a),
                    step.still_a,
                    step.still_a_name,
                ),
                (
                    heads[1],
                    say("B: {title}").format(title=step.title_b),
                    step.still_b,
                    step.still_b_name,
                ),
            )
        ):
            x = pdf.l_margin + index * (width + GUTTER)
            pdf.set_xy(x, top)
            pdf.set_font(pdf.family, size=9)
            pdf.set_text_color(*INK)
            pdf.para(head, 4.5, width)
            pdf.set_x(x)
            pdf.para(title, 4.5, width)
            pdf.ln(1)
            bottoms.append(_still(pdf, png, name, x, box))
        pdf.set_xy(pdf.l_margin, max(bottoms) + 2)
        pdf.set_font(pdf.family, size=8)
        pdf.para(
            say(
                "Steps are paired by their number in each account; entities by their id, else "
                "by the same label (the Paired column says which). A distance is measured on "
                "the model between the two positions, with its ± from the mesh resolution."
            ),
            4,
        )
        pdf.ln(2)
        pdf.listing(
            say("Differences at this step"),
            (say("Entity"), say("Paired"), say("Distance between the accounts' positions")),
            list(step.rows),
            say("No entity is placed at this step in either account."),
            (3, 1.5, 4),
        )
