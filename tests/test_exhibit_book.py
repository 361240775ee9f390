"""The exhibit book PDF: pages, Chinese text, embedded font, wrapping, determinism.

Text is read back with poppler's ``pdftotext``, not pypdf: fpdf2 gives a CID-keyed CFF font
(Noto Sans CJK) an embedded CMap as its /Encoding, which pypdf 7 reads as one-byte codes (every
character comes back after a NUL); poppler, like PDF viewers, reads it. pypdf checks the page
count and the metadata. Pages are rendered with ``pdftoppm`` to check ink and margins, and the
first step page is saved to ``test-artifacts/screenshots/`` (git-ignored) for people to look at.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from bsu_models.core.errors import InvalidInput, InvalidSetting
from bsu_models.court.book_review import BookReview
from bsu_models.court.exhibit_book import (
    BookEntity,
    BookMeasurement,
    BookSightline,
    BookStep,
    ExhibitBook,
    book_font,
    build_exhibit_book,
)
from bsu_models.court.exhibit_cctv import BookCamera
from bsu_models.render.fonts import font_path
from bsu_models.scenes.scene_review import CHECKLIST
from tests.conftest import MARKUP

REPO = Path(__file__).resolve().parents[1]
# The running header and the footer lines (page numbers, and the label every page carries).
FOOTERS = r".*(Exhibit P12 · KCDIST|page \d+ of|\(continued\)|Illustrative demonstrative aid).*"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
LABELS = ("證人 W1", "私家車 HK-1234", "證物 P7 (刀)")
SHA = hashlib.sha256(b"scene 7 revision 3").hexdigest()
LONG_TOKEN = "sha256:" + "0123456789abcdef" * 12  # 199 characters without a break
SENTENCES = tuple(
    f"第{i}句：證人話「我見到架私家車好快咁駛過嚟㗎」，佢嘅車牌係 HK-1234。" for i in range(70)
)
DPI = 100


def still(width: int, height: int, tint: int) -> bytes:
    """A picture like a rendered still: sky, ground, a block and thin lines."""
    image = Image.new("RGB", (width, height), (205, 215, 228))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 0.6, width, height), fill=(150, 150, 140))
    draw.rectangle(
        (width * 0.3, height * 0.3, width * 0.55, height * 0.7), fill=(170, 40 + tint, 50)
    )
    for x in range(0, width, width // 16):
        draw.line(
            (x, height, width / 2, height * 0.6), fill=(40, 40, 60), width=max(1, width // 800)
        )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def make_book(big: bool = True, chinese: bool = True) -> ExhibitBook:
    labels = LABELS if chinese else ("Witness W1", "Car HK-1234", "Exhibit P7 (knife)")
    entities = (
        BookEntity(
            labels[0],
            "person",
            "witness_statement",
            "W1 statement p.3",
            (12.3456, -4.2, 1.6),
            (1.0, 2.0, 3.0),
            None,
        ),
        BookEntity(
            labels[1],
            "vehicle",
            "cctv",
            "CCTV camera 3, 21:03:12",
            (20.0, 5.5, 0.0),
            (4.0, 5.0, 0.0),
            92.0,
            carried_from=1,
        ),
        BookEntity(labels[2], "exhibit", "measured", "", None, None, None),
    )
    measurements = (
        BookMeasurement(f"{labels[0]} to {labels[1]}", "distance", "30.00 m ± 0.05 m"),
        BookMeasurement("Kerb height", "height", "0.15 m ± 0.01 m"),
    )
    sightlines = (
        BookSightline(labels[0], labels[1], "clear"),
        BookSightline(labels[0], labels[2], "blocked at (3.10, 4.20, 1.00)"),
    )
    size = (3508, 2480) if big else (700, 495)
    first = "私家車 HK-1234 駛入路口，證人話：「係佢嘅車嚟㗎！」 <b>x</b> **x** {nb}"
    long = " ".join(SENTENCES) if chinese else "Plain words. " * 400
    steps = (
        BookStep(
            1,
            "Arrival 抵達" if chinese else "Arrival",
            "21:01",
            first if chinese else "Start.",
            still(*size, 0),
            "stills/step-01.png",
            entities,
            measurements,
            sightlines,
        ),
        BookStep(
            2,
            "The car passes",
            "21:03",
            long,
            still(700, 495, 60),
            "stills/step-02.png",
            entities[:2],
            measurements[:1],
            sightlines[:1],
        ),
        BookStep(
            3, "After", None, "Nothing moves.", still(*size, 120), "stills/step-03.png", (), (), ()
        ),
    )
    return ExhibitBook(
        case_reference="KCDIST 240305-1",
        case_title="R v. 陳大文 (尖沙咀)" if chinese else "R v. Chan",
        exhibit_number="P12",
        producer="PC 12345 Chan, Briefing Support Unit",
        produced_on="2024-03-05",
        scene_name="彌敦道 junction" if chinese else "Nathan Road junction",
        scene_id=7,
        revision=3,
        revision_sha256=SHA,
        frozen_by="Sgt Wong",
        frozen_on="2024-03-01",
        model_facts=(
            ("Model", "Nathan Road block"),
            ("Original SHA-256", SHA),
            ("Units", "metres"),
            ("Long value", LONG_TOKEN),
        ),
        steps=steps,
        method=(
            "The model was built from a laser survey.",
            "Positions come from CCTV and statements.",
        ),
        package_files=(("stills/step-01.png", SHA), ("scene.json", SHA), (LONG_TOKEN, SHA)),
    )


@pytest.fixture(scope="module")
def cjk_font() -> Path:
    try:
        return Path(font_path()[0])
    except InvalidSetting:
        pytest.skip("Noto Sans CJK is missing; scripts/setup.sh --test installs fonts-noto-cjk.")


@pytest.fixture(scope="module")
def poppler() -> None:
    for tool in ("pdftotext", "pdftoppm", "pdffonts"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is missing; scripts/setup.sh --test installs poppler-utils.")


@pytest.fixture(scope="module")
def book_pdf(cjk_font: Path, poppler: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("book") / "book.pdf"
    path.write_bytes(build_exhibit_book(make_book(), cjk_font))
    return path


def page_texts(pdf: Path) -> list[str]:
    count = len(PdfReader(pdf).pages)
    return [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for n in range(1, count + 1)
    ]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def render(pdf: Path, page: int, out: Path, dpi: int = DPI) -> np.ndarray:
    command = ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "-f", str(page), "-l", str(page)]
    subprocess.run([*command, str(pdf), str(out.with_suffix(""))], check=True)
    return np.asarray(Image.open(out).convert("L"))


def test_pages_text_and_footers(book_pdf: Path) -> None:
    texts = page_texts(book_pdf)
    total = len(texts)
    for number, text in enumerate(texts, start=1):
        footer = f"KCDIST 240305-1 · Exhibit P12 · scene 7 revision 3 · page {number} of {total}"
        assert footer in text, number
        assert "Exhibit P12 · KCDIST 240305-1 · R v. 陳大文 (尖沙咀)" in text, number
    assert "Exhibit P12" in texts[0] and "彌敦道 junction (scene 7)" in texts[0]
    assert "3, frozen for court by Sgt Wong on 2024-03-01" in texts[0]
    assert SHA in squash(texts[0])
    assert SHA in squash(texts[1]) and LONG_TOKEN in squash(texts[1])  # wrapped, not cut
    starts = [next(i for i, t in enumerate(texts) if f"Step {n} of 3 ·" in t) for n in (1, 2, 3)]
    assert starts[0] == 2 and starts[0] < starts[1] < starts[2]
    assert "Step 1 of 3 · 21:01 · Arrival 抵達" in texts[starts[0]]
    assert "Step 3 of 3 · After" in texts[starts[2]]
    step1 = "".join(texts[starts[0] : starts[1]])
    for label in LABELS:
        assert label in step1
    assert "12.35 / -4.20 / 1.60" in step1 and "not placed" in step1 and "92°" in step1
    assert "Witness statement: W1 statement p.3" in step1 and "CCTV: CCTV camera 3" in step1
    assert "(carried from step 1)" in step1
    assert "30.00 m ± 0.05 m" in step1 and "blocked at (3.10, 4.20, 1.00)" in step1
    # Plain text: markup and fpdf2's page-count alias are printed as typed.
    assert "<b>x</b> **x** {nb}" in step1 and "「係佢嘅車嚟㗎！」" in squash(step1)
    # The long narrative runs over several pages, each headed "(continued)", and every
    # sentence is there exactly once, nothing clipped.
    step2 = texts[starts[1] : starts[2]]
    assert len(step2) >= 2 and all("Step 2 of 3 (continued)" in t for t in step2[1:])
    body = squash(
        "".join(
            re.sub(FOOTERS, "", t) for t in step2
        )
    )
    for sentence in SENTENCES:
        assert body.count(squash(sentence)) == 1, sentence
    assert "No entities are placed at this step." in "".join(texts[starts[2] : -2])
    assert "Statement of method" in texts[-2] and "laser survey" in texts[-2]
    assert "Annex: files of the exhibit package" in texts[-1]
    assert LONG_TOKEN + SHA in squash(texts[-1])


def test_metadata_and_embedded_font(book_pdf: Path) -> None:
    meta = PdfReader(book_pdf).metadata
    assert meta is not None
    assert meta.title == "Exhibit P12 · KCDIST 240305-1"
    assert meta.author == "PC 12345 Chan, Briefing Support Unit"
    assert meta.subject is not None and SHA in meta.subject and "彌敦道" in meta.subject
    assert meta.creator == "BSU Models exhibit book"
    assert meta["/CreationDate"] == "D:20240305000000Z"  # from produced_on, not the clock
    fonts = subprocess.run(
        ["pdffonts", str(book_pdf)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert len(fonts) == 1 and "NotoSansCJKHK" in fonts[0]
    assert fonts[0].split()[-5:-2] == ["yes", "yes", "yes"]  # embedded, subset, ToUnicode


def test_step_page_has_glyphs_and_stays_in_margins(book_pdf: Path, tmp_path: Path) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = render(book_pdf, 3, SCREENSHOTS / "exhibit-book-step.png")
    words = subprocess.run(
        ["pdftotext", "-bbox", "-f", "3", "-l", "3", str(book_pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    boxes = re.findall(
        r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)<', words
    )
    chinese = [box for box in boxes if re.search(r"[\u3400-\u9fff]", box[4])]
    assert {"證人", "私家車", "證物"} <= {box[4] for box in chinese}
    for *corners, word in chinese:  # every Chinese word draws ink where pdftotext says it is
        x0, y0, x1, y1 = (round(float(v) * DPI / 72) for v in corners)
        assert (page[y0:y1, x0:x1] < 180).sum() > 10 * len(word), word
    mm = 50 / 25.4  # pixels per millimetre in the margin check, rendered at 50 dpi
    for number in range(1, len(PdfReader(book_pdf).pages) + 1):
        ink = render(book_pdf, number, tmp_path / f"p{number}.png", 50) < 200
        assert abs(ink.shape[1] - 297 * mm) <= 1 and abs(ink.shape[0] - 210 * mm) <= 1
        assert not ink[:, : round(14 * mm)].any(), f"page {number} crosses the left margin"
        assert not ink[:, round(283 * mm) :].any(), f"page {number} crosses the right margin"
        assert not ink[round(205 * mm) :, :].any(), f"page {number} runs off the bottom"


def test_same_input_same_bytes_in_another_process(cjk_font: Path) -> None:
    here = build_exhibit_book(make_book(big=False), cjk_font)
    code = (
        "import sys, hashlib; sys.path.insert(0, 'tests'); import test_exhibit_book as t; "
        "from pathlib import Path; "
        f"data = t.build_exhibit_book(t.make_book(big=False), Path({str(cjk_font)!r})); "
        "print(hashlib.sha256(data).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    there = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    assert there == hashlib.sha256(here).hexdigest()
    assert build_exhibit_book(make_book(big=False), cjk_font) == here


@pytest.fixture(scope="module")
def latin_font(cjk_font: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A font without Chinese: Noto's own Latin-1 glyphs, cut out with fontTools."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    face = TTFont(str(cjk_font), fontNumber=font_path()[1])
    cutter = subset.Subsetter(subset.Options(name_IDs=["*"], notdef_outline=True))
    cutter.populate(unicodes=range(0x20, 0x100))
    cutter.subset(face)
    path = tmp_path_factory.mktemp("font") / "latin.otf"
    face.save(str(path))
    return path


def test_chinese_without_a_chinese_font_is_refused(latin_font: Path) -> None:
    """Drawing boxes in place of a witness's words would be worse than no exhibit."""
    with pytest.raises(InvalidSetting, match=r"needs a CJK font file.*BSU_FONT_FILE"):
        build_exhibit_book(make_book(big=False), None)
    with pytest.raises(
        InvalidSetting, match=r"no glyphs for \d+ characters.*BSU_FONT_FILE"
    ) as caught:
        build_exhibit_book(make_book(big=False), latin_font)
    assert "(陳 大 文 尖" in str(caught.value) and str(latin_font) in str(caught.value)
    with pytest.raises(InvalidSetting, match="is not a file"):
        build_exhibit_book(make_book(big=False), latin_font.with_name("missing.otf"))


