"""What an exhibit's statement of method states, read from the package being built.

Works on the model version (``VersionInfo``), the frozen scene document, the package's payload
(model files and their SHA-256), the measurements computed for the book, the accounts in the
exhibit and the review; gives the ``MethodStatement`` that ``bsu_models.court.book_method``
draws, its sentences in the package's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.metadata import version as distribution_version

from bsu_models.core.i18n import N_, translator
from bsu_models.core.records import VersionInfo
from bsu_models.core.software import software_fields
from bsu_models.court.bagit_package import sha256_hex
from bsu_models.court.book_method import (
    DATA_KINDS,
    MethodAccount,
    MethodMeasurement,
    MethodStatement,
)
from bsu_models.court.book_review import BookReview
from bsu_models.court.exhibit_words import PROVENANCE_WORDS
from bsu_models.render.still_service import metres_per_unit, sun_caption
from bsu_models.scenes.scene_model import SceneDoc
from bsu_models.scenes.scene_sun import step_sun

SCALE_WORDS = (
    N_("The model file's coordinates are in {units}; the model is at scale {scale}."),
    N_(
        "So 1 model unit is {factor} m in the real world, and the model's extent of {extent} "
        "model units east-west is {metres} m."
    ),
    N_(
        "The units or the scale of the model are not known: positions and distances are given "
        "in model units and never as metres."
    ),
    N_(
        "Up is the model's {up} axis and north its {north} axis; east is north × up. Heights "
        "are measured from the lowest point of the model."
    ),
    N_("Model file {name} (as uploaded)"),
    N_("Scene {scene} revision {revision} ({name})"),
    N_("Model as shown in the viewer (model.glb, derived)"),
    N_("Technical review: {decision} by {reviewer} on {date}; see the technical review page."),
)
SUN_WORDS = (
    N_(
        "The pictures of each step with a clock time are lit by the sun as it stood at the "
        "model's place on Earth (latitude {latitude}°, longitude {longitude}°, WGS84) on the "
        "incident date {date}, clock times read in the zone {zone}; the model's north axis "
        "turns the sun's bearing into the model."
    ),
    N_(
        "The sun's azimuth (clockwise from true north) and elevation come from NREL's Solar "
        "Position Algorithm (Reda and Andreas, 2008) as implemented in pvlib {pvlib}; the "
        "elevation includes atmospheric refraction for a standard atmosphere of 1013.25 hPa "
        "and 12 °C."
    ),
    N_(
        "The model is lit by a directional sun casting shadows and by even sky light, so that "
        "faces in shadow stay readable; a step before sunrise, after sunset or without a clock "
        "time shows no sunlight, and one before sunrise or after sunset is lit dimly from "
        "beside the camera, casting no shadows, for legibility only, as its caption says. The "
        "video, where there is one, is lit the same way, the sun moving from each step's time "
        "to the next."
    ),
    N_(
        "Only the direction of direct sunlight is modelled: clouds, haze, light reflected from "
        "surfaces and artificial lights are not."
    ),
    N_(
        "The pictures are not lit by the sun ({reason}): they are lit evenly from several "
        "directions and show no time of day and no shadows."
    ),
    N_("the model version has no place on Earth"),
    N_("the scene has no incident date"),
    N_("no step has a clock time"),
)


def _number(value: float) -> str:
    return f"{value:.6g}"


def sun_statement(
    version: VersionInfo, doc: SceneDoc, lang: str
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Whether and how the pictures of ``doc`` are lit by the sun (as ``scene_sun.step_sun``
    lights the stills and the video, by default from the scene's date and each step's time),
    and each lit step's sun as its caption states it."""
    _ = translator(lang).gettext
    suns = [(step, step_sun(version, doc, step)) for step in doc.steps]
    rows = tuple((step.title, sun_caption(sun, doc.time_zone, _)) for step, sun in suns if sun)
    if not rows:
        if version.latitude_deg is None or version.longitude_deg is None:
            reason = _("the model version has no place on Earth")
        elif doc.date is None:
            reason = _("the scene has no incident date")
        else:
            reason = _("no step has a clock time")
        return (
            _(
                "The pictures are not lit by the sun ({reason}): they are lit evenly from "
                "several directions and show no time of day and no shadows."
            ).format(reason=reason),
        ), ()
    lines = (
        _(
            "The pictures of each step with a clock time are lit by the sun as it stood at the "
            "model's place on Earth (latitude {latitude}°, longitude {longitude}°, WGS84) on "
            "the incident date {date}, clock times read in the zone {zone}; the model's north "
            "axis turns the sun's bearing into the model."
        ).format(
            latitude=_number(version.latitude_deg or 0.0),
            longitude=_number(version.longitude_deg or 0.0),
            date=doc.date,
            zone=doc.zone_name,
        ),
        _(
            "The sun's azimuth (clockwise from true north) and elevation come from NREL's Solar "
            "Position Algorithm (Reda and Andreas, 2008) as implemented in pvlib {pvlib}; the "
            "elevation includes atmospheric refraction for a standard atmosphere of 1013.25 hPa "
            "and 12 °C."
        ).format(pvlib=distribution_version("pvlib")),
        _(
            "The model is lit by a directional sun casting shadows and by even sky light, so "
            "that faces in shadow stay readable; a step before sunrise, after sunset or without "
            "a clock time shows no sunlight, and one before sunrise or after sunset is lit "
            "dimly from beside the camera, casting no shadows, for legibility only, as its "
            "caption says. The video, where there is one, is lit the same way, the sun moving "
            "from each step's time to the next."
        ),
        _(
            "Only the direction of direct sunlight is modelled: clouds, haze, light reflected "
            "from surfaces and artificial lights are not."
        ),
    )
    return lines, rows


