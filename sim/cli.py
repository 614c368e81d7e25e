"""`tipkit sim ...` commands: thin shells over tipkit.sim.experiments.runs and tipkit.sim.report."""

from __future__ import annotations

import os
from pathlib import Path

import click

from tipkit.progress import Progress

_POPULATION = click.option(
    "--population", "population_dir", type=click.Path(file_okay=False, path_type=Path),
    help="A synthetic release folder (cases and legs) to draw victims from. Default: the "
         "scenario's victims.release, else releases/iom-2018 here or in the tipkit checkout.")
_SEED = click.option("--seed", type=int, default=1, show_default=True,
                     help="Run seed: the same seed gives byte-identical results.")
_JOBS = click.option("--jobs", type=click.IntRange(1), default=None,
                     help="Local processes to use. Default: all cores.")
_SCHEDULER = click.option("--scheduler", metavar="ADDRESS", default=None,
                          help="Run replications on a Dask distributed cluster, "
                               "e.g. tcp://10.0.0.5:8786 (results are identical).")
_REPLICATIONS = click.option(
    "--replications", default="30", show_default=True, metavar="N|auto",
    help="Replications per scenario, or auto: add replications until every headline KPI's "
         "95% interval is within --precision of its mean.")
_PRECISION = click.option("--precision", type=click.FloatRange(0, 1, min_open=True,
                                                                 max_open=True),
                          default=0.05, show_default=True,
                          help="With --replications auto: the relative half-width to reach.")
_BUDGET = click.option("--budget", type=click.IntRange(3), default=500, show_default=True,
                       help="With --replications auto: the most replications per scenario.")
_FORCE = click.option("--force", is_flag=True,
                      help="Replace an existing output folder (only once the new one is complete).")
_YES = click.option("--yes", "long_ok", is_flag=True,
                    help="Run even if this machine would need more than a day for it (the "
                         "estimate is refused otherwise).")


_POSTERIOR = click.option(
    "--posterior", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="A calibration's posterior.csv (tipkit sim calibrate): simulate in --draws worlds drawn "
         "from it and say how often the answer holds across them (run, compare: the tables "
         "then average over the worlds' days and --replications is not used; optimise: the "
         "finalists are carried across the worlds).")
_DRAWS = click.option("--draws", type=click.IntRange(2), default=50, show_default=True,
                      help="With --posterior: the calibrated worlds drawn (by weight).")
_DRAW_REPLICATIONS = click.option(
    "--draw-replications", type=click.IntRange(1), default=2, show_default=True,
    help="With --posterior: simulated days per world and option (the same days for every "
         "option in a world).")


def _robustness_text(folder: Path) -> str:
    from tipkit.sim.experiments.robust_runs import robustness_lines

    lines = robustness_lines(folder)
    return ("\nAcross the calibrated worlds:\n" + "\n".join(f"  {line}" for line in lines)
            if lines else "")


@click.group()
def sim() -> None:
    """Simulate an official border crossing point and its what-if scenarios."""


def _warn(message: str) -> None:
    click.secho(f"Warning: {message}", fg="yellow", err=True)


def _points(paths) -> int:
    """Crossing points in these scenario files (a national file counts its points)."""
    from tipkit.sim.model.national import is_national_file, load_national

    return sum(len(load_national(p).points) if is_national_file(p) else 1 for p in paths)


def _points_text(folder: Path) -> str:
    import pandas as pd
    from tipkit.sim.report.tables import points_text

    return "\nAt each crossing point (means):\n" + points_text(
        pd.read_csv(folder / "points.csv"), ("identification_rate", "desk_wait_mean",
                                             "desk_wait_p95", "cost_per_day"))


def _costs_text(folder: Path) -> str:
    import pandas as pd
    from tipkit.sim.report.tables import costs_text

    return costs_text(pd.read_csv(folder / "cost_effectiveness.csv"))


def _about(seconds: float) -> str:
    return f"{max(seconds, 1):.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _count(replications: str, scenarios: int, budget: int) -> int | None:
    return None if replications.strip().lower() == "auto" else scenarios * max(int(
        replications) if replications.strip().isdigit() else 0, 0)


