"""People page (admins): accounts, their roles, and who is a member of which case.

Admins manage people, never evidence: the page shows cases by reference and title only. Every
change goes through ``catalogue.accounts``, which checks the role and records an audit event.
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

import bsu_models
from viewer.shared import (
    catalogue,
    current_user,
    datetime_text,
    error_text,
    kept_choice,
    notices,
    notify,
    plain,
    t,
)

NEW_USER_KEYS = (
    "people_new_name",
    "people_new_display",
    "people_new_roles",
    "people_new_password",
    "people_new_password2",
    "people_new_language",
)


def role_text(role: str) -> str:
    """A role and what it allows, in the user's language."""
    described = {
        "modeller": t("Modeller: uploads and manages models"),
        "investigator": t("Investigator: scenes on cases they are members of"),
        "presenter": t("Presenter: presentation and court exhibits"),
        "media_officer": t("Media officer: requests public posts"),
        "approver": t("Approver: approves or rejects public posts"),
        "auditor": t("Auditor: reads the audit log only"),
        "admin": t("Admin: users and case membership (no access to evidence)"),
        "reviewer": t("Reviewer: technical review of scene revisions before they are frozen"),
    }
    return described.get(role) or bsu_models.ROLES.get(role, role)


def language_text(code: str) -> str:
    if not code:
        return t("Server default")
    return bsu_models.LANGUAGE_NAMES.get(code, code)


def done(place: str, message: str, *clear: str) -> NoReturn:
    """Show ``message`` at ``place`` (the form that made the change) after the rerun that shows
    the change; forget the listed widgets."""
    notify(place, message)
    for key in clear:
        st.session_state.pop(key, None)
    st.rerun()


st.title(t("People"))
cat = catalogue()
accounts = cat.accounts
me = current_user()
is_admin = cat.user.may("user.manage")
try:
    # Admins see every case's reference and title; a lead, the cases they lead. Anyone else is
    # refused (and the refusal recorded) by the list of accounts.
    led = set(cat.memberships.led_cases())
    users = accounts.list_users() if is_admin or not led else []
    cases = [c for c in cat.list_cases() if is_admin or c.reference in led]
except bsu_models.BsuError as exc:
    st.error(error_text(exc))
    st.stop()


