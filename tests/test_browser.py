"""The real web app in Debian's headless Chromium: upload through the page, see it in the catalogue.

A throwaway data folder gets one case through the real CLI, then ``streamlit run`` serves the app
on a free loopback port and Playwright drives it. Screenshots land in
``test-artifacts/screenshots/`` (git-ignored) for people to look at.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench._common import REPO, app_env, launch_chromium, streamlit_app

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
# On top of bench._common.CHROMIUM_ARGS.
CHROMIUM_TEST_ARGS = ("--disable-gpu", "--disable-quic")
CASE = "KC-2026-0999"
STARTUP_TIMEOUT_S = 60
IMPORT_TIMEOUT_MS = 90_000
USER, PASSWORD = "browser-test", "browser-test-password"
ADMIN, ADMIN2 = "browser-admin", "browser-admin2"
# Every case role, and admin so that the tester can join the demo case when a test loads it.
USER_ROLES = ("modeller", "investigator", "presenter", "media_officer", "approver", "admin")
BROKEN_PLY = b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nend_header\n"


def _testdata() -> Path:
    for candidate in (REPO.parent / "shared" / "testdata", os.environ.get("TESTDATA_DIR")):
        if candidate and (Path(candidate) / "teapot.obj").is_file():
            return Path(candidate)
    pytest.fail(
        "Test meshes not found: expected teapot.obj in ../shared/testdata next to the checkout, "
        "or in the folder named by the TESTDATA_DIR environment variable."
    )


def admin_env(env: dict[str, str]) -> dict[str, str]:
    """The command line acting as the second admin (who asks for members)."""
    return {**env, "BSU_ACTOR": ADMIN}


def grant(env: dict[str, str], case: str, username: str) -> None:
    """Make ``username`` a member of ``case`` the way admins must: one asks, a second approves."""
    _cli(admin_env(env), "case", "member", "add", case, username)
    _cli({**env, "BSU_ACTOR": ADMIN2}, "case", "member", "approve", case, username)


def _cli(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``bsu-models ARGS`` with ``env`` as the whole environment: the command line's own entry
    point (``bsu_models.cli.commands.main``, which ``python -m bsu_models.cli`` calls), run in
    this process, where its modules are loaded already, instead of a new Python per call. It
    runs in a thread of its own so that one that hangs still fails after two minutes."""
    from bsu_models.cli.commands import main

    streams = {
        name: io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
        for name, data in (("stdin", (stdin or "").encode()), ("stdout", b""), ("stderr", b""))
    }
    outcome: list[int | BaseException] = []

    def run() -> None:
        try:
            outcome.append(main(list(args)))
        except SystemExit as exc:  # argparse's own exit on a bad command line
            outcome.append(exc.code if isinstance(exc.code, int) else 2)
        except BaseException as exc:  # a failure main() did not turn into an exit code
            outcome.append(exc)

    saved_env, saved = dict(os.environ), {name: getattr(sys, name) for name in streams}
    saved_cwd = Path.cwd()
    os.chdir(REPO)
    os.environ.clear()
    os.environ.update(env)
    for name, stream in streams.items():
        setattr(sys, name, stream)
    try:
        thread = threading.Thread(target=run, name="bsu-models-cli", daemon=True)
        thread.start()
        thread.join(timeout=120)
    finally:
        for name, stream in saved.items():
            setattr(sys, name, stream)
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
    assert not thread.is_alive(), f"bsu-models {' '.join(args)} still runs after 120 s"
    out, err = (_text(streams[name]) for name in ("stdout", "stderr"))
    [code] = outcome
    if isinstance(code, BaseException):
        raise code
    assert code == 0, f"bsu-models {' '.join(args)} exited {code}:\n{err}"
    return subprocess.CompletedProcess(["bsu-models", *args], code, out, err)


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode("utf-8")


class RunningApp:
    def __init__(self, base_url: str, env: dict[str, str], log: Path) -> None:
        self.base_url = base_url
        self.env = env
        self.log = log


@pytest.fixture(scope="module")
def running_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    root = tmp_path_factory.mktemp("browser-app")
    data_dir = root / "data"
    data_dir.mkdir()
    env = app_env(data_dir, USER)  # once accounts exist, the command line acts as this account
    _cli(env, "case", "add", CASE, "--title", "Browser test case")
    roles = [arg for role in USER_ROLES for arg in ("--role", role)]
    _cli(env, "user", "add", USER, *roles, "--password-stdin", stdin=PASSWORD + "\n")
    # Nobody may grant themself membership: a second admin does.
    for admin in (ADMIN, ADMIN2):
        _cli(env, "user", "add", admin, "--role", "admin", "--password-stdin",
             stdin=PASSWORD + "\n")  # fmt: skip
    grant(env, CASE, USER)

    with streamlit_app(env, root / "streamlit.log", STARTUP_TIMEOUT_S) as app:
        yield RunningApp(app.base_url, env, app.log)


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p, *CHROMIUM_TEST_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(30_000)
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()


# --- page helpers -------------------------------------------------------------------------------


def _wait_idle(page, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit has no script run in progress (reruns follow every widget change)."""
    from playwright.sync_api import expect

    page.wait_for_timeout(150)  # let a rerun triggered just now start
    expect(page.locator('[data-testid="stApp"]')).to_have_attribute(
        "data-test-script-state", re.compile("notRunning|initial"), timeout=timeout_ms
    )


def _sign_in_if_asked(page, user: str = USER, password: str = PASSWORD) -> None:
    """A new browser session starts at the sign-in page; sign in when it is shown."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    try:
        page.get_by_role("heading", name="Sign in to BSU Models").wait_for(timeout=10_000)
    except PlaywrightTimeout:
        return  # already signed in in this session
    if page.get_by_role("heading", name="Sign in to BSU Models").count():
        page.get_by_label("User name", exact=True).fill(user)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("heading", name="Sign in to BSU Models")).to_have_count(0)
        _wait_idle(page)


