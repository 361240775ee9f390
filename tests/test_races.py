"""Races between real processes on one catalogue, on SQLite and on PostgreSQL.

Each racer is its own OS process (``tests/race_workers.py``) with its own ``Catalogue`` on the
same database and data folder, released together by a barrier. Whatever the interleaving: one
decision per post, no lost or duplicated revision, version numbers without gaps or repeats, and
the loser of a race gets a plain ``Conflict`` sentence, never a database error.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import trimesh

import bsu_models
from bsu_models import Entity, Position, Step
from tests import race_workers
from tests.conftest import CHECKED, MARKUP, REPO, _new_postgres_database, make_settings, upload
from tests.processes import start_processes

pytestmark = pytest.mark.render  # imports and public posts render pictures
CASE = "KC-RACE-1"
PASSWORD = "correct horse battery"
# Words that only a database error would put in a message.
RAW = re.compile(
    r"SQL|INSERT|UPDATE |DELETE|SELECT|duplicate key|UNIQUE|constraint|psycopg|sqlite|"
    r"IntegrityError|OperationalError|Traceback|parameters",
    re.IGNORECASE,
)
# Racers are forked from a server that has the catalogue's modules loaded, not from pytest.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["tests.race_workers"])


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql",
                marks=pytest.mark.postgres)])  # fmt: skip
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[dict[str, Any]]:  # fmt: skip
    """A catalogue with one case, a small box model, and users of the roles that race."""
    root = tmp_path_factory.mktemp(f"races-{request.param}")
    url = None
    if request.param == "postgresql":
        url = _new_postgres_database(request.getfixturevalue("postgres_server"))
    settings = make_settings(root / "data", url)
    system = bsu_models.open_catalogue(settings)
    system.add_case(CASE, "Races")
    box = root / "box.ply"
    trimesh.creation.box(extents=(1000, 600, 10)).export(box)
    version = system.import_model(
        [bsu_models.UploadFile(box.name, box.read_bytes())], case=CASE, name="Box", units="mm"
    ).version
    for username, role in (("media", "media_officer"), ("approver-a", "approver"),
                           ("approver-b", "approver"), ("raced", "investigator")):  # fmt: skip
        system.accounts.add_user(username, PASSWORD, [role])
        system.accounts.add_member(CASE, username)
    yield {"settings": settings, "system": system, "version": version.version_id, "box": box}
    system.close()


Worker = tuple[str | None, tuple[Any, ...]]  # the user it acts as (None: system), arguments


def _together(target: Callable[..., None], arguments: list[tuple[Any, ...]]
              ) -> list[list[tuple[str, Any]]]:  # fmt: skip
    """Run ``target(*args, barrier, results, n)`` in one process per ``args``, all released
    together by the barrier; the outcomes of each, in order."""
    barrier = _CONTEXT.Barrier(len(arguments), timeout=120)
    results = _CONTEXT.Queue()
    processes = [
        _CONTEXT.Process(target=target, args=(*args, barrier, results, n))
        for n, args in enumerate(arguments)
    ]
    start_processes(processes)
    collected = dict(results.get(timeout=180) for _ in processes)
    for process in processes:
        process.join(timeout=30)
    return [collected[n] for n in range(len(arguments))]


def _race(settings: bsu_models.Settings, job: Callable[..., Any],
          workers: list[Worker]) -> list[list[tuple[str, Any]]]:  # fmt: skip
    """Run ``job`` in one process per worker (user, arguments), all released together."""
    return _together(race_workers.run, [(job, settings, user, args) for user, args in workers])


def _raw(outcomes: list[list[tuple[str, Any]]]) -> list[str]:
    """Outcomes that are database or library errors, or sentences carrying database text."""
    return [
        str(value)
        for worker in outcomes
        for kind, value in worker
        if kind == "raw" or (kind != "ok" and RAW.search(str(value)))
    ]


def _scene(world: dict[str, Any], name: str, placed: bool = True) -> int:
    """A scene with one step (and, if ``placed``, a victim placed in it)."""
    system = world["system"]
    scene = system.scenes.create(world["version"], name)
    if not placed:
        doc = system.scenes.document(scene.scene_id).with_step(Step("s1", "Arrives", "21:03"))
        return system.scenes.save(scene.scene_id, doc, scene.revision).scene_id
    doc = (
        system.scenes.document(scene.scene_id)
        .with_entity(Entity("v1", "V1", "victim"))
        .with_step(Step("s1", "Arrives", "21:03"))
        .with_position(Position("v1", "s1", (0.0, 0.0, 5.0)))
    )
    return system.scenes.save(scene.scene_id, doc, scene.revision).scene_id


def test_two_approvers_deciding_the_same_post_one_decision(world):
    system = world["system"]
    media = system.as_user(system.accounts.principal("media"))
    scene_id = _scene(world, "For the public")
    posts = [
        media.posts.request(scene_id, 1, platform, "Appeal for witnesses").post_id
        for platform in ("square", "landscape", "portrait")
    ]
    outcomes = _race(world["settings"], race_workers.decide,
                     [("approver-a", (posts,)), ("approver-b", (posts,))])  # fmt: skip
    assert _raw(outcomes) == []
    events = [e for e in system.audit_events(None) if e.object_type == "post"]
    for n, post_id in enumerate(posts):
        kinds = sorted(outcomes[w][n][0] for w in range(2))
        assert kinds == ["conflict", "ok"], (post_id, outcomes)
        loser = next(outcomes[w][n][1] for w in range(2) if outcomes[w][n][0] == "conflict")
        assert f"Post {post_id} was already" in loser
        winner = next(w for w in range(2) if outcomes[w][n][0] == "ok")
        post = system.posts.get(post_id)
        assert post.status == ("approved" if winner == 0 else "rejected")
        assert post.decided_by == ("approver-a", "approver-b")[winner]
        assert post.reason == f"decided by worker {winner}"
        decisions = [
            e
            for e in events
            if e.object_id == str(post_id)
            and e.action in ("post.approve", "post.reject")
            and e.outcome == "ok"
        ]
        assert len(decisions) == 1 and decisions[0].actor == post.decided_by
    assert system.verify().ok


def test_eight_writers_adding_revisions_lose_nothing(world):
    system = world["system"]
    scene_id = _scene(world, "Busy scene", placed=False)
    before = system.scenes.info(scene_id).revision
    outcomes = _race(world["settings"], race_workers.add_revisions,
                     [(None, (scene_id, 2)) for _ in range(8)])  # fmt: skip
    assert _raw(outcomes) == []
    saved = [value for worker in outcomes for kind, value in worker if kind == "ok"]
    assert len(saved) == 8 * 2  # every writer got every step in, after clean conflicts
    numbers = [revision for _step, revision in saved]
    history = system.scenes.history(scene_id)
    assert [r.number for r in history] == list(range(1, before + len(saved) + 1))
    assert sorted(numbers) == list(range(before + 1, before + len(saved) + 1))
    steps = {step.id for step in system.scenes.document(scene_id).steps}
    assert {step for step, _revision in saved} <= steps
    changes = [
        e
        for e in system.audit_events(None)
        if e.action == "scene.change" and e.object_id == str(scene_id)
    ]
    assert len(changes) == before - 1 + len(saved)


def test_freezing_while_others_save_freezes_the_current_revision(world):
    system = world["system"]
    scene_id = _scene(world, "Frozen while busy")
    workers: list[Worker] = [(None, (scene_id,)), (None, (scene_id,))]
    outcomes = _race(world["settings"], race_workers.freeze, workers)
    assert _raw(outcomes) == []
    assert sorted(o[0][0] for o in outcomes) == ["conflict", "ok"]
    assert "is frozen for court" in next(o[0][1] for o in outcomes if o[0][0] == "conflict")
    # Savers racing a freeze: each save lands before the freeze or is refused after it.
    second = _scene(world, "Saved while freezing", placed=False)
    mixed = _race(world["settings"], race_workers.save_or_freeze,
                  [(None, (second,)) for _ in range(4)])  # fmt: skip
    assert _raw(mixed) == []
    info = system.scenes.info(second)
    assert mixed[0] == [("ok", info.revision)] and info.frozen_revision == info.revision
    saved = [value for worker in mixed[1:] for kind, value in worker if kind == "ok"]
    assert sorted(revision for _step, revision in saved) == list(range(3, info.revision + 1))
    refused = [value for worker in mixed[1:] for kind, value in worker if kind == "conflict"]
    assert all("frozen" in text or "changed since" in text for text in refused)


def test_reviews_written_while_the_scene_is_saved(world):
    system = world["system"]
    scene_id = _scene(world, "Reviewed while busy")
    findings = {item: f"{item} {MARKUP}" for item in CHECKED}
    outcomes = _race(world["settings"], race_workers.review_or_save,
                     [(None, (scene_id, findings)) for _ in range(4)])  # fmt: skip
    assert _raw(outcomes) == []
    assert all(o[0][0] == "ok" for o in outcomes), outcomes
    hashes = {r.number: r.sha256 for r in system.scenes.history(scene_id)}
    reviews = system.scenes.reviews(scene_id)
    assert len(reviews) == 3
    for review in reviews:  # each names the revision it saw, by its hash
        assert review.revision_sha256 == hashes[review.revision]
        assert dict(review.checklist) == findings


def test_the_same_cctv_frame_kept_at_once_is_kept_once(world):
    import io

    from PIL import Image

    system = world["system"]
    scene = system.scenes.create(world["version"], "Frames at once")
    doc = system.scenes.document(scene.scene_id).with_entity(Entity("c1", "CAM 1", "camera"))
    system.scenes.save(scene.scene_id, doc, scene.revision)
    png = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 90)).save(png, format="PNG")
    source = {"camera_ref": MARKUP, "recorded_at": "2026-11-20T21:03:15", "exhibit": "JL/12 $x$"}
    outcomes = _race(world["settings"], race_workers.add_frame,
                     [(None, (scene.scene_id, "CAM 1", png.getvalue(), source))] * 4)  # fmt: skip
    assert _raw(outcomes) == []
    assert sorted(o[0][0] for o in outcomes) == ["conflict"] * 3 + ["ok"], outcomes
    [frame] = system.cameras.frames(scene.scene_id)
    assert (frame.camera_ref, frame.exhibit) == (MARKUP, "JL/12 $x$")
    assert system.verify().ok


def test_prints_of_the_same_version_to_the_same_file_at_once(world, tmp_path):
    system = world["system"]
    block = tmp_path / "block.ply"
    trimesh.creation.box(extents=(20, 12, 3)).export(block)
    version = system.import_model(
        upload(block), case=CASE, name="Block to print", units="m", scale="1:1"
    ).version
    out = tmp_path / "block.3mf"
    outcomes = _race(world["settings"], race_workers.print_model,
                     [(None, (version.version_id, str(out)))] * 2)  # fmt: skip
    assert _raw(outcomes) == []
    assert [o[0][0] for o in outcomes] == ["ok", "ok"], outcomes
    # Both wrote the same bytes; the file left is whole, whichever rename came last.
    assert outcomes[0] == outcomes[1]
    assert hashlib.sha256(out.read_bytes()).hexdigest() == outcomes[0][0][1][0]
    # No temporary file is left behind by either.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "block.3mf",
        "block.ply",
        "block.print-report.pdf",
        "block.print-report.txt",
    ]


@pytest.mark.slow  # eight parses in eight sandboxes: 10-20 s on two cores
def test_eight_imports_of_the_same_file_all_land(world):
    system = world["system"]
    data = (REPO / "assets" / "demo" / "bus-shelter.stl").read_bytes()
    names = ["Shelter"] * 6 + ["Shelter copy A", "Shelter copy B"]
    outcomes = _race(world["settings"], race_workers.import_file,
                     [(None, (CASE, name, "bus-shelter.stl", data)) for name in names])  # fmt: skip
    assert _raw(outcomes) == []
    assert all(o[0][0] == "ok" for o in outcomes), outcomes
    assert sorted(o[0][1] for o in outcomes[:6]) == [1, 2, 3, 4, 5, 6]
    assert [o[0][1] for o in outcomes[6:]] == [1, 1]
    models = {m.name: m for m in system.list_models(CASE)}
    numbers = [v.number for v in system.versions_of(models["Shelter"].model_id)]
    assert numbers == [1, 2, 3, 4, 5, 6]
    report = system.verify()  # every row's files are present: no import removed another's
    assert report.ok, report.problems


def test_membership_roles_cases_and_users_raced(world):
    system = world["system"]
    outcomes = _race(world["settings"], race_workers.toggle_membership,
                     [(None, (CASE, "raced", 3)) for _ in range(4)])  # fmt: skip
    assert _raw(outcomes) == []
    changes = [
        e.action
        for e in reversed(system.audit_events(None))
        if e.action in ("case.member_add", "case.member_remove")
        and e.outcome == "ok"
        and e.details.get("user") == "raced"
    ]
    # Starting as a member, every recorded change really changed the membership: they alternate.
    assert changes[0] == "case.member_add"  # the fixture's
    assert all(a != b for a, b in itertools.pairwise(changes)), changes
    member = CASE in system.accounts.user_info("raced").cases
    assert member == (changes[-1] == "case.member_add")
    # Four open the same case and four add the same user, all at once.
    names = _race(world["settings"], race_workers.add_case_or_user,
                  [(None, ("KC-RACE-NEW", "raced-new")) for _ in range(8)])  # fmt: skip
    assert _raw(names) == []
    cases, users = names[0::2], names[1::2]
    assert sorted(o[0][0] for o in cases) == ["conflict"] * 3 + ["ok"]
    assert sorted(o[0][0] for o in users) == ["conflict"] * 3 + ["ok"]
    assert {o[0][1] for o in cases if o[0][0] == "conflict"} == {"Case KC-RACE-NEW already exists."}
    assert {o[0][1] for o in users if o[0][0] == "conflict"} == {"User raced-new already exists."}
    assert system.verify().ok


def test_verify_while_others_write_finds_nothing_wrong(world):
    outcomes = _race(world["settings"], race_workers.write_or_verify,
                     [(None, (30,)) for _ in range(4)])  # fmt: skip
    assert _raw(outcomes) == []
    assert outcomes[0] == [("ok", [])] * 30  # a chain read while it grows is still whole
    assert all(kind == "ok" for worker in outcomes[1:] for kind, _ in worker)


@pytest.mark.postgres
def test_processes_opening_a_new_postgresql_catalogue_at_once(postgres_server, tmp_path):
    settings = make_settings(tmp_path / "data", _new_postgres_database(postgres_server))
    outcomes = _together(race_workers.open_new, [(settings,)] * 4)
    assert _raw(outcomes) == [] and all(o == [("ok", None)] for o in outcomes), outcomes
    catalogue = bsu_models.open_catalogue(settings)
    assert catalogue.verify().ok
    catalogue.close()


def test_database_errors_reach_users_as_plain_sentences(catalogue, caplog):
    """What the database says (SQL, values) is logged; the user reads one plain sentence."""
    from sqlalchemy import text

    from bsu_models.core.db import read_session, write_session
    from bsu_models.core.orm import CaseRow

    catalogue.add_case("KC-PLAIN-1", "Plain")
    with pytest.raises(bsu_models.Conflict) as clash, write_session(catalogue.engine) as session:
        session.add(CaseRow(reference="KC-PLAIN-1", title="again", created_by="x"))
    with pytest.raises(bsu_models.StorageError) as broken, read_session(catalogue.engine) as s:
        s.execute(text("SELECT secret_column FROM no_such_table"))
    for error in (clash.value, broken.value):
        assert not RAW.search(str(error)) and "KC-PLAIN-1" not in str(error), str(error)
    assert str(clash.value).startswith("The change clashed with another one")
    assert "no_such_table" in caplog.text  # the details are in the log


def test_a_failed_import_keeps_blobs_another_import_may_be_about_to_use(tmp_path):
    from bsu_models.core.blobstore import LocalBlobStore

    store = LocalBlobStore(tmp_path / "blobs")

    def nobody(_keys: list[str]) -> set[str]:
        return set()  # no row refers to the blob

    with store.writing():  # another import in flight: it may have found the blob stored
        with store.writing() as failed:
            key = store.put(b"bytes both imports uploaded")
            failed.undo([key], nobody)
        assert store.exists(key)
    with store.writing() as failed:  # alone now: its blob goes
        failed.undo([key], nobody)
    assert not store.exists(key)
