"""The Posts page offers the stereo pair for a public picture as the Presentation page does for
a still (AppTest on a real catalogue): the requested picture is a red-cyan anaglyph at the
platform's size, the audit event says so, and a bad distance between the eyes is one sentence."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import bsu_models
from tests.test_pages import _app, _by_label, _demo, app_env
from tests.test_video_pages import _events

pytestmark = pytest.mark.render
__all__ = ["app_env"]  # fixture used by name


def _request(at, stereo: str, eyes: str):  # type: ignore[no-untyped-def]
    _by_label(at.selectbox, "Stereo").select(stereo)
    _by_label(at.text_input, "Distance between the eyes (real world)").input(eyes)
    _by_label(at.text_area, "Caption (the only text on the picture; no case references)").input(
        "Appeal for witnesses"
    )
    _by_label(at.button, "Request approval").click().run()
    assert not at.exception, at.exception


def test_posts_page_requests_an_anaglyph_public_picture(app_env):
    _demo(app_env)
    at = _app().run()
    at.switch_page("views/posts.py").run()
    at.selectbox(key="posts_model").select("KC-2026-0142 — Footbridge, Tsim Sha Tsui").run()

    _request(at, "anaglyph", "far")
    assert any("must look like 65mm" in e.value for e in at.error)
    assert not _events("post.request")

    _request(at, "anaglyph", "2m")
    assert "is waiting for a second person's approval" in at.success[0].value
    [rendered] = [e for e in _events("render") if e.details.get("public")]
    assert (rendered.details["stereo"], rendered.details["interocular_m"]) == ("anaglyph", 2.0)
    cat = bsu_models.open_catalogue()
    try:
        [post] = cat.posts.list_posts()
        picture = Image.open(io.BytesIO(cat.posts.preview(post.post_id))).convert("RGB")
    finally:
        cat.close()
    assert picture.size == bsu_models.PLATFORM_SIZES[post.platform]
    assert not picture.info  # public pictures carry no metadata, stereo or not
    pixels = np.asarray(picture, dtype=float)
    # Red (left eye) and cyan (right eye) part along the outlines of the model.
    parted = np.abs(pixels[:, :, 0] - pixels[:, :, 1:].mean(axis=2))
    assert (parted > 40).mean() > 0.01
    picture.save(app_env.parent / "anaglyph-post.png")