@sim.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@_REPLICATIONS
@_SEED
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder. Default: runs/<scenario file name>.")
@_POPULATION
@_PRECISION
@_BUDGET
@_JOBS
@_SCHEDULER
@click.option("--log-travellers", is_flag=True,
              help="Also write travellers.csv: one row per traveller of replication 0 "
                   "(arrival, victim profile, channel, wait, flag, outcome).")
@_FORCE
@_YES
@_POSTERIOR
@_DRAWS
@_DRAW_REPLICATIONS
def run(scenario, replications, seed, out, population_dir, precision, budget, jobs, scheduler,
        log_travellers, force, long_ok, posterior, draws, draw_replications):
    """Run one scenario and print its KPIs with 95% confidence intervals.

    Writes summary.csv (kpi, mean, ci_low, ci_high, n), replications.csv (one row per
    replication), the scenario as run and run.json (seed, versions) to the output folder.
    A national scenario (kind: national) runs every crossing point of its network and also
    writes points.csv, point_replications.csv and routing.csv.

    \b
    Example:
      tipkit sim run scenarios/airport-baseline.yaml --replications 30 --seed 1 \\
          --out runs/airport
      tipkit sim run scenarios/national/national-baseline.yaml --replications 30 \\
          --out runs/national
    """
    from tipkit.sim.experiments.runs import run_scenario
    from tipkit.sim.report.tables import summary_text

    total = _count(replications, _points([scenario]), budget)
    label = (f"Running {total} replications" if total else
             f"Running replications until {precision:.0%} precision (at most {budget})")
    if posterior is not None:
        total = _points([scenario]) * draws * draw_replications
        label = f"Running {draws} calibrated worlds x {draw_replications} replications"
    with Progress(total, label) as bar:
        summary, folder = run_scenario(
            scenario, replications=replications, seed=seed, out=out, force=force,
            population_dir=population_dir, precision=precision, budget=budget, workers=jobs,
            scheduler=scheduler, progress=bar.advance, warn=_warn,
            log_travellers=log_travellers, long_ok=long_ok, posterior=posterior, draws=draws,
            draw_replications=draw_replications)
    click.echo(_robustness_text(folder))
    click.echo(summary_text(summary, f"\n{scenario}  (seed {seed})\n"))
    if (folder / "points.csv").is_file():
        click.echo(_points_text(folder))
    click.echo(f"\nWrote {folder}{os.sep}summary.csv and replications.csv")


@sim.command()
@click.argument("scenarios", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@_REPLICATIONS
@_PRECISION
@_BUDGET
@_SEED
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/compare"),
              show_default=True, help="Output folder.")
@click.option("--sensitivity/--no-sensitivity", default=True, show_default=True,
              help="Also rerun the most-trained option with the training effect scaled "
                   "0x to 2x (training effects are assumptions).")
