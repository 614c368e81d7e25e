"""The what-if explorer page: choose a base scenario, move the levers, run the option against
the base in the background, and read the answer, the KPIs, the charts, and the downloads."""

import math

from pathlib import Path

import streamlit as st

from tipkit.app import releases, settings, whatif
from tipkit.app.releases import DEFAULT_RELEASE
from tipkit.app.screens import job_progress
from tipkit.app.screens.job_progress import finished_result
from tipkit.sim.report.charts import to_plotly
from tipkit.sim.model.population import load_population
from tipkit.sim.model.scenario_files import load_scenario
from tipkit.sim.report.tables import format_value
from tipkit.errors import UserError

JOB = "whatif_job"
ASSUMPTIONS_JOB = "whatif_assumptions_job"


@st.cache_resource(show_spinner="Reading the victim population...")
def population(release: str, stamp: float):
    """The victim profiles of a release, read once per release version (`stamp`: mtime)."""
    return load_population(release)


def main() -> None:
    config = settings.current()
    st.title("What-if explorer")
    st.caption("Simulate one official border crossing point: move the levers, press Run, and "
               "see what changes against the base scenario. Every option meets the same "
               "travellers (common random numbers), so differences are not chance.")
    paths = whatif.scenario_paths(config.scenarios)
    if not paths:
        st.error(settings.no_scenarios(config))
        return
    with st.sidebar:
        request = _levers(paths, config)
    _results(request)
    _assumptions(request, config)


def _levers(paths, config) -> "whatif.Request | None":
    names = list(paths)
    default = names.index("airport-baseline") if "airport-baseline" in names else 0
    chosen = st.selectbox("Base scenario", names, index=default, key="base")
    try:
        base = load_scenario(paths[chosen])
    except UserError as error:
        st.error(str(error))
        return None
    if base.question:
        st.caption(base.question)
    values = {}
    for lever in whatif.LEVERS:
        shown = lever.shown(base)
        values[lever.key] = st.slider(
            lever.label, min_value=lever.lower(), max_value=lever.upper(base),
            value=shown, step=1 if lever.integer else float(lever.step), format=lever.format,
            help=lever.help,
            # one key per base scenario: choosing another base resets the levers to its values
            key=f"lever:{chosen}:{lever.key}")
    try:
        option = whatif.option_from(base, values)
    except UserError as error:
        st.error(f"This option is not valid: {error}")
        return None
    st.caption(whatif.officer_mix(option))
    with st.expander("Run settings"):
        replications = st.slider("Replications (each a simulated run)", 2, 300, 20,
                                 help="More replications narrow the intervals; 20 take a few "
                                      "seconds at the airport.", key="replications")
        seed = st.number_input("Seed", min_value=0, value=1, step=1, key="seed",
                               help="The same seed gives the same results.")
        sources = [p.name for p in releases.find_releases(config.releases)
                   if any((p / f"legs{x}").is_file() for x in releases.TABLE_SUFFIXES)]
        victims_from = st.selectbox(
            "Victims drawn from (a release with journey legs)", sources or [DEFAULT_RELEASE],
            index=sources.index(DEFAULT_RELEASE) if DEFAULT_RELEASE in sources else 0,
            key="population", help="Each victim crossing the border is a journey leg of "
                                   "this synthetic release, through an official point.")
        sensitivity = st.checkbox("Also test the assumed training effect (0x to 2x)",
                                  key="sensitivity",
                                  help="Training effects are assumptions: this reruns the "
                                       "more trained option with the effect scaled.")
        posterior = st.text_input(
            "Calibrated posterior (optional)", key="posterior",
            help="A posterior.csv written by tipkit sim calibrate: the base and the option "
                 "then run in 50 worlds drawn from it, and the results say how often the "
                 "option's gain holds across them.").strip()
    blocked = False
    message = whatif.cannot_settle_message(option) or whatif.cannot_settle_message(base)
    anyway = False
    if message:
        st.error(message)
        anyway = st.checkbox("Run it anyway (results will depend on the run length)",
                             key="anyway")
        blocked = not anyway
    for warning in whatif.settling(option).warnings:
        st.warning(f"{option.name}: {warning}")
    job = st.session_state.get(JOB)
    running = job is not None and job.running
    request = whatif.Request(base, paths[chosen], option, int(replications), int(seed),
                             sensitivity, anyway, config.jobs,
                             Path(posterior) if posterior else None)
    release = config.releases / victims_from
    key = request.key(release)
    pressed = st.button("Run", type="primary", disabled=blocked or running, key="run",
                        width="stretch")
    st.caption(job_progress.estimate_caption("whatif", request.units(), key))
    if pressed:
        stamp = max((p.stat().st_mtime for p in release.glob("legs.*")), default=0.0)
        try:
            victims = population(str(release), stamp)
        except UserError as error:
            st.error(str(error))
            return None
        job_progress.submit(JOB, lambda advance, early: whatif.run(request, victims, advance),
                            kind="whatif", label="starting the replications", key=key,
                            units=request.units())
    return whatif.Request(base, paths[chosen], option)


