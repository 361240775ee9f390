"""Stereo stills: two eyes' pictures side by side or as a red-cyan anaglyph, with the scene's
marks drawn where each eye's own camera sees them."""

from __future__ import annotations

import io
from dataclasses import fields

import numpy as np
import pytest
from PIL import Image

import bsu_models
from bsu_models.cli.commands import main
from bsu_models.render.overlay import Overlays
from bsu_models.render.stereo import eye_cameras, parse_interocular
from tests.test_print import import_bunny
from tests.test_stills import yard  # the fixture

pytestmark = pytest.mark.render
#: Where the yard's people and things stand at step 1 (``tests.test_stills.yard``).
SPOTS = {
    "w1": (-300.0, 0.0, 0.0),
    "v1": (300.0, 100.0, 0.0),
    "c1": (300.0, -200.0, 0.0),
    "p7": (200.0, 150.0, 0.0),
}


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(float)


def _still(yard, stereo=None, overlays=None, size="1920x1080", eyes=2.0):  # type: ignore[no-untyped-def]
    cat, version, scene_id = yard
    return cat.render_still(
        version.version_id,
        scene_id=scene_id,
        step=1,
        preset="iso",
        size=size,
        stereo=stereo,
        interocular_m=eyes,  # a 100 m yard seen from 200 m: a wide base to see its depth
        overlays=overlays,
        date_text="5 Dec 2026",
    )


def test_side_by_side_halves_differ_and_agree(yard):
    still = _still(yard, "side-by-side")
    image = _pixels(still.png)
    assert still.size == (1920, 1080) and image.shape == (1080, 1920, 3)
    top = image[:900]  # above the caption band, which spans both halves
    left, right = top[:, :960].mean(axis=2), top[:, 960:].mean(axis=2)
    assert (np.abs(left - right) > 30).sum() > 500
    assert np.corrcoef(left.ravel(), right.ravel())[0, 1] > 0.9
    assert Image.open(io.BytesIO(still.png)).text["stereo"] == "side-by-side"


def _normal(a: np.ndarray) -> np.ndarray:
    return (a - a.mean()) / (a.std() or 1.0)


def _shifts(
    a: np.ndarray, b: np.ndarray, size: int = 120, reach: int = 10
) -> list[tuple[int, int]]:
    """The (horizontal, vertical) shift of ``b`` that best matches ``a`` in each window with
    detail (channels compared after scaling each window to zero mean and unit spread)."""
    found = []
    inner = (slice(reach, size - reach), slice(reach, size - reach))
    for top in range(reach, a.shape[0] - size - reach, size):
        for left in range(reach, a.shape[1] - size - reach, size):
            window = a[top : top + size, left : left + size]
            if window.std() < 12:
                continue
            target = _normal(window)[inner]
            scores = {}
            for dy in range(-reach, reach + 1):
                for dx in range(-reach, reach + 1):
                    moved = b[top - dy : top - dy + size, left - dx : left - dx + size]
                    scores[(dx, dy)] = float(((target - _normal(moved)[inner]) ** 2).mean())
            found.append(min(scores, key=scores.get))  # type: ignore[arg-type]
    return found


def test_anaglyph_channels_show_horizontal_disparity(sqlite_catalogue, testdata):
    """The scanned bunny (15 cm) as a red-cyan anaglyph, eyes 1 cm apart."""
    cat = sqlite_catalogue
    cat.add_case("KC-2026-0142", "Bunny")
    bunny = import_bunny(cat, testdata)
    options = dict(preset="iso", size="1920x1080", date_text="5 Dec 2026")
    plain = _pixels(cat.render_still(bunny.version_id, **options).png)
    image = _pixels(
        cat.render_still(bunny.version_id, stereo="anaglyph", interocular_m=0.01, **options).png
    )
    assert image.shape == plain.shape
    band = image[150:850, 500:1420]
    red, cyan = band[:, :, 0], band[:, :, 1:].mean(axis=2)
    # Red (the left eye) and cyan (the right eye) are the same picture moved sideways, one way
    # in front of the focal point and the other way behind it; not up or down.
    shifts = _shifts(red, cyan)
    horizontal = [h for h, _v in shifts]
    assert len(shifts) > 10
    assert max(horizontal) >= 2 and min(horizontal) <= -2, shifts
    level = [v for _h, v in shifts if abs(v) <= 1]
    assert len(level) >= 0.8 * len(shifts), shifts
    # Colour is kept: the anaglyph's background is still the still's light grey.
    assert np.abs(image[50, 50] - plain[50, 50]).max() < 40


