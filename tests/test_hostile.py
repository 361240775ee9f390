"""Hostile and broken uploads: each is refused with one sentence naming the file, the process
survives, and nothing is stored."""

from __future__ import annotations

import pytest

import bsu_models
from tests.hostile_corpus import HostileUpload, hostile_uploads

CORPUS = hostile_uploads()


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 20


@pytest.mark.parametrize("hostile", CORPUS, ids=lambda h: h.case_id)
def test_hostile_upload_is_refused_and_nothing_is_stored(sqlite_catalogue, hostile: HostileUpload):
    sqlite_catalogue.add_case("KC-2026-0666", "Hostile files")
    files = [bsu_models.UploadFile(name, data) for name, data in hostile.files]
    with pytest.raises(bsu_models.BsuError) as refused:
        sqlite_catalogue.import_model(files, case="KC-2026-0666", name="hostile")
    message = str(refused.value)
    assert hostile.files[0][0] in message, message
    assert "\n" not in message and "Traceback" not in message
    assert message.endswith("."), message
    assert list(sqlite_catalogue.blobs.keys()) == []
    assert list(sqlite_catalogue.blobs.stray_files()) == []
    assert sqlite_catalogue.list_models() == []
    refusal = sqlite_catalogue.audit_events(limit=1)[0]
    assert (refusal.action, refusal.outcome) == ("model.import", "refused")
    assert sqlite_catalogue.verify().ok
