"""Re-rendering a court exhibit package from its own files, and comparing the pictures.

The package carries the model file exactly as uploaded (``data/model/``), the scene JSON of each
account and, beside each still, its render settings (``bsu_models.court.exhibit_stills``). Here a
throwaway catalogue in a temporary folder imports that model file (its SHA-256 must be the
``BSU-Source-SHA256`` of ``bag-info.txt``) with the units, scale and axes the scene JSON
records, imports each scene JSON, and draws every still again with the same stills renderer
that made it. Each new still is compared with the stored one:

* where the software that made the package (the ``Software-*`` fields of ``bag-info.txt``) is
  the software here, the pixels must be identical;
* otherwise within ``TOLERANCE``: averaged over blocks of 4 × 4 pixels (so that anti-aliasing
  that moves an edge by a pixel averages out), no block may differ by more than
  ``BLOCK_LEVELS`` of 255 in any colour channel (a marker moved, a label or a caption changed
  still differs by far more).

So a package whose ``scene.json`` was edited, with the manifests rewritten so that the bag is
valid again, no longer re-renders to its own stills; the step is named.
"""

from __future__ import annotations

import io
import json
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from bsu_models.core.access import system_principal
from bsu_models.core.audit_head import register_head_file
from bsu_models.core.blobstore import open_blob_store
from bsu_models.core.cases import add_case
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import make_engine
from bsu_models.core.errors import InvalidInput
from bsu_models.core.settings import Settings
from bsu_models.core.software import software_fields
from bsu_models.core.state_ledger import ensure_baseline
from bsu_models.core.versions import get_version
from bsu_models.court.bagit_read import read_bag
from bsu_models.court.bagit_verify import _parse_info
from bsu_models.court.exhibit_stills import StillSettings, draw_still
from bsu_models.ingest.service import ImportRequest, run_import
from bsu_models.ingest.upload import UploadFile
from bsu_models.render.still_service import ShownAs
from bsu_models.render.stills import render_thumbnail
from bsu_models.scenes.service import SceneService

BLOCK = 4
BLOCK_LEVELS = 24
TOLERANCE = (
    f"identical pixels where the software matches; otherwise no {BLOCK} x {BLOCK}-pixel "
    f"block's average may differ by more than {BLOCK_LEVELS} of 255 levels in any channel"
)
ACTOR = "exhibit-verify"


@dataclass(frozen=True)
class StillCheck:
    """One still made again and compared with the stored one."""

    still: str  # e.g. "stills/step-01.png"
    step: int | None
    scene_file: str
    identical: bool
    within_tolerance: bool
    differing_pixels: int
    largest_block_difference: float  # levels of 255, after 4 x 4 averaging


@dataclass(frozen=True)
class RerenderReport:
    package: str
    software_matches: bool
    software_differences: tuple[str, ...]  # "Software-VTK: 9.3.0 in the package, 9.4.1 here"
    checks: tuple[StillCheck, ...]
    tolerance: str = TOLERANCE

    def matches(self, check: StillCheck) -> bool:
        return check.identical or (not self.software_matches and check.within_tolerance)

    @property
    def differing(self) -> tuple[StillCheck, ...]:
        return tuple(c for c in self.checks if not self.matches(c))

    @property
    def ok(self) -> bool:
        return bool(self.checks) and not self.differing


def _pixels(png: bytes, name: str) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(png)) as picture:
            return np.asarray(picture.convert("RGB"), dtype=np.int16)
    except (OSError, UnidentifiedImageError):
        raise InvalidInput("{name} of the package is not a PNG picture.", name=name) from None


