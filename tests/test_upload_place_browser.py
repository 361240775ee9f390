"""The upload page places a new version on Earth: optional latitude and longitude go to the same
check and the same place record as ``bsu-models version locate``; a bad value is one plain
sentence and nothing is stored. Real app, Debian's headless Chromium."""

from __future__ import annotations

import json

import pytest

from tests.test_browser import (
    IMPORT_TIMEOUT_MS,
    _cli,
    _fill,
    _import,
    _open,
    _shot,
    _upload_form,
    _wait_idle,
    browser_page,
    running_app,
)
from tests.test_sunlit_stills import HKO, _block_on_ground

pytestmark = pytest.mark.browser
__all__ = ["browser_page", "running_app"]  # fixtures used by name


def _alert(page, text: str):  # type: ignore[no-untyped-def]
    main = page.locator('[data-testid="stMain"]')
    return main.locator('[data-testid="stAlert"], [data-testid="stAlertContentError"]').filter(
        has_text=text
    )


def test_upload_with_a_place_and_plain_refusals(running_app, browser_page, tmp_path):
    from playwright.sync_api import expect

    page, env = browser_page, running_app.env
    mesh = _block_on_ground(tmp_path / "placed-block.ply")
    name = "Placed block"
    _open(page, f"{running_app.base_url}/upload", "Upload a landmark model")
    _upload_form(page, mesh, name)

    # Out of range: the service's sentence, and nothing stored.
    _fill(page, "Latitude (degrees, north +)", "95")
    _fill(page, "Longitude (degrees, east +)", str(HKO[1]))
    _import(page)
    refusal = "Latitude 95 is out of range; it must be from -90 to 90 degrees."
    expect(_alert(page, refusal).first).to_be_visible(timeout=IMPORT_TIMEOUT_MS)
    expect(_alert(page, "Traceback")).to_have_count(0)
    _wait_idle(page)
    _shot(page, "upload-place-refused.png")
    # Only one of the two: one sentence saying both are needed.
    _fill(page, "Latitude (degrees, north +)", "")
    _import(page)
    expect(_alert(page, "A place needs both a latitude and a longitude.").first).to_be_visible(
        timeout=IMPORT_TIMEOUT_MS
    )
    listed = json.loads(_cli(env, "list", "--json").stdout)
    assert name not in [m["name"] for m in listed]

    _fill(page, "Latitude (degrees, north +)", str(HKO[0]))
    _import(page)
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text(f"Stored {name}")).to_be_visible(timeout=IMPORT_TIMEOUT_MS)
    _wait_idle(page)
    _shot(page, "upload-place-stored.png")

    model = next(m for m in json.loads(_cli(env, "list", "--json").stdout) if m["name"] == name)
    shown = json.loads(_cli(env, "show", str(model["latest_version_id"]), "--json").stdout)
    assert (shown["latitude_deg"], shown["longitude_deg"]) == HKO