@_POPULATION
@_JOBS
@_SCHEDULER
@_FORCE
@_YES
@_POSTERIOR
@_DRAWS
@_DRAW_REPLICATIONS
def compare(scenarios, replications, precision, budget, seed, out, sensitivity,
            population_dir, jobs, scheduler, force, long_ok, posterior, draws,
            draw_replications):
    """Compare scenarios on common random numbers against the first (the baseline).

    For every KPI, prints and writes the paired difference with a 95% interval and a plain
    verdict, and each option's cost per additional victim identified (Fieller's 95% interval).
    Writes summary.csv, differences.csv, cost_effectiveness.csv, replications.csv,
    sensitivity.csv. National scenarios compare with national scenarios (nationally and at
    every point).

    \b
    Example:
      tipkit sim compare scenarios/airport-baseline.yaml scenarios/airport-train-half.yaml \\
          --replications auto --precision 0.05 --out runs/train-half
    """
    from tipkit.sim.experiments.runs import compare_scenarios
    from tipkit.sim.report.tables import differences_text

    total = _count(replications, _points(scenarios), budget)
    label = (f"Running {len(scenarios)} scenarios x {replications} replications" if total else
             f"Running {len(scenarios)} scenarios until {precision:.0%} precision "
             f"(at most {budget} replications each)")
    if posterior is not None:
        total = _points(scenarios) * draws * draw_replications
        label = (f"Running {len(scenarios)} scenarios in {draws} calibrated worlds x "
                 f"{draw_replications} replications")
    with Progress(total, label) as bar:
        result, folder = compare_scenarios(
            scenarios, replications=replications, seed=seed, out=out, force=force,
            population_dir=population_dir, precision=precision, budget=budget,
            sensitivity=sensitivity, workers=jobs, scheduler=scheduler, progress=bar.advance,
            warn=_warn, long_ok=long_ok, posterior=posterior, draws=draws,
            draw_replications=draw_replications)
    click.echo(_robustness_text(folder))
    if not hasattr(result, "replicated"):        # national options
        click.echo(differences_text(result.differences, ("identification_rate",
                                                         "desk_wait_p95_worst", "cost_per_day")))
        click.echo(_costs_text(folder))
        click.echo(_points_text(folder))
        click.echo(f"\nWrote {folder}")
        return
    rep = result.replicated
    click.echo(f"\n{rep.replications} replications per scenario (seed {seed})")
    if rep.precision is not None:
        needed = [n for n in rep.needed.values()]
        if rep.precise:
            click.echo(f"Precision {rep.precision:.0%} reached: the replications algorithm "
                       f"needed {max(needed)} replications.")
        else:
            missing = [k for k, n in rep.needed.items() if n is None]
            click.echo(f"Precision {rep.precision:.0%} NOT reached within {rep.budget} "
                       f"replications for: {', '.join(missing)}")
    click.echo(differences_text(result.differences, ("identification_rate", "desk_wait_mean",
                                                     "false_referrals_per_10k",
                                                     "refused_referrals")))
    click.echo(_costs_text(folder))
    click.echo(f"\nWrote {folder}")


@sim.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--vary", "varies", multiple=True, required=True, metavar="KEY=VALUES",
              help="A scenario key (dotted) and its values: a range lo..hi:step or a list "
                   "a,b,c. Repeat for a grid.")
@click.option("--replications", type=click.IntRange(2), default=30, show_default=True,
              help="Replications per cell.")
@_SEED
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/sweep"),
              show_default=True, help="Output folder.")
@click.option("--sensitivity/--no-sensitivity", default=True, show_default=True,
              help="Also rerun the most-trained cell with the training effect scaled 0x-2x.")
@_POPULATION
@_JOBS
@_SCHEDULER
@_FORCE
@_YES
def sweep(scenario, varies, replications, seed, out, sensitivity, population_dir, jobs,
          scheduler, force, long_ok):
    """Run a grid of parameter values around one scenario.

    Writes results.parquet and results.csv (one row per cell and KPI: mean, ci_low, ci_high,
    n), which pandas reads directly, and replications.csv.

    \b
    Example:
      tipkit sim sweep scenarios/airport-baseline.yaml --vary officers=6..14:2 \\
          --vary training.specialist_share=0,0.25,0.5,1 --out runs/grid
    """
    from tipkit.sim.experiments.designs import parse_axes
    from tipkit.sim.model.kpis import HEADLINE
    from tipkit.sim.experiments.runs import sweep_scenario
    import math

    axes = parse_axes(varies)
    cells = math.prod(len(v) for v in axes.values())
    total = cells * replications + (min(replications, 20) * 6 if sensitivity else 0)
    with Progress(total, f"Running {cells} cells x {replications} replications") as bar:
        result, folder = sweep_scenario(
            scenario, axes, replications=replications, seed=seed, out=out, force=force,
            population_dir=population_dir, sensitivity=sensitivity, workers=jobs,
            scheduler=scheduler, progress=bar.advance, warn=_warn, long_ok=long_ok)
    table = result.results[result.results.kpi.isin(HEADLINE)].pivot_table(
        index=list(axes), columns="kpi", values="mean")
    click.echo("\n" + table.to_string(float_format=lambda x: f"{x:.3f}"))
    click.echo(f"\nWrote {folder}{os.sep}results.parquet and results.csv")


@sim.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("options", nargs=-1, metavar="[OPTION_SCENARIO]...",
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--method", type=click.Choice(["emulated", "morris-simulated"]),
              default="emulated", show_default=True,
              help="emulated: simulate a space-filling design of assumption sets, learn a "
                   "Gaussian process per outcome and compute the Morris effects and the "
                   "ranking's share on it (a quarter of the simulated days); morris-simulated: "
                   "simulate the whole Morris design.")
