"""The public derivative of a scene: what of it may ever leave for the public.

``public_document(doc, tolerance)`` takes every entity marked ``sensitive`` out of the document
and with it everything derived from it, whether it names the entity (by reference) or only
stands where it stood (by coordinates):

- its entity, positions, path, and the entries naming it in saved views' visible lists;
- every measurement and sightline with an end, a vertex, an observer or a path point at any of
  its positions (at any step: a point where the witness stood at step 2 gives them away at
  step 1 just the same);
- every other entity's position at one of its positions (that marker and path vertex would
  show where it stood), and both ends of any stretch of another entity's path that then still
  passes through one of its positions (a path drawn through the place points at it);
- every saved view whose camera target or position is at one of its positions;
- every measurement and sightline that used a position taken out for any of these reasons.

"At" means within ``tolerance`` model units. Callers that know the model's geometry pass
``public_tolerance(geometry)``: the mesh's median edge length (points closer than one edge of the
surface cannot be told apart on it), at most 1% of the model's diagonal. Without it the
tolerance is ``DEFAULT_RELATIVE_TOLERANCE`` of the diagonal of the box around every point in
the document.

Free text written for the case file goes too: entity notes and step narratives are emptied,
and provenance references (statement numbers, camera time codes) become "withheld" where a
reference is required. The result is again a valid ``SceneDoc``; applying it twice changes
nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from bsu_models.scenes.scene_items import (
    Anchor,
    Measurement,
    Point,
    Provenance,
    SavedView,
    Sightline,
)
from bsu_models.scenes.scene_model import SceneDoc, _entities_of

if TYPE_CHECKING:
    from bsu_models.ingest.geometry import MeshGeometry

#: Without a mesh: the share of the document's own extent within which two points are one place.
DEFAULT_RELATIVE_TOLERANCE = 0.005
#: With a mesh: at most this share of the model's diagonal (coarse CAD faces are exact).
MAX_RELATIVE_TOLERANCE = 0.01


def public_tolerance(geometry: MeshGeometry) -> float:
    """Model units within which a point counts as a sensitive entity's position on this mesh:
    the median edge length, at most 1% of the model's diagonal."""
    return float(min(geometry.resolution, MAX_RELATIVE_TOLERANCE * geometry.diagonal))


def public_document(doc: SceneDoc, tolerance: float | None = None) -> SceneDoc:
    """The scene without its sensitive entities and all that is derived from them (see the
    module's description), with notes, narratives and provenance references withheld."""
    hidden = np.array(
        [p.point for p in doc.positions if doc.entity(p.entity).sensitive], dtype=float
    ).reshape(-1, 3)
    reach = default_tolerance(doc) if tolerance is None else float(tolerance)

    def at_hidden(points: Iterable[Point]) -> bool:
        found = np.array(list(points), dtype=float).reshape(-1, 3)
        if not len(hidden) or not len(found):
            return False
        gaps = np.linalg.norm(found[:, None, :] - hidden[None, :, :], axis=2)
        return bool((gaps <= reach).any())

    public = doc
    for entity in doc.entities:
        if entity.sensitive:
            public = public.without_entity(entity.id)
    # Judged on the stored document, where every reference can still be resolved.
    public = replace(
        public,
        measurements=tuple(
            m for m in public.measurements if not at_hidden(_measurement_points(doc, m))
        ),
        sightlines=tuple(s for s in public.sightlines if not at_hidden(_sightline_points(doc, s))),
        views=tuple(v for v in public.views if not at_hidden(_view_points(v))),
        positions=tuple(p for p in public.positions if not at_hidden([p.point])),
    )
    public = _paths_clear_of(public, hidden, reach)
    # What used a position taken out above cannot be evaluated, or would come out different
    # (a path length over part of the path): it goes too.
    lost = {(p.entity, p.step) for p in doc.positions} - {
        (p.entity, p.step) for p in public.positions
    }
    touched = {entity for entity, _step in lost}

    def intact(step: str | None, entities: Iterable[str | None]) -> bool:
        return not any(
            (e, step) in lost if step is not None else e in touched
            for e in entities
            if e is not None
        )

    public = replace(
        public,
        measurements=tuple(
            m
            for m in public.measurements
            if intact(None if m.kind == "path_length" else m.step, _entities_of(m))
        ),
        sightlines=tuple(
            s for s in public.sightlines if intact(s.step, (s.observer, s.target.entity))
        ),
    )
    # Notes and narratives are free text written for the case file: they may name or locate
    # anyone, sensitive or not, so none of it leaves. Provenance references go too; the kind
    # stays, with "withheld" where a reference is required. Camera matches (the frame's hash,
    # the pairs clicked on it) are investigation material and stay in the case file.
    return replace(
        public,
        cameras=(),
        entities=tuple(replace(e, notes="") for e in public.entities),
        steps=tuple(replace(s, narrative="") for s in public.steps),
        positions=tuple(replace(p, provenance=_withheld(p.provenance)) for p in public.positions),
    )


