"""Loading the demonstration case from ``assets/demo/`` (described by ``demo.json``).

Idempotent: models already in the demo case are left alone, so the start-up script can call it
every time.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from bsu_models.catalogue import Catalogue
from bsu_models.core.errors import BsuError, NotFound
from bsu_models.ingest.upload import UploadFile

DEMO_DIR = Path(__file__).resolve().parent.parent / "assets" / "demo"


def load_demo(catalogue: Catalogue, demo_dir: Path = DEMO_DIR) -> list[str]:
    """Create the demo case, import its models and add its scenes; returns the names of the
    models imported now."""
    try:
        spec = json.loads((demo_dir / "demo.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(
            "The demo description {path} is missing.", path=str(demo_dir / "demo.json")
        ) from None
    case = spec["case"]
    try:
        catalogue.get_case(case["reference"])
    except NotFound:
        catalogue.add_case(
            case["reference"], case["title"], case.get("status", "open"), actor="demo"
        )
    present = {m.name for m in catalogue.list_models(case=case["reference"])}
    imported = []
    for model in spec["models"]:
        if model["name"] in present:
            continue
        files = [UploadFile(name, (demo_dir / name).read_bytes()) for name in model["files"]]
        catalogue.import_model(
            files,
            case=case["reference"],
            name=model["name"],
            units=model.get("units", "unknown"),
            scale=model.get("scale"),
            location=model.get("location", ""),
            description=model.get("description", ""),
            tags=model.get("tags", ()),
            actor="demo",
        )
        imported.append(model["name"])
    _load_demo_scenes(catalogue, spec, demo_dir)
    _load_demo_accounts(catalogue, spec)
    return imported


def finish_demo_levels(catalogue: Catalogue, demo_dir: Path = DEMO_DIR) -> None:
    """Make the web levels that the demo case's models still lack, as ``bsu-models import``
    does before it exits. A level that cannot be made is a warning on its version, as after any
    import."""
    spec = json.loads((demo_dir / "demo.json").read_text(encoding="utf-8"))
    for model in catalogue.list_models(case=spec["case"]["reference"]):
        if any(level.status == "pending" for level in model.latest.web_levels):
            with contextlib.suppress(BsuError):
                catalogue.derive_levels(model.latest.version_id, actor="demo")


def demo_logins(demo_dir: Path = DEMO_DIR) -> tuple[str, list[tuple[str, str]]]:
    """The demo password and (user name, roles) of the demo accounts, for the start script."""
    spec = json.loads((demo_dir / "demo.json").read_text(encoding="utf-8"))["accounts"]
    return spec["password"], [(u["username"], ", ".join(u["roles"])) for u in spec["users"]]


def _load_demo_accounts(catalogue: Catalogue, spec: dict) -> None:
    """Create the demo accounts (members of the demo case, the investigator its lead) when no
    account exists yet; a catalogue that already has people is left alone."""
    accounts = spec.get("accounts")
    if not accounts or catalogue.accounts.any_users():
        return
    for user in accounts["users"]:
        catalogue.accounts.add_user(
            user["username"], accounts["password"], user["roles"], user["display_name"]
        )
        if user.get("member", True):
            catalogue.accounts.add_member(
                spec["case"]["reference"], user["username"], lead=user.get("lead", False)
            )


def _load_demo_scenes(catalogue: Catalogue, spec: dict, demo_dir: Path) -> None:
    """Add each demo scene (a scene JSON export) to its model unless a scene of that name is
    there already."""
    models = {m.name: m for m in catalogue.list_models(case=spec["case"]["reference"])}
    for entry in spec.get("scenes", ()):
        data = json.loads((demo_dir / entry["file"]).read_text(encoding="utf-8"))
        version = catalogue.versions_of(models[entry["model"]].model_id)[0]
        names = {s.name for s in catalogue.scenes.list_scenes(version.version_id)}
        if data["scene"]["name"] not in names:
            catalogue.scenes.import_json(data, version.version_id, actor="demo")
