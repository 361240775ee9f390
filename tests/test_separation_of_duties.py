"""Separation of duties: an admin manages accounts but cannot alone give anyone access to a
case; a case's lead grants its membership, or one admin asks and a second approves; an admin's
password reset ends the user's sessions and asks them for a new password, telling them who reset
it and when. The pages offer each control only to those the role table lets use it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import bsu_models
from bsu_models import AccessDenied, LoginFailed
from tests.conftest import _new_postgres_database, make_settings
from tests.test_pages import APP, _demo, app_env  # noqa: F401  (app_env is a fixture)

PASSWORD = "correct horse battery"
CASE = "KC-SOD-1"
FOOTBRIDGE = "KC-2026-0142 — Footbridge, Tsim Sha Tsui"  # the demo model with a scene


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def people(request, tmp_path_factory) -> Any:
    """A case opened by a modeller (its first lead), two admins, and a few people; on SQLite
    and on PostgreSQL."""
    url = None
    if request.param == "postgresql":
        url = _new_postgres_database(request.getfixturevalue("postgres_server"))
    system = bsu_models.open_catalogue(make_settings(tmp_path_factory.mktemp("sod") / "data", url))
    for name, roles in (
        ("lead", ["modeller"]),
        ("inv", ["investigator"]),
        ("pres", ["presenter"]),
        ("admin1", ["admin"]),
        ("admin2", ["admin"]),
        ("mole", ["investigator"]),
    ):
        system.accounts.add_user(name, PASSWORD, roles)

    def as_user(name: str) -> bsu_models.Catalogue:
        return system.as_user(system.accounts.principal(name))

    as_user("lead").add_case(CASE, "Case led by its creator")
    yield system, as_user
    system.close()


def _events(system: bsu_models.Catalogue, action: str) -> list[bsu_models.AuditEvent]:
    """Events of ``action`` (a prefix), oldest first."""
    return system.audit_events(None, bsu_models.AuditFilter(action=action))[::-1]


def test_the_creator_leads_the_case_and_a_lead_grants_membership(people):
    system, as_user = people
    lead = as_user("lead")
    assert lead.memberships.led_cases() == [CASE]
    assert lead.accounts.add_member(CASE, "inv") is None  # at once: no request
    assert as_user("inv").get_case(CASE).reference == CASE
    # A member who does not lead may not grant membership.
    with pytest.raises(AccessDenied, match="does not lead case KC-SOD-1"):
        as_user("inv").accounts.add_member(CASE, "pres")
    lead.memberships.make_lead(CASE, "inv")
    as_user("inv").accounts.add_member(CASE, "pres")
    members = {m.username: m.lead for m in lead.memberships.members(CASE)}
    assert members == {"lead": True, "inv": True, "pres": False}
    lead.memberships.end_lead(CASE, "inv")
    with pytest.raises(AccessDenied, match="does not lead"):
        as_user("inv").accounts.remove_member(CASE, "pres")
    granted = [e for e in _events(system, "case.member_add") if e.object_id == CASE]
    assert [(e.actor, e.details["user"]) for e in granted] == [("lead", "inv"), ("inv", "pres")]
    leads = [e for e in _events(system, "case") if e.action.startswith("case.lead_")]
    assert [(e.action, e.actor) for e in leads] == [
        ("case.lead_add", "lead"),
        ("case.lead_remove", "lead"),
    ]


def test_an_admin_alone_cannot_give_anyone_access_to_a_case(people):
    system, as_user = people
    admin1, admin2 = as_user("admin1"), as_user("admin2")
    # The attack of old: make an account, add it to the case, sign in as it.
    request = admin1.accounts.add_member(CASE, "mole")
    assert request is not None and request.status == "pending"
    assert request.requested_by == "admin1"
    with pytest.raises(AccessDenied, match="not a member of case"):
        as_user("mole").require_case("case.view", CASE)
    with pytest.raises(AccessDenied, match="may not approve it; a second admin must"):
        admin1.memberships.approve(CASE, "mole")
    refused = [e for e in _events(system, "case.member_approve") if e.outcome == "refused"]
    assert refused and refused[-1].actor == "admin1"
    # Nobody approves their own membership either.
    own = admin2.accounts.add_member(CASE, "admin1")
    assert own is not None
    with pytest.raises(AccessDenied, match="own case membership"):
        admin1.memberships.approve(CASE, "admin1")
    admin1.memberships.reject(CASE, "admin1")
    # A second admin approves: then, and only then, the person is a member.
    assert [r.username for r in admin2.memberships.requests()] == ["mole"]
    admin2.memberships.approve(CASE, "mole")
    as_user("mole").require_case("case.view", CASE)
    with pytest.raises(bsu_models.NotFound, match="No request waits"):
        admin2.memberships.approve(CASE, "mole")
    [approval] = [e for e in _events(system, "case.member_approve") if e.outcome == "ok"]
    assert approval.actor == "admin2" and approval.details["requested_by"] == "admin1"
    assert admin2.memberships.requests() == []
    # Ending access needs no second person.
    admin1.accounts.remove_member(CASE, "mole")
    with pytest.raises(AccessDenied):
        as_user("mole").require_case("case.view", CASE)
    # An admin that admin1 made (or gave roles or a password) is admin1 in another name.
    admin1.accounts.add_user("admin3", PASSWORD, ["admin"])
    admin1.accounts.add_member(CASE, "mole")
    with pytest.raises(AccessDenied, match="was made, given roles or given a password by admin1"):
        as_user("admin3").memberships.approve(CASE, "mole")
    admin1.accounts.set_roles("admin2", ["admin"])
    with pytest.raises(AccessDenied, match="given roles or given a password by admin1"):
        admin2.memberships.approve(CASE, "mole")
    with pytest.raises(AccessDenied):
        as_user("mole").require_case("case.view", CASE)


def test_a_password_reset_ends_sessions_and_asks_for_a_new_password(people):
    system, as_user = people
    signed_in = dt.datetime.now(dt.UTC)
    system.accounts.authenticate("pres", PASSWORD)
    assert not system.accounts.principal("pres", signed_in_at=signed_in).must_change_password
    as_user("admin1").accounts.reset_password("pres", "given by the admin")
    with pytest.raises(LoginFailed, match="reset your password, which ended this session"):
        system.accounts.principal("pres", signed_in_at=signed_in)
    user = system.accounts.authenticate("pres", "given by the admin")
    assert user.must_change_password
    pres = system.as_user(user)
    # Until the new password, nothing else: the service refuses, whatever the page does.
    with pytest.raises(AccessDenied, match="must choose a new password"):
        pres.require_case("case.view", CASE)
    assert pres.list_models() == [] and not user.may("scene.view")
    reset = pres.accounts.pending_reset("pres")
    assert reset is not None and reset.reset_by == "admin1"
    assert abs((reset.reset_at - dt.datetime.now(dt.UTC)).total_seconds()) < 60
    with pytest.raises(LoginFailed, match="current password is wrong"):
        pres.accounts.change_password("pres", "not it at all", "my very own password")
    with pytest.raises(AccessDenied, match="only their own password"):
        as_user("admin1").accounts.change_password("pres", "given by the admin", "x" * 12)
    pres.accounts.change_password("pres", "given by the admin", "my very own password")
    again = system.accounts.authenticate("pres", "my very own password")
    assert not again.must_change_password and pres.accounts.pending_reset("pres") is None
    outcomes = [(e.action, e.outcome) for e in _events(system, "user")]
    assert ("user.password_reset", "ok") in outcomes
    assert ("user.password_change", "failed") in outcomes
    assert ("user.password_change", "ok") in outcomes


# -- the pages --------------------------------------------------------------------------------


def _signed_in(username: str, at_time: dt.datetime | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["bsu_user"] = username
    at.session_state["bsu_signed_in_at"] = at_time or dt.datetime.now(dt.UTC)
    return at.run()


def _page(username: str, page: str, key: str) -> AppTest:
    """``page`` signed in as ``username``, on the demo footbridge (which has a scene)."""
    at = _signed_in(username)
    at.switch_page(page).run()
    at.selectbox(key=f"{key}_model").select(FOOTBRIDGE).run()
    assert not at.exception
    return at


def _labels(widgets: Any) -> set[str]:
    return {w.label for w in widgets}


def test_pages_and_controls_follow_the_role_table(app_env):  # noqa: F811
    _demo(app_env)
    media = _signed_in("media")
    for page in ("views/scene_editor.py", "views/presentation.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            media.switch_page(page)
    # A modeller sees scenes read-only: no "Add step", no tools, the reason shown.
    modeller = _page("modeller", "views/scene_editor.py", "editor")
    assert "Add step" not in _labels(modeller.button)
    assert not modeller.radio
    assert any("may not change scenes" in i.value for i in modeller.info)
    investigator = _page("investigator", "views/scene_editor.py", "editor")
    assert "Add step" in _labels(investigator.button) and investigator.radio
    # Freezing is the presenter's: others see why instead of the button.
    investigator = _page("investigator", "views/presentation.py", "present")
    assert "Freeze for court" not in _labels(investigator.button)
    assert any("may not freeze scenes for court" in c.value for c in investigator.caption)
    presenter = _page("presenter", "views/presentation.py", "present")
    assert "Freeze for court" in _labels(presenter.button)


def test_a_reset_ends_the_session_and_the_next_sign_in_shows_it(app_env):  # noqa: F811
    _demo(app_env)
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    cat = bsu_models.open_catalogue()
    admin = cat.as_user(cat.accounts.principal("admin"))
    admin.accounts.reset_password("investigator", "given by the admin")
    at = _signed_in("investigator", before)
    assert not at.exception
    assert "ended this session" in at.info[0].value
    at.text_input(key="sign_in_name").input("investigator")
    at.text_input(key="sign_in_password").input("given by the admin")
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception
    assert at.subheader[0].value == "Choose a new password"
    assert at.warning[0].value.startswith("admin reset your password on ")
    for widget, value in zip(
        at.text_input, ("given by the admin", "my own password 1", "my own password 1"), strict=True
    ):
        widget.input(value)
    next(b for b in at.button if b.label == "Save the new password").click().run()
    assert not at.exception
    assert at.title[0].value == "Catalogue"


def test_a_case_lead_adds_a_member_on_the_people_page(app_env):  # noqa: F811
    _demo(app_env)
    cat = bsu_models.open_catalogue()
    cat.accounts.add_user("newcomer", "newcomer-password", ["presenter"])
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        _signed_in("presenter").switch_page("views/people.py")  # a member, not a lead
    at = _signed_in("investigator")  # the demo case's lead
    at.switch_page("views/people.py").run()
    assert not at.exception
    assert "newcomer" not in set(at.dataframe[0].value["User name"])
    at.text_input(key="people_add_KC-2026-0142").input("newcomer")
    next(b for b in at.button if b.label == "Add members").click().run()
    assert not at.exception
    assert at.success[0].value == "Added to KC-2026-0142: newcomer."
    assert cat.accounts.user_info("newcomer").cases == ("KC-2026-0142",)
