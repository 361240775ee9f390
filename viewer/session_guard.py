"""The session guard: case meshes never outlive the session in the browser, and an idle page
stops showing case material.

A component of no height (``components/guard``) in the sidebar of every page. On the sign-in
page (after sign-out, the idle time-out or a reload) it deletes the 3D viewer's IndexedDB mesh
cache. Signed in, it watches for pointer, key, wheel and input events in the page and in its 3D
views; after ``bsu_models.IDLE_MINUTES`` without any, it blanks the views, covers the page with
the sign-out notice, deletes the cache and tells Python, which signs the session out, even
when nobody touches the page again.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

import bsu_models
from viewer.shared import sign_out, t

_GUARD = components.declare_component(
    "session_guard", path=str(Path(__file__).resolve().parent / "components" / "guard")
)
_GUARD_KEY = "bsu_session_guard"


def session_guard(signed_in: bool) -> None:
    """The page's guard (no height): on the sign-in page it deletes the browser's mesh cache;
    signed in, it signs the session out after ``IDLE_MINUTES`` without activity in the page."""
    notice = t("You were signed out after a period without activity.")
    value = _GUARD(
        signed_in=signed_in,
        idle_ms=bsu_models.IDLE_MINUTES * 60_000,
        notice=notice,
        key=_GUARD_KEY,
        default=None,
    )
    if not isinstance(value, dict) or value.get("type") != "idle":
        return
    seen = f"{_GUARD_KEY}:seen"
    if value.get("nonce") == st.session_state.get(seen):
        return
    if signed_in:
        sign_out(notice)
    st.session_state[seen] = value.get("nonce")  # after sign_out, which empties the state
    if signed_in:
        st.rerun()
