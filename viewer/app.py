"""BSU Models web app: routes the pages; each page lives in its own module under views/.

Nobody gets past the sign-in page without an account; the pages offered follow the role table
(``bsu_models.PERMISSIONS``, through ``Principal.may``; People also for leads of a case, who
grant its membership); the checks themselves are in ``bsu_models``, so a page reached by its
address refuses just the same. The language picker goes in the sidebar here, so that every page
has it; page URL paths are fixed so that a title in another language keeps the same URL.
"""

from pathlib import Path

import streamlit as st

from viewer.session_guard import session_guard
from viewer.shared import (
    current_user,
    guarded,
    language_picker,
    new_password_form,
    plain,
    sign_out,
    store,
    t,
)

# A local icon: the app runs on closed networks, and a Material icon here is fetched from the web.
ICON = Path(__file__).resolve().parent.parent / "assets" / "icon.png"
st.set_page_config(page_title="BSU Models", page_icon=str(ICON), layout="wide")

language_picker()
user = current_user()
# Before any page: the sign-in page empties the browser's mesh cache; an idle page signs out.
# In the main area, not the sidebar: there, a page's rerun could mount the 3D view afresh, and
# the new view's clicks then went unheard.
session_guard(signed_in=user is not None)
# The pages run through ``guarded``: an error that escapes one is a sentence with an incident id,
# never a traceback (and client.showErrorDetails is "none" in .streamlit/config.toml).
if user is None:
    # Every page answers its own address with the sign-in form (see shared.catalogue), so a
    # link to a page leads there after signing in; the menu stays hidden until then.
    navigation = st.navigation(
        [
            st.Page("views/sign_in.py", title=t("Sign in"), url_path="login", default=True),
            *(
                st.Page(f"views/{name}.py", url_path=name)
                for name in (
                    "catalogue",
                    "upload",
                    "model",
                    "scene_editor",
                    "presentation",
                    "accounts",
                    "posts",
                    "audit",
                    "people",
                )
            ),
        ],
        position="hidden",
    )
    guarded(navigation.run)
    st.stop()

with st.sidebar:
    st.caption(
        t("Signed in as {name} ({roles})").format(
            name=plain(user.display_name or user.username), roles=", ".join(sorted(user.roles))
        )
    )
    if st.button(t("Sign out"), icon=":material/logout:", key="sign_out"):
        sign_out(t("You have signed out."))
        st.rerun()

if user.must_change_password:
    # After an admin's password reset nothing is offered until the user chooses a new one.
    new_password_form(user)
    st.stop()

available = []
if user.may("case.view"):
    available.append(
        st.Page(
            "views/catalogue.py",
            title=t("Catalogue"),
            icon=":material/grid_view:",
            url_path="catalogue",
        )
    )
if user.may("model.import"):
    available.append(
        st.Page("views/upload.py", title=t("Upload"), icon=":material/upload:", url_path="upload")
    )
if user.may("case.view"):
    available.append(
        st.Page("views/model.py", title=t("Model"), icon=":material/view_in_ar:", url_path="model")
    )
if user.may("scene.view"):
    # Media officers see scenes only in their public form (on the Public posts page).
    available += [
        st.Page(
            "views/scene_editor.py",
            title=t("Scene editor"),
            icon=":material/edit_location:",
            url_path="scene_editor",
        ),
        st.Page(
            "views/presentation.py",
            title=t("Presentation"),
            icon=":material/slideshow:",
            url_path="presentation",
        ),
        st.Page(
            "views/accounts.py",
            title=t("Accounts side by side"),
            icon=":material/compare:",
            url_path="accounts",
        ),
    ]
if user.may("post.request") or user.may("post.decide"):
    available.append(
        st.Page(
            "views/posts.py", title=t("Public posts"), icon=":material/campaign:", url_path="posts"
        )
    )
if user.may("audit.read"):
    available.append(
        st.Page("views/audit.py", title=t("Audit"), icon=":material/policy:", url_path="audit")
    )
if user.may("user.manage") or store().as_user(user).memberships.led_cases():
    available.append(
        st.Page("views/people.py", title=t("People"), icon=":material/group:", url_path="people")
    )
guarded(st.navigation(available).run)
