"""The library behind `tipkit sim run | compare | sweep`: load and check scenario files, warn about
overloaded ones, run on common random numbers, write the results folder."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from tipkit import outputs
from tipkit.sim.experiments import emulated_sensitivity, results, sensitivity
from tipkit.sim.experiments.designs import (Comparison, Sweep, compare, most_trained, replicate, sweep,
                             training_sensitivity)
from tipkit.sim.experiments.national_runs import compare_national, run_national
from tipkit.sim.experiments.preflight import check_seed, population_release, refuse_long
from tipkit.sim.model.national import is_national_file
from tipkit.sim.model.population import VictimPopulation, load_population
from tipkit.sim.model.queueing import offered_utilisation
from tipkit.sim.experiments.replications import summary_table
from tipkit.sim.experiments.warmup import check_warmups, reported
from tipkit.sim.model.scenario import Scenario
from tipkit.sim.model.scenario_files import load_scenario, named_apart, scenario_source
from tipkit.errors import UserError

Warn = Callable[[str], None]


@dataclass
class Loaded:
    scenarios: dict[str, Scenario]
    sources: dict[str, str]
    population: VictimPopulation
    warnings: list[str] = field(default_factory=list)


def load(paths, population_dir=None, warn: Warn | None = None) -> Loaded:
    """Scenario files (names made unique), their text, and the victim population; utilisation
    at or above 1 is reported through `warn` (and kept in `warnings`)."""
    scenarios, sources, warnings = {}, {}, []
    for path in paths:
        if is_national_file(path):    # run and compare handle these before they get here
            raise UserError(f"{path}: a national network: sweep and sensitivity take single "
                            "crossing points (run or compare the network; sweep or vary the "
                            "assumptions of a point's own scenario file)")
        scenario = named_apart(load_scenario(path), path, scenarios)
        name = scenario.name
        scenarios[name] = scenario
        sources[name] = scenario_source(path)
        warnings += [f"{name}: {message}" for message in offered_utilisation(scenario).warnings()]
    population = load_population(population_release(paths, population_dir))
    for scenario in scenarios.values():
        population.by_transport(scenario.victims.transport)   # fails early if none match
    for message in warnings if warn is not None else ():
        warn(message)
    return Loaded(scenarios, sources, population, warnings)


def _prepare(paths, *, out, force, seed, replications, budget, population_dir, workers,
             scheduler, long_ok, cells: int = 1, warn: Warn | None = None) -> Loaded:
    """Everything that can be refused, refused before any work and before any other output:
    the seed, the replications, the --out folder, the scenario files and population, and a
    run that would take this machine more than a day (preflight.refuse_long). Then the
    warnings."""
    check_seed(seed)
    count = _replications(replications)
    if count != "auto" and count < 2:
        raise UserError("--replications must be at least 2 (an interval needs two)")
    sources = [*paths, population_release(paths, population_dir)]
    outputs.check_out(out, force=force, inputs=sources)
    loaded = load(paths, population_dir)
    reps = budget if count == "auto" else count
    refuse_long([(s, cells * reps) for s in loaded.scenarios.values()], workers=workers,
                scheduler=scheduler, long_ok=long_ok)
    for message in loaded.warnings if warn is not None else ():
        warn(message)
    return loaded


def run_scenario(path, *, replications="30", seed: int = 1, out=None, force: bool = False,
                 population_dir=None, precision: float = 0.05, budget: int = 500,
                 workers=None, scheduler=None, progress=None, warn: Warn | None = None,
                 log_travellers: bool = False, long_ok: bool = False, posterior=None,
                 draws: int = 50, draw_replications: int = 2) -> tuple[pd.DataFrame, Path]:
    """`tipkit sim run`: the KPI summary (kpi, mean, ci_low, ci_high, n) and the folder written.
    `log_travellers` also writes travellers.csv: one row per traveller of replication 0. A
    national file (`kind: national`) runs its network: the summary is then the national KPIs.
    `posterior` (a calibration's posterior.csv): run in `draws` calibrated worlds instead
    (sim.experiments.robust_runs)."""
    out = Path(out or Path("runs") / Path(path).stem)
    if posterior is not None:
        if log_travellers:
            raise UserError("--log-travellers is for a run of the scenario as written: leave "
                            "out --posterior")
        from tipkit.sim.experiments.robust_runs import across_worlds
        return across_worlds([path], posterior=posterior, draws=draws,
                             draw_replications=draw_replications, seed=seed, out=out,
                             force=force, population_dir=population_dir, workers=workers,
                             scheduler=scheduler, progress=progress, warn=warn,
                             long_ok=long_ok, compare=False)
    if is_national_file(path):
        if log_travellers:
            raise UserError("--log-travellers is for one crossing point: run the point's own "
                            "scenario file with it")
        return run_national(path, replications=replications, seed=seed, out=out, force=force,
                            population_dir=population_dir, workers=workers,
                            scheduler=scheduler, progress=progress, warn=warn, long_ok=long_ok)
    loaded = _prepare([path], out=out, force=force, seed=seed, replications=replications,
                      budget=budget, population_dir=population_dir, workers=workers,
                      scheduler=scheduler, long_ok=long_ok, warn=warn)
    (name, scenario), = loaded.scenarios.items()
    checked = warmup_checks(loaded, seed, warn, workers=workers, scheduler=scheduler)
    rep = replicate(loaded.scenarios, loaded.population, seed, _replications(replications),
                    precision=precision, budget=budget, workers=workers, scheduler=scheduler,
                    progress=progress)
    with outputs.staged_folder(out, force=force, inputs=[path]) as staging:
        results.write_run(staging, scenario, rep,
                          {**results.provenance(loaded.population, seed), **checked},
                          loaded.sources[name])
        if log_travellers:
            write_travellers_log(staging / "travellers.csv", scenario, loaded.population, seed)
    return summary_table(rep.tables[name]), out

TRAVELLER_COLUMNS = ("traveller", "arrived_seconds", "counted", "victim", "gender", "age",
                     "document", "indicators", "channel", "waited_seconds", "flagged",
                     "outcome")


def write_travellers_log(path: Path, scenario: Scenario, population: VictimPopulation,
                         seed: int, replication: int = 0) -> None:
    """One row per traveller of one replication, streamed to disk as they leave (into a
    staged results folder: the whole folder appears at once, or not at all)."""
    import csv

    from tipkit.sim.model.border import simulate

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TRAVELLER_COLUMNS)

        def log(t) -> None:
            v = t.victim
            outcome = ("not flagged" if not t.flagged else
                       ("identified" if t.confirmed else "missed in interview") if v
                       else ("false referral" if t.confirmed else "cleared"))
            writer.writerow((
                t.number, f"{t.arrived:.3f}", int(t.counted), int(v is not None),
                v.gender if v else "", v.age if v else "", v.document if v else "",
                "".join(name[0].upper() for name, has in v.indicators._asdict().items() if has)
                if v else "",
                t.channel, f"{t.waited:.3f}", int(t.flagged), outcome))

        simulate(scenario, population, seed, replication, log=log)


def compare_scenarios(paths, *, replications="30", seed: int = 1, out=None, force: bool = False,
                      population_dir=None, precision: float = 0.05, budget: int = 500,
                      sensitivity: bool = True, workers=None, scheduler=None, progress=None,
                      warn: Warn | None = None, long_ok: bool = False, posterior=None,
                      draws: int = 50, draw_replications: int = 2):
    """`tipkit sim compare`: paired differences of each scenario against the first, as a
    Comparison (national files: a NationalComparison, against the first national option),
    and the folder written. `posterior` (a calibration's posterior.csv): compare in `draws`
    calibrated worlds instead (sim.experiments.robust_runs)."""
    out = Path(out or Path("runs") / "compare")
    if posterior is not None:
        from tipkit.sim.experiments.robust_runs import across_worlds
        return across_worlds(paths, posterior=posterior, draws=draws,
                             draw_replications=draw_replications, seed=seed, out=out,
                             force=force, population_dir=population_dir, workers=workers,
                             scheduler=scheduler, progress=progress, warn=warn,
                             long_ok=long_ok, compare=True)
    national = [is_national_file(p) for p in paths]
    if any(national):
        if not all(national):
            raise UserError("compare national scenarios with national scenarios, and single "
                            "crossing points with single crossing points")
        return compare_national(paths, replications=replications, seed=seed, out=out,
                                force=force, population_dir=population_dir, workers=workers,
                                scheduler=scheduler, progress=progress, warn=warn,
                                long_ok=long_ok)
    loaded = _prepare(paths, out=out, force=force, seed=seed, replications=replications,
                      budget=budget, population_dir=population_dir, workers=workers,
                      scheduler=scheduler, long_ok=long_ok, warn=warn)
    return compare_loaded(loaded, out, replications=replications, seed=seed,
                          precision=precision, budget=budget, sensitivity=sensitivity,
                          workers=workers, scheduler=scheduler, progress=progress, force=force,
                          inputs=paths, warn=warn)


def compare_loaded(loaded: Loaded, out: Path, *, replications="30", seed: int = 1,
                   precision: float = 0.05, budget: int = 500, sensitivity: bool = True,
                   workers=None, scheduler=None, progress=None, force: bool = False,
                   inputs=(), warn: Warn | None = None) -> tuple[Comparison, Path]:
    """Compare scenarios already loaded (the first is the base) on common random numbers, with
    the warm-up checked and the training sensitivity when an option trains officers, and write
    the results folder (staged: it appears whole, or not at all)."""
    checked = warmup_checks(loaded, seed, warn, workers=workers, scheduler=scheduler)
    where = {"workers": workers, "scheduler": scheduler, "progress": progress}
    result = compare(loaded.scenarios, loaded.population, seed, _replications(replications),
                     precision=precision, budget=budget, **where)
    sens = _sensitivity(loaded, seed, result.replicated.replications, where) if sensitivity \
        else None
    with outputs.staged_folder(out, force=force, inputs=inputs) as staging:
        results.write_comparison(staging, loaded.scenarios, result,
                                 {**results.provenance(loaded.population, seed), **checked},
                                 loaded.sources, sens)
    return result, Path(out)


def sweep_scenario(path, axes: dict[str, list], *, replications: int = 30, seed: int = 1,
                   out=None, force: bool = False, population_dir=None, sensitivity: bool = True,
                   workers=None, scheduler=None, progress=None, warn: Warn | None = None,
                   long_ok: bool = False) -> tuple[Sweep, Path]:
    """`tipkit sim sweep`: every combination of the varied values, one results table."""
    out = Path(out or Path("runs") / "sweep")
    grid = math.prod(len(values) for values in axes.values())
    loaded = _prepare([path], out=out, force=force, seed=seed, replications=replications,
                      budget=replications, population_dir=population_dir, workers=workers,
                      scheduler=scheduler, long_ok=long_ok, cells=grid, warn=warn)
    (name, base), = loaded.scenarios.items()
    checked = warmup_checks(loaded, seed, warn, workers=workers, scheduler=scheduler)
    where = {"workers": workers, "scheduler": scheduler, "progress": progress}
    result = sweep(base, axes, loaded.population, seed, replications, **where)
    sens = None
    if sensitivity:
        cells = {row.cell: base.with_values(dict(zip(axes, row[1:])))
                 for row in result.cells.itertuples(index=False)}
        trained = most_trained(cells)
        if trained is not None:
            sens = training_sensitivity(base, cells[trained], loaded.population, seed,
                                        min(replications, 20), **where)
    with outputs.staged_folder(out, force=force, inputs=[path]) as staging:
        results.write_sweep(staging, base, result,
                            {**results.provenance(loaded.population, seed), **checked},
                            loaded.sources[name], sens, replications)
    return result, out


@dataclass
class SensitivityPlan:
    """A global sensitivity run checked, loaded and designed, ready to run (the CLI shows its
    size); `out` is its folder, checked before any work."""
    loaded: Loaded
    plan: sensitivity.Plan
    warmup: dict
    out: Path
    force: bool = False
    inputs: tuple = ()


SENSITIVITY_METHODS = ("emulated", "morris-simulated")


def plan_sensitivity(paths, *, samples: int = 8, replications: int | None = None,
                     seed: int = 1, out=None, force: bool = False, population_dir=None,
                     workers=None, scheduler=None, warn: Warn | None = None,
                     long_ok: bool = False, method: str = "emulated",
                     points: int | None = None) -> SensitivityPlan:
    """`tipkit sim sensitivity`, first half: refuse what cannot run (the seed, the --out, a
    design this machine would need more than a day for) before any work, then load the
    scenarios, find their assumptions, lay out the design and check the warm-up. `method`
    "emulated" (default): `points` simulated assumption sets (default: 4 per varied
    assumption) on `replications` days each (default 1), the answer on emulators;
    "morris-simulated": the Morris design of `samples` trajectories simulated, `replications`
    (default 2) at each point."""
    if method not in SENSITIVITY_METHODS:
        raise UserError(f"--method must be one of {', '.join(SENSITIVITY_METHODS)}, "
                        f"got {method!r}")
    check_seed(seed)
    out = Path(out or Path("runs") / "sensitivity")
    inputs = (*paths, population_release(paths, population_dir))
    outputs.check_out(out, force=force, inputs=inputs)
    loaded = load(paths, population_dir)

    def refuse_too_long(p: sensitivity.Plan) -> None:
        refuse_long([(s, p.runs // len(p.scenarios)) for s in p.scenarios.values()],
                    workers=workers, scheduler=scheduler, long_ok=long_ok,
                    fewer="fewer --samples or --replications")

    if method == "emulated":
        designed = emulated_sensitivity.plan(
            loaded.scenarios, loaded.sources, points=points, replications=replications or 1,
            seed=seed, check=refuse_too_long)
    else:
        designed = sensitivity.plan(loaded.scenarios, loaded.sources, trajectories=samples,
                                    replications=replications or 2, seed=seed,
                                    check=refuse_too_long)
    for message in loaded.warnings if warn is not None else ():
        warn(message)
    checked = warmup_checks(loaded, seed, warn, workers=workers, scheduler=scheduler)
    return SensitivityPlan(loaded, designed, checked, out, force, inputs)


def run_sensitivity(planned: SensitivityPlan, *, workers=None, scheduler=None,
                    progress=None) -> tuple[sensitivity.GlobalSensitivity, Path]:
    """`tipkit sim sensitivity`, second half: run every option at every point, write the
    folder (staged: it appears whole, or not at all)."""
    loaded = planned.loaded
    method = (emulated_sensitivity if isinstance(planned.plan, emulated_sensitivity.EmulatedPlan)
              else sensitivity)
    result = method.run(planned.plan, loaded.population, workers=workers,
                        scheduler=scheduler, progress=progress)
    with outputs.staged_folder(planned.out, force=planned.force,
                               inputs=planned.inputs) as staging:
        results.write_sensitivity(
            staging, result,
            {**results.provenance(loaded.population, planned.plan.seed), **planned.warmup},
            loaded.sources)
    return result, planned.out


def warmup_checks(loaded: Loaded, seed: int, warn: Warn | None, **where) -> dict:
    """MSER-5 on each scenario that needs a warm-up (see sim.experiments.warmup): a warning
    for each one too short, and the checks for run.json."""
    return reported(check_warmups(loaded.scenarios, loaded.population, seed, **where), warn)


def _sensitivity(loaded: Loaded, seed: int, replications: int, where: dict):
    names = list(loaded.scenarios)
    trained = most_trained(loaded.scenarios)
    if trained is None:
        return None
    return training_sensitivity(loaded.scenarios[names[0]], loaded.scenarios[trained],
                                loaded.population, seed, min(replications, 20), **where)


def _replications(value) -> int | str:
    if str(value).strip().lower() == "auto":
        return "auto"
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserError(f"--replications must be a whole number or auto, got {value!r}") from None
