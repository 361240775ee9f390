"""The print's mesh bookkeeping (``fabricate.solid``) against plain reference versions: rim
and orientability flags of edges, connected pieces, corners used, repeated faces, and the
union of pieces of very different sizes."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import trimesh

from bsu_models.fabricate.solid import (
    _clean_faces,
    connected_pieces,
    edge_facts,
    solidify,
    used_corners,
)


def _random_faces(rng: np.random.Generator, corners: int, count: int) -> np.ndarray:
    """Faces with three different corners (``solidify`` leaves the others out first)."""
    faces = rng.integers(0, corners, (count * 2 + 4, 3))
    distinct = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2])
    distinct &= faces[:, 0] != faces[:, 2]
    return faces[distinct][:count]


def _reference_edges(faces: np.ndarray) -> tuple[list[bool], list[bool]]:
    directed = [(int(f[i]), int(f[(i + 1) % 3])) for f in faces for i in range(3)]
    uses = Counter(directed)
    undirected = Counter(tuple(sorted(e)) for e in directed)
    rim = [uses[(b, a)] == 0 for a, b in directed]
    bad = [uses[e] >= 2 or undirected[tuple(sorted(e))] > 2 for e in directed]
    return rim, bad


def _reference_pieces(faces: np.ndarray, corners: int) -> list[int]:
    parent = list(range(corners))

    def root(v: int) -> int:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for a, b, c in faces.tolist():
        for x, y in ((a, b), (b, c)):
            parent[root(x)] = root(y)
    return [root(int(f[0])) for f in faces]


@pytest.mark.parametrize("seed", range(6))
def test_edge_flags_and_pieces_match_a_plain_count(seed):
    rng = np.random.default_rng(seed)
    for _ in range(60):
        corners = int(rng.integers(3, 30))
        faces = _random_faces(rng, corners, int(rng.integers(1, 50)))
        if not len(faces):
            continue
        facts = edge_facts(faces, corners)
        rim, bad = _reference_edges(faces)
        assert facts.rim.tolist() == rim
        assert facts.bad.tolist() == bad
        count, piece_of = connected_pieces(faces, corners)
        expected = _reference_pieces(faces, corners)
        # The same partition of the faces (the numbering may differ).
        assert len(set(zip(piece_of.tolist(), expected, strict=True))) == len(set(expected))
        assert count == len(set(expected)) + corners - len(np.unique(faces))


def test_edge_flags_of_a_closed_and_an_open_mesh():
    box = trimesh.creation.box()
    facts = edge_facts(np.asarray(box.faces), len(box.vertices))
    assert not facts.rim.any() and not facts.bad.any()
    sheet = np.asarray(box.faces)[:-2]  # one side of the box missing
    facts = edge_facts(sheet, len(box.vertices))
    assert facts.rim.sum() == 4 and not facts.bad.any()
    assert len(edge_facts(np.zeros((0, 3), np.int64), 3).rim) == 0


@pytest.mark.parametrize("corners", [5, 50, 5000])
def test_used_corners_are_what_unique_gives(corners):
    # Few faces among many corners are sorted, many are marked: both give the same.
    rng = np.random.default_rng(corners)
    for count in (1, 7, 40):
        faces = _random_faces(rng, corners, count)
        used, local = used_corners(faces, corners)
        expected, inverse = np.unique(faces, return_inverse=True)
        assert used.tolist() == expected.tolist()
        assert local.tolist() == inverse.reshape(-1, 3).tolist()


def test_repeated_and_degenerate_faces_are_left_out_keeping_the_first():
    faces = np.array([[0, 1, 2], [2, 3, 0], [1, 2, 0], [0, 0, 3], [3, 0, 2], [0, 2, 1]])
    assert _clean_faces(faces).tolist() == [[0, 1, 2], [2, 3, 0]]
    assert len(_clean_faces(np.array([[0, 0, 1], [2, 2, 2]]))) == 0
    unique = np.array([[0, 1, 2], [0, 2, 3]])
    assert _clean_faces(unique).tolist() == unique.tolist()


def test_a_large_sheet_and_small_overlapping_boxes_join_into_one_solid():
    # A dense terrain sheet (skirted to the floor) with boxes standing in it, two of which
    # overlap each other: the union is the skirted block plus what stands above it.
    grid = trimesh.creation.box(extents=(100, 100, 10))
    side = 60
    xs, ys = np.meshgrid(np.linspace(0, 100, side), np.linspace(0, 100, side))
    points = np.column_stack([xs.ravel(), ys.ravel(), np.full(side * side, 10.0)])
    cells = np.arange(side * side).reshape(side, side)[:-1, :-1].ravel()
    sheet = np.vstack(
        [
            np.column_stack([cells, cells + 1, cells + side + 1]),
            np.column_stack([cells, cells + side + 1, cells + side]),
        ]
    )
    vertices, faces = [points], [sheet]
    offset = len(points)
    for centre in ((20, 20), (25, 20), (70, 60)):
        box = trimesh.creation.box(extents=(10, 10, 10))
        box.apply_translation((centre[0], centre[1], 12.0))  # 7 to 17: 7 above the ground
        vertices.append(box.vertices)
        faces.append(box.faces + offset)
        offset += len(box.vertices)
    made = solidify(np.vstack(vertices), np.vstack(faces), floor=0.0)
    assert made.skirted == 1 and made.closed == 3 and made.hulled == 0
    above = (15 * 10 + 10 * 10) * 7  # the overlapping pair's footprint, and the third box
    assert made.solid.volume() == pytest.approx(grid.volume + above, rel=1e-6)
    assert made.solid.genus() == 0
