"""How a page shows a background job: a progress bar that refreshes itself while the rest of
the page stays usable, and a full rerun of the page when the job ends."""

import streamlit as st

from tipkit.app.jobs import Job

POLL_SECONDS = 0.5


def follow(job: Job) -> None:
    """Draw the job's progress until it ends, then rerun the page to show what it made."""
    @st.fragment(run_every=POLL_SECONDS)
    def progress() -> None:
        if job.running:
            st.progress(job.fraction, text=job.label)
        else:
            st.rerun()
    progress()


def finished_result(key: str, idle: str | None = None, running: str | None = None):
    """The result of the page's background job under `key` once it has finished, else None:
    `idle` (if given) is shown before any job, a `running` heading (if given) and the progress
    while it runs, its one-line error if it failed."""
    job = st.session_state.get(key)
    if job is None:
        if idle is not None:
            st.info(idle)
        return None
    if job.running:
        if running is not None:
            st.subheader(running)
        follow(job)
        return None
    if job.error:
        st.error(job.error)
        return None
    return job.result
