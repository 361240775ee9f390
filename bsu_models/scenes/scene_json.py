"""The JSON form of a scene (schema ``bsu-scene/1``): export, validation and import.

``scene_to_json`` writes every field, so ``scene_from_json(scene_to_json(doc)) == doc``.
Import first checks the document against ``schemas/scene-v1.schema.json`` (shape), then builds
the ``SceneDoc`` (meaning: unique ids and labels, known references, time order, plain labels);
both kinds of problem come back as one ``InvalidInput`` sentence naming the place in the file.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from bsu_models.core.errors import InvalidInput, Message
from bsu_models.scenes.scene_camera import match_from_json, match_to_json
from bsu_models.scenes.scene_items import (
    Anchor,
    Entity,
    Measurement,
    Position,
    Provenance,
    SavedView,
    Section,
    Sightline,
    Step,
)
from bsu_models.scenes.scene_model import SCHEMA_ID, SceneDoc


@cache
def scene_schema() -> dict[str, Any]:
    text = resources.files("bsu_models").joinpath("schemas/scene-v1.schema.json").read_text()
    return dict(json.loads(text))


def _anchor_json(anchor: Anchor | None) -> dict[str, Any] | None:
    if anchor is None:
        return None
    return (
        {"entity": anchor.entity}
        if anchor.entity is not None
        else {"point": list(anchor.point or ())}
    )


def _provenance_json(provenance: Provenance) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": provenance.kind, "reference": provenance.reference}
    # Only positions read off a frame have these: older documents keep their exact bytes.
    if provenance.frame_sha256 is not None:
        data["frame_sha256"] = provenance.frame_sha256
        data["pixel"] = list(provenance.pixel or ())
    return data


def _provenance(data: dict[str, Any]) -> Provenance:
    pixel = data.get("pixel")
    return Provenance(
        kind=data["kind"],
        reference=data.get("reference", ""),
        frame_sha256=data.get("frame_sha256"),
        pixel=tuple(pixel) if pixel is not None else None,
    )


def scene_to_json(doc: SceneDoc, header: dict[str, Any] | None = None) -> dict[str, Any]:
    """The scene as a JSON-ready dict; ``header`` adds informative scene fields (id, case...).

    ``date``, ``time_zone`` and ``cameras`` are written only when set, so that a scene without
    them has the very document (and SHA-256) it had before they existed."""
    scene: dict[str, Any] = {**(header or {}), "name": doc.name}
    if doc.date is not None:
        scene["date"] = doc.date
    if doc.time_zone is not None:
        scene["time_zone"] = doc.time_zone
    cameras = {"cameras": [match_to_json(c) for c in doc.cameras]} if doc.cameras else {}
    return {
        "schema": SCHEMA_ID,
        "scene": scene,
        "entities": [
            {
                "id": e.id,
                "label": e.label,
                "type": e.type,
                "colour": e.colour,
                "notes": e.notes,
                "sensitive": e.sensitive,
                # Only when set: documents stored before true sizes existed hash the same.
                **{
                    name: getattr(e, name)
                    for name in ("height_m", "vehicle_kind", "length_m", "width_m", "fov_deg")
                    if getattr(e, name) is not None
                },
            }
            for e in doc.entities
        ],
        "steps": [
            {"id": s.id, "title": s.title, "clock": s.clock, "narrative": s.narrative}
            for s in doc.steps
        ],
        "positions": [
            {
                "entity": p.entity,
                "step": p.step,
                "point": list(p.point),
                "snapped": p.snapped,
                "heading_deg": p.heading_deg,
                "eye_height_m": p.eye_height_m,
                "provenance": _provenance_json(p.provenance),
                # Only when carried: documents stored before carrying existed hash the same.
                **({"carried_from": p.carried_from} if p.carried_from is not None else {}),
            }
            for p in doc.positions
        ],
        "measurements": [
            {
                "id": m.id,
                "kind": m.kind,
                "label": m.label,
                "step": m.step,
                "a": _anchor_json(m.a),
                "b": _anchor_json(m.b),
                "vertex": _anchor_json(m.vertex),
                "entity": m.entity,
                "uncertainty_m": m.uncertainty_m,
            }
            for m in doc.measurements
        ],
        "sightlines": [
            {"id": s.id, "observer": s.observer, "target": _anchor_json(s.target), "step": s.step}
            for s in doc.sightlines
        ],
        "views": [
            {
                "id": v.id,
                "name": v.name,
                "projection": v.projection,
                "position": list(v.position),
                "target": list(v.target),
                "up": list(v.up),
                "fov_deg": v.fov_deg,
                "ortho_scale": v.ortho_scale,
                "visible_entities": list(v.visible_entities)
                if v.visible_entities is not None
                else None,
                "show_labels": v.show_labels,
                "steps": list(v.steps),
                # Only when set, so that the documents (and hashes) of views without one stay
                # as they were.
                **({"section": v.section.json()} if v.section else {}),
            }
            for v in doc.views
        ],
        **cameras,
    }


def _section(data: dict[str, Any] | None) -> Section | None:
    if data is None:
        return None
    return Section(low=tuple(data["low"]), high=tuple(data["high"]))


def _anchor(data: dict[str, Any] | None) -> Anchor | None:
    if data is None:
        return None
    point = data.get("point")
    return Anchor(entity=data.get("entity"), point=tuple(point) if point is not None else None)


def validate_scene_json(data: Any) -> None:
    """Check ``data`` against the JSON Schema; raises ``InvalidInput`` naming the place."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(scene_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where: str | Message = "/".join(str(p) for p in error.absolute_path) or Message(
            "the top level"
        )
        message = error.message if len(error.message) < 160 else error.message[:157] + "..."
        raise InvalidInput("Scene file: at {where}: {problem}.", where=where, problem=message)


