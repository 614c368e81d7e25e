"""The Streamlit scripts of the app: `app_main.py` (what `streamlit run` runs) and one script per
page. Page logic lives in tipkit.app.whatif and tipkit.app.releases, which need no browser to test."""

# Streamlit puts this folder first on sys.path: its scripts have names no installed module has
# (a `datasets.py` here would hide the `datasets` package from every library in the server).
