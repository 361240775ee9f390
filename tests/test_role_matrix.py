"""The role table, tried: every public service method and every CLI command, for every role at every
case membership (none, member, lead), against what ``bsu_models.core.access.PERMISSIONS`` says.

The expectations are generated from the role table itself (``PERMISSIONS``), through a map from
each public service method and CLI command to the actions that let one use it; a public method
with no entry in the map fails ``test_every_public_service_method_is_in_the_map``. A call counts
as refused when it raises ``AccessDenied`` (a CLI command: exits 2 after recording a refusal in
the audit log), and as allowed otherwise; a ``Conflict`` raised after the check (a scene not
frozen for an exhibit, a post already decided) counts as allowed. Listings (models, cases,
scenes, posts) are allowed when they show the case's items and refused when they leave them out.

The README's role table is the code's (``scripts/role_table.py``), and media officers read a
scene only as its public derivative.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import itertools
import json
import sys
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

import bsu_models
from bsu_models import AccessDenied, Conflict, Entity, NotFound, Position, Step
from bsu_models.catalogue import Catalogue
from bsu_models.cli.commands import main
from bsu_models.core.access import LEAD, PERMISSIONS, ROLES, role_table_markdown
from bsu_models.core.orm import AuditRow
from bsu_models.core.upgrade import SchemaService
from bsu_models.people.accounts import AccountService
from bsu_models.people.membership import MembershipService
from bsu_models.people.posts import PostService
from bsu_models.scenes.camera_service import CameraService
from bsu_models.scenes.service import SceneService
from tests.conftest import REPO, make_settings
from tests.test_access import _box_ply, yard_case

pytestmark = pytest.mark.render
CASE = "KC-MATRIX"
PASSWORD = "correct horse battery"
LEVELS = ("none", "member", "lead")
FINDINGS = {
    "positions": "Each agrees with its source",
    "measurements": "Checked",
    "views": "Fair",
    "captions": "Match the statements",
}
SERVICES = {
    "Catalogue": Catalogue,
    "SceneService": SceneService,
    "PostService": PostService,
    "AccountService": AccountService,
    "MembershipService": MembershipService,
    "CameraService": CameraService,
    "SchemaService": SchemaService,
}

V, VP = "scene.view", "scene.view_public"
#: Public service method -> the actions any one of which lets a user call it; ``()`` for
#: nobody but the system. ``None``: no check of its own, with the reason.
METHOD_ACTIONS: dict[str, tuple[str, ...] | None] = {
    "Catalogue.as_user": None,  # binds a principal; checks nothing by itself
    "Catalogue.close": None,
    "Catalogue.actor_name": None,
    "Catalogue.require_case": None,  # the check itself
    "Catalogue.refusal": None,  # asks the check, records nothing
    "Catalogue.may": None,
    "Catalogue.add_case": ("case.create",),
    "Catalogue.list_cases": ("case.view", "case.members"),
    "Catalogue.get_case": ("case.view", "case.members"),
    "Catalogue.import_model": ("model.import",),
    "Catalogue.derive_levels": ("model.import",),
    "Catalogue.derive_levels_later": ("model.import",),
    "Catalogue.job": ("case.view",),
    "Catalogue.jobs": ("case.view",),
    "Catalogue.render_video_later": ("render",),
    "Catalogue.job_file": ("render",),  # tried on a video job
    "Catalogue.build_exhibit_later": ("exhibit.export",),
    "Catalogue.render_still_later": ("render",),
    "Catalogue.get_version": ("case.view",),
    "Catalogue.versions_of": ("case.view",),
    "Catalogue.locate_version": ("model.import",),
    "Catalogue.list_models": ("case.view",),
    "Catalogue.thumbnail_png": ("case.view",),
    "Catalogue.web_glb": ("case.view",),
    "Catalogue.original_files": ("model.download",),
    "Catalogue.verify": ("integrity.verify",),
    "Catalogue.audit_head": ("integrity.verify",),
    "Catalogue.collect_garbage": ("integrity.gc",),
    "Catalogue.record_view": ("case.view",),
    "Catalogue.render_still": ("render",),
    "Catalogue.render_video": ("render",),
    "Catalogue.camera_still": ("render",),
    "Catalogue.camera_coverage": ("render",),
    "Catalogue.print_model": ("model.print",),
    "Catalogue.video_mp4": ("render",),
    "Catalogue.build_exhibit": ("exhibit.export",),
    "Catalogue.exhibit_zip": ("exhibit.export",),
    "Catalogue.audit_events": ("audit.read",),
    "Catalogue.audit_csv": ("audit.read",),
    "SceneService.require": None,  # the check itself
    "SceneService.reads_whole": (V, VP),
    "SceneService.info": (V, VP),
    "SceneService.info_on": (V, VP),
    "SceneService.list_scenes": (V, VP),
    "SceneService.document": (V, VP),
    "SceneService.current_revision": (V, VP),
    "SceneService.history": (V,),
    "SceneService.compare": (V,),
    "SceneService.compare_messages": (V,),
    "SceneService.geometry": ("case.view",),
    "SceneService.public_form": ("case.view",),  # filters a given document; loads the mesh
    "SceneService.snap": ("case.view",),
    "SceneService.pick": ("case.view",),
    "SceneService.warm": ("case.view",),
    "SceneService.surface": ("case.view",),
    "SceneService.preset_view": ("case.view",),
    "SceneService.section_extent": ("case.view",),
    "SceneService.section_box": ("case.view",),
    "SceneService.section_ranges": ("case.view",),
    "SceneService.create": ("scene.edit",),
    "SceneService.save": ("scene.edit",),
    "SceneService.copy": ("scene.edit",),
    "SceneService.rename": ("scene.edit",),
    "SceneService.set_archived": ("scene.edit",),
    "SceneService.import_json": ("scene.edit",),
    "SceneService.freeze": ("scene.freeze",),
    "SceneService.review": ("scene.review",),
    "SceneService.reviews": (V,),
    "SceneService.review_refusal": (V,),
    "SceneService.compare_accounts": (V,),
    "SceneService.confirm_for_court": ("exhibit.export",),
    "SceneService.export_json": ("scene.export",),
    "SceneService.measure": (V, VP),
    "SceneService.distance_between": (V, VP),
    "SceneService.eye_point": ("case.view",),
    "SceneService.sightline": (V, VP),
    "SceneService.layer": (V, VP),
    "PostService.request": ("post.request",),
    "PostService.request_video": ("post.request",),
    "PostService.get": ("post.request", "post.decide"),
    "PostService.list_posts": ("post.request", "post.decide"),
    "PostService.preview": ("post.request", "post.decide"),
    "PostService.decide": ("post.decide",),
    "PostService.download": ("post.download",),
    "AccountService.any_users": None,  # whether set-up is over: asked before anyone signs in
    "AccountService.principal": None,  # signing in (the command line, a session's re-read)
    "AccountService.authenticate": None,  # signing in: checks the password
    "AccountService.sign_on": None,  # signing in through the force's provider
    "AccountService.list_users": ("user.manage",),
    "AccountService.user_info": ("user.manage",),
    "AccountService.add_user": ("user.manage",),
    "AccountService.reset_password": ("user.manage",),
    "AccountService.set_roles": ("user.manage",),
    "AccountService.set_active": ("user.manage",),
    "AccountService.set_language": ("user.manage",),  # of someone else; one's own: anyone
    "AccountService.pending_reset": ("user.manage",),  # of someone else; one's own: anyone
    "AccountService.change_password": (),  # of someone else: nobody
    "AccountService.add_member": ("case.lead", "case.members"),
    "AccountService.remove_member": ("case.lead", "case.members"),
    "MembershipService.add": ("case.lead", "case.members"),
    "MembershipService.make_lead": ("case.lead", "case.members"),
    "MembershipService.remove": ("case.lead", "case.members"),
    "MembershipService.end_lead": ("case.lead", "case.members"),
    "MembershipService.approve": ("case.members",),
    "MembershipService.reject": ("case.members",),
    "MembershipService.requests": ("case.members",),
    "MembershipService.members": ("case.view", "case.members"),
    "MembershipService.led_cases": ("case.lead",),
    "CameraService.solve": (V,),
    "CameraService.add_frame": ("scene.edit",),
    "CameraService.frames": (V,),
    "CameraService.frame": (V,),
    "CameraService.frame_bytes": (V,),
    "CameraService.match": ("scene.edit",),
    "CameraService.solution": (V,),
    "CameraService.read_place": (V,),
    "CameraService.place": ("scene.edit",),
    "CameraService.height": (V,),
    "CameraService.record_height": ("scene.edit",),
    "SchemaService.close": None,
    "SchemaService.status": ("integrity.verify",),
    "SchemaService.upgrade": ("db.upgrade",),
}

#: CLI command -> the service method it calls (its actions are that method's); None: no
#: catalogue access to check, with the reason.
CLI_METHODS: dict[str, str | None] = {
    "case add": "Catalogue.add_case",
    "case list": "Catalogue.list_cases",
    "case member add": "AccountService.add_member",
    "case member remove": "AccountService.remove_member",
    "case member approve": "MembershipService.approve",
    "case member reject": "MembershipService.reject",
    "case member requests": "MembershipService.requests",
    "case lead": "MembershipService.make_lead",
    "import": "Catalogue.import_model",
    "list": "Catalogue.list_models",
    "show": "Catalogue.get_version",
    "derive": "Catalogue.derive_levels",
    "verify": "Catalogue.verify",
    "gc": "Catalogue.collect_garbage",
    "audit head": "Catalogue.audit_head",
    "demo": None,  # set-up: an active account that may open cases (test_demo_refuses_...)
    "render": "Catalogue.render_still",
    "video": "Catalogue.render_video",
    "print": "Catalogue.print_model",
    "scene new": "SceneService.create",
    "scene list": "SceneService.list_scenes",
    "scene export": "SceneService.export_json",
    "scene import": "SceneService.import_json",
    "scene measure": "SceneService.distance_between",
    "scene sightline": "SceneService.sightline",
    "scene history": "SceneService.history",
    "scene compare": "SceneService.compare",
    "scene freeze": "SceneService.freeze",
    "scene rename": "SceneService.rename",
    "scene copy": "SceneService.copy",
    "scene archive": "SceneService.set_archived",
    "scene restore": "SceneService.set_archived",
    "scene review": "SceneService.review",
    "scene reviews": "SceneService.reviews",
    "scene compare-accounts": "SceneService.compare_accounts",
    "exhibit": "Catalogue.build_exhibit",
    "exhibit-verify": None,  # reads a package file; no catalogue at all
    "keys create": None,  # writes a key file outside the data folder; no catalogue at all
    "user add": "AccountService.add_user",
    "user reset-password": "AccountService.reset_password",
    "user roles": "AccountService.set_roles",
    "user list": "AccountService.list_users",
    "audit list": "Catalogue.audit_events",
    "audit export": "Catalogue.audit_csv",
    "camera solve": "CameraService.solve",
    "camera frame add": "CameraService.add_frame",
    "camera frame list": "CameraService.frames",
    "camera match": "CameraService.match",
    "camera place": "CameraService.place",
    "camera height": "CameraService.height",
    "camera still": "Catalogue.camera_still",
    "camera coverage": "Catalogue.camera_coverage",
    "sun": None,  # computes where the sun is; no catalogue at all
    "version locate": "Catalogue.locate_version",
    "db status": "SchemaService.status",
    "db upgrade": "SchemaService.upgrade",
    "worker": None,  # runs each job as the person who asked; no catalogue access of its own
}


def expected(actions: tuple[str, ...], role: str, level: str) -> bool:
    """What the role table says: may a user with ``role`` at membership ``level`` do one of
    ``actions`` on the case?"""
    for action in actions:
        roles, membership = PERMISSIONS[action]
        if role not in roles:
            continue
        if not membership or (membership == LEAD and level == "lead"):
            return True
        if membership is True and level != "none":
            return True
    return False


def _public_methods() -> set[str]:
    found = set()
    for name, cls in SERVICES.items():
        for attr, value in inspect.getmembers(cls):
            if attr.startswith("_") or not callable(value) or isinstance(value, type):
                continue
            if getattr(value, "__module__", "").startswith("bsu_models"):
                found.add(f"{name}.{attr}")
    return found


def test_every_public_service_method_is_in_the_map():
    methods = _public_methods()
    assert not methods - set(METHOD_ACTIONS), "no action given for these public methods"
    assert not set(METHOD_ACTIONS) - methods, "the map names methods that no longer exist"
    used = {a for actions in METHOD_ACTIONS.values() if actions for a in actions}
    assert used == set(PERMISSIONS), "every action of the role table guards some method"


def _commands(parser: Any, path: tuple[str, ...] = ()) -> list[str]:
    import argparse

    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [" ".join(path)]
    return [
        command
        for action in subs
        for name, sub in action.choices.items()
        for command in _commands(sub, (*path, name))
    ]


def test_every_cli_command_is_in_the_map():
    from bsu_models.cli.commands import build_parser

    commands = set(_commands(build_parser()))
    assert commands == set(CLI_METHODS)
    assert {m for m in CLI_METHODS.values() if m} <= {
        m for m, actions in METHOD_ACTIONS.items() if actions is not None
    }


# -- the world --------------------------------------------------------------------------------


def _user(role: str, level: str) -> str:
    return f"{role}-{level}"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Any:
    """One case with a model and a one-step scene (two public witnesses and a sensitive one),
    one user per role and membership level, two posts; built once for the module."""
    root = tmp_path_factory.mktemp("matrix")
    settings = make_settings(root / "data")
    system = bsu_models.open_catalogue(settings)
    mesh = _box_ply(root / "yard.ply")
    version, scene = yard_case(system, mesh, CASE)
    doc = (
        system.scenes.document(scene.scene_id)
        .with_entity(Entity("w1", "W1", "witness"))
        .with_entity(Entity("w2", "W2", "witness"))
        .with_entity(Entity("x1", "Secret witness", "witness", sensitive=True))
        .with_step(Step("s1", "Arrives", "21:03"))
        .with_position(Position("w1", "s1", (0.0, 0.0, 0.0)))
        .with_position(Position("w2", "s1", (200.0, 100.0, 0.0)))
        .with_position(Position("x1", "s1", (-200.0, 100.0, 0.0)))
    )
    system.scenes.save(scene.scene_id, doc, scene.revision)
    # Accounts of the force's sign-on (no password to hash: the matrix needs 21 of them).
    groups = {f"BSU-{role}": role for role in ROLES}
    for role, level in itertools.product(ROLES, LEVELS):
        name = _user(role, level)
        claims = {"iss": "https://idp.test", "sub": name, "preferred_username": name,
                  "groups": [f"BSU-{role}"]}  # fmt: skip
        system.accounts.sign_on(claims, groups)
        if level != "none":
            system.memberships.add(CASE, name, lead=level == "lead")
    system.accounts.add_user("target", PASSWORD, ["investigator"])
    system.accounts.add_user("requester", PASSWORD, ["admin"])
    as_user = {
        name: system.as_user(system.accounts.principal(name))
        for name in (_user(r, lv) for r, lv in itertools.product(ROLES, LEVELS))
    }
    media = as_user[_user("media_officer", "member")]
    pending = media.posts.request(scene.scene_id, 1, "square", "Appeal for witnesses")
    approved = media.posts.request(scene.scene_id, 1, "square", "Second appeal")
    system.posts.decide(approved.post_id, True, "Nobody identifiable")
    scene_file = root / "scene.json"
    scene_file.write_text(json.dumps(system.scenes.export_json(scene.scene_id)))
    world = SimpleNamespace(
        root=root,
        settings=settings,
        system=system,
        as_user=as_user,
        mesh=mesh,
        version=version.version_id,
        model=version.model_id,
        scene=scene.scene_id,
        pending=pending.post_id,
        approved=approved.post_id,
        scene_file=scene_file,
        count=itertools.count(),
    )
    yield world
    system.close()


def _listed(found: bool) -> None:
    if not found:
        raise AccessDenied("not listed")


def _member(w: Any, username: str, member: bool) -> None:
    """Make sure ``username`` is (or is not) a member of the case, as the system."""
    if (username in {m.username for m in w.system.memberships.members(CASE)}) == member:
        return
    if member:
        w.system.memberships.add(CASE, username)
    else:
        w.system.memberships.remove(CASE, username)


def _requested(w: Any) -> None:
    """A waiting request by the admin ``requester`` (and no other) to add ``target``."""
    _member(w, "target", False)
    for request in w.system.memberships.requests():
        w.system.memberships.reject(request.case_reference, request.username)
    w.as_user.setdefault(
        "requester", w.system.as_user(w.system.accounts.principal("requester"))
    ).memberships.add(CASE, "target")


def _fresh_scene(w: Any) -> int:
    return w.system.scenes.copy(w.scene, f"Copy {next(w.count)}").scene_id


def _save(w: Any, cat: Catalogue) -> None:
    info = w.system.scenes.info(w.scene)
    doc = w.system.scenes.document(w.scene)
    cat.scenes.save(w.scene, doc.with_step(Step(f"x{info.revision}", "More")), info.revision)


def _layer(w: Any, cat: Catalogue) -> None:
    doc = w.system.scenes.document(w.scene)
    cat.scenes.layer(w.scene, doc, doc.steps[0])


def _web_sha(w: Any) -> str:
    return next(f.sha256 for f in w.system.get_version(w.version).files if f.role == "web_glb")


CALLS: dict[str, Callable[[Any, Catalogue], Any]] = {
    "Catalogue.add_case": lambda w, c: c.add_case(f"KC-NEW-{next(w.count)}", "New"),
    "Catalogue.list_cases": lambda w, c: _listed(CASE in {x.reference for x in c.list_cases()}),
    "Catalogue.get_case": lambda w, c: _hidden(lambda: c.get_case(CASE)),
    "Catalogue.import_model": lambda w, c: c.import_model(
        [bsu_models.UploadFile(w.mesh.name, w.mesh.read_bytes())],
        case=CASE,
        name=f"Yard {next(w.count)}",
    ),
    "Catalogue.derive_levels": lambda w, c: c.derive_levels(w.version),
    "Catalogue.derive_levels_later": lambda w, c: c.derive_levels_later(w.version),
    "Catalogue.job": lambda w, c: c.job(_levels_job(w)),
    "Catalogue.jobs": lambda w, c: _listed(_levels_job(w) in {j.job_id for j in c.jobs()}),
    "Catalogue.render_video_later": lambda w, c: c.render_video_later(w.scene, **SMALL_VIDEO),
    "Catalogue.job_file": lambda w, c: c.job_file(_video_job(w)),
    # The scene is not frozen: allowed, the job then fails with the Conflict.
    "Catalogue.build_exhibit_later": lambda w, c: c.build_exhibit_later(w.scene),
    "Catalogue.render_still_later": lambda w, c: c.render_still_later(
        w.version, preset="plan", size="1920x1080"
    ),
    "Catalogue.get_version": lambda w, c: c.get_version(w.version),
    "Catalogue.versions_of": lambda w, c: c.versions_of(w.model),
    "Catalogue.locate_version": lambda w, c: c.locate_version(w.version, 22.3, 114.17),
    "Catalogue.list_models": lambda w, c: _listed(bool(c.list_models(case=CASE))),
    "Catalogue.thumbnail_png": lambda w, c: c.thumbnail_png(w.version),
    "Catalogue.web_glb": lambda w, c: c.web_glb(w.version),
    "Catalogue.original_files": lambda w, c: c.original_files(w.version),
    "Catalogue.verify": lambda w, c: c.verify(),
    "Catalogue.audit_head": lambda w, c: c.audit_head(),
    "Catalogue.collect_garbage": lambda w, c: c.collect_garbage(dry_run=True),
    "Catalogue.record_view": lambda w, c: c.record_view(w.version, _web_sha(w), "cache"),
    "Catalogue.render_still": lambda w, c: c.render_still(
        w.version, preset="plan", size="1920x1080"
    ),
    "Catalogue.render_video": lambda w, c: c.render_video(
        w.scene, w.root / f"video-{next(w.count)}.mp4", size="square", fps=1, seconds_per_step=0.5
    ),
    "Catalogue.print_model": lambda w, c: c.print_model(
        w.version, scale="1:1000", out=w.root / f"print-{next(w.count)}.3mf"
    ),
    "Catalogue.video_mp4": lambda w, c: c.video_mp4(
        w.scene, size="square", fps=1, seconds_per_step=0.5
    ),
    # The scene is not frozen: allowed, the build stops at once with a Conflict.
    "Catalogue.build_exhibit": lambda w, c: c.build_exhibit(w.scene, w.root / "exhibit"),
    "Catalogue.exhibit_zip": lambda w, c: c.exhibit_zip(w.scene),
    "Catalogue.audit_events": lambda w, c: c.audit_events(5),
    "Catalogue.audit_csv": lambda w, c: c.audit_csv(bsu_models.AuditFilter(action="case.create")),
    "SceneService.reads_whole": lambda w, c: c.scenes.reads_whole(w.scene),
    "SceneService.info": lambda w, c: c.scenes.info(w.scene),
    "SceneService.info_on": lambda w, c: c.scenes.info_on(w.scene, w.version),
    "SceneService.list_scenes": lambda w, c: _listed(
        w.scene in {s.scene_id for s in c.scenes.list_scenes(w.version)}
    ),
    "SceneService.document": lambda w, c: c.scenes.document(w.scene),
    "SceneService.current_revision": lambda w, c: c.scenes.current_revision(w.scene),
    "SceneService.history": lambda w, c: c.scenes.history(w.scene),
    "SceneService.compare": lambda w, c: c.scenes.compare(w.scene, 1),
    "SceneService.compare_messages": lambda w, c: c.scenes.compare_messages(w.scene, 1),
    "SceneService.geometry": lambda w, c: c.scenes.geometry(w.version),
    "SceneService.snap": lambda w, c: c.scenes.snap(w.version, [[0.0, 0.0, 50.0]]),
    "SceneService.pick": lambda w, c: c.scenes.pick(
        w.version, [0.0, 0.0, 500.0], [0.0, 0.0, -1.0], [0.0, 0.0, 0.0]
    ),
    "SceneService.warm": lambda w, c: c.scenes.warm(w.version),
    "SceneService.surface": lambda w, c: c.scenes.surface(w.version),
    "SceneService.preset_view": lambda w, c: c.scenes.preset_view(w.version, "plan"),
    "SceneService.section_extent": lambda w, c: c.scenes.section_extent(w.version),
    "SceneService.section_box": lambda w, c: c.scenes.section_box(w.version, {"up": (0.0, 1.0)}),
    "SceneService.section_ranges": lambda w, c: c.scenes.section_ranges(
        w.version, bsu_models.Section((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    ),
    "SceneService.create": lambda w, c: c.scenes.create(w.version, "New scene"),
    "SceneService.save": _save,
    "SceneService.copy": lambda w, c: c.scenes.copy(w.scene, "Copied"),
    "SceneService.rename": lambda w, c: c.scenes.rename(
        _fresh_scene(w), f"Renamed {next(w.count)}"
    ),
    "SceneService.set_archived": lambda w, c: c.scenes.set_archived(_fresh_scene(w), True),
    "SceneService.import_json": lambda w, c: c.scenes.import_json(
        json.loads(w.scene_file.read_text()), w.version
    ),
    "SceneService.freeze": lambda w, c: c.scenes.freeze(_fresh_scene(w)),
    "SceneService.review": lambda w, c: c.scenes.review(_fresh_scene(w), "approved", FINDINGS),
    "SceneService.reviews": lambda w, c: c.scenes.reviews(w.scene),
    "SceneService.review_refusal": lambda w, c: c.scenes.review_refusal(w.scene),
    "SceneService.compare_accounts": lambda w, c: c.scenes.compare_accounts(
        w.scene, _fresh_scene(w)
    ),
    "SceneService.confirm_for_court": lambda w, c: c.scenes.confirm_for_court(w.scene),
    "SceneService.public_form": lambda w, c: c.scenes.public_form(
        bsu_models.SceneDoc(name="x"), w.version
    ),
    "SceneService.export_json": lambda w, c: c.scenes.export_json(w.scene),
    "SceneService.measure": lambda w, c: c.scenes.measure(
        w.scene,
        bsu_models.Measurement(
            "m",
            "distance",
            a=bsu_models.Anchor(point=(0, 0, 0)),
            b=bsu_models.Anchor(point=(100, 0, 0)),
        ),
    ),
    "SceneService.distance_between": lambda w, c: c.scenes.distance_between(w.scene, "W1", "W2"),
    "SceneService.eye_point": lambda w, c: c.scenes.eye_point(
        w.system.scenes.document(w.scene), "w1", "s1", w.version
    ),
    "SceneService.sightline": lambda w, c: c.scenes.sightline(w.scene, "W1", "W2"),
    "SceneService.layer": _layer,
    "PostService.request": lambda w, c: c.posts.request(w.scene, 1, "square", "Appeal"),
    "PostService.request_video": lambda w, c: c.posts.request_video(
        w.scene, "square", "Appeal", fps=1, seconds_per_step=0.5
    ),
    "PostService.get": lambda w, c: c.posts.get(w.pending),
    "PostService.list_posts": lambda w, c: _listed(
        w.pending in {p.post_id for p in c.posts.list_posts()}
    ),
    # The requester and deciders look at the picture; the post of this user where they made one.
    "PostService.preview": lambda w, c: c.posts.preview(_own_post(w, c)),
    "PostService.decide": lambda w, c: c.posts.decide(w.pending, False, "Shows a face"),
    "PostService.download": lambda w, c: c.posts.download(w.approved),
    "AccountService.list_users": lambda w, c: c.accounts.list_users(),
    "AccountService.user_info": lambda w, c: c.accounts.user_info("target"),
    "AccountService.add_user": lambda w, c: c.accounts.add_user(
        f"new-{next(w.count)}", PASSWORD, ["auditor"]
    ),
    "AccountService.reset_password": lambda w, c: c.accounts.reset_password(
        "target", "a new long password"
    ),
    "AccountService.set_roles": lambda w, c: c.accounts.set_roles("target", ["investigator"]),
    "AccountService.set_active": lambda w, c: c.accounts.set_active("target", True),
    "AccountService.set_language": lambda w, c: c.accounts.set_language("target", "en"),
    "AccountService.pending_reset": lambda w, c: c.accounts.pending_reset("target"),
    "AccountService.change_password": lambda w, c: c.accounts.change_password(
        "target", PASSWORD, "another long password"
    ),
    "AccountService.add_member": lambda w, c: (
        _member(w, "target", False),
        c.accounts.add_member(CASE, "target"),
    ),
    "AccountService.remove_member": lambda w, c: (
        _member(w, "target", True),
        c.accounts.remove_member(CASE, "target"),
    ),
    "MembershipService.add": lambda w, c: (
        _member(w, "target", False),
        c.memberships.add(CASE, "target"),
    ),
    "MembershipService.make_lead": lambda w, c: (
        _member(w, "target", True),
        c.memberships.make_lead(CASE, "target"),
    ),
    "MembershipService.remove": lambda w, c: (
        _member(w, "target", True),
        c.memberships.remove(CASE, "target"),
    ),
    "MembershipService.end_lead": lambda w, c: (
        _member(w, "target", True),
        w.system.memberships.make_lead(CASE, "target"),
        c.memberships.end_lead(CASE, "target"),
    ),
    "MembershipService.approve": lambda w, c: (
        _requested(w),
        c.memberships.approve(CASE, "target"),
    ),
    "MembershipService.reject": lambda w, c: (_requested(w), c.memberships.reject(CASE, "target")),
    "MembershipService.requests": lambda w, c: c.memberships.requests(),
    "MembershipService.members": lambda w, c: c.memberships.members(CASE),
    "MembershipService.led_cases": lambda w, c: _listed(CASE in c.memberships.led_cases()),
    "CameraService.solve": lambda w, c: c.cameras.solve(w.version, *_cctv(w)[:2]),
    "Catalogue.camera_still": lambda w, c: c.camera_still(_matched(w), "CAM"),
    "Catalogue.camera_coverage": lambda w, c: c.camera_coverage(_matched(w), "CAM", stride_px=8),
    "CameraService.add_frame": lambda w, c: c.cameras.add_frame(
        _matched(w), "CAM", _cctv(w)[0], "cam.png", **FRAME_SOURCE
    ),
    "CameraService.frames": lambda w, c: c.cameras.frames(_matched(w)),
    "CameraService.frame": lambda w, c: c.cameras.frame(_matched(w), _cctv(w)[2]),
    "CameraService.frame_bytes": lambda w, c: c.cameras.frame_bytes(_matched(w), _cctv(w)[2]),
    "CameraService.match": lambda w, c: c.cameras.match(_matched(w), "CAM", _cctv(w)[1]),
    "CameraService.solution": lambda w, c: c.cameras.solution(_matched(w), "CAM"),
    "CameraService.read_place": lambda w, c: c.cameras.read_place(_matched(w), "CAM", (320, 300)),
    "CameraService.place": lambda w, c: c.cameras.place(_matched(w), "W1", 1, "CAM", (320, 300)),
    "CameraService.record_height": lambda w, c: c.cameras.record_height(
        _matched(w), "CAM", "Person", (320, 200), (320, 300)
    ),
    "CameraService.height": lambda w, c: c.cameras.height(
        _matched(w), "CAM", (320, 200), (320, 300)
    ),
    "SchemaService.status": lambda w, c: SchemaService(c.engine, c.user).status(),
    "SchemaService.upgrade": lambda w, c: SchemaService(c.engine, c.user).upgrade(),
}


FRAME_SOURCE = {"camera_ref": "C7", "recorded_at": "2026-11-20 21:03", "exhibit": "JL/1"}


def _cctv(w: Any) -> tuple[bytes, Any, str]:
    """A frame of the yard, pairs of it seen by a camera above its south edge, the frame's
    hash."""
    if not hasattr(w, "cctv"):
        from PIL import Image

        from bsu_models.scenes.camera_service import pairs_from_arrays
        from bsu_models.scenes.camera_solve import project_points

        buffer = io.BytesIO()
        Image.new("RGB", (640, 480), (120, 120, 120)).save(buffer, format="PNG")
        points = [[x, y, z] for x in (-400, 400) for y in (-250, 250) for z in (0, 80)]
        eye, aim = [0.0, -1500.0, 800.0], [0.0, 0.0, 0.0]
        forward = np.subtract(aim, eye) / np.linalg.norm(np.subtract(aim, eye))
        right = np.cross(forward, [0, 0, 1.0])
        right /= np.linalg.norm(right)
        rotation = np.array([right, np.cross(forward, right), forward])
        pixels, _depth = project_points(points, rotation, eye, 800.0, 0.0, (640, 480))
        png = buffer.getvalue()
        w.cctv = (png, pairs_from_arrays(pixels, points), hashlib.sha256(png).hexdigest())
    return w.cctv


def _matched(w: Any) -> int:
    """A copy of the world's scene with a camera "CAM" matched on the yard frame."""
    if not hasattr(w, "matched"):
        png, pairs, _sha = _cctv(w)
        w.matched = w.system.scenes.copy(w.scene, "Matched").scene_id
        doc = w.system.scenes.document(w.matched).with_entity(Entity("cam", "CAM", "camera"))
        w.system.scenes.save(w.matched, doc, w.system.scenes.info(w.matched).revision)
        w.system.cameras.add_frame(w.matched, "CAM", png, "cam.png", **FRAME_SOURCE)
        w.system.cameras.match(w.matched, "CAM", pairs)
    return int(w.matched)


