"""What each client of the soak in ``tests/test_scaleout.py`` does until its deadline.

Every client runs in its own OS process (forked by a 'forkserver' server) and reports a list of
outcomes as plain values: ``("import", name)`` and ``("step", step_id)`` for writes the app said
were saved, ``("conflict", text)`` for a plain clash sentence, ``("raw", text)`` for anything a
user must never see (a traceback, a database's or a library's own words).
"""

from __future__ import annotations

import os
import time
from functools import partial
from pathlib import Path
from typing import Any

import trimesh

import bsu_models
from bench._common import launch_chromium, sign_in
from bsu_models import Step

Outcome = tuple[str, str]


def unique_box(worker: int, n: int) -> bytes:
    """A small PLY box whose size (and so whose SHA-256) no other client's box shares."""
    box = trimesh.creation.box(extents=(1000 + worker, 600 + n, 10))
    return bytes(box.export(file_type="ply"))


def api_client(settings: bsu_models.Settings, env: dict[str, str], username: str, worker: int,
               deadline: float, case: str, scene_id: int, results: Any) -> None:  # fmt: skip
    """Process entry point: imports (even workers) or scene steps (odd ones) until ``deadline``.
    ``env`` (the object store's credentials) is set first: the fork server that starts this
    process may have been started by other tests, before they were known."""
    os.environ.update(env)
    outcomes: list[Outcome] = []
    try:
        system = bsu_models.open_catalogue(settings)
        catalogue = system.as_user(system.accounts.principal(username))
        n = 0
        while time.time() < deadline:
            n += 1
            if worker % 2 == 0:
                name = f"Soak box {worker}-{n}"
                files = [bsu_models.UploadFile(f"box-{worker}-{n}.ply", unique_box(worker, n))]
                save = partial(catalogue.import_model, files, case=case, name=name, units="mm")
                outcomes.append(_attempt(save, ("import", name)))
            else:
                outcomes.append(_add_step(catalogue, scene_id, f"w{worker}-{n}"))
        catalogue.close()
    except BaseException as exc:
        outcomes.append(("raw", f"{type(exc).__name__}: {exc}"))
    results.put((f"api-{worker}", outcomes))


def _attempt(action: Any, saved: Outcome) -> Outcome:
    try:
        action()
    except bsu_models.Conflict as exc:
        return ("conflict", str(exc))
    except BaseException as exc:
        return ("raw", f"{type(exc).__name__}: {exc}")
    return saved


def _add_step(catalogue: bsu_models.Catalogue, scene_id: int, step_id: str) -> Outcome:
    """Add one step as a new revision; after a clean clash read the scene again and retry."""
    outcome: Outcome = ("conflict", "never tried")
    for _attempt_no in range(50):
        info = catalogue.scenes.info(scene_id)
        doc = catalogue.scenes.document(scene_id, info.revision)
        new_doc = doc.with_step(Step(step_id, f"Step {step_id}"))
        save = partial(catalogue.scenes.save, scene_id, new_doc, info.revision)
        outcome = _attempt(save, ("step", step_id))
        if outcome[0] != "conflict":
            break
    return outcome


def browser_client(base_url: str, username: str, password: str, worker: int, deadline: float,
                   case_label: str, folder: Path, results: Any) -> None:  # fmt: skip
    """Process entry point: one browser session through the load balancer, uploading models on
    the Upload page until ``deadline``. Also reports which app server the session was pinned to."""
    from playwright.sync_api import expect, sync_playwright

    from tests.test_browser import _choose, _fill, _import, _wait_idle

    outcomes: list[Outcome] = []
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p, "--disable-gpu")
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(60_000)
            page = context.new_page()
            page.goto(f"{base_url}/upload")
            sign_in(page, username, password)
            main = page.locator('[data-testid="stMain"]')
            n = 0
            while time.time() < deadline:
                n += 1
                name = f"Soak browser box {worker}-{n}"
                path = folder / f"browser-box-{worker}-{n}.ply"
                path.write_bytes(unique_box(100 + worker, n))
                expect(page.get_by_role("heading", name="Upload a landmark model")).to_be_visible()
                _wait_idle(page)
                _choose(page, "Case", case_label)
                page.set_input_files('input[type="file"]', str(path))
                expect(page.locator('[data-testid="stFileUploader"]')).to_contain_text(path.name)
                _wait_idle(page)
                _fill(page, "Landmark model name", name)
                _import(page)
                stored = main.get_by_text(f"Stored {name}")
                alert = main.locator('[data-testid="stAlertContentError"]')
                expect(stored.or_(alert).first).to_be_visible(timeout=120_000)
                text = main.inner_text()
                if "Traceback" in text or not stored.count():
                    outcomes.append(("raw", text[-500:]))
                else:
                    outcomes.append(("import", name))
                _wait_idle(page)
            server = {c["name"]: c["value"] for c in context.cookies()}.get("BSU_SERVER", "")
            outcomes.append(("server", server))
            context.close()
            browser.close()
    except BaseException as exc:
        outcomes.append(("raw", f"{type(exc).__name__}: {exc}"))
    results.put((f"browser-{worker}", outcomes))
