"""A printable physical model of a mesh at 1:N: the landmark made solid, on its base plate,
checked against the printer's minimum wall and bed, cut into tiles where it does not fit.

Everything that can refuse a print (height above the bed, tiles needed but not allowed, walls
too thin and not to be thickened) is decided here, before any file is written by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from bsu_models.core.errors import InvalidInput
from bsu_models.fabricate import base_plate, tiles
from bsu_models.fabricate.markers import MarkerSpec, marker_parts
from bsu_models.fabricate.print_files import Part
from bsu_models.fabricate.resolution import NOZZLE_MM, Resolution, to_printer_resolution
from bsu_models.fabricate.solid import print_frame_matrix, solid_arrays, solidify
from bsu_models.fabricate.thicken import Thickening, thickened_solid
from bsu_models.fabricate.walls import WallCheck, check_walls
from bsu_models.ingest.geometry import as_triple

DEFAULT_BED = (250.0, 210.0, 220.0)
DEFAULT_MIN_WALL = 1.2


@dataclass(frozen=True)
class PrintOptions:
    denominator: float  # the N of 1:N
    base: bool = True
    bed: tuple[float, float, float] = DEFAULT_BED
    min_wall: float = DEFAULT_MIN_WALL
    tiles: bool = True
    #: Thicken parts thinner than ``min_wall`` (``fabricate.thicken``) rather than refuse.
    thicken: bool = False
    #: The nozzle's width (mm): faces smaller than it are decimated away first; 0 keeps all.
    nozzle: float = NOZZLE_MM


@dataclass
class PrintJob:
    """What was made: the parts to write and the facts for the report."""

    parts: list[Part]
    landmark_size: tuple[float, float, float]  # mm, east x north x height above the plinth
    size: tuple[float, float, float]  # mm, the whole print as assembled
    volume: float  # mm³ of the whole, before cutting
    plinth: float  # mm of material under the model's lowest point
    rows: int = 1
    columns: int = 1
    pins: int = 0
    seams_without_pins: int = 0
    walls: WallCheck | None = None
    scale_bar_m: float | None = None
    pieces: dict[str, int] = field(default_factory=dict)  # closed / skirted / hulled
    enlarged_markers: list[str] = field(default_factory=list)  # markers made printable
    thickened: Thickening | None = None  # thin parts thickened to the wall
    walls_before: WallCheck | None = None  # the walls as the model had them, when thickened
    resolution: Resolution | None = None  # faces before and after decimation to the nozzle


def parse_bed(text: str) -> tuple[float, float, float]:
    """``"250x210x220"`` -> (250.0, 210.0, 220.0) mm."""
    values = text.lower().replace("×", "x").split("x")
    try:
        bed = tuple(float(v) for v in values)
    except ValueError:
        bed = ()
    if len(bed) != 3 or not all(20 <= v <= 5000 for v in bed):
        raise InvalidInput(
            "The bed must be three sizes in millimetres between 20 and 5000, like 250x210x220; "
            "got {bed!r}.",
            bed=text,
        )
    return bed


def _size(bounds: Any) -> tuple[float, float, float]:
    lo, hi = np.array(bounds[:3]), np.array(bounds[3:])
    return tuple(float(v) for v in hi - lo)  # type: ignore[return-value]


def make_print(
    vertices: np.ndarray,
    faces: np.ndarray,
    *,
    up_axis: str,
    north_axis: str,
    mm_per_unit: float,
    options: PrintOptions,
    case_reference: str,
    font_file: str = "",
    markers: tuple[MarkerSpec, ...] = (),
) -> PrintJob:
    """The print of the mesh ``vertices (n, 3), faces (m, 3)`` (model units; ``mm_per_unit``
    print millimetres per model unit), with a printed marker for each of ``markers`` (their
    feet in model units)."""
    turn = print_frame_matrix(up_axis, north_axis) * mm_per_unit
    turned = vertices @ turn.T
    low = turned.min(axis=0)
    plain = turned - low
    width, depth, height = (float(v) for v in np.ptp(plain, axis=0))
    bed_x, bed_y, bed_z = options.bed
    scale = f"1:{options.denominator:g}"
    # The plan the print covers: the plate's, or the model's own footprint.
    if options.base:
        plan = base_plate.build_plate(
            (width, depth), case_reference, options.denominator, font_file
        )
        box = plan.box
        plinth = base_plate.THICKNESS
    else:
        plan = None
        box = (0.0, 0.0, width, depth)
        plinth = max(options.min_wall, 1.0)
    needs_tiles = not tiles.fits((box[2] - box[0], box[3] - box[1]), (bed_x, bed_y))
    if needs_tiles and not options.base:
        plinth = base_plate.THICKNESS  # room for the alignment pins
    top = plinth + height
    if top > bed_z:
        raise InvalidInput(
            "At {scale} the print is {height:.0f} mm high, more than the bed's {bed:.0f} mm; "
            "choose a smaller scale.",
            scale=scale,
            height=top,
            bed=bed_z,
        )
    if needs_tiles and not options.tiles:
        raise InvalidInput(
            "At {scale} the print is {width:.0f} x {depth:.0f} mm, larger than the bed's "
            "{bed_x:.0f} x {bed_y:.0f} mm, and tiles are not allowed; choose a smaller scale "
            "or allow tiles.",
            scale=scale,
            width=box[2] - box[0],
            depth=box[3] - box[1],
            bed_x=bed_x,
            bed_y=bed_y,
        )
    lifted = plain + np.array([0.0, 0.0, plinth])
    fine, fine_faces, resolution = to_printer_resolution(lifted, faces, options.nozzle)
    # Undecimated, the mesh comes back with its positions merged: not done twice.
    made = solidify(fine, fine_faces, floor=0.0, merged=not resolution.decimated)
    landmark = made.solid
    if plan is None and not made.skirted:
        # Closed pieces only: nothing stands under the model, so it stands on the bed itself.
        landmark = landmark.translate((0.0, 0.0, -plinth))
        plinth = 0.0
    # The model as it stands on the plate: a thin slab of ground is firm once joined to it.
    ground = None if plan is None else plinth
    walls = check_walls(*solid_arrays(landmark), options.min_wall, ground)
    thickened, before = None, None
    if not walls.ok and options.thicken:
        before = walls
        grown, thickened = thickened_solid(landmark, options.min_wall, ground)
        if grown is not None:
            landmark = grown
            walls = check_walls(*solid_arrays(landmark), options.min_wall, ground)
    if not walls.ok:
        where = walls.where or (0.0, 0.0, 0.0)
        facts = {
            "scale": scale,
            "share": f"{walls.thin_share:.1%}",
            "min_wall": f"{options.min_wall:g}",
            "thinnest": walls.thinnest or 0.0,
            "x": where[0],
            "y": where[1],
            "z": where[2],
        }
        if before is not None:
            # Thickening was asked for and fell short: say so, rather than suggest it again.
            raise InvalidInput(
                "At {scale}, the thin parts could not be thickened to the minimum wall of "
                "{min_wall} mm: {share} of the model's surface is still thinner (before: "
                "{before}), thinnest {thinnest:.2f} mm in the part at {x:.0f} mm east, {y:.0f} mm "
                "north, {z:.0f} mm up from the model's south-west corner; nothing was written. "
                "Choose a larger scale or a smaller --min-wall (0 turns the check off).",
                before=f"{before.thin_share:.1%}",
                **facts,
            )
        raise InvalidInput(
            "At {scale}, {share} of the model's surface is thinner than the minimum wall of "
            "{min_wall} mm (thinnest {thinnest:.2f} mm, at {x:.0f} mm east, {y:.0f} mm north, "
            "{z:.0f} mm up from the model's south-west corner); nothing was written. Choose a "
            "larger scale, thicken thin parts (--thicken), or a smaller --min-wall (0 turns "
            "the check off).",
            **facts,
        )
    whole = landmark if plan is None else landmark + (plan.slab + plan.relief)
    job = PrintJob(
        parts=[],
        landmark_size=(width, depth, height),
        size=_size(whole.bounding_box()),
        volume=float(whole.volume()),
        plinth=plinth,
        walls=walls,
        thickened=thickened,
        walls_before=before,
        resolution=resolution,
        scale_bar_m=plan.scale_bar_m if plan else None,
        pieces={"closed": made.closed, "skirted": made.skirted, "hulled": made.hulled},
    )
    placed = [
        replace(m, foot=as_triple(np.asarray(m.foot) @ turn.T - low + (0.0, 0.0, plinth)))
        for m in markers
    ]
    figures = marker_parts(placed, 1000.0 / options.denominator, options.min_wall, font_file)
    job.enlarged_markers = [f.entity_id for f in figures if f.enlarged]
    marker_list = [Part(f"marker-{f.entity_id}", *solid_arrays(f.solid)) for f in figures]
    if not needs_tiles:
        job.parts = [Part("model" if plan is None else "model-on-base", *solid_arrays(whole))]
        job.parts += marker_list
        return job
    tiling = tiles.cut(whole, box, (bed_x, bed_y))
    job.rows, job.columns = tiling.rows, tiling.columns
    job.pins, job.seams_without_pins = len(tiling.pins), tiling.seams_without_pins
    job.parts = [Part(tile.name, *solid_arrays(tile.solid)) for tile in tiling.tiles]
    job.parts += [
        Part(f"pin-{number}", *solid_arrays(pin)) for number, pin in enumerate(tiling.pins, 1)
    ]
    job.parts += marker_list
    return job