SMALL_VIDEO = {"size": "square", "fps": 1, "seconds_per_step": 0.5}


def _finished(w: Any, job: bsu_models.JobInfo) -> int:
    deadline = time.monotonic() + 120
    while not w.system.job(job.job_id).finished:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return job.job_id


def _levels_job(w: Any) -> int:
    """The job that made the version's levels (asked again: the same job)."""
    return _finished(w, w.system.derive_levels_later(w.version))


def _video_job(w: Any) -> int:
    return _finished(w, w.system.render_video_later(w.scene, **SMALL_VIDEO))


def _hidden(call: Callable[[], Any]) -> None:
    try:
        call()
    except NotFound:
        raise AccessDenied("not shown") from None


def _own_post(w: Any, cat: Catalogue) -> int:
    mine = [p for p in w.system.posts.list_posts() if p.requested_by == cat.user.username]
    return mine[0].post_id if mine else w.pending


def _allowed(call: Callable[[], Any]) -> bool:
    try:
        call()
    except AccessDenied:
        return False
    except Conflict:
        return True  # refused for another reason, after the access check let it through
    return True


def test_every_public_method_for_every_role_and_membership(world):
    """0 wrong allows and 0 wrong refusals over the whole role x action x membership matrix."""
    assert set(CALLS) == {m for m, a in METHOD_ACTIONS.items() if a is not None}
    wrong, calls = [], 0
    for method, call in CALLS.items():
        actions = METHOD_ACTIONS[method]
        assert actions is not None
        for role, level in itertools.product(ROLES, LEVELS):
            cat = world.as_user[_user(role, level)]
            got = _allowed(lambda cat=cat, call=call: call(world, cat))
            calls += 1
            if got != expected(actions, role, level):
                wrong.append(f"{method}: {role} ({level}) was {'allowed' if got else 'refused'}")
    assert not wrong, f"{len(wrong)} of {calls} calls wrong:\n" + "\n".join(wrong)
    assert calls == len(CALLS) * len(ROLES) * len(LEVELS)


