"""What changed between two revisions of a scene, as plain sentences.

Used for the audit trail (before/after of every change, in English) and for comparing an old
revision with the current one (as messages, in the user's language). Works on ``SceneDoc``
values only.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from bsu_models.core.errors import Message
from bsu_models.scenes.scene_model import SceneDoc
from bsu_models.scenes.site_frame import SiteFrame


def _by_id(items: tuple[Any, ...]) -> dict[str, Any]:
    return {item.id: item for item in items}


def _fields_changed(before: Any, after: Any) -> list[str]:
    a, b = asdict(before), asdict(after)
    return [k for k in a if a[k] != b[k]]


#: How a change sentence names each kind of item of a scene.
ITEM_NAMES: dict[str, Message] = {
    "entity": Message("entity"),
    "step": Message("step"),
    "measurement": Message("measurement"),
    "sightline": Message("sightline"),
    "view": Message("view"),
}


def scene_changes(
    before: SceneDoc, after: SceneDoc, site: SiteFrame | None = None
) -> list[str]:
    """Sentences describing how ``after`` differs from ``before`` (empty when equal), in
    English: what the revision summary and the audit trail record."""
    return [str(change) for change in scene_change_messages(before, after, site)]


def scene_change_messages(
    before: SceneDoc, after: SceneDoc, site: SiteFrame | None = None
) -> list[Message]:
    """The sentences of :func:`scene_changes` as messages, to show in the user's language
    (``bsu_models.core.i18n.localise``). Labels, titles and field names are shown as they are.
    Points are metres east, north and height on site when ``site`` knows units and scale,
    else model units (in plain decimals, never exponents)."""
    changes: list[Message] = []
    if before.name != after.name:
        changes.append(
            Message("scene renamed from {old!r} to {new!r}", old=before.name, new=after.name)
        )
    if (before.date, before.zone_name) != (after.date, after.zone_name):
        changes.append(
            Message(
                "incident date and zone changed from {old} to {new}",
                old=f"{before.date or '-'} {before.zone_name}",
                new=f"{after.date or '-'} {after.zone_name}",
            )
        )
    groups = (
        ("entity", "label", before.entities, after.entities),
        ("step", "title", before.steps, after.steps),
        ("measurement", "id", before.measurements, after.measurements),
        ("sightline", "id", before.sightlines, after.sightlines),
        ("view", "name", before.views, after.views),
    )
    for kind, name_field, old_items, new_items in groups:
        what = ITEM_NAMES[kind]
        old, new = _by_id(old_items), _by_id(new_items)
        for item_id in [i for i in old if i not in new]:
            name = getattr(old[item_id], name_field)
            changes.append(Message("{what} {name!r} removed", what=what, name=name))
        for item_id in [i for i in new if i not in old]:
            name = getattr(new[item_id], name_field)
            changes.append(Message("{what} {name!r} added", what=what, name=name))
        for item_id in [i for i in new if i in old]:
            fields = _fields_changed(old[item_id], new[item_id])
            if fields:
                changes.append(
                    Message(
                        "{what} {name!r} changed: {fields}",
                        what=what,
                        name=getattr(new[item_id], name_field),
                        fields=", ".join(fields),
                    )
                )
    if [s.id for s in before.steps if s.id in _by_id(after.steps)] != [
        s.id for s in after.steps if s.id in _by_id(before.steps)
    ]:
        changes.append(Message("steps reordered"))
    old_cams = {c.entity: c for c in before.cameras}
    new_cams = {c.entity: c for c in after.cameras}
    for entity in [*old_cams, *(e for e in new_cams if e not in old_cams)]:
        label = {e.id: e.label for e in (*before.entities, *after.entities)}.get(entity, entity)
        if entity not in new_cams:
            changes.append(Message("camera match of {label!r} removed", label=label))
        elif entity not in old_cams or old_cams[entity] != new_cams[entity]:
            changes.append(
                Message(
                    "camera {label!r} matched to frame {frame} ({count} pairs, RMS {rms} px)",
                    label=label,
                    frame=new_cams[entity].frame_sha256[:12],
                    count=len(new_cams[entity].pairs),
                    rms=f"{new_cams[entity].solution.rms_px:.2f}",
                )
            )
    old_pos = {(p.entity, p.step): p for p in before.positions}
    new_pos = {(p.entity, p.step): p for p in after.positions}
    labels = {e.id: e.label for e in (*before.entities, *after.entities)}
    titles = {s.id: s.title for s in (*before.steps, *after.steps)}
    for key in [*old_pos, *(k for k in new_pos if k not in old_pos)]:
        label, step = labels.get(key[0], key[0]), titles.get(key[1], key[1])
        if key not in new_pos:
            changes.append(
                Message("position of {label!r} at step {step!r} removed", label=label, step=step)
            )
        elif key not in old_pos:
            changes.append(
                Message(
                    "position of {label!r} at step {step!r} placed at {point}",
                    label=label,
                    step=step,
                    point=_where(new_pos[key].point, site),
                )
            )
        elif old_pos[key] != new_pos[key]:
            a, b = old_pos[key], new_pos[key]
            if a.point != b.point:
                changes.append(
                    Message(
                        "position of {label!r} at step {step!r} moved from {old} to {new} "
                        "({distance})",
                        label=label,
                        step=step,
                        old=_where(a.point, site),
                        new=_where(b.point, site),
                        distance=_length(math.dist(a.point, b.point), site),
                    )
                )
            other = [f for f in _fields_changed(a, b) if f != "point"]
            if other:
                changes.append(
                    Message(
                        "position of {label!r} at step {step!r} changed: {fields}",
                        label=label,
                        step=step,
                        fields=", ".join(other),
                    )
                )
    return changes


def _number(value: float, decimals: int) -> str:
    """``value`` in plain decimals: ``6.65e-15`` is ``0``, ``1e+05`` is ``100000``."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _point(point: tuple[float, float, float]) -> str:
    return "(" + ", ".join(_number(c, 3) for c in point) + ")"


