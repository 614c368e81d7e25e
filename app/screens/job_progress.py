"""How a page hands work to the server's one queue and shows it: the time a run should take
before it starts, its place in the queue and the time to start while it waits, a progress bar
with the time left while it runs (refreshing itself while the rest of the page stays usable), a
first emulated answer when the work offers one, and a full rerun of the page when it ends."""

import uuid
from typing import Any, Callable

import streamlit as st

from tipkit.app import jobs, settings
from tipkit.app.jobs import Job, QueueFull

POLL_SECONDS = 1.0     # every waiting session polls: once a second shows place and time well
SESSION = "tipkit_session"


def queue() -> jobs.JobQueue:
    config = settings.current()
    return jobs.server_queue(config.runs_at_once, config.per_session, config.cache)


def session_id() -> str:
    """This browser session's name in the queue (kept in its session state)."""
    if SESSION not in st.session_state:
        st.session_state[SESSION] = uuid.uuid4().hex
    return st.session_state[SESSION]


def submit(state_key: str, work: jobs.Work, *, kind: str, label: str, key: str | None = None,
           units: float = 0.0) -> bool:
    """Queue the work for this session under `state_key` and rerun the page; False, with the
    reason shown, if the session already has its most runs."""
    try:
        st.session_state[state_key] = queue().submit(session_id(), work, kind=kind,
                                                     label=label, key=key, units=units)
    except QueueFull as error:
        st.error(f"Not started: {error}.")
        return False
    st.rerun()
    return True


def estimate_caption(kind: str, units: float, key: str | None = None) -> str:
    """What the page says before a run: how long it should take on this server's cores and,
    if others' runs are ahead, how long until it would start; at once if it was run before."""
    q = queue()
    if key is not None and q.cache.get(key) is not None:
        return "Run before with these settings: the answer comes at once from the cache."
    seconds = q.speeds.estimate(kind, units)
    cores = settings.current().cores
    text = (f"A run takes {jobs.about(seconds)} on {cores} core{'s' if cores > 1 else ''}"
            + (" (this server's measured speed)." if kind in q.speeds.measured
               else " (until this server has measured its own speed)."))
    waiting, start = q.waiting(), q.seconds_to_start()
    if start:
        text += (f" Others' runs are ahead ({waiting} waiting): it would start in "
                 f"{jobs.about(start)}.")
    return text


def status_text(job: Job) -> str:
    """Where a job is: its place and time to start while it waits; what it does and the time
    left while it runs."""
    if job.state == "waiting":
        q = queue()
        place = q.position(job)
        start = q.seconds_to_start(job)
        when = "when a run ahead ends" if start is None else f"in {jobs.about(start)}"
        return (f"Waiting: number {place} in the queue (this server runs {q.workers} at a "
                f"time for everyone); it should start {when}.")
    left = job.seconds_left()
    return job.label + ("" if left is None or job.fraction >= 1 else f" - {jobs.about(left)} "
                        "left")


def follow(job: Job, show_early: Callable[[Any], None] | None = None) -> None:
    """Draw the job's progress until it ends, then rerun the page to show what it made."""
    @st.fragment(run_every=POLL_SECONDS)
    def progress() -> None:
        if job.running:
            st.progress(job.fraction, text=status_text(job))
            if show_early is not None and job.early_answer is not None:
                show_early(job.early_answer)
        else:
            st.rerun()
    progress()


def finished_result(key: str, idle: str | None = None, running: str | None = None,
                    show_early: Callable[[Any], None] | None = None):
    """The result of the page's background job under `key` once it has finished, else None:
    `idle` (if given) is shown before any job, a `running` heading (if given) and the progress
    (and the first emulated answer, by `show_early`) while it waits or runs, its one-line
    error if it failed; a result from the cache says so."""
    job = st.session_state.get(key)
    if job is None:
        if idle is not None:
            st.info(idle)
        return None
    if job.running:
        if running is not None:
            st.subheader(running)
        follow(job, show_early)
        return None
    if job.error:
        st.error(job.error)
        return None
    if job.cached:
        st.caption("Answered from the cache: the same request, with the same seed, was run "
                   "before on this server (runs are deterministic by seed).")
    return job.result