# -- the command line -------------------------------------------------------------------------


def _cli_args(w: Any, command: str) -> tuple[list[str], str | None]:
    """The arguments of ``command`` for the matrix (and what goes to its stdin)."""
    scene, version = str(w.scene), str(w.version)
    n = next(w.count)
    match command:
        case "case add":
            return ["case", "add", f"KC-CLI-{n}", "--title", "New"], None
        case "case member add":
            _member(w, "target", False)
            return ["case", "member", "add", CASE, "target"], None
        case "case member remove":
            _member(w, "target", True)
            return ["case", "member", "remove", CASE, "target"], None
        case "case member approve" | "case member reject":
            _requested(w)
            return ["case", "member", command.split()[-1], CASE, "target"], None
        case "case lead":
            _member(w, "target", True)
            return ["case", "lead", CASE, "target"], None
        case "import":
            return ["import", str(w.mesh), "--case", CASE, "--name", f"CLI {n}"], None
        case "show":
            return ["show", version], None
        case "version locate":
            return ["version", "locate", version, "--lat", "22.3", "--lon", "114.17"], None
        case "derive":
            return ["derive", version], None
        case "render":
            out = w.root / f"still-{n}.png"
            return ["render", version, "--preset", "plan", "--out", str(out)], None
        case "video":
            out = w.root / f"video-{n}.mp4"
            return ["video", scene, "--out", str(out), "--size", "square", "--fps", "1",
                    "--seconds-per-step", "0.5"], None  # fmt: skip
        case "print":
            out = w.root / f"print-{n}.stl"
            return ["print", version, "--scale", "1:1000", "--out", str(out)], None
        case "scene new":
            return ["scene", "new", version, "--name", "From the CLI"], None
        case "scene export" | "scene history":
            return ["scene", command.split()[-1], scene], None
        case "scene import":
            return ["scene", "import", str(w.scene_file), "--version", version], None
        case "scene measure" | "scene sightline":
            return ["scene", command.split()[-1], scene, "--from", "W1", "--to", "W2"], None
        case "scene compare":
            return ["scene", "compare", scene, "--old", "1"], None
        case "scene freeze":
            return ["scene", "freeze", str(_fresh_scene(w))], None
        case "scene rename":
            return ["scene", "rename", str(_fresh_scene(w)), "--name", f"CLI scene {n}"], None
        case "scene copy":
            return ["scene", "copy", scene, "--name", f"CLI scene {n}"], None
        case "scene archive":
            return ["scene", "archive", str(_fresh_scene(w))], None
        case "scene restore":
            fresh = _fresh_scene(w)
            w.system.scenes.set_archived(fresh, True)
            return ["scene", "restore", str(fresh)], None
        case "scene review":
            checks = [f"--{item}={text}" for item, text in FINDINGS.items()]
            return ["scene", "review", str(_fresh_scene(w)), "--approve", *checks], None
        case "scene reviews":
            return ["scene", "reviews", scene], None
        case "scene compare-accounts":
            return ["scene", "compare-accounts", scene, str(_fresh_scene(w))], None
        case "exhibit":
            return ["exhibit", scene, "--out", str(w.root / f"exhibit-{n}")], None
        case "user add":
            return ["user", "add", f"cli-{n}", "--role", "auditor", "--password-stdin"], PASSWORD
        case "user reset-password":
            return ["user", "reset-password", "target", "--password-stdin"], PASSWORD
        case "user roles":
            return ["user", "roles", "target", "--role", "investigator"], None
        case "audit export":
            return ["audit", "export", "--out", str(w.root / f"audit-{n}.csv")], None
        case "camera solve" | "camera frame add" | "camera match":
            png, pairs, _sha = _cctv(w)
            (w.root / "cam.png").write_bytes(png)
            rows = [",".join(f"{c!r}" for c in (p.u, p.v, p.x, p.y, p.z)) for p in pairs]
            (w.root / "pairs.csv").write_text("u,v,x,y,z\n" + "\n".join(rows) + "\n")
            image = ["--image", str(w.root / "cam.png")]
            csv = ["--points", str(w.root / "pairs.csv")]
            if command == "camera solve":
                return ["camera", "solve", version, *image, *csv], None
            if command == "camera match":
                return ["camera", "match", str(_matched(w)), "--camera", "CAM", *csv], None
            source = ["--camera-id", "C7", "--time", "2026-11-20 21:03", "--exhibit", "JL/1"]
            return ["camera", "frame", "add", str(_matched(w)), "--camera", "CAM", *image,
                    *source], None  # fmt: skip
        case "camera still" | "camera coverage":
            out = str(w.root / f"camera-{n}.png")
            kind = command.split()[-1]
            return ["camera", kind, str(_matched(w)), "--camera", "CAM", "--out", out], None
        case "camera frame list":
            return ["camera", "frame", "list", str(_matched(w))], None
        case "camera place":
            return ["camera", "place", str(_matched(w)), "--camera", "CAM", "--entity", "W1",
                    "--pixel", "320,300"], None  # fmt: skip
        case "camera height":
            return ["camera", "height", str(_matched(w)), "--camera", "CAM", "--head",
                    "320,200", "--feet", "320,300"], None  # fmt: skip
    return [*command.split(), "--json"], None  # the listings, verify, requests