@click.option("--points", type=click.IntRange(4), default=None,
              help="With --method emulated: assumption sets to simulate. Default: 4 per "
                   "varied assumption (at least 40).")
@click.option("--samples", type=click.IntRange(2), default=None,
              help="With --method morris-simulated: Morris trajectories, each one sample point "
                   "per varied assumption plus one (default 8). More narrow the intervals of "
                   "the indices.")
@click.option("--replications", type=click.IntRange(1), default=None,
              help="Replications per option at each sample point (the same days everywhere). "
                   "Default: 1 emulated, 2 morris-simulated.")
@_SEED
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/sensitivity"),
              show_default=True, help="Output folder. Inside a compare folder written before "
              "(e.g. runs/options/sensitivity), that folder's report shows it too (compare "
              "--force replaces the whole folder, this one with it).")
@_POPULATION
@_JOBS
@_SCHEDULER
@_FORCE
@_YES
def sensitivity(scenario, options, method, points, samples, replications, seed, out,
                population_dir, jobs, scheduler, force, long_ok):
    """Vary every assumption together and say which ones the answer depends on.

    Every value the scenario files (and those they are based_on) mark `# assumption` is varied
    over its range: `# assumption, range 0.3-0.9` in its comment, else +-50% of the value,
    clipped to the values the key can take. Varied: probabilities, rates, strengths and the
    medians of durations; counts, lists, choices, run settings and the options' own choices
    are not. Morris elementary effects (SALib) rank the assumptions for each headline KPI;
    SCENARIO and each OPTION_SCENARIO run at every sample point on the same replication seeds,
    and the output says how often their ranking on identification holds. By default the
    effects and that share are computed on Gaussian-process emulators learned from a few
    simulated assumption sets, and the output says which figures are emulated (with their
    interval) and which simulated.

    Writes factors.csv, design.csv, points.csv, replications.csv, indices.csv and run.json
    (emulated: also emulator.csv, each emulator's leave-one-out check).

    \b
    Example:
      tipkit sim sensitivity scenarios/airport-baseline.yaml \\
          scenarios/airport-train-half.yaml scenarios/airport-train-all.yaml \\
          --out runs/options/sensitivity
    """
    from tipkit.errors import UserError
    from tipkit.sim.experiments.runs import plan_sensitivity, run_sensitivity
    from tipkit.sim.report.tables import sensitivity_text

    if method == "emulated" and samples is not None:
        raise UserError("--samples (Morris trajectories) is for --method morris-simulated; "
                        "the emulated method takes --points (assumption sets to simulate)")
    if method == "morris-simulated" and points is not None:
        raise UserError("--points is for --method emulated; --method morris-simulated takes "
                        "--samples (Morris trajectories)")
    samples = samples or 8
    planned = plan_sensitivity([scenario, *options], samples=samples,
                               replications=replications, seed=seed, out=out, force=force,
                               population_dir=population_dir, workers=jobs,
                               scheduler=scheduler, warn=_warn, long_ok=long_ok,
                               method=method, points=points)
    p = planned.plan
    design = (f"an emulator learned from {len(p.design) - 1} simulated assumption sets"
              if method == "emulated" else
              f"Morris, {samples} trajectories = {len(p.design) - 1} sample points")
    click.echo(f"Varying {len(p.varied)} assumptions together ({design}) for "
               f"{len(p.scenarios)} option{'s' if len(p.scenarios) > 1 else ''}: {p.runs} "
               "simulated runs.", err=True)
    with Progress(p.runs, "Running the sample points") as bar:
        result, folder = run_sensitivity(planned, workers=jobs, scheduler=scheduler,
                                         progress=bar.advance)
    click.echo(sensitivity_text(result))
    click.echo(f"\nWrote {folder}")


@sim.command()
@click.argument("results", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The HTML file to write. Default: RESULTS/report.html. PNGs of each chart "
                   "go beside it.")
