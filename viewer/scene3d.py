"""The 3D viewer component (three.js in ``components/scene3d/static``) and its Python side.

The mesh travels once per session and version, through the session's own connection, so no
case file is ever on a public path. The first level goes with the view's first drawing when
this session has not sent it yet (the browser's cache is emptied as a session begins); any other
the browser asks for (``need_mesh``) when neither its page nor its IndexedDB cache has that
content hash. Events
from the browser (clicks, saved cameras) carry a nonce; each is handed to the page once.

Every display is an audit event: sending the bytes records a view (``Catalogue.web_glb``), and
each value from the browser says what it has on screen (``displayed``: the hash, where the bytes
came from and which display it is), so a model shown from the browser's cache is recorded once
per display with ``Catalogue.record_view``.

Big scans arrive in steps: when a version has web levels, the browser shows the smallest
first and swaps in each larger one as it arrives (each sent once and cached by its hash, like
the web copy). A click on a simplified level carries its ray, and is made exact here against
the full-resolution mesh (``SceneService.pick``) before the page sees it.

The cache never outlives the session: see ``viewer.session_guard``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import streamlit as st
import streamlit.components.v1 as components
from streamlit.delta_generator import DeltaGenerator

import bsu_models
from viewer.shared import error_text, language, t

_STATIC = Path(__file__).resolve().parent / "components" / "scene3d" / "static"
_COMPONENT = components.declare_component("scene3d", path=str(_STATIC))
#: The levels (content hashes) this session has sent to the browser.
_SENT_KEY = "scene3d:sent"
#: How long a page waits for a view's first report before it draws the parts it held back.
FIRST_FRAME_WAIT_S = 4.0


def mesh_id(version: bsu_models.VersionInfo) -> str:
    return next(f.sha256 for f in version.files if f.role == "web_glb")


def mesh_chain(version: bsu_models.VersionInfo) -> list[str]:
    """What the browser shows in turn: the ready web levels, smallest first (without repeats);
    the web copy when there are none."""
    chain: list[str] = []
    for level in version.web_levels:
        if level.status == "ready" and level.sha256 and level.sha256 not in chain:
            chain.append(level.sha256)
    return chain or [mesh_id(version)]


def scene_payload(version: bsu_models.VersionInfo, layer: bsu_models.SceneLayer | None) -> dict:
    """Axes, eye height and (if any) the scene layer, in the component's terms."""
    lo, hi = version.bounds
    diagonal = sum((b - a) ** 2 for a, b in zip(lo, hi, strict=True)) ** 0.5
    extent = version.real_world_extent_m
    if extent is not None and (hi[0] - lo[0]) > 0:
        eye = 1.6 / (extent[0] / (hi[0] - lo[0]))  # 1.6 m in model units
    else:
        eye = 0.01 * diagonal
    payload: dict[str, Any] = {
        "up": list(bsu_models.AXES[version.up_axis]),
        "north": list(bsu_models.AXES[version.north_axis]),
        "eye_height": eye,
        "entities": [],
        "paths": [],
        "measurements": [],
        "sightlines": [],
    }
    if layer is not None:
        payload.update(layer.to_json(language()))
    return payload


