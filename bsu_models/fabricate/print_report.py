"""The print report: a text file and a PDF beside the print, saying what was printed from what.

Both give the same lines (``report_text``): the original's SHA-256, the scale, the printed size,
volume, tiles and pins, parts, the walls measured and any thickening or decimation, the
software that made the print and the SHA-256 of every file written. The PDF (``report_pdf``,
fpdf2 with the font of the stills and the exhibit book, so Chinese names and the Chinese report
read as typed) adds a picture of the print as assembled, drawn by the stills renderer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bsu_models.core.errors import InvalidSetting
from bsu_models.core.i18n import translator
from bsu_models.core.line_breaks import wrap_text
from bsu_models.core.software import software_versions
from bsu_models.fabricate.model_print import PrintJob
from bsu_models.ingest.meshdata import MeshArrays
from bsu_models.render.fonts import font_path

if TYPE_CHECKING:
    from bsu_models.fabricate.service import PrintResult

#: What shapes a print's bytes: label -> distribution.
PRINT_TOOLS = {
    "manifold3d": "manifold3d",
    "trimesh": "trimesh",
    "embreex": "embreex",
    "fast-simplification": "fast-simplification",
    "NumPy": "numpy",
    "fontTools": "fonttools",
    "fpdf2": "fpdf2",
    "VTK": "vtk",
}
PICTURE_PX = (960, 640)
INK, MUTED = (33, 37, 41), (96, 104, 114)


def _scene_lines(result: PrintResult, _: Callable[[str], str]) -> list[str]:
    """What the markers came from: the scene, its revision with the revision's SHA-256, and
    the step."""
    scene = result.scene
    if scene is None:
        return []
    lines = [
        _("Scene: {name} (scene {scene}), revision {revision}, SHA-256 {sha}").format(
            name=scene.name,
            scene=scene.scene_id,
            revision=scene.revision,
            sha=scene.revision_sha256,
        )
    ]
    if scene.step is None:
        lines.append(_("Markers: none, the scene has no steps"))
    else:
        lines.append(
            _("Markers at step {step}: {title}").format(step=scene.step, title=scene.step_title)
        )
    return lines


def report_text(job: PrintJob, result: PrintResult, version_text: str, when: str, lang: str) -> str:
    _ = translator(lang).gettext
    x, y, z = result.size_mm
    lx, ly, lz = result.landmark_size_mm
    lines = [
        _("Print report"),
        _("Model: {model}").format(model=version_text),
        _("Original SHA-256: {sha}").format(sha=result.source_sha256),
        *_scene_lines(result, _),
        _("Scale: {scale} of the real world").format(scale=result.scale),
        _("Printed size: {x:.1f} x {y:.1f} x {z:.1f} mm (east-west, north-south, height)").format(
            x=x, y=y, z=z
        ),
        _("Model alone: {x:.1f} x {y:.1f} x {z:.1f} mm, on {plinth:.1f} mm of plinth").format(
            x=lx, y=ly, z=lz, plinth=result.plinth_mm
        ),
        _("Volume: {volume:.1f} cm³").format(volume=result.volume_mm3 / 1000),
        _("Tiles: {rows} x {columns}, {pins} alignment pins").format(
            rows=result.tiles[0], columns=result.tiles[1], pins=result.pins
        ),
        *(
            [
                _("{count} seams had no room for a pin: glue them").format(
                    count=job.seams_without_pins
                )
            ]
            if job.seams_without_pins
            else []
        ),
        _("Parts: {parts}").format(parts=", ".join(result.parts)),
        *(
            [
                _("Markers larger than the scale, so that they can be printed: {markers}").format(
                    markers=", ".join(job.enlarged_markers)
                )
            ]
            if job.enlarged_markers
            else []
        ),
        _(
            "Mesh pieces: {closed} closed, {skirted} closed down to the plinth, "
            "{hulled} replaced by their convex hull"
        ).format(**job.pieces),
    ]
    if job.walls is not None and job.walls.thinnest is not None:
        lines.append(
            _(
                "Thinnest wall measured: {thinnest:.2f} mm ({share} of the surface below {wall} mm)"
            ).format(
                thinnest=job.walls.thinnest,
                share=f"{job.walls.thin_share:.2%}",
                wall=f"{job.walls.min_wall:g}",
            )
        )
    if job.thickened is not None and job.walls_before is not None:
        lines.append(
            _(
                "Thin parts thickened to the minimum wall of {wall} mm: {moved} corners moved "
                "outwards along their normals, at most {largest:.2f} mm (before: thinnest "
                "{thinnest:.2f} mm, {share} of the surface below the wall)"
            ).format(
                wall=f"{job.walls_before.min_wall:g}",
                moved=job.thickened.moved,
                largest=job.thickened.largest_mm,
                thinnest=job.walls_before.thinnest or 0.0,
                share=f"{job.walls_before.thin_share:.2%}",
            )
        )
    if job.scale_bar_m is not None:
        lines.append(
            _("Base plate: case reference, scale, north arrow and a {metres:g} m scale bar").format(
                metres=job.scale_bar_m
            )
        )
    if job.resolution is not None and job.resolution.decimated:
        lines.append(
            _(
                "Decimated to the printer's resolution: {after} of {before} faces kept (faces "
                "smaller than the {nozzle} mm nozzle cannot be printed)"
            ).format(
                after=job.resolution.faces_after,
                before=job.resolution.faces_before,
                nozzle=f"{job.resolution.nozzle_mm:g}",
            )
        )
    lines.append(
        _("Software: {versions}").format(
            versions=", ".join(f"{k} {v}" for k, v in software_versions(PRINT_TOOLS).items())
        )
    )
    lines.append(_("Files:"))
    lines += [f"  {Path(p).name}  SHA-256 {s}" for p, s in result.files]
    lines.append(_("Made {when} by BSU Models").format(when=when))
    return "\n".join(lines) + "\n"


def _picture(job: PrintJob, source_sha256: str) -> bytes:
    """PNG of the print's parts as they stand, from above the south-east."""
    from bsu_models.render.stills import render_thumbnail

    vertices, faces, offset = [], [], 0
    for part in job.parts:
        vertices.append(part.vertices)
        faces.append(part.faces + offset)
        offset += len(part.vertices)
    mesh = MeshArrays(np.vstack(vertices), np.vstack(faces))
    return render_thumbnail(mesh, PICTURE_PX, source_sha256, "+z", "+y")