def account_section() -> None:
    """Accounts: add, reset passwords, roles, close and reopen (admins)."""
    st.dataframe(
        {
            t("User name"): [u.username for u in users],
            t("Display name"): [u.display_name for u in users],
            t("Roles"): [", ".join(u.roles) for u in users],
            t("Active"): [u.active for u in users],
            t("Locked until"): [
                datetime_text(u.locked_until) if u.locked_until else "" for u in users
            ],
            t("Last sign-in"): [
                datetime_text(u.last_login_at) if u.last_login_at else "" for u in users
            ],
            t("Cases"): [", ".join(u.cases) for u in users],
        },
        hide_index=True,
        width="stretch",
    )
    st.caption(t("Times are Hong Kong time."))

    # -- a new account ---------------------------------------------------------------------------
    notices("people_add")
    with st.expander(t("Add a user"), icon=":material/person_add:"), st.form("people_add"):
        left, right = st.columns(2)
        new_name = left.text_input(t("User name"), placeholder="chan.tm", key="people_new_name")
        new_display = right.text_input(t("Display name"), key="people_new_display")
        new_roles = st.multiselect(
            t("Roles"),
            list(bsu_models.ROLES),
            format_func=role_text,
            placeholder=t("Choose roles"),
            key=kept_choice("people_new_roles"),
        )
        left, right = st.columns(2)
        new_password = left.text_input(
            t("Initial password"), type="password", key="people_new_password"
        )
        new_password2 = right.text_input(
            t("Initial password again"), type="password", key="people_new_password2"
        )
        new_language = st.selectbox(
            t("Language"),
            ["", *bsu_models.LANGUAGES],
            format_func=language_text,
            key=kept_choice("people_new_language"),
        )
        if st.form_submit_button(t("Add user"), type="primary"):
            if new_password != new_password2:
                st.error(t("The two passwords differ; type them again."))
            else:
                try:
                    added = accounts.add_user(
                        new_name, new_password, new_roles, new_display, new_language
                    )
                except bsu_models.BsuError as exc:
                    st.error(error_text(exc))
                else:
                    done(
                        "people_add",
                        t("User {name} added.").format(name=plain(added.username)),
                        *NEW_USER_KEYS,
                    )

    # -- one account -----------------------------------------------------------------------------
    st.subheader(t("Change an account"), anchor=False)
    by_name = {u.username: u for u in users}
    chosen = st.selectbox(
        t("Account"),
        list(by_name),
        format_func=lambda name: f"{name} — {by_name[name].display_name}",
        key="people_user",
    )
    person = by_name[chosen]
    if me is not None and person.username == me.username:
        st.caption(t("This is your own account: take care not to lock yourself out."))

    notices("people_account")
    password_tab, roles_tab, account_tab = st.tabs([t("Reset password"), t("Roles"), t("Account")])
    with password_tab, st.form(f"people_reset_{chosen}"):
        st.caption(
            t(
                "A new password also lifts a lockout after wrong passwords, ends the person's "
                "sessions, and asks them to choose their own at their next sign-in."
            )
        )
        left, right = st.columns(2)
        first = left.text_input(t("New password"), type="password", key=f"people_pw_{chosen}")
        second = right.text_input(
            t("New password again"), type="password", key=f"people_pw2_{chosen}"
        )
        if st.form_submit_button(t("Reset password")):
            if first != second:
                st.error(t("The two passwords differ; type them again."))
            else:
                try:
                    accounts.reset_password(chosen, first)
                except bsu_models.BsuError as exc:
                    st.error(error_text(exc))
                else:
                    done(
                        "people_account",
                        t("New password set for {name}.").format(name=plain(chosen)),
                        f"people_pw_{chosen}",
                        f"people_pw2_{chosen}",
                    )

    with roles_tab, st.form(f"people_roles_{chosen}"):
        roles = st.multiselect(
            t("Roles"),
            list(bsu_models.ROLES),
            default=[r for r in person.roles if r in bsu_models.ROLES],
            format_func=role_text,
            placeholder=t("Choose roles"),
            key=kept_choice(f"people_roles_{chosen}_pick"),
        )
        if st.form_submit_button(t("Save roles")):
            try:
                accounts.set_roles(chosen, roles)
            except bsu_models.BsuError as exc:
                st.error(error_text(exc))
            else:
                done(
                    "people_account",
                    t("Roles of {name} saved.").format(name=plain(chosen)),
                    f"people_roles_{chosen}_pick",
                )

    with account_tab:
        if person.active:
            st.write(t("The account is open."))
            if person.locked_until:
                st.warning(
                    t(
                        "Locked after wrong passwords until {when}; a new password unlocks it."
                    ).format(when=datetime_text(person.locked_until))
                )
            label, icon = t("Close account"), ":material/person_off:"
        else:
            st.write(t("The account is closed: its user cannot sign in."))
            label, icon = t("Reopen account"), ":material/person_check:"
        if st.button(label, icon=icon, key=f"people_active_{chosen}"):
            try:
                accounts.set_active(chosen, not person.active)
            except bsu_models.BsuError as exc:
                st.error(error_text(exc))
            else:
                if person.active:
                    done("people_account", t("Account {name} closed.").format(name=plain(chosen)))
                done("people_account", t("Account {name} reopened.").format(name=plain(chosen)))


if is_admin and users:
    account_section()


def requests_section() -> None:
    """Membership requests of admins, waiting for a second admin (approve is offered only to
    an admin who may approve that one)."""
    waiting = cat.memberships.requests()
    notices("people_requests")
    if not waiting:
        return
    st.write(t("**Waiting for a second admin**"))
    for request in waiting:
        left, approve_col, reject_col = st.columns([4, 1, 1])
        left.write(
            t("{username} for case {reference}{lead}, asked by {admin} on {when}").format(
                username=plain(request.username),
                reference=plain(request.case_reference),
                lead=t(" (as a lead)") if request.lead else "",
                admin=plain(request.requested_by),
                when=datetime_text(request.requested_at),
            )
        )
        mine = me is not None and me.username in (request.requested_by, request.username)
        key = f"people_request_{request.request_id}"
        if approve_col.button(
            t("Approve"),
            key=f"{key}_approve",
            disabled=mine,
            help=t("A second admin must approve: not the one who asked, nor the person added.")
            if mine
            else None,
        ):
            decide(request, approve=True)
        if reject_col.button(t("Reject"), key=f"{key}_reject"):
            decide(request, approve=False)


