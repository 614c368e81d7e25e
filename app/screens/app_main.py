"""The app's entry script, run by the Streamlit server: page settings, the default release on
first start, and the pages (the what-if explorer, the budget view, calibration and the
datasets)."""

from pathlib import Path

import streamlit as st

from tipkit.app import settings
from tipkit.app.releases import DEFAULT_RELEASE, ensure_default_release
from tipkit.app.screens import login_gate
from tipkit.errors import UserError

HERE = Path(__file__).resolve().parent

# An emoji icon becomes an inline image; a ":material/...:" page icon would be fetched from
# fonts.gstatic.com, and the app contacts nothing but this machine. (Icons inside the pages
# come from the Material Symbols font Streamlit serves itself.)
st.set_page_config(page_title="tipkit", page_icon="🧭", layout="wide")

config = settings.current()
if not login_gate.gate():           # a login configured ([auth] in secrets.toml) and none yet
    st.stop()
if not (config.releases / DEFAULT_RELEASE).exists():
    # `tipkit app` builds it before the server starts; this covers `streamlit run` and a
    # release folder emptied while the app runs
    with st.spinner(f"First start: building the default release in "
                    f"{config.releases / DEFAULT_RELEASE} (a few seconds)..."):
        try:
            ensure_default_release(config.releases, config.published)
        except UserError as error:
            st.error(f"The default release could not be built: {error}")

# Every page has its own address (/whatif, /budget, /datasets), so that a bookmark or a shared
# link opens it. Streamlit serves the default page at the root only, never at its url_path, so
# the root is a hidden page that sends the visitor on to the what-if explorer's address.
WHATIF = st.Page(HERE / "page_whatif.py", title="What-if explorer", icon=":material/tune:",
                 url_path="whatif")
PAGES = [
    WHATIF,
    st.Page(HERE / "page_budget.py", title="Budget", icon=":material/savings:",
            url_path="budget"),
    st.Page(HERE / "page_calibrate.py", title="Calibrate", icon=":material/fact_check:",
            url_path="calibrate"),
    st.Page(HERE / "page_datasets.py", title="Datasets", icon=":material/dataset:",
            url_path="datasets"),
]


def start() -> None:
    st.switch_page(WHATIF)


page = st.navigation([st.Page(start, title="tipkit", url_path="start", default=True,
                              visibility="hidden"), *PAGES], position="top")
page.run()
