"""Stills on the pages of the exhibit book: fitted in a box, framed, captioned with where the
full-resolution picture is in the package, and printed at the book's resolution."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from bsu_models.core.errors import InvalidInput, Message
from bsu_models.court.pdf_layout import MUTED, RULE, BookPdf

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


def _png_size(png: bytes, name: str, what: Message) -> tuple[int, int]:
    try:
        with Image.open(io.BytesIO(png)) as still:
            return still.size
    except (OSError, UnidentifiedImageError) as error:
        raise InvalidInput(
            "The still {name} of {what} is not a PNG.", name=name, what=what
        ) from error


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
    caption = pdf.say(
        "Printed at {dpi} dpi; full resolution ({width} × {height} px) in {name} of the package"
    )
    pdf.para(caption.format(dpi=PRINT_DPI, width=size[0], height=size[1], name=name), 3.6, width)
    return pdf.get_y()
