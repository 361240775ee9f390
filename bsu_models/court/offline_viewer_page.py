"""The offline exhibit viewer's page as words and HTML: its own words (buttons, headings, table
headings, legend, messages) as English msgids, the HTML, CSS and bootstrap-script templates, and
the escaping that puts text into HTML, attributes, CSS, JSON and JavaScript inside the page.

Works on plain strings: the scene's title, subtitle and facts as the caller wrote them (never
translated), and a language, ``lang`` of ``bsu_models.core.i18n`` (``<html lang>`` says which). The
HTML is written in it, and the words that the script writes itself travel as JSON
(``#bsu-words``, see ``viewer_words``); the script keeps only English to stand in for a word that
is missing. ``bsu_models.court.offline_viewer`` fills the templates and embeds the data.
"""

from __future__ import annotations

import html
import json
from typing import Any

from bsu_models.core.i18n import DEFAULT_LANGUAGE, N_, check_language, translator
from bsu_models.scenes.scene_items import ENTITY_TYPE_NAMES

# The legend (English msgids, translated where the page is written).
TYPE_SHAPES = (
    ("sphere", N_("Person: suspect, victim, witness, officer")),
    ("cube", N_("Vehicle")),
    ("cone", N_("Evidence")),
    ("octahedron", N_("Camera / CCTV")),
    ("tetrahedron", N_("Other")),
)
LINES = (
    ("path", N_("Path of movement (arrows point the way)")),
    ("measure", N_("Measurement")),
    ("visible", N_("Sightline: visible")),
    ("blocked", N_("Sightline: blocked (dark ball: the obstruction)")),
)
PROVENANCE = (
    (N_("Measured on site"), N_("the position was measured at the scene")),
    (N_("CCTV"), N_("taken from CCTV footage (reference given)")),
    (N_("Witness statement"), N_("from a witness statement (reference given)")),
    (N_("Assumption"), N_("placed by the modeller without a record")),
)
# The words offline_viewer.js writes itself, by its key: the names of entity types and of how a
# position is known (by the key a step's entity gives), step headings and messages.
PROVENANCE_NAMES = {
    "measured": N_("Measured on site"),
    "cctv": N_("CCTV"),
    "witness_statement": N_("Witness statement"),
    "assumption": N_("Assumption"),
}
SCRIPT_WORDS = {
    "step_of": N_("Step {number} of {count}"),
    "step_of_selection": N_("Step {number} ({index} of {count})"),
    "no_steps": N_("The model only: this exhibit has no re-enactment steps."),
    "no_webgl": N_(
        "This browser could not start 3D graphics (WebGL), so the model cannot be shown. The "
        "steps, entities and facts beside it are complete."
    ),
    "sensitive": N_("Sensitive"),
    "bad_model": N_(
        "The model in this file could not be read ({reason}). The steps, entities and facts "
        "beside it are complete."
    ),
}
# The value of <html lang> for each language (BCP 47).
HTML_LANG = {"en": "en", "zh_HK": "zh-Hant-HK"}


