"""Getting a mesh in: format sniffing, upload unpacking, the sandboxed parser process and its
worker, PLY strips, texture header checks, validated mesh arrays, mesh geometry (snapping, ray
casts, sizes, views on the stored arrays) and the import service (``service.run_import``).

May import: ``bsu_models.core``. The import service draws the thumbnail with the maker it is
handed (the façade passes ``bsu_models.render.stills.render_thumbnail``).
The parser process imports ``parse_worker`` alone, so this ``__init__`` stays light: names of
the old ``bsu_models.ingest`` module load from ``service`` only when asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

_SERVICE_NAMES = frozenset({"Progress", "StoredBlob", "CleanMetadata", "ImportRequest",
"run_import"})


def __getattr__(name: str) -> Any:
    # ``bsu_models.ingest`` was the import service's module before the subpackages.
    if name not in _SERVICE_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.service"), name)
