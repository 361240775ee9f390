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


def real_world_text(version: bsu_models.VersionInfo) -> str:
    if version.real_world_extent_m is None:
        return "Real-world size unknown (units or scale not set)"
    dx, dy, dz = version.real_world_extent_m
    return f"{dx:.2f} m × {dy:.2f} m × {dz:.2f} m on site"


def facts_rows(version: bsu_models.VersionInfo) -> dict[str, str]:
    """Facts of a version as label -> text, for tables."""
    return {
        "Case": version.case_reference,
        "Model": version.model_name,
        "Version": str(version.number),
        "Original file": version.original_name,
        "Format": version.format.upper(),
        "Size": f"{version.size_bytes:,} bytes",
        "SHA-256": version.original_sha256,
        "Vertices": f"{version.vertices:,}",
        "Faces": f"{version.faces:,}",
        "Watertight": "yes" if version.watertight else "no",
        "Texture": "yes" if version.has_texture else "no",
        "File units": version.units,
        "Model scale": version.scale,
        "Real-world size": real_world_text(version),
        "Uploaded": f"{version.uploaded_at:%d %b %Y %H:%M} UTC by {version.uploaded_by}",
    }