def compare_pictures(stored: bytes, made: bytes, settings: StillSettings) -> StillCheck:
    a, b = _pixels(stored, settings.still), _pixels(made, settings.still)
    if a.shape != b.shape:
        return StillCheck(
            settings.still, settings.step, settings.scene_file, False, False, a.size, 255.0
        )
    differing = int(np.any(a != b, axis=2).sum())
    h, w = (a.shape[0] // BLOCK) * BLOCK, (a.shape[1] // BLOCK) * BLOCK
    shape = (h // BLOCK, BLOCK, w // BLOCK, BLOCK, 3)
    blocks = np.abs(
        a[:h, :w].reshape(shape).mean(axis=(1, 3)) - b[:h, :w].reshape(shape).mean(axis=(1, 3))
    )
    largest = float(blocks.max()) if blocks.size else 0.0
    return StillCheck(
        settings.still,
        settings.step,
        settings.scene_file,
        differing == 0,
        largest <= BLOCK_LEVELS,
        differing,
        round(largest, 2),
    )


def _throwaway(folder: Path, base: Settings) -> ServiceContext:
    """A catalogue of its own in ``folder``, acting as the system."""
    settings = replace(
        base,
        data_dir=folder,
        database_url=f"sqlite:///{folder / 'rerender.sqlite3'}",
        actor=ACTOR,
        audit_head="",
        blob_store="",  # its bytes are thrown away with the folder, never sent to the bucket
    )
    folder.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    register_head_file(engine, settings.audit_head_file)
    ensure_baseline(engine)
    return ServiceContext(engine, open_blob_store(settings), settings, system_principal(ACTOR))


def _scene_header(payload: dict[str, bytes], name: str) -> dict:
    if name not in payload:
        raise InvalidInput(
            "The package has no {name}, which its stills' render settings name.", name=name
        )
    try:
        data = json.loads(payload[name])
        header = data["scene"]
        header["model_version"]["units"]
    except (ValueError, KeyError, TypeError):
        raise InvalidInput(
            "{name} of the package is not a scene (bsu-scene/1).", name=name
        ) from None
    return data


def rerender_package(path: Path, base: Settings) -> RerenderReport:
    """Make every still of the package at ``path`` (folder or zip) again from the package's
    own files and compare it with the stored one; ``base`` gives the font and limits."""
    files = read_bag(path)
    info = _parse_info(files.get("bag-info.txt", b""))
    payload = {name[5:]: data for name, data in files.items() if name.startswith("data/")}
    models = sorted(n for n in payload if n.startswith("model/"))
    if not models:
        raise InvalidInput(
            "{path} holds no model file (data/model/): its stills cannot be made again from "
            "the package.",
            path=path,
        )
    settings = [
        StillSettings.from_bytes(name, payload[name])
        for name in sorted(payload)
        if name.startswith("stills/") and name.endswith(".json")
    ]
    settings += [
        StillSettings.from_bytes(name, payload[name])
        for name in sorted(payload)
        if name.startswith("accounts/") and "/stills/" in name and name.endswith(".json")
    ]
    if not settings:
        raise InvalidInput(
            "{path} records no render settings (data/stills/*.json): it was made before "
            "packages could be re-rendered.",
            path=path,
        )
    ours = software_fields()
    differences = tuple(
        f"{label}: {info.get(label, '(none)')} in the package, {value} here"
        for label, value in ours.items()
        if label.startswith("Software-") and info.get(label) != value
    )
    checks = []
    with tempfile.TemporaryDirectory(prefix="bsu-rerender-") as folder:
        ctx = _throwaway(Path(folder), base)
        try:
            version_id = _import_model(ctx, payload, models, info, settings[0].scene_file)
            scenes = SceneService(ctx)
            imported: dict[str, int] = {}
            for still in settings:
                if still.still not in payload:
                    raise InvalidInput(
                        "The package has no {name}, whose render settings it holds.",
                        name=still.still,
                    )
                if still.scene_file not in imported:
                    data = _scene_header(payload, still.scene_file)
                    imported[still.scene_file] = scenes.import_json(data, version_id).scene_id
                shown = ShownAs(still.scene_id, still.revision, still.model_version_number)
                made = draw_still(
                    ctx, version_id, still, imported[still.scene_file], ACTOR, shown_as=shown
                )
                checks.append(compare_pictures(payload[still.still], made.png, still))
        finally:
            ctx.engine.dispose()
    return RerenderReport(str(path), not differences, differences, tuple(checks))


def _import_model(
    ctx: ServiceContext,
    payload: dict[str, bytes],
    models: list[str],
    info: dict[str, str],
    scene_file: str,
) -> int:
    header = _scene_header(payload, scene_file)["scene"]
    model = header["model_version"]
    case = header.get("case") or info.get("BSU-Case") or "PACKAGE"
    add_case(ctx, case, f"Re-rendering exhibit {info.get('BSU-Exhibit', '')}".strip())
    scale = model.get("scale")
    request = ImportRequest(
        case_reference=case,
        name=info.get("BSU-Model-Name") or "Model",
        files=tuple(UploadFile(name.split("/", 1)[1], payload[name]) for name in models),
        units=model.get("units", "unknown"),
        scale=None if scale in (None, "unknown") else str(scale),
        member=info.get("BSU-Source-File") or None,
        up_axis=model.get("up_axis", "+z"),
        north_axis=model.get("north_axis", "+y"),
    )
    version_id = run_import(ctx.engine, ctx.blobs, ctx.settings, request, ACTOR, render_thumbnail)
    found = get_version(ctx, version_id).original_sha256
    expected = info.get("BSU-Source-SHA256", "")
    if found != expected or found != model.get("sha256", found):
        raise InvalidInput(
            "The package's model file has SHA-256 {found}, but its stills were made from "
            "{expected}; they cannot be compared.",
            found=found,
            expected=expected or "(not recorded)",
        )
    return version_id
