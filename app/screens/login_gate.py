"""Streamlit's own login (st.login, OpenID Connect) in front of every page, when the user has
configured one: an `[auth]` section in .streamlit/secrets.toml. Without it the pages are open,
as on a machine only its user reaches (the default `--host 127.0.0.1`)."""

from collections.abc import Mapping

import streamlit as st


def configured() -> dict | None:
    """The `[auth]` section of the secrets, if there is one."""
    if not st.secrets.load_if_toml_exists() or "auth" not in st.secrets:
        return None
    return dict(st.secrets["auth"])


def providers(auth: dict) -> list[str]:
    """The named providers (`[auth.google]`, ...); none when `[auth]` holds one provider's
    settings itself."""
    return [name for name, value in auth.items() if isinstance(value, Mapping)]


def gate() -> bool:
    """True if the pages may show: no login configured, or the visitor has logged in (then the
    sidebar says as whom, with a way out). Otherwise a page to log in."""
    auth = configured()
    if auth is None:
        return True
    if st.user.get("is_logged_in", False):
        with st.sidebar:
            who = st.user.get("name") or st.user.get("email") or "you"
            st.caption(f"Logged in as {who}.")
            st.button("Log out", on_click=st.logout, key="logout")
        return True
    st.title("tipkit")
    st.info("This app is shared on the network: log in to use it.")
    named = providers(auth)
    for name in named or [None]:
        label = "Log in" if name is None else f"Log in with {name.title()}"
        st.button(label, on_click=st.login, args=() if name is None else (name,),
                  type="primary", key=f"login:{name}")
    return False
