"""Build the demonstration landmark meshes for BSU Models.

The demo case that the app opens on first start uses four procedurally built
scale models of Hong Kong places, each made of simple boxes, cylinders and
extruded profiles concatenated into one mesh:

* ``street-corner.ply``   Street corner, Mong Kok (binary PLY, vertex colours, 1:100)
* ``footbridge.obj``      Footbridge, Tsim Sha Tsui (OBJ + ``footbridge.mtl`` +
                          ``footbridge.png`` texture atlas, 1:50)
* ``bus-shelter.stl``     Bus shelter, Central (binary STL, 1:25)
* ``car-park.off``        Car park level, Kwun Tong (OFF, 1:200)

and ``demo.json``, which describes the demo case and the models.

Scenes are laid out in real-world metres and written in model millimetres, as
a scanned physical scale model would be: Z up, Y north, centred on the origin
in X and Y, and resting on z = 0 (the base slab included).

The outputs are committed next to this script, so the app never needs to run
it. The build is deterministic; rerun it only to change the demo set::

    python assets/demo/build_demo_meshes.py
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------
# Materials
# --------------------------------------------------------------------------

#: Display colour (RGB) of every material used by the scenes.
COLOURS: dict[str, tuple[int, int, int]] = {
    "asphalt": (62, 64, 68),
    "paving": (178, 172, 162),
    "kerb": (208, 206, 198),
    "marking_white": (236, 236, 230),
    "marking_yellow": (232, 188, 40),
    "concrete": (190, 186, 178),
    "stair": (158, 154, 148),
    "steel": (104, 112, 120),
    "railing": (150, 166, 150),
    "glass": (112, 150, 176),
    "window": (56, 72, 92),
    "shopfront": (96, 80, 70),
    "canopy": (204, 204, 198),
    "roof": (150, 150, 152),
    "aircon": (214, 214, 210),
    "tenement_a": (222, 204, 170),
    "tenement_b": (176, 192, 204),
    "tenement_c": (208, 172, 160),
    "water_tank": (120, 158, 196),
    "sign_red": (212, 40, 40),
    "sign_yellow": (242, 200, 40),
    "sign_blue": (40, 92, 200),
    "sign_green": (40, 160, 82),
    "sign_magenta": (200, 60, 160),
    "trunk": (112, 82, 56),
    "foliage": (72, 130, 62),
    "taxi_red": (200, 30, 36),
    "bus_cream": (236, 228, 204),
    "minibus_green": (30, 130, 80),
    "car_silver": (186, 190, 196),
    "car_blue": (52, 82, 140),
    "car_white": (232, 232, 232),
    "tyre": (30, 30, 32),
    "lamp": (236, 236, 204),
    "signal": (40, 40, 42),
    "timber": (150, 106, 62),
    "advert": (246, 246, 236),
    "planter": (170, 150, 130),
    # Projected (printed) surfaces; the colour is used where no texture is.
    "plan": (178, 172, 162),
    "deck": (182, 120, 104),
}

SIGN_MATERIALS = ("sign_red", "sign_yellow", "sign_blue", "sign_green", "sign_magenta")


@dataclass(frozen=True)
class Part:
    """One closed piece of a scene, in metres, with its material name."""

    mesh: trimesh.Trimesh
    material: str


Parts = list[Part]


# --------------------------------------------------------------------------
# Primitives (all dimensions in real-world metres)
# --------------------------------------------------------------------------


def box(lo: Sequence[float], hi: Sequence[float], material: str) -> Part:
    """Axis-aligned box between two opposite corners (given in any order)."""
    corners = np.array([lo, hi], dtype=float)
    bounds = np.array([corners.min(axis=0), corners.max(axis=0)])
    return Part(trimesh.creation.box(bounds=bounds), material)


def beam(
    p0: Sequence[float],
    p1: Sequence[float],
    width: float,
    z0: float,
    z1: float,
    material: str,
) -> Part:
    """Box of the given width and height running along the ground from p0 to p1."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    delta = p1 - p0
    length = float(np.hypot(*delta))
    transform = trimesh.transformations.rotation_matrix(math.atan2(delta[1], delta[0]), [0, 0, 1])
    transform[:3, 3] = [*((p0 + p1) / 2), (z0 + z1) / 2]
    mesh = trimesh.creation.box(extents=[length, width, z1 - z0], transform=transform)
    return Part(mesh, material)


def cylinder(
    p0: Sequence[float],
    p1: Sequence[float],
    radius: float,
    material: str,
    sections: int = 24,
) -> Part:
    """Cylinder whose axis runs from point p0 to point p1."""
    mesh = trimesh.creation.cylinder(radius=radius, sections=sections, segment=[p0, p1])
    return Part(mesh, material)


def sphere(centre: Sequence[float], radius: float, material: str, subdivisions: int = 2) -> Part:
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    mesh.apply_translation(centre)
    return Part(mesh, material)


def prism(
    profile: Sequence[Sequence[float]],
    c0: float,
    c1: float,
    material: str,
    plane: str = "xy",
) -> Part:
    """Extrude a simple polygon drawn in ``plane`` from c0 to c1 along the third axis.

    ``plane`` is "xy" (extrude along z), "xz" (extrude along y) or "yz"
    (extrude along x); the profile may be concave.
    """
    outline = _clean_polygon(np.asarray(profile, float))
    n = len(outline)
    caps = triangulate(outline)
    ring = np.arange(n)
    sides = np.concatenate(
        [
            np.column_stack([ring, (ring + 1) % n, n + (ring + 1) % n]),
            np.column_stack([ring, n + (ring + 1) % n, n + ring]),
        ]
    )
    faces = np.concatenate([caps[:, ::-1], caps + n, sides])
    local = np.vstack(
        [np.column_stack([outline, np.full(n, c0)]), np.column_stack([outline, np.full(n, c1)])]
    )
    axes = {"xy": [0, 1, 2], "xz": [0, 2, 1], "yz": [2, 0, 1]}[plane]
    mesh = trimesh.Trimesh(local[:, axes], faces, process=False)
    if mesh.volume < 0:
        mesh.invert()
    return Part(mesh, material)


def _clean_polygon(points: np.ndarray) -> np.ndarray:
    """Drop repeated and collinear vertices and make the polygon counter-clockwise."""
    keep = [p for i, p in enumerate(points) if not np.allclose(p, points[i - 1])]
    points = np.array(keep)
    while True:
        prev, nxt = np.roll(points, 1, axis=0), np.roll(points, -1, axis=0)
        turn = np.abs(_cross(prev, points, nxt))
        if turn.min() > 1e-9:
            break
        points = np.delete(points, int(turn.argmin()), axis=0)
    x, y = points.T
    if np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y) < 0:
        points = points[::-1]
    return points


