"""Rendering stills of a model version, optionally with a scene at a step, for the catalogue.

Gathers what the renderer needs from the catalogue (validated geometry, the texture from the
version's web copy, the scene's positions, measurements and sightlines at the step, the camera
of a saved view or preset) and records the render as an audit event.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from bsu_models.audit import append_event
from bsu_models.db import write_session
from bsu_models.errors import InvalidInput, NotFound
from bsu_models.geometry import PRESETS, as_triple, axis_vector, preset_camera, unpack_geometry
from bsu_models.meshdata import MeshArrays
from bsu_models.overlay import Overlays
from bsu_models.records import VersionInfo
from bsu_models.scene_model import SceneDoc
from bsu_models.stills import Camera, Still, picture_size, render_still

if TYPE_CHECKING:
    from bsu_models.catalogue import Catalogue


def _file_key(version: VersionInfo, role: str) -> str:
    for stored in version.files:
        if stored.role == role:
            return stored.sha256
    raise NotFound(f"Model version {version.version_id} has no stored {role.replace('_', ' ')}.")


def _mesh(catalogue: Catalogue, version: VersionInfo) -> MeshArrays:
    vertices, faces = unpack_geometry(catalogue.blobs.get(_file_key(version, "geometry")))
    if not version.has_texture:
        return MeshArrays(vertices, faces)
    import trimesh

    # The web copy is our own derived file; it carries the texture and its coordinates.
    loaded = trimesh.load(
        io.BytesIO(catalogue.blobs.get(_file_key(version, "web_glb"))),
        file_type="glb",
        process=False,
    )
    parts = list(loaded.geometry.values())  # type: ignore[attr-defined]
    if len(parts) != 1 or getattr(parts[0].visual, "kind", None) != "texture":
        # Several textured parts: pictures show the joined surface with neutral shading.
        return MeshArrays(vertices, faces)
    textured = parts[0]
    image = textured.visual.material.baseColorTexture
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG")
    return MeshArrays(
        np.asarray(textured.vertices),
        np.asarray(textured.faces),
        uv=np.asarray(textured.visual.uv),
        texture_png=buffer.getvalue(),
    )


def render_version_still(
    catalogue: Catalogue,
    version_id: int,
    *,
    scene_id: int | None = None,
    revision: int | None = None,
    step: int | None = None,
    view: str | None = None,
    preset: str | None = None,
    size: str = "1920x1080",
    overlays: Overlays | None = None,
    exhibit: str = "",
    watermark_text: str | None = None,
    watermark_logo: bytes | None = None,
    date_text: str | None = None,
    actor: str | None = None,
) -> Still:
    """A still of a version (with a scene at a step, of ``revision`` or the current one) from a
    saved view or a preset."""
    version = catalogue.get_version(version_id)
    pixels = picture_size(size)
    doc: SceneDoc | None = None
    if scene_id is not None:
        info = catalogue.scenes.info(scene_id)
        if info.version_id != version_id:
            raise InvalidInput(
                f"Scene {scene_id} is on model version {info.version_id}, not {version_id}."
            )
        revision = info.revision if revision is None else revision
        doc = catalogue.scenes.document(scene_id, revision)
    if view is not None:
        if doc is None:
            raise InvalidInput("A saved view belongs to a scene; name the scene too.")
        found = [v for v in doc.views if view in (v.name, v.id)]
        if not found:
            known = ", ".join(v.name for v in doc.views) or "none"
            raise InvalidInput(f"Scene {scene_id} has no view {view!r} (views: {known}).")
        saved = found[0]
        camera = Camera(
            saved.projection,
            saved.position,
            saved.target,
            saved.up,
            saved.fov_deg,
            saved.ortho_scale,
        )
        view_name = saved.name
    else:
        name = preset or "iso"
        if name not in PRESETS:
            raise InvalidInput(f"Preset {name!r} is not one of {', '.join(PRESETS)}.")
        geometry = catalogue.scenes.geometry(version_id)
        camera = Camera(**preset_camera(name, geometry.bounds, version.up_axis, version.north_axis))
        view_name = {"iso": "Isometric", "plan": "Plan"}.get(name, f"{name.capitalize()} elevation")
    layer = None
    step_line = "Model only, no scene"
    if doc is not None:
        current = doc.step_at(step or 1) if doc.steps else None
        if current is not None:
            layer = catalogue.scenes.layer(scene_id, doc, current)  # type: ignore[arg-type]
            number = [s.id for s in doc.steps].index(current.id) + 1
            clock = f", {current.clock}" if current.clock else ""
            step_line = (
                f"Scene: {doc.name} (revision {revision}) · step {number} of "
                f"{len(doc.steps)}: {current.title}{clock}"
            )
        else:
            step_line = f"Scene: {doc.name} (revision {revision}) · no steps yet"
    factor = (
        None
        if version.real_world_extent_m is None
        else (
            version.real_world_extent_m[0] / max(version.bounds[1][0] - version.bounds[0][0], 1e-12)
        )
    )
    date_text = date_text or datetime.now(UTC).strftime("%d %b %Y")
    caption = [
        version.case_reference + (f" · Exhibit {exhibit}" if exhibit else ""),
        step_line,
        f"Made from model version {version.original_sha256[:12]} ({version.model_name}, "
        f"version {version.number}; {version.units}, scale {version.scale}) · {view_name} view, "
        f"{camera.projection}",
        f"Rendered {date_text} by BSU Models",
    ]
    still = render_still(
        _mesh(catalogue, version),
        camera,
        pixels,
        north=as_triple(axis_vector(version.north_axis)),
        metres_per_unit=factor,
        layer=layer,
        overlays=overlays or Overlays(),
        caption=caption,
        watermark_text=watermark_text,
        watermark_logo=watermark_logo,
        font_file=catalogue.settings.font_file,
        png_text={
            "derived-from-sha256": version.original_sha256,
            "scene": f"{scene_id}@r{revision}" if scene_id else "",
            "generator": "bsu-models still",
        },
    )
    with write_session(catalogue.engine) as session:
        append_event(
            session,
            actor=catalogue.actor_name(actor),
            action="render",
            object_type="version",
            object_id=str(version_id),
            object_sha256=version.original_sha256,
            details={
                "scene": scene_id,
                "revision": revision,
                "step": step,
                "view": view_name,
                "size": size,
                "exhibit": exhibit,
            },
        )
    return still
