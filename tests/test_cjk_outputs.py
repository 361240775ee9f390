"""Chinese text drawn with real glyphs in the PDF exhibit book and in public-post pictures: every
character of "證人 W1", "私家車 HK-1234" and "證物 P7 (刀)" leaves ink where the PDF says it is,
and a font without Chinese gives a different picture (the project's font is really used)."""

from __future__ import annotations

import html
import io
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bsu_models.public_image import render_public_image
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
