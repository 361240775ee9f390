"""Rendering stills of a model version, optionally with a scene at a step, for the catalogue.

Gathers what the renderer needs from the catalogue (validated geometry, the texture from the
version's web copy, the scene's positions, measurements and sightlines at the step, the camera
of a saved view or preset) and records the render as an audit event. The caption's and the
overlays' fixed words are in the language asked for; names, titles and labels are as written.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from bsu_models.core.audit import record_event
from bsu_models.core.context import ServiceContext
from bsu_models.core.errors import InvalidInput, Message, NotFound
from bsu_models.core.i18n import N_, check_language, format_date, translator
from bsu_models.core.records import VersionInfo, file_role_name
from bsu_models.core.versions import get_version
from bsu_models.ingest.geometry import (
    PRESETS,
    as_triple,
    axis_vector,
    cached_geometry,
    preset_camera,
    unpack_geometry,
)
from bsu_models.ingest.meshdata import MeshArrays
from bsu_models.render.overlay import Overlays
from bsu_models.render.stereo import check_stereo
from bsu_models.render.stills import Camera, Still, picture_size, render_still
from bsu_models.render.sunlight import Sunlight
from bsu_models.scenes.scene_items import SavedView, Step
from bsu_models.scenes.scene_model import SceneDoc
from bsu_models.scenes.scene_sun import step_sun
from bsu_models.scenes.service import SceneService
from bsu_models.scenes.sun import SunPosition, sun_day

#: The caption's name of each preset view (English; translated where drawn).
VIEW_NAMES = {
    "iso": N_("Isometric"),
    "plan": N_("Plan"),
    "north": N_("North elevation"),
    "east": N_("East elevation"),
    "south": N_("South elevation"),
    "west": N_("West elevation"),
}
PROJECTION_NAMES = {"perspective": N_("perspective"), "orthographic": N_("orthographic")}


@dataclass(frozen=True)
class ShownAs:
    """The scene id, revision and model version number a still states (its caption and PNG
    text), when it is drawn again elsewhere: a package re-rendered in a throwaway catalogue
    states what the package recorded, not the numbers that catalogue gave."""

    scene_id: int
    revision: int
    version_number: int


def _file_key(version: VersionInfo, role: str) -> str:
    for stored in version.files:
        if stored.role == role:
            return stored.sha256
    raise NotFound(
        "Model version {version} has no stored {file}.",
        version=version.version_id,
        file=file_role_name(role),
    )


#: The last blobs read here with their SHA-256 checked, with the store they came from: an
#: exhibit draws every still from the same geometry and web copy, and bytes that once hashed to
#: their key are those bytes for good, so each is hashed once, not once per still.
_VERIFIED: list[tuple[object, str, bytes]] = []
_VERIFIED_LOCK = threading.Lock()
_VERIFIED_KEPT = 2  # a version's geometry and its web copy


def _verified(ctx: ServiceContext, key: str) -> bytes:
    """Blob ``key`` of ``ctx``'s store, refused (``IntegrityError``) if it no longer hashes to
    its key."""
    with _VERIFIED_LOCK:
        for store, known, data in _VERIFIED:
            if store is ctx.blobs and known == key:
                return data
    data = ctx.blobs.get_verified(key)
    with _VERIFIED_LOCK:
        _VERIFIED.insert(0, (ctx.blobs, key, data))
        del _VERIFIED[_VERIFIED_KEPT:]
    return data


def version_geometry(ctx: ServiceContext, version: VersionInfo) -> tuple[np.ndarray, np.ndarray]:
    """The version's validated ``vertices (n, 3)`` and ``faces (m, 3)`` as stored at import."""
    key = _file_key(version, "geometry")
    loaded = cached_geometry(key, version.up_axis, version.north_axis)
    if loaded is not None:
        # Read and checked already for the scene's surface (a still's camera is placed on it).
        vertices = loaded.mesh.vertices.view(np.ndarray)
        faces = loaded.mesh.faces.view(np.ndarray)
        vertices.flags.writeable = faces.flags.writeable = False
        return vertices, faces
    return unpack_geometry(_verified(ctx, key))


