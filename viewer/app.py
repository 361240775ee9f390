"""BSU Models web app: routes the pages; each page lives in its own module under views/."""

from pathlib import Path

import streamlit as st

# A local icon: the app runs on closed networks, and a Material icon here is fetched from the web.
ICON = Path(__file__).resolve().parent.parent / "assets" / "icon.png"
st.set_page_config(page_title="BSU Models", page_icon=str(ICON), layout="wide")

pages = st.navigation(
    [
        st.Page("views/catalogue.py", title="Catalogue", icon=":material/grid_view:", default=True),
        st.Page("views/upload.py", title="Upload", icon=":material/upload:"),
        st.Page("views/model.py", title="Model", icon=":material/view_in_ar:"),
        st.Page("views/scene_editor.py", title="Scene editor", icon=":material/edit_location:"),
        st.Page("views/presentation.py", title="Presentation", icon=":material/slideshow:"),
    ]
)
pages.run()
