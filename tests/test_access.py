"""Who may do what: every role against every action, on a case the user is a member of and on
one they are not; refusals are audit events; sign-in, lockout and the two-person rule."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trimesh

import bsu_models
from bsu_models import AccessDenied, Entity, LoginFailed, Position, Step
from tests.conftest import CHECKED, approve_for_court, make_settings

pytestmark = pytest.mark.render
MEMBER, OTHER = "KC-MEMBER", "KC-OTHER"
PASSWORD = "correct horse battery"
ROLES = (
    "modeller",
    "investigator",
    "presenter",
    "media_officer",
    "approver",
    "auditor",
    "admin",
    "reviewer",
)
READERS = {"modeller", "investigator", "presenter", "media_officer", "approver", "reviewer"}
#: Scene names must differ on a version: each reviewed copy gets the next number.
COPIES = itertools.count(1)

# Written out by hand (not derived from bsu_models.core.access) so that a change to the rules
# shows up here as a failing row: action -> roles allowed on a case they are a member of.
ALLOWED_ON_MEMBER_CASE: dict[str, set[str]] = {
    "see the model": READERS,
    "list models": READERS,
    "import a model": {"modeller"},
    "download the original": {"modeller", "investigator", "presenter"},
    "see the scene": READERS,
    "change the scene": {"investigator"},
    "export the scene": {"investigator", "presenter"},
    "render a still": {"modeller", "investigator", "presenter"},
    "request a public post": {"media_officer"},
    "review the scene": {"reviewer"},
    "freeze the scene": {"presenter"},
}
# Not about one case: action -> roles allowed.
ALLOWED_ANYWHERE: dict[str, set[str]] = {
    "read the audit log": {"auditor"},
    "add a user": {"admin"},
    "manage case membership": {"admin"},
    "check integrity": {"auditor", "admin"},
    "create a case": {"modeller", "admin"},
}


def _box_ply(path: Path) -> Path:
    ground = trimesh.creation.box(extents=(1000, 600, 10))
    ground.apply_translation((0, 0, -5))
    ground.export(path)
    return path


def yard_case(
    system: bsu_models.Catalogue, mesh: Path, reference: str
) -> tuple[bsu_models.VersionInfo, bsu_models.SceneInfo]:
    """Case ``reference`` with the yard model (1:100, mm) and an empty scene on it."""
    system.add_case(reference, f"Case {reference}")
    version = system.import_model(
        [bsu_models.UploadFile(mesh.name, mesh.read_bytes())],
        case=reference,
        name="Yard",
        units="mm",
        scale="1:100",
    ).version
    return version, system.scenes.create(version.version_id, "Sequence")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Any]:
    """Two cases with a model and a one-step scene each; one user per role, member of the
    first case only."""
    root = tmp_path_factory.mktemp("access")
    system = bsu_models.open_catalogue(make_settings(root / "data"))
    mesh = _box_ply(root / "yard.ply")
    ids: dict[str, dict[str, int]] = {}
    for reference in (MEMBER, OTHER):
        version, scene = yard_case(system, mesh, reference)
        doc = (
            system.scenes.document(scene.scene_id)
            .with_entity(Entity("w1", "W1", "witness"))
            .with_step(Step("s1", "Arrives", "21:03"))
            .with_position(Position("w1", "s1", (0.0, 0.0, 0.0)))
        )
        system.scenes.save(scene.scene_id, doc, scene.revision)
        ids[reference] = {"version": version.version_id, "model": version.model_id,
                          "scene": scene.scene_id}  # fmt: skip
    for role in ROLES:
        system.accounts.add_user(f"{role}-user", PASSWORD, [role])
        system.accounts.add_member(MEMBER, f"{role}-user")
    yield {"system": system, "ids": ids, "mesh": mesh}
    system.close()


def _as(world: dict[str, Any], role: str) -> bsu_models.Catalogue:
    system = world["system"]
    return system.as_user(system.accounts.authenticate(f"{role}-user", PASSWORD))


def _case_actions(world: dict[str, Any], reference: str) -> dict[str, Callable[..., Any]]:
    ids, system, mesh = world["ids"][reference], world["system"], world["mesh"]

    def change(cat: bsu_models.Catalogue) -> None:
        info = system.scenes.info(ids["scene"])
        doc = system.scenes.document(ids["scene"])
        cat.scenes.save(ids["scene"], doc.with_step(Step(f"x{info.revision}", "More")),
                        info.revision)  # fmt: skip

    def listed(cat: bsu_models.Catalogue) -> None:
        if not [m for m in cat.list_models() if m.case_reference == reference]:
            raise AccessDenied("not listed")

    return {
        "see the model": lambda cat: cat.get_version(ids["version"]),
        "list models": listed,
        "import a model": lambda cat: cat.import_model(
            [bsu_models.UploadFile(mesh.name, mesh.read_bytes())], case=reference, name="Yard"
        ),
        "download the original": lambda cat: cat.original_files(ids["version"]),
        "see the scene": lambda cat: cat.scenes.document(ids["scene"]),
        "change the scene": change,
        "export the scene": lambda cat: cat.scenes.export_json(ids["scene"]),
        "render a still": lambda cat: cat.render_still(
            ids["version"], preset="plan", size="1920x1080"
        ),
        "request a public post": lambda cat: cat.posts.request(
            ids["scene"], 1, "square", "Appeal for witnesses"
        ),
        # A fresh copy each time: the reviewer of the scene did not author it.
        "review the scene": lambda cat: cat.scenes.review(
            system.scenes.copy(ids["scene"], f"Copy for review {next(COPIES)}").scene_id,
            "approved",
            CHECKED,
        ),
        # Last: a frozen scene takes no more changes. Freezing needs an approved review of the
        # current revision, by someone who did not author it.
        "freeze the scene": lambda cat: (
            _reviewed(system, ids["scene"]),
            cat.scenes.freeze(ids["scene"]),
        ),
    }


def _reviewed(system: bsu_models.Catalogue, scene_id: int) -> None:
    if not system.scenes.info(scene_id).frozen:
        approve_for_court(system, scene_id, actor="reviewer-of-record")


def _outcome(action: Callable[..., Any], cat: bsu_models.Catalogue) -> bool:
    try:
        action(cat)
    except AccessDenied:
        return False
    return True


def test_every_role_against_every_case_action(world):
    refused_before = len([e for e in world["system"].audit_events(None) if e.outcome == "refused"])
    table: list[tuple[str, str, str, bool, bool]] = []
    # Each signs in once: no action here changes an account, and each access check reads the
    # case's members from the database, not from the principal.
    signed_in = {role: _as(world, role) for role in ROLES}
    for reference in (MEMBER, OTHER):
        for action_name, action in _case_actions(world, reference).items():
            for role in ROLES:
                allowed = _outcome(action, signed_in[role])
                expected = reference == MEMBER and role in ALLOWED_ON_MEMBER_CASE[action_name]
                table.append((reference, action_name, role, allowed, expected))
    wrong = [row for row in table if row[3] != row[4]]
    assert not wrong, "\n".join(
        f"{ref} {action}: {role} {'was allowed' if got else 'was refused'}"
        for ref, action, role, got, _ in wrong
    )
    refused = [e for e in world["system"].audit_events(None) if e.outcome == "refused"]
    # Every refusal of a case action is recorded (listing just leaves the case out).
    expected_refusals = sum(
        1 for ref, action, _r, _g, exp in table if not exp and action != "list models"
    )
    assert len(refused) - refused_before == expected_refusals
    last = refused[0]
    assert last.actor.endswith("-user") and "reason" in last.details


@pytest.mark.parametrize("action_name", list(ALLOWED_ANYWHERE))
def test_every_role_against_every_other_action(world, action_name):
    counter = iter(range(1000))

    actions: dict[str, Callable[..., Any]] = {
        "read the audit log": lambda cat: cat.audit_events(),
        "add a user": lambda cat: cat.accounts.add_user(
            f"new-{action_name[:3]}-{next(counter)}-{cat.user.username}"[:60], PASSWORD, ["auditor"]
        ),
        "manage case membership": lambda cat: cat.accounts.add_member(OTHER, "auditor-user"),
        "check integrity": lambda cat: cat.verify(),
        "create a case": lambda cat: cat.add_case(
            f"KC-NEW-{next(counter)}-{cat.user.username[:6]}", "New"
        ),
    }
    for role in ROLES:
        allowed = _outcome(actions[action_name], _as(world, role))
        assert allowed == (role in ALLOWED_ANYWHERE[action_name]), (action_name, role)


def test_admin_sees_case_titles_and_nothing_inside(world):
    admin = _as(world, "admin")
    assert {c.reference for c in admin.list_cases()} >= {MEMBER, OTHER}
    assert admin.list_models() == [] and admin.scenes.list_scenes() == []
    investigator = _as(world, "investigator")
    assert {c.reference for c in investigator.list_cases()} == {MEMBER}
    assert {s.case_reference for s in investigator.scenes.list_scenes()} == {MEMBER}


def test_wrong_passwords_lock_the_account_and_every_attempt_is_audited(world):
    system = world["system"]
    system.accounts.add_user("lockme", PASSWORD, ["investigator"])
    # One message for every failure: it tells no one whether a name exists or is locked.
    for _ in range(5):
        with pytest.raises(LoginFailed, match="name or password is wrong, or the account is"):
            system.accounts.authenticate("lockme", "wrong password!")
    with pytest.raises(LoginFailed, match="name or password is wrong"):
        system.accounts.authenticate("lockme", PASSWORD)  # right password, but locked
    with pytest.raises(LoginFailed, match="name or password is wrong"):
        system.accounts.authenticate("nobody", PASSWORD)
    logins = [e for e in system.audit_events(None) if e.action == "login"]
    mine = [e.outcome for e in logins if e.object_id == "lockme"]
    assert mine.count("failed") == 5 and mine.count("refused") == 1
    # A name no account has is not recorded as typed (it may be a password in the wrong box).
    assert any(
        e.object_id == "(unknown name)" and e.outcome == "failed" and e.details["name_sha256"]
        for e in logins
    )
    system.accounts.reset_password("lockme", "a new long password")
    assert system.accounts.authenticate("lockme", "a new long password").username == "lockme"
    stored = [u for u in system.accounts.list_users() if u.username == "lockme"]
    assert stored and stored[0].locked_until is None


def test_passwords_are_stored_as_argon2id_hashes(world):
    from sqlalchemy import text

    with world["system"].engine.connect() as conn:
        stored = conn.execute(
            text("SELECT password_hash FROM users WHERE username = 'auditor-user'")
        ).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_sign_on_maps_groups_to_roles(world):
    system = world["system"]
    mapping = {"BSU-Approvers": "approver", "BSU-Media": "media_officer"}
    issuer = "https://idp.police.example"
    user = system.accounts.sign_on(
        {"iss": issuer, "sub": "42", "preferred_username": "chan.tm@police.example",
         "name": "陳大文", "groups": ["BSU-Approvers", "Everyone"]},
        mapping,
    )  # fmt: skip
    assert user.username == "chan.tm" and user.roles == frozenset({"approver"})
    again = system.accounts.sign_on(
        {"iss": issuer, "sub": "42", "preferred_username": "chan.tm", "groups": ["BSU-Media"]},
        mapping,
    )
    assert again.roles == frozenset({"media_officer"})  # left the approvers' group
    # Someone whose claims carry a local account's name does not become that account.
    with pytest.raises(LoginFailed, match="already belongs to another account"):
        system.accounts.sign_on(
            {"iss": issuer, "sub": "666", "preferred_username": "admin-user",
             "groups": ["BSU-Approvers"]},
            mapping,
        )  # fmt: skip
    with pytest.raises(bsu_models.InvalidInput, match="sign-on"):
        system.accounts.reset_password("chan.tm", "a password for chan")


def test_requester_cannot_approve_and_only_approved_posts_download(world):
    system, ids = world["system"], world["ids"][MEMBER]
    system.accounts.add_user("media2", PASSWORD, ["media_officer", "approver"])
    system.accounts.add_member(MEMBER, "media2")
    both = system.as_user(system.accounts.principal("media2"))
    scene = system.scenes.copy(ids["scene"], "For the public")
    post = both.posts.request(scene.scene_id, 1, "landscape", "Appeal for witnesses 呼籲證人")
    with pytest.raises(AccessDenied, match="requested post"):
        both.posts.decide(post.post_id, True, "looks fine")
    with pytest.raises(AccessDenied, match="only approved posts download"):
        both.posts.download(post.post_id)
    approver = _as(world, "approver")
    with pytest.raises(bsu_models.InvalidInput, match="reason"):
        approver.posts.decide(post.post_id, True, "  ")
    decided = approver.posts.decide(post.post_id, True, "No one identifiable; checked")
    assert decided.status == "approved" and decided.decided_by == "approver-user"
    name, data = both.posts.download(post.post_id)
    assert name == f"public-post-{post.post_id}-landscape.png" and data[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(bsu_models.Conflict, match="already approved"):
        approver.posts.decide(post.post_id, False, "changed my mind")
    # A request whose scene changed since is not approved: the picture no longer matches.
    second = both.posts.request(scene.scene_id, 1, "square", "Second appeal")
    doc = system.scenes.document(scene.scene_id)
    system.scenes.save(scene.scene_id, doc.with_step(Step("s2", "Later")), scene.revision)
    with pytest.raises(bsu_models.Conflict, match="request a new post"):
        approver.posts.decide(second.post_id, True, "ok")
    actions = [e.action for e in system.audit_events(None) if e.object_type == "post"]
    assert {"post.request", "post.approve", "post.download"} <= set(actions)
    assert system.verify().ok  # post images are stored files the check knows about


def test_admins_cannot_give_themselves_roles_or_cases(world):
    admin = _as(world, "admin")
    with pytest.raises(AccessDenied, match="own roles"):
        admin.accounts.set_roles("admin-user", ["admin", "investigator"])
    with pytest.raises(AccessDenied, match="own case membership"):
        admin.accounts.add_member(OTHER, "admin-user")
    assert admin.list_models() == []


def test_importing_into_a_case_that_does_not_exist_is_refused_not_created(world):
    modeller = _as(world, "modeller")
    with pytest.raises(AccessDenied, match="not a member of case KC-NOWHERE"):
        modeller.import_model(
            [bsu_models.UploadFile("x.ply", world["mesh"].read_bytes())],
            case="KC-NOWHERE",
            name="Yard",
        )
