"""What changed between two revisions of a scene, as plain sentences.

Used for the audit trail (before/after of every change) and for comparing an old revision with
the current one. Works on ``SceneDoc`` values only.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from bsu_models.scene_model import SceneDoc


def _by_id(items: tuple[Any, ...]) -> dict[str, Any]:
    return {item.id: item for item in items}


def _fields_changed(before: Any, after: Any) -> list[str]:
    a, b = asdict(before), asdict(after)
    return [k for k in a if a[k] != b[k]]


def scene_changes(before: SceneDoc, after: SceneDoc) -> list[str]:
    """Sentences describing how ``after`` differs from ``before`` (empty when equal)."""
    changes: list[str] = []
    if before.name != after.name:
        changes.append(f"scene renamed from {before.name!r} to {after.name!r}")
    groups = (
        ("entity", "label", before.entities, after.entities),
        ("step", "title", before.steps, after.steps),
        ("measurement", "id", before.measurements, after.measurements),
        ("sightline", "id", before.sightlines, after.sightlines),
        ("view", "name", before.views, after.views),
    )
    for what, name_field, old_items, new_items in groups:
        old, new = _by_id(old_items), _by_id(new_items)
        for item_id in [i for i in old if i not in new]:
            changes.append(f"{what} {getattr(old[item_id], name_field)!r} removed")
        for item_id in [i for i in new if i not in old]:
            changes.append(f"{what} {getattr(new[item_id], name_field)!r} added")
        for item_id in [i for i in new if i in old]:
            fields = _fields_changed(old[item_id], new[item_id])
            if fields:
                changes.append(
                    f"{what} {getattr(new[item_id], name_field)!r} changed: {', '.join(fields)}"
                )
    if [s.id for s in before.steps if s.id in _by_id(after.steps)] != [
        s.id for s in after.steps if s.id in _by_id(before.steps)
    ]:
        changes.append("steps reordered")
    old_pos = {(p.entity, p.step): p for p in before.positions}
    new_pos = {(p.entity, p.step): p for p in after.positions}
    labels = {e.id: e.label for e in (*before.entities, *after.entities)}
    titles = {s.id: s.title for s in (*before.steps, *after.steps)}
    for key in [*old_pos, *(k for k in new_pos if k not in old_pos)]:
        where = f"{labels.get(key[0], key[0])!r} at step {titles.get(key[1], key[1])!r}"
        if key not in new_pos:
            changes.append(f"position of {where} removed")
        elif key not in old_pos:
            changes.append(f"position of {where} placed at {_point(new_pos[key].point)}")
        elif old_pos[key] != new_pos[key]:
            a, b = old_pos[key], new_pos[key]
            if a.point != b.point:
                moved = math.dist(a.point, b.point)
                changes.append(
                    f"position of {where} moved from {_point(a.point)} to "
                    f"{_point(b.point)} ({moved:.4g} model units)"
                )
            other = [f for f in _fields_changed(a, b) if f != "point"]
            if other:
                changes.append(f"position of {where} changed: {', '.join(other)}")
    return changes


def _point(point: tuple[float, float, float]) -> str:
    return "(" + ", ".join(f"{c:.4g}" for c in point) + ")"
