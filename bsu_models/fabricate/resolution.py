"""A mesh brought down to what the printer can reproduce before it is made solid.

A nozzle lays lines of plastic ``NOZZLE_MM`` wide: a face smaller than a triangle of that side
at the chosen scale is detail the print cannot show. A scan or a dense model at 1:500 holds
many such faces (a 2 m terrain of a million faces prints 0.25 mm apart), and every later step
(the solid, the wall check, the tiles, the file) costs time in proportion to them. So the mesh
is decimated (``fast-simplification``'s quadric edge collapse, which moves the surface least
where it is curved) to as many faces as nozzle-sized triangles cover its small faces' area,
keeping every face already that large; the open rims stay where they are (terrain edges keep
the model's true extents and the skirt down to the plinth). The print's report says how many
faces were kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bsu_models.ingest.meshdata import merge_positions

NOZZLE_MM = 0.4
#: Decimation that would keep more than this share of a piece's faces costs about as much
#: time as the later steps save on the faces it removes (measured on bench/print.py's 1.3M-face
#: landmark, whose terrain would keep 52 %: 19.8 s with, 17.2 s without).
WORTHWHILE = 0.5
#: Pieces this small cost nothing to keep as they are.
MIN_PIECE_FACES = 32
#: Decimations tried per piece, each to a few more faces, before it is kept as it was.
TRIES = 3
_BATCH = 1 << 17


@dataclass(frozen=True)
class Resolution:
    """How the mesh was brought to the printer's resolution."""

    nozzle_mm: float
    faces_before: int
    faces_after: int

    @property
    def decimated(self) -> bool:
        return self.faces_after < self.faces_before


def _areas(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    # A batch at a time: the corners of a million faces at once would raise the peak memory
    # of the whole print by a tenth.
    areas = np.empty(len(faces))
    for start in range(0, len(faces), _BATCH):
        corners = vertices[faces[start : start + _BATCH]]
        cross = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
        areas[start : start + _BATCH] = np.linalg.norm(cross, axis=1) / 2
    return areas


def _piece_targets(
    areas: np.ndarray, piece_of: np.ndarray, count: int, nozzle_mm: float
) -> np.ndarray:
    cell = np.sqrt(3) / 4 * nozzle_mm**2
    small = areas < cell
    large = np.bincount(piece_of[~small], minlength=count)
    covered = np.bincount(piece_of[small], weights=areas[small], minlength=count)
    return large + np.ceil(covered / cell).astype(np.int64)


def _sound(faces: np.ndarray, vertex_count: int, closed: bool) -> bool:
    """Whether a decimated piece can still be made solid as the original could: no edge
    shared by more than two faces or used twice one way, and a closed piece still closed,
    an open one still rimmed by simple loops (for its skirt)."""
    from bsu_models.fabricate.solid import edge_facts, rim_loops

    edges = edge_facts(faces, vertex_count)
    if edges.bad.any():
        return False
    if closed:
        return not edges.rim.any()
    return rim_loops(edges.directed[edges.rim]) is not None


def _decimated_piece(
    vertices: np.ndarray, faces: np.ndarray, target: int, nozzle_mm: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """One piece decimated to about ``target`` faces (its own corners and faces), or None
    when no try keeps it as sound as it was (``_sound``) and as large: quadric collapse now
    and then folds a few faces onto each other, or a small piece away."""
    import fast_simplification

    from bsu_models.fabricate.solid import edge_facts, rim_loops

    used, local = np.unique(faces, return_inverse=True)
    points, local = vertices[used], local.reshape(-1, 3)
    edges = edge_facts(local, len(points))
    if edges.bad.any():
        return None  # made solid another way (a hull): nothing to keep sound
    closed = not edges.rim.any()
    if not closed and rim_loops(edges.directed[edges.rim]) is None:
        return None
    for tries in range(TRIES):
        new_points, new_faces = fast_simplification.simplify(
            points,
            local,
            target_count=max(int(target * (1 + 0.05 * tries)), 4),
            preserve_border=True,
        )
        new_points = np.asarray(new_points, np.float64)
        new_faces = np.asarray(new_faces, np.int64)
        if len(new_faces) == 0:
            return None
        # The piece keeps its extent, to well within a nozzle: the print stays true to scale.
        moved = np.r_[new_points.min(0) - points.min(0), new_points.max(0) - points.max(0)]
        if np.abs(moved).max() > nozzle_mm / 4:
            return None
        if _sound(new_faces, len(new_points), closed):
            return new_points, new_faces
    return None


def to_printer_resolution(
    vertices: np.ndarray, faces: np.ndarray, nozzle_mm: float = NOZZLE_MM
) -> tuple[np.ndarray, np.ndarray, Resolution]:
    """``vertices (n, 3)`` (print mm) and ``faces (m, 3)`` decimated to ``nozzle_mm``, each
    connected piece on its own (a piece whose shape the decimation would lose stays whole)."""
    from bsu_models.fabricate.solid import connected_pieces

    vertices, faces = merge_positions(np.asarray(vertices, float), np.asarray(faces, np.int64))
    before = len(faces)
    if nozzle_mm <= 0 or not before:
        return vertices, faces, Resolution(nozzle_mm, before, before)
    areas = _areas(vertices, faces)
    if _piece_targets(areas, np.zeros(before, np.int64), 1, nozzle_mm)[0] >= WORTHWHILE * before:
        # Not worth it over the whole mesh: a dense piece among coarse ones saves little.
        return vertices, faces, Resolution(nozzle_mm, before, before)
    count, piece_of = connected_pieces(faces, len(vertices))
    sizes = np.bincount(piece_of, minlength=count)
    targets = _piece_targets(areas, piece_of, count, nozzle_mm)
    chosen = np.flatnonzero((targets < WORTHWHILE * sizes) & (sizes >= MIN_PIECE_FACES))
    if not len(chosen):
        return vertices, faces, Resolution(nozzle_mm, before, before)
    order = np.argsort(piece_of, kind="stable")
    bounds = np.r_[0, np.cumsum(sizes)]
    points, kept, offset = [vertices], [faces[~np.isin(piece_of, chosen)]], len(vertices)
    for piece in chosen.tolist():
        own = faces[order[bounds[piece] : bounds[piece + 1]]]
        done = _decimated_piece(vertices, own, int(targets[piece]), nozzle_mm)
        if done is None:
            kept.append(own)
            continue
        points.append(done[0])
        kept.append(done[1] + offset)
        offset += len(done[0])
    # Only the corners still used: a corner of no face would count as a piece of its own.
    used, result = np.unique(np.vstack(kept), return_inverse=True)
    result = result.reshape(-1, 3)
    return np.vstack(points)[used], result, Resolution(nozzle_mm, before, len(result))
