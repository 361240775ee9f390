"""The app's pages, one module per page; Streamlit runs each by its path (``viewer/app.py``)."""
