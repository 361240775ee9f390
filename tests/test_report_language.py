"""Report sentences in the user's language: what checking an exhibit package found.

``BagReport.problems`` (and ``exhibit verify --json``) stay English; ``sentences(lang)`` gives
every finding in ``lang``, with file names as they are. The Chinese sentences come from the
catalogue (``bsu_models/locale/zh_HK``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bsu_models.court.bagit_package import make_bag, write_bag_dir
from bsu_models.court.bagit_verify import BagReport, verify_bag

ENGLISH = [
    "data/a.txt has changed: its SHA-256 is not the one in the manifest.",
    "data/b.txt is listed in the manifest but missing.",
    "data/extra.txt is in the bag but not in the manifest.",
    "notes.txt should not be in the bag: it is outside data/ and not listed in "
    "tagmanifest-sha256.txt.",
    "Payload-Oxum says 14.3 (bytes.files) but the bag holds 11.3.",
]
CHINESE = [
    "data/a.txt 已被更改：其 SHA-256 與清單所載的不符。",
    "data/b.txt 列於清單中，但找不到該檔案。",
    "data/extra.txt 在檔案包內，但不在清單中。",
    "notes.txt 不應在檔案包內：它位於 data/ 以外，亦未列於 tagmanifest-sha256.txt。",
    "Payload-Oxum 載明為 14.3（位元組.檔案數），但檔案包實際為 11.3。",
]


@pytest.fixture
def tampered_bag(tmp_path: Path) -> Path:
    """A bag with one file changed, one removed, one added in data/ and one added outside it."""
    folder = tmp_path / "bag"
    bag = make_bag({"a.txt": b"alpha", "b.txt": b"beta", "c.txt": b"gamma"}, {"BSU-Exhibit": "X"})
    write_bag_dir(bag, folder)
    (folder / "data" / "a.txt").write_bytes(b"alphA")
    (folder / "data" / "b.txt").unlink()
    (folder / "data" / "extra.txt").write_bytes(b"x")
    (folder / "notes.txt").write_bytes(b"left here")
    return folder


def test_bag_report_sentences_in_english_by_default(tampered_bag):
    report = verify_bag(tampered_bag)
    assert not report.valid
    assert report.sentences() == ENGLISH
    assert report.sentences("en") == ENGLISH
    assert report.problems == (ENGLISH[-1],)  # what `exhibit verify --json` shows
    assert [str(finding) for finding in report.findings] == list(report.problems)


def test_bag_report_sentences_in_chinese(tampered_bag):
    assert verify_bag(tampered_bag).sentences("zh_HK") == CHINESE


def test_a_bag_report_without_findings_shows_its_problems_as_they_are():
    report = BagReport(bag="x", problems=("Something odd.",))
    assert report.sentences("zh_HK") == ["Something odd."]


def test_a_clean_bag_has_no_sentences(tmp_path):
    write_bag_dir(make_bag({"a.txt": b"alpha"}, {}), tmp_path / "bag")
    report = verify_bag(tmp_path / "bag")
    assert report.valid and report.sentences("zh_HK") == []