def decide(request: bsu_models.MembershipRequest, approve: bool) -> None:
    try:
        if approve:
            cat.memberships.approve(request.case_reference, request.username)
        else:
            cat.memberships.reject(request.case_reference, request.username)
    except bsu_models.BsuError as exc:
        st.error(error_text(exc))
    else:
        done(
            "people_requests",
            (t("Approved: {username} is a member of case {reference}.") if approve
             else t("Rejected: {username} does not become a member of case {reference}."))
            .format(username=plain(request.username), reference=plain(request.case_reference))
        )  # fmt: skip


# -- case membership -----------------------------------------------------------------------------
st.subheader(t("Case membership"), anchor=False)
st.caption(
    t(
        "Only members of a case see its models and scenes; admins see references only. A lead "
        "of the case adds members at once; an admin's addition waits for a second admin."
    )
)
if is_admin:
    requests_section()
if not cases:
    st.info(t("No cases yet."))
    st.stop()
titles = {c.reference: c.title for c in cases}
case = st.selectbox(
    t("Case"),
    list(titles),
    format_func=lambda ref: f"{ref} — {titles[ref]}",
    key="people_case",
)
try:
    members = cat.memberships.members(case)
except bsu_models.BsuError as exc:
    st.error(error_text(exc))
    st.stop()
if members:
    st.dataframe(
        {
            t("User name"): [m.username for m in members],
            t("Display name"): [m.display_name for m in members],
            t("Lead"): [m.lead for m in members],
        },
        hide_index=True,
        width="stretch",
    )
else:
    st.info(t("Nobody is a member of this case yet."))
leads_here = case in led
member_names = {m.username for m in members}
notices("people_members")
add_col, remove_col = st.columns(2)
with add_col, st.form(f"people_member_add_{case}"):
    if is_admin:
        to_add = st.multiselect(
            t("Add to the case"),
            [u.username for u in users if u.username not in member_names],
            placeholder=t("Choose people"),
            key=f"people_add_{case}",
        )
    else:
        typed = st.text_input(t("User names, separated by commas"), key=f"people_add_{case}")
        to_add = [name.strip() for name in typed.split(",") if name.strip()]
    as_lead = st.checkbox(t("Also as leads of the case"), key=f"people_add_lead_{case}")
    label = t("Add members") if leads_here else t("Request membership")
    if st.form_submit_button(label):
        try:
            waiting = [name for name in to_add if accounts.add_member(case, name, as_lead)]
        except bsu_models.BsuError as exc:
            st.error(error_text(exc))
        else:
            if waiting:
                done(
                    "people_members",
                    t("Requested for {case}: {names}; a second admin approves.").format(
                        case=plain(case), names=plain(", ".join(waiting))
                    ),
                    f"people_add_{case}",
                )
            if to_add:
                done(
                    "people_members",
                    t("Added to {case}: {names}.").format(
                        case=plain(case), names=plain(", ".join(to_add))
                    ),
                    f"people_add_{case}",
                )
with remove_col, st.form(f"people_member_remove_{case}"):
    to_remove = st.multiselect(
        t("Remove from the case"),
        sorted(member_names),
        placeholder=t("Choose people"),
        key=f"people_remove_{case}",
    )
    if st.form_submit_button(t("Remove members")):
        try:
            for name in to_remove:
                accounts.remove_member(case, name)
        except bsu_models.BsuError as exc:
            st.error(error_text(exc))
        else:
            if to_remove:
                done(
                    "people_members",
                    t("Removed from {case}: {names}.").format(
                        case=plain(case), names=plain(", ".join(to_remove))
                    ),
                    f"people_remove_{case}",
                )