def viewer_words(lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """The words ``offline_viewer.js`` writes itself, in ``lang``: ``#bsu-words`` of the page."""
    _ = translator(check_language(lang)).gettext
    return {
        **{key: _(word) for key, word in SCRIPT_WORDS.items()},
        "types": {key: _(word) for key, word in ENTITY_TYPE_NAMES.items()},
        "provenance": {key: _(word) for key, word in PROVENANCE_NAMES.items()},
    }


def _text(value: str) -> str:
    return html.escape(value, quote=True)


def _attribute(value: str) -> str:
    """``value`` for a double-quoted attribute (an apostrophe stays as it is)."""
    return html.escape(value, quote=False).replace('"', "&quot;")


def _json_for_html(text: str) -> str:
    # Inside <script> only "</script" and "<!--" matter, but escaping every "<" (and ">", "&")
    # keeps any text -- a narrative "</script><b>x", three.js itself -- inert; JSON.parse undoes it.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _comment(text: str) -> str:
    return text.replace("--", "- -").strip()


def _css_string(text: str) -> str:
    """``text`` as a CSS string in ASCII: anything else as a hex escape (``\\2026``)."""
    out = []
    for index, char in enumerate(text):
        if " " <= char <= "~" and char not in '"\\<>':
            out.append(char)
            continue
        out.append(f"\\{ord(char):x}")
        following = text[index + 1 : index + 2]
        if following and (following in "0123456789abcdefABCDEF " or following.isspace()):
            out.append(" ")  # ends the escape, which would otherwise run on into it
    return '"' + "".join(out) + '"'


def _js_string(text: str) -> str:
    """``text`` as a single-quoted JavaScript string that is safe inside a <script>."""
    quoted = json.dumps(text, ensure_ascii=False)[1:-1].replace('\\"', '"').replace("'", "\\'")
    return "'" + _json_for_html(quoted) + "'"


def _body(title: str, subtitle: str, facts: list[tuple[str, str]], lang: str) -> str:
    _ = translator(lang).gettext
    fact_rows = "".join(f"<dt>{_text(name)}</dt><dd>{_text(value)}</dd>\n" for name, value in facts)
    shapes = "".join(
        f'<li><span class="shape {shape}" aria-hidden="true"></span>{_text(_(text))}</li>\n'
        for shape, text in TYPE_SHAPES
    )
    lines = "".join(
        f'<li><span class="line {kind}" aria-hidden="true"></span>{_text(_(text))}</li>\n'
        for kind, text in LINES
    )
    provenance = "".join(
        f"<dt>{_text(_(name))}</dt><dd>{_text(_(text))}</dd>\n" for name, text in PROVENANCE
    )
    no_facts, none_given = _text(_("Facts")), _text(_("none given"))
    none = f"<dt>{no_facts}</dt><dd>{none_given}</dd>\n"
    return _BODY.format(
        title=_text(title),
        subtitle=_text(subtitle),
        facts=fact_rows or none,
        shapes=shapes,
        lines=lines,
        provenance=provenance,
        readonly=_text(_("Read-only exhibit copy: nothing here can be changed or saved.")),
        account=_text(_("Account shown:")),
        view=_attribute(_("3D view: drag to orbit, right-drag to pan, wheel to zoom")),
        noscript=_text(_("This exhibit viewer needs JavaScript to show the model and the steps.")),
        previous=_text(_("Previous")),
        next=_text(_("Next")),
        reset_title=_attribute(_("Back to this step's view")),
        reset=_text(_("Reset view")),
        keys=_text(_("keys: {keys}").format(keys="\u2190 \u2192 PgUp PgDn Home End")),
        at_step=_text(_("Entities at this step")),
        label=_text(_("Label")),
        type=_text(_("Type")),
        position_from=_text(_("Position from")),
        no_entities=_text(_("No entities at this step.")),
        legend=_text(_("Legend")),
        how_known=_text(_("How positions are known")),
        model=_text(_("Model")),
    )


# Local fonts only; the CJK families cover labels such as "證人 W1" (Hong Kong face first).
_CSS = """\
:root { --fg: #1f2229; --bg: #ffffff; --muted: #5d6270; --line: #d5d8de; --accent: #b3261e; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html, body { margin: 0; height: 100%; }
body {
  display: flex; flex-direction: column; color: var(--fg); background: var(--bg);
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK HK",
    "Noto Sans CJK TC", "Microsoft JhengHei", "PingFang HK", "PingFang TC", sans-serif;
}
header { flex: 0 0 auto; padding: 8px 14px; border-bottom: 1px solid var(--line); }
header h1 { margin: 0; font-size: 18px; }
header .subtitle { color: var(--muted); }
header #account-choice { display: inline-block; margin-top: 4px; }
header #account-choice[hidden] { display: none; }
.readonly {
  display: inline-block; margin-top: 4px; padding: 1px 8px; border: 1px solid var(--accent);
  border-radius: 3px; color: var(--accent); font-weight: 600; font-size: 12px;
}
main { flex: 1 1 auto; display: flex; min-height: 0; }
#viewport {
  position: relative; flex: 1 1 auto; min-width: 0; overflow: hidden; background: #dfe3e8;
}
#viewport canvas { display: block; touch-action: none; }
#viewport[data-loading]::after {
  content: LOADING; position: absolute; left: 12px; top: 10px;
  color: var(--muted);
}
#viewport .message { margin: 24px; max-width: 40em; font-size: 15px; }
#panel {
  flex: 0 0 400px; overflow: auto; padding: 10px 14px; border-left: 1px solid var(--line);
}
#panel h2 { font-size: 16px; margin: 6px 0; }
#panel h3 { font-size: 13px; margin: 14px 0 4px; text-transform: uppercase; color: var(--muted); }
#step-nav { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
#step-nav button {
  font: inherit; padding: 3px 10px; border: 1px solid var(--line); border-radius: 4px;
  background: var(--bg); color: var(--fg); cursor: pointer; white-space: nowrap;
}
#step-nav button:disabled { opacity: 0.45; cursor: default; }
#step-nav .keys { color: var(--muted); font-size: 12px; }
#narrative { white-space: pre-wrap; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td {
  text-align: left; vertical-align: top; padding: 3px 4px; border-bottom: 1px solid var(--line);
}
td .ref { color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
dl {
  display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 0; font-size: 13px;
}
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
ul.legend { list-style: none; margin: 0; padding: 0; font-size: 13px; }
ul.legend li { display: flex; align-items: center; gap: 8px; margin: 2px 0; }
.shape { width: 13px; height: 13px; background: #8a8f99; flex: 0 0 13px; }
.shape.sphere { border-radius: 50%; }
.shape.cone { clip-path: polygon(50% 0, 100% 100%, 0 100%); }
.shape.octahedron { clip-path: polygon(50% 0, 100% 50%, 50% 100%, 0 50%); }
.shape.tetrahedron { clip-path: polygon(0 0, 100% 0, 50% 100%); }
.line { width: 22px; height: 4px; flex: 0 0 22px; border-radius: 2px; }
.line.path { background: #2c7bb6; }
.line.measure { background: #f0b400; }
.line.visible { background: #1a9850; }
.line.blocked { background: #d73027; }
/* Sensitive entities (for the court only): a red badge in the table. The labels in the 3D view
   (a sensitive one's red and dashed) are styled by view3d.js, which draws them. */
.badge.sensitive {
  display: inline-block; padding: 0 5px; border-radius: 3px; font-size: 11px; font-weight: 600;
  background: #b00020; color: #fff; white-space: nowrap;
}
tr.sensitive td { background: #fdecee; }
@media (max-width: 900px) {
  main { flex-direction: column; }
  #viewport { flex: 0 0 60vh; }
  #panel { flex: 1 0 auto; border-left: 0; border-top: 1px solid var(--line); }
}
"""

_LOADING = "content: LOADING;"  # the words shown while the model loads (a CSS string) go here
# The page may not reach anything outside itself: no network, and scripts only inline or blob:.
# 'wasm-unsafe-eval' lets the embedded meshopt and Basis decoders compile their WebAssembly (it
# allows no JavaScript eval); workers come from blob: URLs of the page's own bytes.
_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'wasm-unsafe-eval' blob:; "
    "worker-src blob:; style-src 'unsafe-inline'; "
    "img-src data: blob:; connect-src data: blob:; base-uri 'none'; form-action 'none'"
)