def test_marks_stand_where_each_eye_sees_them(yard):
    """Only the markers drawn: in each half, the markers lie where that eye's camera projects
    the people's positions, so they stand at the depth of the ground they are on."""
    from bsu_models.render.still_service import choose_camera, version_mesh
    from bsu_models.render.stills import _projector, _render_model

    cat, version, _scene_id = yard
    names = [f.name for f in fields(Overlays)]
    only = {n: n == "markers" for n in names}
    bare = _pixels(
        _still(yard, "side-by-side", Overlays(**dict.fromkeys(names, False)), eyes=20).png
    )
    marks = _pixels(_still(yard, "side-by-side", Overlays(**only), eyes=20).png)
    drawn = np.abs(marks - bare).sum(axis=2) > 60
    camera, _saved = choose_camera(cat.scenes, version, None, None, "iso")
    eyes = eye_cameras(camera, 20.0 / 0.1, 960 / 1080)  # 20 m at 0.1 m per model unit
    mesh = version_mesh(cat.ctx, version)
    seen = []
    for half, eye in enumerate(eyes):
        _image, world_to_clip = _render_model(mesh, eye, (960, 1080))
        expected = _projector(world_to_clip, (960, 1080))(np.array(list(SPOTS.values())))
        seen.append(expected)
        for x, y in expected:
            # Small windows: two of the marks stand about 50 pixels apart.
            left = half * 960 + int(x)
            rows, cols = np.nonzero(drawn[int(y) - 20 : int(y) + 20, left - 20 : left + 20])
            assert len(rows) > 30, (half, x, y)
            assert cols.mean() - 20 == pytest.approx(0, abs=4)
            assert rows.mean() - 20 == pytest.approx(0, abs=4)
    # The eyes see each person at places far enough apart that a mark drawn with the wrong
    # eye's camera would have failed above; and at the same height.
    disparity = seen[0] - seen[1]
    assert np.abs(disparity[:, 0]).max() > 10
    assert np.abs(disparity[:, 1]).max() < 0.5


def test_cli_stereo_and_interocular(
    yard,
    tmp_path,
    monkeypatch,
    capsys,
):
    cat, version, _scene_id = yard
    monkeypatch.setenv("BSU_DATA_DIR", str(cat.settings.data_dir))
    monkeypatch.setenv("BSU_DATABASE_URL", cat.settings.database_url)
    out = tmp_path / "pair.png"
    args = ["render", str(version.version_id), "--preset", "plan", "--out", str(out)]
    assert main([*args, "--stereo", "anaglyph", "--interocular", "1.5m", "--json"]) == 0
    assert '"stereo": "anaglyph"' in capsys.readouterr().out
    assert Image.open(out).text["interocular-m"] == "1.5"
    event = cat.audit_events(limit=1)[0]
    assert (event.details["stereo"], event.details["interocular_m"]) == ("anaglyph", 1.5)
    assert main([*args, "--stereo", "anaglyph", "--interocular", "far"]) == 2
    assert "must look like 65mm" in capsys.readouterr().err
    assert parse_interocular("65") == pytest.approx(0.065)
    assert parse_interocular("6.5cm") == pytest.approx(0.065)
    with pytest.raises(bsu_models.InvalidInput, match="more than 0"):
        cat.render_still(version.version_id, preset="plan", stereo="anaglyph", interocular_m=0)
