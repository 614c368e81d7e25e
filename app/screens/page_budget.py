"""The budget view: choose a crossing point or a national network, say how much more money there
is a year and what may change, and read the best mix within that budget, the front of
identification against cost, and how sure the ranking is (a search run in the background)."""

from pathlib import Path

import streamlit as st

from tipkit.app import budget, releases, settings
from tipkit.app.releases import DEFAULT_RELEASE
from tipkit.app.screens import job_progress
from tipkit.app.screens.job_progress import finished_result
from tipkit.sim.report.charts import to_plotly
from tipkit.errors import UserError

JOB = "budget_job"


def main() -> None:
    config = settings.current()
    st.title("Budget: what to buy, and where")
    st.caption("Enter the money there is a year and what may change; the search simulates the "
               "options within the budget on the same travellers and answers with the mix "
               "that identifies the most victims while keeping the queues within the limit.")
    paths = budget.budget_scenarios(config.scenarios)
    if not paths:
        st.error(settings.no_scenarios(config))
        return
    with st.sidebar:
        _inputs(paths, config)
    _results()


def _inputs(paths, config) -> None:
    names = list(paths)
    default = names.index("national-baseline") if "national-baseline" in names else 0
    chosen = st.selectbox("Scenario (a network or one crossing point)", names, index=default,
                          key="budget_base")
    try:
        base = budget.load_base(paths[chosen])
        today, currency = budget.budget_facts(paths[chosen])
    except UserError as error:
        st.error(str(error))
        return
    st.caption(f"Today the border agency spends {currency} {today:,.0f} a year on it.")
    extra = st.number_input(f"Extra money a year ({currency})", min_value=0.0, value=60000.0,
                            step=10000.0, key="budget_extra",
                            help="On top of today's cost: staff, training, e-gates, secondary "
                                 "inspection.")
    st.markdown("**What may change**")
    decide = []
    for i, choice in enumerate(budget.choices(base)):
        ticked = st.checkbox(choice.label, value=choice.key == "specialist_officers",
                             key=f"budget_choice:{chosen}:{i}")
        if ticked:
            decide.append(choice.spec)
    wait = st.slider("Slowest 5% of desk waits at most (minutes, every point)", 5, 120, 45,
                     key="budget_wait")
    limit_specialists = st.checkbox("Limit the specialist-trained officers in total",
                                    key="budget_limit")
    specialists = (st.number_input("At most (in total)", min_value=0, value=20, step=1,
                                   key="budget_specialists") if limit_specialists else None)
    with st.expander("Search settings"):
        most = st.slider("Most replications per option", 20, 320, 80, key="budget_most",
                         help="More narrows the intervals and takes longer.")
        precision = st.slider("Precision of the best option's identification", 0.02, 0.3, 0.1,
                              key="budget_precision",
                              help="Relative half-width of its 95% interval.")
        seed = st.number_input("Seed", min_value=0, value=1, step=1, key="budget_seed")
        posterior = st.text_input(
            "Calibrated posterior (optional)", key="budget_posterior",
            help="A posterior.csv written by tipkit sim calibrate: the best options found "
                 "then run in 50 worlds drawn from it; the answer gives each one's chance of "
                 "being best and the victims a year it may lose.").strip()
    job = st.session_state.get(JOB)
    running = job is not None and job.running
    request = budget.BudgetRequest(paths[chosen], float(extra), tuple(decide), float(wait),
                                   None if specialists is None else int(specialists),
                                   int(seed), float(precision), int(most), config.jobs,
                                   Path(posterior) if posterior else None)
    release = config.releases / DEFAULT_RELEASE
    has_victims = any((release / f"legs{x}").is_file() for x in releases.TABLE_SUFFIXES)
    key = request.key(release) if has_victims else None
    pressed = st.button("Find the best mix", type="primary", disabled=running or not decide,
                        key="budget_run", width="stretch")
    if decide:
        st.caption(job_progress.estimate_caption("budget", request.units(), key))
    if pressed:
        if not has_victims:
            st.error(f"No victim population in {settings.shown(release)}.")
            return
        job_progress.submit(JOB, lambda advance, early: budget.run_budget(request, release,
                                                                          advance, early),
                            kind="budget", label="starting the search", key=key,
                            units=request.units())


def _early(answer) -> None:
    """The search's first answer, from its emulator, until the simulations confirm one."""
    st.markdown("**First estimate (emulated)**: to be confirmed by the simulations now "
                "running; it may change.")
    st.info(budget.early_text(answer))


def _results() -> None:
    outcome: budget.BudgetOutcome = finished_result(
        JOB, "Choose a scenario, enter the extra money a year and what may change, then "
             "press **Find the best mix**. A national search takes a few minutes.",
        "Searching", show_early=_early)
    if outcome is None:
        return
    for message in outcome.warnings:
        st.warning(f"Warm-up: {message}.")
    st.subheader("The answer")
    if outcome.robustness:
        st.markdown("**Across the calibrated worlds**")
        st.markdown("\n".join(f"- {line}" for line in outcome.robustness))
    st.markdown(outcome.answer_html, unsafe_allow_html=True)
    columns = st.columns(len(outcome.downloads))
    for column, (name, data) in zip(columns, outcome.downloads.items(), strict=True):
        column.download_button(name, data, file_name=name, key=f"budget-download-{name}",
                               on_click="ignore", width="stretch")
    for chart in outcome.charts:
        st.plotly_chart(to_plotly(chart), key=f"budget-chart-{chart.key}",
                        config={"displaylogo": False})
        if chart.caption:
            st.caption(chart.caption)
    with st.expander("The front: no cheaper option identifies more"):
        st.dataframe(outcome.front, hide_index=True, width="stretch")
    with st.expander("Every option simulated"):
        st.dataframe(outcome.options, hide_index=True, width="stretch")


main()