_HEAD = (
    "<!doctype html>\n"
    '<html lang="{html_lang}">\n'
    "<head>\n"
    '<meta charset="utf-8">\n'
    f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    "<title>{title}</title>\n"
    "<!-- Made by BSU Models: a read-only exhibit viewer. Embeds three.js under this licence:\n"
    "{license}\n"
    "-->\n"
    "<style>\n{css}</style>\n"
    "</head>\n"
)

_BODY = """\
<body>
<header>
<h1 id="title">{title}</h1>
<div class="subtitle" id="subtitle">{subtitle}</div>
<div class="readonly" id="readonly">{readonly}</div>
<label id="account-choice" hidden>{account} <select id="account"></select></label>
</header>
<main>
<div id="viewport" aria-label="{view}">\
<noscript><p class="message">{noscript}</p></noscript></div>
<aside id="panel">
<div id="step-nav">
<button id="btn-prev" type="button">{previous}</button>
<button id="btn-next" type="button">{next}</button>
<button id="btn-reset" type="button" title="{reset_title}">{reset}</button>
<span class="keys">{keys}</span>
</div>
<h2 id="step-heading"></h2>
<div id="step-body">
<p id="narrative"></p>
<h3>{at_step}</h3>
<table><thead><tr><th>{label}</th><th>{type}</th><th>{position_from}</th></tr></thead>
<tbody id="entity-rows"></tbody></table>
<p id="no-entities" hidden>{no_entities}</p>
</div>
<h3>{legend}</h3>
<ul class="legend">
{shapes}{lines}</ul>
<h3>{how_known}</h3>
<dl>
{provenance}</dl>
<h3>{model}</h3>
<dl id="facts">
{facts}</dl>
</aside>
</main>
"""

# Classic script: makes a blob: URL per embedded module (dependencies come first in the page)
# with its import specifiers replaced by those URLs, then imports the viewer module.
_BOOTSTRAP = """\
<script>
(function () {{
  'use strict';
  function fail(err) {{
    var p = document.createElement('p');
    p.className = 'message';
    p.textContent = {before}
      + String(err && err.message || err)
      + {after};
    document.getElementById('viewport').replaceChildren(p);
    document.body.dataset.error = '1';
  }}
  try {{
    var urls = {{}};
    document.querySelectorAll('script[data-module]').forEach(function (el) {{
      var pieces = JSON.parse(el.textContent);
      // Odd pieces name a dependency, embedded (and so given its URL) earlier in the page.
      var text = pieces.map(function (piece, i) {{ return i % 2 ? urls[piece] : piece; }});
      var blob = new Blob([text.join('')], {{ type: 'text/javascript' }});
      urls[el.dataset.module] = URL.createObjectURL(blob);
    }});
    import(urls[{viewer}]).catch(fail);
  }} catch (err) {{
    fail(err);
  }}
}})();
</script>
"""
