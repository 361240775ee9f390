"""The offline exhibit viewer: one self-contained HTML file that shows a model version and steps
through a re-enactment, read-only, from a USB stick (``file://``, no network, no server).

Works on the model as GLB bytes and on the scene as plain JSON-able data::

    {"title": str, "subtitle": str, "up": [x, y, z], "north": [x, y, z], "eye_height": float,
     "facts": [[name, value], ...],
     "steps": [{"number": int, "title": str, "clock": str | None, "narrative": str,
                "camera": {"projection", "position", "target", "up", "fov_deg", "ortho_scale"}
                          | None,
                "layer": SceneLayer.to_json(),
                "entities": [{"label", "type", "provenance", "reference", "sensitive"}, ...]},
               ...]}

An entity with ``"sensitive": true`` (in ``entities`` or in the layer's) is marked on the page as
the exhibit book marks it: a "Sensitive" badge in the step's table and a red dashed label in 3D.

The page carries three.js (the vendored release of the web viewer), the web viewer's drawing
module ``view3d.js`` (one copy for both viewers), the viewer script ``offline_viewer.js``, the
scene as JSON and the GLB as base64 (with three.js's Basis transcoder, also base64, when the
GLB's textures are KTX2: a web level's; its meshopt geometry needs only the decoder module).
ES modules inlined in a page cannot import one another by path, so each module's source is
embedded as JSON, split at its import specifiers
(``bsu_models.court.offline_viewer_modules``); a small classic script joins each one with the
blob: URLs of its dependencies, in dependency order, and imports the viewer. The same inputs give
the same bytes.

The page's own words are in one language, ``lang`` of ``bsu_models.core.i18n``; they and the HTML
templates are in ``bsu_models.court.offline_viewer_page``. The scene's own text (title, facts,
labels, narratives) arrives already written by the caller and is never translated.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

from bsu_models.core.errors import InvalidInput
from bsu_models.core.i18n import DEFAULT_LANGUAGE, check_language, translator
from bsu_models.court.offline_viewer_modules import (
    VIEWER_MODULE,
    basis_transcoder,
    three_license,
    viewer_modules,
)
from bsu_models.court.offline_viewer_page import (
    _BOOTSTRAP,
    _CSS,
    _HEAD,
    _LOADING,
    HTML_LANG,
    _body,
    _comment,
    _css_string,
    _js_string,
    _json_for_html,
    _text,
    viewer_words,
)


def build_offline_viewer(
    glb: bytes, data: Mapping[str, Any], lang: str = DEFAULT_LANGUAGE
) -> bytes:
    """The viewer as one UTF-8 HTML file: three.js, the model and the scene inlined; its own
    words in ``lang``."""
    _ = translator(check_language(lang)).gettext
    if not isinstance(glb, bytes | bytearray) or not glb:
        raise InvalidInput("The model for the offline viewer is empty; a GLB file is needed.")
    if bytes(glb[:4]) != b"glTF":
        raise InvalidInput("The model for the offline viewer is not a GLB file.")
    try:
        scene_json = json.dumps(
            dict(data), ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_plain
        )
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            "The scene for the offline viewer is not plain JSON data: {reason}.", reason=str(exc)
        ) from None
    modules = viewer_modules()
    title = str(data.get("title") or _("Scene"))
    subtitle = str(data.get("subtitle") or "")
    facts = []
    for pair in data.get("facts") or ():
        if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise InvalidInput(
                "A fact for the offline viewer is not a [name, value] pair: {pair!r}.", pair=pair
            )
        facts.append((str(pair[0]), str(pair[1])))
    license_text = three_license()
    words = json.dumps(viewer_words(lang), ensure_ascii=False, separators=(",", ":"))
    loading = _css_string(_("Loading the model…"))
    css = _CSS.replace(_LOADING, f"content: {loading};")
    head = _HEAD.format(
        html_lang=HTML_LANG[lang], title=_text(title), css=css, license=_comment(license_text)
    )
    basis = _needs_basis(bytes(glb))
    if basis:
        # The Basis transcoder's bindings (Emscripten embind) build functions from strings:
        # with 'wasm-unsafe-eval' alone Chromium stops them ("Evaluating a string as JavaScript
        # violates ... 'unsafe-eval'"), and the worker they run in keeps the page's policy. The
        # page already runs its own inline scripts and still reaches nothing outside itself.
        head = head.replace("'wasm-unsafe-eval'", "'wasm-unsafe-eval' 'unsafe-eval'", 1)
    parts = [
        head,
        _body(title, subtitle, facts, lang),
        f'<script type="application/json" id="bsu-data">{_json_for_html(scene_json)}</script>\n',
        f'<script type="application/json" id="bsu-words">{_json_for_html(words)}</script>\n',
    ]
    for name, pieces in modules:
        body = _json_for_html(json.dumps(pieces, ensure_ascii=False, separators=(",", ":")))
        parts.append(
            f'<script type="application/json" data-module="{_text(name)}">{body}</script>\n'
        )
    # Base64 is plain ASCII letters, digits, "+", "/" and "=": nothing the HTML parser acts on.
    embedded = {"bsu-glb": bytes(glb)}
    if basis:
        embedded["bsu-basis-js"], embedded["bsu-basis-wasm"] = basis_transcoder()
    for element, content in embedded.items():
        parts.append(
            f'<script type="text/plain" id="{element}">'
            + base64.b64encode(content).decode("ascii")
            + "</script>\n"
        )
    before, _reason, after = _(
        "The viewer could not start in this browser ({reason}). Open this file in a current "
        "version of Chrome, Edge, Firefox or Safari."
    ).partition("{reason}")
    parts.append(
        _BOOTSTRAP.format(
            viewer=json.dumps(VIEWER_MODULE), before=_js_string(before), after=_js_string(after)
        )
    )
    parts.append("</body>\n</html>\n")
    return "".join(parts).encode("utf-8")


def _needs_basis(glb: bytes) -> bool:
    """Whether the GLB's JSON chunk names KTX2 (Basis) textures."""
    json_length = int.from_bytes(glb[12:16], "little") if len(glb) >= 20 else 0
    return b'"KHR_texture_basisu"' in glb[20 : 20 + json_length]


def _plain(value: Any) -> Any:
    # NumPy numbers and arrays (bounds, axes, points straight from the mesh) become plain JSON.
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON data")
