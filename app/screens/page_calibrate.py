"""The Calibrate step: choose a scenario and what the agency recorded (a facts file), calibrate
the scenario's assumptions to it in the background, and read which facts the model reproduces,
what the facts pin down, and the posterior the what-if and budget pages take."""

import tempfile
from pathlib import Path

import streamlit as st

from tipkit.app import calibrate, settings
from tipkit.app.releases import DEFAULT_RELEASE
from tipkit.app.screens import job_progress
from tipkit.app.screens.job_progress import finished_result
from tipkit.errors import UserError

JOB = "calibrate_job"


def main() -> None:
    config = settings.current()
    st.title("Calibrate: does the model agree with what your border recorded?")
    st.caption("Choose a scenario and the facts your agency recorded over a period (counts and "
               "measured averages, each with its source). The scenario's assumptions are "
               "calibrated to them; the answer says which facts the model reproduces, what "
               "the facts pin down, and gives the posterior that the what-if and budget pages "
               "take to answer across every set of assumptions that agrees with the facts.")
    scenarios = calibrate.calibration_scenarios(config.scenarios)
    if not scenarios:
        st.error(settings.no_scenarios(config))
        return
    with st.sidebar:
        _inputs(scenarios, config)
    _results()


@st.cache_data(show_spinner=False, max_entries=64)
def _units(request: calibrate.CalibrationRequest, release: str, stamps: tuple) -> float:
    return request.units(Path(release))   # stamps: the files' times, so an edit is seen


def _inputs(scenarios, config) -> None:
    names = list(scenarios)
    default = names.index("airport-baseline") if "airport-baseline" in names else 0
    chosen = st.selectbox("Scenario (a network or one crossing point)", names, index=default,
                          key="calibrate_base")
    shipped = calibrate.facts_files(config.scenarios)
    choices = [*shipped, "Upload a facts file"]
    wanted = next((n for n in shipped if n.startswith(chosen.split("-")[0])), choices[0])
    picked = st.selectbox("What your agency recorded (facts)", choices,
                          index=choices.index(wanted), key="calibrate_facts",
                          help="A YAML file: period_days, then facts, each a KPI with a total "
                               "(a count over the period) or a mean and its interval, and its "
                               "source. See scenarios/observed/.")
    facts = shipped.get(picked)
    if facts is None:
        upload = st.file_uploader("Facts file (YAML)", type=["yaml", "yml"],
                                  key="calibrate_upload")
        if upload is None:
            return
        facts = Path(tempfile.mkdtemp(prefix="tipkit-facts-")) / Path(upload.name).name
        facts.write_bytes(upload.getvalue())
    with st.expander("Calibration settings"):
        replications = st.slider("Replications at each design point", 2, 8, 4,
                                 key="calibrate_replications")
        seed = st.number_input("Seed", min_value=0, value=1, step=1, key="calibrate_seed")
    request = calibrate.CalibrationRequest(scenarios[chosen], facts, int(seed),
                                           int(replications), None, config.jobs)
    release = config.releases / DEFAULT_RELEASE
    try:
        stamps = tuple(p.stat().st_mtime for p in (scenarios[chosen], facts))
        units = _units(request, str(release), stamps)
        key = request.key(release)
    except UserError as error:       # a facts file that does not fit the scenario, say
        st.error(str(error))
        return
    job = st.session_state.get(JOB)
    running = job is not None and job.running
    pressed = st.button("Calibrate", type="primary", disabled=running, key="calibrate_run",
                        width="stretch")
    st.caption(job_progress.estimate_caption("calibrate", units, key))
    if pressed:
        runs = Path("runs") / "calibrations"
        job_progress.submit(JOB, lambda advance, early: calibrate.run_calibration(
                                request, release, runs, advance),
                            kind="calibrate", label="calibrating", key=key, units=units)


def _results() -> None:
    outcome: calibrate.CalibrationOutcome = finished_result(
        JOB, "Choose a scenario and the facts your agency recorded, then press **Calibrate**. "
             "The airport takes a few minutes; a national network longer.", "Calibrating")
    if outcome is None:
        return
    st.subheader("The calibration")
    st.text(outcome.text)
    st.success(f"To decide across the calibrated worlds, give the what-if or budget page this "
               f"posterior: `{settings.shown(outcome.posterior.resolve())}`")
    st.dataframe(outcome.checks, hide_index=True, width="stretch")
    columns = st.columns(len(outcome.downloads))
    for column, (name, data) in zip(columns, outcome.downloads.items(), strict=True):
        column.download_button(name, data, file_name=name, key=f"calibrate-download-{name}",
                               on_click="ignore", width="stretch")


main()