@click.option("--force", is_flag=True, help="Replace an existing report and its PNGs.")
def report(results, out, force):
    """Write a self-contained HTML report (and PNG charts) of a compare, sweep or run folder.

    The report opens offline and from an email attachment: charts are embedded.

    \b
    Example:
      tipkit sim report runs/grid --out runs/grid/report.html
    """
    from tipkit.sim.report.page import write_report

    path = write_report(results, out or results / "report.html", force=force)
    click.echo(f"Wrote {path}")


@sim.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--budget", "money", required=True, metavar="AMOUNT|+AMOUNT",
              help="The most the border agency may spend a year (staff, training, e-gates, "
                   "secondary inspection), in the scenario's currency; +AMOUNT: that much more "
                   "than the scenario as it stands.")
@click.option("--decide", "decide", multiple=True, required=True, metavar="KEY=VALUES",
              help="A setting to choose and its values (lo..hi:step or a,b,c): a scenario key, "
                   "or specialist_officers / basic_officers (whole officers). In a national "
                   "scenario prefix the point: seaport.specialist_officers=0..6. Repeat.")
@click.option("--constraint", "constraints", multiple=True, metavar="KPI<=VALUE",
              help="A limit every chosen option must keep (by its mean): desk_wait_p95<=45 "
                   "(at every point), seaport.desk_wait_p95<=30 (one point), "
                   "desk_wait_p95_worst<=45 (national), specialist_officers<=20 (a decided "
                   "value added up over the points). Repeat.")
@_SEED
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder. Default: runs/<scenario file name>-optimise.")
@click.option("--first-replications", "first", type=click.IntRange(3), default=10,
              show_default=True, help="Replications every option gets before screening.")
@click.option("--max-replications", "most", type=click.IntRange(3), default=320,
              show_default=True, help="The most replications any option gets.")
@_PRECISION
@click.option("--indifference", type=click.FloatRange(0, 1), default=0.005, show_default=True,
              help="Differences in identification rate smaller than this do not matter "
                   "(0.005: half a victim in 100).")
@click.option("--method", type=click.Choice(["emulator", "exhaustive"]), default="emulator",
              show_default=True,
              help="emulator: learn each point's KPIs from a few simulated settings, solve the "
                   "best exactly, confirm the finalists by simulation (fast; a first, emulated "
                   "answer early). exhaustive: ranking and selection over every option.")
@_POPULATION
@_JOBS
@_SCHEDULER
@_FORCE
@_YES
@_POSTERIOR
@_DRAWS
@_DRAW_REPLICATIONS
@click.option("--finalists", type=click.IntRange(2), default=5, show_default=True,
              help="With --posterior: the best options found that are carried across the "
                   "calibrated worlds.")
def optimise(scenario, money, decide, constraints, seed, out, first, most, precision,
             indifference, method, population_dir, jobs, scheduler, force, long_ok, posterior,
             draws, draw_replications, finalists):
    """Find the option within a budget that identifies the most victims, by simulation.

    By default (--method emulator) each point's KPIs are learned from a few simulated
    settings, the best combination is solved exactly, and a first answer, marked EMULATED,
    is printed early; the finalists are then confirmed by simulation. The confirmation (and
    --method exhaustive, over every option within the budget) runs options on common random
    numbers; options clearly worse than a clearly feasible one are dropped after a few
    replications and the contenders get more (ranking and selection), until the ranking is
    settled and the best's identification is within --precision. Prints and writes the best
    option, the front of identification against cost, and how sure the ranking is (best minus
    runner-up, paired 95% CI): options.csv, front.csv, ranking.csv, chosen.csv, best.yaml, all
    simulated; emulated.csv holds every option's emulated figures.

    \b
    Example:
      tipkit sim optimise scenarios/national/national-baseline.yaml --budget +60000 \\
          --decide capital-airport.specialist_officers=0..12 \\
          --decide north-road.specialist_officers=0..6 \\
          --decide south-rail-road.specialist_officers=0..8 \\
          --decide seaport.specialist_officers=0..6 \\
          --constraint specialist_officers<=20 --constraint desk_wait_p95<=45 \\
          --out runs/next-20
    """
    from tipkit.sim.experiments.budget_runs import optimise_scenario
    from tipkit.sim.report.budget_page import answer_text, emulated_text

    bar = Progress(None, "Simulating (point replications)")
    cores = jobs or os.cpu_count() or 1

    def plan(replications, seconds):
        where = "on the Dask cluster" if scheduler else f"on {cores} core{'s' * (cores > 1)}"
        click.echo(f"Expected: about {replications:,} point replications, about "
                   f"{_about(seconds)} {where}"
                   + (" at least (exhaustive search)" if method == "exhaustive" else "")
                   + ".", err=True)
        bar.expect(replications)

    def early(answer, currency):
        click.echo("\n" + emulated_text(answer, currency) + "\n", err=True)

    with bar:
        found, folder = optimise_scenario(
            scenario, budget=money, decide=decide, constraints=constraints, seed=seed,
            out=out, force=force, population_dir=population_dir, first=first, most=most,
            precision=precision, indifference=indifference, workers=jobs, scheduler=scheduler,
            progress=bar.advance, warn=_warn, long_ok=long_ok, method=method,
            early=early, plan=plan, posterior=posterior, draws=draws,
            draw_replications=draw_replications, finalists=finalists)
    click.echo(_robustness_text(folder))
    click.echo("\n" + answer_text(folder))
    click.echo(f"\nWrote {folder}{os.sep}options.csv, front.csv, ranking.csv and best.yaml")