#: Listings show the case's items (allowed) or leave them out (refused).
CLI_LISTED: dict[str, Callable[[Any, list[Any]], bool]] = {
    "case list": lambda w, out: CASE in {c["reference"] for c in out},
    "list": lambda w, out: CASE in {m["case"] for m in out},
    "scene list": lambda w, out: w.scene in {s["scene_id"] for s in out},
}


def _run_cli(monkeypatch, capsys, w: Any, actor: str, command: str) -> bool:
    args, stdin = _cli_args(w, command)
    monkeypatch.setenv("BSU_DATA_DIR", str(w.settings.data_dir))
    monkeypatch.setenv("BSU_DATABASE_URL", w.settings.database_url)
    monkeypatch.setenv("BSU_ACTOR", actor)
    monkeypatch.setattr(sys, "stdin", io.StringIO((stdin or "") + "\n"))
    refusals = _refusals(w)
    code = main(args)
    out, err = capsys.readouterr()
    if command in CLI_LISTED:
        assert code == 0, err
        return CLI_LISTED[command](w, json.loads(out))
    if code == 0:
        return True
    assert code == 2, err
    # Refused by the role table (recorded), or stopped after it by a Conflict (not frozen).
    return _refusals(w) == refusals


def _refusals(w: Any) -> int:
    """How many refusals the audit log holds."""
    with w.system.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(AuditRow).where(AuditRow.outcome == "refused")
            ).scalar_one()
        )