def report_pdf(
    job: PrintJob, text: str, source_sha256: str, made: datetime, lang: str, font_file: str = ""
) -> bytes:
    """The report's ``text`` (``report_text``) as an A4 PDF with a picture of the print."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode

    title, *lines = text.rstrip("\n").split("\n")
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(18, 18, 18)
    pdf.c_margin = 0  # lines are broken to the page's width (wrap_text), flush with the picture
    pdf.set_auto_page_break(True, margin=15)
    # To the minute, as the report's own words: the same print made twice in a minute is the
    # same PDF.
    pdf.set_creation_date(made.replace(second=0, microsecond=0))
    pdf.set_title(title)
    pdf.set_subject(lines[0] if lines else title)
    pdf.set_creator("BSU Models")
    # The core Helvetica covers Latin-1; a CJK font costs most of a second to read, so it is
    # read only for text beyond it (a Chinese report, a name typed in Chinese).
    family = "helvetica"
    if font_file or any(ord(char) > 255 for char in text):
        path, index = font_path(font_file)
        try:
            pdf.add_font("report", fname=path, collection_font_number=index)
        except Exception:  # fontTools' many errors for a file that is not a font it can read
            raise InvalidSetting(
                "BSU_FONT_FILE {path!r} is not a font that can be read.", path=path
            ) from None
        family = "report"
    pdf.set_lang("zh-HK" if lang == "zh_HK" else "en-GB")
    pdf.add_page()
    pdf.set_text_color(*INK)
    pdf.set_font(family, size=18)
    # Lines break at spaces and between Chinese characters, never inside a Latin word.
    pdf.multi_cell(0, 9, wrap_text(title, pdf.epw, pdf.get_string_width), new_x="LMARGIN",
                   new_y="NEXT", wrapmode=WrapMode.CHAR, align="L")  # fmt: skip
    pdf.ln(2)
    for number, line in enumerate(lines):
        if number == 1:
            picture = _picture(job, source_sha256)
            width = pdf.epw
            pdf.image(picture, w=width, h=width * PICTURE_PX[1] / PICTURE_PX[0])
            pdf.ln(3)
        indented = line.startswith("  ")
        pdf.set_font(family, size=8 if indented else 10)
        pdf.set_text_color(*(MUTED if indented else INK))
        pdf.set_x(pdf.l_margin + (6 if indented else 0))
        width = pdf.epw - (6 if indented else 0)
        wrapped = wrap_text(line.strip(), width, pdf.get_string_width)
        pdf.multi_cell(0, 5, wrapped, new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR,
                       align="L")  # fmt: skip
        pdf.ln(1)
    return bytes(pdf.output())
