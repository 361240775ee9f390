"""What every page shares: the catalogue handle and small display helpers.

The catalogue object (database engine and blob store) is one per server process, so it is held
with ``st.cache_resource``; nothing per user or per case is cached.
"""

from __future__ import annotations

import streamlit as st

import bsu_models


@st.cache_resource
def catalogue() -> bsu_models.Catalogue:
    return bsu_models.open_catalogue()


def actor() -> str:
    """Who is using the app; recorded in the audit log (accounts come with sign-in)."""
    return catalogue().settings.actor


def choose_version(cat: bsu_models.Catalogue, key: str) -> bsu_models.VersionInfo | None:
    """Pick a case, a model and a version; remembers the choice in the page's query string."""
    try:
        models = cat.list_models()
    except bsu_models.BsuError as exc:
        st.error(str(exc))
        return None
    if not models:
        st.info("No models yet. Upload one on the Upload page.")
        return None
    labels = {f"{m.case_reference} — {m.name}": m for m in models}
    wanted = st.query_params.get("model")
    names = list(labels)
    index = next((i for i, m in enumerate(labels.values()) if str(m.model_id) == wanted), 0)
    label = st.selectbox("Landmark model", names, index=index, key=f"{key}_model")
    model = labels[label]
    st.query_params["model"] = str(model.model_id)
    versions = cat.versions_of(model.model_id)
    if len(versions) > 1:
        numbers = [v.number for v in versions]
        number = st.selectbox("Version", numbers, index=len(numbers) - 1, key=f"{key}_version")
        return next(v for v in versions if v.number == number)
    return versions[-1]


def real_world_text(version: bsu_models.VersionInfo) -> str:
    size = version.real_world_size
    if size is None:
        return "Real-world size unknown (units or scale not set)"
    east, north, height = size
    return f"{east:.2f} m E–W × {north:.2f} m N–S × {height:.2f} m high on site"


def show_facts(version: bsu_models.VersionInfo) -> None:
    """Facts of a version as a two-column table, with the full SHA-256 copyable below it."""
    facts = {
        "Case": version.case_reference,
        "Model": f"{version.model_name} (version {version.number})",
        "Original file": f"{version.original_name} — {version.format.upper()}, "
        f"{version.size_bytes:,} bytes",
        "Mesh": f"{version.vertices:,} vertices, {version.faces:,} faces",
        "Surface": ("watertight" if version.watertight else "open (not watertight)")
        + (", textured" if version.has_texture else ""),
        "Units · scale": f"{version.units} · {version.scale}",
        "Real-world size": real_world_text(version),
        "Axes": f"up {version.up_axis}, north {version.north_axis}",
        "Uploaded": f"{version.uploaded_at:%d %b %Y %H:%M} UTC by {version.uploaded_by}",
    }
    st.table(
        {"Fact": list(facts), "Value": list(facts.values())}, hide_index=True, hide_header=True
    )
    st.caption("SHA-256 of the original file")
    st.code(version.original_sha256, language=None, wrap_lines=True)