def test_latin_only_book_needs_no_font_file(
    latin_font: Path, poppler: None, tmp_path: Path
) -> None:
    for font_file, expected in ((None, "Helvetica"), (latin_font, "NotoSansCJKHK")):
        path = tmp_path / "latin.pdf"
        path.write_bytes(build_exhibit_book(make_book(big=False, chinese=False), font_file))
        text = "".join(page_texts(path))
        assert "Step 1 of 3 · 21:01 · Arrival" in text and "Witness W1" in text
        assert "30.00 m ± 0.05 m" in text and "frozen for court by Sgt Wong" in text
        fonts = subprocess.run(
            ["pdffonts", str(path)], check=True, capture_output=True, text=True
        ).stdout
        assert expected in fonts


def test_a_still_that_is_not_a_picture_is_refused(cjk_font: Path) -> None:
    book = make_book(big=False)
    broken = dataclasses.replace(book.steps[0], still_png=b"not a png")
    with pytest.raises(InvalidInput, match=r"stills/step-01\.png of step 1 is not a PNG"):
        build_exhibit_book(dataclasses.replace(book, steps=(broken,)), cjk_font)


def test_a_table_row_taller_than_a_page_is_split_not_lost(
    cjk_font: Path, poppler: None, tmp_path: Path
) -> None:
    """fpdf2 refuses a table row higher than a page; the book splits it into several rows."""
    book = make_book(big=False)
    huge = BookSightline(LABELS[0], LABELS[1], " ".join(SENTENCES * 2))
    tall = dataclasses.replace(book.steps[0].entities[0], label="長" * 900)
    step = dataclasses.replace(book.steps[0], entities=(tall,), sightlines=(huge,))
    path = tmp_path / "tall.pdf"
    path.write_bytes(build_exhibit_book(dataclasses.replace(book, steps=(step,)), cjk_font))
    pages = [
        re.sub(FOOTERS, "", t)
        for t in page_texts(path)
    ]
    # Rows continued on the next page have the column headings again in the middle.
    text = squash("".join(pages)).replace("ObserverTargetVerdict", "")
    assert text.count("長") == 900
    for sentence in SENTENCES:
        assert text.count(squash(sentence)) == 2, sentence