def viewer_labels() -> dict[str, str]:
    """Every word the viewer shows, in the user's language (keys as in ``main.js``'s LABELS)."""
    return {
        "fit": t("Fit"),
        "fit_title": t("Frame the whole model"),
        "plan": t("Plan"),
        "plan_title": t("Plan: look down, north at the top"),
        # Translators: a button that shows the elevation seen from the north (one letter or word).
        "north": t("N"),
        "north_title": t("Elevation seen from the north"),
        # Translators: a button that shows the elevation seen from the east.
        "east": t("E"),
        "east_title": t("Elevation seen from the east"),
        # Translators: a button that shows the elevation seen from the south.
        "south": t("S"),
        "south_title": t("Elevation seen from the south"),
        # Translators: a button that shows the elevation seen from the west.
        "west": t("W"),
        "west_title": t("Elevation seen from the west"),
        # Translators: a button for the isometric (perspective from above) view.
        "iso": t("Iso"),
        "iso_title": t("Perspective from the south-east, above"),
        "walk": t("Walk"),
        "walk_title": t(
            "First person from the last clicked point: WASD / arrow keys move, drag to look, "
            "Esc leaves"
        ),
        "stereo": t("Stereo"),
        "stereo_title": t(
            "Stereo for 3D glasses and displays: off, red-cyan anaglyph, side by side"
        ),
        # Translators: the stereo mode for red-cyan glasses, after "Stereo:".
        "anaglyph": t("anaglyph"),
        # Translators: the stereo mode with the two eyes' pictures in two halves.
        "side-by-side": t("side by side"),
        "save": t("Save view"),
        "save_title": t("Send the current view to the app"),
        "toolbar": t("3D view"),
        "starting": t("Starting…"),
        "loading": t("Loading model…"),
        "fetching": t("Fetching the model from the app…"),
        "reading": t("Reading model ({size} MB)…"),
        "unreadable": t("Could not read the model: {message}"),
        "triangles": t("{count} triangles"),
        "triangles_cached": t("{count} triangles (browser cache)"),
        "no_model": t("No model selected."),
        "hint_navigate": t(
            "Drag to orbit, right-drag to pan, wheel to zoom; a click reports the point."
        ),
        "hint_place": t("Click the model to place an entity."),
        "hint_measure": t("Click two points on the model to measure."),
        "hint_sightline": t("Click the eye point, then the target."),
        "hint_pair": t("Click the place on the model that matches the point of the CCTV frame."),
        "hint_present": t("Read-only: drag to orbit, right-drag to pan, wheel to zoom."),
        "hint_walk": t(
            "Walk: W A S D / arrow keys move (Shift = faster), drag to look, Esc leaves."
        ),
        "sun": t("Sun"),
        "sun_title": t("Light the model by the sun at the step's time, casting shadows"),
        "sun_time": t("Time of the sun"),
        "sun_text": t("Sun at {time}: azimuth {azimuth}°, elevation {elevation}°"),
        "sun_down": t("Sun at {time}: below the horizon, no sunlight"),
    }


def scene3d(
    catalogue: bsu_models.Catalogue,
    version: bsu_models.VersionInfo,
    *,
    key: str,
    actor: str,
    layer: bsu_models.SceneLayer | None = None,
    camera: dict | None = None,
    tool: str = "navigate",
    height: int = 560,
    scene: tuple[int, int] | None = None,
    sun: dict | None = None,
    large_labels: bool = False,
    movement: dict | None = None,
    section_form: bool = False,
    section: dict | None = None,
) -> dict | None:
    """Show the viewer; returns a new event from the browser (click, camera) or None.

    ``scene`` (scene id, revision) names the scene drawn, for the audit trail of the display;
    ``sun`` (``bsu_models.sun_track``) lets the view cast the sun's shadows around the step's
    time, with a toggle and a time slider; ``large_labels`` draws the labels larger (court
    mode); ``movement`` (``viewer.scene_play.movement``) plays the entities' way to the next
    step. A page with a ``section_form`` (``viewer.scene_section``) says which ``section`` box
    to show (None: the whole model); on other pages a saved view shows its own."""
    chain = mesh_chain(version)
    seen_key = f"{key}:seen"
    sent: set[str] = st.session_state.setdefault(_SENT_KEY, set())
    pending = st.session_state.get(key)  # the component's last value, before it is drawn again
    if (
        isinstance(pending, dict)
        and pending.get("type") == "need_mesh"
        and pending.get("mesh_id") in chain
        and pending.get("nonce") != st.session_state.get(seen_key)
    ):
        # Answer the request in this run rather than in one more rerun.
        st.session_state[seen_key] = pending.get("nonce")
        st.session_state[f"{key}:need"] = pending.get("mesh_id")
    wanted = st.session_state.get(f"{key}:need")
    if wanted is None and chain[0] not in sent:
        # The browser's mesh cache was emptied when this session began (on the sign-in page):
        # a level this session has not sent is not there, so it goes with the view's first
        # drawing, without the cache lookup and the request's rerun.
        wanted = chain[0]
    send_now = wanted in chain
    data = None
    if send_now:
        st.session_state[f"{key}:need"] = None
        try:
            data = catalogue.web_glb(version.version_id, actor=actor, scene=scene, copy=wanted)
        except bsu_models.BsuError as exc:
            # A stored file changed on disk, say: the sentence in place of the model, and the
            # rest of the page as it is.
            st.error(error_text(exc))
            send_now = False
        else:
            sent.add(wanted)
    value = _COMPONENT(
        mesh_id=chain[0],
        levels=chain,
        mesh_for=wanted if send_now else None,
        mesh=data,
        scene={**scene_payload(version, layer), "sun": sun, "movement": movement},
        camera=camera,
        tool=tool,
        labels=viewer_labels(),
        large_labels=large_labels,
        height=height,
        key=key,
        default=None,
        **({"section": section} if section_form else {}),
    )
    # The view reports once the level is on screen, and that rerun draws the page again.
    st.session_state[f"{key}:first"] = send_now and wanted == chain[0] and value is None
    _record_display(catalogue, version, key, actor, value, scene)
    if (
        _displayed(value, chain) is not None
        and st.session_state.get(f"{key}:warm") != version.version_id
    ):
        # Sightlines and views want the full mesh loaded: begun once a level is on screen
        # (`displayed`, which every later message carries too), since loading a big one beside
        # the page's first run slowed its first frame. A click before then is answered through
        # the version's click index.
        st.session_state[f"{key}:warm"] = version.version_id
        catalogue.scenes.warm(version.version_id)
    if not isinstance(value, dict) or value.get("nonce") == st.session_state.get(seen_key):
        return None
    st.session_state[seen_key] = value.get("nonce")
    if value.get("type") == "need_mesh":
        if value.get("mesh_id") in chain:
            st.session_state[f"{key}:need"] = value.get("mesh_id")
            st.rerun()
        return None
    if value.get("type") == "click":
        return _exact_click(catalogue, version, value)
    return value


