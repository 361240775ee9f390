"""Re-enactment scenes: entities, steps, measurements and sightlines (``scene_items``), the
scene document, its JSON form and schema, revision diffs, the public derivative, analysis on
the model's geometry (snap, measure, sightline) and the shown layer of one step, and the scene
service (``service.SceneService``: revisions, locks, history).

May import: ``bsu_models.core`` and ``bsu_models.ingest`` (mesh geometry).
"""

from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    # ``bsu_models.scenes`` was the scene service's module before the subpackages.
    if name != "SceneService":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.service"), name)