def version_mesh(ctx: ServiceContext, version: VersionInfo) -> MeshArrays:
    """The arrays pictures are drawn from: the stored geometry, with the texture of the web copy
    when the version has one."""
    vertices, faces = version_geometry(ctx, version)
    if not version.has_texture:
        return MeshArrays(vertices, faces)
    import trimesh

    # The web copy is our own derived file; it carries the texture and its coordinates.
    loaded = trimesh.load(
        io.BytesIO(_verified(ctx, _file_key(version, "web_glb"))),
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
    # Lossless and only read back by the renderer: zlib's fastest level (the default spent
    # seconds on an 8192 px photograph before every textured still).
    image.convert("RGB").save(buffer, format="PNG", compress_level=1)
    return MeshArrays(
        np.asarray(textured.vertices),
        np.asarray(textured.faces),
        uv=np.asarray(textured.visual.uv),
        texture_png=buffer.getvalue(),
    )


def _unknown(value: str, gettext: Callable[[str], str]) -> str:
    """A version's units or scale as shown: "unknown" in the caption's language."""
    return gettext("unknown") if value == "unknown" else value


def metres_per_unit(version: VersionInfo) -> float | None:
    """Metres in the real world per model unit of ``version``; None when units or scale are
    unknown."""
    if version.real_world_extent_m is None:
        return None
    return version.real_world_extent_m[0] / max(version.bounds[1][0] - version.bounds[0][0], 1e-12)


def choose_camera(
    scenes: SceneService,
    version: VersionInfo,
    doc: SceneDoc | None,
    view: str | None,
    preset: str | None,
    scene_id: int | None = None,
) -> tuple[Camera, SavedView | None]:
    """The camera of the saved view ``view`` (by name or id) of the scene ``doc``, else of the
    preset ``preset`` (isometric by default), with the saved view it came from, if any."""
    if view is not None:
        if doc is None:
            raise InvalidInput("A saved view belongs to a scene; name the scene too.")
        found = [v for v in doc.views if view in (v.name, v.id)]
        if not found:
            known: str | Message = ", ".join(v.name for v in doc.views) or Message("none")
            raise InvalidInput(
                "Scene {scene} has no view {view!r} (views: {known}).",
                scene=scene_id,
                view=view,
                known=known,
            )
        saved = found[0]
        camera = Camera(
            saved.projection,
            saved.position,
            saved.target,
            saved.up,
            saved.fov_deg,
            saved.ortho_scale,
            section=saved.section,
        )
        return camera, saved
    name = preset or "iso"
    if name not in PRESETS:
        raise InvalidInput(
            "Preset {preset!r} is not one of {choices}.",
            preset=name,
            choices=", ".join(PRESETS),
        )
    bounds = scenes.geometry(version.version_id).bounds
    return Camera(**preset_camera(name, bounds, version.up_axis, version.north_axis)), None


def sunlight(version: VersionInfo, sun: SunPosition) -> Sunlight:
    """How ``sun`` lights the version's model, in its axes."""
    direction = sun.direction(axis_vector(version.up_axis), axis_vector(version.north_axis))
    return Sunlight(as_triple(direction), sun.up)


def sun_caption(sun: SunPosition, zone: str | None, gettext: Callable[[str], str]) -> str:
    """The caption's line about the sun: its azimuth and elevation, or that it is down."""
    from bsu_models.scenes.sun import time_zone

    local = sun.at.astimezone(time_zone(zone))
    when = f"{local:%Y-%m-%d %H:%M} ({zone or 'Asia/Hong_Kong'})"
    if sun.up:
        return gettext(
            "Sun at {when}: azimuth {azimuth:.1f}° from true north, elevation {elevation:.1f}°"
        ).format(when=when, azimuth=sun.azimuth_deg, elevation=sun.elevation_deg)
    day = sun_day(sun.latitude_deg, sun.longitude_deg, local.date(), zone)
    if day.polar == "night":
        state = gettext("the sun does not rise that day")
    elif day.sunrise is not None and local < day.sunrise:
        state = gettext("before sunrise")
    else:
        state = gettext("after sunset")
    # The night lighting (``sunlight.NIGHT_LAMP``) is not the scene's light: the caption says so.
    return gettext(
        "Sun at {when}: {state} (elevation {elevation:.1f}°): no sunlight; lit for legibility"
    ).format(when=when, state=state, elevation=sun.elevation_deg)


def record_render(
    ctx: ServiceContext, version: VersionInfo, actor: str | None, details: dict[str, Any]
) -> None:
    """The audit event of a picture drawn from ``version`` (stills and public pictures)."""
    record_event(
        ctx.engine,
        actor=ctx.actor_name(actor),
        action="render",
        object_type="version",
        object_id=str(version.version_id),
        object_sha256=version.original_sha256,
        details=details,
    )


def render_version_still(
    ctx: ServiceContext,
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
    lang: str = "en",
    sun_at: str | None = None,
    stereo: str | None = None,
    interocular_m: float | None = None,
    notice: str | None = None,
    shown_as: ShownAs | None = None,
) -> Still:
    """A still of a version (with a scene at a step, of ``revision`` or the current one) from a
    saved view or a preset, its caption, legend and scale in ``lang``; lit by the sun at
    ``sun_at``, or by default at the step's time when the scene has a date and the version a
    place (``scene_sun.step_sun``); ``stereo`` (one of ``render.stereo.STEREO_MODES``) makes it
    a stereo pair with the eyes ``interocular_m`` apart in the real world (65 mm unless given);
    ``notice`` is a last caption line as given (a court exhibit's label), ``shown_as`` the
    identity it states."""
    pair = None if stereo is None else check_stereo(stereo, interocular_m)
    _ = translator(check_language(lang)).gettext
    version = get_version(ctx, version_id)
    ctx.require_case("render", version.case_reference, "version", str(version_id))
    scenes = SceneService(ctx)
    pixels = picture_size(size)
    doc: SceneDoc | None = None
    if scene_id is not None:
        info = scenes.info_on(scene_id, version_id)
        revision = info.revision if revision is None else revision
        doc = scenes.document(scene_id, revision)
    camera, saved = choose_camera(scenes, version, doc, view, preset, scene_id)
    stated_scene, stated_revision, stated_number = scene_id, revision, version.number
    if shown_as is not None:
        stated_scene, stated_revision = shown_as.scene_id, shown_as.revision
        stated_number = shown_as.version_number
    if saved is not None:
        view_name, shown_view = f"view {saved.id}", saved.name  # the audit log: its id
    else:
        view_name = VIEW_NAMES[preset or "iso"]  # the audit log keeps the English name
        shown_view = _(view_name)
    layer = None
    step_line = _("Model only, no scene")
    current: Step | None = None
    if doc is not None:
        current = doc.step_at(step or 1) if doc.steps else None
        if current is not None:
            layer = scenes.layer(scene_id, doc, current)  # type: ignore[arg-type]
            number = [s.id for s in doc.steps].index(current.id) + 1
            where = {
                "scene": doc.name,
                "revision": stated_revision,
                "number": number,
                "count": len(doc.steps),
                "title": current.title,
            }
            if current.clock:
                step_line = _(
                    "Scene: {scene} (revision {revision}) · step {number} of {count}: "
                    "{title}, {clock}"
                ).format(clock=current.clock, **where)
            else:
                step_line = _(
                    "Scene: {scene} (revision {revision}) · step {number} of {count}: {title}"
                ).format(**where)
        else:
            step_line = _("Scene: {scene} (revision {revision}) · no steps yet").format(
                scene=doc.name, revision=stated_revision
            )
    sun = step_sun(version, doc, current, sun_at)
    if not date_text:
        now = datetime.now(UTC)
        date_text = now.strftime("%d %b %Y") if lang == "en" else format_date(now, lang)
    caption = [
        _("{case} · Exhibit {exhibit}").format(case=version.case_reference, exhibit=exhibit)
        if exhibit
        else version.case_reference,
        step_line,
        _(
            "Made from model version {sha} ({model}, version {number}; {units}, scale {scale}) "
            "· {view} view, {projection}"
        ).format(
            sha=version.original_sha256[:12],
            model=version.model_name,
            number=stated_number,
            units=_unknown(version.units, _),
            scale=_unknown(version.scale, _),
            view=shown_view,
            projection=_(PROJECTION_NAMES.get(camera.projection, camera.projection)),
        )
        + (_(" · the model cut by a section box") if camera.section is not None else ""),
        _("Rendered {date} by BSU Models").format(date=date_text),
        *([notice] if notice else []),
    ]
    if sun is not None:
        caption.insert(2, sun_caption(sun, doc.time_zone if doc else None, _))
    still = render_still(
        version_mesh(ctx, version),
        camera,
        pixels,
        north=as_triple(axis_vector(version.north_axis)),
        metres_per_unit=metres_per_unit(version),
        layer=layer,
        overlays=overlays or Overlays(),
        caption=caption,
        watermark_text=watermark_text,
        watermark_logo=watermark_logo,
        font_file=ctx.settings.font_file,
        lang=lang,
        png_text={
            "derived-from-sha256": version.original_sha256,
            "scene": f"{stated_scene}@r{stated_revision}" if scene_id else "",
            "generator": "bsu-models still",
            **({"sun": _sun_text(sun)} if sun is not None else {}),
            **({"stereo": pair.mode, "interocular-m": f"{pair.interocular_m:g}"} if pair else {}),
            **({"section": json.dumps(camera.section.json())} if camera.section else {}),
        },
        sun=sunlight(version, sun) if sun is not None else None,
        stereo=pair,
    )
    still = replace(still, sun=sun)
    record_render(
        ctx,
        version,
        actor,
        {
            "scene": scene_id,
            "revision": revision,
            "step": step,
            "view": view_name,
            "size": size,
            "exhibit": exhibit,
            "language": lang,
            **({"sun": _sun_text(sun)} if sun is not None else {}),
            **({"stereo": pair.mode, "interocular_m": pair.interocular_m} if pair else {}),
        },
    )
    return still


def _sun_text(sun: SunPosition) -> str:
    """The sun as recorded with a picture: when, azimuth and apparent elevation in degrees."""
    return f"{sun.at.isoformat()} azimuth {sun.azimuth_deg:.4f} elevation {sun.elevation_deg:.4f}"