@sim.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--observed", "facts", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="The observed facts (YAML): period_days and facts, each a KPI with a total "
                   "(a count over the period) or a mean and its interval.")
@click.option("--vary", "varies", multiple=True, metavar="KEY[=LO..HI]",
              help="Calibrate only this assumption (repeatable), over LO..HI if given. "
                   "Default: every value the files mark # assumption, over its range.")
@click.option("--points", type=click.IntRange(10), default=None,
              help="Simulated design points of the first wave (the second has half as many). "
                   "Default: 8 per calibrated assumption, at least 40.")
@click.option("--replications", type=click.IntRange(2), default=4, show_default=True,
              help="Replications at each design point (the same days everywhere).")
@_SEED
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/calibration"),
              show_default=True, help="Output folder.")
@_POPULATION
@_JOBS
@_SCHEDULER
@_FORCE
@_YES
def calibrate(scenario, facts, varies, points, replications, seed, out, population_dir, jobs,
              scheduler, force, long_ok):
    """Calibrate the scenario's assumptions to what an agency observed.

    Every value the scenario files mark `# assumption` (or those --vary names) gets a uniform
    prior over its range (`range a-b` in its comment, else +-50%, as sensitivity reads it).
    Gaussian-process emulators of each fact, learned from simulated design points in two
    history-matching waves, give the posterior (sequential Monte Carlo); posterior draws are
    then simulated to check every fact. A national file (kind: national) calibrates
    victims_per_day and its points' assumptions (a key written alike at several points is one).

    Writes posterior.csv (one column per calibrated scenario key, and weight), calibrated.yaml
    (the scenario at the posterior median: `tipkit sim run` takes it as it is), checks.csv and
    checks.png, identifiability.csv, design.csv, calibration.txt and run.json.

    \b
    Example:
      tipkit sim calibrate scenarios/airport-baseline.yaml \\
          --observed scenarios/observed/airport-facts.yaml --out runs/calibrated
      tipkit sim run runs/calibrated/calibrated.yaml
    """
    from tipkit.sim.experiments.calibration_runs import (prepare, run_calibration, text,
                                                         total_runs)

    setup = prepare(scenario, facts, varies=varies, population_dir=population_dir, out=out,
                    force=force, seed=seed)
    total = total_runs(setup, points, replications)
    click.echo(f"Calibrating {len(setup.params)} assumptions to {len(setup.facts.facts)} facts: "
               f"{total} simulated replications.", err=True)
    with Progress(total, "Simulating design points") as bar:
        result, folder = run_calibration(
            setup, out=out, points=points, replications=replications, seed=seed, force=force,
            workers=jobs, scheduler=scheduler, progress=bar.advance, long_ok=long_ok)
    click.echo(text(result))
    click.echo(f"\nWrote {folder}{os.sep}posterior.csv, calibrated.yaml and checks.csv")