def prepare_view(slot: DeltaGenerator, key: str) -> None:
    """Start the view ``key`` in ``slot`` with no model and no height, for a page about to draw
    it there: the browser loads its code meanwhile, and keeps the same frame when the page's
    next run gives it the model (the same key in the same place). It carries no case data, so a
    page may call this before anyone has signed in."""
    with slot:
        _COMPONENT(mesh_id=None, levels=[], height=0, labels=viewer_labels(), key=key, default=None)


def awaiting_first_frame(key: str) -> bool:
    """Whether this run gave the view ``key`` its first level with its first drawing, so that
    the view's report that the level is on screen will rerun the page.

    A page may hold its other parts back until then (see ``draw_rest_after_first_frame``): its
    widgets' code loads in the same browser tab as the view's three.js and competes with it for
    the tab's connections and its main thread."""
    return bool(st.session_state.get(f"{key}:first"))


def draw_rest_after_first_frame() -> None:
    """For a page that holds its other parts back while ``awaiting_first_frame``: reruns the
    page after ``FIRST_FRAME_WAIT_S`` if the view has not reported by then (no WebGL, a script
    blocked), so that the page is never left without them."""
    held_since = time.monotonic()

    @st.fragment(run_every=FIRST_FRAME_WAIT_S)
    def rerun_if_still_waiting() -> None:
        # The fragment's first run is part of the page's run; only a later, timed one reruns.
        if time.monotonic() - held_since >= FIRST_FRAME_WAIT_S:
            st.rerun(scope="app")

    rerun_if_still_waiting()


def _exact_click(
    catalogue: bsu_models.Catalogue, version: bsu_models.VersionInfo, value: dict
) -> dict | None:
    """The click with its point and face on the full-resolution surface, found along the same
    ray as in the browser (which may have shown a simplified level)."""
    ray = value.get("ray")
    if not isinstance(ray, dict):
        return value
    try:
        point, face = catalogue.scenes.pick(
            version.version_id, ray.get("origin"), ray.get("direction"), value.get("point")
        )
    except bsu_models.BsuError as exc:
        st.error(error_text(exc))
        return None
    return {**value, "point": list(point), "face": face, "browser_point": value.get("point")}


def _displayed(value: object, chain: list[str]) -> dict | None:
    """The component's ``displayed`` (a level of ``chain`` on screen now), or None."""
    shown = value.get("displayed") if isinstance(value, dict) else None
    return shown if isinstance(shown, dict) and shown.get("mesh_id") in chain else None


def _record_display(
    catalogue: bsu_models.Catalogue,
    version: bsu_models.VersionInfo,
    key: str,
    actor: str,
    value: object,
    scene: tuple[int, int] | None,
) -> None:
    """Record a display of the model from the browser's cache, once per display. (Bytes sent
    by the app were recorded when they were read for sending.)"""
    shown = _displayed(value, mesh_chain(version))
    if shown is None:
        return
    recorded = f"{key}:displayed"
    if shown.get("at") == st.session_state.get(recorded):
        return
    st.session_state[recorded] = shown.get("at")
    if shown.get("source") == "cache":
        try:
            catalogue.record_view(
                version.version_id, str(shown.get("mesh_id")), "cache", actor=actor, scene=scene
            )
        except bsu_models.BsuError as exc:
            st.error(error_text(exc))
