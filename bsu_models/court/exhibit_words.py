"""The fixed words of a court exhibit package and how it writes dates, times, measured values
and wrapped lines.

Works on plain values only: datetimes (written in Hong Kong time), ``MeasuredValue`` (a value with
its ±) and text. The words are marked for translation (``N_``) and translated where they are
written, in the package's language (``lang``, one of ``bsu_models.core.i18n.LANGUAGES``). Used by
``bsu_models.court.exhibit_facts`` and ``bsu_models.court.exhibit_content``.
"""

from __future__ import annotations

from datetime import datetime

from bsu_models.core.i18n import (
    DEFAULT_LANGUAGE,
    N_,
    format_date,
    format_datetime,
    translator,
)
from bsu_models.core.line_breaks import is_wide, line_pieces
from bsu_models.core.records import MeasuredValue
from bsu_models.court.pdf_layout import NOTICE as NOTICE

# What the package says of each provenance kind and the statement of method (translated where
# they are written).
PROVENANCE_WORDS = {
    "measured": N_("Measured"),
    "cctv": N_("CCTV"),
    "witness_statement": N_("Witness statement"),
    "assumption": N_("Assumption"),
}
NOT_PLACED = N_("Not placed")
METHOD = (
    N_(
        "The landmark was built as a scale model by the Briefing Support Unit and digitised; "
        "the digitised model file was stored unchanged and is identified throughout by its "
        "SHA-256 hash, given on the model page of this book."
    ),
    N_(
        "Positions of people, vehicles, evidence and cameras were placed on the digital model "
        "by investigators. Each position records how it is known: measured on site, taken from "
        "CCTV, taken from a witness statement (with its reference), or assumed. Positions are "
        "snapped to the model's surface below them."
    ),
    N_(
        "Positions are given in metres as east / north / height: east and north are measured "
        "from the model file's origin (0, 0, 0) along the model's east and north axes (not from "
        "the middle of the model), and height is measured above the lowest point of the model. "
        "Metres are model coordinates multiplied by the model's units and scale; where these "
        "are not known, positions are given in model units and say so. Distances carry an "
        "uncertainty (±) from the model's mesh resolution unless a measured uncertainty was "
        "entered."
    ),
    N_(
        "Sightlines are straight lines from the observer's eye height to the target (a "
        "person's face at their eye height), tested against every surface of the model. A "
        "person's eye height is the one set at the step, else 0.936 of their stated height "
        "(the eye level of Drillis and Contini's body proportions), else 1.6 m; each sightline "
        "says which it used. 'blocked' gives the "
        "first surface point in the way (east / north / height as above) and its distance from "
        "the eye. The model holds only what was modelled: trees, vehicles or people not in the "
        "model do not block a sightline here."
    ),
    N_(
        "Every picture was rendered by BSU Models from the frozen scene revision named on the "
        "cover. The revision can no longer change. Every file of this package is listed with "
        "its SHA-256 in manifest-sha256.txt; `sha256sum -c manifest-sha256.txt` in the package "
        "folder, or any BagIt validator, shows whether any file differs from what was produced."
    ),
    N_(
        "Entities marked Sensitive (for example a victim's identity or an exhibit not yet made "
        "public) are shown in full to the court but are never shown in public material; this "
        "package contains them and must not be published."
    ),
    N_("Dates and times are Hong Kong time, HKT (UTC+8)."),
)
TIME_ZONE = N_("HKT (UTC+8)")
# README.txt: each file of the payload and what it is, in this order.
README_FILES = (
    (
        "exhibit-book.pdf",
        N_("the exhibit book: cover, model facts, one page per step, method"),
    ),
    ("stills/", N_("the pictures of each step at print resolution (PNG)")),
    ("scene.json", N_("the scene (schema bsu-scene/1)")),
    ("model.glb", N_("the model as shown in the viewer (glTF binary)")),
    (
        "viewer.html",
        N_("open in a web browser: the model and steps, read-only, no network needed"),
    ),
    ("model/", N_("the model file exactly as uploaded (its SHA-256 is in bag-info.txt)")),
    ("stills/*.json", N_("the render settings of each still, to make it again")),
    ("accounts/", N_("further accounts: each one's scene and stills (when there are any)")),
)


def _date_text(moment: datetime, lang: str = DEFAULT_LANGUAGE) -> str:
    """A date in Hong Kong time, e.g. ``25 Nov 2026`` / ``2026年11月25日``."""
    return format_date(moment, lang)


def _moment_text(moment: datetime, lang: str = DEFAULT_LANGUAGE) -> str:
    """A date and time in Hong Kong time that says so, e.g. ``25 Nov 2026 21:03 HKT (UTC+8)``."""
    return f"{format_datetime(moment, lang)} {translator(lang).gettext(TIME_ZONE)}"


def _value_text(value: MeasuredValue, lang: str = DEFAULT_LANGUAGE) -> str:
    """A measured value with its ± in ``lang``; in English exactly ``MeasuredValue.text``."""
    return value.text_in(lang)


def _columns(text: str) -> int:
    """How many terminal columns ``text`` takes (Chinese characters take two)."""
    return sum(2 if is_wide(char) else 1 for char in text)


def _wrap(text: str, indent: str, width: int = 76) -> list[str]:
    """``text`` in lines of at most ``width`` columns, each starting with ``indent``: broken at
    spaces, and between Chinese characters (which take two columns each)."""
    lines: list[str] = []
    line = ""
    for piece in line_pieces(text):
        if line and _columns(indent + line + piece.rstrip()) > width:
            lines.append(indent + line.rstrip())
            line = ""
        line += piece
    if line.strip():
        lines.append(indent + line.rstrip())
    return lines
