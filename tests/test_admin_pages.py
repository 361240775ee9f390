"""The Audit page (auditors) and the People page (admins) under Streamlit's AppTest.

Each test signs in by putting a demo account's name in the session, as the sign-in page does;
the demo accounts all have the password ``bsu-demo-2026``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import bsu_models
import tests.test_pages as pages
from tests.conftest import REPO

APP = pages.APP
app_env = pages.app_env  # the fixture: a fresh data folder that the app opens
_demo = pages._demo

DEMO_PASSWORD = "bsu-demo-2026"
CASE = "KC-2026-0142"


def _signed_in(username: str, script: str = APP) -> AppTest:
    at = AppTest.from_file(script, default_timeout=120)
    at.session_state["bsu_user"] = username
    return at.run()


def _button(at: AppTest, label: str) -> Any:
    return next(b for b in at.button if b.label == label)


def _table(at: AppTest, index: int = 0) -> Any:
    return at.dataframe[index].value


# -- the audit log --------------------------------------------------------------------------------


def test_auditor_filters_the_log_and_exports_it_as_csv(app_env):
    _demo(app_env)
    accounts = bsu_models.open_catalogue().accounts
    accounts.authenticate("auditor", DEMO_PASSWORD)
    with pytest.raises(bsu_models.LoginFailed):
        accounts.authenticate("auditor", "not the password")

    at = _signed_in("auditor")
    at.switch_page("views/audit.py").run()
    assert not at.exception
    assert at.title[0].value == "Audit log"
    assert "user.create" in set(_table(at)["Action"])

    at.text_input(key="audit_action").input("login")
    at.selectbox(key="audit_outcome").select("failed")
    at.run()
    events = _table(at)
    assert list(events["Actor"]) == ["auditor"]
    assert list(events["Outcome"]) == ["× failed"]
    assert '"method":"wrong password"' in events["Details"][0]
    assert "refused or failed" in at.warning[0].value

    at.selectbox(key="audit_outcome").select("ok").run()
    assert list(_table(at)["Outcome"]) == ["✓ ok"]

    # Dates are Hong Kong dates: nothing happened before today, everything on it.
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    at.date_input(key="audit_until").set_value(today - dt.timedelta(days=1)).run()
    assert at.info[0].value == "No events match these filters."
    at.date_input(key="audit_until").set_value(today)
    at.date_input(key="audit_since").set_value(today).run()
    assert len(_table(at)) == 1

    assert not at.get("download_button")
    at.button(key="audit_prepare").click().run()
    assert not at.exception
    assert len(at.get("download_button")) == 1
    exports = bsu_models.open_catalogue().audit_events(
        None, bsu_models.AuditFilter(action="audit.export")
    )
    assert [(e.actor, e.details["events"]) for e in exports] == [("auditor", 1)]
    assert exports[0].details["filter"]["action"] == "login"

    # Another filter: the prepared CSV no longer fits and is not offered.
    at.text_input(key="audit_action").input("user").run()
    assert not at.get("download_button")


def test_auditor_checks_the_chain(app_env):
    _demo(app_env)
    at = _signed_in("auditor")
    at.button(key="audit_verify").click().run()
    assert not at.exception
    [success] = at.success
    assert success.value.startswith("The audit chain and all stored files check out (")


def test_the_audit_page_refuses_an_investigator(app_env):
    _demo(app_env)
    at = _signed_in("investigator")
    # The page is not in an investigator's navigation at all ...
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/audit.py")
    # ... and reached directly (as by an address), it refuses and shows no events.
    page = _signed_in("investigator", str(REPO / "viewer" / "views" / "audit.py"))
    assert not page.exception
    assert "may not read the audit log" in page.error[0].value
    assert not page.dataframe
    refusals = bsu_models.open_catalogue().audit_events(
        None, bsu_models.AuditFilter(actor="investigator", outcome="refused")
    )
    assert [e.action for e in refusals] == ["audit.read"]


# -- people ---------------------------------------------------------------------------------------


def _add_user(at: AppTest, name: str, roles: list[str], first: str, second: str) -> AppTest:
    at.text_input(key="people_new_name").input(name)
    at.text_input(key="people_new_display").input("陳大文 Chan Tai-man")
    for role in roles:
        at.multiselect(key="people_new_roles").select(role)
    at.text_input(key="people_new_password").input(first)
    at.text_input(key="people_new_password2").input(second)
    at.selectbox(key="people_new_language").select("zh_HK")
    return _button(at, "Add user").click().run()


def test_admin_manages_an_account_and_its_case_membership(app_env):
    _demo(app_env)
    at = _signed_in("admin")
    assert not at.exception
    assert at.title[0].value == "People"
    assert "auditor" in set(_table(at)["User name"])

    at = _add_user(at, "chan.tm", ["investigator"], "first-password", "other-password")
    assert at.error[0].value == "The two passwords differ; type them again."
    at = _add_user(at, "chan.tm", ["investigator"], "first-password", "first-password")
    assert not at.exception
    assert at.success[0].value == "User chan.tm added."
    users = _table(at)
    row = users[users["User name"] == "chan.tm"].iloc[0]
    assert row["Roles"] == "investigator" and bool(row["Active"])
    accounts = bsu_models.open_catalogue().accounts
    assert accounts.authenticate("chan.tm", "first-password").roles == {"investigator"}
    assert accounts.principal("chan.tm").language == "zh_HK"

    # One admin's addition is a request; a second admin approves it (the first may not).
    at.selectbox(key="people_case").select(CASE).run()
    at.multiselect(key=f"people_add_{CASE}").select("chan.tm")
    _button(at, "Request membership").click().run()
    assert not at.exception
    assert at.success[0].value == f"Requested for {CASE}: chan.tm; a second admin approves."
    admin_view = bsu_models.open_catalogue().as_user(accounts.principal("admin")).accounts
    assert admin_view.user_info("chan.tm").cases == ()
    assert _button(at, "Approve").disabled
    bsu_models.open_catalogue().accounts.add_user("admin2", "second-admin-pw", ["admin"])
    second = _signed_in("admin2")
    _button(second, "Approve").click().run()
    assert not second.exception
    assert second.success[0].value == f"Approved: chan.tm is a member of case {CASE}."
    assert bsu_models.open_catalogue().accounts.list_users()  # the system sees everyone
    assert admin_view.user_info("chan.tm").cases == (CASE,)

    at.selectbox(key="people_user").select("chan.tm").run()
    at.text_input(key="people_pw_chan.tm").input("second-password")
    at.text_input(key="people_pw2_chan.tm").input("second-password")
    _button(at, "Reset password").click().run()
    assert at.success[0].value == "New password set for chan.tm."
    with pytest.raises(bsu_models.LoginFailed):
        accounts.authenticate("chan.tm", "first-password")
    accounts.authenticate("chan.tm", "second-password")

    at.multiselect(key="people_roles_chan.tm_pick").select("presenter")
    _button(at, "Save roles").click().run()
    assert accounts.principal("chan.tm").roles == {"investigator", "presenter"}

    at.button(key="people_active_chan.tm").click().run()
    assert at.success[0].value == "Account chan.tm closed."
    with pytest.raises(bsu_models.LoginFailed):
        accounts.authenticate("chan.tm", "second-password")
    assert at.button(key="people_active_chan.tm").label == "Reopen account"

    at.selectbox(key="people_case").select(CASE).run()
    at.multiselect(key=f"people_remove_{CASE}").select("chan.tm")
    _button(at, "Remove members").click().run()
    assert admin_view.user_info("chan.tm").cases == ()
    actions = [
        e.action
        for e in bsu_models.open_catalogue().audit_events(
            None, bsu_models.AuditFilter(actor="admin")
        )
    ]
    assert {"user.create", "user.password_reset", "user.roles", "user.active"} <= set(actions)
    assert {"case.member_request", "case.member_remove"} <= set(actions)
    approvals = bsu_models.open_catalogue().audit_events(
        None, bsu_models.AuditFilter(actor="admin2", action="case.member_approve")
    )
    assert [e.details["requested_by"] for e in approvals] == ["admin"]


def test_admin_sees_case_titles_but_no_evidence(app_env):
    _demo(app_env)
    cat = bsu_models.open_catalogue()
    admin = cat.as_user(cat.accounts.principal("admin"))
    assert admin.list_models() == []
    assert [c.reference for c in admin.list_cases()] == [CASE]
    with pytest.raises(bsu_models.AccessDenied):
        admin.audit_events()

    at = _signed_in("admin")
    # The admin's navigation holds the People page only: no catalogue, models or scenes.
    with pytest.raises(ValueError, match=r"Known pages: \['[^',]*/views/people\.py'\]\.$"):
        at.switch_page("views/catalogue.py")
    assert at.selectbox(key="people_case").options == [f"{CASE} — {cat.get_case(CASE).title}"]
    assert not at.get("image")
    # Reached directly, the catalogue page refuses too.
    page = _signed_in("admin", str(REPO / "viewer" / "views" / "catalogue.py"))
    assert not page.exception
    assert not page.subheader and not page.get("image")


def test_a_non_admin_cannot_manage_people(app_env):
    _demo(app_env)
    page = _signed_in("auditor", str(REPO / "viewer" / "views" / "people.py"))
    assert not page.exception
    assert "may not manage users" in page.error[0].value
    assert not page.dataframe