def test_book_font_finds_the_configured_or_installed_font(cjk_font: Path, tmp_path: Path) -> None:
    assert book_font("") == cjk_font
    assert book_font(str(cjk_font)) == cjk_font
    with pytest.raises(InvalidSetting, match="BSU_FONT_FILE"):
        book_font(str(tmp_path / "missing.ttc"))


def test_sensitive_entities_headings_and_scene_measurements(
    cjk_font: Path, poppler: None, tmp_path: Path
) -> None:
    book = make_book(big=False)
    secret = dataclasses.replace(book.steps[0].entities[2], sensitive=True)
    first = dataclasses.replace(book.steps[0], entities=(*book.steps[0].entities[:2], secret))
    headless = tuple(dataclasses.replace(e, heading_deg=None) for e in book.steps[0].entities)
    second = dataclasses.replace(book.steps[1], entities=headless)
    route = BookMeasurement("V1 route", "path length", "42.00 m ± 0.10 m")
    book = dataclasses.replace(
        book, steps=(first, second, book.steps[2]), scene_measurements=(route,)
    )
    path = tmp_path / "book.pdf"
    path.write_bytes(build_exhibit_book(book, cjk_font))
    texts = page_texts(path)
    starts = [next(i for i, t in enumerate(texts) if f"Step {n} of 3 ·" in t) for n in (1, 2, 3)]
    step1, step2 = "".join(texts[starts[0] : starts[1]]), texts[starts[1]]
    assert "Sensitive" in step1 and "Sensitive: never shown in public material." in step1
    assert "Sensitive" not in step2
    assert "Handling" in texts[0] and "never to be published" in texts[0]
    assert "Heading" in step1 and "92°" in step1
    assert "Heading" not in step2  # no entity of step 2 has a heading: no empty column
    assert "East and north of the model file's origin (0, 0, 0)" in step1
    # A measurement over the whole scene is shown once, on the model page.
    assert "Measurements over the whole scene" in texts[1] and "42.00 m ± 0.10 m" in texts[1]
    assert "".join(texts).count("V1 route") == 1
    assert "it cannot list its own hash" in texts[-1]


