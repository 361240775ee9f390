"""The exhibit book's statement of method says when its pictures are lit by the sun: the place,
the date and zone, the ephemeris (pvlib's SPA, with its version), each step's sun as the
pictures' captions give it, or why the pictures are not sunlit."""

from __future__ import annotations

import dataclasses
from importlib.metadata import version as distribution_version
from pathlib import Path

import pytest

import bsu_models
from bsu_models import Step
from bsu_models.court.exhibit_book import build_exhibit_book
from bsu_models.court.exhibit_method import method_statement
from tests import test_exhibit_book, test_sunlit_stills
from tests.test_exhibit_book import make_book, page_texts
from tests.test_sunlit_stills import HKO

pytestmark = pytest.mark.render
#: The located block and one with no place on Earth (fixtures shared with the stills' tests).
block = test_sunlit_stills.block
cjk_font = test_exhibit_book.cjk_font
poppler = test_exhibit_book.poppler


def _doc(date: str | None) -> bsu_models.SceneDoc:
    steps = (Step("s1", "Arrives", "17:30"), Step("s2", "Leaves", "21:00"))
    return bsu_models.SceneDoc(name="Walk", steps=steps, date=date)


def _method_text(version, doc, font: Path, tmp_path: Path, lang: str = "en") -> str:
    method = method_statement(version, doc, {}, [], [], [], None, lang)
    book = dataclasses.replace(make_book(big=False), method_statement=method)
    pdf = tmp_path / f"book-{lang}.pdf"
    pdf.write_bytes(build_exhibit_book(book, font, lang))
    texts = page_texts(pdf)
    method_page = next(i for i, t in enumerate(texts) if "Scale and units" in t or "比例" in t)
    return " ".join(" ".join(texts[method_page : method_page + 2]).split())


def test_method_states_the_sun_of_a_dated_located_scene(block, cjk_font, poppler, tmp_path):
    _system, version, _unlocated = block
    text = _method_text(version, _doc("2026-06-21"), cjk_font, tmp_path)
    assert "Sunlight" in text
    assert f"latitude {HKO[0]}°, longitude {HKO[1]}°, WGS84" in text
    assert "incident date 2026-06-21, clock times read in the zone Asia/Hong_Kong" in text
    assert "Solar Position Algorithm" in text and f"pvlib {distribution_version('pvlib')}" in text
    assert "1013.25 hPa and 12 °C" in text
    # Each step's sun as its still's caption gives it, the one after sunset said to be down.
    assert "azimuth 287.7° from true north, elevation 20.7°" in text
    assert "after sunset (elevation -22.3°): no sunlight; lit for legibility" in text
    assert "Only the direction of direct sunlight is modelled" in text


def test_method_says_why_pictures_are_not_sunlit(block, cjk_font, poppler, tmp_path):
    _system, version, unlocated = block
    undated = _method_text(version, _doc(None), cjk_font, tmp_path)
    assert "The pictures are not lit by the sun (the scene has no incident date)" in undated
    assert "Solar Position Algorithm" not in undated
    nowhere = _method_text(unlocated, _doc("2026-06-21"), cjk_font, tmp_path)
    assert "(the model version has no place on Earth)" in nowhere


def test_method_states_the_sun_in_chinese(block, cjk_font, poppler, tmp_path):
    _system, version, _unlocated = block
    doc = _doc("2026-06-21")
    text = _method_text(version, doc, cjk_font, tmp_path, "zh_HK")
    assert "Sunlight" not in text and "Solar Position Algorithm" in text  # the name stays
    assert "pvlib" in text and "2026-06-21" in text and "WGS84" in text