def test_every_cli_command_for_every_role(world, monkeypatch, capsys):
    """Each CLI command for every role as a member, and for each role it allows also without
    membership (and as the case's lead): the command line follows the same table."""
    wrong, calls = [], 0
    for command, method in CLI_METHODS.items():
        if method is None:
            continue
        actions = METHOD_ACTIONS[method]
        assert actions is not None
        for role, level in itertools.product(ROLES, LEVELS):
            # Every role as a member; the other levels where the table's answer changes.
            if level != "member" and expected(actions, role, level) == expected(
                actions, role, "member"
            ):
                continue
            got = _run_cli(monkeypatch, capsys, world, _user(role, level), command)
            calls += 1
            if got != expected(actions, role, level):
                wrong.append(f"{command}: {role} ({level}) was {'allowed' if got else 'refused'}")
    assert not wrong, f"{len(wrong)} of {calls} commands wrong:\n" + "\n".join(wrong)


def test_demo_refuses_an_unknown_or_closed_actor(world, monkeypatch, capsys):
    monkeypatch.setenv("BSU_DATA_DIR", str(world.settings.data_dir))
    monkeypatch.setenv("BSU_DATABASE_URL", world.settings.database_url)
    world.system.accounts.add_user("closed", PASSWORD, ["investigator"])
    world.system.accounts.set_active("closed", False)
    for actor in ("nobody-at-all", "closed"):
        monkeypatch.setenv("BSU_ACTOR", actor)
        assert main(["demo"]) == 2
        assert f"{actor!r} is not an active account" in capsys.readouterr().err
    # An active account that may not open cases may not load the demo either.
    monkeypatch.setenv("BSU_ACTOR", _user("media_officer", "member"))
    assert main(["demo"]) == 2
    assert "error:" in capsys.readouterr().err
    assert "KC-2026-0142" not in {c.reference for c in world.system.list_cases()}