def _open(page, url: str, title: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    _sign_in_if_asked(page)
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    _wait_idle(page)


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox labelled ``label`` (no-op if already chosen)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    box = page.get_by_role("combobox", name=label, exact=True)
    expect(box).to_be_visible()
    if box.input_value() == option:
        return
    choice = page.locator('[role="option"]').filter(has_text=re.compile(f"^{re.escape(option)}$"))
    # A rerun or a 3D view taking keyboard focus as it loads closes an open list; open it again.
    for _attempt in range(4):
        box.click()
        try:
            choice.click(timeout=8_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            _wait_idle(page)
    expect(box).to_have_value(option)
    _wait_idle(page)


def _fill(page, label: str, value: str) -> None:
    from playwright.sync_api import expect

    field = page.get_by_label(label, exact=True)
    for attempt in range(2):
        field.fill(value)
        field.press("Tab")
        try:
            expect(field).to_have_value(value)
            break
        except AssertionError:
            # A form cleared on submit may clear itself once more when the run that followed
            # the submit ends just after the text went in: wait for that run, type again.
            if attempt:
                raise
            _wait_idle(page)
    _wait_idle(page)


def _upload_form(page, path: Path, name: str) -> None:
    from playwright.sync_api import expect

    _choose(page, "Case", f"{CASE} — Browser test case")
    page.set_input_files('input[type="file"]', str(path))
    uploader = page.locator('[data-testid="stFileUploader"]')
    expect(uploader).to_contain_text(path.name)
    _wait_idle(page)
    _fill(page, "Landmark model name", name)


def _shot(page, name: str) -> None:
    """Screenshot the whole page. Streamlit scrolls inside its main container, not the document,
    so ``full_page`` alone would stop at the viewport: grow the viewport to the content first."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    viewport = page.viewport_size or {"width": 1400, "height": 1000}
    height = page.evaluate(
        """() => Math.max(document.documentElement.scrollHeight,
               ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stMain"] *')]
                  .filter(e => e.scrollHeight > e.clientHeight + 1
                               && getComputedStyle(e).overflowY.match(/auto|scroll/))
                  .map(e => e.scrollHeight + e.getBoundingClientRect().top))"""
    )
    try:
        tall = {"width": viewport["width"], "height": max(math.ceil(height), viewport["height"])}
        page.set_viewport_size(tall)
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    finally:
        page.set_viewport_size(viewport)


def _import(page) -> None:
    from playwright.sync_api import expect

    button = page.get_by_role("button", name="Import", exact=True)
    expect(button).to_be_enabled()
    button.click()


# --- tests --------------------------------------------------------------------------------------


def test_upload_through_page_then_see_it_in_catalogue(running_app: RunningApp, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    teapot = _testdata() / "teapot.obj"

    _open(page, f"{running_app.base_url}/upload", "Upload a landmark model")
    _upload_form(page, teapot, "Teapot test landmark")
    _choose(page, "Units of the file", "mm")
    _fill(page, "Model scale (e.g. 1:50)", "1:50")
    _import(page)

    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text("Stored Teapot test landmark")).to_be_visible(timeout=IMPORT_TIMEOUT_MS)
    expect(main.get_by_role("heading", name="Validation report")).to_be_visible()
    report = main.locator('[data-testid="stTable"]')
    expect(report).to_contain_text("6,320")
    expect(report).to_contain_text("Teapot test landmark")
    _wait_idle(page)
    # The form is empty again, so the same model is not imported twice by a second click.
    expect(page.get_by_label("Landmark model name", exact=True)).to_have_value("")
    expect(page.get_by_label("Model scale (e.g. 1:50)", exact=True)).to_have_value("")
    expect(page.locator('[data-testid="stFileUploaderFile"]')).to_have_count(0)
    _shot(page, "upload-report.png")

    _open(page, f"{running_app.base_url}/", "Catalogue")
    expect(main.get_by_role("heading", name="Teapot test landmark")).to_be_visible()
    thumbnail = main.locator('[data-testid="stImage"] img').first
    expect(thumbnail).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    _shot(page, "catalogue.png")


def test_bad_upload_shows_plain_error(running_app: RunningApp, browser_page, tmp_path: Path):
    from playwright.sync_api import expect

    page = browser_page
    broken = tmp_path / "broken.ply"
    broken.write_bytes(BROKEN_PLY)
    name = "Broken browser upload"

    _open(page, f"{running_app.base_url}/upload", "Upload a landmark model")
    _upload_form(page, broken, name)
    _import(page)

    main = page.locator('[data-testid="stMain"]')
    alert = main.locator('[data-testid="stAlert"], [data-testid="stAlertContentError"]').filter(
        has_text="broken.ply"
    )
    expect(alert.first).to_be_visible(timeout=IMPORT_TIMEOUT_MS)
    expect(main.get_by_text(f"Stored {name}")).to_have_count(0)
    _wait_idle(page)
    _shot(page, "upload-error.png")

    listed = json.loads(_cli(running_app.env, "list", "--json").stdout)
    stored = [m["name"] for m in listed]
    assert not [n for n in stored if "broken" in n.lower()], stored