def scene_from_json(data: Any) -> SceneDoc:
    """Build a ``SceneDoc`` from its JSON form, checking shape and meaning."""
    if isinstance(data, dict) and data.get("schema") not in (None, SCHEMA_ID):
        raise InvalidInput(
            "Scene file: schema {schema!r} is not supported; expected {expected!r}.",
            schema=data.get("schema"),
            expected=SCHEMA_ID,
        )
    validate_scene_json(data)
    try:
        return SceneDoc(
            name=data["scene"]["name"],
            date=data["scene"].get("date"),
            time_zone=data["scene"].get("time_zone"),
            entities=tuple(Entity(**e) for e in data["entities"]),
            steps=tuple(Step(**s) for s in data["steps"]),
            positions=tuple(
                Position(
                    entity=p["entity"],
                    step=p["step"],
                    point=tuple(p["point"]),
                    snapped=p.get("snapped", True),
                    heading_deg=p.get("heading_deg"),
                    eye_height_m=p.get("eye_height_m"),
                    provenance=_provenance(p.get("provenance", {"kind": "assumption"})),
                    carried_from=p.get("carried_from"),
                )
                for p in data["positions"]
            ),
            measurements=tuple(
                Measurement(
                    id=m["id"],
                    kind=m["kind"],
                    label=m.get("label", ""),
                    step=m.get("step"),
                    a=_anchor(m.get("a")),
                    b=_anchor(m.get("b")),
                    vertex=_anchor(m.get("vertex")),
                    entity=m.get("entity"),
                    uncertainty_m=m.get("uncertainty_m"),
                )
                for m in data.get("measurements", [])
            ),
            sightlines=tuple(
                Sightline(
                    id=s["id"],
                    observer=s["observer"],
                    target=_anchor(s["target"]),  # type: ignore[arg-type]
                    step=s["step"],
                )
                for s in data.get("sightlines", [])
            ),
            views=tuple(
                SavedView(
                    id=v["id"],
                    name=v["name"],
                    projection=v["projection"],
                    position=tuple(v["position"]),
                    target=tuple(v["target"]),
                    up=tuple(v["up"]),
                    fov_deg=v.get("fov_deg"),
                    ortho_scale=v.get("ortho_scale"),
                    visible_entities=tuple(v["visible_entities"])
                    if v.get("visible_entities") is not None
                    else None,
                    show_labels=v.get("show_labels", True),
                    steps=tuple(v.get("steps", ())),
                    section=_section(v.get("section")),
                )
                for v in data.get("views", [])
            ),
            cameras=tuple(match_from_json(c) for c in data.get("cameras", [])),
        )
    except InvalidInput as exc:
        raise InvalidInput("Scene file: {reason}", reason=exc) from None


def scene_from_text(text: str | bytes) -> SceneDoc:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput("Scene file is not valid JSON ({reason}).", reason=str(exc)) from None
    return scene_from_json(data)