def default_tolerance(doc: SceneDoc) -> float:
    """``DEFAULT_RELATIVE_TOLERANCE`` of the diagonal of the box around the document's points
    (positions, point anchors, view cameras and targets); 0 for a document without points."""
    points = np.array(
        [p.point for p in doc.positions]
        + [point for m in doc.measurements for point in _anchor_points(doc, m.step, _ends(m))]
        + [s.target.point for s in doc.sightlines if s.target.point is not None]
        + [point for v in doc.views for point in _view_points(v)],
        dtype=float,
    ).reshape(-1, 3)
    if not len(points):
        return 0.0
    return DEFAULT_RELATIVE_TOLERANCE * float(np.linalg.norm(points.max(0) - points.min(0)))


def _paths_clear_of(doc: SceneDoc, hidden: np.ndarray, reach: float) -> SceneDoc:
    """``doc`` without the positions at both ends of each stretch of a path (consecutive
    positions of one entity in step order) that passes within ``reach`` of a hidden point,
    repeated until no path does."""
    while len(hidden):
        dropped: set[tuple[str, str]] = set()
        for entity in doc.entities:
            path = doc.path(entity.id)
            for first, second in pairwise(path):
                if _segment_gap(first.point, second.point, hidden) <= reach:
                    dropped |= {(first.entity, first.step), (second.entity, second.step)}
        if not dropped:
            break
        doc = replace(
            doc, positions=tuple(p for p in doc.positions if (p.entity, p.step) not in dropped)
        )
    return doc


def _segment_gap(a: Point, b: Point, points: np.ndarray) -> float:
    """The least distance from the segment ``a``-``b`` to any of ``points: (n, 3)``."""
    start, span = np.asarray(a, dtype=float), np.subtract(b, a, dtype=float)
    length2 = float(span @ span)
    along = np.zeros(len(points)) if length2 == 0 else (points - start) @ span / length2
    nearest = start + np.clip(along, 0.0, 1.0)[:, None] * span
    return float(np.linalg.norm(points - nearest, axis=1).min())


def _withheld(provenance: Provenance) -> Provenance:
    if not provenance.reference:
        return provenance
    required = provenance.kind in ("witness_statement", "cctv")
    return Provenance(provenance.kind, "withheld" if required else "")


def _ends(m: Measurement) -> list[Anchor]:
    return [a for a in (m.a, m.b, m.vertex) if a is not None]


def _anchor_points(doc: SceneDoc, step: str | None, anchors: Iterable[Anchor]) -> Iterator[Point]:
    """Where the anchors are: a point as given; an entity at ``step``, or at every step it has
    a position when the item belongs to no one step."""
    for anchor in anchors:
        if anchor.point is not None:
            yield anchor.point
        elif anchor.entity is not None:
            for position in doc.positions:
                if position.entity == anchor.entity and step in (None, position.step):
                    yield position.point


def _measurement_points(doc: SceneDoc, m: Measurement) -> Iterator[Point]:
    yield from _anchor_points(doc, m.step, _ends(m))
    if m.entity is not None:
        yield from (p.point for p in doc.path(m.entity))


def _sightline_points(doc: SceneDoc, s: Sightline) -> Iterator[Point]:
    yield from _anchor_points(doc, s.step, [Anchor(entity=s.observer), s.target])


def _view_points(v: SavedView) -> list[Point]:
    return [v.target, v.position]
