"""The stills of a court exhibit and the render settings each is stored with.

Every still of a package (``stills/step-01.png``, and those of further accounts) has a JSON file
beside it (``stills/step-01.json``) holding everything, besides the package's own model file and
scene JSON, that the picture was drawn from: the scene file and step, the saved view or preset,
the size, the exhibit number, the date and language of the caption, the label line, and the scene
id, revision and model version number the caption states. ``draw_still`` draws a still from its
settings with the stills renderer (``bsu_models.render.still_service``): the same call makes the
package and re-renders it (``bsu_models.court.exhibit_rerender``), so the two cannot drift apart.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace

from bsu_models.core.context import ServiceContext
from bsu_models.core.errors import InvalidInput
from bsu_models.court.bagit_package import sha256_hex
from bsu_models.render.overlay import Overlays
from bsu_models.render.still_service import ShownAs, render_version_still
from bsu_models.render.stills import Still
from bsu_models.scenes.scene_items import Step
from bsu_models.scenes.scene_model import SceneDoc

STILL_SIZE = "a4"  # A4 landscape at 300 dpi: print resolution for the book and the bundle
SETTINGS_SCHEMA = "bsu-still-settings/1"


@dataclass(frozen=True)
class StillSettings:
    still: str  # the PNG's path in the payload, e.g. "stills/step-01.png"
    scene_file: str  # the scene JSON drawn, in the payload, e.g. "scene.json"
    scene_id: int
    revision: int
    model_version_number: int
    step: int | None  # 1-based; None: the model alone
    view: str | None  # the scene's saved view (its id), or None for ``preset``
    preset: str | None
    size: str
    exhibit: str
    date_text: str
    language: str
    notice: str  # the label line under the caption
    still_sha256: str = ""  # of the PNG as made
    # Entities drawn at true size. Packages made before figures existed lack the key: their
    # stills had plain markers, and are made again that way.
    figures: bool = True

    @property
    def settings_file(self) -> str:
        return settings_name(self.still)

    def to_bytes(self) -> bytes:
        data = {"schema": SETTINGS_SCHEMA, **asdict(self)}
        return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_bytes(cls, name: str, raw: bytes) -> StillSettings:
        """Settings read back from a package; ``InvalidInput`` naming the file when they are
        not what ``to_bytes`` writes."""
        try:
            data = json.loads(raw)
            if data.pop("schema") != SETTINGS_SCHEMA:
                raise ValueError
            wanted = {f.name: f.type for f in fields(cls)}
            data.setdefault("figures", False)
            if set(data) != set(wanted) or not isinstance(data["figures"], bool):
                raise ValueError
            settings = cls(**data)
            if not all(isinstance(getattr(settings, key), str) for key in _TEXT):
                raise ValueError
            if not all(isinstance(getattr(settings, key), int) for key in _NUMBERS):
                raise ValueError
        except (ValueError, TypeError, KeyError, AttributeError):
            raise InvalidInput(
                "{name} is not a still's render settings ({schema}).",
                name=name,
                schema=SETTINGS_SCHEMA,
            ) from None
        return settings


_TEXT = ("still", "scene_file", "size", "exhibit", "date_text", "language", "notice")
_NUMBERS = ("scene_id", "revision", "model_version_number")


def settings_name(still: str) -> str:
    """``stills/step-01.png`` -> ``stills/step-01.json``."""
    return still.rsplit(".", 1)[0] + ".json"


def still_settings(
    doc: SceneDoc,
    step: Step | None,
    number: int | None,
    *,
    still: str,
    scene_file: str,
    scene_id: int,
    revision: int,
    model_version_number: int,
    exhibit: str,
    date_text: str,
    language: str,
    notice: str,
) -> StillSettings:
    """The settings of the still of ``step`` (number ``number``): its saved view, else the
    isometric preset."""
    view = doc.view_for_step(step.id) if step is not None else None
    return StillSettings(
        still=still,
        scene_file=scene_file,
        scene_id=scene_id,
        revision=revision,
        model_version_number=model_version_number,
        step=number,
        view=view.id if view else None,
        preset=None if view else "iso",
        size=STILL_SIZE,
        exhibit=exhibit,
        date_text=date_text,
        language=language,
        notice=notice,
    )


def draw_still(
    ctx: ServiceContext,
    version_id: int,
    settings: StillSettings,
    scene_id: int,
    actor: str,
    revision: int | None = None,
    shown_as: ShownAs | None = None,
) -> Still:
    """The still ``settings`` describe, of scene ``scene_id`` of this catalogue (at
    ``revision``, default: current)."""
    return render_version_still(
        ctx,
        version_id,
        scene_id=scene_id,
        revision=revision,
        step=settings.step,
        view=settings.view,
        preset=settings.preset,
        size=settings.size,
        exhibit=settings.exhibit,
        date_text=settings.date_text,
        actor=actor,
        lang=settings.language,
        notice=settings.notice,
        shown_as=shown_as,
        overlays=Overlays(figures=settings.figures),
    )


def made_still(
    ctx: ServiceContext, version_id: int, settings: StillSettings, actor: str
) -> tuple[bytes, StillSettings]:
    """Draw a package's still; its PNG and the settings with the PNG's SHA-256."""
    png = draw_still(ctx, version_id, settings, settings.scene_id, actor, settings.revision).png
    return png, replace(settings, still_sha256=sha256_hex(png))


def settings_files(made: list[StillSettings]) -> dict[str, bytes]:
    return {s.settings_file: s.to_bytes() for s in made}