def _cross(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """z component of (b - a) x (c - b): positive where a-b-c turns left."""
    ab, bc = b - a, c - b
    return ab[..., 0] * bc[..., 1] - ab[..., 1] * bc[..., 0]


def triangulate(polygon: np.ndarray) -> np.ndarray:
    """Ear-clip a simple counter-clockwise polygon into (n - 2) index triples."""
    order = list(range(len(polygon)))
    triangles = []
    while len(order) > 3:
        for k in range(len(order)):
            i, j, m = order[k - 1], order[k], order[(k + 1) % len(order)]
            a, b, c = polygon[i], polygon[j], polygon[m]
            if _cross(a, b, c) <= 1e-12:
                continue  # reflex corner: not an ear
            others = polygon[[p for p in order if p not in (i, j, m)]]
            # points on the ear's edges (within rounding) block it too
            eps = -1e-9
            inside = (
                (_cross(a, b, others) >= eps)
                & (_cross(b, c, others) >= eps)
                & (_cross(c, a, others) >= eps)
            )
            if not inside.any():
                triangles.append((i, j, m))
                del order[k]
                break
        else:
            raise ValueError("polygon is not simple")
    triangles.append(tuple(order))
    return np.array(triangles)


def transformed(
    parts: Iterable[Part], x: float = 0.0, y: float = 0.0, z: float = 0.0, heading: float = 0.0
) -> Parts:
    """Copies of parts turned anticlockwise by ``heading`` degrees, then moved to (x, y, z)."""
    matrix = trimesh.transformations.rotation_matrix(math.radians(heading), [0, 0, 1])
    matrix[:3, 3] = [x, y, z]
    return [Part(part.mesh.copy().apply_transform(matrix), part.material) for part in parts]


def ring_walls(
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    z0: float,
    height: float,
    thickness: float,
    material: str,
) -> Parts:
    """Four walls standing just inside the rectangle (x0, y0)-(x1, y1)."""
    t = thickness
    return [
        box((x0, y0, z0), (x1, y0 + t, z0 + height), material),
        box((x0, y1 - t, z0), (x1, y1, z0 + height), material),
        box((x0, y0 + t, z0), (x0 + t, y1 - t, z0 + height), material),
        box((x1 - t, y0 + t, z0), (x1, y1 - t, z0 + height), material),
    ]


def arc(
    centre: Sequence[float], radius: float, start_deg: float, end_deg: float, segments: int = 10
) -> np.ndarray:
    angles = np.radians(np.linspace(start_deg, end_deg, segments + 1))
    return np.asarray(centre) + radius * np.column_stack([np.cos(angles), np.sin(angles)])


# --------------------------------------------------------------------------
# Street furniture, vehicles and trees (shared by the scenes)
# --------------------------------------------------------------------------


def lamp_post(height: float = 8.0, reach: float = 2.2) -> Parts:
    """Street lamp at the origin whose arm reaches towards +Y."""
    return [
        cylinder((0, 0, 0), (0, 0, 0.8), 0.16, "steel"),
        cylinder((0, 0, 0.8), (0, 0, height), 0.09, "steel"),
        cylinder((0, 0, height - 0.1), (0, reach, height + 0.25), 0.05, "steel", sections=12),
        box((-0.2, reach - 0.3, height + 0.05), (0.2, reach + 0.5, height + 0.3), "lamp"),
    ]


def traffic_signal() -> Parts:
    """Signal pole at the origin with a three-aspect head facing +Y."""
    return [
        cylinder((0, 0, 0), (0, 0, 3.4), 0.07, "steel", sections=16),
        box((-0.18, -0.12, 2.3), (0.18, 0.14, 3.3), "signal"),
        box((-0.3, -0.05, 2.2), (0.3, 0.0, 3.4), "signal"),
    ]


def railing(
    p0: Sequence[float], p1: Sequence[float], z0: float, height: float = 1.0, spacing: float = 1.25
) -> Parts:
    """Roadside pedestrian railing from p0 to p1 on ground level z0."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    count = max(2, int(np.hypot(*(p1 - p0)) / spacing) + 1)
    parts = [
        beam(p0, p1, 0.05, z0 + height - 0.06, z0 + height, "railing"),
        beam(p0, p1, 0.03, z0 + 0.45, z0 + 0.5, "railing"),
    ]
    for t in np.linspace(0, 1, count):
        x, y = p0 + t * (p1 - p0)
        parts.append(box((x - 0.03, y - 0.03, z0), (x + 0.03, y + 0.03, z0 + height), "railing"))
    return parts


def tree(x: float, y: float, z0: float, height: float = 6.0, crown: float = 2.2) -> Parts:
    return [
        cylinder((x, y, z0), (x, y, z0 + height - crown), 0.18, "trunk", sections=12),
        sphere((x, y, z0 + height - crown * 0.8), crown, "foliage"),
        sphere(
            (x + crown * 0.5, y - crown * 0.3, z0 + height - crown * 1.1),
            crown * 0.7,
            "foliage",
            subdivisions=1,
        ),
    ]


def bench(length: float, z0: float = 0.0) -> Parts:
    """Slatted bench along +X from the origin, seat towards +Y."""
    parts = []
    for x in np.linspace(0.1, length - 0.1, max(2, round(length / 1.2) + 1)):
        parts.append(box((x - 0.03, 0.0, z0), (x + 0.03, 0.42, z0 + 0.42), "steel"))
    for y in (0.06, 0.2, 0.34):
        parts.append(
            cylinder((0, y, z0 + 0.44), (length, y, z0 + 0.44), 0.03, "timber", sections=10)
        )
    return parts


def bus_shelter(length: float = 6.0, depth: float = 1.8, height: float = 2.7) -> Parts:
    """Cantilevered bus shelter: open to the road at y = 0, back panel at y = depth."""
    back = depth - 0.1
    post_xs = np.linspace(0.1, length - 0.1, 3)
    parts = []
    for x in post_xs:
        parts.append(cylinder((x, back, 0), (x, back, height), 0.07, "steel"))
        parts.append(box((x - 0.05, -0.05, height - 0.15), (x + 0.05, back, height), "steel"))
        parts.append(cylinder((x, back, 1.1), (x, 0.4, height - 0.15), 0.035, "steel", sections=12))
    roof = [
        (-0.25, height + 0.12),
        (depth + 0.05, height + 0.02),
        (depth + 0.05, height - 0.08),
        (-0.25, height),
    ]
    parts.append(prism(roof, -0.15, length + 0.15, "roof", plane="yz"))
    parts.append(
        box((-0.15, -0.3, height - 0.3), (length + 0.15, -0.25, height + 0.12), "sign_red")
    )
    parts.append(
        cylinder(
            (0.2, 0.6, height - 0.12), (length - 0.2, 0.6, height - 0.12), 0.04, "lamp", sections=12
        )
    )
    for x0, x1 in itertools.pairwise(post_xs):
        parts.append(
            box((x0 + 0.07, back - 0.02, 0.25), (x1 - 0.07, back + 0.02, height - 0.35), "glass")
        )
        parts.append(box((x0, back - 0.04, 0.15), (x1, back + 0.04, 0.25), "steel"))
        parts.append(
            box((x0, back - 0.04, height - 0.35), (x1, back + 0.04, height - 0.25), "steel")
        )
    parts.append(box((0.05, back - 1.1, 0.25), (0.09, back - 0.07, height - 0.35), "glass"))
    parts.append(box((length - 1.3, back - 0.3, 0.1), (length - 0.1, back - 0.08, 1.9), "advert"))
    parts.append(
        box(
            (length / 2 - 0.6, back - 0.12, 1.0),
            (length / 2 + 0.6, back - 0.08, 1.9),
            "marking_white",
        )
    )
    parts += transformed(bench(length - 2.0), x=0.4, y=back - 0.55)
    return parts


def bus_stop_flag(height: float = 2.9) -> Parts:
    return [
        cylinder((0, 0, 0), (0, 0, height), 0.045, "steel", sections=16),
        box((0.05, -0.03, height - 0.85), (0.7, 0.03, height - 0.05), "sign_red"),
        box((-0.1, -0.1, height), (0.1, 0.1, height + 0.05), "steel"),
    ]


def litter_bin() -> Parts:
    return [
        cylinder((0, 0, 0), (0, 0, 0.85), 0.24, "steel", sections=32),
        cylinder((0, 0, 0.85), (0, 0, 0.95), 0.27, "sign_green", sections=32),
        sphere((0, 0, 0.95), 0.12, "sign_green", subdivisions=1),
    ]


@dataclass(frozen=True)
class VehicleShape:
    """Side profile (y along the length, z up) extruded across the width."""

    profile: tuple[tuple[float, float], ...]
    windows: tuple[tuple[tuple[float, float], ...], ...]
    width: float
    axles: tuple[float, ...]
    wheel_radius: float


SALOON = VehicleShape(
    profile=(
        (0, 0.3),
        (4.5, 0.3),
        (4.55, 0.75),
        (3.6, 0.95),
        (3.0, 1.45),
        (1.3, 1.45),
        (0.6, 1.0),
        (0, 0.95),
    ),
    windows=(((3.45, 1.0), (2.95, 1.4), (1.35, 1.4), (0.75, 1.02)),),
    width=1.75,
    axles=(0.9, 3.6),
    wheel_radius=0.32,
)
MINIBUS = VehicleShape(
    profile=((0, 0.35), (7.0, 0.35), (7.0, 1.2), (6.6, 2.1), (6.3, 2.7), (0.1, 2.7), (0, 2.5)),
    windows=(((6.45, 1.55), (6.1, 2.45), (0.4, 2.45), (0.4, 1.55)),),
    width=2.1,
    axles=(1.2, 5.5),
    wheel_radius=0.4,
)
DOUBLE_DECKER = VehicleShape(
    profile=((0, 0.3), (12.0, 0.3), (12.0, 4.2), (11.8, 4.4), (0.2, 4.4), (0, 4.2)),
    windows=(
        ((11.95, 1.4), (11.95, 2.2), (0.5, 2.2), (0.5, 1.4)),
        ((11.95, 2.9), (11.95, 3.9), (0.3, 3.9), (0.3, 2.9)),
    ),
    width=2.5,
    axles=(2.4, 3.8, 9.4),
    wheel_radius=0.5,
)


def vehicle(shape: VehicleShape, material: str, roof: str | None = None) -> Parts:
    """Vehicle centred on the origin, facing +Y."""
    half, r = shape.width / 2, shape.wheel_radius
    length = max(y for y, _ in shape.profile)
    parts = [prism(shape.profile, -half, half, material, plane="yz")]
    parts += [
        prism(window, -half - 0.02, half + 0.02, "window", plane="yz") for window in shape.windows
    ]
    if roof:  # a coloured band along the flat part of the roof
        top = max(z for _, z in shape.profile)
        flat = [y for y, z in shape.profile if z == top]
        parts.append(
            box((-half + 0.05, min(flat), top), (half - 0.05, max(flat), top + 0.06), roof)
        )
    for y in shape.axles:
        for s in (-1, 1):
            parts.append(
                cylinder(
                    (s * (half - 0.3), y, r), (s * (half + 0.03), y, r), r, "tyre", sections=16
                )
            )
    return transformed(parts, y=-length / 2)


# --------------------------------------------------------------------------
# Buildings
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Facade:
    """Vertical face of a rectangular block: runs along ``along``, faces ``normal``."""

    origin: np.ndarray
    along: np.ndarray
    normal: np.ndarray
    length: float

    def box(
        self, s0: float, s1: float, out0: float, out1: float, z0: float, z1: float, material: str
    ) -> Part:
        """Box spanning s0..s1 along the facade and out0..out1 in front of it."""
        a = self.origin + self.along * s0 + self.normal * out0
        b = self.origin + self.along * s1 + self.normal * out1
        return box((*a, z0), (*b, z1), material)


def facades(x0: float, y0: float, x1: float, y1: float) -> dict[str, Facade]:
    """The four facades of a block, keyed by the compass direction they face."""

    def facade(origin, along, normal, length):
        return Facade(
            np.array(origin, float), np.array(along, float), np.array(normal, float), length
        )

    return {
        "S": facade((x0, y0), (1, 0), (0, -1), x1 - x0),
        "N": facade((x0, y1), (1, 0), (0, 1), x1 - x0),
        "W": facade((x0, y0), (0, 1), (-1, 0), y1 - y0),
        "E": facade((x1, y0), (0, 1), (1, 0), y1 - y0),
    }


def building(
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    height: float,
    material: str,
    street_sides: str,
    rng: np.random.Generator,
    base: float = 0.0,
) -> Parts:
    """Mong Kok style tenement: shops under a canopy, window bays with air-conditioners,
    signboards projecting over the street on ``street_sides`` (e.g. "WS"), roof plant."""
    shop, storey, bay = 4.5, 3.0, 2.6
    top = base + height
    floors = int((height - shop) // storey)
    parts = [
        box((x0 + 0.5, y0 + 0.5, base), (x1 - 0.5, y1 - 0.5, base + shop), "shopfront"),
        box((x0, y0, base + shop), (x1, y1, top), material),
    ]
    parts += ring_walls(x0, y0, x1, y1, top, 1.0, 0.2, material)
    cx, cy = x0 + (x1 - x0) * 0.3, y0 + (y1 - y0) * 0.6
    parts.append(cylinder((cx, cy, top), (cx, cy, top + 2.2), 1.3, "water_tank", sections=32))
    parts.append(box((x1 - 4.5, y1 - 4.0, top), (x1 - 1.5, y1 - 1.0, top + 3.0), material))
    for floor in range(floors):
        z = base + shop + floor * storey
        parts.append(box((x0 - 0.12, y0 - 0.12, z), (x1 + 0.12, y1 + 0.12, z + 0.22), material))
    for side, face in facades(x0, y0, x1, y1).items():
        bays = int(face.length // bay)
        margin = (face.length - bays * bay) / 2
        for floor in range(floors):
            z = base + shop + floor * storey
            for k in range(bays):
                s = margin + (k + 0.5) * bay
                parts.append(face.box(s - 0.8, s + 0.8, 0, 0.06, z + 0.9, z + 2.4, "window"))
                if rng.random() < 0.35:
                    parts.append(face.box(s - 0.4, s + 0.4, 0, 0.55, z + 0.3, z + 0.85, "aircon"))
        if side not in street_sides:
            continue
        parts.append(
            face.box(0, face.length, 0, 1.8, base + shop - 0.5, base + shop - 0.25, "canopy")
        )
        for s in np.arange(1.5, face.length - 1.0, 3.2):
            reach, tall = rng.uniform(2.5, 6.5), rng.uniform(1.5, 4.5)
            z = base + rng.uniform(shop + 1.0, min(height - tall, shop + 6 * storey))
            sign = SIGN_MATERIALS[int(rng.integers(len(SIGN_MATERIALS)))]
            parts.append(face.box(s - 0.15, s + 0.15, 0.4, 0.4 + reach, z, z + tall, sign))
            parts.append(
                face.box(s - 0.04, s + 0.04, 0, 0.4, z + tall - 0.3, z + tall - 0.2, "steel")
            )
    return parts


# --------------------------------------------------------------------------
# Street corner, Mong Kok (1:100)
# --------------------------------------------------------------------------

MK_HALF = 22.0  # site is 44 m square
MK_ROAD_NS, MK_ROAD_EW = 5.0, 7.0  # half-widths of the carriageways
MK_CORNER, MK_KERB, MK_KERB_HEIGHT = 4.0, 0.3, 0.15

#: (heading of the arm from the junction, its half-width, distance to its mouth)
MK_ARMS = (
    (0, MK_ROAD_NS, MK_ROAD_EW),
    (90, MK_ROAD_EW, MK_ROAD_NS),
    (180, MK_ROAD_NS, MK_ROAD_EW),
    (270, MK_ROAD_EW, MK_ROAD_NS),
)


def corner_outline(offset: float) -> np.ndarray:
    """Kerb line of the north-east quadrant, moved ``offset`` into the pavement."""
    hx, hy, r = MK_ROAD_NS, MK_ROAD_EW, MK_CORNER
    rounded = arc((hx + r, hy + r), r - offset, -90, -180)
    return np.vstack([[(MK_HALF, hy + offset)], rounded, [(hx + offset, MK_HALF)]])


def pavement_quadrant(sx: int, sy: int) -> Parts:
    """Raised pavement with a rounded granite kerb filling one quadrant of the site."""
    mirror = np.array([sx, sy])
    kerb = np.vstack([corner_outline(0.0), corner_outline(MK_KERB)[::-1]]) * mirror
    pavement = np.vstack([corner_outline(MK_KERB), [(MK_HALF, MK_HALF)]]) * mirror
    return [
        prism(kerb, 0.0, MK_KERB_HEIGHT, "kerb"),
        prism(pavement, 0.0, MK_KERB_HEIGHT, "paving"),
    ]


def junction_arm(half_width: float, mouth: float, railings: Sequence[int]) -> Parts:
    """Markings and furniture of one road arm, laid out along +Y (across is X)."""
    w, kerb_z, line = half_width, MK_KERB_HEIGHT, (0.0, 0.02)
    cross0 = mouth + MK_CORNER + 0.5
    cross1 = cross0 + 3.0
    parts = [
        beam((x, cross0), (x, cross1), 0.5, *line, "marking_white")
        for x in np.arange(-w + 0.6, w - 0.3, 1.0)
    ]
    parts.append(beam((0.0, cross1 + 1.0), (w, cross1 + 1.0), 0.3, *line, "marking_white"))
    for u in (-0.1, 0.1):
        parts.append(beam((u, cross1 + 1.0), (u, MK_HALF), 0.1, *line, "marking_white"))
    for u in (-w / 2, w / 2):
        for v in np.arange(cross1 + 2.0, MK_HALF - 1.0, 5.0):
            parts.append(beam((u, v), (u, v + 2.5), 0.12, *line, "marking_white"))
    for side in (-1, 1):
        parts += transformed(
            traffic_signal(),
            x=side * (w + 0.6),
            y=cross0 - 0.4 if side > 0 else cross1 + 0.4,
            z=kerb_z,
            heading=0 if side > 0 else 180,
        )
        parts += transformed(
            lamp_post(), x=side * (w + 1.0), y=MK_HALF - 1.5, z=kerb_z, heading=90 * side
        )
    for side in railings:
        u = side * (w + 0.45)
        parts += railing((u, cross1 + 0.6), (u, MK_HALF - 0.4), kerb_z)
    return parts


def clip_to_rect(
    point: np.ndarray, direction: np.ndarray, hx: float, hy: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """Segment of the line through ``point`` along ``direction`` inside |x| <= hx, |y| <= hy."""
    t0, t1 = -np.inf, np.inf
    for p, d, h in zip(point, direction, (hx, hy), strict=True):
        if abs(d) < 1e-12:
            if abs(p) > h:
                return None
            continue
        a, b = sorted(((-h - p) / d, (h - p) / d))
        t0, t1 = max(t0, a), min(t1, b)
    if t1 <= t0:
        return None
    return point + t0 * direction, point + t1 * direction


def yellow_box(hx: float, hy: float, spacing: float = 2.0) -> Parts:
    """Criss-cross yellow box junction marking filling |x| < hx, |y| < hy."""
    line = (0.0, 0.02)
    corners = [(-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy)]
    parts = [
        beam(a, b, 0.2, *line, "marking_yellow")
        for a, b in zip(corners, corners[1:] + corners[:1], strict=True)
    ]
    for direction in (np.array([1.0, 1.0]), np.array([1.0, -1.0])):
        for c in np.arange(-hx - hy + spacing / 2, hx + hy, spacing):
            segment = clip_to_rect(np.array([c, 0.0]), direction, hx, hy)
            if segment is not None and np.hypot(*(segment[1] - segment[0])) > 0.5:
                parts.append(beam(*segment, 0.2, *line, "marking_yellow"))
    return parts


def sitting_out_area(x0: float, y0: float, x1: float, y1: float, z0: float) -> Parts:
    parts = ring_walls(x0, y0, x1, y1, z0, 0.5, 0.3, "planter")
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    for tx, ty in ((x0 + 2.5, y1 - 2.5), (cx + 1.0, cy - 1.5), (x1 - 2.5, y1 - 3.0)):
        parts += tree(tx, ty, z0, height=7.0)
    parts += transformed(bench(3.0), x=x0 + 1.5, y=y0 + 0.8, z=z0)
    parts += transformed(bench(3.0), x=x1 - 4.5, y=y0 + 0.8, z=z0)
    return parts


def street_corner_mong_kok() -> Parts:
    rng = np.random.default_rng(142)
    half, hx, hy, z = MK_HALF, MK_ROAD_NS, MK_ROAD_EW, MK_KERB_HEIGHT
    parts = [box((-half, -half, -0.5), (half, half, 0.0), "asphalt")]
    for sx in (-1, 1):
        for sy in (-1, 1):
            parts += pavement_quadrant(sx, sy)
    parts += yellow_box(hx - 0.5, hy - 0.5)
    for heading, half_width, mouth in MK_ARMS:
        railings = (1,) if heading == 90 else (-1, 1)  # bus stop kerb (south side, west arm)
        parts += transformed(junction_arm(half_width, mouth, railings), heading=heading)
    edge = half - 0.7  # keeps ledges and air-conditioners on the base
    parts += building(9.0, 11.0, edge, edge, 45.0, "tenement_a", "WS", rng, base=z)
    parts += building(-edge, 11.0, -9.0, edge, 30.0, "tenement_b", "ES", rng, base=z)
    parts += building(9.0, -edge, edge, -11.0, 21.0, "tenement_c", "WN", rng, base=z)
    parts += sitting_out_area(-21.5, -21.5, -10.0, -12.0, z)
    parts += transformed(bus_shelter(length=6.0), x=-13.5, y=-8.1, z=z, heading=180)
    parts += transformed(bus_stop_flag(), x=-21.3, y=-7.6, z=z)
    parts += transformed(vehicle(SALOON, "taxi_red"), x=2.5, y=17.0, heading=180)
    parts += transformed(vehicle(SALOON, "taxi_red"), x=-2.5, y=-15.0)
    parts += transformed(
        vehicle(MINIBUS, "bus_cream", roof="minibus_green"), x=-15.0, y=3.5, heading=270
    )
    parts += transformed(vehicle(DOUBLE_DECKER, "bus_cream"), x=16.0, y=-5.2, heading=90)
    return parts


# --------------------------------------------------------------------------
# Footbridge, Tsim Sha Tsui (1:50)
# --------------------------------------------------------------------------

FB_SITE = (-20.0, -15.0, 20.0, 15.0)  # x0, y0, x1, y1 of the ground sheet
FB_ROAD = 7.0  # half-width of the carriageway (runs east-west)
FB_KERB = 0.15
FB_DECK = (-1.75, -12.5, 1.75, 12.5)  # deck rectangle, spanning north-south
FB_SOFFIT, FB_DECK_TOP = 5.4, 6.3
FB_STAIR_WIDTH, FB_RISE, FB_GOING = 2.5, 0.15, 0.3
FB_PARAPET = 1.15


def stair_flight(
    x0: float, direction: int, z_top: float, risers: int, y0: float, y1: float
) -> Part:
    """Flight going down ``risers`` steps from z_top, starting at x0 and running along
    ``direction`` (+1 east, -1 west), between y0 and y1."""
    run = np.arange(risers)
    nosings = np.column_stack([run * FB_GOING, z_top - run * FB_RISE])
    inner = nosings - np.array([0.0, FB_RISE])
    # the top nosing is the edge of the deck or landing above, not part of the flight
    steps = np.column_stack([nosings, inner]).reshape(-1, 2)[1:]
    profile = np.vstack([steps, [(0.0, z_top - 0.5)]])
    profile[:, 0] = x0 + direction * profile[:, 0]
    return prism(profile, y0, y1, "stair", plane="xz")


def sloped_parapet(x0: float, x1: float, z0: float, z1: float, y0: float, y1: float) -> Parts:
    """Parapet following the pitch line from (x0, z0) to (x1, z1), with a handrail."""
    profile = [(x0, z0 - FB_RISE), (x1, z1 - FB_RISE), (x1, z1 + FB_PARAPET), (x0, z0 + FB_PARAPET)]
    y = (y0 + y1) / 2
    return [
        prism(profile, y0, y1, "concrete", plane="xz"),
        cylinder(
            (x0, y, z0 + FB_PARAPET + 0.05),
            (x1, y, z1 + FB_PARAPET + 0.05),
            0.05,
            "steel",
            sections=12,
        ),
    ]


def deck_parapet(p0: Sequence[float], p1: Sequence[float]) -> Parts:
    """Solid parapet with a handrail on the bridge deck, centred on the line p0-p1."""
    z = FB_DECK_TOP + FB_PARAPET
    return [
        beam(p0, p1, 0.25, FB_DECK_TOP, z, "concrete"),
        cylinder((*p0, z + 0.05), (*p1, z + 0.05), 0.05, "steel", sections=12),
    ]


def staircase(x0: float, direction: int, y0: float, y1: float) -> Parts:
    """Two flights with a half landing from deck level down to the pavement."""
    upper = 20
    lower = round((FB_DECK_TOP - FB_KERB) / FB_RISE) - upper
    landing_z = FB_DECK_TOP - upper * FB_RISE
    landing0 = (upper - 1) * FB_GOING
    landing1 = landing0 + 2.0
    bottom = landing1 + (lower - 1) * FB_GOING

    def at(a):
        return x0 + direction * a

    parts = [
        stair_flight(at(0.0), direction, FB_DECK_TOP, upper, y0, y1),
        box((at(landing0), y0, landing_z - 0.5), (at(landing1), y1, landing_z), "stair"),
        stair_flight(at(landing1), direction, landing_z, lower, y0, y1),
    ]
    middle = at((landing0 + landing1) / 2)
    for y in (y0 + 0.4, y1 - 0.4):
        parts.append(cylinder((middle, y, FB_KERB), (middle, y, landing_z - 0.5), 0.25, "concrete"))
    for wall0, wall1 in ((y0 - 0.25, y0), (y1, y1 + 0.25)):
        parts += sloped_parapet(at(0.0), at(landing0), FB_DECK_TOP, landing_z, wall0, wall1)
        parts += sloped_parapet(at(landing0), at(landing1), landing_z, landing_z, wall0, wall1)
        parts += sloped_parapet(
            at(landing1), at(bottom), landing_z, FB_KERB + FB_RISE, wall0, wall1
        )
    return parts


def footbridge_tsim_sha_tsui() -> Parts:
    x0, y0, x1, y1 = FB_SITE
    dx0, dy0, dx1, dy1 = FB_DECK
    k = FB_KERB
    parts = [
        box((x0, y0, -0.4), (x1, y1, 0.0), "plan"),
        box((x0, FB_ROAD, 0.0), (x1, y1, k), "plan"),
        box((x0, y0, 0.0), (x1, -FB_ROAD, k), "plan"),
        box((dx0, dy0, FB_SOFFIT), (dx1, dy1, FB_DECK_TOP), "deck"),
    ]
    for y in (-12.0, -8.5, 8.5, 12.0):
        parts.append(
            box(
                (dx0 - 0.2, y - 0.45, FB_SOFFIT - 0.5), (dx1 + 0.2, y + 0.45, FB_SOFFIT), "concrete"
            )
        )
        for x in (dx0 + 0.6, dx1 - 0.6):
            parts.append(
                box((x - 0.35, y - 0.35, k), (x + 0.35, y + 0.35, FB_SOFFIT - 0.5), "concrete")
            )
    inset = 0.125  # half the parapet thickness
    stair_y = dy1 - FB_STAIR_WIDTH
    parts += deck_parapet(
        (dx1 - inset, dy0), (dx1 - inset, stair_y)
    )  # east, open to the north stair
    parts += deck_parapet(
        (dx0 + inset, -stair_y), (dx0 + inset, dy1)
    )  # west, open to the south stair
    parts += deck_parapet((dx0, dy1 - inset), (dx1, dy1 - inset))
    parts += deck_parapet((dx0, dy0 + inset), (dx1, dy0 + inset))
    parts += staircase(dx1, +1, stair_y, dy1)
    parts += staircase(dx0, -1, dy0, -stair_y)
    for side in (-1, 1):
        kerb_y = side * (FB_ROAD + 0.45)
        parts += railing((x0 + 0.5, kerb_y), (x1 - 0.5, kerb_y), k)
        for x in (-14.0, 8.0):
            parts += transformed(
                lamp_post(), x=side * x, y=side * (FB_ROAD + 0.9), z=k, heading=90 + 90 * side
            )
        parts += tree(side * -9.0, side * 13.0, k, height=6.5, crown=1.8)
    parts += transformed(vehicle(SALOON, "taxi_red"), x=-6.0, y=5.2, heading=270)
    parts += transformed(vehicle(DOUBLE_DECKER, "bus_cream"), x=9.0, y=-5.2, heading=90)
    parts += transformed(vehicle(SALOON, "car_silver"), x=13.0, y=1.7, heading=270)
    return parts


def paint_plan(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Printed ground of the footbridge site: carriageway markings and paving."""
    rgb = np.empty((*x.shape, 3))
    road = np.abs(y) < FB_ROAD
    tile_x, tile_y = np.floor(x), np.floor(y)
    shade = ((tile_x * 7 + tile_y * 13) % 5 - 2) * 4
    grout = (np.minimum(x - tile_x, y - tile_y) < 0.08)[..., None]
    paving = np.array(COLOURS["paving"]) + shade[..., None]
    rgb[:] = np.where(grout, np.array(COLOURS["paving"]) * 0.8, paving)
    rgb[road] = COLOURS["asphalt"]
    ay = np.abs(y)
    white = (ay < 0.3) & (ay > 0.1)
    white |= (np.abs(ay - FB_ROAD / 2) < 0.1) & ((x % 9.0) < 4.0)
    yellow = road & ((np.abs(ay - (FB_ROAD - 0.3)) < 0.08) | (np.abs(ay - (FB_ROAD - 0.55)) < 0.08))
    rgb[white] = COLOURS["marking_white"]
    rgb[yellow] = COLOURS["marking_yellow"]
    return rgb


def paint_deck(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Deck paving: terracotta tiles with a grey border."""
    dx0, _, dx1, _ = FB_DECK
    tile = 0.5
    grout = ((x / tile) % 1 < 0.12) | ((y / tile) % 1 < 0.12)
    rgb = np.empty((*x.shape, 3))
    rgb[:] = COLOURS["deck"]
    rgb[grout] = np.array(COLOURS["deck"]) * 0.75
    border = (x - dx0 < 0.45) | (dx1 - x < 0.45)
    rgb[border] = COLOURS["concrete"]
    return rgb


# --------------------------------------------------------------------------
# Bus shelter, Central (1:25)
# --------------------------------------------------------------------------


def bus_shelter_central() -> Parts:
    half_x, half_y = 5.0, 3.0
    kerb_front, kerb_back, top = -0.8, -0.5, 0.15
    tile, gap = 0.5, 0.012
    parts = [
        box((-half_x, -half_y, -0.3), (half_x, half_y, 0.0), "asphalt"),
        box((-half_x, kerb_front, 0.0), (half_x, kerb_back, top), "kerb"),
        box((-half_x, kerb_back, 0.0), (half_x, half_y, top - 0.02), "concrete"),
    ]
    for x in np.arange(-half_x, half_x, tile):
        for y in np.arange(kerb_back, half_y - 1e-9, tile):
            parts.append(
                box(
                    (x + gap, y + gap, top - 0.02),
                    (x + tile - gap, min(y + tile, half_y) - gap, top),
                    "paving",
                )
            )
    for y in (-1.05, -1.3):
        parts.append(beam((-half_x, y), (half_x, y), 0.1, 0.0, 0.01, "marking_yellow"))
    parts.append(beam((-2.8, -2.2), (4.6, -2.2), 0.15, 0.0, 0.01, "marking_white"))
    parts += transformed(bus_shelter(length=6.0), x=-3.0, y=0.25, z=top)
    parts += transformed(bus_stop_flag(), x=3.9, y=-0.2, z=top)
    parts += transformed(litter_bin(), x=3.9, y=1.4, z=top)
    for xa, xb in ((-half_x + 0.2, -3.4), (4.4, half_x - 0.2)):
        parts += railing((xa, kerb_back + 0.25), (xb, kerb_back + 0.25), top, spacing=0.8)
    parts += ring_walls(
        -half_x + 0.3, 2.25, half_x - 0.3, half_y - 0.05, top, 0.55, 0.12, "planter"
    )
    for x in np.linspace(-4.0, 4.0, 7):
        parts.append(sphere((x, 2.5, top + 0.7), 0.45, "foliage"))
    return parts


# --------------------------------------------------------------------------
# Car park level, Kwun Tong (1:200)
# --------------------------------------------------------------------------

CP_HALF_X, CP_HALF_Y = 32.0, 18.0
CP_BAY_WIDTH, CP_BAY_DEPTH = 2.5, 5.0
CP_CLEAR_HEIGHT = 3.0
CP_PAINT = (0.0, 0.05)  # floor markings, in exaggerated relief so that they show uncoloured


def parking_row(x0: float, bays: int, y_kerb: float, facing: int) -> Parts:
    """Row of bays from x0 eastwards; bays open towards y_kerb and extend ``facing`` (+1/-1)."""
    y_back = y_kerb + facing * CP_BAY_DEPTH
    parts = []
    for k in range(bays + 1):
        x = x0 + k * CP_BAY_WIDTH
        parts.append(beam((x, y_kerb), (x, y_back), 0.15, *CP_PAINT, "marking_white"))
    for k in range(bays):
        x = x0 + (k + 0.5) * CP_BAY_WIDTH
        y = y_back - facing * 0.7
        parts.append(beam((x - 0.7, y), (x + 0.7, y), 0.15, 0.0, 0.12, "marking_yellow"))
    return parts


def arrow(length: float = 4.0, width: float = 1.2) -> Part:
    """Direction arrow painted on the floor, pointing +X from the origin."""
    h, w = width / 2, width / 5
    head = length - width
    outline = [(0, -w), (head, -w), (head, -h), (length, 0), (head, h), (head, w), (0, w)]
    return prism(outline, *CP_PAINT, "marking_white")


def car_park_kwun_tong() -> Parts:
    rng = np.random.default_rng(2026)
    hx, hy, height = CP_HALF_X, CP_HALF_Y, CP_CLEAR_HEIGHT
    parts = [box((-hx, -hy, -0.4), (hx, hy, 0.0), "concrete")]
    parts += ring_walls(-hx, -hy, hx, hy, 0.0, 1.1, 0.25, "concrete")
    # Ramp to the next level along the east end, rising northwards.
    ramp_x0, ramp_x1, ramp_y0, ramp_y1 = 24.0, 30.0, -hy + 4.0, hy - 6.0
    rise = height + 0.4
    toe = ramp_y0 + 0.4 * (ramp_y1 - ramp_y0) / rise
    parts.append(
        prism(
            [(ramp_y0, 0.0), (ramp_y1, rise), (ramp_y1, rise - 0.4), (toe, 0.0)],
            ramp_x0,
            ramp_x1,
            "stair",
            plane="yz",
        )
    )
    side = [(ramp_y0, 0.0), (ramp_y1, rise), (ramp_y1, rise + 1.1), (ramp_y0, 1.1)]
    for x in (ramp_x0 - 0.2, ramp_x1):
        parts.append(prism(side, x, x + 0.2, "concrete", plane="yz"))
    for x in (ramp_x0 + 0.5, ramp_x1 - 0.5):
        parts.append(
            box((x - 0.25, ramp_y1 - 0.6, 0.0), (x + 0.25, ramp_y1 - 0.1, rise - 0.6), "concrete")
        )
    # Stair and lift core in the north-west corner.
    core_x1, core_y0 = -hx + 7.0, hy - 8.0
    parts.append(box((-hx, core_y0, 0.0), (core_x1, hy, height), "concrete"))
    for x in (-hx + 1.5, -hx + 4.5):
        parts.append(box((x, core_y0 - 0.05, 0.0), (x + 1.2, core_y0, 2.2), "steel"))
    # Bays along both long walls and a back-to-back double row in the middle.
    bays_x0, bays = -hx + 8.0, 18
    for x in bays_x0 + np.arange(7) * 3 * CP_BAY_WIDTH:
        for y in (-hy + 0.6, -0.2, hy - 0.6):
            parts.append(box((x - 0.3, y - 0.3, 0.0), (x + 0.3, y + 0.3, height), "concrete"))
    back = hy - 0.3
    rows = (
        (back - CP_BAY_DEPTH, 1),
        (-back + CP_BAY_DEPTH, -1),
        (-0.2 + CP_BAY_DEPTH, -1),
        (-0.2 - CP_BAY_DEPTH, 1),
    )
    for y_kerb, facing in rows:
        parts += parking_row(bays_x0, bays, y_kerb, facing)
        for k in range(bays):
            if rng.random() < 0.45:
                x = bays_x0 + (k + 0.5) * CP_BAY_WIDTH
                y = y_kerb + facing * (CP_BAY_DEPTH / 2 + rng.uniform(-0.15, 0.15))
                colour = ("car_silver", "car_blue", "car_white", "taxi_red")[int(rng.integers(4))]
                heading = (0 if facing > 0 else 180) + rng.uniform(-3, 3)
                parts += transformed(vehicle(SALOON, colour), x=x, y=y, heading=heading)
    # One-way circulation: westbound along the north aisle, eastbound along the south.
    for y, heading in ((hy - 9.0, 180), (-hy + 9.0, 0)):
        for x in (-10.0, 8.0):
            parts += transformed([arrow()], x=x, y=y, heading=heading)
    return parts


# --------------------------------------------------------------------------
# Texture atlas (footbridge)
# --------------------------------------------------------------------------


TEXTURE_SIZE = 256


@dataclass(frozen=True)
class Region:
    """A rectangle of ground (metres) printed onto a rectangle of the texture.

    With ``along_y`` the texture's u axis follows world y (for long north-south
    strips such as the bridge deck)."""

    world: tuple[float, float, float, float]  # x0, y0, x1, y1
    uv: tuple[float, float, float, float]  # u0, v0, u1, v1
    paint: Callable[[np.ndarray, np.ndarray], np.ndarray]
    along_y: bool = False

    def texel_rect(self) -> tuple[float, float, float, float]:
        """UV rectangle through the centres of the region's edge texels, so that
        sampling at the edge of the region never picks up its neighbour."""
        h = 0.5 / TEXTURE_SIZE
        u0, v0, u1, v1 = self.uv
        return u0 + h, v0 + h, u1 - h, v1 - h

    def to_uv(self, xy: np.ndarray) -> np.ndarray:
        x0, y0, x1, y1 = self.world
        u0, v0, u1, v1 = self.texel_rect()
        fx, fy = (xy[:, 0] - x0) / (x1 - x0), (xy[:, 1] - y0) / (y1 - y0)
        fu, fv = (fy, fx) if self.along_y else (fx, fy)
        return np.column_stack([u0 + fu * (u1 - u0), v0 + fv * (v1 - v0)])

    def to_world(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x0, y0, x1, y1 = self.world
        u0, v0, u1, v1 = self.texel_rect()
        fu, fv = (u - u0) / (u1 - u0), (v - v0) / (v1 - v0)
        fx, fy = (fv, fu) if self.along_y else (fu, fv)
        return x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)


class Atlas:
    """Square texture: printed regions for projected materials and a strip of
    solid colour cells (16 across the bottom eighth) for everything else."""

    size, supersample, cells = TEXTURE_SIZE, 4, 16
    palette_height = 0.125

    def __init__(self, regions: dict[str, Region], side_material: str = "kerb"):
        self.regions = regions
        self.side_material = side_material
        self.palette: list[str] = []

    def cell_uv(self, material: str) -> tuple[float, float]:
        if material not in self.palette:
            if len(self.palette) == self.cells:
                raise ValueError("texture palette is full")
            self.palette.append(material)
        k = self.palette.index(material)
        return (k + 0.5) / self.cells, self.palette_height / 2

    def image(self) -> Image.Image:
        """Paint the atlas; call after ``uv_for`` has seen every part (it fills the palette)."""
        n = self.size * self.supersample
        centres = (np.arange(n) + 0.5) / n
        u, v = np.meshgrid(centres, 1.0 - centres)  # image row 0 is v = 1
        rgb = np.zeros((n, n, 3))
        for k, material in enumerate(self.palette):
            cell = (v < self.palette_height) & (np.floor(u * self.cells) == k)
            rgb[cell] = COLOURS[material]
        for region in self.regions.values():
            u0, v0, u1, v1 = region.uv
            inside = (u >= u0) & (u < u1) & (v >= v0) & (v < v1)
            x, y = region.to_world(u[inside], v[inside])
            rgb[inside] = region.paint(x, y)
        full = Image.fromarray(np.clip(np.round(rgb), 0, 255).astype(np.uint8))
        return full.reduce(self.supersample)

    def uv_for(self, part: Part) -> tuple[trimesh.Trimesh, np.ndarray]:
        """The part's mesh (unmerged where projected) and one UV per vertex."""
        region = self.regions.get(part.material)
        if region is None:
            mesh = part.mesh
            return mesh, np.tile(self.cell_uv(part.material), (len(mesh.vertices), 1))
        mesh = part.mesh.copy()
        mesh.unmerge_vertices()  # each vertex now belongs to exactly one face
        up = np.zeros(len(mesh.vertices), dtype=bool)
        up[mesh.faces[mesh.face_normals[:, 2] > 0.5].ravel()] = True
        uv = np.tile(self.cell_uv(self.side_material), (len(mesh.vertices), 1))
        uv[up] = region.to_uv(mesh.vertices[up, :2])
        return mesh, uv


FOOTBRIDGE_ATLAS_REGIONS = {
    "plan": Region(FB_SITE, (0.0, 0.25, 1.0, 1.0), paint_plan),
    "deck": Region(FB_DECK, (0.0, 0.125, 1.0, 0.25), paint_deck, along_y=True),
}


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


def model_vertices(vertices: np.ndarray, scale: int) -> np.ndarray:
    """Metres to model millimetres, centred in X and Y and resting on z = 0."""
    mm = vertices * (1000.0 / scale)
    lo, hi = mm.min(axis=0), mm.max(axis=0)
    mm -= [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]]
    return np.round(mm, 4) + 0.0  # + 0.0 turns -0.0 into 0.0


