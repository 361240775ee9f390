"""What each racing process of ``tests/test_races.py`` does.

Every worker runs in its own OS process (forked by a 'forkserver' server, so nothing of the
test process is inherited), opens its own ``Catalogue`` on the shared database and data folder,
waits at a barrier so that all start together, and reports each outcome as plain values:
``("ok", value)``, ``("conflict", text)``, ``("notfound", text)`` or ``("raw", "<type>: <text>")``
for anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import bsu_models
import bsu_models.catalogue  # loaded once by the fork server, not by every racer
from bsu_models import Step
from tests.conftest import approve_for_court

Outcome = tuple[str, Any]


def _outcome(action: Callable[[], Any]) -> Outcome:
    try:
        return ("ok", action())
    except bsu_models.Conflict as exc:
        return ("conflict", str(exc))
    except bsu_models.NotFound as exc:
        return ("notfound", str(exc))
    except BaseException as exc:  # every other failure is what the tests count
        return ("raw", f"{type(exc).__name__}: {exc}")


def _open(settings: bsu_models.Settings, username: str | None) -> bsu_models.Catalogue:
    catalogue = bsu_models.open_catalogue(settings)
    if username is None:
        return catalogue
    return catalogue.as_user(catalogue.accounts.principal(username))


def run(job: Callable[..., list[Outcome]], settings: bsu_models.Settings, username: str | None,
        args: tuple[Any, ...], barrier: Any, results: Any, worker: int) -> None:  # fmt: skip
    """Process entry point: open the catalogue, run ``job`` and put its outcomes on the queue."""
    try:
        catalogue = _open(settings, username)
    except BaseException as exc:
        barrier.abort()
        results.put((worker, [("raw", f"{type(exc).__name__}: {exc}")]))
        return
    try:
        outcomes = job(catalogue, barrier, worker, *args)
    except BaseException as exc:
        outcomes = [("raw", f"{type(exc).__name__}: {exc}")]
    finally:
        catalogue.close()
    results.put((worker, outcomes))


def decide(catalogue: bsu_models.Catalogue, barrier: Any, worker: int,
           post_ids: list[int]) -> list[Outcome]:  # fmt: skip
    """Decide each post the moment every other approver does (even workers approve)."""
    outcomes = []
    for post_id in post_ids:
        barrier.wait()
        outcomes.append(
            _outcome(
                lambda p=post_id: (
                    catalogue.posts.decide(
                        p, worker % 2 == 0, f"decided by worker {worker}"
                    ).decided_by
                )
            )
        )
    return outcomes


def add_revisions(catalogue: bsu_models.Catalogue, barrier: Any, worker: int,
                  scene_id: int, steps: int) -> list[Outcome]:  # fmt: skip
    """Add ``steps`` steps, each as a new revision; on a clean conflict read again and retry."""
    barrier.wait()
    outcomes: list[Outcome] = []
    for n in range(steps):
        step_id = f"w{worker}-{n}"
        for _attempt in range(200):
            info = catalogue.scenes.info(scene_id)
            doc = catalogue.scenes.document(scene_id, info.revision)

            def save(doc: Any = doc, info: Any = info, step_id: str = step_id) -> Any:
                saved = catalogue.scenes.save(
                    scene_id, doc.with_step(Step(step_id, f"Step {step_id}")), info.revision
                )
                return [step_id, saved.revision]

            outcome = _outcome(save)
            outcomes.append(outcome)
            if outcome[0] != "conflict" or "frozen" in outcome[1]:
                break
    return outcomes


def _review_and_freeze(catalogue: bsu_models.Catalogue, scene_id: int) -> int:
    approve_for_court(catalogue, scene_id, actor="race-reviewer")
    return catalogue.scenes.freeze(scene_id).frozen_revision or 0


def freeze(catalogue: bsu_models.Catalogue, barrier: Any, _worker: int,
           scene_id: int) -> list[Outcome]:  # fmt: skip
    """Review the current revision and freeze it; a save landing between the two leaves the
    approval behind the current revision, so the freezer reviews the new one and tries again."""
    barrier.wait()
    for _attempt in range(100):
        outcome = _outcome(lambda: _review_and_freeze(catalogue, scene_id))
        if outcome[0] != "conflict" or "technical review" not in outcome[1]:
            return [outcome]
    return [outcome]


def save_or_freeze(catalogue: bsu_models.Catalogue, barrier: Any, worker: int,
                   scene_id: int) -> list[Outcome]:  # fmt: skip
    """Worker 0 freezes the scene while the others add revisions to it."""
    if worker == 0:
        return freeze(catalogue, barrier, worker, scene_id)
    return add_revisions(catalogue, barrier, worker, scene_id, 4)


def review_or_save(catalogue: bsu_models.Catalogue, barrier: Any, worker: int, scene_id: int,
                   findings: dict[str, str]) -> list[Outcome]:  # fmt: skip
    """Worker 0 saves a new revision while the others review the scene, each as a reviewer of
    their own: every review lands on the revision that was current when it was written."""
    barrier.wait()
    if worker == 0:
        info = catalogue.scenes.info(scene_id)
        doc = catalogue.scenes.document(scene_id).with_step(Step("late", "Late step"))

        def save() -> int:
            return catalogue.scenes.save(scene_id, doc, info.revision, actor="race-saver").revision

        return [_outcome(save)]

    def review() -> int:
        reviewer = f"race-reviewer-{worker}"
        return catalogue.scenes.review(scene_id, "approved", findings, actor=reviewer).review_id

    return [_outcome(review)]


def add_frame(catalogue: bsu_models.Catalogue, barrier: Any, _worker: int, scene_id: int,
              camera: str, data: bytes, source: dict[str, str]) -> list[Outcome]:  # fmt: skip
    """Keep the same CCTV frame for the same camera as the others, at the same moment."""
    barrier.wait()
    cameras = catalogue.cameras
    return [_outcome(lambda: cameras.add_frame(scene_id, camera, data, "f.png", **source).sha256)]


def print_model(catalogue: bsu_models.Catalogue, barrier: Any, _worker: int, version_id: int,
                out: str) -> list[Outcome]:  # fmt: skip
    """Print the same version to the same file as the others, at the same moment."""
    barrier.wait()

    def print_it() -> list[str]:
        result = catalogue.print_model(version_id, scale="1:200", out=Path(out))
        return [sha for _path, sha in result.files]

    return [_outcome(print_it)]


def import_file(catalogue: bsu_models.Catalogue, barrier: Any, _worker: int, case: str,
                name: str, file_name: str, data: bytes) -> list[Outcome]:  # fmt: skip
    files = [bsu_models.UploadFile(file_name, data)]
    barrier.wait()
    return [
        _outcome(
            lambda: catalogue.import_model(files, case=case, name=name, units="mm").version.number
        )
    ]


def toggle_membership(catalogue: bsu_models.Catalogue, barrier: Any, worker: int, case: str,
                      username: str, rounds: int) -> list[Outcome]:  # fmt: skip
    """Add or remove ``username`` on ``case`` and change their roles, all at once with others."""
    outcomes = []
    for n in range(rounds):
        barrier.wait()
        if worker % 2 == 0:
            outcomes.append(_outcome(lambda: catalogue.accounts.add_member(case, username)))
        else:
            outcomes.append(_outcome(lambda: catalogue.accounts.remove_member(case, username)))
        roles = ["investigator"] if (worker + n) % 2 else ["investigator", "presenter"]
        outcomes.append(_outcome(lambda roles=roles: catalogue.accounts.set_roles(username, roles)))
    return outcomes


def add_case_or_user(catalogue: bsu_models.Catalogue, barrier: Any, worker: int,
                     reference: str, username: str) -> list[Outcome]:  # fmt: skip
    """Even workers open case ``reference``, odd ones add user ``username``."""
    barrier.wait()
    if worker % 2 == 0:
        return [_outcome(lambda: catalogue.add_case(reference, "Raced case").reference)]
    return [
        _outcome(
            lambda: catalogue.accounts.add_user(username, "a raced password", ["auditor"]).username
        )
    ]


def open_new(settings: bsu_models.Settings, barrier: Any, results: Any, worker: int) -> None:
    """Process entry point: open a catalogue whose database is still empty, with the others."""
    barrier.wait()
    outcome = _outcome(lambda: open_and_close(settings))
    results.put((worker, [outcome]))


def open_and_close(settings: bsu_models.Settings) -> None:
    bsu_models.open_catalogue(settings).close()


def write_or_verify(catalogue: bsu_models.Catalogue, barrier: Any, worker: int,
                    rounds: int) -> list[Outcome]:  # fmt: skip
    """Worker 0 runs the integrity check over and over while the others open cases."""
    barrier.wait()
    if worker == 0:
        return [_outcome(lambda: list(catalogue.verify().problems)) for _ in range(rounds)]
    return [
        _outcome(lambda n=n: catalogue.add_case(f"KC-BUSY-{worker}-{n}", "Busy").reference)
        for n in range(rounds)
    ]


def upgrade_schema(settings: bsu_models.Settings, barrier: Any, results: Any, worker: int) -> None:
    """Process entry point: ``bsu-models db upgrade`` (as set-up), with the others; the state
    each found and left."""
    from bsu_models.core.upgrade import open_schema_service

    def upgrade() -> tuple[str, str | None]:
        service = open_schema_service(settings)
        try:
            before, after = service.upgrade()
        finally:
            service.close()
        return before.state, after.current

    barrier.wait()
    results.put((worker, [_outcome(upgrade)]))