def _results(current) -> None:
    outcome: whatif.Outcome = finished_result(
        JOB, "Choose a base scenario, move the levers on the left and press **Run**. "
             "A first run of 20 replications takes a few seconds.",
        "Running")
    if outcome is None:
        return
    r = outcome.request
    st.subheader("Results")
    changed = whatif.describe_changes(r.base, whatif.lever_values(r.option))
    st.caption(f"{r.option.name} against {r.base.name}: {changed or 'nothing changed'}. "
               f"{r.replications} replications each, seed {r.seed}.")
    if current is not None and (current.option != r.option or current.base != r.base):
        st.warning("The levers have moved since this run: press Run to update the results.")
    for message in outcome.warmup_warnings:
        st.warning(f"Warm-up: {message}.")
    if outcome.robustness:
        st.markdown("#### Across the calibrated worlds")
        st.markdown("\n".join(f"- {line}" for line in outcome.robustness))
    _headline(outcome)
    st.markdown("#### In plain words")
    st.markdown(outcome.answer_html, unsafe_allow_html=True)
    st.markdown("\n".join(f"- {v}" for v in outcome.verdicts()))
    groups = outcome.group_verdicts()
    if groups:
        with st.expander("Victims identified, by group"):
            st.markdown("\n".join(f"- {v}" for v in groups))
    _downloads(outcome)
    for chart in outcome.charts:
        st.plotly_chart(to_plotly(chart), key=f"chart-{chart.key}",
                        config={"displaylogo": False})
        if chart.caption:
            st.caption(chart.caption)
    with st.expander("Every KPI, with 95% intervals"):
        st.dataframe(outcome.kpi_table(), hide_index=True, width="stretch")


def _assumptions(current, config) -> None:
    """Every assumption varied together around the base and the option, in the background."""
    st.divider()
    st.subheader("Which assumptions does the answer depend on?")
    st.caption("Training effects, prevalence, time pressure and lengths of stay are "
               "assumptions. This varies every value the base scenario marks as one, all "
               "together (Morris elementary effects), runs the base and the option at each "
               "point on the same days, and says which assumptions move the answer and how "
               "often the option's ranking holds. It takes a few minutes.")
    job = st.session_state.get(ASSUMPTIONS_JOB)
    running = job is not None and job.running
    left, right = st.columns([3, 1])
    samples = left.slider("Morris trajectories (more: narrower intervals, longer run)", 2, 20,
                          8, key="assumption_samples")
    if right.button("Vary the assumptions", disabled=running or current is None,
                    key="vary_assumptions", width="stretch"):
        release = config.releases / st.session_state.get("population", DEFAULT_RELEASE)
        stamp = max((p.stat().st_mtime for p in release.glob("legs.*")), default=0.0)
        try:
            victims = population(str(release), stamp)
        except UserError as error:
            st.error(str(error))
            return
        request = whatif.Request(current.base, current.base_path, current.option,
                                 int(st.session_state.get("replications", 20)),
                                 int(st.session_state.get("seed", 1)), workers=config.jobs)
        job_progress.submit(
            ASSUMPTIONS_JOB,
            lambda advance, early: whatif.vary_assumptions(request, victims, int(samples),
                                                           advance=advance),
            kind="assumptions", label="laying out the sample points",
            key=request.key(release, "assumptions", int(samples)))
    outcome: whatif.AssumptionsOutcome = finished_result(ASSUMPTIONS_JOB)
    if outcome is None:
        return
    r = outcome.request
    st.caption(f"{r.option.name} against {r.base.name}, {outcome.samples} trajectories, "
               f"seed {r.seed}.")
    if current is not None and (current.option != r.option or current.base != r.base):
        st.warning("The levers have moved since this run: vary the assumptions again to "
                   "update it.")
    st.markdown(f"**{outcome.sentence}**")
    st.plotly_chart(to_plotly(outcome.chart), key="chart-global-sensitivity",
                    config={"displaylogo": False})
    st.caption(outcome.chart.caption)
    with st.expander("What moves each headline KPI, and the range of each assumption"):
        st.markdown(outcome.table_html, unsafe_allow_html=True)
    columns = st.columns(len(outcome.downloads))
    for column, (name, data) in zip(columns, outcome.downloads.items(), strict=True):
        column.download_button(name, data, file_name=name,
                               mime="text/html" if name.endswith(".html") else "text/csv",
                               key=f"download-assumptions-{name}", on_click="ignore",
                               width="stretch")


def _headline(outcome: "whatif.Outcome") -> None:
    rows = outcome.headline()
    columns = st.columns(len(rows))
    for column, row in zip(columns, rows, strict=True):
        mean, low, high = row["option"]
        b_mean = row["base"][0]
        d_mean = row["difference"][0]
        color = {"higher": "normal", "lower": "inverse"}.get(row["better"], "off")
        interval = (f"; 95% CI {format_value(row['kpi'], low)} to "
                    f"{format_value(row['kpi'], high)}" if math.isfinite(low) else "")
        column.metric(row["label"], format_value(row["kpi"], mean),
                      delta=whatif.signed_difference(row["kpi"], (d_mean, math.nan, math.nan))
                      if math.isfinite(d_mean) else None,
                      delta_color=color, border=True,
                      help=f"Against the base: {row['verdict']}.")
        column.caption(f"base {format_value(row['kpi'], b_mean)}{interval}")


def _downloads(outcome: "whatif.Outcome") -> None:
    st.markdown("#### Downloads")
    labels = {".yaml": ("Scenario (YAML)", "application/x-yaml"),
              "summary.csv": ("KPIs (CSV)", "text/csv"),
              "differences.csv": ("Differences (CSV)", "text/csv"),
              "replications.csv": ("Replications (CSV)", "text/csv"),
              "report.html": ("Report (HTML)", "text/html")}
    columns = st.columns(len(outcome.downloads))
    for column, (name, data) in zip(columns, outcome.downloads.items(), strict=True):
        label, mime = next(v for k, v in labels.items() if name.endswith(k))
        column.download_button(label, data, file_name=name, mime=mime, key=f"download-{name}",
                               on_click="ignore", width="stretch")


main()