def merge(meshes: Sequence[trimesh.Trimesh]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
    vertices = np.vstack([m.vertices for m in meshes])
    faces = np.vstack([m.faces + offset for m, offset in zip(meshes, offsets, strict=True)])
    return vertices, faces


def coloured_mesh(parts: Parts, scale: int) -> trimesh.Trimesh:
    vertices, faces = merge([p.mesh for p in parts])
    colours = np.vstack(
        [np.tile([*COLOURS[p.material], 255], (len(p.mesh.vertices), 1)) for p in parts]
    )
    return trimesh.Trimesh(
        model_vertices(vertices, scale),
        faces,
        vertex_colors=colours.astype(np.uint8),
        process=False,
    )


def textured_mesh(parts: Parts, scale: int, atlas: Atlas, name: str) -> trimesh.Trimesh:
    meshes, uvs = zip(
        *[atlas.uv_for(p) for p in parts], strict=True
    )  # fills the palette before painting
    vertices, faces = merge(meshes)
    material = trimesh.visual.material.SimpleMaterial(
        image=atlas.image(),
        name=name,
        diffuse=(255, 255, 255, 255),
        ambient=(255, 255, 255, 255),
        specular=(20, 20, 20, 255),
    )
    visual = trimesh.visual.TextureVisuals(uv=np.round(np.vstack(uvs), 4), material=material)
    return trimesh.Trimesh(model_vertices(vertices, scale), faces, visual=visual, process=False)


def write_coloured(parts: Parts, scale: int, path: Path) -> list[str]:
    """PLY (with vertex colours), STL or OFF, by the file's extension."""
    mesh = coloured_mesh(parts, scale)
    options = {".off": {"digits": 4}, ".ply": {"encoding": "binary"}}.get(path.suffix, {})
    mesh.export(path, **options)
    return [path.name]


def write_textured_obj(parts: Parts, scale: int, path: Path) -> list[str]:
    """OBJ with an MTL and a PNG atlas named after the OBJ."""
    atlas = Atlas(FOOTBRIDGE_ATLAS_REGIONS)
    mesh = textured_mesh(parts, scale, atlas, name=path.stem)
    text, files = trimesh.exchange.obj.export_obj(
        mesh,
        include_normals=False,
        include_color=False,
        return_texture=True,
        mtl_name=f"{path.stem}.mtl",
        digits=4,
        header=f"BSU Models demo mesh ({path.name}), generated by build_demo_meshes.py; units mm",
    )
    path.write_text(text)
    for name, data in files.items():
        (path.parent / name).write_bytes(data)
    return [path.name, f"{path.stem}.mtl", f"{path.stem}.png"]


@dataclass(frozen=True)
class DemoModel:
    name: str
    location: str
    description: str
    tags: tuple[str, ...]
    filename: str
    scale: int
    build: Callable[[], Parts]
    write: Callable[[Parts, int, Path], list[str]] = write_coloured


DEMO_CASE = {
    "reference": "KC-2026-0142",
    "title": "Demonstration case: Mong Kok assault re-enactment",
    "status": "open",
}

DEMO_MODELS = (
    DemoModel(
        name="Street corner, Mong Kok",
        location="Mong Kok, Kowloon",
        description=(
            "Road junction with a yellow box, pedestrian crossings, traffic signals and kerbed "
            "pavements with roadside railings; three tenement blocks of 21 to 45 m with shop "
            "signs projecting over the street, a sitting-out area with trees, street lamps, a bus "
            "stop shelter, taxis and buses."
        ),
        tags=("junction", "street", "pavement", "crossing", "bus stop", "tenement", "signage"),
        filename="street-corner.ply",
        scale=100,
        build=street_corner_mong_kok,
    ),
    DemoModel(
        name="Footbridge, Tsim Sha Tsui",
        location="Tsim Sha Tsui, Kowloon",
        description=(
            "Pedestrian footbridge over a four-lane road on concrete piers, with a two-flight "
            "staircase at each end, parapets and handrails, roadside railings, lamps and traffic. "
            "Road markings and paving are printed as a texture on the ground and the bridge deck."
        ),
        tags=("footbridge", "staircase", "road", "pavement", "pedestrian", "textured"),
        filename="footbridge.obj",
        scale=50,
        build=footbridge_tsim_sha_tsui,
        write=write_textured_obj,
    ),
    DemoModel(
        name="Bus shelter, Central",
        location="Central, Hong Kong Island",
        description=(
            "Detailed cantilevered bus shelter on a tiled pavement: roof with route fascia, glazed "
            "back and end panels, slatted bench, advertising panel, bus stop flag, litter bin, "
            "kerbside railings, a planter, and the kerb and carriageway in front."
        ),
        tags=("bus stop", "shelter", "street furniture", "pavement", "kerb"),
        filename="bus-shelter.stl",
        scale=25,
        build=bus_shelter_central,
    ),
    DemoModel(
        name="Car park level, Kwun Tong",
        location="Kwun Tong, Kowloon",
        description=(
            "One deck of a multi-storey car park: column grid, marked bays with wheel stops, "
            "direction arrows, perimeter parapet, ramp to the level above, stair and lift core, "
            "and parked cars."
        ),
        tags=("car park", "vehicles", "parking", "ramp", "indoor"),
        filename="car-park.off",
        scale=200,
        build=car_park_kwun_tong,
    ),
)


def main(out_dir: Path = HERE) -> dict:
    entries = []
    for model in DEMO_MODELS:
        files = model.write(model.build(), model.scale, out_dir / model.filename)
        entries.append(
            {
                "name": model.name,
                "location": model.location,
                "description": model.description,
                "tags": list(model.tags),
                "files": files,
                "units": "mm",
                "scale": f"1:{model.scale}",
            }
        )
    demo = {"case": DEMO_CASE, "models": entries}
    (out_dir / "demo.json").write_text(json.dumps(demo, indent=2, ensure_ascii=False) + "\n")
    return demo


if __name__ == "__main__":
    for entry in main()["models"]:
        print(f"{entry['scale']:>6}  {', '.join(entry['files'])}  ({entry['name']})")
