"""The library behind `tipkit sim run | compare | sweep`: load and check scenario files, warn about
overloaded ones, run on common random numbers, write the results folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from tipkit.sim.experiments import results, sensitivity
from tipkit.sim.experiments.designs import (Comparison, Sweep, compare, most_trained, replicate, sweep,
                             training_sensitivity)
from tipkit.sim.experiments.national_runs import compare_national, run_national
from tipkit.sim.model.national import is_national_file
from tipkit.sim.model.population import VictimPopulation, load_population
from tipkit.sim.model.queueing import offered_utilisation
from tipkit.sim.experiments.replications import summary_table
from tipkit.sim.experiments.warmup import check_warmups, reported
from tipkit.sim.model.scenario import Scenario
from tipkit.sim.model.scenario_files import load_scenario, scenario_source
from tipkit.errors import UserError

Warn = Callable[[str], None]


@dataclass
class Loaded:
    scenarios: dict[str, Scenario]
    sources: dict[str, str]
    population: VictimPopulation


def load(paths, population_dir=None, warn: Warn | None = None) -> Loaded:
    """Scenario files (names made unique), their text, and the victim population; utilisation
    at or above 1 is reported through `warn` before anything runs."""
    scenarios, sources = {}, {}
    for path in paths:
        if is_national_file(path):    # run and compare handle these before they get here
            raise UserError(f"{path}: a national network: sweep and sensitivity take single "
                            "crossing points (run or compare the network; sweep or vary the "
                            "assumptions of a point's own scenario file)")
        scenario = load_scenario(path)
        name = scenario.name
        if name in scenarios:
            name = f"{name} ({Path(path).stem})"
            scenario = scenario.with_values({"name": name})
        scenarios[name] = scenario
        sources[name] = scenario_source(path)
        for message in offered_utilisation(scenario).warnings():
            if warn is not None:
                warn(f"{name}: {message}")
    population = load_population(population_dir)
    for scenario in scenarios.values():
        population.by_transport(scenario.victims.transport)   # fails early if none match
    return Loaded(scenarios, sources, population)


def run_scenario(path, *, replications="30", seed: int = 1, out=None, population_dir=None,
                 precision: float = 0.05, budget: int = 500, workers=None, scheduler=None,
                 progress=None, warn: Warn | None = None, log_travellers: bool = False
                 ) -> tuple[pd.DataFrame, Path]:
    """`tipkit sim run`: the KPI summary (kpi, mean, ci_low, ci_high, n) and the folder written.
    `log_travellers` also writes travellers.csv: one row per traveller of replication 0. A
    national file (`kind: national`) runs its network: the summary is then the national KPIs."""
    if is_national_file(path):
        if log_travellers:
            raise UserError("--log-travellers is for one crossing point: run the point's own "
                            "scenario file with it")
        return run_national(path, replications=replications, seed=seed, out=out,
                            population_dir=population_dir, workers=workers,
                            scheduler=scheduler, progress=progress, warn=warn)
    loaded = load([path], population_dir, warn)
    (name, scenario), = loaded.scenarios.items()
    checked = warmup_checks(loaded, seed, warn, workers=workers, scheduler=scheduler)
    rep = replicate(loaded.scenarios, loaded.population, seed, _replications(replications),
                    precision=precision, budget=budget, workers=workers, scheduler=scheduler,
                    progress=progress)
    folder = results.write_run(out or Path("runs") / Path(path).stem, scenario, rep,
                               {**results.provenance(loaded.population, seed), **checked},
                               loaded.sources[name])
    if log_travellers:
        write_travellers_log(folder / "travellers.csv", scenario, loaded.population, seed)
    return summary_table(rep.tables[name]), folder


TRAVELLER_COLUMNS = ("traveller", "arrived_seconds", "counted", "victim", "gender", "age",
                     "document", "indicators", "channel", "waited_seconds", "flagged",
                     "outcome")


def write_travellers_log(path: Path, scenario: Scenario, population: VictimPopulation,
                         seed: int, replication: int = 0) -> None:
    """One row per traveller of one replication, streamed to disk as they leave."""
    import csv
    import os
    import tempfile

    from tipkit.sim.model.border import simulate

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
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
                    "".join(name[0].upper() for name, has in v.indicators._asdict().items() if has) if v else "",
                    t.channel, f"{t.waited:.3f}", int(t.flagged), outcome))

            simulate(scenario, population, seed, replication, log=log)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def compare_scenarios(paths, *, replications="30", seed: int = 1, out=None,
                      population_dir=None, precision: float = 0.05, budget: int = 500,
                      sensitivity: bool = True, workers=None, scheduler=None, progress=None,
                      warn: Warn | None = None) -> tuple[Comparison, Path]:
    """`tipkit sim compare`: paired differences of each scenario against the first (national
    files: a NationalComparison, against the first national option)."""
    national = [is_national_file(p) for p in paths]
    if any(national):
        if not all(national):
            raise UserError("compare national scenarios with national scenarios, and single "
                            "crossing points with single crossing points")
        return compare_national(paths, replications=replications, seed=seed, out=out,
                                population_dir=population_dir, workers=workers,
                                scheduler=scheduler, progress=progress, warn=warn)
    loaded = load(paths, population_dir, warn)
    checked = warmup_checks(loaded, seed, warn, workers=workers, scheduler=scheduler)
    where = {"workers": workers, "scheduler": scheduler, "progress": progress}
    result = compare(loaded.scenarios, loaded.population, seed, _replications(replications),
                     precision=precision, budget=budget, **where)
    sens = _sensitivity(loaded, seed, result.replicated.replications, where) if sensitivity \
        else None
    folder = results.write_comparison(out or Path("runs") / "compare", loaded.scenarios, result,
                                      {**results.provenance(loaded.population, seed),
                                       **checked}, loaded.sources, sens)
    return result, folder


def sweep_scenario(path, axes: dict[str, list], *, replications: int = 30, seed: int = 1,
                   out=None, population_dir=None, sensitivity: bool = True, workers=None,
                   scheduler=None, progress=None, warn: Warn | None = None
                   ) -> tuple[Sweep, Path]:
    """`tipkit sim sweep`: every combination of the varied values, one results table."""
    loaded = load([path], population_dir, warn)
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
    folder = results.write_sweep(out or Path("runs") / "sweep", base, result,
                                 {**results.provenance(loaded.population, seed), **checked},
                                 loaded.sources[name], sens, replications)
    return result, folder


@dataclass
class SensitivityPlan:
    """A global sensitivity run loaded and designed, ready to run (the CLI shows its size)."""
    loaded: Loaded
    plan: sensitivity.Plan
    warmup: dict


def plan_sensitivity(paths, *, samples: int = 8, replications: int = 2, seed: int = 1,
                     population_dir=None, workers=None, scheduler=None,
                     warn: Warn | None = None) -> SensitivityPlan:
    """`tipkit sim sensitivity`, first half: load the scenarios, find their assumptions and
    lay out the Morris design (`samples` trajectories)."""
    loaded = load(paths, population_dir, warn)
    checked = warmup_checks(loaded, seed, warn, workers=workers, scheduler=scheduler)
    designed = sensitivity.plan(loaded.scenarios, loaded.sources, trajectories=samples,
                                replications=replications, seed=seed)
    return SensitivityPlan(loaded, designed, checked)


def run_sensitivity(planned: SensitivityPlan, *, out=None, workers=None, scheduler=None,
                    progress=None) -> tuple[sensitivity.GlobalSensitivity, Path]:
    """`tipkit sim sensitivity`, second half: run every option at every point, write the
    folder."""
    loaded = planned.loaded
    result = sensitivity.run(planned.plan, loaded.population, workers=workers,
                             scheduler=scheduler, progress=progress)
    folder = results.write_sensitivity(
        out or Path("runs") / "sensitivity", result,
        {**results.provenance(loaded.population, planned.plan.seed), **planned.warmup},
        loaded.sources)
    return result, folder


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
