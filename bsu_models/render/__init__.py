"""Pictures: off-screen rendering with pyvista (``offscreen``), the overlay canvas, marks and
furniture (legend, scale bar, north arrow, captions), fonts, stills and catalogue thumbnails,
the still service (a version's still with its audit event) and public pictures for posts.

May import: ``bsu_models.core``, ``bsu_models.ingest`` (mesh arrays and geometry) and
``bsu_models.scenes`` (the layer of a step).
"""

from __future__ import annotations

import importlib
from typing import Any

_OFFSCREEN_NAMES = frozenset({"THUMBNAIL_FACE_BUDGET", "reduced_polydata", "png_bytes"})


def __getattr__(name: str) -> Any:
    # ``bsu_models.render`` was the off-screen rendering module before the subpackages.
    if name not in _OFFSCREEN_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.offscreen"), name)
