"""BSU Models web app: routes the pages; each page lives in its own module under views/.

The language picker goes in the sidebar here, so that every page has it; page titles are
translated, their URL paths are fixed so that a title in another language keeps the same URL.
"""

from pathlib import Path

import streamlit as st

from viewer.shared import language_picker, t

# A local icon: the app runs on closed networks, and a Material icon here is fetched from the web.
ICON = Path(__file__).resolve().parent.parent / "assets" / "icon.png"
st.set_page_config(page_title="BSU Models", page_icon=str(ICON), layout="wide")

language_picker()
pages = st.navigation(
    [
        st.Page(
            "views/catalogue.py",
            title=t("Catalogue"),
            icon=":material/grid_view:",
            url_path="catalogue",
            default=True,
        ),
        st.Page("views/upload.py", title=t("Upload"), icon=":material/upload:", url_path="upload"),
        st.Page("views/model.py", title=t("Model"), icon=":material/view_in_ar:", url_path="model"),
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
    ]
)
pages.run()
