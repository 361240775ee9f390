"""People page (admins): accounts, their roles, and who is a member of which case.

Admins manage people, never evidence: the page shows cases by reference and title only. Every
change goes through ``catalogue.accounts``, which checks the role and records an audit event.
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

import bsu_models
from viewer.shared import catalogue, current_user, datetime_text, error_text, plain, t

NOTICE_KEY = "people_notice"
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
    }
    return described.get(role) or bsu_models.ROLES.get(role, role)


def language_text(code: str) -> str:
    if not code:
        return t("Server default")
    return bsu_models.LANGUAGE_NAMES.get(code, code)


def done(message: str, *clear: str) -> NoReturn:
    """Show ``message`` after the rerun that shows the change; forget the listed widgets."""
    st.session_state[NOTICE_KEY] = message
    for key in clear:
        st.session_state.pop(key, None)
    st.rerun()


st.title(t("People"))
cat = catalogue()
accounts = cat.accounts
try:
    users = accounts.list_users()
    cases = cat.list_cases()
except bsu_models.BsuError as exc:
    st.error(error_text(exc))
    st.stop()

notice = st.session_state.pop(NOTICE_KEY, None)
if notice:
    st.success(notice)

st.dataframe(
    {
        t("User name"): [u.username for u in users],
        t("Display name"): [u.display_name for u in users],
        t("Roles"): [", ".join(u.roles) for u in users],
        t("Active"): [u.active for u in users],
        t("Locked until"): [datetime_text(u.locked_until) if u.locked_until else "" for u in users],
        t("Last sign-in"): [
            datetime_text(u.last_login_at) if u.last_login_at else "" for u in users
        ],
        t("Cases"): [", ".join(u.cases) for u in users],
    },
    hide_index=True,
    width="stretch",
)
st.caption(t("Times are Hong Kong time."))

# -- a new account -------------------------------------------------------------------------------
with st.expander(t("Add a user"), icon=":material/person_add:"), st.form("people_add"):
    left, right = st.columns(2)
    new_name = left.text_input(t("User name"), placeholder="chan.tm", key="people_new_name")
    new_display = right.text_input(t("Display name"), key="people_new_display")
    new_roles = st.multiselect(
        t("Roles"),
        list(bsu_models.ROLES),
        format_func=role_text,
        placeholder=t("Choose roles"),
        key="people_new_roles",
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
        key="people_new_language",
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
                done(t("User {name} added.").format(name=plain(added.username)), *NEW_USER_KEYS)

# -- one account ---------------------------------------------------------------------------------
st.subheader(t("Change an account"), anchor=False)
by_name = {u.username: u for u in users}
if not by_name:
    st.info(t("No accounts yet."))
    st.stop()
chosen = st.selectbox(
    t("Account"),
    list(by_name),
    format_func=lambda name: f"{name} — {by_name[name].display_name}",
    key="people_user",
)
person = by_name[chosen]
me = current_user()
if me is not None and person.username == me.username:
    st.caption(t("This is your own account: take care not to lock yourself out."))

password_tab, roles_tab, account_tab = st.tabs([t("Reset password"), t("Roles"), t("Account")])
with password_tab, st.form(f"people_reset_{chosen}"):
    st.caption(t("A new password also lifts a lockout after wrong passwords."))
    left, right = st.columns(2)
    first = left.text_input(t("New password"), type="password", key=f"people_pw_{chosen}")
    second = right.text_input(t("New password again"), type="password", key=f"people_pw2_{chosen}")
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
        key=f"people_roles_{chosen}_pick",
    )
    if st.form_submit_button(t("Save roles")):
        try:
            accounts.set_roles(chosen, roles)
        except bsu_models.BsuError as exc:
            st.error(error_text(exc))
        else:
            done(
                t("Roles of {name} saved.").format(name=plain(chosen)),
                f"people_roles_{chosen}_pick",
            )

with account_tab:
    if person.active:
        st.write(t("The account is open."))
        if person.locked_until:
            st.warning(
                t("Locked after wrong passwords until {when}; a new password unlocks it.").format(
                    when=datetime_text(person.locked_until)
                )
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
                done(t("Account {name} closed.").format(name=plain(chosen)))
            done(t("Account {name} reopened.").format(name=plain(chosen)))

# -- case membership -----------------------------------------------------------------------------
st.subheader(t("Case membership"), anchor=False)
st.caption(t("Only members of a case see its models and scenes; admins see references only."))
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
members = [u for u in users if case in u.cases]
others = [u.username for u in users if case not in u.cases]
if members:
    st.dataframe(
        {
            t("User name"): [u.username for u in members],
            t("Display name"): [u.display_name for u in members],
            t("Roles"): [", ".join(u.roles) for u in members],
            t("Active"): [u.active for u in members],
        },
        hide_index=True,
        width="stretch",
    )
else:
    st.info(t("Nobody is a member of this case yet."))

add_col, remove_col = st.columns(2)
with add_col, st.form(f"people_member_add_{case}"):
    to_add = st.multiselect(
        t("Add to the case"), others, placeholder=t("Choose people"), key=f"people_add_{case}"
    )
    if st.form_submit_button(t("Add members")):
        try:
            for name in to_add:
                accounts.add_member(case, name)
        except bsu_models.BsuError as exc:
            st.error(error_text(exc))
        else:
            if to_add:
                done(
                    t("Added to {case}: {names}.").format(
                        case=plain(case), names=plain(", ".join(to_add))
                    ),
                    f"people_add_{case}",
                )
with remove_col, st.form(f"people_member_remove_{case}"):
    to_remove = st.multiselect(
        t("Remove from the case"),
        [u.username for u in members],
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
                    t("Removed from {case}: {names}.").format(
                        case=plain(case), names=plain(", ".join(to_remove))
                    ),
                    f"people_remove_{case}",
                )
