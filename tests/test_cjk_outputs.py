"""Chinese text drawn with real glyphs in the PDF exhibit book and in public-post pictures: every
character of "證人 W1", "私家車 HK-1234" and "證物 P7 (刀)" leaves ink where the PDF says it is,
and a font without Chinese gives a different picture (the project's font is really used).

Court stills and public pictures in Traditional Chinese: the fixed words (legend, caption, scale,
north letter, watermark) change and nothing else does."""

from __future__ import annotations

import html
import io
import re
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bsu_models.core.i18n import format_date, t, translator
from bsu_models.core.records import MeasuredValue
from bsu_models.render.overlay import Overlays
from bsu_models.render.overlay_furniture import _metres_text
from bsu_models.render.public_image import PUBLIC_WATERMARK, render_public_image
from bsu_models.scenes.scene_layer import MeasureLine, SceneLayer
from tests.test_exhibit_book import book_pdf, cjk_font, latin_font, poppler
from tests.test_public_image import yard

pytestmark = pytest.mark.render
LABELS = ("證人 W1", "私家車 HK-1234", "證物 P7 (刀)")
CJK = re.compile(r"[\u3400-\u9fff]")
DPI = 144


def _words(pdf: Path, page: int) -> list[tuple[str, float, float, float, float]]:
    """(text, x0, y0, x1, y1) in points of each word on ``page``, as poppler reads them."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out
    )
    return [(html.unescape(w), float(a), float(b), float(c), float(d)) for a, b, c, d, w in found]


def test_every_chinese_character_in_the_book_has_ink(book_pdf, tmp_path):
    pages = len(re.findall(r"<page ", subprocess.run(
        ["pdftotext", "-bbox", str(book_pdf), "-"], capture_output=True, text=True, check=True
    ).stdout))  # fmt: skip
    checked: set[str] = set()
    for page in range(1, pages + 1):
        words = [w for w in _words(book_pdf, page) if CJK.search(w[0])]
        if not words:
            continue
        prefix = tmp_path / f"p{page}"
        subprocess.run(
            ["pdftoppm", "-r", str(DPI), "-f", str(page), "-l", str(page), "-gray", "-png",
             str(book_pdf), str(prefix)],
            check=True,
        )  # fmt: skip
        [picture] = list(tmp_path.glob(f"p{page}*.png"))
        ink = np.asarray(Image.open(picture).convert("L")) < 140
        scale = DPI / 72
        for text, x0, y0, x1, y1 in words:
            # Chinese glyphs are full-width, Latin ones about half as wide: share the word's
            # box out by those widths to find each character.
            widths = [1.0 if CJK.match(c) else 0.5 for c in text]
            unit = (x1 - x0) / sum(widths)
            left = x0
            for char, share in zip(text, widths, strict=True):
                right = left + share * unit
                if CJK.match(char):
                    box = ink[
                        int(y0 * scale) : int(np.ceil(y1 * scale)),
                        int(left * scale) : int(np.ceil(right * scale)),
                    ]
                    assert box.sum() > 8, f"{char!r} on page {page} left no ink"
                    checked.add(char)
                left = right
        picture.unlink()
    wanted = {c for c in "".join(LABELS) if CJK.match(c)}
    assert wanted <= checked, f"not found in the book: {sorted(wanted - checked)}"


def _labelled(setup):  # type: ignore[no-untyped-def]
    """The yard scene with the three labels on people and things that may be shown."""
    cat, _version_id, scene_id = setup
    doc = cat.scenes.document(scene_id)
    names = iter(LABELS)
    for entity in doc.entities:
        if not entity.sensitive:
            label = next(names, None)
            if label is None:
                break
            doc = doc.with_entity(replace(entity, label=label))
    info = cat.scenes.save(scene_id, doc, cat.scenes.info(scene_id).revision, "labels in Chinese")
    return info.revision


def test_public_picture_draws_chinese_with_the_project_font(yard, latin_font):
    cat, version_id, scene_id = yard
    revision = _labelled(yard)

    def picture(catalogue):  # type: ignore[no-untyped-def]
        return render_public_image(
            catalogue, version_id, scene_id=scene_id, revision=revision, step=2, view=None,
            preset="plan", platform="square", caption="",
        )  # fmt: skip

    with_cjk = picture(cat)
    without = cat.__class__(replace(cat.settings, font_file=str(latin_font)))
    try:
        latin_only = picture(without)
    finally:
        without.close()
    a = np.asarray(Image.open(io.BytesIO(with_cjk)).convert("L")).astype(int)
    b = np.asarray(Image.open(io.BytesIO(latin_only)).convert("L")).astype(int)
    assert a.shape == b.shape
    differs = np.abs(a - b) > 40
    # No caption: only the labels can differ.
    assert differs.sum() > 300, "the Chinese labels look the same without CJK glyphs"


def test_fixed_words_of_pictures_in_chinese():
    zh = translator("zh_HK")
    assert _metres_text(20, zh) == "20 米" and _metres_text(0.5, zh) == "50 厘米"
    assert _metres_text(20) == "20 m" and _metres_text(0.5) == "50 cm"
    metres = MeasuredValue("distance", "W1 to V1", 12.345, 0.05, "m", True, "")
    line = MeasureLine((0, 0, 0), (1, 0, 0), metres.text, metres.message)
    assert line.text == "12.35 m ± 0.05 m" and line.text_in("zh_HK") == "12.35 米 ± 0.05 米"
    degrees = MeasuredValue("angle", "a", 30.0, 0.5, "°", True, "")
    assert MeasureLine((0, 0, 0), (1, 0, 0), degrees.text, degrees.message).text_in("zh_HK") == (
        "30.0° ± 0.5°"
    )
    layer = SceneLayer(measurements=(line,))
    assert layer.to_json("zh_HK")["measurements"][0]["text"] == "12.35 米 ± 0.05 米"
    assert layer.to_json()["measurements"][0]["text"] == "12.35 m ± 0.05 m"
    assert t(PUBLIC_WATERMARK, "zh_HK") == "香港警務處 · 模擬重演"
    assert t("Person: {types}", "zh_HK") == "人物：{types}"
    assert t("Rendered {date} by BSU Models", "zh_HK") == "由 BSU Models 於 {date} 製作"


def _grey(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("L")).astype(int)


def test_court_still_in_chinese_changes_only_its_fixed_words(yard):
    """One 1920 x 1080 still per language: only the legend, the north letter, the scale bar's
    unit and the caption band differ (the labels are the user's and stay as they are)."""
    cat, version_id, scene_id = yard

    def still(lang: str) -> np.ndarray:
        return _grey(
            cat.render_still(
                version_id, scene_id=scene_id, step=2, preset="plan", exhibit="P12",
                date_text=format_date(date(2026, 11, 25), lang), lang=lang,
                overlays=Overlays(measurements=False),  # its "m" in the middle would differ too
            ).png
        )  # fmt: skip

    english, chinese = still("en"), still("zh_HK")
    assert english.shape == chinese.shape == (1080, 1920)
    differs = np.abs(english - chinese) > 40
    legend = (slice(0, 320), slice(0, 520))
    north = (slice(0, 190), slice(1920 - 150, 1920))
    scale_bar = (slice(780, 936), slice(0, 520))
    caption = (slice(936, 1080), slice(0, 1920))
    allowed = np.zeros_like(differs)
    for region in (legend, north, scale_bar, caption):
        allowed[region] = True
        assert differs[region].sum() > 30, f"{region} is the same in both languages"
    assert not (differs & ~allowed).any(), "the picture itself changed with the language"
    # The Chinese legend is drawn with real glyphs: it has ink.
    assert (chinese[legend] < 100).sum() > 800


def test_public_picture_band_in_chinese(yard):
    """The band's watermark text is translated; the officer's caption is drawn as written."""
    cat, version_id, scene_id = yard

    def picture(lang: str) -> np.ndarray:
        return _grey(
            render_public_image(
                cat, version_id, scene_id=scene_id, revision=2, step=2, view=None,
                preset="plan", platform="landscape", caption="天橋搶劫 重組", lang=lang,
            )
        )  # fmt: skip

    english, chinese = picture("en"), picture("zh_HK")
    differs = np.abs(english - chinese) > 40
    band = slice(int(630 * 0.8), 630)
    assert differs[band, 900:].sum() > 100, "the watermark text is the same in both languages"
    assert not differs[band, :700].any(), "the caption changed with the language"


def test_every_symbol_of_the_pages_is_drawn_by_the_cjk_font(cjk_font: Path) -> None:
    """Pages in Chinese are drawn in Noto Sans CJK: a symbol it lacks (⛔, ✗) shows as an empty
    box. Every symbol in the pages' source and in the Chinese translations must be in it."""
    import unicodedata

    from fontTools.ttLib import TTCollection, TTFont

    font = TTCollection(str(cjk_font)).fonts[0] if cjk_font.suffix == ".ttc" else TTFont(cjk_font)
    covered = set(font.getBestCmap())
    root = Path(__file__).resolve().parent.parent
    texts = [p.read_text() for p in (root / "viewer").rglob("*.py")]
    texts.append((root / "bsu_models/locale/zh_HK/LC_MESSAGES/bsu_models.po").read_text())
    symbols = {
        c
        for text in texts
        for c in text
        if unicodedata.category(c) in ("So", "Sm") and ord(c) > 0x7F
    }
    missing = sorted(c for c in symbols if ord(c) not in covered)
    assert not missing, f"not in {cjk_font.name}: {' '.join(missing)}"