def method_statement(
    version: VersionInfo,
    doc: SceneDoc,
    payload: Mapping[str, bytes],
    model_files: Sequence[str],
    measured: Sequence[MethodMeasurement],
    accounts: Sequence[MethodAccount],
    review: BookReview | None,
    lang: str,
) -> MethodStatement:
    _ = translator(lang).gettext
    sources = [
        (
            _("Model file {name} (as uploaded)").format(name=f"data/{name}"),
            sha256_hex(payload[name]),
        )
        for name in model_files
    ]
    sources += [
        (
            _("Scene {scene} revision {revision} ({name})").format(
                scene=a.scene_id, revision=a.revision, name=a.name
            ),
            a.sha256,
        )
        for a in accounts
    ]
    if "model.glb" in payload:
        sources.append(
            (
                _("Model as shown in the viewer (model.glb, derived)"),
                sha256_hex(payload["model.glb"]),
            )
        )
    software = tuple(
        (label.removeprefix("Software-"), value) for label, value in software_fields().items()
    )
    factor = metres_per_unit(version)
    lo, hi = version.bounds
    chain = []
    if factor is None:
        chain.append(
            _(
                "The units or the scale of the model are not known: positions and distances "
                "are given in model units and never as metres."
            )
        )
    else:
        chain.append(
            _("The model file's coordinates are in {units}; the model is at scale {scale}.").format(
                units=version.units, scale=version.scale
            )
        )
        extent = hi[0] - lo[0]
        chain.append(
            _(
                "So 1 model unit is {factor} m in the real world, and the model's extent of "
                "{extent} model units east-west is {metres} m."
            ).format(
                factor=_number(factor), extent=_number(extent), metres=_number(extent * factor)
            )
        )
    chain.append(
        _(
            "Up is the model's {up} axis and north its {north} axis; east is north × up. "
            "Heights are measured from the lowest point of the model."
        ).format(up=version.up_axis, north=version.north_axis)
    )
    titles = {s.id: s.title for s in doc.steps}
    assumed = tuple(
        (
            titles.get(p.step, p.step),
            doc.entity(p.entity).label,
            _(PROVENANCE_WORDS["assumption"])
            + (f": {p.provenance.reference}" if p.provenance.reference else ""),
        )
        for p in doc.positions
        if p.provenance.kind not in DATA_KINDS
    )
    data = sum(1 for p in doc.positions if p.provenance.kind in DATA_KINDS)
    review_line = _(
        "No technical review is recorded for this revision (it was frozen before a review "
        "was required)."
    )
    if review is not None:
        review_line = _(
            "Technical review: {decision} by {reviewer} on {date}; see the technical review page."
        ).format(decision=_(review.decision), reviewer=review.reviewer, date=review.reviewed_on)
    sunlight, sun_steps = sun_statement(version, doc, lang)
    return MethodStatement(
        sources=tuple(sources),
        software=software,
        scale_chain=tuple(chain),
        measurements=tuple(measured),
        positions_total=len(doc.positions),
        positions_data=data,
        assumptions=assumed,
        accounts=tuple(accounts),
        review_line=review_line,
        sunlight=sunlight,
        sun_steps=sun_steps,
    )
