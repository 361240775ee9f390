"""Public video posts: the protected witness (magenta) is in no frame of the public video while
the court video of the same revision shows them; every frame carries the band of public pictures;
the public MP4 has no tags and no encoder strings; the requester cannot approve the post, and
only the approved bytes download. Frames decoded here are saved to ``test-artifacts/screenshots/``
for people to look at."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

import bsu_models
from bsu_models import AccessDenied
from bsu_models.render.public_image import BAND_COLOUR
from tests.conftest import make_settings, upload
from tests.test_public_image import CASE, SECRET_LABEL, SECRET_NOTES, TEAL, _magenta, _near, _scene
from tests.test_video import decode, probe, top_boxes

pytestmark = pytest.mark.render
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery"
CAPTION = "呼籲證人 Appeal for witnesses: footbridge, 21:03"
FAST = {"fps": 2, "seconds_per_step": 1.0}


@pytest.fixture(scope="module")
def posted(tmp_path_factory):
    """A yard (mm, 1:100) with the two-step scene of the public-picture tests; a media officer
    who is also an approver requests a square video post of it."""
    root = tmp_path_factory.mktemp("public-video")
    system = bsu_models.open_catalogue(make_settings(root / "data"))
    system.add_case(CASE, "旺角 Mong Kok")
    ground = trimesh.creation.box(extents=(1000, 600, 10))
    ground.apply_translation((0, 0, -5))
    wall = trimesh.creation.box(extents=(20, 400, 300)).apply_translation((0, 0, 150))
    trimesh.util.concatenate([ground, wall]).export(root / "yard.ply")
    version = system.import_model(
        upload(root / "yard.ply"), case=CASE, name="Yard", units="mm", scale="1:100"
    ).version
    scene_id = _scene(system, version)
    for name, roles in (("media", ["media_officer", "approver"]), ("second", ["approver"])):
        system.accounts.add_user(name, PASSWORD, roles)
        system.accounts.add_member(CASE, name)
    media = system.as_user(system.accounts.principal("media"))
    done: list[float] = []
    post = media.posts.request_video(
        scene_id, "square", CAPTION, progress=lambda f, _m: done.append(f), **FAST
    )
    mp4 = root / "public.mp4"
    mp4.write_bytes(media.posts.preview(post.post_id))
    # The court video of the same revision, so that the checks on the public one can fail.
    (root / "court.mp4").write_bytes(system.video_mp4(scene_id, size="square", **FAST)[1])
    yield {"system": system, "media": media, "scene": scene_id, "post": post, "mp4": mp4,
           "progress": done, "root": root}  # fmt: skip
    system.close()


def test_the_sensitive_entity_is_in_no_frame_of_the_public_video(posted):
    mp4 = posted["mp4"]
    frames = decode(mp4)
    assert len(frames) == 2 * 2.5 + 2 * 3 + 4  # title, end card, 2 steps at 2 fps
    assert posted["progress"][-1] == 1.0 and len(posted["progress"]) == len(frames)
    band = np.array(BAND_COLOUR)
    for index, frame in enumerate(frames):
        image = frame.astype(int)
        assert frame.shape == (1080, 1080, 3)
        assert _magenta(image) == 0, f"frame {index}"
        # The band of public pictures along the bottom of every frame, cards included.
        assert (np.abs(image[-8:, :40] - band).max(axis=2) <= 6).mean() > 0.95, index
    assert max(_near(f.astype(int), TEAL) for f in frames) > 50  # the victim is drawn
    # The court video of the same revision shows the witness, so the check above can fail.
    assert max(_magenta(f.astype(int)) for f in decode(posted["root"] / "court.mp4")) > 200
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, index in (("title", 0), ("step", 7), ("end", len(frames) - 1)):
        Image.fromarray(frames[index]).save(SCREENSHOTS / f"public-video-{name}.png")


def test_the_public_mp4_has_no_metadata(posted):
    data = posted["mp4"].read_bytes()
    info = probe(posted["mp4"])
    assert "Video: h264" in info and "yuv420p" in info and "1080x1080" in info
    assert top_boxes(posted["mp4"])[1] == "moov"  # plays while it loads
    # No tags: ffmpeg lists none for the stream, and for the file only the brands of the
    # ``ftyp`` box, which every MP4 needs.
    keys = set(re.findall(r"^ {4,}(\w+) *: ", info, re.M))
    assert keys == {"major_brand", "minor_version", "compatible_brands"}, info
    assert info.count("Metadata:") == 1
    for trace in (b"x264", b"Lavf", b"Lavc", b"comment", b"derived-from", b"encoder",
                  b"VideoHandler", b"udta", b"\xa9too", CASE.encode(), SECRET_LABEL.encode(),
                  SECRET_NOTES.encode(), "天橋".encode()):  # fmt: skip
        assert trace not in data, trace
    # The court copy carries its tags, so these checks can fail.
    court = (posted["root"] / "court.mp4").read_bytes()
    assert b"derived-from-sha256" in court and b"x264" in court and b"VideoHandler" in court


def test_the_requester_cannot_approve_a_video_post(posted):
    system, media, post = posted["system"], posted["media"], posted["post"]
    assert post.video and post.platform == "square" and post.status == "requested"
    with pytest.raises(AccessDenied, match="requested post"):
        media.posts.decide(post.post_id, True, "looks fine")
    with pytest.raises(AccessDenied, match="only approved posts download"):
        media.posts.download(post.post_id)
    second = system.as_user(system.accounts.principal("second"))
    assert second.posts.decide(post.post_id, True, "Nobody identifiable").status == "approved"
    name, data = media.posts.download(post.post_id)
    assert name == f"public-post-{post.post_id}-square.mp4"
    assert data == posted["mp4"].read_bytes() and post.image_sha256 in {
        e.object_sha256 for e in system.audit_events(None) if e.action == "post.download"
    }
    events = [e for e in system.audit_events(None) if e.object_id == str(post.post_id)]
    assert [e.action for e in events if e.object_type == "post"][-1] == "post.request"
    request = next(e for e in events if e.action == "post.request")
    assert request.details["video"] is True and request.details["fps"] == 2
    rendered = [e for e in system.audit_events(None) if e.action == "render"]
    assert any(e.details.get("mp4_sha256") == post.image_sha256 and e.details["public"]
               for e in rendered)  # fmt: skip
    assert system.verify().ok
    with pytest.raises(
        bsu_models.InvalidInput, match="Video size '4k' is not one of square, portrait, story"
    ):
        media.posts.request_video(posted["scene"], "4k", CAPTION, **FAST)
    assert re.fullmatch(r"[0-9a-f]{64}", post.image_sha256)