def test_a_typical_step_fits_on_one_page(cjk_font: Path, poppler: None, tmp_path: Path) -> None:
    book = make_book(big=True, chinese=False)
    entity = book.steps[0].entities[0]
    six = tuple(dataclasses.replace(entity, label=f"Person {n}") for n in range(6))
    measures = tuple(BookMeasurement(f"M{n}", "distance", "3.00 m ± 0.05 m") for n in range(3))
    step = dataclasses.replace(
        book.steps[0],
        narrative="The car turns left into the junction; the witness stands by the bus stop.",
        entities=six,
        measurements=measures,
    )
    path = tmp_path / "one.pdf"
    path.write_bytes(build_exhibit_book(dataclasses.replace(book, steps=(step,)), cjk_font))
    texts = page_texts(path)
    assert len(texts) == 6  # cover, model, the step, technical review, method, annex
    assert not any("(continued)" in t for t in texts)
    assert "Person 5" in texts[2] and "M2" in texts[2] and "Sightlines" in texts[2]


# The newest free-text fields: review findings and a CCTV frame's source.
# fpdf2 would put the page count for {nb} if the text were not taken as typed.
TYPED = MARKUP + " {nb}"


def test_review_findings_and_cctv_sources_are_printed_as_typed(
    cjk_font: Path, poppler: None, tmp_path: Path
) -> None:
    book = make_book(big=False, chinese=False)
    review = BookReview(
        reviewer="Sgt <b>Lee</b>",
        reviewed_on="2024-03-01",
        reviewed_at_utc="2024-03-01T10:00:00+00:00",
        decision="approved",
        revision=3,
        revision_sha256=SHA,
        findings=tuple((item, f"{item}: {TYPED}") for item in CHECKLIST),
    )
    camera = BookCamera(
        "CAM 7",
        still(700, 495, 30),
        "cctv/c1-through-camera.png",
        (("CCTV camera", f"camera {TYPED}"), ("Exhibit of the footage", f"exhibit {TYPED}")),
        (),
        (),
        (),
    )
    path = tmp_path / "markup.pdf"
    path.write_bytes(
        build_exhibit_book(
            dataclasses.replace(book, steps=book.steps[:1], review=review, cameras=(camera,)),
            cjk_font,
        )
    )
    text = squash("".join(page_texts(path)))
    for item in CHECKLIST:
        assert squash(f"{item}: {TYPED}") in text, item
    assert squash(f"camera {TYPED}") in text and squash(f"exhibit {TYPED}") in text
    assert squash("Sgt <b>Lee</b>") in text


