"""The local web app for both user groups: a what-if explorer of the border simulation and a
browser of safe synthetic releases. Started with `tipkit app` (tipkit.app.cli); built with Streamlit."""
