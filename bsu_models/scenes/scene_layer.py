"""What of a scene is shown at one step, as plain values: markers, paths, measurement lines
and sightlines, all with model-space points ``(x, y, z)``. Built by ``SceneAnalysis.layer``;
drawn by the stills renderer and sent to the browser viewer (``SceneLayer.to_json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bsu_models.core.errors import Message
from bsu_models.core.i18n import DEFAULT_LANGUAGE, localise
from bsu_models.scenes.scene_figures import Figure


@dataclass(frozen=True)
class Marker:
    label: str
    type: str
    colour: str
    point: tuple[float, float, float]
    entity_id: str = ""
    sensitive: bool = False
    #: Repeats the placement of an earlier step (not placed at this one).
    carried: bool = False
    #: The entity at true size (``scene_figures``); None: a plain marker.
    figure: Figure | None = None


@dataclass(frozen=True)
class PathLine:
    colour: str
    points: tuple[tuple[float, float, float], ...]


@dataclass(frozen=True)
class MeasureLine:
    a: tuple[float, float, float]
    b: tuple[float, float, float]
    #: The value and its ± in English.
    text: str
    #: The same as a message, so the line can be labelled in any language (None: ``text`` as is).
    message: Message | None = field(default=None, compare=False)

    def text_in(self, lang: str) -> str:
        """The line's label in ``lang``."""
        return self.text if self.message is None else localise(self.message, lang)


@dataclass(frozen=True)
class SightLine:
    eye: tuple[float, float, float]
    target: tuple[float, float, float]
    visible: bool
    occluder: tuple[float, float, float] | None


@dataclass(frozen=True)
class Frustum:
    """What a matched CCTV camera sees: lines from its centre to the corners of its frame, as
    far out as the points it was matched on."""

    apex: tuple[float, float, float]
    corners: tuple[tuple[float, float, float], ...]  # top-left, top-right, bottom-right, -left
    colour: str
    label: str


@dataclass(frozen=True)
class SceneLayer:
    """What of a scene is drawn at one step."""

    markers: tuple[Marker, ...] = ()
    paths: tuple[PathLine, ...] = ()
    measurements: tuple[MeasureLine, ...] = ()
    sightlines: tuple[SightLine, ...] = ()
    frustums: tuple[Frustum, ...] = ()

    def to_json(self, lang: str = DEFAULT_LANGUAGE) -> dict[str, object]:
        """The layer as plain lists and dicts (for the browser viewer), its words in ``lang``."""
        frustums = {
            "frustums": [
                {
                    "apex": list(f.apex),
                    "corners": [list(c) for c in f.corners],
                    "colour": f.colour,
                    "label": f.label,
                }
                for f in self.frustums
            ]
        }
        return {
            **(frustums if self.frustums else {}),
            "entities": [
                {
                    "id": m.entity_id,
                    "label": m.label,
                    "type": m.type,
                    "colour": m.colour,
                    "point": list(m.point),
                    "sensitive": m.sensitive,
                    "carried": m.carried,
                    **({"figure": m.figure.to_json()} if m.figure is not None else {}),
                }
                for m in self.markers
            ],
            "paths": [
                {"colour": p.colour, "points": [list(q) for q in p.points]} for p in self.paths
            ],
            "measurements": [
                {"a": list(m.a), "b": list(m.b), "text": m.text_in(lang)} for m in self.measurements
            ],
            "sightlines": [
                {
                    "eye": list(s.eye),
                    "target": list(s.target),
                    "visible": s.visible,
                    "occluder": list(s.occluder) if s.occluder else None,
                }
                for s in self.sightlines
            ],
        }