# -- media officers see the public derivative only -------------------------------------------


def test_media_officer_reads_only_the_public_form_of_a_scene(world, monkeypatch, capsys):
    media = world.as_user[_user("media_officer", "member")]
    whole = world.system.scenes.document(world.scene)
    public = media.scenes.document(world.scene)
    assert "Secret witness" in {e.label for e in whole.entities}
    assert {e.label for e in public.entities} == {"W1", "W2"}
    assert not [p for p in public.positions if p.entity == "x1"]
    assert not media.scenes.reads_whole(world.scene)
    with pytest.raises(AccessDenied):
        media.scenes.document(world.scene, 1)  # no older revision: no history of it
    with pytest.raises(AccessDenied):
        media.scenes.history(world.scene)
    with pytest.raises(bsu_models.InvalidInput):  # as if there were no such entity
        media.scenes.distance_between(world.scene, "W1", "Secret witness")
    with pytest.raises(bsu_models.InvalidInput):
        media.scenes.sightline(world.scene, "Secret witness", "W1")
    monkeypatch.setenv("BSU_DATA_DIR", str(world.settings.data_dir))
    monkeypatch.setenv("BSU_DATABASE_URL", world.settings.database_url)
    monkeypatch.setenv("BSU_ACTOR", _user("media_officer", "member"))
    scene = str(world.scene)
    assert main(["scene", "measure", scene, "--from", "W1", "--to", "Secret witness"]) == 2
    assert main(["scene", "history", scene]) == 2
    assert main(["scene", "compare", scene, "--old", "1"]) == 2
    assert "Secret" not in capsys.readouterr().out


# -- the README ---------------------------------------------------------------------------------


def test_readme_role_table_is_the_code_s():
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        from role_table import readme_with_table
    finally:
        sys.path.pop(0)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert role_table_markdown() in readme
    assert readme_with_table(readme) == readme, "run: python scripts/role_table.py --write"