def _where(point: tuple[float, float, float], site: SiteFrame | None) -> str | Message:
    metres = site.metres(point) if site is not None else None
    if metres is None:
        return _point(point)
    east, north, height = (f"{value:.2f}" for value in metres)
    return Message(
        "({east} m E, {north} m N, {height} m high)", east=east, north=north, height=height
    )


def _length(model_units: float, site: SiteFrame | None) -> Message:
    if site is None or site.metres_per_unit is None:
        return Message("{distance} model units", distance=_number(model_units, 3))
    return Message("{distance} m", distance=f"{model_units * site.metres_per_unit:.2f}")


def scene_change_refs(before: SceneDoc, after: SceneDoc) -> list[str]:
    """What changed, by reference only: ``"<kind> <id> added|removed|changed"`` (a position is
    ``entity-id@step-id``), in a fixed order. For the audit trail, which people who may not read
    the case can read: ids, never labels, titles, names, notes or coordinates."""
    refs = ["scene renamed"] if before.name != after.name else []
    groups: tuple[tuple[str, dict[str, Any], dict[str, Any]], ...] = (
        ("entity", _by_id(before.entities), _by_id(after.entities)),
        ("step", _by_id(before.steps), _by_id(after.steps)),
        ("measurement", _by_id(before.measurements), _by_id(after.measurements)),
        ("sightline", _by_id(before.sightlines), _by_id(after.sightlines)),
        ("view", _by_id(before.views), _by_id(after.views)),
        (
            "position",
            {f"{p.entity}@{p.step}": p for p in before.positions},
            {f"{p.entity}@{p.step}": p for p in after.positions},
        ),
        ("camera", {c.entity: c for c in before.cameras}, {c.entity: c for c in after.cameras}),
    )
    for kind, old, new in groups:
        for item_id in sorted(old.keys() | new.keys()):
            if item_id not in new:
                refs.append(f"{kind} {item_id} removed")
            elif item_id not in old:
                refs.append(f"{kind} {item_id} added")
            elif old[item_id] != new[item_id]:
                refs.append(f"{kind} {item_id} changed")
    if [s.id for s in before.steps if s.id in _by_id(after.steps)] != [
        s.id for s in after.steps if s.id in _by_id(before.steps)
    ]:
        refs.append("steps reordered")
    return refs