def test_a_scene_without_steps_shows_the_model_picture(cjk_font: Path, tmp_path: Path) -> None:
    book = dataclasses.replace(make_book(big=False), steps=(), model_still_png=still(700, 495, 30))
    reader = PdfReader(io.BytesIO(build_exhibit_book(book, cjk_font)))
    assert len(reader.pages[1].images) == 1
    assert "stills/model.png" in reader.pages[1].extract_text().replace("\x00", "")


def test_the_book_in_traditional_chinese(
    cjk_font: Path, latin_font: Path, poppler: None, tmp_path: Path
) -> None:
    """The book's own words in Chinese; the text given to it (here English) is as written. Its
    Chinese words need a CJK font even when all that text is Latin-1."""
    book = make_book(big=False, chinese=False)
    with pytest.raises(InvalidSetting, match="needs a CJK font file"):
        build_exhibit_book(book, None, "zh_HK")
    with pytest.raises(InvalidSetting, match=r"no glyphs for \d+ characters"):
        build_exhibit_book(book, latin_font, "zh_HK")
    path = tmp_path / "zh.pdf"
    path.write_bytes(build_exhibit_book(book, cjk_font, "zh_HK"))
    texts = [squash(text) for text in page_texts(path)]
    total = len(texts)
    for number, text in enumerate(texts, start=1):
        assert f"KCDIST240305-1·證物P12·場景7第3次修訂·第{number}頁，共{total}頁" in text
    assert "封面" in texts[0] and "3次修訂，由SgtWong於2024-03-01凍結以供法庭使用" in texts[0]
    assert "步驟1／3·21:01·Arrival" in texts[2] and "Witness W1".replace(" ", "") in texts[2]
    assert "證人口供：W1statementp.3" in texts[2] and "方向" in texts[2] and "92°" in texts[2]
    assert "方法說明" in texts[-2] and "laser survey".replace(" ", "") in texts[-2]
    assert "附件：證物檔案包內的檔案" in texts[-1]
    meta = PdfReader(path).metadata
    assert meta is not None and meta.title == "證物 P12 · KCDIST 240305-1"
    assert meta.creator == "BSU Models 證物冊"
