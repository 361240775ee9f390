"""BSU Models web app: routes the pages; each page lives in its own module under views/."""

import streamlit as st

st.set_page_config(page_title="BSU Models", page_icon=":material/deployed_code:", layout="wide")

pages = st.navigation(
    [
        st.Page("views/catalogue.py", title="Catalogue", icon=":material/grid_view:", default=True),
        st.Page("views/upload.py", title="Upload", icon=":material/upload:"),
        st.Page("views/model.py", title="Model", icon=":material/view_in_ar:"),
        st.Page("views/scene_editor.py", title="Scene editor", icon=":material/edit_location:"),
    ]
)
pages.run()
